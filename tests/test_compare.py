"""proofs.quantities.compare against independent computations, at random exact settings.

Independent routes, none of which goes through compare's curves:

* the path side: gradient descent iterated step by step in float64 on the explicit quadratic of
  the strategy's loss (``u <- u - eta grad L``), and the gradient flow as ``scipy.linalg.expm(-tau H)``
  applied to the start's deviation from the minimiser (H from the explicit quadratic, u_* solved
  by least squares); each point's errors from the explicit quadratics of the error columns;
* the mixed side: the concrete minimiser (proofs/quantities/concrete_minimiser.py) of the spec
  ``E(0; theta_0) + lambda E(n_ft; theta_0)`` at numeric lambda, its errors from the same explicit
  quadratics;
* a crossing: both sides brought to the crossing level by these routes (bisection in tau, Brent in
  log lambda) meet there, and the order is opposite just below and just above it.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from proofs.quantities.compare import Column, compare
from proofs.quantities.compare_curves import MixedSide, PathSide, parse_column, parse_side
from symbolic.explicit import explicit_quadratic
from symbolic.strategies import value_spec

R = sp.Rational
N_FT = 5
COLS = [Column(0, "target"), Column(N_FT, "target"), Column(N_FT, "opposite"), Column(None, "target"),
        Column(None, "opposite")]

#: (name, d, Sigma, theta0, sigma2): Sigma = I_2, sigma^2 = 5 (one mode), a diagonal two-mode Sigma (the
#: path exact, a polynomial in p of degree 3), a dense Sigma with irrational modes (the path in float)
SETTINGS = [
    ("identity d=2 sigma2=5", 2, sp.eye(2), [1, 0], R(5)),
    ("diag(1, 3) d=2", 2, sp.diag(1, 3), [1, 2], R(1, 3)),
    ("dense d=3", 3, sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 1]]) / 2, [1, -1, 2], R(1, 5)),
]


class Reference:
    """The independent routes at one setting (float64)."""

    def __init__(self, d, Sigma, theta0, sigma2, n_ft=N_FT, spec=None, m=None):
        self.kw = dict(d=d, Sigma=np.array(np.asarray(Sigma).tolist(), dtype=float), theta0=np.asarray(theta0, float),
                       sigma2=float(sigma2))
        self.exact_kw = dict(d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2)
        if m is not None:   # a finite pretraining context: the start and every error at m
            self.kw["m"] = self.exact_kw["m"] = m
        self.memo = {}
        self.n_ft = n_ft
        spec = value_spec() if spec is None else spec
        q = explicit_quadratic(spec, arithmetic="float", **self.kw)
        self.A, self.b = np.asarray(q.A, float), np.asarray(q.b, float)
        self.u0 = np.asarray(q.start, float)
        self.H = 2 * self.A
        # the minimiser nearest the start: u0 + A^+ (b - A u0)
        self.ustar = self.u0 + np.linalg.lstsq(self.A, self.b - self.A @ self.u0, rcond=1e-12)[0]
        self.cols = {c: explicit_quadratic([(1, sp.oo if c.n is None else c.n, c.task)], spec.train, start=spec.start,
                                           arithmetic="float", **self.kw) for c in COLS}

    def errors(self, u):
        return {c: float(q.value(u)) for c, q in self.cols.items()}

    def gd(self, eta, steps):
        u, out = self.u0.copy(), []
        for _ in range(steps + 1):
            out.append(self.errors(u))
            u = u - eta * 2 * (self.A @ u - self.b)
        return out

    def flow(self, tau):
        from scipy.linalg import expm
        return self.errors(self.ustar + expm(-tau * self.H) @ (self.u0 - self.ustar))

    def flow_at_level(self, z, with_tau=False):
        """The flow's errors (and tau) where its zero-shot error is z: bisection in tau (each level once,
        every column at once: the tests read one column at a time)."""
        key = ("flow", float(z))
        if key not in self.memo:
            self.memo[key] = self._flow_at_level(z)
        e, tau = self.memo[key]
        return (e, tau) if with_tau else e

    def _flow_at_level(self, z):
        lo, hi = 0.0, 1.0
        while self.flow(hi)[COLS[0]] > z:
            hi *= 2
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.flow(mid)[COLS[0]] > z else (lo, mid)
        return self.flow((lo + hi) / 2), (lo + hi) / 2

    def mixed(self, lam):
        from proofs.quantities.concrete_minimiser import concrete_minimiser
        from proofs.quantities.setting import setting
        from proofs.quantities.frontier import tradeoff_spec
        sol = concrete_minimiser(tradeoff_spec(self.n_ft, sp.Rational(lam)), setting(arithmetic="float", **self.kw))
        return self.errors(np.asarray(sol.u, float))

    def mixed_at_level(self, z, with_lambda=False):
        """The mixed loss's minimiser's errors (and lambda) where its zero-shot error is z: Brent in log
        lambda (each level once, every column at once)."""
        from scipy.optimize import brentq
        key = ("mixed", float(z))
        if key not in self.memo:
            f = lambda x: self.mixed(math.exp(x))[COLS[0]] - z  # noqa: E731
            x = brentq(f, -25.0, 12.0, xtol=1e-13)
            self.memo[key] = (self.mixed(math.exp(x)), math.exp(x))
        e, lam = self.memo[key]
        return (e, lam) if with_lambda else e


@pytest.fixture(scope="module", params=SETTINGS, ids=[s[0] for s in SETTINGS])
def case(request):
    name, d, Sigma, theta0, sigma2 = request.param
    return request.param, Reference(d, Sigma, theta0, sigma2)


def _close(a, b, rtol=1e-8):
    return abs(a - b) <= rtol * max(1.0, abs(a), abs(b))


def test_gradient_descent_side_equals_the_iterates(case):
    """path:value with a step eta: at each iterate's zero-shot error, compare's left values are the
    iterate's errors (gradient descent step by step on the explicit loss)."""
    (name, d, Sigma, theta0, sigma2), ref = case
    eta = 0.25 / float(np.linalg.eigvalsh(ref.H).max())
    its = ref.gd(eta, 30)
    base = compare("path:value", "mixed:5", columns=COLS[1:], eta=sp.nsimplify(eta, rational=True), levels=0,
                   **ref.exact_kw)
    pick = [e for e in its[1:] if base.lo < e[COLS[0]] < base.hi][::6]
    assert pick, name
    c = compare("path:value", "mixed:5", columns=COLS[1:], eta=sp.nsimplify(eta, rational=True),
                levels=[e[COLS[0]] for e in pick], **ref.exact_kw)
    for cc in c.columns:
        for (left, _right, _who), e in zip(cc.levels, pick):
            assert _close(left, e[cc.column], 1e-7), (name, cc.column, left, e[cc.column])


def test_flow_side_equals_the_matrix_exponential(case):
    (name, d, Sigma, theta0, sigma2), ref = case
    pts = [ref.flow(tau) for tau in (1e-3, 3e-3, 1e-2)]
    c = compare("path:value", "mixed:5", columns=COLS[1:], levels=[e[COLS[0]] for e in pts], **ref.exact_kw)
    for cc in c.columns:
        for (left, _r, _w), e in zip(cc.levels, pts):
            assert _close(left, e[cc.column], 1e-7), (name, cc.column, left, e[cc.column])


def test_mixed_side_equals_the_concrete_minimiser(case):
    (name, d, Sigma, theta0, sigma2), ref = case
    base = compare("path:value", "mixed:5", columns=COLS[1:], levels=0, **ref.exact_kw)
    pts = [e for e in (ref.mixed(lam) for lam in (R(1, 10), R(1), R(3))) if base.lo <= e[COLS[0]] <= base.hi]
    assert pts, name
    c = compare("path:value", "mixed:5", columns=COLS[1:], levels=[e[COLS[0]] for e in pts], **ref.exact_kw)
    for cc in c.columns:
        for (_l, right, _w), e in zip(cc.levels, pts):
            assert _close(right, e[cc.column], 1e-7), (name, cc.column, right, e[cc.column])


def test_crossings_and_order_agree_with_the_independent_sides(case):
    """Every crossing is where the two independent sides meet, with the order opposite on its two
    sides; every piece's order is the independent order at its middle."""
    (name, d, Sigma, theta0, sigma2), ref = case
    c = compare("path:value", "mixed:5", columns=COLS[1:], levels=0, **ref.exact_kw)
    for cc in c.columns:
        for a, b, who, _gap in cc.pieces:
            z = (float(a) + float(b)) / 2
            L, Rr = ref.flow_at_level(z)[cc.column], ref.mixed_at_level(z)[cc.column]
            assert who == ("left" if L < Rr else "right"), (name, cc.column, z, L, Rr)
        for x in cc.crossings:
            (L, tau), (Rr, lam) = ref.flow_at_level(x.level, True), ref.mixed_at_level(x.level, True)
            L, Rr = L[cc.column], Rr[cc.column]
            assert _close(L, Rr, 1e-6) and _close(L, x.value, 1e-6), (name, cc.column, x.level, L, Rr)
            assert _close(x.left["tau"], tau, 1e-6) and _close(x.right["lambda"], lam, 1e-6), (x, tau, lam)


def test_a_spec_path_with_coupled_modes_equals_the_matrix_exponential():
    """Early stopping along a spec's path (V's last row on the 5-shot loss alone: v_x and v_y coupled,
    the error's cross terms between modes present), matched at the 5-shot error on theta_0."""
    from proofs.quantities.frontier import fewshot_spec
    Sigma, theta0, s2 = sp.diag(1, 3), [1, 2], R(1, 2)
    ref = Reference(2, Sigma, theta0, s2, spec=fewshot_spec(5))
    match = Column(5, "target")
    kw = dict(match=match, columns=[Column(5, "opposite"), Column(None, "target")], d=2, Sigma=Sigma, theta0=theta0,
              sigma2=s2)
    base = compare(PathSide(fewshot_spec(5)), "mixed:5", levels=0, **kw)
    pts = [e for e in (ref.flow(tau) for tau in np.geomspace(0.01, 20, 40)) if base.lo < e[match] < base.hi][::8]
    assert len(pts) >= 3
    c = compare(PathSide(fewshot_spec(5)), "mixed:5", levels=[e[match] for e in pts], **kw)
    assert c.arithmetic == "float"
    for cc in c.columns:
        for (left, _r, _w), e in zip(cc.levels, pts):
            assert _close(left, e[cc.column], 1e-7), (cc.column, left, e[cc.column])


def test_a_path_read_at_each_sigma2_equals_the_path_built_there(monkeypatch):
    """The exact path side at m = oo is derived once with sigma^2 a symbol and read at each sigma^2
    (compare_curves._sigma_free); at two sigma^2 of one (d, Sigma, theta_0) its columns are the
    polynomials built from each sigma^2's own explicit quadratics (the route without it)."""
    import proofs.quantities.compare_curves as CC
    from proofs.quantities.compare_curves import build_curve
    from proofs.quantities.setting import setting
    cols = [Column(0, "target"), Column(2, "opposite"), Column(None, "target")]
    kws = [dict(d=2, Sigma=sp.diag(1, 3), theta0=[1, 2], sigma2=s2) for s2 in (R(1, 3), R(7, 2))]
    monkeypatch.setattr(CC, "_PATHS", {})
    monkeypatch.setattr(CC, "_SIGMA_FREE", {})
    shared = [build_curve(PathSide("value"), cols, setting(**kw)).pairs for kw in kws]
    assert len(CC._SIGMA_FREE) == 1 and next(iter(CC._SIGMA_FREE.values()))["free"]
    monkeypatch.setattr(CC, "_PATHS", {})
    monkeypatch.setattr(CC, "_sigma_free", lambda spec, s: None)
    assert shared == [build_curve(PathSide("value"), cols, setting(**kw)).pairs for kw in kws]
    assert shared[0] != shared[1]


def test_identity_sigma2_5_flips_where_the_poster_order_said_early_stopping():
    """Sigma = I_2, theta_0 = e_1, sigma^2 = 5: the 5-shot error on -theta_0 changes order once, at
    the level 22126/675 - 248 sqrt(5419)/675 (auxiliary lower below it, early stopping above)."""
    c = compare(d=2, sigma2=5, levels=49)
    cc = c.column("5:opposite")
    (x,) = cc.crossings
    assert cc.lower is None and x.kind == "crossing"
    assert sp.simplify(x.exact - (R(22126, 675) - 248 * sp.sqrt(5419) / 675)) == 0
    assert [p[2] for p in cc.pieces] == ["right", "left"]
    assert cc.counts() == {"left": 20, "right": 29, "equal": 0}
    assert c.column("5:target").lower == "right" and c.column("inf:target").lower == "left"


def test_float_and_exact_agree():
    """The two n_ft-shot columns (one n: one derivation of the mixed side's columns; 5:opposite flips
    once here); the n -> oo columns are checked against the independent sides above."""
    cols = ["5:target", "5:opposite"]
    e = compare(d=2, sigma2=5, levels=5, columns=cols)
    f = compare(d=2, sigma2=5, levels=5, arithmetic="float", columns=cols)
    assert any(x.crossings for x in e.columns)
    assert e.arithmetic == "exact" and f.arithmetic == "float"
    for a, b in zip(e.columns, f.columns):
        assert a.lower == b.lower
        assert [round(x.level, 9) for x in a.crossings] == [round(x.level, 9) for x in b.crossings]
        for x, y in zip(a.crossings, b.crossings):   # each side's own parameter there: tau, lambda
            assert _close(x.left["tau"], y.left["tau"], 1e-6) and _close(x.right["lambda"], y.right["lambda"], 1e-6)
        for (l1, r1, w1), (l2, r2, w2) in zip(a.levels, b.levels):
            assert _close(l1, l2, 1e-9) and _close(r1, r2, 1e-9) and w1 == w2
        for p1, p2 in zip(a.pieces, b.pieces):   # the largest gap on each piece, read from each one's grid
            assert p1[3] is not None and p1[3] > 0 and _close(p1[3], p2[3], 1e-6), (p1, p2)
    assert len(e.grid["levels"]) == len(f.grid["levels"]) == 201


def test_a_point_side_compares_at_its_one_level():
    """(d) at n_ft = oo against the path: one common level, the path's limit ((c)); (d) lower on theta_0
    (sigma^2 against sigma^2 + k/(d+4)^2), the path lower on -theta_0."""
    c = compare("path:value", "point:value-fewshot:inf", columns=["inf:target", "inf:opposite"], d=5, levels=0)
    assert c.lo == c.hi == R(29, 90)
    assert [cc.lower for cc in c.columns] == ["right", "left"]
    (l, r, _), = c.column("inf:target").levels
    assert _close(l, 0.1 + 1 / 81) and _close(r, 0.1)


def test_mixed_side_in_float_at_a_finite_m_equals_the_exact_route():
    """compare at m = 7 in float64 (the mixed side: the minimiser of the two losses' explicit quadratics,
    their pencil diagonalised once) equals compare in exact arithmetic (the mixed side: the frontier's
    derivation at symbolic m, each column a rational function of lambda reduced exactly) to 1e-10 at
    d = 2, Sigma = diag(1, 3), theta_0 = e_1 (the path exact too: one excited mode). The mixed side
    depends on m there (the concrete minimiser at lambda = 1 moves by more than 1e-3 from m = oo), so
    a float route that ignored m would fail. (At Sigma = I it does not: Q's pretrained value is a
    multiple of its m = oo value and v_y, retrained, absorbs the factor.)"""
    kw = dict(d=2, Sigma=sp.diag(1, 3), theta0=[1, 0], sigma2=R(1, 2), columns=["3:target", "3:opposite"], m=7,
              levels=4)
    e = compare("path:value", "mixed:3", **kw)
    f = compare("path:value", "mixed:3", arithmetic="float", **kw)
    assert e.arithmetic == "exact" and f.arithmetic == "float"
    assert _close(float(e.lo), f.lo, 1e-10) and _close(float(e.hi), f.hi, 1e-10)
    for a, b in zip(e.columns, f.columns):
        assert a.lower == b.lower and len(a.crossings) == len(b.crossings)
        for (l1, r1, w1), (l2, r2, w2) in zip(a.levels, b.levels):
            assert _close(l1, l2, 1e-10) and _close(r1, r2, 1e-10) and w1 == w2, (a.column, r1, r2)
    at_m = Reference(2, sp.diag(1, 3), [1, 0], R(1, 2), n_ft=3, m=7).mixed(R(1))
    at_oo = Reference(2, sp.diag(1, 3), [1, 0], R(1, 2), n_ft=3).mixed(R(1))
    assert max(abs(at_m[k] - at_oo[k]) for k in COLS if k.n in (0, None)) > 1e-3


def test_mixed_side_in_float_at_a_finite_m_equals_the_concrete_minimiser():
    """A dense d = 3 Sigma at m = 7 (coupled modes in the pencil): the float mixed side at
    p = lambda / (1 + lambda) equals the concrete minimiser of E(0) + lambda E(5) at m = 7 and its
    errors (Reference.mixed), lambda = 1/10, 1, 3, and the limits lambda -> 0+ (p = 0) and oo (p = 1)
    lie beyond them on the zero-shot error (it grows with lambda)."""
    from proofs.quantities.compare_curves import build_curve
    from proofs.quantities.setting import setting
    _, d, Sigma, theta0, sigma2 = SETTINGS[2]
    ref = Reference(d, Sigma, theta0, sigma2, m=7)
    side = build_curve(MixedSide(N_FT), COLS, setting(d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=7,
                                                      arithmetic="float"))
    lams = [R(1, 10), R(1), R(3)]
    got = side.values(np.array([float(x / (1 + x)) for x in [0, *lams]] + [1.0]))
    for k, lam in enumerate(lams, start=1):
        want = ref.mixed(lam)
        for c in COLS:
            assert _close(got[c][k], want[c], 1e-9), (c, lam, got[c][k], want[c])
    z = got[COLS[0]]
    assert np.all(np.diff(z) > 0), z


@pytest.mark.parametrize("d", [2, 11, 60])
def test_compare_answers_at_any_d(d):
    """Exact at d = 2, float64 above d = 10 (d = 1000 in bench/bench_compare.py)."""
    rng = np.random.default_rng(d)
    A = rng.standard_normal((d, d)) / math.sqrt(d)
    S = A @ A.T + 0.5 * np.eye(d)
    th = rng.standard_normal(d) / math.sqrt(d)
    c = compare(Sigma=S, theta0=th, sigma2=0.1, levels=3)
    assert d <= 10 or c.arithmetic == "float"
    assert c.common and all(cc.lower is not None or cc.crossings for cc in c.columns)
    assert all(np.isfinite(v) for cc in c.columns for row in cc.levels for v in row[:2])


def test_two_paths_and_named_match():
    """Two sides of the same kind and another matched error: the mixed loss at n_ft = 1 against n_ft = 5,
    matched at the n -> oo error on -theta_0."""
    c = compare("mixed:1", "mixed:5", columns=["0:target"], match="inf:opposite", d=3, levels=2)
    assert c.common and c.match == Column(None, "opposite")


@pytest.mark.parametrize("bad, match", [
    (dict(left="route:value"), "side"), (dict(left="path:full"), "side"), (dict(left="path:value-fewshot"), "side"),
    (dict(right="mixed:0"), "side"), (dict(columns=["5:sideways"]), "columns"), (dict(levels=-1), "levels"),
    (dict(levels=[100.0]), "levels"), (dict(eta=1), "eta"), (dict(arithmetic="mp"), "arithmetic"),
    (dict(d=0), "d"), (dict(sigma2=-1), "sigma2"),
])
def test_bad_input_names_the_argument(bad, match):
    kw = dict(d=2, levels=0)
    kw.update(bad)
    with pytest.raises((ValueError, TypeError), match=match):
        compare(**kw)


def test_parsers():
    assert parse_column("inf:target") == Column(None, "target")
    assert parse_column("5:-theta0") == Column(5, "opposite")
    assert parse_side("mixed:7") == MixedSide(7)
    assert parse_side("path:c") == PathSide("value")


def test_two_parametrisations_of_one_curve_coincide():
    """Two exact sides tracing one curve with different parameters (g = p, f = p^2 against
    g = q^2, f = q^4): the two equations share the factor p - q^2, the resultant vanishes, and the
    column is reported as coinciding (equal), not as crossings."""
    from proofs.quantities.compare_curves import P, ExactCurve
    from proofs.quantities.compare_exact import exact_pieces, exact_side
    col, match = Column(None, "target"), Column(0, "target")

    def curve(g, f):
        return ExactCurve(PathSide("value"), {match: g, col: f}, False, "p", lambda p: {})
    A = exact_side(curve(P, P ** 2), match)
    B = exact_side(curve(P ** 2, P ** 4), match)
    r = exact_pieces(A, B, col, R(0), R(1))
    assert r["coincide"] and r["pieces"] == [(0, 1, 0)] and not r["crossings"]
    C = exact_side(curve(P ** 2, P ** 3), match)        # f = g^(3/2): a different curve, no common factor
    r = exact_pieces(A, C, col, R(0), R(1))
    assert not r["coincide"] and {sg for _, _, sg in r["pieces"]} == {-1}


def test_roots_on_the_unit_interval_are_isolated_and_narrowed_as_sympy_isolates_them():
    """compare_exact's roots of a resultant on [0, 1]: Descartes' rule on (0, 1) (no sign variation:
    none, and Sturm's count skipped; one: (0, 1) isolates it) or Poly.intervals, each narrowed to width < EPS by exact dyadic
    Newton (None where no bracket shows: then compare isolates by Poly.intervals at EPS); against
    Poly.intervals and Sturm's count of the square-free part, on random polynomials with rational
    roots (multiple ones, at 0 and 1, outside [0, 1]) and an irreducible cofactor."""
    import random
    from proofs.quantities.compare_curves import P
    from proofs.quantities.compare_exact import EPS, _count_01, _integer_coeffs, _narrow, _roots_01
    rng = random.Random(3)
    narrowed = 0
    for _ in range(80):
        deg = rng.randint(1, 6)
        roots = [R(rng.randint(-3, 12), rng.randint(1, 9)) for _ in range(rng.randint(0, deg))]
        cof = sp.Poly([rng.randint(-5, 5) or 1 for _ in range(deg - len(roots) + 1)], P)
        poly = sp.Poly(sp.prod([P - r for r in roots]) * cof.as_expr(), P, domain="QQ")
        if poly.degree() < 1:
            continue
        ints = _integer_coeffs(poly)[0]
        got = _roots_01(poly, ints)
        assert len(got) == len(poly.intervals(inf=0, sup=1)), poly
        assert _count_01(poly) == poly.count_roots(0, 1), poly
        for a, b in got:
            if a == b:
                assert poly.eval(a) == 0
                continue
            S = poly.sqf_part()
            assert S.count_roots(a, b) - (S.eval(a) == 0) - (S.eval(b) == 0) == 1, (poly, a, b)   # one, inside
            r = _narrow(ints, a, b, EPS)
            if r is not None:
                lo, hi = r
                assert a <= lo <= hi <= b and hi - lo < EPS, (poly, a, b, r)
                assert (lo == hi and poly.eval(lo) == 0) or S.count_roots(lo, hi) == 1, (poly, r)
                narrowed += 1
    assert narrowed > 10


def test_level_range_decides_pole_constant_monotone_as_the_real_roots_say():
    """compare_exact._level_range (Descartes' rule on (0, 1) first, then square-free factors counted by
    Sturm) against the real roots of g' = (Ng/Dg)' with their multiplicities (``Poly.real_roots``):
    monotone exactly when no root of odd multiplicity lies inside (0, 1); a pole where Dg has a root on
    [0, 1]; on random rational functions with rational roots inside, at and outside [0, 1]."""
    import random
    from proofs.quantities.compare_curves import P
    from proofs.quantities.compare_exact import _level_range
    rng = random.Random(5)
    seen = set()
    for _ in range(60):
        roots = [R(rng.choice([0, 1, rng.randint(-3, 6)]), rng.choice([1, 2, 3, 5])) for _ in range(rng.randint(1, 4))]
        Ng = sp.Poly(sp.prod([P - r for r in roots]) * rng.choice([1, -2, R(3, 7)]) + rng.randint(-2, 2), P,
                     domain="QQ")
        Dg = sp.Poly(rng.choice([1, P + 2, 3 - P, P ** 2 + 1, (2 * P - 1) ** 2 + 1, 2 * P - 1, 3 * P - 1]), P,
                     domain="QQ")
        got = _level_range.__wrapped__(Ng, Dg)
        g0, g1 = (Ng.eval(x) / Dg.eval(x) if Dg.eval(x) else None for x in (0, 1))
        if any(0 <= r <= 1 for r in Dg.real_roots()):
            want = "pole"
        elif g0 == g1:
            want = "constant"
        else:
            dnum = Ng.diff(P) * Dg - Ng * Dg.diff(P)
            inside = [r for r in dnum.real_roots() if 0 < r < 1]
            odd = any(inside.count(r) % 2 for r in set(inside))
            want = "not monotone" if odd else (min(g0, g1), max(g0, g1), g1 > g0)
        assert got == want, (Ng, Dg, got, want)
        seen.add(got if isinstance(got, str) else "monotone")
    assert seen == {"pole", "constant", "not monotone", "monotone"}
    # g' with a double root inside (0, 1) (no sign change: monotone) and with a triple one (a sign change)
    half = sp.Poly((P - R(1, 2)) ** 3, P, domain="QQ")
    assert _level_range.__wrapped__(half, sp.Poly(1, P, domain="QQ")) == (R(-1, 8), R(1, 8), True)
    assert _level_range.__wrapped__(sp.Poly((P - R(1, 2)) ** 4, P, domain="QQ"), sp.Poly(1, P, domain="QQ")) \
        == "constant"
    assert _level_range.__wrapped__(sp.Poly((P - R(1, 3)) ** 4, P, domain="QQ"), sp.Poly(1, P, domain="QQ")) \
        == "not monotone"


def test_difference_sign_is_the_sign_of_the_enclosures_of_either_sign():
    """compare_exact._difference_sign (integer cross-multiplication, no gcds) against the same enclosures
    in Python's Fraction (min and max of the four quotients), on random rational functions whose
    denominators are negative or positive on the interval (or hold 0), and sound: a sign it gives is
    the sign of N_A/D_A - N_B/D_B at points of the two intervals."""
    import random
    from fractions import Fraction as F
    from proofs.quantities.compare_curves import P
    from proofs.quantities.compare_exact import _difference_sign, _exact_enclosure
    rng = random.Random(7)

    def ratio(nd, p):
        (n1, n2), (d1, d2) = (_exact_enclosure(x, F(int(p[0].p), int(p[0].q)), F(int(p[1].p), int(p[1].q)))
                              for x in nd)
        if d1 <= 0 <= d2:
            return None
        qs = (n1 / d1, n1 / d2, n2 / d1, n2 / d2)
        return min(qs), max(qs)

    def poly():
        return sp.Poly([R(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(rng.randint(1, 4))], P, domain="QQ")

    signs = set()
    for _ in range(200):
        nds = [(poly(), poly()) for _ in range(2)]
        ps = []
        for _ in range(2):
            a = R(rng.randint(0, 60), 64)
            ps.append((a, a + R(rng.randint(0, 3), 256)))
        fa, fb = ratio(nds[0], ps[0]), ratio(nds[1], ps[1])
        want = 0 if fa is None or fb is None else 1 if fa[0] > fb[1] else -1 if fa[1] < fb[0] else 0
        got = _difference_sign(nds[0], ps[0], nds[1], ps[1])
        assert got == want, (nds, ps, got, want)
        if got:
            for t in (0, R(1, 2), 1):
                xa, xb = (p[0] + t * (p[1] - p[0]) for p in ps)
                d = nds[0][0].eval(xa) / nds[0][1].eval(xa) - nds[1][0].eval(xb) / nds[1][1].eval(xb)
                assert sp.sign(d) == got
        signs.add((got, any(nd[1].eval(p[0]) < 0 for nd, p in zip(nds, ps))))
    assert {s for s, _ in signs} == {-1, 0, 1} and {(1, True), (-1, True)} <= signs   # negative denominators too


def test_a_point_read_from_the_derivation_cache_is_its_curve():
    """A point side's zero-shot error on theta_0 and its limits n -> oo, read from the derivation cache
    and evaluated at the setting (compare_curves._closed_form_value), against the closed form's curve
    (E as a rational function of n at the setting, at n = 0 and as n -> oo); other columns, a finite m
    and a scale are left to the curve (None)."""
    from dataclasses import replace
    from proofs.quantities.compare_curves import _closed_form_value
    from proofs.quantities.setting import setting
    from proofs.quantities.solve import solve
    read = 0
    for s in (setting(2, Sigma=sp.Matrix([[2, 1], [1, 1]]), theta0=[1, -1], sigma2=R(1, 2)),
              setting(2, sigma2=R(1, 3), m=7)):
        for name, n_ft in (("pretrain", sp.oo), ("full", sp.oo), ("value-fewshot", sp.oo), ("value-fewshot", 5)):
            answer = solve(name, replace(s, n_ft=n_ft))
            for c in (Column(0, "target"), Column(None, "target"), Column(None, "opposite"), Column(0, "opposite")):
                got = _closed_form_value(answer, c)
                if s.m != sp.oo or c == Column(0, "opposite"):
                    assert got is None
                    continue
                r = answer.curve(c.task, [0 if c.n is None else c.n])
                assert got == (r.values[0] if c.n is not None else r.limit_value), (name, n_ft, c)
                read += 1
    assert read == 12
