"""Benchmark: ``icl-finetune prove`` cold, per result, and each strategy's derivation.

Run:  .venv/bin/python bench/bench_prove.py [--repeat K]

Everything runs in fresh interpreters (cold: no cache survives a process).  Prints, for this
run:

* the reference: a fresh interpreter importing sympy (the floor of any cold command);
* ``icl-finetune prove --format json``: wall time, CPU time (user + system of the child), the
  ratio wall / reference, and the issue's budget (10 s on 2 cores) as a ratio too;
* each result's seconds as ``prove`` reports them (the first result pays for the derivations it
  shares with later ones; the caches make later results cheaper);
* each strategy's derivation alone, cold, and the derivation of its three table entries.

The machine may be shared: the CPU time is the figure to compare across runs; the wall time
is what a user waits.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 10.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold(args: list[str]) -> tuple[float, float, str]:
    """(wall, cpu, stdout) of a fresh process."""
    c0, t0 = _cpu(), time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="cold runs of prove (default 1)")
    args = ap.parse_args()
    py = sys.executable
    exe = str(Path(py).with_name("icl-finetune"))
    prove_cmd = [exe, "prove", "--format", "json"] if os.path.exists(exe) else \
        [py, "-c", "import sys; from proofs.cli import main; sys.exit(main(['prove', '--format', 'json']))"]

    ref_wall, ref_cpu, _ = cold([py, "-c", "import sympy"])
    print(f"reference: fresh python + import sympy   wall {ref_wall:6.2f} s   cpu {ref_cpu:6.2f} s")

    runs = []
    for _ in range(args.repeat):
        wall, cpu, out = cold(prove_cmd)
        runs.append((wall, cpu, json.loads(out)))
    best = min(runs, key=lambda r: r[0])
    wall, cpu, report = best
    ok = all(r["holds"] for r in report["results"])
    print(f"icl-finetune prove (cold, best of {args.repeat}): wall {wall:6.2f} s   cpu {cpu:6.2f} s   "
          f"{'all hold' if ok else 'SOME FAIL'}")
    print(f"  ratio to the reference: wall {wall / ref_wall:5.1f}x   cpu {cpu / max(ref_cpu, 1e-9):5.1f}x")
    print(f"  against the budget of {BUDGET:.0f} s: wall {wall / BUDGET:5.2f}   cpu {cpu / BUDGET:5.2f}")
    print("  per result (as prove reports it, in order; derivations shared through caches):")
    for r in report["results"]:
        print(f"    {r['id']:<18} {r['seconds']:7.3f} s  {'PASS' if r['holds'] else 'FAIL'}")

    print("each strategy cold in a fresh interpreter (derivation; then its three table entries):")
    code = ("import time, sys\n"
            "t0 = time.perf_counter(); import symbolic; t1 = time.perf_counter()\n"
            "s = symbolic.derive(sys.argv[1]); t2 = time.perf_counter()\n"
            "s.zero_shot_error(); s.few_shot_limit(symbolic.THETA0); s.few_shot_limit(-symbolic.THETA0)\n"
            "t3 = time.perf_counter()\n"
            "print(t1 - t0, t2 - t1, t3 - t2)")
    for name in ("pretrain", "full", "value", "value-fewshot"):
        _, cpu_s, out = cold([py, "-c", code, name])
        imp, der, ent = (float(x) for x in out.split())
        print(f"    {name:<14} derive {der:6.3f} s   table entries {ent:6.3f} s   (import {imp:5.2f} s, cpu {cpu_s:5.2f} s)")


if __name__ == "__main__":
    main()
