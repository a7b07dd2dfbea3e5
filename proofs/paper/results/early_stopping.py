r"""Beyond the paper: is stopping early a better way to keep in-context learning than the
auxiliary few-shot loss?

At the poster's setting (d = 5, sigma^2 = 1/10, Sigma = I, theta_0 = e_1, m = oo) compare, at
equal zero-shot error on theta_0, two ways of stopping short of strategy (c)'s end point:

* **early stopping**: (c)'s gradient-descent path, ``v_t = v(s_t)`` on the segment from the
  pretrained point (s = 1) to (c)'s (s = 0) (result ``forgetting-rate``: at Sigma = I gradient
  descent stays on it), zero-shot error from 11/10 down to 29/90;
* **the auxiliary loss**: the lambda-frontier of ``E(0; theta_0) + lambda E(5; theta_0)``
  (result ``tradeoff-value``, lambda from 0 (strategy (d) at n_ft = 5) upwards), whose zero-shot
  error covers the same range [29/90, 11/10] for lambda in [0, 13041/754].

Findings, exact: at every zero-shot level z in (29/90, 11/10] the auxiliary loss has the lower
5-shot error on theta_0 (the loss it trains), and early stopping the lower 5-shot error on
-theta_0 and the lower n -> oo errors on theta_0 and on -theta_0 (the poster's few-shot
columns).  Against strategy (d) with n_ft -> oo (one point, zero-shot 29/90): (d) has the lower
n -> oo error on theta_0 than every point of the path (sigma^2), every point of the path the
lower n -> oo error on -theta_0 (at most sigma^2 + k/(d+4)^2 < sigma^2 + 4k/(d+4)^2).

Method: on each pair of curves z -> (few-shot error), a crossing at equal z is a common root of
``z_path(s) = z_aux(lambda)`` and ``f_path(s) = f_aux(lambda)``; their resultant in lambda is a
polynomial in s whose roots in (0, 1] are counted exactly (Sturm).  Where it has none the sign
is read at one point exactly (s = 1, lambda = 13041/754).  Where it has roots, each root's lambda
is computed (50 digits) and shown not to be >= 0: a numeric step, said so in its line.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from proofs.paper.result import Derivation, Line, Result
from proofs.paper.results._beyond import N_FT_EXAMPLE, poster_env
from proofs.paper.results._common import PRETRAINED, SETTING, show
from proofs.paper.results._paths import S, label, segment_blocks

AUX = label("auxiliary", r"\text{auxiliary loss}")
EARLY = label("early_stopping", r"\text{early stopping}")
DPOINT = label("(d)", r"\text{(d)}")
COLS = (("5-shot on theta_0", N_FT_EXAMPLE, "target"), ("5-shot on -theta_0", N_FT_EXAMPLE, "opposite"),
        ("n->oo on theta_0", None, "target"), ("n->oo on -theta_0", None, "opposite"))
_TEX = {"5-shot on theta_0": r"\mathcal{E}(5; \theta_0)", "5-shot on -theta_0": r"\mathcal{E}(5; -\theta_0)",
        "n->oo on theta_0": r"\mathcal{E}(\infty; \theta_0)", "n->oo on -theta_0": r"\mathcal{E}(\infty; -\theta_0)"}
WINNER = {c[0]: label(f"lower({c[0]})", rf"\text{{lower}}\ {_TEX[c[0]]}") for c in COLS}
D_TARGET = label("lower vs (d) at n_ft=oo(n->oo on theta_0)", r"\text{lower vs (d)}_{n_{\mathrm{ft}}=\infty}\ \mathcal{E}(\infty; \theta_0)")
D_OPPOSITE = label("lower vs (d) at n_ft=oo(n->oo on -theta_0)", r"\text{lower vs (d)}_{n_{\mathrm{ft}}=\infty}\ \mathcal{E}(\infty; -\theta_0)")


@lru_cache(maxsize=None)
def path_columns() -> dict:
    """The path's errors at the poster's setting as polynomials in s (exact)."""
    from symbolic import THETA0, expected_error
    from symbolic.convert import to_sympy
    from symbolic.evaluate import evaluate
    b = segment_blocks()
    env = poster_env()
    out = {"zero_shot": sp.expand(evaluate(to_sympy(expected_error(b, THETA0, 0)), env))}
    for name, n, task in COLS:
        t = THETA0 if task == "target" else -THETA0
        p = expected_error(b, t, sp.oo if n is None else n)   # oo: the limit n -> oo
        out[name] = sp.expand(evaluate(to_sympy(p), env))
    return out


@lru_cache(maxsize=None)
def frontier_columns() -> dict:
    from proofs.quantities.frontier import frontier_formulas
    env = poster_env()
    out = {}
    for name, n, task in COLS:
        F = frontier_formulas(N_FT_EXAMPLE, n=n, d=5, sigma2=sp.Rational(1, 10))
        out["zero_shot"] = F["zero_shot"]
        out[name] = F["few_shot_target" if task == "target" else "few_shot_opposite"]
    return out


def compare(fz, ff, gz, gf, lam):
    """Sign of f_path - f_aux at equal zero-shot error over s in (0, 1], and how it was shown."""
    P1 = sp.numer(sp.together(fz - gz))
    P2 = sp.numer(sp.together(ff - gf))
    res = sp.Poly(sp.resultant(P1, P2, lam), S)
    roots = [r for r in res.real_roots() if 0 < r <= 1] if not res.is_zero else None
    numeric = []
    for r in roots or []:
        rv = sp.N(r, 50)
        lams = sp.Poly(P1.subs(S, rv), lam).nroots(n=50)
        real_nonneg = [l for l in lams if abs(sp.im(l)) < 1e-40 and sp.re(l) >= 0
                       and abs(sp.N(P2.subs({S: rv, lam: sp.re(l)}), 50)) < sp.Float(10) ** -30]
        numeric.append((rv, lams, real_nonneg))
    lam1 = [x for x in sp.solve(sp.Eq(gz, fz.subs(S, 1)), lam) if x.is_nonnegative]
    sign1 = sp.sign(sp.nsimplify(ff.subs(S, 1) - gf.subs(lam, lam1[0]))) if lam1 else None
    sign0 = sp.sign(ff.subs(S, 0) - gf.subs(lam, 0))
    return {"roots": roots, "numeric": numeric, "sign1": sign1, "sign0": sign0, "lam1": lam1, "degree": res.degree()}


class EarlyStopping(Result):
    id = "early-stopping-vs-auxiliary"
    label_text = "Proposition B.6"
    title = "beyond the paper: early stopping against the auxiliary few-shot loss, at equal zero-shot error"
    title_latex = r"beyond the paper: early stopping against the auxiliary few-shot loss, at equal zero-shot error"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED,
                        ("the poster's setting d = 5, sigma^2 = 1/10, Sigma = I, theta_0 = e_1; the auxiliary "
                         "loss at n_ft = 5; compared at equal zero-shot error z in (29/90, 11/10]",
                         r"the poster's setting $d = 5$, $\sigma^2 = 1/10$, $\Sigma = I$, $\theta_0 = e_1$; the "
                         r"auxiliary loss at $n_{\mathrm{ft}} = 5$; compared at equal zero-shot error $z \in (29/90, 11/10]$"))
    claim = ("At every zero-shot error z in (29/90, 11/10], the lower few-shot error belongs to",
             r"At every zero-shot error $z \in (29/90, 11/10]$, the lower few-shot error belongs to")

    def _statement(self):
        return tuple([sp.Eq(WINNER[COLS[0][0]], AUX)] + [sp.Eq(WINNER[c[0]], EARLY) for c in COLS[1:]]
                     + [sp.Eq(D_TARGET, DPOINT), sp.Eq(D_OPPOSITE, EARLY)])

    def _derive(self) -> Derivation:
        from proofs.quantities.frontier import LAMBDA
        from symbolic.strategy import Step
        P, F = path_columns(), frontier_columns()
        values, data, steps = {}, {}, [Step("path: zero-shot error on the segment", P["zero_shot"]),
                                       Step("auxiliary: zero-shot error on the frontier", F["zero_shot"])]
        for name, _, _ in COLS:
            c = compare(P["zero_shot"], P[name], F["zero_shot"], F[name], LAMBDA)
            data[name] = c
            steps.append(Step(f"path: {name}", P[name]))
            steps.append(Step(f"auxiliary: {name}", F[name]))
            crossing = c["roots"] is None or any(nn[2] for nn in c["numeric"])
            values[WINNER[name]] = (sp.nan if crossing or c["sign1"] != c["sign0"] else
                                    AUX if c["sign1"] > 0 else EARLY)
        # (d) at n_ft = oo against the path, n -> oo columns
        from proofs.quantities.derivations import few_shot_limit
        d_t = few_shot_limit("value-fewshot", "target")
        d_o = few_shot_limit("value-fewshot", "opposite")
        from symbolic.evaluate import evaluate
        env = poster_env()
        d_t, d_o = evaluate(d_t, env), evaluate(d_o, env)
        pt, po = P["n->oo on theta_0"], P["n->oo on -theta_0"]
        # path minimum / maximum over s in [0, 1] (quadratics): endpoints and the vertex
        cand = [sp.S.Zero, sp.S.One] + [r for r in sp.solve(sp.diff(pt, S), S) if 0 <= r <= 1]
        data["path_min_target"] = min(pt.subs(S, x) for x in cand)
        data["path_max_opposite"] = max(po.subs(S, x) for x in cand)
        data["d"] = (d_t, d_o)
        values[D_TARGET] = DPOINT if d_t <= data["path_min_target"] else sp.nan
        values[D_OPPOSITE] = EARLY if data["path_max_opposite"] < d_o else sp.nan
        return Derivation(values=values, steps=steps, data=data)

    def _checks(self, der: Derivation):
        for name, _, _ in COLS:
            c = der.data[name]
            if c["roots"] is None:
                yield Line("exact", f"{name}: the two curves coincide", False)
                continue
            yield Line("exact", f"{name}: resultant in lambda of degree {c['degree']} in s has {len(c['roots'])} "
                       f"root(s) in (0, 1]; at z = 11/10 (s = 1, lambda = {show(c['lam1'][0])}) path - auxiliary has "
                       f"sign {c['sign1']}, at z -> 29/90 (s = 0, lambda = 0) sign {c['sign0']}",
                       c["sign1"] == c["sign0"] and c["sign1"] != 0)
            for rv, lams, good in c["numeric"]:
                yield Line("numeric", f"{name}: at the resultant's root s = {sp.N(rv, 12)} the lambdas with equal "
                           f"zero-shot error are {', '.join(show(sp.N(l, 8)) for l in lams)}: none >= 0 with equal "
                           "few-shot error, so no crossing (50-digit arithmetic)", not good)
        for eq in self.statement:
            yield Line("exact", f"{eq.lhs}: derived {der.values[eq.lhs]}, stated {eq.rhs}", der.values[eq.lhs] == eq.rhs)
        d_t, d_o = der.data["d"]
        yield Line("exact", f"(d) at n_ft = oo: n -> oo errors {show(d_t)} (theta_0), {show(d_o)} (-theta_0); the path's "
                   f"n -> oo error on theta_0 is >= {show(der.data['path_min_target'])}, on -theta_0 <= "
                   f"{show(der.data['path_max_opposite'])}", True)


RESULT = EarlyStopping()
