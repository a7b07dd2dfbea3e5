"""Monte Carlo n-shot errors of trained models, all models on common prompts.

    E(V, Q, n; theta) = E[(f([Z_[n] z_{n+1}]; V, Q) - y_{n+1})^2]
                      = E[(f - theta^T x_{n+1})^2] + sigma2,

the second form because the query's noise is independent of the prompt (the query's
label is hidden). The estimate averages ``(f - theta^T x_{n+1})^2`` over fresh prompts
and adds ``sigma2`` exactly: an unbiased estimate with less variance than averaging
``(f - y_{n+1})^2``. Its standard error is the sample standard deviation over sqrt(samples).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..validation import check_count, check_covariance, check_params, check_seed, check_sigma2, check_vector
from . import lsa
from .data import TaskPromptSampler

__all__ = ["ErrorCurve", "evaluate_models", "fast_error_curve", "limit_error"]


@dataclass
class ErrorCurve:
    """Monte Carlo n-shot errors: ``n`` (ints), ``mean`` and ``stderr`` (one per n), ``samples`` each."""

    n: list[int]
    mean: np.ndarray
    stderr: np.ndarray
    samples: int
    exact: np.ndarray | None = None   # the exact errors, when an exact evaluation was made

    def to_dict(self) -> dict:
        out = {"n": list(self.n), "mean": self.mean.tolist(), "stderr": self.stderr.tolist(),
               "samples": self.samples}
        if self.exact is not None:
            out["exact"] = self.exact.tolist()
        return out


def evaluate_models(models: Mapping[str, tuple[Any, Any]], theta: Any, ns: Sequence[int], *, sigma2: Any,
                    Sigma: Any = None, samples: int = 20000, seed: int | np.random.Generator = 0,
                    chunk: int = 20000) -> dict[str, ErrorCurve]:
    """``E(V, Q, n; theta)`` for every model ``name -> (V, Q)`` and every ``n`` in ``ns``.

    All models see the same prompts (common random numbers), so differences between
    models are estimated more precisely than each error. Memory is O(chunk (n+1) d).
    """
    theta = check_vector(theta, "theta")
    d = theta.shape[0]
    Sigma = np.eye(d) if Sigma is None else check_covariance(Sigma, "Sigma", d)
    sigma2 = check_sigma2(sigma2)
    samples = int(check_count(samples, "samples", minimum=2))
    chunk = int(check_count(chunk, "chunk", minimum=1))
    ns = [int(check_count(n, "ns")) for n in ns]
    params = {name: check_params(V, Q, d) for name, (V, Q) in models.items()}
    seed = check_seed(seed)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sums = {name: np.zeros((len(ns), 2)) for name in params}
    for j, n in enumerate(ns):
        sampler = TaskPromptSampler(d=d, n=n, sigma2=sigma2, batch=chunk, Sigma=Sigma, theta=theta,
                                    noiseless_target=True)
        buf = sampler.new_buffer()
        done = 0
        while done < samples:
            k = min(chunk, samples - done)
            sampler.fill(rng, buf)
            X, Y, target = buf.X[:k], buf.Y[:k], buf.target[:k]
            for name, (V, Q) in params.items():
                e = lsa.predict(V, Q, X, Y) - target
                e *= e
                sums[name][j, 0] += e.sum()
                sums[name][j, 1] += e @ e
            done += k
    out = {}
    for name, s in sums.items():
        mean = s[:, 0] / samples
        var = np.maximum(s[:, 1] / samples - mean ** 2, 0.0) * samples / (samples - 1)
        out[name] = ErrorCurve(ns, mean + sigma2, np.sqrt(var / samples), samples)
    return out


def limit_error(V: Any, Q: Any, theta: Any, *, sigma2: Any, Sigma: Any = None) -> float:
    """The exact infinitely-many-shot error ``lim_{n -> inf} E(V, Q, n; theta)``.

    As ``n -> inf``, ``G = Z Z^T / (n+1)`` tends to ``E[z z^T]`` (the query's share
    vanishes), so ``f -> a^T q`` with ``a = Q^T E[z z^T] v`` and the error tends to
    ``sigma2 + a_0^2 + (a_x - theta)^T Sigma (a_x - theta)``.
    """
    theta = check_vector(theta, "theta")
    d = theta.shape[0]
    Sigma = np.eye(d) if Sigma is None else check_covariance(Sigma, "Sigma", d)
    sigma2 = check_sigma2(sigma2)
    V, Q = check_params(V, Q, d)
    D = d + 2
    M = np.zeros((D, D))                      # E[z z^T] for z = (1, x, y)
    M[0, 0] = 1.0
    M[1:d + 1, 1:d + 1] = Sigma
    St = Sigma @ theta
    M[1:d + 1, d + 1] = St
    M[d + 1, 1:d + 1] = St
    M[d + 1, d + 1] = theta @ St + sigma2
    a = Q.T @ (M @ V[-1])
    r = a[1:d + 1] - theta
    return float(sigma2 + a[0] ** 2 + r @ Sigma @ r)


def fast_error_curve(V: Any, Q: Any, theta: Any, ns: Sequence[int], *, sigma2: Any, Sigma: Any = None,
                     samples: int = 20000, seed: int | np.random.Generator = 0) -> ErrorCurve:
    """``E(V, Q, n; theta)`` for each n by :func:`numeric.fast.estimate_error_fast` (Monte Carlo,
    with its standard error) and :func:`numeric.fast.moment_error` (exact, in ``.exact``)."""
    from ..fast import estimate_error_fast, moment_error

    theta = check_vector(theta, "theta")
    d = theta.shape[0]
    Sigma = np.eye(d) if Sigma is None else check_covariance(Sigma, "Sigma", d)
    seed = check_seed(seed)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ns = [int(check_count(n, "ns")) for n in ns]
    means, ses, exact = [], [], []
    for n, child in zip(ns, rng.spawn(len(ns))):
        est = estimate_error_fast(V, Q, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2, samples=samples, seed=child)
        means.append(est.mean)
        ses.append(est.stderr)
        exact.append(moment_error(V, Q, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2))
    return ErrorCurve(ns, np.array(means), np.array(ses), int(samples), np.array(exact))
