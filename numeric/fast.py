r"""Fast Monte Carlo estimate of E(V, Q, n; theta) from a sufficient statistic.

Notation (``docs/CONVENTIONS.md``): tokens z_i = (1, w_i) with w_i = (x_i, y_i) in
R^{d+1}, query q = (1, x, 0) with x = x_{n+1}, N = ncol = n + 1, v^T = V[-1, :] and
S = sum_{i <= n} z_i z_i^T. The prediction is

    f = v^T (S + q q^T) Q q / N = s^T Q q / N + (v^T q)(q^T Q q) / N,     s = S v,

so the context enters only through the vector s = S v. Four exact steps make the
estimator fast and its variance small:

1. **Sufficient statistic, Bartlett.** w_i = M u_i with u_i ~ N(0, I_{d+1}) and
   M = [[L, 0], [theta^T L, sigma]] (L L^T = Sigma), so w_i ~ N(0, C),
   C = [[Sigma, Sigma theta], [theta^T Sigma, theta^T Sigma theta + sigma^2]] (M works even
   when sigma^2 = 0 and C is singular). S = P S_u P^T with P = diag(1, M), and S_u splits
   into the mean u_bar ~ N(0, I/n) and the scatter W ~ Wishart(n-1, I), independent. s needs
   only W a_u for the fixed vector a_u = M^T v_w; rotating a_u onto e_1 by an orthogonal O
   (which leaves N(0, I/n) and Wishart(n-1, I) invariant), W e_1 is the first column of the
   Bartlett factor times its corner: chi_{n-1} (chi_{n-1}, N(0,1), ..., N(0,1)) (valid for
   every n >= 1, singular Wishart included).
2. **Conditioning on the query** (Rao-Blackwell). Given s, the error is a cubic
   polynomial R(g) of g ~ N(0, I_d) (x = L g) plus the noise; E[R^2 | s] + sigma^2 is
   computed in closed form from Gaussian moments up to order 6 (``_query_moments``),
   and is a quadratic function of s_hat = s / N:
   sigma^2 + c0 + 2 k^T s_hat + s_hat^T H s_hat.
3. **Control variate with a known mean.** E[s_hat] = (n/N)(v_0, C v_w) is known; the
   part of the sample linear in s_hat - E[s_hat] has mean exactly 0 and is dropped.
   What is left to average is the quadratic form (s_hat - E s_hat)^T H (s_hat - E s_hat).
4. **Conditioning on the orthogonal directions, antithetic pairs.** In the rotated
   coordinates, the components 2..d+1 of S_u a are, given g_1 = sqrt(n) u_bar'_1 and
   chi^2 = chi^2_{n-1}, independent N(0, (sqrt(n) a_0 + rho g_1)^2 + rho^2 chi^2); their
   share of the quadratic form is replaced by its conditional mean (a trace) and their
   cross terms (mean 0) dropped. The pair (g_1, -g_1) is averaged (antithetic), which
   keeps the even part of the sample in g_1.

So a sample costs one standard normal g_1 and one chi-square chi^2_{n-1}, and a few
scalar operations, whatever n and d are; its spread falls like 1/n for large n.

Zero-shot (n = 0) has no context, so the estimate is exact (standard error 0). The
same algebra with the last quadratic form replaced by its mean gives
:func:`moment_error`, an exact float evaluation of E(V, Q, n; theta) used as ground
truth for calibration. Both are tested against the reference estimator
:func:`numeric.montecarlo.estimate_error`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .montecarlo import MEMORY_BUDGET_FLOATS, Estimate, run_chunked, validate_setting

__all__ = ["estimate_error_fast", "moment_error"]


def _sym(A: np.ndarray) -> np.ndarray:
    return (A + A.T) / 2


def _query_moments(alpha0: float, alpha: np.ndarray, beta0: float, beta: np.ndarray, B: np.ndarray,
                   tau: np.ndarray, inv_N: float) -> tuple[float, float, np.ndarray]:
    r"""Moments of P(g) = inv_N (alpha0 + alpha^T g)(beta0 + beta^T g + g^T B g) - tau^T g, g ~ N(0, I).

    Returns (E[P^2], E[P], E[P g]). With p0 = inv_N alpha0 beta0, p = inv_N (alpha0 beta + beta0 alpha) - tau,
    M = inv_N (alpha0 B + sym(alpha beta^T)) and kappa = inv_N, P = p0 + p^T g + g^T M g + kappa (alpha^T g)(g^T B g):

    - E[P]   = p0 + tr M
    - E[P g] = p + kappa (tr B alpha + 2 B alpha)
    - E[P^2] = p0^2 + 2 p0 tr M + (tr M)^2 + 2 tr M^2 + |p|^2 + 2 kappa ((p.alpha) tr B + 2 p^T B alpha)
               + kappa^2 (|alpha|^2 ((tr B)^2 + 2 tr B^2) + 8 |B alpha|^2 + 4 tr B alpha^T B alpha)

    (Isserlis; the sixth moment by Stein's lemma: E[(a^T g)^2 h] = |a|^2 E h + E[a^T (Hess h) a].)
    """
    B = _sym(B)
    p0 = inv_N * alpha0 * beta0
    p = inv_N * (alpha0 * beta + beta0 * alpha) - tau
    Mq = inv_N * (alpha0 * B + _sym(np.outer(alpha, beta)))
    k = inv_N
    trB, trM = float(np.trace(B)), float(np.trace(Mq))
    Ba = B @ alpha
    mean = p0 + trM
    mean_g = p + k * (trB * alpha + 2 * Ba)
    second = (p0 ** 2 + 2 * p0 * trM + trM ** 2 + 2 * float(np.sum(Mq * Mq)) + float(p @ p)
              + 2 * k * (float(p @ alpha) * trB + 2 * float(p @ Ba))
              + k ** 2 * (float(alpha @ alpha) * (trB ** 2 + 2 * float(np.sum(B * B)))
                          + 8 * float(Ba @ Ba) + 4 * trB * float(alpha @ Ba)))
    return second, mean, mean_g


@dataclass
class _Plan:
    """Everything about a setting that does not depend on the sampled context."""

    d: int
    n: int | float
    const: float          # sigma^2 + c0 + 2 k^T E s_hat + E s_hat^T H E s_hat
    H: np.ndarray         # (D, D): conditional error = ... + s_hat^T H s_hat
    lin: np.ndarray       # (D,): k + H E s_hat, the zero-mean linear part's coefficient
    mean_shat: np.ndarray
    cov1: np.ndarray      # Cov(z (z^T v)) for one context token
    G: np.ndarray         # (D, D): s = G t' in the rotated Bartlett coordinates
    a0: float
    rho: float
    cov_factor: float     # Cov(s_hat) = cov_factor * cov1, cov_factor = n / N^2 (0 at n = inf)


def _plan(V: np.ndarray, Q: np.ndarray, n: int | float, theta: np.ndarray, Sigma: np.ndarray,
          sigma2: float) -> _Plan:
    d = Sigma.shape[0]
    p, D = d + 1, d + 2
    L = np.linalg.cholesky(Sigma)
    sigma = math.sqrt(sigma2)
    v = V[-1, :]
    v0, vx, vw = float(v[0]), v[1:d + 1], v[1:]
    if math.isinf(n):
        inv_N, frac, cov_factor = 0.0, 1.0, 0.0
    else:
        inv_N, frac, cov_factor = 1.0 / (n + 1), n / (n + 1), n / (n + 1) ** 2
    # the query: q = (1, L g, 0); tau = L^T theta so that theta^T x = tau^T g
    alpha = L.T @ vx
    beta = L.T @ (Q[0, 1:d + 1] + Q[1:d + 1, 0])
    B = L.T @ _sym(Q[1:d + 1, 1:d + 1]) @ L
    c0, m0, m1 = _query_moments(v0, alpha, float(Q[0, 0]), beta, B, L.T @ theta, inv_N)
    # E[R^2 | s] = c0 + 2 r^T w1 + r^T W r with r = Q^T s_hat, W = diag(1, Sigma, 0), w1 = (m0, L m1, 0)
    W = np.zeros((D, D))
    W[0, 0] = 1.0
    W[1:d + 1, 1:d + 1] = Sigma
    w1 = np.zeros(D)
    w1[0] = m0
    w1[1:d + 1] = L @ m1
    H = Q @ W @ Q.T
    k = Q @ w1
    # one context token z = (1, w), w = M u ~ N(0, C)
    M = np.zeros((p, p))
    M[:d, :d] = L
    M[d, :d] = theta @ L
    M[d, d] = sigma
    C = M @ M.T
    Ca = C @ vw
    mu = np.concatenate([[v0], Ca])                    # E[z z^T v]
    q2 = v0 ** 2 + float(vw @ Ca)                       # E[(z^T v)^2]
    second = np.empty((D, D))                           # E[(z^T v)^2 z z^T]
    second[0, 0] = q2
    second[0, 1:] = second[1:, 0] = 2 * v0 * Ca
    second[1:, 1:] = q2 * C + 2 * np.outer(Ca, Ca)
    cov1 = second - np.outer(mu, mu)
    mean_shat = frac * mu
    const = sigma2 + c0 + 2 * float(k @ mean_shat) + float(mean_shat @ H @ mean_shat)
    # Bartlett coordinates: a = P^T v = (v0, M^T v_w); O a_u = rho e_1
    a_u = M.T @ vw
    rho = float(np.linalg.norm(a_u))
    O = np.eye(p)
    if rho > 0:
        e = a_u / rho
        if e[0] > 0:
            u = e.copy()
            u[0] += 1.0
            O = -(np.eye(p) - 2 * np.outer(u, u) / (u @ u))
        else:
            u = e.copy()
            u[0] -= 1.0
            if u @ u > 0:
                O = np.eye(p) - 2 * np.outer(u, u) / (u @ u)
    G = np.zeros((D, D))
    G[0, 0] = 1.0
    G[1:, 1:] = M @ O.T
    plan = _Plan(d=d, n=n, const=const, H=H, lin=k + H @ mean_shat, mean_shat=mean_shat, cov1=cov1, G=G,
                 a0=v0, rho=rho, cov_factor=cov_factor)
    return plan


def moment_error(V: Any, Q: Any, *, n: Any, theta: Any, Sigma: Any, sigma2: Any) -> float:
    r"""E(V, Q, n; theta) evaluated exactly in float64 from Gaussian moments (n may be ``math.inf``).

    The fast estimator's conditional error sigma^2 + c0 + 2 k^T s_hat + s_hat^T H s_hat
    (see the module docstring) averaged over the context in closed form:
    E[s_hat] = (n/N) (v_0, C v_w) and Cov(s_hat) = (n/N^2) Cov(z (z^T v)) with
    E[(z^T v)^2 z z^T] from Isserlis. n = inf gives the limit of infinitely many shots.

    It is a numeric cross-check independent of ``symbolic`` (it shares the
    conditional-moment algebra with :func:`estimate_error_fast`, and both are tested
    against the reference Monte Carlo). Raises ValueError on bad input, as the estimators.
    """
    V, Q, n, theta, Sigma, sigma2, *_ = validate_setting(V, Q, n, theta, Sigma, sigma2, None, None, None,
                                                        allow_inf_n=True)
    plan = _plan(V, Q, n, theta, Sigma, sigma2)
    return float(plan.const + plan.cov_factor * np.sum(plan.H * plan.cov1))


def _spawn(seed: int | np.random.Generator, k: int) -> list[np.random.Generator]:
    if isinstance(seed, np.random.Generator):
        return list(seed.spawn(k))
    return [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(k)]


def estimate_error_fast(V: Any, Q: Any, *, n: Any, theta: Any, Sigma: Any, sigma2: Any, samples: Any = 100_000,
                        seed: int | np.random.Generator = 0, chunk: int | None = None,
                        control_variate: bool = True, antithetic: bool = True) -> Estimate:
    r"""Fast Monte Carlo estimate of E(V, Q, n; theta) = E[(f([Z_[n] z_{n+1}]; V, Q) - y_{n+1})^2].

    Same arguments and :class:`~numeric.montecarlo.Estimate` as
    :func:`numeric.montecarlo.estimate_error`. Each sample draws the part of the context's
    sufficient statistic S v that is not integrated out exactly (Bartlett coordinates: one
    normal and one chi-square, cost independent of n and d) and averages the squared error
    over the query, its noise and the other directions exactly; with ``control_variate``
    (default) the zero-mean part linear in the statistic is dropped, with ``antithetic``
    (default) each sample is the mean over the pair (g_1, -g_1), i.e. ``samples`` pairs.
    Unbiased with either switch; see the module docstring for the maths.

    - n = 0: exact (stderr 0), the context being empty.
    - n = ``math.inf``: the limit of infinitely many shots, exact (stderr 0).
    - Memory O(chunk (d+2)); the default chunk keeps arrays under ``MEMORY_BUDGET_FLOATS``.
    - Reproducible: the normals and chi-squares come from two streams spawned from
      ``seed``, consumed prompt by prompt, so the draws do not depend on ``chunk``
      (results agree across chunk sizes to rounding; tested).

    Its agreement with the reference estimator is tested statistically
    (``tests/test_numeric_fast.py``); its standard error is calibrated in
    ``docs/calibration.md``.
    """
    V, Q, n, theta, Sigma, sigma2, samples, seed, chunk = validate_setting(
        V, Q, n, theta, Sigma, sigma2, samples, seed, chunk, allow_inf_n=True)
    plan = _plan(V, Q, n, theta, Sigma, sigma2)
    if n == 0 or math.isinf(n):
        return Estimate(mean=float(plan.const), stderr=0.0, samples=samples)
    N = n + 1
    K = plan.G.T @ plan.H @ plan.G / N ** 2
    lin = 2 * (plan.G.T @ plan.lin) / N     # coefficient of delta t' in the linear (zero-mean) part
    K00, K01, K11 = float(K[0, 0]), float(K[0, 1]), float(K[1, 1])
    tr_rest = float(np.trace(K[2:, 2:]))
    lin0, lin1 = float(lin[0]), float(lin[1])
    rng_normal, rng_chi2 = _spawn(seed, 2)
    sqrt_n = math.sqrt(n)
    a0, rho = plan.a0, plan.rho
    if chunk is None:
        chunk = MEMORY_BUDGET_FLOATS // 8

    def quad(g1: np.ndarray, chi2: np.ndarray) -> np.ndarray:
        coef = sqrt_n * a0 + rho * g1                 # n (a0 + rho u_bar'_1) / sqrt(n)
        x0 = (sqrt_n * rho) * g1                      # delta t'_0
        x1 = coef * g1 + rho * (chi2 - n)             # delta t'_1
        # delta t'_j (j >= 2) = coef g_j + rho A_11 A_j1 ~ sqrt(coef^2 + rho^2 chi2) N(0, 1), independent:
        # their quadratic-form contribution is averaged out exactly (trace), cross terms have mean 0.
        out = (K00 * x0 + 2 * K01 * x1) * x0 + K11 * x1 * x1 + tr_rest * (coef * coef + rho * rho * chi2)
        if not control_variate:
            out += lin0 * x0 + lin1 * x1
        return out

    # antithetic pair (g1, -g1): the average of quad keeps its even part in g1, which is
    # c2 g1^2 + K11 e^2 + tr_rest (n a0^2 + rho^2 chi2) (+ lin1 e without the control variate)
    # with e = rho (g1^2 + chi2 - n), the even part of delta t'_1
    A, c = sqrt_n * rho, sqrt_n * a0
    c2 = K00 * A * A + 2 * K01 * A * c + K11 * c * c + tr_rest * rho * rho
    c0_even = tr_rest * c * c

    def draw(k: int) -> np.ndarray:
        # u_bar' = g / sqrt(n) in the rotated coordinates; only g_1 survives the conditioning
        g1 = rng_normal.standard_normal(k)
        chi2 = rng_chi2.chisquare(n - 1, size=k) if n >= 2 else np.zeros(k)   # A_11^2 of Bartlett
        if not antithetic:
            return quad(g1, chi2)
        g2 = g1 * g1
        e = rho * (g2 + chi2 - n)
        out = c2 * g2 + (K11 * e) * e + (tr_rest * rho * rho) * chi2 + c0_even
        if not control_variate:
            out += lin1 * e
        return out

    return run_chunked(samples, chunk, draw, shift=plan.const)
