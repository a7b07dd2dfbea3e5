"""Named matrices defined by a derivation, e.g. the pretrained ``Gamma_hat = (Sigma + c I)^{-1}``.

A derived matrix is kept as one named symbol in results (short, readable formulas) and its
definition is registered here, so that evaluation, limits and printing can expand it.
"""
from __future__ import annotations

import sympy as sp

from .words import DIM

__all__ = ["DefinedMatrix", "define", "definition", "DEFINITIONS"]

#: name -> (definition, LaTeX name)
DEFINITIONS: dict[str, tuple[sp.Basic, str]] = {}


class DefinedMatrix(sp.MatrixSymbol):
    """A d x d matrix symbol that stands for a registered definition."""

    def _latex(self, printer) -> str:
        return DEFINITIONS.get(self.name, (None, self.name))[1]

    @property
    def definition(self) -> sp.Basic:
        return DEFINITIONS[self.name][0]


def define(name: str, expr: sp.Basic, latex: str | None = None) -> DefinedMatrix:
    """Register ``name := expr`` and return its symbol (re-defining the same name is allowed
    only with an equal definition)."""
    old = DEFINITIONS.get(name)
    if old is not None and old[0] != expr:
        raise ValueError(f"{name}: already defined as {old[0]}, not {expr}")
    DEFINITIONS[name] = (expr, latex or name)
    return DefinedMatrix(name, DIM, DIM)


def definition(sym: sp.Basic) -> sp.Basic | None:
    """The definition of a named matrix, or None."""
    name = getattr(sym, "name", None)
    return DEFINITIONS[name][0] if name in DEFINITIONS else None
