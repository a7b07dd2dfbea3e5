"""Float64 and mpmath evaluation of the derived closed forms against the exact reference.

The exact rationals at small d are the reference (:mod:`symbolic.evaluation`, ``arithmetic="exact"``);
the float64 path (numpy, O(d^3)) must agree to 1e-12 relative and mpmath at 50 digits to 1e-45,
on random rational settings at d <= 6: every strategy, the tasks theta_0, -theta_0 and an angle,
finite and infinite m and n_ft, several n and the limit n -> oo; the derived V, Q; the error of
given parameters.  Above d = 10 the default is float, checked against mpmath at 40 digits.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from proofs.api import curve, exact_error
from proofs.api import params
from symbolic.strategy_names import STRATEGIES

NS = [0, 1, 2, 7, 1000]


def rational_setting(d: int, seed: int) -> tuple[sp.Matrix, sp.Matrix]:
    """A random dense rational SPD Sigma = A A^T / k + I/2 and a rational theta_0."""
    rng = np.random.default_rng(seed)
    A = sp.Matrix(d, d, lambda i, j: sp.Rational(int(rng.integers(-4, 5)), int(rng.integers(1, 4))))
    S = A * A.T / 3 + sp.eye(d) / 2
    t0 = sp.Matrix([sp.Rational(int(rng.integers(-5, 6)), int(rng.integers(1, 5))) or 1 for _ in range(d)])
    return S, t0


def rel(a, b) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def mp_exact(x: sp.Expr):
    return mpmath.mpf(sp.Rational(x).p) / sp.Rational(x).q


CASES = [(1, 0, None, None), (2, 1, 7, 3), (4, 2, None, None), (6, 3, None, 2), (3, 4, 5, None)]


@pytest.mark.parametrize("d, seed, m, n_ft", CASES)
def test_float_and_mp_curves_match_exact(d, seed, m, n_ft):
    S, t0 = rational_setting(d, seed)
    worst_f, worst_mp = 0.0, mpmath.mpf(0)
    tasks = ["target", "opposite"] + ([sp.pi / 3] if d > 1 and seed % 2 else [])
    for name in STRATEGIES:
        for task in tasks:
            kw = dict(d=d, sigma2=sp.Rational(1, 7), m=m, n_ft=n_ft, Sigma=S, theta0=t0, scale=sp.Rational(3, 2))
            ex = curve(name, task, NS, **kw)
            fl = curve(name, task, NS, arithmetic="float", **kw)
            assert ex.arithmetic == "exact" and fl.arithmetic == "float" and not fl.exact
            for a, b in zip(fl.error + [fl.limit], ex.exact + [ex.exact_limit]):
                worst_f = max(worst_f, rel(a, float(b)))
            if task == "target" or d <= 2:
                mp = curve(name, task, NS, arithmetic="mp", precision=50, **kw)
                with mpmath.workdps(60):
                    for a, b in zip(mp.values + [mp.limit_value], ex.exact + [ex.exact_limit]):
                        ref = mp_exact(b) if b.is_Rational else mpmath.mpf(str(sp.N(b, 70)))
                        worst_mp = max(worst_mp, abs(mpmath.mpf(a) - ref) / abs(ref))
    assert worst_f < 1e-12, worst_f
    assert worst_mp < 1e-45, worst_mp


@pytest.mark.parametrize("name", STRATEGIES)
def test_float_params_and_error_match_exact(name):
    S, t0 = rational_setting(3, 11)
    kw = dict(d=3, sigma2=sp.Rational(1, 10), m=9, n_ft=4, Sigma=S, theta0=t0)
    ex, fl = params(name, **kw), params(name, arithmetic="float", **kw)
    E = np.array(ex.V.tolist() + ex.Q.tolist(), dtype=float)
    F = np.vstack([fl.V, fl.Q])
    assert fl.arithmetic == "float"
    assert np.max(np.abs(E - F)) <= 1e-12 * max(1.0, np.max(np.abs(E)))
    for n in (0, 4):
        e = exact_error(ex.V, ex.Q, -t0, S, sp.Rational(1, 10), n)
        f = exact_error(fl.V, fl.Q, -t0, S, sp.Rational(1, 10), n, arithmetic="float")
        g = exact_error(ex.V, ex.Q, -t0, S, sp.Rational(1, 10), n, arithmetic="mp", precision=50)
        assert rel(f, float(e)) < 1e-12
        with mpmath.workdps(60):
            assert abs(mpmath.mpf(g) - mp_exact(e)) / abs(mp_exact(e)) < 1e-45


def test_above_ten_the_default_is_float_and_agrees_with_mp():
    rng = np.random.default_rng(5)
    d = 11
    A = rng.standard_normal((d, d))
    S = A @ A.T / d + np.eye(d)
    t0 = rng.standard_normal(d)
    for name in STRATEGIES:
        fl = curve(name, "opposite", [0, 3, 50], d=d, sigma2=0.1, m=None, n_ft=None, Sigma=S, theta0=t0)
        mp = curve(name, "opposite", [0, 3, 50], d=d, sigma2=0.1, m=None, n_ft=None, Sigma=S, theta0=t0,
                   arithmetic="mp", precision=40)
        assert fl.arithmetic == "float" and mp.arithmetic == "mp"
        for a, b in zip(fl.error + [fl.limit], mp.values + [mp.limit_value]):
            assert rel(a, float(b)) < 1e-12
    with pytest.raises(ValueError, match="exact arithmetic is limited to d <= 10"):
        curve("value", "target", [0], d=d, sigma2=0.1, Sigma=S, arithmetic="exact")


def test_ill_conditioned_sigma_warns_with_its_condition_number():
    S = np.diag([1.0, 1e-10, 1.0])
    r = curve("value", "target", [0, 5], d=3, sigma2=0.1, Sigma=S, arithmetic="float")
    assert r.warning is not None and "condition number" in r.warning and "--precision" in r.warning
    assert r.condition > 1e9
    ok = curve("value", "target", [0, 5], d=3, sigma2=0.1, Sigma=np.eye(3), arithmetic="float")
    assert ok.warning is None
    mp = curve("value", "target", [0, 5], d=3, sigma2=0.1, Sigma=S, arithmetic="mp", precision=40)
    assert mp.warning is None


def test_error_of_general_parameters_matches_exact():
    """Random non-symmetric V, Q: the words mix Q_xx, its transpose and Sigma, which do not
    commute (the strategies' parameters are functions of Sigma and would hide an order slip)."""
    rng = np.random.default_rng(3)
    S, t0 = rational_setting(3, 7)
    V = sp.Matrix(5, 5, lambda i, j: sp.Rational(int(rng.integers(-5, 6)), int(rng.integers(1, 6))))
    Q = sp.Matrix(5, 5, lambda i, j: sp.Rational(int(rng.integers(-5, 6)), int(rng.integers(1, 6))))
    for n in (0, 1, 6):
        e = exact_error(V, Q, t0, S, sp.Rational(1, 5), n)
        f = exact_error(V, Q, t0, S, sp.Rational(1, 5), n, arithmetic="float")
        g = exact_error(V, Q, t0, S, sp.Rational(1, 5), n, arithmetic="mp", precision=50)
        assert rel(f, float(e)) < 1e-12
        with mpmath.workdps(60):
            assert abs(mpmath.mpf(g) - mp_exact(e)) / abs(mp_exact(e)) < 1e-45


def test_repl_evaluate_error_in_float_and_mp():
    """``Strategy.evaluate_error(..., arithmetic=...)``, the REPL's path, against its exact value."""
    from proofs.quantities.derivations import strategy
    s = strategy("value-fewshot", sp.oo, 3)
    S, t0 = rational_setting(3, 2)
    kw = dict(Sigma=S, theta0=t0, theta=-t0, sigma2=sp.Rational(1, 10))
    e = s.evaluate_error(5, **kw)
    assert rel(s.evaluate_error(5, arithmetic="float", **kw), float(e)) < 1e-12
    g = s.evaluate_error(5, arithmetic="mp", precision=50, **kw)
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(g) - mp_exact(e)) / abs(mp_exact(e)) < 1e-45


def test_the_condition_threshold_and_the_choice_of_arithmetic():
    """The documented rules, at their boundaries (the mutants A1-A3, A6-A9): Sigma =
    diag(1, 1/c, 1) has 1-norm condition number exactly c; float64 warns above 1e8 (COND_WARN),
    mp at p digits above 10^(p/2); exact up to d = MAX_EXACT_D and float above it by default, a
    precision alone means mp, and each arithmetic is refused one dimension above its bound."""
    from proofs.quantities import limits as L
    from proofs.quantities.arithmetic import choose
    from symbolic.arithmetic import EXACT, FLOAT64, MP
    for arith, limit in ((FLOAT64, 1e8), (MP(20), 1e10)):
        for c, warns in ((2 * limit, True), (limit / 2, False)):
            _, cond = arith.spd(np.diag([1.0, 1.0 / c, 1.0]))
            assert cond == pytest.approx(c, rel=1e-12)
            assert (arith.condition_warning(cond) is not None) is warns, (arith.label(), c)
    # deferred (a text curve): the same warning and number; no inverse where a factorisation proves it small
    for c in (2e8, 5e7, 10.0):
        _, cond = FLOAT64.spd(np.diag([1.0, 1.0 / c, 1.0]))
        _, deferred = FLOAT64.spd_deferred(np.diag([1.0, 1.0 / c, 1.0]))
        assert FLOAT64.condition_warning(deferred) == FLOAT64.condition_warning(cond)
        assert deferred.measured is (c > 1e7), c
        assert deferred() == cond
    # and the same matrices accepted, refused with the same message (the deferred check factors a
    # shifted Sigma first, and Sigma itself only where that proves nothing)
    bad = [np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[1.0, 1.0], [1.0, 1.0 - 1e-17]]),
           np.array([[1.0, 0.5], [0.4, 1.0]]), np.diag([1.0, -1.0]), np.diag([1.0, 1e-300])]
    for S in bad + [np.diag([1.0, 1e-12]), np.array([[2.0, 1.0], [1.0, 2.0]]), 1e-280 * np.eye(2), 1e280 * np.eye(2)]:
        try:
            A, cond = FLOAT64.spd(S)
        except ValueError as err:
            with pytest.raises(ValueError) as got:
                FLOAT64.spd_deferred(S)
            assert str(got.value) == str(err)
            continue
        B, deferred = FLOAT64.spd_deferred(S)
        assert np.array_equal(A, B) and deferred() == cond
    assert choose(L.MAX_EXACT_D) is EXACT and choose(L.MAX_EXACT_D + 1) is FLOAT64
    assert choose(3, precision=30).precision == 30
    assert choose(L.MAX_MP_D, "mp").precision is not None
    for d, name in ((L.MAX_MP_D + 1, "mp"), (L.MAX_EXACT_D + 1, "exact")):
        with pytest.raises(ValueError, match=f"arithmetic: {name}"):
            choose(d, name)


def test_float_and_mp_evaluate_products_that_do_not_commute():
    """symbolic.evaluation's float and mp paths on traces and bilinear forms of products of
    matrices that do not commute (the closed forms of the strategies are polynomials in Sigma,
    whose factors commute, so order and transposes go unseen there), against the exact value:
    coefficients inside a trace or a bilinear form, an inverse, A^-2, c I inside a sum, a
    transpose (the mutants E2-E8, A4, A5)."""
    from symbolic import Bilinear
    from symbolic.arithmetic import MP
    from symbolic.evaluation import evaluate
    d = 3
    A, B = sp.MatrixSymbol("A", d, d), sp.MatrixSymbol("B", d, d)
    t, s = sp.MatrixSymbol("t", d, 1), sp.MatrixSymbol("s", d, 1)
    I3 = sp.Identity(d)
    e = (2 * sp.Trace(3 * A * B) + sp.Trace(A ** -2 * B) + sp.Trace((A + 3 * I3) * B.T)
         + Bilinear(t, 3 * A * B.I, s) + Bilinear(t, A.T * (B + 2 * I3).I, s))
    env = {"A": sp.Matrix([[2, 1, 0], [-1, 3, 1], [0, 2, 1]]), "B": sp.Matrix([[1, 2, 0], [0, 1, -1], [1, 0, 3]]),
           "t": sp.Matrix([1, -2, 1]), "s": sp.Matrix([0, 1, 3]), "d": d}
    want = evaluate(e, env)
    assert want.is_Rational
    assert float(evaluate(e, env, arithmetic="float")) == pytest.approx(float(want), rel=1e-12)
    got = evaluate(e, env, arithmetic=MP(40))
    w = got.context.mpf(want.p) / want.q          # in got's own context (40 digits)
    assert abs(w - got) <= got.context.mpf(10) ** -35 * abs(w)


def test_a_shifted_cholesky_proves_the_condition_number_below_a_bound():
    """:func:`symbolic.arithmetic.proves_condition_below` (a Cholesky factorisation of Sigma - mu I
    in place of the inverse): sound, where it says yes the condition number computed from the
    inverse is at most the bound, and not idle, it says yes at least below bound / (2 d). On
    lambda_min = 1/c from 1 to 1e9 (half decades), for a generic Sigma (random eigenvectors) and for
    the worst case of its sqrt(d) step, Sigma^-1 = I + (c - 1) v v^T with v = (1, t, ..., t) / sqrt(2)
    (||Sigma^-1||_1 about sqrt(d)/2 ||Sigma^-1||_2): without the sqrt(d) it claims 4 times too much
    there, and with the shift's sign turned it proves anything positive definite."""
    from symbolic.arithmetic import _condition, proves_condition_below
    d, bound = 64, 1e6
    v = np.full(d, 1 / np.sqrt(2 * (d - 1)))
    v[0] = 1 / np.sqrt(2)
    Qm = np.linalg.qr(np.random.default_rng(0).standard_normal((d, d)))[0]
    proved_any = 0
    for c in np.logspace(0, 9, 19):
        for A in (np.eye(d) + (1 / c - 1) * np.outer(v, v), (Qm * np.logspace(0, -np.log10(c), d)) @ Qm.T):
            A = (A + A.T) / 2
            proved, cond = proves_condition_below(A, bound), _condition(A)
            assert not proved or cond <= bound, (c, cond)
            assert proved or cond > bound / (2 * d), (c, cond)
            proved_any += proved
    assert 0 < proved_any < 38
