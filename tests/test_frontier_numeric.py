"""The frontier's float64 / mp path (proofs/quantities/frontier_numeric.py) against the exact one at small
d, and that it runs at d = 64. Float values agree with exact to 1e-12 relative."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from proofs.api import frontier

LAMS = [0, sp.Rational(1, 3), 1, 10, sp.oo]


def _setting(d: int):
    rng = np.random.default_rng(7)
    A = rng.integers(-3, 4, size=(d, d))
    S = sp.Matrix(A @ A.T + d * np.eye(d, dtype=int))  # exact, positive definite
    t = sp.Matrix(rng.integers(-2, 3, size=d)) + sp.Matrix([1] + [0] * (d - 1))
    return S, t


def _rel(a, b) -> float:
    a, b = float(a), float(b)
    return abs(a - b) / max(1.0, abs(b))


@pytest.mark.parametrize("d,n,m", [(2, 5, None), (4, None, None), (6, 3, None)])
def test_float_matches_exact(d, n, m):
    S, t = _setting(d)
    kw = dict(n_ft=5, n=n, d=d, sigma2=sp.Rational(1, 10), m=m, Sigma=S, theta0=t)
    e = frontier(LAMS, **kw)
    f = frontier(LAMS, arithmetic="float", **{**kw, "Sigma": np.array(S, dtype=float),
                                              "theta0": np.array(t, dtype=float).ravel()})
    assert e.holds and f.holds
    for a, b in zip(e.rows + e.strategies, f.rows + f.strategies):
        for x, y in zip(a.values(), b.values()):
            assert _rel(y, x) <= 1e-12, (a.label, x, y)
    assert e.monotone == f.monotone
    assert e.degenerate == f.degenerate


def test_mp_matches_exact():
    e = frontier(LAMS, n_ft=5, n=5, d=3, sigma2=sp.Rational(1, 10))
    f = frontier(LAMS, n_ft=5, n=5, d=3, sigma2=sp.Rational(1, 10), arithmetic="mp", precision=40)
    for a, b in zip(e.rows, f.rows):
        for x, y in zip(a.values(), b.values()):
            assert abs(sp.Float(y, 40) - x) <= sp.Float(10) ** -30 * max(1, abs(x))
    assert f.holds


def test_degenerate_at_infinite_n_ft_in_float():
    """n_ft = oo: one point, and the lambda -> oo check fails in both arithmetics alike (the
    few-shot loss alone leaves directions free: the note says so)."""
    e = frontier([0, 1, sp.oo], n_ft=None, d=3, sigma2=sp.Rational(1, 10))
    f = frontier([0, 1, sp.oo], n_ft=None, d=3, sigma2=sp.Rational(1, 10), arithmetic="float")
    assert e.degenerate and f.degenerate
    assert [ok for _, ok in e.checks] == [ok for _, ok in f.checks] and f.notes


def test_d64_runs_in_float():
    f = frontier([0, 1, 100, sp.oo], n_ft=5, n=5, d=64, sigma2=sp.Rational(1, 10))
    assert f.settings["arithmetic"] == "float" and f.holds
    assert all(np.isfinite(float(v)) for r in f.rows for v in r.values())
    z = [float(r.zero_shot) for r in f.rows]
    assert z == sorted(z)  # zero-shot error grows with the weight of the few-shot loss


def test_the_rules_on_small_rational_functions():
    """The module docstring's rules on P/Q with known answers (the mutants FN2, FN4-FN6):
    a limit +-oo by the sign of the ratio of the end coefficients, 0 or the ratio otherwise; the
    value at lambda by Horner; monotonicity from P'Q - PQ'; zero coefficients relative to the largest."""
    from proofs.quantities.frontier_numeric import at_lambda_numeric, monotone_numeric
    oo, tol = sp.oo, 1e-9
    assert at_lambda_numeric(([3.0, 0.0, -2.0], [1.0]), oo, tol) == float("-inf")      # 3 - 2 lambda^2
    assert at_lambda_numeric(([0.0, -1.0], [0.0, 0.0, 2.0]), 0, tol) == float("-inf")  # -1/(2 lambda)
    assert at_lambda_numeric(([0.0, 1.0], [0.0, 0.0, 2.0]), 0, tol) == float("inf")
    assert at_lambda_numeric(([1.0, 2.0, 3.0], [1.0, 1.0]), 2, tol) == pytest.approx(17 / 3, rel=1e-15)
    assert at_lambda_numeric(([1.0, 3.0], [2.0, 1.0]), oo, tol) == 3.0 and at_lambda_numeric(([1.0, 3.0], [2.0, 1.0]), 0, tol) == 0.5
    assert monotone_numeric(([1.0], [1.0, 1.0]), tol) == "decreasing"                  # 1/(1 + lambda)
    assert monotone_numeric(([0.0, 1.0], [1.0, 1.0]), tol) == "increasing"             # lambda/(1 + lambda)
    assert monotone_numeric(([1.0, -3.0, 1.0], [1.0]), tol) == "not monotone"          # 1 - 3 lambda + lambda^2
    # a coefficient 1e-6 is not zero next to coefficients 1e-3 (relative rule), though below tol * 1e4
    assert at_lambda_numeric(([1e-6, 1e-3], [1e-3]), 0, 1e-4) == pytest.approx(1e-3, rel=1e-12)
