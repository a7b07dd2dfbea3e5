r"""Beyond the paper: value-matrix fine-tuning on a family of tasks around theta_0.

Strategy ``task-family``: strategy (d) with the task theta_0 replaced by the family
``theta ~ N(theta_0, tau^2 I)``: V's last row on the family's zero-shot loss, then, inside its
minimisers, on the family's n -> oo loss (a spec of the general derivation).

Findings, as checked: with ``s = tau^2 tr(Sigma)`` and ``k = theta_0^T Sigma theta_0``,
``v_x = theta_0/(d+4)`` as in (c), (d), and

    v_y = ((d+3) k + (d+4) s) / ((d+4)(k + s)),

which moves from (d)'s (d+3)/(d+4) at tau -> 0 to the pretrained (and (c)'s) 1 as tau -> oo.
The zero-shot error on theta_0 is (c)'s for every tau; the n -> oo error on theta_0 rises from
sigma^2 to (c)'s ``sigma^2 + k/(d+4)^2`` and the one on -theta_0 falls from (d)'s
``sigma^2 + 4k/(d+4)^2`` to the same value, monotonically in tau: a broad family of tasks in the
auxiliary loss interpolates between (d) (in-domain ICL) and (c) (general ICL).
"""
from __future__ import annotations

import sympy as sp

from symbolic import SIGMA, THETA0, ratfun
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Param, Result, TestError, claim
from proofs.paper.results._beyond import (TAU, V_ROW, error_at, family_spec, first_order_line, rational_derivative,
                                           rational_limits)
from proofs.paper.results._common import PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma
from proofs.quantities.derivations import few_shot_limit, strategy, zero_shot

V_Y_TAU = Param("v_y^tau")


class TaskFamily(Result):
    id = "task-family"
    title = "beyond the paper: value fine-tuning with a few-shot loss on a family of tasks N(theta0, tau^2 I)"
    title_latex = (r"beyond the paper: value fine-tuning with a few-shot loss on a family of tasks "
                   r"$\mathcal{N}(\theta_0, \tau^2 I)$")
    strategy = "value-fewshot"
    assumption_pairs = (SETTING, PRETRAINED,
                        ("the family's auxiliary few-shot loss has n_ft -> oo shots",
                         r"the family's auxiliary few-shot loss has $n_{\mathrm{ft}} \to \infty$ shots"))
    label_text = "Extension 3"
    defined_in_claim = ("tau",)
    definitions = (("v_y^tau", "v_y^tau is the last entry of the last row of the minimiser V_tau",
                    r"$v_y^\tau$ is the last entry of the last row of the minimiser $V_\tau$"),)
    claim = ("Strategy (d) with theta_0 replaced by tasks theta ~ N(theta_0, tau^2 I) in both losses gives "
             "v_x = theta_0/(d+4) and",
             r"Strategy (d) with $\theta_0$ replaced by tasks $\theta \sim \mathcal{N}(\theta_0, \tau^2 I)$ in both "
             r"losses gives $v_x = \theta_0/(d+4)$ and")

    def _statement(self):
        k, s = T0ST0, TAU ** 2 * sp.Trace(SIGMA)
        return (claim(V_Y_TAU, ((DIM + 3) * k + (DIM + 4) * s) / ((DIM + 4) * (k + s))),
                claim(TestError("task-family", 0, THETA0), sigma ** 2 + 2 * k / (DIM + 4)),
                claim(TestError("task-family", sp.oo, THETA0),
                      sigma ** 2 + k * s ** 2 / ((DIM + 4) ** 2 * (k + s) ** 2)),
                claim(TestError("task-family", sp.oo, -THETA0),
                      sigma ** 2 + k * (2 * k + s) ** 2 / ((DIM + 4) ** 2 * (k + s) ** 2)))

    def _derive(self) -> Derivation:
        s = strategy(family_spec(), sp.oo)
        lhs = [e.lhs for e in self.statement]
        values = {lhs[0]: s.blocks.vy, lhs[1]: error_at(s, THETA0, 0), lhs[2]: error_at(s, THETA0, sp.oo),
                  lhs[3]: error_at(s, -THETA0, sp.oo)}
        return Derivation(values=values, steps=list(s.steps) + [Step("zero-shot error on theta_0", values[lhs[1]])],
                          data={"strategy": s})

    def _checks(self, der: Derivation):
        s = der.data["strategy"]
        lhs = [e.lhs for e in self.statement]
        yield Line("exact", "v_0 = 0 and v_x = theta_0/(d+4): the zero-shot minimiser of (c), unchanged by the family",
                   same(s.blocks.v0, 0) and same(s.blocks.vx[0][0], 1 / (DIM + 4))
                   and s.blocks.vx[0][2] == THETA0 and s.blocks.vx[0][1] == ())
        spec = family_spec()
        yield first_order_line("the family's zero-shot loss E_theta E(V, Q_hat, 0; theta)", s.blocks, spec.loss, V_ROW)
        yield first_order_line("the family's n -> oo loss (second stage, inside the zero-shot minimisers: v_y "
                               "the block they leave free)", s.blocks, spec.then, ("vy",))
        for eq, what in zip(self.statement, ("v_y", "zero-shot error on theta_0", "n -> oo error on theta_0",
                                             "n -> oo error on -theta_0")):
            yield equality_line(what, der.values[eq.lhs], eq.rhs)
        t = sp.Symbol("t", positive=True)   # t = tau^2
        d_vals = [strategy("value-fewshot").blocks.vy, zero_shot("value-fewshot"),
                  few_shot_limit("value-fewshot", "target"), few_shot_limit("value-fewshot", "opposite")]
        c_vals = [sp.S.One, zero_shot("value"), few_shot_limit("value", "target"), few_shot_limit("value", "opposite")]
        # (the limits compared by same, exactly: left unfactored)
        # (both ends of each value from one reading of its fraction in t)
        at0, atoo = zip(*(rational_limits(der.values[l].xreplace({TAU: sp.sqrt(t)}), t) for l in lhs))
        yield Line("exact", "tau -> 0 gives strategy (d): v_y, zero-shot and both n -> oo errors (exact limits)",
                   all(same(a, b) for a, b in zip(at0, d_vals)))
        yield Line("exact", "tau -> oo gives strategy (c): v_y -> 1 and (c)'s errors on theta_0 and -theta_0",
                   all(same(a, b) for a, b in zip(atoo, c_vals)))
        # (ratfun.factored: sympy.factor's expression, in polynomial rings)
        # (the derivative by the quotient rule in QQ[gens], rational_derivative: the same rational function
        # as sympy.diff's, so the same factored expression)
        slopes = [ratfun.factored(rational_derivative(self.statement[i].rhs.xreplace({TAU: sp.sqrt(t)}), t))
                  for i in (2, 3)]
        yield Line("exact", f"d/d(tau^2) of the n -> oo errors: on theta_0 {show(slopes[0])} > 0, on -theta_0 "
                   f"{show(slopes[1])} < 0: monotone between (d) and (c)",
                   _sign(slopes[0]) == 1 and _sign(slopes[1]) == -1)


def _sign(e: sp.Expr) -> int | None:
    """The sign of a product of powers of manifestly positive factors (sums of positive terms)."""
    from symbolic import Bilinear
    k = sp.Symbol("k", positive=True)
    trs = sp.Symbol("trS", positive=True)
    e = e.xreplace({b: k for b in sp.sympify(e).atoms(Bilinear)}).xreplace({sp.Trace(SIGMA): trs})
    e = e.xreplace({DIM: sp.Symbol("dd", positive=True)})
    return 1 if e.is_positive else -1 if e.is_negative else None


RESULT = TaskFamily()
