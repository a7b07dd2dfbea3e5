"""Minimise a loss that is quadratic in scalar and vector unknowns, in closed form.

The unknowns are scalars ``s`` (SymPy symbols, in the coefficients of the engine's
polynomials) and d-vectors ``u`` (d x 1 ``MatrixSymbol`` s, as constant legs of its forms).
For a quadratic loss ``L`` the first-order conditions are linear:

    dL/du_i = sum_j H_ij u_j + sum_s G_is s + b_i = 0          (one d-vector equation per u_i)
    dL/ds   = sum_t h_st t + sum_i <g_si, u_i> + c_s = 0       (one scalar equation per s)

with ``H_ij`` sums of matrix words, ``G_is, b_i`` vectors ``sum c W a``, and ``<g, u>`` bilinear
forms ``a^T W u``.  A *rank-one* term ``(a^T W u_j) W' b`` in a vector equation becomes one
more scalar unknown ``r = a^T W u_j`` with its own equation ``r - a^T W u_j = 0``.

The system is solved by block elimination (Gauss on blocks, so Schur complements
``H_22 - H_21 H_11^{-1} H_12`` appear when vector unknowns couple): every vector unknown
is written in terms of the scalars, substituted into the scalar equations (bilinear
forms of constants), and the scalar system, linear with coefficients that are traces and
bilinear forms, is solved by SymPy.  Inverses of sums of words are opaque atoms
(:func:`symbolic.calculus.inverse_of_sum`); they are assumed invertible, as they are for
generic Sigma (every ``H_ii`` is a Hessian block of a mean squared error).

A loss of degree > 2 in the unknowns raises :class:`NotQuadratic`; a matrix unknown that
reaches the loss raises :class:`NotClosedForm`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import sympy as sp

from . import ratfun
from .calculus import inverse_of_sum
from .convert import factor_expr
from .expansion import expand as _expand
from .forms import Form, Poly, const, form
from .words import Word, expr_key, simplify_word, transpose
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyRing

__all__ = ["NotQuadratic", "NotClosedForm", "Solution", "minimise_quadratic", "nearest_point", "nonzero_terms",
           "mat_mul", "mat_vec", "vec_scale", "vec_add"]


class NotQuadratic(NotImplementedError):
    """The loss is not quadratic in the trained parameters (e.g. V and Q both trained)."""


class NotClosedForm(NotImplementedError):
    """The first-order conditions are linear but outside what the word algebra solves."""


MatTerms = list[tuple[sp.Expr, Word]]
VecTerms = list[tuple[sp.Expr, Word, sp.Basic]]


# ----------------------------------------------------------------------------- word algebra on sums

def _collect_vec(terms: VecTerms) -> VecTerms:
    acc: dict = {}
    for c, w, a in terms:
        key = (simplify_word(w), a)
        acc[key] = acc.get(key, 0) + c
    out = []
    for (w, a), c in acc.items():
        c = _normal(c)
        if c != 0:
            out.append((c, w, a))
    return out


def _normal(c: sp.Expr) -> sp.Expr:
    """A coefficient in a normal form that shows 0 as 0: ``cancel`` with traces and bilinear
    forms held as symbols (far cheaper than ``factor``, which is kept for the final values)."""
    c = sp.sympify(c)
    if c.is_number:
        return c
    return _normal_cached(c)


@lru_cache(maxsize=8192)
def _normal_cached(c: sp.Expr) -> sp.Expr:
    """:func:`_normal` of a non-number, remembered (the elimination normalises the same product
    of coefficients for every word it multiplies; the normal form depends on ``c`` alone)."""
    reps, back = _held([c])
    return ratfun.cancelled(c.xreplace(reps) if reps else c).xreplace(back)   # sympy.cancel's expression




def _held(exprs) -> tuple[dict, dict]:
    """Every trace and bilinear form in ``exprs`` -> a Dummy (and back), one Dummy per
    *quantity*: the engine writes ``theta_0^T Sigma Sigma theta_0`` with an unevaluated product,
    and a coefficient that went through ``factor`` or ``xreplace`` may hold the same form as
    ``theta_0^T Sigma**2 theta_0``; the two must be one symbol, or a sum that vanishes does not
    cancel (and a linear solve reads a spurious equation)."""
    from .printing import Bilinear
    atoms = _shared_atoms([sp.sympify(e) for e in exprs], (sp.Trace, Bilinear))
    reps, back, seen = {}, {}, {}
    for t in (sorted(atoms, key=expr_key) if len(atoms) > 1 else atoms):
        key = _canonical(t)
        if key not in seen:
            seen[key] = sp.Dummy(f"k{len(seen)}")
            back[seen[key]] = t
        reps[t] = seen[key]
    return reps, back


def _shared_atoms(exprs: list, types: tuple) -> set:
    """``set().union(*(e.atoms(*types) for e in exprs))``, the nodes of SymPy's preorder traversal
    of each expression that are instances of ``types``, each distinct subexpression visited once:
    the engine's equations and coefficients share their subexpressions many times over (the
    Galerkin system of the Q_xx span: about 5000 nodes in its trees, under 200 distinct ones)."""
    from sympy.utilities.iterables import iterable
    out: set = set()
    seen: set = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if isinstance(node, sp.Basic):
            if node in seen:
                continue
            seen.add(node)
            if isinstance(node, types):
                out.add(node)
            stack.extend(node.args)
        elif iterable(node):
            stack.extend(node)
    return out


def _shared_xreplace(e: sp.Basic, rule: dict, memo: dict) -> tuple:
    """``(e.xreplace(rule), whether anything was replaced)``: SymPy's ``Basic._xreplace``, step for
    step, with each distinct subexpression's result remembered in ``memo`` (shared between the
    expressions of one call: see :func:`_shared_atoms`); an unchanged subexpression is itself."""
    hit = memo.get(e)
    if hit is not None:
        return hit if hit[1] else (e, False)
    if e in rule:
        out = (rule[e], True)
    else:
        args, changed = [], False
        for a in e.args:
            if getattr(a, "_xreplace", None) is not None:
                value, hit_a = _shared_xreplace(a, rule, memo)
                args.append(value)
                changed |= hit_a
            else:
                args.append(a)
        out = (e.func(*args), True) if changed else (e, False)
    memo[e] = out
    return out


@lru_cache(maxsize=None)
def _canonical(t: sp.Basic) -> sp.Basic:
    """A trace or bilinear form with its matrix product evaluated (``Sigma*Sigma`` -> ``Sigma**2``)."""
    from .printing import Bilinear
    if isinstance(t, sp.Trace):
        return sp.Trace(t.arg.doit())
    return Bilinear(t.left.doit(), t.middle.doit(), t.right.doit())


def _collect_mat(terms: MatTerms) -> MatTerms:
    acc: dict = {}
    for c, w in terms:
        w = simplify_word(w)
        acc[w] = acc.get(w, 0) + c
    out = []
    for w, c in acc.items():
        c = _normal(c)
        if c != 0:
            out.append((c, w))
    return out


def mat_mul(A: MatTerms, B: MatTerms) -> MatTerms:
    """``(sum a W)(sum b W') = sum ab W W'``."""
    return _collect_mat([(a * b, wa + wb) for a, wa in A for b, wb in B])


def mat_vec(A: MatTerms, v: VecTerms) -> VecTerms:
    """``(sum a W)(sum c W' x) = sum ac W W' x``."""
    return _collect_vec([(a * c, wa + wv, x) for a, wa in A for c, wv, x in v])


def vec_scale(v: VecTerms, c: sp.Expr) -> VecTerms:
    return [(k * c, w, a) for k, w, a in v]


def vec_add(*vs: VecTerms) -> VecTerms:
    return _collect_vec([t for v in vs for t in v])


def _bilinear(left: sp.Basic, v: VecTerms) -> sp.Expr:
    """``left^T v`` for a constant vector ``left`` and ``v = sum c W a``, as a SymPy scalar."""
    out = sp.S.Zero
    for c, w, a in v:
        out += c * factor_expr(form(const(left), w, const(a)))
    return out


def nonzero_terms(L: Poly) -> Poly:
    """``L`` without its terms whose coefficient is 0, exactly (its numerator over one denominator,
    :func:`symbolic.ratfun.numer_denom`, is the zero polynomial): for a loss whose coefficients are
    left as the engine builds them (``normalise=False``: reducing them, ``together(expand(c))``, is
    most of a loss's cost, and :func:`minimise_quadratic` reads them into polynomials itself).
    ``together`` may leave a 0 it does not see; here every 0 is dropped, so an unknown that only
    such a term holds counts as absent from the loss, as it is."""
    return Poly({k: c for k, c in L.terms.items() if not _is_zero(c)})


def _is_zero(c: sp.Expr) -> bool:
    c = sp.sympify(c)
    if c.is_number:
        return c == 0
    read = _read(c)   # (the zero test of ratfun.is_zero, its reading kept for _Derivatives)
    return ratfun.cancelled(c) == 0 if read is None else not read[1]


@lru_cache(maxsize=4096)
def _read(c: sp.Expr):
    """``(R, N, {D_k: j_k})``: a coefficient of symbols, traces and bilinear forms read into the
    ring R over QQ of its generators (in ``default_sort_key`` order) as ``N / prod D_k^j_k``
    (:func:`symbolic.ratfun.numer_denom`, no gcd); None where it is not such a rational function,
    has no generator, or a denominator is the zero polynomial.  ``N`` is the zero polynomial
    exactly when ``c`` is 0 (:func:`symbolic.ratfun.is_zero`'s test).  Remembered: the loss's
    zero test (:func:`nonzero_terms`) and its derivatives (:class:`_Derivatives`) read the same
    coefficients."""
    gens: set = set()
    try:
        ratfun._generators(c, gens)
        if not gens:
            return None
        R = PolyRing(tuple(sorted(gens, key=sp.default_sort_key)), QQ)
        num, den = ratfun.numer_denom(c, R)
    except (ratfun.NotRational, ZeroDivisionError):
        return None
    return R, num, den


# ----------------------------------------------------------------------------- the linear system

@dataclass
class _VectorEquation:
    H: dict = field(default_factory=dict)    # u_j -> MatTerms
    G: dict = field(default_factory=dict)    # scalar -> VecTerms
    b: VecTerms = field(default_factory=list)


@dataclass
class Solution:
    """The minimiser set of a quadratic loss.

    ``values`` maps every determined unknown to its value (a SymPy scalar for a scalar
    unknown, ``VecTerms`` for a vector unknown); ``free`` lists the unknowns that the loss
    does not determine (every value of them is a minimiser: they may appear, as parameters
    of the affine family, in ``values``); ``equations`` are the first-order conditions
    solved (for the record).
    """

    values: dict
    free: list
    equations: list
    notes: list = field(default_factory=list)
    #: with ``pick=False``: the coefficients ``t_k`` of the gradient directions of a vector seen only
    #: through functionals that the loss leaves undetermined (Dummy symbols, start value 0); they
    #: appear in ``values`` as parameters of the affine family, like the free scalars
    params: list = field(default_factory=list)
    #: every vector seen only through functionals -> the set of its gradient directions ``(W, a)``
    #: (``W a``): gradient descent moves it only in ``start + span{W a}``
    through: dict = field(default_factory=dict)


def _unknown_legs(f: Form, vectors: set) -> list[str]:
    return [s for s, leg in (("l", f.left), ("r", f.right))
            if not leg.is_gaussian and leg.obj in vectors]


def _degree(c: sp.Expr, scalars: Sequence[sp.Symbol]) -> int:
    if not scalars or not sp.sympify(c).free_symbols.intersection(scalars):
        return 0
    num = sp.numer(ratfun.together(c))
    present = [s for s in scalars if s in num.free_symbols]
    if not present:
        return 0
    return sp.Poly(sp.expand(num), *present).total_degree()


def _degree_bound(e: sp.Expr, scalars: frozenset, memo: tuple | None = None) -> int | None:
    """An upper bound of the total degree of ``e`` in ``scalars``, read off its tree (a sum: the
    largest of its terms'; a product: the sum; a positive integer power: that multiple); None
    where a scalar sits in a denominator, a non-integer power or a function (then only
    :func:`_degree` can tell).  Where the scalars sit in numerators only, ``e``'s numerator over
    one denominator is ``e`` times a scalar-free factor, so its degree is at most the bound.
    ``memo``: ``({node: bound}, {node: whether a scalar is among its free symbols})`` for
    expressions that share subexpressions (a loss's coefficients: each node read once)."""
    bounds, holds = memo if memo is not None else ({}, {})
    try:
        return bounds[e]
    except KeyError:
        pass
    if e.is_Atom:
        out = 1 if e in scalars else 0
    elif not _holds_scalar(e, scalars, holds):
        out = 0
    elif e.is_Add or e.is_Mul:
        out = 0
        for a in e.args:
            b = _degree_bound(a, scalars, (bounds, holds))
            if b is None:
                out = None
                break
            out = max(out, b) if e.is_Add else out + b
    elif e.is_Pow and e.exp.is_Integer and e.exp > 0:
        b = _degree_bound(e.base, scalars, (bounds, holds))
        out = None if b is None else b * int(e.exp)
    else:
        out = None
    bounds[e] = out
    return out


def _holds_scalar(e: sp.Basic, scalars: frozenset, memo: dict) -> bool:
    """``bool(e.free_symbols & scalars)``: a sum, product or power's free symbols are its
    arguments' (SymPy's ``Basic.free_symbols``), read once per distinct subexpression."""
    try:
        return memo[e]
    except KeyError:
        pass
    if e.is_Add or e.is_Mul or e.is_Pow:
        out = any(_holds_scalar(a, scalars, memo) for a in e.args)
    else:
        out = bool(e.free_symbols & scalars)
    memo[e] = out
    return out


def _check_quadratic(L: Poly, scalars: Sequence[sp.Symbol], vectors: set, matrices: set) -> None:
    scalar_set = frozenset(scalars)
    memo: tuple = ({}, {})   # (the coefficients share their subexpressions)
    for (factors, noises), c in L.terms.items():
        if noises:
            raise ValueError("the loss still has noise variables")
        deg = 0
        for f in factors:
            if isinstance(f, Form):
                deg += len(_unknown_legs(f, vectors))
                if f.left.is_gaussian or f.right.is_gaussian:
                    raise ValueError("the loss still depends on a Gaussian vector")
            if any(a.expr in matrices for a in f.word):
                raise NotClosedForm(
                    "a matrix unknown (Q_xx) reaches the loss: its first-order condition is a "
                    "matrix equation with rank-one terms (outer products such as Sigma theta_0 "
                    "theta_0^T Sigma) and traces of the unknown, outside the word algebra")
        bound = _degree_bound(sp.sympify(c), scalar_set, memo)   # the exact degree only where the bound is too high
        deg += bound if bound is not None and bound + deg <= 2 else _degree(c, scalars)
        if deg > 2:
            raise NotQuadratic(f"the loss has degree {deg} in the trained parameters (a quadratic "
                               "loss has degree 2): the prediction is not linear in them")


def _split_monomial(factors, vectors: set):
    """(constant scalar, the factor with an unknown leg or None)."""
    const_part, unknown = sp.S.One, None
    for f in factors:
        if isinstance(f, Form) and _unknown_legs(f, vectors):
            if unknown is not None:
                raise NotQuadratic("two unknown vectors in one monomial of the gradient")
            unknown = f
        else:
            const_part *= factor_expr(f)
    return const_part, unknown


def _gradient_vector(L: Poly, u: sp.Basic, vectors: set) -> list[tuple[sp.Expr, Form | None, Word, sp.Basic]]:
    """``dL/du`` as terms ``(coeff, extra, W, a)``: ``coeff * extra * W a`` where ``extra`` is a
    form with one unknown leg (a rank-one term) or None, and ``a`` a constant or unknown vector."""
    out = []
    for (factors, _), c in L.terms.items():
        for k, f in enumerate(factors):
            if not isinstance(f, Form):
                continue
            hits = [s for s in _unknown_legs(f, vectors) if (f.left.obj if s == "l" else f.right.obj) == u]
            if not hits:
                continue
            others = factors[:k] + factors[k + 1:]
            rest_c, extra = _split_monomial(others, vectors)
            if len(hits) == 2:  # u^T W u
                out.append((c * rest_c, extra, f.word, u))
                out.append((c * rest_c, extra, transpose(f.word), u))
            elif hits[0] == "l":  # u^T W r
                out.append((c * rest_c, extra, f.word, f.right.obj))
            else:  # l^T W u
                out.append((c * rest_c, extra, transpose(f.word), f.left.obj))
    return out


class _Derivatives:
    """``d c / d s`` for the coefficients ``c`` of one loss and its scalar unknowns ``s``, read off
    polynomials: ``c`` is read once into a numerator N (a polynomial over QQ in its symbols, traces
    and bilinear forms) over a denominator D free of the scalars (:func:`symbolic.ratfun.numer_denom`,
    no gcd), and ``d c / d s = (d N / d s) / D``, the derivative of a polynomial read off its terms,
    with no expression-level differentiation.  The same rational function as ``sympy.diff(c, s)``,
    and 0 exactly when that is 0 (``sympy.diff`` may leave a 0 it does not see: :meth:`reaches`
    asks it in that case only, so that the scalars counted as present are the same).  Where some
    coefficient of the loss is not such a rational function, or has a scalar in its denominator,
    every derivative is taken by ``sympy.diff`` (as before: the equations then reach SymPy's own
    solve, whose output may depend on their form)."""

    def __init__(self, scalars: Sequence[sp.Symbol], coefficients=()):
        self.scalars = frozenset(scalars)
        self._read: dict = {}
        self._memo: dict = {}
        self._symbols: dict = {}
        self._split: dict = {}
        self.by_sympy = False
        self.by_sympy = any(self._parts(sp.sympify(c)) is None for c in coefficients
                            if self.symbols(c) & self.scalars)

    def _parts(self, c: sp.Expr):
        """``(N, 1/D as an expression, {generator: index})`` or None (``sympy.diff`` then)."""
        if self.by_sympy:
            return None
        if c in self._read:
            return self._read[c]
        out = None
        read = _read(c)
        if read is not None:
            R, num, den = read
            at = [i for i, g in enumerate(R.symbols) if g in self.scalars]
            if not any(m[i] for b in den for m in b.itermonoms() for i in at):
                inv = sp.Mul(*[b.as_expr() ** -k for b, k in den.items()])
                out = (num, inv, {g: i for i, g in enumerate(R.symbols)})
        self._read[c] = out
        return out

    def diff(self, c: sp.Expr, s: sp.Symbol) -> sp.Expr:
        """``d c / d s`` (0 where it vanishes)."""
        key = (c, s)
        if key not in self._memo:
            parts = self._parts(sp.sympify(c))
            if parts is None:
                self._memo[key] = sp.diff(c, s)
            else:
                num, inv, index = parts
                dn = num.diff(num.ring.gens[index[s]]) if s in index else num.ring.zero
                self._memo[key] = sp.S.Zero if not dn else dn.as_expr() * inv
        return self._memo[key]

    def symbols(self, c: sp.Expr) -> set:
        """``c``'s free symbols (read once per coefficient: every scalar asks)."""
        hit = self._symbols.get(c)
        if hit is None:
            hit = self._symbols[c] = sp.sympify(c).free_symbols
        return hit

    def split(self, factors: tuple, vectors: set) -> tuple:
        """:func:`_split_monomial` of a monomial's factors (computed once per monomial: every scalar asks)."""
        key = (factors, frozenset(vectors))
        hit = self._split.get(key)
        if hit is None:
            hit = self._split[key] = _split_monomial(factors, vectors)
        return hit

    def reaches(self, c: sp.Expr, s: sp.Symbol) -> bool:
        """Whether ``sympy.diff(c, s) != 0``: the derivative is not 0, or it is 0 but ``sympy.diff``
        does not see it."""
        if s not in self.symbols(c):
            return False
        return self.diff(c, s) != 0 or (self._parts(sp.sympify(c)) is not None and sp.diff(c, s) != 0)

    def affine(self, c: sp.Expr, scalars: Sequence[sp.Symbol]) -> tuple[dict, sp.Expr]:
        """``({s: d c / d s}, c - sum_s s d c / d s)`` over ``scalars``, the derivatives that vanish
        left out: for ``c`` affine in them, its coefficients and its constant part."""
        parts = self._parts(sp.sympify(c))
        linear: dict = {}
        if parts is None:
            c = _expand(c)
            c0 = c
            for s in scalars:
                cs = sp.diff(c, s)
                if cs != 0:
                    linear[s] = cs
                    c0 = c0 - cs * s
            return linear, _expand(c0)
        num, inv, index = parts
        c0 = num
        for s in scalars:
            if s in index:
                x = num.ring.gens[index[s]]
                cs = num.diff(x)
                if cs:
                    linear[s] = cs.as_expr() * inv
                    c0 = c0 - cs * x
        return linear, (c0.as_expr() * inv if c0 else sp.S.Zero)


def _gradient_scalar(L: Poly, s: sp.Symbol, vectors: set, derivatives: _Derivatives | None = None
                     ) -> list[tuple[sp.Expr, Form | None]]:
    """``dL/ds`` as terms ``coeff * extra`` (``extra`` a form with an unknown leg, or None)."""
    derivatives = derivatives or _Derivatives([s])
    out = []
    for (factors, _), c in L.terms.items():
        if s not in derivatives.symbols(c):   # (d/ds 0 without differentiating)
            continue
        dc = derivatives.diff(c, s)
        if dc == 0:
            continue
        rest_c, extra = derivatives.split(factors, vectors)
        out.append((dc * rest_c, extra))
    return out


def _form_as_functional(f: Form, vectors: set) -> tuple[sp.Basic, Word, sp.Basic]:
    """``a^T W u`` for a form with exactly one unknown leg ``u``."""
    (side,) = _unknown_legs(f, vectors)
    if side == "r":
        return f.left.obj, f.word, f.right.obj
    return f.right.obj, transpose(f.word), f.left.obj


def minimise_quadratic(L: Poly, scalars: Sequence[sp.Symbol], vectors: Sequence[sp.Basic],
                       matrices: Sequence[sp.Basic] = (),
                       name: Callable[[int], tuple[str, str] | None] | None = None,
                       start: dict | None = None, pick: bool = True) -> Solution:
    """All minimisers of the quadratic loss ``L`` over the given unknowns.

    ``name(k)`` names the k-th opaque inverse the elimination creates (or None: unnamed).
    Unknowns absent from ``L`` are free; a matrix unknown present in ``L`` raises
    :class:`NotClosedForm`; a loss of degree > 2 raises :class:`NotQuadratic`.

    A vector unknown ``u`` that the loss sees only through linear functionals
    ``r_k = a_k^T W_k u`` (no ``u^T H u`` term: e.g. ``q_x0`` in the limit n -> oo, where only
    ``theta^T Sigma q_x0`` reaches the loss) has an affine family of minimisers.  Its gradient
    ``sum_k (dL/dr_k) W_k^T a_k`` always lies in ``span{W_k^T a_k}``, so gradient descent from
    ``start[u]`` (VecTerms; 0 if not given) stays in ``u_0 + span{W_k^T a_k}``: ``u`` is
    written ``u_0 + sum_k t_k W_k^T a_k`` and the scalars ``t_k`` are solved for.  Where the
    loss sees the functionals only in combination (e.g. ``r_1 + r_2`` from an explicit start
    with ``v_x != 0``), the ``t_k`` are not all determined, and the point reported is the one
    nearest ``u_0`` (``|u - u_0|^2 = t^T G t``, G the Gram matrix of the directions, minimised
    over the undetermined ``t``): gradient descent's limit, since on a convex quadratic it
    converges to the minimiser nearest its start.  ``Solution.notes`` says so.

    ``start`` may also give the start value of scalar unknowns (0 if not given).  "Nearest" is
    in the Euclidean distance over *every* unknown (:func:`nearest_point`): where the flat
    family couples a vector's ``t_k`` with other unknowns (e.g. ``Q_y0`` and ``q_x0^T Sigma
    theta_0`` seen only as ``Q_y0 (sigma^2 + k) - q_x0^T Sigma theta_0``), both move.  The free
    scalars (present in the loss but not determined) are left as parameters in ``values`` (and
    listed in ``free``); the ``t_k`` are picked with them held as symbols.  With ``pick=False``
    nothing is picked: the undetermined ``t_k`` stay in ``values`` too, listed in
    ``Solution.params`` (start value 0), so that a caller with a second stage can minimise over
    them and pick the point nearest the start over all the parameters at the end.
    """
    vecset, matset = set(vectors), set(matrices)
    _check_quadratic(L, scalars, vecset, matset)
    derivatives = _Derivatives(scalars, L.terms.values())
    present_s = [s for s in scalars if any(derivatives.reaches(c, s) for c in L.terms.values())]
    present_v = [u for u in vectors if any(
        isinstance(f, Form) and u in (f.left.obj, f.right.obj) for fs, _ in L.terms for f in fs)]
    free = [x for x in list(scalars) + list(vectors) + list(matrices)
            if x not in present_s and x not in present_v]
    naming = name or (lambda k: None)
    counter = [0]

    # -- vector equations, with rank-one factors as auxiliary scalars
    aux: dict = {}  # Form -> Dummy

    def aux_of(f: Form) -> sp.Symbol:
        if f not in aux:
            aux[f] = sp.Dummy(f"r{len(aux)}")
        return aux[f]

    eqs: dict = {}
    for u in present_v:
        e = _VectorEquation()
        for c, extra, w, a in _gradient_vector(L, u, vecset):
            if a in vecset:
                if extra is not None or _degree(c, present_s):
                    raise NotQuadratic("the gradient is not linear in the unknowns")
                e.H.setdefault(a, []).append((c, w))
                continue
            if extra is not None:
                if _degree(c, present_s):
                    raise NotQuadratic("the gradient is not linear in the unknowns")
                e.G.setdefault(aux_of(extra), []).append((c, w, a))
                continue
            linear, c0 = derivatives.affine(c, present_s)
            for s, cs in linear.items():
                e.G.setdefault(s, []).append((cs, w, a))
            if c0 != 0:
                e.b.append((c0, w, a))
        e.H = {k: _collect_mat(v) for k, v in e.H.items()}
        eqs[u] = e

    # -- vectors seen only through functionals: u = u_0 + sum_k t_k W_k^T a_k
    notes: list[str] = []
    through: dict = {}
    through_keys: dict = {}
    extra_equations: list = []
    for u in present_v:
        if eqs[u].H:
            continue
        directions: dict = {}
        for c, extra, w, a in _gradient_vector(L, u, vecset):
            key = (simplify_word(w), a)
            if key not in directions:
                directions[key] = (sp.Dummy(f"t{len(through)}_{len(directions)}"), [])
            directions[key][1].append((c, extra))
        u0 = list((start or {}).get(u, ()))
        through[u] = {"G": {t: [(sp.S.One, w, a)] for (w, a), (t, _) in directions.items()}, "b": u0}
        through_keys[u] = list(directions)
        extra_equations.extend(terms for _, terms in directions.values())
        notes.append(f"{getattr(u, 'name', u)} reaches the loss only through "
                     + ", ".join(sp.sstr(_bilinear(a, [(sp.S.One, transpose(w), u)])) for (w, a) in directions)
                     + ": its minimisers form an affine family; gradient descent moves it only along "
                     + ", ".join(sp.sstr(_vec_expr([(sp.S.One, w, a)])) for (w, a) in directions)
                     + " from its start value, and that point is reported")
        del eqs[u]

    # -- block elimination: u_i = -H_ii^{-1} (sum_{j>i} H_ij u_j + sum_s G_is s + b_i)
    order = [u for u in present_v if u in eqs]
    expressed: dict = {}
    for i, u in enumerate(order):
        e = eqs[u]
        if not e.H.get(u):
            raise NotClosedForm(f"{getattr(u, 'name', u)}: its Hessian block vanishes but it couples "
                                "to another vector unknown (a saddle-type system)")
        ci, winv = inverse_of_sum(e.H[u], naming(counter[0]) if len(e.H[u]) > 1 else None)
        counter[0] += len(e.H[u]) > 1
        Hinv = [(-ci, winv)]  # -H_ii^{-1}
        row = {"H": {j: mat_mul(Hinv, e.H.get(j, [])) for j in order[i + 1:] if e.H.get(j)},
               "G": {s: mat_vec(Hinv, g) for s, g in e.G.items()},
               "b": mat_vec(Hinv, e.b)}
        expressed[u] = row
        for v in order[i + 1:]:
            ev = eqs[v]
            Hvu = ev.H.pop(u, [])
            if not Hvu:
                continue
            for j, Hj in row["H"].items():
                ev.H[j] = _collect_mat(ev.H.get(j, []) + mat_mul(Hvu, Hj))
            for s, g in row["G"].items():
                ev.G[s] = vec_add(ev.G.get(s, []), mat_vec(Hvu, g))
            ev.b = vec_add(ev.b, mat_vec(Hvu, row["b"]))
    # back-substitution: every u as sum_s A_s s + a_0
    final: dict = {}
    for u in reversed(order):
        row = expressed[u]
        G = {s: list(g) for s, g in row["G"].items()}
        b = list(row["b"])
        for j, Hj in row["H"].items():
            for s, g in final[j]["G"].items():
                G[s] = vec_add(G.get(s, []), mat_vec(Hj, g))
            b = vec_add(b, mat_vec(Hj, final[j]["b"]))
        final[u] = {"G": {s: g for s, g in G.items() if g}, "b": b}
    final.update(through)

    # -- scalar equations: dL/ds = 0 and r - a^T W u = 0, with u substituted
    functionals: dict = {}   # (the same form recurs across the scalars' equations: built once)

    def functional(f: Form) -> sp.Expr:
        hit = functionals.get(f)
        if hit is not None:
            return hit
        a, w, u = _form_as_functional(f, vecset)
        expr = _bilinear(a, mat_vec([(sp.S.One, w)], final[u]["b"]))
        for s, g in final[u]["G"].items():
            expr += s * _bilinear(a, mat_vec([(sp.S.One, w)], g))
        functionals[f] = expr
        return expr

    equations = []
    for s in present_s:
        total = sp.S.Zero
        for c, extra in _gradient_scalar(L, s, vecset, derivatives):
            total += c if extra is None else c * functional(extra)
        equations.append(total)
    for f, r in aux.items():
        equations.append(r - functional(f))
    for terms in extra_equations:  # the coefficient of each gradient direction of a "through" vector
        equations.append(sum((c if extra is None else c * functional(extra) for c, extra in terms), sp.S.Zero))
    ts = [t for u in through for t in through[u]["G"]]
    unknowns = present_s + list(aux.values()) + ts
    values: dict = {}
    internal: list = []
    if unknowns:
        sol = _solve_linear(equations, unknowns)
        for x, v in zip(unknowns, sol):
            if v != x:
                values[x] = v
            elif x in present_s:
                free.append(x)
            else:   # a direction coefficient t_k, or a functional r = a^T W u that the solve kept as
                internal.append(x)   # the family's parameter (other unknowns written in terms of it)
    params: list = []
    if internal and not pick:
        params = internal
    elif internal:
        own = {u: _vector_value(final[u], values) for u in order + list(through)}
        own.update({s: values.get(s, s) for s in present_s})
        chosen = nearest_point(own, dict(start or {}), internal)
        values = {x: ratfun.factored(sp.sympify(v).xreplace(chosen)) for x, v in values.items()}
        values.update(chosen)
    if internal:
        notes.append("the loss sees the vector's functionals only in combination (with each other or "
                     "with other blocks): its minimisers form an affine family, and the point reported "
                     "is the one nearest the start (where gradient descent, which moves along the "
                     "gradient's span only, converges)")
    subs = {x: v for x, v in values.items()}
    for u in order + list(through):
        vec_value = list(final[u]["b"])
        for s, g in final[u]["G"].items():
            vec_value = vec_add(vec_value, vec_scale(g, subs.get(s, s)))
        values[u] = [(ratfun.factored(c), w, a) for c, w, a in _collect_vec(vec_value)]
    for r in list(aux.values()) + ts:
        values.pop(r, None)
    # a free scalar may have been solved in terms of an internal one (t_k, r_k): not expected
    return Solution(values=values, free=free, equations=equations, notes=notes, params=params,
                    through={u: set(keys) for u, keys in through_keys.items()})


def _vector_value(row: dict, values: dict) -> VecTerms:
    """A vector ``b + sum_s G_s s`` (a row of the back-substitution) with the solved scalars
    substituted (the unsolved ones stay as symbols)."""
    out = list(row["b"])
    for s, g in row["G"].items():
        out = vec_add(out, vec_scale(g, values.get(s, s)))
    return out


def nearest_point(values: dict, starts: dict, params: Sequence[sp.Symbol]) -> dict:
    """The values of ``params`` that put the unknowns nearest their start values.

    ``values`` maps each unknown to its value, affine in ``params``: a SymPy scalar, or a vector
    ``sum c W a`` (VecTerms) with the coefficients affine in them; ``starts`` gives each
    unknown's start (a number, or VecTerms; missing: 0).  Minimised is the squared Euclidean
    distance over every entry,

        sum_scalars (x(p) - x_0)^2 + sum_vectors |u(p) - u_0|^2,

    ``|sum_i c_i W_i a_i|^2 = sum_ij c_i c_j a_i^T W_i^T W_j a_j`` (bilinear forms), a
    quadratic in ``p`` whose stationary point solves a linear system.  On a convex quadratic
    loss, gradient descent from the start converges to the minimiser nearest the start (its
    steps lie in the range of the Hessian, orthogonal to the flat directions), so when
    ``values`` parametrise the minimiser set, this is gradient descent's limit.  A parameter
    the distance does not determine (not expected: each moves some unknown) stays at 0.
    """
    params = list(params)
    inner = set(params)
    if not params:
        return {}
    obj = sp.S.Zero
    for x, v in values.items():
        s0 = starts.get(x)
        if isinstance(v, (list, tuple)):
            diff = _collect_vec(list(v) + vec_scale(list(s0 or ()), sp.S.NegativeOne))
            moving = [k for k, (c, _, _) in enumerate(diff) if sp.sympify(c).free_symbols & inner]
            if not moving:
                continue
            for i in moving:
                ci, wi, ai = diff[i]
                for j, (cj, wj, aj) in enumerate(diff):
                    if j in moving and j < i:
                        continue
                    k = 1 if i == j else 2   # each unordered pair once, the cross term doubled
                    obj += k * ci * cj * _bilinear(ai, [(sp.S.One, transpose(wi) + wj, aj)])
        else:
            v = sp.sympify(v)
            if v.free_symbols & inner:
                obj += (v - sp.sympify(s0 if s0 is not None else 0)) ** 2
    zero = {p: sp.S.Zero for p in params}
    if obj == 0:
        return zero
    return dict(zip(params, _solve_normal([sp.diff(obj, p) for p in params], params)))


#: a value of :func:`nearest_point` up to this many operations is put in lowest terms (a cancel
#: over its traces and bilinear forms); a longer one is left as a ratio, since the cancellation's
#: gcds over a dozen or more symbols take minutes (a flat family coupling Q_00 with three
#: directions of q_x0 gives 27 000 operations in lowest terms) while evaluating it is immediate
CANCEL_MAX_OPS = 600


def _solve_normal(equations: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[sp.Expr]:
    """Solve a small linear system ``A p + c = 0`` whose entries are long rational functions:
    each entry of A and c is held as a symbol while SymPy solves the system (Cramer's rule in
    effect, no gcds), then substituted back; values short enough are then cancelled."""
    zero = {p: sp.S.Zero for p in unknowns}
    A = [[sp.diff(e, p) for p in unknowns] for e in equations]
    c = [sp.sympify(e).xreplace(zero) for e in equations]
    held: dict = {}

    def hold(x: sp.Expr) -> sp.Expr:
        x = sp.sympify(x)
        if x.is_number:
            return x
        h = sp.Dummy(f"e{len(held)}")
        held[h] = x
        return h
    eqs = [sum((hold(a) * p for a, p in zip(row, unknowns)), sp.S.Zero) + hold(ci) for row, ci in zip(A, c)]
    sols = sp.linsolve(eqs, unknowns)
    if not sols:
        raise ValueError("the nearest point's normal equations have no solution")
    (sol,) = list(sols)
    out = []
    for v in sol:
        v = ratfun.together(sp.sympify(v).xreplace(zero).xreplace(held))
        if sp.count_ops(v) <= CANCEL_MAX_OPS:
            v = ratfun.factored(_normal(v))
        out.append(v)
    return out


def _vec_expr(v: VecTerms) -> sp.Basic:
    from .scaling import scale
    from .words import word_expr
    parts = [scale(c, a if not w else sp.MatMul(word_expr(w), a)) for c, w, a in v]
    return sp.MatAdd(*parts) if len(parts) > 1 else parts[0]


def _numerator(e: sp.Expr, unknowns: list[sp.Symbol]) -> sp.Expr:
    """An equation ``e = 0`` linear in ``unknowns`` as a polynomial: the numerator of ``e`` over
    one denominator (free of the unknowns), expanded.  Expanding alone leaves a coefficient that
    is a sum of fractions, which may vanish without looking like 0: SymPy's linsolve then takes
    it as a pivot and divides by zero (a second stage whose loss is flat along a parameter)."""
    num, den = sp.fraction(ratfun.together(e))
    if den.free_symbols & set(unknowns):
        return sp.expand(e)
    return sp.expand(num)


def _solve_linear(equations: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[sp.Expr]:
    """Solve a linear system whose coefficients contain traces and bilinear forms (opaque)."""
    reps, back = _held(equations)
    memo: dict = {}
    held = [_shared_xreplace(sp.sympify(e), reps, memo)[0] if reps else sp.sympify(e) for e in equations]
    # the equations with the most other symbols first: the reduced row echelon form (so the
    # solution, and which unknowns stay free) does not depend on the order of the rows, but the
    # elimination's cost does (the two Galerkin systems of the Q_xx span, 5 and 8 unknowns over
    # six symbols: about 20% less than in the order given, twice as much in the reverse order)
    unknown_set = set(unknowns)
    order = sorted(range(len(held)), key=lambda i: -len(held[i].free_symbols - unknown_set))
    try:   # exact elimination over the fraction field of the other symbols (the same solution)
        sol = ratfun.solve_linear([held[i] for i in order], unknowns)
    except ratfun.NoSolution:
        raise ValueError("the first-order conditions have no solution: the loss has no minimiser") from None
    except ratfun.NotRational:
        sol = _linsolve([sp.sympify(e).xreplace(reps) for e in equations], unknowns)
    return [_factored(v).xreplace(back) for v in sol]


def _factored(v: sp.Expr) -> sp.Expr:
    """``sympy.factor(together(v))``: :func:`symbolic.ratfun.factor` of ``v`` as it is where ``v`` is a
    rational function of symbols (its result depends only on the rational function, so the
    ``together`` that SymPy's route wants first changes nothing), else as before."""
    try:
        return ratfun.factor(v)
    except (ratfun.NotRational, ZeroDivisionError):
        return ratfun.factored(ratfun.together(v))


def _linsolve(equations: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[sp.Expr]:
    """:func:`_solve_linear`'s solve by ``sympy.linsolve``, for equations that are not rational
    functions of symbols."""
    eqs = [_numerator(e, unknowns) for e in equations]
    sols = sp.linsolve(eqs, unknowns)
    if not sols:
        raise ValueError("the first-order conditions have no solution: the loss has no minimiser")
    (sol,) = list(sols)
    return list(sol)
