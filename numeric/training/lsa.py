"""The poster's linear self-attention model, batched, with analytic gradients.

The model is

    f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1} = v^T G Q q,

with ``v^T = V[-1, :]``, ``G = Z Z^T / (n + 1)`` and ``q = z_{n+1} = (1, x_{n+1}, 0)``
(docs/CONVENTIONS.md). Only ``v`` and the first ``d + 1`` columns of ``Q`` reach the
output, so the fast pass touches only those, while the trained parameters stay the
full ``(d+2) x (d+2)`` matrices ``V`` and ``Q`` (their other entries get zero gradient).

Fast layout (used by the trainer): a batch of ``B`` prompts with ``n`` shots is

- ``X``: shape ``(B, n+1, d)``, the inputs ``x_1 .. x_n, x_{n+1}`` (the last row is the query),
- ``Y``: shape ``(B, n+1)``, the labels ``y_1 .. y_n`` and ``0`` for the query,
- ``target``: shape ``(B,)``, the query's true label ``y_{n+1}``.

The constant row of the tokens is implicit. :func:`tokens` turns ``(X, Y)`` into the
conventional prompt ``Z`` of shape ``(B, d+2, n+1)``; :func:`forward` takes that ``Z``.

With ``a_i = z_i . v`` and ``c_i = z_i . (Q q)`` the prediction is ``f = mean_i a_i c_i``
and, for the loss ``L = mean_b (f_b - y_b)^2`` with ``r_b = 2 (f_b - y_b) / B``,

    dL/dv = sum_b r_b G_b Q q_b,        dL/dQ = sum_b r_b (G_b v) q_b^T,

both computed from ``a`` and ``c`` without forming ``G``: O(B (n+1) d) work per step.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "tokens",
    "split_tokens",
    "predict",
    "forward",
    "loss_and_grad",
    "naive_loss_and_grad",
]


def tokens(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Prompts ``Z`` of shape ``(B, d+2, n+1)`` with rows ``(1, x, y)`` from the fast layout."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    B, N, d = X.shape
    Z = np.empty((B, d + 2, N))
    Z[:, 0, :] = 1.0
    Z[:, 1:d + 1, :] = X.transpose(0, 2, 1)
    Z[:, d + 1, :] = Y
    return Z


def split_tokens(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`tokens`: ``(X, Y)`` from prompts ``Z`` of shape ``(..., d+2, n+1)``.

    The leading axes are flattened into one batch axis. The first row of ``Z`` must be ones
    and the query's label ``Z[..., -1, -1]`` zero (the poster's ``z_{n+1} = (1, x_{n+1}, 0)``).
    """
    Z = np.asarray(Z, dtype=float)
    if Z.ndim < 2 or Z.shape[-2] < 3 or Z.shape[-1] < 1:
        raise ValueError(f"Z: expected prompts of shape (..., d+2, n+1) with d >= 1, got shape {Z.shape}")
    D, N = Z.shape[-2:]
    Z = Z.reshape(-1, D, N)
    if not np.all(Z[:, 0, :] == 1.0):
        raise ValueError("Z: expected the first row (the constant token entry) to be all ones")
    if not np.all(Z[:, -1, -1] == 0.0):
        raise ValueError("Z: expected the query's label Z[..., -1, -1] to be 0")
    X = np.ascontiguousarray(Z[:, 1:D - 1, :].transpose(0, 2, 1))
    Y = np.ascontiguousarray(Z[:, D - 1, :])
    return X, Y


def _check_params(V: np.ndarray, Q: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    V = np.asarray(V, dtype=float)
    Q = np.asarray(Q, dtype=float)
    D = d + 2
    if V.shape != (D, D):
        raise ValueError(f"V: expected a {D}x{D} matrix (d = {d}), got shape {V.shape}")
    if Q.shape != (D, D):
        raise ValueError(f"Q: expected a {D}x{D} matrix (d = {d}), got shape {Q.shape}")
    return V, Q


def _query_transform(Q: np.ndarray, xq: np.ndarray) -> np.ndarray:
    """``w_b = Q q_b`` for queries ``q_b = (1, x_b, 0)``: shape ``(B, d+2)``."""
    d = xq.shape[1]
    w = np.einsum("bj,ij->bi", xq, Q[:, 1:d + 1])   # einsum, not BLAS: no thread contention
    w += Q[:, 0]
    return w


def _a_c(v: np.ndarray, w: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a_bi = z_bi . v`` and ``c_bi = z_bi . w_b`` in one pass over ``X``: shape ``(B, n+1, 2)``."""
    B, N, d = X.shape
    W = np.empty((B, d, 2))
    W[:, :, 0] = v[1:d + 1]
    W[:, :, 1] = w[:, 1:d + 1]
    AC = np.matmul(X, W)                          # (B, N, 2): one batched pass over the inputs
    a = AC[..., 0]
    c = AC[..., 1]
    a += v[0]
    a += v[d + 1] * Y
    c += w[:, :1]
    c += w[:, d + 1:] * Y
    return AC


def predict(V: np.ndarray, Q: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The prediction ``f = v^T G Q q`` for each prompt of the fast layout; shape ``(B,)``."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    V, Q = _check_params(V, Q, X.shape[-1])
    w = _query_transform(Q, X[:, -1, :])
    AC = _a_c(V[-1], w, X, Y)
    return np.einsum("bi,bi->b", AC[..., 0], AC[..., 1]) / X.shape[1]


def forward(Z: np.ndarray, V: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}`` for prompts ``Z`` of shape ``(..., d+2, n+1)``.

    Same value as the reference pass ``numeric.model.forward``; returns shape ``Z.shape[:-2]``.
    """
    Z = np.asarray(Z, dtype=float)
    lead = Z.shape[:-2]
    X, Y = split_tokens(Z)
    return predict(V, Q, X, Y).reshape(lead)


def loss_and_grad(V: np.ndarray, Q: np.ndarray, X: np.ndarray, Y: np.ndarray, target: np.ndarray,
                  *, grad_V: bool = True, grad_Q: bool = True,
                  ) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Empirical loss ``L = mean_b (f_b - y_b)^2`` and its gradients with respect to ``V`` and ``Q``.

    Returns ``(L, dL/dV, dL/dQ)``; a gradient not asked for is ``None``. ``dL/dV`` is zero
    outside the last row and ``dL/dQ`` zero in the last column, since those entries never
    reach the output.
    """
    B, N, d = X.shape
    D = d + 2
    v = V[-1]
    xq = X[:, -1, :]
    w = _query_transform(Q, xq)
    AC = _a_c(v, w, X, Y)
    a = AC[..., 0]
    c = AC[..., 1]
    f = np.einsum("bi,bi->b", a, c)
    f /= N
    res = f - target
    loss = float(res @ res) / B
    r = res * (2.0 / (B * N))                 # includes the 1/(n+1) of G
    gV = gQ = None
    if not (grad_V or grad_Q):
        return loss, gV, gQ
    ST = np.empty((B, 2, N))
    ST[:, 0, :] = c
    ST[:, 1, :] = a
    ST *= r[:, None, None]                    # s_bi = r_b c_bi / N, t_bi = r_b a_bi / N
    P = np.matmul(ST, X)                      # (B, 2, d): sum_i s_bi x_bi and sum_i t_bi x_bi
    s = ST[:, 0, :]
    t = ST[:, 1, :]
    if grad_V:                                # dL/dv = sum_b r_b G_b Q q_b = sum_{b,i} s_bi z_bi
        gV = np.zeros((D, D))
        gV[-1, 0] = s.sum()
        gV[-1, 1:d + 1] = P[:, 0, :].sum(axis=0)
        gV[-1, d + 1] = np.einsum("bi,bi->", s, Y)
    if grad_Q:                                # dL/dQ = sum_b p_b q_b^T with p_b = r_b G_b v = sum_i t_bi z_bi
        p = np.empty((B, D))
        p[:, 0] = t.sum(axis=1)
        p[:, 1:d + 1] = P[:, 1, :]
        p[:, d + 1] = np.einsum("bi,bi->b", t, Y)
        gQ = np.zeros((D, D))
        gQ[:, 0] = p.sum(axis=0)
        gQ[:, 1:d + 1] = np.einsum("bi,bj->ij", p, xq)
    return loss, gV, gQ


def naive_loss_and_grad(V: np.ndarray, Q: np.ndarray, Z: np.ndarray, target: np.ndarray,
                        forward_pass=None) -> tuple[float, np.ndarray, np.ndarray]:
    """The straightforward loss and gradient, with full matrix products (reference for tests and bench).

    ``forward_pass(Z, V, Q)`` (default: ``numeric.model.forward`` when available, else the
    poster's formula spelled out) gives ``f``; the gradients are the matrix-calculus ones
    ``dL/dV = sum_b r_b e_last (Z Z^T Q Z e_last)^T / ncol`` and
    ``dL/dQ = sum_b r_b Z Z^T V^T e_last e_last^T Z^T / ncol``.
    """
    Z = np.asarray(Z, dtype=float)
    B, D, N = Z.shape
    if forward_pass is None:
        forward_pass = _reference_forward()
    f = np.asarray(forward_pass(Z, V, Q), dtype=float).reshape(B)
    res = f - target
    loss = float(res @ res) / B
    r = 2.0 * res / B
    ZZt = Z @ Z.transpose(0, 2, 1)                                  # (B, D, D)
    zq = Z[:, :, -1]                                                # (B, D)
    left = np.einsum("bij,jk,bk->bi", ZZt, Q, zq) / N               # Z Z^T Q z_q / N
    gV = np.zeros((D, D))
    gV[-1] = r @ left
    right = np.einsum("bij,j->bi", ZZt, V[-1]) / N                  # Z Z^T v / N
    gQ = np.einsum("b,bi,bk->ik", r, right, zq)
    return loss, gV, gQ


def _poster_forward(Z: np.ndarray, V: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The poster's formula, literally: ``[Z + V Z Z^T Q Z / ncol]_{-1,-1}``."""
    N = Z.shape[-1]
    out = Z + V @ Z @ np.swapaxes(Z, -1, -2) @ Q @ Z / N
    return out[..., -1, -1]


def _reference_forward():
    try:
        from numeric.model import forward as ref  # written by another engineer
    except ImportError:
        return _poster_forward
    return ref
