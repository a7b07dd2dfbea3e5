"""Value fine-tuning at depth (symbolic.depth_finetune) against independent computations.

- L = 1 through the depth fine-tuning path is today's strategy (c) and (d) (v_x = theta_0/(d+4), v_y of (d)).
- L = 2, last and first layer: the derived minimiser of the zero-shot loss equals the exact minimiser
  of the literal concrete engine's zero-shot loss (symbolic v_x entries, normal equations solved) at
  d = 2, rational gamma's, a non-identity Sigma.
- L = 2, last layer, pretrained gamma's: the n -> oo errors are the one-layer table's (a finding, checked
  here so that a change of the derivation that alters it is seen), and a finite-n error equals Monte Carlo.
"""
import numpy as np
import pytest
import sympy as sp
from sympy import Rational as R

from numeric.depth import class_start as class_start_float, estimate_error_depth
from symbolic.concrete_depth import class_start, concrete_depth_error
from symbolic.depth_finetune import GAMMAS, finetune_value, finetune_value_fewshot
from symbolic.evaluation import evaluate_poly
from symbolic.objective import SIGMA_NOISE, THETA0
from symbolic.strategies import derive
from symbolic.words import DIM

K = sp.Symbol("k")          # theta_0^T Sigma theta_0


def _k(e):
    from symbolic.printing import Bilinear
    return e.xreplace({a: K for a in e.atoms(Bilinear)})


def test_one_layer_is_todays_value_strategies():
    c = finetune_value(1, gammas=[1])
    (coef, _, a), = c.layers[0].vx
    assert a == THETA0 and sp.simplify(coef - 1 / (DIM + 4)) == 0
    dd = finetune_value_fewshot(1, gammas=[1])
    assert sp.simplify(dd.layers[0].vy - derive("value-fewshot").blocks.vy) == 0


@pytest.mark.parametrize("layer", [1, 2])
def test_zero_shot_minimiser_equals_concrete_minimiser(layer):
    d, gam = 2, [R(1, 2), R(-1, 3)]
    Sigma = sp.Matrix([[R(3, 2), R(1, 4)], [R(1, 4), 1]])
    th = [R(1, 2), R(-1, 1)]
    u = sp.symbols("u0:2")
    layers = class_start(gam, Sigma, {layer: [0, *u, 1]})
    Z = concrete_depth_error(layers, n=0, theta=th, Sigma=Sigma, sigma2=R(1, 5))
    sol = sp.solve([sp.diff(Z, x) for x in u], u, dict=True)[0]
    derived = finetune_value(2, layer, gammas=gam)
    (coef, w, a), = derived.layers[layer - 1].vx
    assert w == ()
    got = [sp.simplify(coef.subs(DIM, d) * t) for t in th]
    assert [sol[x] for x in u] == got


def test_last_layer_limits_are_the_one_layer_table():
    gam = (1 - sp.sqrt(2), 1 + sp.sqrt(2))
    sub = dict(zip(GAMMAS, gam))
    s2 = SIGMA_NOISE ** 2
    c, dd = finetune_value(2), finetune_value_fewshot(2)
    tc = {k: sp.simplify(_k(v).subs(sub)) for k, v in c.table().items()}
    td = {k: sp.simplify(_k(v).subs(sub)) for k, v in dd.table().items()}
    assert sp.simplify(tc["zero_shot"] - (s2 + 2 * K / (DIM + 4))) == 0
    assert sp.simplify(tc["few_shot_target"] - (s2 + K / (DIM + 4) ** 2)) == 0
    assert sp.simplify(tc["few_shot_opposite"] - (s2 + K / (DIM + 4) ** 2)) == 0
    assert sp.simplify(td["few_shot_target"] - s2) == 0
    assert sp.simplify(td["few_shot_opposite"] - (s2 + 4 * K / (DIM + 4) ** 2)) == 0


def test_finetuned_finite_n_error_equals_monte_carlo():
    d, n = 2, 6
    gam = [1 - np.sqrt(2), 1 + np.sqrt(2)]
    c = finetune_value(2)
    env = {"Sigma": np.array([[1.2, 0.3], [0.3, 0.8]]), "theta_0": np.array([0.7, -0.4]), "sigma": 0.5, "n": n,
           "gamma_1": gam[0], "gamma_2": gam[1]}
    from symbolic.depth import depth_error
    from symbolic.depth_float import compile_poly
    from symbolic.objective import N
    exact = float(compile_poly(depth_error(list(c.layers), THETA0, N))(env))
    coef = float(c.layers[1].vx[0][0].subs({DIM: d, GAMMAS[1]: sp.sqrt(2) + 1}))
    layers = class_start_float(gam, env["Sigma"], {2: [0, *(coef * env["theta_0"]), 1]})
    est = estimate_error_depth(layers, n=n, theta=env["theta_0"], Sigma=env["Sigma"], sigma2=0.25, samples=60_000,
                               seed=3)
    assert abs(exact - est.mean) <= 4 * est.stderr, (exact, est)


# L = 3 (the same finding from (sqrt3 - 2, sqrt3 - 2, 1 + sqrt3), 3 s): bench/depth_sweeps.py
