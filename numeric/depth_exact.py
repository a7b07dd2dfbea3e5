r"""The two errors of any L layers that need no sampling: n = 0 by quadrature (and its gradient), n -> oo.

At n = 0 the prompt is the query alone, z = (1, x, 0) with x ~ N(0, Sigma), and each layer of
:mod:`numeric.depth` acts on one column:

    z^{(l)} = z^{(l-1)} + V_l z^{(l-1)} s_l,        s_l = z^{(l-1)T} Q_l z^{(l-1)},

so the prediction f_L(x) = [z^{(L)}]_{-1} is a polynomial of degree 3^L in x, and

    E_L(layers, 0; theta) = sigma^2 + E_x[(f_L(x) - theta^T x)^2]

is the mean of a polynomial of degree 2 * 3^L in d Gaussian variables. A tensor Gauss-Hermite rule
with p nodes per coordinate (x = C u, C C^T = Sigma, u ~ N(0, I)) integrates every polynomial of
degree <= 2p - 1 in u exactly, so p = 3^L + 1 nodes per coordinate give the error *exactly*, up to
float64 rounding (no sampling): 10^d nodes at L = 2, 28^d at L = 3.

The gradient (reverse mode through the layers, with g = d loss / d z^{(l)}, u_l = V_l z^{(l-1)}):

    d/dV_l = E[s_l g z^{(l-1)T}],     d/dQ_l = E[(g^T u_l) z^{(l-1)} z^{(l-1)T}],
    g^{(l-1)} = g + s_l V_l^T g + (g^T u_l)(Q_l + Q_l^T) z^{(l-1)},     g^{(L)} = 2 (f_L - theta^T x) e_y.

The n -> oo limit (:func:`limit_error_depth`), by the law of large numbers: the Gram matrix
Z Z^T / ncol(Z) tends to its mean over context tokens, so every column moves by the same matrix,
z^{(l)} = A_l z^{(l-1)}, A_l = I + V_l M_{l-1} Q_l, with M_0 = E[z z^T] for a context token
z = (1, x, y) and M_l = A_l M_{l-1} A_l^T; with a^T the last row of A_L ... A_1,

    lim_{n -> oo} E_L(layers, n; theta) = a_0^2 + (a_x - theta)^T Sigma (a_x - theta) + sigma^2.

Checked in ``tests/test_depth_exact.py`` against the exact engines of :mod:`symbolic.concrete_depth`
(Isserlis moments at n = 0; its exact law of large numbers) and finite differences.

Public API: :func:`zero_shot_nodes`, :func:`zero_shot_error_depth`, :func:`zero_shot_gradient_depth`,
:func:`limit_error_depth`, :class:`ZeroShotLoss` (one setting, many layers), ``MAX_NODES``.
"""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from .depth import check_layers
from .validation import check_covariance, check_sigma2, check_vector

__all__ = ["ZeroShotLoss", "zero_shot_nodes", "zero_shot_error_depth", "zero_shot_gradient_depth", "limit_error_depth",
           "MAX_NODES", "MAX_RULE_LAYERS"]

#: the most quadrature nodes a call may use (p^d with p = 3^L + 1): a guard on memory and time
MAX_NODES = 200_000
#: the most layers the rule serves: 3^5 + 1 = 244 nodes a coordinate (numpy's hermegauss overflows its weights
#: to NaN at 3^6 + 1 = 730 nodes, and asks 234 GiB at L = 11)
MAX_RULE_LAYERS = 5


def zero_shot_nodes(Sigma: Any, layers: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes X (N x d) and weights w (N, summing to 1) of the tensor Gauss-Hermite rule for x ~ N(0, Sigma)
    that is exact for polynomials of degree 2 * 3^layers (the squared error of ``layers`` layers).
    ValueError when p^d would exceed :data:`MAX_NODES`."""
    S = check_covariance(Sigma, "Sigma")
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers < 1:
        raise ValueError(f"layers: expected an integer >= 1, got {layers!r}")
    d = S.shape[0]
    if layers > MAX_RULE_LAYERS:   # before 3^L is formed (L = 10^100 would never finish; L = 11 asks 234 GiB)
        raise ValueError(f"layers: the exact zero-shot rule has 3^L + 1 Gauss-Hermite nodes a coordinate (numpy's "
                         f"rule loses its weights to overflow beyond 244); expected L <= {MAX_RULE_LAYERS}, "
                         f"got {layers}")
    p = 3 ** int(layers) + 1
    if p ** d > MAX_NODES:
        raise ValueError(f"Sigma: the exact zero-shot rule at L = {layers} needs {p}^{d} nodes, more than "
                         f"{MAX_NODES}; expected d <= {int(np.log(MAX_NODES) / np.log(p))} at this depth")
    t, w = hermegauss(p)
    w = w / w.sum()
    U = np.array(list(itertools.product(t, repeat=d)))
    W = np.prod(np.array(list(itertools.product(w, repeat=d))), axis=1)
    return U @ np.linalg.cholesky(S).T, W


def _pass(layers: list, X: np.ndarray, W: np.ndarray, theta: np.ndarray, grad: bool):
    N, d = X.shape
    z = np.concatenate([np.ones((N, 1)), X, np.zeros((N, 1))], axis=1)
    tape = []
    for V, Q in layers:
        s = np.einsum("ni,ij,nj->n", z, Q, z)
        u = z @ V.T
        tape.append((z, s, u))
        z = z + u * s[:, None]
    r = z[:, -1] - X @ theta
    mse = float(W @ r ** 2)
    if not grad:
        return mse, None
    g = np.zeros_like(z)
    g[:, -1] = 2.0 * W * r
    out = []
    for (V, Q), (z, s, u) in zip(reversed(layers), reversed(tape)):
        gu = np.einsum("ni,ni->n", g, u)
        out.append(((g * s[:, None]).T @ z, (z * gu[:, None]).T @ z))
        g = g + (g @ V) * s[:, None] + gu[:, None] * (z @ (Q + Q.T))
    return mse, out[::-1]


def _checked(layers: Any, theta: Any, Sigma: Any, sigma2: Any):
    S = check_covariance(Sigma, "Sigma")
    d = S.shape[0]
    lays = check_layers(layers, d)
    th = check_vector(theta, "theta", d)
    s2 = check_sigma2(sigma2)
    X, W = zero_shot_nodes(S, len(lays))
    return lays, th, s2, X, W


class ZeroShotLoss:
    """E_L(., 0; theta) and its gradient for many layers at one (theta, Sigma, sigma2, L): the arguments
    checked and the nodes built once; a call takes float64 layers [(V_l, Q_l)] of that L and d as they
    are (the caller's, e.g. a descent's own iterates) and returns (error, [(dE/dV_l, dE/dQ_l)])."""

    def __init__(self, *, theta: Any, Sigma: Any, sigma2: Any, layers: int) -> None:
        S = check_covariance(Sigma, "Sigma")
        self.d = S.shape[0]
        self.theta = check_vector(theta, "theta", self.d)
        self.sigma2 = check_sigma2(sigma2)
        self.X, self.W = zero_shot_nodes(S, layers)
        self.L = int(layers)

    def __call__(self, layers: list) -> tuple[float, list]:
        if isinstance(layers, (str, bytes)) or len(layers) != self.L:
            raise ValueError(f"layers: expected a list of {self.L} layers (V_l, Q_l), got {type(layers).__name__} "
                             f"of length {len(layers)}")
        k = self.d + 2
        for i, lay in enumerate(layers):   # the shapes only (microseconds): a wrong d said, not a broadcast error
            if not (isinstance(lay, (tuple, list)) and len(lay) == 2 and all(getattr(M, "shape", None) == (k, k)
                                                                              for M in lay)):
                raise ValueError(f"layers[{i}]: expected a pair (V, Q) of {k}x{k} float64 arrays (d = {self.d}); "
                                 "numeric.depth.check_layers reads other forms")
        mse, grads = _pass(layers, self.X, self.W, self.theta, True)
        return self.sigma2 + mse, grads


def zero_shot_error_depth(layers: Any, *, theta: Any, Sigma: Any, sigma2: Any) -> float:
    """E_L(layers, 0; theta), exact up to float64 rounding (module docstring). ValueError naming the
    argument for bad layers, theta, Sigma, sigma2, or too many nodes."""
    lays, th, s2, X, W = _checked(layers, theta, Sigma, sigma2)
    return s2 + _pass(lays, X, W, th, False)[0]


def zero_shot_gradient_depth(layers: Any, *, theta: Any, Sigma: Any, sigma2: Any) -> tuple[float, list]:
    """(E_L(layers, 0; theta), [(dE/dV_1, dE/dQ_1), ...]): the error and its gradient in every entry of
    every V_l and Q_l (module docstring)."""
    lays, th, s2, X, W = _checked(layers, theta, Sigma, sigma2)
    mse, grads = _pass(lays, X, W, th, True)
    return s2 + mse, grads


def limit_error_depth(layers: Any, *, theta: Any, Sigma: Any, sigma2: Any) -> float:
    """lim_{n -> oo} E_L(layers, n; theta) in float64, by the law of large numbers (module docstring)."""
    S = check_covariance(Sigma, "Sigma")
    d = S.shape[0]
    lays = check_layers(layers, d)
    th = check_vector(theta, "theta", d)
    s2 = check_sigma2(sigma2)
    M = np.zeros((d + 2, d + 2))
    M[0, 0] = 1.0
    M[1:d + 1, 1:d + 1] = S
    M[1:d + 1, -1] = M[-1, 1:d + 1] = S @ th
    M[-1, -1] = th @ S @ th + s2
    A = np.eye(d + 2)
    for V, Q in lays:
        step = np.eye(d + 2) + V @ M @ Q
        M = step @ M @ step.T
        A = step @ A
    a = A[-1]
    r = a[1:d + 1] - th
    return float(a[0] ** 2 + r @ S @ r + s2)
