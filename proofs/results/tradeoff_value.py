r"""Beyond the paper: value-matrix fine-tuning on the mixed loss (the zero-shot / few-shot trade-off).

Strategy ``tradeoff-value``: minimise ``E(V, Q_hat, 0; theta_0) + lambda E(V, Q_hat, n_ft; theta_0)``
over V's last row, lambda > 0 symbolic, derived by the general derivation (a spec).

Findings, as checked:

* ``n_ft -> oo``: the minimiser does not depend on lambda and is strategy (d): every lambda > 0
  gives ``v_x = theta_0/(d+4)``, ``v_y = (d+3)/(d+4)``.  There is no trade-off: the limit loss
  on theta_0 reaches its minimum sigma^2 on the whole set of zero-shot minimisers' v_y-line, so
  both losses are minimised at once.  The limits lambda -> 0+ and lambda -> oo are (d) too.
* finite ``n_ft`` (checked at ``n_ft = 5``): a genuine trade-off.  lambda -> 0+ gives (d) at that
  n_ft, lambda -> oo the few-shot loss alone (its minimiser is unique).  As lambda grows the
  zero-shot error on theta_0 rises and the n_ft-shot error on theta_0 falls, monotonically
  (the exchange argument: for lambda_1 < lambda_2 and minimisers v_1, v_2 of f + lambda g,
  ``(lambda_2 - lambda_1)(g(v_2) - g(v_1)) <= 0`` and ``f(v_1) <= f(v_2)``); at the poster's
  setting the n -> oo errors on theta_0 AND on -theta_0 both rise with lambda: the few-shot loss
  at 5 shots trades the limit away.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symbolic import THETA0
from symbolic.evaluate import evaluate
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.result import Derivation, Line, Param, Result, TestError, lazy
from proofs.results._beyond import (LAMBDA, N_FT_EXAMPLE, V_ROW, error_at, fewshot_only_spec, first_order_line,
                                    poster_env, sign_on_positive_axis, tradeoff_spec)
from proofs.results._common import (PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma, strategy)

V_Y_LAMBDA = Param("v_y^lambda")


@lru_cache(maxsize=None)
def finite(n_ft: int = N_FT_EXAMPLE):
    """The trade-off at a finite n_ft, lambda symbolic: the derived strategy."""
    return strategy(tradeoff_spec(n_ft), sp.oo)


def _blocks_equal(a, b) -> bool:
    return (same(a.v0, b.v0) and same(a.vy, b.vy) and len(a.vx) == len(b.vx) == 1
            and a.vx[0][1:] == b.vx[0][1:] and same(a.vx[0][0], b.vx[0][0]))


def _limit_blocks(s, at: str):
    """v(lambda) as lambda -> 0+ or lambda -> oo (every coefficient is rational in lambda)."""
    def lim(e):
        e = sp.cancel(sp.together(sp.sympify(e)))
        return sp.limit(e, LAMBDA, 0 if at == "0" else sp.oo)
    b = s.blocks
    return b.with_(v0=lim(b.v0), vy=lim(b.vy), vx=tuple((lim(c), w, a) for c, w, a in b.vx))


class TradeoffValue(Result):
    id = "tradeoff-value"
    title = "beyond the paper: value fine-tuning on the mixed loss E(0) + lambda E(n_ft)"
    title_latex = (r"beyond the paper: value fine-tuning on the mixed loss "
                   r"$\mathcal{E}(0) + \lambda\,\mathcal{E}(n_{\mathrm{ft}})$")
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED,
                        ("the auxiliary few-shot loss has n_ft -> oo shots; lambda > 0",
                         r"the auxiliary few-shot loss has $n_{\mathrm{ft}} \to \infty$ shots; $\lambda > 0$"))
    claim = ("Minimising E(V, Q_hat, 0; theta_0) + lambda E(V, Q_hat, n_ft; theta_0) over V's last row gives, "
             "for every lambda > 0,",
             r"Minimising $\mathcal{E}(V, \hat{Q}, 0; \theta_0) + \lambda\,\mathcal{E}(V, \hat{Q}, n_{\mathrm{ft}}; "
             r"\theta_0)$ over $V$'s last row gives, for every $\lambda > 0$,")

    def _statement(self):
        k = T0ST0
        return (sp.Eq(V_Y_LAMBDA, (DIM + 3) / (DIM + 4)),
                sp.Eq(TestError("tradeoff-value", 0, THETA0), sigma ** 2 + 2 * k / (DIM + 4)),
                sp.Eq(TestError("tradeoff-value", sp.oo, THETA0), sigma ** 2),
                sp.Eq(TestError("tradeoff-value", sp.oo, -THETA0), sigma ** 2 + 4 * k / (DIM + 4) ** 2))

    def _derive(self) -> Derivation:
        s = strategy(tradeoff_spec(sp.oo), sp.oo)
        lhs = [e.lhs for e in self.statement]
        values = {lhs[0]: s.blocks.vy, lhs[1]: error_at(s, THETA0, 0),
                  lhs[2]: error_at(s, THETA0, sp.oo), lhs[3]: error_at(s, -THETA0, sp.oo)}
        f = finite()
        return Derivation(values=values, steps=list(s.steps) + [Step("zero-shot error", values[lhs[1]])],
                          extra={f"v_y(lambda) at n_ft = {N_FT_EXAMPLE}": f.blocks.vy,
                                 f"v_x(lambda) at n_ft = {N_FT_EXAMPLE}": f.vx,
                                 f"zero-shot error on theta_0 at n_ft = {N_FT_EXAMPLE}":
                                     lazy(lambda: error_at(finite(), THETA0, 0)),
                                 f"n -> oo error on theta_0 at n_ft = {N_FT_EXAMPLE}":
                                     lazy(lambda: error_at(finite(), THETA0, sp.oo)),
                                 f"n -> oo error on -theta_0 at n_ft = {N_FT_EXAMPLE}":
                                     lazy(lambda: error_at(finite(), -THETA0, sp.oo))},
                          data={"strategy": s})

    def _checks(self, der: Derivation):
        s = der.data["strategy"]
        d_ = strategy("value-fewshot")
        yield Line("exact", "n_ft -> oo: the derived minimiser has no lambda in it and equals strategy (d)'s "
                   "(v_0, v_x, v_y): no trade-off, every lambda > 0 gives (d)",
                   not any(LAMBDA in sp.sympify(x).free_symbols for x in (s.blocks.v0, s.blocks.vy, s.vx))
                   and _blocks_equal(s.blocks, d_.blocks))
        yield first_order_line("E(V, Q_hat, 0; theta_0) + lambda E(V, Q_hat, oo; theta_0)", s.blocks,
                               tradeoff_spec(sp.oo).loss, V_ROW)
        for eq, what in zip(self.statement, ("v_y", "zero-shot error on theta_0", "n -> oo error on theta_0",
                                             "n -> oo error on -theta_0")):
            yield equality_line(what, der.values[eq.lhs], eq.rhs)
        f = finite()
        yield Line("exact", f"n_ft = {N_FT_EXAMPLE}: lambda -> 0+ gives strategy (d) at n_ft = {N_FT_EXAMPLE} "
                   "(exact limit of every block)",
                   _blocks_equal(_limit_blocks(f, "0"), strategy("value-fewshot", sp.oo, N_FT_EXAMPLE).blocks))
        only = strategy(fewshot_only_spec(N_FT_EXAMPLE), sp.oo)
        yield Line("exact", f"n_ft = {N_FT_EXAMPLE}: lambda -> oo gives the few-shot loss alone (its minimiser "
                   f"is unique: nothing free but V's first rows): {show(only.blocks.vy)}",
                   _blocks_equal(_limit_blocks(f, "oo"), only.blocks)
                   and not [x for x in only.free if not x.startswith("V[0:d+1")])
        env = poster_env()
        signs = {}
        for key, task, n in (("zero-shot on theta_0", THETA0, 0), (f"{N_FT_EXAMPLE}-shot on theta_0", THETA0, N_FT_EXAMPLE),
                             ("n -> oo on theta_0", THETA0, sp.oo), ("n -> oo on -theta_0", -THETA0, sp.oo)):
            e, where = f.error_in_blocks(task, n)
            vals = {str(k2): evaluate(v, env) for k2, v in where.items()}
            value = sp.cancel(evaluate(e, {**env, **vals}))
            signs[key] = sign_on_positive_axis(sp.diff(value, LAMBDA), LAMBDA)
        word = {1: "rises", -1: "falls", None: "is not monotone"}
        yield Line("exact", f"poster's setting (d = 5, Sigma = I, theta_0 = e_1, sigma^2 = 1/10), n_ft = {N_FT_EXAMPLE}: "
                   "as lambda grows on (0, oo), " + "; ".join(f"the {k2} error {word[v]}" for k2, v in signs.items())
                   + " (sign of d/dlambda by Sturm's root count)",
                   signs["zero-shot on theta_0"] == 1 and signs[f"{N_FT_EXAMPLE}-shot on theta_0"] == -1)
        yield Line("note", "monotone for every setting and n_ft: for lambda_1 < lambda_2 and minimisers v_1, v_2 of "
                   "f + lambda g (f zero-shot, g n_ft-shot loss), adding the two optimality inequalities gives "
                   "(lambda_2 - lambda_1)(g(v_2) - g(v_1)) <= 0, then f(v_1) <= f(v_2)", None)


RESULT = TradeoffValue()
