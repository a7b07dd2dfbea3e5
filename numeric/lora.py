r"""LoRA on a quadratic loss: gradient descent on the factors of a low-rank update, and BFGS.

The loss of one block X = X_0 + Delta (rows x cols) is a quadratic

    L(Delta) = L_0 + vec(Delta)^T A vec(Delta) - 2 g^T vec(Delta)            (row-major vec)

given as a dense ``A`` or, when the Hessian is a Kronecker product ``A = H (x) S``, as
``L_0 + tr(Delta S Delta^T H) - 2 tr(Delta^T G)`` (:class:`BlockQuadratic`; the symbolic layer
builds either: ``symbolic.lowrank_concrete.kronecker_quadratic`` or an explicit quadratic).
LoRA writes ``Delta = B A`` (B: rows x r, A: r x cols) and runs gradient descent on (B, A):

    grad_B = dL/dDelta A^T,   grad_A = B^T dL/dDelta,     dL/dDelta = 2 (H Delta S - G),
    B <- B - eta grad_B,      A <- A - eta grad_A          (simultaneous)

from LoRA's start: **B = 0** and **A random**, entries i.i.d. N(0, init_scale^2) with
``init_scale = 1/sqrt(cols)`` by default (Kaiming-like: fan-in = cols, the number of inputs of
the map Delta; PEFT's default, kaiming-uniform with a = sqrt(5), has standard deviation
1/sqrt(3 cols): pass ``init_scale`` to match it).  LoRA's scale alpha/r multiplies Delta; with
plain gradient descent from B = 0 it is a change of step size and of A's scale, so it is left
out.  At B = 0 the gradient on A vanishes and the gradient on B is ``dL/dDelta(0) A^T``:
the first steps move B only, then both.

Two facts the tests check (and :mod:`symbolic.lowrank` uses): ``|A|_F^2 - |B|_F^2`` is
conserved by gradient *flow* (by descent up to O(eta^2) per step), and when H and S commute
with a subspace's projector, the row space of A's component there never leaves the span
of its start (its gradient is ``B^T (...)`` with B's columns built from A's rows).

:func:`bfgs_factors`: BFGS over the factors (exact gradients, Armijo backtracking) from several
random starts, the reference against which the symbolic rank-r optimum is checked.
numpy only (``numeric`` never imports ``symbolic``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Any

import numpy as np

__all__ = ["BlockQuadratic", "LoraPath", "lora_descent", "lora_start", "bfgs_factors", "FactorRuns",
           "suggested_step"]


@dataclass(frozen=True)
class BlockQuadratic:
    """A quadratic in a block's update Delta (rows x cols): Kronecker (``H``, ``S``, ``G``) or dense
    (``A`` of size (rows cols)^2, ``g``); ``L0`` its value at Delta = 0."""

    shape: tuple[int, int]
    L0: float
    H: np.ndarray | None = None
    S: np.ndarray | None = None
    G: np.ndarray | None = None
    A: np.ndarray | None = None
    g: np.ndarray | None = None

    @staticmethod
    def kronecker(H: Any, S: Any, G: Any, L0: Any = 0.0) -> "BlockQuadratic":
        """``L0 + tr(Delta S Delta^T H) - 2 tr(Delta^T G)``; H, S symmetric."""
        H, S, G = (np.asarray(x, dtype=float) for x in (H, S, G))
        if H.ndim != 2 or H.shape[0] != H.shape[1] or S.ndim != 2 or S.shape[0] != S.shape[1]:
            raise ValueError(f"H, S: expected square matrices, got shapes {H.shape}, {S.shape}")
        if G.shape != (H.shape[0], S.shape[0]):
            raise ValueError(f"G: expected shape {(H.shape[0], S.shape[0])} (rows x cols), got {G.shape}")
        for name, M in (("H", H), ("S", S), ("G", G)):
            if not np.all(np.isfinite(M)):
                raise ValueError(f"{name}: expected finite entries")
        return BlockQuadratic(G.shape, float(L0), H=(H + H.T) / 2, S=(S + S.T) / 2, G=G)

    @staticmethod
    def dense(A: Any, g: Any, shape: tuple[int, int], L0: Any = 0.0) -> "BlockQuadratic":
        """``L0 + vec(Delta)^T A vec(Delta) - 2 g^T vec(Delta)`` (row-major vec)."""
        A, g = np.asarray(A, dtype=float), np.asarray(g, dtype=float).reshape(-1)
        p = shape[0] * shape[1]
        if A.shape != (p, p) or g.shape != (p,):
            raise ValueError(f"A, g: expected shapes {(p, p)} and {(p,)} for a {shape[0]} x {shape[1]} block")
        return BlockQuadratic(tuple(shape), float(L0), A=(A + A.T) / 2, g=g)

    def value(self, D: np.ndarray) -> float:
        if self.H is not None:
            return self.L0 + float(np.sum((self.H @ D @ self.S) * D)) - 2 * float(np.sum(self.G * D))
        v = D.reshape(-1)
        return self.L0 + float(v @ self.A @ v) - 2 * float(self.g @ v)

    def grad(self, D: np.ndarray) -> np.ndarray:
        """``dL/dDelta``."""
        if self.H is not None:
            return 2 * (self.H @ D @ self.S - self.G)
        return (2 * (self.A @ D.reshape(-1) - self.g)).reshape(self.shape)

    def value_grad(self, D: np.ndarray) -> tuple[float, np.ndarray]:
        """``(value(D), grad(D))`` with the Kronecker product ``H D S`` formed once (the same
        floating-point operations as the two calls, so the same numbers; ``ndarray.dot``, the same BLAS
        product as ``@`` without matmul's dispatch, which costs more than a small product)."""
        if self.H is None:
            return self.value(D), self.grad(D)
        HDS = self.H.dot(D).dot(self.S)
        return (self.L0 + float((HDS * D).sum()) - 2 * float((self.G * D).sum()),
                2 * (HDS - self.G))

    def curvature(self) -> float:
        """The largest eigenvalue of the Hessian in Delta, ``2 lambda_max(H) lambda_max(S)`` (or of 2A)."""
        if self.H is not None:
            return 2 * float(np.linalg.eigvalsh(self.H)[-1] * np.linalg.eigvalsh(self.S)[-1])
        return 2 * float(np.linalg.eigvalsh(self.A)[-1])


def lora_start(shape: tuple[int, int], rank: int, seed: Any = 0, init_scale: float | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """LoRA's start: ``B = 0`` (rows x r) and ``A`` (r x cols) with i.i.d. N(0, init_scale^2)
    entries, ``init_scale = 1/sqrt(cols)`` by default."""
    rows, cols = shape
    rank = _check_rank(rank, shape)
    scale = 1.0 / np.sqrt(cols) if init_scale is None else float(init_scale)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"init_scale: expected a positive finite number, got {init_scale!r}")
    rng = np.random.default_rng(seed)
    return np.zeros((rows, rank)), rng.normal(0.0, scale, size=(rank, cols))


def _check_rank(rank: Any, shape: tuple[int, int]) -> int:
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= min(shape):
        raise ValueError(f"rank: expected an integer 1 <= rank <= {min(shape)} (the block is {shape[0]} x "
                         f"{shape[1]}), got {rank!r}")
    return int(rank)


def suggested_step(q: BlockQuadratic, A0: np.ndarray, Delta_star_norm: float = 1.0) -> float:
    """A stable step size for gradient descent on the factors: ``0.5 / (c (|A0|_2^2 + |Delta*|_2 + 1))``
    with c the curvature in Delta (the factors' Hessian is about c times the squared scale of the
    other factor, which grows from |A0| towards |Delta*|^(1/2))."""
    a = float(np.linalg.norm(A0, 2)) ** 2 if A0.size else 0.0
    return 0.5 / (q.curvature() * (a + float(Delta_star_norm) + 1.0))


@dataclass
class LoraPath:
    """Gradient descent on LoRA's factors: the recorded steps, the loss there, the final factors.

    ``deltas[k]`` is ``B A`` at ``steps[k]``; ``balance[k] = |A|_F^2 - |B|_F^2`` (conserved by
    gradient flow); ``converged``: the gradient norm fell below ``tol``."""

    steps: np.ndarray
    loss: np.ndarray
    deltas: list[np.ndarray]
    B: np.ndarray
    A: np.ndarray
    balance: np.ndarray
    converged: bool
    lr: float
    A0: np.ndarray = field(repr=False, default=None)

    @property
    def Delta(self) -> np.ndarray:
        return self.B @ self.A


def lora_descent(q: BlockQuadratic, rank: int, *, lr: float | None = None, steps: int = 10_000,
                 seed: Any = 0, init_scale: float | None = None, A0: Any = None, B0: Any = None,
                 every: int = 1, tol: float = 1e-12) -> LoraPath:
    """Gradient descent on (B, A) for ``L(B A)`` from LoRA's start (module docstring).

    ``A0`` (and, to break LoRA's convention on purpose, ``B0``) override the random start;
    ``lr`` defaults to :func:`suggested_step`; the path is recorded every ``every`` steps and
    stops early when the gradient norm falls below ``tol``."""
    rank = _check_rank(rank, q.shape)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= 10**8:
        raise ValueError(f"steps: expected an integer 0 <= steps <= 10^8, got {steps!r}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every: expected an integer >= 1, got {every!r}")
    B, A = lora_start(q.shape, rank, seed, init_scale)
    if A0 is not None:
        A = np.array(A0, dtype=float)
        if A.shape != (rank, q.shape[1]):
            raise ValueError(f"A0: expected shape {(rank, q.shape[1])}, got {A.shape}")
    if B0 is not None:
        B = np.array(B0, dtype=float)
        if B.shape != (q.shape[0], rank):
            raise ValueError(f"B0: expected shape {(q.shape[0], rank)}, got {B.shape}")
    A_start = A.copy()
    if lr is None:
        lr = suggested_step(q, A)
    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: expected a positive finite step size, got {lr!r}")
    rec_s, rec_l, rec_d, rec_b = [], [], [], []
    converged = False

    def record(t: int) -> None:
        D = B @ A
        rec_s.append(t)
        rec_l.append(q.value(D))
        rec_d.append(D)
        rec_b.append(float(np.sum(A * A) - np.sum(B * B)))

    record(0)
    for t in range(1, steps + 1):
        Gd = q.grad(B @ A)
        gB, gA = Gd @ A.T, B.T @ Gd
        if np.sqrt(np.sum(gB * gB) + np.sum(gA * gA)) <= tol:
            converged = True
            if rec_s[-1] != t - 1:
                record(t - 1)
            break
        B, A = B - lr * gB, A - lr * gA
        if not (np.all(np.isfinite(B)) and np.all(np.isfinite(A))):
            raise FloatingPointError(f"lr: gradient descent diverged at step {t} (step size {lr:g} too large)")
        if t % every == 0 or t == steps:
            record(t)
    return LoraPath(np.array(rec_s), np.array(rec_l), rec_d, B, A, np.array(rec_b), converged, float(lr), A_start)


@dataclass
class FactorRuns:
    """BFGS runs over the factors: each run's final loss, the best run's update."""

    losses: np.ndarray
    best: float
    Delta: np.ndarray
    converged: np.ndarray


def bfgs_factors(q: BlockQuadratic, rank: int, *, starts: int = 20, seed: Any = 0, max_iter: int = 2000,
                 tol: float = 1e-10, init_scale: float = 1.0) -> FactorRuns:
    """Minimise ``L(B A)`` over (B, A) by BFGS (exact gradients, Armijo backtracking) from
    ``starts`` random starts (B and A both N(0, init_scale^2 / cols): a generic start, not LoRA's)."""
    rank = _check_rank(rank, q.shape)
    if isinstance(starts, bool) or not isinstance(starts, int) or not 1 <= starts <= 1000:
        raise ValueError(f"starts: expected an integer 1 <= starts <= 1000, got {starts!r}")
    rows, cols = q.shape
    nb = rows * rank
    rng = np.random.default_rng(seed)

    def f(x):   # products by ndarray.dot: the same BLAS calls as @, without matmul's dispatch
        B, A = x[:nb].reshape(rows, rank), x[nb:].reshape(rank, cols)
        val, Gd = q.value_grad(B.dot(A))
        return val, np.concatenate([Gd.dot(A.T).reshape(-1), B.T.dot(Gd).reshape(-1)])

    losses, conv, best = [], [], (np.inf, None)
    for _ in range(starts):
        x = rng.normal(0.0, init_scale / np.sqrt(cols), size=nb + rank * cols)
        x, fx, ok = _bfgs(f, x, tol=tol, max_iter=max_iter)
        losses.append(fx)
        conv.append(ok)
        if fx < best[0]:
            best = (fx, x[:nb].reshape(rows, rank) @ x[nb:].reshape(rank, cols))
    return FactorRuns(np.array(losses), float(best[0]), best[1], np.array(conv))


def _bfgs(f, x: np.ndarray, *, tol: float, max_iter: int) -> tuple[np.ndarray, float, bool]:
    fx, g = f(x)
    Hinv = np.eye(x.size)
    for _ in range(max_iter):
        if _norm(g) <= tol * max(1.0, abs(fx)):
            return x, fx, True
        # products by ndarray.dot (the same BLAS calls as @, without matmul's dispatch); -(Hinv g) is
        # (-Hinv) g to the bit (negation is exact) without negating Hinv; 1.0 * p is p
        p = -Hinv.dot(g)
        gp = g.dot(p)
        if gp >= 0:
            Hinv, p = np.eye(x.size), -g
            gp = g.dot(p)
        step = 1.0
        while True:
            x_new = x + p if step == 1.0 else x + step * p
            f_new, g_new = f(x_new)
            if f_new <= fx + 1e-4 * step * gp or step < 1e-20:
                break
            step /= 2
        if step < 1e-20:
            return x, fx, False
        s, y = x_new - x, g_new - g
        sy = s.dot(y)
        if sy > 1e-16 * max(1.0, _norm(s) * _norm(y)):
            rho = 1.0 / sy
            Hy = Hinv.dot(y)
            # the outer products by broadcasting (np.outer's own products, without its argument handling);
            # Hy s^T is (s Hy^T)^T, the same products (a * b = b * a)
            sc = s[:, None]
            sHy = sc * Hy
            Hinv = Hinv - rho * (sHy + sHy.T) + (rho * rho * y.dot(Hy) + rho) * (sc * s)
        x, fx, g = x_new, f_new, g_new
    return x, fx, bool(_norm(g) <= tol * max(1.0, abs(fx)))


def _norm(v: np.ndarray) -> float:
    """``np.linalg.norm`` of a 1-D float vector, as it computes it (``sqrt(v . v)``), without its
    argument handling."""
    return math.sqrt(v.dot(v))
