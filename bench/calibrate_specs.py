#!/usr/bin/env python
"""Calibrate tests/test_specs_montecarlo.py: false-alarm rate over many seeds, and power.

Not a test (it takes minutes).  For every check of that test (each closed-form spec in
docs/examples/specs/, tasks theta_0 and -theta_0, n = 0, 1, 5, inf at the test's setting),
over seeds 0..S-1 (the test's seed 0 among them): one fast-estimator estimate per seed,
compared with the exact value (a false alarm when |z| > 4) and with the value off by +1% and
-1% (power: the fraction of seeds where the check fails).  Exact checks (n = 0, inf: stderr 0)
are counted apart.

Usage::

    python bench/calibrate_specs.py --seeds 200
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

from test_specs_montecarlo import CLOSED, SAMPLES, Z_TOL, cases  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--samples", type=int, default=SAMPLES)
    args = ap.parse_args()
    print(f"## specs vs Monte Carlo (tests/test_specs_montecarlo.py), {args.seeds} seeds, "
          f"{args.samples} samples, |z| <= {Z_TOL:g}\n")
    print("| check | exact | false alarms | caught +1% / -1% | stderr/value | abs z > 2 | abs z > 3 | max abs z | s/estimate |")
    print("|---|---|---|---|---|---|---|---|---|")
    mc_runs = mc_fa = exact_runs = exact_fa = 0
    mc_power = [0, 0]
    exact_power = [0, 0]
    z_all: list[float] = []
    for path in CLOSED:
        for case in cases(path):
            fa, caught, zs, rel = 0, [0, 0], [], 0.0
            t0 = time.perf_counter()
            for seed in range(args.seeds):
                est = case.estimate(seed=seed, samples=args.samples)
                z = est.z(case.exact)
                zs.append(abs(z))
                fa += not abs(z) <= Z_TOL
                rel += est.stderr / abs(case.exact)
                for j, f in enumerate((1.01, 0.99)):
                    caught[j] += not abs(est.z(case.exact * f)) <= Z_TOL
            dt = (time.perf_counter() - t0) / args.seeds
            zs_a = np.array(zs)
            exact_path = case.n == 0 or math.isinf(case.n)
            if exact_path:
                exact_runs += args.seeds
                exact_fa += fa
                exact_power[0] += caught[0]
                exact_power[1] += caught[1]
            else:
                mc_runs += args.seeds
                mc_fa += fa
                mc_power[0] += caught[0]
                mc_power[1] += caught[1]
                z_all.extend(zs)
            print(f"| {case.name} | {case.exact:.6g} | {fa}/{args.seeds} | {caught[0]}/{caught[1]} of {args.seeds} | "
                  f"{rel / args.seeds:.1e} | {(zs_a > 2).sum()}/{args.seeds} | {(zs_a > 3).sum()}/{args.seeds} | "
                  f"{zs_a.max():.2f} | {dt:.2f} |", flush=True)
    z = np.array(z_all)
    print(f"\nMonte Carlo checks: false alarms {mc_fa}/{mc_runs}; power +1% {mc_power[0]}/{mc_runs}, "
          f"-1% {mc_power[1]}/{mc_runs}; |z| > 2 in {(z > 2).mean():.2%}, |z| > 3 in {(z > 3).mean():.2%}, "
          f"max |z| {z.max() if len(z) else 0:.2f}")
    print(f"exact checks (n = 0, inf): false alarms {exact_fa}/{exact_runs}; power +1% {exact_power[0]}/{exact_runs}, "
          f"-1% {exact_power[1]}/{exact_runs}")


if __name__ == "__main__":
    main()
