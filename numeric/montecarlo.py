"""Reference Monte Carlo estimate of the n-shot error E(V, Q, n; theta).

    E(V, Q, n; theta) = E_{x_1, y_1, ..., x_{n+1}, y_{n+1} | theta} [ (f([Z_[n] z_{n+1}]; V, Q) - y_{n+1})^2 ]

estimated by sampling whole prompts and running the reference forward pass
:func:`numeric.model.forward` on them: slow, simple, the ground truth for the fast
estimator in :mod:`numeric.fast`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .model import forward
from .sampling import _draw_prompts, as_generator
from .validation import (
    check_count,
    check_covariance,
    check_params,
    check_samples,
    check_seed,
    check_sigma2,
    check_vector,
)

__all__ = ["Estimate", "estimate_error", "MEMORY_BUDGET_FLOATS"]

#: default bound on the number of float64 entries per working array (16 MiB each)
MEMORY_BUDGET_FLOATS = 2 ** 21
#: relative difference below which an exact (stderr 0) estimate agrees with a value
EXACT_RTOL = 1e-10


@dataclass(frozen=True, repr=False)
class Estimate:
    """A Monte Carlo estimate: sample ``mean``, its standard error ``stderr``, from ``samples`` draws.

    ``stderr`` is the sample standard deviation over sqrt(samples).
    """

    mean: float
    stderr: float
    samples: int

    def z(self, value: float) -> float:
        """z-score of a claimed exact value: (value - mean) / stderr.

        An exact estimate (stderr 0: zero-shot or infinitely many shots in the fast
        estimator) gives 0 when the two agree to floating-point rounding (relative
        ``EXACT_RTOL``) and +-inf otherwise.
        """
        value = float(value)
        diff = value - self.mean
        if self.stderr > 0:
            return diff / self.stderr
        if abs(diff) <= EXACT_RTOL * max(1.0, abs(value), abs(self.mean)):
            return 0.0
        return math.copysign(math.inf, diff)

    def __repr__(self) -> str:
        return f"{self.mean:.6g} ± {self.stderr:.2g} (n={self.samples})"

    __str__ = __repr__

    def _repr_latex_(self) -> str:
        return f"${self.mean:.6g} \\pm {self.stderr:.2g}$ ($n={self.samples}$)"


class _Accumulator:
    """Running mean and sum of squared deviations, merged chunk by chunk (Chan et al.)."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, values: np.ndarray, shift: float = 0.0) -> None:
        """Add the observations ``values + shift`` (the shift is exact: it moves the mean only)."""
        k = values.shape[0]
        if k == 0:
            return
        mu = float(values.mean())
        m2 = float(np.sum((values - mu) ** 2))
        mu += shift
        total = self.count + k
        delta = mu - self.mean
        self.mean += delta * k / total
        self.m2 += m2 + delta * delta * self.count * k / total
        self.count = total

    def estimate(self) -> Estimate:
        var = self.m2 / (self.count - 1) if self.count > 1 else math.inf
        return Estimate(mean=float(self.mean), stderr=float(math.sqrt(var / self.count)), samples=self.count)


def _chunks(samples: int, chunk: int):
    done = 0
    while done < samples:
        k = min(chunk, samples - done)
        yield k
        done += k


def validate_setting(V: Any, Q: Any, n: Any, theta: Any, Sigma: Any, sigma2: Any, samples: Any, seed: Any,
                     chunk: Any, *, allow_inf_n: bool = False):
    """Validate the common arguments of the estimators; returns them in canonical form."""
    Sigma = check_covariance(Sigma, "Sigma")
    d = Sigma.shape[0]
    theta = check_vector(theta, "theta", d)
    V, Q = check_params(V, Q, d)
    n = check_count(n, "n", allow_inf=allow_inf_n)
    sigma2 = check_sigma2(sigma2)
    samples = check_samples(samples) if samples is not None else None
    seed = check_seed(seed) if seed is not None else None
    if chunk is not None:
        chunk = int(check_count(chunk, "chunk", minimum=1))
    return V, Q, n, theta, Sigma, sigma2, samples, seed, chunk


def estimate_error(V: Any, Q: Any, *, n: Any, theta: Any, Sigma: Any, sigma2: Any, samples: Any = 100_000,
                   seed: int | np.random.Generator = 0, chunk: int | None = None) -> Estimate:
    r"""Reference Monte Carlo estimate of E(V, Q, n; theta) = E[(f([Z_[n] z_{n+1}]; V, Q) - y_{n+1})^2].

    Each sample is a whole prompt (x_i ~ N(0, Sigma), y_i = theta^T x_i + eps_i,
    eps_i ~ N(0, sigma2), i = 1..n+1, the query's label hidden) pushed through
    :func:`numeric.model.forward`; the estimate is the mean of the squared errors and
    its standard error the sample standard deviation over sqrt(samples).

    Parameters
    ----------
    V, Q : (d+2, d+2) arrays
    n : int >= 0
        In-context examples (0: zero-shot).
    theta : (d,) array; Sigma : (d, d) SPD array; sigma2 : float >= 0
    samples : int >= 2
    seed : int >= 0 or numpy.random.Generator
    chunk : int >= 1, optional
        Prompts processed at once; by default as many as keep each working array under
        ``MEMORY_BUDGET_FLOATS`` float64 entries. Memory is O(chunk (d+2) (n+1)) at any
        ``samples``.

    Reproducibility: prompt j is made from the j-th block of (n+1)(d+1) standard
    normals of the seed's stream, whatever ``chunk`` is, so the draws do not depend on
    the chunk size; the returned mean and standard error agree across chunk sizes to
    floating-point rounding (relative 1e-12; tested), not bit for bit, because sums are
    merged chunk by chunk.

    Cost per prompt grows like (d+2)^2 (n+1); use :func:`numeric.fast.estimate_error_fast`
    for speed and far smaller standard errors.

    Raises
    ------
    ValueError
        Naming the argument, for wrong shapes, a Sigma that is not symmetric positive
        definite, a negative sigma2, a non-integer or negative n, non-finite entries,
        samples < 2, a seed that is not an int >= 0 or a Generator, or chunk < 1.
    """
    V, Q, n, theta, Sigma, sigma2, samples, seed, chunk = validate_setting(
        V, Q, n, theta, Sigma, sigma2, samples, seed, chunk)
    d = Sigma.shape[0]
    if chunk is None:
        chunk = max(1, MEMORY_BUDGET_FLOATS // ((d + 2) * (n + 1)))
    rng = as_generator(seed)
    L = np.linalg.cholesky(Sigma)
    sigma = math.sqrt(sigma2)
    acc = _Accumulator()
    for k in _chunks(samples, chunk):
        Z, y = _draw_prompts(rng, n, L, theta, sigma, k)
        acc.add((forward(Z, V, Q) - y) ** 2)
    return acc.estimate()


def run_chunked(samples: int, chunk: int, draw: Callable[[int], np.ndarray], shift: float = 0.0) -> Estimate:
    """Mean and standard error of ``samples`` values made ``chunk`` at a time by ``draw(k)`` (+ ``shift``)."""
    acc = _Accumulator()
    for k in _chunks(samples, chunk):
        acc.add(draw(k), shift)
    return acc.estimate()
