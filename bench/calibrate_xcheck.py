#!/usr/bin/env python
"""Calibrate the closed form vs Monte Carlo checks: false-alarm rate over many seeds, and power.

Not a test (it takes minutes).  Two groups of checks:

``objective``
    tests/test_objective_vs_montecarlo.py: the symbolic closed form E(V, Q, n; theta) at the
    fixed settings ``xcheck.MC_CASES`` (random rational V, Q; d 1..6; n 0..50; identity and
    non-identity Sigma), against the reference estimator (``MC_REF_SAMPLES`` prompts) and the
    fast estimator (``MC_FAST_SAMPLES``), |z| <= ``MC_Z``.  For each case and estimator, over
    seeds 0..S-1: false alarms (the right value fails), and the power against

    - the closed form with ONE coefficient changed by 1% (the coefficient of the term with
      the largest absolute value at that setting multiplied by 1.01),
    - the same coefficient changed by 10%,
    - the whole value off by +1% and by -1%.

``verify``
    proofs.paper.verify.verify(samples, seed) (``icl-finetune verify``) for seeds 0..S-1: false
    alarms per row and per run, and the power of each row against its formula with the
    largest term's coefficient changed by 1% (the estimate and standard error of the run are
    reused: no extra sampling).

Usage::

    python bench/calibrate_xcheck.py                       # both, 200 seeds
    python bench/calibrate_xcheck.py --only objective --seeds 200 [--estimator fast]
    python bench/calibrate_xcheck.py --only verify --samples 100000 --seeds 200
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from numeric import estimate_error, estimate_error_fast  # noqa: E402


def _fails(est, value: float, z_tol: float) -> bool:
    """The checks' rule (numeric.testing): |z| > z_tol; an exact estimate (stderr 0) fails
    unless it agrees with the value to rounding (Estimate.z is then 0, else inf)."""
    return not abs(est.z(value)) <= z_tol


def objective(seeds: int, methods: tuple[str, ...] = ("reference", "fast")) -> None:
    from xcheck import MC_FAST_SAMPLES, MC_REF_SAMPLES, MC_Z, mc_cases

    print(f"## closed form vs Monte Carlo (tests/test_objective_vs_montecarlo.py), {seeds} seeds, |z| <= {MC_Z:g}\n")
    print("| case | estimator | samples | false alarms | power: 1 coeff +1% | 1 coeff +10% | value +1% | value -1% "
          "| stderr/value | max abs z | s/check |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    totals: dict[str, list[int]] = {}
    for case in mc_cases():
        exact = float(case.exact)
        wrongs = [case.wrong(0.01), case.wrong(0.10), exact * 1.01, exact * 0.99]
        for method, samples in (("reference", MC_REF_SAMPLES), ("fast", MC_FAST_SAMPLES)):
            if method not in methods:
                continue
            fn = estimate_error if method == "reference" else estimate_error_fast
            fa, caught, rel, zmax = 0, [0] * len(wrongs), 0.0, 0.0
            t0 = time.perf_counter()
            for seed in range(seeds):
                est = fn(samples=samples, seed=seed, **case.setting)
                fa += _fails(est, exact, MC_Z)
                zmax = max(zmax, abs(est.z(exact)))
                rel += est.stderr / abs(exact)
                for j, w in enumerate(wrongs):
                    caught[j] += _fails(est, w, MC_Z)
            dt = (time.perf_counter() - t0) / seeds
            t = totals.setdefault(method, [0, 0])
            t[0] += fa
            t[1] += seeds
            print(f"| {case.name} | {method} | {samples} | {fa}/{seeds} | "
                  + " | ".join(f"{c / seeds:.2f}" for c in caught)
                  + f" | {rel / seeds:.1e} | {zmax:.2f} | {dt:.2f} |", flush=True)
    for method, (fa, n) in totals.items():
        print(f"\n{method}: false alarms {fa}/{n} = {fa / n:.4f}")


def verify(seeds: int, samples: int) -> None:
    from proofs.paper.verify import Z_TOL, formulas
    from proofs.paper.verify import verify as run

    t0 = time.perf_counter()
    fs = formulas()
    build = time.perf_counter() - t0
    wrong = [float(f.wrong()) for f in fs]
    exact = [float(f.exact) for f in fs]
    fa = np.zeros(len(fs), dtype=int)
    caught = np.zeros(len(fs), dtype=int)
    z_right = np.zeros((seeds, len(fs)))     # |z| against the right and the wrong formula
    z_wrong = np.zeros((seeds, len(fs)))
    bad_runs = 0
    times = []
    for seed in range(seeds):
        t0 = time.perf_counter()
        rows = run(samples, seed)
        times.append(time.perf_counter() - t0)
        bad_runs += not all(r.passed for r in rows)
        for i, r in enumerate(rows):
            fa[i] += not r.passed
            z_right[seed, i] = abs(r.z)
            if r.stderr > 0:
                z_wrong[seed, i] = abs((r.estimate - wrong[i]) / r.stderr)
            else:   # exact estimate: the rule of numeric.testing (agreement to rounding)
                z_wrong[seed, i] = math.inf if abs(r.estimate - wrong[i]) > 1e-10 * max(
                    1.0, abs(wrong[i]), abs(r.estimate)) else 0.0
            caught[i] += z_wrong[seed, i] > Z_TOL
    checks = len(fs) * seeds
    print(f"## icl-finetune verify (proofs.paper.verify), samples={samples}, {seeds} seeds, |z| <= {Z_TOL:g}\n")
    print(f"- formulas: {len(fs)} rows (building them: {build:.1f} s, once per process); "
          f"Monte Carlo per run: median {np.median(times):.2f} s")
    print(f"- false alarms: {fa.sum()}/{checks} row checks = {fa.sum() / checks:.5f}; "
          f"runs with a failing row: {bad_runs}/{seeds}")
    print("- other tolerances (same runs): " + "; ".join(
        f"|z| <= {t:g}: false alarms {(z_right > t).sum()}/{checks}, runs failing {(z_right > t).any(axis=1).sum()}/{seeds}, "
        f"rows with power >= 0.9: {((z_wrong > t).mean(axis=0) >= 0.9).sum()}/{len(fs)}" for t in (3.5, 4.0, 4.5, 5.0)))
    print(f"- largest |z| against the right formula: {z_right.max():.2f}")
    kinds = {"reference (zero-shot)": [], "exact moments (zero-shot, n = oo)": [], "fast (finite n)": []}
    for i, f in enumerate(fs):
        if f.method == "reference":
            kinds["reference (zero-shot)"].append(i)
        elif f.n == 0 or math.isinf(f.n):
            kinds["exact moments (zero-shot, n = oo)"].append(i)
        else:
            kinds["fast (finite n)"].append(i)
    print("- power against the formula with its largest coefficient off by 1%:")
    for k, idx in kinds.items():
        p = caught[idx] / seeds
        print(f"  - {k}: {len(idx)} rows; power min {p.min():.2f}, median {np.median(p):.2f}, "
              f"rows with power >= 0.9: {(p >= 0.9).sum()}/{len(idx)}; false alarms {fa[idx].sum()}/{len(idx) * seeds}")
    print("\n| row | method | exact | wrong (1 coeff +1%) | false alarms | power |")
    print("|---|---|---|---|---|---|")
    for i, f in enumerate(fs):
        print(f"| {f.label} | {f.method} | {exact[i]:.6g} | {wrong[i]:.6g} | {fa[i]}/{seeds} | {caught[i] / seeds:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("objective", "verify"))
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--estimator", choices=("reference", "fast"), help="objective: only this estimator")
    ap.add_argument("--samples", type=int, default=None, help="verify: samples per formula (default: proofs.paper.verify.DEFAULT_SAMPLES)")
    a = ap.parse_args()
    if a.only in (None, "objective"):
        objective(a.seeds, (a.estimator,) if a.estimator else ("reference", "fast"))
    if a.only in (None, "verify"):
        from proofs.paper.verify import DEFAULT_SAMPLES
        verify(a.seeds, a.samples or DEFAULT_SAMPLES)


if __name__ == "__main__":
    main()
