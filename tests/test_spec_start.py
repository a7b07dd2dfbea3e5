"""A spec file's explicit start {"V", "Q"}: parsed exactly, derived, and checked by hand.

From V's last row (0, eps theta_0, 1), Q = blockdiag(0, I, 0), Sigma = I, theta_0 = e_1, training
Q_00 alone on the zero-shot loss: the prediction is (eps x_1)(Q_00 + |x|^2), and the first-order
condition E[(eps x_1)^2 (Q_00 + |x|^2)] = E[eps x_1^2 (...)]-type moments give
Q_00 = (1 - (d + 2) eps) / eps (checked here against the concrete engine's minimiser, not typed
from the derivation's output).
"""
from __future__ import annotations

import pytest
import sympy as sp

from proofs.api import params
from symbolic.concrete import concrete_error
from symbolic.spec import spec_from_json

EPS = sp.Rational(1, 10)
SPEC = {"train": ["Q00"], "loss": [{"n": 0, "task": "target"}],
        "start": {"V": [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, "1/10", 0, 1]],
                  "Q": [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]}}


def test_explicit_start_is_derived_and_minimises_the_concrete_loss():
    spec = spec_from_json(SPEC)
    assert spec.start is not None and dict(spec.bindings)["v_x_start"] == sp.Matrix([EPS, 0])
    got = params(spec, d=2, sigma2=sp.Rational(1, 10))
    q00 = sp.Symbol("q")
    V = sp.Matrix(SPEC["start"]["V"]).applyfunc(sp.Rational)
    Q = sp.Matrix(SPEC["start"]["Q"]).applyfunc(sp.Rational)
    Q[0, 0] = q00
    loss = concrete_error(V, Q, n=0, theta=[1, 0], Sigma=sp.eye(2), sigma2=sp.Rational(1, 10))
    (best,) = sp.solve(sp.diff(loss, q00), q00)
    assert got.Q[0, 0] == best == (1 - 4 * EPS) / EPS
    assert got.V[3, :] == V[3, :] and got.Q[1:3, 1:3] == sp.eye(2)  # the untrained blocks stay


@pytest.mark.parametrize("start, message", [
    ({"V": [[0]]}, "start"),
    ({"V": [[0, 0], [0, 0]], "Q": [[0, 0], [0, 0]]}, "d >= 1"),
    ({"V": [[0, 0, 0], [0, 0, 0], [0, 0, "x"]], "Q": [[0] * 3] * 3}, "start.V"),
    ("random", "start"),
])
def test_bad_start(start, message):
    with pytest.raises(ValueError, match=message):
        spec_from_json({**SPEC, "start": start})
