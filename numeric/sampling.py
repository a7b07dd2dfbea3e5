"""Sampling prompts of the in-context linear regression task.

For a task theta: x ~ N(0, Sigma), y = theta^T x + eps with eps ~ N(0, sigma2), all
tokens independent. A prompt holds n context tokens z_i = (1, x_i, y_i) and the query
(1, x_{n+1}, 0) as its last column (``docs/CONVENTIONS.md``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .validation import check_count, check_covariance, check_seed, check_sigma2, check_vector

__all__ = ["sample_prompts", "as_generator"]


def as_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """A Generator from a validated seed (an int seeds PCG64; a Generator is used as is)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _draw_prompts(rng: np.random.Generator, n: int, L: np.ndarray, theta: np.ndarray, sigma: float,
                  size: int) -> tuple[np.ndarray, np.ndarray]:
    """The unchecked core of :func:`sample_prompts` (arguments already validated).

    All randomness of one prompt is one row of ``rng.standard_normal((size, n+1, d+1))``,
    so drawing ``size = a + b`` prompts at once or in two calls gives the same prompts:
    results do not depend on how a sample is cut into chunks.
    """
    d = L.shape[0]
    G = rng.standard_normal((size, n + 1, d + 1))
    X = G[..., :d] @ L.T                     # (size, n+1, d): rows x_i ~ N(0, Sigma)
    Y = X @ theta + sigma * G[..., d]        # (size, n+1): y_i = theta^T x_i + eps_i
    Z = np.empty((size, d + 2, n + 1))
    Z[:, 0, :] = 1.0
    Z[:, 1:d + 1, :] = np.swapaxes(X, 1, 2)
    Z[:, d + 1, :] = Y
    y_query = Y[:, n].copy()
    Z[:, d + 1, n] = 0.0                     # the query's label is hidden
    return Z, y_query


def sample_prompts(rng: int | np.random.Generator, *, n: Any, theta: Any, Sigma: Any, sigma2: Any,
                   size: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw ``size`` independent prompts [Z_[n] z_{n+1}] and the hidden labels y_{n+1}.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of randomness (an int seeds a fresh PCG64 generator).
    n : int >= 0
        Number of in-context examples; n = 0 gives the query alone.
    theta : (d,) array
        Task vector.
    Sigma : (d, d) symmetric positive definite array
        Covariance of x.
    sigma2 : float >= 0
        Label noise variance.
    size : int >= 0
        Number of prompts.

    Returns
    -------
    Z : ndarray (size, d+2, n+1)
        Z[:, 0, :] = 1, Z[:, 1:d+1, i] = x_i, Z[:, d+1, i] = y_i for i < n, and the last
        column is the query (1, x_{n+1}, 0).
    y_query : ndarray (size,)
        The query's label y_{n+1} = theta^T x_{n+1} + eps_{n+1}.

    Prompts are reproducible from the generator state and independent of how a sample
    is split into calls (see :func:`_draw_prompts`).
    """
    check_seed(rng, "rng")
    n = int(check_count(n, "n"))
    Sigma = check_covariance(Sigma, "Sigma")
    d = Sigma.shape[0]
    theta = check_vector(theta, "theta", d)
    sigma2 = check_sigma2(sigma2)
    size = int(check_count(size, "size"))
    L = np.linalg.cholesky(Sigma)
    return _draw_prompts(as_generator(rng), n, L, theta, float(np.sqrt(sigma2)), size)
