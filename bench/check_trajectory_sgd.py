"""SGD on sampled prompts against the closed-form trajectory at t = 10, 100, 1000 (not a test).

Run:  .venv/bin/python bench/check_trajectory_sgd.py [--seeds 3] [--batch 2000]

Strategy (c) at d = 5, sigma^2 = 0.1, Sigma = I, theta_0 = e_1, m = oo, step eta = 1/252 (half of
2/h_max): plain SGD (momentum 0, constant step) on zero-shot prompts sampled from a fine-tuning set
of 200,000 pairs, ``--batch`` prompts per step (the gradient of the batch mean of (f - y)^2), from
the derived pretrained parameters; each trained model's errors evaluated exactly.  Prints, per t,
the mean over seeds, its standard error, the closed form, the z-score and the relative gap.

Measured 2026-12-03 (3 seeds, batch 2000): t = 10, 100, 1000: relative gaps +0.44%, +0.36%,
+0.52% (zero-shot; z +4.9, +3.6, +3.4), within 0.6% and |z| <= 1.7 on the 5-shot errors; the
figure's full run (t = 3..300): relative gaps <= 0.5%, z up to 4.3.  Constant-step SGD does not reach the population minimiser: its iterates
fluctuate around it with a stationary excess error of order eta * (gradient noise) / batch (about
+0.3% on the zero-shot error here) that the seeds' spread underestimates, so a tolerance of 2
standard errors over seeds is NOT calibrated for this comparison; a calibrated one needs that
excess in its budget (left open).
"""
from __future__ import annotations

import argparse

from proofs.figures.trajectory import TrajectoryFigureConfig, theory, trained


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=2000)
    a = ap.parse_args()
    cfg = TrajectoryFigureConfig(trained_steps=(10, 100, 1000), seeds=a.seeds, batch=a.batch, full_steps=10, steps=1000)
    th = theory(cfg)
    tr = trained(cfg, th["eta"], 0)
    steps = th["steps"]
    for t, p in tr.items():
        i = steps.index(t)
        want = [th["value"]["n_ft:zero_shot"][i], th["value"]["n_ft:few_shot_target"][i],
                th["value"]["n_ft:few_shot_opposite"][i]]
        for name, m, s, w in zip(("zero-shot", "5-shot theta0", "5-shot -theta0"), p["mean"], p["stderr"], want):
            print(f"t={t:>5} {name:<15} trained {m:.6f} +- {s:.6f}  theory {w:.6f}  z {((m - w) / s if s else 0):+.2f}"
                  f"  rel {100 * (m - w) / w:+.3f}%")


if __name__ == "__main__":
    main()
