"""Calibrate the statistical checks of ``numeric``: false-alarm rate and power, over seeds.

    python bench/calibrate_montecarlo.py                 # everything (about 15 minutes on 2 cores)
    python bench/calibrate_montecarlo.py --only default  # the shipped check with its defaults
    python bench/calibrate_montecarlo.py --seeds 50      # quicker, coarser

Sections:

- ``default``: :func:`numeric.testing.check_against_monte_carlo` with its defaults (fast
  estimator, 2,000,000 samples, |z| <= 4) on :func:`numeric.testing.calibration_settings`;
  truth from :func:`numeric.fast.moment_error` (equal to the hand-derived errors to 1e-12
  where those exist; tested). Power: the value off by +1% and by -1%.
- ``reference``: the same check with ``method='reference'`` (100,000 prompts) on the
  settings with n <= 20 (the reference pass is slow at large n).
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
    settings = [s for s in calibration_settings() if s["n"] <= 20 and s["n"] > 0]
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


SECTIONS = {"default": section_default, "reference": section_reference, "tests": section_tests}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="default,reference,tests",
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
