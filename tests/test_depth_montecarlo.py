"""The depth-L closed forms equal Monte Carlo through the literal forward pass.

Rule: numeric.testing's calibrated rule, |z| <= 4 with z = (exact - estimate) / stderr, applied to the
reference estimator numeric.depth.estimate_error_depth (50,000 prompts, fixed seeds) at random class
parameters (tests/depth_settings.py: L = 2, 3 and d = 2, 3, general Sigma, v_0, v_x, v_y in the last
layer). Measured by ``python bench/calibrate_depth.py --seeds 200 --samples 50000`` (CALIBRATION
below): false-alarm rate and power against the exact value off by +-1%, 5%, 10%.

Measured (200 seeds per setting, 50,000 prompts, fresh seeds): false alarms 3/800 (0, 0, 3, 0 per setting;
95% upper bound 0.97%); |z| > 2 in 2.5-5.0% of runs, |z| > 3 in 0-2.0% (the squared error is heavy-tailed at
depth, so the standard error is itself noisy). Power: against +-1% essentially none (0-4/200: the relative
standard error is 1.0-4.1%); against +-5%: 151/143, 81/78, 7/0, 162/187 of 200; against +-10%: 199/200,
198/200, 39/2 (L = 3, d = 2, relative stderr 4.1%), 200/200. So this check catches gross errors (a swapped
layer, a dropped residual) and is an independent route through the literal forward pass; the exact checks
against the concrete engine (tests/test_depth_symbolic.py) are the ones that catch a 1% coefficient.
"""
from functools import lru_cache

import numpy as np
import sympy as sp
import pytest

from depth_settings import SHAPES, depth_setting
from numeric.depth import estimate_error_depth
from numeric.testing import DEFAULT_Z
from symbolic.depth import class_error
from symbolic.depth_float import compile_poly


@lru_cache(maxsize=None)
def _closed_form(L):
    """class_error(L) compiled once per L (one derivation, one lambdify, shared by the settings)."""
    return compile_poly(class_error(L))


#: the L = 2 settings (the L = 3 ones need the 7 s symbolic-n derivation of class_error(3); they run, with
#: 200 seeds each, in bench/calibrate_depth.py; L = 3 is checked exactly in tests/test_depth_symbolic.py)
SUITE = [i for i, (L, _, _) in enumerate(SHAPES) if L == 2]


@pytest.mark.parametrize("i", SUITE)
def test_closed_form_equals_monte_carlo(i):
    L, d, n = SHAPES[i]
    s = depth_setting(L, d, n, seed=100 + i)
    exact = float(_closed_form(L)(s["env"]))
    est = estimate_error_depth(s["layers"], n=n, theta=s["theta"], Sigma=s["Sigma"], sigma2=s["sigma2"],
                               samples=50_000, seed=12345 + i)
    z = (exact - est.mean) / est.stderr
    assert abs(z) <= DEFAULT_Z, f"L={L} d={d} n={n}: exact {exact:.6g}, Monte Carlo {est}, z = {z:+.2f}"


def test_compiled_closed_form_equals_exact_evaluation():
    """The float compiler (symbolic.depth_float) against symbolic.evaluation's float path."""
    from symbolic.evaluation import evaluate_poly
    s = depth_setting(2, 3, 4, seed=5)
    p = class_error(2)
    assert compile_poly(p)(s["env"]) == pytest.approx(float(evaluate_poly(p, s["env"], arithmetic="float")), rel=1e-10)
    fast = compile_poly(p).bind({k: v for k, v in s["env"].items() if np.ndim(v) == 0}, 3)
    assert fast(s["env"]) == pytest.approx(compile_poly(p)(s["env"]), rel=1e-10)
    # along n (a curve): the factors once, the coefficients on the array; at symbolic n each value is
    # the one of the polynomial at that n
    pn = class_error(2, n=sp.Symbol("n"))
    env = {k: v for k, v in s["env"].items() if k != "n"}
    want = [float(evaluate_poly(p_n, {**env, "n": k}, arithmetic="float")) for k, p_n in
            ((0, class_error(2, n=0)), (4, p))]
    assert compile_poly(pn).along(env, "n", [0, 4]) == pytest.approx(want, rel=1e-10)
