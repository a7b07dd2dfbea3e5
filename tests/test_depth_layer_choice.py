"""Extension 10 (proofs.paper.results.depth_layer_choice): the first layer's values at depth 2, against
computations that share nothing with its derivation.

- it holds (derived at prove time);
- at a random d = 2 setting (rational SPD Sigma, theta_0, sigma^2; a fixed seed; the docs page's REPL example
  checks a second one, Sigma = [[2, 1], [1, 3]]) ``evaluate`` computes each
  error through the literal model (the zero-shot error from its exact Gaussian moments, the n -> oo errors
  by the law of large numbers) at the derived V_1 values, and each equals the statement exactly;
- the derived minimiser is one: the literal zero-shot loss (symbolic.concrete_depth, V_1's whole last row
  symbolic, the pretrained gammas 1 -+ sqrt 2 typed as the convention) has zero gradient there, v_y does not
  reach it, its Hessian in (v_0, v_x) is positive definite; (d)'s v_y zeroes the derivative of the law of
  large numbers' n -> oo loss, which is convex in v_y;
- the law of large numbers' limit (concrete_depth_limit) at one layer with arbitrary V, Q equals the limit of
  the literal engine's exact errors: E(n) = (a n^2 + b n + c)/(n + 1)^2 from n = 0, 1, 2, the limit a;
  at two arbitrary layers it equals a literal pass of a context whose Gram matrix is the mean exactly (the Gram's
  update between layers, invisible to the class and to one layer);
- the exact QQ(sqrt 2) arithmetic decides signs and rationalises denominators;
- evaluate refuses a finite m, a task theta, a finite n, d > 4, with the reason.
"""
import random

import pytest
import sympy as sp
from sympy import Rational as R

from proofs.paper.results.depth_layer_choice import C_1, RESULT, VY_1
from symbolic.concrete import concrete_error
from symbolic.concrete_depth import class_start, concrete_depth_error, concrete_depth_limit
from symbolic.radical_field import RadicalField
from symbolic.words import DIM

S2 = sp.sqrt(2)
GAMMAS = (1 - S2, 1 + S2)   # the convention: increasing order, the smaller in the first layer


def test_holds():
    v = RESULT.check()
    assert v.holds, "\n".join(v.lines)


def _setting(seed: int):
    rng = random.Random(seed)
    A = sp.Matrix(2, 2, [R(rng.randint(-4, 4), rng.randint(1, 3)) for _ in range(4)])
    Sigma = A * A.T + sp.eye(2) * R(rng.randint(1, 4), 2)
    theta0 = [R(rng.randint(-5, 5), rng.randint(1, 4)) or R(1) for _ in range(2)]
    return Sigma, theta0, R(rng.randint(0, 6), 5)


@pytest.mark.parametrize("seed", [11])
def test_errors_equal_the_literal_model_at_random_settings(seed):
    Sigma, theta0, s2 = _setting(seed)
    vals = RESULT.evaluate(Sigma=Sigma.tolist(), theta_0=theta0, sigma2=s2)
    assert len(vals) == 8
    for lhs, (computed, stated) in vals.items():
        assert sp.expand(sp.radsimp(computed - stated)) == 0, (lhs, computed, stated)


def _first_layer(Sigma, v0, vx, vy, r):
    """The two layers at d = 2 with V_1's last row (v_0, v_x, v_y), V_2 = e_y e_y^T, Q_l = gamma_l Sigma^{-1}
    (sqrt 2 written ``r``: a polynomial ring for the literal engine)."""
    return class_start((1 - r, 1 + r), Sigma, {1: [v0, vx[0], vx[1], vy]})


def test_the_derived_first_layer_values_are_the_minimisers():
    Sigma, theta0, s2 = _setting(5)
    r = sp.Symbol("r")
    c1 = sp.radsimp(RESULT.derived[C_1].subs(DIM, 2)).xreplace({S2: r})
    v0, u1, u2, vy = sp.symbols("v0 u1 u2 vy")
    zero = concrete_depth_error(_first_layer(Sigma, v0, (u1, u2), vy, r), n=0, theta=theta0, Sigma=Sigma, sigma2=s2)
    at = {v0: 0, u1: c1 * theta0[0], u2: c1 * theta0[1], vy: 1}
    back = lambda e: sp.expand(sp.radsimp(sp.expand(e.xreplace(at)).xreplace({r: S2})))  # noqa: E731
    assert all(back(sp.diff(zero, x)) == 0 for x in (v0, u1, u2))
    assert sp.diff(zero, vy) == 0                        # v_y does not reach the zero-shot loss
    H = sp.hessian(zero, (v0, u1, u2)).applyfunc(back)
    assert all(sp.N(H[:k, :k].det(), 30) > 0 for k in (1, 2, 3))   # positive definite: a minimum
    # (d): V_1's v_y minimises the n -> oo loss on theta_0 (law of large numbers), inside (c)'s minimisers
    vy1 = sp.radsimp(RESULT.derived[VY_1].subs(DIM, 2))
    few = concrete_depth_limit(_first_layer(Sigma, 0, (c1.xreplace({r: S2}) * theta0[0], c1.xreplace({r: S2}) * theta0[1]),
                                            vy, S2), theta=theta0, Sigma=Sigma, sigma2=s2)
    assert sp.expand(sp.radsimp(sp.diff(few, vy).subs(vy, vy1))) == 0
    assert sp.N(sp.diff(few, vy, 2), 30) > 0


def test_law_of_large_numbers_limit_is_the_literal_engines_limit_at_one_layer():
    rng = random.Random(3)
    V = sp.Matrix(3, 3, [R(rng.randint(-3, 3), 4) for _ in range(9)])
    Q = sp.Matrix(3, 3, [R(rng.randint(-3, 3), 5) for _ in range(9)])
    Sigma, theta, s2 = [[R(3, 2)]], [R(2, 3)], R(1, 4)
    e = [concrete_error(V, Q, n=n, theta=theta, Sigma=Sigma, sigma2=s2) for n in (0, 1, 2)]
    a, b, c = sp.symbols("a b c")
    sol = sp.solve([(a * n ** 2 + b * n + c) - e[n] * (n + 1) ** 2 for n in (0, 1, 2)], [a, b, c])
    assert concrete_depth_limit([(V, Q)], theta=theta, Sigma=Sigma, sigma2=s2) == sol[a]


def test_radical_field_signs_and_normal_form():
    F = RadicalField([DIM], 2)
    x = F.element((1 + S2) / (1 - S2))
    assert x == F.element(-3 - 2 * S2) and x.den == F.ring.one
    for a, b in [(3, -2), (-3, 2), (1, -1), (-1, 1), (7, -5), (0, -1), (2, 0)]:
        assert x.field_sign(sp.Rational(a), sp.Rational(b)) == sp.sign(sp.N(a + b * S2, 30))
    assert F.element((DIM + 2 - S2) / (DIM + 1)).positive_for(DIM) is True
    assert F.element(-(DIM + 3) / (DIM + 1)).positive_for(DIM) is False
    assert F.element((DIM - 2) / (DIM + 1)).positive_for(DIM) is None
    assert F.element(DIM + S2).conjugate() == F.element(DIM - S2)


# a finite m, a task, a finite n, an unknown key: tests/test_depth_result.py (one check for Extensions 9, 10)


def test_evaluate_refuses_d_above_the_literal_routes_reach():
    with pytest.raises(ValueError, match=r"^Sigma: .*d <= 4; got d = 5"):
        RESULT.evaluate(Sigma=sp.eye(5).tolist(), theta_0=[1, 0, 0, 0, 0], sigma2=1)


def test_the_symmetry_line_fails_when_d_is_symmetric_too():
    """The line "(c) is symmetric; (d) is not" must fail where (d)'s n -> oo errors on theta_0 and -theta_0 agree
    (the errors swapped for a copy: nothing recomputed)."""
    from proofs.paper.result import Derivation
    der = RESULT.derive()
    errors = dict(der.data["errors"])
    errors["increasing", 1, "d", (sp.oo, -1)] = errors["increasing", 1, "d", (sp.oo, 1)]
    fake = Derivation(values=der.values, steps=der.steps, data={**der.data, "errors": errors})
    lines = [ln for ln in RESULT._checks(fake) if ln.text.startswith("first layer: n -> oo error on theta_0 minus")]
    assert len(lines) == 1 and lines[0].ok is False       # on the real derivation it holds: test_holds


@pytest.mark.parametrize("count", [2, 3])
def test_law_of_large_numbers_limit_at_two_arbitrary_layers_by_a_literal_pass(count):
    """At n -> oo each layer sees the context's Gram matrix, the mean M = E[z z^T] (the query's column weighs 1/ncol
    -> 0). A context C with C C^T / J = M exactly (C = sqrt(3) [L, -L], L L^T = M) passed literally through two
    arbitrary layers (Z <- Z + V (C C^T / J) Q Z, the Gram recomputed from the moved columns at each layer) with the
    query (1, x_q, 0): its prediction a_0 + a_x x_q gives the limit a_0^2 + (a_x - theta)^2 Sigma + sigma^2. The
    moved Gram reaches the second layer only through V_1's x rows and Q_2's x block: arbitrary here (the class hides it).
    Three layers too: the limit reads a^T = e_y^T A_3 A_2 A_1, the row vector through the steps in order."""
    rng = random.Random(7)
    lays = [(sp.Matrix(3, 3, [R(rng.randint(-3, 3), 4) for _ in range(9)]),
             sp.Matrix(3, 3, [R(rng.randint(-3, 3), 5) for _ in range(9)])) for _ in range(count)]
    S, th, s2 = R(3, 2), R(2, 3), R(1, 4)
    M = sp.Matrix([[1, 0, 0], [0, S, S * th], [0, S * th, th ** 2 * S + s2]])   # E over (1, x, y = theta x + eps)
    L = M.cholesky(hermitian=False)
    C = sp.sqrt(3) * L.row_join(-L)
    xq = sp.Symbol("x_q")
    Z = C.row_join(sp.Matrix([1, xq, 0]))
    for V, Q in lays:
        G = Z[:, :6] * Z[:, :6].T / 6
        Z = (Z + V * G * Q * Z).applyfunc(sp.expand)
    f = sp.expand(Z[-1, -1])
    a0, ax = f.subs(xq, 0), sp.diff(f, xq)
    want = a0 ** 2 + (ax - th) ** 2 * S + s2
    got = concrete_depth_limit(lays, theta=[th], Sigma=[[S]], sigma2=s2)
    assert sp.expand(want - got) == 0 and got.is_Rational


def test_radical_field_several_substitutions_are_the_substitutions_in_turn():
    """subs_many (one normalisation at the end) equals subs after subs, with values whose denominators hold sqrt 2
    and the other symbol, into a fraction whose denominator holds both symbols."""
    x, y = sp.symbols("x y")
    F = RadicalField([DIM, x, y], 2)
    e = F.element((x ** 2 * y + S2 * DIM * x + 1) / (x * y + DIM + S2 * y ** 2))
    vx, vy = F.element((DIM + S2) / (y + 3)), F.element((1 - S2 * DIM) / (DIM + 2))
    assert F.subs_many(e, ((x, vx), (y, vy))) == F.subs(F.subs(e, x, vx), y, vy) != F.subs(e, x, vx)


def test_radical_field_refuses_bad_input_and_substitutes_into_zero():
    for a in (2.5, R(9, 4), 1, 4, "x"):
        with pytest.raises(ValueError, match=r"^a: expected a positive non-square integer"):
            RadicalField([DIM], a)
    F = RadicalField([DIM], 2)
    for bad in (sp.Float(0.1) * DIM, sp.sqrt(DIM), sp.Symbol("x") * DIM, sp.pi, sp.sqrt(3)):
        with pytest.raises(ValueError, match=r"^expr: expected"):
            F.element(bad)
    assert F.subs(F.element(0), DIM, F.element(3)).is_zero()
    with pytest.raises(ValueError, match=r"^point: expected a value for d"):
        F.element(DIM + S2).value({})
    assert F.element(DIM + S2).value({DIM: 1}) == pytest.approx(1 + 2 ** 0.5, rel=1e-15)


def test_the_order_crossing_line_needs_the_denominators_sign():
    """The (c) n -> oo order comparison reads the sign from the numerator's coefficients (one sign change); a
    difference (d - 2)/(d - 3) has that numerator but is negative on (2, 3): the line must fail on it."""
    from proofs.paper.result import Derivation
    from proofs.paper.results.depth_layer_choice import K_SYMBOL
    der = RESULT.derive()
    F, errors = der.data["field"], dict(der.data["errors"])
    inc = errors["increasing", 1, "c", (sp.oo, 1)]
    errors["decreasing", 1, "c", (sp.oo, 1)] = inc + F.element(K_SYMBOL * (DIM - 2) / (DIM - 3))
    fake = Derivation(values=der.values, steps=der.steps, data={**der.data, "errors": errors})
    lines = [ln for ln in RESULT._comparisons(fake) if ln.text.startswith("first layer, (c) n -> oo")]
    assert len(lines) == 1 and lines[0].ok is False, lines


def test_the_long_rows_degrees_read_off_the_field_are_sympys():
    """The error rows print a long fraction as its degrees in d: read off the field element's numerator and
    denominator, they are SymPy's Poly degrees of the printed expression's numerator and denominator."""
    from proofs.paper.results._common import show
    from proofs.paper.results.depth_layer_choice import ROWS, _brief, _printed_length_at_least
    der = RESULT.derive()
    long = 0
    for (name, n, sign), eq in zip(ROWS, RESULT.statement[2:]):
        x = der.data["errors"]["increasing", 1, "c" if name == "depth2-value-first" else "d", (n, sign)]
        got = _brief(der.values[eq.lhs], x)
        assert got == _brief(der.values[eq.lhs])
        # the bound that spares printing a long row is one: never above the printed length
        assert _printed_length_at_least(x) <= len(show(der.values[eq.lhs]))
        long += "a fraction of degree" in got
    assert long == 5


def test_radical_field_reduction_is_the_remainder_modulo_r2_minus_a():
    """RadicalField.reduce (each r^e as a^(e // 2) r^(e mod 2), one pass) is the polynomial division's remainder by
    r^2 - a, on random polynomials with powers of r up to 7 and cancelling terms."""
    x, y = sp.symbols("x y")
    for a in (2, 3):
        F = RadicalField([x, y], a)
        X, Y, r = F.gens[x], F.gens[y], F.r
        rng = random.Random(a)
        for _ in range(60):
            p = F.ring.zero
            for _ in range(rng.randint(0, 8)):
                p += F.ring.domain.convert(R(rng.randint(-9, 9), rng.randint(1, 5))) * X ** rng.randint(0, 2) \
                    * Y ** rng.randint(0, 1) * r ** rng.randint(0, 7)
            assert F.reduce(p) == p.rem(r ** 2 - a)


def test_factored_fraction_is_sympy_factor():
    """factored_fraction (N / D factored in the ring of the symbols that occur) is the expression sympy.factor
    gives, on random fractions of products with shared factors, negative leading coefficients, constants and
    symbols that cancel or do not occur."""
    from sympy.polys.rings import ring as make_ring
    from symbolic.radical_field import factored_fraction
    x, y = sp.symbols("x y")
    Rg, *_ = make_ring([y, DIM, x], sp.QQ)
    rng = random.Random(5)

    def rand(n):
        return Rg.from_dict({tuple(rng.randint(0, 2) for _ in range(3)): sp.QQ(rng.randint(-6, 6), rng.randint(1, 4))
                             for _ in range(rng.randint(1, n))})
    for _ in range(12):
        a, b = rand(3) * rand(2), rand(2) * (rand(2) if rng.random() < 0.5 else Rg.one)
        if not b:
            continue
        if rng.random() < 0.3:
            common = rand(2)
            a, b = a * common, b * common if common else b
        assert factored_fraction(a, b) == sp.factor(a.as_expr() / b.as_expr())
    assert factored_fraction(Rg.zero, Rg.one) == 0 and factored_fraction(Rg(3), Rg(6)) == R(1, 2)


def test_zero_shot_read_from_the_fine_tuning_derivation_is_the_derivation_at_c_theta_0():
    """The zero-shot error with a layer's v_x = c_x theta_0, read from the (c) derivation's terms (v_x_l a vector
    unknown there) by putting theta_0 into its legs, is the element the derivation at those layers gives."""
    from proofs.paper.results import depth_value as dv
    from proofs.paper.results.depth_layer_choice import _field
    from symbolic.depth_finetune import V0, VY, finetune_value
    from symbolic.model import vec
    from symbolic.objective import THETA0
    F = _field()
    c = finetune_value(2, 1)
    lay = list(c.layers)
    lay[0] = lay[0].with_(v0=V0, vx=vec(THETA0, dv.C_X), vy=VY)
    assert dv.zero_shot_in_field(F, lay, c, 1, (V0, dv.C_X, VY)) == dv.error_in_field(F, lay, THETA0, 0)


def test_radical_field_normal_form_is_sympys_with_and_without_flint(monkeypatch):
    """The normal form N / D (common factor gcd(N0, N1, D) cancelled: by FLINT's univariate gcds where D holds one
    symbol, its multivariate ones where D holds several) equals the one SymPy's gcds give (python-flint absent),
    and the value is the fraction's (``cancel`` of the difference), on random fractions with shared factors in d,
    in (d, x) and sqrt 2 in the denominator (its value at a point: the fraction's); an expression read by its tree
    (``element``) is the same element."""
    import symbolic.radical_field as rf
    x, y = sp.symbols("x y")
    F = RadicalField([DIM, x, y], 2)
    rng = random.Random(11)

    def rand(syms, n):
        return sum((R(rng.randint(-5, 5), rng.randint(1, 3)) * sp.Mul(*[s ** rng.randint(0, 2) for s in syms])
                    for _ in range(rng.randint(1, n))), sp.S.Zero)
    for i in range(24):
        common = rand([DIM], 3) + 1 if i % 2 else rand([DIM, x], 2) + DIM
        num = sp.expand(rand([DIM, x, y, S2], 4) * common)
        den = sp.expand(rand([DIM] if i % 2 else [DIM, x], 3) * common + (S2 if i % 3 == 0 else 0))
        if den == 0 or num == 0:
            continue
        N, D = F.ring.from_expr(num.xreplace({S2: F._r})), F.ring.from_expr(den.xreplace({S2: F._r}))
        got = F.fraction(N, D)
        with monkeypatch.context() as m:
            m.setattr(rf, "_flint", None)
            want = F.fraction(N, D)
        assert (got.num, got.den) == (want.num, want.den) and got.den.LC == 1
        at = {DIM: R(7, 3), x: R(-2, 5), y: R(3, 4)}
        assert got.value(at) == pytest.approx(float(sp.N((num / den).subs(at), 30)), rel=1e-12)
        assert F.element(num / den) == got          # the expression read by its tree: the same element
