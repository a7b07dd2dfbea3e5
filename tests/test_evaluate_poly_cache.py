"""symbolic.evaluation.evaluate_poly with a cache the caller keeps for several polynomials in one env."""
from __future__ import annotations

import random

import sympy as sp

from proofs.quantities import curves
from proofs.quantities.setting import setting
from symbolic.evaluation import evaluate_poly


def test_a_cache_shared_by_two_polynomials_in_one_env_gives_their_own_values():
    """evaluate_poly(..., cache=) for several polynomials in the same env (the matrices, traces and
    bilinear forms computed once for all): each value srepr-identical to the one without the cache,
    and the cache filled (the caller's dict is the one used)."""
    where = setting(2, Sigma=sp.Matrix([[2, 1], [1, 3]]), theta0=[1, -1], sigma2=sp.Rational(4, 9))
    rng = random.Random(2)
    entry = lambda: sp.Rational(rng.randint(-4, 4), rng.randint(1, 3))  # noqa: E731
    V, Q = sp.Matrix(4, 4, lambda i, j: entry()), sp.Matrix(4, 4, lambda i, j: entry())   # dense, non-symmetric
    env = curves._explicit_env(V, Q, where)
    env["theta"] = -env["theta_0"]
    polys = (curves._general_error_poly(), curves._general_limit_poly())
    shared: dict = {}
    got = [evaluate_poly(p, env, cache=shared) for p in polys]
    assert shared and [sp.srepr(g) for g in got] == [sp.srepr(evaluate_poly(p, env)) for p in polys]
