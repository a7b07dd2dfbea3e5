r"""Two exact curves compared at equal level: crossings by resultants and exact root isolation,
the order between them by certified interval arithmetic.

Each side is a curve ``p -> (g(p), f(p))`` on p in [0, 1] (:mod:`proofs.quantities.compare_curves`),
g the matched error (monotone, checked: no root of odd multiplicity of g' in (0, 1), Sturm) and f
a column, both rational functions with rational coefficients.  At a common level the two
sides' f are equal exactly when (p, q) solves

    P1(p, q) = Ng_A(p) Dg_B(q) - Ng_B(q) Dg_A(p) = 0,     P2(p, q) = Nf_A(p) Df_B(q) - Nf_B(q) Df_A(p) = 0,

so p is a root of the resultant ``R(p) = res_q(P1, P2)``.  The roots of R in [0, 1] are isolated
exactly (Descartes' rule on (0, 1), else ``Poly.intervals``; rational endpoints), narrowed to width
10^-40 (Newton's method in exact dyadic arithmetic, the bracket's signs checked exactly) and mapped
to levels: the *candidates*.  Between
two consecutive candidates the difference ``f_A - f_B`` at equal level has no zero, so one
rational level there decides its sign for the whole piece: both parameters at that level are
bracketed (the one root of ``Ng - z Dg`` on [0, 1], to width 10^-12 and tighter while needed:
Newton's method in exact dyadic arithmetic, the bracket's signs checked exactly) and the
difference is enclosed by interval arithmetic in exact rationals, a certified sign.  A crossing
is a candidate where the sign changes; its level is an algebraic number, given exactly as a root
of an integer polynomial (a ``CRootOf``: the resultant in p of the root's irreducible factor and
``z Dg_A(p) - Ng_A(p)``).  A candidate where the
sign does not change is a touching point when the difference vanishes there to 50 digits
(numeric), otherwise a root of R that belongs to no common point of the two curves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import Any

import sympy as sp

from proofs.quantities.compare_curves import P

try:    # FLINT's resultant, where python-flint is installed (a dependency)
    import flint as _flint
except ImportError:  # pragma: no cover - the dependency is declared; SymPy's routine otherwise
    _flint = None

__all__ = ["ExactSide", "exact_side", "exact_sign", "exact_pieces", "Q_", "Z_"]

Q_ = sp.Symbol("q")
Z_ = sp.Symbol("z")
#: width to which a parameter is isolated before an enclosure is computed
EPS = sp.Rational(1, 10 ** 40)
#: working precision (decimal digits) of the enclosures
DPS = 80


@dataclass
class ExactSide:
    """An exact curve with its matched error ``g = Ng/Dg``, its level range and direction."""

    curve: Any
    match: Any
    Ng: sp.Poly
    Dg: sp.Poly
    lo: sp.Rational
    hi: sp.Rational
    increasing: bool
    cols: dict = field(default_factory=dict)  # column -> (N, D) Polys in P
    params: dict = field(default_factory=dict)  # (level, eps) -> isolating interval (every column asks)

    @property
    def point(self) -> bool:
        return bool(self.curve.point)

    def nd(self, column: Any) -> tuple[sp.Poly, sp.Poly]:
        if column not in self.cols:
            self.cols[column] = self.curve.nd(column)
        return self.cols[column]

    def param(self, z: sp.Rational, eps: sp.Rational = EPS, isolate: bool = False) -> tuple[sp.Rational, sp.Rational]:
        """An isolating interval [a, b], b - a < eps, of the parameter at the rational level z;
        z within [lo, hi].  The parameter is the one root on [0, 1] of ``Ng - z Dg`` (g is
        monotone with no pole there: :func:`exact_side`), where that polynomial changes sign:
        it is approximated (float, then Newton's method in exact dyadic arithmetic) and
        bracketed by two dyadic rationals at which the polynomial's signs, computed exactly,
        differ (:func:`_bracket_root`); a = b at an end of [0, 1] or where the bracket hits the
        root.  Where that fails, and with ``isolate``, the roots are isolated by
        ``Poly.intervals`` instead (a = b at every rational root it finds exactly)."""
        if self.point:
            return sp.S.Zero, sp.S.Zero
        key = (z, eps, isolate)
        if key not in self.params:
            got = None if isolate else _bracket_root(self._level_ints(z), eps)
            if got is None:
                poly = self.Ng - self.Dg * z
                roots = [iv for iv, _ in poly.intervals(inf=0, sup=1, eps=eps)]
                if not roots:
                    raise ValueError(f"level {z} outside [{self.lo}, {self.hi}] of {self.curve.side.label}")
                (a, b), = roots[:1] if len(roots) == 1 else [min(roots, key=lambda r: r[0])]
                got = (sp.Rational(a), sp.Rational(b))
            self.params[key] = got
        return self.params[key]

    def _level_ints(self, z: sp.Rational) -> list[int]:
        """``Ng - z Dg`` as integer coefficients (highest degree first), scaled by a positive
        integer (the same roots and signs)."""
        if "ints" not in self.cols:
            deg = max(self.Ng.degree(), self.Dg.degree(), 0)

            def fr(poly: sp.Poly) -> list[Fraction]:
                cs = [Fraction(int(sp.Rational(c).p), int(sp.Rational(c).q)) for c in poly.all_coeffs()]
                return [Fraction(0)] * (deg + 1 - len(cs)) + cs
            self.cols["ints"] = (fr(self.Ng), fr(self.Dg))
        n, d = self.cols["ints"]
        z = sp.Rational(z)
        zf = Fraction(int(z.p), int(z.q))
        cs = [a - zf * b for a, b in zip(n, d)]
        den = lcm(*(c.denominator for c in cs))
        return [int(c * den) for c in cs]


def _horner(c: list[int], n: int, k: int) -> int:
    """``P(n / 2^k) 2^(k deg P)``, exactly: P with integer coefficients ``c``, highest degree first."""
    acc, sh = c[0], 0
    for ci in c[1:]:
        sh += k
        acc = acc * n + (ci << sh)
    return acc


def _bracket_root(c: list[int], eps: sp.Rational) -> tuple[sp.Rational, sp.Rational] | None:
    """The root on [0, 1] of the polynomial with integer coefficients ``c`` (highest first) where
    it is known to be unique and to change sign, in an interval [a, b] with b - a < eps: the
    root approximated in float (bisection) and by Newton's method in exact dyadic arithmetic,
    then bracketed by two dyadic rationals where P's sign, computed exactly, is P(0)'s and
    P(1)'s.  None where P does not change sign on [0, 1] or the bracket is not shown."""
    deg = len(c) - 1
    while deg > 0 and c[0] == 0:
        c, deg = c[1:], deg - 1
    if deg < 1:
        return None
    if c[-1] == 0:
        return sp.S.Zero, sp.S.Zero
    p1 = sum(c)
    if p1 == 0:
        return sp.S.One, sp.S.One
    s0, s1 = c[-1] > 0, p1 > 0
    if s0 == s1:
        return None
    # float: bisection on [0, 1] (a start for Newton; its signs need not be right near the root)
    top = max(abs(x).bit_length() for x in c)
    scale = 1 << max(top - 60, 0)
    cf = [x / scale for x in c]
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        acc = 0.0
        for x in cf:
            acc = acc * mid + x
        if (acc > 0) == s0 and acc != 0:
            lo = mid
        else:
            hi = mid
        if not lo < (lo + hi) / 2 < hi:
            break
    bits = (int(eps.q) // int(eps.p)).bit_length() + 1   # 2^-bits < eps
    K = max(bits + 8, 60)
    dc = [x * (deg - i) for i, x in enumerate(c[:-1])]
    k, n = 53, round(((lo + hi) / 2) * (1 << 53))
    while True:
        k2 = min(2 * k, K) if k < K else K
        n2 = n << (k2 - k)
        A = _horner(c, n2, k2)               # P(x) 2^(k2 deg)
        B = _horner(dc, n2, k2) if deg > 1 else dc[0]   # P'(x) 2^(k2 (deg - 1))
        if B == 0:
            return None
        # x - P(x)/P'(x) at precision k2: P/P' = A / (B 2^k2)
        num, den = A, B
        if den < 0:
            num, den = -num, -den
        n = n2 - (2 * num + den) // (2 * den)
        last = k == K
        k = k2
        if last:
            break
        if k == K:
            continue
    g = K - bits - 2
    a, b = max(n - (1 << g), 0), min(n + (1 << g), 1 << K)
    if not a < b:   # Newton left [0, 1]: no bracket here (the caller isolates the root exactly)
        return None
    pa, pb = _horner(c, a, K), _horner(c, b, K)
    if pa == 0:
        return _dyadic(a, K), _dyadic(a, K)
    if pb == 0:
        return _dyadic(b, K), _dyadic(b, K)
    if (pa > 0) != s0 or (pb > 0) != s1:
        return None
    return _dyadic(a, K), _dyadic(b, K)


def _dyadic(n: int, k: int) -> sp.Rational:
    return sp.Rational(n, 1 << k)


def exact_side(curve: Any, match: Any) -> ExactSide:
    """The level data of an exact curve; ValueError when the matched error is not monotone or
    has a pole on [0, 1]."""
    Ng, Dg = curve.nd(match)
    if curve.point:
        v = sp.S(curve.columns[match])
        return ExactSide(curve, match, Ng, Dg, v, v, True)
    got = _level_range(Ng, Dg)
    if got == "pole":
        raise ValueError(f"match: {match} has a pole on {curve.side.label}")
    if got == "constant":
        raise ValueError(f"match: {match} is constant along {curve.side.label} (every point has one level): "
                         "compare its end point instead")
    if got == "not monotone":
        raise ValueError(f"match: {match} is not monotone along {curve.side.label} (its derivative changes sign on "
                         "(0, 1)): a level does not name one point; match another error")
    return ExactSide(curve, match, Ng, Dg, *got)


@lru_cache(maxsize=128)
def _level_range(Ng: sp.Poly, Dg: sp.Poly) -> tuple | str:
    """``(lo, hi, increasing)`` of g = Ng/Dg on [0, 1] where g has no pole there and is monotone
    (its derivative's numerator has no root of odd multiplicity inside (0, 1)), else why not:
    ``pole``, ``constant`` or ``not monotone``.  Once per (Ng, Dg): the path's matched error at one
    setting is the same pair for every comparison made there (the remark's map of
    ``early-stopping-vs-auxiliary`` reads it at three n_ft)."""
    if _count_01(Dg) > 0:
        return "pole"
    g0, g1 = Ng.eval(0) / Dg.eval(0), Ng.eval(1) / Dg.eval(1)
    dnum = Ng.diff(P) * Dg - Ng * Dg.diff(P)
    if dnum.is_zero or g0 == g1:
        return "constant"
    # no sign variation by Descartes' rule on (0, 1): no root of dnum in the open (0, 1) at all (a
    # root at an end does not count), so none of odd multiplicity; else the square-free factors of
    # odd multiplicity are counted there (Sturm)
    if dnum.degree() >= 1 and _descartes_01(_integer_coeffs(dnum)[0]) == 0:
        return min(g0, g1), max(g0, g1), g1 > g0
    odd = [f for f, k in dnum.sqf_list()[1] if k % 2 and
           _count_01(f) - (1 if f.eval(0) == 0 else 0) - (1 if f.eval(1) == 0 else 0) > 0]
    if odd:
        return "not monotone"
    return min(g0, g1), max(g0, g1), g1 > g0


# ----------------------------------------------------------------------------- enclosures

def _iv(x: sp.Rational):
    from mpmath import iv
    x = sp.Rational(x)
    return iv.mpf(int(x.p)) / int(x.q)


def _enclose(poly: sp.Poly, a: sp.Rational, b: sp.Rational, x: Any = None):
    """An interval holding poly(x) for every x in [a, b] (Horner in interval arithmetic); ``x``:
    [a, b] as an interval when already converted."""
    from mpmath import iv
    if x is None:
        x = _iv_span(a, b)
    out = iv.mpf(0)
    for c in _iv_coeffs(poly):
        out = out * x + c
    return out


def _iv_span(a: sp.Rational, b: sp.Rational):
    """[a, b] as an interval (outward: a rounded down, b up; a point interval's one conversion)."""
    from mpmath import iv
    ia = _iv(a)
    return iv.mpf([ia.a, (ia if b == a else _iv(b)).b])


#: the coefficients of polynomials as intervals, per working precision: (poly, prec) -> list
_IV_COEFFS: dict = {}


def _iv_coeffs(poly: sp.Poly) -> list:
    """``[_iv(c) for c in poly.all_coeffs()]`` at the interval context's precision, converted once."""
    from mpmath import iv
    key = (poly, iv.prec)
    got = _IV_COEFFS.get(key)
    if got is None:
        if len(_IV_COEFFS) >= 4096:
            _IV_COEFFS.clear()
        got = _IV_COEFFS[key] = [_iv(c) for c in poly.all_coeffs()]
    return got


def _enclose_ratio(nd: tuple[sp.Poly, sp.Poly], a, b):
    from mpmath import iv
    x = _iv_span(a, b)
    num, den = _enclose(nd[0], a, b, x), _enclose(nd[1], a, b, x)
    if den.a <= 0 <= den.b:
        return iv.mpf(["-inf", "inf"])
    return num / den


@lru_cache(maxsize=512)
def _integer_coeffs(poly: sp.Poly) -> tuple[tuple[int, ...], int]:
    """``(c, D)`` with ``poly = sum c_i x^(deg - i) / D``: integer coefficients (highest first) over
    one positive denominator."""
    dom = poly.domain
    if dom.is_ZZ or dom.is_QQ:   # the coefficients as the domain holds them (no SymPy numbers)
        rep = poly.rep.to_list() or [dom.zero]     # all_coeffs() of the zero polynomial is [0]
        pq = [(int(c), 1) for c in rep] if dom.is_ZZ else [(int(dom.numer(c)), int(dom.denom(c))) for c in rep]
    else:
        pq = [(int(c.p), int(c.q)) for c in map(sp.Rational, poly.all_coeffs())]
    D = lcm(*(q for _, q in pq))
    return tuple(n * (D // q) for n, q in pq), D


def _scaled_enclosure(poly: sp.Poly, na: int, nb: int, q: int) -> tuple[int, int, int]:
    """``(lo, hi, s)``, s > 0, with ``lo / s <= poly(x) <= hi / s`` for every x in [na / q, nb / q]
    (q > 0): the interval Horner scheme in exact arithmetic, every partial sum kept times q^i, an
    integer: ``S_i = S_(i-1) n + c_i q^i``, ``n`` in [na, nb]; the bounds over their common
    denominator ``q^deg D``, not reduced."""
    c, D = _integer_coeffs(poly)
    lo = hi = c[0]
    qp = 1
    for ci in c[1:]:
        qp *= q
        ps = (lo * na, lo * nb, hi * na, hi * nb)
        lo, hi = min(ps) + ci * qp, max(ps) + ci * qp
    return lo, hi, qp * D


def _exact_enclosure(poly: sp.Poly, a: Fraction, b: Fraction) -> tuple[Fraction, Fraction]:
    """The interval Horner scheme of ``poly`` over [a, b] in exact arithmetic: an interval holding
    poly(x) for every x in [a, b] (the same scheme as :func:`_enclose`, without rounding).  With
    ``x = n / q`` (q the common denominator of a and b) every partial sum is kept times q^i, an
    integer (:func:`_scaled_enclosure`)."""
    q = lcm(a.denominator, b.denominator)
    na, nb = a.numerator * (q // a.denominator), b.numerator * (q // b.denominator)
    lo, hi, scale = _scaled_enclosure(poly, na, nb, q)
    return Fraction(lo, scale), Fraction(hi, scale)


def _below(x: tuple[int, int], y: tuple[int, int]) -> bool:
    """``x < y`` for fractions given as (numerator, positive denominator) pairs, unreduced."""
    return x[0] * y[1] < y[0] * x[1]


def _ratio_enclosure(nd: tuple, p: tuple) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """An interval holding ``N(x) / D(x)`` for every x in [p[0], p[1]] (rationals), from the exact
    enclosures of N and D (:func:`_scaled_enclosure`): the least and greatest of the four quotients
    of their bounds, each as (numerator, positive denominator), unreduced (no gcd: the order of
    fractions by cross-multiplication, :func:`_below`); None where D's enclosure holds 0."""
    a, b = sp.Rational(p[0]), sp.Rational(p[1])
    qa, qb = int(a.q), int(b.q)
    q = lcm(qa, qb)
    na, nb = int(a.p) * (q // qa), int(b.p) * (q // qb)
    n1, n2, sn = _scaled_enclosure(nd[0], na, nb, q)
    d1, d2, sd = _scaled_enclosure(nd[1], na, nb, q)
    if d1 <= 0 <= d2:
        return None
    lo = hi = None
    for x in (n1, n2):
        for y in (d1, d2):
            num, den = x * sd, y * sn          # (x / sn) / (y / sd)
            if den < 0:
                num, den = -num, -den
            t = (num, den)
            if lo is None or _below(t, lo):
                lo = t
            if hi is None or _below(hi, t):
                hi = t
    return lo, hi


def _difference_sign(nda: tuple, pa: tuple, ndb: tuple, pb: tuple) -> int:
    """The sign of ``N_A/D_A - N_B/D_B`` with each side's parameter anywhere in its interval, where
    exact interval arithmetic shows it (the two enclosures apart); 0 where it does not."""
    fa = _ratio_enclosure(nda, pa)
    fb = _ratio_enclosure(ndb, pb) if fa is not None else None
    if fb is None:
        return 0
    if _below(fb[1], fa[0]):
        return 1
    if _below(fa[1], fb[0]):
        return -1
    return 0


def value_near(nd: tuple[sp.Poly, sp.Poly], a, b) -> float:
    """f at the midpoint of [a, b], as a float."""
    m = (sp.Rational(a) + sp.Rational(b)) / 2
    return float(nd[0].eval(m) / nd[1].eval(m))


def exact_sign(A: ExactSide, B: ExactSide, column: Any, z: sp.Rational, params: list | None = None) -> tuple[int, str]:
    """The sign of ``f_A - f_B`` at the rational level z, certified: (sign, how) with ``how``
    ``certified`` (an enclosure away from 0), ``exact`` (a zero shown exactly) or ``numeric``
    (a zero to 50 digits that could not be shown exactly).  The parameters are isolated to
    width 10^-12 first, then ever tighter (10^-24, 10^-48, ...) while the enclosure holds 0
    (:meth:`ExactSide.param`; at the last width by ``Poly.intervals`` before a zero is decided);
    the enclosures are exact (:func:`_difference_sign`: rational interval arithmetic, tighter than
    any rounded one), then, before a zero is decided, in mpmath's interval arithmetic;
    ``params`` (a list) receives the last isolating intervals."""
    from mpmath import iv
    iv.dps = DPS
    eps = sp.Rational(1, 10 ** 12)
    for _ in range(5):
        pa, pb = A.param(z, eps), B.param(z, eps)
        if params is not None:
            params[:] = [pa, pb]
        sign = _difference_sign(A.nd(column), pa, B.nd(column), pb)
        if sign:
            return sign, "certified"
        last, eps = eps, eps ** 2
    # a zero (or a difference below every enclosure): the parameters isolated by Poly.intervals at
    # the last width, so that a rational parameter is exact; a zero exactly when one side's
    # parameter is rational (an end of its range)
    pa, pb = A.param(z, last, isolate=True), B.param(z, last, isolate=True)
    d = _enclose_ratio(A.nd(column), *pa) - _enclose_ratio(B.nd(column), *pb)
    if params is not None:
        params[:] = [pa, pb]
    for S, T, ps in ((A, B, pa), (B, A, pb)):
        if ps[0] == ps[1]:
            N, Dn = S.nd(column)
            v = N.eval(ps[0]) / Dn.eval(ps[0])
            tn, td = T.nd(column)
            if T.point:
                return (0, "exact") if v == tn.eval(0) / td.eval(0) else (_sign_float(d), "numeric")
            g = sp.gcd(tn - td * v, T.Ng - T.Dg * z)
            if g.degree() > 0 and g.count_roots(0, 1) > 0:
                return 0, "exact"
    return 0, "numeric"


def _sign_float(d) -> int:
    m = float(d.mid)
    return 1 if m > 0 else -1 if m < 0 else 0


# ----------------------------------------------------------------------------- candidates and pieces

@dataclass
class Candidate:
    """A root of the resultant mapped to a level: its enclosure [lo, hi], the polynomial R it is
    a root of and the isolating interval of p (on side A)."""

    lo: sp.Rational
    hi: sp.Rational
    factor: sp.Poly
    p: tuple

    @property
    def mid(self) -> sp.Rational:
        return (self.lo + self.hi) / 2


def _cross(a: sp.Poly, b: sp.Poly, c: sp.Poly, d: sp.Poly) -> sp.Poly:
    """``a(p) b(q) - c(q) d(p)`` in QQ[q, p] (q first: the resultant eliminates it), from four
    polynomials in p over QQ: the coefficient of q^k is ``b_k a(p) - c_k d(p)``, built on the dense
    coefficient lists (no products of bivariate polynomials)."""
    from sympy.polys.densearith import dup_mul_ground, dup_sub
    from sympy.polys.densebasic import dmp_strip
    from sympy.polys.polyclasses import DMP
    QQ = sp.QQ
    a, b, c, d = (x if x.domain == QQ else x.set_domain(QQ) for x in (a, b, c, d))
    ra, rd = a.rep.to_list(), d.rep.to_list()
    rb, rc = b.rep.to_list(), c.rep.to_list()
    top = max(len(rb), len(rc))
    rb, rc = [QQ.zero] * (top - len(rb)) + rb, [QQ.zero] * (top - len(rc)) + rc   # highest power of q first
    rows = [dup_sub(dup_mul_ground(ra, bk, QQ), dup_mul_ground(rd, ck, QQ), QQ) for bk, ck in zip(rb, rc)]
    return sp.Poly.new(DMP(dmp_strip(rows, 1) if rows else [[]], QQ, 1), Q_, P)


def _resultant_q(P1: sp.Poly, P2: sp.Poly) -> sp.Poly:
    """``res_q(P1, P2)`` as a Poly in :data:`P` over QQ, for P1, P2 in ZZ[q, p] (q first): the
    determinant of their Sylvester matrix in q, computed by FLINT's ``fmpz_mpoly.resultant``
    (several times faster than SymPy's subresultant sequence; the same polynomial: both are that
    determinant), by SymPy where python-flint is not installed."""
    if _flint is None or P1.domain != sp.ZZ or P2.domain != sp.ZZ:   # pragma: no cover - flint is a dependency
        R = P1.resultant(P2)
        return sp.Poly(R, P, domain="QQ") if not isinstance(R, sp.Poly) else R.set_domain(sp.QQ)
    from sympy.polys.densebasic import dup_strip
    from sympy.polys.polyclasses import DMP
    QQ = sp.QQ
    ctx = _flint.fmpz_mpoly_ctx.get(("q", "p"), "lex")
    a, b = (ctx.from_dict({m: int(c) for m, c in X.rep.to_dict().items()}) for X in (P1, P2))
    terms = {m[1]: c for m, c in a.resultant(b, "q").to_dict().items()}   # a polynomial in p alone
    top = max(terms, default=0)
    dense = [QQ(int(terms[k])) if k in terms else QQ.zero for k in range(top, -1, -1)]   # highest power first
    return sp.Poly.new(DMP(dup_strip(dense), QQ), P)


def _candidates(A: ExactSide, B: ExactSide, column: Any, zlo, zhi) -> tuple[list, Any]:
    """Candidates strictly inside (zlo, zhi), and R (None when the two equations share a factor:
    the curves coincide)."""
    NfA, DfA = A.nd(column)
    if B.point:
        # f_A(p) = v_B at the level g_A(p) = z_B: only one level, no crossing on a range
        return [], sp.S.One
    NfB, DfB = B.nd(column)
    NgB, DgB = B.Ng, B.Dg

    P1 = _cross(A.Ng, DgB, NgB, A.Dg)
    P2 = _cross(NfA, DfB, NfB, DfA)
    if P2.is_zero:
        return [], None
    # over ZZ (denominators cleared: each equation scaled by a constant, the same zeros), where the
    # resultant runs several times faster than over QQ; R then differs by a constant factor only
    P1, P2 = P1.clear_denoms(convert=True)[1], P2.clear_denoms(convert=True)[1]
    # R = 0 exactly when P1 and P2 share a factor of positive degree in q (the curves coincide: a
    # gcd would only say so first)
    R = _resultant_q(P1, P2)
    if R.is_zero:
        return [], None
    out = []
    # the distinct roots of R on [0, 1], isolated (no factorisation: the irreducible factor of a root
    # is found only where its level is wanted exactly, crossing_level), each isolating interval then
    # narrowed to width < EPS (:func:`_narrow`)
    if R.degree() >= 1:
        ints = _integer_coeffs(R)[0]
        roots = [(a, b) if a == b else _narrow(ints, a, b, EPS) for a, b in _roots_01(R, ints)]
        if any(r is None for r in roots):   # an interval not narrowed: isolated to EPS by Poly.intervals
            roots = [iv for iv, _m in R.intervals(inf=0, sup=1, eps=EPS)]
        for a, b in roots:
            a, b = sp.Rational(a), sp.Rational(b)
            enc = _enclose_ratio((A.Ng, A.Dg), a, b)
            lo, hi = sp.Rational(str(sp.Float(enc.a, 60))) , sp.Rational(str(sp.Float(enc.b, 60)))
            lo, hi = min(lo, hi), max(lo, hi)
            if hi <= zlo or lo >= zhi:
                continue
            out.append(Candidate(lo, hi, R, (a, b)))
    out.sort(key=lambda c: c.mid)
    merged: list = []
    for c in out:
        if merged and c.lo <= merged[-1].hi:
            continue  # the same level from another root p: one candidate
        merged.append(c)
    return merged, R


def _descartes_01(c: tuple[int, ...]) -> int:
    """The sign variations of ``(1 + x)^n R(1 / (1 + x))`` for R with integer coefficients ``c``
    (highest first): an upper bound on R's roots in (0, 1) of the same parity (Descartes' rule; x > 0
    is p in (0, 1))."""
    from sympy.polys.densetools import dup_shift
    from sympy.polys.domains import ZZ
    shifted = dup_shift([ZZ(x) for x in reversed(c)], ZZ(1), ZZ)
    signs = [x > 0 for x in shifted if x]
    return sum(s != t for s, t in zip(signs, signs[1:]))


def _count_01(poly: sp.Poly) -> int:
    """``poly.count_roots(0, 1)`` (roots on the closed [0, 1], Sturm), with no Sturm sequence where
    the count is 0 by Descartes' rule (no variation) and R(0), R(1) are not 0, or poly is a constant."""
    if poly.degree() < 1:
        return 0
    c = _integer_coeffs(poly)[0]
    if c[-1] != 0 and sum(c) != 0 and _descartes_01(c) == 0:
        return 0
    return poly.count_roots(0, 1)


def _roots_01(R: sp.Poly, c: tuple[int, ...]) -> list:
    """Isolating intervals ``(a, b)`` of the distinct roots of R on [0, 1] (a = b: a rational root
    found exactly), R with integer coefficients ``c`` (highest first).  Descartes' rule on
    ``(1 + x)^n R(1 / (1 + x))`` (x > 0 is p in (0, 1)): no sign variation, no root in (0, 1); one,
    exactly one, isolated by (0, 1) itself; where R(0) or R(1) is 0, or more variations,
    ``Poly.intervals`` isolates them."""
    if c[-1] != 0 and sum(c) != 0:
        changes = _descartes_01(c)
        if changes == 0:
            return []
        if changes == 1:
            return [(sp.S.Zero, sp.S.One)]
    return [(a, b) for (a, b), _m in R.intervals(inf=0, sup=1)]


def _narrow(c: tuple[int, ...], a: Any, b: Any, eps: sp.Rational) -> tuple[Any, Any] | None:
    """An interval [lo, hi] inside the isolating interval [a, b] of one root of a polynomial with
    integer coefficients ``c`` (highest first), hi - lo < eps, holding that root: the polynomial is
    carried to [0, 1] (``x = a + (b - a) t``, exact) and the root bracketed there by
    :func:`_bracket_root` (Newton's method in exact dyadic arithmetic, the bracket's signs checked
    exactly).  None where that shows no bracket (a root of even multiplicity: no sign change; an
    end of [a, b] itself a root)."""
    fa, fb = Fraction(int(sp.Rational(a).p), int(sp.Rational(a).q)), Fraction(int(sp.Rational(b).p), int(sp.Rational(b).q))
    w = fb - fa
    # the coefficients of R(a + w t) in t, lowest degree first (Horner on polynomials in t)
    q: list = [Fraction(c[0])]
    for ci in c[1:]:
        nxt = [x * fa for x in q] + [Fraction(0)]
        for i, x in enumerate(q):
            nxt[i + 1] += x * w
        nxt[0] += ci
        q = nxt
    den = lcm(*(x.denominator for x in q))
    ints = [int(x * den) for x in reversed(q)]
    if ints[-1] == 0 or sum(ints) == 0:   # an end of [a, b] a root (not the one isolated inside)
        return None
    got = _bracket_root(ints, eps / sp.Rational(w.numerator, w.denominator))
    if got is None:
        return None
    ra = sp.Rational(fa.numerator, fa.denominator)
    rw = sp.Rational(w.numerator, w.denominator)
    return ra + rw * got[0], ra + rw * got[1]


def _level_resultant(R: sp.Poly, Ng: sp.Poly, Dg: sp.Poly) -> Any:
    """``res_p(R(p), z Dg(p) - Ng(p))``, a polynomial in z over QQ: the determinant of the Sylvester
    matrix in p, by FLINT's ``fmpq_mpoly.resultant`` (the same polynomial as SymPy's subresultant
    sequence on the Polys in (p, z), which it replaces where python-flint is installed)."""
    QQ = sp.QQ
    if _flint is None:   # pragma: no cover - flint is a dependency
        left = sp.Poly.from_dict({(k, 0): c for (k,), c in R.terms()}, P, Z_, domain=QQ)
        right = sp.Poly.from_dict({(k, 1): c for (k,), c in Dg.terms()}, P, Z_, domain=QQ) \
            - sp.Poly.from_dict({(k, 0): c for (k,), c in Ng.terms()}, P, Z_, domain=QQ)
        return left.resultant(right)
    from sympy.polys.densebasic import dup_strip
    from sympy.polys.polyclasses import DMP

    def fq(c: Any) -> Any:
        c = QQ.convert(c)
        return _flint.fmpq(int(QQ.numer(c)), int(QQ.denom(c)))
    ctx = _flint.fmpq_mpoly_ctx.get(("p", "z"), "lex")
    left = ctx.from_dict({(k, 0): fq(c) for (k,), c in R.terms() if c})
    right = ctx.from_dict({**{(k, 0): -fq(c) for (k,), c in Ng.terms() if c},
                           **{(k, 1): fq(c) for (k,), c in Dg.terms() if c}})
    terms = {m[1]: c for m, c in left.resultant(right, "p").to_dict().items()}   # a polynomial in z alone
    top = max(terms, default=0)
    dense = [QQ(int(terms[k].p), int(terms[k].q)) if k in terms else QQ.zero for k in range(top, -1, -1)]
    return sp.Poly.new(DMP(dup_strip(dense), QQ), Z_)


def crossing_level(A: ExactSide, cand: Candidate) -> sp.Expr:
    """The candidate's level exactly: a rational, or a ``CRootOf`` of an irreducible integer
    polynomial in z (a factor of the resultant in p of R and ``z Dg_A(p) - Ng_A(p)``: the level's
    minimal polynomial is one of them).

    The root is the first real root, factor by factor (in ``factor_list``'s order, each factor's
    roots in increasing order), whose 60-digit value lies in the candidate's enclosure widened by
    10^-30; a factor with no root within twice that widening (Sturm's count, exact) holds no such
    root and its roots are not computed (the window also covers the 60-digit rounding).  (R is
    not factored first: the factors of the resultant of R's irreducible factor are among those
    of R's own, and only a factor with a root in the window is read.)"""
    # the resultant on polynomials in (p, z) over QQ (the same subresultant algorithm as on the
    # expressions, without converting them)
    res = _level_resultant(cand.factor, A.Ng, A.Dg)
    # a Poly in z over QQ: its smallest domain (ZZ where every coefficient is an integer), as
    # ``Poly(res.as_expr(), z)`` would infer it (factor_list's factors, hence the roots' printed
    # polynomials, depend on it), without the expression
    res = res.retract() if isinstance(res, sp.Poly) and res.gens == (Z_,) else sp.Poly(res.as_expr(), Z_)
    slack = sp.Rational(1, 10 ** 30)
    # a 60-digit value is within |root| 10^-59 of the root: no root outside this window passes
    wide = 2 * slack + (abs(cand.lo) + abs(cand.hi) + 1) * sp.Rational(1, 10 ** 50)
    for fac, _k in res.factor_list()[1]:
        if fac.degree() < 1:
            continue
        f = sp.Poly(fac, Z_)
        if f.count_roots(cand.lo - wide, cand.hi + wide) == 0:
            continue   # a 60-digit value of a root outside that window is outside the enclosure
        for r in f.real_roots():
            v = r if r.is_Rational else sp.Rational(str(sp.N(r, 60)))
            if cand.lo - slack <= v <= cand.hi + slack:
                return r
    return sp.Float(float(cand.mid), 30)


def _between(lo: sp.Rational, hi: sp.Rational) -> sp.Rational:
    """A short rational strictly between two levels (lo < hi): the midpoint rounded (half to even)
    to the fewest decimal places that keep it strictly inside (Python's Fraction, exact)."""
    lo, hi = sp.Rational(lo), sp.Rational(hi)
    flo, fhi = Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
    mid = (flo + fhi) / 2
    den = 1
    while den < 10 ** 60:
        x = Fraction(round(mid * den), den)
        if flo < x < fhi:
            return sp.Rational(x.numerator, x.denominator)
        den *= 10
    return sp.Rational(mid.numerator, mid.denominator)


def _vanishes(A: ExactSide, B: ExactSide, column: Any, cand: Candidate) -> bool:
    """Whether f_A - f_B vanishes at the candidate's level to 25 digits (numeric)."""
    a, b = cand.p
    fa = _enclose_ratio(A.nd(column), a, b)
    pb = B.param(cand.mid)
    fb = _enclose_ratio(B.nd(column), *pb)
    d = fa - fb
    return abs(float(d.mid)) <= 1e-25 * max(1.0, abs(float(fa.a)))


def exact_pieces(A: ExactSide, B: ExactSide, column: Any, zlo: sp.Rational, zhi: sp.Rational) -> dict:
    """The order of A and B on ``column`` over the open range (zlo, zhi) and at its ends:
    ``{"pieces": [(lo, hi, sign)], "crossings": [...], "touches": [...], "ends": (sign, sign),
    "coincide": bool, "degree": deg R, "candidates": k}``; sign = sign of f_A - f_B."""
    cands, R = _candidates(A, B, column, zlo, zhi)
    ends = tuple(exact_sign(A, B, column, z) for z in (zlo, zhi))
    if R is None:
        return {"pieces": [(zlo, zhi, 0)], "crossings": [], "touches": [], "ends": ends, "coincide": True,
                "degree": None, "candidates": 0, "how": "exact"}
    bounds = [zlo] + [c for c in cands] + [zhi]
    samples = []
    for i in range(len(bounds) - 1):
        a = bounds[i].hi if isinstance(bounds[i], Candidate) else bounds[i]
        b = bounds[i + 1].lo if isinstance(bounds[i + 1], Candidate) else bounds[i + 1]
        samples.append(_between(a, b))
    signs = [exact_sign(A, B, column, z) for z in samples]
    pieces, crossings, touches = [], [], []
    start = zlo
    for i, c in enumerate(cands):
        left, right = signs[i][0], signs[i + 1][0]
        if left != right:
            crossings.append(c)
            pieces.append((start, c, left))
            start = c
        elif _vanishes(A, B, column, c):
            touches.append(c)
    pieces.append((start, zhi, signs[-1][0]))
    how = "exact" if all(h != "numeric" for _, h in signs) else "numeric"
    return {"pieces": pieces, "crossings": crossings, "touches": touches, "ends": ends, "coincide": False,
            "degree": R.degree() if isinstance(R, sp.Poly) else 0, "candidates": len(cands), "how": how}
