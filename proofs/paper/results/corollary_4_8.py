r"""Corollary 4.8: value-matrix fine-tuning keeps in-context learning on the opposite task.

Statement (poster, table row (c)): :math:`\lim_{n\to\infty}\mathcal{E}(V_c, \hat Q, n; -\theta_0)
= \sigma^2 + \frac{1}{(d+4)^2}\theta_0^T\Sigma\theta_0`, the same as on theta_0 (Proposition 4.7).
With ``v_y`` free the limit on -theta_0 is ``sigma^2 + (v_y - 1 - 1/(d+4))^2 theta_0^T Sigma theta_0``.
"""
from __future__ import annotations

import sympy as sp

from symbolic import THETA0
from symbolic.strategies import VY
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Result, TestError, claim
from proofs.paper.results._common import (FEW_SHOT_LIMIT, FREE_AT_PRETRAINED, PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma)
from proofs.quantities.derivations import few_shot_limit, strategy
from proofs.paper.results.proposition_4_7 import compact_free_vy, value_limit_free_vy


class Corollary48(Result):
    id = "corollary-4.8"
    title = "value-matrix fine-tuning: few-shot error on -theta0"
    title_latex = r"value-matrix fine-tuning: few-shot error on $-\theta_0$"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED, FREE_AT_PRETRAINED, FEW_SHOT_LIMIT)
    claim = ("The value-fine-tuned parameters of Theorem 4.6 (v_y = 1) have, on the opposite task,",
             r"The value-fine-tuned parameters of Theorem 4.6 ($v_y = 1$) have, on the opposite task,")

    def _statement(self):
        return (claim(TestError("value", sp.oo, -THETA0), sigma ** 2 + T0ST0 / (DIM + 4) ** 2),)

    def _derive(self) -> Derivation:
        lim = few_shot_limit("value", "opposite")
        dropped = sp.expand(value_limit_free_vy().subs(_task_sub()))
        return Derivation(values={self.statement[0].lhs: lim},
                          steps=list(strategy("value").steps) + [Step("limit n -> oo on -theta_0", lim)],
                          extra={"few-shot limit on -theta_0, v_y free (convention dropped)": dropped})

    def _checks(self, der: Derivation):
        eq = self.statement[0]
        lim = der.values[eq.lhs]
        yield Line("exact", "equal to the limit on theta_0 (Proposition 4.7): no out-of-distribution degradation",
                   same(lim, few_shot_limit("value", "target")))
        dropped = der.extra["few-shot limit on -theta_0, v_y free (convention dropped)"]
        want = sigma ** 2 + (VY - 1 - 1 / (DIM + 4)) ** 2 * T0ST0
        yield Line("exact", f"convention dropped (v_y free): limit on -theta_0 = {show(sp.factor(dropped - sigma**2))} "
                   "+ sigma^2 = sigma^2 + (v_y - 1 - 1/(d+4))^2 theta_0^T Sigma theta_0",
                   same(dropped, want) and same(compact_free_vy(-THETA0), want))
        yield equality_line("few-shot limit on -theta_0", lim, eq.rhs)


def _task_sub() -> dict:
    """theta -> -theta_0 in the generic-theta formula, bilinear form by bilinear form."""
    from symbolic import THETA, Bilinear
    e = value_limit_free_vy()
    reps = {}
    for b in e.atoms(Bilinear):
        k = (-1 if b.left == THETA else 1) * (-1 if b.right == THETA else 1)
        left = THETA0 if b.left == THETA else b.left
        right = THETA0 if b.right == THETA else b.right
        reps[b] = k * Bilinear(left, b.middle, right)
    return reps


RESULT = Corollary48()
