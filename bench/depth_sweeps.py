"""The depth checks' exhaustive sweeps, moved out of the test suite (the suite keeps one
representative setting per check; this runs the rest, same assertions).

    python bench/depth_sweeps.py

- the L = 3 closed form (symbolic.depth.class_error(3), values in the last layer) against the literal
  concrete engine at the settings the suite no longer runs (d = 1, n = 2 and n = 0) and at more seeds;
- BFGS on the exact L = 2 class loss with general Gamma_1, Gamma_2 at d = 3 (the suite runs d = 2);
- the L = 3 closed form at symbolic n (class_error(3), 7 s cold) against the concrete engine (the suite
  checks L = 3 derived at n = 1);
- L = 3 last-layer value fine-tuning: the n -> oo limits are the one-layer table (the finding; the suite
  checks L = 2);
- L = 3 pretraining: the unconstrained optimum in e has complex gamma's, the exact real optimum equals
  multistart BFGS;
- the Monte Carlo check at L = 3 and at more seeds: see bench/calibrate_depth.py (false-alarm rate and power).

Prints one line per check with its verdict and CPU seconds; exits 1 if any fails.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from sympy import Rational as R  # noqa: E402

import test_depth_pretraining as tdp  # noqa: E402
import test_depth_symbolic as tds  # noqa: E402
from symbolic.depth_finetune import GAMMAS, finetune_value  # noqa: E402
from symbolic.depth_pretraining import GAMMA, discriminant, isotropic_pretraining_loss, real_optimum_L3, symmetric_optimum  # noqa: E402
from symbolic.objective import M, SIGMA_NOISE, THETA0  # noqa: E402
from symbolic.words import DIM  # noqa: E402
from test_depth_finetune import K, _k  # noqa: E402
from test_depth_pretraining import _at  # noqa: E402

SWEEP_CONCRETE = [(3, 2, 1, (3,), 4), (3, 1, 2, (3,), 5), (3, 1, 0, (3,), 6), (3, 2, 0, (3,), 7), (3, 2, 2, (3,), 8),
                  (3, 2, 1, (2, 3), 9), (2, 3, 2, (1, 2), 10), (2, 2, 4, (2,), 11)]


#: (test, what) run after the concrete sweep
def _checks():
    return [(test_three_layers_last_layer_limits_are_the_one_layer_table, "L = 3 last-layer (c) limits = one-layer table"),
            (test_L3_unconstrained_optimum_is_complex_and_real_optimum_matches_multistart,
             "L = 3 pretraining: complex unconstrained optimum, real optimum = multistart")]


def test_three_layers_last_layer_limits_are_the_one_layer_table():
    """L = 3, last layer's values (c), from the pretrained m -> oo gamma's (sqrt3 - 2, sqrt3 - 2, 1 + sqrt3)."""
    from symbolic.depth import depth_error_limit
    from symbolic.convert import to_sympy
    sub = dict(zip(GAMMAS, (sp.sqrt(3) - 2, sp.sqrt(3) - 2, 1 + sp.sqrt(3))))
    c = finetune_value(3)
    s2 = SIGMA_NOISE ** 2
    for task in (THETA0, -THETA0):
        lim = sp.factor(sp.radsimp(sp.together(_k(to_sympy(depth_error_limit(list(c.layers), task))).subs(sub))))
        assert sp.simplify(lim - (s2 + K / (DIM + 4) ** 2)) == 0


def test_L3_unconstrained_optimum_is_complex_and_real_optimum_matches_multistart():
    d, m, s2 = 2, 10, R(1, 10)
    # at m = M substituted (the symbolic-m optimum e(m) is derived once and shared with the checks below)
    assert float(discriminant(3, M, {DIM: d, SIGMA_NOISE: sp.sqrt(s2), M: m})) < 0
    exact = real_optimum_L3(d, m, s2)[0]
    f = sp.lambdify([GAMMA], _at(isotropic_pretraining_loss(3, M), d, m, s2))
    rng = np.random.default_rng(1)
    found = min(minimize(lambda x: f(x), rng.uniform(-3, 3, 3), method="BFGS").fun for _ in range(20))
    assert found == pytest.approx(exact[1], rel=1e-8)
    # and the unconstrained e-optimum is strictly better (not reachable with real gamma's)
    e = {k: _at(v, d, m, s2) for k, v in symmetric_optimum(3, M).items()}
    from symbolic.depth_pretraining import symmetric_form, E_SYM
    unconstrained = float(_at(symmetric_form(3, M), d, m, s2).subs(e))
    assert unconstrained < exact[1] - 1e-6


def main() -> int:
    bad = 0
    for args in SWEEP_CONCRETE:
        t = time.process_time()
        try:
            tds.test_closed_form_equals_concrete_engine(*args)
            ok = True
        except AssertionError:
            ok = False
        bad += not ok
        print(f"concrete (L, d, n, values_in, seed) = {args}: {'ok' if ok else 'FAIL'} "
              f"{time.process_time() - t:.1f} s CPU")
    t = time.process_time()
    try:
        tdp.test_bfgs_on_general_gammas_reaches_the_isotropic_optimum_L2(d=3)
        ok = True
    except AssertionError:
        ok = False
    bad += not ok
    print(f"BFGS general Gamma, L = 2, d = 3: {'ok' if ok else 'FAIL'} {time.process_time() - t:.1f} s CPU")
    for fn, what in _checks():
        t = time.process_time()
        try:
            fn()
            ok = True
        except AssertionError:
            ok = False
        bad += not ok
        print(f"{what}: {'ok' if ok else 'FAIL'} {time.process_time() - t:.1f} s CPU")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
