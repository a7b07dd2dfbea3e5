#!/usr/bin/env python
"""Calibrate tests/test_rank_montecarlo.py: false-alarm rate over many seeds, and power.

Not a test (it takes a minute or two).  For every check of that test, over seeds 0..S-1 (the
test's seed 0 among them): one fast-estimator estimate per seed (2,000,000 samples), compared
with the derived value (a false alarm when |z| > 4) and with the value off by +1% and -1%
(power: the fraction of seeds where the check fails).  The exact check (n = oo, stderr 0) is
counted apart.  Runs of the whole test with a failing check are counted too (the checks share
nothing but the setting: their seeds differ).

Usage::

    python bench/calibrate_rank.py --seeds 200
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from test_rank_montecarlo import CHECKS, run_check  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    args = ap.parse_args()
    t0 = time.process_time()
    print(f"## rank-r errors vs Monte Carlo (tests/test_rank_montecarlo.py), {args.seeds} seeds, |z| <= 4\n")
    print("| check | false alarms | caught +1% / -1% | stderr/value | abs z > 2 | abs z > 3 | max abs z |")
    print("|---|---|---|---|---|---|---|")
    failing_runs = np.zeros(args.seeds, dtype=bool)
    for check in CHECKS:
        zs, alarms, up, down, rel = [], 0, 0, 0, []
        for seed in range(args.seeds):
            c = run_check(check, seed)
            if not c.passed:
                alarms += 1
                failing_runs[seed] = True
            if c.stderr > 0:
                zs.append(abs(c.z))
                rel.append(c.stderr / abs(c.value))
                up += not run_check(check, seed, 1.01).passed
                down += not run_check(check, seed, 0.99).passed
        zs = np.array(zs) if zs else np.zeros(1)
        if check[4] == np.inf:
            print(f"| {check[0]} (exact) | {alarms} / {args.seeds} | - | 0 | - | - | - |")
        else:
            print(f"| {check[0]} | {alarms} / {args.seeds} | {up} / {args.seeds}, {down} / {args.seeds} | "
                  f"{np.mean(rel):.2e} | {np.mean(zs > 2):.3f} | {np.mean(zs > 3):.3f} | {zs.max():.2f} |")
    print(f"\nruns of the whole test with a failing check: {int(failing_runs.sum())} / {args.seeds}")
    print(f"CPU time {time.process_time() - t0:.0f} s")


if __name__ == "__main__":
    main()
