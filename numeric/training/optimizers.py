"""Optimisers for the trainer: SGD with momentum and Adam, gradient-norm clipping, schedules.

Each optimiser updates a list of float arrays in place from their gradients; state
(momentum, moment estimates) has the parameters' shapes, so memory does not grow with
the number of steps.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["SGD", "Adam", "make_optimizer", "clip_by_global_norm", "learning_rate", "OPTIMIZERS", "SCHEDULES"]

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine", "linear")


class SGD:
    """Stochastic gradient descent with (heavy-ball or Nesterov) momentum.

    ``u <- mu u + g``; ``theta <- theta - lr (g + mu u)`` (Nesterov) or ``theta <- theta - lr u``.
    """

    name = "sgd"

    def __init__(self, momentum: float = 0.9, nesterov: bool = False) -> None:
        if not (0.0 <= momentum < 1.0):
            raise ValueError(f"momentum: expected a number in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self._u: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float) -> None:
        if self._u is None:
            self._u = [np.zeros_like(p) for p in params]
        mu = self.momentum
        for p, g, u in zip(params, grads, self._u):
            u *= mu
            u += g
            if self.nesterov:
                p -= lr * (g + mu * u)
            else:
                p -= lr * u


class Adam:
    """Adam (Kingma and Ba 2015) with bias correction.

    ``m <- b1 m + (1-b1) g``, ``s <- b2 s + (1-b2) g^2``,
    ``theta <- theta - lr mhat / (sqrt(shat) + eps)``. An entry whose gradient is always
    zero never moves; entries with equal gradient histories move equally, so a symmetric
    gradient keeps a matrix's antisymmetric part fixed, as plain gradient descent does.
    """

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if not (0.0 <= b < 1.0):
                raise ValueError(f"{name}: expected a number in [0, 1), got {b!r}")
        if not eps > 0:
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self._m: list[np.ndarray] | None = None
        self._s: list[np.ndarray] | None = None
        self._t = 0

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float) -> None:
        if self._m is None:
            self._m = [np.zeros_like(p) for p in params]
            self._s = [np.zeros_like(p) for p in params]
        self._t += 1
        b1, b2 = self.beta1, self.beta2
        c1 = 1.0 - b1 ** self._t
        c2 = 1.0 - b2 ** self._t
        step = lr * math.sqrt(c2) / c1
        for p, g, m, s in zip(params, grads, self._m, self._s):
            m *= b1
            m += (1.0 - b1) * g
            s *= b2
            s += (1.0 - b2) * (g * g)
            p -= step * m / (np.sqrt(s) + self.eps * math.sqrt(c2))


def make_optimizer(name: str, *, momentum: float = 0.9, nesterov: bool = False,
                   beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> SGD | Adam:
    """The optimiser called ``name`` (``'sgd'``: SGD with momentum, or ``'adam'``)."""
    key = str(name).lower()
    if key == "sgd":
        return SGD(momentum=momentum, nesterov=nesterov)
    if key == "adam":
        return Adam(beta1=beta1, beta2=beta2, eps=eps)
    raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")


def clip_by_global_norm(grads: Sequence[np.ndarray], max_norm: float | None) -> float:
    """Scale ``grads`` in place so that their joint Euclidean norm is at most ``max_norm``.

    Returns the norm before clipping. ``max_norm=None`` only measures.
    """
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if max_norm is not None and norm > max_norm:
        scale = max_norm / norm
        for g in grads:
            g *= scale
    return norm


def learning_rate(step: int, steps: int, lr: float, schedule: str = "constant", warmup: int = 0,
                  final: float = 0.0) -> float:
    """Learning rate at ``step`` (0-based) of ``steps``.

    ``constant``: ``lr``; ``linear``: from ``lr`` to ``final * lr``; ``cosine``: half a cosine
    from ``lr`` to ``final * lr``. A linear warm-up over the first ``warmup`` steps multiplies it.
    """
    if schedule == "constant":
        factor = 1.0
    else:
        frac = step / max(steps - 1, 1)
        if schedule == "linear":
            shape = 1.0 - frac
        elif schedule == "cosine":
            shape = 0.5 * (1.0 + math.cos(math.pi * frac))
        else:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {schedule!r}")
        factor = final + (1.0 - final) * shape
    if warmup > 0 and step < warmup:
        factor *= (step + 1) / warmup
    return lr * factor
