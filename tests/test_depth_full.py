"""Extension 11 (proofs.paper.results.depth_full): at depth 2, the query-key matrices alone, and all of the last layer.

- it holds (derived at prove time), and a statement with sigma^2 + k for the last layer's n -> oo error (one
  layer's Corollary 4.4) fails its check;
- evaluate at random settings, d = 1, 2, 3, dense Sigma, computes each side through the literal model at the
  setting's d (not the d = 2 symbolic derivation) and the two sides agree exactly;
- the descent route (derive --numeric, whole matrices, NUMERIC) reaches the same n -> oo errors for the last
  layer's V_2, Q_2 at d = 2: an independent check of "gradient descent reaches F1" (the statement's premise);
- evaluate refuses a finite m, a task theta, a finite n (one setting check with Extensions 9 and 10).
"""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from broken_statement import assert_fails_exactly
from proofs.paper.results.depth_full import RESULT
from symbolic import SIGMA, SIGMA_NOISE, THETA0, Bilinear


def test_holds():
    v = RESULT.check()
    assert v.holds, "\n".join(v.lines)


def test_one_layers_forgetting_as_the_statement_fails():
    assert_fails_exactly(RESULT, 4, SIGMA_NOISE ** 2 + Bilinear(THETA0, SIGMA, THETA0))


@pytest.mark.parametrize("d", [1, 2, 3])
def test_evaluate_at_random_settings_agrees(d):
    rng = np.random.default_rng(d)
    A = rng.integers(-2, 3, (d, d))
    Sigma = (A @ A.T + np.eye(d, dtype=int)).tolist()
    theta0 = [int(v) or 1 for v in rng.integers(-3, 4, d)]
    vals = RESULT.evaluate(Sigma=Sigma, theta_0=theta0, sigma2=Fraction(1, 7))
    assert len(vals) == 6 and all(sp.expand(a - b) == 0 for a, b in vals.values())


def test_gradient_descent_on_the_last_layer_reaches_the_stated_errors():
    from proofs.quantities.setting import setting
    from proofs.quantities.solve import solve
    from symbolic.depth_spec import depth_spec_from_json
    spec = depth_spec_from_json({"layers": 2, "train": ["V2.all", "Q2"], "loss": [{"n": 0, "task": "target"}]})
    r = solve(spec, setting(2, Sigma=[[2, 1], [1, 3]], theta0=[1, -1], sigma2=Fraction(1, 10)), numeric=True,
              steps=20_000).optimum
    vals = RESULT.evaluate(Sigma=[[2, 1], [1, 3]], theta_0=[1, -1], sigma2=Fraction(1, 10))
    rows = {k: float(v[1]) for k, v in zip(("z", "t", "o"), list(vals.values())[3:])}
    assert r.converged
    assert r.errors["zero_shot"] == pytest.approx(rows["z"], abs=1e-9)
    assert r.errors["few_shot_target"] == pytest.approx(rows["t"], rel=1e-6)
    assert r.errors["few_shot_opposite"] == pytest.approx(rows["o"], rel=1e-6)


@pytest.mark.parametrize("bad, match", [
    (dict(m=10), r"^m: the statement is at m -> oo"),
    (dict(theta=[1, 0]), r"^theta: the statement is on theta_0 and -theta_0"),
    (dict(n=3), r"^n: "),
])
def test_evaluate_refuses_with_the_reason(bad, match):
    with pytest.raises(ValueError, match=match):
        RESULT.evaluate(Sigma=[[1, 0], [0, 1]], theta_0=[1, 0], sigma2=Fraction(1, 10), **bad)
