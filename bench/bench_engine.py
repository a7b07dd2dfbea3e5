"""Benchmark: the symbolic-dimension Wick engine against sympy.stats and the concrete engine.

Run:  .venv/bin/python bench/bench_engine.py

Prints wall times measured in this run and ratios against the references measured in the
same run (no absolute thresholds: machines differ).

* cold derivation of E(V, Q, n; theta) with every block symbolic (fresh interpreter);
* the moment E[(a^T x)(x^T Q x)(x^T b)], x ~ N(0, Sigma): the Wick engine (any d, symbolic
  Sigma) against ``sympy.stats`` at d = 2 with symbolic a, b, Q and a fixed Sigma (the
  reference DESIGN.md quotes), and against the concrete engine at d = 2.
"""
from __future__ import annotations

import subprocess
import sys
import time


def cold(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t


def main() -> None:
    base = cold("import sympy")
    objective = cold("from symbolic import expected_error; expected_error()")
    pretrain = cold("from symbolic import pretraining_error; pretraining_error()")
    table = cold("from symbolic import derive, THETA0\n"
                 "for s in ('pretrain','full','value','value-fewshot'):\n"
                 "    x = derive(s); x.zero_shot_error(); x.few_shot_limit(THETA0); x.few_shot_limit(-THETA0)")
    print(f"cold python + sympy import           {base:7.2f} s")
    print(f"cold derivation of E(V,Q,n;theta)    {objective - base:7.2f} s  (beyond the import)")
    print(f"cold pretraining objective           {pretrain - base:7.2f} s")
    print(f"cold derivation of the whole table   {table - base:7.2f} s")

    import sympy as sp
    from symbolic.forms import Poly, const, form, gauss
    from symbolic.model import SIGMA_ATOM
    from symbolic.wick import expect_gaussian
    from symbolic.words import DIM, Atom

    a, b = sp.MatrixSymbol("a", DIM, 1), sp.MatrixSymbol("b", DIM, 1)
    Qa = Atom(sp.MatrixSymbol("Q", DIM, DIM))
    x = gauss("x")
    t = time.perf_counter()
    p = Poly.factor(form(const(a), (), x)) * Poly.factor(form(x, (Qa,), x)) * Poly.factor(form(x, (), const(b)))
    wick = expect_gaussian(p, "x", (SIGMA_ATOM,))
    t_wick = time.perf_counter() - t
    print(f"Wick engine, symbolic d and Sigma    {t_wick * 1e3:7.2f} ms  ({len(wick)} terms)")

    from symbolic.concrete import gaussian_expectation
    d = 2
    xs = sp.symbols("x0:2")
    A = sp.Matrix(sp.symbols("a0:2"))
    B = sp.Matrix(sp.symbols("b0:2"))
    Q = sp.Matrix(2, 2, sp.symbols("q0:4"))
    S = sp.Matrix([[2, 1], [1, 3]])
    X = sp.Matrix(xs)
    expr = sp.expand((A.T * X)[0] * (X.T * Q * X)[0] * (X.T * B)[0])
    t = time.perf_counter()
    gaussian_expectation(expr, [(xs, S)])
    t_conc = time.perf_counter() - t
    print(f"concrete engine, d = 2               {t_conc * 1e3:7.2f} ms   ratio {t_conc / t_wick:8.1f}x the Wick engine")

    from sympy.stats import E as Expect, MultivariateNormal
    Xr = MultivariateNormal("X", [0, 0], S)
    comps = [Xr[i] for i in range(d)]
    sub = sp.expand((A.T * sp.Matrix(comps))[0] * (sp.Matrix(comps).T * Q * sp.Matrix(comps))[0]
                    * (sp.Matrix(comps).T * B)[0])
    t = time.perf_counter()
    try:
        Expect(sub)
        t_stats = time.perf_counter() - t
        print(f"sympy.stats, d = 2                   {t_stats:7.2f} s    ratio {t_stats / t_wick:8.0f}x the Wick engine")
    except Exception as exc:  # pragma: no cover - reference only
        print(f"sympy.stats failed: {exc}")


if __name__ == "__main__":
    main()
