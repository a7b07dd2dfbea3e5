"""SymPy objects for the engine's scalars, with maths printing.

``tr(W)`` is SymPy's :class:`~sympy.Trace`; the bilinear form ``a^T W b`` of constant
vectors is :class:`Bilinear`, a commutative scalar that prints as ``a^{T} W b`` in LaTeX,
``a.T*W*b`` in ``str`` and evaluates with explicit matrices by ``.doit()``.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, PRECEDENCE_TRADITIONAL

__all__ = ["Bilinear", "latex", "paper_latex"]


class Bilinear(sp.Expr):
    """The scalar ``a^T W b`` (``a``, ``b`` d x 1, ``W`` d x d matrix expressions)."""

    is_commutative = True

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        PRECEDENCE_TRADITIONAL[cls.__name__] = PRECEDENCE_TRADITIONAL["Bilinear"]  # bracketed the same way

    def __new__(cls, left: sp.Basic, middle: sp.Basic, right: sp.Basic):
        return sp.Expr.__new__(cls, left, middle, right)

    @property
    def left(self) -> sp.Basic:
        return self.args[0]

    @property
    def middle(self) -> sp.Basic:
        return self.args[1]

    @property
    def right(self) -> sp.Basic:
        return self.args[2]

    def doit(self, **hints):
        args = [a.doit(**hints) if hasattr(a, "doit") else a for a in self.args]
        if all(isinstance(a, sp.MatrixBase) for a in args):
            return (args[0].T * args[1] * args[2])[0, 0]
        return Bilinear(*args)

    def _middle_is_identity(self) -> bool:
        return isinstance(self.middle, sp.Identity)

    @staticmethod
    def _vector_needs_parens(x: sp.Basic, transposed: bool) -> bool:
        """Whether a vector argument needs parentheses: a sum always; the transposed one
        (``(S a)^T``) whenever it is not a plain symbol; the right one when it carries a scalar
        coefficient (``a^T W (-b)``)."""
        if isinstance(x, sp.MatAdd):
            return True
        if transposed:
            return not isinstance(x, sp.MatrixSymbol)
        return isinstance(x, sp.MatMul) and any(not getattr(a, "is_Matrix", False) for a in x.args)

    def _latex(self, printer: LatexPrinter) -> str:
        l, r = printer._print(self.left), printer._print(self.right)
        if self._vector_needs_parens(self.left, True):
            l = rf"\left({l}\right)"
        if self._vector_needs_parens(self.right, False):
            r = rf"\left({r}\right)"
        if self._middle_is_identity():
            return f"{l}^{{T}} {r}"
        m = printer._print(self.middle)
        if isinstance(self.middle, sp.MatAdd):
            m = rf"\left({m}\right)"
        return f"{l}^{{T}} {m} {r}"

    def _sympystr(self, printer) -> str:
        def part(x):
            s = printer._print(x)
            return f"({s})" if isinstance(x, (sp.MatAdd, sp.MatMul)) else s
        l, r = part(self.left), part(self.right)
        if self._middle_is_identity():
            return f"({l}.T*{r})"
        m = printer._print(self.middle)
        if isinstance(self.middle, sp.MatAdd):
            m = f"({m})"
        return f"({l}.T*{m}*{r})"

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        l, r = printer._print(self.left), printer._print(self.right)
        if self._vector_needs_parens(self.left, True):
            l = prettyForm(*l.parens())
        if self._vector_needs_parens(self.right, False):
            r = prettyForm(*r.parens())
        uni = printer._use_unicode
        lt = prettyForm(*l.right("ᵀ" if uni else "'*"))
        if self._middle_is_identity():
            out = prettyForm(*lt.right(r))
        else:
            m = printer._print(self.middle)
            if isinstance(self.middle, sp.MatAdd):
                m = prettyForm(*m.parens())
            out = prettyForm(*prettyForm(*lt.right(m)).right(r if uni else prettyForm(*r.left("*"))))
        out.binding = prettyForm.MUL  # parenthesised under a power, as in LaTeX
        return out


#: A product of matrices, ``a^T W b`` binds looser than a power and tighter than a product of
#: scalars: the LaTeX printer brackets it under ``**`` (``(a^T W b)^2``, not ``a^T W b^2``) and
#: not in a product (``2 a^T W b``).  Between ``PRECEDENCE["Mul"]`` (50) and ``PRECEDENCE["Pow"]``
#: (60), for the printers of traditional notation only (``str`` brackets the form itself:
#: ``(a.T*W*b)``; the pretty printer reads :meth:`Bilinear._pretty`'s binding).
PRECEDENCE_TRADITIONAL[Bilinear.__name__] = (PRECEDENCE["Mul"] + PRECEDENCE["Pow"]) // 2


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
