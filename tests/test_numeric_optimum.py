"""``derive --spec F --numeric`` (proofs/quantities/numeric_optimum.py): a numeric minimiser of the exact
loss for specs without a closed form.

- on a quadratic spec (docs/examples/specs/mixed.json) the numeric minimiser equals the derived
  closed form (to 1e-6): the optimiser and the exact loss it minimises are right;
- on V and Q trained together on the zero-shot loss (value-and-query.json: v_x and Q_00) the
  loss tends to its infimum sigma^2 (full fine-tuning's zero-shot error) while Q_00 grows
  without bound (v_x Q_00 -> theta_0): no minimiser is attained, and the output says so;
- task families and second stages are refused; the command line labels the answer NUMERIC.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from proofs import cli
from proofs.quantities.setting import setting
from proofs.quantities.numeric_optimum import numeric_optimum
from symbolic.spec import spec_from_json

SPECS = Path(__file__).resolve().parent.parent / "docs" / "examples" / "specs"


def load(name: str):
    return spec_from_json(json.loads((SPECS / name).read_text()))


def test_numeric_optimum_of_a_quadratic_spec_is_the_closed_form() -> None:
    from proofs.api import params
    spec = load("mixed.json")
    r = numeric_optimum(spec, setting(2, sigma2=sp.Rational(1, 10)))
    assert r.converged
    exact = np.array(params(spec, d=2, sigma2=sp.Rational(1, 10)).V.evalf(20).tolist(), dtype=float)
    assert np.allclose(r.V, exact, atol=1e-6)


def test_value_and_query_has_no_minimiser() -> None:
    r = numeric_optimum(load("value-and-query.json"), setting(2, sigma2=sp.Rational(1, 10)), max_iter=200)
    assert r.loss < r.start_loss
    assert abs(r.loss - 0.1) < 1e-3 and r.loss > 0.1          # infimum sigma^2, not attained
    assert abs(float(r.errors["zero_shot"]) - r.loss) < 1e-9   # exact error = the minimised loss
    assert not r.converged and r.Q[0, 0] > 100


def test_families_and_second_stages_are_refused() -> None:
    with pytest.raises(ValueError, match="family"):
        numeric_optimum(spec_from_json({"train": ["vx", "Q00"], "loss": [{"n": 0, "task": {"mean": "target", "cov": 1}}]}), setting(2))
    with pytest.raises(ValueError, match="second stage"):
        numeric_optimum(load("family.json"), setting(2))


def test_command_line_labels_it_numeric(tmp_path, capsys) -> None:
    spec = tmp_path / "s.json"
    spec.write_text((SPECS / "value-and-query.json").read_text())
    assert cli.main(["derive", "--spec", str(spec)]) == 3
    # its infimum is not attained: the optimiser does not converge, and says so with exit status 1
    assert cli.main(["derive", "--spec", str(spec), "--numeric", "--d", "2", "--format", "json"]) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert "NOT converge" in captured.err and out["converged"] is False and len(out["starts"]) == 4
    assert out["numeric"] is True and "quartic" in out["no_closed_form"]
    assert abs(out["errors"]["zero_shot"] - out["loss"]) < 1e-9
