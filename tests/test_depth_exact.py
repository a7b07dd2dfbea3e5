"""numeric.depth_exact: the zero-shot error of any layers by quadrature (and its gradient), the n -> oo limit.

Independent references: the exact Isserlis engine at n = 0 and the exact law of large numbers of
:mod:`symbolic.concrete_depth` (SymPy, no shared code), central finite differences for the gradient.
Breaks tried on purpose, each failing a test here: one node too few per coordinate (the rule is then
not exact at degree 2 * 3^L: the first test), the gradient's (Q + Q^T) replaced by 2Q, the dV
product's s_l dropped, the limit's M_l update skipped.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from numeric.depth_exact import (limit_error_depth, zero_shot_error_depth, zero_shot_gradient_depth,
                                 zero_shot_nodes)
from symbolic.concrete_depth import concrete_depth_error, concrete_depth_limit

SIGMA = [[Fraction(3, 2), Fraction(1, 3)], [Fraction(1, 3), Fraction(1)]]
THETA = [Fraction(1), Fraction(-1, 2)]
S2 = Fraction(1, 10)


def _random_layers(seed: int, L: int, d: int = 2, scale: float = 0.4) -> list:
    """Rational layers (every entry of every V_l and Q_l non-zero): the exact engines take them as they are."""
    rng = np.random.default_rng(seed)
    return [[[[Fraction(int(v), 20) for v in rng.integers(-20, 21, d + 2) * scale] for _ in range(d + 2)]
             for _ in range(2)] for _ in range(L)]


def _floats(layers: list) -> list:
    return [(np.array(V, dtype=float), np.array(Q, dtype=float)) for V, Q in layers]


@pytest.mark.parametrize("L", [1, 2])
def test_zero_shot_equals_the_exact_isserlis_engine(L: int) -> None:
    lays = _random_layers(L, L)
    exact = float(concrete_depth_error(lays, n=0, theta=THETA, Sigma=SIGMA, sigma2=S2))
    got = zero_shot_error_depth(_floats(lays), theta=THETA, Sigma=np.array(SIGMA, dtype=float), sigma2=0.1)
    assert got == pytest.approx(exact, rel=1e-11)


def test_gradient_equals_central_differences() -> None:
    lays = _floats(_random_layers(7, 2))
    Sigma = np.array(SIGMA, dtype=float)
    _, grads = zero_shot_gradient_depth(lays, theta=THETA, Sigma=Sigma, sigma2=0.1)
    h = 1e-5
    for l, k, (i, j) in [(0, 0, (3, 1)), (0, 1, (1, 2)), (0, 1, (0, 3)), (1, 0, (2, 0)), (1, 1, (2, 1))]:
        up = [[m.copy() for m in lay] for lay in lays]
        dn = [[m.copy() for m in lay] for lay in lays]
        up[l][k][i, j] += h
        dn[l][k][i, j] -= h
        fd = (zero_shot_error_depth(up, theta=THETA, Sigma=Sigma, sigma2=0.1)
              - zero_shot_error_depth(dn, theta=THETA, Sigma=Sigma, sigma2=0.1)) / (2 * h)
        assert grads[l][k][i, j] == pytest.approx(fd, rel=1e-6, abs=1e-8), (l, k, i, j)


def test_limit_equals_the_exact_law_of_large_numbers() -> None:
    lays = _random_layers(3, 2)
    for th in (THETA, [-t for t in THETA]):
        exact = float(concrete_depth_limit(lays, theta=th, Sigma=SIGMA, sigma2=S2))
        got = limit_error_depth(_floats(lays), theta=th, Sigma=np.array(SIGMA, dtype=float), sigma2=0.1)
        assert got == pytest.approx(exact, rel=1e-12)


def test_bad_input_is_refused_before_any_work() -> None:
    lay = (np.zeros((4, 4)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="layers"):
        zero_shot_error_depth([], theta=[1, 0], Sigma=np.eye(2), sigma2=0.1)
    with pytest.raises(ValueError, match="theta"):
        zero_shot_error_depth([lay], theta=[1, 0, 0], Sigma=np.eye(2), sigma2=0.1)
    with pytest.raises(ValueError, match="nodes"):
        zero_shot_nodes(np.eye(6), 3)
    with pytest.raises(ValueError, match="layers"):
        zero_shot_nodes(np.eye(2), 0)


def test_the_loss_object_names_a_layer_of_the_wrong_size() -> None:
    """ZeroShotLoss at d = 2 called with 3x3 matrices (d = 1) raised NumPy's broadcast error; a string of
    the right length was read as layers."""
    from numeric.depth_exact import ZeroShotLoss
    loss = ZeroShotLoss(theta=[1, 0], Sigma=np.eye(2), sigma2=0.1, layers=2)
    with pytest.raises(ValueError, match=r"^layers\[0\]: expected a pair \(V, Q\) of 4x4"):
        loss([(np.eye(3), np.eye(3))] * 2)
    with pytest.raises(ValueError, match=r"^layers: expected a list of 2 layers"):
        loss("ab")
    assert loss([(np.zeros((4, 4)), np.zeros((4, 4)))] * 2)[0] == pytest.approx(1.1)
