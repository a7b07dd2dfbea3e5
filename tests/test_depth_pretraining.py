"""Pretraining at depth (symbolic.depth_pretraining): each result against an independent computation.

- the isotropic pretraining loss equals the literal concrete engine averaged over theta ~ N(0, I);
- the closed-form L = 2 optimum (elementary symmetric e_k, normal equations) equals the global
  minimum among every exact stationary point (resultant route);
- the m -> oo limit of that closed form equals the 1/m-expansion derivation (1 - sqrt 2, 1 + sqrt 2);
- BFGS on the exact class loss with general (non-symmetric) Gamma_1, Gamma_2 at d = 2, 3 from random
  starts reaches the isotropic optimum's value (the class's global minimum is isotropic at L = 2);
- L = 3: the unconstrained e-optimum has complex gamma's (negative discriminant) and the exact real
  optimum (two equal gamma's) equals multistart BFGS on the isotropic loss.
"""
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize
from sympy import Rational as R

from symbolic.concrete_depth import class_start, concrete_depth_error
from symbolic.depth import class_layers, depth_pretraining_error
from symbolic.depth_float import compile_poly
from symbolic.depth_pretraining import (GAMMA, discriminant, isotropic_pretraining_loss, pretrained_gammas,
                                        pretrained_limit, real_optimum_L3, stationary_points, symmetric_optimum)
from symbolic.objective import M, SIGMA_NOISE
from symbolic.words import DIM


def _at(e, d, m, s2):
    return e.subs({DIM: d, M: m, SIGMA_NOISE: sp.sqrt(s2)})


def _loss(L):
    """isotropic_pretraining_loss(L, M) before its final sp.factor (the same value; factoring the L = 3
    loss costs 2.4 s, and these checks substitute numbers first). L = 2 runs through
    isotropic_pretraining_loss itself in the optimum checks below."""
    from symbolic.depth_pretraining import _at_identity, isotropic_layers
    return _at_identity(depth_pretraining_error(isotropic_layers(L), M))


@pytest.mark.parametrize("L, d, m", [(2, 1, 2), (2, 2, 1), (3, 1, 1)])
def test_isotropic_loss_equals_concrete_engine_averaged_over_tasks(L, d, m):
    gam = [R(1, 3), R(-1, 2), R(2, 5)][:L]
    th = sp.symbols(f"th0:{d}")
    layers = class_start(gam, sp.eye(d))
    per_task = sp.Poly(concrete_depth_error(layers, n=m, theta=list(th), Sigma=sp.eye(d), sigma2=R(1, 5)), *th)
    # E_theta over N(0, I): a polynomial of degree 2 in theta, so theta_i theta_j -> delta_ij
    avg = sum(c for mon, c in per_task.terms() if all(e % 2 == 0 for e in mon) and sum(mon) <= 2)
    assert max(sum(mon) for mon, _ in per_task.terms()) <= 2
    want = _at(_loss(L) if L == 3 else isotropic_pretraining_loss(L, M), d, m, R(1, 5)).subs(dict(zip(GAMMA, gam)))
    assert sp.simplify(avg - want) == 0


def test_L2_closed_form_optimum_is_the_global_minimum():
    d, m, s2 = 2, 10, R(1, 10)
    closed = sorted(float(_at(g, d, m, s2)) for g in pretrained_gammas(2))
    pts = stationary_points(2, d, m, s2)
    best = [p for p in pts if p[2]]
    assert all(sorted(float(x) for x in p[0]) == pytest.approx(closed, abs=1e-12) for p in best)
    assert len(pts) > len(best)        # other stationary points exist and are worse


def test_L2_discriminant_positive_and_limit():
    num = sp.Poly(sp.numer(discriminant(2)), DIM, M, SIGMA_NOISE)
    assert all(c > 0 for c in num.coeffs())                     # real gamma's at every d, m, sigma
    lim = sorted(sp.nsimplify(sp.simplify(sp.limit(g, M, sp.oo))) for g in pretrained_gammas(2))
    assert lim == sorted(pretrained_limit(2).gammas, key=float) == [1 - sp.sqrt(2), 1 + sp.sqrt(2)]


def test_bfgs_on_general_gammas_reaches_the_isotropic_optimum_L2(d=2):
    """d = 2 here; d = 3 (the same check, 3x the cost) in bench/depth_sweeps.py."""
    m, s2 = 10, 0.1
    f = compile_poly(depth_pretraining_error(class_layers(2, normalise=True), M)).bind(
        {"sigma": np.sqrt(s2), "m": m}, d)
    iso = min(v for _, v, _ in stationary_points(2, d, m, R(1, 10)))

    def loss(x):
        return f({"Sigma": np.eye(d), "Gamma_1": x[:d * d].reshape(d, d), "Gamma_2": x[d * d:].reshape(d, d)})
    rng = np.random.default_rng(0)
    found = [minimize(loss, rng.normal(0, 1, 2 * d * d), method="BFGS", options={"gtol": 1e-9}).fun for _ in range(4)]
    assert min(found) == pytest.approx(iso, rel=1e-7)
    assert min(found) >= iso - 1e-9


# L = 3's unconstrained optimum (complex gamma's) and its real optimum against multistart BFGS (3 s):
# bench/depth_sweeps.py


def test_limits_L3_first_orders():
    r = pretrained_limit(3)
    assert sorted(r.gammas, key=float) == [sp.sqrt(3) - 2, sp.sqrt(3) - 2, 1 + sp.sqrt(3)]
    assert r.steps[-1][1] == 0    # the Lagrange condition holds exactly


@pytest.mark.parametrize("L, order", [(2, 1), (3, 2)])
def test_limit_terms_are_the_series_of_the_exact_loss(L, order):
    """E_0 + E_1/m (+ E_2/m^2) from the derivation's nu-form equals the series in 1/m of the exact loss,
    at a rational point (d = 2, sigma^2 = 1/4)."""
    from symbolic.depth_pretraining import T, limit_terms
    eps = sp.Symbol("eps", positive=True)
    pt = [R(1, 3), R(-1, 2), R(2, 5)][:L]
    loss = sp.cancel(_at(_loss(L) if L == 3 else isotropic_pretraining_loss(L, M), 2, M, R(1, 4)).subs(dict(zip(GAMMA, pt))))
    ser = sp.series(loss.subs(M, 1 / eps), eps, 0, order + 1).removeO()
    terms = limit_terms(L, order)
    for k in range(order + 1):
        got = terms[k].subs({DIM: 2, SIGMA_NOISE: R(1, 2)}).subs({T[l]: 1 + pt[l] for l in range(L)})
        assert sp.simplify(got - ser.coeff(eps, k)) == 0


@pytest.mark.parametrize("L", [1, 2])   # L = 3 goes through the ring route in the series test above
def test_theta_average_in_the_ring_equals_the_expression_route(L):
    """The theta average of the derivation's sums taken in the ring (the contraction weights times the
    coefficients) is the expression route's (expect_gaussian of the written Poly, read into _RingSum's
    ring): an equal ring, the same keys, equal sums; and the ring route is the one taken (no fallback)."""
    import symbolic.depth_pretraining as dp
    from symbolic.depth import _depth_error_nu
    from symbolic.forms import gauss
    q0 = _depth_error_nu(dp.isotropic_layers(L), gauss("theta"), sp.S.One, M)
    R, i_m, inu, got = dp._theta_average(q0)
    R2, j_m, jnu, want = dp._theta_average_expr(q0)
    assert R == R2 and (i_m, inu) == (j_m, jnu) and list(got) == list(want) and got == want
    assert all(v.ring is R for v in got.values())
    calls = []
    orig = dp._theta_average_expr
    try:
        dp._theta_average_expr = lambda q: calls.append(q) or orig(q)
        dp._theta_average(q0)
    finally:
        dp._theta_average_expr = orig
    assert not calls


def test_L3_real_optimum_is_exact_and_stationary_on_its_line():
    """real_optimum_L3 at d = 2, m = 5, sigma^2 = 1/10: every gamma an exact algebraic number (no float:
    the start of a depth spec at a finite m uses them in exact arithmetic); both first-order conditions of
    the loss on (g, g, h) vanish there (50 digits); no point of a grid around it on that line is lower."""
    (pt, loss), *_ = real_optimum_L3(2, 5, R(1, 10))
    assert not any(x.atoms(sp.Float) for x in pt), pt
    g, h = sp.symbols("g h", real=True)
    E = _at(_loss(3), 2, 5, R(1, 10)).subs({GAMMA[0]: g, GAMMA[1]: g, GAMMA[2]: h})
    at = {g: pt[0], h: pt[2]}
    assert all(abs(sp.N(sp.diff(E, x).subs(at), 50)) < 1e-25 for x in (g, h))
    f = sp.lambdify((g, h), E)
    g0, h0 = float(pt[0]), float(pt[2])
    assert all(f(g0 + a, h0 + b) >= loss - 1e-12 for a in (-0.01, 0, 0.01) for b in (-0.01, 0, 0.01))


@pytest.mark.parametrize("order", [-1, 1.5, True, "1"])
def test_limit_terms_refuses_a_bad_order(order):
    from symbolic.depth_pretraining import limit_terms
    with pytest.raises(ValueError, match="order: expected an integer >= 0"):
        limit_terms(2, order)
