"""``sympy.expand`` for Laurent polynomials, in a polynomial ring: the same expression, faster.

A Laurent polynomial here is built from rational numbers, generators, sums, products and
integer powers, with a negative power only of a generator (never of a sum).  The generators are
commutative symbols, traces and bilinear forms (:class:`symbolic.bilinear.Bilinear`) that
``sympy.expand`` leaves as they are.  Such an expression is a finite sum
``sum_k c_k prod_j g_j^(e_kj)`` (c_k rational, e_kj integers), read here into a
:class:`sympy.polys.rings.PolyElement` over QQ whose monomials may hold negative exponents;
``sympy.expand`` returns exactly that sum, written ``Add(*[Mul(c_k, *[g_j**e_kj])])``:
expanding distributes every product over every sum, collects equal monomials (SymPy's ``Add``
and ``Mul`` do it as they are built) and, with no sum in a denominator, keeps nothing else (no
denominator to put terms over).  SymPy's ``Add`` and ``Mul`` are canonical (their arguments
sorted and combined whatever the order they are given in), so building the same terms from the
ring gives the same expression, term for term (``==`` and ``srepr``), as
tests/test_expansion.py checks on the expressions a ``prove`` run expands.

A sum raised to a negative power (``1/(n + 1)``) is not handled: ``sympy.expand`` writes each
term over the product of its denominators multiplied out (``x/(2(n + 1))`` becomes
``x/(2n + 2)``), at the point of its recursion where it meets them, so its result depends on the
way the expression is built, not only on its value.  :func:`expand` then calls ``sympy.expand``
itself, as it does for anything else (a float, a function, a square root, a matrix expression).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyRing

__all__ = ["NotLaurent", "laurent_expand", "expand"]


class NotLaurent(ValueError):
    """The expression is not a Laurent polynomial of generators with rational coefficients."""


@lru_cache(maxsize=4096)
def _is_generator(e: sp.Basic) -> bool:
    """Whether ``e`` is a generator: a commutative symbol, trace or bilinear form that
    ``sympy.expand`` leaves unchanged (a trace of a product of matrix symbols, not of a sum)."""
    from .bilinear import Bilinear
    if e.is_Symbol:
        return bool(e.is_commutative)
    if isinstance(e, (sp.Trace, Bilinear)) and e.is_commutative:
        return sp.expand(e) == e
    return False


def _generators(e: sp.Basic, out: set, seen: set) -> None:
    if e in seen:
        return
    seen.add(e)
    if e.is_Rational:
        return
    if e.is_Add or e.is_Mul:
        for a in e.args:
            _generators(a, out, seen)
    elif e.is_Pow:
        if not e.exp.is_Integer:
            raise NotLaurent(f"a power with a non-integer exponent: {e}")
        if e.exp.is_negative and not _is_generator(e.base):
            raise NotLaurent(f"a negative power of what is not a generator: {e}")
        _generators(e.base, out, seen)
    elif _is_generator(e):
        out.add(e)
    else:
        raise NotLaurent(f"not a Laurent polynomial of generators: {e}")


def _read(e: sp.Basic, R: PolyRing, index: dict, cache: dict):
    hit = cache.get(e)
    if hit is not None:
        return hit
    if e.is_Rational:
        out = R.ground_new(QQ.from_sympy(e))
    elif e in index:
        out = R.gens[index[e]]
    elif e.is_Add:
        out = R.zero
        for a in e.args:
            out = out + _read(a, R, index, cache)
    elif e.is_Mul:
        out = R.one
        for a in e.args:
            out = out * _read(a, R, index, cache)
    else:  # a power (checked by _generators): of a generator if negative
        k = int(e.exp)
        if k >= 0:
            out = _read(e.base, R, index, cache) ** k
        else:
            monom = [0] * R.ngens
            monom[index[e.base]] = k
            out = R.from_dict({tuple(monom): QQ.one})
    cache[e] = out
    return out


def laurent_expand(e: sp.Expr) -> sp.Expr:
    """``sympy.expand(e)``, the same expression, for a Laurent polynomial ``e`` of generators with
    rational coefficients (module docstring); :class:`NotLaurent` otherwise."""
    e = sp.sympify(e)
    if e.is_Atom:
        if e.is_Rational or _is_generator(e):
            return e
        raise NotLaurent(f"not a Laurent polynomial of generators: {e}")
    gens: set = set()
    _generators(e, gens, set())
    if not gens:   # a number that is not yet a Rational cannot be built from them; be safe
        raise NotLaurent("no generators")
    order = sorted(gens, key=sp.default_sort_key)
    R = PolyRing(tuple(order), QQ)
    p = _read(e, R, {g: i for i, g in enumerate(order)}, {})
    if not p:
        return sp.S.Zero
    to = QQ.to_sympy
    return sp.Add(*[sp.Mul(to(c), *[sp.Pow(g, k) for g, k in zip(order, m) if k]) for m, c in p.items()])


def expand(e: sp.Expr) -> sp.Expr:
    """``sympy.expand(e)`` (default hints), the same expression: by :func:`laurent_expand` where
    ``e`` is a Laurent polynomial of generators, by SymPy otherwise."""
    try:
        return laurent_expand(e)
    except NotLaurent:
        return sp.expand(e)
