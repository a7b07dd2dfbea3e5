r"""Q_xx trained at symbolic d: a structured solution in a finite span of words, checked exactly.

When Q_xx reaches a quadratic loss its first-order condition is a matrix equation

    sum_k P_k Q_xx R_k + sum_j tr(S_j Q_xx) T_j + C = 0,

with rank-one factors (``Sigma theta_0 theta_0^T Sigma``) and traces of the unknown: its
solution needs the inverse of an operator on d x d matrices, not a word.  This module tries
the *ansatz*

    Q_xx = Q_xx^start + c_0 Q_xx^start + sum_k c_k B_k,
    B_k in { P a b^T R :  a, b constant vectors of the loss,  P, R in {I, Sigma^{-1}} }

(the rank-one words of :mod:`symbolic.outer`; ``a, b`` run over the loss's constant vectors:
theta_0, given task vectors, start vectors).  Substituted into the spec's blocks, the loss is
a quadratic in the scalars ``c_k`` (and the other trained blocks), minimised by
:func:`symbolic.quadratic.minimise_quadratic`: that solves the first-order condition
*projected* onto the span (Galerkin).  The candidate is then checked against the *full* matrix
equation: with ``Q_xx = candidate + E`` (E a free d x d matrix symbol) the part of the loss
linear in E is ``tr(G^T E)``; G, a sum of words and outer products ``(W_1 a)(W_2 b)^T``
collected in canonical form, must vanish term by term.  Only then is the candidate returned:
a stationary point of a convex quadratic, hence a minimiser, at symbolic d and Sigma.

Refused (:class:`symbolic.quadratic.NotClosedForm`, with the reason):

* the projected system leaves a span coefficient free: the minimisers form a family at
  symbolic d, and the point gradient descent reaches (the start plus the projection onto the
  range of the Hessian) is not read off the span;
* the check fails: the span does not close (e.g. a task family, whose covariance makes
  ``(a Sigma + b Sigma Omega Sigma)^{-1}`` appear), and the residual's first term is named;
* more than :data:`MAX_VECTORS` constant vectors (the span would grow as their square);
* a task family in the loss (``family=True``): not tried, for the reason above (and its
  Galerkin system is large enough to take minutes).
"""
from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

from . import ratfun
from .convert import factor_expr
from .expansion import expand as _expand
from .forms import Form, Poly, Tr
from .model import SIGMA_INV_ATOM, Blocks
from .outer import outer_atom
from .quadratic import NotClosedForm, Solution, minimise_quadratic, nonzero_terms
from .words import DIM, Atom, simplify_word, transpose

__all__ = ["structured_minimiser", "span_of", "MAX_VECTORS"]

#: largest number of constant vectors the span is built from (4 P a b^T R words per pair; with two
#: vectors, 17 coefficients, the Galerkin solve ran for over 8 minutes at symbolic d and was stopped)
MAX_VECTORS = 1
_CHECK = sp.MatrixSymbol("E_check", DIM, DIM)


def reaches(L: Poly, X: sp.Basic) -> bool:
    """Whether the matrix unknown X appears in some word of the loss."""
    return any(a.expr == X for fs, _ in L.terms for f in fs for a in f.word)


def _constant_vectors(L: Poly, unknown: set) -> list[sp.Basic]:
    out: list = []
    for fs, _ in L.terms:
        for f in fs:
            if isinstance(f, Form):
                for leg in (f.left, f.right):
                    if not leg.is_gaussian and leg.obj not in unknown and leg.obj not in out:
                        out.append(leg.obj)
    return sorted(out, key=sp.srepr)


def span_of(vectors: Sequence[sp.Basic]) -> list[tuple]:
    """The rank-one words ``P a b^T R`` (P, R in {I, Sigma^{-1}}) over the given vectors."""
    words = []
    for a in vectors:
        for b in vectors:
            for P in ((), (SIGMA_INV_ATOM,)):
                for R in ((), (SIGMA_INV_ATOM,)):
                    words.append(P + (outer_atom(a, b),) + R)
    return words


def structured_minimiser(loss_of: Callable[[Blocks], Poly], blocks: Blocks, X: sp.Basic,
                         scalars: Sequence[sp.Symbol], vectors: Sequence[sp.Basic], start: Blocks,
                         substitute: Callable[[Blocks, dict], Blocks],
                         naming: Callable[[int], tuple[str, str] | None] | None = None,
                         starts: dict | None = None, family: bool = False,
                         loss: Poly | None = None) -> tuple[Solution, list[str]]:
    """Minimise the loss over the other unknowns and Q_xx = X in the span (module docstring);
    returns the :class:`Solution` (``values[X]``: the candidate as ``(coeff, word)`` terms)
    and the recorded steps.  Raises :class:`NotClosedForm` with the reason.  ``loss``: the
    caller's ``nonzero_terms(loss_of(blocks, normalise=False))``, if it has it (not rebuilt)."""
    if family:
        raise NotClosedForm("Q_xx with a task family N(mu, Omega) in the loss: the structured span is not tried "
                            "(the family's covariance puts Sigma Omega Sigma beside Sigma in the Hessian, whose "
                            "inverse is no finite sum of the span's words)")
    L = nonzero_terms(loss_of(blocks, normalise=False)) if loss is None else loss
    vecs = _constant_vectors(L, set(vectors))
    if len(vecs) > MAX_VECTORS:
        raise NotClosedForm(f"Q_xx: the loss has {len(vecs)} constant vectors; the structured span is "
                            f"built over at most {MAX_VECTORS}")
    span = span_of(vecs)
    base = list(start.Qxx)
    cs = [sp.Symbol(f"c_{k}") for k in range(len(span) + (1 if base else 0))]
    terms = base + ([(cs[0] * c, w) for c, w in base] if base else [])
    terms += [(c, w) for c, w in zip(cs[1 if base else 0:], span)]
    trial = blocks.with_(Qxx=tuple(terms))
    sol = minimise_quadratic(nonzero_terms(loss_of(trial, normalise=False)), list(scalars) + cs, vectors, (), naming, starts)
    stuck = [c for c in cs if c in sol.free]
    if stuck:
        raise NotClosedForm(
            f"Q_xx: the minimisers form an affine family at symbolic d (the loss is flat along {len(stuck)} of the "
            f"{len(cs)} coefficients of the span over {', '.join(sp.sstr(v) for v in vecs)})")
    cvals = {c: sol.values.get(c, sp.S.Zero) for c in cs}
    cand = _collect([(sp.sympify(c).xreplace(cvals), w) for c, w in terms])
    # -- the exact check: grad_{Q_xx} L = 0 as a matrix, at symbolic d
    # (long coefficients stand as symbols kappa_i through the Wick expansion, substituted after)
    values = {k: v for k, v in sol.values.items() if k not in cvals}
    kappa: dict = {}

    def short(c: sp.Expr) -> sp.Expr:
        if sp.sympify(c).is_number:
            return c
        k = sp.Symbol(f"kappa_{len(kappa)}")
        kappa[k] = c
        return k
    abstract = {u: ([(short(c), w, a) for c, w, a in v] if isinstance(v, list) else short(v)) for u, v in values.items()}
    check = substitute(blocks.with_(Qxx=tuple((short(c), w) for c, w in cand) + ((sp.S.One, (Atom(_CHECK),)),)),
                       abstract)
    residual = _gradient(loss_of(check, normalise=False), kappa)
    if residual:
        (key, coeff), = list(residual.items())[:1]
        raise NotClosedForm(
            f"Q_xx: the span does not close: the candidate solves the first-order condition projected onto "
            f"{len(cs)} words (the start, and P a b^T R over {', '.join(sp.sstr(v) for v in vecs)}, P, R in "
            f"{{I, Sigma^-1}}), but the full matrix equation leaves {len(residual)} term(s), e.g. "
            f"{sp.sstr(coeff)} * {_show(key)}")
    sol.values = {k: v for k, v in sol.values.items() if k not in cvals}
    sol.values[X] = cand
    sol.free = [f for f in sol.free if f not in cs]
    steps = [f"Q_xx sought in the span of {len(cs)} words: the start and P a b^T R over "
             f"{', '.join(sp.sstr(v) for v in vecs)} (P, R in {{I, Sigma^-1}}); the loss minimised over their "
             "coefficients (the first-order condition projected onto the span)",
             "checked: at the candidate the gradient with respect to the whole matrix Q_xx vanishes "
             "(every term of grad_{Q_xx} L, collected in canonical form, has coefficient 0): the candidate "
             "is a minimiser at symbolic d and Sigma"]
    return sol, steps


def _collect(terms: list) -> list:
    acc: dict = {}
    for c, w in terms:
        w = simplify_word(tuple(w))
        acc[w] = acc.get(w, 0) + c
    out = []
    for w, c in acc.items():
        c = _normal(c)
        if c != 0:
            out.append((_factor(c), w))
    return out


def _factor(c: sp.Expr) -> sp.Expr:
    """``factor`` with traces and bilinear forms held as symbols (far cheaper)."""
    from .bilinear import Bilinear
    atoms = sp.sympify(c).atoms(sp.Trace, Bilinear)
    reps = {t: sp.Dummy() for t in atoms}
    return ratfun.factored(sp.sympify(c).xreplace(reps)).xreplace({v: k for k, v in reps.items()})


def _normal(c: sp.Expr) -> sp.Expr:
    from .quadratic import _normal as normal
    return normal(c)


def _gradient(L: Poly, scal: dict) -> dict:
    """The part of ``L`` linear in E_check, as the gradient matrix's terms: keys ``("w", W)``
    (the matrix W) and ``("o", W_1, a, W_2, b)`` (the outer product (W_1 a)(W_2 b)^T), with
    their nonzero coefficients."""
    acc: dict = {}
    for (factors, noises), c in L.terms.items():
        hits = [(k, i) for k, f in enumerate(factors) for i, a in enumerate(f.word) if a.expr == _CHECK]
        if len(hits) != 1:
            continue
        k, i = hits[0]
        f = factors[k]
        rest = sp.sympify(c).xreplace(scal) if scal else sp.sympify(c)
        for j, g in enumerate(factors):
            if j != k:
                rest = rest * factor_expr(g)
        t = f.word[i].transposed
        if isinstance(f, Tr):
            R = f.word[i + 1:] + f.word[:i]          # tr(E R): gradient R^T;  tr(E^T R): R
            key = ("w", simplify_word(R if t else transpose(R)))
        else:
            l, r = f.left.obj, f.right.obj             # l^T W1 E W2 r: (W1^T l)(W2 r)^T
            u, v = (transpose(f.word[:i]), l), (f.word[i + 1:], r)
            if t:                                       # l^T W1 E^T W2 r = (W2 r)^T E (W1^T l)
                u, v = v, u
            key = ("o", simplify_word(u[0]), u[1], simplify_word(v[0]), v[1])
        acc[key] = acc.get(key, 0) + rest
    out = {}
    for key, c in acc.items():
        if _vanishes(c):   # (most terms at a true minimiser: no expansion, no cancel)
            continue
        c = _normal(_expand(c))
        if c != 0:
            out[key] = c
    return out


def _vanishes(c: sp.Expr) -> bool:
    """Whether the coefficient ``c`` is identically 0 as a rational function of its symbols,
    traces and bilinear forms (each quantity one indeterminate, held as :func:`_normal` holds them):
    its numerator over the product of its denominators, read into a polynomial ring over QQ
    (:func:`symbolic.ratfun.is_zero`, no expansion and no gcd), is the zero polynomial.  Then
    ``_normal(_expand(c))``, the same rational function in lowest terms, is 0.  False where that
    cannot be read (not such a function) or ``c`` is not 0: the caller then normalises ``c``."""
    from .quadratic import _held
    c = sp.sympify(c)
    if c.is_number:
        return c == 0
    reps, _ = _held([c])
    return ratfun.is_zero(c.xreplace(reps) if reps else c) is True


def _show(key: tuple) -> str:
    from .words import word_expr
    if key[0] == "w":
        return sp.sstr(word_expr(key[1]))
    _, w1, a, w2, b = key
    left = a if not w1 else sp.MatMul(word_expr(w1), a)
    right = b if not w2 else sp.MatMul(word_expr(w2), b)
    return f"({sp.sstr(left)})*({sp.sstr(right)}).T"
