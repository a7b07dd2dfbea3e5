r"""Beyond the paper: fine-tuning the query-key matrix Q only.

Strategy ``query-key``: minimise ``E(V_hat, Q, 0; theta_0)`` over every block of Q (V at its
pretrained value), derived by the general derivation.  ``query-key-fewshot``: Q's blocks
other than Q_xx on the n_ft-shot loss on theta_0 (Q_xx reaching a loss gives a matrix
equation outside the word algebra, see docs/specs.md).

Findings, as checked:

* At V_hat = (0, 0, 1) the zero-shot prediction ``(v^T q)(q^T Q q)`` is identically 0 (v_0 = 0,
  v_x = 0), whatever Q is: no block of Q reaches the zero-shot loss.  Every Q is a minimiser,
  the zero-shot error stays at the pretrained sigma^2 + theta_0^T Sigma theta_0 (no gain at all),
  gradient descent leaves Q_hat where it is, and in-context learning is untouched (sigma^2 in
  the limit on every task).
* The trained query-key points of the left-panel figure go off the scale because numeric
  pretraining leaves v_x small but not 0: from ``v_x = epsilon theta_0`` the zero-shot minimiser
  over Q_00 is ``Q_00 ~ 1/epsilon`` (checked: epsilon Q_00 -> 1 as epsilon -> 0), so Q grows
  without bound as the pretrained v_x is more exact, and the few-shot errors with it.
* Q alone on a few-shot loss (n_ft shots, n_ft symbolic, Q_xx fixed) moves only Q's last row q_yx,
  to ``-theta_0 / ((n_ft + 2) (sigma^2 + theta_0^T Sigma theta_0))``; the n -> oo error rises on
  theta_0 and on -theta_0 by the same amount, ``theta_0^T Sigma theta_0 / (n_ft + 2)^2`` (1/49 at
  n_ft = 5, the figure's): the label enters through q_yx squared, so Q-only fine-tuning cannot tell theta_0 from -theta_0, and it cannot improve the
  pretrained model's sigma^2 in the limit.
"""
from __future__ import annotations

import sympy as sp

from symbolic import ratfun
from symbolic.layout import LAYOUT, block
from symbolic import N_FT, THETA, THETA0
from symbolic.model import Blocks, vec
from symbolic.spec import make_spec
from symbolic.strategy import Step

from proofs.paper.result import Derivation, Line, Result, TestError, claim
from proofs.paper.results._beyond import (Q_ALL, Q_NO_QXX, error_at, first_order_line, on_task,
                                    query_key_fewshot_spec, query_key_spec, rational_limit_at)
from proofs.paper.results._common import PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma
from proofs.quantities.derivations import strategy

EPS = sp.Symbol("epsilon", positive=True)


def near_pretrained_q00():
    """Q_00 minimising the zero-shot loss from V's last row (0, epsilon theta_0, 1), Q_xx = Sigma^{-1}."""
    from symbolic.general import derive_spec
    pre = strategy("pretrain").blocks
    start = Blocks(vx=vec(THETA0, EPS), vy=sp.S.One, Qxx=pre.Qxx)
    s = derive_spec(make_spec(("Q00",), [(1, 0, "target")], start=start, name="query-key-near"))
    return ratfun.factored(s.blocks.Q00)   # (sympy.factor's expression, in QQ[gens])


class QueryKeyZeroShot(Result):
    id = "query-key-zero-shot"
    title = "beyond the paper: fine-tuning only the query-key matrix Q"
    label_text = "Extension 2"
    strategy = "pretrain"
    assumption_pairs = (SETTING, PRETRAINED)
    claim = ("Fine-tuning only Q on the zero-shot loss on theta_0, from V_hat, and only Q's blocks other than "
             "Q_xx on the n_ft-shot loss (any n_ft >= 1), give",
             r"Fine-tuning only $Q$ on the zero-shot loss on $\theta_0$, from $\hat{V}$, and only $Q$'s blocks other "
             r"than $Q_{xx}$ on the $n_{\mathrm{ft}}$-shot loss (any $n_{\mathrm{ft}} \geq 1$), give")

    def _statement(self):
        k = T0ST0
        lim = sigma ** 2 + k / (N_FT + 2) ** 2
        return (claim(TestError("query-key", 0, THETA0), sigma ** 2 + k),
                claim(TestError("query-key", sp.oo, THETA0), sigma ** 2),
                claim(TestError("query-key", sp.oo, -THETA0), sigma ** 2),
                claim(TestError("query-key-fewshot", sp.oo, THETA0), lim),
                claim(TestError("query-key-fewshot", sp.oo, -THETA0), lim))

    def _derive(self) -> Derivation:
        qk = strategy(query_key_spec(), sp.oo)
        fs = strategy(query_key_fewshot_spec(N_FT), sp.oo)
        lhs = [e.lhs for e in self.statement]
        values = {lhs[0]: error_at(qk, THETA0, 0), lhs[1]: error_at(qk, THETA0, sp.oo),
                  lhs[2]: error_at(qk, -THETA0, sp.oo), lhs[3]: error_at(fs, THETA0, sp.oo),
                  lhs[4]: error_at(fs, -THETA0, sp.oo)}
        q00 = near_pretrained_q00()
        return Derivation(values=values,
                          steps=list(qk.steps) + [Step("Q's blocks but Q_xx on the n_ft-shot loss")]
                          + list(fs.steps),
                          extra={"Q_00 minimising the zero-shot loss from v_x = epsilon theta_0": q00,
                                 "q_yx after the n_ft-shot loss": fs.parameters()["qyx"]},
                          data={"qk": qk, "fs": fs})

    def _checks(self, der: Derivation):
        qk, fs = der.data["qk"], der.data["fs"]
        pre = strategy("pretrain")
        free_q = [f for f in qk.free if f.split(" ")[0] in [b.symbol for b in LAYOUT if b.matrix == "Q"]]
        yield Line("exact", "no block of Q reaches the zero-shot loss at V_hat (v_0 = v_x = 0: the zero-shot "
                   f"prediction is 0): all {len(Q_ALL)} blocks are free and keep their pretrained values",
                   len(free_q) == len(Q_ALL) and qk.blocks == pre.blocks)
        yield first_order_line("E(V_hat, Q, 0; theta_0)", qk.blocks, query_key_spec().loss, Q_ALL)
        yield first_order_line("E(V_hat, Q, n_ft; theta_0)", fs.blocks, query_key_fewshot_spec(N_FT).loss,
                               Q_NO_QXX)
        for name, st, rows in (("query-key", qk, (1, 2)), ("Q-only few-shot", fs, (3, 4))):
            generic = error_at(st, THETA, sp.oo)
            yield Line("exact", f"{name}: the n -> oo error on a generic theta, {show(generic)}, at theta = theta_0 and "
                       "theta = -theta_0 gives the derived values (another route than deriving on each task)",
                       same(on_task(generic, 1), der.values[self.statement[rows[0]].lhs])
                       and same(on_task(generic, -1), der.values[self.statement[rows[1]].lhs]))
        for eq, what in zip(self.statement, ("zero-shot error (the pretrained one)", "n -> oo on theta_0",
                                             "n -> oo on -theta_0", "Q-only n_ft-shot: n -> oo on theta_0",
                                             "Q-only n_ft-shot: n -> oo on -theta_0")):
            yield equality_line(what, der.values[eq.lhs], eq.rhs)
        moved = [k2 for k2, v in fs.parameters().items() if block(k2).matrix == "Q" and k2 != "Qxx"
                 and v != 0 and not getattr(v, "is_ZeroMatrix", False)]
        yield Line("exact", f"Q-only on the n_ft-shot loss moves only {', '.join(block(k).symbol for k in moved)} = "
                   f"{show(fs.parameters()['qyx'])}; theta_0 and -theta_0 are hurt equally",
                   moved == ["qyx"] and same(der.values[self.statement[3].lhs], der.values[self.statement[4].lhs]))
        q00 = der.extra["Q_00 minimising the zero-shot loss from v_x = epsilon theta_0"]
        start = strategy("pretrain").blocks.with_(vx=vec(THETA0, EPS), Q00=q00)
        yield first_order_line("E(V, Q, 0; theta_0) over Q_00 from the pretrained parameters with v_x = epsilon "
                               "theta_0", start, query_key_spec().loss, ("Q00",))
        yield Line("exact", f"off-scale points: from v_x = epsilon theta_0 the zero-shot minimiser is Q_00 = {show(q00)}; "
                   "epsilon Q_00 -> 1 as epsilon -> 0, so Q_00 grows like 1/epsilon",
                   rational_limit_at(EPS * q00, EPS, 0) == 1)


RESULT = QueryKeyZeroShot()
