"""Rank-one matrices ``a b^T`` of constant vectors as atoms of words, and their splitting.

A structured Q_xx (``c theta_0 theta_0^T``, ``Sigma^{-1} theta_0 theta_0^T``...) is a sum of
words some of whose atoms are outer products ``a b^T`` of constant d-vectors
(:func:`outer_atom`).  Such an atom never reaches the expectation engine: a bilinear form
through it factors,

    l^T W_1 (a b^T) W_2 r = (l^T W_1 a) (b^T W_2 r),

so :func:`split_form` turns ``l^T W r`` into a product of forms without outer atoms (and
:func:`split_trace` does ``tr(W_1 a b^T W_2) = b^T W_2 W_1 a``).  The legs ``l``, ``r`` may be
Gaussian: the engine then sees only its usual forms.
"""
from __future__ import annotations

import sympy as sp

from .forms import Leg, Poly, const, form
from .words import Atom, Word

__all__ = ["outer_atom", "is_outer", "outer_legs", "split_form", "split_trace", "has_outer"]


def outer_atom(a: sp.Basic, b: sp.Basic) -> Atom:
    """The d x d atom ``a b^T`` (a, b constant d x 1 matrix symbols)."""
    return Atom(sp.MatMul(a, b.T, evaluate=False), symmetric=a == b)


def is_outer(atom: Atom) -> bool:
    e = atom.expr
    return isinstance(e, sp.MatMul) and len(e.args) == 2 and e.args[0].shape[1] == 1


def outer_legs(atom: Atom) -> tuple[sp.Basic, sp.Basic]:
    """``(a, b)`` with the atom equal to ``a b^T`` (its transpose marks ``b a^T``)."""
    a, bt = atom.expr.args
    b = bt.arg if isinstance(bt, sp.Transpose) else bt.T
    return (b, a) if atom.transposed else (a, b)


def has_outer(word: Word) -> bool:
    return any(is_outer(a) for a in word)


def split_form(left: Leg, word: Word, right: Leg) -> Poly:
    """``left^T word right`` as a product of forms whose words have no outer atom."""
    for i, atom in enumerate(word):
        if is_outer(atom):
            a, b = outer_legs(atom)
            return Poly.factor(form(left, word[:i], const(a))) * split_form(const(b), word[i + 1:], right)
    return Poly.factor(form(left, word, right))


def split_trace(word: Word) -> Poly:
    """``tr(word)`` with an outer atom: ``tr(W_1 a b^T W_2) = b^T W_2 W_1 a``, split further."""
    from .forms import trace
    for i, atom in enumerate(word):
        if is_outer(atom):
            a, b = outer_legs(atom)
            return split_form(const(b), word[i + 1:] + word[:i], const(a))
    return trace(word)
