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
way the expression is built, not only on its value.  :func:`polynomial_expand` then runs SymPy's
own algorithm (:func:`sympy_expand`), as it does for anything else (a float, a function, a
square root), with what it computes for each subexpression remembered; :func:`expand` always
does (cheaper where most expressions have a sum in a denominator, as the engine's coefficients).

:func:`sympy_expand` is ``Expr.expand`` with its default hints, step for step: each hint applied
over the whole tree, children first (``Expr._expand_hint``), then ``multinomial``, ``mul`` and
``log`` again until nothing changes; the result of each hint at each subexpression is a function
of that subexpression alone, and is remembered (within a call and across calls, up to
:data:`MEMO_SIZE` entries), as the engine's coefficients repeat their denominators, weights and
blocks in every term.  A matrix expression, or a class with its own ``expand``, goes to SymPy.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.core.expr import Expr
from sympy.core.parameters import global_parameters
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyRing

__all__ = ["NotLaurent", "laurent_expand", "sympy_expand", "expand", "polynomial_expand", "MEMO_SIZE"]


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


#: ``sympy.expand``'s default hints, as ``Expr.expand`` passes them to each ``_eval_expand_*``
_HINTS = dict(power_base=True, power_exp=True, mul=True, log=True, multinomial=True, basic=True)
#: the order ``Expr.expand`` applies them in (sorted, ``mul`` last)
_ORDER = tuple("_eval_expand_" + h for h in sorted(_HINTS, key=lambda h: "mulz" if h == "mul" else h))
#: entries remembered (all hints together) before the memory is emptied
MEMO_SIZE = 200_000
_MEMO: dict = {h: {} for h in _ORDER}
#: SymPy's global parameters (evaluate, distribute, exp_is_pow) under which results are remembered
_PARAMETERS = (True, True, False)
_SIZE = [0]


def _hint(expr: sp.Basic, hint: str, memo: dict) -> tuple:
    """``Expr._expand_hint(expr, hint, deep=True, **_HINTS)``: (result, whether anything changed),
    each subexpression's remembered in ``memo``."""
    try:
        return memo[expr]
    except KeyError:
        pass
    except TypeError:   # not hashable: as SymPy does, unremembered
        return Expr._expand_hint(expr, hint, **_HINTS)
    new, hit = expr, False
    args = getattr(expr, "args", ())
    if args and not expr.is_Atom:
        sargs = []
        for arg in args:
            arg, arghit = _hint(arg, hint, memo)
            hit |= arghit
            sargs.append(arg)
        if hit:
            new = expr.func(*sargs)
    out = (new, hit)
    method = getattr(new, hint, None)
    if method is not None:
        newexpr = method(**_HINTS)
        if newexpr != new:
            out = (newexpr, True)
    memo[expr] = out
    _SIZE[0] += 1
    return out


def sympy_expand(e: sp.Expr) -> sp.Expr:
    """``sympy.expand(e)`` (default hints), the same expression, by SymPy's own steps with each
    subexpression's results remembered (module docstring)."""
    e = sp.sympify(e)
    if (not isinstance(e, Expr) or e.is_Matrix or type(e).expand is not Expr.expand
            or _PARAMETERS != (global_parameters.evaluate, global_parameters.distribute, global_parameters.exp_is_pow)):
        return sp.expand(e)   # (what is remembered was built under SymPy's default parameters)
    if _SIZE[0] > MEMO_SIZE:
        for m in _MEMO.values():
            m.clear()
        _SIZE[0] = 0
    expr = e
    for h in _ORDER:
        expr, _ = _hint(expr, h, _MEMO[h])
    again = [(h, _MEMO[h]) for h in ("_eval_expand_multinomial", "_eval_expand_mul", "_eval_expand_log")]
    while True:
        was = expr
        for h, memo in again:
            expr, _ = _hint(expr, h, memo)
        if expr == was:
            return expr


def expand(e: sp.Expr) -> sp.Expr:
    """``sympy.expand(e)`` (default hints), the same expression: :func:`sympy_expand`."""
    return sympy_expand(e)


def polynomial_expand(e: sp.Expr) -> sp.Expr:
    """``sympy.expand(e)`` (default hints), the same expression: by :func:`laurent_expand` where
    ``e`` is a Laurent polynomial of generators (faster there), by :func:`sympy_expand` otherwise.
    For callers whose expressions are mostly polynomials; elsewhere :func:`expand` (the test for
    a Laurent polynomial costs a walk over the expression)."""
    try:
        return laurent_expand(e)
    except NotLaurent:
        return sympy_expand(e)
