"""symbolic/lowrank_ring.py against SymPy's expressions: the quadratic read into the ring (its change of
coordinates a = y_11 - s/k), its value at rational-function values, and its coefficients at n = 0, n -> oo
and n renamed, each compared with the same computation done by SymPy's expand, cancel, subs and limit."""
import pytest
import sympy as sp

from symbolic.lowrank_ring import AnsatzQuadratic, DegreeError, to_expr, to_field

d, k, n, m, sig = sp.symbols("d k n m sigma")
y0, y1, a, s = sp.symbols("y_0 y_1 a_tt s_perp")

#: a quadratic in (y_0, y_1, a, s) whose coefficients are rational in d, k, n, sigma, with the kinds of
#: denominators the engine writes ((n + 1)^2, n + 2, k), one coefficient growing like n / n
E = (3 * y0 ** 2 / (n + 1) + (d - 1) * y0 * y1 - 2 * k * y1 * a / (n + 2) + n * a ** 2 / (n + 1) ** 2
     + sig ** 2 * s ** 2 * d / k - (n ** 2 + 1) * y1 / (n + 1) ** 2 + a * s / (n + 1) + 7 * s - sp.Rational(1, 3)
     + (k + sig ** 2) * n / (n + 2))


#: rational points at which two rational functions of d, k, n, m, sigma are compared (exactly)
POINTS = [{d: sp.Rational(7, 3), k: sp.Rational(5, 2), n: 4, m: sp.Rational(9, 7), sig: sp.Rational(1, 3)},
          {d: 5, k: sp.Rational(1, 7), n: sp.Rational(11, 2), m: 3, sig: 2},
          {d: sp.Rational(13, 4), k: 3, n: 9, m: sp.Rational(2, 9), sig: sp.Rational(3, 5)}]


def _same(x: sp.Expr, y: sp.Expr) -> bool:
    """Equal at every point of POINTS, exactly (SymPy's cancel of these differences takes minutes)."""
    return all(x.xreplace(p) == y.xreplace(p) for p in POINTS)


def _sympy_form(e: sp.Expr) -> sp.Expr:
    return sp.expand(e.xreplace({a: y1 - s / k}))


def _coefficient(e: sp.Expr, mon: dict) -> sp.Expr:
    P = sp.Poly(_sympy_form(e), y0, y1, s)
    return sp.cancel(P.coeff_monomial(sp.Mul(*[v ** p for v, p in mon.items()])))


def test_read_is_the_change_of_coordinates_term_by_term():
    Q = AnsatzQuadratic.read(E, (y0, y1), a, s, k, y1)
    for mon in ({}, {y0: 2}, {y0: 1, y1: 1}, {y1: 2}, {y1: 1}, {s: 1}, {s: 2}, {y1: 1, s: 1}, {y0: 1, s: 1}):
        exps = tuple(mon.get(v, 0) for v in (y0, y1, s))
        got = to_expr(Q.coeff(exps))
        assert sp.cancel(got - _coefficient(E, mon)) == 0, mon
        assert Q.is_zero(exps) == (_coefficient(E, mon) == 0)


def test_value_at_rational_function_values():
    Q = AnsatzQuadratic.read(E, (y0, y1), a, s, k, y1)
    vals = [(n + 1) / (k * (d + 3)), -sp.Rational(2, 5) / (k + sig ** 2), (n + 2) / (n + 1) ** 2]
    got = to_expr(Q.value([to_field(v, Q.K) for v in vals]))
    want = _sympy_form(E).xreplace(dict(zip((y0, y1, s), vals)))
    assert _same(got, want) and not _same(got, want + 1 / (n + 3))


@pytest.mark.parametrize("where", [0, sp.oo, m])
def test_at_n_is_subs_limit_or_renaming(where):
    Q = AnsatzQuadratic.read(E, (y0, y1), a, s, k, y1)
    At = Q.at(n, where)
    vals = [d / k, (k - 1) / (d + 2), sig ** 2 / (k + 1)]
    vals_n = vals if where != m else [v.xreplace({d: m + d}) for v in vals]   # values free of n
    B = At.over((d, k, sig, m))
    got = to_expr(B.value([to_field(v, B.K) for v in vals_n]))
    full = _sympy_form(E)
    if where == sp.oo:
        full = sp.Add(*[sp.limit(t, n, sp.oo) for t in sp.Add.make_args(sp.expand(full))])
    else:
        full = full.subs(n, where)
    want = full.xreplace(dict(zip((y0, y1, s), vals_n)))
    assert _same(got, want) and not _same(got, want + d / (k + 1))


def test_at_refuses_a_coefficient_that_grows_and_reading_refuses_degree_three():
    Q = AnsatzQuadratic.read(E + n * y0, (y0, y1), a, s, k, y1)
    assert Q.at(n, sp.oo) is None
    with pytest.raises(DegreeError):
        AnsatzQuadratic.read(E + y0 * a * s, (y0, y1), a, s, k, y1)


@pytest.mark.parametrize("task_sign", [1, -1])
def test_the_ansatz_errors_at_n_0_oo_and_n_ft_are_the_engines_own(task_sign):
    """symbolic.lowrank reads E(n; +-theta_0) on the ansatz once at the engine's symbolic n and takes
    it at n = 0, n -> oo and n = n_ft (the training loss) in the ring: each equals the engine's own
    polynomial at that n (its zero-shot moments, its limit, its n_ft), read directly."""
    from symbolic import N_FT
    from symbolic.general import loss_poly
    from symbolic.lowrank import _ansatz, _ansatz_loss, _evaluation, _read, scalarise
    from symbolic.objective import THETA0
    from symbolic.pretraining import derive_pretrain
    from symbolic.spec import Task, Term
    start = derive_pretrain(sp.oo).blocks
    task = task_sign * THETA0
    b, ys = _ansatz(start, "Qxx")
    for n_, mine in ((0, _evaluation(start, "Qxx", ("task", task), sp.S.Zero, False)),
                     (sp.oo, _evaluation(start, "Qxx", ("task", task), sp.oo, False)),
                     (N_FT, _ansatz_loss(start, "Qxx", (Term(sp.S.One, N_FT, Task(task)),), False))):
        direct = _read(scalarise(loss_poly(b, (Term(sp.S.One, n_, Task(task)),)), False), ys)
        mons = set(mine._num) | set(direct._num)
        assert mons and all(sp.cancel(to_expr(mine.coeff(mo)) - to_expr(direct.coeff(mo))) == 0 for mo in mons), n_


def test_factor_list_is_sympys_on_products_of_random_polynomials():
    """lowrank_ring.factor_list (remembered, through ratfun.factor_list) gives SymPy's constant and factors with their multiplicities, on 80 products of
    random polynomials over QQ in 3 variables (degree 1 in some variable or not, repeated factors,
    monomial contents); factored(x) is ratfun.factored of the element's expression, renamed
    generators included."""
    import random
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring
    from symbolic import ratfun
    from symbolic.lowrank_ring import _FACTORS, factor_list, factored, field_of
    R, *gens = ring("x y z", QQ)
    rnd = random.Random(3)

    def poly(deg, terms):
        p = R.zero
        for _ in range(terms):
            m = QQ(rnd.randint(-5, 5), rnd.randint(1, 4))
            for g in gens:
                m *= g ** rnd.randint(0, deg)
            p += m
        return p

    def multiset(fs):
        out: dict = {}
        for f, e in fs:
            out[frozenset(f.items())] = out.get(frozenset(f.items()), 0) + e
        return out
    seen = 0
    for _ in range(80):
        p = QQ(rnd.randint(-7, 7) or 1, rnd.randint(1, 5))
        for _ in range(rnd.randint(1, 3)):
            p *= poly(rnd.choice([1, 1, 2]), rnd.randint(1, 3)) ** rnd.randint(1, 2)
        if not p:
            continue
        _FACTORS.clear()
        (c1, f1), (c2, f2) = factor_list(p), p.factor_list()
        assert c1 == c2 and multiset(f1) == multiset(f2), p
        seen += 1
    assert seen > 60
    K = field_of(tuple(sp.symbols("d k n sigma")))
    dd, kk, nn, ss = sp.symbols("d k n sigma")
    x = to_field((dd * nn * kk + dd * ss ** 2 - nn * kk - kk) * (nn + 1) / (-3 * kk * (nn + 2) ** 2 * (dd - 1)), K)
    assert factored(x) == ratfun.factored(x.as_expr())
    t = sp.Symbol("t_renamed")
    assert factored(x, (dd, t, nn, ss)) == ratfun.factored(x.as_expr().xreplace({kk: t}))
    assert factored(x - x) == 0


def test_q_xx_ansatz_loss_read_from_qs_is_its_own():
    """The Q_xx ansatz's loss restricted from Q's (symbolic.lowrank._ansatz_loss once Q's is derived:
    Q's unknowns other than y_11 at 0) is the one derived on the Q_xx ansatz itself, coefficient by
    coefficient (cancel of the difference), for E(n; -theta_0) and the family error at Sigma = I."""
    from symbolic.general import loss_poly
    from symbolic import lowrank as LR
    from symbolic.objective import N, THETA0
    from symbolic.pretraining import derive_pretrain
    from symbolic.spec import Task, Term
    start = derive_pretrain(sp.oo).blocks
    for terms, identity in (((Term(sp.S.One, N, Task(-THETA0)),), False),
                            ((Term(sp.S.One, N, Task(None, sp.S.One)),), True)):
        LR._ansatz_loss(start, "Q", terms, identity)
        read = LR._ansatz_loss.__wrapped__(start, "Qxx", terms, identity)
        b, ys = LR._ansatz(start, "Qxx")
        own = LR._read(LR.scalarise(loss_poly(b, terms, normalise=False), identity), ys)
        assert read.unknowns == own.unknowns
        mons = set(read._num) | set(own._num)
        assert mons and all(sp.cancel(to_expr(read.coeff(mo)) - to_expr(own.coeff(mo))) == 0 for mo in mons)


def test_new_is_the_fields_own_cancel():
    """lowrank_ring.new(F, num, den) (the cancel's gcd over ZZ by FLINT) is F.new(num, den) (SymPy's
    cancel), numerator and denominator term for term, on 150 random fractions over QQ(x, y, z):
    rational coefficients (the cleared constants' cofactors), a common factor planted in half of
    them, denominators with a negative leading coefficient (the sign made positive), zero numerators;
    lowrank_ring.div is the field's quotient there."""
    import random
    from sympy.polys.domains import QQ
    from symbolic.lowrank_ring import div, field_of, new
    x, y, z = sp.symbols("x y z")
    F = field_of((x, y, z)).field
    R = F.ring
    rnd = random.Random(5)

    def poly(terms, deg):
        return R.from_dict({tuple(rnd.randint(0, deg) for _ in range(3)): QQ(rnd.randint(-9, 9), rnd.randint(1, 6))
                            for _ in range(terms)})
    seen = 0
    for i in range(150):
        a, b, c = poly(4, 3), poly(4, 3), poly(2, 2)
        if not b or not c:
            continue
        if i % 2:
            a, b = a * c, b * c
        if i % 7 == 0:
            a = R.zero
        u, v = F.new(a, b), new(F, a, b)
        assert u.numer == v.numer and u.denom == v.denom, (a, b)
        if i % 6 == 1:     # div: the field's own quotient, by an element and by an integer
            w = F.new(c, b)
            for q, want in ((div(u, w), u / w), (div(u, -3), u / -3)):
                assert q.numer == want.numer and q.denom == want.denom
        seen += 1
    assert seen > 120


def test_kronecker_split_reads_factors_with_denominators():
    """symbolic.lowrank._kronecker splits Qm = H (x) S over QQ(a, b) (S normalised to S_11 = 1), factors
    with denominators, and refuses a Qm one entry off a Kronecker product."""
    from symbolic.lowrank import _kronecker
    from symbolic.lowrank_ring import field_of
    from symbolic.quadratic import NotClosedForm
    a, b = sp.symbols("a b")
    K = field_of((a, b))
    f = lambda e: to_field(e, K)   # noqa: E731
    H = [[f(a / (b + 1)), f(1 / (a + 2))], [f(1 / (a + 2)), f(b ** 2 / 3)]]
    S = [[f(2 / (a + b)), f(a / (b + 3))], [f(a / (b + 3)), f((b + 1) / (a + 5))]]
    Qm = [[H[i][j] * S[p][q] for j in range(2) for q in range(2)] for i in range(2) for p in range(2)]
    Hk, Sk = _kronecker(Qm, 2, 2)
    assert Sk[0][0] == 1
    assert all(Hk[i][j] * Sk[p][q] == Qm[i * 2 + p][j * 2 + q]
               for i in range(2) for j in range(2) for p in range(2) for q in range(2))
    Qm[1][2] = Qm[1][2] + f(a)
    with pytest.raises(NotClosedForm):
        _kronecker(Qm, 2, 2)


def test_matmul_and_inverse_are_domainmatrixs_own():
    """lowrank_ring.matmul and inverse (in the field's ring, one cancel per entry) give DomainMatrix's
    product and inverse over QQ(x, y, z), entry for entry, on 40 random products and 12 inverses up to 3 x 3 (entries
    with and without denominators, zeros, singular ones refused alike)."""
    import random
    from sympy.polys.domains import QQ
    from sympy.polys.matrices import DomainMatrix
    from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError
    from symbolic.lowrank_ring import field_of, inverse, matmul
    x, y, z = sp.symbols("x y z")
    K = field_of((x, y, z))
    F, R = K.field, K.field.ring
    rnd = random.Random(7)

    def poly(terms, deg):
        return R.from_dict({tuple(rnd.randint(0, deg) for _ in range(3)): QQ(rnd.randint(-5, 5), rnd.randint(1, 4))
                            for _ in range(terms)})

    def element(terms=3, deg=2):
        d = poly(2, 1)
        return F.zero if rnd.random() < 0.2 else F.new(poly(terms, deg), d if d and rnd.random() < 0.6 else R.one)

    def same(P, Q):
        return all(p.numer == q.numer and p.denom == q.denom for pr, qr in zip(P, Q) for p, q in zip(pr, qr))
    for _ in range(40):
        a, b, c = (rnd.randint(1, 3) for _ in range(3))
        A, B = [[element() for _ in range(b)] for _ in range(a)], [[element() for _ in range(c)] for _ in range(b)]
        assert same(matmul(A, B, F), (DomainMatrix(A, (a, b), K) * DomainMatrix(B, (b, c), K)).to_list())
    refused = 0
    for i in range(12):   # (DomainMatrix's inverse, the reference, is slow on larger entries)
        m = 1 + i % 3
        M = [[element(2, 1) for _ in range(m)] for _ in range(m)]
        if i % 3 and i % 4 == 3:
            M[-1] = list(M[0])
        try:
            want = DomainMatrix(M, (m, m), K).inv().to_list()
        except DMNonInvertibleMatrixError:
            with pytest.raises(DMNonInvertibleMatrixError):
                inverse(M, F)
            refused += 1
            continue
        assert same(inverse(M, F), want)
    assert refused >= 2
