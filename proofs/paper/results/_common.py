"""Shared, cached derivations and exact tools for the result modules.

Everything here runs through :mod:`symbolic`; nothing is a typed-in result.  The caches
make the nine proofs share their derivations inside one process (``icl-finetune prove``
derives each strategy once).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from symbolic import M, SIGMA, SIGMA_NOISE, THETA, THETA0, Bilinear, to_sympy
from symbolic.definitions import definition
from symbolic.evaluation import evaluate, evaluate_poly
from symbolic.forms import Poly
from symbolic.model import SIGMA_ATOM, Blocks, prediction_terms
from symbolic.relations import apply_relations, resolvent_relations
from symbolic.words import DIM, Atom

from proofs.paper.result import Line

d = DIM
sigma = SIGMA_NOISE
OO = sp.oo

#: theta_0^T Sigma theta_0, theta^T Sigma theta, theta^T Sigma theta_0 as the engine writes them.
T0ST0 = Bilinear(THETA0, SIGMA, THETA0)
TST = Bilinear(THETA, SIGMA, THETA)


class Quadratic(Bilinear):
    """``a^T W b`` for statements, e.g. ``(theta - theta_0)^T Sigma (theta - theta_0)``: a
    :class:`symbolic.Bilinear` (whose printers bracket vectors that are sums, and the form
    under a power) kept as its own type in statements."""


# ----------------------------------------------------------------------------- equality
def _vector_terms(v: sp.Basic) -> list[tuple[sp.Expr, sp.Basic]]:
    """``v`` (a linear combination of d x 1 symbols) as [(coefficient, symbol)]."""
    v = sp.expand(v) if not isinstance(v, sp.MatrixSymbol) else v
    parts = v.args if isinstance(v, sp.MatAdd) else (v,)
    out = []
    for p in parts:
        coeff, rest = p.as_coeff_mmul()
        mats = [a for a in (rest.args if isinstance(rest, sp.MatMul) else (rest,)) if getattr(a, "is_Matrix", False)]
        scal = [a for a in (rest.args if isinstance(rest, sp.MatMul) else ()) if not getattr(a, "is_Matrix", False)]
        if len(mats) != 1 or not isinstance(mats[0], sp.MatrixSymbol):
            raise ValueError(f"not a combination of vector symbols: {v}")
        out.append((coeff * sp.Mul(*scal), mats[0]))
    return out


def _symmetric(W: sp.Basic) -> bool:
    if isinstance(W, (sp.Identity,)) or W == SIGMA:
        return True
    if isinstance(W, sp.MatrixSymbol) and definition(W) is not None:
        return True  # derived matrices here are resolvents of Sigma: symmetric
    if isinstance(W, sp.MatMul):
        mats = [a for a in W.args if getattr(a, "is_Matrix", False)]
        return all(_symmetric(a) for a in mats) and mats == mats[::-1]
    return False


def canon(e: Any) -> Any:
    """Expand bilinear forms over vector symbols and orient those with a symmetric middle."""
    e = sp.sympify(e)
    reps = {}
    for b in e.atoms(Bilinear):
        try:
            L, R = _vector_terms(b.left), _vector_terms(b.right)
        except ValueError:
            continue
        total = sp.S.Zero
        for cl, l in L:
            for cr, r in R:
                if _symmetric(b.middle) and l.name > r.name:
                    l, r = r, l
                total += cl * cr * Bilinear(l, b.middle, r)
        reps[b] = total
    return e.xreplace(reps) if reps else e


def rational_is_zero(e: Any) -> bool | None:
    """Whether ``e``, a rational function of scalar symbols, traces and bilinear forms (each
    taken as an independent indeterminate), is identically 0: exact arithmetic over QQ
    (:func:`symbolic.ratfun.is_zero`: its numerator over the product of its denominators, in
    QQ[gens]), far cheaper than ``expand``/``together`` on a large expression.  ``None`` when
    ``e`` is not such a rational function (sqrt, functions...)."""
    from symbolic import ratfun
    return ratfun.is_zero(e)


def same(a: Any, b: Any) -> bool:
    """Exact symbolic equality of two scalar expressions (bilinear forms canonicalised)."""
    diff = canon(a) - canon(b)
    if diff == 0:
        return True
    # a rational function of symbols, traces and bilinear forms is 0 iff it is 0 in the field
    # of rational functions over QQ (exact; the numerator of ``together`` expanded is the
    # same test, slower)
    fast = rational_is_zero(diff)
    if fast is not None:
        return fast
    diff = sp.expand(diff)
    if diff == 0:
        return True
    num = sp.expand(sp.numer(sp.together(diff)))
    if num == 0:
        return True
    # only other functions (sqrt, trig...) need simplify
    if not num.atoms(sp.Function) and not any(not p.exp.is_Integer for p in num.atoms(sp.Pow)):
        return False
    return sp.simplify(diff) == 0


def angle_is_zero(e: Any, x: sp.Symbol) -> bool:
    """Whether ``e``, rational in other symbols and in sines and cosines of ``x``, ``x/2``,
    ``x/4`` (and their multiples), is identically 0: exact.  With ``x = 4w`` every sine and
    cosine expands (``expand_trig``) into a polynomial in ``cos w``, ``sin w``; the substitution
    ``t = tan(w/2)`` (``cos w = (1 - t^2)/(1 + t^2)``, ``sin w = 2t/(1 + t^2)``, a bijection of
    ``(-pi, pi)`` onto the reals) makes ``e`` a rational function of t, 0 for every w iff 0 in the
    field of fractions (:func:`same`).  Other dependence on ``x``: ``simplify``."""
    w, t = sp.Dummy("w"), sp.Dummy("t")
    f = sp.expand_trig(sp.sympify(e).xreplace({x: 4 * w}))
    f = f.xreplace({sp.cos(w): (1 - t ** 2) / (1 + t ** 2), sp.sin(w): 2 * t / (1 + t ** 2)})
    if w in f.free_symbols:
        return sp.simplify(e) == 0
    return same(f, 0)


def same_matrix(a: sp.Basic, b: sp.Basic) -> bool:
    """Equality of two matrix expressions (structural, then after ``doit``)."""
    if a == b:
        return True
    diff = (a - b).doit()
    return isinstance(diff, sp.ZeroMatrix) or diff == 0


def show(e: Any) -> str:
    """A one-line rendering of a SymPy object for check lines.

    ``sstr`` is a function of the expression tree; checks print the same tree more than once
    (a derived value and the statement it equals, one value in several lines), so SymPy objects
    are rendered once per process (keyed by SymPy's structural equality, which tells 1, 1.0 and
    true apart and Floats of different precision; any other object is rendered each time)."""
    if isinstance(e, sp.Basic):
        try:
            return _shown(e)
        except TypeError:  # an unhashable SymPy object
            pass
    return sp.sstr(e)


@lru_cache(maxsize=2048, typed=True)
def _shown(e: sp.Basic) -> str:
    return sp.sstr(e)


def equality_line(what: str, derived: Any, stated: Any) -> Line:
    """``exact`` line: the derived value equals the paper's statement."""
    ok = same(derived, stated)
    return Line("exact", f"{what}: derived {show(derived)} {'==' if ok else '!='} stated {show(stated)}", ok)


# ----------------------------------------------------------------------------- relations
def resolvent_rules(*atoms: Atom) -> dict:
    """``Sigma G = G Sigma = I - c G`` for derived resolvents ``G = (Sigma + c I)^{-1}`` that are
    named (:mod:`symbolic.definitions`): the engine sees identities that need the definition."""
    rules: dict = {}
    for g in atoms:
        expr = definition(g.expr)
        if expr is None:
            continue
        fake = Atom(expr, symmetric=True)
        swap = lambda a: g if a == fake else a  # noqa: E731
        for (a, b), rhs in resolvent_relations(fake).items():
            rules[(swap(a), swap(b))] = tuple((c, tuple(swap(x) for x in w)) for c, w in rhs)
    return rules


def defined_atoms(blocks: Blocks) -> list[Atom]:
    """The named derived matrices (atoms) used by a strategy's blocks."""
    out = []
    for c, w in blocks.Qxx:
        out += [a for a in w if definition(a.expr) is not None]
    return out


def vanishes(p: Poly, rules: dict | None = None) -> bool:
    """``p`` is identically zero (after the defining relations of derived matrices)."""
    if rules:
        p = apply_relations(p, rules, expand=False)   # (tested for 0 below, exactly: no expansion needed)
    if not p.terms:
        return True
    e = to_sympy(p)
    fast = rational_is_zero(e)
    if fast is not None:
        return fast
    e = sp.together(sp.expand(e))
    return sp.expand(sp.numer(e)) == 0


# ----------------------------------------------------------------------------- cross moments
def _expect_data(p: Poly, tokens: tuple[str, ...]) -> Poly:
    from symbolic.wick import expect_gaussian, expect_noise
    for t in tokens:
        p = expect_gaussian(p, f"x_{t}", (SIGMA_ATOM,))
        p = expect_noise(p, f"eps_{t}", SIGMA_NOISE ** 2)
    return p


def pretraining_cross_moment(b: Blocks, other: Blocks, m: Any = M) -> Poly:
    """``E_theta E[(f(Z; b) - y_q) f(Z; other)]`` at context length m, theta ~ N(0, I_d).

    Half the derivative of the pretraining objective at ``b`` in the direction of the
    *prediction* ``f(.; other)``: with ``other`` general, these are the normal equations of
    the convex relaxation in which the coefficient of every feature ``(ZZ^T)_{ab} q_c`` of the
    prediction is free (see Corollary 4.1's proof).
    """
    from symbolic.forms import gauss
    from symbolic.wick import expect_gaussian
    task = gauss("theta")
    p1, p2 = prediction_terms(b, task), prediction_terms(other, task)
    n = sp.sympify(m)
    ff = (_expect_data(p1.T1 * p2.T1, ("1", "q")) * n
          + _expect_data(p1.T1 * p2.T2, ("1", "2", "q")) * (n * (n - 1))
          + _expect_data(p1.T1 * p2.U, ("1", "q")) * n
          + _expect_data(p1.U * p2.T1, ("1", "q")) * n
          + _expect_data(p1.U * p2.U, ("q",))) * (1 / (n + 1) ** 2)
    fy = (_expect_data(p2.T1 * p1.yq, ("1", "q")) * n + _expect_data(p2.U * p1.yq, ("q",))) * (1 / (n + 1))
    total = expect_gaussian(ff - fy, "theta", ())
    return Poly({k: sp.together(sp.expand(c)) for k, c in total.terms.items() if sp.expand(c) != 0})


# ----------------------------------------------------------------------------- concrete settings
def random_setting(d_: int, seed: int) -> dict[str, Any]:
    """A random exact setting: rational SPD Sigma, integer theta_0 and theta, rational sigma."""
    rng = np.random.default_rng(seed)
    A = sp.Matrix(d_, d_, [int(x) for x in rng.integers(-3, 4, size=d_ * d_)])
    Sigma = (A * A.T + sp.eye(d_)) / int(rng.integers(1, 4))
    vec = lambda: sp.Matrix([int(x) or 1 for x in rng.integers(-3, 4, size=d_)])  # noqa: E731
    return {"Sigma": Sigma, "theta_0": vec(), "theta": vec(), "sigma": sp.Rational(int(rng.integers(1, 5)), 3)}


def at(e: Any, env: dict[str, Any]) -> sp.Expr:
    """Exact value of an expression or engine polynomial in ``env``."""
    return evaluate_poly(e, env) if isinstance(e, Poly) else evaluate(e, env)


# ----------------------------------------------------------------------------- assumptions
#: (plain text, LaTeX) pairs shared by the results.
SETTING = ("x ~ N(0, Sigma) with Sigma symmetric positive definite, y = theta^T x + eps, eps ~ N(0, sigma^2)",
           r"$x \sim \mathcal{N}(0, \Sigma)$ with $\Sigma$ symmetric positive definite, "
           r"$y = \theta^{T} x + \epsilon$, $\epsilon \sim \mathcal{N}(0, \sigma^{2})$")
PRETRAINED = ("pretraining on tasks theta ~ N(0, I_d) with context length m -> oo, representative with "
              "V_hat[-1,-1] = 1 of the scale freedom (V, Q) -> (aV, Q/a)",
              r"pretraining on tasks $\theta \sim \mathcal{N}(0, I_d)$ with context length $m \to \infty$, "
              r"representative with $\hat{V}_{-1,-1} = 1$ of the scale freedom $(V, Q) \mapsto (aV, Q/a)$")
FREE_AT_PRETRAINED = ("parameters the fine-tuning loss leaves free keep their pretrained values (what gradient "
                      "descent started at the pretrained parameters does)",
                      "parameters the fine-tuning loss leaves free keep their pretrained values (what gradient "
                      "descent started at the pretrained parameters does)")
FEW_SHOT_LIMIT = ("few-shot errors are limits n -> oo", r"few-shot errors are limits $n \to \infty$")


def check_setting_keys(setting: dict, allowed: set, *, theta_why: str = "", sigma2_why: str = "") -> None:
    """A result's ``evaluate`` keys checked before any work: each key one of ``allowed`` (an unknown
    ``theta`` explained by ``theta_why``), ``sigma2`` given (``sigma2_why`` says why it matters)."""
    unknown = sorted(set(setting) - set(allowed))
    if unknown:
        why = theta_why if unknown[0] == "theta" else ""
        raise ValueError(f"{unknown[0]}: unknown setting{why}; expected some of {', '.join(sorted(allowed))}")
    if "sigma2" not in setting:
        raise ValueError("sigma2: expected the noise variance sigma^2 >= 0" + sigma2_why)


def refuse_finite_m(setting: dict, reason: str) -> None:
    """Pop ``m`` from a result's ``evaluate`` setting: m = oo (or absent) is the statement's; a finite m
    is refused with ``reason`` (where the finite-m answer lives)."""
    from proofs.quantities import validation as V
    m = setting.pop("m", None)
    if m is not None and V.count(m, "m", allow_inf=True, minimum=1) is not None:
        raise ValueError(f"m: the statement is at m -> oo ({reason}); evaluate it at m = inf")

