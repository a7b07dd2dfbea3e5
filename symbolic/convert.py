"""From the engine's polynomials to ordinary SymPy scalar expressions, and back to keys."""
from __future__ import annotations

import sympy as sp

from .forms import Form, Poly, Tr
from .printing import Bilinear
from .words import word_expr

__all__ = ["factor_expr", "to_sympy", "rational_limit"]


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
    """``expr`` in the field of fractions QQ(gens), with traces and bilinear forms replaced by
    indeterminates: ``(field element, gens, back)`` (``back`` maps those indeterminates to the
    matrix scalars), or ``None`` when ``expr`` is not a rational function of its symbols
    (sqrt, functions, floats...).  ``first`` is put first among the gens."""
    from sympy.polys.domains import QQ
    from sympy.polys.polyerrors import CoercionFailed
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
    K = QQ.frac_field(*gens)
    try:
        f = K.from_sympy(e)
    except (CoercionFailed, ZeroDivisionError):
        return None
    return f, gens, {v: k for k, v in reps.items()}


def rational_limit(expr: sp.Expr, n: sp.Symbol) -> sp.Expr | None:
    """The leading-coefficient ratio ``LC_n(num) / LC_n(den)`` of a rational function of ``n``
    (``lim_{n -> oo}`` when the degrees are equal), ``0`` when the denominator's degree is
    larger, computed exactly in QQ(gens) (``sympy.polys``); raises ``ValueError`` when the
    numerator's degree is larger (divergence); ``None`` when ``expr`` is not a rational function
    of its symbols, traces and bilinear forms (the caller then falls back on ``together``).
    The ratio is not factored: the caller factors it."""
    parts = _rational_parts(expr, n)
    if parts is None:
        return None
    f, gens, back = parts
    if gens[0] != n:  # n does not occur: the limit is the expression
        return None
    num, den = f.numer, f.denom
    dn, dd = num.degree(0), den.degree(0)
    if dn > dd:
        raise ValueError("the expression diverges as n -> oo")
    if dn < dd:
        return sp.S.Zero
    lc = num.coeff_wrt(0, dn).as_expr() / den.coeff_wrt(0, dd).as_expr()
    return lc.xreplace(back) if back else lc
