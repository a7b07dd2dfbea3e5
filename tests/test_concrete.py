"""Tests of the concrete-dimension exact engine (symbolic/concrete.py).

Every expected value here is derived by hand in the test's docstring; no other engine of the
toolkit is used.  Notation: q = (1, x_{n+1}, 0) the query, v^T = V[-1, :], and the model
f = [Z + V Z Z^T Q Z / (n+1)]_{-1,-1} = v^T (Z Z^T / (n+1)) Q q (the query's label is 0).
"""
from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy as sp

from symbolic.concrete import (
    concrete_error,
    concrete_pretraining_error,
    gaussian_expectation,
    gaussian_moment,
)

R = sp.Rational
s2 = sp.Symbol("sigma2", nonnegative=True)


def _rand_rational(rng: random.Random) -> sp.Rational:
    return R(rng.randint(-4, 4), rng.randint(1, 4))


def _random_setting(d: int, seed: int):
    rng = random.Random(seed)
    V = sp.Matrix(d + 2, d + 2, lambda i, j: _rand_rational(rng))
    Q = sp.Matrix(d + 2, d + 2, lambda i, j: _rand_rational(rng))
    A = sp.Matrix(d, d, lambda i, j: _rand_rational(rng))
    Sigma = A * A.T + sp.eye(d)
    theta = [_rand_rational(rng) for _ in range(d)]
    return V, Q, Sigma, theta


SIGMA2 = sp.Matrix([[2, R(1, 2)], [R(1, 2), 1]])


# --------------------------------------------------------------------------- moments


def test_moments_one_variable():
    """E[x^2] = s, E[x^4] = 3 s^2, E[x^6] = 15 s^3 ((k-1)!! s^(k/2)); odd moments vanish."""
    s = sp.Symbol("s", positive=True)
    assert gaussian_moment([2], [[s]]) == s
    assert gaussian_moment([4], [[s]]) == 3 * s**2
    assert gaussian_moment([6], [[s]]) == 15 * s**3
    assert gaussian_moment([8], [[s]]) == 105 * s**4
    for k in (1, 3, 5, 7):
        assert gaussian_moment([k], [[s]]) == 0
    assert gaussian_moment([0], [[s]]) == 1


def test_moments_isserlis_pairings():
    """Isserlis: E[x1 x2] = S12, E[x1^2 x2^2] = S11 S22 + 2 S12^2, E[x1^3 x2] = 3 S11 S12,
    E[x1 x2 x3 x4] = S12 S34 + S13 S24 + S14 S23 (the three pairings)."""
    S = sp.Matrix(4, 4, lambda i, j: sp.Symbol(f"S{min(i, j) + 1}{max(i, j) + 1}"))
    S11, S12, S22 = S[0, 0], S[0, 1], S[1, 1]
    assert gaussian_moment([1, 1, 0, 0], S) == S12
    assert gaussian_moment([2, 2, 0, 0], S) == sp.expand(S11 * S22 + 2 * S12**2)
    assert gaussian_moment([3, 1, 0, 0], S) == 3 * S11 * S12
    assert gaussian_moment([1, 1, 1, 1], S) == sp.expand(
        S[0, 1] * S[2, 3] + S[0, 2] * S[1, 3] + S[0, 3] * S[1, 2])
    assert gaussian_moment([2, 1, 0, 0], S) == 0


def test_gaussian_expectation_blocks():
    """E[(a^T x)^2] = a^T Sigma a; independent blocks factorise:
    E[(a^T x)^2 e^2] = (a^T Sigma a) s2, E[(a^T x) e] = 0."""
    a1, a2 = sp.symbols("a1 a2")
    x1, x2, e = sp.symbols("x1 x2 e")
    blocks = [([x1, x2], SIGMA2), ([e], [[s2]])]
    quad = sp.expand(2 * a1**2 + a1 * a2 + a2**2)          # a^T Sigma a
    assert gaussian_expectation((a1 * x1 + a2 * x2) ** 2, blocks) == quad
    assert gaussian_expectation((a1 * x1 + a2 * x2) ** 2 * e**2, blocks) == sp.expand(quad * s2)
    assert gaussian_expectation((a1 * x1 + a2 * x2) * e, blocks) == 0


# --------------------------------------------------------------------------- hand-worked errors


@pytest.mark.parametrize("n", [0, 1, 2])
def test_zero_value_matrix(n):
    """V = 0: f = Z[-1,-1] = 0 (the query's label), so E = E[y^2] = sigma2 + theta^T Sigma theta,
    for every n and Q.  Pretraining: E_theta[theta^T Sigma theta] = tr(Sigma)."""
    t1, t2 = sp.symbols("t1 t2")
    Q = sp.Matrix(4, 4, lambda i, j: i - j + 1)
    got = concrete_error(sp.zeros(4, 4), Q, n=n, theta=[t1, t2], Sigma=SIGMA2, sigma2=s2)
    assert got == sp.expand(s2 + 2 * t1**2 + t1 * t2 + t2**2)
    got = concrete_pretraining_error(sp.zeros(4, 4), Q, n=n, Sigma=SIGMA2, sigma2=R(1, 5))
    assert got == R(1, 5) + 3


def test_d1_zero_shot_rank_one():
    """d = 1, n = 0, V[-1, 1] = a, Q[0, 0] = b, all else 0.  q = (1, x, 0):
    V q = (0, 0, a x), q^T Q q = b, so f = a b x and, with y = t x + e,
    E = E[((a b - t) x - e)^2] = (a b - t)^2 s + sigma2   (x ~ N(0, s))."""
    a, b, t = sp.symbols("a b t")
    s = R(3, 2)
    V = sp.zeros(3, 3)
    V[2, 1] = a
    Q = sp.zeros(3, 3)
    Q[0, 0] = b
    got = concrete_error(V, Q, n=0, theta=[t], Sigma=[[s]], sigma2=s2)
    assert got == sp.expand((a * b - t) ** 2 * s + s2)


def test_d1_zero_shot_general():
    """d = 1, n = 0, every entry of V and Q a symbol.  q = (1, x, 0), so
    f = (V q)_2 (q^T Q q) = (v0 + v1 x)(Q00 + c x + Q11 x^2), c = Q01 + Q10
      = f0 + f1 x + f2 x^2 + f3 x^3 with f0 = v0 Q00, f1 = v0 c + v1 Q00,
        f2 = v0 Q11 + v1 c, f3 = v1 Q11.
    With y = t x + e and g1 = f1 - t, using E x^2 = s, E x^4 = 3 s^2, E x^6 = 15 s^3:
    E = sigma2 + f0^2 + (2 f0 f2 + g1^2) s + (6 g1 f3 + 3 f2^2) s^2 + 15 f3^2 s^3.
    (V's first two rows, V[2,2] and Q's last row/column drop out.)"""
    V = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"V{i}{j}"))
    Q = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"Q{i}{j}"))
    t = sp.Symbol("t")
    s = R(2, 3)
    v0, v1 = V[2, 0], V[2, 1]
    c = Q[0, 1] + Q[1, 0]
    f0, f1, f2, f3 = v0 * Q[0, 0], v0 * c + v1 * Q[0, 0], v0 * Q[1, 1] + v1 * c, v1 * Q[1, 1]
    g1 = f1 - t
    expected = (s2 + f0**2 + (2 * f0 * f2 + g1**2) * s + (6 * g1 * f3 + 3 * f2**2) * s**2
                + 15 * f3**2 * s**3)
    got = concrete_error(V, Q, n=0, theta=[t], Sigma=[[s]], sigma2=s2)
    assert got == sp.expand(expected)


def test_d1_one_shot_label_reader():
    """d = 1, n = 1, V's last row = (0, 0, 1) (reads the label row), Q[1, 1] = b, else 0.
    Q q = (0, b x2, 0), z_i^T Q q = b x_i x2, and the y-row of Z Z^T Q q is
    y1 b x1 x2 + 0 (query label), so f = (b/2) x1 y1 x2 with y1 = t x1 + e1.
    f - y2 = x2 (u - t) - e2 with u = (b/2)(t x1^2 + e1 x1);  E u = (b/2) t s,
    E u^2 = (b^2/4)(3 t^2 s^2 + sigma2 s).  By independence of x2:
    E = sigma2 + s [ (b^2/4)(3 t^2 s^2 + sigma2 s) - b t^2 s + t^2 ].
    Averaged over t ~ N(0, 1) (t enters only through t^2): replace t^2 by 1."""
    b, t = sp.symbols("b t")
    s = R(5, 4)
    V = sp.zeros(3, 3)
    V[2, 2] = 1
    Q = sp.zeros(3, 3)
    Q[1, 1] = b
    bracket = b**2 / 4 * (3 * t**2 * s**2 + s2 * s) - b * t**2 * s + t**2
    got = concrete_error(V, Q, n=1, theta=[t], Sigma=[[s]], sigma2=s2)
    assert got == sp.expand(s2 + s * bracket)
    got = concrete_pretraining_error(V, Q, n=1, Sigma=[[s]], sigma2=s2)
    assert got == sp.expand(s2 + s * bracket.subs(t, 1))


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_full_finetune_representative(n):
    """d = 2, V's last row = (0, w, 0), Q = E_00 (Q[0,0] = 1), evaluated on task theta.
    Q z = e_0 for every token, so Z Z^T Q q = sum_i z_i over all n+1 columns and
    f = (1/(n+1)) sum_{i<=n+1} w^T x_i.  Then f - y_{n+1} = (1/(n+1)) sum_{i<=n} w^T x_i
    + (w/(n+1) - theta)^T x_{n+1} - e_{n+1}, so
    E = sigma2 + n/(n+1)^2 w^T Sigma w + (w/(n+1) - theta)^T Sigma (w/(n+1) - theta).
    At theta = w this is sigma2 + n/(n+1) w^T Sigma w: sigma2 zero-shot, tending to
    sigma2 + w^T Sigma w as n grows (the poster's row (b))."""
    w = sp.Matrix(sp.symbols("w1 w2"))
    theta = sp.Matrix(sp.symbols("t1 t2"))
    V = sp.zeros(4, 4)
    V[3, 1], V[3, 2] = w
    Q = sp.zeros(4, 4)
    Q[0, 0] = 1
    r = w / (n + 1) - theta
    expected = s2 + R(n, (n + 1) ** 2) * (w.T * SIGMA2 * w)[0] + (r.T * SIGMA2 * r)[0]
    got = concrete_error(V, Q, n=n, theta=list(theta), Sigma=SIGMA2, sigma2=s2)
    assert got == sp.expand(expected)
    on_target = concrete_error(V, Q, n=n, theta=list(w), Sigma=SIGMA2, sigma2=s2)
    assert on_target == sp.expand(s2 + R(n, n + 1) * (w.T * SIGMA2 * w)[0])


@pytest.mark.parametrize("n", [0, 2])
def test_symbolic_last_row_by_moments(n):
    """V's last row v of symbols, everything else rational: the engine builds the error from the
    moments E[P_a P_b] over QQ of the parts of f - y = sum_a v_a P_a + P_y (f is linear in v).
    It must be the same polynomial in v (srepr) as the error built by squaring f - y over QQ[v],
    which a symbol in Q's last column forces (q's last entry is 0: that column never reaches f),
    on a task and averaged over tasks; and at a rational v, the rational engine's value."""
    V, Q, Sigma, theta = _random_setting(2, seed=11 + n)
    v = sp.symbols("v0:4")
    V[3, :] = sp.Matrix([[v[0], v[1] - 2 * v[0], 0, v[3]]])   # a zero weight among the symbols
    Qc = Q.copy()
    Qc[1, 3] = sp.Symbol("c")
    kw = dict(n=n, Sigma=Sigma, sigma2=R(1, 3))
    for fn, extra in ((concrete_error, dict(theta=theta)), (concrete_pretraining_error, {})):
        got = fn(V, Q, **kw, **extra)
        assert sp.srepr(got) == sp.srepr(fn(V, Qc, **kw, **extra))
        at = dict(zip(v, (R(1, 2), -1, 0, 3)))
        assert got.xreplace(at) == fn(V.xreplace(at), Q, **kw, **extra)


def test_irrelevant_entries_and_scale_freedom():
    """f = v^T (Z Z^T/(n+1)) Q q with q's last entry 0: V's first d+1 rows and Q's last
    column do not matter, and (V, Q) -> (a V, Q / a) leaves f unchanged."""
    V, Q, Sigma, theta = _random_setting(2, seed=7)
    base = concrete_error(V, Q, n=1, theta=theta, Sigma=Sigma, sigma2=R(1, 3))
    assert isinstance(base, sp.Rational)
    V2, Q2 = V.copy(), Q.copy()
    V2[:3, :] = sp.Matrix(3, 4, lambda i, j: i * j + 5)
    Q2[:, 3] = sp.Matrix([7, -1, 2, R(1, 9)])
    assert concrete_error(V2, Q2, n=1, theta=theta, Sigma=Sigma, sigma2=R(1, 3)) == base
    assert concrete_error(3 * V, Q / 3, n=1, theta=theta, Sigma=Sigma, sigma2=R(1, 3)) == base


def test_input_types():
    """ints, Fractions, nested lists and SymPy matrices are all accepted, with equal results."""
    V = [[0, 0, 0], [0, 0, 0], [0, Fraction(1, 2), 0]]
    Q = [[2, 0, 0], [0, 0, 0], [0, 0, 0]]
    a = concrete_error(V, Q, n=0, theta=[1], Sigma=[[2]], sigma2=0)
    b = concrete_error(sp.Matrix(V), sp.Matrix(Q), n=0, theta=sp.Matrix([1]),
                       Sigma=sp.Matrix([[2]]), sigma2=sp.Integer(0))
    assert a == b == 0            # f = (1/2)(2) x = x = y


def test_parameters_are_constants_whatever_their_names():
    """A user symbol named like an internal Gaussian variable stays a parameter, and irrational
    exact entries work.  d = 1, n = 1, v = (0, w, 0), Q = a E_00: f = (a w / 2)(x1 + x2), so with
    theta = 1, sigma2 = 0, s = 2:  E = s (a w / 2)^2 + s (a w / 2 - 1)^2 = a^2 w^2 - 2 a w + 2."""
    a = sp.Symbol("a")
    for w in (sp.Symbol("x1_1"), sp.Symbol("eps1"), sp.sqrt(2)):
        V = sp.zeros(3, 3)
        V[2, 1] = w
        Q = sp.zeros(3, 3)
        Q[0, 0] = a
        got = concrete_error(V, Q, n=1, theta=[1], Sigma=[[2]], sigma2=0)
        assert sp.expand(got - (a**2 * w**2 - 2 * a * w + 2)) == 0


# --------------------------------------------------------------------------- bad input


def _ok():
    return dict(V=sp.zeros(4, 4), Q=sp.zeros(4, 4), n=1, theta=[1, 2], Sigma=SIGMA2, sigma2=1)


@pytest.mark.parametrize("change, name", [
    (dict(V=sp.zeros(3, 3)), "V"),
    (dict(V=[[0] * 4] * 3), "V"),
    (dict(Q=sp.zeros(4, 3)), "Q"),
    (dict(Q="zeros"), "Q"),
    (dict(theta=[1, 2, 3]), "theta"),
    (dict(theta=None), "theta"),
    (dict(Sigma=[[1, 2], [0, 1]]), "Sigma"),                   # not symmetric
    (dict(Sigma=[[1, 2], [2, 1]]), "Sigma"),                   # indefinite
    (dict(Sigma=[[1, 1], [1, 1]]), "Sigma"),                   # singular
    (dict(Sigma=[[-1, 0], [0, 1]]), "Sigma"),
    (dict(Sigma=[[sp.Symbol("s"), 0], [0, 1]]), "Sigma"),      # symbols not allowed in Sigma
    (dict(Sigma=sp.eye(5), V=sp.zeros(7, 7), Q=sp.zeros(7, 7), theta=[0] * 5), "Sigma"),
    (dict(Sigma=[[1, 0]]), "Sigma"),
    (dict(sigma2=-1), "sigma2"),
    (dict(sigma2=R(-1, 2)), "sigma2"),
    (dict(sigma2=sp.Symbol("u", negative=True)), "sigma2"),
    (dict(sigma2=0.5), "sigma2"),
    (dict(n=-1), "n"),
    (dict(n=1.5), "n"),
    (dict(n=1.0), "n"),
    (dict(n=True), "n"),
    (dict(n="2"), "n"),
    (dict(V=sp.Matrix(4, 4, lambda i, j: 0.5)), "V"),          # floats refused
    (dict(V=[["x"] * 4] * 4), "V"),                            # strings never sympified
    (dict(Q=sp.Matrix(4, 4, lambda i, j: sp.oo)), "Q"),
    (dict(theta=[sp.nan, 1]), "theta"),
    (dict(theta=[sp.I, 1]), "theta"),
])
def test_bad_input(change, name):
    kwargs = {**_ok(), **change}
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        concrete_error(**kwargs)


def test_bad_input_pretraining():
    with pytest.raises(ValueError, match="^n"):
        concrete_pretraining_error(sp.zeros(3, 3), sp.zeros(3, 3), n=-2, Sigma=[[1]], sigma2=1)
    with pytest.raises(ValueError, match="^Sigma"):
        concrete_pretraining_error(sp.zeros(3, 3), sp.zeros(3, 3), n=0, Sigma=[[0]], sigma2=1)
