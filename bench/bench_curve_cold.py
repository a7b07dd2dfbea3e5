"""Benchmark: a float64 curve cold, ``icl-finetune curve --strategy value-fewshot --n 0:100`` at
d = 1,000 with a dense Sigma, against a plain numpy script computing the same numbers.

Run:  .venv/bin/python bench/bench_curve_cold.py [--d 1000] [--k 7] [--before PATH]

Every command runs in a fresh interpreter with ONE BLAS thread (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, MKL_NUM_THREADS = 1, so that spinning BLAS threads do not count as work); the
rows are measured alternately, K times each, and the minimum and median of the CPU time (user +
system of the child) and of the wall time are printed, with each row's ratio to the plain numpy
script ``bench/baseline_value_fewshot.py`` measured in the same run (the issue's target: the
curve at most 2 times it, in CPU). Rows:

- ``numpy script``: the baseline (load Sigma and theta_0, check Sigma: finite, symmetric,
  Cholesky; the typed-in closed form at n = 0..100);
- ``numpy script + cond``: the same and Sigma's condition number as the toolkit computes and
  reports it (``||Sigma||_1 ||Sigma^-1||_1``: one d x d inverse; ``--condition``);
- ``curve (generated)``: the command with its generated evaluator in the cache
  (:mod:`proofs.quantities.compiled_curves`): no SymPy, no derivation; its text output does not
  print Sigma's condition number, so it does not compute it: it only decides the warning (above
  1e8), by one Cholesky factorisation of a shifted Sigma that proves the number below 1e7
  (:func:`symbolic.arithmetic.proves_condition_below`; the inverse only where that fails);
- ``curve (generated, JSON)``: the same with ``--format json``, which prints the condition number
  (one d x d inverse): to compare with ``numpy script + cond``;
- ``curve (first run)``: the command with an empty cache: it derives the strategy, generates the
  evaluator and writes it (once per strategy, m finite or not, n_ft, and source version);
- ``curve (full route)``: the command with ``ICL_FINETUNE_CACHE=off``: SymPy, the derivation and
  the evaluator walking the expression trees, as before generated evaluators;
- ``curve (before)``, with ``--before PATH``: the command from another checkout (e.g. ``git
  archive`` of the commit before), run with ``PYTHONPATH=PATH``;
- ``import sympy``: a fresh interpreter importing SymPy, for scale.

Bytecode: the children write and read ``__pycache__`` as Python does by default (the
environment's PYTHONDONTWRITEBYTECODE is removed for them; ``--no-bytecode`` keeps it, and then
every module of the toolkit is compiled from source in every run, about 0.06 s more for the curve).
Every curve's output is checked equal to the others' (the numbers, not the timings), and the
JSON's condition number to the script's.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(CPU s, wall s, stdout) of one fresh process, run in the checkout its PYTHONPATH names."""
    c0, t0 = _cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=env["PYTHONPATH"], capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.strip()[:400]}")
    return cpu, wall, done.stdout


def _errors(text: str) -> list[str]:
    """The curve's errors and limit as the text output prints them (10 significant digits), from the
    command's text or JSON output or the baseline's output."""
    if text.lstrip().startswith("{"):
        out = json.loads(text)
        return [f"{e:.10g}" for e in out["error"]] + [f"{out['limit']:.10g}"]
    return [line.split()[1] for line in text.splitlines() if line.split() and line.split()[0] not in ("#", "n")
            and line.split()[0] != "condition"]


def _condition(text: str) -> str | None:
    """Sigma's condition number to 6 digits, from the baseline's ``--condition`` line or the JSON."""
    if text.lstrip().startswith("{"):
        cond = json.loads(text).get("condition")
        return None if cond is None else f"{cond:.6g}"
    return next((line.split()[1] for line in text.splitlines() if line.startswith("condition")), None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--k", type=int, default=7)
    ap.add_argument("--before", help="a checkout of the code before (run with PYTHONPATH=BEFORE)")
    ap.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as it is")
    args = ap.parse_args()
    base_env = {**os.environ, **THREADS, "PYTHONPATH": str(ROOT)}
    if not args.no_bytecode:
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    tmp = Path(tempfile.mkdtemp(prefix="bench-curve-"))
    try:
        rng = np.random.default_rng(0)
        A = rng.standard_normal((args.d, args.d))
        S, t0 = A @ A.T / args.d + np.eye(args.d), rng.standard_normal(args.d)
        sp_, tp = tmp / "Sigma.npy", tmp / "theta0.npy"
        np.save(sp_, S)
        np.save(tp, t0)
        cache = tmp / "cache"
        curve = [sys.executable, "-m", "proofs.cli", "curve", "--strategy", "value-fewshot", "--task", "target",
                 "--n", "0:100", "--Sigma", str(sp_), "--theta0", str(tp), "--arithmetic", "float"]
        base = [sys.executable, str(ROOT / "bench" / "baseline_value_fewshot.py"), str(sp_), str(tp)]
        rows: dict[str, tuple[list[str], dict[str, str], Path | None]] = {
            "numpy script": (base, base_env, None),
            "numpy script + cond": (base + ["--condition"], base_env, None),
            "curve (generated)": (curve, {**base_env, "ICL_FINETUNE_CACHE": str(cache)}, None),
            "curve (generated, JSON)": (curve + ["--format", "json"], {**base_env, "ICL_FINETUNE_CACHE": str(cache)},
                                        None),
            "curve (first run)": (curve, {**base_env, "ICL_FINETUNE_CACHE": str(tmp / "fresh")}, tmp / "fresh"),
            "curve (full route)": (curve, {**base_env, "ICL_FINETUNE_CACHE": "off"}, None),
        }
        if args.before:
            rows["curve (before)"] = (curve, {**base_env, "PYTHONPATH": str(Path(args.before).resolve())}, None)
        rows["import sympy"] = ([sys.executable, "-c", "import sympy"], base_env, None)
        outputs: dict[str, str] = {}
        for name, (argv, env, _) in rows.items():  # warm up: bytecode written, the cache filled
            outputs[name] = cold(argv, env)[2]
        want = _errors(outputs["curve (generated)"])
        for name, text in outputs.items():
            if name != "import sympy" and _errors(text) != want:
                raise SystemExit(f"{name}: prints other numbers than the generated evaluator's")
        if _condition(outputs["curve (generated, JSON)"]) != _condition(outputs["numpy script + cond"]):
            raise SystemExit("curve (generated, JSON): another condition number than the script's")
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(args.k):
            for name, (argv, env, fresh) in rows.items():
                if fresh is not None:
                    shutil.rmtree(fresh, ignore_errors=True)
                runs[name].append(cold(argv, env)[:2])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ref = runs["numpy script"]
    ref_cpu, ref_wall = min(r[0] for r in ref), min(r[1] for r in ref)
    ref_cpu_med, ref_wall_med = statistics.median(r[0] for r in ref), statistics.median(r[1] for r in ref)
    print(f"d = {args.d}, K = {args.k} runs each, one BLAS thread, load average {os.getloadavg()[0]:.1f}, "
          f"bytecode {'as in the environment' if args.no_bytecode else 'cached'}")
    print(f"{'':24} {'CPU min':>8} {'CPU med':>8} {'wall min':>8} {'wall med':>8}   "
          f"{'CPU x (min)':>11} {'CPU x (med)':>11} {'wall x (min)':>12}")
    for name, rs in runs.items():
        cpus, walls = [r[0] for r in rs], [r[1] for r in rs]
        print(f"{name:24} {min(cpus):8.3f} {statistics.median(cpus):8.3f} {min(walls):8.3f} "
              f"{statistics.median(walls):8.3f}   {min(cpus) / ref_cpu:11.2f} "
              f"{statistics.median(cpus) / ref_cpu_med:11.2f} {min(walls) / ref_wall:12.2f}")
    print("x: the ratio to the numpy script measured in this run (min to min, median to median).")
    js, nc = [r[0] for r in runs["curve (generated, JSON)"]], [r[0] for r in runs["numpy script + cond"]]
    print(f"curve (generated, JSON) / numpy script + cond, CPU: {min(js) / min(nc):.2f} (min), "
          f"{statistics.median(js) / statistics.median(nc):.2f} (median): both compute the condition number.")


if __name__ == "__main__":
    main()
