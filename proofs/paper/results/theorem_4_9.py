r"""Theorem 4.9: value-matrix fine-tuning with an auxiliary few-shot loss.

Statement (poster, table row (d)): within the zero-shot minimisers S of Theorem 4.6, the
few-shot loss on theta_0 (n_ft -> oo shots) is minimised at ``v_y = (d+3)/(d+4)``; the
zero-shot error is unchanged, :math:`\sigma^2 + \frac{2}{d+4}\theta_0^T\Sigma\theta_0`, and
the few-shot error on theta_0 tends to :math:`\sigma^2`.

Proof, as checked: on S the n -> oo loss on theta_0 is ``sigma^2 + (v_y - (d+3)/(d+4))^2
theta_0^T Sigma theta_0`` (engine, Proposition 4.7's formula at theta = theta_0): a convex
quadratic in v_y with its unique minimum sigma^2 at (d+3)/(d+4).  v_y does not enter the
zero-shot loss, so the zero-shot error is Theorem 4.6's.  Finite n_ft: v_y depends on n_ft
(and sigma^2) and the few-shot limit on theta_0 stays above sigma^2 (refines the poster).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symbolic import THETA0, ratfun
from symbolic.strategies import VY
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Param, Result, TestError, claim
from proofs.paper.results._common import (FEW_SHOT_LIMIT, PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma)
from proofs.quantities.derivations import few_shot_limit, strategy, zero_shot
from proofs.paper.results.proposition_4_7 import value_limit_free_vy

V_Y_STAR = Param("v_y^d")
N_FT_EXAMPLE = 5


@lru_cache(maxsize=None)
def finite_n_ft(n_ft: int = N_FT_EXAMPLE) -> tuple[sp.Expr, sp.Expr]:
    """v_y when the auxiliary loss has n_ft shots, and the resulting few-shot limit on theta_0
    (the limit over S, Proposition 4.7's formula, at that v_y)."""
    vy = strategy("value-fewshot", sp.oo, n_ft).blocks.vy
    return vy, few_shot_limit_on_target_free_vy().xreplace({VY: vy})


class Theorem49(Result):
    id = "theorem-4.9"
    title = "value-matrix fine-tuning with a few-shot loss: optimal V, zero-shot and few-shot error"
    strategy = "value-fewshot"
    assumption_pairs = (SETTING, PRETRAINED, FEW_SHOT_LIMIT,
                        ("the auxiliary few-shot loss has n_ft -> oo shots", r"the auxiliary few-shot loss has "
                         r"$n_{\mathrm{ft}} \to \infty$ shots"))
    definitions = (("v_y^d", "v_y^d is the last entry of the last row of V_d",
                    r"$v_y^d$ is the last entry of the last row of $V_d$"),)
    claim = ("Minimising the few-shot loss on theta_0 over the zero-shot minimisers of Theorem 4.6 (v_0 = 0, "
             "v_x = theta_0/(d+4)) gives",
             r"Minimising the few-shot loss on $\theta_0$ over the zero-shot minimisers of Theorem 4.6 "
             r"($v_0 = 0$, $v_x = \theta_0/(d+4)$) gives")

    def _statement(self):
        return (claim(V_Y_STAR, (DIM + 3) / (DIM + 4)),
                claim(TestError("value-fewshot", 0, THETA0), sigma ** 2 + 2 * T0ST0 / (DIM + 4)),
                claim(TestError("value-fewshot", sp.oo, THETA0), sigma ** 2))

    def _derive(self) -> Derivation:
        s = strategy("value-fewshot")
        lhs = [e.lhs for e in self.statement]
        values = {lhs[0]: s.blocks.vy, lhs[1]: zero_shot("value-fewshot"),
                  lhs[2]: few_shot_limit("value-fewshot", "target")}
        loss = value_limit_free_vy()
        vy5, lim5 = finite_n_ft()
        return Derivation(values=values, steps=list(s.steps) + [
            Step("zero-shot error (v_y does not enter it)", values[lhs[1]]),
            Step("few-shot limit on theta_0", values[lhs[2]])],
            extra={"n_ft-shot loss limit on a generic theta over S": loss,
                   f"v_y at n_ft = {N_FT_EXAMPLE}": vy5, f"few-shot limit on theta_0 at n_ft = {N_FT_EXAMPLE}": lim5})

    def _checks(self, der: Derivation):
        s, val = strategy("value-fewshot"), strategy("value")
        yield Line("exact", "the derived V lies in S: v_0 and v_x equal Theorem 4.6's minimiser",
                   s.blocks.v0 == val.blocks.v0 and s.blocks.vx == val.blocks.vx)
        k = sp.Symbol("k", positive=True)  # theta_0^T Sigma theta_0 > 0 (Sigma SPD, theta_0 != 0)
        loss = few_shot_limit_on_target_free_vy().xreplace({T0ST0: k})
        vy = der.values[self.statement[0].lhs]
        g1, g2 = sp.diff(loss, VY), sp.diff(loss, VY, 2)
        yield Line("exact", f"on S the n -> oo loss on theta_0 is {show(ratfun.factored(loss.xreplace({k: T0ST0}) - sigma**2))} "
                   f"+ sigma^2: its derivative in v_y vanishes at v_y = {show(vy)} and its second derivative "
                   f"{show(g2.xreplace({k: T0ST0}))} is > 0: the unique minimiser (first- and second-order conditions)",
                   same(g1.subs(VY, vy), 0) and g2.is_positive and sp.expand(g2 - 2 * k) == 0)
        yield Line("exact", "zero-shot error equals Theorem 4.6's (v_y does not enter the zero-shot loss)",
                   same(der.values[self.statement[1].lhs], zero_shot("value")))
        vy5, lim5 = der.extra[f"v_y at n_ft = {N_FT_EXAMPLE}"], der.extra[f"few-shot limit on theta_0 at n_ft = {N_FT_EXAMPLE}"]
        gap = ratfun.factored(vy5 - vy)   # (sympy.factor(together(...))'s expression, in the ring)
        yield Line("exact", f"finite n_ft = {N_FT_EXAMPLE}: v_y = {show(vy5)}, which differs from (d+3)/(d+4) by "
                   f"{show(gap)} != 0, so the few-shot limit on theta_0 is sigma^2 + (that difference)^2 "
                   "theta_0^T Sigma theta_0 > sigma^2: the poster's sigma^2 needs n_ft -> oo",
                   gap != 0 and same(lim5 - sigma ** 2, gap ** 2 * T0ST0))
        yield Line("note", "no convention is needed: the auxiliary loss determines v_y, and the entries it leaves "
                   "free (V's first d+1 rows) never reach the output; off its optimum, anywhere in S, the limit on "
                   "theta is sigma^2 + ||(v_y - 1) theta + theta_0/(d+4)||_Sigma^2 (Proposition 4.7)", None)
        for eq, what in zip(self.statement, ("v_y", "zero-shot error on theta_0", "few-shot limit on theta_0")):
            yield equality_line(what, der.values[eq.lhs], eq.rhs)


@lru_cache(maxsize=None)
def few_shot_limit_on_target_free_vy() -> sp.Expr:
    """lim_n E on theta_0 for v in S (v_y symbolic): Proposition 4.7's generic formula at theta = theta_0."""
    from symbolic import THETA, Bilinear
    e = value_limit_free_vy()
    reps = {b: Bilinear(THETA0 if b.left == THETA else b.left, b.middle, THETA0 if b.right == THETA else b.right)
            for b in e.atoms(Bilinear)}
    return sp.expand(e.xreplace(reps))


RESULT = Theorem49()
