r"""Proposition 4.7: value-matrix fine-tuning keeps in-context learning on the target task.

Statement (poster, table row (c)): :math:`\lim_{n\to\infty}\mathcal{E}(V_c, \hat Q, n; \theta_0)
= \sigma^2 + \frac{1}{(d+4)^2}\theta_0^T\Sigma\theta_0`, with ``v_y`` at its pretrained value 1.

The derivation gives more: on *every* task theta the limit is the same number (it does not
depend on theta).  With the convention dropped (``v_y`` free in the minimiser set) the limit on
theta is ``sigma^2 + ||(v_y - 1) theta + theta_0/(d+4)||_Sigma^2``.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symbolic import SIGMA, THETA, THETA0, Bilinear, expected_error, tidy, to_sympy
from symbolic.strategies import VY
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Result, TestError, claim, lazy
from proofs.paper.results._common import (FEW_SHOT_LIMIT, FREE_AT_PRETRAINED, PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma)
from proofs.quantities.derivations import few_shot_limit, finite_n_error, strategy


@lru_cache(maxsize=None)
def value_limit_free_vy() -> sp.Expr:
    """lim_n E on a generic theta for V's last row (0, theta_0/(d+4), v_y), v_y symbolic."""
    b = strategy("value").blocks.with_(vy=VY)
    return tidy(to_sympy(expected_error(b, THETA, sp.oo)))


def compact_free_vy(task: sp.Basic = THETA) -> sp.Expr:
    """``sigma^2 + ||(v_y - 1) task + theta_0/(d+4)||_Sigma^2`` (the form the engine's result is checked against)."""
    u = (VY - 1) * task + THETA0 / (DIM + 4)
    return sigma ** 2 + Bilinear(u, SIGMA, u)


class Proposition47(Result):
    id = "proposition-4.7"
    title = "value-matrix fine-tuning: few-shot error on theta0"
    title_latex = r"value-matrix fine-tuning: few-shot error on $\theta_0$"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED, FREE_AT_PRETRAINED, FEW_SHOT_LIMIT)
    claim = ("The value-fine-tuned parameters of Theorem 4.6 (v_y = 1) have, on theta_0 and in fact on every theta,",
             r"The value-fine-tuned parameters of Theorem 4.6 ($v_y = 1$) have, on $\theta_0$ and in fact on "
             r"every $\theta$,")

    def _statement(self):
        rhs = sigma ** 2 + T0ST0 / (DIM + 4) ** 2
        return (claim(TestError("value", sp.oo, THETA0), rhs), claim(TestError("value", sp.oo, THETA), rhs))

    def _derive(self) -> Derivation:
        val = strategy("value")
        lhs = [s.lhs for s in self.statement]
        values = {lhs[0]: few_shot_limit("value", "target"), lhs[1]: few_shot_limit("value", "theta")}
        steps = list(val.steps) + [Step("limit n -> oo on a generic theta", values[lhs[1]]),
                                   Step("theta = theta_0", values[lhs[0]])]
        return Derivation(values=values, steps=steps, extra={
            "n-shot error on theta_0": lazy(lambda: finite_n_error("value", "target")),
            "few-shot limit on theta, v_y free (convention dropped)": value_limit_free_vy()})

    def _checks(self, der: Derivation):
        lim = der.values[self.statement[1].lhs]
        yield Line("exact", "the limit on a generic theta does not involve theta: value fine-tuning loses no "
                   "in-context accuracy on any task relative to theta_0 (refines the poster)",
                   not any(THETA in b.args for b in sp.sympify(lim).atoms(Bilinear)))
        dropped = der.extra["few-shot limit on theta, v_y free (convention dropped)"]
        yield Line("exact", f"convention dropped (v_y free): limit on theta = {show(dropped)} = sigma^2 + "
                   "||(v_y - 1) theta + theta_0/(d+4)||_Sigma^2; at v_y = 1 it is the statement",
                   same(dropped, compact_free_vy()) and same(dropped.xreplace({VY: 1}), self.statement[1].rhs))
        for eq, what in zip(self.statement, ("theta_0", "any theta")):
            yield equality_line(f"few-shot limit on {what}", der.values[eq.lhs], eq.rhs)


RESULT = Proposition47()
