r"""Fine-tuning the values at depth: strategies (c) and (d) on one layer of a pretrained class model.

Start: a pretrained depth-L class model with V_l = e_y e_y^T (v_y = 1, the normalisation) and
Gamma_l = gamma_l Sigma^{-1} (the form of the pretrained optimum: at Sigma = I exactly, with the
gamma_l of :mod:`symbolic.depth_pretraining`; the gamma_l are kept symbolic here, so every
formula holds for any such start).

Strategies are depth specs (:mod:`symbolic.depth_spec`: which layers' values move, on which losses)
and :func:`derive_depth_spec` derives any whose loss is quadratic in what it trains. The prediction
is linear in one layer's values (the other layers fixed), so each loss term is a convex quadratic
in them and :func:`symbolic.quadratic.minimise_quadratic` solves it exactly; ``then`` minimises a
second loss over what the first leaves free. The depth analogues of the poster's (c) and (d) are
two such specs (``layer`` picks which V_l moves):

* (c) :func:`finetune_value`: argmin over (v_0, v_x, v_y) of layer ``layer`` of E_L(layers, 0; theta_0).
  v_y of that layer multiplies b + S g = 0 on the zero-shot prompt and is free: gradient descent
  from the pretrained point leaves it at 1 (the convention, as at one layer).
* (d) :func:`finetune_value_fewshot`: within (c)'s minimisers (v_y free), minimise
  E_L(layers, n_ft; theta_0) over v_y (``n_ft`` an integer, a symbol or oo for the limit n -> oo).

Each returns a :class:`DepthFinetune`: the fine-tuned layers, the steps, and the errors the
poster's table reports (zero-shot on theta_0, n-shot on theta_0 and -theta_0 at symbolic n, and
their limits n -> oo), all derived by :mod:`symbolic.depth`.

Public API: :func:`pretrained_layers`, :func:`derive_depth_spec`, :func:`finetune_value`,
:func:`finetune_value_fewshot`, :func:`depth_loss`, :func:`unknowns`, :class:`DepthFinetune`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

from .convert import to_sympy
from .depth import depth_error, depth_error_limit
from .depth_model import DepthLayer, check_depth_layers
from .model import SIGMA_INV_ATOM, vec
from .objective import N, THETA0
from .quadratic import minimise_quadratic
from .words import DIM

__all__ = ["pretrained_layers", "finetune_value", "finetune_value_fewshot", "derive_depth_spec", "depth_loss",
           "unknowns", "start_gammas", "DepthFinetune", "V0", "VY", "VX"]


def _check_L(L: int) -> int:
    """``L`` a number of layers 1..MAX_DEPTH, or a ValueError naming it."""
    from .depth_model import MAX_DEPTH
    if isinstance(L, bool) or not isinstance(L, int) or not 1 <= L <= MAX_DEPTH:
        raise ValueError(f"L: expected a number of layers in 1..{MAX_DEPTH}, got {L!r}")
    return L


V0, VY = sp.Symbol("v_0"), sp.Symbol("v_y")
VX = sp.MatrixSymbol("v_x", DIM, 1)
GAMMAS = sp.symbols("gamma_1:4", real=True)


def pretrained_layers(L: int, gammas: Sequence | None = None) -> tuple[DepthLayer, ...]:
    """V_l = e_y e_y^T, Gamma_l = gamma_l Sigma^{-1} (gamma_l symbols unless given)."""
    L = _check_L(L)
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
    #: the depth spec derived (:class:`symbolic.depth_spec.DepthSpec`), its trained blocks' values
    #: ``{(layer, block): value}`` and the blocks the loss left free (at their start values)
    spec: Any = None
    values: dict = field(default_factory=dict)
    free: list = field(default_factory=list)

    #: the layers with the trained blocks as unknowns, and the unknowns' values: the errors are derived
    #: once at the unknowns (polynomial coefficients: the engine's fast ring) and the values substituted
    trial: tuple | None = None
    solved: dict = field(default_factory=dict)

    def error(self, task=THETA0, n=N) -> sp.Expr:
        """E_L(fine-tuned layers, n; task)."""
        if self.trial is None:
            return sp.factor(to_sympy(depth_error(list(self.layers), task, n)))
        return sp.factor(to_sympy(substitute_values(depth_error(list(self.trial), task, n), self.solved)))

    def limit(self, task=THETA0) -> sp.Expr:
        """lim_{n -> oo} E_L(fine-tuned layers, n; task)."""
        if self.trial is None:
            return sp.factor(to_sympy(depth_error_limit(list(self.layers), task)))
        return sp.factor(to_sympy(substitute_values(depth_error_limit(list(self.trial), task), self.solved)))

    def table(self) -> dict:
        """The poster's three columns plus the finite-n errors."""
        return {"zero_shot": self.error(THETA0, 0), "few_shot_target": self.limit(THETA0),
                "few_shot_opposite": self.limit(-THETA0)}


def substitute_values(p: "Poly", values: dict) -> "Poly":
    """``p`` with scalar unknowns (symbols in its coefficients) and vector unknowns (d x 1 MatrixSymbols,
    constant legs of its forms) replaced by their values (a scalar; VecTerms ``sum c W a``): a leg
    ``u = sum c W_a a`` in ``l^T W u`` gives ``sum c l^T W W_a a`` (on the left, ``a^T W_a^T W r``)."""
    from .forms import Form, Poly, const, form
    from .words import transpose
    scalars = {u: sp.sympify(v) for u, v in values.items() if isinstance(u, sp.Symbol)}
    vectors = {u: v for u, v in values.items() if not isinstance(u, sp.Symbol)}

    def expand(f) -> "Poly":
        if not isinstance(f, Form):
            return Poly.factor(f)
        lefts = [(sp.S.One, (), f.left)] if f.left.is_gaussian or f.left.obj not in vectors else \
            [(c, transpose(tuple(w)), const(a)) for c, w, a in vectors[f.left.obj]]
        rights = [(sp.S.One, (), f.right)] if f.right.is_gaussian or f.right.obj not in vectors else \
            [(c, tuple(w), const(a)) for c, w, a in vectors[f.right.obj]]
        out = Poly({})
        for cl, wl, leg_l in lefts:
            for cr, wr, leg_r in rights:
                out = out + Poly.factor(form(leg_l, wl + tuple(f.word) + wr, leg_r)) * (cl * cr)
        return out
    total = Poly({})
    for (factors, noises), c in p.terms.items():
        term = Poly({((), noises): sp.sympify(c).subs(scalars)})
        for f in factors:
            term = term * expand(f)
        total = total + term
    return total


def _check_layer(L: int, layer: int) -> int:
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= L:
        raise ValueError(f"layer: expected a layer number in 1..{L}, got {layer!r}")
    return layer


def unknowns(spec) -> dict:
    """``{(layer, block): unknown}``: the symbols ``v_0_l``, ``v_y_l`` and the d x 1 MatrixSymbol
    ``v_x_l`` of every trained block (the names of :func:`symbolic.depth_model.class_layer`)."""
    out = {}
    for l, b in spec.train:
        out[l, b] = sp.MatrixSymbol(f"v_x_{l}", DIM, 1) if b == "vx" else sp.Symbol(f"{b[0]}_{b[1]}_{l}")
    return out


def _with(layers: Sequence[DepthLayer], values: dict) -> tuple[DepthLayer, ...]:
    """``layers`` with the (layer, block) entries of ``values`` replaced (v_x as VecExpr)."""
    out = list(layers)
    for (l, b), v in values.items():
        out[l - 1] = replace(out[l - 1], **{b: v})
    return tuple(out)


def depth_loss(layers: Sequence[DepthLayer], terms) -> "Poly":
    """sum_k w_k E_L(layers, n_k; task_k) (n_k = oo: the limit n -> oo) as an engine Poly."""
    from .forms import Poly
    total = Poly({})
    for t in terms:
        task = t.task.mean
        e = depth_error_limit(list(layers), task) if t.n == sp.oo else depth_error(list(layers), task, t.n)
        total = total + e * t.weight
    return total


def _as_vec(v) -> tuple:
    return tuple((c, tuple(w), a) for c, w, a in v)


def _subs_value(v, reps: dict):
    """A scalar or VecTerms value with the scalar symbols of ``reps`` substituted."""
    if isinstance(v, (list, tuple)):
        return tuple((sp.sympify(c).subs(reps), tuple(w), a) for c, w, a in v)
    return sp.sympify(v).subs(reps)


@lru_cache(maxsize=32)
def _first_stage(trial: tuple, terms: tuple, scalars: tuple, vectors: tuple) -> tuple:
    """The first loss at the trial layers, as a Poly and an expression, and its minimisers
    (:func:`symbolic.quadratic.minimise_quadratic`): once per process for the same trial, loss and unknowns
    (strategy (d)'s first stage is strategy (c)). Read, never changed, by :func:`derive_depth_spec`."""
    loss = depth_loss(trial, terms)
    return loss, to_sympy(loss), minimise_quadratic(loss, list(scalars), list(vectors))


def derive_depth_spec(spec, gammas: Sequence | None = None) -> DepthFinetune:
    """The minimiser of a depth spec's loss (:class:`symbolic.depth_spec.DepthSpec`) from the pretrained
    class model (:func:`pretrained_layers`, gamma_l symbols unless ``gammas`` given), in closed form at
    symbolic d, Sigma, theta_0, sigma.

    The loss sum_k w_k E_L(n_k; task_k) (:mod:`symbolic.depth`) is quadratic in the trained entries
    when :func:`symbolic.depth_spec.quadratic_reason` finds no product of them (else
    :class:`symbolic.quadratic.NotQuadratic`, the reason in one line); its minimisers come from
    :func:`symbolic.quadratic.minimise_quadratic`. With ``then``, the second loss is minimised over
    what the first leaves free. Whatever stays free keeps its start value (v_0 = 0, v_x = 0,
    v_y = 1): its gradient is identically zero, so gradient descent from the start leaves it there.
    """
    from .depth_spec import DepthSpec, entry_name, quadratic_reason, terms_text
    from .quadratic import NotClosedForm, NotQuadratic
    if not isinstance(spec, DepthSpec):
        raise ValueError(f"spec: expected a symbolic.depth_spec.DepthSpec, got {type(spec).__name__}")
    why = quadratic_reason(spec)
    if why:
        raise NotQuadratic(why)
    L = spec.layers
    start = pretrained_layers(L, gammas)
    unk = unknowns(spec)
    start_value = {"v0": sp.S.Zero, "vx": (), "vy": sp.S.One}
    trial = _with(start, {k: (vec(u) if k[1] == "vx" else u) for k, u in unk.items()})
    scalars = [u for k, u in unk.items() if k[1] != "vx"]
    vectors = [u for k, u in unk.items() if k[1] == "vx"]
    loss, loss_expr, sol = _first_stage(trial, spec.loss, tuple(scalars), tuple(vectors))
    what = ", ".join(spec.names)
    steps = [(f"trained: {what} (every other parameter at the pretrained class model's value)", None),
             (f"loss {terms_text(spec.loss)} (E_L: the depth-L error)", loss_expr)]
    values = dict(sol.values)
    free = list(sol.free)
    for u, v in values.items():
        steps.append((f"first-order conditions solved: {u}", v if isinstance(v, sp.Basic) else None))
    if spec.then and free:
        held = {k: (vec(u) if k[1] == "vx" else u) for k, u in unk.items() if u in free}
        held.update({k: (_as_vec(values[u]) if k[1] == "vx" else values[u]) for k, u in unk.items() if u in values})
        loss2 = depth_loss(_with(start, held), spec.then)
        steps.append(("second stage, over the minimisers of the first (free: " + ", ".join(map(str, free)) + "): "
                      + terms_text(spec.then), to_sympy(loss2)))
        sol2 = minimise_quadratic(loss2, [u for u in free if isinstance(u, sp.Symbol)],
                                  [u for u in free if not isinstance(u, sp.Symbol)])
        reps = {u: v for u, v in sol2.values.items() if isinstance(u, sp.Symbol)}
        values = {u: _subs_value(v, reps) for u, v in values.items()}
        values.update(sol2.values)
        free = list(sol2.free)
        for u, v in sol2.values.items():
            steps.append((f"second stage solved: {u}", v if isinstance(v, sp.Basic) else None))
    elif spec.then:
        steps.append(("the first loss determines every trained block: the second stage has nothing to move", None))
    # free unknowns keep their start values; a determined value that depends on one is a flat family
    # whose point nearest the start this route does not compute
    free_syms = {u for u in free if isinstance(u, sp.Symbol)}
    for u, v in values.items():
        deps = set().union(*[sp.sympify(c).free_symbols for c, *_ in v]) if isinstance(v, (list, tuple)) \
            else sp.sympify(v).free_symbols
        if deps & free_syms:
            raise NotClosedForm(f"spec {spec.name!r}: the minimisers form a family in which {u} depends on the free "
                                f"{', '.join(map(str, deps & free_syms))}; the point nearest the start is not derived here")
    key_of = {u: k for k, u in unk.items()}
    final = {}
    for k, u in unk.items():
        if u in values:
            v = values[u]
            final[k] = _as_vec(v) if k[1] == "vx" else sp.factor(v)
        else:
            final[k] = start_value[k[1]]
    kept = [entry_name(*key_of[u]) for u in free if u in key_of]
    if kept:
        steps.append(("free (the loss does not determine them): " + ", ".join(kept)
                      + "; gradient descent from the start leaves them at their start values", None))
    steps.append(("minimiser", {entry_name(*k): v for k, v in final.items()}))
    layer = spec.train[-1][0]
    out = DepthFinetune(spec.name, layer, _with(start, final), steps)
    out.spec, out.values, out.free = spec, final, kept
    out.trial = trial
    out.solved = {u: (_as_vec(final[k]) if k[1] == "vx" else final[k]) for k, u in unk.items()}
    return out


def finetune_value(L: int, layer: int | None = None, gammas: Sequence | None = None) -> DepthFinetune:
    """Strategy (c) at depth: layer ``layer`` (default L, the last)'s values on the zero-shot loss on
    theta_0 (the depth spec ``{"layers": L, "train": ["V<layer>"], "loss": [E_L(0; theta_0)]}``)."""
    from .depth_spec import make_depth_spec
    L = _check_L(L)
    layer = _check_layer(L, L if layer is None else layer)
    out = derive_depth_spec(make_depth_spec(L, [f"V{layer}"], [(1, 0, "target")], name="value"), gammas)
    out.name = "value"
    return out


def finetune_value_fewshot(L: int, layer: int | None = None, n_ft=sp.oo, gammas: Sequence | None = None
                           ) -> DepthFinetune:
    """Strategy (d) at depth: (c)'s minimisers, then the n_ft-shot loss on theta_0 over the free v_y
    (the depth spec of (c) with ``then`` [E_L(n_ft; theta_0)])."""
    from .depth_spec import make_depth_spec
    L = _check_L(L)
    layer = _check_layer(L, L if layer is None else layer)
    spec = make_depth_spec(L, [f"V{layer}"], [(1, 0, "target")], [(1, sp.sympify(n_ft), "target")],
                           name="value-fewshot")
    out = derive_depth_spec(spec, gammas)
    out.name = "value-fewshot"
    return out


def start_gammas(L: int, m: Any = sp.oo, d: int | None = None, sigma2: Any = None) -> tuple:
    """The pretrained gamma_1..gamma_L the start uses at pretraining context length ``m``: the class's
    isotropic pretraining optimum at Sigma = I (:mod:`symbolic.depth_pretraining`), in increasing order
    (the largest in the last layer; the loss is symmetric in the layers). m = oo: the limit
    (:func:`~symbolic.depth_pretraining.pretrained_limit`); finite m: the closed form for L <= 2
    (in d, sigma, m; ``d``, ``sigma2`` substituted when given), the exact optimum at the concrete
    setting for L = 3 (needs ``d`` and ``sigma2``)."""
    from .depth_pretraining import pretrained_gammas, pretrained_limit, real_optimum_L3
    from .objective import M, SIGMA_NOISE
    L = _check_L(L)
    m = sp.sympify(m)
    if m == sp.oo:
        gs = pretrained_limit(L).gammas
    elif L <= 2:
        sub = {M: m}
        if d is not None:
            sub[DIM] = d
        if sigma2 is not None:
            sub[SIGMA_NOISE] = sp.sqrt(sp.nsimplify(sigma2))
        gs = tuple(sp.simplify(sp.sympify(g).subs(sub)) for g in pretrained_gammas(L, M))
    else:
        if d is None or sigma2 is None:
            raise ValueError("m: the L = 3 pretrained gamma's at a finite m have no closed form (complex roots); "
                             "give a concrete setting (d and sigma2)")
        gs = real_optimum_L3(d, int(m), sigma2)[0][0]
    return tuple(sorted(gs, key=lambda x: float(sp.N(x, 30)))) if all(sp.sympify(g).is_number for g in gs) else tuple(gs)
