r"""Beyond the paper: fine-tuning the query-key matrix Q, Q_xx included, on a few-shot loss.

Strategies (V at its pretrained value V_hat, every other block at its pretrained value, derived
by the general derivation at symbolic d and Sigma; Q_xx by the structured solution of
:mod:`symbolic.matrix_unknown`, checked exactly against the full matrix equation):

* ``query-all-fewshot``: every block of Q that reaches the output (Q_00, Q_0x, Q_x0, Q_xx,
  Q_y0, Q_yx) on the n_ft-shot loss on theta_0, n_ft = 5;
* ``query-xx-fewshot``: Q_xx alone on the same loss.

Findings, as checked (s = theta_0^T Sigma theta_0):

* The zero-shot error stays sigma^2 + s, the pretrained model's: at V_hat the zero-shot
  prediction is 0 whatever Q is.
* With every block free, the 5-shot loss sets Q_xx to 0 (the pretrained Sigma^{-1} is dropped)
  and Q_yx^T to 6 theta_0 / (7 (sigma^2 + s)): the prediction becomes (1/(n+1)) sum_i y_i^2
  Q_yx^T x, even in the labels, an estimate of (6/7) theta_0^T x whatever the task.  In the
  limit n -> oo the error on theta_0 is sigma^2 + s/49 (below (c)'s sigma^2 + s/(d+4)^2 for
  d < 3, equal at d = 3, above for d > 3; above (d)'s sigma^2), and on -theta_0 it is
  sigma^2 + 169 s/49: worse than every strategy of the paper, full fine-tuning's sigma^2 + s
  included.
* Q_xx alone becomes 6 theta_0 theta_0^T / (sigma^2 + 7 s): the prediction stays odd in the
  labels, so theta_0 and -theta_0 have equal errors at every n; the limit is
  sigma^2 + s (sigma^2 + s)^2 / (sigma^2 + 7 s)^2, above the pretrained sigma^2 on both tasks.
"""
from __future__ import annotations

import sympy as sp

from symbolic.layout import block
from symbolic import THETA0
from symbolic.spec import make_spec
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import PARAMS, Derivation, Line, Result, TestError
from proofs.paper.results._beyond import N_FT_EXAMPLE, Q_ALL, error_at
from proofs.paper.results._common import PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma
from proofs.quantities.derivations import strategy

PARAMS.update({
    "query-all-fewshot": ("V_hat, Q_all,fs", r"\hat{V}, Q_{\mathrm{all,fs}}"),
    "query-xx-fewshot": ("V_hat, Q_xx,fs", r"\hat{V}, Q_{xx,\mathrm{fs}}"),
})


def query_all_fewshot_spec(n_ft: int = N_FT_EXAMPLE):
    return make_spec(Q_ALL, [(1, n_ft, "target")], name="query-all-fewshot")


def query_xx_fewshot_spec(n_ft: int = N_FT_EXAMPLE):
    return make_spec(("Qxx",), [(1, n_ft, "target")], name="query-xx-fewshot")


class QueryKeyFewShot(Result):
    id = "query-key-few-shot"
    title = "beyond the paper: fine-tuning Q, Q_xx included, on a few-shot loss"
    label_text = "Proposition B.7"
    strategy = "pretrain"
    assumption_pairs = (SETTING, PRETRAINED)
    claim = (f"Fine-tuning all of Q's blocks, or Q_xx alone, from V_hat on the {N_FT_EXAMPLE}-shot loss on "
             "theta_0 gives",
             rf"Fine-tuning all of $Q$'s blocks, or $Q_{{xx}}$ alone, from $\hat{{V}}$ on the {N_FT_EXAMPLE}-shot "
             r"loss on $\theta_0$ gives")

    def _statement(self):
        k, s2, n = T0ST0, sigma ** 2, N_FT_EXAMPLE
        xx_n = s2 + k * (s2 + 2 * k) / (s2 + 7 * k)
        xx_lim = s2 + k * (s2 + k) ** 2 / (s2 + 7 * k) ** 2
        return (sp.Eq(TestError("query-all-fewshot", 0, THETA0), s2 + k),
                sp.Eq(TestError("query-all-fewshot", n, THETA0), s2 + 2 * k / 7),
                sp.Eq(TestError("query-all-fewshot", n, -THETA0), s2 + 22 * k / 7),
                sp.Eq(TestError("query-all-fewshot", sp.oo, THETA0), s2 + k / 49),
                sp.Eq(TestError("query-all-fewshot", sp.oo, -THETA0), s2 + 169 * k / 49),
                sp.Eq(TestError("query-xx-fewshot", 0, THETA0), s2 + k),
                sp.Eq(TestError("query-xx-fewshot", n, THETA0), xx_n),
                sp.Eq(TestError("query-xx-fewshot", n, -THETA0), xx_n),
                sp.Eq(TestError("query-xx-fewshot", sp.oo, THETA0), xx_lim),
                sp.Eq(TestError("query-xx-fewshot", sp.oo, -THETA0), xx_lim))

    def _derive(self) -> Derivation:
        al = strategy(query_all_fewshot_spec(), sp.oo)
        xx = strategy(query_xx_fewshot_spec(), sp.oo)
        values = {}
        for eq in self.statement:
            name, n, task = eq.lhs.args
            values[eq.lhs] = error_at(al if str(name) == "query-all-fewshot" else xx, task, n)
        return Derivation(values=values,
                          steps=list(al.steps) + [Step(f"Q_xx alone on the {N_FT_EXAMPLE}-shot loss")] + list(xx.steps),
                          extra={"Q_xx (all blocks trained)": al.parameters()["Qxx"],
                                 "q_yx (all blocks trained)": al.parameters()["qyx"],
                                 "Q_xx (Q_xx alone)": xx.parameters()["Qxx"]},
                          data={"al": al, "xx": xx})

    def _checks(self, der: Derivation):
        al = der.data["al"]
        k, s2 = T0ST0, sigma ** 2
        p = al.parameters()
        moved = [name for name, v in p.items() if block(name).matrix == "Q" and v != 0
                 and not getattr(v, "is_ZeroMatrix", False)]
        yield Line("exact", f"all of Q on the {N_FT_EXAMPLE}-shot loss: Q_xx = {show(p['Qxx'])} (the pretrained "
                   f"Sigma^(-1) dropped) and only {', '.join(block(k).symbol for k in moved)} = {show(p['qyx'])} "
                   "moves", moved == ["qyx"] and (p["Qxx"] == 0 or getattr(p["Qxx"], "is_ZeroMatrix", False)))
        for eq in self.statement:
            name, n, task = eq.lhs.args
            what = (f"{name}: " + ("zero-shot" if n == 0 else "n -> oo" if n == sp.oo else f"{n}-shot")
                    + (" on theta_0" if task == THETA0 else " on -theta_0"))
            yield equality_line(what, der.values[eq.lhs], eq.rhs)
        # against the paper's strategies, in the limit n -> oo
        c_t = error_at(strategy("value"), THETA0, sp.oo)
        d_t = error_at(strategy("value-fewshot"), THETA0, sp.oo)
        b_o = error_at(strategy("full"), -THETA0, sp.oo)
        lim_t = der.values[self.statement[3].lhs]
        lim_o = der.values[self.statement[4].lhs]
        gap_c = sp.factor(lim_t - c_t)
        at = [sp.sympify(gap_c).xreplace({DIM: j, k: 1}) for j in (1, 2, 3, 4, 10)]
        yield Line("exact", f"all of Q, n -> oo on theta_0, minus (c)'s: {show(gap_c)}: negative at d = 1, 2, "
                   "zero at d = 3, positive above; minus (d)'s: s/49 > 0",
                   at[0] < 0 and at[1] < 0 and at[2] == 0 and at[3] > 0 and at[4] > 0
                   and same(sp.factor(lim_t - d_t), k / 49))
        yield Line("exact", f"all of Q, n -> oo on -theta_0, minus full fine-tuning's (b): {show(sp.factor(lim_o - b_o))} "
                   "> 0: worse than every strategy of the paper", same(sp.factor(lim_o - b_o), 120 * k / 49))
        xx_gap = sp.factor(der.values[self.statement[8].lhs] - s2)
        positive = sp.factor(xx_gap.xreplace({k: sp.Symbol("s", positive=True), sigma: sp.Symbol("q", positive=True)}))
        yield Line("exact", f"Q_xx alone: theta_0 and -theta_0 have equal errors; n -> oo minus the pretrained sigma^2: "
                   f"{show(xx_gap)} > 0", same(der.values[self.statement[8].lhs], der.values[self.statement[9].lhs])
                   and same(der.values[self.statement[6].lhs], der.values[self.statement[7].lhs])
                   and positive.is_positive is True)


RESULT = QueryKeyFewShot()
