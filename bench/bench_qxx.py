"""Benchmark: specs training Q_xx at a concrete setting, from d = 4 (exact) to d = 1,000 (float).

Run:  .venv/bin/python bench/bench_qxx.py [--repeat K] [--threads N] [--quick]

Issue 15 set ``params --spec`` with Q_xx at d = 64 under 10 s; issue 24 sets ``derive``,
``params`` and ``curve`` of a Q_xx spec at d = 1,000 in float under 10 s and 500 MB (the dense
path built the d^2 x d^2 Hessian: 11.9 GiB at d = 200, 7.28 TiB at d = 1,000).  Specs:
``query-xx.json`` (5-shot loss: a closed form at symbolic d, evaluated), ``query-xx-limit.json``
(the n -> oo loss: an affine family, the structured route of symbolic/structured_solve.py) and
``mixed`` (Q_xx and Q_x0 on the n -> oo losses on theta_0 and -theta_0, written to a temporary
file: the structured route with a vector block).  Also ``query-xx-limit`` at d = 64 by the
structured route and by the dense route it replaced (the explicit 4,096 x 4,096 Hessian and
MINRES: forced by making the structure refuse), measured in the same run.

Each command runs in a fresh interpreter (cold: imports, the Wick derivation, the solve, the
JSON printing of the (d+2) x (d+2) matrices to /dev/null) through a wrapper that records its
own CPU time (user + system) and peak resident memory (``ru_maxrss``).  Each figure is the
median of K runs; CPU is the figure to compare on a shared machine.  Reference: a fresh
``python -c "import sympy"`` in the same run; every CPU figure is also given as a ratio to it.
``--threads N`` sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS for the children (default: inherited).

Measured 2026-12-07 on the 2-core machine at load average 6-14, one run each (CPU s / peak MB):
d = 1,000, default BLAS threads: query-xx derive 1.00/68, params 2.13/257, curve 0.87/74;
query-xx-limit derive 3.05/278, params 2.30/327, curve 1.63/214; mixed derive 3.20/329,
params 2.47/349, curve 1.92/267.  With ``--threads 1``: 0.67-2.40 s, the same memory.  At
d = 64 the structured route 1.01 s / 71 MB against the dense route's 2.24 s / 455 MB.  Idle
OpenBLAS threads spin on a loaded machine: before the block compression and the entrywise
diagonal words, the mixed spec took 12.6 s CPU with default threads against 3.6 s with one.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "docs" / "examples" / "specs"
BUDGET_S, BUDGET_MB = 10.0, 500.0

WRAP = r"""
import json, os, resource, sys
out, argv = sys.argv[1], sys.argv[2:]
if os.environ.get("BENCH_DENSE"):      # the route this benchmark compares against: no structure
    import symbolic.structured_solve as ss
    def refuse(sq):
        raise ss.Unstructured("benchmark: dense route forced")
    ss.solve_structured = refuse
rc = 1
try:
    if argv[0] == "-c":
        exec(argv[1]); rc = 0
    else:
        from proofs.cli import main
        rc = main(argv)
finally:
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open(out, "w") as f:
        json.dump({"rc": rc, "cpu": r.ru_utime + r.ru_stime, "mb": r.ru_maxrss / 1024}, f)
"""


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        r = subprocess.run([sys.executable, "-c", WRAP, f.name, *args], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        rec = json.loads(Path(f.name).read_text() or "{}")
    if r.returncode != 0 or rec.get("rc") not in (0, None):
        raise SystemExit(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()[-400:]}")
    return rec["cpu"], rec["mb"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="d = 1,000 cases only")
    a = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if a.threads:
        env.update(OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    tmp = Path(tempfile.mkdtemp())
    mixed = tmp / "mixed.json"
    mixed.write_text(json.dumps({"name": "qxx-qx0-limit", "train": ["Qxx", "qx0"],
                                 "loss": [{"n": "inf", "task": "target"}, {"n": "inf", "task": "opposite"}]}))
    specs = {"query-xx": SPECS / "query-xx.json", "query-xx-limit": SPECS / "query-xx-limit.json", "mixed": mixed}
    cases: dict[str, tuple[list[str], dict]] = {"reference: import sympy": (["-c", "import sympy"], env)}
    if not a.quick:
        cases["params query-xx d=4 (exact)"] = (["params", "--spec", str(specs["query-xx"]), "--d", "4",
                                                  "--sigma2", "0.1"], env)
        lim64 = ["derive", "--spec", str(specs["query-xx-limit"]), "--d", "64", "--format", "json"]
        cases["derive query-xx-limit d=64 structured"] = (lim64, env)
        cases["derive query-xx-limit d=64 dense (before)"] = (lim64, {**env, "BENCH_DENSE": "1"})
    for name, path in specs.items():
        for cmd in ("derive", "params", "curve"):
            args = [cmd, "--spec", str(path), "--d", "1000"]
            args += ["--task", "target", "--n", "0:20"] if cmd == "curve" else ["--format", "json"]
            if cmd != "derive":
                args += ["--sigma2", "0.1"]
            cases[f"{cmd} {name} d=1000"] = (args, env)
    runs: dict[str, list[tuple[float, float]]] = {n: [] for n in cases}
    for _ in range(a.repeat):  # alternate, so that every case sees the same load
        for name, (args, e) in cases.items():
            runs[name].append(_run(args, e))
    ref = statistics.median(c for c, _ in runs["reference: import sympy"])
    threads = a.threads or os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"BLAS threads: {threads}; median of {a.repeat} run(s); budget {BUDGET_S:.0f} s CPU, {BUDGET_MB:.0f} MB")
    print(f"{'case':44} {'cpu s':>7} {'cpu/ref':>8} {'peak MB':>8}  within budget")
    for name, rs in runs.items():
        c = statistics.median(x for x, _ in rs)
        m = statistics.median(y for _, y in rs)
        ok = "" if name.startswith("reference") or "d=1000" not in name else \
            ("yes" if c < BUDGET_S and m < BUDGET_MB else "NO")
        print(f"{name:44} {c:7.2f} {c / ref:8.1f} {m:8.0f}  {ok}")


if __name__ == "__main__":
    main()
