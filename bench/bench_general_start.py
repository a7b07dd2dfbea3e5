"""Benchmark: a spec with a dense numeric start at d = 3 (issue 15), and ``frontier`` in float.

Run:  .venv/bin/python bench/bench_general_start.py [--repeat K]

Target: ``derive --spec``, ``params --spec``, ``curve --spec`` of a spec training V's last row
from a dense rational V and Q (non-symmetric Q_xx; the start fixes d = 3) under 10 s each.
Before the start was routed to the concrete minimiser (proofs/quantities/concrete_minimiser.py) the symbolic
first-order system over ~62 opaque traces did not finish in 5 minutes.  Also ``frontier`` at
d = 64 and d = 1000 (float path, proofs/quantities/frontier_numeric.py).  Each command in a fresh
interpreter; min and median of K runs, wall and CPU; reference ``python -c "import sympy"`` in
the same run, every CPU figure also as a ratio to it.

Measured 2026-12-03 (1 run, shared 2-core machine): reference import sympy cpu 0.28 s; derive
dense start d = 3 cpu 1.17 s (wall 1.60 s); params 0.59 s (0.88 s); curve --n 0:20 0.90 s
(1.13 s); frontier d = 64 float 1.90 s (1.93 s); frontier d = 1000 float 2.22 s (1.94 s).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_qxx import BUDGET, _run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    k = ap.parse_args().repeat
    from tests.test_spec_general_start import SPEC  # the test's dense start, d = 3
    spec = Path(tempfile.mkdtemp()) / "dense-start.json"
    spec.write_text(json.dumps(SPEC))
    py, cli = sys.executable, [sys.executable, "-m", "proofs.cli"]
    cases = {
        "reference: import sympy": [py, "-c", "import sympy"],
        "derive dense start d=3": [*cli, "derive", "--spec", str(spec)],
        "params dense start d=3": [*cli, "params", "--spec", str(spec), "--sigma2", "0.1"],
        "curve dense start d=3": [*cli, "curve", "--spec", str(spec), "--task", "target", "--n", "0:20"],
        "frontier d=64 (float)": [*cli, "frontier", "--n-ft", "5", "--lambda", "0,1,10,inf", "--n", "5",
                                  "--d", "64"],
        "frontier d=1000 (float)": [*cli, "frontier", "--n-ft", "5", "--lambda", "0,1,10,inf", "--n", "5",
                                    "--d", "1000"],
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(k):
        for name, cmd in cases.items():
            runs[name].append(_run(cmd))
    ref = statistics.median(c for _, c in runs["reference: import sympy"])
    print(f"{'case':28} {'wall min/med':>15} {'cpu min/med':>15} {'cpu/ref':>8} {'budget':>8}")
    for name, rs in runs.items():
        w, c = [x for x, _ in rs], [y for _, y in rs]
        budget = "" if name.startswith("reference") else f"{statistics.median(w) / BUDGET:.2f}"
        print(f"{name:28} {min(w):6.2f} / {statistics.median(w):5.2f}  {min(c):6.2f} / {statistics.median(c):5.2f}"
              f"  {statistics.median(c) / ref:8.2f} {budget:>8}")
    print(f"(budget: {BUDGET:.0f} s wall per command; the last column is median wall / budget)")


if __name__ == "__main__":
    main()
