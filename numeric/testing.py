"""Statistical checks of a claimed exact error against Monte Carlo, and their calibration.

- :func:`check_against_monte_carlo` returns a :class:`Check` (estimate, stderr, z, passed):
  the ``verify`` command's row.
- :func:`assert_matches_monte_carlo` raises AssertionError (estimate, stderr, z) when the
  check fails: for your own property tests (``docs/property-tests.md``).
- :func:`calibrate` measures a check's false-alarm rate over many seeds and its power
  against a value off by 1%.

The check: E = claimed value, m +- se the Monte Carlo estimate, z = (E - m) / se; it
passes when |z| <= z_tol (exact estimates, se = 0, pass when they agree to rounding).

Measured with the defaults (fast estimator, 2,000,000 samples, z_tol = 4) over 200 seeds on
each of the 19 settings of :func:`calibration_settings` (d = 1..5, n = 0..1000, random and
structured V, Q, non-identity Sigma; ``python bench/calibrate_montecarlo.py --only default``):
false alarms 0 / 3800 (0 / 3200 among runs with a positive standard error; 95% upper bound
0.09%), |z| > 2 in 4.59% and |z| > 3 in 0.41% of runs (normal: 4.55%, 0.27%), and power 1.00
against the value off by +1% and by -1% in every setting. A single coefficient off by 1% is
caught when it moves the value by about 6 standard errors (199/200 and 200/200 in four of five
settings, 6/200 where it moves the value by only 0.25%). With ``method='reference'``
(100,000 prompts): 1 false alarm in 1600 (95% upper bound 0.30%) and little power at 1%.
Details: docs/calibration.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .fast import estimate_error_fast
from .montecarlo import EXACT_RTOL, Estimate, estimate_error, validate_setting
from .validation import check_count, check_seed

__all__ = [
    "Check",
    "check_against_monte_carlo",
    "assert_matches_monte_carlo",
    "Calibration",
    "CalibrationRow",
    "calibrate",
    "calibration_settings",
    "DEFAULT_SAMPLES",
    "DEFAULT_Z",
]

#: default Monte Carlo samples per check, by method
DEFAULT_SAMPLES = {"fast": 2_000_000, "reference": 100_000}
#: default z-score tolerance
DEFAULT_Z = 4.0
METHODS = ("fast", "reference")


@dataclass(frozen=True)
class Check:
    """Outcome of comparing a claimed exact error ``value`` with a Monte Carlo ``estimate``.

    ``z = (value - estimate) / stderr``; ``passed`` when |z| <= ``z_tol`` (or, for an exact
    estimate with stderr 0, when value and estimate agree to rounding).
    """

    value: float
    estimate: float
    stderr: float
    z: float
    passed: bool
    samples: int
    z_tol: float
    method: str

    def __str__(self) -> str:
        verdict = "ok" if self.passed else "FAIL"
        return (f"claimed {self.value:.6g}, Monte Carlo ({self.method}) {self.estimate:.6g} ± {self.stderr:.2g} "
                f"(n={self.samples}): z = {self.z:+.2f} [{verdict}, |z| <= {self.z_tol:g}]")


def _check_value(value: Any, name: str = "value") -> float:
    if isinstance(value, (bool, np.bool_, str, bytes, complex)) or (isinstance(value, np.ndarray) and value.size != 1):
        raise ValueError(f"{name}: expected a finite real number (the claimed exact error), got {value!r}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a finite real number (the claimed exact error), "
                         f"got {type(value).__name__} {value!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{name}: expected a finite real number (the claimed exact error), got {f}")
    return f


def _check_z(z: Any) -> float:
    try:
        f = float(z)
    except (TypeError, ValueError):
        f = float("nan")
    if isinstance(z, (bool, np.bool_)) or not (math.isfinite(f) and f > 0):
        raise ValueError(f"z: expected a finite positive z-score tolerance, got {z!r}")
    return f


def _check_method(method: Any) -> str:
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    return method


def _estimate(method: str, V: Any, Q: Any, n: Any, theta: Any, Sigma: Any, sigma2: Any, samples: int,
              seed: Any) -> Estimate:
    fn = estimate_error_fast if method == "fast" else estimate_error
    return fn(V, Q, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2, samples=samples, seed=seed)


def _compare(value: float, est: Estimate, z_tol: float, method: str) -> Check:
    z = est.z(value)
    if est.stderr > 0:
        passed = abs(z) <= z_tol
    else:
        passed = abs(value - est.mean) <= EXACT_RTOL * max(1.0, abs(value), abs(est.mean))
    return Check(value=value, estimate=est.mean, stderr=est.stderr, z=z, passed=passed, samples=est.samples,
                 z_tol=z_tol, method=method)


def check_against_monte_carlo(value: Any, *, V: Any, Q: Any, n: Any, theta: Any, Sigma: Any, sigma2: Any,
                              samples: Any = None, seed: int | np.random.Generator = 0, z: float = DEFAULT_Z,
                              method: str = "fast") -> Check:
    r"""Compare a claimed exact E(V, Q, n; theta) with a Monte Carlo estimate.

    Parameters
    ----------
    value : float
        The claimed exact error (a SymPy number is fine: it is converted with ``float``).
    V, Q, n, theta, Sigma, sigma2
        The parameters and setting, as for :func:`numeric.montecarlo.estimate_error`
        (with ``method='fast'``, n may be ``math.inf``: the check is then exact).
    samples : int >= 2, optional
        Default ``DEFAULT_SAMPLES[method]`` (2,000,000 fast; 100,000 reference).
    seed : int >= 0 or numpy.random.Generator
    z : float > 0
        Tolerance on |z|, z = (value - estimate) / stderr (default 4).
    method : 'fast' or 'reference'
        :func:`numeric.fast.estimate_error_fast` or the reference forward pass.

    Returns
    -------
    Check
        value, estimate, stderr, z, passed (and samples, z_tol, method).

    Calibration (defaults): false alarms 0 / 3800 over 200 seeds x 19 settings (95% upper
    bound 0.08%) and power 1.00 against the value off by +-1% in every setting (module
    docstring, docs/calibration.md).

    Raises
    ------
    ValueError
        Naming the argument: value not a finite real number, samples < 2, seed not an
        int >= 0 or Generator, z not positive, unknown method, or a bad setting/shape.
    """
    value = _check_value(value)
    z_tol = _check_z(z)
    method = _check_method(method)
    if samples is None:
        samples = DEFAULT_SAMPLES[method]
    V, Q, n, theta, Sigma, sigma2, samples, seed, _ = validate_setting(
        V, Q, n, theta, Sigma, sigma2, samples, seed, None, allow_inf_n=(method == "fast"))
    est = _estimate(method, V, Q, n, theta, Sigma, sigma2, samples, seed)
    return _compare(value, est, z_tol, method)


def assert_matches_monte_carlo(value: Any, *, V: Any, Q: Any, n: Any, theta: Any, Sigma: Any, sigma2: Any,
                               samples: Any = None, seed: int | np.random.Generator = 0, z: float = DEFAULT_Z,
                               method: str = "fast") -> Check:
    """Assert that a claimed exact E(V, Q, n; theta) agrees with Monte Carlo; returns the :class:`Check`.

    Same arguments as :func:`check_against_monte_carlo`. Raises AssertionError with the
    claimed value, the estimate, its standard error and the z-score when |z| > ``z``.
    With the defaults the false-alarm rate is 0 in 3800 calibration checks (95% upper
    bound 0.08%) and a value off by 1% is caught in every run of every calibration setting.
    """
    chk = check_against_monte_carlo(value, V=V, Q=Q, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2,
                                    samples=samples, seed=seed, z=z, method=method)
    if not chk.passed:
        raise AssertionError(f"exact error does not match Monte Carlo: {chk}")
    return chk


# ----------------------------------------------------------------------------------------------
# calibration


def clopper_pearson_upper(k: int, trials: int, level: float = 0.95) -> float:
    """One-sided upper confidence bound on a binomial rate after k events in ``trials``."""
    if k >= trials:
        return 1.0
    alpha = 1 - level

    def cdf(p: float) -> float:  # P[X <= k]
        return sum(math.comb(trials, i) * p ** i * (1 - p) ** (trials - i) for i in range(k + 1))

    lo, hi = k / trials, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True)
class CalibrationRow:
    """One setting's calibration: false alarms and detections over ``seeds`` runs."""

    name: str
    value: float
    seeds: int
    false_alarms: int
    caught_up: int          # runs failing against value * (1 + rel_error) (the first rel_error), or wrong_fn
    caught_down: int        # runs failing against value * (1 - rel_error) (equal to caught_up with wrong_fn)
    mean_rel_stderr: float  # average stderr / |value|
    max_abs_z: float        # largest |z| against the right value
    over2: int = 0          # runs with |z| > 2 against the right value (4.55% expected if z ~ N(0, 1))
    over3: int = 0          # runs with |z| > 3 (0.27% expected)
    caught: tuple = ()      # ((rel_error, caught_up, caught_down), ...) for every rel_error asked for

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.seeds

    @property
    def power(self) -> float:
        return min(self.caught_up, self.caught_down) / self.seeds

    @property
    def exact(self) -> bool:
        """True when the estimates had standard error 0 (exact paths: n = 0, n = inf, no randomness)."""
        return self.mean_rel_stderr == 0


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`: per-setting rows and totals."""

    rows: list[CalibrationRow]
    samples: int
    z_tol: float
    method: str
    rel_error: float | tuple
    seconds: float = 0.0
    two_sided: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def checks(self) -> int:
        return sum(r.seeds for r in self.rows)

    @property
    def false_alarms(self) -> int:
        return sum(r.false_alarms for r in self.rows)

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.checks

    @property
    def false_alarm_upper95(self) -> float:
        return clopper_pearson_upper(self.false_alarms, self.checks)

    @property
    def min_power(self) -> float:
        """The smallest per-setting power (against both directions of the wrong value)."""
        return min(r.power for r in self.rows)

    @property
    def statistical_rows(self) -> list[CalibrationRow]:
        """The rows whose estimates have a positive standard error (not the exact paths)."""
        return [r for r in self.rows if not r.exact]

    @property
    def statistical_checks(self) -> int:
        return sum(r.seeds for r in self.statistical_rows)

    @property
    def statistical_false_alarms(self) -> int:
        return sum(r.false_alarms for r in self.statistical_rows)

    @property
    def over2_rate(self) -> float:
        """Fraction of statistical runs with |z| > 2 against the right value (0.0455 for an exact N(0, 1) z)."""
        return sum(r.over2 for r in self.statistical_rows) / max(1, self.statistical_checks)

    @property
    def over3_rate(self) -> float:
        """Fraction of statistical runs with |z| > 3 (0.0027 for an exact N(0, 1) z)."""
        return sum(r.over3 for r in self.statistical_rows) / max(1, self.statistical_checks)

    def summary(self) -> str:
        rels = self.rel_error if isinstance(self.rel_error, tuple) else (self.rel_error,)
        powers = "; ".join(
            f"power against +-{r:.0%} off: min over {len(self.rows)} settings "
            f"{min(min(c[1], c[2]) for row in self.rows for c in row.caught if c[0] == r) / self.rows[0].seeds:.2f}"
            for r in rels) if self.two_sided else f"power against wrong_fn: min {self.min_power:.2f}"
        k, m = self.statistical_false_alarms, self.statistical_checks
        stat = (f" (of which with stderr > 0: {k}/{m}, 95% upper bound {clopper_pearson_upper(k, m):.4f})"
                if m != self.checks and m > 0 else "")
        return (f"{self.method} estimator, {self.samples} samples, |z| <= {self.z_tol:g}: false alarms "
                f"{self.false_alarms}/{self.checks} = {self.false_alarm_rate:.4f} (95% upper bound "
                f"{self.false_alarm_upper95:.4f}){stat}; over runs with stderr > 0, |z| > 2: {self.over2_rate:.4f} "
                f"(normal 0.0455), |z| > 3: {self.over3_rate:.4f} (normal 0.0027); {powers}; {self.seconds:.1f} s")

    def markdown(self) -> str:
        rels = self.rel_error if isinstance(self.rel_error, tuple) else (self.rel_error,)
        heads = [f"caught +{r:.0%} / -{r:.0%}" for r in rels] if self.two_sided else ["caught wrong"]
        lines = ["| setting | exact | false alarms | " + " | ".join(heads)
                 + " | stderr/value | abs z > 2 | abs z > 3 | max abs z |",
                 "|---|---|---|" + "---|" * len(heads) + "---|---|---|---|"]
        for r in self.rows:
            cells = ([f"{c[1]}/{c[2]} of {r.seeds}" for c in r.caught] if self.two_sided
                     else [f"{r.caught_up}/{r.seeds}"])
            lines.append(f"| {r.name} | {r.value:.6g} | {r.false_alarms}/{r.seeds} | " + " | ".join(cells)
                         + f" | {r.mean_rel_stderr:.1e} | {r.over2}/{r.seeds} | {r.over3}/{r.seeds} | "
                         f"{r.max_abs_z:.2f} |")
        return "\n".join(lines)


def _setting_args(setting: Mapping[str, Any], i: int) -> dict[str, Any]:
    if hasattr(setting, "kwargs") and callable(setting.kwargs):
        setting = setting.kwargs()
    if not isinstance(setting, Mapping):
        raise ValueError(f"settings[{i}]: expected a mapping with keys V, Q, n, theta, Sigma, sigma2 "
                         f"(or an object with .kwargs()), got {type(setting).__name__}")
    missing = [k for k in ("V", "Q", "n", "theta", "Sigma", "sigma2") if k not in setting]
    if missing:
        raise ValueError(f"settings[{i}]: expected keys V, Q, n, theta, Sigma, sigma2, missing {', '.join(missing)}")
    return dict(setting)


def calibrate(value_fn: Callable[[dict[str, Any]], Any], settings: Sequence[Mapping[str, Any]], seeds: int = 200, *,
              samples: Any = None, z: float = DEFAULT_Z, method: str = "fast",
              rel_error: float | Sequence[float] = 0.01,
              wrong_fn: Callable[[dict[str, Any]], Any] | None = None, first_seed: int = 0) -> Calibration:
    """Measure the false-alarm rate and the power of :func:`check_against_monte_carlo`.

    For every setting i (a mapping with keys V, Q, n, theta, Sigma, sigma2, and optionally
    ``name``; or a :class:`numeric.strategies.Case`) and every seed in
    ``first_seed + i * seeds .. first_seed + (i + 1) * seeds - 1`` (distinct seeds, so settings
    are independent), one Monte Carlo estimate is made and compared with

    - ``value_fn(setting)``, the exact error: a failure is a false alarm;
    - a wrong value, ``value * (1 + rel_error)`` and ``value * (1 - rel_error)`` (for each
      rel_error if a sequence is given), or ``wrong_fn(setting)`` if given (e.g. the formula
      with one coefficient off by 1%): a failure is a detection (power).

    Returns a :class:`Calibration` (``summary()``, ``markdown()``, rates and the Clopper-
    Pearson 95% upper bound on the false-alarm rate). The lead can rerun it against the
    derived closed forms, e.g. ``calibrate(lambda s: float(exact_error(**s)), settings)``.
    """
    import time

    if not callable(value_fn):
        raise ValueError(f"value_fn: expected a callable setting -> exact error, got {type(value_fn).__name__}")
    if wrong_fn is not None and not callable(wrong_fn):
        raise ValueError(f"wrong_fn: expected a callable setting -> wrong value, got {type(wrong_fn).__name__}")
    if isinstance(settings, Mapping) or not isinstance(settings, Sequence) or len(settings) == 0:
        raise ValueError("settings: expected a non-empty sequence of settings (mappings with V, Q, n, theta, Sigma, sigma2)")
    seeds = int(check_count(seeds, "seeds", minimum=1))
    first_seed = check_seed(first_seed, "first_seed")
    z_tol = _check_z(z)
    method = _check_method(method)
    if samples is None:
        samples = DEFAULT_SAMPLES[method]
    rels = tuple(rel_error) if isinstance(rel_error, Sequence) else (rel_error,)
    if not rels or not all(isinstance(r, (int, float)) and not isinstance(r, bool) and math.isfinite(r) and r > 0
                           for r in rels):
        raise ValueError(f"rel_error: expected a positive finite relative error (or a sequence of them), got {rel_error!r}")
    args = [_setting_args(s, i) for i, s in enumerate(settings)]
    rows = []
    t0 = time.perf_counter()
    for i, a in enumerate(args):
        name = str(a.pop("name", f"setting {i}"))
        V, Q, n, theta, Sigma, sigma2, samples_, _, _ = validate_setting(
            a["V"], a["Q"], a["n"], a["theta"], a["Sigma"], a["sigma2"], samples, 0, None,
            allow_inf_n=(method == "fast"))
        clean = dict(V=V, Q=Q, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2)
        value = _check_value(value_fn(dict(clean)), f"value_fn(settings[{i}])")
        wrongs = ([_check_value(wrong_fn(dict(clean)), f"wrong_fn(settings[{i}])")] if wrong_fn is not None
                  else [value * (1 + sgn * r) for r in rels for sgn in (1, -1)])
        fa, caught, rel, zmax, over2, over3 = 0, [0] * len(wrongs), 0.0, 0.0, 0, 0
        for s in range(first_seed + i * seeds, first_seed + (i + 1) * seeds):   # distinct seeds per setting
            est = _estimate(method, V, Q, n, theta, Sigma, sigma2, samples_, s)
            c = _compare(value, est, z_tol, method)
            fa += not c.passed
            zmax = max(zmax, abs(c.z))
            over2 += abs(c.z) > 2
            over3 += abs(c.z) > 3
            rel += est.stderr / max(abs(value), 1e-300)
            for j, w in enumerate(wrongs):
                caught[j] += not _compare(w, est, z_tol, method).passed
        rows.append(CalibrationRow(name=name, value=value, seeds=seeds, false_alarms=fa, caught_up=caught[0],
                                   caught_down=caught[1] if wrong_fn is None else caught[0], mean_rel_stderr=rel / seeds, max_abs_z=zmax,
                                   over2=over2, over3=over3,
                                   caught=tuple((r, caught[2 * j], caught[2 * j + 1]) for j, r in enumerate(rels))
                                   if wrong_fn is None else ()))
    return Calibration(rows=rows, samples=samples_, z_tol=z_tol, method=method,
                       rel_error=rels if len(rels) > 1 else rels[0],
                       seconds=time.perf_counter() - t0, two_sided=wrong_fn is None)


def calibration_settings(seed: int = 0) -> list[dict[str, Any]]:
    """The settings on which the shipped checks are calibrated (docs/calibration.md).

    Random V, Q (entries N(0, 1/4)), random theta and non-identity Sigma for d = 1..5 and
    n from 0 to 1000, sigma2 in {0, 0.1, 1}; plus the pretrained-like parameters (only
    V[-1,-1] = 1 and Q's x block Gamma = Sigma^{-1}) at n = 1, 20, 1000 and V = 0. Each is a
    dict with keys name, V, Q, n, theta, Sigma, sigma2, ready for :func:`calibrate`.
    """
    r = np.random.default_rng(check_seed(seed))
    out: list[dict[str, Any]] = []
    noise = [0.1, 1.0, 0.0]
    for i, (d, n) in enumerate([(1, 0), (1, 1), (1, 5), (2, 1), (2, 2), (2, 10), (3, 0), (3, 3), (3, 50), (4, 1),
                                (4, 20), (5, 5), (5, 100), (5, 1000)]):
        A = r.standard_normal((d, d))
        Sigma = A @ A.T / d + 0.3 * np.eye(d)
        V, Q = 0.5 * r.standard_normal((2, d + 2, d + 2))
        out.append(dict(name=f"random d={d} n={n} sigma2={noise[i % 3]:g}", V=V, Q=Q, n=n,
                        theta=r.standard_normal(d), Sigma=Sigma, sigma2=noise[i % 3]))
    for n, ident in [(1, True), (20, True), (1000, True), (20, False)]:
        d = 5
        A = r.standard_normal((d, d))
        Sigma = np.eye(d) if ident else A @ A.T / d + 0.3 * np.eye(d)
        V = np.zeros((d + 2, d + 2))
        V[-1, -1] = 1.0
        Q = np.zeros((d + 2, d + 2))
        Q[1:d + 1, 1:d + 1] = np.linalg.inv(Sigma)
        theta = np.zeros(d)
        theta[0] = 1.0
        out.append(dict(name=f"pretrained-like d=5 n={n}{'' if ident else ' Sigma random'} sigma2=0.1", V=V, Q=Q,
                        n=n, theta=theta, Sigma=Sigma, sigma2=0.1))
    d = 3
    out.append(dict(name="V=0 d=3 n=10 sigma2=0.5", V=np.zeros((d + 2, d + 2)), Q=r.standard_normal((d + 2, d + 2)),
                    n=10, theta=r.standard_normal(d), Sigma=np.diag([0.5, 1.0, 2.0]), sigma2=0.5))
    return out
