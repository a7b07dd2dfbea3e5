r"""Beyond the paper: at depth 2, which layer's values should move? The first layer's against the last's.

The model and class are Extension 9's (:mod:`proofs.paper.results.depth_value`): two layers of linear
attention, pretrained as m -> oo at Sigma = I to Gamma_l = gamma_l^* I, fine-tuning from Gamma_l =
gamma_l^* Sigma^{-1}. Here the values (v_0, v_x, v_y) of the **first** layer move instead of the last's,
with strategies (c) (zero-shot loss on theta_0; v_y multiplies 0 on the zero-shot prompt and stays 1) and
(d) ((c)'s minimisers, then the n_ft -> oo loss on theta_0 over the free v_y), derived at symbolic d, sigma,
k = theta_0^T Sigma theta_0 at prove time (:mod:`symbolic.depth`, :func:`symbolic.depth_finetune.finetune_value`):

* (c) moves V_1's v_x to c_1 theta_0, c_1 = -(d + 3 + sqrt 2) / ((d + 4)(d^2 + (12 + 2 sqrt 2) d + 39 + 10 sqrt 2))
  < 0, v_0 = 0;
  the zero-shot error is sigma^2 + k (1 + (d + 2)(d + 3 + sqrt 2) c_1) and the n -> oo error is
  sigma^2 + 2 k c_1^2 on theta_0 **and** on -theta_0 (their difference is proportional to
  (1 + gamma_1)(1 + gamma_2) - 2, zero on the pretrained m = oo minimiser set);
* (d) sets V_1's v_y to 1 - c_1: n -> oo error sigma^2 on theta_0 and sigma^2 + 8 k c_1^2 on -theta_0
  (four times (c)'s excess, as at one layer).

Compared with the last layer's (the one-layer table, Extension 9), proved from the formulas for every
d >= 1: the first layer gains less zero-shot (its zero-shot error is larger) and loses less in-context
learning (its n -> oo errors on theta_0 for (c) and on -theta_0 for (c), (d) are smaller). The statement
is for the gammas in increasing order (gamma_1^* = 1 - sqrt 2 in the first layer, the convention of
``figure --layers`` and Extension 9); in the other order every formula holds with sqrt 2 -> -sqrt 2
(derived and checked); the order matters for the first layer (it does not for the last).

Every layer's values at once (not stated here: the loss is not quadratic in them) is in
``bench/depth_all_layers_certified.py``: at d = 2, Sigma = I, sigma = 0, theta_0 = e_1 the zero-shot minimum is 1/6
on a curve of minimisers (certified: exact gradient 0, Hessian positive semidefinite with the curve's tangent as
kernel), below both single layers (1/3 last, 0.684 first), and its n -> oo errors (about 0.098 on theta_0 and
-theta_0 where gradient flow from the pretrained point ends) are above both (0.028, 0.0003).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from symbolic import SIGMA, THETA0, Bilinear
from symbolic.words import DIM

from proofs.paper.result import PARAMS, Derivation, Line, Param, Result, TestError, claim
from proofs.paper.results.depth_value import K_SYMBOL   # k as a plain symbol in the field arithmetic
from proofs.paper.results._common import (FEW_SHOT_LIMIT, SETTING, same, show,
                                           sigma)

PARAMS.update({
    "depth2-value-first": ("V_c^(2,1), Q_hat^(2)", r"V_{c}^{(2,1)}, \hat{Q}^{(2)}"),
    "depth2-value-fewshot-first": ("V_d^(2,1), Q_hat^(2)", r"V_{d}^{(2,1)}, \hat{Q}^{(2)}"),
})

K = Bilinear(THETA0, SIGMA, THETA0)
R2 = sp.sqrt(2)
#: V_1's v_x = c_1 theta_0 under (c) and (d); V_1's v_y under (d)
C_1, VY_1 = Param("c_1"), Param("v_y^(1)")
#: the symbol of V_1's v_x coefficient in the derivation at symbolic values
C_X = sp.Symbol("c_x")
#: the error rows: (strategy, n, task sign); the statement is (c_1, v_y^(1), then these)
ROWS = (("depth2-value-first", 0, 1), ("depth2-value-first", sp.oo, 1), ("depth2-value-first", sp.oo, -1),
        ("depth2-value-fewshot-first", 0, 1), ("depth2-value-fewshot-first", sp.oo, 1),
        ("depth2-value-fewshot-first", sp.oo, -1))
#: the two strategies, (c) and (d), and the layers compared
STRATEGIES = ("c", "d")
ORDERS = ("increasing", "decreasing")




def _field():
    """QQ(sqrt 2)(d, sigma, k, gamma_1, gamma_2, v_0, c_x, v_y): the derivation's exact arithmetic."""
    from symbolic.depth_finetune import GAMMAS, V0, VY
    from symbolic.radical_field import RadicalField
    return RadicalField([DIM, sigma, K_SYMBOL, GAMMAS[0], GAMMAS[1], V0, C_X, VY, C_1], 2)


def _conjugate(e: sp.Expr) -> sp.Expr:
    """``e`` with sqrt 2 -> -sqrt 2 (the field automorphism of QQ(sqrt 2) that swaps 1 - sqrt 2 and 1 + sqrt 2)."""
    return e.xreplace({R2: -R2})


def _expr(x) -> sp.Expr:
    """A field element as a SymPy expression in d, sigma and the bilinear form k."""
    return x.expr().xreplace({K_SYMBOL: K})


def _brief(e: sp.Expr, x=None, limit: int = 240) -> str:
    """``show(e)``, or for a long fraction its degrees in d (the whole expression is ``res.derived``). ``x``: the
    field element ``e`` was written from (``e = _expr(x)``), whose numerator and denominator hold the degrees in d
    (N = N0 + N1 sqrt 2 with N0, N1 over QQ: no cancellation of d's top power; D is ``e``'s denominator up to a
    number), read off the ring instead of a SymPy Poly of the long expression."""
    if x is None or _printed_length_at_least(x) <= limit:
        text = show(e)
        if len(text) <= limit:
            return text
    num, den = sp.fraction(e.xreplace({K: K_SYMBOL}))
    if x is None:
        deg = [sp.Poly(p, DIM).degree() for p in (num, den)]
    else:
        g = x.field.gens[DIM]
        deg = [x.num.degree(g), x.den.degree(g)]
    return (f"a fraction of degree {deg[0]}/{deg[1]} in d with denominator "
            f"{show(den)} (in full: res.derived)")


def _printed_length_at_least(x) -> int:
    """A lower bound on ``len(show(_expr(x)))`` read off the field element: the expression writes each term of
    N0 and N1 (x = (N0 + N1 sqrt 2) / D; distinct monomials, which SymPy keeps as distinct terms) with the name of
    every symbol it holds, k as ``theta_0.T*Sigma*theta_0``; separators, coefficients and powers only add. When
    the bound is over the limit the full text (whose printing is most of the cost of a long row) is not needed."""
    names = [len(show(K)) - 2 if s == K_SYMBOL else len(str(s)) for s in x.field.symbols] + [0]
    n0, n1, _ = x.parts()
    return sum(names[i] for p in (n0, n1) for m in p.itermonoms() for i, e in enumerate(m) if e)


def one_sign_change(F, e, symbol) -> tuple[int, int] | None:
    """For a polynomial ``e`` (a field element with denominator free of ``symbol``) whose coefficients in
    ``symbol`` change sign once (Descartes: exactly one positive root): (n, sign at +oo) with the root in
    (n, n + 1], n a non-negative integer; None otherwise."""
    n0, n1, _ = e.parts()
    i = F.symbols.index(symbol)
    coeffs: dict = {}
    for part, j in ((n0, 0), (n1, 1)):
        for mon, c in part.terms():
            coeffs.setdefault(mon[i], [0, 0])[j] += c
    signs = [e.field_sign(*coeffs[k]) for k in sorted(coeffs, reverse=True)]
    signs = [s for s in signs if s]
    if sum(1 for a, b in zip(signs, signs[1:]) if a != b) != 1:
        return None
    lo = 0
    while True:
        at = F.subs(e, symbol, F.element(lo + 1))
        if at.positive_for(symbol) is (signs[0] > 0) and not at.is_zero():
            return lo, signs[0]
        lo += 1


class DepthLayerChoice(Result):
    id = "depth-layer-choice"
    title = "beyond the paper: at depth two, the first layer's values against the last layer's"
    title_latex = title
    strategy = "value"   # checked beside (c), (d) and Extension 9, whose derivation it reuses
    label_text = "Extension 10"
    assumption_pairs = (
        SETTING,
        ("two layers of linear attention in the class of Extension 9, pretrained on theta ~ N(0, I_d) at Sigma = I "
         "with context length m -> oo, gamma^* = (1 - sqrt 2, 1 + sqrt 2) in increasing order (the smaller in the "
         "first layer; the other order: every formula with sqrt 2 -> -sqrt 2); fine-tuning starts at "
         "Gamma_l = gamma_l^* Sigma^{-1} and moves V_1's last row (v_0, v_x, v_y) only; (c) minimises the zero-shot "
         "loss on theta_0 (v_y, which the zero-shot prompt does not reach, stays 1), (d) then the n_ft -> oo loss "
         "on theta_0 over v_y",
         r"two layers of linear attention in the class of Extension 9, pretrained on $\theta \sim \mathcal{N}(0, "
         r"I_d)$ at $\Sigma = I$ with context length $m \to \infty$, $\gamma^* = (1 - \sqrt{2}, 1 + \sqrt{2})$ in "
         r"increasing order (the smaller in the first layer; the other order: every formula with $\sqrt{2} \to "
         r"-\sqrt{2}$); fine-tuning starts at $\Gamma_l = \gamma_l^* \Sigma^{-1}$ and moves the last row of $V_1$ "
         r"only; (c) minimises the zero-shot loss on $\theta_0$ ($v_y$, which the zero-shot prompt does not reach, "
         r"stays 1), (d) then the $n_{\mathrm{ft}} \to \infty$ loss on $\theta_0$ over $v_y$"),
        FEW_SHOT_LIMIT)
    defined_in_claim = ("c_1", "v_y^(1)")
    claim = ("Fine-tuning the first layer's values moves V_1's v_x to c_1 theta_0 and, under (d), its v_y to "
             "v_y^(1); the errors are",
             r"Fine-tuning the first layer's values moves the $v_x$ of $V_1$ to $c_1 \theta_0$ and, under (d), its "
             r"$v_y$ to $v_y^{(1)}$; the errors are")
    remark = ("Against the last layer's values (Extension 9, the one-layer table), for every d >= 1, both orders of "
              "the gammas and both strategies: the first layer's zero-shot error is larger (it gains less), its "
              "n -> oo errors on theta_0 and -theta_0 are smaller (it keeps more in-context learning), and (c) "
              "loses the same on -theta_0 as on theta_0. The order of the gammas matters for the first layer: the "
              "increasing order has the smaller zero-shot error for every d.",
              r"Against the last layer's values (Extension 9, the one-layer table), for every $d \geq 1$, both "
              r"orders of the gammas and both strategies: the first layer's zero-shot error is larger (it gains "
              r"less), its $n \to \infty$ errors on $\theta_0$ and $-\theta_0$ are smaller (it keeps more "
              r"in-context learning), and (c) loses the same on $-\theta_0$ as on $\theta_0$. The order of the "
              r"gammas matters for the first layer: the increasing order has the smaller zero-shot error for every $d$.")

    def _statement(self):
        d, s2 = DIM, sigma ** 2
        q = d ** 2 + (12 + 2 * R2) * d + 39 + 10 * R2
        zero = s2 + K * (1 + (d + 2) * (d + 3 + R2) * C_1)
        stated = (zero, s2 + 2 * K * C_1 ** 2, s2 + 2 * K * C_1 ** 2, zero, s2, s2 + 8 * K * C_1 ** 2)
        out = [claim(C_1, -(d + 3 + R2) / ((d + 4) * q)), claim(VY_1, 1 - C_1)]
        out += [claim(TestError(name, n, sign * THETA0), rhs) for (name, n, sign), rhs in zip(ROWS, stated)]
        return tuple(out)

    def stated(self, i: int, order: str = "increasing") -> sp.Expr:
        """Statement ``i``'s right side with c_1 written out (conjugated for the decreasing order)."""
        c1 = self.statement[0].rhs
        e = self.statement[i].rhs.xreplace({C_1: c1})
        return _conjugate(e) if order == "decreasing" else e

    def _derive(self) -> Derivation:
        from symbolic.depth_finetune import GAMMAS, V0, VY, finetune_value
        from symbolic.model import vec
        from symbolic.strategy import Step
        from proofs.paper.results.depth_value import GAMMA_1, GAMMA_2, RESULT as LAST, error_in_field, zero_shot_in_field
        last = LAST.derive()                       # Extension 9: the pretrained gamma's (derived there, reused)
        g = (last.values[GAMMA_1], last.values[GAMMA_2])
        if not float(g[0]) < float(g[1]):
            raise AssertionError(f"Extension 9's gammas: expected increasing order, got {g}")
        F = _field()
        gam = {"increasing": (F.element(g[0]), F.element(g[1])), "decreasing": (F.element(g[1]), F.element(g[0]))}
        steps: list = [Step("start: Extension 9's pretrained gamma^* (m -> oo), increasing order", sp.Tuple(*g))]
        generic, values, errors, curvature = {}, {}, {}, {}
        for layer in (1, 2):
            # (c): the zero-shot loss in layer `layer`'s values, at symbolic gamma's (the last layer's: Extension 9's)
            c = last.data["fts"]["depth2-value"] if layer == 2 else finetune_value(2, layer)
            (coef, word, a), = c.layers[layer - 1].vx
            if word or a != THETA0 or c.layers[layer - 1].v0 != 0 or c.layers[layer - 1].vy != 1:
                raise AssertionError(f"(c) at layer {layer}: expected v_0 = 0, v_x along theta_0, v_y = 1")
            if layer == 1:                    # the last layer's steps are Extension 9's (on its page)
                steps += [Step(f"layer {layer}, (c): {what}", val if isinstance(val, sp.Basic) else None)
                          for what, val in c.steps]
            # the three errors once with the layer's last row symbolic (v_0, v_x = c_x theta_0, v_y), symbolic gamma's
            lay = list(c.layers)
            lay[layer - 1] = lay[layer - 1].with_(v0=V0, vx=vec(THETA0, C_X), vy=VY)
            errs_f = {(0, 1): zero_shot_in_field(F, lay, c, layer, (V0, C_X, VY)),
                      **{(sp.oo, sign): error_in_field(F, lay, sign * THETA0, sp.oo) for sign in (1, -1)}}
            generic[layer] = errs_f
            coef_f = F.element(coef)
            for order, (g1, g2) in gam.items():
                at_g = ((GAMMAS[0], g1), (GAMMAS[1], g2))
                cx = F.subs_many(coef_f, at_g)
                e0 = {key: F.subs_many(e, ((V0, F.element(0)),) + at_g + ((C_X, cx),)) for key, e in errs_f.items()}
                # (d): inside (c)'s minimisers (v_y free), the n_ft -> oo loss on theta_0 over v_y: a quadratic
                a2, a1 = F.coeff(e0[sp.oo, 1], VY, 2), F.coeff(e0[sp.oo, 1], VY, 1)
                vy = -a1 / (2 * a2)
                curvature[order, layer] = a2
                for strat, y in (("c", F.one()), ("d", vy)):
                    values[order, layer, strat] = {V0: F.element(0), C_X: cx, VY: y}
                    for key, e in e0.items():
                        errors[order, layer, strat, key] = F.subs(e, VY, y)
            if layer == 1:
                steps.append(Step(f"layer {layer}, (d): argmin over v_y of the n_ft -> oo loss on theta_0 (increasing "
                                  "order)", _expr(values["increasing", layer, "d"][VY])))
        out = {C_1: _expr(values["increasing", 1, "c"][C_X]), VY_1: _expr(values["increasing", 1, "d"][VY])}
        for (name, n, sign), eq in zip(ROWS, self.statement[2:]):
            out[eq.lhs] = _expr(errors["increasing", 1, "c" if name == "depth2-value-first" else "d", (n, sign)])
        return Derivation(values=out, steps=steps,
                          data={"field": F, "errors": errors, "values": values, "generic": generic,
                                "curvature": curvature, "gammas": g})

    def _checks(self, der: Derivation):
        from symbolic.depth_finetune import GAMMAS, VY
        F, errors, values = der.data["field"], der.data["errors"], der.data["values"]
        g = der.data["gammas"]
        c1 = {order: F.element(self.stated(0, order)) for order in ORDERS}
        seen: dict = {}

        def el(e: sp.Expr, order: str = "increasing"):
            """A stated right side in the field, c_1 put in by the field's arithmetic (small expressions; each once)."""
            key = (e, order)
            if key not in seen:
                x = sp.sympify(e).xreplace({K: K_SYMBOL})
                if order == "decreasing":
                    x = _conjugate(x)
                seen[key] = F.subs(F.element(x), C_1, c1[order]) if x.has(C_1) else F.element(x)
            return seen[key]
        yield Line("exact", f"start: gamma^* = ({show(g[0])}, {show(g[1])}) from Extension 9's derivation (increasing "
                   "order: the smaller in the first layer)", sp.expand((1 + g[0]) * (1 + g[1])) == 2)
        for i, (lhs, what, key) in enumerate(((C_1, "V_1's v_x = c_1 theta_0 under (c) and (d), v_0 = 0", C_X),
                                              (VY_1, "V_1's v_y under (d)", VY))):
            ok = True
            for order in ORDERS:
                got = values[order, 1, "d"][key]
                ok = ok and got == el(self.statement[i].rhs, order) and values[order, 1, "c"][C_X] == values[order, 1, "d"][C_X]
            yield Line("exact", f"{what}: derived {show(der.values[lhs])} {'==' if ok else '!='} stated "
                       f"{show(self.statement[i].rhs)} (both orders)", ok)
        ok = all(F.subs(der.data["curvature"][order, 1], K_SYMBOL, F.one()).positive_for(DIM) for order in ORDERS)
        yield Line("exact", "(d)'s loss is strictly convex in V_1's v_y (its v_y^2 coefficient is k times a rational "
                   "function of d whose numerator and denominator have coefficients of one sign; both orders): "
                   "the minimiser is unique", ok)
        for i, ((name, n, sign), eq) in enumerate(zip(ROWS, self.statement[2:]), start=2):
            strat = "c" if name == "depth2-value-first" else "d"
            what = f"{name}: {'zero-shot' if n == 0 else 'n -> oo'} error on {'theta_0' if sign > 0 else '-theta_0'}"
            got, x = der.values[eq.lhs], errors["increasing", 1, strat, (n, sign)]
            ok = x == el(eq.rhs)
            yield Line("exact", f"{what}: derived {_brief(got, x)} {'==' if ok else '!='} stated {show(eq.rhs)}", ok)
        ok = all(errors["decreasing", 1, "c" if name == "depth2-value-first" else "d", (n, sign)]
                 == el(eq.rhs, "decreasing") for (name, n, sign), eq in zip(ROWS, self.statement[2:]))
        yield Line("exact", "the gammas in the other order (gamma^* = (1 + sqrt 2, 1 - sqrt 2)), derived: the six errors "
                   "are the statement's with sqrt 2 -> -sqrt 2", ok)
        from proofs.paper.results.depth_value import RESULT as LAST
        for order in ORDERS:   # the last layer's table in both orders: Extension 9's (the one-layer table)
            ok = all(errors[order, 2, "c" if r.lhs.strategy == "depth2-value" else "d",
                            (r.lhs.n, 1 if r.lhs.task == THETA0 else -1)] == el(r.rhs) for r in LAST.statement[2:])
            yield Line("exact", f"({order} order) the last layer's values: the six errors are Extension 9's (the "
                       "one-layer table)", ok)
        # why (c)'s first layer loses nothing on -theta_0: the difference at symbolic gamma's and v_y
        from proofs.paper.results.depth_value import _factored
        gen = der.data["generic"][1]
        dx = gen[sp.oo, 1] - gen[sp.oo, -1]
        diff = _factored(dx)
        t1 = 1 + GAMMAS[0]
        on_set = F.subs(F.subs(dx, VY, F.one()), GAMMAS[1], F.element(2 / t1 - 1)).is_zero()
        d_asym = all(errors[order, 1, "d", (sp.oo, 1)] != errors[order, 1, "d", (sp.oo, -1)] for order in ORDERS)
        yield Line("exact", f"first layer: n -> oo error on theta_0 minus on -theta_0 = {show(diff)} (V_1's v_x = c_x "
                   "theta_0, any gamma's): at v_y = 1 it vanishes on (1 + gamma_1)(1 + gamma_2) = 2, the pretrained "
                   "m = oo minimiser set, so (c) is symmetric; (d) (v_y != 1) is not (both orders)", on_set and d_asym)
        yield from self._comparisons(der)
        yield self._numbers(der)

    def _comparisons(self, der: Derivation):
        """The plain comparisons, proved from the derived formulas (signs of coefficients in d)."""
        F, errors = der.data["field"], der.data["errors"]
        at_k1: dict = {}

        def per_k(x):
            """``x`` at k = 1 (a difference is k times a function of d), each once."""
            if x not in at_k1:
                at_k1[x] = F.subs(x, K_SYMBOL, F.one())
            return at_k1[x]
        cols = (((0, 1), "zero-shot error on theta_0"), ((sp.oo, 1), "n -> oo error on theta_0"),
                ((sp.oo, -1), "n -> oo error on -theta_0"))
        for strat in STRATEGIES:
            for key, what in cols:
                for order in ORDERS:
                    diff = errors[order, 1, strat, key] - errors[order, 2, strat, key]
                    if diff.is_zero():
                        yield Line("exact", f"({strat}, {order} order) {what}: first layer = last layer", True)
                        continue
                    if diff != per_k(diff) * F.element(K_SYMBOL):
                        yield Line("exact", f"({strat}, {order}) {what}: the difference is not k times a function of "
                                   f"d: {show(_expr(diff))}", False)
                        continue
                    sign = per_k(diff).positive_for(DIM)
                    want = "larger" if key == (0, 1) else "smaller"   # the claim
                    got = {True: "larger", False: "smaller", None: "undecided"}[sign]
                    yield Line("exact", f"({strat}, {order} order) {what}: first layer - last layer = k "
                               f"{show(_expr(per_k(diff)))}: numerator and denominator in d with coefficients of one sign "
                               f"each: the first layer's is {got.upper()} for every d >= 1", got == want)
        for order in ORDERS:   # the first layer still gains zero-shot, less than the last layer
            top = F.element(sigma ** 2 + K_SYMBOL)
            gain = top - errors[order, 1, "c", (0, 1)]
            ratio = gain / (top - errors[order, 2, "c", (0, 1)])
            ok = per_k(gain).positive_for(DIM) is True and (F.one() - ratio).positive_for(DIM) is True
            yield Line("exact", f"({order} order) the first layer's zero-shot gain over the pretrained sigma^2 + k is "
                       f"positive and is {show(_expr(ratio))} times the last layer's, in (0, 1) for every d >= 1", ok)
        z = per_k(errors["decreasing", 1, "c", (0, 1)] - errors["increasing", 1, "c", (0, 1)])
        yield Line("exact", f"first layer, zero-shot: decreasing order - increasing order = k {show(_expr(z))} > 0 for "
                   "every d >= 1: the increasing order (the convention) is better", z.positive_for(DIM) is True)
        f = per_k(errors["decreasing", 1, "c", (sp.oo, 1)] - errors["increasing", 1, "c", (sp.oo, 1)])
        cross = one_sign_change(F, F.fraction(f.num, F.ring.one), DIM)
        if cross is None:
            yield Line("exact", f"first layer, (c) n -> oo: decreasing - increasing = k {show(_expr(f))} (sign not "
                       "decided)", False)
        else:
            lo, sign_inf = cross
            den_positive = F.fraction(f.den, F.ring.one).positive_for(DIM) is True
            yield Line("exact", f"first layer, (c) n -> oo on +-theta_0: decreasing - increasing = k {show(_expr(f))}: its "
                       f"numerator's coefficients change sign once (Descartes: one positive root, in ({lo}, {lo + 1}]), "
                       f"its denominator's are positive: the increasing order is better for d >= {lo + 1}, the "
                       f"decreasing one below", sign_inf > 0 and den_positive)

    def _numbers(self, der: Derivation) -> Line:
        F, errors = der.data["field"], der.data["errors"]
        parts = []
        for order in ORDERS:
            for layer in (1, 2):
                for strat in STRATEGIES:
                    vals = []
                    for key in ((0, 1), (sp.oo, 1), (sp.oo, -1)):
                        e = errors[order, layer, strat, key]
                        vals.append("/".join(f"{e.value({DIM: dd, K_SYMBOL: 1, sigma: 0}):.3g}" for dd in (1, 2, 5, 20)))
                    parts.append(f"{order[:4]}. layer {layer} ({strat}): {', '.join(vals)}")
        return Line("note", "at sigma = 0, k = 1, d = 1/2/5/20 (zero-shot, n -> oo on theta_0, on -theta_0): "
                    + "; ".join(parts))

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """Each statement's two sides at a setting, ``{lhs: (computed, stated)}`` (increasing order). The
        computed side of an error comes from other routes than the derivation, at the derived V_1 values:
        the zero-shot error from the literal model's Gaussian moments
        (:func:`symbolic.concrete_depth.concrete_depth_error` at n = 0, d <= 4), the n -> oo errors by the law
        of large numbers (:func:`symbolic.concrete_depth.concrete_depth_limit`); c_1 and v_y^(1) are the derived
        values at the setting's d. Keys: ``Sigma``, ``theta_0``, ``sigma2`` (required), ``d``, ``m``. Refused
        with the reason: a finite m (the statement is at m -> oo), a task other than +-theta_0, a finite n,
        d > 4 (the literal zero-shot route's reach)."""
        from proofs.paper.results.depth_value import limit_setting
        where = limit_setting(setting)
        if where.d > 4:
            raise ValueError(f"Sigma: the zero-shot side is computed by the literal model's moments, d <= 4; got "
                             f"d = {where.d} (the closed forms hold there: evaluate the statement directly)")
        return _evaluate(self, where, digits)


#: the key of v_y in the derivation's values (symbolic.depth_finetune.VY)
VY_KEY = sp.Symbol("v_y")


def _layers_at(values: dict, gammas: tuple, Sigma: sp.Matrix, theta0: sp.Matrix) -> list:
    """The two layers as (V, Q) matrices: V_1's last row from ``values`` (v_0, c_x, v_y at d), V_2 = e_y e_y^T,
    Q_l = blockdiag(0, gamma_l Sigma^{-1}, 0) (:func:`symbolic.concrete_depth.class_start`)."""
    from symbolic.concrete_depth import class_start
    from symbolic.depth_finetune import V0, VY
    return class_start(gammas, Sigma, {1: [values[V0], *(values[C_X] * theta0), values[VY]]})


def _evaluate(result: DepthLayerChoice, where: Any, digits: int | None) -> dict[sp.Basic, Any]:
    from symbolic.concrete_depth import concrete_depth_error, concrete_depth_limit
    der = result.derive()
    F = der.data["field"]
    d = where.d
    Sigma, th0 = sp.Matrix(where.Sigma.tolist()), sp.Matrix(where.theta0.tolist())
    s2 = sp.nsimplify(where.sigma2)
    k = (th0.T * Sigma * th0)[0, 0]
    r = sp.Symbol("r")    # sqrt 2 as a symbol inside the literal model (polynomial rings: fast), reduced after

    def at(x) -> sp.Expr:
        """A field element at the setting: (a + b r) / c, c rational (denominators are free of sqrt 2)."""
        n0, n1, den = x.parts()
        env = {DIM: d, K_SYMBOL: k, sigma: sp.sqrt(s2)}
        return sp.expand((n0.as_expr().subs(env) + n1.as_expr().subs(env) * r) / den.as_expr().subs(env))

    def reduce(e: sp.Expr) -> sp.Expr:
        """A polynomial in r, reduced modulo r^2 - 2, then r = sqrt 2: canonical a + b sqrt 2."""
        return sp.expand(sp.rem(sp.expand(e), r ** 2 - 2, r).xreplace({r: R2}))

    c1 = F.element(result.stated(0))
    g = tuple(sp.expand(x).xreplace({R2: r}) for x in der.data["gammas"])
    out: dict = {}
    for i, (lhs, key) in enumerate(((C_1, C_X), (VY_1, VY_KEY))):
        stated = F.element(result.stated(i))
        out[lhs] = (reduce(at(der.data["values"]["increasing", 1, "d"][key])), reduce(at(stated)))
    for i, ((name, n, sign), eq) in enumerate(zip(ROWS, result.statement[2:]), start=2):
        strat = "c" if name == "depth2-value-first" else "d"
        vals = {key: at(v) for key, v in der.data["values"]["increasing", 1, strat].items()}
        lays = _layers_at(vals, g, Sigma, th0)
        if n == 0:
            got = concrete_depth_error(lays, n=0, theta=list(sign * th0), Sigma=Sigma, sigma2=s2)
        else:
            got = concrete_depth_limit(lays, theta=list(sign * th0), Sigma=Sigma, sigma2=s2)
        e = result.statement[i].rhs.xreplace({K: K_SYMBOL})
        stated = F.subs(F.element(e), C_1, c1) if e.has(C_1) else F.element(e)
        vals2 = [reduce(got), reduce(at(stated))]
        out[eq.lhs] = tuple(sp.N(v, digits) if digits else v for v in vals2)
    return out


RESULT = DepthLayerChoice()
