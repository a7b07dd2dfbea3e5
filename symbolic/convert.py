"""From the engine's polynomials to ordinary SymPy scalar expressions, and back to keys."""
from __future__ import annotations

import sympy as sp

from . import ratfun
from .bilinear import Bilinear
from .forms import Form, Poly, Tr
from .words import N, word_expr

__all__ = ["factor_expr", "to_sympy", "rational_parts", "rational_limit", "limit_n", "limit_poly"]


def factor_expr(f: Form | Tr) -> sp.Expr:
    """The SymPy scalar of one closed factor: ``Trace(W)`` or ``Bilinear(a, W, b)``."""
    if isinstance(f, Tr):
        return sp.Trace(word_expr(f.word))
    if f.left.is_gaussian or f.right.is_gaussian:
        raise ValueError(f"factor still depends on a Gaussian vector: {f}")
    return Bilinear(f.left.obj, word_expr(f.word), f.right.obj)


def to_sympy(p: Poly) -> sp.Expr:
    """``sum coeff * prod factors`` as a SymPy expression (noise must be integrated out)."""
    out = []
    for (factors, noises), c in p.terms.items():
        if noises:
            raise ValueError("noise variables are still present; take their expectation first")
        out.append(sp.Mul(c, *[factor_expr(f) for f in factors]))
    return sp.Add(*out)


def _rational_parts(expr: sp.Expr, first: sp.Symbol | None = None):
    """``expr = num / den`` with ``num``, ``den`` polynomials over QQ (sparse, ``sympy.polys``)
    in the gens (its symbols; traces and bilinear forms replaced by indeterminates):
    ``(num, den, gens, back)`` (``back`` maps those indeterminates to the matrix scalars), or
    ``None`` when ``expr`` is not a rational function of its symbols (sqrt, functions,
    floats...).  ``first`` is put first among the gens.  The fraction is not reduced (no gcd):
    terms over the same denominator are added, distinct denominators multiplied."""
    from sympy.polys.domains import QQ
    from sympy.polys.polyerrors import CoercionFailed, GeneratorsNeeded, PolynomialError
    from sympy.polys.rings import PolyRing
    expr = sp.sympify(expr)
    reps = {t: sp.Dummy(f"k{i}") for i, t in enumerate(sorted(expr.atoms(sp.Trace, Bilinear), key=sp.srepr))}
    e = expr.xreplace(reps) if reps else expr
    for a in e.atoms():
        if not (a.is_Symbol or a.is_Rational):
            return None
    if e.atoms(sp.Function) or any(not p.exp.is_Integer for p in e.atoms(sp.Pow)):
        return None
    gens = sorted(e.free_symbols, key=sp.default_sort_key)
    if first is not None:
        gens = [first] + [g for g in gens if g != first]
    if not gens:
        return None
    R = PolyRing(gens, QQ)
    groups: dict = {}
    try:
        for t in sp.Add.make_args(e):
            nt, dt = t.as_numer_denom()
            pd = R.from_expr(dt)
            groups[pd] = groups.get(pd, R.zero) + R.from_expr(nt)
    except (CoercionFailed, GeneratorsNeeded, PolynomialError, ValueError):
        return None
    dens = list(groups)
    num, den = R.zero, R.one
    for i, d in enumerate(dens):
        den *= d
        part = groups[d]
        for j, other in enumerate(dens):
            if j != i:
                part *= other
        num += part
    return num, den, gens, {v: k for k, v in reps.items()}


#: ``expr = num / den`` over QQ, unreduced (see :func:`_rational_parts`): ``(num, den, gens, back)`` or None
rational_parts = _rational_parts


def rational_limit(expr: sp.Expr, n: sp.Symbol) -> sp.Expr | None:
    """The leading-coefficient ratio ``LC_n(num) / LC_n(den)`` of a rational function of ``n``
    (``lim_{n -> oo}`` when the degrees are equal), ``0`` when the denominator's degree is
    larger, computed exactly in QQ(gens) (``sympy.polys``); raises ``ValueError`` when the
    numerator's degree is larger (divergence); ``None`` when ``expr`` is not a rational function
    of its symbols, traces and bilinear forms (the caller then falls back on ``together``).
    The ratio is reduced (the gcd of the two leading coefficients divided out, in the ring:
    what makes the caller's ``factor`` cheap), not factored: the caller factors it."""
    parts = _rational_parts(expr, n)
    if parts is None:
        return None
    num, den, gens, back = parts
    if gens[0] != n:  # n does not occur: the limit is the expression
        return None
    if not num:
        return sp.S.Zero
    dn, dd = num.degree(0), den.degree(0)
    if dn > dd:
        raise ValueError("the expression diverges as n -> oo")
    if dn < dd:
        return sp.S.Zero
    _, top, bottom = num.coeff_wrt(0, dn).cofactors(den.coeff_wrt(0, dd))
    lc = top.as_expr() / bottom.as_expr()
    return lc.xreplace(back) if back else lc


def limit_n(expr: sp.Expr, n: sp.Symbol = N, factor: bool = True) -> sp.Expr:
    """``lim_{n -> oo}`` of an expression rational in ``n`` (traces, bilinears are constants),
    factored; ``factor=False``: the same rational function as it comes (the leading-coefficient
    ratio, 0 exactly when the limit is 0), for a caller that only tests for 0."""
    done = ratfun.factored if factor else (lambda e: e)
    fast = rational_limit(expr, n)  # exact, in QQ(gens); None outside rational functions
    if fast is not None:
        return done(fast)
    num, den = sp.fraction(sp.together(expr))
    pn, pd = sp.Poly(sp.expand(num), n), sp.Poly(sp.expand(den), n)
    if pn.degree() > pd.degree():
        raise ValueError("the expression diverges as n -> oo")
    if pn.degree() < pd.degree():
        return sp.S.Zero
    return done(pn.LC() / pd.LC())


def limit_poly(p: Poly, n: sp.Symbol = N, factor: bool = True) -> Poly:
    """``lim_{n -> oo}`` of an engine polynomial, coefficient by coefficient (each is rational in n),
    each factored (``factor=False``: as :func:`limit_n` leaves it, for a zero test)."""
    out = {}
    for key, c in p.terms.items():
        lim = limit_n(c, n, factor) if n in sp.sympify(c).free_symbols else c
        if lim != 0:
            out[key] = lim
    return Poly(out)
