"""numeric.training on the exact population gradient reproduces the closed-form trajectory.

The trainer (numeric/, which never imports symbolic/) is given the exact gradient of the
explicit quadratic (symbolic.explicit, passed in from here) and runs plain gradient descent
(SGD, momentum 0, constant step); the parameters it visits are compared, at every step, with
proofs.quantities.trajectories' closed form u_t = u_* + sum (1 - eta h)^t w_h: relative difference below
1e-10.  Strategy (c), strategy (d) (its second stage: the gradient projected on the null space
of the zero-shot Hessian) and a Q-block spec (the trainer's query-key strategy), at a
non-identity Sigma (irrational eigenvalues: the float path).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from numeric.training import FinetuneConfig, OptimConfig, finetune
from proofs.quantities.trajectories import _nullspace_projector, modes, stable_range
from symbolic.arithmetic import FLOAT64
from symbolic.explicit import explicit_quadratic
from symbolic.spec import make_spec
from symbolic.strategies import value_fewshot_spec, value_spec

SIGMA = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 1.0]]) / 2
THETA0 = [1.0, -1.0, 2.0]
STEPS = 150


def _run(q, u_start, eta, strategy, projector=None):
    """Gradient descent by numeric.training on the exact gradient of q; the u visited."""
    V, Q = q.matrices(u_start)
    V, Q = V.astype(float), Q.astype(float)
    visited = []

    def read(V, Q):
        d = q.d
        u = np.empty(q.size)
        for blk, sl in q.slices.items():
            x = slice(1, d + 1)
            u[sl] = {"v0": lambda: V[d + 1, 0:1], "vx": lambda: V[d + 1, x], "vy": lambda: V[d + 1, d + 1:d + 2],
                     "Q00": lambda: Q[0, 0:1], "q0x": lambda: Q[0, x], "qx0": lambda: Q[x, 0],
                     "Qxx": lambda: Q[x, x].reshape(-1), "Qy0": lambda: Q[d + 1, 0:1],
                     "qyx": lambda: Q[d + 1, x]}[blk]()
        return u

    def gradient(t, V, Q):
        u = read(V, Q)
        visited.append(u.copy())
        g = q.gradient(u).astype(float)
        if projector is not None:
            g = projector @ g
        zero = np.zeros_like(np.asarray(q.V0, dtype=float))
        gV, gQ = replace(q, V0=zero, Q0=zero.copy(), arith=FLOAT64).matrices(g)   # 0 off the trained entries
        return float(q.value(u)), ([gV] if strategy != "query-key" else [gQ])

    cfg = FinetuneConfig(strategy=strategy, theta0=THETA0, sigma2=0.2, Sigma=SIGMA,
                         optim=OptimConfig(steps=STEPS, optimizer="sgd", momentum=0.0, lr=eta, schedule="constant"))
    finetune(V, Q, cfg, 0, gradient=gradient)
    return visited


def _check(m, visited, eta):
    worst = 0.0
    for t, u in enumerate(visited):
        closed = np.asarray(m.u_star, dtype=float) + np.asarray(m.w, dtype=float) @ np.array(
            [(1 - eta * float(h)) ** t for h in m.h])
        worst = max(worst, float(np.max(np.abs(closed - u)) / max(np.max(np.abs(u)), 1e-300)))
    assert worst < 1e-10, worst
    return worst


def _setting(spec, **kw):
    return explicit_quadratic(spec, Sigma=SIGMA, theta0=THETA0, sigma2=0.2, arithmetic="float", **kw)


@pytest.mark.parametrize("which", ["value", "query-key spec"])
def test_exact_gradient_descent_is_the_closed_form(which):
    spec = value_spec() if which == "value" else make_spec(["Q00", "qx0", "qyx"], [(1, 0, "target"), (1, 2, "opposite")])
    q = _setting(spec)
    m = modes(q.A, q.b, q.start, exact=False)
    eta = 0.6 * float(stable_range(m))
    _check(m, _run(q, q.start, eta, "value" if which == "value" else "query-key"), eta)


def test_two_stage_second_stage_is_the_closed_form():
    spec = value_fewshot_spec(2)
    q1, q2 = _setting(spec), _setting(spec, stage="then")
    m1 = modes(q1.A, q1.b, q1.start, exact=False)
    P = _nullspace_projector(q1.A, False)
    m2 = modes(q2.A, q2.b, m1.u_star, projector=P, exact=False)
    eta = 0.6 * float(stable_range(m2))
    _check(m2, _run(q2, np.asarray(m1.u_star, dtype=float), eta, "value", projector=P), eta)
