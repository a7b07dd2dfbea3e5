"""Milliseconds per training step of the fast trainer against the straightforward one, same run.

    python bench/bench_training.py                 # step times at batch 5000, n = 20, d = 5
    python bench/bench_training.py --protocol quick   # also time the whole quick protocol
    python bench/bench_training.py --protocol poster  # ... or the poster's (all strategies, evaluation)

Rows:
- ``loss+grad``: the loss and gradients of one batch of prompts. Fast:
  :func:`numeric.training.lsa.loss_and_grad` (``f = v^T G Q q`` from ``a_i = z_i.v``, ``c_i = z_i.Qq``,
  never forming ``G``). Reference: :func:`numeric.model.forward` (the poster's formula) plus
  the matrix-calculus gradient with full products (:func:`numeric.training.lsa.naive_loss_and_grad`).
- ``step``: a whole pretraining step, fresh prompts included. Fast: :func:`numeric.training.pretrain`'s
  loop (prompt sampling in a prefetch thread, Adam). Reference: :func:`numeric.sampling.sample_prompts`,
  then the reference loss and gradient, then the same Adam update.

The ratio is reference time over fast time (higher is better). Timings are medians of
repeated runs; on a shared machine compare ratios, not absolute times.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from numeric.model import forward as reference_forward
from numeric.sampling import sample_prompts
from numeric.training import OptimConfig, PretrainConfig, Protocol, pretrain, run_protocol
from numeric.training.data import TaskPromptSampler
from numeric.training.lsa import loss_and_grad, naive_loss_and_grad, tokens
from numeric.training.optimizers import Adam


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def bench_steps(batch: int, n: int, d: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    D = d + 2
    V = 0.3 * rng.standard_normal((D, D))
    Q = 0.3 * rng.standard_normal((D, D))
    s = TaskPromptSampler(d=d, n=n, sigma2=0.1, batch=batch)
    b = s.fill(rng, s.new_buffer())
    Z = tokens(b.X, b.Y)
    fast = _median_ms(lambda: loss_and_grad(V, Q, b.X, b.Y, b.target), repeats)
    ref = _median_ms(lambda: naive_loss_and_grad(V, Q, Z, b.target, forward_pass=reference_forward), repeats)
    print(f"batch {batch}, n = {n}, d = {d}")
    print(f"  loss+grad  fast {fast:8.2f} ms   reference {ref:8.2f} ms   ratio {ref / fast:6.1f}x")

    steps = max(3 * repeats, 20)
    cfg = PretrainConfig(d=d, m=n, sigma2=0.1, optim=OptimConfig(steps=steps, batch=batch, lr=1e-3))
    t0 = time.perf_counter()
    pretrain(cfg, 0)
    fast_step = 1e3 * (time.perf_counter() - t0) / steps

    Vr, Qr = V.copy(), Q.copy()
    opt = Adam()
    Sigma, theta_rng = np.eye(d), np.random.default_rng(1)

    def ref_step():
        # a fresh task per prompt, as in pretraining: draw prompts task by task is too slow, so
        # draw x, eps through sample_prompts with theta = 0 and add the labels per prompt
        Zr, _ = sample_prompts(theta_rng, n=n, theta=np.zeros(d), Sigma=Sigma, sigma2=0.1, size=batch)
        th = theta_rng.standard_normal((batch, d))
        y = np.einsum("bdi,bd->bi", Zr[:, 1:d + 1, :], th) + Zr[:, d + 1, :]
        eps_q = np.sqrt(0.1) * theta_rng.standard_normal(batch)
        target = y[:, -1] + eps_q
        Zr[:, d + 1, :] = y
        Zr[:, d + 1, -1] = 0.0
        _, gV, gQ = naive_loss_and_grad(Vr, Qr, Zr, target, forward_pass=reference_forward)
        opt.step([Vr, Qr], [gV, gQ], 1e-3)

    ref_step_ms = _median_ms(ref_step, repeats)
    print(f"  step       fast {fast_step:8.2f} ms   reference {ref_step_ms:8.2f} ms   ratio "
          f"{ref_step_ms / fast_step:6.1f}x   (fast: mean over {steps} steps of pretrain())")


def bench_protocol(name: str) -> None:
    protocol = Protocol.quick() if name == "quick" else Protocol.poster()
    t0 = time.perf_counter()
    result = run_protocol(protocol, 0)
    total = time.perf_counter() - t0
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    print(f"protocol {name}: {total:.1f} s in all ({parts})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--d", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--protocol", choices=("quick", "poster"), default=None)
    args = ap.parse_args()
    bench_steps(args.batch, args.n, args.d, args.repeats)
    if args.protocol:
        bench_protocol(args.protocol)


if __name__ == "__main__":
    main()
