"""Benchmark: prompts per second of the fast estimator against the reference forward pass.

    python bench/bench_montecarlo.py            # n = 20 and n = 1000 at d = 5
    python bench/bench_montecarlo.py --quick    # fewer repetitions

Both estimators run in the same process on the same setting (random V, Q, theta and a
non-identity Sigma, d = 5, sigma2 = 0.1); each timing is the best of ``--repeat`` runs.
Printed per n: prompts/s of each, their ratio (targets: >= 20x at n = 20, >= 200x at
n = 1000), and the ratio at equal standard error (speed ratio x variance ratio), since
the fast estimator's samples also vary far less. Memory: the peak traced allocation
(tracemalloc, which sees numpy's buffers) of the fast estimator at 10^6 and 10^7 samples and
of the reference at two sample sizes: it does not grow with the number of samples.
Exit status 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numeric import estimate_error, estimate_error_fast  # noqa: E402

TARGETS = {20: 20.0, 1000: 200.0}


def setting(d: int = 5, seed: int = 0):
    r = np.random.default_rng(seed)
    A = r.standard_normal((d, d))
    V, Q = 0.5 * r.standard_normal((2, d + 2, d + 2))
    return V, Q, dict(theta=r.standard_normal(d), Sigma=A @ A.T / d + 0.3 * np.eye(d), sigma2=0.1)


def best_rate(fn, samples: int, repeat: int):
    best, est = float("inf"), None
    for i in range(repeat):
        t = time.perf_counter()
        est = fn(samples, i)
        best = min(best, time.perf_counter() - t)
    return samples / best, est


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one repetition, smaller samples")
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else max(1, args.repeat)
    scale = 0.25 if args.quick else 1.0
    V, Q, s = setting()
    ok = True
    print(f"d = 5, sigma2 = 0.1, random V, Q, theta, non-identity Sigma; best of {repeat}")
    print(f"{'n':>5} {'reference prompts/s':>20} {'fast prompts/s':>15} {'ratio':>8} {'target':>7} "
          f"{'ratio at equal stderr':>22}")
    for n, ref_samples in ((20, 60_000), (1000, 2_000)):
        ref_rate, ref = best_rate(lambda k, i: estimate_error(V, Q, n=n, samples=k, seed=i, **s),
                                  int(ref_samples * scale), repeat)
        fast_rate, fast = best_rate(lambda k, i: estimate_error_fast(V, Q, n=n, samples=k, seed=i, **s),
                                    int(4_000_000 * scale), repeat)
        ratio = fast_rate / ref_rate
        var_ratio = (ref.stderr ** 2 * ref.samples) / (fast.stderr ** 2 * fast.samples)
        target = TARGETS[n]
        ok &= ratio >= target
        print(f"{n:>5} {ref_rate:>20,.0f} {fast_rate:>15,.0f} {ratio:>7.0f}x {target:>6.0f}x "
              f"{ratio * var_ratio:>21.3g}x   {'ok' if ratio >= target else 'BELOW TARGET'}")
        print(f"      reference {ref}   fast {fast}")
    print("\npeak traced memory (MiB):")
    for samples in (10 ** 6, 10 ** 7):
        mb = peak_bytes(lambda: estimate_error_fast(V, Q, n=1000, samples=samples, seed=0, **s)) / 2 ** 20
        print(f"  fast, n = 1000, {samples:>10,} samples: {mb:7.1f}")
    for samples in (2_000, 20_000):
        mb = peak_bytes(lambda: estimate_error(V, Q, n=1000, samples=samples, seed=0, **s)) / 2 ** 20
        print(f"  reference, n = 1000, {samples:>6,} samples: {mb:7.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
