r"""A numeric optimum of a depth spec whose loss is not quadratic, at a concrete setting (labelled so).

A depth spec that trains a v_y^{(l)} together with an earlier layer's values has a quartic loss
(:func:`symbolic.depth_spec.quadratic_reason`): no closed form. At a concrete setting (d, Sigma,
theta_0, sigma^2, the pretrained gamma_l of m) the loss is still *exact*: the depth derivation's
engine polynomial (:func:`symbolic.depth_finetune.depth_loss`, the trained blocks as unknowns)
evaluated there is a polynomial of degree 4 in the trained entries u, with float64 coefficients
(:func:`symbolic.evaluation.evaluate`). It is minimised by BFGS (the one-layer numeric optimum's,
:mod:`proofs.quantities.numeric_optimum`) from the pretrained class model (v_0 = 0, v_x = 0,
v_y = 1) and ``starts - 1`` random perturbations of it; the start reported is the lowest-loss
converged one. It is a local minimiser found numerically, not a derivation.

Public API: :func:`depth_numeric_optimum`, :class:`DepthNumericOptimum`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import sympy as sp

__all__ = ["DepthNumericOptimum", "depth_numeric_optimum"]


@dataclass
class DepthNumericOptimum:
    """``names`` of the trained entries (``V1.v_x[1]``...), their values ``u`` at the optimum and
    ``start`` (the pretrained class model's), the loss there and at the start, the optimiser's record,
    ``errors`` (zero-shot on theta_0, n -> oo on theta_0 and -theta_0) at ``u``, ``starts`` one row per
    start (kind, final loss, gradient norm, converged, iterations), ``gammas`` the pretrained gamma_l."""

    names: tuple
    u: np.ndarray
    start: np.ndarray
    loss: float
    start_loss: float
    iterations: int
    gradient_norm: float
    converged: bool
    errors: dict = field(default_factory=dict)
    starts: list = field(default_factory=list)
    gammas: tuple = ()
    seed: int = 0


def _entry_symbols(spec: Any, d: int) -> tuple[list, dict, list]:
    """(names, env additions: v_x_l -> a column of entry symbols, the entry symbols in order)."""
    from symbolic.layout import block
    names, env, syms = [], {}, []
    for l, b in spec.train:
        sym = block(b).symbol
        if b == "vx":
            col = [sp.Symbol(f"u_{l}_vx_{i}") for i in range(d)]
            env[f"v_x_{l}"] = sp.Matrix(col)
            syms += col
            names += [f"V{l}.{sym}[{i + 1}]" for i in range(d)]
        else:
            syms.append(sp.Symbol(f"{b[0]}_{b[1]}_{l}"))
            names.append(f"V{l}.{sym}")
    return names, env, syms


def _polynomial(poly: Any, env: dict, syms: Sequence[sp.Symbol]) -> Any:
    """The engine polynomial at the setting, as a float64 function of the entries (and its value)."""
    from symbolic.evaluation import evaluate
    expr = sp.expand(evaluate(poly, env))
    return sp.lambdify([list(syms)], expr, "numpy")


def depth_numeric_optimum(spec: Any, setting: Any, gammas: Sequence, *, tol: float = 1e-9, max_iter: int = 500,
                          starts: int = 4, seed: int = 0) -> DepthNumericOptimum:
    """Minimise a depth spec's loss numerically at ``setting`` (module docstring). ValueError for a
    second stage (``then``) or a symbolic setting."""
    from symbolic.depth import depth_error, depth_error_limit
    from symbolic.depth_finetune import GAMMAS, _with, depth_loss, pretrained_layers, unknowns
    from symbolic.model import vec
    from symbolic.objective import THETA0
    from proofs.quantities.numeric_optimum import LOSS_TIE, PERTURBATION, _best, _bfgs
    if spec.then:
        raise ValueError("then: the numeric optimum at depth minimises one loss; a second stage is not supported")
    if setting.symbolic:
        raise ValueError("d: the numeric optimum at depth needs a concrete setting (give d, or Sigma, theta0)")
    if isinstance(starts, bool) or not isinstance(starts, int) or not 1 <= starts <= 100:
        raise ValueError(f"starts: expected an integer 1 <= starts <= 100, got {starts!r}")
    if setting.sigma2 is None:
        raise ValueError("sigma2: the numeric optimum at depth needs a value of sigma^2")
    d = setting.d
    s2 = setting.sigma2
    env = {"Sigma": sp.Matrix(setting.Sigma).evalf(30), "theta_0": sp.Matrix(setting.theta0).evalf(30),
           "sigma": sp.sqrt(sp.nsimplify(s2)).evalf(30), "d": d, **dict(spec.bindings)}
    env.update({g.name: sp.Float(sp.N(v, 30), 30) for g, v in zip(GAMMAS, gammas)})
    names, extra, syms = _entry_symbols(spec, d)
    unk = unknowns(spec)
    trial = _with(pretrained_layers(spec.layers), {k: (vec(u) if k[1] == "vx" else u) for k, u in unk.items()})
    loss = _polynomial(depth_loss(trial, spec.loss), {**env, **extra}, syms)
    x0 = np.array([1.0 if str(s).startswith("v_y") else 0.0 for s in syms])
    L0 = float(loss(x0))
    scale = L0 if L0 > 0 else 1.0
    rng = np.random.default_rng(seed)
    runs = []
    for k in range(starts):
        xs = x0 if k == 0 else x0 + PERTURBATION * np.maximum(1.0, np.abs(x0)) * rng.standard_normal(x0.size)
        x, iters, gnorm, ok = _bfgs(lambda z: float(loss(z)) / scale, xs, tol=tol, max_iter=max_iter)
        runs.append(("pretrained" if k == 0 else f"perturbed {k}", x, float(loss(x)), gnorm * scale, ok, iters))
    finite = [r for r in runs if np.isfinite(r[2])] or runs
    _, x, Lx, gnorm, ok, iters = _best(finite, LOSS_TIE * scale)
    errors = {}
    for key, task, n in (("zero_shot", THETA0, 0), ("few_shot_target", THETA0, sp.oo),
                         ("few_shot_opposite", -THETA0, sp.oo)):
        p = depth_error_limit(list(trial), task) if n == sp.oo else depth_error(list(trial), task, n)
        errors[key] = float(_polynomial(p, {**env, **extra}, syms)(x))
    table = [(r[0], r[2], r[3], bool(r[4]), r[5]) for r in runs]
    return DepthNumericOptimum(tuple(names), x, x0, Lx, L0, iters, gnorm, bool(ok), errors, table, tuple(gammas), seed)
