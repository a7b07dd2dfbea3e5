r"""Corollary 4.2: the pretrained model's few-shot error, n -> oo.

Statement (poster, table row (a)): :math:`\lim_{n\to\infty} \mathcal{E}(\hat V, \hat Q, n;
\theta_0) = \lim_{n\to\infty} \mathcal{E}(\hat V, \hat Q, n; -\theta_0) = \sigma^2` (the best
possible), with pretraining context m -> oo; the derivation gives it for every task theta.

Refinement at finite m: the limit is ``sigma^2 + c_m^2 theta^T Gamma_m Sigma Gamma_m theta``
with ``Gamma_m = (Sigma + c_m I)^{-1}``, ``c_m = (sigma^2 + tr Sigma)/(m+1)``: strictly above
sigma^2 for theta != 0, by O(1/m^2).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symbolic import M, SIGMA, THETA, THETA0, Bilinear, to_sympy, tidy
from symbolic.definitions import definition
from symbolic.forms import Poly, const, form
from symbolic.model import SIGMA_ATOM
from symbolic.strategy import Step

from proofs.paper.result import Derivation, Line, Result, TestError, claim, lazy
from proofs.paper.results._common import (FEW_SHOT_LIMIT, PRETRAINED, SETTING, defined_atoms, equality_line, resolvent_rules, show, sigma, vanishes)
from proofs.quantities.derivations import few_shot_limit, finite_n_error, limit_poly_theta, strategy


@lru_cache(maxsize=None)
def finite_m_limit() -> tuple[sp.Expr, sp.Expr, bool, sp.Expr]:
    """The finite-m limit on a generic theta, its compact form, whether they agree exactly
    (engine polynomial minus the compact form vanishes with the resolvent relation), and c_m."""
    pre = strategy("pretrain", M)
    (gamma,) = defined_atoms(pre.blocks)
    inv = definition(gamma.expr)  # (c_m I + Sigma)^{-1}
    c_m = sp.factor(sp.Add(*[sp.Mul(*[a for a in t.args if not getattr(a, "is_Matrix", False)])
                             for t in inv.arg.args if t != SIGMA]))
    p = limit_poly_theta("pretrain", M)
    compact_poly = Poly.scalar(sigma ** 2) + Poly.factor(form(const(THETA), (gamma, SIGMA_ATOM, gamma), const(THETA))) * c_m ** 2
    ok = vanishes(p - compact_poly, resolvent_rules(gamma))
    compact = sigma ** 2 + c_m ** 2 * Bilinear(THETA, sp.MatMul(gamma.expr, SIGMA, gamma.expr), THETA)
    return tidy(to_sympy(p)), compact, ok, c_m


class Corollary42(Result):
    id = "corollary-4.2"
    title = "pretrained model: few-shot error on theta0 and -theta0"
    title_latex = r"pretrained model: few-shot error on $\theta_0$ and $-\theta_0$"
    strategy = "pretrain"
    assumption_pairs = (SETTING, PRETRAINED, FEW_SHOT_LIMIT)
    claim = ("The pretrained parameters learn any task in context: for theta_0, -theta_0 and every theta,",
             r"The pretrained parameters learn any task in context: for $\theta_0$, $-\theta_0$ and every $\theta$,")

    def _statement(self):
        return (claim(TestError("pretrain", sp.oo, THETA0), sigma ** 2),
                claim(TestError("pretrain", sp.oo, -THETA0), sigma ** 2),
                claim(TestError("pretrain", sp.oo, THETA), sigma ** 2))

    def _derive(self) -> Derivation:
        pre = strategy("pretrain")
        values = {self.statement[0].lhs: few_shot_limit("pretrain", "target"),
                  self.statement[1].lhs: few_shot_limit("pretrain", "opposite"),
                  self.statement[2].lhs: few_shot_limit("pretrain", "theta")}
        lim_m, compact, _, c_m = finite_m_limit()
        steps = list(pre.steps) + [
            Step("limit n -> oo, generic theta", values[self.statement[2].lhs]),
            Step("theta = theta_0 and theta = -theta_0 substituted", values[self.statement[0].lhs]),
            Step("finite m: limit n -> oo on theta", lim_m),
            Step("finite m, compact form (Sigma Gamma_m = I - c_m Gamma_m)", compact),
        ]
        return Derivation(values=values, steps=steps,
                          extra={"n-shot error on theta (m -> oo)": lazy(lambda: finite_n_error("pretrain")),
                                 "limit n -> oo at finite m": compact, "c_m": c_m})

    def _checks(self, der: Derivation):
        lim_m, compact, ok, c_m = finite_m_limit()
        yield Line("exact", f"finite m: lim_n E(V_hat_m, Q_hat_m, n; theta) = {show(compact)} with c_m = {show(c_m)}: "
                   "the engine's limit minus this form is 0 after Sigma Gamma_m = I - c_m Gamma_m", ok)
        yield Line("exact", f"as m -> oo: c_m -> {sp.limit(c_m, M, sp.oo)} and theta^T Gamma_m Sigma Gamma_m theta "
                   "<= theta^T Sigma^-1 theta (0 < Gamma_m <= Sigma^-1), so the finite-m limit tends to sigma^2; "
                   "for finite m it exceeds sigma^2 whenever theta != 0 (refines the poster)",
                   sp.limit(c_m, M, sp.oo) == 0)
        for eq, what in zip(self.statement, ("theta_0", "-theta_0", "any theta")):
            yield equality_line(f"few-shot limit on {what} (m -> oo)", der.values[eq.lhs], eq.rhs)


RESULT = Corollary42()
