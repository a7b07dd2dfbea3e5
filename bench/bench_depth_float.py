"""Benchmark: the depth class's closed form in float64 at d = 1,000, against a plain numpy evaluation of
the same formula.

Run:  .venv/bin/python bench/bench_depth_float.py [--d 1000] [--L 2] [--k 5]

The question: E_L(layers, n; theta) of L class layers (V_l = e_y e_y^T, the last layer's values v_0,
v_x set; Q_l = blockdiag(0, Gamma_l, 0) with dense Gamma_l), a dense Sigma, n = 10, sigma^2 = 0.1. Every
row runs in a fresh interpreter with ONE BLAS thread (so that spinning threads do not count as work),
alternately, K times each; the minimum and median CPU (user + system of the child) are printed with
each row's ratio to the numpy script measured in the same run (the target: the toolkit at most 3 times
it). Rows:

- ``numpy script``: straight-line numpy written by this script from the derived closed form (each
  distinct trace by shared prefix products, its last product never formed, tr(P A) = sum P^T * A;
  each bilinear form by matrix-vector products; the coefficients as numpy expressions), reading
  the same ``.npz``; no toolkit import, no SymPy. This is what a person would write by hand from the
  formula, and the floor of any evaluation of it;
- ``toolkit (API)``: ``proofs.api.depth_error(layers, theta, Sigma, sigma2, n, arithmetic='float')``
  with the class closed form in the disk cache (its one derivation happens in the warm-up run):
  imports, validation of the inputs (Sigma positive definite, its condition number), the route's
  choice, the evaluation;
- ``import sympy``: a fresh interpreter importing SymPy, for scale.

Both rows' values are checked equal (relative 1e-9) before timing.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
N_SHOTS, SIGMA2 = 10, 0.1

TOOLKIT = """
import sys, numpy as np
from proofs import api
z = np.load(sys.argv[1]); d, L = z["Sigma"].shape[0], int(z["L"])
layers = []
for l in range(1, L + 1):
    V = np.zeros((d + 2, d + 2)); V[d + 1, d + 1] = 1.0
    if l == L:
        V[d + 1, 0] = float(z["v0"]); V[d + 1, 1:d + 1] = z["vx"]
    Q = np.zeros((d + 2, d + 2)); Q[1:d + 1, 1:d + 1] = z[f"Gamma_{l}"]
    layers.append((V, Q))
r = api.depth_error(layers, z["theta"], z["Sigma"], %r, %d, arithmetic="float")
print(repr(float(r.value)))
"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    c0 = _cpu()
    done = subprocess.run(argv, env=env, cwd=str(ROOT), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    return _cpu() - c0, done.stdout


def numpy_script(L: int) -> str:
    """Straight-line numpy for the class closed form E_L (last layer's values), written from the
    derivation (symbolic.depth.class_error): the formula's traces, forms and coefficients."""
    import sympy as sp
    from sympy.printing.numpy import NumPyPrinter
    from symbolic.depth import class_error
    from symbolic.forms import Tr
    from symbolic.objective import N
    from symbolic.words import DIM
    p = class_error(L, values_in=(L,))
    names: dict = {}

    def atom(a) -> str:
        e = a.expr
        inv = isinstance(e, sp.Inverse)
        name = (e.arg if inv else e).name
        key = (name, inv, a.transposed)
        if key not in names:
            base = f"M_{name}"
            names[key] = base + ("_inv" if inv else "") + ("_T" if a.transposed else "")
        return names[key]

    lines, products, applied, factors = [], {}, {}, {}

    def word(w: tuple) -> str:
        if w not in products:
            rhs = atom(w[0]) if len(w) == 1 else f"{word(w[:-1])} @ {atom(w[-1])}"   # the prefix first
            products[w] = v = f"P{len(products)}"
            lines.append(f"{v} = {rhs}")
        return products[w]

    def times(w: tuple, right: str) -> str:
        if not w:
            return f"vec_{right}"
        if (w, right) not in applied:
            rhs = f"{atom(w[0])} @ {times(w[1:], right)}"                          # the suffix first
            applied[(w, right)] = v = f"u{len(applied)}"
            lines.append(f"{v} = {rhs}")
        return applied[(w, right)]

    def factor(f) -> str:
        if f not in factors:
            v = f"F{len(factors)}"
            if isinstance(f, Tr):
                w = tuple(f.word)
                expr = f"np.trace({atom(w[0])})" if len(w) == 1 else f"np.sum({word(w[:-1])}.T * {atom(w[-1])})"
            else:
                expr = f"vec_{f.left.obj.name} @ {times(tuple(f.word), f.right.obj.name)}"
            lines.append(f"{v} = {expr}")
            factors[f] = v
        return factors[f]

    printer = NumPyPrinter({"fully_qualified_modules": True})
    terms = []
    for (fs, noises), c in p.terms.items():
        assert not noises
        fac = [factor(f) for f in fs]
        coef = printer.doprint(sp.sympify(c).subs(DIM, sp.Symbol("d")).subs(N, sp.Symbol("n")))
        terms.append("(" + coef + ")" + "".join(f" * {x}" for x in fac))
    head = ["import sys", "import numpy", "import numpy as np", "z = np.load(sys.argv[1])",
            "d = z['Sigma'].shape[0]", f"n = {N_SHOTS}", f"sigma = {SIGMA2 ** 0.5!r}",
            "Sigma = z['Sigma']", "np.linalg.cholesky(Sigma)   # the input check any evaluation owes"]
    mats = []
    for (name, inv, tr), v in names.items():
        src = {"Sigma": "z['Sigma']"}.get(name, f"z['{name}']")
        mats.append(f"{v} = {'np.linalg.inv(' + src + ')' if inv else src}{'.T' if tr else ''}")
    vecs = ["vec_theta = z['theta']", f"vec_v_x_{L} = z['vx']", f"v_0_{L} = float(z['v0'])"] + \
        [f"v_y_{l} = 1.0" for l in range(1, L + 1)]
    body = ["total = 0.0"] + [f"total += {t}" for t in terms]   # a line per term (one long sum overflows the compiler)
    return "\n".join(head + mats + vecs + lines + body + ["print(repr(float(total)))"]) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--L", type=int, default=2, choices=(2, 3))
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-depth-float-"))
    env = {**os.environ, **THREADS, "PYTHONPATH": str(ROOT), "ICL_FINETUNE_CACHE": str(tmp / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        rng = np.random.default_rng(0)
        d = args.d
        A = rng.standard_normal((d, d))
        data = {"Sigma": A @ A.T / d + np.eye(d), "theta": rng.standard_normal(d) / np.sqrt(d), "L": args.L,
                "v0": 0.1, "vx": rng.standard_normal(d) / np.sqrt(d)}
        for l in range(1, args.L + 1):
            B = rng.standard_normal((d, d)) / np.sqrt(d)
            data[f"Gamma_{l}"] = (B @ B.T / d + np.eye(d)) * (0.5 if l < args.L else 1.0)
        npz = tmp / "inputs.npz"
        np.savez(npz, **data)
        (tmp / "numpy_script.py").write_text(numpy_script(args.L))
        (tmp / "toolkit.py").write_text(TOOLKIT % (SIGMA2, N_SHOTS))
        rows = {"numpy script": [sys.executable, str(tmp / "numpy_script.py"), str(npz)],
                "toolkit (API)": [sys.executable, str(tmp / "toolkit.py"), str(npz)],
                "import sympy": [sys.executable, "-c", "import sympy"]}
        out = {name: cold(argv, env)[1] for name, argv in rows.items()}   # warm-up: bytecode, the disk cache
        a, b = float(out["numpy script"]), float(out["toolkit (API)"])
        if abs(a - b) > 1e-9 * abs(a):
            raise SystemExit(f"the numpy script gives {a!r}, the toolkit {b!r}")
        runs: dict = {name: [] for name in rows}
        for _ in range(args.k):
            for name, argv in rows.items():
                runs[name].append(cold(argv, env)[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ref = runs["numpy script"]
    print(f"E_L at d = {args.d}, L = {args.L}, n = {N_SHOTS}: {a!r}; K = {args.k} runs each, one BLAS thread, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'':16} {'CPU min':>8} {'CPU med':>8}   {'x (min)':>8} {'x (med)':>8}")
    for name, rs in runs.items():
        print(f"{name:16} {min(rs):8.3f} {statistics.median(rs):8.3f}   {min(rs) / min(ref):8.2f} "
              f"{statistics.median(rs) / statistics.median(ref):8.2f}")
    print("x: the ratio to the numpy script measured in this run (min to min, median to median).")


if __name__ == "__main__":
    main()
