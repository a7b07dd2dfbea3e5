r"""Corollary 4.1: the pretrained model's zero-shot error on the target task.

Statement (poster, table row (a)): :math:`\mathcal{E}(\hat V, \hat Q, 0; \theta_0) = \sigma^2
+ \theta_0^T \Sigma \theta_0` (the worst possible: the zero-shot prediction is 0).

Derivation (:func:`symbolic.derive_pretrain`): the pretraining objective at context length m
is minimised over ``v = (0, 0, 1)``, ``Q = blockdiag(0, Gamma, 0)``; its first-order condition
gives ``Gamma_hat_m = (Sigma + c_m I)^{-1}``, ``c_m = (sigma^2 + tr Sigma)/(m+1)``, and
``Gamma_hat -> Sigma^{-1}`` as m -> oo.  The zero-shot prediction ``(v^T q)(q^T Q q)`` is 0
because the query's label slot is 0, so the zero-shot error is ``sigma^2 + theta_0^T Sigma
theta_0`` at every m.

Global optimality of the pretrained parameters (the pretraining problem is not convex in
(V, Q)) is proved exactly, at every finite m, by a convex relaxation: the prediction is
``f = sum_{a,b,c} v_a Q_bc (ZZ^T)_ab q_c / (m+1)``, linear in the tensor ``K = v (x) Q``; the
objective ``E[(sum K_abc phi_abc - y)^2]`` with K free is a convex quadratic, so a point where
its derivative along every feature ``phi_abc`` vanishes is a global minimiser of the
relaxation, hence of the original problem.  Those derivatives are the cross moments
``E[(f - y) f(.; v', Q')]`` for arbitrary (v', Q'), computed by the engine and shown to be 0
with the defining relation of Gamma_hat_m.  A gradient-descent search from random starts at
d = 2 backs it numerically.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from symbolic import M, SIGMA, THETA0, pretraining_error
from symbolic.calculus import direction_blocks
from symbolic.evaluation import evaluate_poly
from symbolic.strategy import Step

from proofs.paper.result import Derivation, Line, Result, TestError, claim
from proofs.paper.results._common import (PRETRAINED, SETTING, T0ST0, defined_atoms, equality_line, pretraining_cross_moment, resolvent_rules, same, show, sigma, vanishes)
from proofs.quantities.derivations import strategy, zero_shot
from proofs.paper.results._search import compile_objective, descend


@lru_cache(maxsize=None)
def global_optimality_exact() -> tuple[bool, int]:
    """Cross moments of the pretrained point with an arbitrary direction (v', Q') vanish,
    after the relation ``Sigma Gamma_hat_m = I - c_m Gamma_hat_m``: (holds, #terms before)."""
    pre = strategy("pretrain", M)
    cross = pretraining_cross_moment(pre.blocks, direction_blocks(), M)
    return vanishes(cross, resolvent_rules(*defined_atoms(pre.blocks))), len(cross.terms)


@lru_cache(maxsize=None)
def pretraining_search(d: int = 2, m: int = 4, sigma2: sp.Rational = sp.Rational(1, 4), starts: int = 24,
                       iterations: int = 300, seed: int = 0) -> dict:
    """Gradient descent on the pretraining objective (all 16 block entries at d = 2, Sigma = I)
    from random starts; compares the best value with the derived optimum's exact value."""
    fixed = {"Sigma": sp.eye(d), "sigma": sp.sqrt(sigma2)}
    obj, flat, _ = compile_objective(pretraining_error(None, m, normalise=False), d, fixed)
    pre = strategy("pretrain", m)
    optimum = evaluate_poly(pretraining_error(pre.blocks, m), fixed)
    rng = np.random.default_rng(seed)
    X0 = rng.normal(scale=0.7, size=(len(flat), starts))
    X, F = descend(obj, X0, iterations)
    return {"d": d, "m": m, "sigma2": sigma2, "starts": starts, "iterations": iterations,
            "optimum": optimum, "best": float(F.min()), "values": np.sort(F),
            "nvars": len(flat), "reached": int(np.sum(F - float(optimum) < 1e-6))}


class Corollary41(Result):
    id = "corollary-4.1"
    title = "pretrained model: zero-shot error on theta0"
    title_latex = r"pretrained model: zero-shot error on $\theta_0$"
    strategy = "pretrain"
    assumption_pairs = (SETTING, PRETRAINED)
    claim = ("The pretrained parameters (V_hat, Q_hat) have, at every context length m,",
             r"The pretrained parameters $(\hat{V}, \hat{Q})$ have, at every context length $m$,")

    def _statement(self):
        return (claim(TestError("pretrain", 0, THETA0), sigma ** 2 + T0ST0),)

    def _derive(self) -> Derivation:
        pre, pre_m = strategy("pretrain"), strategy("pretrain", M)
        zs = zero_shot("pretrain")
        steps = list(pre.steps)
        steps.append(Step("zero-shot prediction (v^T q)(q^T Q q) = 0 (v = e_y, q_y = 0); zero-shot error", zs))
        return Derivation(
            values={self.statement[0].lhs: zs},
            steps=steps,
            extra={"zero-shot error at finite m": zero_shot("pretrain", M),
                   "Gamma_hat (m -> oo)": pre.Qxx, "Gamma_hat_m": pre_m.Qxx},
        )

    def _checks(self, der: Derivation):
        pre = strategy("pretrain")
        ok, nterms = global_optimality_exact()
        yield Line("exact", "pretraining at finite m, symbolic d and Sigma: at the derived point "
                   "(v = e_y, Q_xx = Gamma_hat_m) the derivative of the objective along every feature "
                   "(ZZ^T)_ab q_c of the prediction, E[(f - y) v'^T ZZ^T Q' q]/(m+1) for arbitrary v', Q', "
                   f"vanishes ({nterms} engine terms, 0 after Sigma Gamma_hat_m = I - c_m Gamma_hat_m); "
                   "this contains the first-order conditions in every block of V's last row and of Q", ok)
        yield Line("exact", "second order / global optimality: the objective equals E[(sum_abc K_abc "
                   "(ZZ^T)_ab q_c/(m+1) - y)^2] at K = v (x) Q, a convex quadratic in K (an expectation of "
                   "squares of affine functions of K); the relaxation is stationary at the derived K (line "
                   "above), so the derived point is a global minimiser of the non-convex pretraining "
                   "problem at every finite m", ok)
        s = pretraining_search()
        best_ok = s["best"] >= float(s["optimum"]) - 1e-9
        yield Line("numeric", f"gradient descent on all {s['nvars']} entries of v and Q[:, :d+1] "
                   f"(d = {s['d']}, Sigma = I, m = {s['m']}, sigma^2 = {s['sigma2']}), {s['starts']} random starts, "
                   f"{s['iterations']} steps: best {s['best']:.12g} vs derived optimum {show(s['optimum'])} = "
                   f"{float(s['optimum']):.12g}; {s['reached']} starts reach it, none goes below",
                   best_ok and s["reached"] > 0)
        inv = sp.Inverse(SIGMA)
        yield Line("exact", f"limit m -> oo of the derived Q_xx: {show(pre.Qxx)} (Gamma_hat_m -> Sigma^-1)",
                   pre.Qxx == inv or pre.Qxx == SIGMA.I)
        zs_m = der.extra["zero-shot error at finite m"]
        yield Line("exact", f"zero-shot error at finite m: {show(zs_m)} (independent of m)",
                   same(zs_m, sigma ** 2 + T0ST0))
        eq = self.statement[0]
        yield equality_line("zero-shot error on theta_0 (m -> oo)", der.values[eq.lhs], eq.rhs)


RESULT = Corollary41()
