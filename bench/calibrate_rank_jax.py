#!/usr/bin/env python
"""Calibrate tests/test_rank_jax.py: false-alarm rate over training seeds, and power against 1%.

Not a test (a few minutes of CPU).  For training seeds 0..S-1 (the test's seed 0 among them): LoRA
on Q_xx at ranks 1 and 3 trained in JAX with that seed (:func:`test_rank_jax.trained`), then every
check of the test with its own Monte Carlo seed (fast estimator, 2,000,000 samples): a false alarm
when |z| > 4 against the derived value; power: the fraction of seeds where the value times 1.01
(and 0.99) fails, from the same estimate.  Each run varies both the training (its sampled prompts
and A's start) and the Monte Carlo draw, so the rate includes the training's bias.

Usage::

    python bench/calibrate_rank_jax.py --seeds 20
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

from test_rank_jax import CHECKS, run_check, trained  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    t0 = time.process_time()
    S = args.seeds
    z = np.zeros((len(CHECKS), S))
    up = np.zeros((len(CHECKS), S), dtype=bool)
    down = np.zeros((len(CHECKS), S), dtype=bool)
    rel = np.zeros((len(CHECKS), S))
    for seed in range(S):
        for i, check in enumerate(CHECKS):
            c = run_check(check, seed)
            z[i, seed] = c.z
            rel[i, seed] = c.stderr / abs(c.value)
            up[i, seed] = abs((1.01 * c.value - c.estimate) / c.stderr) > c.z_tol
            down[i, seed] = abs((0.99 * c.value - c.estimate) / c.stderr) > c.z_tol
        trained.cache_clear()
        print(f"seed {seed}: z = {' '.join(f'{v:+.2f}' for v in z[:, seed])}", flush=True)
    print(f"\n## JAX LoRA on Q_xx vs the derived errors (tests/test_rank_jax.py), {S} training seeds, |z| <= 4\n")
    print("| check | false alarms | caught +1% / -1% | stderr/value | mean z | abs z > 2 | abs z > 3 | max abs z |")
    print("|---|---|---|---|---|---|---|---|")
    a = np.abs(z)
    for i, check in enumerate(CHECKS):
        print(f"| {check[0]} | {int((a[i] > 4).sum())} / {S} | {int(up[i].sum())} / {S}, {int(down[i].sum())} / {S} | "
              f"{rel[i].mean():.2e} | {z[i].mean():+.2f} | {np.mean(a[i] > 2):.3f} | {np.mean(a[i] > 3):.3f} | "
              f"{a[i].max():.2f} |")
    print(f"\nall checks: {int((a > 4).sum())} / {a.size} false alarms; runs of the whole test with a failing check: "
          f"{int((a > 4).any(axis=0).sum())} / {S}")
    print(f"CPU time {time.process_time() - t0:.0f} s")


if __name__ == "__main__":
    main()
