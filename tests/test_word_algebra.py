"""The word algebra's inverses and the block elimination, checked on explicit matrices.

Every identity is checked by evaluating both sides at random non-symmetric rational
matrices (``symbolic.evaluation.evaluate_matrix``): an order reversed or a factor dropped
changes the value.  ``test_reversing_inverse_word_is_caught`` shows that the check fails for
``inverse_word`` without the reversal (which the rest of the suite did not notice before).

The block elimination (:func:`symbolic.quadratic.minimise_quadratic`) is checked the same way:
every gradient of an explicit loss vanishes at the point it returns, and a vector seen only
through functionals goes to the minimiser nearest its start, at non-symmetric words.  Within the
spec language every word is a polynomial in Sigma, so a dropped transpose or a reversed product
changes no derived formula there; these tests kill bench/mutate.py's Q1-Q4, Q6, Q8-Q12 and Q20
(each checked: the mutant fails a test in this file).
"""
from __future__ import annotations

import random

import pytest
import sympy as sp

from symbolic.calculus import inverse_of_sum
from symbolic.evaluation import evaluate_matrix
from symbolic.forms import Poly, const, form
from symbolic.quadratic import mat_mul, mat_vec, minimise_quadratic
from symbolic.words import DIM, Atom, inverse_word, simplify_word, transpose, word_expr

A, B, C = (Atom(sp.MatrixSymbol(n, DIM, DIM)) for n in "ABC")
S = Atom(sp.MatrixSymbol("S", DIM, DIM), symmetric=True)
a = sp.MatrixSymbol("a", DIM, 1)


def _env(seed: int, d: int = 3) -> dict:
    rng = random.Random(seed)

    def mat():
        while True:
            M = sp.Matrix(d, d, lambda i, j: sp.Rational(rng.randint(-5, 5), rng.randint(1, 3)))
            if M.det() != 0:
                return M
    Sm = mat()
    return {"A": mat(), "B": mat(), "C": mat(), "S": Sm + Sm.T + 20 * sp.eye(d),
            "a": sp.Matrix(d, 1, lambda i, j: rng.randint(-3, 3))}


def _value(terms, env) -> sp.Matrix:
    """``sum c W`` at env."""
    out = sp.zeros(env["A"].shape[0])
    for c, w in terms:
        out += sp.sympify(c) * evaluate_matrix(word_expr(w), env)
    return out


@pytest.mark.parametrize("seed", range(3))
def test_inverse_word_reverses_the_order(seed):
    env = _env(seed)
    for w in [(A, B), (A, B, C), (A.T, B, C.T), (A, S, B)]:
        lhs = evaluate_matrix(word_expr(inverse_word(w)), env)
        rhs = evaluate_matrix(word_expr(w), env).inv()
        assert lhs == rhs, w


def test_reversing_inverse_word_is_caught():
    env = _env(0)
    wrong = tuple(x.inverse() for x in (A, B))  # A^-1 B^-1, not (AB)^-1
    assert evaluate_matrix(word_expr(wrong), env) != evaluate_matrix(word_expr((A, B)), env).inv()


@pytest.mark.parametrize("seed", range(3))
def test_inverse_of_sum_with_common_factors(seed):
    env = _env(seed)
    cases = [
        [(2, (A, B)), (3, (A, C))],            # common left factor A: (A(2B + 3C))^-1
        [(1, (B, A)), (sp.Rational(1, 2), (C, A))],  # common right factor A
        [(1, (A, B, C)), (4, (A, C))],         # common left A, right C: A (B + 4) C... inverse in order
        [(1, ()), (3, (S,)), (1, (S, S))],     # I + 3S + S^2, symmetric
        [(5, (A, B))],                         # a single term: atom by atom
    ]
    for terms in cases:
        c, w = inverse_of_sum(terms)
        got = sp.sympify(c) * evaluate_matrix(word_expr(w), env)
        want = _value(terms, env).inv()
        assert sp.simplify(got - want) == sp.zeros(*want.shape), terms


def test_transpose_and_simplify():
    env = _env(1)
    w = (A, B.T, C)
    assert evaluate_matrix(word_expr(transpose(w)), env) == evaluate_matrix(word_expr(w), env).T
    assert simplify_word((A, A.inverse(), B)) == (B,)
    assert simplify_word((A.T, A.inverse().T, B)) == (B,)
    assert simplify_word((A, A.inverse().T, B)) == (A, A.inverse().T, B)


def test_mat_mul_and_mat_vec_keep_the_order():
    env = _env(2)
    P, R = [(1, (A,)), (2, (B,))], [(3, (C,)), (1, ())]
    assert _value(mat_mul(P, R), env) == _value(P, env) * _value(R, env)
    v = [(sp.Rational(1, 3), (B,), a)]
    got = sum((sp.sympify(c) * evaluate_matrix(word_expr(w), env) * env["a"] for c, w, _ in mat_vec(P, v)),
              sp.zeros(3, 1))
    assert got == _value(P, env) * sp.Rational(1, 3) * env["B"] * env["a"]


def test_block_elimination_schur_complement():
    """Two coupled vectors: L = u^T A u + w^T B w + 2 u^T C w - 2 a^T u, A, B symmetric
    (so the Hessian is [[2A, 2C], [2C^T, 2B]]).  The minimiser solves the 2x2 block system;
    compare with the explicit solve at a random setting."""
    u, w = sp.MatrixSymbol("u", DIM, 1), sp.MatrixSymbol("w", DIM, 1)
    SA = Atom(sp.MatrixSymbol("SA", DIM, DIM), symmetric=True)
    SB = Atom(sp.MatrixSymbol("SB", DIM, DIM), symmetric=True)
    L = (Poly.factor(form(const(u), (SA,), const(u))) + Poly.factor(form(const(w), (SB,), const(w)))
         + Poly.factor(form(const(u), (C,), const(w))) * 2 - Poly.factor(form(const(a), (), const(u))) * 2)
    sol = minimise_quadratic(L, [], [u, w])
    rng = random.Random(5)
    d = 3
    M = sp.Matrix(d, d, lambda i, j: rng.randint(-2, 2))
    N = sp.Matrix(d, d, lambda i, j: rng.randint(-2, 2))
    env = {"SA": M * M.T + 10 * sp.eye(d), "SB": N * N.T + 10 * sp.eye(d),
           "C": sp.Matrix(d, d, lambda i, j: rng.randint(-2, 2)), "a": sp.Matrix([1, -2, 3])}
    H = sp.BlockMatrix([[env["SA"], env["C"]], [env["C"].T, env["SB"]]]).as_explicit()
    x = H.solve(sp.Matrix.vstack(env["a"], sp.zeros(d, 1)))
    for k, unknown in enumerate((u, w)):
        got = sum((evaluate(c, env) * evaluate_matrix(word_expr(ww), env) * env[aa.name]
                   for c, ww, aa in sol.values[unknown]), sp.zeros(d, 1))
        assert sp.simplify(got - x[k * d:(k + 1) * d, :]) == sp.zeros(d, 1)


def evaluate(c, env):
    from symbolic.evaluation import evaluate as ev
    return ev(c, env)


@pytest.mark.parametrize("const_name", ["a", "z"])
def test_scalar_equation_reads_a_functional_with_its_transpose(const_name):
    """L = u^T u - 2 s u^T C c + 2 s^2 - 2 s, C not symmetric, c a constant vector.

    The stationary point is u = s C c with s = 1 / (2 - c^T C^T C c): the scalar equation sees
    u through the functional u^T C c = c^T C^T u, whichever side of the form the unknown sits on
    (``const_name`` puts c before or after u in the forms' canonical orientation).  Checked by
    evaluating both gradients at the returned point at a random non-symmetric C: a functional
    read as c^T C u (the transpose dropped) gives s = 1 / (2 - c^T C C c) there, and fails."""
    u, c = sp.MatrixSymbol("u", DIM, 1), sp.MatrixSymbol(const_name, DIM, 1)
    s = sp.Symbol("s")
    L = (Poly.factor(form(const(u), (), const(u))) - Poly.factor(form(const(u), (C,), const(c))) * (2 * s)
         + Poly.scalar(2 * s ** 2 - 2 * s))
    sol = minimise_quadratic(L, [s], [u])
    env = _env(11)
    env["C"] = env["C"] / 4                          # keep 2 - |C c|^2 away from 0
    env[const_name] = env.pop("a")
    assert env["C"] != env["C"].T
    s_val = evaluate(sol.values[s], env)
    u_val = sum((evaluate(k, env) * evaluate_matrix(word_expr(w), env) * env[v.name]
                 for k, w, v in sol.values[u]), sp.zeros(3, 1))
    Cc = env["C"] * env[const_name]
    assert sp.simplify(2 * u_val - 2 * s_val * Cc) == sp.zeros(3, 1)        # dL/du = 0
    assert sp.simplify(-2 * (u_val.T * Cc)[0] + 4 * s_val - 2) == 0         # dL/ds = 0


def test_one_quantity_in_two_spellings_is_one_unknown_of_the_solve():
    """The engine writes theta_0^T Sigma Sigma theta_0 as an unevaluated product, and a coefficient
    that went through ``factor`` may hold it as theta_0^T Sigma**2 theta_0.  A loss whose s-part
    is s^2 (k - k') - 2 s (k - k') with k, k' those two spellings is 0 for every s: s is free.
    Held as two symbols, the solve would read the equation (k - k')(s - 1) = 0 as s = 1."""
    from symbolic import SIGMA, THETA0, Bilinear
    u, s = sp.MatrixSymbol("u", DIM, 1), sp.Symbol("s")
    k1 = Bilinear(THETA0, sp.MatMul(SIGMA, SIGMA, evaluate=False), THETA0)
    k2 = Bilinear(THETA0, sp.MatPow(SIGMA, 2), THETA0)
    assert k1 != k2
    L = (Poly.factor(form(const(u), (), const(u))) - Poly.factor(form(const(u), (), const(a))) * 2
         + Poly.scalar((s ** 2 - 2 * s) * (k1 - k2)))
    sol = minimise_quadratic(L, [s], [u])
    assert s in sol.free and s not in sol.values


def test_degree_bound_read_off_shared_trees():
    """The degree bound of the quadratic check (each distinct subexpression read once, one memory
    for all of a loss's coefficients): a sum's is its largest term's, a product's the sum of its
    factors', a positive power's that multiple, None where a scalar sits in a denominator; a loss
    of degree 3 in the scalars is refused."""
    from symbolic.quadratic import NotQuadratic, _degree_bound
    s, t, x = sp.symbols("s t x")
    scalars = frozenset({s, t})
    inner = s * t + x
    memo: tuple = ({}, {})
    for e, want in ((x ** 2 + 1, 0), (s * x + t, 1), (inner * (s + 1), 3), (inner ** 2 + s, 4),
                    (x / (s + 1), None), (inner / (x + 1), 2)):
        assert _degree_bound(e, scalars, memo) == want, e
        assert _degree_bound(e, scalars) == want, e
    u = sp.MatrixSymbol("u", DIM, 1)
    with pytest.raises(NotQuadratic):
        minimise_quadratic(Poly.scalar(s * (s * t + 1)) + Poly.factor(form(const(u), (), const(u))), [s, t], [u])


def _losses():
    """Quadratics in vector unknowns u (w) and a scalar s with non-symmetric words A, B, C,
    between them every route of the elimination: a vector's own Hessian block (u^T A u: W u +
    W^T u), coupled vectors (2 u^T C w: a Schur complement and back-substitution), linear terms
    (-2 a^T B u: the unknown on the right of its form), a scalar inside a vector's equation
    (2 s u^T B z: the unknown on the left), rank-one factors r = a^T W u ((a^T C u)^2, and
    (z^T C u)(a^T u) with two words), and the scalar's own quadratic.  Each is given twice: as an
    engine Poly, and as a function of explicit matrices (the same loss written with SymPy
    matrices, independently of the engine)."""
    u, w, z = (sp.MatrixSymbol(n, DIM, 1) for n in "uwz")
    s = sp.Symbol("s")

    def f(left, word, right):
        return Poly.factor(form(const(left), word, const(right)))

    def one(m):
        return m[0, 0]
    common = f(u, (A,), u) - f(a, (B,), u) * 2 + f(u, (B,), z) * (2 * s) + Poly.scalar(3 * s ** 2 - s)

    def explicit_common(e, U, ss):
        return (one(U.T * e["A"] * U) - 2 * one(e["a"].T * e["B"] * U) + 2 * ss * one(U.T * e["B"] * e["z"])
                + 3 * ss ** 2 - ss)
    return {
        "coupled": (common + f(w, (), w) * 2 + f(u, (C,), w) * 2, [u, w],
                    lambda e, U, W, ss: explicit_common(e, U, ss) + 2 * one(W.T * W) + 2 * one(U.T * e["C"] * W)),
        "rank-one": (common + f(a, (C,), u) ** 2, [u],
                     lambda e, U, W, ss: explicit_common(e, U, ss) + one(e["a"].T * e["C"] * U) ** 2),
        "rank-one, two words": (common + f(z, (C,), u) * f(a, (), u) * 2, [u],
                                lambda e, U, W, ss: explicit_common(e, U, ss)
                                + 2 * one(e["z"].T * e["C"] * U) * one(e["a"].T * U)),
    }, s


@pytest.mark.parametrize("case", ["coupled", "rank-one", "rank-one, two words"])
def test_minimiser_is_stationary_for_non_symmetric_words(case):
    """Every gradient of the explicit loss vanishes at the point ``minimise_quadratic`` returns,
    evaluated at random non-symmetric rational A, B, C (d = 3).  Within the spec language every
    word is a polynomial in Sigma (symmetric, commuting), so there a transpose dropped or a
    product reversed changes nothing; here it does (bench/mutate.py's Q1 and Q4 fail here first)."""
    losses, s = _losses()
    L, vectors, explicit = losses[case]
    sol = minimise_quadratic(L, [s], vectors)
    env = _env(21)
    env["z"] = sp.Matrix([1, -1, 2])
    U, W, ss = sp.Matrix(sp.symbols("u0:3")), sp.Matrix(sp.symbols("w0:3")), sp.Symbol("ss")
    point = {ss: evaluate(sol.values[s], env)}
    for x, X in zip(vectors, (U, W)):
        value = sum((evaluate(k, env) * evaluate_matrix(word_expr(ww), env) * env[v.name]
                     for k, ww, v in sol.values[x]), sp.zeros(3, 1))
        point.update(zip(X, value))
    loss = sp.expand(explicit(env, U, W, ss))
    for x in point:
        assert sp.simplify(sp.diff(loss, x).xreplace(point)) == 0, x


@pytest.mark.parametrize("names", [("a", "b"), ("y", "z")])
@pytest.mark.parametrize("two", [False, True], ids=["one functional", "two functionals"])
def test_vector_seen_through_functionals_goes_to_the_nearest_minimiser(names, two):
    """L = (a^T A u [+ b^T B u] - 1)^2, A and B not symmetric, from a start u_0 = c: the
    minimisers are the hyperplane g^T u = 1 with g = A^T a [+ B^T b], and gradient descent from u_0
    moves along g only, to u_0 + (1 - g^T u_0) g / (g^T g): the point nearest the start.  A
    direction W a for W^T a (mutation Q8), or a Gram matrix of the directions without its
    transpose (Q12, two functionals), gives another minimiser (the loss is still 0 there), not
    this one.  ``names`` puts the constants before or after u in the forms' orientation."""
    u, c = sp.MatrixSymbol("u", DIM, 1), sp.MatrixSymbol("c", DIM, 1)
    p, q = (sp.MatrixSymbol(n, DIM, 1) for n in names)
    r = Poly.factor(form(const(p), (A,), const(u)))
    if two:
        r = r + Poly.factor(form(const(q), (B,), const(u)))
    sol = minimise_quadratic((r - 1) ** 2, [], [u], start={u: [(sp.S.One, (), c)]})
    env = _env(31)
    env.update({names[0]: sp.Matrix([1, 2, -1]), names[1]: sp.Matrix([0, 1, 3]), "c": sp.Matrix([2, -1, 1])})
    g = env["A"].T * env[names[0]] + (env["B"].T * env[names[1]] if two else sp.zeros(3, 1))
    want = env["c"] + (1 - (g.T * env["c"])[0]) / (g.T * g)[0] * g
    got = sum((evaluate(k, env) * evaluate_matrix(word_expr(w), env) * env[v.name]
               for k, w, v in sol.values[u]), sp.zeros(3, 1))
    assert sp.simplify(got - want) == sp.zeros(3, 1)


def test_scalar_derivatives_read_off_polynomial_rings():
    """minimise_quadratic's derivatives by the scalar unknowns (read off numerators in a polynomial
    ring) are sympy.diff's, as rational functions, on coefficients over mixed denominators (a loss
    mixing n-shot and zero-shot terms: a denominator dropped would rescale some terms only); the
    affine split c = sum_s s dc/ds + c_0 holds; nonzero_terms drops the exact zeros, only them."""
    from symbolic.quadratic import _Derivatives, nonzero_terms
    s, t, n, k = sp.symbols("s t n k")
    tr = sp.Trace(sp.MatrixSymbol("Sigma", DIM, DIM))
    coeffs = [(s * n + 2) / (n + 1) ** 2 - 2 * s * t * tr / (n + 1) + s ** 2 * k,
              t * (n - 1) / (n + 1) + s / (3 * (n + 1) ** 2) + tr,
              s * (n / (n + 1) + 1 / (n + 1) - 1) + k]        # d/ds is 0 without looking like it
    D = _Derivatives([s, t], coeffs)
    for c in coeffs:
        for x in (s, t):
            assert sp.cancel(D.diff(c, x) - sp.diff(c, x)) == 0
            assert D.reaches(c, x) == (sp.diff(c, x) != 0)
        linear, c0 = D.affine(c, [t])
        assert sp.cancel(c - sum(v * x for x, v in linear.items()) - c0) == 0
    zero = s * n / (n + 1) ** 2 + s / (n + 1) ** 2 - s / (n + 1)
    L = Poly({((form(const(a), (A,), const(a)),), ()): zero, ((), ()): coeffs[0],
              ((form(const(a), (B,), const(a)),), ()): k})
    assert list(nonzero_terms(L).terms.values()) == [coeffs[0], k]


def test_poly_drops_cancelled_terms():
    """Every Poly operation drops a monomial whose coefficient cancels to 0 (``is_zero`` and the
    term counts read by the engine's callers rely on it): a sum, a product, a scalar multiple and
    a Gaussian expectation whose terms cancel are empty; a square keeps its cross terms."""
    from symbolic.forms import gauss
    from symbolic.wick import expect_gaussian
    x, v = sp.symbols("x v")
    p = Poly.factor(form(const(a), (A,), gauss("g"))) * x + Poly.noise("e") * v + 1
    assert (p + (-p)).is_zero() and (p - p).is_zero() and (p * 0).is_zero()
    q = Poly.factor(form(const(a), (), gauss("g"))) + Poly.noise("e")
    r = Poly.factor(form(const(a), (), gauss("g"))) - Poly.noise("e")
    assert len(q * r) == 2     # (g a)^2 - e^2: the cross terms cancel
    assert len(q * q) == 3 and len(r * r) == 3
    assert expect_gaussian(q * r - r * q, "g", ()).is_zero()


def test_contractions_leave_their_traces_in_canonical_rotation():
    """Every trace the Wick engine returns is its word's canonical representative (rotation and
    transposition): a closed loop read from another leg is the same factor, not a second
    monomial with the same value (which no value check can see)."""
    from symbolic import THETA0
    from symbolic.forms import Tr
    from symbolic.objective import expected_error, pretraining_error
    from symbolic.words import canonical_trace
    seen = 0
    for p in (expected_error(None, THETA0, 2), pretraining_error(None, 1, normalise=False)):
        for (factors, _), _c in p.terms.items():
            for f in factors:
                if isinstance(f, Tr):
                    seen += 1
                    assert f.word == canonical_trace(f.word), f
    assert seen > 20
