r"""The depth-L class's error curves at a concrete setting: what the poster's left panel draws at depth.

At Sigma = I, d, sigma^2, theta_0 given, pretraining on m-shot prompts (finite m) and L = 2 or 3:

* (a) ``pretrain``: the class's pretraining minimiser V_l = e_y e_y^T, Gamma_l = gamma_l I at this m
  (:func:`symbolic.depth_pretraining.stationary_points` for L = 2, :func:`real_optimum_L3` for L = 3;
  the loss is symmetric in the layers, so every ordering is a minimiser: the gamma's are placed in
  increasing order, the largest in the last layer, as Extension 9 does);
* (c) ``value``: the last layer's values (v_0, v_x, v_y) fine-tuned on the zero-shot loss on theta_0
  from (a) (:func:`symbolic.depth_finetune.finetune_value`, derived at symbolic gamma_l, d, then
  evaluated);
* (d) ``value-fewshot``: (c)'s minimisers, v_y chosen by the n_ft-shot loss on theta_0
  (:func:`symbolic.depth_finetune.finetune_value_fewshot`).

Each curve is E_L(layers, n; +-theta_0) for the n asked, from the class closed form at symbolic
parameters (:func:`symbolic.depth.class_error` with the last layer's values, a different route
from the derivation of the parameters) evaluated in float64 (:func:`symbolic.evaluation.evaluate_poly`).

Public API: :func:`depth_curves` -> :class:`DepthCurves`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import sympy as sp

__all__ = ["depth_curves", "DepthCurves", "STRATEGIES", "pretrained_gammas_at"]

#: the strategies with a closed form at depth (the figure's order)
STRATEGIES = ("pretrain", "value", "value-fewshot")


@dataclass
class DepthCurves:
    """``errors[strategy][task]``: floats, one per n of ``ns`` (task ``target`` is theta_0, ``opposite``
    -theta_0); ``gammas``: the pretrained gamma_l (floats, layer order); ``values[strategy]``: the last
    layer's (v_0, v_x, v_y) as floats (v_x a list)."""

    L: int
    ns: tuple[int, ...]
    gammas: tuple[float, ...]
    errors: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)


def pretrained_gammas_at(L: int, d: int, m: int, sigma2) -> tuple:
    """The class's pretraining minimiser at Sigma = I, m-shot prompts: (gamma_1, .., gamma_L) in
    increasing order (exact algebraic numbers)."""
    from .depth_pretraining import real_optimum_L3, stationary_points
    if L == 2:
        g = stationary_points(2, d, m, sigma2)[0][0]
    elif L == 3:
        g = real_optimum_L3(d, m, sigma2)[0][0]
    else:
        raise ValueError(f"L: expected 2 or 3 layers, got {L!r}")
    return tuple(sorted(g, key=lambda x: float(sp.N(x, 30))))


def _check(L, d, m, n_ft, sigma2, theta0, ns):
    if isinstance(L, bool) or L not in (2, 3):
        raise ValueError(f"L: expected 2 or 3 layers, got {L!r}")
    for name, v, lo in (("d", d, 1), ("m", m, 1), ("n_ft", n_ft, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"{name}: expected an integer >= {lo}, got {v!r}")
    from fractions import Fraction
    from .numbers import exact_number
    if isinstance(sigma2, bool) or not isinstance(sigma2, (int, float, Fraction, sp.Rational, str)):
        raise ValueError(f"sigma2: expected a number >= 0, got {sigma2!r}")
    s2 = exact_number(sigma2 if isinstance(sigma2, str) else str(sigma2), "sigma2") \
        if isinstance(sigma2, (str, float)) else Fraction(str(sigma2))
    if s2 < 0:
        raise ValueError(f"sigma2: expected a number >= 0, got {sigma2!r}")
    s2 = sp.Rational(s2.numerator, s2.denominator)
    try:
        th = [float(t) for t in theta0]
    except (TypeError, ValueError):
        raise ValueError(f"theta0: expected {d} finite numbers, got {theta0!r}") from None
    if len(th) != d or not all(t == t and abs(t) != float("inf") for t in th):
        raise ValueError(f"theta0: expected {d} finite numbers, got {theta0!r}")
    ns = tuple(int(n) for n in ns)
    if not ns or min(ns) < 0:
        raise ValueError(f"ns: expected shot counts >= 0, got {ns!r}")
    return s2, th, ns


def depth_curves(L: int, *, d: int, m: int, n_ft: int, sigma2, theta0: Sequence[float],
                 ns: Sequence[int]) -> DepthCurves:
    """(a), (c), (d)'s n-shot errors at depth L on theta_0 and -theta_0 (see the module docstring)."""
    from .depth import class_error
    from .depth_finetune import GAMMAS, finetune_value, finetune_value_fewshot, pretrained_layers
    from .evaluation import evaluate, evaluate_poly
    from .words import DIM
    s2, th, ns = _check(L, d, m, n_ft, sigma2, theta0, ns)
    gam = pretrained_gammas_at(L, d, m, s2)
    gf = tuple(float(sp.N(g, 30)) for g in gam)
    sub = {**dict(zip(GAMMAS, gf)), DIM: d}
    Sigma = sp.eye(d)
    th0 = sp.Matrix(th)
    env0 = {"Sigma": Sigma, "sigma": float(sp.sqrt(s2)), "d": d, "theta_0": th0}
    models = {"pretrain": pretrained_layers(L), "value": finetune_value(L).layers,
              "value-fewshot": finetune_value_fewshot(L, n_ft=n_ft).layers}
    closed = class_error(L, values_in=(L,))
    out = DepthCurves(L, ns, gf)
    for name, layers in models.items():
        last = layers[-1]
        v0 = float(evaluate(sp.sympify(last.v0).subs(sub), env0, arithmetic="float"))
        vy = float(evaluate(sp.sympify(last.vy).subs(sub), env0, arithmetic="float"))
        vx = sp.zeros(d, 1)
        for coef, word, atom in last.vx:
            if word or str(atom) != "theta_0":
                raise AssertionError(f"unexpected v_x term {coef} {word} {atom} (expected c theta_0 at Sigma = I)")
            vx += float(evaluate(sp.sympify(coef).subs(sub), env0, arithmetic="float")) * th0
        out.values[name] = (v0, [float(v) for v in vx], vy)
        env = {**env0, "v_0_%d" % L: v0, "v_x_%d" % L: vx, "v_y_%d" % L: vy}
        for l, g in enumerate(gf, 1):
            env[f"Gamma_{l}"] = g * Sigma
            if l < L:
                env[f"v_y_{l}"] = 1.0
        out.errors[name] = {}
        for task, sign in (("target", 1), ("opposite", -1)):
            out.errors[name][task] = [float(evaluate_poly(closed, {**env, "theta": sign * th0, "n": n},
                                                          arithmetic="float")) for n in ns]
    return out
