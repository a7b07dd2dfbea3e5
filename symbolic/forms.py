"""Polynomials in Gaussian vectors whose coefficients are matrix words.

Every quantity of the model is a polynomial in the Gaussian vectors (the inputs
``x_i ~ N(0, Sigma)``, and in pretraining the task ``theta ~ N(0, I_d)``) and the scalar
noises ``eps_i ~ N(0, sigma^2)``.  It is stored as a sum of monomials; a monomial is a
SymPy coefficient times a product of *factors*:

* :class:`Form` ``l^T W r``: ``l`` and ``r`` are :class:`Leg` s, each either a Gaussian
  vector (``x_1``) or a constant d-vector (``theta_0``), and ``W`` a word.  Linear forms
  ``a^T x``, quadratic forms ``x^T M x`` and cross forms ``x_1^T M x_q`` are all Forms; a Form
  whose legs are both constant is a scalar (a bilinear form of constants);
* :class:`Tr` ``tr(W)``, a scalar;

and a power of each noise variable.  Scalar parameters (``v_0``, ``n``, ``sigma``...) live
in the SymPy coefficient.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Mapping

import sympy as sp

from .words import DIM, Word, canonical_trace, expr_key, simplify_word, transpose, word_key

__all__ = ["Leg", "Form", "Tr", "Poly", "gauss", "const", "form", "trace"]


@dataclass(frozen=True)
class Leg:
    """An end of a :class:`Form`: a Gaussian vector (``kind='g'``, ``obj`` its name) or a
    constant d x 1 SymPy matrix expression (``kind='c'``)."""

    kind: str
    obj: object

    @cached_property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.obj if self.kind == "g" else expr_key(self.obj))

    @property
    def is_gaussian(self) -> bool:
        return self.kind == "g"

    @cached_property
    def _hash(self) -> int:
        return hash((self.kind, self.obj))

    def __hash__(self) -> int:  # cached: legs are hashed in every monomial key
        return self._hash


def gauss(name: str) -> Leg:
    """The leg of the Gaussian vector called ``name``."""
    return Leg("g", name)


def const(vec: sp.Basic) -> Leg:
    """The leg of a constant d-vector (a SymPy ``MatrixSymbol`` of shape (d, 1))."""
    return Leg("c", vec)


@dataclass(frozen=True)
class Form:
    """``left^T word right`` in canonical orientation (use :func:`form` to build one)."""

    left: Leg
    word: Word
    right: Leg

    @cached_property
    def key(self) -> tuple:
        return ("F", self.left.key, word_key(self.word), self.right.key)

    @cached_property
    def _gaussians(self) -> tuple[str, ...]:
        return tuple(leg.obj for leg in (self.left, self.right) if leg.is_gaussian)

    def gaussians(self) -> list[str]:
        return list(self._gaussians)

    @cached_property
    def _hash(self) -> int:
        return hash((self.left, self.word, self.right))

    def __hash__(self) -> int:  # cached: forms are hashed in every monomial key
        return self._hash


@dataclass(frozen=True)
class Tr:
    """``tr(word)`` in canonical rotation; the word is never empty (``tr(I_d)`` is ``d``)."""

    word: Word

    @cached_property
    def key(self) -> tuple:
        return ("T", word_key(self.word))

    _gaussians = ()  # no Gaussian leg (a class attribute, not a field)

    def gaussians(self) -> list[str]:
        return []

    @cached_property
    def _hash(self) -> int:
        return hash(("T", self.word))

    def __hash__(self) -> int:
        return self._hash


Factor = Form | Tr
Monomial = tuple[tuple[Factor, ...], tuple[tuple[str, int], ...]]


def form(left: Leg, word: Word, right: Leg) -> Form:
    """Build ``left^T word right`` in canonical orientation."""
    word = simplify_word(word)
    a = (left.key, word_key(word), right.key)
    wt = transpose(word)
    b = (right.key, word_key(wt), left.key)
    return Form(left, word, right) if a <= b else Form(right, wt, left)


def trace(word: Word) -> "Poly":
    """``tr(word)`` as a polynomial (``d`` for the identity)."""
    w = canonical_trace(word)
    if not w:
        return Poly.scalar(DIM)
    return Poly({((Tr(w),), ()): sp.S.One})


def _sorted_factors(fs: Iterable[Factor]) -> tuple[Factor, ...]:
    return tuple(sorted(fs, key=lambda f: f.key))


def _merge_noise(a: tuple[tuple[str, int], ...], b: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    if not a:
        return b
    if not b:
        return a
    acc: dict[str, int] = dict(a)
    for k, p in b:
        acc[k] = acc.get(k, 0) + p
    return tuple(sorted(acc.items()))


class Poly:
    """A sum of monomials ``coeff * factors * noises`` (see the module docstring)."""

    __slots__ = ("terms",)

    def __init__(self, terms: Mapping[Monomial, sp.Expr] | None = None) -> None:
        self.terms: dict[Monomial, sp.Expr] = {}
        if terms:
            for k, c in terms.items():
                # ``c != 0`` decides; a SymPy expression that is not a number is never 0 (a
                # structural comparison with Integer(0)), so it is kept without the comparison
                if getattr(c, "is_Number", True) is False or c != 0:
                    self.terms[k] = c

    @staticmethod
    def _adopt(terms: dict) -> "Poly":
        """``Poly(terms)`` for a dict built for it alone (nobody else holds it): the same terms in
        the same order, the zero coefficients (``Poly``'s test) deleted in place instead of every
        other key inserted again into a new dict (each insertion hashes the key, a tuple of
        factors)."""
        zeros = [k for k, c in terms.items() if not (getattr(c, "is_Number", True) is False or c != 0)]
        for k in zeros:
            del terms[k]
        p = Poly.__new__(Poly)
        p.terms = terms
        return p

    # construction -------------------------------------------------------
    @staticmethod
    def scalar(c: sp.Expr | int) -> "Poly":
        c = sp.sympify(c)
        return Poly({((), ()): c}) if c != 0 else Poly()

    @staticmethod
    def factor(f: Factor) -> "Poly":
        return Poly({((f,), ()): sp.S.One})

    @staticmethod
    def noise(name: str) -> "Poly":
        return Poly({((), ((name, 1),)): sp.S.One})

    # arithmetic ---------------------------------------------------------
    def __add__(self, other: "Poly | sp.Expr | int") -> "Poly":
        if not isinstance(other, Poly):
            other = Poly.scalar(other)
        out = dict(self.terms)   # (a copy keeps the keys' hashes)
        for k, c in other.terms.items():
            # a new monomial keeps its coefficient: ``0 + c`` is ``Add(0, c)``, which SymPy
            # returns as ``c`` itself (the identity is dropped before anything is built)
            size = len(out)
            a = out.setdefault(k, c)
            if len(out) == size:
                out[k] = a + c
        return Poly._adopt(out)

    __radd__ = __add__

    def __neg__(self) -> "Poly":
        return Poly._adopt({k: -c for k, c in self.terms.items()})

    def __sub__(self, other: "Poly | sp.Expr | int") -> "Poly":
        return self + (-other if isinstance(other, Poly) else -sp.sympify(other))

    def __rsub__(self, other: "Poly | sp.Expr | int") -> "Poly":
        return (-self) + other

    def __mul__(self, other: "Poly | sp.Expr | int") -> "Poly":
        if not isinstance(other, Poly):
            c = sp.sympify(other)
            return Poly._adopt({k: v * c for k, v in self.terms.items()})
        # collect the products of each monomial, add them once (SymPy's Add is linear in its
        # arguments, repeated ``+=`` quadratic)
        acc: dict[Monomial, list] = defaultdict(list)
        one = sp.S.One
        if other is self:
            # a square: monomials j, i give what i, j gave (the same key: the factors sorted, the
            # noise powers merged by name; the same coefficient: SymPy's Mul of commuting
            # scalars is canonical, whatever the order of its arguments), so each product of
            # two different monomials is built once and met again in the loop's own order
            items = list(self.terms.items())
            seen: list[list] = [[None] * len(items) for _ in items]
            for i, ((fa, na), ca) in enumerate(items):
                row = seen[i]
                for j, ((fb, nb), cb) in enumerate(items):
                    if j < i:
                        key, c = seen[j][i]
                    else:
                        key = (_sorted_factors(fa + fb) if fa and fb else (fa or fb), _merge_noise(na, nb))
                        c = cb if ca is one else ca if cb is one else ca * cb
                        row[j] = (key, c)
                    acc[key].append(c)
        else:
            for (fa, na), ca in self.terms.items():
                for (fb, nb), cb in other.terms.items():
                    key = (_sorted_factors(fa + fb) if fa and fb else (fa or fb), _merge_noise(na, nb))
                    acc[key].append(cb if ca is one else ca if cb is one else ca * cb)
        return Poly._adopt({k: v[0] if len(v) == 1 else sp.Add(*v) for k, v in acc.items()})

    __rmul__ = __mul__

    def __pow__(self, k: int) -> "Poly":
        out = Poly.scalar(1)
        for _ in range(k):
            out = out * self
        return out

    # inspection ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self.terms)

    def is_zero(self) -> bool:
        return not self.terms

    def expand_coefficients(self) -> "Poly":
        return Poly({k: sp.expand(c) for k, c in self.terms.items()})

    def map_coefficients(self, fn) -> "Poly":
        return Poly({k: fn(c) for k, c in self.terms.items()})

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Poly({len(self.terms)} terms)"
