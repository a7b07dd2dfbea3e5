"""Fractions in one variable as pairs of polynomials (symbolic/univariate.py), and the frontier's
errors read at each sigma^2 from one evaluation at symbolic sigma (proofs/quantities/frontier.py).

Independent routes: a pair against SymPy's ``cancel`` of the expression it came from (or of the
expression with ``x = y / (1 - y)`` substituted, for :func:`moebius`); the frontier's errors
at a setting read from the symbolic-sigma evaluation against the same errors evaluated at that
setting directly.  Random fractions with a fixed seed; small degrees; about a second in all.
"""
from __future__ import annotations

import random

import pytest
import sympy as sp

from symbolic.univariate import derivative_sign, fraction_pair, moebius, normal_pair

X, Y = sp.Symbol("x"), sp.Symbol("y")
R = sp.Rational


def _random_pair(rng: random.Random) -> tuple[sp.Poly, sp.Poly]:
    dn, dd = rng.randint(0, 4), rng.randint(0, 4)
    num = [R(rng.randint(-9, 9), rng.randint(1, 6)) for _ in range(dn + 1)]
    den = [R(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(1, 6))] + \
          [R(rng.randint(-9, 9), rng.randint(1, 6)) for _ in range(dd)]
    return sp.Poly(num, X, domain="QQ"), sp.Poly(den, X, domain="QQ")


def _is_normal(N: sp.Poly, D: sp.Poly) -> bool:
    ints = [sp.Rational(c) for c in N.all_coeffs() + D.all_coeffs()]
    return (all(c.q == 1 for c in ints) and sp.gcd_list([c.p for c in ints]) == 1 and D.LC() > 0
            and N.gcd(D).degree() <= 0)


def test_equal_fractions_give_equal_pairs_in_normal_form():
    rng = random.Random(1)
    for _ in range(15):
        N, D = _random_pair(rng)
        f = N.as_expr() / D.as_expr()
        g = sp.Poly(rng.randint(1, 5) * X + rng.randint(-3, 3), X)     # a common factor, cancelled
        a = fraction_pair(f, X)
        b = normal_pair(N * g * R(-3, 7), D * g * R(-3, 7))
        assert a == b and _is_normal(*a)
        assert sp.cancel(a[0].as_expr() / a[1].as_expr() - f) == 0


def test_moebius_is_the_substitution_x_equals_y_over_one_minus_y():
    rng = random.Random(2)
    for _ in range(15):
        N, D = normal_pair(*_random_pair(rng))
        A, B = moebius(N, D, Y)
        expected = sp.cancel((N.as_expr() / D.as_expr()).subs(X, Y / (1 - Y)))
        assert sp.cancel(A.as_expr() / B.as_expr() - expected) == 0
        assert _is_normal(A, B)
    assert moebius(sp.Poly(0, X, domain="QQ"), sp.Poly(X + 1, X, domain="QQ"), Y) == \
        (sp.Poly(0, Y, domain="QQ"), sp.Poly(1, Y, domain="QQ"))


def test_normal_pair_refuses_a_zero_denominator():
    with pytest.raises(ZeroDivisionError):
        normal_pair(sp.Poly(X, X), sp.Poly(0, X))


def test_frontier_errors_read_at_each_sigma2_equal_the_direct_evaluation():
    from proofs.quantities import frontier as F
    from proofs.quantities.setting import setting
    spec = F.tradeoff_spec(2)
    for s2 in (R(1, 3), sp.S(0), sp.S(2)):
        s = setting(3, Sigma=sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 2]]), theta0=[1, -1, 2], sigma2=s2)
        key = F._env_key(s)
        for n in (0, 2, None):
            read = F._spec_fractions(spec, None, n, key)       # through _in_sigma, _at_sigma
            direct = F._evaluated(spec, None, n, key)
            assert set(read) == set(direct) == set(F.COLUMNS)
            assert all(read[c][0] is not None and read[c][0] == direct[c][0] for c in read), (s2, n)


def test_derivative_sign_of_a_pair_reads_monotonicity_on_the_positive_axis():
    """Mobius maps (a x + b)/(c x + d) with c, d > 0 have the sign of ad - bc on x > 0; a
    minimum inside (0, oo) or a pole there gives None; the verdict does not depend on the
    representative (N, D), (-N, -D) or (c N, c D); on random fractions a verdict is the sign of
    ``sympy.diff`` of the fraction at sample points of x > 0."""
    rng = random.Random(4)
    for _ in range(10):
        a, b = R(rng.randint(-9, 9), rng.randint(1, 5)), R(rng.randint(-9, 9), rng.randint(1, 5))
        c, d = R(rng.randint(1, 9), rng.randint(1, 5)), R(rng.randint(1, 9), rng.randint(1, 5))
        N, D = sp.Poly(a * X + b, X, domain="QQ"), sp.Poly(c * X + d, X, domain="QQ")
        want = {1: 1, -1: -1, 0: None}[sp.sign(a * d - b * c)]
        assert derivative_sign(N, D) == derivative_sign(-N, -D) == want
    assert derivative_sign(sp.Poly((X - 1) ** 2, X), sp.Poly(X + 1, X)) is None      # falls, then rises
    assert derivative_sign(sp.Poly(X, X), sp.Poly(X - 2, X)) is None                   # a pole at x = 2
    assert derivative_sign(sp.Poly(X ** 2, X), sp.Poly(X ** 2 + 1, X)) == 1
    decided = 0
    for _ in range(60):
        N, D = normal_pair(*_random_pair(rng))
        c = R(rng.randint(1, 9), rng.randint(1, 5)) * rng.choice((1, -1))
        verdict = derivative_sign(N, D)
        assert derivative_sign(N * c, D * c) == verdict
        if verdict is not None:
            decided += 1
            slope = sp.diff(N.as_expr() / D.as_expr(), X)
            assert all(sp.sign(slope.subs(X, x)) == verdict for x in (R(1, 7), R(1), R(5, 2), R(40)))
    assert decided >= 3
