"""Rational functions of one variable with rational coefficients, reduced by field arithmetic.

An exact value at a concrete setting is often a rational function ``f(x)`` in QQ(x) (x: the
mixing weight lambda, the path parameter p), written as a tree of sums and products.  Reducing it
to one fraction ``N(x) / D(x)`` by ``cancel(together(f))`` rewrites the tree; converting it into
the field QQ(x) does the same exact arithmetic on dense polynomials, several times faster.  The
fraction is the same rational function; where ``f`` does not lie in QQ(x) (other symbols,
irrational coefficients) the conversion falls back to ``cancel(together(f))``.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

__all__ = ["reduced", "num_den"]

_NOT_IN_FIELD = (sp.CoercionFailed, sp.polys.polyerrors.PolynomialError, ValueError, TypeError)


@lru_cache(maxsize=8)
def _field(x: sp.Symbol):
    return sp.QQ.frac_field(x)


def reduced(f: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """``f`` as one reduced fraction ``N(x) / D(x)`` (a SymPy expression)."""
    K = _field(x)
    try:
        return K.to_sympy(K.from_sympy(sp.sympify(f)))
    except _NOT_IN_FIELD:
        return sp.cancel(sp.together(f))


def num_den(f: sp.Expr, x: sp.Symbol) -> tuple[sp.Poly, sp.Poly]:
    """``(N, D)``, polynomials over QQ in x with ``f = N / D`` reduced (``cancel``'s normalisation:
    integer coefficients where it gives them)."""
    num, den = sp.fraction(sp.cancel(reduced(f, x)))
    return sp.Poly(num, x, domain="QQ"), sp.Poly(den, x, domain="QQ")
