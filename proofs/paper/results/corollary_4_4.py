r"""Corollary 4.4: full fine-tuning forgets in-context learning.

Statement (poster, table row (b)): :math:`\lim_{n\to\infty}\mathcal{E}(V_b, Q_b, n; \pm\theta_0)
= \sigma^2 + \theta_0^T \Sigma \theta_0` (the worst), for the representative of Theorem 4.3
(family F1, free entries at their pretrained values).  Derived for every task theta:
``sigma^2 + theta^T Sigma theta``, independent of the scale C: the prediction tends to 0.

What the convention decides: with v_y, Q_y0, q_yx left free the limit is a different formula
(printed below), and family F2 (which gradient descent from the pretrained point does not
reach) has yet another one.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symbolic import SCALE, THETA, THETA0, expected_error, tidy, to_sympy
from symbolic.strategy import Step

from proofs.paper.result import Derivation, Line, Result, TestError, claim, lazy
from proofs.paper.results._common import (FEW_SHOT_LIMIT, FREE_AT_PRETRAINED, PRETRAINED, SETTING, T0ST0, TST, equality_line, same, show, sigma)
from proofs.quantities.derivations import few_shot_limit, finite_n_error, strategy
from proofs.paper.results.theorem_4_3 import Q_Y0, V_Y, dropped_convention, family_2


@lru_cache(maxsize=None)
def family_2_limit() -> sp.Expr:
    """Few-shot limit on theta of F2 with the free entries at their pretrained values."""
    return tidy(to_sympy(expected_error(family_2(free=False), THETA, sp.oo)))


class Corollary44(Result):
    id = "corollary-4.4"
    title = "full fine-tuning: few-shot error on theta0 and -theta0"
    title_latex = r"full fine-tuning: few-shot error on $\theta_0$ and $-\theta_0$"
    strategy = "full"
    assumption_pairs = (SETTING, PRETRAINED, FREE_AT_PRETRAINED, FEW_SHOT_LIMIT)
    claim = ("The fully fine-tuned parameters of Theorem 4.3 (any scale C) have",
             r"The fully fine-tuned parameters of Theorem 4.3 (any scale $C$) have")

    def _statement(self):
        return (claim(TestError("full", sp.oo, THETA0), sigma ** 2 + T0ST0),
                claim(TestError("full", sp.oo, -THETA0), sigma ** 2 + T0ST0),
                claim(TestError("full", sp.oo, THETA), sigma ** 2 + TST))

    def _derive(self) -> Derivation:
        full = strategy("full")
        lhs = [s.lhs for s in self.statement]
        values = dict(zip(lhs, (few_shot_limit("full", t) for t in ("target", "opposite", "theta"))))
        steps = list(full.steps) + [Step("limit n -> oo on theta", values[lhs[2]])]
        return Derivation(values=values, steps=steps, extra={
            "n-shot error on theta": lazy(lambda: finite_n_error("full")),
            "few-shot limit on theta, v_y, Q_y0, q_yx free (convention dropped)": dropped_convention(),
            "few-shot limit on theta, family F2 (free entries at pretrained values)": family_2_limit()})

    def _checks(self, der: Derivation):
        lims = [der.values[s.lhs] for s in self.statement]
        yield Line("exact", "the limits do not depend on the scale C of family F1",
                   not any(SCALE in sp.sympify(e).free_symbols for e in lims))
        dropped = der.extra["few-shot limit on theta, v_y, Q_y0, q_yx free (convention dropped)"]
        yield Line("exact", f"convention dropped (v_y, Q_y0, q_yx free): limit on theta = {show(dropped)}; it "
                   "reduces to the statement at v_y = 1, Q_y0 = 0, q_yx = 0",
                   same(_drop_zero_vectors(dropped, {V_Y: 1, Q_Y0: 0}, {"q_yx"}), sigma ** 2 + TST))
        yield Line("note", "family F2 (not reached from the pretrained point), free entries at pretrained values: "
                   "limit on theta = " + show(der.extra["few-shot limit on theta, family F2 (free entries at "
                                                        "pretrained values)"]), None)
        for eq, what in zip(self.statement, ("theta_0", "-theta_0", "any theta")):
            yield equality_line(f"few-shot limit on {what}", der.values[eq.lhs], eq.rhs)


def _drop_zero_vectors(e: sp.Expr, scalars: dict, zero_vectors: set[str]) -> sp.Expr:
    """Substitute scalars, and set every bilinear form involving a named vector to 0."""
    from symbolic import Bilinear
    e = e.xreplace(scalars)
    reps = {b: 0 for b in e.atoms(Bilinear) if any(getattr(v, "name", None) in zero_vectors
                                                      for v in (b.left, b.right))}
    return sp.expand(e.xreplace(reps))


RESULT = Corollary44()
