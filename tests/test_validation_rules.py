"""One positive-definiteness rule per arithmetic, wherever a covariance is checked.

The float64 rule lives in :meth:`symbolic.arithmetic.Float64.spd` and, because numeric/ may
not import symbolic/, again in :func:`numeric.validation.check_covariance`: this test holds the
two to the same verdict on a battery of matrices at the edges of the rule (symmetric up to the
tolerance and just beyond it, singular, indefinite, tiny and huge scales). The exact rule
(:meth:`symbolic.arithmetic.Exact.spd`, the pivots of L D L^T) is checked against the
eigenvalues, and mp's (:meth:`symbolic.arithmetic.MP.spd`) accepts a matrix that float64 cannot
factor but mp can.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from numeric.validation import check_covariance
from symbolic.arithmetic import EXACT, FLOAT64, MP


def _battery() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    out = []
    for d in (1, 2, 3, 5):
        A = rng.standard_normal((d, d))
        S = A @ A.T + 0.1 * np.eye(d)
        out += [S, -S, S * 1e-200, S * 1e200, S - 2 * np.eye(d) * np.linalg.eigvalsh(S)[0]]
        if d > 1:
            bump = np.zeros((d, d))
            bump[0, 1] = np.max(np.abs(S)) * 5e-13
            out += [S + bump, S + 4 * bump]          # within, and beyond, the tolerance 1e-12
            out.append(np.outer(A[:, 0], A[:, 0]))   # rank one: singular
    return out


def _verdict(check, S) -> bool:
    try:
        check(S)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("index", range(len(_battery())))
def test_numeric_and_symbolic_float_rules_agree(index):
    S = _battery()[index]
    assert _verdict(lambda M: check_covariance(M), S) == _verdict(lambda M: FLOAT64.spd(M), S)


def test_the_battery_holds_both_verdicts():
    verdicts = [_verdict(lambda M: FLOAT64.spd(M), S) for S in _battery()]
    assert any(verdicts) and not all(verdicts)


def test_exact_rule_is_the_eigenvalues():
    rng = np.random.default_rng(11)
    for _ in range(40):
        d = int(rng.integers(1, 5))
        B = rng.integers(-3, 4, size=(d, d))
        M = B @ B.T - int(rng.integers(0, 3)) * np.eye(d, dtype=int)
        pd = bool(np.linalg.eigvalsh(M.astype(float)).min() > 1e-9)
        assert _verdict(lambda X: EXACT.spd(sp.Matrix(X.tolist())), M) == pd, M


def test_mp_accepts_what_float64_cannot_factor():
    eps = sp.Rational(1, 10**20)
    S = [[1, 1 - eps], [1 - eps, 1]]            # positive definite, cond ~ 2e20
    assert not _verdict(lambda M: FLOAT64.spd(M), np.array([[1.0, 1.0], [1.0, 1.0]]))
    A, cond = MP(50).spd(S)
    assert cond > 1e19
