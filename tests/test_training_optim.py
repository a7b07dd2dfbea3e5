"""Optimisers, clipping and schedules (numeric.training.optimizers) on a convex quadratic."""
from __future__ import annotations

import math

import numpy as np
import pytest

from numeric.training.optimizers import SGD, Adam, clip_by_global_norm, learning_rate, make_optimizer


def _quadratic(seed=0, dim=6):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((dim, dim))
    A = A @ A.T / dim + 0.5 * np.eye(dim)          # SPD, condition number ~10
    b = rng.standard_normal(dim)
    return A, b, np.linalg.solve(A, b)


@pytest.mark.parametrize("make,lr,steps", [
    (lambda: SGD(momentum=0.9), 0.05, 600),
    (lambda: SGD(momentum=0.9, nesterov=True), 0.05, 600),
    (lambda: SGD(momentum=0.0), 0.3, 2000),
    (lambda: Adam(), 0.05, 3000),
])
def test_converges_on_convex_quadratic(make, lr, steps):
    A, b, xstar = _quadratic()
    x = np.zeros_like(b)
    opt = make()
    for t in range(steps):
        g = A @ x - b                                  # gradient of x^T A x / 2 - b^T x
        opt.step([x], [g], learning_rate(t, steps, lr, "cosine"))
    assert np.linalg.norm(x - xstar) < 1e-4 * max(1.0, np.linalg.norm(xstar))


def test_adam_leaves_zero_gradient_entries_and_keeps_antisymmetric_part():
    rng = np.random.default_rng(1)
    P = rng.standard_normal((3, 3))
    anti = P - P.T
    opt = Adam()
    for _ in range(50):
        G = rng.standard_normal((3, 3))
        G = G + G.T                                    # symmetric gradient
        G[:, 2] = 0.0
        G[2, :] = 0.0
        before = P.copy()
        opt.step([P], [G], 0.01)
        assert np.array_equal(P[:, 2], before[:, 2]) and np.array_equal(P[2, :], before[2, :])
    np.testing.assert_allclose(P - P.T, anti, atol=1e-14)


def test_clip_by_global_norm():
    g = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]
    assert clip_by_global_norm(g, None) == pytest.approx(5.0)
    assert clip_by_global_norm(g, 1.0) == pytest.approx(5.0)
    assert math.sqrt(sum(float((x ** 2).sum()) for x in g)) == pytest.approx(1.0)
    np.testing.assert_allclose(g[0], [0.6, 0.0])
    small = [np.array([0.1])]
    clip_by_global_norm(small, 1.0)
    assert small[0][0] == 0.1


def test_schedules():
    assert learning_rate(0, 100, 0.1, "constant") == 0.1
    assert learning_rate(99, 100, 0.1, "constant") == 0.1
    for s in ("linear", "cosine"):
        assert learning_rate(0, 100, 0.1, s) == pytest.approx(0.1)
        assert learning_rate(99, 100, 0.1, s) == pytest.approx(0.0, abs=1e-15)
        assert learning_rate(99, 100, 0.1, s, final=0.1) == pytest.approx(0.01)
    assert learning_rate(49.5, 100, 0.1, "cosine") == pytest.approx(0.05)
    assert learning_rate(0, 100, 0.1, "constant", warmup=10) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="^schedule: expected one of"):
        learning_rate(0, 10, 0.1, "exponential")


def test_make_optimizer_names():
    assert isinstance(make_optimizer("adam"), Adam)
    assert isinstance(make_optimizer("SGD", momentum=0.5), SGD)
    with pytest.raises(ValueError, match=r"^optimizer: expected one of sgd, adam, got 'rmsprop'"):
        make_optimizer("rmsprop")
    with pytest.raises(ValueError, match="^momentum"):
        SGD(momentum=1.0)
    with pytest.raises(ValueError, match="^beta2"):
        Adam(beta2=1.5)


def _textbook_adam(grads, lr, b1, b2, eps):
    """Kingma and Ba's Algorithm 1, literally: m_t, v_t, their bias-corrected hats, one parameter."""
    x, m, v, out = np.zeros_like(grads[0]), 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        x = x - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(x.copy())
    return out


def _textbook_sgd(grads, lr, mu, nesterov):
    """Heavy ball u_t = mu u_{t-1} + g_t, x -= lr u_t; Nesterov (PyTorch's form) x -= lr (g_t + mu u_t)."""
    x, u, out = np.zeros_like(grads[0]), 0.0, []
    for g in grads:
        u = mu * u + g
        x = x - lr * ((g + mu * u) if nesterov else u)
        out.append(x.copy())
    return out


@pytest.mark.parametrize("eps", [1e-8, 0.3])
def test_adam_steps_are_the_textbook_algorithm(eps):
    """Each of 8 steps equals Kingma and Ba's update written out (bias corrections of both moments,
    eps added to sqrt(vhat)); a large eps makes where eps enters visible. Exact to rounding."""
    grads = list(np.random.default_rng(11).standard_normal((8, 5)) * [1.0, 0.1, 10.0, 3.0, 0.5])
    opt, x = Adam(beta1=0.8, beta2=0.95, eps=eps), np.zeros(5)
    for g, want in zip(grads, _textbook_adam(grads, 0.05, 0.8, 0.95, eps)):
        opt.step([x], [g], 0.05)
        np.testing.assert_allclose(x, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_steps_are_the_textbook_momentum(nesterov):
    grads = list(np.random.default_rng(12).standard_normal((8, 4)))
    opt, x = SGD(momentum=0.7, nesterov=nesterov), np.zeros(4)
    for g, want in zip(grads, _textbook_sgd(grads, 0.1, 0.7, nesterov)):
        opt.step([x], [g], 0.1)
        np.testing.assert_allclose(x, want, rtol=1e-12, atol=1e-15)
