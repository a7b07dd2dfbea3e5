#!/usr/bin/env python
"""Deliberate breaks of the low-rank (LoRA) mathematics: does a test of tests/test_rank_*.py fail?

Each entry is one plausible bug, an exact source replacement ``old -> new`` (which must occur
exactly once) in one file, with the tests that should catch it.  For each, one at a time, a
scratch copy of the tree (``/tmp/icl-rank-mutate-<pid>``, never the live tree) gets the
replacement and the selected tests run (``pytest -x -p no:xdist``); the first failing test is
the killer.  A mutation no test catches *survives* and is reported.

Usage::

    python bench/mutate_rank.py            # every break
    python bench/mutate_rank.py --only L1,O2
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T_OPT, T_LORA, T_SPEC, T_MC = ("tests/test_rank_optimum.py", "tests/test_rank_lora.py",
                               "tests/test_rank_spec.py", "tests/test_rank_montecarlo.py")
T_JAX = "tests/test_rank_jax.py"
T_RING = "tests/test_lowrank_ring.py"
JAX_LORA = "numeric/transformer/lora.py"

MUTATIONS = [
    ("L1", "the factors' roles swapped (B random, A = 0 at the start)", "numeric/lora.py",
     "    return np.zeros((rows, rank)), rng.normal(0.0, scale, size=(rank, cols))",
     "    return rng.normal(0.0, scale, size=(rows, rank)), np.zeros((rank, cols))", [T_LORA]),
    ("L2", "the factors' roles swapped in the gradient (grad_A = grad_Delta^T B, transposed)", "numeric/lora.py",
     "        gB, gA = Gd @ A.T, B.T @ Gd",
     "        gB, gA = Gd @ A.T, (Gd.T @ B).T[::-1]", [T_LORA]),
    ("L3", "B not started at zero", "numeric/lora.py",
     "    return np.zeros((rows, rank)), rng.normal(0.0, scale, size=(rank, cols))",
     "    return rng.normal(0.0, 0.1 * scale, size=(rows, rank)), rng.normal(0.0, scale, size=(rank, cols))",
     [T_LORA]),
    ("O1", "a rank off by one (the concrete optimum keeps r + 1 directions)", "symbolic/lowrank_concrete.py",
     "    return eckart_young(kq, r.rank)\n",
     "    return eckart_young(kq, min(r.rank + 1, max_rank(r.block, d)))\n", [T_OPT]),
    ("O2", "a rank off by one (the closed form's perp block holds d directions)", "symbolic/lowrank.py",
     "                cap = 0 if self.perp_gain == 0 else (None if d is None else d - 1)",
     "                cap = 0 if self.perp_gain == 0 else (None if d is None else d)", [T_OPT]),
    ("O3", "the perp block's multiplicity d for d - 1 in the full loss", "symbolic/lowrank.py",
     "    loss_full_f = c - theta_total - dm1 * perp_gain",
     "    loss_full_f = c - theta_total - (dm1 + 1) * perp_gain", [T_OPT]),
    ("O4", "the error's perp part spread over d directions, not d - 1", "symbolic/lowrank.py",
     "        at0, atp, w = lift((at0, atp), sp.sympify(jP) / (DIM - 1))",
     "        at0, atp, w = lift((at0, atp), sp.sympify(jP) / DIM)", [T_OPT, T_MC]),
    ("O5", "the whitening on the wrong side (S for S^{-1} in the projector)", "symbolic/lowrank_concrete.py",
     '    Sinv = kq._memo["Sinv"]\n    Pi = W * (W.T * Sinv * W).inv() * W.T * Sinv',
     "    Sinv = S\n    Pi = W * (W.T * Sinv * W).inv() * W.T * Sinv", [T_OPT]),
    ("O6", "the start ignored in the linear term (G for G - H X0 S)", "symbolic/lowrank_concrete.py",
     "    G = Gabs - H.dot(X0).dot(S)", "    G = Gabs", [T_OPT]),
    ("O7", "the perp coordinate's sign (a = y_11 + s/k)", "symbolic/lowrank_ring.py",
     "        kk, lin = R(k), R(k) * R(y11) - R(s)",
     "        kk, lin = R(k), R(k) * R(y11) + R(s)", [T_OPT]),
    ("O8", "the gain of a direction taken as sigma_i, not sigma_i^2 (perp gain per direction squared-rooted)",
     "symbolic/lowrank.py",
     "        perp_gain = g_s ** 2 / q_s / dm1",
     "        perp_gain = g_s / dm1", [T_OPT]),
    # the ring route of symbolic/lowrank.py (symbolic/lowrank_ring.py) and the memos of lowrank_concrete.py
    ("O9", "the n -> oo error read as the n = 0 error (the limit taken at the wrong power of n)",
     "symbolic/lowrank_ring.py",
     "            num, den = {m: conv(n, top) for m, n in self._num.items()}, conv(self._den, top)",
     "            num, den = {m: conv(n, 0) for m, n in self._num.items()}, conv(self._den, 0)", [T_RING, T_OPT]),
    ("O10", "an error's value: a value's denominator dropped from the common denominator", "symbolic/lowrank_ring.py",
     "                den = den * values[i].denom ** e\n", "                den = den * values[i].denom ** (e - 1)\n",
     [T_RING, T_OPT]),
    ("O11", "the training loss taken at n -> oo, not at its own symbolic n", "symbolic/lowrank.py",
     "        E = _ansatz_loss(start, block, (Term(sp.S.One, N, terms[0].task),), identity).at(N, terms[0].n)",
     "        E = _ansatz_loss(start, block, (Term(sp.S.One, N, terms[0].task),), identity).at(N, sp.oo)",
     [T_RING, T_OPT]),
    ("O12", "the memo of Kronecker quadratics blind to theta_0 (one setting's quadratic reused at another)",
     "symbolic/lowrank_concrete.py",
     "    key = _setting_key(spec.without_ranks(), d, Sigma, theta0, sigma2, m, values, arith, block)",
     "    key = _setting_key(spec.without_ranks(), d, Sigma, sigma2, m, values, arith, block)", [T_OPT]),
    ("O13", "the memo's key of a matrix by its shape, not its entries (settings of one d share a quadratic)",
     "symbolic/lowrank_concrete.py",
     '            return ("entries", tuple(k for k in a.shape if k != 1), tuple(sp.sympify(v) for v in a.reshape(-1)))',
     '            return ("entries", tuple(k for k in a.shape if k != 1))', [T_OPT]),
    ("O14", "a block read from a wider question's quadratic without its coupling to the other entries' start",
     "symbolic/lowrank_concrete.py",
     "        Gabs = Gabs - (q.A[P, :].dot(q.start) - A.dot(q.start[P])).reshape(R, C)",
     "        Gabs = Gabs - (q.A[P, :].dot(q.start) - q.A[P, :].dot(q.start)).reshape(R, C)", [T_OPT]),
    ("O15", "the memo of explicit quadratics (a block read from a wider question's) blind to theta_0",
     "symbolic/lowrank_concrete.py",
     "    where = _setting_key(d, Sigma, theta0, sigma2, m, values, arith) if arith.exact else None",
     "    where = _setting_key(d, Sigma, sigma2, m, values, arith) if arith.exact else None", [T_OPT]),
    ("O16", "Q_xx's ansatz read from Q's with the wrong entry kept (y_10 for y_11)", "symbolic/lowrank.py",
     "        return wide.restricted([ys.index(_Y[1, 1]), len(ys)])",
     "        return wide.restricted([ys.index(_Y[1, 0]), len(ys)])", [T_RING, T_OPT]),
    ("P1", "the reduced path's theta direction not normalised (t = theta_0, not theta_0/|theta_0|)",
     "symbolic/lowrank_path.py",
     "        return vec(THETA0, ct / RK) + vec(W_PERP, cp)", "        return vec(THETA0, ct) + vec(W_PERP, cp)",
     [T_LORA]),
    ("P2", "the flow's rate without its factor 2", "symbolic/lowrank_path.py",
     "    integrand = sp.cancel(sp.together(sp.diff(pv, v) / (2 * qs * (ps - pv) * (c * (v + 1 / v) / 2))))",
     "    integrand = sp.cancel(sp.together(sp.diff(pv, v) / (qs * (ps - pv) * (c * (v + 1 / v) / 2))))",
     [T_LORA]),
    ("S1", "a rank above the block's size accepted", "symbolic/spec.py",
     "        if r.rank > top:", "        if r.rank > top + 1:", [T_SPEC]),
    # the JAX LoRA (numeric/transformer/lora.py) against the derived errors
    ("J1", "JAX: the factors' roles swapped at the start (B random, A = 0): the errors at the end are the same "
     "(the optimum's errors on +-theta_0 do not depend on the member reached), the member is not",
     JAX_LORA, "    return np.zeros((rows, rank)), rng.normal(0.0, init_scale, size=(rank, cols))",
     "    return rng.normal(0.0, init_scale, size=(rows, rank)), np.zeros((rank, cols))", [T_JAX]),
    ("J2", "JAX: a rank off by one (factors of rank r + 1)", JAX_LORA,
     "    B0, A0 = lora_start(R, C, int(rank), seed, scale)", "    B0, A0 = lora_start(R, C, int(rank) + 1, seed, scale)",
     [T_JAX]),
    ("J3", "JAX: B not started at zero", JAX_LORA,
     "    return np.zeros((rows, rank)), rng.normal(0.0, init_scale, size=(rank, cols))",
     "    return rng.normal(0.0, init_scale, size=(rows, rank)), rng.normal(0.0, init_scale, size=(rank, cols))",
     [T_JAX]),
    ("J4", "JAX: the update written transposed into the block, (B A)^T; expected equivalent on Q_xx, whose optimal "
     "update is symmetric", JAX_LORA,
     '        return Qj.at[rows, cols].add(f["B"] @ f["A"])', '        return Qj.at[rows, cols].add((f["B"] @ f["A"]).T)',
     [T_JAX]),
]


def main() -> None:
    # a SIGTERM (``timeout``, a killed job) exits through the ``finally`` that puts the source back: a
    # mutation left in the tree by a killed run was once committed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    scratch = Path(f"/tmp/icl-rank-mutate-{os.getpid()}")
    shutil.copytree(ROOT, scratch, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache"))
    py = str(ROOT / ".venv" / "bin" / "python")
    rows = []
    try:
        for mid, what, path, old, new, tests in MUTATIONS:
            if only and mid not in only:
                continue
            f = scratch / path
            text = f.read_text()
            if text.count(old) != 1:
                raise SystemExit(f"{mid}: the replacement applies {text.count(old)} times in {path}, expected once")
            f.write_text(text.replace(old, new))
            t = time.time()
            try:
                out = subprocess.run([py, "-m", "pytest", "-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                                      *tests], cwd=scratch, capture_output=True, text=True, timeout=900)
                failed = [ln.split(" ")[1] for ln in out.stdout.splitlines() if ln.startswith("FAILED ")]
                verdict = f"killed by {failed[0]}" if out.returncode else "SURVIVED"
            except subprocess.TimeoutExpired:
                verdict = "timeout (counted as killed)"
            f.write_text(text)
            rows.append((mid, what, verdict, time.time() - t))
            print(f"{mid}: {what}: {verdict} ({time.time() - t:.0f} s)", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    killed = sum(not v.startswith("SURVIVED") for _, _, v, _ in rows)
    print(f"\n{killed} / {len(rows)} killed")


if __name__ == "__main__":
    main()
