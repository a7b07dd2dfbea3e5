"""Maths printing of the engine's scalars as a paper sets them.

The scalars are ``tr(W)`` (SymPy's :class:`~sympy.Trace`) and the bilinear form ``a^T W b``
(:class:`symbolic.bilinear.Bilinear`, which carries its own ``str``, pretty and LaTeX methods);
:func:`latex` and :func:`paper_latex` print expressions in them with amsmath only.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .bilinear import Bilinear

__all__ = ["latex", "paper_latex"]


class _PaperPrinter(LatexPrinter):
    """SymPy's LaTeX printer with a paper's conventions: ``\\operatorname{tr}(A)`` (no space,
    no ``\\left(``), ``\\arccos`` rather than ``\\operatorname{acos}``."""

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("inv_trig_style", "full")
        super().__init__(settings)

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        # a bilinear form followed by another factor is bracketed:
        # (\theta^{T} \Sigma \theta_{0}) \theta_{0}^{T} \Sigma \theta_{0}, not one long word
        if isinstance(expr, Bilinear) and not last:
            return True
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_Symbol(self, expr, style="plain"):
        if expr.name == "n_ft":  # the shots of an auxiliary loss: n_{ft} as a paper sets it
            return r"n_{\mathrm{ft}}"
        return super()._print_Symbol(expr, style=style)

    def _print_Trace(self, expr):
        return rf"\operatorname{{tr}}({self._print(expr.arg)})"


def latex(expr: sp.Basic, **settings) -> str:
    """LaTeX that needs only amsmath: SymPy's ``latex`` with the identity printed ``I``
    (not ``\\mathbb{I}``), the trace as ``\\operatorname{tr}(A)`` and inverse trigonometric
    functions as ``\\arccos``."""
    out = _PaperPrinter(settings).doprint(expr)
    return out.replace(r"\mathbb{I}", "I")


def _is_dim_only(e: sp.Basic) -> bool:
    """A factor that depends on the dimension d alone (``1/(d+4)``, ``d+3``...)."""
    names = {getattr(x, "name", None) for x in e.free_symbols}
    return bool(names) and names == {"d"}


def _paper_term(t: sp.Expr, **settings) -> tuple[bool, str]:
    """(negative, LaTeX of |t|), with a numeric or d-only coefficient written first as a
    fraction: ``2 k/(d+4)`` -> ``\\frac{2}{d + 4} k`` (as a paper writes it)."""
    coeff, rest = t.as_coeff_Mul()
    negative = bool(coeff.is_negative)
    coeff = -coeff if negative else coeff
    factors = sp.Mul.make_args(rest) if rest != 1 else ()   # a number alone has no factors
    dim = [f for f in factors if _is_dim_only(f)]
    other = [f for f in factors if not _is_dim_only(f)]
    c = coeff * sp.Mul(*dim)
    if not other or c == 1 or (not dim and not c.is_Rational):
        return negative, latex(coeff * rest, **settings)
    head = latex(c, **settings)
    if isinstance(c, sp.Add):
        head = rf"\left({head}\right)"
    body = sp.Mul(*other)
    tail = latex(body, **settings)
    if isinstance(body, sp.Add):
        tail = rf"\left({tail}\right)"
    return negative, f"{head} {tail}"


def paper_latex(expr: sp.Basic, **settings) -> str:
    """LaTeX of a scalar as a paper writes it: ``sigma^2`` first, and each term's coefficient
    (a number, or a rational function of d) as a fraction in front,
    ``\\sigma^{2} + \\frac{2}{d + 4} \\theta_{0}^{T} \\Sigma \\theta_{0}`` rather than
    ``\\sigma^{2} + \\frac{2 \\theta_{0}^{T} \\Sigma \\theta_{0}}{d + 4}``.  Anything that is
    not a sum (matrices, products, rational functions of d) prints as :func:`latex` does;
    ``settings`` are SymPy's (e.g. ``symbol_names``)."""
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Add) or getattr(expr, "is_Matrix", False):
        return latex(expr, **settings)
    terms = list(expr.as_ordered_terms())
    noise = [t for t in terms if any(getattr(x, "name", None) == "sigma" for x in t.free_symbols)]
    terms = noise + [t for t in terms if t not in noise]
    out = ""
    for i, t in enumerate(terms):
        negative, body = _paper_term(t, **settings)
        if i == 0:
            out = ("- " if negative else "") + body
        else:
            out += (" - " if negative else " + ") + body
    return out.replace(r"\mathbb{I}", "I")
