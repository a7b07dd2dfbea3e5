r"""Fine-tuning the values at depth: strategies (c) and (d) on one layer of a pretrained class model.

Start: a pretrained depth-L class model with V_l = e_y e_y^T (v_y = 1, the normalisation) and
Gamma_l = gamma_l Sigma^{-1} (the form of the pretrained optimum: at Sigma = I exactly, with the
gamma_l of :mod:`symbolic.depth_pretraining`; the gamma_l are kept symbolic here, so every
formula holds for any such start).

Strategies (the depth analogues of the poster's (c) and (d); ``layer`` picks which V_l moves):

* (c) ``value``: argmin over (v_0, v_x, v_y) of layer ``layer`` of E_L(layers, 0; theta_0). The
  zero-shot loss is quadratic in one layer's values (the prediction is linear in them, the other
  layers fixed), so :func:`symbolic.quadratic.minimise_quadratic` solves it exactly. v_y of that
  layer multiplies b + S g = 0 on the zero-shot prompt and is free: gradient descent from the
  pretrained point leaves it at 1 (the convention, as at one layer).
* (d) ``value-fewshot``: within (c)'s minimisers (v_y free), minimise E_L(layers, n_ft; theta_0)
  over v_y (``n_ft`` an integer, a symbol or oo for the limit n -> oo): a quadratic in v_y.

Each returns a :class:`DepthFinetune`: the fine-tuned layers, the steps, and the errors the
poster's table reports (zero-shot on theta_0, n-shot on theta_0 and -theta_0 at symbolic n, and
their limits n -> oo), all derived by :mod:`symbolic.depth`.

Public API: :func:`pretrained_layers`, :func:`finetune_value`, :func:`finetune_value_fewshot`,
:class:`DepthFinetune`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import sympy as sp

from .convert import to_sympy
from .depth import depth_error, depth_error_limit
from .depth_model import DepthLayer, check_depth_layers
from .model import SIGMA_INV_ATOM, vec
from .objective import N, THETA0
from .quadratic import minimise_quadratic
from .words import DIM

__all__ = ["pretrained_layers", "finetune_value", "finetune_value_fewshot", "DepthFinetune", "V0", "VY", "VX"]

V0, VY = sp.Symbol("v_0"), sp.Symbol("v_y")
VX = sp.MatrixSymbol("v_x", DIM, 1)
GAMMAS = sp.symbols("gamma_1:4", real=True)


def pretrained_layers(L: int, gammas: Sequence | None = None) -> tuple[DepthLayer, ...]:
    """V_l = e_y e_y^T, Gamma_l = gamma_l Sigma^{-1} (gamma_l symbols unless given)."""
    if isinstance(L, bool) or not isinstance(L, int) or not 1 <= L <= 3:
        raise ValueError(f"L: expected a number of layers in 1..3, got {L!r}")
    gs = GAMMAS[:L] if gammas is None else tuple(sp.sympify(g) for g in gammas)
    if len(gs) != L:
        raise ValueError(f"gammas: expected {L} values, got {len(gs)}")
    return check_depth_layers([DepthLayer(vy=sp.S.One, Gamma=((g, (SIGMA_INV_ATOM,)),)) for g in gs])


@dataclass
class DepthFinetune:
    """A fine-tuned depth model and its errors (SymPy expressions in d, sigma, theta_0^T Sigma theta_0, n, gamma_l)."""

    name: str
    layer: int
    layers: tuple
    steps: list = field(default_factory=list)

    def error(self, task=THETA0, n=N) -> sp.Expr:
        """E_L(fine-tuned layers, n; task)."""
        return sp.factor(to_sympy(depth_error(list(self.layers), task, n)))

    def limit(self, task=THETA0) -> sp.Expr:
        """lim_{n -> oo} E_L(fine-tuned layers, n; task)."""
        return sp.factor(to_sympy(depth_error_limit(list(self.layers), task)))

    def table(self) -> dict:
        """The poster's three columns plus the finite-n errors."""
        return {"zero_shot": self.error(THETA0, 0), "few_shot_target": self.limit(THETA0),
                "few_shot_opposite": self.limit(-THETA0)}


def _check_layer(L: int, layer: int) -> int:
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= L:
        raise ValueError(f"layer: expected a layer number in 1..{L}, got {layer!r}")
    return layer


def _with_values(start: Sequence[DepthLayer], layer: int, v0, vx, vy) -> tuple[DepthLayer, ...]:
    out = list(start)
    out[layer - 1] = replace(out[layer - 1], v0=v0, vx=vx, vy=vy)
    return tuple(out)


def finetune_value(L: int, layer: int | None = None, gammas: Sequence | None = None) -> DepthFinetune:
    """Strategy (c) at depth: layer ``layer`` (default L, the last)'s values on the zero-shot loss on theta_0."""
    start = pretrained_layers(L, gammas)
    layer = _check_layer(L, L if layer is None else layer)
    trial = _with_values(start, layer, V0, vec(VX), VY)
    Z = depth_error(list(trial), THETA0, 0)
    sol = minimise_quadratic(Z, [V0, VY], [VX])
    steps = [("zero-shot loss E_L(0; theta_0) in layer %d's values" % layer, to_sympy(Z))]
    vy = sol.values.get(VY, sp.S.One)
    if VY in sol.free:
        steps.append(("v_y is free (it multiplies b + S g = 0 on the zero-shot prompt): gradient descent keeps 1", None))
    vx = tuple((c, tuple(w), a) for c, w, a in sol.values.get(VX, []))
    v0 = sol.values.get(V0, sp.S.Zero)
    steps.append(("minimiser", {"v_0": v0, "v_x": vx, "v_y": vy}))
    return DepthFinetune("value", layer, _with_values(start, layer, v0, vx, vy), steps)


def finetune_value_fewshot(L: int, layer: int | None = None, n_ft=sp.oo, gammas: Sequence | None = None
                           ) -> DepthFinetune:
    """Strategy (d) at depth: (c)'s minimisers, then the n_ft-shot loss on theta_0 over the free v_y."""
    c = finetune_value(L, layer, gammas)
    layer = c.layer
    trial = _with_values(c.layers, layer, c.layers[layer - 1].v0, c.layers[layer - 1].vx, VY)
    n_ft = sp.sympify(n_ft)
    loss = depth_error_limit(list(trial), THETA0) if n_ft == sp.oo else depth_error(list(trial), THETA0, n_ft)
    sol = minimise_quadratic(loss, [VY], [])
    vy = sp.factor(sol.values[VY])
    steps = c.steps + [(f"n_ft = {n_ft} loss on theta_0 over v_y", to_sympy(loss)), ("v_y*", vy)]
    return DepthFinetune("value-fewshot", layer, _with_values(c.layers, layer, c.layers[layer - 1].v0,
                                                              c.layers[layer - 1].vx, vy), steps)
