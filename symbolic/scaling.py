"""``c * M``, a scalar times a matrix expression, built as SymPy builds it, without its zero query.

SymPy's ``c * M`` (``MatrixExpr.__rmul__``) is ``MatMul(c, M).doit()``: ``c.doit()``, ``M.doit()``,
then the rules of ``sympy.matrices.expressions.matmul.canonicalize`` until none applies.  One rule,
``any_zeros``, asks ``c.is_zero``; on a long rational function (a coefficient of a derived
strategy) that assumption query is most of the cost.  The other rules look at ``c`` only through
``c.is_Rational`` (``distribute_monom``), ``c == 1`` (``newmul``, ``rm_id``, ``factor_in_front``) and
``Mul(*scalars)``: for a ``c`` that is not a number and not 0 they decide exactly as for a fresh
symbol ``D`` that carries no assumption.

So :func:`scale` decides ``c != 0`` exactly (a product of integer powers of sums of distinct
monomials with nonzero rational coefficients, read off the tree, else
:func:`symbolic.ratfun.is_zero`: the numerator of a rational function of symbols, traces and
bilinear forms is the zero polynomial; no generator declared zero), canonicalises
``D * M`` instead, and where the result is ``MatMul(D, A_1, ..., A_k)`` with ``D`` nowhere else (the
scalar alone in front, as ``factor_in_front`` leaves it) returns ``MatMul(c.doit(), A_1, ..., A_k)``:
the tree ``c * M`` gives, argument for argument (``srepr``-identical).  Anything else (a number, a
zero, a coefficient ``ratfun`` cannot read, e.g. with ``sqrt(2)``, a template of another shape)
goes through ``c * M`` itself.  Nothing is written into SymPy's caches.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions.matmul import MatMul

from . import ratfun

__all__ = ["scale"]

#: the placeholder scalar: commutative, no assumptions (``is_zero`` is None, not a number, != 1)
_D = sp.Dummy("scale")


@lru_cache(maxsize=1024)
def _template(M: sp.Basic) -> tuple | None:
    """The matrices ``(A_1, ..., A_k)`` of ``D * M`` canonicalised, when it is ``MatMul(D, A_1..)``
    (a function of ``M`` alone: remembered within the process, keyed by SymPy's structural
    equality; never ``D`` itself)."""
    t = _D * M
    if isinstance(t, MatMul) and t.args[0] is _D and len(t.args) > 1 \
            and not any(a.has(_D) for a in t.args[1:]):
        return t.args[1:]
    return None


def _generator(e: sp.Expr) -> bool:
    """A symbol, trace or bilinear form (an indeterminate of :mod:`symbolic.ratfun`) that SymPy
    does not know to be 0 (a symbol declared zero is one SymPy's product would see as 0)."""
    return (e.is_Symbol or isinstance(e, (sp.Trace, _bilinear()))) and e.is_zero is not True


def _monomial(t: sp.Expr) -> frozenset | None:
    """The exponents ``{generator: k}`` of a term ``q g_1^k_1 ... g_r^k_r`` (q a nonzero rational,
    distinct generators, integer k), or None for any other term."""
    out: dict = {}
    for f in sp.Mul.make_args(t):
        if f.is_Rational:
            if f == 0:
                return None
            continue
        base, k = (f.base, f.exp) if f.is_Pow else (f, sp.S.One)
        if not k.is_Integer or not _generator(base) or base in out:
            return None
        out[base] = k
    return frozenset(out.items())


def _nonzero(e: sp.Expr) -> bool:
    """True when ``e`` is certainly not the zero function, read off its tree: a nonzero rational;
    a generator; an integer power or a product of such; a sum of terms with distinct monomials
    (a nonzero Laurent polynomial in independent indeterminates).  False means "not shown"."""
    if e.is_Rational:
        return e != 0
    if e.is_Pow:
        return e.exp.is_Integer and _nonzero(e.base)
    if e.is_Mul:
        return all(_nonzero(a) for a in e.args)
    if e.is_Add:
        seen: set = set()
        for t in e.args:
            m = _monomial(t)
            if m is None or m in seen:
                return False
            seen.add(m)
        return True
    return _generator(e)


def _bilinear():
    from .bilinear import Bilinear
    return Bilinear


def _known_nonzero(c: sp.Expr) -> bool:
    """``c`` is not 0 and SymPy cannot find it 0: :func:`_nonzero`, else the exact test of
    :func:`symbolic.ratfun.is_zero` with no generator declared zero."""
    if _nonzero(c):
        return True
    return ratfun.is_zero(c) is False and all(_generator(g) for g in
                                               c.atoms(sp.Symbol, sp.Trace, _bilinear()))


def scale(c: object, M: sp.Basic) -> sp.Basic:
    """``c * M`` for a scalar ``c`` and a matrix expression ``M``: the same SymPy tree, without
    asking ``c.is_zero`` (see the module docstring for why it is the same)."""
    c = sp.sympify(c)
    if not isinstance(c, sp.Expr) or c.is_Number or not c.is_commutative \
            or not isinstance(M, sp.MatrixExpr) or not _known_nonzero(c):
        return c * M
    mats = _template(M)
    if mats is None:
        return c * M
    return MatMul(c.doit(), *mats)
