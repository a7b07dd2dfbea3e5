"""Matrix words: products of d x d matrix atoms, and their canonical forms.

A *word* ``W = A_1 A_2 ... A_k`` is a tuple of :class:`Atom` (the empty word is the
identity ``I_d``).  The expectation engine produces two kinds of scalars from words:

* traces ``tr(W)``, invariant under rotation ``tr(AB) = tr(BA)`` and transposition
  ``tr(W) = tr(W^T)``;
* bilinear forms ``a^T W b`` of constant vectors, invariant under
  ``a^T W b = b^T W^T a``.

Both are stored in a canonical orientation so that equal scalars have equal keys and
like terms merge.  Adjacent atoms ``A A^{-1}`` cancel; ``tr(I_d) = d``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import sympy as sp

__all__ = ["Atom", "Word", "transpose", "simplify_word", "canonical_trace",
           "inverse_word", "word_expr", "DIM"]

#: The symbolic dimension d of x (an integer >= 1).
DIM = sp.Symbol("d", integer=True, positive=True)
#: Number of in-context examples n (integer >= 0); re-exported by :mod:`symbolic.objective`.
N = sp.Symbol("n", integer=True, nonnegative=True)


@dataclass(frozen=True)
class Atom:
    """One d x d matrix factor of a word.

    ``expr`` is the SymPy matrix expression the atom stands for (a ``MatrixSymbol``,
    its ``Inverse``, or an opaque derived matrix such as ``(Sigma + c I)^{-1}``);
    ``symmetric`` says ``expr^T = expr``; ``transposed`` marks ``expr^T`` (always False
    for symmetric atoms).
    """

    expr: sp.Basic
    symmetric: bool = False
    transposed: bool = False

    def __post_init__(self) -> None:
        if self.symmetric and self.transposed:
            object.__setattr__(self, "transposed", False)

    @cached_property
    def sort_key(self) -> tuple[str, bool]:
        return (expr_key(self.expr), self.transposed)

    @cached_property
    def _hash(self) -> int:
        return hash((self.expr, self.symmetric, self.transposed))

    def __hash__(self) -> int:  # cached: atoms are hashed in every monomial key
        return self._hash

    @property
    def T(self) -> "Atom":
        if self.symmetric:
            return self
        return Atom(self.expr, False, not self.transposed)

    @property
    def matrix(self) -> sp.Basic:
        """The SymPy matrix expression, transposed where marked."""
        return sp.Transpose(self.expr) if self.transposed else self.expr

    def is_inverse_of(self, other: "Atom") -> bool:
        if self.transposed != other.transposed:
            return False
        a, b = self.expr, other.expr
        return (isinstance(a, sp.Inverse) and a.arg == b) or (isinstance(b, sp.Inverse) and b.arg == a)

    def inverse(self) -> "Atom":
        e = self.expr.arg if isinstance(self.expr, sp.Inverse) else sp.Inverse(self.expr)
        return Atom(e, self.symmetric, self.transposed)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.expr}{'^T' if self.transposed else ''}"


Word = tuple[Atom, ...]


@lru_cache(maxsize=None)
def expr_key(e: sp.Basic) -> str:
    """A total order on SymPy objects (their ``srepr``), cached."""
    return sp.srepr(e)


def word_key(w: Word) -> tuple:
    return tuple(a.sort_key for a in w)


def transpose(w: Word) -> Word:
    """``(A_1 ... A_k)^T = A_k^T ... A_1^T``."""
    return tuple(a.T for a in reversed(w))


def simplify_word(w: Word) -> Word:
    """Cancel adjacent inverse pairs ``A A^{-1}`` until none is left."""
    out: list[Atom] = []
    for a in w:
        if out and out[-1].is_inverse_of(a):
            out.pop()
        else:
            out.append(a)
    return tuple(out)


def inverse_word(w: Word) -> Word:
    """``(A_1 ... A_k)^{-1} = A_k^{-1} ... A_1^{-1}`` (every atom assumed invertible)."""
    return tuple(a.inverse() for a in reversed(w))


def _cyclic_simplify(w: Word) -> Word:
    w = simplify_word(w)
    while len(w) >= 2 and w[-1].is_inverse_of(w[0]):
        w = w[1:-1]
    return w


def canonical_trace(w: Word) -> Word:
    """The representative of ``tr(w)`` under rotation and transposition."""
    w = _cyclic_simplify(w)
    if not w:
        return w
    candidates = []
    for base in (w, transpose(w)):
        for i in range(len(base)):
            candidates.append(base[i:] + base[:i])
    return min(candidates, key=word_key)


def word_expr(w: Word) -> sp.Basic:
    """The SymPy matrix expression of a word (``Identity(d)`` for the empty word)."""
    if not w:
        return sp.Identity(DIM)
    if len(w) == 1:
        return w[0].matrix
    return sp.MatMul(*[a.matrix for a in w], evaluate=False)
