"""From the engine's polynomials to ordinary SymPy scalar expressions, and back to keys."""
from __future__ import annotations

import sympy as sp

from .forms import Form, Poly, Tr
from .printing import Bilinear
from .words import word_expr

__all__ = ["factor_expr", "to_sympy"]


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
