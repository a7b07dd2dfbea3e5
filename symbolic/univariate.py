"""Rational functions of one variable with rational coefficients, reduced by field arithmetic.

An exact value at a concrete setting is often a rational function ``f(x)`` in QQ(x) (x: the
mixing weight lambda, the path parameter p), written as a tree of sums and products.  Reducing it
to one fraction ``N(x) / D(x)`` by ``cancel(together(f))`` rewrites the tree; converting it into
the field QQ(x) does the same exact arithmetic on dense polynomials, several times faster.  The
fraction is the same rational function; where ``f`` does not lie in QQ(x) (other symbols,
irrational coefficients) the conversion falls back to ``cancel(together(f))``.

A fraction kept as a pair of polynomials ``(N, D)`` over QQ is written once in a normal form
(:func:`normal_pair`: N and D coprime, integer coefficients with no common factor, D's leading
coefficient positive), so that equal rational functions give equal pairs; :func:`moebius`
substitutes ``x = y / (1 - y)`` in such a pair without leaving the polynomials.
"""
from __future__ import annotations

from functools import lru_cache
from math import gcd, lcm

import sympy as sp

from .ratfun import from_sympy

__all__ = ["reduced", "in_field", "fraction_pair", "pair_of", "normal_pair", "moebius", "derivative_sign"]

_NOT_IN_FIELD = (sp.CoercionFailed, sp.polys.polyerrors.PolynomialError, ValueError, TypeError)


@lru_cache(maxsize=8)
def _field(x: sp.Symbol):
    return sp.QQ.frac_field(x)


def in_field(f: sp.Expr, x: sp.Symbol):
    """``f`` as an element of the field QQ(x), or None where it does not lie in it."""
    K = _field(x)
    try:
        return from_sympy(sp.sympify(f), K)   # K.from_sympy's element, read in the ring
    except _NOT_IN_FIELD:
        return None


def reduced(f: sp.Expr, x: sp.Symbol, element=None) -> sp.Expr:
    """``f`` as one reduced fraction ``N(x) / D(x)`` (a SymPy expression); ``element``: f's
    element of QQ(x) when already known (:func:`in_field`)."""
    e = in_field(f, x) if element is None else element
    if e is None:
        return sp.cancel(sp.together(f))
    return _field(x).to_sympy(e)


def normal_pair(N: sp.Poly, D: sp.Poly, coprime: bool = False) -> tuple[sp.Poly, sp.Poly]:
    """The fraction ``N / D`` (polynomials over QQ in one variable, D not zero) in its normal
    form: N and D coprime, both scaled by one rational so that their coefficients are integers
    with no common factor and D's leading coefficient is positive; Polys over QQ.  ``coprime``:
    N and D are known to be coprime (no gcd is taken)."""
    if D.is_zero:
        raise ZeroDivisionError("normal_pair: the denominator is the zero polynomial")
    QQ = sp.QQ
    if N.domain != QQ:
        N = N.set_domain(QQ)
    if D.domain != QQ:
        D = D.set_domain(QQ)
    if not coprime:
        g = N.gcd(D)
        if g.degree() > 0:
            N, D = N.exquo(g), D.exquo(g)
    # on the coefficients as elements of QQ (numerator, denominator): no SymPy numbers on the way
    cn, cd = N.rep.to_list(), D.rep.to_list()
    coeffs = [(int(c.numerator), int(c.denominator)) for c in cn + cd]
    den = lcm(*(q for _, q in coeffs))
    num = gcd(*(p * (den // q) for p, q in coeffs))
    scale = QQ(den, num) if num else QQ(den)
    if cd[0] < 0:   # D's leading coefficient
        scale = -scale
    return N.mul_ground(scale), D.mul_ground(scale)


def fraction_pair(f: sp.Expr, x: sp.Symbol) -> tuple[sp.Poly, sp.Poly]:
    """``(N, D)`` with ``f = N / D`` in the normal form of :func:`normal_pair` (``f`` in QQ(x))."""
    e = in_field(f, x)
    if e is None:
        num, den = sp.fraction(sp.cancel(sp.together(f)))
        return normal_pair(sp.Poly(num, x, domain="QQ"), sp.Poly(den, x, domain="QQ"))
    return pair_of(e, x)


def pair_of(element, x: sp.Symbol) -> tuple[sp.Poly, sp.Poly]:
    """An element of QQ(x) (:func:`in_field`) as a pair in the normal form of :func:`normal_pair`
    (a field element's numerator and denominator are coprime: the field cancels them on creation,
    so no gcd is taken again)."""
    return normal_pair(_poly(element.numer, x), _poly(element.denom, x), coprime=True)


def _poly(q, x: sp.Symbol) -> sp.Poly:
    """A polynomial of the ring QQ[x] (a field element's numerator or denominator) as a Poly."""
    return sp.Poly.from_dict(dict(q), x, domain=sp.QQ) if q else sp.Poly(0, x, domain=sp.QQ)


def moebius(N: sp.Poly, D: sp.Poly, y: sp.Symbol) -> tuple[sp.Poly, sp.Poly]:
    """``N(x) / D(x)`` at ``x = y / (1 - y)``, as a pair in y in the normal form of
    :func:`normal_pair`: ``N(y/(1-y)) = Ñ(y) / (1-y)^deg N`` with ``Ñ(y) = sum_k n_k y^k
    (1-y)^(deg N - k)``, the same for D, and the powers of (1 - y) cancelled (the map is a
    bijection of QQ(x) onto QQ(y), so a coprime pair stays coprime)."""
    if N.is_zero:
        return normal_pair(sp.Poly(0, y, domain=sp.QQ), sp.Poly(1, y, domain=sp.QQ))
    QQ = sp.QQ
    N, D = (X if X.domain == QQ else X.set_domain(QQ) for X in (N, D))
    dn, dd = max(N.degree(), 0), max(D.degree(), 0)
    top = max(dn, dd)
    # (1 - y)^j as integer coefficient lists, lowest degree first
    one_minus = [[1]]
    for j in range(top):
        prev = one_minus[-1]
        one_minus.append([(prev[i] if i < len(prev) else 0) - (prev[i - 1] if i >= 1 else 0)
                          for i in range(len(prev) + 1)])

    def homog(P: sp.Poly) -> list:
        """P's coefficients homogenised to degree ``top``, highest degree first (elements of QQ)."""
        out = [QQ.zero] * (top + 1)
        cs = P.rep.to_list()   # highest degree first
        deg = len(cs) - 1
        for j, c in enumerate(cs):
            if not c:
                continue
            k = deg - j
            for i, b in enumerate(one_minus[top - k]):   # y^k (1 - y)^(top - k): the common power
                if b:
                    out[top - k - i] += c * b
        return out
    # N(x)/D(x) = Ñ_top(y) / D̃_top(y), both homogenised to the same degree ``top``, on QQ's elements
    # (no SymPy numbers on the way)
    from sympy.polys.polyclasses import DMP
    from sympy.polys.densebasic import dup_strip
    to_poly = lambda cs: sp.Poly.new(DMP(dup_strip(cs), QQ), y)  # noqa: E731
    return normal_pair(to_poly(homog(N)), to_poly(homog(D)), coprime=True)


def derivative_sign(N: sp.Poly, D: sp.Poly) -> int | None:
    """+1 / -1 if ``d/dx (N/D)`` keeps that sign on x > 0, else None, for a fraction whose N and D
    are coprime (:func:`normal_pair`'s form): ``(N/D)' = (N'D - ND')/D^2`` on the polynomials, with
    no root of ``N'D - ND'`` nor of D on x > 0 by Sturm's count, the sign read at x = 1.  Coprime
    pairs of one rational function differ by a constant c, which scales ``N'D - ND'`` by c^2: the
    verdict is the function's."""
    W = N.diff() * D - N * D.diff()
    for p in (W, D):
        if p.degree() > 0 and p.count_roots(0, None) - (1 if p.eval(0) == 0 else 0) > 0:
            return None
    if W.is_zero:
        return None
    at1 = W.eval(1)
    return 1 if at1 > 0 else -1 if at1 < 0 else None
