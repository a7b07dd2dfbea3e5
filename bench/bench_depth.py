"""Speed of the depth derivations (CPU seconds, user+sys), with today's one-layer derivation as the reference
measured in the same run, and of the exact routes for arbitrary L = 2 parameters.

    python bench/bench_depth.py [--L3] [--concrete]

- class closed form E_L at symbolic d, Sigma, n (last layer's v_0, v_x, v_y included), cold (memory and
  disk caches off) and from the disk cache; ratio against symbolic.objective.expected_error (L = 1, every
  block symbolic) in the same run. Targets: L = 2 under a minute cold, L = 3 under 10 minutes.
- ``--concrete``: the literal concrete engine (symbolic.concrete_depth) on arbitrary L = 2 parameters at
  growing (d, n), to show why it cannot reach d = 2, n = 5 (the monomials of (f - y)^2 explode), and the
  reference Monte Carlo there instead (its cost and standard error).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--L3", action="store_true", help="include the L = 3 cold derivation")
    ap.add_argument("--concrete", action="store_true", help="time the literal engine on arbitrary L = 2 parameters")
    a = ap.parse_args()
    import tempfile
    os.environ["ICL_FINETUNE_CACHE"] = tempfile.mkdtemp(prefix="icl-depth-bench-")
    from symbolic import depth as dmod
    from symbolic.depth import class_error
    from symbolic.objective import expected_error
    from symbolic.wick import _CONTRACT_CACHE
    t = cpu()
    expected_error()
    ref = cpu() - t
    print(f"reference: one-layer E(V, Q, n; theta), every block symbolic: {ref:.2f} s CPU")
    for L in ([2, 3] if a.L3 else [2]):
        _CONTRACT_CACHE.clear()
        dmod._depth_error_nu.cache_clear()
        dmod.chain_pair_expectation.cache_clear()
        from symbolic import depth_cache
        depth_cache._MEMORY.clear()
        t = cpu()
        p = class_error(L)
        cold = cpu() - t
        depth_cache._MEMORY.clear()
        t = cpu()
        class_error(L)
        warm = cpu() - t
        print(f"L = {L}: {len(p)} terms; cold {cold:.2f} s CPU ({cold / ref:.1f} x reference), "
              f"from the disk cache {warm:.3f} s", flush=True)
    if a.concrete:
        from sympy import Rational as R
        import numpy as np
        import sympy as sp
        from numeric.depth import estimate_error_depth
        from symbolic.concrete_depth import concrete_depth_error
        rnd = random.Random(0)

        def rm(D):
            return [[R(rnd.randint(-3, 3), 8) for _ in range(D)] for _ in range(D)]
        for d, n in [(1, 1), (1, 2), (2, 1)]:
            lays = [(rm(d + 2), rm(d + 2)) for _ in range(2)]
            t = cpu()
            concrete_depth_error(lays, n=n, theta=[R(1, 2)] * d, Sigma=sp.eye(d), sigma2=R(1, 4))
            print(f"literal exact engine, arbitrary L = 2, d = {d}, n = {n}: {cpu() - t:.1f} s CPU", flush=True)
        print("literal exact engine, d = 2, n = 2: did not finish in 10 minutes (measured once by hand); "
              "d = 2, n = 5 has 17 Gaussian variables and (f - y)^2 of degree 18", flush=True)
        r = np.random.default_rng(0)
        lays = [(0.3 * r.standard_normal((4, 4)), 0.3 * r.standard_normal((4, 4))) for _ in range(2)]
        t = cpu()
        e = estimate_error_depth(lays, n=5, theta=[1.0, -0.5], Sigma=np.eye(2), sigma2=0.25, samples=1_000_000, seed=0)
        print(f"reference Monte Carlo, arbitrary L = 2, d = 2, n = 5, 10^6 prompts: {e} in {cpu() - t:.1f} s CPU "
              f"(relative stderr {e.stderr / e.mean:.1e})")


if __name__ == "__main__":
    main()
