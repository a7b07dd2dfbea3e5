"""Derivatives of the objectives, and solutions of their first-order conditions.

Matrix-expression derivatives in SymPy are unreliable (DESIGN.md), so derivatives are
taken the safe way: perturb the blocks, ``b + t * delta``, derive the objective with the
Wick engine, and read the Taylor coefficients in the scalar ``t``:

    L(b + t delta) = L(b) + t <grad L(b), delta> + t^2/2 delta^T H(b) delta + ...

A first-order coefficient that vanishes identically (for a symbolic direction ``delta``)
is stationarity; the second-order coefficient is the Hessian's quadratic form.  The
gradient itself is read off the first-order coefficient: each monomial is linear in the
direction, ``a^T W delta_u`` contributes ``W^T a`` to the gradient in ``u``, and
``tr(Delta R)`` contributes ``R^T`` to the gradient in the matrix ``Delta``.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Callable

import sympy as sp

from . import ratfun
from .convert import factor_expr
from .definitions import define
from .expansion import expand as _expand
from .forms import Poly, Tr
from .model import Blocks, MatExpr
from .scaling import scale
from .words import DIM, Atom, Word, inverse_word, simplify_word, transpose, word_expr

__all__ = ["T", "perturb", "taylor", "first_order", "matrix_gradient", "solve_matrix", "inverse_of_sum", "direction_blocks"]

#: The step of the perturbation b + t * delta.
T = sp.Symbol("t")


def direction_blocks(prefix: str = "delta") -> Blocks:
    """A direction with every block an independent symbol ``delta_<block>``."""
    V = lambda name: ((sp.S.One, (), sp.MatrixSymbol(f"{prefix}_{name}", DIM, 1)),)
    return Blocks(
        v0=sp.Symbol(f"{prefix}_v0"), vx=V("vx"), vy=sp.Symbol(f"{prefix}_vy"),
        Q00=sp.Symbol(f"{prefix}_Q00"), q0x=V("q0x"), qx0=V("qx0"),
        Qxx=((sp.S.One, (Atom(sp.MatrixSymbol(f"{prefix}_Qxx", DIM, DIM)),)),),
        Qy0=sp.Symbol(f"{prefix}_Qy0"), qyx=V("qyx"),
    )


def perturb(b: Blocks, delta: Blocks, t: sp.Symbol = T) -> Blocks:
    """The blocks ``b + t * delta`` (blocks of ``delta`` left empty are not perturbed)."""
    kw = {}
    for f in fields(Blocks):
        base, step = getattr(b, f.name), getattr(delta, f.name)
        if isinstance(base, tuple):
            kw[f.name] = base + tuple((c * t,) + tuple(rest) for c, *rest in step)
        else:
            kw[f.name] = base + t * step
    return Blocks(**kw)


def taylor(objective: Callable[[Blocks], Poly], b: Blocks, delta: Blocks, order: int = 2) -> list[Poly]:
    """Coefficients ``[L_0, L_1, ..., L_order]`` of ``L(b + t delta) = sum_k L_k t^k``."""
    p = objective(perturb(b, delta))
    out = []
    for k in range(order + 1):
        out.append(Poly({key: ratfun.together(_expand(c).coeff(T, k)) for key, c in p.terms.items()}))
    return out


def first_order(objective: Callable[[Blocks], Poly], b: Blocks, delta: Blocks) -> Poly:
    """The coefficient ``L_1`` of ``L(b + t delta) = L_0 + t L_1 + ...``, as ``d/dt`` at ``t = 0``
    of each coefficient: no expansion in t (what makes :func:`taylor` slow on long coefficients)
    and no normalisation, so each coefficient is an unreduced rational expression, equal to
    ``taylor(...)[1]``'s: for zero tests in the field of fractions, or the caller normalises."""
    p = objective(perturb(b, delta))
    memo: dict = {}
    return Poly({key: _jet(c, memo)[1] for key, c in p.terms.items()})


def _jet(e: sp.Expr, memo: dict) -> tuple[sp.Expr, sp.Expr, bool]:
    """``(e|_{t=0}, de/dt|_{t=0}, whether e holds t)``: the exact derivative at t = 0, node by
    node (sum and product rules, ``d(u^k) = k u^(k-1) du`` for a constant exponent), on the values
    at 0 of the subexpressions, shared between coefficients through ``memo``.  The same number as
    ``sp.diff(e, t).xreplace({t: 0})``, without building the derivative of the whole tree at
    symbolic t first (most of that cost on long unreduced coefficients); a node of another kind
    that holds t (t in an exponent or a function) falls back on exactly that."""
    hit = memo.get(e)
    if hit is not None:
        return hit
    if e is T:
        out = (sp.S.Zero, sp.S.One, True)
    elif not e.args or not (e.is_Add or e.is_Mul or e.is_Pow):
        if e.args and e.has(T):
            out = (e.xreplace({T: sp.S.Zero}), sp.diff(e, T).xreplace({T: sp.S.Zero}), True)
        else:
            out = (e, sp.S.Zero, False)
    else:
        parts = [_jet(a, memo) for a in e.args]
        if not any(h for _, _, h in parts):
            out = (e, sp.S.Zero, False)
        elif e.is_Add:
            out = (sp.Add(*[v for v, _, _ in parts]), sp.Add(*[dv for _, dv, h in parts if h]), True)
        elif e.is_Mul:
            values = [v for v, _, _ in parts]
            terms = [sp.Mul(*(values[:i] + [dv] + values[i + 1:])) for i, (_, dv, h) in enumerate(parts) if h]
            out = (sp.Mul(*values), sp.Add(*terms), True)
        else:   # Pow
            (base, dbase, hb), (ex, _, he) = parts
            if he or (base == 0 and not (ex.is_number and ex >= 1)):
                out = (e.xreplace({T: sp.S.Zero}), sp.diff(e, T).xreplace({T: sp.S.Zero}), True)
            else:
                out = (base ** ex, ex * base ** (ex - 1) * dbase, True)
    memo[e] = out
    return out


def _scalar(factors) -> sp.Expr:
    return sp.Mul(*[factor_expr(f) for f in factors])


def matrix_gradient(first_order: Poly, delta: sp.MatrixSymbol) -> list[tuple[sp.Expr, Word]]:
    """The gradient in a matrix block, as ``sum c W``, from the first-order coefficient."""
    out = []
    for (factors, noises), c in first_order.terms.items():
        hit = [f for f in factors if any(a.expr == delta for a in f.word)]
        if not hit:
            continue
        if len(hit) > 1:
            raise ValueError("the first-order coefficient is not linear in the direction")
        f = hit[0]
        if not isinstance(f, Tr):
            raise NotImplementedError("gradient through a bilinear form of constants (rank-one term)")
        w = f.word
        pos = [i for i, a in enumerate(w) if a.expr == delta]
        if len(pos) != 1:
            raise ValueError("the first-order coefficient is not linear in the direction")
        i = pos[0]
        rot = w[i:] + w[:i]
        rest = rot[1:]
        grad = rest if rot[0].transposed else transpose(rest)
        others = [g for g in factors if g is not f]
        out.append((c * _scalar(others), simplify_word(grad)))
    return out


def _collect(terms):
    acc: dict = {}
    for c, *rest in terms:
        key = tuple(rest)
        acc[key] = acc.get(key, 0) + c
    out = []
    for k, c in acc.items():
        try:
            # sympy.factor's expression depends on the rational function alone (symbolic.ratfun):
            # factored as it comes, not after expand and together; the expansion is needed only
            # to tell whether a sum that is 0 as a function was 0 as written (then dropped)
            f = ratfun.factor(c)
            if f == 0 and _expand(c) == 0:
                continue
        except (ratfun.NotRational, ZeroDivisionError):
            c = _expand(c)
            if c == 0:
                continue
            f = ratfun.factored(ratfun.together(c))
        out.append((f,) + k)
    return out


def inverse_of_sum(terms: list[tuple[sp.Expr, Word]], name: tuple[str, str] | None = None) -> tuple[sp.Expr, Word]:
    """``(sum_k c_k W_k)^{-1}`` as ``c * word``, simplified.

    A single term inverts atom by atom; an atom common to the left (right) of every term
    factors out, ``(A S)^{-1} = S^{-1} A^{-1}``; what is left becomes one opaque atom, made
    monic by the coefficient of its longest word, and named ``name = (name, latex)`` if given
    (see :mod:`symbolic.definitions`).
    """
    terms = _collect(terms)
    if not terms:
        raise ZeroDivisionError("the matrix to invert is zero")
    left: Word = ()
    right: Word = ()
    while all(len(w) >= 1 for _, w in terms) and len({w[0] for _, w in terms}) == 1 and len(terms) > 1:
        left += (terms[0][1][0],)
        terms = [(c, w[1:]) for c, w in terms]
    while all(len(w) >= 1 for _, w in terms) and len({w[-1] for _, w in terms}) == 1 and len(terms) > 1:
        right = (terms[0][1][-1],) + right
        terms = [(c, w[:-1]) for c, w in terms]
    if len(terms) == 1:
        c, w = terms[0]
        core_c, core = 1 / c, inverse_word(w)
    else:
        lead = max(terms, key=lambda t: len(t[1]))[0]
        parts = [scale(ratfun.factored(ratfun.together(c / lead)), word_expr(w)) if c != lead else word_expr(w)
                 for c, w in sorted(terms, key=lambda t: -len(t[1]))]
        symmetric = all(transpose(w) == w for _, w in terms)
        inv = sp.Inverse(sp.MatAdd(*parts))
        atom = Atom(_define_unique(name, inv) if name else inv, symmetric=symmetric)
        core_c, core = 1 / lead, (atom,)
    return ratfun.factored(core_c), simplify_word(inverse_word(right) + core + inverse_word(left))


def _define_unique(name: tuple[str, str], expr: sp.Basic):
    """``define(name, expr)``, or, where that name already stands for another matrix,
    the first free ``name_2``, ``name_3``... (two derivations may both want ``H_oo_inv``)."""
    from .definitions import DEFINITIONS
    base, tex = name
    candidate, k = base, 1
    while candidate in DEFINITIONS and DEFINITIONS[candidate][0] != expr:
        k += 1
        candidate = f"{base}_{k}"
    return define(candidate, expr, tex if k == 1 else rf"{tex}^{{({k})}}")


def solve_matrix(gradient: list[tuple[sp.Expr, Word]], unknown: Atom,
                 name: tuple[str, str] | None = None) -> MatExpr:
    """Solve ``sum c L Gamma R + C = 0`` for ``Gamma`` when every term shares one right factor R."""
    lin, const = [], []
    for c, w in gradient:
        pos = [i for i, a in enumerate(w) if a.expr == unknown.expr]
        if not pos:
            const.append((c, w))
        elif len(pos) == 1 and not w[pos[0]].transposed:
            lin.append((c, w[:pos[0]], w[pos[0] + 1:]))
        else:
            raise NotImplementedError("the first-order condition is not of the form L Gamma R")
    rights = {r for _, _, r in lin}
    if len(rights) != 1:
        raise NotImplementedError("a Sylvester equation (several right factors) is not supported")
    (R,) = rights
    ci, winv = inverse_of_sum([(c, l) for c, l, _ in lin], name)
    return tuple(_collect([(-ci * c, simplify_word(winv + w + inverse_word(R))) for c, w in const]))
