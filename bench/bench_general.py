"""Benchmark: deriving a quadratic spec cold at symbolic d, and the property tests' case counts.

Run:  .venv/bin/python bench/bench_general.py [--repeat K] [--no-hypothesis]

The target: a two-term loss over V's whole last row (docs/examples/specs/mixed.json:
train v0, vx, vy on E(0; theta_0) + 1/2 E(20; theta_0)) derived cold at symbolic d in under
2 s on 2 cores.  Everything runs in fresh interpreters (no cache survives a process); each
figure is the min and the median of K runs.  Printed, for this run:

* the reference: a fresh ``python -c "import sympy"`` (the floor of any cold command);
* the derivation alone (``symbolic.general.derive_spec``, timed inside a fresh process after
  its imports), for each spec of docs/examples/specs/ with a closed form;
* the whole fresh process for the target spec (imports + read + derive), wall and CPU;
* ``icl-finetune derive --spec mixed.json --format json`` end to end (it also derives the
  four headline errors);
* every figure as a ratio to the reference, and the target spec against the 2 s budget;
* the hypothesis case counts of tests/test_general_derivation.py (run with
  ``--hypothesis-show-statistics``, parsed): passing, failing and invalid examples per test.

The machine may be shared: CPU time is the figure to compare across runs; wall is what a user
waits.

Measured 2026-11-29 (5 runs, a 2-core machine shared with four other sessions, load ~8):
reference import sympy wall 1.67 s / cpu 0.50 s (medians); mixed.json derivation alone wall
1.60 s / cpu 0.51 s (budget 2 s: 0.80 / 0.25); the whole fresh process (python start,
imports, derive) cpu 1.30 s, wall 4.13 s under that load; other example specs 0.24-0.62 s
cpu; ``derive --spec mixed.json --format json`` cold cpu 1.86 s; hypothesis: 30 passing, 0
failing, 1 invalid cases.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "docs" / "examples" / "specs"
TARGET = SPECS / "mixed.json"
BUDGET = 2.0

DERIVE_ONE = """
import json, sys, time
t0 = time.perf_counter()
from symbolic.spec import spec_from_json
from symbolic.general import derive_spec
t1, c1 = time.perf_counter(), time.process_time()
spec = spec_from_json(json.load(open(sys.argv[1])))
s = derive_spec(spec)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import": t1 - t0, "derive": t2 - t1, "derive_cpu": c2 - c1}))
"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold(args: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """(wall, cpu, stdout) of a fresh process."""
    c0, t0 = _cpu(), time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu, done.stdout


def _stats(xs: list[float]) -> tuple[float, float]:
    return min(xs), statistics.median(xs)


def closed_form_specs() -> list[Path]:
    out = []
    for p in sorted(SPECS.glob("*.json")):
        train = set(json.loads(p.read_text())["train"])
        if not (train & {"v0", "vx", "vy"} and train - {"v0", "vx", "vy", "V_rows", "Q_col"}):
            out.append(p)
    return out


def hypothesis_counts(py: str) -> tuple[list[tuple[str, int, int, int]], float]:
    """Run tests/test_general_derivation.py with --hypothesis-show-statistics; per @given
    test: (name, passing, failing, invalid) of the generate phase (all phases summed)."""
    t0 = time.perf_counter()
    done = subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
                           "tests/test_general_derivation.py"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"tests/test_general_derivation.py failed:\n{done.stdout[-3000:]}")
    rows: list[tuple[str, int, int, int]] = []
    name = None
    counts = [0, 0, 0]
    for line in done.stdout.splitlines():
        m = re.match(r"^(\S+::\S+):\s*$", line.strip())
        if m:
            if name is not None:
                rows.append((name, *counts))
            name, counts = m.group(1), [0, 0, 0]
            continue
        # hypothesis >= 6.1xx: "30 passing, 0 failing, and 1 invalid test cases"; older: "... examples"
        m = re.search(r"(\d+) passing(?: examples?)?, (\d+) failing(?: examples?)?,(?: and)? (\d+) invalid", line)
        if m and name is not None:
            for k in range(3):
                counts[k] += int(m.group(k + 1))
    if name is not None:
        rows.append((name, *counts))
    return rows, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="cold runs per figure (default 5)")
    ap.add_argument("--no-hypothesis", action="store_true", help="skip the property tests' case counts")
    args = ap.parse_args()
    py = sys.executable
    exe = str(Path(py).with_name("icl-finetune"))
    cli = [exe] if os.path.exists(exe) else [py, "-m", "proofs.cli"]

    refs = [cold([py, "-c", "import sympy"]) for _ in range(args.repeat)]
    ref_wall, ref_cpu = statistics.median(r[0] for r in refs), statistics.median(r[1] for r in refs)
    print(f"reference: fresh python -c 'import sympy' ({args.repeat} runs): wall min/median "
          "{:.2f}/{:.2f} s, cpu min/median {:.2f}/{:.2f} s".format(*_stats([r[0] for r in refs]),
                                                                  *_stats([r[1] for r in refs])))
    print(f"(ratios below: against the median reference, wall {ref_wall:.2f} s / cpu {ref_cpu:.2f} s)\n")

    print("derivation alone, fresh process, after imports (derive_spec; min / median of "
          f"{args.repeat}; ratio = median / median reference):")
    for p in closed_form_specs():
        runs = [json.loads(cold([py, "-c", DERIVE_ONE, str(p)])[2]) for _ in range(args.repeat)]
        (lo, med), (clo, cmed) = _stats([r["derive"] for r in runs]), _stats([r["derive_cpu"] for r in runs])
        flag = f"   budget {BUDGET:.0f} s: wall {med / BUDGET:.2f}, cpu {cmed / BUDGET:.2f}" if p == TARGET else ""
        print(f"  {p.name:<22} wall {lo:5.2f} / {med:5.2f} s (ratio {med / ref_wall:4.2f}x)   "
              f"cpu {clo:5.2f} / {cmed:5.2f} s (ratio {cmed / ref_cpu:4.2f}x){flag}")

    print(f"\n{TARGET.name} (two-term loss over V's whole last row), whole fresh process "
          "(python start, imports, read, derive):")
    runs = [cold([py, "-c", DERIVE_ONE, str(TARGET)]) for _ in range(args.repeat)]
    w, c = [r[0] for r in runs], [r[1] for r in runs]
    print("  wall min/median {:.2f}/{:.2f} s (ratio {:.2f}x), cpu min/median {:.2f}/{:.2f} s (ratio {:.2f}x), "
          "budget {:.0f} s: wall {:.2f}, cpu {:.2f}".format(
              *_stats(w), statistics.median(w) / ref_wall, *_stats(c), statistics.median(c) / ref_cpu,
              BUDGET, statistics.median(w) / BUDGET, statistics.median(c) / BUDGET))
    imp = [json.loads(r[2])["import"] for r in runs]
    print("  of which imports (symbolic) min/median {:.2f}/{:.2f} s".format(*_stats(imp)))

    runs = [cold(cli + ["derive", "--spec", str(TARGET), "--format", "json"]) for _ in range(args.repeat)]
    w, c = [r[0] for r in runs], [r[1] for r in runs]
    print("\nicl-finetune derive --spec mixed.json --format json (derivation + its four errors), cold:")
    print("  wall min/median {:.2f}/{:.2f} s (ratio {:.2f}x), cpu min/median {:.2f}/{:.2f} s (ratio {:.2f}x)".format(
        *_stats(w), statistics.median(w) / ref_wall, *_stats(c), statistics.median(c) / ref_cpu))

    if not args.no_hypothesis:
        rows, wall = hypothesis_counts(py)
        print(f"\nhypothesis case counts, tests/test_general_derivation.py ({wall:.0f} s wall):")
        for name, passing, failing, invalid in rows:
            print(f"  {name}: {passing} passing, {failing} failing, {invalid} invalid cases (all phases)")


if __name__ == "__main__":
    main()
