r"""Beyond the paper: at depth 2, fine-tuning the query-key matrices, and fine-tuning all of a layer.

The model and the pretrained start are Extension 9's (:mod:`proofs.paper.results.depth_value`): two
layers of linear attention, pretrained as m -> oo at Sigma = I to Gamma_l = gamma_l^* I, fine-tuning
from V_l = e_y e_y^T, Q_l = blockdiag(0, gamma_l^* Sigma^{-1}, 0). Here whole matrices move (outside the
class), on the zero-shot loss on theta_0, as strategy (b) and Extension 2 do at one layer. Derived at
``prove`` time with the literal model (:mod:`symbolic.concrete_depth`: the Gaussian moments at n = 0, the
law of large numbers as n -> oo) at d = 2 with every entry of Sigma and theta_0 a symbol:

* **the query-key matrices** (every entry of Q_1 and Q_2): with the pretrained values the query's label
  entry is 0 and stays 0 through both layers (V_l writes only into it, in proportion to it), so the
  zero-shot prediction is 0 whatever Q_1, Q_2 are: the zero-shot error is sigma^2 + theta_0^T Sigma
  theta_0 for all 32 entries as symbols, gradient descent does not move, and the pretrained model keeps
  its n -> oo error sigma^2 on theta_0 and -theta_0: no gain and no loss, as at one layer (Extension 2);
* **all of the last layer** (every entry of V_2 and Q_2): at n = 0 the pretrained first layer leaves the
  query as it is (checked: the zero-shot error of the two layers equals that of layer 2 alone, for every
  entry of the first layer's Q_1 and every entry of layer 2 that reaches the output as symbols), so the
  zero-shot problem is the one-layer problem and gradient descent reaches Theorem 4.3's family F1 in
  layer 2 (the toolkit's one-layer derivation of strategy (b), scale C any nonzero symbol): zero-shot
  error sigma^2, the minimum. Its n -> oo error is sigma^2 + 2 theta_0^T Sigma theta_0 on theta_0 and on
  -theta_0, for every C: as n -> oo F1 moves nothing (its only product reads E[v^T z] = v_0 = 0), so the
  first layer's in-context step gamma_1^* theta^T x is all that remains, with error sigma^2 +
  (1 - gamma_1^*)^2 theta_0^T Sigma theta_0. Twice the loss of one layer's full fine-tuning
  (Corollary 4.4: sigma^2 + theta_0^T Sigma theta_0): at depth, full fine-tuning of the last layer forgets
  more than everything there was to learn.

Every entry of both layers at once has no closed form here: ``icl-finetune derive --spec
docs/examples/depth-specs/full.json --numeric`` follows gradient descent on the exact zero-shot loss
(:mod:`proofs.quantities.depth_descent`, labelled NUMERIC); docs/cli.md reports what it reaches (zero-shot
sigma^2; n -> oo errors that keep moving along the path).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from symbolic import SCALE, SIGMA, THETA0, Bilinear, ratfun

from proofs.paper.result import PARAMS, Derivation, Line, Result, TestError, claim
from proofs.paper.results._common import FEW_SHOT_LIMIT, SETTING, same, show, sigma

PARAMS.update({
    "depth2-query-key": ("V_hat^(2), Q_qk^(2)", r"\hat{V}^{(2)}, Q_{\mathrm{qk}}^{(2)}"),
    "depth2-full-last": ("V_b^(2,2), Q_b^(2,2)", r"V_{b}^{(2,2)}, Q_{b}^{(2,2)}"),
})

K = Bilinear(THETA0, SIGMA, THETA0)
#: the statement's rows: (strategy, n, task sign)
ROWS = (("depth2-query-key", 0, 1), ("depth2-query-key", sp.oo, 1), ("depth2-query-key", sp.oo, -1),
        ("depth2-full-last", 0, 1), ("depth2-full-last", sp.oo, 1), ("depth2-full-last", sp.oo, -1))
#: the derivation's dimension, and its symbols: Sigma's and theta_0's entries
D = 2
S11, S12, S22, T1, T2 = sp.symbols("s_11 s_12 s_22 t_1 t_2", real=True)


def _sym_setting() -> tuple[sp.Matrix, sp.Matrix]:
    return sp.Matrix([[S11, S12], [S12, S22]]), sp.Matrix([T1, T2])


def _one_layer_full(theta0: sp.Matrix, scale: Any) -> tuple[sp.Matrix, sp.Matrix]:
    """The one-layer full fine-tuning (the toolkit's derivation of strategy (b): Theorem 4.3's family F1 with
    every free entry at its pretrained value) as (V, Q) at ``theta0``'s d, scale C = ``scale``."""
    from symbolic.evaluation import evaluate
    from symbolic.layout import LAYOUT
    from symbolic.strategy import vecexpr_to_sympy
    from proofs.quantities.derivations import strategy
    b = strategy("full").blocks
    d = theta0.shape[0]
    env = {"theta_0": theta0, "d": d}
    V, Q = sp.zeros(d + 2), sp.zeros(d + 2)
    for blk in LAYOUT:     # the one block layout places each block
        val = getattr(b, blk.name)
        if blk.kind == "scalar":
            v = sp.Matrix([[sp.sympify(val).subs(SCALE, scale)]])
        elif blk.kind == "vector":
            v = sp.Matrix(evaluate(vecexpr_to_sympy(list(val)), env)).subs(SCALE, scale) if val else sp.zeros(d, 1)
            v = v.T if blk.row else v
        else:
            if val:
                raise AssertionError(f"strategy (b): expected Q_xx = 0 on F1 at its pretrained antisymmetric part, got {val}")
            v = sp.zeros(d)
        rows, cols = blk.index(d)
        (V if blk.matrix == "V" else Q)[rows, cols] = v
    return V, Q


R2, _R = sp.sqrt(2), sp.Symbol("r")
#: the task's sign (theta = c theta_0) as a symbol in the n -> oo derivation, read at c = +-1
_TASK_SIGN = sp.Symbol("c_sign")


def _reduced(e: sp.Expr) -> sp.Expr:
    """An exact error in QQ(sqrt 2)(Sigma's and theta_0's entries, sigma) as a canonical expanded expression:
    sqrt 2 as a symbol r, the fraction cancelled in polynomial rings, the numerator reduced modulo r^2 - 2 (the
    denominators here are powers of det Sigma, free of r: checked)."""
    num, den = sp.fraction(ratfun.cancel(sp.expand(e).xreplace({R2: _R})))
    if den.has(_R):
        raise AssertionError(f"expected a denominator free of sqrt 2, got {den}")
    return sp.expand(sp.rem(sp.expand(num), _R ** 2 - 2, _R).xreplace({_R: R2}) / den)


class DepthFull(Result):
    id = "depth-full-fine-tuning"
    title = "beyond the paper: at depth two, the query-key matrices alone, and all of the last layer"
    title_latex = title
    strategy = "full"
    label_text = "Extension 11"
    assumption_pairs = (
        SETTING,
        ("two layers of linear attention, Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1}/(n+1), pretrained in the "
         "class (V_l = e_y e_y^T, Q_l = blockdiag(0, gamma_l^* Sigma^{-1}, 0), gamma^* = (1 - sqrt 2, 1 + sqrt 2), "
         "Extension 9); fine-tuned on the zero-shot loss on theta_0: every entry of Q_1 and Q_2, or every entry "
         "of V_2 and Q_2, the rest at its pretrained value",
         r"two layers of linear attention, $Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^\top Q_l Z_{l-1}/(n+1)$, pretrained "
         r"in the class ($V_l = e_y e_y^\top$, $Q_l = \mathrm{blockdiag}(0, \gamma_l^* \Sigma^{-1}, 0)$, "
         r"$\gamma^* = (1 - \sqrt 2, 1 + \sqrt 2)$, Extension 9); fine-tuned on the zero-shot loss on $\theta_0$: "
         r"every entry of $Q_1$ and $Q_2$, or every entry of $V_2$ and $Q_2$, the rest at its pretrained value"),
        ("gradient descent from the pretrained parameters; the last layer reaches Theorem 4.3's family F1 (any "
         "scale C)", r"gradient descent from the pretrained parameters; the last layer reaches the family $F_1$ of "
                     r"Theorem 4.3 (any scale $C$)"),
        FEW_SHOT_LIMIT)
    claim = ("Fine-tuning the query-key matrices of both layers, and all of the last layer, give",
             r"Fine-tuning the query-key matrices of both layers, and all of the last layer, give")

    def _statement(self):
        s2 = sigma ** 2
        stated = (s2 + K, s2, s2, s2, s2 + 2 * K, s2 + 2 * K)
        return tuple(claim(TestError(name, n, sign * THETA0), rhs) for (name, n, sign), rhs in zip(ROWS, stated))

    def _derive(self) -> Derivation:
        from symbolic.concrete_depth import (class_start, concrete_depth_error, concrete_depth_error_element,
                                             concrete_depth_limit)
        from symbolic.depth_pretraining import pretrained_limit
        from symbolic.strategy import Step
        Sigma, th0 = _sym_setting()
        s2 = sigma ** 2
        gammas = tuple(sorted(pretrained_limit(2).gammas, key=float))
        pre = class_start(gammas, Sigma)
        e_y = pre[0][0]
        # the query-key matrices: every entry of Q_1, Q_2 a symbol, the values pretrained
        qs = [sp.Matrix(D + 2, D + 2, sp.symbols(f"q{l}_0:{(D + 2) ** 2}")) for l in (1, 2)]
        qk_zero = sp.expand(concrete_depth_error([(e_y, qs[0]), (e_y, qs[1])], n=0, theta=list(th0), Sigma=Sigma,
                                                 sigma2=s2))
        # the last layer alone: n = 0 through the pretrained first layer (any Q_1) is layer 2 alone
        p1 = sp.Matrix(D + 2, D + 2, sp.symbols(f"p_0:{(D + 2) ** 2}"))
        V2, Q2 = sp.zeros(D + 2), sp.zeros(D + 2)
        V2[D + 1, :] = sp.Matrix([sp.symbols(f"v_0:{D + 2}")])
        Q2[:, :D + 1] = sp.Matrix(D + 2, D + 1, sp.symbols(f"w_0:{(D + 2) * (D + 1)}"))
        two = concrete_depth_error_element([(e_y, p1), (V2, Q2)], n=0, theta=list(th0), Sigma=Sigma, sigma2=s2)
        one = concrete_depth_error_element([(V2, Q2)], n=0, theta=list(th0), Sigma=Sigma, sigma2=s2)
        F1 = _one_layer_full(th0, SCALE)
        last = [pre[0], F1]
        values: dict = {}
        # the n -> oo errors on c theta_0 once per model, c a symbol, then read at c = 1 and c = -1 (exact: the
        # limit is a rational function of c with no pole there; its denominators are powers of det Sigma)
        on_c: dict = {}
        for (name, n, sign), eq in zip(ROWS, self.statement):
            lays = pre if name == "depth2-query-key" else last
            th = list(sign * th0)
            if n == 0:
                v = qk_zero if name == "depth2-query-key" else concrete_depth_error(lays, n=0, theta=th, Sigma=Sigma,
                                                                                    sigma2=s2)
            else:
                if name not in on_c:
                    on_c[name] = concrete_depth_limit(lays, theta=list(_TASK_SIGN * th0), Sigma=Sigma, sigma2=s2)
                v = on_c[name].subs(_TASK_SIGN, sign)
            values[eq.lhs] = _reduced(v)
        steps = [Step("pretraining, m -> oo: gamma^* (Extension 9)", sp.Tuple(*gammas)),
                 Step("query-key: zero-shot error at d = 2, every entry of Q_1, Q_2 a symbol", qk_zero),
                 Step("last layer: the one-layer full fine-tuning F1 (strategy (b)) in layer 2, V_2's last row",
                      sp.Tuple(*F1[0][D + 1, :])),
                 Step("last layer: F1's Q_2, its only non-zero entry Q_00", F1[1][0, 0])]
        return Derivation(values=values, steps=steps,
                          data={"gammas": gammas, "qk_symbols": set().union(*(q.free_symbols for q in qs)),
                                "qk_zero": qk_zero, "two": two, "one": one, "F1": F1})

    def _checks(self, der: Derivation):
        from symbolic.concrete_depth import same_value
        Sigma, th0 = _sym_setting()
        k = sp.expand((th0.T * Sigma * th0)[0, 0])
        at_d = {K: k}
        g1 = der.data["gammas"][0]
        yield Line("exact", f"pretraining, m -> oo: gamma^* = ({show(g1)}, {show(der.data['gammas'][1])}) "
                   "(Extension 9's derivation)", same(g1, 1 - sp.sqrt(2)))
        qk = der.data["qk_zero"]
        yield Line("exact", f"query-key: with the pretrained values the zero-shot error at d = 2 is {show(qk)}: no entry "
                   f"of Q_1, Q_2 ({len(der.data['qk_symbols'])} symbols) appears (the query's label entry stays 0), so "
                   "gradient descent does not move and the pretrained n -> oo errors remain",
                   not (qk.free_symbols & der.data["qk_symbols"]))
        yield Line("exact", "last layer: at n = 0 the pretrained first layer (every entry of Q_1 a symbol) leaves the "
                   "query as it is: the zero-shot error of both layers equals layer 2's alone for every entry of V_2's "
                   "last row and Q_2's first d + 1 columns (symbols): the one-layer problem, minimum sigma^2 on "
                   "Theorem 4.3's families", same_value(der.data["two"], der.data["one"]))
        F1 = der.data["F1"]
        yield Line("exact", f"last layer: gradient descent reaches F1 (the one-layer derivation of (b)): V_2's last row "
                   f"{show(sp.Tuple(*F1[0][D + 1, :]))}, Q_2's Q_00 = {show(F1[1][0, 0])}, every other entry of Q_2 zero",
                   F1[1][0, 0] * SCALE == 1 and sum(1 for v in F1[1] if v != 0) == 1)
        for (name, n, sign), eq in zip(ROWS, self.statement):
            got, stated = der.values[eq.lhs], sp.expand(eq.rhs.xreplace(at_d))
            what = (f"{'query-key' if name == 'depth2-query-key' else 'all of the last layer'}: "
                    f"{'zero-shot' if n == 0 else 'n -> oo'} error on {'theta_0' if sign > 0 else '-theta_0'}")
            ok = sp.expand(got - stated) == 0
            yield Line("exact", f"{what}: derived at d = 2 {show(got)} {'==' if ok else '!='} stated {show(stated)}"
                       + (" (C, the scale of F1, cancels)" if name == "depth2-full-last" and n != 0 else ""), ok)
        yield Line("exact", "the n -> oo error of the last layer's full fine-tuning is sigma^2 + (1 - gamma_1^*)^2 "
                   "theta_0^T Sigma theta_0: the first layer's in-context step alone",
                   sp.expand(der.values[self.statement[4].lhs] - (sigma ** 2 + sp.expand((1 - g1) ** 2) * k)) == 0)

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """Each statement's two sides at a setting, ``{lhs: (computed, stated)}``. The computed side is the
        literal model at the setting's d (Gaussian moments at n = 0, d <= 4; the law of large numbers as
        n -> oo) at the parameters gradient descent keeps or reaches: the pretrained model for the query-key
        rows (the zero-shot loss does not see Q), the pretrained first layer with F1 at scale C = 1 in the
        last layer otherwise. Keys: ``Sigma``, ``theta_0``, ``sigma2`` (required), ``d``, ``m``; a finite m, a
        task other than +-theta_0, a finite n and d > 4 are refused with the reason."""
        from symbolic.concrete_depth import class_start, concrete_depth_error, concrete_depth_limit
        from proofs.paper.results.depth_value import limit_setting
        where = limit_setting(setting)
        if where.d > 4:
            raise ValueError(f"d: the zero-shot side is computed by the literal model's moments; expected d <= 4 "
                             f"(d, or the size of Sigma and theta_0), got d = {where.d}")
        der = self.derive()
        Sigma, th0 = sp.Matrix(where.Sigma.tolist()), sp.Matrix(where.theta0.tolist())
        s2 = sp.nsimplify(where.sigma2)
        k = (th0.T * Sigma * th0)[0, 0]
        pre = class_start(der.data["gammas"], Sigma)
        last = [pre[0], _one_layer_full(th0, 1)]
        out: dict = {}
        for (name, n, sign), eq in zip(ROWS, self.statement):
            lays = pre if name == "depth2-query-key" else last
            th = list(sign * th0)
            got = (concrete_depth_error(lays, n=0, theta=th, Sigma=Sigma, sigma2=s2) if n == 0 else
                   concrete_depth_limit(lays, theta=th, Sigma=Sigma, sigma2=s2))
            stated = eq.rhs.xreplace({K: k, sigma: sp.sqrt(s2)})
            vals = (sp.radsimp(sp.expand(got)), sp.expand(stated))
            out[eq.lhs] = tuple(sp.N(v, digits) if digits else v for v in vals)
        return out


RESULT = DepthFull()
