"""Prompt batches for training and evaluation, in the fast layout of :mod:`numeric.training.lsa`.

- :class:`TaskPromptSampler`: fresh prompts each call; each prompt has its own task
  ``theta`` (``N(0, I_d)``, or uniform on the unit sphere) or one fixed task, with
  ``x ~ N(0, Sigma)`` and ``y = theta^T x + eps``, ``eps ~ N(0, sigma2)``.
- :class:`DatasetPromptSampler`: prompts whose ``n + 1`` examples are drawn independently
  and uniformly (with replacement) from a finite dataset of ``(x, y)`` pairs, i.e. i.i.d.
  from the dataset's empirical distribution.
- :class:`Prefetcher`: fills the next batch in a worker thread while the current one is
  used (numpy's generators release the GIL), with the same draws as without it.

Every sampler writes into preallocated buffers: memory does not grow with the steps.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

import numpy as np

__all__ = ["Batch", "TaskPromptSampler", "DatasetPromptSampler", "make_dataset", "Prefetcher", "TASK_DISTRIBUTIONS"]

TASK_DISTRIBUTIONS = ("gaussian", "sphere")


@dataclass
class Batch:
    """``B`` prompts with ``n`` shots: ``X`` (B, n+1, d), ``Y`` (B, n+1) with ``Y[:, -1] = 0``, ``target`` (B,)."""

    X: np.ndarray
    Y: np.ndarray
    target: np.ndarray

    @classmethod
    def empty(cls, batch: int, n: int, d: int) -> "Batch":
        return cls(np.empty((batch, n + 1, d)), np.empty((batch, n + 1)), np.empty(batch))


def _cholesky_or_none(Sigma: np.ndarray | None, d: int) -> np.ndarray | None:
    if Sigma is None:
        return None
    Sigma = np.asarray(Sigma, dtype=float)
    if np.array_equal(Sigma, np.eye(d)):
        return None
    return np.linalg.cholesky(Sigma)


class TaskPromptSampler:
    """Fresh prompts ``[z_1 .. z_n q]`` with a new task per prompt (or a fixed task).

    ``theta`` given: every prompt uses that task. Otherwise ``theta ~ N(0, I_d)``
    (``tasks='gaussian'``) or uniform on the unit sphere (``tasks='sphere'``).
    ``noiseless_target=True`` returns ``theta^T x_{n+1}`` as target instead of
    ``y_{n+1}``: for estimating ``E(V, Q, n; theta) - sigma2`` with less variance.
    """

    def __init__(self, *, d: int, n: int, sigma2: float, batch: int, Sigma: np.ndarray | None = None,
                 theta: np.ndarray | None = None, tasks: str = "gaussian", noiseless_target: bool = False) -> None:
        if tasks not in TASK_DISTRIBUTIONS:
            raise ValueError(f"tasks: expected one of {', '.join(TASK_DISTRIBUTIONS)}, got {tasks!r}")
        self.d, self.n, self.batch = int(d), int(n), int(batch)
        self.sigma = float(np.sqrt(sigma2))
        self.L = _cholesky_or_none(Sigma, self.d)
        self.theta = None if theta is None else np.asarray(theta, dtype=float).reshape(self.d)
        self.tasks = tasks
        self.noiseless_target = bool(noiseless_target)
        self._th = np.empty((self.batch, self.d))
        self._eps = np.empty((self.batch, self.n + 1))
        self._tmp = None if self.L is None else np.empty((self.batch, self.n + 1, self.d))

    def new_buffer(self) -> Batch:
        return Batch.empty(self.batch, self.n, self.d)

    def fill(self, rng: np.random.Generator, out: Batch) -> Batch:
        X, Y = out.X, out.Y
        if self.L is None:
            rng.standard_normal(out=X)
        else:
            rng.standard_normal(out=self._tmp)
            np.matmul(self._tmp, self.L.T, out=X)
        if self.theta is None:
            rng.standard_normal(out=self._th)
            if self.tasks == "sphere":
                self._th /= np.linalg.norm(self._th, axis=1, keepdims=True)
            np.matmul(X, self._th[:, :, None], out=Y[:, :, None])
        else:
            np.matmul(X, self.theta, out=Y)
        if self.noiseless_target:
            out.target[:] = Y[:, -1]
            if self.sigma > 0 and self.n > 0:
                rng.standard_normal(out=self._eps)
                self._eps *= self.sigma
                Y += self._eps
        else:
            if self.sigma > 0:
                rng.standard_normal(out=self._eps)
                self._eps *= self.sigma
                Y += self._eps
            out.target[:] = Y[:, -1]
        Y[:, -1] = 0.0
        return out


def make_dataset(rng: np.random.Generator, *, theta: np.ndarray, size: int, sigma2: float,
                 Sigma: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``size`` pairs ``x ~ N(0, Sigma)``, ``y = theta^T x + eps``: arrays of shape (size, d), (size,)."""
    theta = np.asarray(theta, dtype=float)
    d = theta.shape[0]
    x = rng.standard_normal((size, d))
    L = _cholesky_or_none(Sigma, d)
    if L is not None:
        x = x @ L.T
    y = x @ theta + np.sqrt(sigma2) * rng.standard_normal(size)
    return x, y


class DatasetPromptSampler:
    """Prompts whose ``n + 1`` examples are drawn uniformly with replacement from ``(x, y)``.

    The last drawn example is the query: its ``x`` goes into the prompt, its ``y`` is the target.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, *, n: int, batch: int) -> None:
        self.x = np.ascontiguousarray(x, dtype=float)
        self.y = np.ascontiguousarray(y, dtype=float)
        self.size, self.d = self.x.shape
        self.n, self.batch = int(n), int(batch)
        self._idx = np.empty((self.batch, self.n + 1), dtype=np.intp)

    def new_buffer(self) -> Batch:
        return Batch.empty(self.batch, self.n, self.d)

    def fill(self, rng: np.random.Generator, out: Batch) -> Batch:
        self._idx[...] = rng.integers(0, self.size, size=self._idx.shape)
        np.take(self.x, self._idx, axis=0, out=out.X)
        np.take(self.y, self._idx, out=out.Y)
        out.target[:] = out.Y[:, -1]
        out.Y[:, -1] = 0.0
        return out


T = TypeVar("T")


class Prefetcher(Generic[T]):
    """Yields buffers filled by ``fill(rng, buffer)``, the next one prepared in a worker thread.

    Two buffers alternate: the one returned by :meth:`next` stays valid until the
    following call. The draws are those of calling ``fill`` in sequence on ``rng``,
    with or without the thread (``threaded=False``).
    """

    def __init__(self, fill: Callable[[np.random.Generator, T], T], new_buffer: Callable[[], T],
                 rng: np.random.Generator, *, threaded: bool = True) -> None:
        self._fill = fill
        self._rng = rng
        self._bufs = [new_buffer(), new_buffer()]
        self._k = 0
        self._pool = ThreadPoolExecutor(max_workers=1) if threaded else None
        self._future: Future | None = None

    def next(self) -> T:
        cur = self._bufs[self._k % 2]
        if self._pool is None:
            self._fill(self._rng, cur)
        else:
            if self._future is None:
                self._fill(self._rng, cur)
            else:
                self._future.result()
            self._future = self._pool.submit(self._fill, self._rng, self._bufs[(self._k + 1) % 2])
        self._k += 1
        return cur

    def close(self) -> None:
        if self._pool is not None:
            if self._future is not None:
                self._future.cancel()
                try:
                    self._future.result()
                except Exception:  # a cancelled or failed prefetch is of no use any more
                    pass
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> "Prefetcher[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
