r"""Beyond the paper: two layers of linear attention, pretrained, then the last layer's values fine-tuned.

The model at depth L (issue 25): Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1} / (n+1), l = 1..L, the
prediction [Z_L]_{-1,-1}. In the class where the critical points live (V_l on the label row, Q_l =
blockdiag(0, Gamma_l, 0)) the n-shot error has a closed form at symbolic d, Sigma, n
(:mod:`symbolic.depth`). Stated here for L = 2, derived at ``prove`` time:

* **pretraining** (tasks theta ~ N(0, I), Sigma = I, the isotropic class Gamma_l = gamma_l I, v_y = 1):
  as m -> oo the minimiser tends to {gamma_1, gamma_2} = {1 - sqrt 2, 1 + sqrt 2} (either order): the
  m = oo loss is minimal on the whole curve (1 + gamma_1)(1 + gamma_2) = 2, and the 1/m term selects
  the point (:func:`symbolic.depth_pretraining.pretrained_limit`);
* **fine-tuning the last layer's values** (v_0, v_x, v_y of V_2; strategies (c) and (d) at depth) from
  the pretrained model Gamma_l = gamma_l Sigma^{-1}: the zero-shot error and the n -> oo errors on
  theta_0 and -theta_0 are **exactly the one-layer table's** entries for (c) and (d)
  (:mod:`symbolic.depth_finetune`). So at depth 2 value fine-tuning keeps in-context learning exactly
  as at one layer, and the auxiliary few-shot loss trades -theta_0 for theta_0 by the same 4k/(d+4)^2.

L = 3 (limit gammas (sqrt3 - 2, sqrt3 - 2, 1 + sqrt3), the same table) is checked in
``bench/depth_sweeps.py``; the first layer's values (a smaller zero-shot gain) in
``bench/depth_finetune_table.py``.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from symbolic import ratfun
from symbolic import SIGMA, THETA0, Bilinear
from symbolic.model import vec as vec_of
from symbolic.words import DIM

from proofs.paper.result import PARAMS, Derivation, Line, Param, Result, TestError, claim
from proofs.paper.results._common import (FEW_SHOT_LIMIT, SETTING, check_setting_keys, refuse_finite_m, same, show,
                                           sigma)

PARAMS.update({
    "depth2-value": ("V_c^(2), Q_hat^(2)", r"V_{c}^{(2)}, \hat{Q}^{(2)}"),
    "depth2-value-fewshot": ("V_d^(2), Q_hat^(2)", r"V_{d}^{(2)}, \hat{Q}^{(2)}"),
})

K = Bilinear(THETA0, SIGMA, THETA0)
#: k = theta_0^T Sigma theta_0 as a plain symbol inside the field arithmetic
K_SYMBOL = sp.Symbol("k")
GAMMA_1, GAMMA_2 = Param("gamma_1^*"), Param("gamma_2^*")
#: V_2's v_x = c_x theta_0 in the derivation at symbolic values
C_X = sp.Symbol("c_x")
#: the statement's rows: (strategy, n, task sign) in the order of the statement after the two gammas
ROWS = (("depth2-value", 0, 1), ("depth2-value", sp.oo, 1), ("depth2-value", sp.oo, -1),
        ("depth2-value-fewshot", 0, 1), ("depth2-value-fewshot", sp.oo, 1), ("depth2-value-fewshot", sp.oo, -1))


def error_in_field(F, layers, task, n):
    """E_L(layers, n; task) at n = 0 or n = oo (``sympy.oo``) as an element of the RadicalField F, whose symbols
    hold k = theta_0^T Sigma theta_0 as ``K_SYMBOL`` and every symbol of the layers: the derivation's ring
    elements (:func:`symbolic.depth.depth_error_terms`) moved into F's ring by name, each key's bilinear forms
    theta_0^T Sigma theta_0 as powers of k; the element F reads from the error's expression (the same
    polynomial). Where a key holds another factor, or a coefficient is outside QQ[symbols], the expression
    route itself."""
    from symbolic.convert import factor_expr, to_sympy
    from symbolic.depth import depth_error, depth_error_limit, depth_error_terms
    from sympy.polys.domains import QQ
    from sympy.polys.polyerrors import GeneratorsError
    terms = depth_error_terms(layers, task, n)
    out, k = F.ring.zero, F.gens[K_SYMBOL]
    if terms.R.domain == QQ:
        for (factors, noises), tot in terms.terms.items():
            if noises or any(factor_expr(f) != K for f in factors):
                break
            try:
                out += tot.set_ring(F.ring) * k ** len(factors)
            except GeneratorsError:
                break
        else:
            return F.fraction(out, F.ring.one)
    p = depth_error(layers, task, n) if n != sp.oo else depth_error_limit(layers, task)
    return F.element(to_sympy(p).xreplace({K: K_SYMBOL}))


def zero_shot_in_field(F, layers, ft, layer: int, values: tuple):
    """The zero-shot error on theta_0 at ``layers`` (the fine-tuning ``ft``'s trial layers with layer ``layer``'s
    v_0, v_x, v_y the symbols ``values`` = (V0, c, VY), v_x = c theta_0) as an element of F: read from the
    derivation ``ft`` made for its zero-shot loss (the same trial layers with unknowns v_0_l, a vector v_x_l and
    v_y_l; :func:`symbolic.depth.depth_error_terms`, cached) by putting v_x_l = c theta_0 into each bilinear form
    (each leg v_x_l: a factor c, the leg theta_0; E_L is linear in each leg) and renaming v_0_l, v_y_l: the
    polynomial the derivation at ``layers`` gives, without deriving again. Where ``layers`` are not that
    substitution of the trial layers, or a form is not then theta_0^T Sigma theta_0: :func:`error_in_field`."""
    from symbolic.convert import factor_expr
    from symbolic.depth import depth_error_terms
    from symbolic.forms import Form, const, form
    from sympy.polys.domains import QQ
    v0, c, vy = values
    trial = tuple(ft.trial)
    tl = trial[layer - 1]
    (one, word, u), = tl.vx if len(tl.vx) == 1 else ((None, None, None),)
    want = list(trial)
    want[layer - 1] = tl.with_(v0=v0, vx=vec_of(THETA0, c), vy=vy)
    if one != 1 or word or tuple(want) != tuple(layers) or not (tl.v0.is_Symbol and tl.vy.is_Symbol):
        return error_in_field(F, layers, THETA0, 0)
    terms = depth_error_terms(trial, THETA0, 0)
    R = terms.R
    rename = {tl.v0: v0, tl.vy: vy}
    where = []
    for x in R.symbols:
        y = rename.get(x, x)
        where.append(F.symbols.index(y) if y in F.symbols else None)
    ci, ki = F.symbols.index(c), F.symbols.index(K_SYMBOL)
    width = F.ring.ngens
    out: dict = {}
    if R.domain != QQ:
        return error_in_field(F, layers, THETA0, 0)
    for (factors, noises), tot in terms.terms.items():
        legs = 0
        for f in factors:
            if noises or not isinstance(f, Form):
                return error_in_field(F, layers, THETA0, 0)
            ends = [const(THETA0) if e.kind == "c" and e.obj == u else e for e in (f.left, f.right)]
            legs += sum(1 for e in (f.left, f.right) if e.kind == "c" and e.obj == u)
            if factor_expr(form(ends[0], f.word, ends[1])) != K:
                return error_in_field(F, layers, THETA0, 0)
        for mon, a in tot.items():
            m = [0] * width
            for i, e in enumerate(mon):
                if e:
                    if where[i] is None:
                        return error_in_field(F, layers, THETA0, 0)
                    m[where[i]] += e
            m[ci] += legs
            m[ki] += len(factors)
            m = tuple(m)
            out[m] = out[m] + a if m in out else a
    return F.fraction(F.ring.from_dict({m: a for m, a in out.items() if a}), F.ring.one)


def _factored(x) -> sp.Expr:
    """A field element free of sqrt 2 as the expression ``ratfun.factored`` gives for it with k written as the
    bilinear form theta_0^T Sigma theta_0 (factored in the ring, k ordered as that form: the same expression);
    one holding sqrt 2 through its expression."""
    n0, n1, den = x.parts()
    if n1:
        return ratfun.factored(x.expr().xreplace({K_SYMBOL: K}))
    from symbolic.radical_field import factored_fraction
    return factored_fraction(n0, den, sort_as={K_SYMBOL: K}).xreplace({K_SYMBOL: K})


class DepthValue(Result):
    id = "depth-value-fine-tuning"
    title = "beyond the paper: two layers, the last layer's values fine-tuned, give the one-layer table"
    title_latex = r"beyond the paper: two layers, the last layer's values fine-tuned, give the one-layer table"
    strategy = "value"   # checked beside (c), (d)
    label_text = "Extension 9"
    assumption_pairs = (
        SETTING,
        ("two layers of linear attention, Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1}/(n+1), in the class "
         "V_l on the label row, Q_l = blockdiag(0, Gamma_l, 0)",
         r"two layers of linear attention, $Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^\top Q_l Z_{l-1}/(n+1)$, in the "
         r"class $V_l$ on the label row, $Q_l = \mathrm{blockdiag}(0, \Gamma_l, 0)$"),
        ("pretraining on theta ~ N(0, I_d) at Sigma = I over Gamma_l = gamma_l I, v_y = 1, context length m -> oo; "
         "fine-tuning starts at Gamma_l = gamma_l^* Sigma^{-1} and moves V_2's last row (v_0, v_x, v_y) only; "
         "(d) minimises the n_ft -> oo loss inside (c)'s minimisers",
         r"pretraining on $\theta \sim \mathcal{N}(0, I_d)$ at $\Sigma = I$ over $\Gamma_l = \gamma_l I$, "
         r"$v_y = 1$, context length $m \to \infty$; fine-tuning starts at $\Gamma_l = \gamma_l^* \Sigma^{-1}$ "
         r"and moves the last row of $V_2$ only; (d) minimises the $n_{\mathrm{ft}} \to \infty$ loss inside the "
         r"minimisers of (c)"),
        FEW_SHOT_LIMIT)
    defined_in_claim = ("gamma_1^*", "gamma_2^*")
    claim = ("The pretrained gammas gamma_1^*, gamma_2^* (m -> oo, up to the order of the layers) and the errors of "
             "the last layer's value fine-tuning are",
             r"The pretrained $\gamma_1^*, \gamma_2^*$ ($m \to \infty$, up to the order of the layers) and the "
             r"errors of the last layer's value fine-tuning are")

    def _statement(self):
        s2, d4 = sigma ** 2, DIM + 4
        stated = (s2 + 2 * K / d4, s2 + K / d4 ** 2, s2 + K / d4 ** 2,
                  s2 + 2 * K / d4, s2, s2 + 4 * K / d4 ** 2)
        out = [claim(GAMMA_1, 1 - sp.sqrt(2)), claim(GAMMA_2, 1 + sp.sqrt(2))]
        for (name, n, sign), rhs in zip(ROWS, stated):
            out.append(claim(TestError(name, n, sign * THETA0), rhs))
        return tuple(out)

    def _derive(self) -> Derivation:
        from symbolic.depth_finetune import GAMMAS, V0, VY, finetune_value, finetune_value_fewshot
        from symbolic.depth_pretraining import pretrained_limit
        from symbolic.model import vec
        from symbolic.radical_field import RadicalField
        from symbolic.strategy import Step
        pre = pretrained_limit(2)
        g = sorted(pre.gammas, key=lambda x: float(x))
        values = {GAMMA_1: g[0], GAMMA_2: g[1]}
        sub = dict(zip(GAMMAS, g))
        fts = {"depth2-value": finetune_value(2), "depth2-value-fewshot": finetune_value_fewshot(2)}
        steps = [Step(f"pretraining, m -> oo: {name}", val if not isinstance(val, list) else None)
                 for name, val in pre.steps]
        for name, ft in fts.items():
            steps += [Step(f"{name}: {what}", val if isinstance(val, sp.Basic) else None) for what, val in ft.steps]
        # the errors once with V_2's last row symbolic (v_0, v_x = c_x theta_0, v_y; the first layer is the
        # pretrained one for (c) and (d) alike), then each strategy's derived values substituted: exact, and
        # it keeps the engine's coefficients polynomial (the derived values are rational in d, gamma_l)
        first = {ft.layers[0] for ft in fts.values()}
        if len(first) != 1 or any(len(ft.layers) != 2 or len(ft.layers[1].vx) != 1 for ft in fts.values()):
            raise AssertionError("(c) and (d) at depth 2: expected the same first layer and v_x along one vector")
        generic = [first.pop(), fts["depth2-value"].layers[1].with_(v0=V0, vx=vec(THETA0, C_X), vy=VY)]
        # each error an element of QQ(sqrt 2)(d, sigma, k, gamma_l, v_0, c_x, v_y); the gamma's and the strategy's
        # values put in there (exact, one normalisation), the result (free of sqrt 2) factored as _tidy would
        F = RadicalField([DIM, sigma, K_SYMBOL, *GAMMAS[:2], V0, C_X, VY], 2)
        at_g = tuple((x, F.element(v)) for x, v in sub.items())
        errors, own = {}, {}
        for (name, n, sign), eq in zip(ROWS, self.statement[2:]):
            if (n, sign) not in errors:
                errors[n, sign] = (zero_shot_in_field(F, generic, fts["depth2-value"], 2, (V0, C_X, VY)) if n == 0
                                   else error_in_field(F, generic, sign * THETA0, n))
            if name not in own:     # the strategy's values at the pretrained gamma's, in the field, each once
                lay = fts[name].layers[1]
                (coef, word, a), = lay.vx
                if word or a != THETA0:
                    raise AssertionError(f"{name}: expected v_x along theta_0, got {lay.vx}")
                own[name] = {x: F.subs_many(F.element(v), at_g) for x, v in ((V0, lay.v0), (C_X, coef), (VY, lay.vy))}
            at = F.subs_many(errors[n, sign], at_g + tuple(own[name].items()))
            values[eq.lhs] = _factored(at)
        return Derivation(values=values, steps=steps, data={"pre": pre, "fts": fts, "sub": sub})

    def _checks(self, der: Derivation):
        from symbolic.radical_field import RadicalField
        g1, g2 = der.values[GAMMA_1], der.values[GAMMA_2]
        ok = same(g1, self.statement[0].rhs) and same(g2, self.statement[1].rhs)
        yield Line("exact", f"pretraining, m -> oo: gamma^* = ({show(g1)}, {show(g2)}) (derived from the 1/m "
                   "expansion of the isotropic loss at symbolic d, sigma)", ok)
        Q2 = RadicalField([], 2)          # QQ(sqrt 2): exact, each value in its normal form a + b sqrt 2
        t1, t2 = Q2.element(1 + g1), Q2.element(1 + g2)
        prod, inv = (t1 * t2).expr(), (1 / t1 + 1 / t2).expr()
        yield Line("exact", f"on the m = oo minimiser set: (1 + gamma_1)(1 + gamma_2) = {show(prod)} = 2; "
                   f"the 1/m term is least where 1/(1 + gamma_1) + 1/(1 + gamma_2) = {show(inv)} = 2",
                   prod == 2 and inv == 2)
        ft = der.data["fts"]["depth2-value"]
        (coef, _, a), = ft.layers[1].vx
        yield Line("exact", f"(c) at depth 2: V_2's v_x = {show(ratfun.factored(coef.subs(der.data['sub'])))} theta_0, "
                   f"v_0 = {show(ft.layers[1].v0)}, v_y = {show(ft.layers[1].vy)} (free: kept at its pretrained 1)",
                   a == THETA0)
        for (name, n, sign), eq in zip(ROWS, self.statement[2:]):
            got = der.values[eq.lhs]
            what = f"{name}: {'zero-shot' if n == 0 else 'n -> oo'} error on {'theta_0' if sign > 0 else '-theta_0'}"
            ok = same(got, eq.rhs) or sp.simplify(got - eq.rhs) == 0
            yield Line("exact", f"{what}: derived {show(got)} {'==' if ok else '!='} stated (the one-layer table) "
                       f"{show(eq.rhs)}", ok)

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """Each statement's two sides at a setting, ``{lhs: (computed, stated)}``: the computed side is the
        general class closed form at depth 2 (symbolic.depth.class_error: Gamma_1, Gamma_2, V_2's values as
        matrix symbols; another route than the derivation, which fixes Gamma_l = gamma_l Sigma^{-1}) evaluated
        at the derived parameters and the setting, exactly. Keys: ``Sigma``, ``theta_0``, ``sigma2``
        (required), ``d``, ``m``. Refused with the reason: a finite m (the statement is at m -> oo), a task
        other than +-theta_0, a finite n (the statement's few-shot errors are limits)."""
        return _evaluate(self, limit_setting(setting), digits)


def limit_setting(setting: dict) -> Any:
    """The exact setting of a depth statement on +-theta_0, zero-shot and n -> oo, at the m -> oo gammas
    (Extensions 9 and 10): keys ``Sigma``, ``theta_0``, ``sigma2`` (required), ``d``, ``m``; a task, a
    finite n or a finite m refused with the reason, before any work."""
    allowed = {"Sigma", "theta_0", "sigma2", "d", "m"}
    for key in ("theta", "n", "n_ft"):
        if key in setting:
            raise ValueError(f"{key}: the statement is on theta_0 and -theta_0, zero-shot and n -> oo "
                             f"(finite n: symbolic.depth.depth_error); give only {', '.join(sorted(allowed))}")
    check_setting_keys(setting, allowed)
    refuse_finite_m(setting, "the finite-m L = 2 optimum is symbolic.depth_pretraining.pretrained_gammas(2, m), "
                             "not stated here")
    from proofs.quantities.setting import setting as make
    return make(setting.get("d"), Sigma=setting.get("Sigma"), theta0=setting.get("theta_0"),
                sigma2=setting["sigma2"], arithmetic="exact")


def _evaluate(result: DepthValue, where: Any, digits: int | None) -> dict[sp.Basic, Any]:
    from symbolic.depth import class_error
    from symbolic.evaluation import evaluate, evaluate_poly
    from symbolic.objective import THETA
    from symbolic.strategy import limit_poly
    der = result.derive()
    d = where.d
    Sigma, th0 = sp.Matrix(where.Sigma.tolist()), sp.Matrix(where.theta0.tolist())
    s = sp.sqrt(sp.nsimplify(where.sigma2))
    g = (der.values[GAMMA_1], der.values[GAMMA_2])
    closed = class_error(2, values_in=(2,))
    closed_lim = limit_poly(closed)
    env0 = {"Sigma": Sigma, "sigma": s, "d": d, "theta_0": th0}
    out: dict = {GAMMA_1: (g[0], result.statement[0].rhs), GAMMA_2: (g[1], result.statement[1].rhs)}
    for (name, n, sign), eq in zip(ROWS, result.statement[2:]):
        ft = der.data["fts"][name]
        lay = ft.layers[1]
        (coef, _, _), = lay.vx
        sub = {**der.data["sub"], DIM: d}
        # every number in QQ(sqrt 2) with the radical out of denominators, so that expand is canonical
        q2 = lambda e: sp.radsimp(sp.expand(e))  # noqa: E731
        env = {**env0, "theta": sign * th0, "n": 0,
               "Gamma_1": g[0] * Sigma.inv(), "Gamma_2": g[1] * Sigma.inv(), "v_y_1": 1,
               "v_y_2": q2(evaluate(sp.sympify(lay.vy).subs(sub), env0)),
               "v_0_2": q2(evaluate(sp.sympify(lay.v0).subs(sub), env0)),
               "v_x_2": q2(sp.sympify(coef).subs(sub)) * th0}
        got = q2(evaluate_poly(closed if n == 0 else closed_lim, env))
        want = q2(evaluate(eq.rhs, env0))
        vals = [got, want]
        out[eq.lhs] = tuple(sp.N(v, digits) if digits else v for v in vals)
    return out


RESULT = DepthValue()
