"""The exact helpers the results' checks use in place of ``sympy.limit``, ``sympy.diff`` +
sign and ``sympy.simplify`` (proofs/paper/results/_beyond.py, _common.py), against those.

* ``rational_limit_at(e, x, 0 | oo)`` equals ``sympy.limit`` (0+ and oo) on rational functions
  of x whose coefficients hold other symbols, traces and bilinear forms; a divergent one falls
  back on ``sympy.limit`` (oo).
* ``symbolic.univariate.derivative_sign`` of f's cancelled numerator and denominator agrees with
  the sign of ``sympy.diff(f, x)`` read at many points of x > 0 where it has one, and says None where the derivative changes sign.
* ``angle_is_zero(e, phi)`` says True for trigonometric identities in phi, phi/2, phi/4 (and
  agrees with ``simplify``), False for near misses.
* ``show`` (check lines) remembers a rendering per SymPy tree, never across 1, 1.0, true or two
  Float precisions (a memo keyed by hash alone fails here).

Breaks tried: the limit at 0+ taken at oo, the quotient rule's sign flipped (in derivative_sign and in
rational_derivative; also its denominator one power short, its N' doubled), the Weierstrass
substitution for sin off by a factor 2: each fails here.
"""
from __future__ import annotations

import sympy as sp

from symbolic import SIGMA, THETA0, Bilinear
from proofs.paper.results._beyond import rational_derivative, rational_limit_at
from symbolic.univariate import derivative_sign
from proofs.paper.results._common import angle_is_zero

x = sp.Symbol("lambda", positive=True)
d = sp.Symbol("d", positive=True, integer=True)
k = Bilinear(THETA0, SIGMA, THETA0)
PHI = sp.Symbol("phi", real=True)


def test_rational_limit_at_equals_sympy_limit():
    cases = [(3 * x ** 2 + d * x + k) / ((d + 4) * x ** 2 + 1),
             (x + k) / (x ** 2 * d + x + 1) + 2 / (d + 4),
             (k * x ** 3 + x) / (x * (x ** 2 + d) * (k + 1)),
             (d * x + 1) ** 2 / ((x + 1) * (k * x + d))]
    kk = sp.Symbol("kk", positive=True)
    for e in cases:
        for at in (0, sp.oo):
            got = rational_limit_at(e, x, at)
            want = sp.limit(e.xreplace({k: kk}), x, at, "+").xreplace({kk: k})
            assert sp.simplify(got - want) == 0, (e, at, got, want)
    assert rational_limit_at(x ** 2 / (x + 1), x, sp.oo) == sp.oo
    assert rational_limit_at(k + d, x, 0) == k + d


def test_rational_derivative_equals_sympy_diff():
    """``rational_derivative`` (the quotient rule in QQ[gens]) is ``sympy.diff`` as a rational function,
    on fractions with repeated denominator factors, traces and bilinear forms in their coefficients;
    not a rational function of its symbols (sqrt) or free of x: ``sympy.diff`` itself."""
    kk = sp.Symbol("kk", positive=True)
    cases = [(3 * x ** 2 + d * x + k) / ((d + 4) * x ** 2 + 1),
             (x + k) / (x ** 2 * d + x + 1) ** 2 + 2 / (d + 4) / (x + 1),
             (k * x ** 3 + x) / (x * (x ** 2 + d) ** 3 * (k + 1)),
             x ** 3 * d / 5 + k]
    for e in cases:
        got = rational_derivative(e, x)
        want = sp.diff(e.xreplace({k: kk}), x).xreplace({kk: k})
        assert sp.cancel(sp.together((got - want).xreplace({k: kk}))) == 0, e
        assert sp.cancel(sp.together((got + want).xreplace({k: kk}))) != 0, e
    assert rational_derivative(sp.sqrt(x) + k, x) == sp.diff(sp.sqrt(x), x)
    assert rational_derivative(k * d, x) == 0


def test_derivative_sign_agrees_with_sympy_diff():
    cases = [(x / (x + 1), 1), ((x + 2) / (3 * x + 1), -1), (x ** 2 / (x ** 2 + x + 1), 1),
             ((x - 1) ** 2 / (x + 1), None), (sp.Rational(5, 3) + 1 / (x ** 2 + 2), -1),
             ((7 * x ** 3 + x) / (2 * x ** 3 + 5), None), (sp.Integer(4), None)]
    for f, want in cases:
        num, den = sp.fraction(sp.cancel(f))
        assert derivative_sign(sp.Poly(num, x), sp.Poly(den, x)) == want, f
        if want is not None:
            df = sp.diff(f, x)
            assert all(sp.sign(df.subs(x, sp.Rational(p, 7))) == want for p in range(1, 60)), f


def test_angle_is_zero_on_identities_and_near_misses():
    r = sp.Symbol("r", positive=True)
    same = [(-2 * r ** 2 * sp.cos(PHI) + 2 * r ** 2, 4 * r ** 2 * sp.sin(PHI / 2) ** 2),
            (sp.sin(PHI), 2 * sp.sin(PHI / 2) * sp.cos(PHI / 2)),
            (sp.cos(PHI) ** 2 + sp.sin(PHI) ** 2, sp.Integer(1)),
            (sp.cos(PHI / 2), 1 - 2 * sp.sin(PHI / 4) ** 2)]
    for a, b in same:
        assert angle_is_zero(a - b, PHI) and sp.simplify(a - b) == 0
    for a, b in same[:3]:
        assert not angle_is_zero(a - 2 * b, PHI)
    assert not angle_is_zero(sp.sin(PHI) - sp.sin(PHI / 2), PHI)
    assert not angle_is_zero(sp.cos(PHI) - sp.cos(PHI) ** 2, PHI)


def test_show_remembers_a_rendering_only_for_the_same_tree():
    """``show`` renders a SymPy tree once per process: equal-looking but different objects
    (1, 1.0 at two precisions, true; a symbol with and without assumptions) keep their own text."""
    from proofs.paper.results._common import show
    x, xr = sp.Symbol("x"), sp.Symbol("x", positive=True)
    objs = [sp.Integer(1), sp.Float(1.0), sp.Float(1.0, 30), sp.true, 1, 1.0, True,
            x + 1, xr + 1, (x + 1) / 3, sp.Tuple(1, 2.0)]
    for _ in range(2):
        assert [show(o) for o in objs] == [sp.sstr(o) for o in objs]
    assert show([x, 2]) == sp.sstr([x, 2])


def test_dissimilarity_angles_are_sympy_solves():
    """The zeros in phi of a factored gap, read factor by factor, are sympy.solve's: a factor linear
    in cos(phi) gives acos(c) and 2 pi - acos(c); phi in a denominator gives poles, not zeros."""
    from proofs.paper.results.dissimilarity import PHI, RHO, _angles_where_zero
    d = sp.Symbol("d")
    for gap in (-RHO * (2 * sp.cos(PHI) - RHO) / (d + 4) ** 2,
                (2 * sp.cos(PHI) - RHO) / (3 * sp.cos(PHI) + 1),
                sp.factor((sp.cos(PHI) - sp.Rational(1, 3)) * (5 * sp.cos(PHI) + 2))):
        assert set(_angles_where_zero(gap)) == set(sp.solve(sp.Eq(gap, 0), PHI)), gap
