"""Rational functions of SymPy expressions as sparse polynomials over QQ, without SymPy's
expression-level gcds: the engine's normal forms (``cancel``) and linear solves, faster.

An expression built from symbols, rational numbers, sums, products and integer powers is read
into a numerator (a :class:`sympy.polys.rings.PolyElement` over QQ) and a denominator kept as
its factors ``{base polynomial: power}`` (:func:`numer_denom`): a sum puts its terms over the
product of each base to the largest power any term has, as one writes fractions over a common
denominator by hand, with no gcd computed (``together`` finds that denominator by gcds of
every pair of terms' factors, most of its cost on the engine's long coefficients).  The value
is the same rational function; the numerator may keep a factor the denominator also has.

* :func:`cancel` is ``sympy.cancel`` for such an expression: one gcd of the numerator and the
  denominator in the polynomial ring, the result put in ``sympy.cancel``'s normal form (numerator
  and denominator coprime over ZZ, the denominator's leading coefficient positive in the lex
  order of SymPy's own ordering of the symbols), so the expression returned is the one
  ``sympy.cancel`` returns, term for term.
* :func:`factor` is ``sympy.factor`` for such an expression, traces and bilinear forms allowed as
  generators (as SymPy takes them): the factorisation of a rational function into a constant
  and powers of irreducible polynomials, each primitive over ZZ with a positive leading
  coefficient in the lex order of SymPy's ordering of the generators, is unique, and
  ``sympy.factor`` returns that product (``_keep_coeff(constant, product)``) whatever the form
  of its input; here numerator and denominator are factored in the ring, without the
  conversion of each base from an expression and the ``together`` that SymPy's route pays.
* :func:`solve_linear` solves a linear system whose equations are such expressions by
  Gauss-Jordan elimination over the fraction field of the other symbols (in FLINT where
  python-flint is installed, by :class:`sympy.polys.matrices.DomainMatrix` otherwise: the same
  reduced form, each entry in the field's normal form, so the same expressions): exact, so a
  coefficient that is 0 is never taken as a pivot.

:func:`together` is ``sympy.together`` (the same expression) with each subexpression's result
remembered, within a call and across calls: the engine's expanded coefficients repeat their
denominators in every term, and ``together`` rebuilds each (a ``gcd_terms`` of the denominator's
terms) once per occurrence.

Anything else (a float, a function, a square root, a matrix expression) raises
:class:`NotRational`; callers then use SymPy's own routine.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

import sympy as sp
from sympy.core.exprtools import gcd_terms
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.polyutils import _sort_gens
from sympy.polys.rings import PolyRing

try:    # FLINT's polynomial factorisation, where python-flint is installed (a dependency)
    import flint as _flint
except ImportError:  # pragma: no cover - the dependency is declared; SymPy's routine otherwise
    _flint = None

__all__ = ["NotRational", "numer_denom", "sum_over_common_denominator", "cancel", "cancelled", "factor", "factored", "together", "field_element",
           "is_zero",
           "factor_list", "primitive_part", "from_sympy", "solve_linear", "NoSolution"]


class NotRational(ValueError):
    """The expression is not a rational function of its symbols with rational coefficients."""


class NoSolution(ValueError):
    """The linear system is inconsistent."""


def _ring(symbols: Sequence[sp.Symbol]) -> PolyRing:
    """``PolyRing(symbols, QQ)``, one per tuple of symbols within the process: SymPy builds a new
    ring on every call (with its monomial routines), and equal rings are interchangeable
    (``PolyRing`` compares by symbols, domain and order; nothing changes a ring once built)."""
    symbols = tuple(symbols)
    R = _RINGS.get(symbols)
    if R is None:
        if len(_RINGS) >= _RINGS_MAX:
            _RINGS.clear()
        R = _RINGS[symbols] = PolyRing(symbols, QQ)
    return R


#: the rings :func:`_ring` built, by their symbols
_RINGS: dict = {}
_RINGS_MAX = 4096


def ordered_gens(gens, sort_gens: bool = True) -> tuple:
    """``tuple(_sort_gens(sorted(gens, key=default_sort_key)))`` (``sort_gens=False``: the
    ``sorted`` alone) for a set of generators, remembered per set within the process.  Both sorts
    are stable and their keys tell generators apart except same-named ones (a symbol's sort key
    leaves its assumptions out), whose order would follow the set's iteration; such a set is
    sorted afresh, not remembered."""
    key = (frozenset(gens), sort_gens)
    hit = _ORDERED.get(key)
    if hit is not None:
        return hit
    out = sorted(gens, key=sp.default_sort_key)
    out = tuple(_sort_gens(out) if sort_gens else out)
    if len({str(g) for g in out}) == len(out):
        if len(_ORDERED) >= _RINGS_MAX:
            _ORDERED.clear()
        _ORDERED[key] = out
    return out


#: :func:`ordered_gens`' results
_ORDERED: dict = {}


def numer_denom(e: sp.Expr, R: PolyRing, cache: dict | None = None) -> tuple:
    """``(N, {D_k: j_k})`` with ``e = N / prod D_k^j_k``: N and every D_k polynomials of the ring
    ``R`` (whose generators hold every symbol of ``e``); no gcd is taken.  Raises
    :class:`NotRational` for anything but symbols of ``R``, rationals, sums, products and integer
    powers."""
    cache = {} if cache is None else cache
    index = {g: i for i, g in enumerate(R.symbols)}
    return _nd(sp.sympify(e), R, index, cache)


def _nd(e: sp.Expr, R: PolyRing, index: dict, cache: dict) -> tuple:
    hit = cache.get(e)
    if hit is not None:
        return hit
    if e.is_Rational:
        out = (R.ground_new(QQ.from_sympy(e)), {})
    elif e in index:
        out = (R.gens[index[e]], {})
    elif e.is_Add:
        out = sum_over_common_denominator([_nd(a, R, index, cache) for a in e.args], R)
    elif e.is_Mul:
        # the product of the factors' numerators, from the first (``R.one * n`` is a copy of n,
        # term for term in n's order: the same polynomial, one multiplication fewer)
        num, den = None, {}
        for a in e.args:
            n, d = _nd(a, R, index, cache)
            num = n if num is None else num * n
            for b, k in d.items():
                den[b] = den.get(b, 0) + k
        out = (num, den)
    elif e.is_Pow and e.exp.is_Integer:
        k = int(e.exp)
        n, d = _nd(e.base, R, index, cache)
        if k >= 0:
            out = (n ** k, {b: j * k for b, j in d.items()})
        elif not n:
            raise ZeroDivisionError(f"{e}: a power of 0 with a negative exponent")
        else:
            num = R.one
            for b, j in d.items():
                num = num * b ** (j * -k)
            if n.is_ground:
                out = (num.quo_ground(n.LC ** -k), {})
            else:
                out = (num, {n: -k})
    else:
        raise NotRational(f"not a rational function of symbols: {e}")
    cache[e] = out
    return out


def sum_over_common_denominator(parts: Sequence[tuple], R: PolyRing) -> tuple:
    """The sum of fractions ``(N, {D_k: j_k})`` (:func:`numer_denom`'s form) in that form: over the
    product of each base D_k to the largest power any part has, each numerator raised by the
    bases it lacks, no gcd taken (as one writes fractions over a common denominator by hand)."""
    den: dict = {}
    for _, d in parts:
        for b, k in d.items():
            if den.get(b, 0) < k:
                den[b] = k
    # the numerators added into one new polynomial (``R.zero + n`` copies n, and each further
    # ``num + n`` copies the sum so far; ``PolyElement.__add__``'s loop run in place instead: the
    # same terms in the same order, no sum copied)
    num = None
    for n, d in parts:
        for b, k in den.items():
            miss = k - d.get(b, 0)
            if miss:
                n = n * b ** miss
        if num is None:
            num = n.copy()
        else:
            get, zero = num.get, R.domain.zero
            for m, c in n.items():
                c = get(m, zero) + c
                if c:
                    num[m] = c
                else:
                    del num[m]
    return (R.zero if num is None else num), den


def _symbols(exprs: Sequence[sp.Expr]) -> set:
    out: set = set()
    for e in exprs:
        out |= _free_symbols(e)
    if any(not isinstance(s, sp.Symbol) for s in out):
        raise NotRational("a free symbol that is not a scalar Symbol")
    return out


def _free_symbols(e: sp.Basic) -> set:
    """``e.free_symbols``: a sum, product or power has the union of its arguments' (SymPy's
    ``Basic.free_symbols``, which they do not override), a symbol itself, a number none, anything
    else its own ``free_symbols``; each distinct subexpression visited once (SymPy's property
    builds a set at every node, shared subexpressions again each time)."""
    out: set = set()
    seen: set = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        if x.is_Add or x.is_Mul or x.is_Pow:
            stack.extend(x.args)
        elif x.is_Symbol:
            out |= x.free_symbols
        elif not x.is_Number:
            out |= x.free_symbols
    return out


def cancel(e: sp.Expr) -> sp.Expr:
    """``sympy.cancel(e)``, the same expression, for a rational function ``e`` of symbols with
    rational coefficients (module docstring); :class:`NotRational` otherwise.  Each result is
    remembered, keyed by the expression (as :func:`factor`'s)."""
    e = sp.sympify(e)
    if e.is_Number:
        return e
    try:
        return _cancel(e)
    except TypeError:   # not hashable: not remembered
        return _cancel.__wrapped__(e)


@lru_cache(maxsize=4096)
def _cancel(e: sp.Expr) -> sp.Expr:
    gens = ordered_gens(_symbols([e]))
    if not gens:
        raise NotRational("no symbols")
    R = _ring(gens)
    num, den = numer_denom(e, R)
    q = R.one
    for b, k in den.items():
        q = q * b ** k
    p, q = cancel_polys(num, q)
    return p.as_expr() / q.as_expr()


def cancel_polys(f, g) -> tuple:
    """``f.cancel(g)`` for polynomials ``f``, ``g`` (g nonzero) of a ring over QQ: ``(p, q)`` with
    ``p/q = f/g``, the gcd taken over ZZ in FLINT (``fmpz_mpoly.gcd``) where python-flint is
    installed, SymPy's ``PolyElement.cancel`` otherwise.  The pair is the one SymPy returns, as
    polynomials: SymPy clears each side's denominators (``f = F/c_f``, ``g = G/c_g``, F and G over
    ZZ), divides F and G by their gcd over ZZ (unique up to sign, integer content included) and
    the integers ``c_g`` and ``c_f`` by theirs, and makes the denominator's leading coefficient
    (lex order) positive; the result is unique, so a gcd found in FLINT (several times cheaper than
    SymPy's heuristic gcd in Python) gives the same ``p`` and ``q`` (equal polynomials, so the
    same ``as_expr()``; only the order their terms are stored in may differ)."""
    if _flint is None or f.ring.domain != QQ or not f or not g:
        return f.cancel(g)
    R = f.ring
    cf, F = _integral(f)
    cg, G = _integral(g)
    ctx = _flint.fmpz_mpoly_ctx.get(tuple(f"x{i}" for i in range(R.ngens)), "lex")
    F, G = ctx.from_dict(F), ctx.from_dict(G)
    h = F.gcd(G)
    if not h.is_one():
        F, G = F / h, G / h
    k = math.gcd(cf, cg)
    mp, mq = cg // k, cf // k
    p = R.from_dict({m: QQ(int(c) * mp) for m, c in F.to_dict().items()})
    q = R.from_dict({m: QQ(int(c) * mq) for m, c in G.to_dict().items()})
    if q.LC < 0:
        p, q = -p, -q
    return p, q


def _integral(f) -> tuple:
    """``(c, {exponents: integer})`` with ``f = F / c``, c > 0 the lcm of f's denominators (as
    ``PolyElement.clear_denoms``)."""
    c = 1
    for v in f.values():
        c = math.lcm(c, int(v.denominator))
    return c, {m: int(v.numerator) * (c // int(v.denominator)) for m, v in f.items()}


def together(e: sp.Expr) -> sp.Expr:
    """``sympy.together(e)`` (default options), the same expression: SymPy's recursion, its
    result for each subexpression remembered (:func:`_together`)."""
    return _together(sp.sympify(e))


@lru_cache(maxsize=16384)
def _together(e: sp.Basic) -> sp.Basic:
    """``sympy.together``'s inner recursion (``deep=False, fraction=True``), step for step."""
    if not isinstance(e, sp.Basic) or e.is_Atom or e.is_Function:
        return e
    if e.is_Add:
        return gcd_terms([_together(a) for a in sp.Add.make_args(e)], fraction=True)
    if e.is_Pow:
        return e.func(_together(e.base), e.exp)
    return e.func(*[_together(a) for a in e.args])


def is_zero(e: sp.Expr) -> bool | None:
    """Whether ``e``, a rational function of symbols, traces and bilinear forms with rational
    coefficients (each generator an independent indeterminate), is identically 0: its numerator
    over the product of its denominators (:func:`numer_denom`: no expansion of the expression, no
    gcd) is the zero polynomial exactly when it is.  None where ``e`` is not such a function (a
    float, a square root, a function, a matrix) or a denominator is the zero polynomial.  Each
    answer is remembered, keyed by the expression."""
    e = sp.sympify(e)
    if e.is_Rational:
        return e == 0
    try:
        return _is_zero(e)
    except TypeError:   # not hashable: not remembered
        return _is_zero.__wrapped__(e)


@lru_cache(maxsize=4096)
def _is_zero(e: sp.Expr) -> bool | None:
    gens: set = set()
    try:
        _generators(e, gens)
        if not gens:
            return None
        num, _ = numer_denom(e, _ring(ordered_gens(gens, sort_gens=False)))
    except (NotRational, ZeroDivisionError):
        return None
    return not num


def _generators(e: sp.Expr, out: set, seen: set | None = None) -> None:
    """The generators SymPy's polynomials would take in ``e``: symbols, traces and bilinear forms;
    :class:`NotRational` for anything else that is not a rational, sum, product or integer power.
    Each distinct sum, product or power is walked once (``seen``: those already walked in this
    call; a subexpression shared by several others adds nothing new the second time), in the
    same depth-first order, so the generators are added to ``out`` in the same order and the
    first offending subexpression is the same."""
    if seen is None:
        seen = set()
    if e.is_Rational:
        return
    if e.is_Symbol or isinstance(e, (sp.Trace, _bilinear())):
        out.add(e)
        return
    if e in seen:
        return
    if e.is_Add or e.is_Mul:
        seen.add(e)
        for a in e.args:
            _generators(a, out, seen)
    elif e.is_Pow and e.exp.is_Integer:
        seen.add(e)
        _generators(e.base, out, seen)
    else:
        raise NotRational(f"not a rational function of symbols, traces and bilinear forms: {e}")


def _bilinear():
    from .bilinear import Bilinear
    return Bilinear


def factor(e: sp.Expr) -> sp.Expr:
    """``sympy.factor(e)``, the same expression, for a rational function ``e`` of symbols, traces
    and bilinear forms with rational coefficients (module docstring); :class:`NotRational`
    otherwise.  Each result is remembered (keyed by the expression itself: SymPy expressions that
    compare equal are the same tree), as results ask for the same factorisation more than once
    (the same difference of two errors, the same coefficient of a collected formula)."""
    return _factor(sp.sympify(e))


@lru_cache(maxsize=4096)
def _factor(e: sp.Expr) -> sp.Expr:
    from sympy.core.exprtools import _keep_coeff
    if e.is_Number:
        return e
    gens: set = set()
    _generators(e, gens)
    if not gens:
        raise NotRational("no generators")
    R = _ring(ordered_gens(gens))
    num, den = numer_denom(e, R)
    if not num:
        return sp.S.Zero
    coeff, found = factor_list(num)
    powers: dict = {}
    for f, k in found:
        powers[f] = powers.get(f, 0) + k
    for b, j in den.items():
        cb, fb = factor_list(b)
        coeff = coeff / cb ** j
        for f, k in fb:
            powers[f] = powers.get(f, 0) - k * j
    return _keep_coeff(QQ.to_sympy(coeff), sp.Mul(*[f.as_expr() ** k for f, k in powers.items() if k]))


def factor_list(p) -> tuple:
    """``p.factor_list()`` for a polynomial ``p`` of a ring over QQ: ``(c, [(f, k), ...])`` with
    ``p = c prod f^k``, each f irreducible, primitive over ZZ with a positive leading coefficient
    (lex order of the ring's generators): the same constant and factors SymPy returns (they are
    unique; only their order in the list may differ).  By FLINT's multivariate factorisation where
    python-flint is installed (``fmpq_mpoly.factor``, several times faster than SymPy's), each
    factor put in that form by :func:`primitive_part` (FLINT's already are); by SymPy's otherwise."""
    if _flint is None or not p:
        return p.factor_list()
    R = p.ring
    ctx = _flint.fmpq_mpoly_ctx.get(tuple(f"x{i}" for i in range(R.ngens)), "lex")
    c, found = ctx.from_dict({m: _flint.fmpq(int(v.numerator), int(v.denominator)) for m, v in p.items()}).factor()
    coeff = QQ(int(c.p), int(c.q))
    out = []
    for f, k in found:
        scale, terms = primitive_part({m: QQ(int(v.p), int(v.q)) for m, v in f.to_dict().items()})
        out.append((R.from_dict(terms), int(k)))
        coeff = coeff / scale ** int(k)
    return coeff, out


def primitive_part(terms: dict) -> tuple:
    """``(s, g)`` for a nonzero polynomial given as ``{exponents: rational}``: g = s f with
    integer coefficients of gcd 1 and a positive leading coefficient (the largest exponent tuple:
    lex order), s rational; ValueError for no nonzero term."""
    if not terms or not any(terms.values()):
        raise ValueError(f"terms: expected a nonzero polynomial {{exponents: rational}}, got {terms!r}")
    den = 1
    for v in terms.values():
        den = math.lcm(den, int(v.denominator))
    num = 0
    for v in terms.values():
        num = math.gcd(num, int(v.numerator) * (den // int(v.denominator)))
    scale = QQ(den, num) if terms[max(terms)] > 0 else QQ(-den, num)
    return scale, {m: v * scale for m, v in terms.items()}


def factored(e: sp.Expr) -> sp.Expr:
    """``sympy.factor(e)``, the same expression: by :func:`factor` where ``e`` is a rational
    function of symbols, traces and bilinear forms, by SymPy otherwise."""
    try:
        return factor(e)
    except (NotRational, ZeroDivisionError):
        return sp.factor(e)


def field_element(e: sp.Expr, K):
    """``e`` as an element of the fraction field ``K`` (``QQ.frac_field(*gens)``), the element
    ``K.from_sympy(e)`` gives: its numerator and denominator read by :func:`numer_denom` in K's
    ring and reduced once (``K.from_sympy`` reduces after every sum and product) by
    :func:`cancel_polys` (``F.new``'s own reduction, ``PolyElement.cancel``, its gcd taken in
    FLINT: the same numerator and denominator); :class:`NotRational` where ``e`` is not a
    rational function of K's generators."""
    F = K.field
    num, den = numer_denom(sp.sympify(e), F.ring)
    q = F.ring.one
    for b, k in den.items():
        q = q * b ** k
    return F.raw_new(*cancel_polys(num, q))


def from_sympy(e: sp.Expr, K):
    """``K.from_sympy(e)``: by :func:`field_element` where it applies, by SymPy otherwise (which
    raises where ``e`` is not in K)."""
    try:
        return field_element(e, K)
    except NotRational:
        return K.from_sympy(e)


def cancelled(e: sp.Expr) -> sp.Expr:
    """``sympy.cancel(e)``, the same expression: by :func:`cancel` where ``e`` is a rational
    function of symbols with rational coefficients, by SymPy otherwise."""
    try:
        return cancel(e)
    except (NotRational, ZeroDivisionError):
        return sp.cancel(e)


def solve_linear(equations: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """The solution of ``equations = 0``, linear in ``unknowns`` (each a rational function of the
    other symbols whose denominator is free of the unknowns), as ``sympy.linsolve`` gives it:
    each pivot unknown in terms of the free ones, which stand for themselves.  Each value is a
    rational function, unsimplified (``sympy.factor`` makes it canonical).  Raises
    :class:`NoSolution` for an inconsistent system and :class:`NotRational` where the
    equations are not of that form."""
    eqs = [sp.sympify(e) for e in equations]
    unknowns = list(unknowns)
    nu = len(unknowns)
    others = sorted(_symbols(eqs) - set(unknowns), key=sp.default_sort_key)
    R = _ring(unknowns + others)
    cache: dict = {}
    rows = []
    for e in eqs:
        num, den = numer_denom(e, R, cache)
        for b in den:
            if any(any(m[:nu]) for m in b.itermonoms()):
                raise NotRational("an unknown in a denominator")
        row: list[dict] = [{} for _ in range(nu + 1)]
        for m, c in num.iterterms():
            lin = [i for i in range(nu) if m[i]]
            if len(lin) > 1 or (lin and m[lin[0]] != 1):
                raise NotRational("an equation of degree > 1 in the unknowns")
            row[lin[0] if lin else nu][m[nu:]] = c
        rows.append(row)
    if others and _flint is not None:
        K = QQ.frac_field(*others)
        table, pivots = _rref_flint(rows, nu, K)
    else:
        if others:
            K = QQ.frac_field(*others)
            F, ring = K.field, K.field.ring

            def elem(d: dict):
                return F.new(ring.from_dict(d)) if d else K.zero
        else:
            K = QQ

            def elem(d: dict):
                return d.get((), QQ.zero)
        M = DomainMatrix([[elem(d) for d in row] for row in rows], (len(rows), nu + 1), K)
        reduced, pivots = M.rref()
        table = reduced.to_list()
    if nu in pivots:
        raise NoSolution("the linear system is inconsistent")
    out: list = list(unknowns)
    for i, p in enumerate(pivots):
        row = table[i]
        out[p] = -K.to_sympy(row[nu]) - sp.Add(*[K.to_sympy(row[j]) * unknowns[j]
                                                 for j in range(nu) if j not in pivots and row[j]])
    return out


def _rref_flint(rows: list, nu: int, K) -> tuple:
    """The reduced row echelon form of the system ``rows`` (each ``nu + 1`` coefficients, a
    coefficient ``{exponents of K's generators: rational}``) over ``K = QQ(others)`` and its
    pivot columns, as ``DomainMatrix(...).rref()`` gives them (the pivot rows' entries in the
    non-pivot columns, which are all :func:`solve_linear` reads; the pivot columns left 0): Gauss-Jordan elimination over K
    (SymPy's ``sdm_irref``: the first row with a nonzero entry in the column is the pivot row,
    divided by its pivot, the column cleared in every other row), each element a fraction of two
    polynomials of ZZ[others] in FLINT (``fmpz_mpoly``), numerator and denominator kept coprime
    over ZZ (FLINT's gcd keeps the integer content); each entry read out is put in K's own normal
    form (``PolyElement.cancel``): that, and the denominator's leading coefficient (lex order of
    K's generators) positive.  Each row is first scaled to integer coefficients (the reduced form
    does not change when a row is multiplied by a nonzero constant).  About four times cheaper
    than SymPy's elimination over K (whose gcds are SymPy's heuristic gcd, in Python); a
    fraction-free elimination (``ddm_irref_den``) in FLINT is not: its entries grow to the
    system's minors (an 8 x 8 system over six symbols: four times the cost of SymPy's).  The reduced form is unique, so it is the
    one SymPy's elimination reaches, and each entry the same element of K, term for term.
    Returns the pivot rows as lists of K's elements and the pivots."""
    F, ring = K.field, K.field.ring
    ctx = _flint.fmpz_mpoly_ctx.get(tuple(f"x{i}" for i in range(ring.ngens)), "lex")
    one = ctx.from_dict({(0,) * ring.ngens: 1})
    n = nu + 1

    def mul(a, b):
        g1, g2 = a[0].gcd(b[1]), b[0].gcd(a[1])
        return (a[0] / g1) * (b[0] / g2), (a[1] / g2) * (b[1] / g1)

    def sub(a, b):     # a - b, None for 0
        g = a[1].gcd(b[1])
        qa, qb = a[1] / g, b[1] / g
        p = a[0] * qb - b[0] * qa
        if p.is_zero():
            return None
        q = qa * b[1]
        h = p.gcd(q)
        if not h.is_one():
            p, q = p / h, q / h
        return p, q

    a = []
    for row in rows:
        den = 1
        for dct in row:
            for v in dct.values():
                den = math.lcm(den, int(v.denominator))
        a.append([(ctx.from_dict({m: int(v.numerator) * (den // int(v.denominator)) for m, v in dct.items()}), one)
                  if dct else None for dct in row])
    pivots: list = []
    i = 0
    for j in range(n):
        if i >= len(a):
            break
        for ip in range(i, len(a)):
            if a[ip][j] is not None:
                break
        else:
            continue
        a[i], a[ip] = a[ip], a[i]
        piv = a[i][j]
        prow = [None if c is None else mul(c, (piv[1], piv[0])) for c in a[i]]
        prow[j] = (one, one)
        a[i] = prow
        for r, row in enumerate(a):
            if r == i or row[j] is None:
                continue
            f = row[j]
            for c in range(j, n):
                if prow[c] is not None:
                    t = mul(f, prow[c])
                    row[c] = (-t[0], t[1]) if row[c] is None else sub(row[c], t)
            row[j] = None
        pivots.append(j)
        i += 1

    def elem(x):
        if x is None:
            return K.zero
        p, q = x
        if q.leading_coefficient() < 0:     # a denominator may be negative (a pivot's numerator)
            p, q = -p, -q
        return F.raw_new(ring.from_dict({e: QQ(int(v)) for e, v in p.to_dict().items()}),
                         ring.from_dict({e: QQ(int(v)) for e, v in q.to_dict().items()}))

    wanted = [c for c in range(n) if c not in pivots]
    table = []
    for r in range(len(pivots)):
        row = [K.zero] * n
        for c in wanted:
            row[c] = elem(a[r][c])
        table.append(row)
    return table, pivots
