r"""Proposition 4.10: the auxiliary few-shot loss hurts tasks unlike the target.

Statement (poster, table row (d)): :math:`\lim_{n\to\infty}\mathcal{E}(V_d, \hat Q, n; -\theta_0)
= \sigma^2 + \frac{4}{(d+4)^2}\theta_0^T\Sigma\theta_0`; the poster's "degradation growing as
task dissimilarity increases" is, derived for any task theta,

    lim_n E(V_d, Q_hat, n; theta) = sigma^2 + (theta - theta_0)^T Sigma (theta - theta_0) / (d+4)^2,

so for Sigma = I and |theta| = |theta_0| = r at angle phi from theta_0 it is
``sigma^2 + 4 r^2 sin^2(phi/2) / (d+4)^2``, increasing in phi on [0, pi].  Against strategy (c),
whose limit is ``sigma^2 + theta_0^T Sigma theta_0/(d+4)^2`` on every task, (d) is better exactly
when ``(theta - theta_0)^T Sigma (theta - theta_0) < theta_0^T Sigma theta_0``: for Sigma = I and
equal norms, when the angle is below pi/3.
"""
from __future__ import annotations

import sympy as sp

from symbolic import SIGMA, THETA, THETA0, Bilinear, ratfun
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Result, TestError, claim
from proofs.paper.results._common import (FEW_SHOT_LIMIT, PRETRAINED, SETTING, T0ST0, TST, Quadratic, angle_is_zero,
                                          equality_line, same, show, sigma)
from proofs.quantities.derivations import few_shot_limit, strategy

R_NORM = sp.Symbol("r", positive=True)
PHI = sp.Symbol("phi", real=True)
THETA_PHI = sp.MatrixSymbol("theta_phi", DIM, 1)


def at_angle(e: sp.Expr, r: sp.Expr = R_NORM, phi: sp.Expr = PHI) -> sp.Expr:
    """Sigma = I, |theta| = |theta_0| = r, angle phi: theta^T theta = theta_0^T theta_0 = r^2,
    theta^T theta_0 = r^2 cos(phi)."""
    reps = {}
    for b in e.atoms(Bilinear):
        if b.middle != SIGMA:
            raise ValueError(f"unexpected bilinear form {b}")
        pair = {b.left, b.right}
        reps[b] = r ** 2 * sp.cos(phi) if pair == {THETA, THETA0} else r ** 2
    return e.xreplace(reps)



def crossover_angles(e: sp.Expr, phi: sp.Symbol) -> list[sp.Expr]:
    """The angles ``phi`` in [0, 2 pi) where ``e = 0``, for ``e`` a rational function of
    ``cos(phi)`` (and of other symbols, nonzero denominator): the roots ``c`` in [-1, 1] of its
    numerator as a polynomial in ``c = cos(phi)`` (each a number), each giving ``acos(c)`` and
    ``2 pi - acos(c)``, in increasing order: what ``sympy.solve(Eq(e, 0), phi)`` returns here
    (e.g. ``[pi/3, 5 pi/3]`` for ``1 - 2 cos(phi)``), without its trigonometric solver (most of
    this result's cost); ``sympy.solve`` where ``e`` is not of that form."""
    c = sp.Dummy("c")
    g = sp.sympify(e).xreplace({sp.cos(phi): c})
    if phi not in g.free_symbols:
        num, den = sp.fraction(sp.together(g))
        if c not in den.free_symbols and c in num.free_symbols:
            found = sp.roots(sp.Poly(num, c))
            if found and sum(found.values()) == sp.Poly(num, c).degree() and all(
                    r.is_number and r.is_real for r in found):
                angles = {a for r in found if -1 <= r <= 1 for a in (sp.acos(r), 2 * sp.pi - sp.acos(r))}
                return sorted(angles, key=lambda a: float(a))
    return sp.solve(sp.Eq(e, 0), phi)


class Proposition410(Result):
    id = "proposition-4.10"
    title = "value-matrix fine-tuning with a few-shot loss: few-shot error on -theta0 and on any task"
    title_latex = (r"value-matrix fine-tuning with a few-shot loss: few-shot error on $-\theta_0$ and on any task")
    strategy = "value-fewshot"
    assumption_pairs = (SETTING, PRETRAINED, FEW_SHOT_LIMIT,
                        ("the auxiliary few-shot loss has n_ft -> oo shots",
                         r"the auxiliary few-shot loss has $n_{\mathrm{ft}} \to \infty$ shots"))
    defined_in_claim = ("theta_phi", "r", "phi")
    claim = ("The parameters of Theorem 4.9 have, on -theta_0, on any theta, and (Sigma = I) on a theta_phi with "
             "|theta_phi| = |theta_0| = r at angle phi from theta_0,",
             r"The parameters of Theorem 4.9 have, on $-\theta_0$, on any $\theta$, and ($\Sigma = I$) on a "
             r"$\theta_\phi$ with $|\theta_\phi| = |\theta_0| = r$ at angle $\phi$ from $\theta_0$,")

    def _statement(self):
        u = THETA - THETA0
        return (claim(TestError("value-fewshot", sp.oo, -THETA0), sigma ** 2 + 4 * T0ST0 / (DIM + 4) ** 2),
                claim(TestError("value-fewshot", sp.oo, THETA), sigma ** 2 + Quadratic(u, SIGMA, u) / (DIM + 4) ** 2),
                claim(TestError("value-fewshot", sp.oo, THETA_PHI),
                      sigma ** 2 + 4 * R_NORM ** 2 * sp.sin(PHI / 2) ** 2 / (DIM + 4) ** 2))

    def _derive(self) -> Derivation:
        lhs = [e.lhs for e in self.statement]
        generic = few_shot_limit("value-fewshot", "theta")
        values = {lhs[0]: few_shot_limit("value-fewshot", "opposite"), lhs[1]: generic,
                  lhs[2]: at_angle(generic)}
        rho = sp.Symbol("rho", positive=True)
        return Derivation(values=values, steps=list(strategy("value-fewshot").steps),
                          extra={"Sigma = I, |theta| = rho, |theta_0| = r, angle phi":
                                 sp.expand(generic.xreplace({TST: rho ** 2, T0ST0: R_NORM ** 2,
                                                             Bilinear(THETA, SIGMA, THETA0): rho * R_NORM * sp.cos(PHI),
                                                             Bilinear(THETA0, SIGMA, THETA): rho * R_NORM * sp.cos(PHI)}))})

    def _checks(self, der: Derivation):
        lhs = [e.lhs for e in self.statement]
        yield equality_line("few-shot limit on -theta_0", der.values[lhs[0]], self.statement[0].rhs)
        yield equality_line("few-shot limit on any theta", der.values[lhs[1]], self.statement[1].rhs)
        ang, want = der.values[lhs[2]], self.statement[2].rhs
        yield Line("exact", f"Sigma = I, |theta| = |theta_0| = r, angle phi: derived {show(ang)} == stated {show(want)}",
                   angle_is_zero(ang - want, PHI))
        slope = sp.trigsimp(sp.diff(want, PHI))   # (what simplify gives here, a tenth of the cost)
        yield Line("exact", f"d/dphi = {show(slope)} >= 0 on [0, pi] (zero only at 0 and pi): the degradation grows "
                   "with the angle, from sigma^2 at phi = 0 to the -theta_0 value at phi = pi",
                   angle_is_zero(slope - 2 * R_NORM ** 2 * sp.sin(PHI) / (DIM + 4) ** 2, PHI)
                   and same(want.subs(PHI, sp.pi), self.statement[0].rhs.xreplace({T0ST0: R_NORM ** 2}))
                   and same(want.subs(PHI, 0), sigma ** 2))
        c_lim = few_shot_limit("value", "theta")
        diff = ratfun.factored(der.values[lhs[1]] - c_lim)
        cross = crossover_angles(at_angle(diff), PHI)
        yield Line("exact", f"against strategy (c) (limit {show(c_lim)} on every theta): (d) - (c) = {show(diff)}, "
                   "negative iff (theta - theta_0)^T Sigma (theta - theta_0) < theta_0^T Sigma theta_0; for Sigma = I and "
                   f"equal norms the crossover angles are {show(cross)}: (d) is better below pi/3, worse above",
                   same(diff * (DIM + 4) ** 2, Bilinear(THETA - THETA0, SIGMA, THETA - THETA0) - T0ST0)
                   and sp.pi / 3 in cross)
        yield Line("note", "Sigma = I, |theta| = rho, |theta_0| = r, angle phi: "
                   + show(der.extra["Sigma = I, |theta| = rho, |theta_0| = r, angle phi"]), None)


RESULT = Proposition410()
