"""The linear control of ``icl-finetune transformer --model linear``: trained parameters against derived ones.

The pipeline trains the paper's model ``f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}``
(:func:`numeric.transformer.model.linear_forward`); this module reads the trained ``V`` and ``Q``
of each seed (``per_seed[i]["linear_params"]``) and sets them beside the derivation at the same
setting (:func:`symbolic.derive` at m = the pretraining context):

- :func:`scale_of_full`: strategy (b)'s free scale ``C`` as trained (the family
  ``V[-1, :] = a (0, C theta_0^T, 1)``, ``Q = e_0 e_0^T / (a C)``): ``C = v_x . theta_0 / (|theta_0|^2 v_y)``;
- :func:`control_report`: per model and evaluation task, the exact errors ``E(V, Q, n; theta)`` of
  the trained parameters (:func:`numeric.fast.moment_error`, no Monte Carlo noise: the claims
  computed from them, :func:`exact_per_seed`, test the training alone) at the experiment's n and
  the limit n -> oo,
  and the trained blocks (normalised by the pretrained ``V[-1, -1]``, the toolkit's representative)
  against the derived blocks: ``Q_xx`` against ``Gamma_hat_m``, ``v_x`` and ``v_y`` of (c) and (d).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["scale_of_full", "control_report", "derived_blocks", "exact_per_seed"]


def scale_of_full(params: dict, theta0: Sequence[float]) -> float:
    """Strategy (b)'s scale ``C`` of trained parameters ``{"V", "Q"}``: ``v_x . theta_0 / (|theta_0|^2 v_y)``."""
    V = np.asarray(params["V"], dtype=float)
    th = np.asarray(theta0, dtype=float)
    d = th.shape[0]
    if V.shape != (d + 2, d + 2) or abs(V[-1, -1]) < 1e-12:
        raise ValueError(f"params: expected V of shape {(d + 2, d + 2)} with V[-1,-1] != 0")
    return float(V[-1, 1:d + 1] @ th / (th @ th) / V[-1, -1])


def derived_blocks(m: int | None, n_ft: int, d: int, sigma2: float) -> dict:
    """The derived blocks at Sigma = I, theta0 = e_1: ``Gamma`` (the diagonal of Gamma_hat_m, a
    multiple of I), ``v_x . theta_0`` of (c) and (d), ``v_y`` of (d) (floats)."""
    import sympy as sp
    from fractions import Fraction
    from symbolic import derive
    from symbolic.evaluation import evaluate, evaluate_matrix
    mm = sp.oo if m is None else int(m)
    env = {"Sigma": sp.eye(d), "theta_0": sp.Matrix([1] + [0] * (d - 1)),
           "sigma": sp.sqrt(sp.Rational(Fraction(repr(float(sigma2))))), "C": 1}
    pre = derive("pretrain", mm).parameters()
    val = derive("value", mm).parameters()
    few = derive("value-fewshot", mm, n_ft).parameters()
    gamma = evaluate_matrix(pre["Qxx"], env)
    return {"Gamma": float(gamma[0, 0]), "gamma_is_multiple_of_I": bool(gamma == gamma[0, 0] * sp.eye(d)),
            "value_vx": float(evaluate_matrix(val["vx"], env)[0]),
            "value_fewshot_vx": float(evaluate_matrix(few["vx"], env)[0]),
            "value_fewshot_vy": float(evaluate(few["vy"], env))}


def _blocks(params: dict, a: float, d: int) -> dict:
    """Trained blocks in the pretrained representative (``V / a``, ``a Q``)."""
    V = np.asarray(params["V"], dtype=float) / a
    Q = np.asarray(params["Q"], dtype=float) * a
    return {"v0": V[-1, 0], "vx": V[-1, 1:d + 1], "vy": V[-1, -1], "Q00": Q[0, 0], "Qxx": Q[1:d + 1, 1:d + 1],
            "q0x": Q[0, 1:d + 1], "qx0": Q[1:d + 1, 0], "Qy": Q[-1, :d + 1]}


def control_report(per_seed: list[dict], config: Any, scales: Sequence[float]) -> dict:
    """Trained against derived, per seed: exact errors of each trained model on every evaluation task
    at the experiment's n (and ``limit``), the blocks, (b)'s scale ``C``; with the derived blocks."""
    from numeric.fast import moment_error
    d = config.model.d
    th0 = np.asarray(config.theta0, dtype=float)
    derived = derived_blocks(config.pretrain_m, config.n_ft, d, config.sigma2)
    tasks = config.tasks()
    ns = list(config.ns) + [math.inf]
    seeds = []
    for r, C in zip(per_seed, scales):
        lp = r["linear_params"]
        a = float(np.asarray(lp["pretrain"]["V"])[-1, -1])
        exact = {}
        for model, p in lp.items():
            V, Q = np.asarray(p["V"], float), np.asarray(p["Q"], float)
            exact[model] = {}
            for task, theta in tasks.items():
                errs = [moment_error(V, Q, n=n, theta=theta, Sigma=np.eye(d), sigma2=config.sigma2) for n in ns]
                exact[model][task] = {"ns": list(config.ns), "mean": errs[:-1], "se": [0.0] * (len(ns) - 1),
                                      "limit": errs[-1]}
        pre, val, few, full = (_blocks(lp[k], a, d) for k in ("pretrain", "value", "value-fewshot", "full"))
        off = pre["Qxx"] - np.diag(np.diag(pre["Qxx"]))
        seeds.append({
            "seed": r["seed"], "scale_a": a, "C": C, "exact_errors": exact,
            "pretrain_Gamma_diag_mean": float(np.mean(np.diag(pre["Qxx"]))),
            "pretrain_Gamma_max_abs_error": float(np.max(np.abs(pre["Qxx"] - derived["Gamma"] * np.eye(d)))),
            "pretrain_max_abs_off_blocks": float(max(np.max(np.abs(off)), abs(pre["v0"]), np.max(np.abs(pre["vx"])),
                                                     abs(pre["Q00"]), np.max(np.abs(pre["q0x"])),
                                                     np.max(np.abs(pre["qx0"])), np.max(np.abs(pre["Qy"])))),
            "value_vx_theta0": float(val["vx"] @ th0 / (th0 @ th0)),
            "value_fewshot_vx_theta0": float(few["vx"] @ th0 / (th0 @ th0)),
            "value_fewshot_vy": float(few["vy"]),
            "full_C_from_Q00": float(1.0 / (full["Q00"] * full["vy"])) if full["Q00"] else None,
            "full_sym_Qxx_max_abs": float(np.max(np.abs(full["Qxx"] + full["Qxx"].T) / 2)),
        })
    return {"derived": derived, "per_seed": seeds}


def exact_per_seed(report: dict) -> list[dict]:
    """The per-seed records of :func:`control_report` in the shape of ``run_seed``'s (``errors``:
    the exact errors of the trained parameters), for :func:`proofs.paper.transformer_claims.claims`."""
    return [{"seed": s["seed"], "errors": s["exact_errors"]} for s in report["per_seed"]]
