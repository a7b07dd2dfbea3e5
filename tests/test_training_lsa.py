"""The fast batched model and its analytic gradients (numeric.training.lsa)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.model import forward as reference_forward
from numeric.training import lsa


def _random_problem(rng, B, n, d, scale=1.0):
    X = rng.standard_normal((B, n + 1, d))
    Y = rng.standard_normal((B, n + 1))
    Y[:, -1] = 0.0
    target = rng.standard_normal(B)
    V = scale * rng.standard_normal((d + 2, d + 2))
    Q = scale * rng.standard_normal((d + 2, d + 2))
    return X, Y, target, V, Q


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 4), n=st.integers(0, 6), B=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_fast_forward_equals_reference(d, n, B, seed):
    rng = np.random.default_rng(seed)
    X, Y, _, V, Q = _random_problem(rng, B, n, d)
    Z = lsa.tokens(X, Y)
    ref = reference_forward(Z, V, Q)
    np.testing.assert_allclose(lsa.predict(V, Q, X, Y), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(lsa.forward(Z, V, Q), ref, rtol=1e-10, atol=1e-10)


def test_tokens_round_trip_and_layout():
    rng = np.random.default_rng(0)
    X, Y, _, _, _ = _random_problem(rng, 3, 4, 2)
    Z = lsa.tokens(X, Y)
    assert Z.shape == (3, 4, 5)
    assert np.all(Z[:, 0, :] == 1) and np.all(Z[:, -1, -1] == 0)
    X2, Y2 = lsa.split_tokens(Z)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(Y2, Y)
    bad = Z.copy()
    bad[0, -1, -1] = 1.0
    with pytest.raises(ValueError, match="query's label"):
        lsa.split_tokens(bad)


@pytest.mark.parametrize("d,n", [(1, 0), (2, 3), (3, 1), (4, 5)])
def test_gradients_match_finite_differences(d, n):
    rng = np.random.default_rng(10 * d + n)
    X, Y, target, V, Q = _random_problem(rng, 7, n, d, scale=0.7)
    loss, gV, gQ = lsa.loss_and_grad(V, Q, X, Y, target)
    h = 1e-6
    for M, g in ((V, gV), (Q, gQ)):
        num = np.zeros_like(M)
        for idx in np.ndindex(M.shape):
            old = M[idx]
            M[idx] = old + h
            lp = lsa.loss_and_grad(V, Q, X, Y, target, grad_V=False, grad_Q=False)[0]
            M[idx] = old - h
            lm = lsa.loss_and_grad(V, Q, X, Y, target, grad_V=False, grad_Q=False)[0]
            M[idx] = old
            num[idx] = (lp - lm) / (2 * h)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7)
    # only V's last row and Q's first d+1 columns reach the output
    assert np.all(gV[:-1] == 0)
    assert np.all(gQ[:, -1] == 0)
    ref = np.mean((reference_forward(lsa.tokens(X, Y), V, Q) - target) ** 2)
    assert loss == pytest.approx(ref, rel=1e-12)


def test_fast_gradients_equal_naive_matrix_calculus():
    rng = np.random.default_rng(3)
    X, Y, target, V, Q = _random_problem(rng, 50, 6, 3)
    l1, gV1, gQ1 = lsa.loss_and_grad(V, Q, X, Y, target)
    l2, gV2, gQ2 = lsa.naive_loss_and_grad(V, Q, lsa.tokens(X, Y), target)
    assert l1 == pytest.approx(l2, rel=1e-12)
    np.testing.assert_allclose(gV1, gV2, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gQ1, gQ2, rtol=1e-10, atol=1e-10)


def test_partial_gradients():
    rng = np.random.default_rng(4)
    X, Y, target, V, Q = _random_problem(rng, 5, 2, 2)
    full = lsa.loss_and_grad(V, Q, X, Y, target)
    onlyV = lsa.loss_and_grad(V, Q, X, Y, target, grad_Q=False)
    onlyQ = lsa.loss_and_grad(V, Q, X, Y, target, grad_V=False)
    assert onlyV[2] is None and onlyQ[1] is None
    np.testing.assert_array_equal(onlyV[1], full[1])
    np.testing.assert_array_equal(onlyQ[2], full[2])


def test_bad_parameter_shapes():
    rng = np.random.default_rng(5)
    X, Y, _, V, Q = _random_problem(rng, 2, 1, 2)
    with pytest.raises(ValueError, match=r"^V: expected a 4x4"):
        lsa.predict(V[:3, :3], Q, X, Y)
    with pytest.raises(ValueError, match=r"^Q: expected a 4x4"):
        lsa.predict(V, Q[:, :3], X, Y)
