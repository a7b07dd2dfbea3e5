"""Parameters at a concrete d, and exact curves that equal the independent concrete engine.

``curve`` evaluates the derived closed form; :func:`symbolic.concrete.concrete_error` expands the
poster's model literally at explicit d and takes the expectation monomial by monomial.  They
must agree exactly (``==`` on rationals) at finite n, finite m, finite n_ft and non-identity Sigma.
"""
from __future__ import annotations

import pytest
import sympy as sp

from proofs import api
from symbolic.concrete import concrete_error

R = sp.Rational
SIGMA = sp.Matrix([[2, 1], [1, 1]])
THETA0 = sp.Matrix([1, -2])
SIGMA2 = R(1, 4)


def test_params_concrete_value_fewshot_d3():
    p = api.params("value-fewshot", d=3)
    V, Q = p.V, p.Q
    assert V.shape == Q.shape == (5, 5)
    assert list(V[4, :]) == [0, R(1, 7), 0, 0, R(6, 7)]          # (0, theta0/(d+4), (d+3)/(d+4))
    assert V[:4, :] == sp.zeros(4, 5)
    assert Q[1:4, 1:4] == sp.eye(3) and Q[0, :] == sp.zeros(1, 5) and Q[4, :] == sp.zeros(1, 5)


def test_params_full_scale_and_sigma():
    p = api.params("full", d=2, scale=R(2), Sigma=SIGMA, theta0=THETA0)
    assert list(p.V[3, :]) == [0, 2, -4, 1]
    assert p.Q[0, 0] == R(1, 2) and p.Q[1:, :] == sp.zeros(3, 4)
    assert p.free and p.convention


def test_params_pretrain_finite_m_is_the_resolvent():
    p = api.params("pretrain", d=2, m=3, sigma2=SIGMA2, Sigma=SIGMA)
    c = (SIGMA2 + SIGMA.trace()) / 4
    assert p.Q[1:3, 1:3] == (SIGMA + c * sp.eye(2)).inv()


def test_params_symbolic_layout():
    from symbolic import DIM
    p = api.params("value")
    assert isinstance(p.V, sp.BlockMatrix) and p.V.shape == (DIM + 2, DIM + 2)
    assert "v_y" in " ".join(p.free)


CASES = [("pretrain", "target"), ("full", "opposite"), ("value", "target"), ("value", "opposite"),
         ("value-fewshot", "opposite")]


@pytest.mark.parametrize("strategy,task", CASES)
def test_curve_equals_concrete_engine(strategy, task):
    kw = dict(d=2, sigma2=SIGMA2, m=5, n_ft=2, scale=R(3, 2), Sigma=SIGMA, theta0=THETA0)
    ns = [0, 1, 2]
    c = api.curve(strategy, task, ns, **kw)
    p = api.params(strategy, **kw)
    theta = THETA0 if task == "target" else -THETA0
    for k, got in zip(ns, c.exact):
        want = concrete_error(p.V, p.Q, n=k, theta=theta, Sigma=SIGMA, sigma2=SIGMA2)
        assert got == want, (strategy, task, k, got, want)
    assert c.error == [float(e) for e in c.exact]


def test_curve_limit_is_the_derived_limit():
    from proofs.quantities.derivations import few_shot_limit
    from symbolic.evaluation import evaluate
    c = api.curve("value-fewshot", "opposite", [0], d=2, sigma2=SIGMA2, m=None, n_ft=None, Sigma=SIGMA, theta0=THETA0)
    want = evaluate(few_shot_limit("value-fewshot", "opposite"),
                    {"Sigma": SIGMA, "theta_0": THETA0, "sigma": sp.sqrt(SIGMA2)})
    assert c.exact_limit == want and c.limit == float(want)


def test_curve_large_n_approaches_the_limit():
    c = api.curve("value", "target", [10 ** 6], d=3, sigma2=0.1, m=None, n_ft=None)
    assert abs(c.error[0] - c.limit) < 1e-4


def test_exact_error_equals_concrete_engine_for_arbitrary_parameters():
    V = sp.Matrix(4, 4, lambda i, j: R((3 * i + j) % 5 - 2, 3))
    Q = sp.Matrix(4, 4, lambda i, j: R((i + 2 * j) % 4 - 1, 2))
    theta = sp.Matrix([R(1, 2), -1])
    for n in (0, 1):
        assert api.exact_error(V, Q, theta, SIGMA, SIGMA2, n) == concrete_error(
            V, Q, n=n, theta=theta, Sigma=SIGMA, sigma2=SIGMA2)


@pytest.mark.parametrize("call,name", [
    (lambda: api.curve("value", "sideways", [0], d=2, sigma2=0.1, m=None, n_ft=None), "task"),
    (lambda: api.curve("value", "target", [-1], d=2, sigma2=0.1, m=None, n_ft=None), "n"),
    (lambda: api.curve("value", "target", [0], d=2, sigma2=-0.1, m=None, n_ft=None), "sigma2"),
    (lambda: api.curve("value", "target", [0], d=2, sigma2=0.1, m=-3, n_ft=None), "m"),
    (lambda: api.curve("nope", "target", [0], d=2, sigma2=0.1, m=None, n_ft=None), "strategy"),
    (lambda: api.params("value", d=0), "d"),
    (lambda: api.params("value", d=2, Sigma=[[1, 2], [2, 1]]), "Sigma"),
    (lambda: api.params("full", d=2, scale=0), "scale"),
    (lambda: api.exact_error(sp.eye(3), sp.eye(4), [1, 0], sp.eye(2), 0, 1), "V"),
    (lambda: api.exact_error(sp.eye(4), sp.eye(4), [1, 0], sp.eye(2), 0, -1), "n"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        call()
