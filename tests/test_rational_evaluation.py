"""symbolic/rational_evaluation.py against the SymPy route: at exact settings, the error of explicit
V, Q (the closed form with every block symbolic, as explicit_errors evaluates it) is the same
rational function of n, and in ``sympy.cancel``'s normal form the same expression term for term;
the n -> oo limit the same number; a setting with an irrational entry is left to SymPy."""
from __future__ import annotations

import pytest
import sympy as sp

from proofs.quantities import curves
from proofs.quantities.setting import setting
from symbolic import N
from symbolic.evaluation import evaluate_poly
from symbolic.ratfun import cancelled
from symbolic.rational_evaluation import rational_value, value_expression


def _sympy_route(p, env):
    total = evaluate_poly(p, env)
    return cancelled(total) if total.has(N) else total


def _V_Q(d: int, seed: int) -> tuple[sp.Matrix, sp.Matrix]:
    import random
    rng = random.Random(seed)
    entry = lambda: sp.Rational(rng.randint(-4, 4), rng.randint(1, 3))  # noqa: E731
    return sp.Matrix(d + 2, d + 2, lambda i, j: entry()), sp.Matrix(d + 2, d + 2, lambda i, j: entry())


@pytest.mark.parametrize("sigma2", [sp.Rational(1, 2), sp.Rational(4, 9)])   # sigma irrational, rational
def test_same_expression_as_the_sympy_route(sigma2):
    where = setting(2, Sigma=sp.Matrix([[2, 1], [1, 3]]), theta0=[1, -1], sigma2=sigma2)
    p, lim = curves._general_error_poly(), curves._general_limit_poly()
    V, Q = _V_Q(2, 1)   # dense, non-symmetric blocks
    env = curves._explicit_env(V, Q, where)
    for task in (env["theta_0"], -env["theta_0"]):
        env["theta"] = task
        for poly in (p, lim):
            fast = rational_value(poly, env, N)
            assert fast is not None
            got, want = value_expression(*fast), _sympy_route(poly, env)
            assert got == want and sp.srepr(got) == sp.srepr(want)
            assert curves.error_function(poly, env) == want


def test_an_irrational_setting_is_left_to_sympy():
    where = setting(2, Sigma=sp.Matrix([[2, 1], [1, 3]]), theta0=[1, -1], sigma2=sp.Rational(1, 2))
    V, Q = _V_Q(2, 3)
    env = curves._explicit_env(V, Q, where)
    env["theta"] = sp.Matrix([sp.sqrt(2), 1])
    assert rational_value(curves._general_error_poly(), env, N) is None   # error_function: the SymPy route


@pytest.mark.parametrize("seed", [1, 4])
def test_explicit_errors_read_off_the_unreduced_polynomial(seed):
    """explicit_errors at a rational setting reads the value off the unreduced closed form and its
    limit off the value's leading coefficients: the same expressions as the reduced closed form
    and the derived limit polynomial give by the SymPy route (limit derived, not read off)."""
    where = setting(2, Sigma=sp.Matrix([[2, 1], [1, 3]]), theta0=[1, -1], sigma2=sp.Rational(1, 2))
    V, Q = _V_Q(2, seed)
    env = curves._explicit_env(V, Q, where)
    env["theta"] = -env["theta_0"]
    vals, lim = curves.explicit_errors(V, Q, where, "opposite", [0, 3])
    formula = _sympy_route(curves._general_error_poly(), env)
    want = [cancelled(formula.subs(N, k)) for k in (0, 3)]
    assert vals == want and lim == _sympy_route(curves._general_limit_poly(), env)
    assert sp.srepr(lim) == sp.srepr(_sympy_route(curves._general_limit_poly(), env))
