"""A spec's covariance matrix is accepted iff it is positive SEMI-definite, by an independent route.

The tests of tests/test_spec_json.py use 2x2 matrices on which wrong criteria agree with the
right one.  Here the truth comes from Sylvester's law of inertia: ``M = B D B^T`` with B
invertible (integer, det +-1 or small) has as many negative eigenvalues as D has negative
entries, so M is PSD iff every entry of D is >= 0.  Matrices chosen to defeat the usual
shortcuts:

* leading principal minors >= 0 (Sylvester's criterion is for positive *definiteness*):
  ``[[0, 0], [0, -1]]`` and ``diag(1, 0, -1)`` have leading minors >= 0 and are indefinite;
* det >= 0 and trace >= 0 (right for 2x2 only): ``diag(-1, -1, 2)``;
* the characteristic polynomial's sign pattern without its last coefficient:
  ``diag(1, 1, -1)``-like matrices whose only wrong sign is in det.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from symbolic.spec import spec_from_json


def accepted(M: sp.Matrix) -> bool:
    spec = {"train": ["vx"], "loss": [{"n": 0, "task": {"mean": "target", "cov": M.tolist()}}]}
    try:
        spec_from_json(spec)
    except ValueError as e:
        assert "positive semi-definite" in str(e), e
        return False
    return True


def _congruent(D: list[int], seed: int) -> sp.Matrix:
    rng = np.random.default_rng(seed)
    k = len(D)
    while True:
        B = sp.Matrix(k, k, [int(x) for x in rng.integers(-2, 3, size=k * k)])
        if B.det() != 0:
            return B * sp.diag(*D) * B.T


@pytest.mark.parametrize("M, psd", [
    (sp.Matrix([[0, 0], [0, -1]]), False),                 # leading minors 0, 0
    (sp.diag(1, 0, -1), False),                            # leading minors 1, 0, 0
    (sp.diag(0, -1, -1), False),                           # leading minors 0, 0, 0
    (sp.diag(-1, -1, 2), False),                           # det 2 > 0, trace 0
    (sp.diag(2, 3, -1), False),                            # det < 0 only
    (sp.Matrix([[1, 1, 0], [1, 1, 0], [0, 0, 0]]), True),  # singular, rank 1
    (sp.diag(0, 0, 3), True),                              # leading minors 0, 0, 0 and PSD
    (sp.Matrix([[0, 0], [0, 1]]), True),
])
def test_named_matrices(M, psd) -> None:
    assert accepted(M) is psd


def test_against_the_law_of_inertia() -> None:
    """Every sign pattern of D in {-1, 0, 1}^3 (27 patterns), through a random congruence."""
    for i, D in enumerate(itertools.product((-1, 0, 2), repeat=3)):
        M = _congruent(list(D), seed=i)
        assert accepted(M) is all(x >= 0 for x in D), (D, M)
