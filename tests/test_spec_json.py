"""Spec files: a covariance matrix given in the JSON ("cov": [[...]]) and what derive prints
for values given in the spec.

Regression: ``symbolic.spec._is_psd`` raised TypeError (a traceback, not exit status 2) for
every matrix cov, because the characteristic polynomial of ``charpoly(Dummy)`` was read back
in the wrong variable.
"""
from __future__ import annotations

import json

import pytest

from proofs import cli
from symbolic.spec import spec_from_json


def spec(cov) -> dict:
    return {"train": ["vx"], "loss": [{"n": 0, "task": {"mean": "target", "cov": cov}}]}


@pytest.mark.parametrize("cov", [[[1, 0], [0, 2]], [[1, 1], [1, 1]], [[0, 0], [0, 0]], [[2, "1/2"], ["1/2", 1]]])
def test_positive_semidefinite_covariances_are_accepted(cov) -> None:
    s = spec_from_json(spec(cov))
    assert s.bindings and s.bindings[0][0] == "Omega_1"


@pytest.mark.parametrize("cov", [[[1, 2], [2, 1]], [[-1, 0], [0, 1]], [[0, 1], [1, 0]]])
def test_indefinite_covariances_are_refused(cov) -> None:
    with pytest.raises(ValueError, match="positive semi-definite"):
        spec_from_json(spec(cov))


def test_derive_prints_what_the_spec_gives(tmp_path, capsys) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(spec([[1, 0], [0, 2]])))
    assert cli.main(["derive", "--spec", str(f)]) == 0
    assert "given in the spec: Omega_1 = [[1, 0], [0, 2]] (so d = 2 for params and curve)" in capsys.readouterr().out
    f.write_text(json.dumps(spec([[1, 2], [2, 1]])))
    assert cli.main(["derive", "--spec", str(f)]) == 2
    assert "loss[0].task.cov: expected a positive semi-definite matrix" in capsys.readouterr().err
