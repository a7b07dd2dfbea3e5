"""Benchmark: ``icl-finetune prove`` cold, per result, and each strategy's derivation.

Run:  .venv/bin/python bench/bench_prove.py [--repeat K]

Everything runs in fresh interpreters (cold: no cache survives a process).  Prints, for this
run:

* the reference: a fresh interpreter importing sympy (the floor of any cold command);
* ``icl-finetune prove --format json`` (every result: the paper's nine and those beyond it),
  and the paper's nine alone (``proofs.paper.results.check_all`` on them, as ``prove`` runs them):
  min and median over K cold runs of the wall time and of the CPU time (user + system of the
  process and its forked child), the ratio of the best wall time to the reference, and the
  issue's budget (4 s on 2 cores) as a ratio too;
* each result's seconds as ``prove`` reports them (its own check's time, in whichever of the
  two processes ran it; derivations shared through caches are paid by the first result);
* each strategy's derivation alone, cold, and the derivation of its three table entries.

The machine may be shared: the CPU time is the figure to compare across runs (``prove``
splits the results over two processes, so on two idle cores its wall time is about the
start-up plus the larger process's CPU time); the wall time is what a user waits.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 4.0

NINE = ("import sys, json; from proofs.paper.results import all_results, check_all; "
        "from proofs.paper.latex_doc import PAPER_RESULTS; "
        "rows = [(r.id, v.holds, v.seconds) for r, v in check_all([r for r in all_results() if r.id in PAPER_RESULTS])]; "
        "print(json.dumps({'results': [{'id': i, 'holds': h, 'seconds': s} for i, h, s in rows]}))")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold(args: list[str]) -> tuple[float, float, str]:
    """(wall, cpu, stdout) of a fresh process (cpu: the process and the children it waited for)."""
    c0, t0 = _cpu(), time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu, done.stdout


def _summary(name: str, runs: list[tuple[float, float, dict]], ref_wall: float) -> None:
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    ok = all(all(x["holds"] for x in r[2]["results"]) for r in runs)
    print(f"{name} (cold, {len(runs)} runs): wall min {min(walls):6.2f} s  median {statistics.median(walls):6.2f} s   "
          f"cpu min {min(cpus):6.2f} s  median {statistics.median(cpus):6.2f} s   {'all hold' if ok else 'SOME FAIL'}")
    print(f"  best wall / reference {min(walls) / ref_wall:5.1f}x   best wall / budget of {BUDGET:.0f} s "
          f"{min(walls) / BUDGET:5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="cold runs of prove (default 3)")
    args = ap.parse_args()
    py = sys.executable
    exe = str(Path(py).with_name("icl-finetune"))
    prove_cmd = [exe, "prove", "--format", "json"] if os.path.exists(exe) else \
        [py, "-c", "import sys; from proofs.cli import main; sys.exit(main(['prove', '--format', 'json']))"]

    refs = [cold([py, "-c", "import sympy"]) for _ in range(3)]
    ref_wall = min(r[0] for r in refs)
    print(f"reference: fresh python + import sympy   wall {ref_wall:6.2f} s   cpu {min(r[1] for r in refs):6.2f} s")

    every, nine = [], []
    for _ in range(args.repeat):  # alternate, so both see the same load
        wall, cpu, out = cold(prove_cmd)
        every.append((wall, cpu, json.loads(out)))
        wall, cpu, out = cold([py, "-c", NINE])
        nine.append((wall, cpu, json.loads(out)))
    _summary("icl-finetune prove, every result", every, ref_wall)
    _summary("the paper's nine results        ", nine, ref_wall)
    best = min(every, key=lambda r: r[0])[2]
    print("  per result (as prove reports it, in order; derivations shared through caches):")
    for r in best["results"]:
        print(f"    {r['id']:<20} {r['seconds']:7.3f} s  {'PASS' if r['holds'] else 'FAIL'}")

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
