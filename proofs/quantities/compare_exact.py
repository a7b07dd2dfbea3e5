r"""Two exact curves compared at equal level: crossings by resultants and exact root isolation,
the order between them by certified interval arithmetic.

Each side is a curve ``p -> (g(p), f(p))`` on p in [0, 1] (:mod:`proofs.quantities.compare_curves`),
g the matched error (monotone, checked: no root of odd multiplicity of g' in (0, 1), Sturm) and f
a column, both rational functions with rational coefficients.  At a common level the two
sides' f are equal exactly when (p, q) solves

    P1(p, q) = Ng_A(p) Dg_B(q) - Ng_B(q) Dg_A(p) = 0,     P2(p, q) = Nf_A(p) Df_B(q) - Nf_B(q) Df_A(p) = 0,

so p is a root of the resultant ``R(p) = res_q(P1, P2)``.  The roots of R in [0, 1] are isolated
exactly (``Poly.intervals``, rational endpoints) and mapped to levels: the *candidates*.  Between
two consecutive candidates the difference ``f_A - f_B`` at equal level has no zero, so one
rational level there decides its sign for the whole piece: both parameters at that level are
isolated to width 10^-40 and the difference is enclosed by interval arithmetic
(:mod:`mpmath.iv`), a certified sign.  A crossing is a candidate where the sign changes; its
level is an algebraic number, given exactly as a root of an integer polynomial (a ``CRootOf``:
the resultant in p of the root's factor and ``z Dg_A(p) - Ng_A(p)``).  A candidate where the
sign does not change is a touching point when the difference vanishes there to 50 digits
(numeric), otherwise a root of R that belongs to no common point of the two curves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from proofs.quantities.compare_curves import P

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

    def param(self, z: sp.Rational, eps: sp.Rational = EPS) -> tuple[sp.Rational, sp.Rational]:
        """An isolating interval [a, b] of the parameter at the rational level z (a = b when
        it is rational); z within [lo, hi]."""
        if self.point:
            return sp.S.Zero, sp.S.Zero
        key = (z, eps)
        if key not in self.params:
            poly = self.Ng - self.Dg * z
            roots = [iv for iv, _ in poly.intervals(inf=0, sup=1, eps=eps)]
            if not roots:
                raise ValueError(f"level {z} outside [{self.lo}, {self.hi}] of {self.curve.side.label}")
            (a, b), = roots[:1] if len(roots) == 1 else [min(roots, key=lambda r: r[0])]
            self.params[key] = (sp.Rational(a), sp.Rational(b))
        return self.params[key]


def exact_side(curve: Any, match: Any) -> ExactSide:
    """The level data of an exact curve; ValueError when the matched error is not monotone or
    has a pole on [0, 1]."""
    Ng, Dg = curve.nd(match)
    if curve.point:
        v = sp.S(curve.columns[match])
        return ExactSide(curve, match, Ng, Dg, v, v, True)
    if Dg.count_roots(0, 1) > 0:
        raise ValueError(f"match: {match} has a pole on {curve.side.label}")
    g0, g1 = Ng.eval(0) / Dg.eval(0), Ng.eval(1) / Dg.eval(1)
    dnum = Ng.diff(P) * Dg - Ng * Dg.diff(P)
    if dnum.is_zero or g0 == g1:
        raise ValueError(f"match: {match} is constant along {curve.side.label} (every point has one level): "
                         "compare its end point instead")
    odd = [f for f, k in dnum.sqf_list()[1] if k % 2 and
           f.count_roots(0, 1) - (1 if f.eval(0) == 0 else 0) - (1 if f.eval(1) == 0 else 0) > 0]
    if odd:
        raise ValueError(f"match: {match} is not monotone along {curve.side.label} (its derivative changes sign on "
                         "(0, 1)): a level does not name one point; match another error")
    return ExactSide(curve, match, Ng, Dg, min(g0, g1), max(g0, g1), g1 > g0)


# ----------------------------------------------------------------------------- enclosures

def _iv(x: sp.Rational):
    from mpmath import iv
    x = sp.Rational(x)
    return iv.mpf(int(x.p)) / int(x.q)


def _enclose(poly: sp.Poly, a: sp.Rational, b: sp.Rational):
    """An interval holding poly(x) for every x in [a, b] (Horner in interval arithmetic)."""
    from mpmath import iv
    x = iv.mpf([_iv(a).a, _iv(b).b])
    out = iv.mpf(0)
    for c in poly.all_coeffs():
        out = out * x + _iv(c)
    return out


def _enclose_ratio(nd: tuple[sp.Poly, sp.Poly], a, b):
    from mpmath import iv
    num, den = _enclose(nd[0], a, b), _enclose(nd[1], a, b)
    if den.a <= 0 <= den.b:
        return iv.mpf(["-inf", "inf"])
    return num / den


def value_near(nd: tuple[sp.Poly, sp.Poly], a, b) -> float:
    """f at the midpoint of [a, b], as a float."""
    m = (sp.Rational(a) + sp.Rational(b)) / 2
    return float(nd[0].eval(m) / nd[1].eval(m))


def exact_sign(A: ExactSide, B: ExactSide, column: Any, z: sp.Rational, params: list | None = None) -> tuple[int, str]:
    """The sign of ``f_A - f_B`` at the rational level z, certified: (sign, how) with ``how``
    ``certified`` (an enclosure away from 0), ``exact`` (a zero shown exactly) or ``numeric``
    (a zero to 50 digits that could not be shown exactly).  The parameters are isolated to
    width 10^-12 first, then ever tighter (10^-24, 10^-48, ...) while the enclosure holds 0;
    ``params`` (a list) receives the last isolating intervals."""
    from mpmath import iv
    iv.dps = DPS
    eps = sp.Rational(1, 10 ** 12)
    for _ in range(5):
        pa, pb = A.param(z, eps), B.param(z, eps)
        d = _enclose_ratio(A.nd(column), *pa) - _enclose_ratio(B.nd(column), *pb)
        if params is not None:
            params[:] = [pa, pb]
        if d.a > 0:
            return 1, "certified"
        if d.b < 0:
            return -1, "certified"
        eps = eps ** 2
    # a zero: exactly when one side's parameter is rational (an end of its range)
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
    """A root of the resultant mapped to a level: its enclosure [lo, hi], the factor of R and
    the isolating interval of p (on side A)."""

    lo: sp.Rational
    hi: sp.Rational
    factor: sp.Poly
    p: tuple

    @property
    def mid(self) -> sp.Rational:
        return (self.lo + self.hi) / 2


def _candidates(A: ExactSide, B: ExactSide, column: Any, zlo, zhi) -> tuple[list, Any]:
    """Candidates strictly inside (zlo, zhi), and R (None when the two equations share a factor:
    the curves coincide)."""
    NfA, DfA = A.nd(column)
    if B.point:
        # f_A(p) = v_B at the level g_A(p) = z_B: only one level, no crossing on a range
        return [], sp.S.One
    NfB, DfB = B.nd(column)
    NgB, DgB = B.Ng, B.Dg

    def lift(poly: sp.Poly, x: sp.Symbol) -> sp.Poly:
        """A polynomial in p as one in x (p or q) of QQ[q, p] (q first: the resultant eliminates
        it): products and differences then run on polynomials, not expression trees."""
        at = (lambda k: (0, k)) if x == P else (lambda k: (k, 0))
        return sp.Poly.from_dict({at(k): c for (k,), c in poly.terms()} or {(0, 0): 0}, Q_, P, domain="QQ")
    P1 = lift(A.Ng, P) * lift(DgB, Q_) - lift(NgB, Q_) * lift(A.Dg, P)
    P2 = lift(NfA, P) * lift(DfB, Q_) - lift(NfB, Q_) * lift(DfA, P)
    if P2.is_zero:
        return [], None
    # over ZZ (denominators cleared: each equation scaled by a constant, the same zeros), where the
    # resultant runs several times faster than over QQ; R then differs by a constant factor only
    P1, P2 = P1.clear_denoms(convert=True)[1], P2.clear_denoms(convert=True)[1]
    common = P1.gcd(P2)
    if common.degree(Q_) > 0:
        return [], None
    R = P1.resultant(P2)
    R = sp.Poly(R, P, domain="QQ") if not isinstance(R, sp.Poly) else R.set_domain(sp.QQ)
    if R.is_zero:
        return [], None
    out = []
    for fac, _k in R.factor_list()[1]:
        if fac.degree() < 1:
            continue
        for (a, b), _m in fac.intervals(inf=0, sup=1, eps=EPS):
            a, b = sp.Rational(a), sp.Rational(b)
            enc = _enclose_ratio((A.Ng, A.Dg), a, b)
            lo, hi = sp.Rational(str(sp.Float(enc.a, 60))) , sp.Rational(str(sp.Float(enc.b, 60)))
            lo, hi = min(lo, hi), max(lo, hi)
            if hi <= zlo or lo >= zhi:
                continue
            out.append(Candidate(lo, hi, fac, (a, b)))
    out.sort(key=lambda c: c.mid)
    merged: list = []
    for c in out:
        if merged and c.lo <= merged[-1].hi:
            continue  # the same level from another factor (or p): one candidate
        merged.append(c)
    return merged, R


def crossing_level(A: ExactSide, cand: Candidate) -> sp.Expr:
    """The candidate's level exactly: a rational, or a ``CRootOf`` of an irreducible integer
    polynomial in z (the resultant in p of the root's factor and ``z Dg_A(p) - Ng_A(p)``)."""
    res = sp.Poly(sp.resultant(cand.factor.as_expr(), Z_ * A.Dg.as_expr() - A.Ng.as_expr(), P), Z_)
    slack = sp.Rational(1, 10 ** 30)
    for fac, _k in res.factor_list()[1]:
        if fac.degree() < 1:
            continue
        for r in sp.Poly(fac, Z_).real_roots():
            v = r if r.is_Rational else sp.Rational(str(sp.N(r, 60)))
            if cand.lo - slack <= v <= cand.hi + slack:
                return r
    return sp.Float(float(cand.mid), 30)


def _between(lo: sp.Rational, hi: sp.Rational) -> sp.Rational:
    """A short rational strictly between two levels (lo < hi)."""
    lo, hi = sp.Rational(lo), sp.Rational(hi)
    mid = (lo + hi) / 2
    den = 1
    while den < 10 ** 60:
        x = sp.Rational(round(mid * den), den)
        if lo < x < hi:
            return x
        den *= 10
    return mid


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
