#!/usr/bin/env python
"""Benchmark: rank-r (LoRA) specs (issue 26), each in a fresh interpreter, CPU time.

Run:  .venv/bin/python bench/bench_rank.py [--repeat K]

Targets: a rank-r spec under 10 s at symbolic d; under 10 s at d = 64 in float; under 5 s at
d = 3 exact.  Cases (Q = Q[:, :d+1] or Q_xx, rank r, the 5-shot loss on theta_0, pretrained
start): the closed form at symbolic d (symbolic.lowrank.derive_lowrank, m -> oo and finite m;
with every error of the answer table, symbolic.lowrank_answer.rank_answer); the concrete
optimum (symbolic.lowrank_concrete.lowrank_optimum) exact at d = 3 and in float at d = 64; the
reduced rank-1 LoRA path.  Reference in the same run: the unconstrained derivation of the same
block (symbolic.general.derive_spec, today's path) and ``import sympy``; every CPU figure also
as a ratio to the derive_spec reference.  CPU time of the whole interpreter (imports included).
Min and median of K runs.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRE = ("import time, sympy as sp; from symbolic.spec import make_spec, Rank; from symbolic.arithmetic import FLOAT64; "
       "L = [(1, 5, 'target')]; ")
CASES = {
    "reference: import sympy": "import sympy, time; ",
    "reference: derive_spec Q (full, symbolic d)": PRE + "from symbolic.general import derive_spec; "
    "derive_spec(make_spec(['Q'], L), sp.oo); ",
    "derive_lowrank Q rank 1 (symbolic d, m = oo)": PRE + "from symbolic.lowrank import derive_lowrank; "
    "derive_lowrank(make_spec([Rank('Q', 1)], L)); ",
    "derive_lowrank Qxx rank 1 (symbolic d, m = oo)": PRE + "from symbolic.lowrank import derive_lowrank; "
    "derive_lowrank(make_spec([Rank('Qxx', 1)], L)); ",
    "derive_lowrank Q rank 1 (symbolic d, finite m, Sigma = I)": PRE + "from symbolic.lowrank import derive_lowrank; "
    "from symbolic.objective import M; derive_lowrank(make_spec([Rank('Q', 1)], L), M); ",
    "rank_answer Q (every error, symbolic d and r)": PRE + "from symbolic.lowrank_answer import rank_answer; "
    "rank_answer('Q', 5); ",
    "lowrank_optimum Q rank 1, d = 3 exact": PRE + "from symbolic.lowrank_concrete import lowrank_optimum; "
    "lowrank_optimum(make_spec([Rank('Q', 1)], L), d=3, sigma2=sp.Rational(1, 10)); ",
    "lowrank_optimum Q rank 1, d = 3 exact, non-identity Sigma": PRE + "from symbolic.lowrank_concrete import "
    "lowrank_optimum; S = sp.Matrix([[2, 1, 0], [1, 2, sp.Rational(1, 2)], [0, sp.Rational(1, 2), 1]]); "
    "lowrank_optimum(make_spec([Rank('Q', 1)], L), d=3, Sigma=S, theta0=[1, -1, 2], sigma2=sp.Rational(1, 10)); ",
    "lowrank_optimum Q rank 1, d = 64 float": PRE + "from symbolic.lowrank_concrete import lowrank_optimum; "
    "lowrank_optimum(make_spec([Rank('Q', 1)], L), d=64, sigma2=0.1, arithmetic=FLOAT64); ",
    "lowrank_optimum Qxx rank 32, d = 64 float": PRE + "from symbolic.lowrank_concrete import lowrank_optimum; "
    "lowrank_optimum(make_spec([Rank('Qxx', 32)], L), d=64, sigma2=0.1, arithmetic=FLOAT64); ",
    "reduce_rank1 Q (LoRA path, 7 scalars)": PRE + "from symbolic.lowrank_path import reduce_rank1; "
    "reduce_rank1(make_spec([Rank('Q', 1)], L)); ",
}


def _cpu(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code + "print(time.process_time())"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    k = ap.parse_args().repeat
    times = {name: [_cpu(code) for _ in range(k)] for name, code in CASES.items()}
    ref = min(times["reference: derive_spec Q (full, symbolic d)"])
    print(f"{'case':62s} {'min cpu':>9s} {'median':>9s} {'/ derive_spec':>14s}")
    for name, ts in times.items():
        print(f"{name:62s} {min(ts):8.2f}s {statistics.median(ts):8.2f}s {min(ts) / ref:13.2f}x")


if __name__ == "__main__":
    main()
