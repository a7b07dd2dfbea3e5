r"""Full fine-tuning's gradient-descent path, numerically (its loss is not quadratic).

Strategy (b) trains V's last row and Q together on the zero-shot loss on theta_0; the
prediction ``f = (v^T a)(a^T Q a)`` (``a = (1, x)``, v and Q restricted to the first d+1
coordinates: the query's label slot is 0, so v_y and Q's last row never reach the zero-shot
loss and stay at their start) makes the loss quartic.  Its population value and gradient are
exact polynomials in the entries with the Gaussian moments of ``a`` as coefficients:

    E = sum v_i v_l Q_jk Q_mn M6[i,j,k,l,m,n] - 2 sum v_i Q_jk theta_p M4[i,j,k,p] + theta^T Sigma theta + sigma^2,

``M6 = E[a^{(x)6}]``, ``M4[i,j,k,p] = E[a_i a_j a_k x_p]``, each moment exact (Isserlis, the
concrete engine's :func:`symbolic.concrete.gaussian_moment`) and then float64.  Gradient descent
``u <- u - eta grad E(u)`` from the pretrained parameters (m = oo) is iterated step by step: a
*numeric* trajectory (float64), labelled so everywhere.  The few-shot columns along it are the
derived closed form ``E(V, Q, n; theta)`` with every block free, evaluated in float64.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["moments", "full_loss_and_grad", "full_trajectory", "general_error", "MAX_NUMERIC_D"]

#: d of a numeric (b) trajectory: the moment tensor has (d+1)^6 entries
MAX_NUMERIC_D = 8


@lru_cache(maxsize=8)
def moments(Sigma_key: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``M6`` and ``M4`` (module docstring) for ``Sigma`` given as a tuple of rows (exact numbers)."""
    from symbolic.concrete import gaussian_moment
    S = [list(r) for r in Sigma_key]
    d = len(S)
    memo: dict = {}

    def mom(idx: tuple) -> float:
        alpha = [0] * d
        for i in idx:
            if i > 0:
                alpha[i - 1] += 1
        key = tuple(alpha)
        if key not in memo:
            memo[key] = float(gaussian_moment(list(key), S))
        return memo[key]
    k = d + 1
    M6 = np.empty((k,) * 6)
    for idx in itertools.combinations_with_replacement(range(k), 6):
        v = mom(idx)
        for perm in set(itertools.permutations(idx)):
            M6[perm] = v
    M4 = np.empty((k, k, k, d))
    for idx in itertools.product(range(k), range(k), range(k), range(d)):
        M4[idx] = mom(idx[:3] + (idx[3] + 1,))
    return M6, M4


def full_loss_and_grad(v: np.ndarray, Q: np.ndarray, theta: np.ndarray, M6: np.ndarray, M4: np.ndarray,
                       const: float) -> tuple[float, np.ndarray, np.ndarray]:
    """The zero-shot population loss of (b) and its exact gradient in (v, Q) (first d+1 coordinates).

    ``M6`` is fully symmetric, so ``sum_mn Q_mn M6[..., m, n]`` depends on Q's symmetric part only:
    the contraction runs over the k(k+1)/2 pairs m <= n (off-diagonal ones twice) as one matrix
    product (:func:`_paired`), about 20 times faster at d = 8 than a tensordot over the full tensor."""
    k = len(v)
    P, rows, cols = _paired(M6)
    Qs = (Q + Q.T) / 2
    T = (P @ Qs[rows, cols]).reshape(k, k, k, k) @ v       # [i,j,k]  sum_lmn v_l Q_mn M6[i,j,k,l,m,n]
    B = M4 @ theta                                          # [i,j,k]  sum_p theta_p M4[i,j,k,p]
    vQ = T.reshape(k, k * k) @ Q.ravel()                    # [i]
    quartic = float(v @ vQ)
    lin = float(v @ (B.reshape(k, k * k) @ Q.ravel()))
    loss = quartic - 2 * lin + const
    gv = 2 * vQ - 2 * (B.reshape(k, k * k) @ Q.ravel())
    gQ = (2 * (v @ T.reshape(k, k * k)) - 2 * (v @ B.reshape(k, k * k))).reshape(k, k)
    return loss, gv, gQ


_PAIRED: dict = {}


def _paired(M6: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``M6`` as a (k^4, k(k+1)/2) matrix over the pairs m <= n of its last two indices, each
    off-diagonal pair weighted twice, and the pairs' (rows, cols); cached per tensor."""
    key = id(M6)
    if key not in _PAIRED or _PAIRED[key][0] is not M6:
        k = M6.shape[0]
        rows, cols = np.triu_indices(k)
        weight = np.where(rows == cols, 1.0, 2.0)
        P = np.ascontiguousarray(M6.reshape(k ** 4, k, k)[:, rows, cols] * weight)
        _PAIRED.clear()
        _PAIRED[key] = (M6, (P, rows, cols))
    return _PAIRED[key][1]


@lru_cache(maxsize=4)
def _limit_poly():
    from symbolic import THETA, N, expected_error
    from symbolic.strategy import limit_poly
    return expected_error(None, THETA, N), limit_poly(expected_error(None, THETA, N), N)


def general_error(V: np.ndarray, Q: np.ndarray, theta: np.ndarray, Sigma: np.ndarray, sigma2: float,
                  n: int | None) -> float:
    """``E(V, Q, n; theta)`` of explicit float matrices from the derived closed form with every
    block free (n None: the limit n -> oo), float64."""
    from symbolic.arithmetic import FLOAT64
    from symbolic.evaluation import numeric_env
    from symbolic.layout import cut, symbol_env
    values = {"Sigma": Sigma, "theta": theta.reshape(-1, 1), "sigma": np.sqrt(float(sigma2)),
              **symbol_env(cut(V, Q, Sigma.shape[0], FLOAT64))}
    finite, limit = _limit_poly()
    if n is not None:
        values["n"] = int(n)
    return float(numeric_env(values, FLOAT64).poly(limit if n is None else finite))


def full_trajectory(*, eta: float, steps: int, every: int, d: int, sigma2: Any, Sigma: Any = None,
                    theta0: Any = None, n: int | None = None, task: Any = None, bound_factor: float = 1e6):
    """Gradient descent of (b) from the pretrained parameters (m = oo), numerically: rows
    ``(step, {column: error})`` at steps 0, every, ..., steps; the end point; the step it
    diverged at (an error above ``bound_factor`` times the largest at step 0), or None."""
    from proofs.quantities.limits import MAX_NUMERIC_STEPS
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_NUMERIC_D:
        raise ValueError(f"d: expected 1 <= d <= {MAX_NUMERIC_D} for a numeric (b) trajectory, got {d!r}")
    if steps > MAX_NUMERIC_STEPS:
        raise ValueError(f"steps: expected at most {MAX_NUMERIC_STEPS} for a numeric trajectory, got {steps}")
    S_exact = sp.Matrix(Sigma) if Sigma is not None else sp.eye(d)
    S = np.array(S_exact.tolist(), dtype=float)
    th = np.zeros(d) if theta0 is None else np.asarray([float(x) for x in theta0], dtype=float)
    if theta0 is None:
        th[0] = 1.0
    s2 = float(sigma2)
    M6, M4 = moments(tuple(tuple(sp.nsimplify(x) for x in row) for row in S_exact.tolist()))
    const = float(th @ S @ th) + s2
    k = d + 1
    V = np.zeros((d + 2, d + 2))
    V[d + 1, d + 1] = 1.0
    Q = np.zeros((d + 2, d + 2))
    Q[1:k, 1:k] = np.linalg.inv(S)                          # the pretrained Q_hat at m = oo
    v, Qk = V[d + 1, :k].copy(), Q[:k, :k].copy()
    cols = {"zero_shot": (0, th), "few_shot_target": (n, th), "few_shot_opposite": (n, -th)}
    if task is not None:
        cols["task"] = (n, np.asarray([float(x) for x in task], dtype=float))

    def errors(v, Qk) -> dict:
        V[d + 1, :k], Q[:k, :k] = v, Qk
        out = {}
        for c, (nn, t) in cols.items():
            out[c] = (full_loss_and_grad(v, Qk, t, M6, M4, float(t @ S @ t) + s2)[0] if nn == 0
                      else general_error(V, Q, t, S, s2, nn))
        return out
    rows, diverged, bound = [], None, None
    recorded = set(range(0, steps + 1, every)) | {steps}
    for t in range(steps + 1):
        if t in recorded:
            e = errors(v, Qk)
            bound = bound or bound_factor * max(max(abs(x) for x in e.values()), 1.0)
            if not all(np.isfinite(list(e.values()))) or max(e.values()) > bound:
                diverged = t
                break
            rows.append((t, e))
        if t == steps:
            break
        loss, gv, gQ = full_loss_and_grad(v, Qk, th, M6, M4, const)
        if not np.isfinite(loss) or loss > (bound or 1e300):
            diverged = t
            break
        v, Qk = v - eta * gv, Qk - eta * gQ
    V[d + 1, :k], Q[:k, :k] = v, Qk
    return rows, (V.copy(), Q.copy()), diverged
