r"""Beyond the paper: value-matrix fine-tuning on the mixed loss (the zero-shot / few-shot trade-off).

Strategy ``tradeoff-value``: minimise ``E(V, Q_hat, 0; theta_0) + lambda E(V, Q_hat, n_ft; theta_0)``
over V's last row, lambda > 0 symbolic, derived by the general derivation (a spec), at a finite
number of shots n_ft of the auxiliary loss.

The statement (Extension 1), for every finite n_ft >= 1:

* as lambda grows, the zero-shot error on theta_0 of the minimiser V_lambda rises and its
  n_ft-shot error on theta_0 falls: the few-shot loss is bought with zero-shot accuracy.  Proof:
  V_lambda minimises f + lambda g globally (f the zero-shot, g the n_ft-shot loss; a convex
  quadratic, the general derivation); for lambda_1 < lambda_2, adding the two optimality
  inequalities gives (lambda_2 - lambda_1)(g(V_2) - g(V_1)) <= 0, then f(V_1) <= f(V_2).
* lambda -> 0+ gives strategy (d) at that n_ft, whose zero-shot error is the best one of value
  fine-tuning, sigma^2 + 2 theta_0^T Sigma theta_0/(d+4); lambda -> oo gives the few-shot loss alone.

Checked: the ends exactly (every block, symbolic d and Sigma, at n_ft = 5); that the derived
V_lambda is the global minimiser of the mixed loss, by the independent concrete-dimension engine
(its gradient vanishes identically in lambda, its Hessian is positive semidefinite), which fails
if the derivation used another weight (lambda^2, or lambda dropped); and the strict monotonicity
at the poster's setting and at a non-isotropic one (Sturm's root count on d/dlambda).

Remark, also checked: as n_ft -> oo the minimiser does not depend on lambda and is strategy (d)
(``v_x = theta_0/(d+4)``, ``v_y = (d+3)/(d+4)``): there is no trade-off in the limit, because the
limit loss reaches its minimum sigma^2 on the zero-shot minimisers' v_y-line.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from symbolic import N_FT, THETA0
from symbolic.arithmetic import is_psd
from symbolic.ratfun import cancelled
from symbolic.strategy import Step, Strategy
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Result, TestError, claim, lazy
from proofs.paper.results._beyond import (LAMBDA, N_FT_EXAMPLE, POSTER_SETTING, error_at, fewshot_only_spec,
                                    rational_limits, tradeoff_spec)
from proofs.paper.results._common import PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma
from proofs.quantities.derivations import strategy

E_ZERO = TestError("tradeoff-value", 0, THETA0)
E_FEW = TestError("tradeoff-value", N_FT, THETA0)
#: a non-isotropic setting for the checks by the concrete engine: d = 2
SETTING_B = {"Sigma": [[2, 1], [1, 1]], "theta_0": [1, -1], "sigma2": sp.Rational(1, 2)}
#: the poster's setting (d = 5, Sigma = I, theta_0 = e_1, sigma^2 = 1/10), in the same form
POSTER_B = {"Sigma": sp.eye(POSTER_SETTING["d"]), "theta_0": [1] + [0] * (POSTER_SETTING["d"] - 1),
            "sigma2": POSTER_SETTING["sigma2"]}


def _blocks_equal(a, b) -> bool:
    return (same(a.v0, b.v0) and same(a.vy, b.vy) and len(a.vx) == len(b.vx) == 1
            and a.vx[0][1:] == b.vx[0][1:] and same(a.vx[0][0], b.vx[0][0]))


def _limit_blocks(s):
    """v(lambda) as lambda -> 0+ and as lambda -> oo (every coefficient is rational in lambda; both
    ends from one reading of each coefficient, :func:`rational_limits`): the limits at 0+ factored,
    those at oo unfactored (the same rational functions: the caller only compares them with
    :func:`same`)."""
    b = s.blocks
    v0, vy = (rational_limits(e, LAMBDA, factor=(True, False)) for e in (b.v0, b.vy))
    vx = [(rational_limits(c, LAMBDA, factor=(True, False)), w, a) for c, w, a in b.vx]
    at0 = b.with_(v0=v0[0], vy=vy[0], vx=tuple((c[0], w, a) for c, w, a in vx))
    atoo = b.with_(v0=v0[1], vy=vy[1], vx=tuple((c[1], w, a) for c, w, a in vx))
    return at0, atoo


def _setting(Sigma: Any, theta_0: Any, sigma2: Any) -> Any:
    """The exact :class:`proofs.quantities.setting.Setting` (m = oo)."""
    from proofs.quantities.setting import setting
    S = sp.Matrix(Sigma)
    return setting(S.shape[0], Sigma=S, theta0=list(theta_0), sigma2=sp.sympify(sigma2))


#: the monotonicity line's errors: (name, shots n (None: n -> oo), the frontier's column at n)
_MONOTONE = (("zero-shot on theta_0", 0, "few_shot_target"), ("{n_ft}-shot on theta_0", "n_ft", "few_shot_target"),
             ("n -> oo on theta_0", None, "few_shot_target"), ("n -> oo on -theta_0", None, "few_shot_opposite"))


def _monotone_signs(spec: Any, n_ft: int, where: Any) -> dict[str, int | None]:
    """The sign of d/dlambda of each error of :data:`_MONOTONE` on lambda > 0 at the exact setting
    ``where``: the derived errors of ``spec`` there as reduced fractions in lambda
    (:func:`proofs.quantities.frontier.spec_pairs`: the derivation's long blocks evaluated once per
    setting, in QQ(lambda) -- the pairs ``early-stopping-vs-auxiliary`` compares at the poster's
    setting), signed by Sturm's count (:func:`symbolic.univariate.derivative_sign`)."""
    from proofs.quantities.frontier import spec_pairs
    from symbolic.univariate import derivative_sign
    out = {}
    for key, n, col in _MONOTONE:
        n = n_ft if n == "n_ft" else n
        out[key.format(n_ft=n_ft)] = derivative_sign(*spec_pairs(spec, where, n=n, columns=(col,))[col])
    return out


def global_minimiser_check(s, n_ft: int, Sigma: Any, theta_0: Any, sigma2: Any) -> tuple[bool, str]:
    """Whether the derived last row v(lambda) of ``s`` minimises E(V, Q_hat, 0; theta_0) +
    lambda E(V, Q_hat, n_ft; theta_0) over V's last row, by the concrete-dimension engine
    (:func:`symbolic.concrete.concrete_error`, no code shared with the derivation): the loss is
    built from the poster's formula with the weight lambda written here, its gradient must vanish
    at v(lambda) for every lambda and its Hessian (H_0 + lambda H_1) be positive semidefinite
    (H_0, H_1 positive semidefinite).  The derivatives are taken on f and g as polynomials in V's
    last row over QQ (the same derivatives as on their expanded expressions)."""
    from symbolic.concrete import concrete_error
    from proofs.quantities.params import closed_form_params
    from proofs.quantities.setting import setting
    d = len(theta_0)
    where = setting(d, Sigma=Sigma, theta0=theta_0, sigma2=sigma2)
    V_lam = closed_form_params(s, dict(s.bindings), where, cancel=True).V   # V(lambda): V's last row in lambda
    Q_hat = closed_form_params(strategy("pretrain"), {}, where).Q
    v = sp.symbols(f"u0:{d + 2}")
    V = sp.zeros(d + 2, d + 2)
    V[d + 1, :] = sp.Matrix([list(v)])
    kw = dict(theta=list(theta_0), Sigma=Sigma, sigma2=sigma2)
    f = concrete_error(V, Q_hat, n=0, **kw)
    g = concrete_error(V, Q_hat, n=n_ft, **kw)
    # the loss f + lambda g is quadratic in V's last row: its derivatives on the polynomials over QQ
    # (each a short linear polynomial read at v(lambda)), not on the expanded expressions
    F, G = sp.Poly(f, *v, domain=sp.QQ), sp.Poly(g, *v, domain=sp.QQ)
    at = dict(zip(v, V_lam[d + 1, :]))
    grad = [cancelled(F.diff(u).as_expr().xreplace(at) + LAMBDA * G.diff(u).as_expr().xreplace(at)) for u in v]
    H0, H1 = (sp.Matrix(len(v), len(v), lambda i, j: K.diff(v[i]).diff(v[j]).as_expr()) for K in (F, G))
    psd = is_psd(H0.tolist()) and is_psd(H1.tolist())   # exact: rational Hessians (the setting is rational)
    ok = all(x == 0 for x in grad) and psd
    return ok, f"gradient at v(lambda): {'0' if all(x == 0 for x in grad) else show(grad)}; Hessians PSD: {psd}"


class TradeoffValue(Result):
    id = "tradeoff-value"
    label_text = "Extension 1"
    title = "beyond the paper: the zero-shot / few-shot trade-off of value fine-tuning on a mixed loss"
    title_latex = r"beyond the paper: the zero-shot\,/\,few-shot trade-off of value fine-tuning on a mixed loss"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED,
                        ("the auxiliary few-shot loss has a finite number n_ft >= 1 of shots",
                         r"the auxiliary few-shot loss has a finite number $n_{\mathrm{ft}} \geq 1$ of shots"))
    definitions = (("lambda", "lambda > 0 is the weight of the few-shot loss and V_lambda the minimiser over V's "
                    "last row of E(V, Q_hat, 0; theta_0) + lambda E(V, Q_hat, n_ft; theta_0) (Q at Q_hat)",
                    r"$\lambda > 0$ is the weight of the few-shot loss and $V_\lambda$ the minimiser over the last "
                    r"row of $V$ of $\mathcal{E}(V, \hat{Q}, 0; \theta_0) + \lambda\,\mathcal{E}(V, \hat{Q}, "
                    r"n_{\mathrm{ft}}; \theta_0)$, with $Q$ at $\hat{Q}$"),)
    claim = ("As lambda grows, V_lambda trades zero-shot accuracy for few-shot accuracy on theta_0; as lambda -> 0+ "
             "it is strategy (d) at n_ft, with the best zero-shot error of value fine-tuning:",
             r"As $\lambda$ grows, $V_\lambda$ trades zero-shot accuracy for few-shot accuracy on $\theta_0$; as "
             r"$\lambda \to 0^+$ it is strategy (d) at $n_{\mathrm{ft}}$, with the best zero-shot error of value "
             r"fine-tuning:")
    remark = ("As n_ft -> oo there is no trade-off: V_lambda does not depend on lambda and is strategy (d), "
              "v_x = theta_0/(d+4), v_y = (d+3)/(d+4), for every lambda > 0 (the limit loss reaches its minimum "
              "sigma^2 on the zero-shot minimisers' v_y-line).",
              r"As $n_{\mathrm{ft}} \to \infty$ there is no trade-off: $V_\lambda$ does not depend on $\lambda$ and "
              r"is strategy (d), $v_x = \theta_0/(d+4)$, $v_y = (d+3)/(d+4)$, for every $\lambda > 0$ (the limit loss "
              r"reaches its minimum $\sigma^2$ on the line of zero-shot minimisers along $v_y$).")

    # the spec derived; a test overrides it with a wrong one (a weight squared, lambda dropped)
    def spec(self, n_ft: Any):
        return tradeoff_spec(n_ft)

    def _statement(self):
        k = T0ST0
        return (sp.Ge(sp.Derivative(E_ZERO, LAMBDA), 0),
                sp.Le(sp.Derivative(E_FEW, LAMBDA), 0),
                claim(sp.Limit(E_ZERO, LAMBDA, 0, "+"), sigma ** 2 + 2 * k / (DIM + 4)))

    def _derive(self) -> Derivation:
        f = strategy(self.spec(N_FT_EXAMPLE), sp.oo)
        at0, atoo = _limit_blocks(f)
        # E(V, Q_hat, 0; theta_0) at the limit blocks, as error_at writes errors: sigma^2 + 2k/(d+4)
        zero_at_0 = error_at(Strategy("tradeoff-value, lambda -> 0+", at0, sp.oo), THETA0, 0)
        lhs = self.statement[2].lhs
        return Derivation(
            values={lhs: zero_at_0},
            steps=list(f.steps) + [Step(f"lambda -> 0+ (n_ft = {N_FT_EXAMPLE}): zero-shot error", zero_at_0)],
            extra={f"v_y(lambda) at n_ft = {N_FT_EXAMPLE}": f.blocks.vy,
                   f"v_x(lambda) at n_ft = {N_FT_EXAMPLE}": f.vx,
                   f"zero-shot error on theta_0 at n_ft = {N_FT_EXAMPLE}": lazy(lambda: error_at(f, THETA0, 0)),
                   f"n -> oo error on theta_0 at n_ft = {N_FT_EXAMPLE}": lazy(lambda: error_at(f, THETA0, sp.oo)),
                   f"n -> oo error on -theta_0 at n_ft = {N_FT_EXAMPLE}": lazy(lambda: error_at(f, -THETA0, sp.oo))},
            data={"finite": f, "at0": at0, "atoo": atoo})

    def _checks(self, der: Derivation):
        f, n_ft = der.data["finite"], N_FT_EXAMPLE
        yield Line("exact", f"n_ft = {n_ft}: lambda -> 0+ gives strategy (d) at n_ft = {n_ft} (exact limit of every "
                   "block)", _blocks_equal(der.data["at0"], strategy("value-fewshot", sp.oo, n_ft).blocks))
        eq = self.statement[2]
        yield equality_line(f"lambda -> 0+: zero-shot error on theta_0 (n_ft = {n_ft})", der.values[eq.lhs], eq.rhs)
        only = strategy(fewshot_only_spec(n_ft), sp.oo)
        yield Line("exact", f"n_ft = {n_ft}: lambda -> oo gives the few-shot loss alone (its minimiser is unique: "
                   f"nothing free but V's first rows): v_y = {show(only.blocks.vy)}",
                   _blocks_equal(der.data["atoo"], only.blocks)
                   and not [x for x in only.free if not x.startswith("V[0:d+1")])
        ok, said = global_minimiser_check(f, n_ft, **SETTING_B)
        yield Line("exact", f"d = 2, Sigma = [[2, 1], [1, 1]], theta_0 = (1, -1), sigma^2 = 1/2, n_ft = {n_ft}: the "
                   "derived V_lambda minimises E(0) + lambda E(n_ft) built by the concrete-dimension engine "
                   f"for every lambda > 0 ({said}); so, for every setting, the exchange argument applies: for "
                   "lambda_1 < lambda_2, (lambda_2 - lambda_1)(g(V_2) - g(V_1)) <= 0 and f(V_1) <= f(V_2)", ok)
        word = {1: "rises", -1: "falls", None: "is not monotone"}
        for name, kw in (("the poster's setting (d = 5, Sigma = I, theta_0 = e_1, sigma^2 = 1/10)", POSTER_B),
                         ("d = 2, Sigma = [[2, 1], [1, 1]], theta_0 = (1, -1), sigma^2 = 1/2", SETTING_B)):
            signs = _monotone_signs(self.spec(n_ft), n_ft, _setting(**kw))
            yield Line("exact", f"{name}, n_ft = {n_ft}: as lambda grows on (0, oo), "
                       + "; ".join(f"the {k} error {word[v]}" for k, v in signs.items())
                       + " (sign of d/dlambda by Sturm's root count): the trade-off is strict",
                       signs["zero-shot on theta_0"] == 1 and signs[f"{n_ft}-shot on theta_0"] == -1)
        s = strategy(self.spec(sp.oo), sp.oo)
        d_ = strategy("value-fewshot")
        yield Line("exact", "remark, n_ft -> oo: the derived minimiser has no lambda in it and equals strategy (d)'s "
                   f"(v_0, v_x, v_y) = ({show(s.blocks.v0)}, {show(s.vx)}, {show(s.blocks.vy)}): no trade-off",
                   not any(LAMBDA in sp.sympify(x).free_symbols for x in (s.blocks.v0, s.blocks.vy, s.vx))
                   and _blocks_equal(s.blocks, d_.blocks))


RESULT = TradeoffValue()
