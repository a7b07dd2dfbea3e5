"""Any d: how the float64 evaluation of a closed form grows with d, against a plain numpy
script of the same closed form measured in the same run.

For each d: a dense random SPD Sigma (A A^T / d + I, seed 0) and theta_0 saved as ``.npy``; then

- ``cli``: ``icl-finetune curve --strategy value-fewshot --task target --n 0:100 --Sigma S.npy
  --theta0 t.npy`` cold (a fresh process), wall and CPU time, peak memory (ru_maxrss);
- ``base``: ``python bench/baseline_value_fewshot.py S.npy t.npy`` cold, the same numbers;
- ``warm``: in one process, ``proofs.api.curve`` again after a first call (derivation cached):
  the evaluation alone, against the baseline's ``curve`` function on the loaded arrays;
- ``m=7``: the warm evaluation at m = 7, n_ft = 3 (inverses of Sigma + c I and H enter: O(d^3)).

Prints a table and the ratios cli/base (cold) and warm/base (evaluation). The two processes run
alternately, the minimum over K repetitions is reported (the machine is shared).

    python bench/bench_anyd.py [--d 10,100,1000,4000] [--k 3]

Measured 2026-12-03 (``--k 1``; 2 cores shared with other jobs, load average 12-16, so wall
seconds are inflated several-fold; CPU seconds are the figures to compare). ``warm`` finds Sigma's
check memoised (the baseline repeats its Cholesky), so ``warm x`` flatters the toolkit:

        d  cli wall  cli cpu  cli MiB base wall base cpu  cold x   warm s   base s    m=7 s  max rel diff
       10     13.11     0.96       71      1.75     0.11     7.5   0.0015   0.0001    5.763      1.40e-15
       30     13.25     0.99       75      1.53     0.11     8.6   0.0012   0.0001    0.278      4.36e-16
      100     10.94     1.02       75      0.40     0.11    27.4   0.0013   0.0002    1.134      1.10e-14
      300     10.04     1.64       79      2.76     0.50     3.6   0.0027   0.1500    0.765      6.36e-15
     1000     11.54     2.08      107      1.46     0.37     7.9   0.1487   4.3593    6.395      6.45e-14
     2000     14.84     2.88      224      7.73     1.66     1.9   0.3557   5.4422   20.372      2.71e-13
     4000     50.05     9.90      796     21.70     4.56     2.3   1.7366  34.0974  141.470      1.19e-13

The CLI's cold CPU is about 0.95 s at any d (Python, SymPy's import and the derivation of
value-fewshot) plus the O(d^3) part (Cholesky and inverse of Sigma for the check and its
condition number): at d = 1000, 2.1 s against the baseline's 0.37 s. ``max rel diff``: the
toolkit's float64 curve against the baseline's typed-in closed form.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def cold(argv: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s of the child, peak RSS MiB of the child) of one fresh process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{argv}: exit {out.returncode}: {out.stderr.strip()[:300]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--d", default="10,30,100,300,1000,2000,4000")
    ap.add_argument("--k", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from baseline_value_fewshot import curve as base_curve
    from proofs import api
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in [int(x) for x in args.d.split(",")]:
            rng = np.random.default_rng(0)
            A = rng.standard_normal((d, d))
            S = A @ A.T / d + np.eye(d)
            t0 = rng.standard_normal(d)
            sp_, tp = Path(tmp) / f"S{d}.npy", Path(tmp) / f"t{d}.npy"
            np.save(sp_, S)
            np.save(tp, t0)
            cli = [sys.executable, "-m", "proofs.cli", "curve", "--strategy", "value-fewshot", "--task", "target",
                   "--n", "0:100", "--Sigma", str(sp_), "--theta0", str(tp), "--arithmetic", "float"]
            base = [sys.executable, str(ROOT / "bench" / "baseline_value_fewshot.py"), str(sp_), str(tp)]
            c_runs, b_runs = [], []
            for _ in range(args.k):
                c_runs.append(cold(cli))
                b_runs.append(cold(base))
            c, b = min(c_runs), min(b_runs)
            mem = max(r[2] for r in c_runs)
            kw = dict(d=d, sigma2=0.1, m=None, n_ft=None, Sigma=S, theta0=t0, arithmetic="float")
            r = api.curve("value-fewshot", "target", range(101), **kw)
            want, _ = base_curve(S, t0, 0.1, np.arange(101))
            worst = float(np.max(np.abs(np.array(r.error) - want) / want))
            warm, bw, m7 = [], [], []
            for _ in range(args.k):
                t = time.perf_counter()
                api.curve("value-fewshot", "target", range(101), **kw)
                warm.append(time.perf_counter() - t)
                t = time.perf_counter()
                base_curve(S, t0, 0.1, np.arange(101))
                bw.append(time.perf_counter() - t)
                t = time.perf_counter()
                api.curve("value-fewshot", "target", range(101), **{**kw, "m": 7, "n_ft": 3})
                m7.append(time.perf_counter() - t)
            rows.append((d, c[0], c[1], mem, b[0], b[1], min(warm), min(bw), min(m7), worst))
            print(f"d={d} done", file=sys.stderr, flush=True)
    print(f"{'d':>5} {'cli wall':>9} {'cli cpu':>8} {'cli MiB':>8} {'base wall':>9} {'base cpu':>8} "
          f"{'cold x':>7} {'warm s':>8} {'base s':>8} {'warm x':>7} {'m=7 s':>8} {'max rel diff':>12}")
    for d, cw, cc, mem, bwl, bc, w, bw_, m7_, worst in rows:
        print(f"{d:>5} {cw:>9.2f} {cc:>8.2f} {mem:>8.0f} {bwl:>9.2f} {bc:>8.2f} {cw / bwl:>7.1f} "
              f"{w:>8.4f} {bw_:>8.4f} {w / bw_:>7.1f} {m7_:>8.3f} {worst:>12.2e}")


if __name__ == "__main__":
    main()
