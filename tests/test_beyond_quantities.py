"""Quantities of the results beyond the paper that their statements use, by independent routes.

* query-key-zero-shot: the zero-shot minimiser over Q_00 from the pretrained parameters with
  v_x = epsilon theta_0 (the result's "off-scale points" quantity) equals, at explicit settings,
  the minimiser of the concrete engine's exact loss (symbolic/concrete.py) built from V_hat and
  Q_hat = blockdiag(0, Sigma^{-1}, 0) with that v_x, for two values of epsilon.
"""
from __future__ import annotations

import sympy as sp

from symbolic.concrete import concrete_error
from symbolic.evaluation import evaluate

from proofs.paper.results.query_key_zero_shot import EPS, near_pretrained_q00


def test_near_pretrained_q00_is_the_concrete_minimiser() -> None:
    q00 = near_pretrained_q00()
    for Sigma, theta0, sigma2 in ((sp.Matrix([[2, 1], [1, 1]]), [1, -2], sp.Rational(1, 10)),
                                  (sp.Matrix([[3, 0], [0, 1]]), [0, 1], 0)):
        d = Sigma.shape[0]
        for eps in (sp.Rational(1, 10), sp.Rational(-2, 3)):
            V, Q = sp.zeros(d + 2, d + 2), sp.zeros(d + 2, d + 2)
            V[d + 1, d + 1] = 1
            V[d + 1, 1:d + 1] = eps * sp.Matrix(theta0).T
            Q[1:d + 1, 1:d + 1] = Sigma.inv()
            q = sp.Symbol("q")
            Q[0, 0] = q
            loss = concrete_error(V, Q, n=0, theta=theta0, Sigma=Sigma, sigma2=sigma2)
            (best,) = sp.solve(sp.diff(loss, q), q)
            env = {"Sigma": Sigma, "theta_0": sp.Matrix(theta0), "sigma": sp.sqrt(sigma2), "d": sp.Integer(d),
                   "epsilon": eps}
            assert sp.simplify(evaluate(q00, env) - best) == 0, (Sigma, eps, q00, best)
