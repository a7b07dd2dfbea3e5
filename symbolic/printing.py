"""SymPy objects for the engine's scalars, with maths printing.

``tr(W)`` is SymPy's :class:`~sympy.Trace`; the bilinear form ``a^T W b`` of constant
vectors is :class:`Bilinear`, a commutative scalar that prints as ``a^{T} W b`` in LaTeX,
``a.T*W*b`` in ``str`` and evaluates with explicit matrices by ``.doit()``.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

__all__ = ["Bilinear"]


class Bilinear(sp.Expr):
    """The scalar ``a^T W b`` (``a``, ``b`` d x 1, ``W`` d x d matrix expressions)."""

    is_commutative = True

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

    def _latex(self, printer: LatexPrinter) -> str:
        l, r = printer._print(self.left), printer._print(self.right)
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
        lt = prettyForm(*l.right("ᵀ"))
        if self._middle_is_identity():
            return prettyForm(*lt.right(r))
        m = printer._print(self.middle)
        if isinstance(self.middle, sp.MatAdd):
            m = prettyForm(*m.parens())
        return prettyForm(*prettyForm(*lt.right(m)).right(r))


def latex(expr: sp.Basic, **settings) -> str:
    """LaTeX that needs only amsmath: SymPy's ``latex`` with the identity printed ``I``
    (not ``\\mathbb{I}``) and the trace as ``\\operatorname{tr}``."""
    out = sp.latex(expr, **settings)
    return out.replace(r"\mathbb{I}", "I")
