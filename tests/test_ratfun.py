"""symbolic/ratfun.py against SymPy: ``cancel`` returns ``sympy.cancel``'s expression term for term,
``solve_linear`` ``sympy.linsolve``'s solution (the same rational functions), and anything
that is not a rational function of symbols is refused (the callers then use SymPy)."""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic import ratfun
from symbolic.bilinear import Bilinear

x, y, z, n, d = sp.symbols("x y z n d")
k0, k1 = sp.Dummy("k0"), sp.Dummy("k1")

CASES = [
    x / (x + 1) + y / (x + 1) ** 2 - 1 / (x + 1),
    (x ** 2 - y ** 2) / (x - y),
    (1 - x) / (y - x),                                 # the denominator's sign set by SymPy's order of x, y
    (2 * x + 4) / (6 * y - 8),                         # integer contents on both sides
    x / 3 + y / 6 - z / 4,                             # a polynomial with rational coefficients
    n * (n - 1) / (n + 1) ** 2 - 2 * n / (n + 1) + 1,  # the objective's weights
    (k0 + k1 * d) / (d + 2) - k1 * (d + 4) / ((d + 2) * (d + 4)) + k0 ** 2 / (k1 * (d + 2) + k0),
    ((x + 1) / (y - 2)) ** -2 * (y - 2) ** 3 / (x + 1) ** -3,
    -x / (-(x + y)),
    sp.Rational(3, 7),
]


@pytest.mark.parametrize("e", CASES, ids=range(len(CASES)))
def test_cancel_is_sympys(e):
    assert ratfun.cancel(e) == sp.cancel(e)


@pytest.mark.parametrize("e", [sp.sqrt(x) + 1, x ** sp.Rational(1, 2) / y, sp.Float(0.5) * x, sp.exp(x) / y,
                               sp.Trace(sp.MatrixSymbol("S", 3, 3)) + x])
def test_not_rational_is_refused(e):
    with pytest.raises(ratfun.NotRational):
        ratfun.cancel(e)


def test_numer_denom_no_gcd_same_value():
    R = sp.polys.rings.PolyRing((x, y), sp.QQ)
    e = x / (x + y) + y / (x + y) - 1 / (x + y) ** 2
    num, den = ratfun.numer_denom(e, R)
    D = R.one
    for b, k in den.items():
        D = D * b ** k
    assert sp.cancel(num.as_expr() / D.as_expr() - e) == 0


def test_solve_linear_is_linsolves():
    a, b, c = sp.symbols("a b c")
    eqs = [(d + 2) * a + k0 * b / (d + 4) - 1, a - b / (n + 1) + c * k1 - k0, 2 * a + c]
    got = ratfun.solve_linear(eqs, [a, b, c])
    (want,) = sp.linsolve(eqs, [a, b, c])
    assert all(sp.cancel(g - w) == 0 for g, w in zip(got, want))


def test_solve_linear_free_unknown_and_inconsistent():
    a, b = sp.symbols("a b")
    got = ratfun.solve_linear([a + x * b - 1, 2 * a + 2 * x * b - 2], [a, b])
    assert got[1] == b and sp.cancel(got[0] - (1 - x * b)) == 0      # b free, a in terms of it
    with pytest.raises(ratfun.NoSolution):
        ratfun.solve_linear([a + x * b - 1, a + x * b - 2], [a, b])
    with pytest.raises(ratfun.NotRational):
        ratfun.solve_linear([a * b - 1, a - b], [a, b])              # not linear
    with pytest.raises(ratfun.NotRational):
        ratfun.solve_linear([a / (b + 1) - 1, a - b], [a, b])        # an unknown in a denominator


def _solve_cases():
    import random
    a, b, c, e = sp.symbols("a b c e")
    rng = random.Random(5)

    def poly():
        return sum(sp.Rational(rng.randint(-3, 3), rng.choice([1, 2, 3])) * m for m in (1, x, y, x * y, n))
    rows = [[poly() for _ in range(4)] for _ in range(3)]
    rows.append([2 * p - sp.Rational(1, 2) * q for p, q in zip(rows[0], rows[1])])    # a dependent row
    random_eqs = [r[0] * a + r[1] * b + r[2] * c + r[3] for r in rows]
    return [
        ([(d + 2) * a + k0 * b / (d + 4) - 1, a - b / (n + 1) + c * k1 - k0, 2 * a + c], [a, b, c]),
        ([x * b - y, (y - x) * a + b / 3 - 1], [a, b]),                       # a row swap, a negative pivot
        ([a + x * c - 1, 2 * a + 2 * x * c - 2, b - (1 - x) * c / (y - x) + e], [a, b, c, e]),   # free c and e
        ([(x - y) * a - (y - x) * b + sp.Rational(2, 3), a / (n + 1) - b * 7], [a, b]),
        (random_eqs, [a, b, c]),
    ]


@pytest.mark.parametrize("eqs, unknowns", _solve_cases(), ids=range(5))
def test_solve_linear_flint_route_is_domain_matrixs(eqs, unknowns, monkeypatch):
    """The elimination in FLINT (fractions of ZZ[others] in K's normal form) gives the expressions
    the elimination over QQ(others) by DomainMatrix gives, term for term (srepr): the reduced row
    echelon form is unique and each entry is put in K's normal form; rows with zero leading
    entries, negative pivots, free unknowns and rational coefficients among the cases."""
    pytest.importorskip("flint")
    got = ratfun.solve_linear(eqs, unknowns)
    monkeypatch.setattr(ratfun, "_flint", None)
    want = ratfun.solve_linear(eqs, unknowns)
    assert [sp.srepr(g) for g in got] == [sp.srepr(w) for w in want]

S = sp.MatrixSymbol("Sigma", d, d)
t0 = sp.MatrixSymbol("theta_0", d, 1)
FACTOR_CASES = CASES + [
    (x ** 2 - y ** 2) * (y - x) / ((x + y) * (2 * x - 2 * y) ** 2),     # signs and contents of every factor
    sp.Trace(S) * (d + 2) / (sp.Trace(S) ** 2 * (d + 4) + 2 * sp.Trace(S) * (d + 4)),
    Bilinear(t0, S, t0) / (n + 2) - Bilinear(t0, S, t0) ** 2 / ((n + 2) * (x + Bilinear(t0, S, t0))),
    sp.S.Zero * x, 6 * x * y ** 2 - 4 * x ** 2 * y,
]


@pytest.mark.parametrize("e", FACTOR_CASES, ids=range(len(FACTOR_CASES)))
def test_factor_is_sympys(e):
    assert ratfun.factor(e) == sp.factor(e)


def test_factored_falls_back():
    e = sp.sqrt(2) * x ** 2 - sp.sqrt(2)
    with pytest.raises(ratfun.NotRational):
        ratfun.factor(e)
    assert ratfun.factored(e) == sp.factor(e)


@pytest.mark.parametrize("e", FACTOR_CASES + [sp.expand(c) for c in CASES], ids=range(len(FACTOR_CASES) + len(CASES)))
def test_together_is_sympys(e):
    assert ratfun.together(e) == sp.together(e)
    assert ratfun.together(e) == sp.together(e)    # the second time from the remembered results


@pytest.mark.parametrize("e", [x / (x + 1) + y / (x + 1) ** 2 - 1 / (x + 1), (2 * x + 4) / (6 * y - 8), (1 - x) / (y - x),
                               sp.Rational(-5, 3), x ** 2 * y / 3 - y])
def test_field_element_is_from_sympys(e):
    K = sp.QQ.frac_field(x, y)
    got, want = ratfun.field_element(e, K), K.from_sympy(e)
    assert (got.numer, got.denom) == (want.numer, want.denom)
    with pytest.raises(ratfun.NotRational):
        ratfun.field_element(e + z, K)          # z is not a generator of K


FACTOR_LIST_CASES = [
    (x ** 2 - y ** 2) * (y - x) * sp.Rational(-3, 4),                    # a negative content, a repeated factor
    (2 * x * y - 4 * y ** 2) * (x + 3) ** 2 / 3,
    -(y - 2 * x) ** 3 * (x * z + sp.Rational(1, 2)) * (z ** 2 + 1),     # a lex-leading coefficient < 0, a rational one
    (n ** 2 + n - 1) * (d * n - 2) ** 2 * (d + 4) * 7,
    sp.Integer(5), -x, x * y * z,
]


@pytest.mark.parametrize("e", FACTOR_LIST_CASES, ids=range(len(FACTOR_LIST_CASES)))
def test_factor_list_is_sympys(e, monkeypatch):
    """The factorisation in the ring (FLINT's where python-flint is installed) has SymPy's constant
    and factors, each primitive over ZZ with a positive leading coefficient; without FLINT the
    same through SymPy."""
    R = ratfun._ring([d, n, x, y, z])
    p = R(sp.expand(e))
    want = p.factor_list()
    got = ratfun.factor_list(p)
    assert got[0] == want[0] and sorted(map(str, got[1])) == sorted(map(str, want[1]))
    monkeypatch.setattr(ratfun, "_flint", None)
    assert ratfun.factor_list(p) == want


@pytest.mark.parametrize("terms, scale", [
    ({(1, 0): sp.Rational(1), (0, 1): sp.Rational(-1, 2)}, 2),       # monic, a rational coefficient
    ({(1, 0): sp.Rational(-4), (0, 0): sp.Rational(6)}, sp.Rational(-1, 2)),   # a content, LC < 0
    ({(0, 2): sp.Rational(2, 3), (1, 0): sp.Rational(-4, 9)}, sp.Rational(-9, 2)),   # the leading term is (1, 0)
    ({(2, 1): sp.Rational(3), (0, 0): sp.Rational(1)}, 1),           # already primitive
])
def test_primitive_part(terms, scale):
    from sympy.polys.domains import QQ
    s, g = ratfun.primitive_part({m: QQ(int(v.p), int(v.q)) for m, v in terms.items()})
    assert s == scale and all(g[m] == v * scale for m, v in terms.items())


class _MonicFlint:
    """python-flint with ``fmpq_mpoly.factor`` answering monic factors (FLINT's own are primitive
    over ZZ): :func:`ratfun.factor_list` must put any such answer in SymPy's form."""

    def __init__(self, flint):
        self.fmpq, self._flint = flint.fmpq, flint

    @property
    def fmpq_mpoly_ctx(self):
        outer = self

        class Ctx:
            @staticmethod
            def get(names, order):
                ctx = outer._flint.fmpq_mpoly_ctx.get(names, order)

                class Poly:
                    def __init__(self, p):
                        self.p = p

                    def factor(self):
                        c, found = self.p.factor()
                        out = []
                        for f, k in found:
                            terms = f.to_dict()
                            lead = terms[max(terms)]
                            out.append((ctx.from_dict({m: v / lead for m, v in terms.items()}), k))
                            c = c * lead ** k
                        return c, out

                class Wrapped:
                    @staticmethod
                    def from_dict(d):
                        return Poly(ctx.from_dict(d))
                return Wrapped
        return Ctx


@pytest.mark.parametrize("e", FACTOR_LIST_CASES, ids=range(len(FACTOR_LIST_CASES)))
def test_factor_list_normalises_monic_factors(e, monkeypatch):
    flint = pytest.importorskip("flint")
    R = ratfun._ring([d, n, x, y, z])
    p = R(sp.expand(e))
    monkeypatch.setattr(ratfun, "_flint", _MonicFlint(flint))
    got, want = ratfun.factor_list(p), p.factor_list()
    assert got[0] == want[0] and sorted(map(str, got[1])) == sorted(map(str, want[1]))


def test_primitive_part_refuses_the_zero_polynomial():
    from sympy.polys.domains import QQ
    for terms in ({}, {(1, 0): QQ(0)}):
        with pytest.raises(ValueError, match="terms: expected a nonzero polynomial"):
            ratfun.primitive_part(terms)


CANCEL_POLY_CASES = [   # (f, g): a common factor, rational contents, a negative leading coefficient
    ((x ** 2 - y ** 2) * sp.Rational(3, 4), (x - y) * sp.Rational(-6, 5)),
    ((2 * x + 4) * (y + z) / 3, (6 * y - 8) * (y + z) * (z - x)),
    (-x * y + z, sp.Rational(-2, 7)),
    (sp.Rational(5, 3), (x + 1) * sp.Rational(10, 9)),
    ((n + 1) ** 2 * (d - n) * 4, (n + 1) * (n - d) ** 2 * 6),
]


@pytest.mark.parametrize("f, g", CANCEL_POLY_CASES, ids=range(len(CANCEL_POLY_CASES)))
def test_cancel_polys_is_sympys(f, g):
    """The FLINT gcd route returns SymPy's pair (p, q) itself, as polynomials (not only p/q)."""
    pytest.importorskip("flint")
    R = ratfun._ring([d, n, x, y, z])
    F, G = R(sp.expand(f)), R(sp.expand(g))
    assert ratfun.cancel_polys(F, G) == F.cancel(G)
