"""Benchmark: ``compare`` (early stopping along value's path against the mixed loss at n_ft = 5)
from d = 2 to d = 1,000 (issue 23).

Run:  .venv/bin/python bench/bench_compare.py [--d 2,5,10,100,1000] [--levels 9]

Each d in one process: a random setting (Sigma = A A^T/d + I/2, theta_0 ~ N(0, I/d), sigma^2 = 0.1,
exact at d <= 10 with Sigma = I and theta_0 = e_1, float64 above with the random one), the
comparison's CPU time (``time.process_time``: BLAS threads included) after one warm-up
comparison at d = 2 (the derivations' first run), and as a reference in the same run one
``frontier`` call at the same setting (the mixed side alone, proofs/quantities/frontier.py),
with the ratio compare / frontier.

Measured 2026-12-07 (shared 2-core machine, load about 6; CPU seconds): d = 2 exact 0.21 s
(frontier 0.52 s, its first run), d = 5 exact 0.45 s (0.16 s), d = 10 exact 0.43 s (0.16 s),
d = 100 float 2.0 s (0.51 s, ratio 3.9), d = 1000 float 11.2 s (0.54 s, ratio 20.7): the path's
table (700 parameters, 1000 excited modes, five errors) and its explicit quadratic dominate.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setting(d: int) -> dict:
    if d <= 10:
        return dict(d=d, sigma2=sp.Rational(1, 10))
    rng = np.random.default_rng(d)
    A = rng.standard_normal((d, d)) / np.sqrt(d)
    return dict(d=d, Sigma=A @ A.T + 0.5 * np.eye(d), theta0=rng.standard_normal(d) / np.sqrt(d), sigma2=0.1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", default="2,5,10,100,1000")
    ap.add_argument("--levels", type=int, default=9)
    args = ap.parse_args()
    from proofs.quantities.compare import compare
    from proofs.quantities.frontier import frontier
    compare(d=2, levels=0)  # warm-up: the derivations' first run
    for d in (int(x) for x in args.d.split(",")):
        kw = setting(d)
        t = time.process_time()
        c = compare(levels=args.levels, **kw)
        tc = time.process_time() - t
        t = time.process_time()
        frontier([0, 1, sp.oo], n_ft=5, n=5, strategies=False, **kw)
        tf = time.process_time() - t
        verdicts = ", ".join(f"{cc.column.name}: {cc.lower or 'flips'}" for cc in c.columns)
        print(f"d = {d:5d} {c.arithmetic:5s} compare cpu {tc:7.2f} s  frontier cpu {tf:6.2f} s  ratio {tc / tf:5.1f}  "
              f"[{verdicts}]", flush=True)


if __name__ == "__main__":
    main()
