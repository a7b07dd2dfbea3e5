"""``expected_error(..., n=oo)`` and ``normalise=False`` (symbolic/objective.py) against the
routes they replace.

* ``expected_error(b, task, oo)`` takes the limit n -> oo on the coefficients as the engine
  builds them; it must be the very polynomial (term for term, structurally) that
  ``limit_poly(expected_error(b, task, N))`` gives from the reduced coefficients, for the
  paper's four strategies and a spec's blocks, on theta, theta_0 and -theta_0; and for a task
  family the same against ``limit_poly`` of the reduced family error.
* ``normalise=False`` at finite n leaves the coefficients unreduced: equal in value (their
  difference is 0 in the field of fractions) to the reduced ones; likewise the pretraining
  objective's at an integer m.

Breaks tried: the limit replaced by the zero-shot error (``_limit_error_cached`` on n = 0), or
the leading-coefficient ratio of ``rational_limit`` inverted, fail the structural comparisons.
"""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic import N, THETA, THETA0, derive, expected_error, to_sympy
from symbolic.objective import task_family_error
from symbolic.spec import make_spec
from symbolic.strategy import limit_poly
from symbolic.general import derive_spec

from proofs.paper.results._common import rational_is_zero

TAU2 = sp.Symbol("tau", positive=True) ** 2


def _blocks():
    out = [(name, derive(name).blocks) for name in ("pretrain", "full", "value", "value-fewshot")]
    spec = make_spec(("v0", "vx", "vy"), [(1, 0, "target"), (2, 3, "target")], name="mixed")
    out.append(("mixed", derive_spec(spec).blocks))
    return out


@pytest.mark.parametrize("task", [THETA, THETA0, -THETA0], ids=["theta", "theta0", "-theta0"])
def test_limit_equals_limit_of_the_reduced_error(task):
    for name, b in _blocks():
        fast = expected_error(b, task, sp.oo)
        slow = limit_poly(expected_error(b, task, N), N)
        assert fast.terms == slow.terms, name


def test_family_limit_equals_limit_of_the_reduced_error():
    b = derive("value").blocks
    fast = task_family_error(b, THETA0, TAU2, sp.oo)
    slow = limit_poly(task_family_error(b, THETA0, TAU2, N), N)
    assert fast.terms == slow.terms
    assert task_family_error(b, THETA0, TAU2, sp.oo, normalise=False).terms == fast.terms


@pytest.mark.parametrize("n", [0, 3, N])
def test_unreduced_error_equals_the_reduced_one(n):
    for name, b in _blocks():
        raw = to_sympy(expected_error(b, THETA0, n, normalise=False))
        assert rational_is_zero(raw - to_sympy(expected_error(b, THETA0, n))), name
    b = derive("value-fewshot").blocks
    raw = to_sympy(task_family_error(b, THETA0, TAU2, n, normalise=False))
    assert rational_is_zero(raw - to_sympy(task_family_error(b, THETA0, TAU2, n)))


def test_unreduced_pretraining_objective_equals_the_reduced_one():
    """At an integer m, and for the pretrained blocks and symbolic ones (what the global search
    compiles): equal in value; a wrong m (m + 1) is seen."""
    from symbolic.objective import pretraining_error
    for b in (None, derive("pretrain").blocks):
        reduced = to_sympy(pretraining_error(b, 3))
        assert rational_is_zero(to_sympy(pretraining_error(b, 3, normalise=False)) - reduced)
        assert rational_is_zero(to_sympy(pretraining_error(b, 4, normalise=False)) - reduced) is False


def test_a_wrong_limit_is_seen():
    b = derive("value").blocks
    fast = expected_error(b, THETA0, sp.oo)
    assert fast.terms != expected_error(b, THETA0, 0).terms   # the zero-shot error is not the limit
    with pytest.raises(ValueError, match="n: expected"):
        expected_error(b, THETA0, -1)
    with pytest.raises(ValueError, match="n: expected"):
        expected_error(b, THETA0, -sp.oo)
