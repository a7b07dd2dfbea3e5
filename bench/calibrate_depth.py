"""Calibrate the depth Monte Carlo check: false-alarm rate and power of |z| <= 4 (numeric.testing's rule)
applied to numeric.depth.estimate_error_depth against the closed form of symbolic.depth.

    python bench/calibrate_depth.py [--seeds 200] [--samples 50000]

For each shipped setting (tests/depth_settings.py: L = 2, 3 and d = 2, 3, random class parameters)
and each seed, one reference Monte Carlo estimate is compared with the exact value (false alarm if
|z| > 4) and with the exact value times 1.01 and 0.99 and with a "slightly wrong formula" (the
closed form with the coefficient of sigma^2 terms off by 1%) (power).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from depth_settings import SHAPES, depth_setting  # noqa: E402
from numeric.depth import estimate_error_depth  # noqa: E402
from numeric.testing import clopper_pearson_upper  # noqa: E402
from symbolic.depth import class_error  # noqa: E402
from symbolic.depth_float import compile_poly  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--samples", type=int, default=50_000)
    a = ap.parse_args()
    total_fa = total = 0
    t0 = time.process_time()
    for i, (L, d, n) in enumerate(SHAPES):
        s = depth_setting(L, d, n, seed=100 + i)
        exact = float(compile_poly(class_error(L))(s["env"]))
        fa, zs = 0, []
        rels = (0.01, 0.05, 0.10)
        caught = {r: [0, 0] for r in rels}
        for seed in range(a.seeds):
            est = estimate_error_depth(s["layers"], n=n, theta=s["theta"], Sigma=s["Sigma"], sigma2=s["sigma2"],
                                       samples=a.samples, seed=10_000 * i + seed)
            z = (exact - est.mean) / est.stderr
            zs.append(z)
            fa += abs(z) > 4
            for r in rels:
                caught[r][0] += abs(exact * (1 + r) - est.mean) / est.stderr > 4
                caught[r][1] += abs(exact * (1 - r) - est.mean) / est.stderr > 4
        zs = np.array(zs)
        total_fa += fa
        total += a.seeds
        print(f"L={L} d={d} n={n}: exact {exact:.6g}, stderr/value {est.stderr / exact:.2e}, false alarms {fa}/{a.seeds}, "
              f"|z|>2 {np.mean(np.abs(zs) > 2):.3f}, |z|>3 {np.mean(np.abs(zs) > 3):.3f}, max|z| {np.max(np.abs(zs)):.2f}, "
              "power " + ", ".join(f"+-{r:.0%}: {caught[r][0]}/{caught[r][1]}" for r in rels) + f" of {a.seeds}", flush=True)
    print(f"total false alarms {total_fa}/{total} (95% upper bound {clopper_pearson_upper(total_fa, total):.4f}); "
          f"{time.process_time() - t0:.1f} s CPU")


if __name__ == "__main__":
    main()
