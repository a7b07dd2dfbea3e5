"""The bilinear form ``a^T W b`` of constant vectors: the engine's scalar beside ``tr(W)``.

:class:`Bilinear` is a commutative SymPy scalar with ``a``, ``b`` d x 1 and ``W`` d x d matrix
expressions; it prints as ``a^{T} W b`` in LaTeX, ``(a.T*W*b)`` in ``str``, ``aᵀ W b`` pretty, and
evaluates with explicit matrices by ``.doit()``. Its printing methods live with it, as SymPy's
own classes carry theirs; :mod:`symbolic.printing` holds the paper's LaTeX printer.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, PRECEDENCE_TRADITIONAL

__all__ = ["Bilinear"]


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
