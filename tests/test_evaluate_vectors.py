"""A result's ``evaluate`` gives its vector and matrix statements too (Theorem
4.6's left out v_x).  Checked against value fine-tuning's minimiser at the setting from the
explicit quadratic (the Wick polynomial's coefficients at a concrete Sigma, minimised by exact
linear algebra from the pretrained start), not the derivation."""
from __future__ import annotations

import numpy as np
import sympy as sp

from proofs.paper.results import get
from symbolic.explicit import explicit_quadratic
from symbolic.strategies import value_spec

R = sp.Rational
SIGMA = sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 1]]) / 2
THETA0 = [1, -1, 2]


def test_theorem_4_6_evaluates_v_x_against_the_explicit_minimiser():
    out = get("theorem-4.6").evaluate(Sigma=SIGMA, theta_0=THETA0, sigma2=R(1, 10))
    vx = next(v for k, v in out.items() if str(k) == "v_x^c")
    derived, stated = vx
    q = explicit_quadratic(value_spec(), d=3, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 10))
    u = q.limit_point()
    want = sp.Matrix(list(u[q.slices["vx"]]))
    assert sp.Matrix(derived) == want and sp.Matrix(stated) == want
    assert any(x != 0 for x in want)


def test_matrix_statement_evaluates_with_digits():
    out = get("theorem-4.6").evaluate(Sigma=SIGMA, theta_0=THETA0, sigma2=R(1, 10), digits=10)
    derived, _ = next(v for k, v in out.items() if str(k) == "v_x^c")
    assert np.allclose(np.array(derived.tolist(), dtype=float).ravel(), [1 / 7, -1 / 7, 2 / 7])
