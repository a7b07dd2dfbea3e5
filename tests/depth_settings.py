"""Random class settings at depth shared by the depth Monte Carlo test and its calibration (bench/calibrate_depth.py).

A setting: L layers of the class (V_l's last row (v_0, v_x, v_y) on the last layer, v_y elsewhere;
Q_l = blockdiag(0, Gamma_l, 0)) with random entries of moderate size (so that the squared error's
tails stay light enough for a standard error to mean something), a random SPD Sigma, theta, sigma2, n.
"""
from __future__ import annotations

import numpy as np

#: (L, d, n) of the shipped settings
SHAPES = [(2, 2, 3), (2, 3, 5), (3, 2, 4), (3, 3, 6)]


def depth_setting(L: int, d: int, n: int, seed: int) -> dict:
    r = np.random.default_rng(seed)
    A = r.standard_normal((d, d))
    Sigma = A @ A.T / d + 0.5 * np.eye(d)
    env = {"Sigma": Sigma, "theta": r.standard_normal(d) / np.sqrt(d), "sigma": 0.4, "n": n}
    layers = []
    for l in range(1, L + 1):
        V, Q = np.zeros((d + 2, d + 2)), np.zeros((d + 2, d + 2))
        V[-1, -1] = env[f"v_y_{l}"] = 0.5 + 0.5 * r.random()
        if l == L:
            V[-1, 0] = env[f"v_0_{l}"] = 0.3 * r.standard_normal()
            vx = 0.3 * r.standard_normal(d)
            V[-1, 1:d + 1] = env[f"v_x_{l}"] = vx
        G = 0.15 * r.standard_normal((d, d)) + 0.3 * np.linalg.inv(Sigma)
        Q[1:d + 1, 1:d + 1] = env[f"Gamma_{l}"] = G
        layers.append((V, Q))
    return {"env": env, "layers": layers, "theta": env["theta"], "Sigma": Sigma, "sigma2": 0.16, "n": n,
            "L": L, "d": d}
