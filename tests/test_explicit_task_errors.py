"""curves.explicit_task_errors (each task's rational function of n in QQ[n], read at each n and its
limit off the leading coefficients) against independent computations: the concrete engine's exact
E(V, Q, n; theta) at each n (Isserlis moments of the literal model, symbolic/concrete.py) and the
derived limit polynomial evaluated at the setting; explicit_errors is its one-task view; ns checked.

Breaks tried (each fails here): the limit read as 2 lim + 1, every numerator doubled, the opposite
task read at theta_0."""
import random

import pytest

import sympy as sp

from proofs.quantities.curves import explicit_errors, explicit_task_errors
from proofs.quantities.setting import setting as make


def _case(seed: int, d: int):
    rnd = random.Random(seed)
    R = lambda: sp.Rational(rnd.randint(-5, 5), rnd.randint(1, 4))  # noqa: E731
    A = sp.Matrix(d, d, lambda i, j: R())
    where = make(d, Sigma=A * A.T + sp.eye(d), theta0=[R() for _ in range(d)],
                 sigma2=sp.Rational(rnd.randint(1, 9), 10), n_ft=2)
    V = sp.Matrix(d + 2, d + 2, lambda i, j: R() if rnd.random() < 0.6 else 0)
    Q = sp.Matrix(d + 2, d + 2, lambda i, j: R() if rnd.random() < 0.6 else 0)
    return V, Q, where


def test_both_tasks_equal_the_concrete_engine_and_the_derived_limit():
    from proofs.quantities.curves import _explicit_env, _general_limit_poly, error_function
    from symbolic.concrete import concrete_error
    differ = 0
    for seed, d in ((1, 2), (3, 1)):
        V, Q, where = _case(seed, d)
        ns = [0, 2]
        got = explicit_task_errors(V, Q, where, ("target", "opposite"), ns)
        env = _explicit_env(V, Q, where)
        for t, sign in (("target", 1), ("opposite", -1)):
            theta = [sign * x for x in where.theta0]
            assert got[t][0] == [concrete_error(V, Q, n=n, theta=theta, Sigma=where.Sigma, sigma2=where.sigma2)
                                 for n in ns], (seed, t)
            env["theta"] = sign * env["theta_0"]
            assert got[t][1] == error_function(_general_limit_poly(), env), (seed, t)
            assert explicit_errors(V, Q, where, t, ns) == got[t]
        assert set(explicit_task_errors(V, Q, where, ("opposite",), ns)) == {"opposite"}
        differ += got["target"] != got["opposite"]
    assert differ >= 1     # theta_0 and -theta_0 told apart


@pytest.mark.parametrize("ns", [[2.5], [-1], ["x"], [True]])
def test_shots_are_integers_at_least_zero(ns):
    V, Q, where = _case(4, 1)
    with pytest.raises(ValueError, match="ns: expected integers >= 0"):
        explicit_task_errors(V, Q, where, ("target",), ns)


def test_bad_task():
    V, Q, where = _case(4, 2)
    try:
        explicit_task_errors(V, Q, where, ("angle",), [0])
    except ValueError as exc:
        assert "task" in str(exc)
    else:
        raise AssertionError("a bad task was accepted")
