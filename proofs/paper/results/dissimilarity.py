r"""Beyond the paper: the few-shot error on a task at angle phi from theta_0, for every strategy.

The poster says the auxiliary few-shot loss hurts unseen tasks "with degradation growing as task
dissimilarity increases".  Here it is one statement covering the strategies: for a task theta
with Sigma-norm ``|theta|_Sigma = rho |theta_0|_Sigma`` at Sigma-angle phi from theta_0
(``theta^T Sigma theta_0 = rho cos(phi) k``, ``k = theta_0^T Sigma theta_0``), the n -> oo error of

* (a) pretraining is sigma^2 (every task);
* (b) full fine-tuning is ``sigma^2 + rho^2 k`` (the context is ignored: no ICL at all);
* (c) value fine-tuning is ``sigma^2 + k/(d+4)^2`` (every task alike);
* (d) value fine-tuning with the few-shot loss, and the mixed loss ``tradeoff-value`` at
  n_ft -> oo for every lambda, is ``sigma^2 + (rho^2 - 2 rho cos(phi) + 1) k/(d+4)^2``, rising with
  phi on [0, pi].

So (d) beats (c) exactly when ``cos(phi) > rho/2``: for tasks of theta_0's norm, below pi/3;
(b) beats (c) only on tasks with ``rho < 1/(d+4)`` whatever the angle; (a) is never beaten.
"""
from __future__ import annotations

import sympy as sp

from symbolic import THETA, ratfun
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Param, Result, TestError, claim
from proofs.paper.results._beyond import K, PHI, RHO, at_rho_phi, error_at, tradeoff_spec
from proofs.paper.results._common import FEW_SHOT_LIMIT, PRETRAINED, SETTING, equality_line, same, show, sigma
from proofs.quantities.derivations import few_shot_limit, strategy

THETA_RHO_PHI = sp.MatrixSymbol("theta_rho_phi", DIM, 1)
PHI_D = Param("phi_d")
NAMES = ("pretrain", "full", "value", "value-fewshot", "tradeoff-value")


class Dissimilarity(Result):
    id = "dissimilarity"
    title = "beyond the paper: few-shot error on a task at angle phi from theta0, every strategy"
    title_latex = r"beyond the paper: few-shot error on a task at angle $\phi$ from $\theta_0$, every strategy"
    strategy = "pretrain"  # checked beside (a), (b): it needs every strategy
    assumption_pairs = (SETTING, PRETRAINED, FEW_SHOT_LIMIT,
                        ("the task theta has Sigma-norm rho |theta_0|_Sigma and Sigma-angle phi from theta_0; "
                         "(d) and Extension 1's V_lambda with n_ft -> oo",
                         r"the task $\theta$ has $\Sigma$-norm $\rho\,|\theta_0|_\Sigma$ and $\Sigma$-angle $\phi$ "
                         r"from $\theta_0$; (d) and the $V_\lambda$ of Extension 1 with $n_{\mathrm{ft}} \to \infty$"))
    label_text = "Extension 4"
    defined_in_claim = ("theta_rho_phi", "rho", "phi")
    definitions = (("phi_d", "phi_d is the angle at which (d)'s error equals (c)'s (rho^2 - 2 rho cos(phi) = 0): "
                    "on tasks farther from theta_0 than phi_d the auxiliary few-shot loss hurts",
                    r"$\phi_d$ is the angle at which the error of (d) equals that of (c) "
                    r"($\rho^2 - 2\rho\cos\phi = 0$): on tasks farther from $\theta_0$ than $\phi_d$ the "
                    r"auxiliary few-shot loss hurts"),)
    claim = ("On a task theta_rho_phi (Sigma-norm ratio rho, Sigma-angle phi from theta_0) the n -> oo errors are",
             r"On a task $\theta_{\rho,\phi}$ ($\Sigma$-norm ratio $\rho$, $\Sigma$-angle $\phi$ from $\theta_0$) the "
             r"$n \to \infty$ errors are")

    def _statement(self):
        k = K
        dlike = sigma ** 2 + (RHO ** 2 - 2 * RHO * sp.cos(PHI) + 1) * k / (DIM + 4) ** 2
        return (claim(TestError("pretrain", sp.oo, THETA_RHO_PHI), sigma ** 2),
                claim(TestError("full", sp.oo, THETA_RHO_PHI), sigma ** 2 + RHO ** 2 * k),
                claim(TestError("value", sp.oo, THETA_RHO_PHI), sigma ** 2 + k / (DIM + 4) ** 2),
                claim(TestError("value-fewshot", sp.oo, THETA_RHO_PHI), dlike),
                claim(TestError("tradeoff-value", sp.oo, THETA_RHO_PHI), dlike),
                claim(PHI_D, sp.acos(RHO / 2)))

    def _derive(self) -> Derivation:
        lhs = [e.lhs for e in self.statement]
        generic = {n: few_shot_limit(n, "theta") for n in NAMES[:4]}
        generic["tradeoff-value"] = error_at(strategy(tradeoff_spec(sp.oo), sp.oo), THETA, sp.oo)
        values = {lhs[i]: at_rho_phi(generic[n]) for i, n in enumerate(NAMES)}
        gap = sp.factor(values[lhs[3]] - values[lhs[2]])            # (d) - (c)
        crossing = _angles_where_zero(gap)
        values[lhs[5]] = min(crossing, key=lambda c: sp.N(c.subs(RHO, 1))) if crossing else sp.nan
        from symbolic.strategy import Step
        steps = [Step(f"{n}: n -> oo error on a generic theta", g) for n, g in generic.items()]
        steps.append(Step("theta^T Sigma theta = rho^2 k, theta^T Sigma theta_0 = rho cos(phi) k, "
                          "k = theta_0^T Sigma theta_0"))
        steps.append(Step("(d) - (c) at (rho, phi)", gap))
        return Derivation(values=values, steps=steps, extra={f"{n}: n -> oo error on a generic theta": g for n, g in generic.items()},
                          data={"gap": gap})

    def _checks(self, der: Derivation):
        lhs = [e.lhs for e in self.statement]
        for eq, n in zip(self.statement[:5], NAMES):
            yield equality_line(f"{n}: n -> oo error at (rho, phi)", der.values[eq.lhs], eq.rhs)
        dlike = der.values[lhs[3]]
        slope = sp.factor(sp.diff(dlike, PHI))
        yield Line("exact", f"(d): d/dphi = {show(slope)} >= 0 on [0, pi]: the degradation grows with the angle",
                   same(slope, 2 * RHO * sp.sin(PHI) * K / (DIM + 4) ** 2))
        gap = der.data["gap"]
        yield Line("exact", f"(d) - (c) = {show(gap)} is the difference of the stated errors, rho (rho - 2 cos(phi)) "
                   "k/(d+4)^2: negative iff cos(phi) > rho/2 (rho, k > 0)",
                   same(gap, self.statement[3].rhs - self.statement[2].rhs)
                   and same(gap * (DIM + 4) ** 2 / (RHO * K), RHO - 2 * sp.cos(PHI)))
        yield Line("exact", f"(d) - (c) = {show(der.data['gap'])}: negative iff cos(phi) > rho/2; the crossing angle "
                   f"is {show(der.values[lhs[5]])} (pi/3 at rho = 1)",
                   same(der.values[lhs[5]], self.statement[5].rhs) and der.values[lhs[5]].subs(RHO, 1) == sp.pi / 3)
        gap_b = ratfun.factored(der.values[lhs[1]] - der.values[lhs[2]])
        yield Line("exact", f"(b) - (c) = {show(gap_b)}: negative iff rho < 1/(d+4), whatever the angle",
                   same(gap_b, (RHO ** 2 - 1 / (DIM + 4) ** 2) * K))
        yield Line("exact", "(a) is sigma^2 on every task: never beaten", same(der.values[lhs[0]], sigma ** 2))


def _angles_where_zero(gap: sp.Expr) -> list:
    """The angles phi in [0, 2 pi) where the factored ``gap`` vanishes, as ``sympy.solve`` gives
    them, by the one step they need: each factor holding phi is linear in cos(phi), ``a cos(phi) +
    b``, so its zeros are phi = acos(c) and 2 pi - acos(c), c = -b/a (cancelled).  Anything else
    (phi outside cos, a higher power of cos(phi), phi in a denominator: its zeros are poles, not
    zeros) goes to ``sympy.solve``."""
    C = sp.Dummy("c")
    out: list = []
    for f in sp.Mul.make_args(gap):
        base, ex = f.as_base_exp()
        if not base.has(PHI):
            continue
        g = base.xreplace({sp.cos(PHI): C})
        if g.has(PHI) or not ex.is_positive:
            return sp.solve(sp.Eq(gap, 0), PHI)
        poly = sp.Poly(g, C)
        if poly.degree() != 1:
            return sp.solve(sp.Eq(gap, 0), PHI)
        c = sp.cancel(-poly.nth(0) / poly.nth(1))
        out += [a for a in (sp.acos(c), 2 * sp.pi - sp.acos(c)) if a not in out]
    return out


RESULT = Dissimilarity()
