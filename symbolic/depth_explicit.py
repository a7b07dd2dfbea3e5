r"""A depth spec's loss as an explicit quadratic in the trained entries, at a concrete setting.

The depth analogue of :mod:`symbolic.explicit`: for a depth spec (:mod:`symbolic.depth_spec`)
whose loss is quadratic in what it trains, at a concrete setting (d, Sigma, theta_0, sigma^2, the
pretrained gamma_l),

    L(u) = sum_k w_k E_L(layers(u), n_k; task_k) = u^T A u - 2 b^T u + c,

u the trained entries in the spec's order (``V2.v_0``, ``V2.v_x[1]``, ..., ``V2.v_y``). It is read
off the depth derivation's engine polynomial (:func:`symbolic.depth_finetune.depth_loss`, the
Wick derivation at symbolic d with the gamma_l symbols), factor by factor, by the same assembly as
one layer (:func:`symbolic.explicit.assemble`); the gamma_l are values in the environment.
The start u_0 is the pretrained class model's: v_0 = 0, v_x = 0, v_y = 1.

Public API: :func:`depth_explicit_quadratic`.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from .explicit import ExplicitQuadratic, _environment, _Matrices, assemble

__all__ = ["depth_explicit_quadratic"]


def depth_explicit_quadratic(spec: Any, *, gammas: Sequence, d: int | None = None, Sigma: Any = None,
                             theta0: Any = None, sigma2: Any = 0, values: dict | None = None,
                             arithmetic: Any = "exact", stage: str = "loss", terms: Sequence | None = None,
                             cache: dict | None = None) -> ExplicitQuadratic:
    """The spec's loss (``stage`` ``"loss"`` or ``"then"``; or the given ``terms``, Terms) as
    ``u^T A u - 2 b^T u + c`` at the setting (module docstring). ``gammas``: gamma_1..gamma_L (numbers).
    :class:`symbolic.quadratic.NotQuadratic` when the spec trains a product
    (:func:`symbolic.depth_spec.quadratic_reason`)."""
    from .arithmetic import EXACT, FLOAT64, as_arithmetic
    from .depth_finetune import GAMMAS, depth_loss, pretrained_layers, unknowns, _with
    from .depth_spec import DepthSpec, entry_name, quadratic_reason
    from .layout import block
    from .model import vec
    from .quadratic import NotQuadratic
    if not isinstance(spec, DepthSpec):
        raise ValueError(f"spec: expected a symbolic.depth_spec.DepthSpec, got {type(spec).__name__}")
    why = quadratic_reason(spec)
    if why:
        raise NotQuadratic(why)
    arith = as_arithmetic(arithmetic)
    if arith not in (EXACT, FLOAT64):
        raise ValueError(f"arithmetic: expected exact or float64, got {arith.label()}")
    L = spec.layers
    if len(gammas) != L:
        raise ValueError(f"gammas: expected {L} values, got {len(gammas)}")
    if terms is None:
        if stage not in ("loss", "then"):
            raise ValueError(f"stage: expected 'loss' or 'then', got {stage!r}")
        terms = spec.loss if stage == "loss" else spec.then
        if not terms:
            raise ValueError("stage: the spec has no second loss ('then')")
    gvals = {g.name: sp.sympify(v) for g, v in zip(GAMMAS, gammas)}
    key = ("depth setting", arith, tuple(sorted(spec.bindings)), tuple(gvals.items()))
    if cache is not None and key in cache:
        env, d, mats = cache[key]
    else:
        env, d = _environment(d, Sigma, theta0, sigma2, sp.oo, {**dict(spec.bindings), **(values or {}), **gvals},
                              arith)
        mats = _Matrices(env, d, arith)
        if cache is not None:
            cache[key] = (env, d, mats)
    unk = unknowns(spec)
    trial = _with(pretrained_layers(L), {k: (vec(u) if k[1] == "vx" else u) for k, u in unk.items()})
    poly = depth_loss(trial, terms)
    slices, names, at = {}, [], 0
    for k in spec.train:
        size = d if k[1] == "vx" else 1
        slices[k] = slice(at, at + size)
        at += size
        sym = block(k[1]).symbol
        names += [f"V{k[0]}.{sym}"] if size == 1 else [f"V{k[0]}.{sym}[{i + 1}]" for i in range(d)]
    scal = {u: k for k, u in unk.items() if k[1] != "vx"}
    vecs = {u: k for k, u in unk.items() if k[1] == "vx"}
    exact = arith.exact
    A, b, c = assemble(poly, slices, scal, vecs, None, mats, at, exact)
    zero, one = (sp.S.Zero, sp.S.One) if exact else (0.0, 1.0)
    u0 = np.full(at, zero, dtype=object if exact else float)
    for k, sl in slices.items():
        if k[1] == "vy":
            u0[sl] = one
    return ExplicitQuadratic(tuple(names), A, b, c, u0, d, {entry_name(*k): sl for k, sl in slices.items()}, arith)
