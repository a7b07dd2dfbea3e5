"""Calibrate the statistical checks of ``numeric``: false-alarm rate and power, over seeds.

    python bench/calibrate_montecarlo.py                 # everything (about 30 minutes on 2 idle cores)
    python bench/calibrate_montecarlo.py --only default  # the shipped check with its defaults
    python bench/calibrate_montecarlo.py --seeds 50      # quicker, coarser

Sections:

- ``default``: :func:`numeric.testing.check_against_monte_carlo` with its defaults (fast
  estimator, 2,000,000 samples, |z| <= 4) on :func:`numeric.testing.calibration_settings`;
  truth from :func:`numeric.fast.moment_error` (equal to the hand-derived errors to 1e-12
  where those exist; tested). Power: the value off by +1% and by -1%.
- ``coefficient``: the default check against the hand-derived pretrained-like error with one
  coefficient off by 1% (``docs/examples/test_property_example.py``'s ``my_formula(bug=0.01)``).
- ``reference``: the same check with ``method='reference'`` (100,000 prompts) on the
  settings with 1 <= n <= 5 (the reference pass is slow; its tails do not depend on n much).
- ``validate``: not a calibration: one long reference run (2,000,000 prompts) per test case
  of tests/test_numeric_fast.py against moment_error, the fast estimator's exact mean.
- ``tests``: the statistical checks in tests/test_numeric_montecarlo.py and
  tests/test_numeric_fast.py, on their own cases and sample sizes: reference vs hand-derived
  (60,000 prompts), fast vs moment_error (200,000), fast vs reference (two-sample z,
  40,000 reference prompts; power: the fast estimate scaled by 1.05 and 0.95, since the
  reference's own spread, 0.5-2% of the value at these sizes, hides a 1% bias).

Each line reports false alarms / runs (with the Clopper-Pearson 95% upper bound), how
often |z| exceeds 2 and 3 (4.55% and 0.27% for an exactly normal z: heavy tails show up
here first) and the power. The numbers are copied into docs/calibration.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from numeric import estimate_error, estimate_error_fast, moment_error  # noqa: E402
from numeric.testing import calibrate, calibration_settings, clopper_pearson_upper  # noqa: E402


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rate(k: int, total: int) -> str:
    return f"{k}/{total} = {k / total:.4f} (95% upper bound {clopper_pearson_upper(k, total):.4f})"


def section_default(seeds: int) -> None:
    print("## default check: fast estimator, 2,000,000 samples, |z| <= 4, truth moment_error\n")
    cal = calibrate(lambda s: moment_error(**s), calibration_settings(), seeds=seeds)
    print(cal.summary())
    print()
    print(cal.markdown())
    print()


def section_reference(seeds: int) -> None:
    print("## reference check: method='reference', 100,000 prompts, |z| <= 4, truth moment_error\n")
    settings = [s for s in calibration_settings() if 0 < s["n"] <= 5]
    cal = calibrate(lambda s: moment_error(**s), settings, seeds=seeds, method="reference", rel_error=(0.01, 0.05))
    print(cal.summary())
    print()
    print(cal.markdown())
    print()


def section_tests(seeds: int) -> None:
    mc = _load(ROOT / "tests" / "test_numeric_montecarlo.py")
    fa = _load(ROOT / "tests" / "test_numeric_fast.py")
    print(f"## tests/test_numeric_montecarlo.py: reference ({mc.REF_SAMPLES} prompts) vs hand-derived, |z| < {mc.Z_TOL}\n")
    settings = [dict(name=c[0], V=c[1], Q=c[2], **c[3]) for c in mc.CASES]
    exact = {c[0]: c[4] for c in mc.CASES}
    cal = _calibrate_named(settings, exact, seeds, mc.REF_SAMPLES, mc.Z_TOL, "reference", (0.01, 0.05))
    print(cal.summary())
    print()
    print(cal.markdown())
    print()

    print(f"## tests/test_numeric_fast.py: fast ({fa.FAST_SAMPLES}) vs moment_error, |z| < {fa.Z_TOL}\n")
    settings = [dict(name=c[0], V=c[1], Q=c[2], **c[3]) for c in fa.CASES]
    exact = {c[0]: moment_error(c[1], c[2], **c[3]) for c in fa.CASES}
    cal = _calibrate_named(settings, exact, seeds, fa.FAST_SAMPLES, fa.Z_TOL, "fast")
    print(cal.summary())
    print()
    print(cal.markdown())
    print()

    print(f"## tests/test_numeric_fast.py: fast ({fa.FAST_SAMPLES}) vs reference ({fa.REF_SAMPLES}), "
          f"two-sample |z| < {fa.Z_TOL}; power: fast scaled by 1.05 and 0.95\n")
    print("| case | false alarms | caught x1.05 | caught x0.95 | abs z > 2 | abs z > 3 | max abs z |")
    print("|---|---|---|---|---|---|---|")
    tot_fa = tot = 0
    t0 = time.perf_counter()
    for i, (name, V, Q, s) in enumerate(fa.CASES):
        fa_k = up = down = o2 = o3 = 0
        zmax = 0.0
        for seed in range(i * seeds, (i + 1) * seeds):
            ref = estimate_error(V, Q, samples=fa.REF_SAMPLES, seed=seed, **s)
            fast = estimate_error_fast(V, Q, samples=fa.FAST_SAMPLES, seed=seed, **s)
            se = math.hypot(ref.stderr, fast.stderr)
            z = (fast.mean - ref.mean) / se
            fa_k += abs(z) >= fa.Z_TOL
            o2 += abs(z) > 2
            o3 += abs(z) > 3
            zmax = max(zmax, abs(z))
            up += abs((1.05 * fast.mean - ref.mean) / math.hypot(ref.stderr, 1.05 * fast.stderr)) >= fa.Z_TOL
            down += abs((0.95 * fast.mean - ref.mean) / math.hypot(ref.stderr, 0.95 * fast.stderr)) >= fa.Z_TOL
        tot_fa += fa_k
        tot += seeds
        print(f"| {name} | {fa_k}/{seeds} | {up}/{seeds} | {down}/{seeds} | {o2}/{seeds} | {o3}/{seeds} | {zmax:.2f} |")
    print(f"\nfast vs reference: false alarms {_rate(tot_fa, tot)}; {time.perf_counter() - t0:.1f} s\n")


def _calibrate_named(settings, exact, seeds, samples, z, method, rel_error=0.01):
    return calibrate(_ExactByName(settings, exact), settings, seeds=seeds, samples=samples, z=z, method=method,
                     rel_error=rel_error)


class _ExactByName:
    """value_fn for calibrate(): looks the exact value up by matching the setting's arrays."""

    def __init__(self, settings, exact):
        self.table = [(s, exact[s["name"]]) for s in settings]

    def __call__(self, s):
        for t, value in self.table:
            if t["n"] == s["n"] and np.array_equal(np.asarray(t["V"], float), s["V"]) and \
                    np.array_equal(np.asarray(t["Sigma"], float), s["Sigma"]) and \
                    np.array_equal(np.asarray(t["theta"], float), s["theta"]):
                return value
        raise KeyError("setting not found")


def section_coefficient(seeds: int) -> None:
    print("## one coefficient off by 1%: the pretrained-like error with n/(n+1) -> 1.01 n/(n+1) in E[h]\n")
    ex = _load(ROOT / "docs" / "examples" / "test_property_example.py")
    settings = [s for s in calibration_settings() if s["name"].startswith("pretrained-like")]
    settings.append(dict(name="docs example d=3 n=10 sigma2=0.1", n=10, theta=np.array([1.0, 0.0, -1.0]),
                         Sigma=np.diag([0.5, 1.0, 2.0]), sigma2=0.1))
    settings[-1]["V"], settings[-1]["Q"] = ex.pretrained_like_params(np.linalg.inv(settings[-1]["Sigma"]))

    def formula(s, bug=0.0):
        Gamma = s["Q"][1:-1, 1:-1]
        return ex.my_formula(Gamma, s["theta"], s["Sigma"], s["sigma2"], s["n"], bug=bug)

    cal = calibrate(formula, settings, seeds=seeds, wrong_fn=lambda s: formula(s, bug=0.01))
    print(cal.summary())
    print()
    print(cal.markdown())
    for s in settings:
        print(f"  {s['name']}: the bug moves the value by {formula(s, 0.01) / formula(s) - 1:+.3%}")
    print()


def section_validate(seeds: int) -> None:
    """Not a calibration: one long reference run per test case, against moment_error."""
    fa = _load(ROOT / "tests" / "test_numeric_fast.py")
    samples = 2_000_000
    print(f"## moment_error (= the fast estimator's mean) vs one reference run of {samples:,} prompts\n")
    print("| case | moment_error | reference | stderr/value | z |")
    print("|---|---|---|---|---|")
    t0 = time.perf_counter()
    for i, (name, V, Q, s) in enumerate(fa.CASES):
        exact = moment_error(V, Q, **s)
        ref = estimate_error(V, Q, samples=samples, seed=10_000 + i, **s)
        print(f"| {name} | {exact:.6g} | {ref} | {ref.stderr / exact:.1e} | {ref.z(exact):+.2f} |")
        sys.stdout.flush()
    print(f"\n{time.perf_counter() - t0:.0f} s\n")


SECTIONS = {"default": section_default, "validate": section_validate, "coefficient": section_coefficient, "reference": section_reference,
            "tests": section_tests}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="default,coefficient,reference,tests,validate",
                    help="comma-separated sections: " + ", ".join(SECTIONS))
    ap.add_argument("--seeds", type=int, default=200, help="seeds per setting (default 200)")
    args = ap.parse_args(argv)
    names = [x.strip() for x in args.only.split(",") if x.strip()]
    for nm in names:
        if nm not in SECTIONS:
            ap.error(f"--only: unknown section {nm!r}; expected some of {', '.join(SECTIONS)}")
    if args.seeds < 1:
        ap.error("--seeds: expected an integer >= 1")
    t0 = time.perf_counter()
    for nm in names:
        SECTIONS[nm](args.seeds)
        sys.stdout.flush()
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
