"""Benchmark: ``icl-finetune trajectory`` cold, and that its cost does not grow with the steps.

Run:  .venv/bin/python bench/bench_trajectory.py [--repeat K]

Fresh interpreters (cold).  Prints min wall and min CPU (user + system of the child) over K runs:

* reference: a fresh interpreter importing sympy (the floor of any cold command);
* ``trajectory --strategy value --steps 10000 --every 10`` at d = 5 (exact spectral data;
  the budget: 2 s cold wall);
* the same with ``--steps 1000000 --every 1000`` (100 x the steps, the same 1001 rows: the
  closed form's cost must not grow with the steps);
* ``--d 1000`` (float64: one Krylov space of the Hessian for the excited modes and one for its
  largest eigenvalue; budget 5 s cold wall);
* ``--d 1000 --steps 100000 --every 100``.

On a shared machine the CPU time is the figure to compare; ratios are against the reference.
Measured 2026-12-03 on the shared 2-core machine (about 8 engineers' jobs running):
reference 1.24 s wall / 0.30 s CPU; d = 5, 10^4 steps 2.6 s wall / 0.67 s CPU; 10^6 steps
same rows 0.64 s CPU; d = 1000 (lr 1e-7) 2.6 s CPU (8.0 s wall under a 4x load: sympy alone
imports in 1.24 s wall for 0.30 s CPU).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = [sys.executable, "-m", "proofs.cli", "trajectory", "--strategy", "value"]
CASES = {
    "reference: python -c 'import sympy'": [sys.executable, "-c", "import sympy"],
    "d=5, steps 10^4, every 10": BASE + ["--lr", "0.005", "--steps", "10000", "--every", "10"],
    "d=5, steps 10^6, every 1000": BASE + ["--lr", "0.005", "--steps", "1000000", "--every", "1000"],
    "d=1000, steps 10^4, every 10": BASE + ["--lr", "1e-7", "--steps", "10000", "--every", "10", "--d", "1000"],
    "d=1000, steps 10^5, every 100": BASE + ["--lr", "1e-7", "--steps", "100000", "--every", "100", "--d", "1000"],
}


def run(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    k = ap.parse_args().repeat
    ref = None
    for name, cmd in CASES.items():
        runs = [run(cmd) for _ in range(k)]
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        ref = ref or (wall, cpu)
        print(f"{name:<34} wall {wall:6.2f} s ({wall / ref[0]:5.1f} x ref)   cpu {cpu:6.2f} s ({cpu / ref[1]:5.1f} x ref)")


if __name__ == "__main__":
    main()
