"""Fine-tuning the values of every layer at depth L = 2 (numeric, at a concrete setting; labelled so).

    python bench/depth_finetune_all_layers.py [--d 2] [--steps 20000] [--lr 0.02]

The zero-shot loss in (v_0, v_x, v_y) of both layers is not quadratic (the prediction is a product
across layers), so there is no closed-form minimiser: this follows gradient descent from the
pretrained point (v_0 = 0, v_x = 0, v_y = 1 in every layer, Gamma_l = gamma_l I, Sigma = I, gamma =
(1 - sqrt 2, 1 + sqrt 2) and the other order) on the *exact* zero-shot loss (the closed form of
symbolic.depth compiled to float, gradient by central differences), then reports the zero-shot
error and the exact n -> oo errors on theta_0 and -theta_0 of where it stops, beside the last-layer
and first-layer closed-form answers (symbolic.depth_finetune).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symbolic.depth import class_layers, depth_error, depth_error_limit  # noqa: E402
from symbolic.depth_float import compile_poly  # noqa: E402
from symbolic.objective import THETA, THETA0  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--lr", type=float, default=0.02)
    a = ap.parse_args()
    d = a.d
    lays = class_layers(2, values_in=(1, 2))
    zero = compile_poly(depth_error(list(lays), THETA0, 0)).bind({"sigma": 0.0}, d)
    lim_t = compile_poly(depth_error_limit(list(lays), THETA)).bind({"sigma": 0.0}, d)
    th0 = np.zeros(d)
    th0[0] = 1.0
    for gam in [(1 - np.sqrt(2), 1 + np.sqrt(2)), (1 + np.sqrt(2), 1 - np.sqrt(2))]:
        def env(x, theta_name="theta_0", theta=th0):
            e = {"Sigma": np.eye(d), theta_name: theta}
            for l in (1, 2):
                o = (l - 1) * (d + 2)
                e[f"v_0_{l}"], e[f"v_x_{l}"], e[f"v_y_{l}"] = x[o], x[o + 1:o + 1 + d], x[o + 1 + d]
                e[f"Gamma_{l}"] = gam[l - 1] * np.eye(d)
            return e
        x = np.zeros(2 * (d + 2))
        x[d + 1] = x[2 * d + 3] = 1.0

        def f(x):
            return zero(env(x))
        h = 1e-6
        for _ in range(a.steps):
            g = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])
            x = x - a.lr * g
        print(f"gamma = ({gam[0]:+.4f}, {gam[1]:+.4f}), d = {d}, sigma = 0, theta_0 = e_1:")
        print(f"  every layer's values, gradient descent {a.steps} steps (lr {a.lr}): zero-shot {f(x):.6f} "
              f"(|grad| {np.linalg.norm(g):.1e}); n -> oo on theta_0 {lim_t(env(x, 'theta', th0)):.6f}, "
              f"on -theta_0 {lim_t(env(x, 'theta', -th0)):.6f}")
        print(f"  values: layer 1 (v_0, v_x, v_y) = {np.round(x[:d + 2], 5)}, layer 2 = {np.round(x[d + 2:], 5)}")


if __name__ == "__main__":
    main()
