"""The four training strategies of the poster, derived from the objective.

(a) ``pretrain``: argmin_{V,Q} E_{theta~N(0,I)} E(V, Q, m; theta), context length m.
(b) ``full``: argmin_{V,Q} E(V, Q, 0; theta_0).
(c) ``value``: argmin_V E(V, Q_hat, 0; theta_0), Q_hat the pretrained query-key matrix.
(d) ``value-fewshot``: argmin_{V in S} E(V, Q_hat, n_ft; theta_0), S the minimisers of (c).

Each derivation runs on the Wick engine (:mod:`symbolic.objective`); (a) is
:mod:`symbolic.pretraining`, (c) and (d) are specs of :mod:`symbolic.general`; nothing below is a typed-in result.  Every derivation records
its steps (:class:`Step`) so that a proof can print them.

Normalisation: the pretrained representative has ``V[-1,-1] = v_y = 1``; fine-tuning
inherits it.  ``m`` and ``n_ft`` accept a symbol, an integer or ``sympy.oo``.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .forms import Poly, const
from .general import derive_question, derive_spec
from .model import Blocks, prediction_terms, symbolic_blocks, vec
from .objective import THETA0
from .pretraining import derive_pretrain
from .spec import make_spec
from .strategy import Step, Strategy
from .strategy_names import STRATEGIES, canonical_strategy
from .validation import check_count

__all__ = ["derive_pretrain", "derive_full", "derive_value", "derive_value_fewshot", "derive",
           "STRATEGIES", "V0", "VY", "SCALE", "N_FT", "canonical_strategy", "value_spec",
           "value_fewshot_spec"]

V0, VY = sp.Symbol("v_0"), sp.Symbol("v_y")
#: The free scale C of strategy (b): V's last row carries C theta_0, Q_00 = 1/C.
SCALE = sp.Symbol("C", nonzero=True)
#: Shots in the auxiliary few-shot loss of strategy (d).
N_FT = sp.Symbol("n_ft", integer=True, positive=True)


# ---------------------------------------------------------------- (b) full fine-tuning
def zero_shot_prediction_coefficients() -> dict[int, sp.Expr]:
    """The zero-shot prediction ``f(q) = (v^T q)(q^T Q q)`` grouped by degree in ``x``.

    Read off the engine's polynomial of ``U`` (the query term) by counting x legs.
    """
    pt = prediction_terms(symbolic_blocks(), const(THETA0))
    by_degree: dict[int, list] = {}
    for (factors, noises), c in pt.U.terms.items():
        deg = sum(f.gaussians().count("x_q") for f in factors)
        by_degree.setdefault(deg, []).append(Poly({(factors, noises): c}))
    out = {}
    for deg, polys in sorted(by_degree.items()):
        total = Poly()
        for p in polys:
            total = total + p
        terms = []
        for (factors, _), c in total.terms.items():
            terms.append(sp.Mul(c, *[sp.Symbol(_form_str(f)) for f in factors]))
        out[deg] = sp.Add(*terms)
    return out


def _form_str(f) -> str:
    def leg(l):
        return "x" if l.is_gaussian else l.obj.name
    w = "".join(str(a.expr) + ("^T" if a.transposed else "") for a in f.word)
    return f"{leg(f.left)}^T{w}{leg(f.right)}" if w else f"{leg(f.left)}^T{leg(f.right)}"


@lru_cache(maxsize=4)
def derive_full(pretrained_m: sp.Expr = sp.oo) -> Strategy:
    """Minimisers of the zero-shot loss over V and Q, and the one gradient descent reaches.

    ``E(V, Q, 0; theta_0) = sigma^2 + E[(f(q) - theta_0^T x)^2] >= sigma^2``, with equality iff
    the cubic polynomial ``f(q) = (v_0 + v_x^T x)(Q_00 + w^T x + x^T Q_xx x)`` (``w = q_0x + q_x0``)
    equals ``theta_0^T x`` for all x (x has full support).  Matching coefficients (a product
    of polynomials has degree the sum of the degrees) leaves two families:

    * F1: ``Q_00 = 1/C``, ``v_x = C theta_0``, ``v_0 = 0``, ``w = 0``, ``sym(Q_xx) = 0``;
    * F2: ``v_0 = c``, ``v_x = 0``, ``Q_00 = 0``, ``w = theta_0 / c``, ``sym(Q_xx) = 0``;

    the other entries (``v_y``, ``Q_y0``, ``q_yx``, ``q_0x - q_x0``, the antisymmetric part of
    ``Q_xx``) are free.  Gradient descent from the pretrained point keeps the free entries at
    their pretrained values and stays in F1 (parity x -> -x), see Theorem 4.3's proof.
    """
    coeffs = zero_shot_prediction_coefficients()
    steps = [Step(f"zero-shot prediction, degree {k} in x", v) for k, v in coeffs.items()]
    steps.append(Step("E(V,Q,0;theta_0) = sigma^2 + E[(f - theta_0^T x)^2]: minimal iff f(q) = theta_0^T x identically"))
    steps.append(Step("coefficient matching: F1 (Q_00 = 1/C, v_x = C theta_0) or F2 (v_0 = c, q_0x + q_x0 = theta_0/c); sym(Q_xx) = 0 in both"))
    steps.append(Step("gradient descent from the pretrained point: v_0 = 0 and q_0x + q_x0 = 0 are invariant (parity), so F1; free entries keep pretrained values"))
    blocks = Blocks(vx=vec(THETA0, SCALE), vy=sp.S.One, Q00=1 / SCALE)
    return Strategy(
        "full", blocks, sp.sympify(pretrained_m),
        free=["C (scale: V[-1, x] = C theta_0, Q_00 = 1/C)", "v_y = V[-1,-1]", "Q[y, 0], Q[y, x] (last row of Q)",
              "Q[0, x] - Q[x, 0]^T", "the antisymmetric part of Q[x, x]"],
        convention=("gradient descent from the pretrained parameters leaves every free entry at its "
                    "pretrained value (v_y = 1, last row of Q = 0, Q[0,x] = Q[x,0]^T = 0, Q[x,x] symmetric) "
                    "and keeps v_0 = 0 (parity), so it converges into the family V[-1,:] = (0, C theta_0^T, 1), "
                    "Q = C^{-1} e_0 e_0^T"),
        steps=steps,
        free_latex=[r"$C$ (scale: $V_{-1,x} = C\theta_0^{T}$, $Q_{00} = 1/C$)", r"$v_y = V_{-1,-1}$",
                    r"$Q_{y0}$, $Q_{yx}$ (the last row of $Q$)", r"$Q_{0x} - Q_{x0}^{T}$",
                    r"the antisymmetric part of $Q_{xx}$"],
        convention_latex=(r"gradient descent from the pretrained parameters leaves every free entry at its "
                          r"pretrained value ($v_y = 1$, last row of $Q$ zero, $Q_{0x} = Q_{x0}^{T} = 0$, "
                          r"$Q_{xx}$ symmetric) and keeps $v_0 = 0$ (parity), so it converges into the family "
                          r"$V_{-1,:} = (0, C\theta_0^{T}, 1)$, $Q = C^{-1} e_0 e_0^{T}$"))


# ---------------------------------------------------------------- (c), (d): specs
def value_spec():
    """Strategy (c) as a spec: train V's last row on the zero-shot loss on theta_0."""
    return make_spec(("v0", "vx", "vy"), [(1, 0, "target")], name="value")


def value_fewshot_spec(n_ft: sp.Expr = sp.oo):
    """Strategy (d) as a spec: (c), then the n_ft-shot loss on theta_0 inside (c)'s minimisers."""
    return make_spec(("v0", "vx", "vy"), [(1, 0, "target")], then=[(1, n_ft, "target")], name="value-fewshot")


@lru_cache(maxsize=16)
def derive_value(m: sp.Expr = sp.oo) -> Strategy:
    """(c): ``argmin_V E(V, Q_hat, 0; theta_0)``, derived by the general derivation
    (:func:`symbolic.general.derive_spec`) of :func:`value_spec`."""
    return derive_spec(value_spec(), m)


@lru_cache(maxsize=32)
def derive_value_fewshot(m: sp.Expr = sp.oo, n_ft: sp.Expr = sp.oo) -> Strategy:
    """(d): within S = argmin_V E(V, Q_hat, 0; theta_0) (strategy (c)'s minimisers), minimise the
    ``n_ft``-shot loss on theta_0; ``n_ft = oo`` minimises its limit.  Derived by the general
    derivation of :func:`value_fewshot_spec`."""
    from dataclasses import replace
    return replace(derive_spec(value_fewshot_spec(n_ft), m), n_ft=sp.sympify(n_ft))


def derive(strategy: str | None = None, m: sp.Expr = sp.oo, n_ft: sp.Expr = sp.oo, *,
           train=None, loss=None, then=(), start: Blocks | None = None, name: str = "spec") -> Strategy:
    """A derived strategy: by name (``pretrain``, ``full``, ``value``, ``value-fewshot``; letters
    a-d accepted), or as a spec, ``derive(train=[...], loss=[...], then=[...], start=...)``
    (see :mod:`symbolic.spec`; e.g. ``derive(train=["vx"], loss=[(1, 0, "target"), (1, 20,
    "target")])``)."""
    if strategy is None or train is not None or loss is not None:
        if strategy is not None:
            raise ValueError("strategy: give a strategy name or a spec (train=..., loss=...), not both")
        if train is None or loss is None:
            raise ValueError("train, loss: a spec needs both (e.g. train=['vx'], loss=[(1, 0, 'target')])")
        return derive_question(train, loss, then, start, m, name)
    s = canonical_strategy(strategy)
    m = check_count(m, "m", minimum=1)
    n_ft = check_count(n_ft, "n_ft", minimum=1 if s == "value-fewshot" else 0)
    if s == "pretrain":
        return derive_pretrain(m)
    if s == "full":
        return derive_full(m)
    if s == "value":
        return derive_value(m)
    return derive_value_fewshot(m, n_ft)
