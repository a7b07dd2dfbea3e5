r"""Beyond the paper: how fast value fine-tuning forgets, along its gradient-descent path.

Strategy (c) is gradient descent on the zero-shot loss over V's last row from the pretrained
``v_0 = (0, 0, 1)``.  On the segment ``v(s) = v_* + s (v_0 - v_*)`` from (c)'s point (s = 0) to
the start (s = 1), derived by the Wick engine at symbolic d and Sigma (``k = theta_0^T Sigma theta_0``):

* zero-shot error on theta_0: ``Z(s) = sigma^2 + (2 + (d+2) s^2) k / (d+4)``;
* n -> oo error on theta_0 and on -theta_0 alike: ``F(s) = sigma^2 + (1 - s)^2 k / (d+4)^2``.

At Sigma = I the direction ``v_0 - v_*`` is an eigenvector of the Hessian (checked exactly, by
the closed-form trajectory, at d = 1..4), with eigenvalue ``h = 2 c_2/|v_0 - v_*|^2 = 2 (d+2)(d+4)``,
so gradient descent with step eta stays on the segment: ``v_t = v(s_t)``, ``s_t = (1 - eta h)^t``,
in closed form at symbolic d.

Findings: the n -> oo error on -theta_0 is monotone (non-decreasing) in t exactly when
``0 < eta <= 1/h``; for ``1/h < eta < 2/h`` s_t changes sign every step and the error
overshoots its final value (at t = 1 it is ``sigma^2 + (eta h)^2 k/(d+4)^2`` > the limit).  The
few-shot loss paid per unit of zero-shot gain along the path, ``-dF/dZ = (1 - s)/((d+2)(d+4) s)``,
is 0 at the start and grows without bound near the end; over the whole path it is
``1/((d+2)(d+4))``, against 1 for full fine-tuning (b) end to end (its zero-shot gain k is paid
with k of few-shot error).  Along (b)'s own path only numbers are available (its loss is
quartic); this result states (b)'s end-to-end ratio only.
"""
from __future__ import annotations

import sympy as sp

from symbolic import THETA0
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Param, Result
from proofs.paper.results._beyond import K
from proofs.paper.results._common import PRETRAINED, SETTING, FEW_SHOT_LIMIT, equality_line, same, show, sigma
from proofs.quantities.derivations import strategy
from proofs.paper.results._paths import S, label, segment_errors

Z_S = label("Z_c(s)", r"Z_{c}(s)")
F_S = label("F_c(s)", r"F_{c}(s)")
H_EIG = label("h", "h")
RATE = label("-dF/dZ", r"-\frac{dF_{c}}{dZ_{c}}")
RATIO_C = label("ratio_c", r"\frac{F_{c}(0) - F_{c}(1)}{Z_{c}(1) - Z_{c}(0)}")
RATIO_B = label("ratio_b", r"\frac{\Delta F_{b}}{-\Delta Z_{b}}")
ETA = sp.Symbol("eta", positive=True)


class ForgettingRate(Result):
    id = "forgetting-rate"
    label_text = "Proposition B.5"
    defined_in_claim = ("s", "h")
    definitions = (("Z_c(s)", "Z_c(s) and F_c(s) are the zero-shot error on theta_0 and the n -> oo error on theta_0 "
                    "(the same on -theta_0) at v(s), and -dF/dZ = -dF_c/dZ_c the few-shot cost of a unit of "
                    "zero-shot gain along the segment; Delta F_b and Delta Z_b are the changes of the two errors "
                    "from (a) to (b)",
                    r"$Z_c(s)$ and $F_c(s)$ are the zero-shot error on $\theta_0$ and the $n \to \infty$ error on "
                    r"$\theta_0$ (the same on $-\theta_0$) at $v(s)$, and $-dF_c/dZ_c$ the few-shot cost of a unit of "
                    r"zero-shot gain along the segment; $\Delta F_b$ and $\Delta Z_b$ are the changes of the two "
                    r"errors from (a) to (b)"),
                   ("F_c(s)", "", ""), ("-dF/dZ", "", ""), ("ratio_c", "", ""), ("ratio_b", "", ""))
    title = "beyond the paper: how fast value fine-tuning forgets along its gradient-descent path"
    title_latex = r"beyond the paper: how fast value fine-tuning forgets along its gradient-descent path"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED, FEW_SHOT_LIMIT,
                        ("gradient descent on V's last row from the pretrained parameters, step eta, s_t = (1 - eta h)^t; "
                         "h and the path's closed form at Sigma = I",
                         r"gradient descent on $V$'s last row from the pretrained parameters, step $\eta$, "
                         r"$s_t = (1 - \eta h)^t$; $h$ and the path's closed form at $\Sigma = I$"))
    claim = ("On the segment v(s) from (c)'s point (s = 0) to the pretrained one (s = 1), and along the path",
             r"On the segment $v(s)$ from (c)'s point ($s = 0$) to the pretrained one ($s = 1$), and along the path")

    def _statement(self):
        d, k = DIM, K
        return (sp.Eq(Z_S, sigma ** 2 + (2 + (d + 2) * S ** 2) * k / (d + 4)),
                sp.Eq(F_S, sigma ** 2 + (1 - S) ** 2 * k / (d + 4) ** 2),
                sp.Eq(H_EIG, 2 * (d + 2) * (d + 4)),
                sp.Eq(RATE, (1 - S) / ((d + 2) * (d + 4) * S)),
                sp.Eq(RATIO_C, 1 / ((d + 2) * (d + 4))),
                sp.Eq(RATIO_B, sp.S.One))

    def _derive(self) -> Derivation:
        from symbolic.strategy import Step
        e = segment_errors()
        Z, Fo, Ft = e["zero_shot"], e["limit_opposite"], e["limit_target"]
        c2 = sp.factor(sp.expand(Z).coeff(S, 2))
        vc = strategy("value", sp.oo).blocks
        (coef, _, vec), = vc.vx                                 # v_x* = c theta_0; v_0 - v_* = (0, -c theta_0, 0)
        delta2 = coef ** 2 * sp.Symbol("theta_0^T theta_0")
        h_identity = sp.factor((2 * c2 / delta2).subs(K, sp.Symbol("theta_0^T theta_0")))
        rate = sp.factor(-sp.diff(Fo, S) / sp.diff(Z, S))
        ratio_c = sp.factor((Fo.subs(S, 0) - Fo.subs(S, 1)) / (Z.subs(S, 1) - Z.subs(S, 0)))
        from proofs.quantities.derivations import few_shot_limit
        za = strategy("pretrain", sp.oo).error(THETA0, 0)
        zb = strategy("full", sp.oo).error(THETA0, 0)
        fa, fb = few_shot_limit("pretrain", "opposite"), few_shot_limit("full", "opposite")
        ratio_b = sp.factor((fb - fa) / (za - zb))
        values = {Z_S: Z, F_S: Fo, H_EIG: h_identity, RATE: rate, RATIO_C: ratio_c, RATIO_B: ratio_b}
        steps = [Step("blocks on the segment v(s) = v_* + s (v_0 - v_*), Q at Q_hat"),
                 Step("zero-shot error on the segment", Z), Step("n -> oo error on -theta_0 on the segment", Fo),
                 Step("n -> oo error on theta_0 on the segment", Ft),
                 Step("coefficient of s^2 in the training loss (c_2)", c2),
                 Step("h = 2 c_2 / |v_0 - v_*|^2 at Sigma = I", h_identity)]
        return Derivation(values=values, steps=steps, extra={"n -> oo error on theta_0 on the segment": Ft},
                          data={"Ft": Ft, "Fo": Fo, "Z": Z})

    def _checks(self, der: Derivation):
        for eq in self.statement:
            yield equality_line(str(eq.lhs), der.values[eq.lhs], eq.rhs)
        yield Line("exact", "the n -> oo errors on theta_0 and -theta_0 coincide on the segment",
                   same(der.data["Ft"], der.data["Fo"]))
        slope = sp.factor(sp.diff(der.data["Fo"], S))
        yield Line("exact", f"dF/ds = {show(slope)} <= 0 on [0, 1]: F rises as s falls; s_t = (1 - eta h)^t falls "
                   "monotonically iff eta h <= 1, alternates in sign iff 1 < eta h < 2 (then F(s_1) = sigma^2 + "
                   "(eta h)^2 k/(d+4)^2 overshoots the limit F(0))",
                   same(slope, -2 * (1 - S) * K / (DIM + 4) ** 2)
                   and same(der.data["Fo"].subs(S, 1 - ETA * H_EIG), sigma ** 2 + (ETA * H_EIG) ** 2 * K / (DIM + 4) ** 2))
        yield from _single_mode_lines()
        yield Line("note", "(b) along its own path: its loss is quartic (V and Q move together), no closed form; "
                   "only its end-to-end ratio is stated", None)


def _single_mode_lines():
    """At Sigma = I, d = 1..4 (theta_0 = e_1 and a generic theta_0): the closed-form trajectory of (c)
    has one mode, h = 2(d+2)(d+4), along v_0 - v_*."""
    import numpy as np
    from symbolic.explicit import explicit_quadratic
    from symbolic.strategies import value_spec
    from proofs.quantities.trajectories import modes
    ok = True
    for d in range(1, 5):
        for theta0 in ([1] + [0] * (d - 1), [sp.Rational(k + 1, 2) * (-1) ** k for k in range(d)]):
            q = explicit_quadratic(value_spec(), d=d, theta0=theta0, sigma2=sp.Rational(1, 10))
            m = modes(q.A, q.b, q.start, exact=True)
            t2 = sum(sp.nsimplify(x) ** 2 for x in theta0)
            delta = q.start - m.u_star
            ok &= (m.exact and len(m.h) == 1 and m.h[0] == 2 * (d + 2) * (d + 4) * t2 / t2
                   and list(m.w[:, 0]) == list(delta))
    yield Line("exact", "Sigma = I, d = 1..4, theta_0 = e_1 and a generic theta_0: the trajectory has exactly one "
               "mode, h = 2(d+2)(d+4), along v_0 - v_* (gradient descent stays on the segment)", bool(ok))


RESULT = ForgettingRate()
