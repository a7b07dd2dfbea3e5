r"""Substitute matrix atoms of an engine polynomial by sums of words.

A closed form derived at symbolic matrices (``Gamma_1``, ``Sigma``...) is specialised by
replacing an atom A by a :data:`symbolic.model.MatExpr` sum_k c_k W_k inside every trace and
bilinear form: ``tr(.. A ..) -> sum_k c_k tr(.. W_k ..)`` (``A^T`` by the transposed words), the
products expanded, ``tr(I_d) = d``. E.g. ``{Sigma: ((1, ()),)}`` sets Sigma = I_d and
``{Gamma_1: ((gamma_1, ()),)}`` sets Gamma_1 = gamma_1 I_d. No d x d matrix is built.

Public API: :func:`substitute`.
"""
from __future__ import annotations

from itertools import product
from typing import Mapping

import sympy as sp

from .forms import Form, Poly, Tr, form, trace
from .model import MatExpr
from .words import Word, transpose

__all__ = ["substitute"]


def _expand_word(w: Word, mapping: Mapping) -> list[tuple[sp.Expr, Word]]:
    options = []
    for a in w:
        rep = mapping.get(a.expr)
        if rep is None:
            options.append([(sp.S.One, (a,))])
        else:
            options.append([(c, transpose(tuple(ww)) if a.transposed else tuple(ww)) for c, ww in rep])
    out = []
    for combo in product(*options):
        c = sp.Mul(*[o[0] for o in combo])
        out.append((c, tuple(x for o in combo for x in o[1])))
    return out


def substitute(p: Poly, mapping: Mapping[sp.Basic, MatExpr]) -> Poly:
    """``p`` with every atom whose expression is a key of ``mapping`` replaced by its MatExpr."""
    out = Poly()
    cache: dict = {}
    for (factors, noises), coeff in p.terms.items():
        term = Poly({((), noises): coeff})
        for f in factors:
            if f not in cache:
                acc = Poly()
                if isinstance(f, Tr):
                    for c, w in _expand_word(f.word, mapping):
                        acc = acc + trace(w) * c
                else:
                    for c, w in _expand_word(f.word, mapping):
                        acc = acc + Poly.factor(form(f.left, w, f.right)) * c
                cache[f] = acc
            term = term * cache[f]
        out = out + term
    return Poly({k: c for k, c in ((k, sp.expand(c)) for k, c in out.terms.items()) if c != 0})
