"""Benchmark: ``icl-finetune prove`` cold, as a ratio to a bare ``python -c "import sympy"``.

Run:  .venv/bin/python bench/bench_prove.py [--repeat K] [--per-strategy]

Everything runs in fresh interpreters (cold: no cache survives a process).  For K rounds, each
round runs, one after the other (so that they see the same load): the reference (a fresh
interpreter importing sympy, the floor of any cold command), ``icl-finetune prove --format
json`` (every result: the paper's nine and those beyond it) and the paper's nine alone
(``proofs.paper.results.check_all`` on them, as ``prove`` runs them).  It prints, for each:
min and median over the K rounds of the wall time and of the CPU time (user + system of the
process and the children it waited for: ``prove``'s forked child included), then

* the ratios with a budget: prove / reference, CPU and wall, each as the ratio
  of the minima and the median of the per-round ratios, against the target (8);
* the load average before and after (the machine may be shared: compare CPU ratios);
* each result's seconds as ``prove`` reports them (its own check's wall time, in whichever of
  the two processes ran it; derivations shared through caches are paid by the first result);
* with ``--per-strategy``: each strategy's derivation alone, cold, and its three table entries.

Bytecode: the environment may set ``PYTHONDONTWRITEBYTECODE``; the runs here drop it and one
untimed run of each command comes first, so that the toolkit's bytecode is cached as it is for
an installed package (sympy's is cached by its install); ``--no-bytecode`` keeps it (each run
then recompiles the toolkit's sources, about 0.3 s of CPU).

``prove`` splits the results over two processes, so on two idle cores its wall time is about
the start-up plus the larger process's CPU time, and its CPU time a little more than one
process's (what both derive twice).
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
TARGET = 8.0   # prove / (python -c "import sympy"), CPU and wall

NINE = ("import sys, json; from proofs.paper.results import all_results, check_all; "
        "from proofs.paper.latex_doc import PAPER_RESULTS; "
        "rows = [(r.id, v.holds, v.seconds) for r, v in check_all([r for r in all_results() if r.id in PAPER_RESULTS])]; "
        "print(json.dumps({'results': [{'id': i, 'holds': h, 'seconds': s} for i, h, s in rows]}))")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


#: whether the fresh processes may use (and write) cached bytecode, as an installed package does
BYTECODE = [True]


def cold(args: list[str], src: str | None = None) -> tuple[float, float, str]:
    """(wall, cpu, stdout) of a fresh process (cpu: the process and the children it waited for);
    ``src``: a source tree put first on the path (another version of the code)."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    if BYTECODE[0]:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    c0, t0 = _cpu(), time.perf_counter()
    done = subprocess.run(args, cwd=src or ROOT, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu, done.stdout


def _summary(name: str, runs: list[tuple[float, float, dict]]) -> None:
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    ok = all(all(x["holds"] for x in r[2]["results"]) for r in runs)
    print(f"{name} (cold, {len(runs)} runs): wall min {min(walls):6.2f} s  median {statistics.median(walls):6.2f} s   "
          f"cpu min {min(cpus):6.2f} s  median {statistics.median(cpus):6.2f} s   {'all hold' if ok else 'SOME FAIL'}")


def _ratios(name: str, runs: list, refs: list) -> None:
    """prove / reference, CPU and wall: ratio of the minima, and the median of per-round ratios."""
    for k, what in ((1, "cpu "), (0, "wall")):
        best = min(r[k] for r in runs) / min(r[k] for r in refs)
        med = statistics.median(r[k] / ref[k] for r, ref in zip(runs, refs))
        print(f"  {name} / import sympy, {what}: {best:5.1f}x (minima)  {med:5.1f}x (median of rounds)   "
              f"target {TARGET:.0f}x: {'met' if best <= TARGET else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="cold rounds (default 5)")
    ap.add_argument("--per-strategy", action="store_true", help="also each strategy's derivation, cold")
    ap.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set: every "
                    "run then compiles the toolkit's sources again (about 0.3 s that an installed package, "
                    "whose bytecode is cached, never pays; sympy's own bytecode is cached either way)")
    ap.add_argument("--baseline", metavar="DIR", help="another source tree (e.g. `git archive` of an older "
                    "commit): its prove runs in each round too, for before/after in the same run")
    ap.add_argument("--baseline-python", metavar="PYTHON", help="the interpreter the baseline runs with (an "
                    "environment with that commit's dependencies); default: this one")
    args = ap.parse_args()
    py = sys.executable
    exe = str(Path(py).with_name("icl-finetune"))
    prove_cmd = [exe, "prove", "--format", "json"] if os.path.exists(exe) else \
        [py, "-c", "import sys; from proofs.cli import main; sys.exit(main(['prove', '--format', 'json']))"]

    via_python = [args.baseline_python or py, "-c",
                  "import sys; from proofs.cli import main; sys.exit(main(['prove', '--format', 'json']))"]
    BYTECODE[0] = not args.no_bytecode
    # one untimed run of each first: the bytecode cache written, as after an install (not the
    # process's own caches: every timed run is a fresh interpreter)
    cold([py, "-c", "import sympy"])
    cold(prove_cmd)
    if args.baseline:
        cold(via_python, src=str(Path(args.baseline).resolve()))
    load0 = os.getloadavg()
    refs, every, nine, base = [], [], [], []
    for _ in range(args.repeat):  # interleaved, so that all of them see the same load
        if args.baseline:
            wall, cpu, out = cold(via_python, src=str(Path(args.baseline).resolve()))
            base.append((wall, cpu, json.loads(out)))
        wall, cpu, _ = cold([py, "-c", "import sympy"])
        refs.append((wall, cpu))
        wall, cpu, out = cold(prove_cmd)
        every.append((wall, cpu, json.loads(out)))
        wall, cpu, out = cold([py, "-c", NINE])
        nine.append((wall, cpu, json.loads(out)))
    load1 = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
          f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; {os.cpu_count()} CPUs")
    ground = subprocess.run([py, "-c", "from sympy.external.gmpy import GROUND_TYPES; print(GROUND_TYPES)"],
                            capture_output=True, text=True).stdout.strip()
    print(f"SymPy's ground types (its exact rationals and integers): {ground}")
    print(f"reference: fresh python + import sympy ({len(refs)} runs): wall min {min(r[0] for r in refs):6.2f} s  "
          f"median {statistics.median(r[0] for r in refs):6.2f} s   cpu min {min(r[1] for r in refs):6.2f} s  "
          f"median {statistics.median(r[1] for r in refs):6.2f} s")
    _summary("icl-finetune prove, every result", every)
    _ratios("prove", every, refs)
    if base:
        _summary(f"baseline prove ({args.baseline})", base)
        _ratios("base ", base, refs)
    _summary("the paper's nine results        ", nine)
    _ratios("nine ", nine, refs)
    best = min(every, key=lambda r: r[1])[2]
    print("  per result (as prove reports it, in order; derivations shared through caches):")
    for r in best["results"]:
        print(f"    {r['id']:<28} {r['seconds']:7.3f} s  {'PASS' if r['holds'] else 'FAIL'}")
    if not args.per_strategy:
        return
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
