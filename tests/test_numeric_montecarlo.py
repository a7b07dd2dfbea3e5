"""The reference Monte Carlo estimator against errors known by hand.

Hand-derived exact errors (x ~ N(0, Sigma), y = theta^T x + eps):

- V = 0: f = [Z]_{-1,-1} = 0 (the query's hidden label), so E = E[y^2] = theta^T Sigma theta + sigma2.
- "pretrained-like": V = e_{d+1} e_{d+1}^T (only V[-1,-1] = 1) and Q with only its x block Gamma.
  Then f = h^T Gamma x_{n+1} with h = (1/N) sum_{i<=n} y_i x_i, N = n + 1, E[h] = (n/N) Sigma theta,
  Cov(h) = (n/N^2) ((theta^T Sigma theta + sigma2) Sigma + Sigma theta theta^T Sigma), so
  E = sigma2 + (Gamma^T E h - theta)^T Sigma (Gamma^T E h - theta) + tr(Gamma Sigma Gamma^T Cov(h)).

Statistical checks pass when |z| < Z_TOL = 4 with z = (exact - estimate) / stderr. Measured by
``bench/calibrate_montecarlo.py --only tests`` on exactly these CASES and sample sizes (200 seeds
each; docs/calibration.md): false alarms 0/1200 (95% upper bound 0.25%), |z| > 2 in 5.5% and
|z| > 3 in 0.42% of runs. Power against the exact value off by 1%: at most 6/200 (the reference
estimator's standard error is 0.6-1.8% of the value at 60,000 prompts); off by 5%: 1.00 in four
cases, 0.99 at n = 8, 0.06-0.15 at d = 2, n = 1. The reference estimator is the independent
ground truth, not a sharp detector: sharp checks use the fast estimator (test_numeric_fast.py).
"""
import math

import numpy as np
import pytest

from numeric import Estimate, estimate_error

Z_TOL = 4.0
REF_SAMPLES = 60_000


def hand_zero_V(d, theta, Sigma, sigma2, n):
    return float(theta @ Sigma @ theta + sigma2)


def hand_pretrained(Gamma, theta, Sigma, sigma2, n):
    N = n + 1
    Eh = n / N * Sigma @ theta
    Ch = n / N ** 2 * ((theta @ Sigma @ theta + sigma2) * Sigma + np.outer(Sigma @ theta, Sigma @ theta))
    r = Gamma.T @ Eh - theta
    return float(sigma2 + r @ Sigma @ r + np.trace(Gamma @ Sigma @ Gamma.T @ Ch))


def pretrained_params(Gamma):
    d = Gamma.shape[0]
    V = np.zeros((d + 2, d + 2))
    V[-1, -1] = 1.0
    Q = np.zeros((d + 2, d + 2))
    Q[1:d + 1, 1:d + 1] = Gamma
    return V, Q


def _spd(r, d):
    A = r.standard_normal((d, d))
    return A @ A.T / d + 0.5 * np.eye(d)


def make_cases():
    """(name, V, Q, setting, exact) for the reference estimator's hand-checked cases."""
    r = np.random.default_rng(2024)
    cases = []
    for d, n in [(1, 0), (3, 4)]:
        Sigma, theta = _spd(r, d), r.standard_normal(d)
        s = dict(n=n, theta=theta, Sigma=Sigma, sigma2=0.25)
        cases.append((f"V=0 d={d} n={n}", np.zeros((d + 2, d + 2)), r.standard_normal((d + 2, d + 2)), s,
                      hand_zero_V(d, theta, Sigma, 0.25, n)))
    for d, n in [(2, 0), (2, 1), (2, 8), (3, 40)]:
        Sigma, theta = _spd(r, d), r.standard_normal(d) / math.sqrt(d)
        Gamma = np.linalg.inv(Sigma) * (n + 1) / max(n, 1) * 0.8 + 0.1 * r.standard_normal((d, d))
        V, Q = pretrained_params(Gamma)
        s = dict(n=n, theta=theta, Sigma=Sigma, sigma2=0.1)
        cases.append((f"pretrained-like d={d} n={n}", V, Q, s, hand_pretrained(Gamma, theta, Sigma, 0.1, n)))
    return cases


CASES = make_cases()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_reference_matches_hand_derived(case):
    """Reference estimator vs exact error; |z| < 4 at 60000 samples, seed 1 (false alarms 0/1200, see module)."""
    _, V, Q, s, exact = case
    est = estimate_error(V, Q, samples=REF_SAMPLES, seed=1, **s)
    assert abs(est.z(exact)) < Z_TOL, (exact, est)


def test_zero_v_is_exact_in_distribution():
    # with V = 0 the squared error is y_{n+1}^2 whatever the context: a sanity check of the labels
    d = 2
    Sigma, theta = np.eye(d), np.array([1.0, 0.0])
    est = estimate_error(np.zeros((4, 4)), np.eye(4), n=3, theta=theta, Sigma=Sigma, sigma2=0.0, samples=4000, seed=3)
    # y = x_1 ~ N(0, 1): y^2 has mean 1 and variance 2
    assert est.stderr == pytest.approx(math.sqrt(2 / 4000), rel=0.1)


@pytest.mark.parametrize("n", [0, 3, 25])
def test_chunk_size_does_not_change_the_estimate(n):
    _, V, Q, s, _ = CASES[3]
    s = dict(s, n=n)
    a = estimate_error(V, Q, samples=1000, seed=5, **s)
    for chunk in (1, 7, 999, 5000):
        b = estimate_error(V, Q, samples=1000, seed=5, chunk=chunk, **s)
        assert b.samples == 1000
        assert b.mean == pytest.approx(a.mean, rel=1e-12) and b.stderr == pytest.approx(a.stderr, rel=1e-9)


def test_seed_reproducible_and_generator_accepted():
    _, V, Q, s, _ = CASES[2]
    a = estimate_error(V, Q, samples=500, seed=11, **s)
    assert a == estimate_error(V, Q, samples=500, seed=11, **s)
    assert a == estimate_error(V, Q, samples=500, seed=np.random.default_rng(11), **s)
    assert a != estimate_error(V, Q, samples=500, seed=12, **s)


def test_estimate_repr_and_z():
    e = Estimate(mean=0.12341234, stderr=0.0012, samples=100000)
    assert repr(e) == "0.123412 ± 0.0012 (n=100000)"
    assert e.z(0.12581234) == pytest.approx(2.0)
    assert Estimate(1.0, 0.0, 5).z(1.0) == 0 and Estimate(1.0, 0.0, 5).z(2.0) == math.inf
    with pytest.raises(AttributeError):
        e.mean = 1.0


GOOD = dict(V=np.eye(4), Q=np.eye(4), n=2, theta=[1.0, 0.0], Sigma=np.eye(2), sigma2=0.1, samples=100, seed=0)


@pytest.mark.parametrize(
    "bad, arg",
    [
        (dict(samples=0), "samples"), (dict(samples=-3), "samples"), (dict(samples=10.5), "samples"),
        (dict(seed=1.5), "seed"), (dict(seed="x"), "seed"), (dict(seed=-1), "seed"),
        (dict(n=-1), "n"), (dict(n=2.5), "n"), (dict(n=math.inf), "n"),
        (dict(V=np.eye(3)), "V"), (dict(Q=np.ones((4, 5))), "Q"), (dict(theta=[1.0]), "theta"),
        (dict(Sigma=[[1, 2], [2, 1]]), "Sigma"), (dict(sigma2=-0.1), "sigma2"), (dict(chunk=0), "chunk"),
        (dict(V=np.full((4, 4), np.nan)), "V"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(bad, arg):
    kw = dict(GOOD, **bad)
    V, Q = kw.pop("V"), kw.pop("Q")
    with pytest.raises(ValueError, match=rf"^{arg}: expected"):
        estimate_error(V, Q, **kw)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 10])
def test_chunked_mean_and_standard_error_are_the_textbook_ones(chunk):
    """run_chunked's mean and standard error equal the one-pass formulas on fixed numbers, whatever the
    chunks: mean = sum x / n, stderr = sqrt(sum (x - mean)^2 / (n - 1) / n) (Bessel's n - 1), exact to
    rounding; the shift moves the mean only."""
    from numeric.montecarlo import run_chunked
    x = np.array([3.0, -1.0, 4.0, 1.0, 5.0, 9.0, -2.0, 6.0, 5.0, 3.0])
    it = iter(np.split(x, np.cumsum([chunk] * (len(x) // chunk))))
    est = run_chunked(len(x), chunk, lambda k: next(it), shift=0.5)
    mean = sum(x) / len(x)
    se = math.sqrt(sum((v - mean) ** 2 for v in x) / (len(x) - 1) / len(x))
    assert est.samples == 10
    assert est.mean == pytest.approx(mean + 0.5, rel=1e-14) and est.stderr == pytest.approx(se, rel=1e-13)
