r"""Beyond the paper: how fast value fine-tuning forgets along its gradient-descent path, at any Sigma.

Strategy (c) is gradient descent on the zero-shot loss over V's last row ``(v_0, v_x, v_y)`` from
the pretrained ``(0, 0, 1)``.  Derived by the Wick engine at symbolic d and Sigma (``k =
theta_0^T Sigma theta_0``):

* **the Hessian's modes.**  Around (c)'s point ``v_x^c = theta_0/(d+4)`` the zero-shot loss is
  ``sigma^2 + 2k/(d+4) + d(d+2) a^2 + (d+2)(d+4) e^T Sigma e`` at ``v_0 = a``, ``v_x = v_x^c + e``,
  any ``v_y``: no linear term, no cross term, v_y absent.  So the Hessian is
  ``H = 2 diag(d(d+2), (d+2)(d+4) Sigma, 0)``: v_0's mode ``h_0 = 2d(d+2)`` (not excited: v_0 starts at
  its optimum 0), one mode ``h_i = 2(d+2)(d+4) sigma_i`` along each eigenvector of Sigma (eigenvalue
  sigma_i), and v_y flat.
* **the path.**  With step eta, ``v_x`` after t steps is ``v_x^c + R_t (v_x(0) - v_x^c) = (theta_0 -
  R_t theta_0)/(d+4)``, ``R_t = (I - eta H_x)^t``, ``H_x = 2(d+2)(d+4) Sigma``: the component of theta_0
  along the i-th eigenvector is forgotten at the rate ``(1 - eta h_i)^t``.  Along the path the
  zero-shot error is ``Z_t = sigma^2 + 2k/(d+4) + (d+2)/(d+4) theta_0^T R_t Sigma R_t theta_0`` and the
  n -> oo error, on theta_0 and on -theta_0 alike, ``F_t = sigma^2 + (k - 2 theta_0^T R_t Sigma theta_0 +
  theta_0^T R_t Sigma R_t theta_0)/(d+4)^2``.  Stable for ``0 < eta < 2/h_max`` over the excited modes.
* **the segment.**  The path stays on the segment ``v(s) = v_* + s (v_0 - v_*)`` exactly when
  ``R_t theta_0`` is a multiple of theta_0, i.e. theta_0 is an eigenvector of Sigma (all of them at
  Sigma = I): then ``s_t = (1 - eta h)^t`` with ``h = 2(d+2)(d+4) k/(theta_0^T theta_0)`` (2(d+2)(d+4) at
  Sigma = I), and ``Z_t``, ``F_t`` become the segment's ``Z_c(s)``, ``F_c(s)``:
  ``Z_c(s) = sigma^2 + (2 + (d+2) s^2) k/(d+4)``, ``F_c(s) = sigma^2 + (1 - s)^2 k/(d+4)^2``.  Elsewhere
  gradient descent leaves the segment (its modes forget at different rates).

Findings on the segment: the n -> oo error on -theta_0 is monotone (non-decreasing) in t exactly
when ``0 < eta <= 1/h``; for ``1/h < eta < 2/h`` s_t changes sign every step and the error
overshoots its final value.  The few-shot loss paid per unit of zero-shot gain,
``-dF/dZ = (1 - s)/((d+2)(d+4) s)``, is 0 at the start and grows without bound near the end; over
the whole segment it is ``1/((d+2)(d+4))``, against 1 for full fine-tuning (b) end to end.  Along
(b)'s own path only numbers are available (its loss is quartic); this result states (b)'s
end-to-end ratio only.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from symbolic import SIGMA, THETA0, Bilinear, ratfun
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, ParamVector, Result, claim
from proofs.paper.results._beyond import K, rational_derivative
from proofs.paper.results._common import PRETRAINED, SETTING, FEW_SHOT_LIMIT, equality_line, same, show, sigma
from proofs.quantities.derivations import strategy
from proofs.paper.results._paths import S, label, segment_errors

Z_S = label("Z_c(s)", r"Z_{c}(s)")
F_S = label("F_c(s)", r"F_{c}(s)")
H_X = ParamVector("H_x", DIM, DIM)
H_0 = label("h_0", r"h_{0}")
Z_T = label("Z_t", r"Z_{t}")
F_T = label("F_t", r"F_{t}")
RATE = label("-dF/dZ", r"-\frac{dF_{c}}{dZ_{c}}")
RATIO_C = label("ratio_c", r"\frac{F_{c}(0) - F_{c}(1)}{Z_{c}(1) - Z_{c}(0)}")
RATIO_B = label("ratio_b", r"\frac{\Delta F_{b}}{-\Delta Z_{b}}")
ETA = sp.Symbol("eta", positive=True)
STEPS = sp.Symbol("t", integer=True, nonnegative=True)
#: R_t = (I - eta H_x)^t, symmetric (a polynomial in Sigma)
R_T = sp.MatrixSymbol("R_t", DIM, DIM)
#: the deviation of v_x from (c)'s point, and of v_0, v_y from theirs, in the Hessian's derivation
E_VEC = sp.MatrixSymbol("e", DIM, 1)
A_V0, B_VY = sp.symbols("a b", real=True)


class ForgettingRate(Result):
    id = "forgetting-rate"
    label_text = "Extension 5"
    defined_in_claim = ("s",)
    definitions = (("H_x", "H_x and h_0 are the Hessian of the zero-shot loss in v_x and in v_0 (v_y does not reach "
                    "it, and no cross term: H = diag(h_0, H_x, 0)); R_t = (I - eta H_x)^t is what t steps of size eta "
                    "leave of v_x(0) - v_x^c, the component along the i-th eigenvector of Sigma (eigenvalue sigma_i) "
                    "multiplied by (1 - eta h_i)^t, h_i = 2(d+2)(d+4) sigma_i; Z_t and F_t are the zero-shot error "
                    "on theta_0 and the n -> oo error on theta_0 (the same on -theta_0) after t steps; Z_c(s) and "
                    "F_c(s) the same errors at v(s), and -dF/dZ = -dF_c/dZ_c the few-shot cost of a unit of "
                    "zero-shot gain along the segment; Delta F_b and Delta Z_b are the changes of the two errors "
                    "from (a) to (b)",
                    r"$H_x$ and $h_0$ are the Hessian of the zero-shot loss in $v_x$ and in $v_0$ ($v_y$ does not "
                    r"reach it, and no cross term: $H = \mathrm{diag}(h_0, H_x, 0)$); $R_t = (I - \eta H_x)^t$ is what "
                    r"$t$ steps of size $\eta$ leave of $v_x(0) - v_x^c$, the component along the $i$-th eigenvector "
                    r"of $\Sigma$ (eigenvalue $\sigma_i$) multiplied by $(1 - \eta h_i)^t$, $h_i = 2(d+2)(d+4) "
                    r"\sigma_i$; $Z_t$ and $F_t$ are the zero-shot error on $\theta_0$ and the $n \to \infty$ error "
                    r"on $\theta_0$ (the same on $-\theta_0$) after $t$ steps; $Z_c(s)$ and $F_c(s)$ the same errors "
                    r"at $v(s)$, and $-dF_c/dZ_c$ the few-shot cost of a unit of zero-shot gain along the segment; "
                    r"$\Delta F_b$ and $\Delta Z_b$ are the changes of the two errors from (a) to (b)"),
                   ("h_0", "", ""), ("R_t", "", ""), ("Z_t", "", ""), ("F_t", "", ""),
                   ("Z_c(s)", "", ""), ("F_c(s)", "", ""), ("-dF/dZ", "", ""), ("ratio_c", "", ""),
                   ("ratio_b", "", ""))
    title = "beyond the paper: how fast value fine-tuning forgets along its gradient-descent path, at any Sigma"
    title_latex = r"beyond the paper: how fast value fine-tuning forgets along its gradient-descent path, at any $\Sigma$"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED, FEW_SHOT_LIMIT,
                        ("gradient descent on V's last row from the pretrained parameters, t steps of size eta; the "
                         "path is the segment v(s), s = s_t = (1 - eta h)^t, exactly when theta_0 is an eigenvector of "
                         "Sigma (h = 2(d+2)(d+4) theta_0^T Sigma theta_0 / theta_0^T theta_0; every theta_0 at Sigma = I)",
                         r"gradient descent on $V$'s last row from the pretrained parameters, $t$ steps of size $\eta$; "
                         r"the path is the segment $v(s)$, $s = s_t = (1 - \eta h)^t$, exactly when $\theta_0$ is an "
                         r"eigenvector of $\Sigma$ ($h = 2(d+2)(d+4)\, \theta_0^T \Sigma \theta_0 / \theta_0^T \theta_0$; "
                         r"every $\theta_0$ at $\Sigma = I$)"))
    claim = ("At any Sigma the Hessian's modes and the errors after t steps are; on the segment v(s) from (c)'s point "
             "(s = 0) to the pretrained one (s = 1)",
             r"At any $\Sigma$ the Hessian's modes and the errors after $t$ steps are; on the segment $v(s)$ from (c)'s "
             r"point ($s = 0$) to the pretrained one ($s = 1$)")

    def _statement(self):
        d, k = DIM, K
        rsr = Bilinear(THETA0, R_T * SIGMA * R_T, THETA0)
        rs = Bilinear(THETA0, R_T * SIGMA, THETA0)
        return (claim(H_X, 2 * (d + 2) * (d + 4) * SIGMA),
                claim(H_0, 2 * d * (d + 2)),
                claim(Z_T, sigma ** 2 + 2 * k / (d + 4) + (d + 2) * rsr / (d + 4)),
                claim(F_T, sigma ** 2 + (k - 2 * rs + rsr) / (d + 4) ** 2),
                claim(Z_S, sigma ** 2 + (2 + (d + 2) * S ** 2) * k / (d + 4)),
                claim(F_S, sigma ** 2 + (1 - S) ** 2 * k / (d + 4) ** 2),
                claim(RATE, (1 - S) / ((d + 2) * (d + 4) * S)),
                claim(RATIO_C, 1 / ((d + 2) * (d + 4))),
                claim(RATIO_B, sp.S.One))

    def _derive(self) -> Derivation:
        from symbolic.strategy import Step
        e = segment_errors()
        Z, Fo, Ft = e["zero_shot"], e["limit_opposite"], e["limit_target"]
        hess = hessian()
        path = path_errors()
        # (derivatives by the quotient rule in QQ[gens], factored in the ring: the same rational functions
        # as sympy.diff's, the same expressions as sympy.factor's)
        rate = ratfun.factored(-rational_derivative(Fo, S) / rational_derivative(Z, S))
        ratio_c = ratfun.factored((Fo.subs(S, 0) - Fo.subs(S, 1)) / (Z.subs(S, 1) - Z.subs(S, 0)))
        from proofs.quantities.derivations import few_shot_limit
        za = strategy("pretrain", sp.oo).error(THETA0, 0)
        zb = strategy("full", sp.oo).error(THETA0, 0)
        fa, fb = few_shot_limit("pretrain", "opposite"), few_shot_limit("full", "opposite")
        ratio_b = ratfun.factored((fb - fa) / (za - zb))
        values = {H_X: hess["H_x"], H_0: hess["h_0"], Z_T: path["zero_shot"], F_T: path["limit_opposite"],
                  Z_S: Z, F_S: Fo, RATE: rate, RATIO_C: ratio_c, RATIO_B: ratio_b}
        steps = [Step("zero-shot loss at v_0 = a, v_x = v_x^c + e, v_y = 1 + b, Q at Q_hat", hess["loss"]),
                 Step("Hessian in v_x (twice the coefficient of e^T Sigma e)", hess["H_x"]),
                 Step("Hessian in v_0 (twice the coefficient of a^2)", hess["h_0"]),
                 Step("v_x after t steps: v_x^c + R_t (v_x(0) - v_x^c), R_t = (I - eta H_x)^t", path["vx"]),
                 Step("zero-shot error after t steps", path["zero_shot"]),
                 Step("n -> oo error on -theta_0 after t steps", path["limit_opposite"]),
                 Step("n -> oo error on theta_0 after t steps", path["limit_target"]),
                 Step("blocks on the segment v(s) = v_* + s (v_0 - v_*), Q at Q_hat"),
                 Step("zero-shot error on the segment", Z), Step("n -> oo error on -theta_0 on the segment", Fo),
                 Step("n -> oo error on theta_0 on the segment", Ft)]
        return Derivation(values=values, steps=steps, extra={"n -> oo error on theta_0 on the segment": Ft,
                                                              "n -> oo error on theta_0 after t steps": path["limit_target"]},
                          data={"Ft": Ft, "Fo": Fo, "Z": Z, "hess": hess, "path": path})

    def _checks(self, der: Derivation):
        hess, path = der.data["hess"], der.data["path"]
        yield Line("exact", f"the zero-shot loss around (c)'s point is {show(hess['loss'])}: no linear term, no cross "
                   "term between v_0, v_x, v_y, v_y absent (the rest after the two quadratic terms is the constant)",
                   hess["rest_is_constant"])
        for eq in self.statement:
            if getattr(eq.rhs, "is_Matrix", False):
                (cd, md), (cs, ms) = _scalar_times_matrix(der.values[eq.lhs]), _scalar_times_matrix(eq.rhs)
                ok = md == ms and same(cd, cs)
                yield Line("exact", f"{eq.lhs}: derived {show(der.values[eq.lhs])} {'==' if ok else '!='} stated "
                           f"{show(eq.rhs)}", ok)
            else:
                yield equality_line(str(eq.lhs), der.values[eq.lhs], eq.rhs)
        yield Line("exact", "the n -> oo errors on theta_0 and -theta_0 coincide on the segment and after t steps",
                   same(der.data["Ft"], der.data["Fo"]) and same(path["limit_target"], path["limit_opposite"]))
        on = {Bilinear(THETA0, R_T * SIGMA * R_T, THETA0): S ** 2 * K, Bilinear(THETA0, R_T * SIGMA, THETA0): S * K,
              Bilinear(THETA0, SIGMA * R_T, THETA0): S * K}
        yield Line("exact", "theta_0 an eigenvector of Sigma: R_t theta_0 = s theta_0 with s = (1 - eta h)^t turns Z_t and "
                   "F_t into the segment's Z_c(s) and F_c(s)",
                   same(path["zero_shot"].xreplace(on), der.data["Z"]) and same(path["limit_opposite"].xreplace(on),
                                                                                der.data["Fo"]))
        slope = ratfun.factored(rational_derivative(der.data["Fo"], S))
        yield Line("exact", f"dF/ds = {show(slope)} <= 0 on [0, 1]: F rises as s falls; s_t = (1 - eta h)^t falls "
                   "monotonically iff eta h <= 1, alternates in sign iff 1 < eta h < 2 (then F(s_1) = sigma^2 + "
                   "(eta h)^2 k/(d+4)^2 overshoots the limit F(0))",
                   same(slope, -2 * (1 - S) * K / (DIM + 4) ** 2)
                   and same(der.data["Fo"].subs(S, 1 - ETA * sp.Symbol("h")),
                            sigma ** 2 + (ETA * sp.Symbol("h")) ** 2 * K / (DIM + 4) ** 2))
        yield from _mode_lines(self)
        yield Line("note", "(b) along its own path: its loss is quartic (V and Q move together), no closed form; "
                   "only its end-to-end ratio is stated", None)

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """Each statement's two sides at an explicit setting (:meth:`Result.evaluate`), the matrix
        row H_x included; ``R_t`` from ``eta`` and ``t`` when given (exactly, t an integer >= 0), else
        as a function of eta and t when Sigma's eigenvalues are rational; refused, with the reason,
        when Sigma is given with irrational eigenvalues and no eta, t."""
        from symbolic.validation import check_spd
        eta, t = setting.pop("eta", None), setting.pop("t", None)
        if (eta is None) != (t is None):
            raise ValueError(f"{'t' if t is None else 'eta'}: Z_t and F_t need both the step eta > 0 and the number of "
                             "steps t (an integer >= 0), or neither")
        out: dict = {}
        if "Sigma" in setting:
            Sig = sp.Matrix(check_spd(setting["Sigma"], "Sigma"))
            setting["R_t"] = r_t(Sig, eta, t)
            env = {"Sigma": Sig, "d": Sig.shape[0]}
            from symbolic.evaluation import evaluate_matrix
            got = evaluate_matrix(self.derived[H_X].subs(DIM, Sig.shape[0]), env)
            want = evaluate_matrix(self.statement[0].rhs.subs(DIM, Sig.shape[0]), env)
            out[H_X] = (got, want)
        out.update(super().evaluate(digits=digits, **setting))
        return out


def _scalar_times_matrix(M: sp.Basic) -> tuple[sp.Expr, tuple]:
    """``c * A * B ...`` as (c, (A, B, ...))."""
    args = M.args if isinstance(M, sp.MatMul) else (M,)
    return sp.Mul(*[a for a in args if not getattr(a, "is_Matrix", False)]), \
        tuple(a for a in args if getattr(a, "is_Matrix", False))


def r_t(Sigma: sp.Matrix, eta: Any, t: Any) -> sp.Matrix:
    """``R_t = (I - eta H_x)^t``, ``H_x = 2(d+2)(d+4) Sigma``: exactly at a given eta > 0 and integer
    t >= 0; with eta and t None, as a function of the symbols eta and t from Sigma's rational
    eigenvalues (``sum_i (1 - eta h_i)^t P_i``).  ValueError when that is not possible."""
    d = Sigma.shape[0]
    H = 2 * (d + 2) * (d + 4) * Sigma
    if eta is not None:
        from symbolic.validation import _exact, check_count
        e = _exact(eta, "eta")
        if not e.is_Rational or e <= 0:
            raise ValueError(f"eta: expected a number > 0, got {eta!r}")
        tt = check_count(t, "t", allow_inf=False, allow_symbol=False)
        return (sp.eye(d) - e * H) ** int(tt)
    lam = sp.Symbol("lam")
    _, factors = sp.factor_list(Sigma.charpoly(lam))   # the polynomial's factors (as of its expression)
    if any(sp.Poly(f, lam).degree() != 1 for f, _ in factors):
        raise ValueError("eta: Z_t and F_t at this Sigma need the step eta and the number of steps t (its eigenvalues "
                         "are irrational, so R_t has no exact form in eta and t); give eta=..., t=...")
    out = sp.zeros(d, d)
    for f, _ in factors:
        c1, c0 = sp.Poly(f, lam).all_coeffs()
        root = -c0 / c1
        N = sp.Matrix.hstack(*(Sigma - root * sp.eye(d)).nullspace())
        out += (1 - ETA * 2 * (d + 2) * (d + 4) * root) ** STEPS * (N * (N.T * N).inv() * N.T)
    return out


def hessian() -> dict:
    """The zero-shot loss of (c) around its point, from the Wick engine: ``loss`` at v_0 = a,
    v_x = v_x^c + e, v_y = 1 + b; ``H_x`` (twice the coefficient of e^T Sigma e, times Sigma),
    ``h_0`` (twice the coefficient of a^2), and whether nothing else but a constant remains."""
    from symbolic import expected_error
    from symbolic.convert import to_sympy
    from symbolic.model import vec
    from symbolic.strategy import tidy
    vc = strategy("value", sp.oo).blocks
    b = vc.with_(v0=vc.v0 + A_V0, vx=vc.vx + vec(E_VEC), vy=vc.vy + B_VY)
    loss = tidy(to_sympy(expected_error(b, THETA0, 0)))
    ex = sp.expand(loss)
    ese = Bilinear(E_VEC, SIGMA, E_VEC)
    c_e = ratfun.factored(ex.coeff(ese))
    c_a = ratfun.factored(ex.coeff(A_V0, 2))
    rest = sp.expand(ex - c_e * ese - c_a * A_V0 ** 2)
    moving = {A_V0, B_VY} | {x for x in rest.atoms(Bilinear) if E_VEC in (x.left, x.right)}
    return {"loss": loss, "H_x": 2 * c_e * SIGMA, "h_0": ratfun.factored(2 * c_a),
            "rest_is_constant": not (rest.free_symbols & moving) and not any(E_VEC in (x.left, x.right)
                                                                                 for x in rest.atoms(Bilinear))}


def path_errors() -> dict:
    """The errors after t steps, from the Wick engine at v_x = v_x^c + R_t (v_x(0) - v_x^c) (v_0, v_y
    never move: v_0 starts at its optimum, v_y is flat); v_x^c and v_x(0) are the derived (c) and (a)."""
    from symbolic import expected_error
    from symbolic.convert import to_sympy
    from symbolic.strategy import tidy
    from symbolic.words import Atom
    vc, va = strategy("value", sp.oo).blocks, strategy("pretrain", sp.oo).blocks
    R = Atom(R_T, symmetric=True)
    # v_x^c + R_t (v_x(0) - v_x^c): the terms of v_x^c, then R_t times each term of the difference
    diff = tuple(va.vx) + tuple((-c, w, v) for c, w, v in vc.vx)
    vx = tuple(vc.vx) + tuple((c, (R,) + tuple(w), v) for c, w, v in diff)
    b = vc.with_(vx=vx)
    out = {"vx": vx, "zero_shot": tidy(to_sympy(expected_error(b, THETA0, 0)))}
    for name, task in (("target", THETA0), ("opposite", -THETA0)):   # n = oo: the limit n -> oo
        out[f"limit_{name}"] = tidy(to_sympy(expected_error(b, task, sp.oo)))
    return out


def _mode_lines(result: Any):
    """Against the closed-form trajectory (an independent route: the explicit quadratic at a concrete
    setting, its exact eigendecomposition) and exact gradient-descent steps, at Sigma = I (one mode,
    d = 1..4) and at a dense Sigma with rational eigenvalues (two modes)."""
    import numpy as np
    from symbolic.explicit import explicit_quadratic
    from symbolic.strategies import value_spec
    from proofs.quantities.trajectories import modes
    ok = True
    spec = value_spec()                          # (a frozen Spec: made once for every setting)
    for d in range(1, 5):
        for theta0 in ([1] + [0] * (d - 1), [sp.Rational(k + 1, 2) * (-1) ** k for k in range(d)]):
            q = explicit_quadratic(spec, d=d, theta0=theta0, sigma2=sp.Rational(1, 10))
            m = modes(q.A, q.b, q.start, exact=True)
            ok &= (m.exact and len(m.h) == 1 and m.h[0] == 2 * (d + 2) * (d + 4)
                   and list(m.w[:, 0]) == list(q.start - m.u_star))
    yield Line("exact", "Sigma = I, d = 1..4, theta_0 = e_1 and a generic theta_0: the closed-form trajectory has exactly "
               "one mode, h = 2(d+2)(d+4), along v_0 - v_* (gradient descent stays on the segment)", bool(ok))
    Sigma = sp.Matrix([[2, 1], [1, 2]])        # eigenvalues 1 and 3
    theta0, s2, eta, T = [1, 0], sp.Rational(1, 10), sp.Rational(1, 500), 3
    at: dict = {}                                # the setting validated and its matrices made once for both columns
    q = explicit_quadratic(spec, d=2, Sigma=Sigma, theta0=theta0, sigma2=s2, cache=at)
    m = modes(q.A, q.b, q.start, exact=True)
    want = sorted(2 * 4 * 6 * x for x in (1, 3))
    u = np.array(q.start, dtype=object)
    A, bb = np.array(q.A, dtype=object), np.array(q.b, dtype=object)
    for _ in range(T):                           # exact gradient-descent steps on the explicit loss
        u = u - eta * 2 * (A.dot(u) - bb)
    # the zero-shot column is (c)'s own loss, q (spec.loss = [(1, 0, "target")], the same blocks, start and setting)
    cols = {"Z": q, "F": explicit_quadratic([(1, sp.oo, "opposite")], spec.train, start=spec.start, d=2, Sigma=Sigma,
                                            theta0=theta0, sigma2=s2, cache=at)}
    vals = result.evaluate(Sigma=Sigma, theta_0=theta0, sigma2=s2, eta=eta, t=T)
    brute = {"Z": cols["Z"].value(u), "F": cols["F"].value(u)}
    ok2 = (m.exact and sorted(m.h) == want and vals[Z_T][0] == brute["Z"] == vals[Z_T][1]
           and vals[F_T][0] == brute["F"] == vals[F_T][1])
    yield Line("exact", f"Sigma = [[2, 1], [1, 2]] (eigenvalues 1, 3), theta_0 = e_1: the closed-form trajectory's modes "
               f"are h = {', '.join(map(str, sorted(m.h)))} = 2(d+2)(d+4) sigma_i, and {T} exact gradient-descent steps "
               f"(eta = {eta}) on the explicit loss give Z_t = {show(brute['Z'])} and F_t = {show(brute['F'])}, the "
               "statement's values there (R_t computed exactly); the path leaves the segment (two modes)", bool(ok2))


RESULT = ForgettingRate()
