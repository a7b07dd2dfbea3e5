"""Property tests of a derived error formula with numeric's strategies and Monte Carlo check.

The formula under test: a "pretrained-like" model whose value matrix keeps only V[-1,-1] = 1
and whose query-key matrix keeps only its x block Gamma predicts f = h^T Gamma x_{n+1} with
h = (1/(n+1)) sum_{i<=n} y_i x_i. By hand (Isserlis),

    E(V, Q, n; theta) = sigma2 + r^T Sigma r + tr(Gamma Sigma Gamma^T Cov(h)),
    r = Gamma^T E[h] - theta,  E[h] = n/(n+1) Sigma theta,
    Cov(h) = n/(n+1)^2 ((theta^T Sigma theta + sigma2) Sigma + Sigma theta theta^T Sigma).
"""
import numpy as np
import pytest
from hypothesis import given, settings

from numeric import assert_matches_monte_carlo
from numeric.strategies import Setting, settings as task_settings


def pretrained_like_params(Gamma):
    d = Gamma.shape[0]
    V = np.zeros((d + 2, d + 2))
    V[-1, -1] = 1.0
    Q = np.zeros((d + 2, d + 2))
    Q[1:d + 1, 1:d + 1] = Gamma
    return V, Q


def my_formula(Gamma, theta, Sigma, sigma2, n, bug=0.0):
    """The claimed exact error; ``bug`` perturbs one coefficient (n/(n+1) -> (1 + bug) n/(n+1))."""
    N = n + 1
    Eh = (1 + bug) * n / N * Sigma @ theta
    Ch = n / N ** 2 * ((theta @ Sigma @ theta + sigma2) * Sigma + np.outer(Sigma @ theta, Sigma @ theta))
    r = Gamma.T @ Eh - theta
    return sigma2 + r @ Sigma @ r + np.trace(Gamma @ Sigma @ Gamma.T @ Ch)


# derandomize=True: the same examples on every run (fixed seeds, as the project's tests)
@settings(max_examples=20, deadline=None, derandomize=True)
@given(task_settings(max_d=4, min_n=1, max_n=40))
def test_pretrained_like_error(s: Setting):
    Gamma = np.linalg.inv(s.Sigma)            # the pretrained Q's x block at n -> infinity
    V, Q = pretrained_like_params(Gamma)
    value = my_formula(Gamma, s.theta, s.Sigma, s.sigma2, s.n)
    # raises AssertionError with the estimate, its standard error and the z-score on mismatch
    assert_matches_monte_carlo(value, V=V, Q=Q, **s.kwargs())


def test_a_one_percent_bug_is_caught():
    """The same check fails on the formula with one coefficient off by 1% (its power)."""
    d, n = 3, 10
    Sigma, theta, sigma2 = np.diag([0.5, 1.0, 2.0]), np.array([1.0, 0.0, -1.0]), 0.1
    Gamma = np.linalg.inv(Sigma)
    V, Q = pretrained_like_params(Gamma)
    wrong = my_formula(Gamma, theta, Sigma, sigma2, n, bug=0.01)
    with pytest.raises(AssertionError, match="z = "):
        assert_matches_monte_carlo(wrong, V=V, Q=Q, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2)
