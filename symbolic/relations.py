"""Rewrite words with the defining relation of a derived matrix.

A derived matrix such as the pretrained query block ``Gamma = (Sigma + c I)^{-1}`` is an
opaque atom for the engine, which therefore cannot see that ``Sigma Gamma = I - c Gamma``.
This module applies such relations, ``A B -> sum_k c_k W_k``, to every word of a polynomial
until none applies, so identities that hold by the definition become visible as zeros.
"""
from __future__ import annotations

from collections import defaultdict

import sympy as sp

from .expansion import expand as _expand
from .forms import Poly, Tr, form, trace
from .model import SIGMA_ATOM
from .words import Atom, Word

__all__ = ["Relations", "resolvent_relations", "apply_relations"]

Relations = dict[tuple[Atom, Atom], tuple[tuple[sp.Expr, Word], ...]]


def resolvent_relations(gamma: Atom) -> Relations:
    """For ``gamma = (Sigma + c I)^{-1}``: ``Sigma gamma = gamma Sigma = I - c gamma``."""
    from .definitions import definition
    expr = definition(gamma.expr) if definition(gamma.expr) is not None else gamma.expr
    arg = expr.arg if isinstance(expr, sp.Inverse) else None
    if arg is None or not isinstance(arg, sp.MatAdd):
        return {}
    c = sp.S.Zero
    has_sigma = False
    for term in arg.args:
        coeff, mats = term.as_coeff_mmul()
        mats = mats.args if isinstance(mats, sp.MatMul) else (mats,)
        if len(mats) == 1 and mats[0] == SIGMA_ATOM.expr and coeff == 1:
            has_sigma = True
        elif len(mats) == 1 and isinstance(mats[0], sp.Identity):
            c += coeff
        else:
            scal = [m for m in term.args if not getattr(m, "is_Matrix", False)]
            ident = [m for m in term.args if isinstance(m, sp.Identity)]
            if ident and len(ident) + len(scal) == len(term.args):
                c += sp.Mul(*scal)
            else:
                return {}
    if not has_sigma:
        return {}
    rhs = ((sp.S.One, ()), (-c, (gamma,)))
    return {(SIGMA_ATOM, gamma): rhs, (gamma, SIGMA_ATOM): rhs}


def _rewrite(w: Word, rules: Relations, cyclic: bool) -> list[tuple[sp.Expr, Word]] | None:
    n = len(w)
    for i in range(n - 1 + (1 if cyclic and n >= 2 else 0)):
        j = (i + 1) % n
        pair = (w[i], w[j])
        if pair in rules:
            out = []
            for c, r in rules[pair]:
                if j > i:
                    out.append((c, w[:i] + r + w[j + 1:]))
                else:  # wrap-around pair (last, first) of a trace
                    out.append((c, w[1:i] + r))
            return out
    return None


def apply_relations(p: Poly, rules: Relations, expand: bool = True) -> Poly:
    """Rewrite every word of ``p`` with ``rules`` until no rule applies.  ``expand=False`` leaves
    the collected coefficients as sums (the same values, not expanded after each pass), for a
    caller that tests the result for 0 in the field of fractions."""
    if not rules:
        return p
    changed = True
    while changed:
        changed = False
        out: dict = defaultdict(lambda: sp.S.Zero)
        for (factors, noises), coeff in p.terms.items():
            pieces = Poly({((), noises): coeff})
            for f in factors:
                is_tr = isinstance(f, Tr)
                rw = _rewrite(f.word, rules, cyclic=is_tr)
                if rw is None:
                    pieces = pieces * Poly.factor(f)
                    continue
                changed = True
                alt = Poly()
                for c, w in rw:
                    alt = alt + (trace(w) if is_tr else Poly.factor(form(f.left, w, f.right))) * c
                pieces = pieces * alt
            for k, c in pieces.terms.items():
                out[k] += c
        p = Poly({k: _expand(c) for k, c in out.items()} if expand else dict(out))
    return p


def vanishes(p: Poly, rules: Relations | None = None) -> bool:
    """Whether ``p`` is identically zero once the relations are applied (exact, symbolic)."""
    from .convert import to_sympy
    q = apply_relations(p, rules or {})
    if q.is_zero():
        return True
    return sp.simplify(to_sympy(q)) == 0
