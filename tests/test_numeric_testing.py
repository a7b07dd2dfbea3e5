"""The reusable checks (numeric.testing) and Hypothesis strategies (numeric.strategies)."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings

from numeric import (
    Check,
    assert_matches_monte_carlo,
    calibrate,
    check_against_monte_carlo,
    check_covariance,
    check_params,
    check_vector,
    moment_error,
)
from numeric.strategies import Case, cases, parameters, settings, spd_matrices
from numeric.testing import calibration_settings, clopper_pearson_upper

SETTINGS = calibration_settings()
PRETRAINED_20 = {k: v for k, v in SETTINGS[15].items() if k != "name"}
assert PRETRAINED_20["n"] == 20


def test_check_passes_on_exact_value():
    value = moment_error(**PRETRAINED_20)
    chk = check_against_monte_carlo(value, **PRETRAINED_20, seed=1)
    assert isinstance(chk, Check) and chk.passed and abs(chk.z) <= 4
    assert chk.samples == 2_000_000 and chk.method == "fast"
    assert "ok" in str(chk)


@pytest.mark.parametrize("factor", [1.01, 0.99])
def test_value_off_by_one_percent_is_caught(factor):
    """Power: a value off by 1% fails (calibrated power 1.00 on every calibration setting)."""
    value = moment_error(**PRETRAINED_20) * factor
    with pytest.raises(AssertionError, match=r"claimed .* Monte Carlo \(fast\) .* ± .* z = [+-]\d"):
        assert_matches_monte_carlo(value, **PRETRAINED_20, seed=1)


def test_exact_paths_zero_shot_and_infinite_shots():
    s = dict(PRETRAINED_20)
    for n in (0, math.inf):
        s["n"] = n
        exact = moment_error(**s)
        chk = assert_matches_monte_carlo(exact, **s)
        assert chk.stderr == 0 and chk.z == 0
        assert not check_against_monte_carlo(exact * (1 + 1e-6), **s).passed


def test_reference_method():
    s = dict(PRETRAINED_20, n=3)
    chk = check_against_monte_carlo(moment_error(**s), **s, method="reference", samples=20_000, seed=2)
    assert chk.passed and chk.method == "reference" and chk.samples == 20_000
    with pytest.raises(ValueError, match="^n: expected an integer >= 0"):
        check_against_monte_carlo(1.0, **dict(s, n=math.inf), method="reference")


@pytest.mark.parametrize(
    "bad, arg",
    [
        (dict(value=float("nan")), "value"), (dict(value="0.5"), "value"), (dict(value=[1.0, 2.0]), "value"),
        (dict(samples=0), "samples"), (dict(samples=-1), "samples"), (dict(seed=0.5), "seed"),
        (dict(z=0), "z"), (dict(z=-1.0), "z"), (dict(method="exact"), "method"),
        (dict(V=np.eye(6)), "V"), (dict(Q=np.eye(3)), "Q"), (dict(theta=np.ones(4)), "theta"),
        (dict(Sigma=-np.eye(5)), "Sigma"), (dict(n=-1), "n"), (dict(sigma2=-1.0), "sigma2"),
    ],
)
def test_bad_arguments(bad, arg):
    kw = dict(PRETRAINED_20, value=1.0)
    kw.update(bad)
    value = kw.pop("value")
    for fn in (check_against_monte_carlo, assert_matches_monte_carlo):
        with pytest.raises(ValueError, match=rf"^{arg}: expected"):
            fn(value, **kw)


def test_calibrate_small_run_and_validation():
    cal = calibrate(lambda s: moment_error(**s), SETTINGS[14:16], seeds=3, samples=200_000)
    assert cal.checks == 6 and cal.false_alarms == 0 and len(cal.rows) == 2
    assert "false alarms 0/6" in cal.summary() and cal.markdown().count("\n") == 3
    wrong = calibrate(lambda s: moment_error(**s), SETTINGS[15:16], seeds=2, samples=200_000,
                      wrong_fn=lambda s: 1.02 * moment_error(**s))
    assert wrong.rows[0].caught_up == 2 and wrong.min_power == 1.0
    with pytest.raises(ValueError, match="^value_fn: expected a callable"):
        calibrate(1.0, SETTINGS[:1])
    with pytest.raises(ValueError, match="^settings: expected a non-empty sequence"):
        calibrate(lambda s: 1.0, [])
    with pytest.raises(ValueError, match=r"^settings\[0\]: expected keys .* missing Q"):
        calibrate(lambda s: 1.0, [dict(V=np.eye(3), n=1, theta=[1.0], Sigma=[[1.0]], sigma2=0.1)])
    with pytest.raises(ValueError, match="^seeds: expected an integer >= 1"):
        calibrate(lambda s: 1.0, SETTINGS[:1], seeds=0)
    with pytest.raises(ValueError, match="^rel_error: expected"):
        calibrate(lambda s: 1.0, SETTINGS[:1], rel_error=-0.01)
    with pytest.raises(ValueError, match=r"^value_fn\(settings\[0\]\): expected a finite real number"):
        calibrate(lambda s: float("nan"), SETTINGS[:1], seeds=1)


def test_clopper_pearson():
    assert clopper_pearson_upper(0, 200) == pytest.approx(1 - 0.05 ** (1 / 200), rel=1e-6)
    assert clopper_pearson_upper(200, 200) == 1.0
    assert 0.01 < clopper_pearson_upper(1, 200) < 0.03


@hsettings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_d=4, max_n=30, scale=1.0))
def test_strategies_draw_valid_well_conditioned_cases(case):
    assert isinstance(case, Case)
    d = case.d
    Sigma = check_covariance(case.setting.Sigma, d=d)
    lam = np.linalg.eigvalsh(Sigma)
    assert lam[0] >= 0.25 - 1e-9 and lam[-1] <= 2.0 + 1e-9
    check_vector(case.setting.theta, "theta", d)
    V, Q = check_params(case.V, case.Q, d)
    assert np.abs(V).max() <= 1.0 and 0 <= case.setting.sigma2 <= 1.0 and 0 <= case.n <= 30


@hsettings(max_examples=15, deadline=None, derandomize=True)
@given(settings(d=2, min_n=3, max_n=3, max_sigma2=0.5), parameters(2, scale=0.3))
def test_strategy_arguments_control_sizes(s, VQ):
    assert s.d == 2 and s.n == 3 and s.sigma2 <= 0.5 and s.theta.shape == (2,)
    assert VQ[0].shape == VQ[1].shape == (4, 4) and np.abs(VQ[0]).max() <= 0.3


@hsettings(max_examples=20, deadline=None, derandomize=True)
@given(cases(max_d=3, max_n=12))
def test_moment_error_matches_fast_monte_carlo(case):
    """Property: the exact numeric error agrees with the fast estimator (|z| <= 4, 200,000 samples).

    False alarms: 0 in 200 seeds x 6 settings at this sample size (docs/calibration.md).
    """
    assert_matches_monte_carlo(moment_error(**case.kwargs()), **case.kwargs(), samples=200_000, seed=0)


def test_strategy_argument_validation():
    with pytest.raises(ValueError, match="^min_eig, max_eig: expected"):
        spd_matrices(2, min_eig=0.0)
    with pytest.raises(ValueError, match="^d: expected an integer >= 1"):
        spd_matrices(0)
    with pytest.raises(ValueError, match="^max_n: expected an integer >= 5"):
        settings(min_n=5, max_n=2)
    with pytest.raises(ValueError, match="^scale: expected a positive"):
        cases(scale=-1)


def test_clopper_pearson_bound_solves_its_equation():
    """The 95% upper bound p after k events in n trials solves P[X <= k; p] = 0.05, written out for
    k = 1 and k = 2: (1-p)^n + n p (1-p)^(n-1) (+ C(n,2) p^2 (1-p)^(n-2))."""
    n = 200
    p1, p2 = clopper_pearson_upper(1, n), clopper_pearson_upper(2, n)
    assert (1 - p1) ** n + n * p1 * (1 - p1) ** (n - 1) == pytest.approx(0.05, rel=1e-9)
    tail2 = (1 - p2) ** n + n * p2 * (1 - p2) ** (n - 1) + n * (n - 1) / 2 * p2 ** 2 * (1 - p2) ** (n - 2)
    assert tail2 == pytest.approx(0.05, rel=1e-9)


def test_the_rule_is_abs_z_at_most_z_tol():
    """The verdict on a given estimate: |z| <= z_tol passes, a little more fails (either sign); with
    stderr 0 only agreement to EXACT_RTOL passes."""
    from numeric.montecarlo import Estimate
    from numeric.testing import _compare
    est = Estimate(mean=10.0, stderr=0.5, samples=100)
    for value, ok in ((12.0, True), (8.0, True), (12.01, False), (7.99, False), (14.5, False)):
        c = _compare(value, est, 4.0, "fast")
        assert c.passed is ok and c.z == pytest.approx((value - 10.0) / 0.5), (value, c)
    exact = Estimate(mean=10.0, stderr=0.0, samples=1)
    assert _compare(10.0 * (1 + 1e-12), exact, 4.0, "fast").passed
    assert not _compare(10.0 * (1 + 1e-8), exact, 4.0, "fast").passed
