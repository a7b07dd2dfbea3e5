"""``c * M``, a scalar times a matrix expression, built as SymPy builds it, without its zero query.

SymPy's ``c * M`` (``MatrixExpr.__rmul__``) is ``MatMul(c, M).doit()``: ``c.doit()``, ``M.doit()``,
then the rules of ``sympy.matrices.expressions.matmul.canonicalize`` until none applies.  One rule,
``any_zeros``, asks ``c.is_zero``; on a long rational function (a coefficient of a derived
strategy) that assumption query is most of the cost.  The other rules look at ``c`` only through
``c.is_Rational`` (``distribute_monom``), ``c == 1`` (``newmul``, ``rm_id``, ``factor_in_front``) and
``Mul(*scalars)``: for a ``c`` that is not a number and not 0 they decide exactly as for a fresh
symbol ``D`` that carries no assumption.

So :func:`scale` decides ``c == 0`` exactly (:func:`symbolic.ratfun.is_zero`: the numerator of a
rational function of symbols, traces and bilinear forms is the zero polynomial), canonicalises
``D * M`` instead, and where the result is ``MatMul(D, A_1, ..., A_k)`` with ``D`` nowhere else (the
scalar alone in front, as ``factor_in_front`` leaves it) returns ``MatMul(c.doit(), A_1, ..., A_k)``:
the tree ``c * M`` gives, argument for argument (``srepr``-identical).  Anything else (a number, a
zero, a coefficient ``ratfun`` cannot read, e.g. with ``sqrt(2)``, a template of another shape)
goes through ``c * M`` itself.  Nothing is written into SymPy's caches.
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matmul import MatMul

from . import ratfun

__all__ = ["scale"]

#: the placeholder scalar: commutative, no assumptions (``is_zero`` is None, not a number, != 1)
_D = sp.Dummy("scale")


def _template(M: sp.Basic) -> tuple | None:
    """The matrices ``(A_1, ..., A_k)`` of ``D * M`` canonicalised, when it is ``MatMul(D, A_1..)``."""
    t = _D * M
    if isinstance(t, MatMul) and t.args[0] is _D and len(t.args) > 1 \
            and not any(a.has(_D) for a in t.args[1:]):
        return t.args[1:]
    return None


def scale(c: object, M: sp.Basic) -> sp.Basic:
    """``c * M`` for a scalar ``c`` and a matrix expression ``M``: the same SymPy tree, without
    asking ``c.is_zero`` (see the module docstring for why it is the same)."""
    c = sp.sympify(c)
    if not isinstance(c, sp.Expr) or c.is_Number or not isinstance(M, sp.MatrixExpr) \
            or ratfun.is_zero(c) is not False:
        return c * M
    mats = _template(M)
    if mats is None:
        return c * M
    return MatMul(c.doit(), *mats)
