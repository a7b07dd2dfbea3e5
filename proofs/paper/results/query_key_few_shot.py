r"""Beyond the paper: fine-tuning the query-key matrix Q, Q_xx included, on a few-shot loss, for
any number of shots n_ft.

Strategies (V at its pretrained value V_hat, every other block at its pretrained value, derived
by the general derivation at symbolic d, Sigma and n_ft; Q_xx by the structured solution of
:mod:`symbolic.matrix_unknown`, checked exactly against the full matrix equation):

* ``query-all-fewshot``: every block of Q that reaches the output (Q_00, Q_0x, Q_x0, Q_xx,
  Q_y0, Q_yx) on the n_ft-shot loss on theta_0;
* ``query-xx-fewshot``: Q_xx alone on the same loss.

Findings, as checked (k = theta_0^T Sigma theta_0, n_ft >= 1 symbolic):

* The zero-shot error stays sigma^2 + k, the pretrained model's: at V_hat the zero-shot
  prediction is 0 whatever Q is.
* With every block free, the n_ft-shot loss sets Q_xx to 0 (the pretrained Sigma^{-1} is dropped)
  and Q_yx^T to (n_ft + 1) theta_0 / ((n_ft + 2)(sigma^2 + k)): the prediction becomes
  (1/(n+1)) sum_i y_i^2 Q_yx^T x, even in the labels, an estimate of ((n_ft + 1)/(n_ft + 2))
  theta_0^T x whatever the task.  The n_ft-shot error is sigma^2 + 2k/(n_ft + 2) on theta_0 and
  sigma^2 + 2(2 n_ft + 1) k/(n_ft + 2) on -theta_0; in the limit n -> oo the error on theta_0 is
  sigma^2 + k/(n_ft + 2)^2 (k/49 at n_ft = 5; below (c)'s sigma^2 + k/(d+4)^2 exactly when
  n_ft > d + 2, equal at n_ft = d + 2; above (d)'s sigma^2), and on -theta_0 it is
  sigma^2 + (2 n_ft + 3)^2 k/(n_ft + 2)^2: worse than full fine-tuning's sigma^2 + k, by
  (n_ft + 1)(3 n_ft + 5) k/(n_ft + 2)^2, at every n_ft.
* Q_xx alone becomes (n_ft + 1) theta_0 theta_0^T / (sigma^2 + (n_ft + 2) k): the prediction stays odd in
  the labels, so theta_0 and -theta_0 have equal errors at every n; the n_ft-shot error is
  sigma^2 + k (sigma^2 + 2k)/(sigma^2 + (n_ft + 2) k) and the limit sigma^2 + k (sigma^2 + k)^2 /
  (sigma^2 + (n_ft + 2) k)^2, above the pretrained sigma^2 on both tasks.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from symbolic import ratfun
from symbolic import N_FT, THETA0
from symbolic.layout import block
from symbolic.spec import make_spec
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import PARAMS, Derivation, Line, Result, TestError, claim
from proofs.paper.results._beyond import Q_ALL, error_at
from proofs.paper.results._common import PRETRAINED, SETTING, T0ST0, equality_line, same, show, sigma
from proofs.quantities.derivations import strategy

PARAMS.update({
    "query-all-fewshot": ("V_hat, Q_all,fs", r"\hat{V}, Q_{\mathrm{all,fs}}"),
    "query-xx-fewshot": ("V_hat, Q_xx,fs", r"\hat{V}, Q_{xx,\mathrm{fs}}"),
})


def query_all_fewshot_spec(n_ft: Any = N_FT):
    return make_spec(Q_ALL, [(1, n_ft, "target")], name="query-all-fewshot")


def query_xx_fewshot_spec(n_ft: Any = N_FT):
    return make_spec(("Qxx",), [(1, n_ft, "target")], name="query-xx-fewshot")


class QueryKeyFewShot(Result):
    id = "query-key-few-shot"
    title = "beyond the paper: fine-tuning Q, Q_xx included, on an n_ft-shot loss"
    label_text = "Extension 7"
    strategy = "pretrain"
    assumption_pairs = (SETTING, PRETRAINED)
    claim = ("Fine-tuning all of Q's blocks, or Q_xx alone, from V_hat on the n_ft-shot loss on theta_0 (any "
             "n_ft >= 1) gives",
             r"Fine-tuning all of $Q$'s blocks, or $Q_{xx}$ alone, from $\hat{V}$ on the $n_{\mathrm{ft}}$-shot loss "
             r"on $\theta_0$ (any $n_{\mathrm{ft}} \geq 1$) gives")

    def _statement(self):
        k, s2, n = T0ST0, sigma ** 2, N_FT
        xx_n = s2 + k * (s2 + 2 * k) / (s2 + (n + 2) * k)
        xx_lim = s2 + k * (s2 + k) ** 2 / (s2 + (n + 2) * k) ** 2
        return (claim(TestError("query-all-fewshot", 0, THETA0), s2 + k),
                claim(TestError("query-all-fewshot", n, THETA0), s2 + 2 * k / (n + 2)),
                claim(TestError("query-all-fewshot", n, -THETA0), s2 + 2 * (2 * n + 1) * k / (n + 2)),
                claim(TestError("query-all-fewshot", sp.oo, THETA0), s2 + k / (n + 2) ** 2),
                claim(TestError("query-all-fewshot", sp.oo, -THETA0), s2 + (2 * n + 3) ** 2 * k / (n + 2) ** 2),
                claim(TestError("query-xx-fewshot", 0, THETA0), s2 + k),
                claim(TestError("query-xx-fewshot", n, THETA0), xx_n),
                claim(TestError("query-xx-fewshot", n, -THETA0), xx_n),
                claim(TestError("query-xx-fewshot", sp.oo, THETA0), xx_lim),
                claim(TestError("query-xx-fewshot", sp.oo, -THETA0), xx_lim))

    def _derive(self) -> Derivation:
        al = strategy(query_all_fewshot_spec(), sp.oo)
        xx = strategy(query_xx_fewshot_spec(), sp.oo)
        values = {}
        for eq in self.statement:
            name, n, task = eq.lhs.args
            values[eq.lhs] = error_at(al if str(name) == "query-all-fewshot" else xx, task, n)
        return Derivation(values=values,
                          steps=list(al.steps) + [Step("Q_xx alone on the n_ft-shot loss")] + list(xx.steps),
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
        yield Line("exact", f"all of Q on the n_ft-shot loss: Q_xx = {show(p['Qxx'])} (the pretrained "
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
        gap_c = ratfun.factored(lim_t - c_t)
        # the sign at k = 1, each value exact (numerator and denominator evaluated in QQ)
        sign_at = _signs_at(gap_c, {k: 1}, DIM, range(1, 8), N_FT, range(1, 12))
        rule = all(sign_at[(dd, nn)] == (-1 if nn > dd + 2 else 0 if nn == dd + 2 else 1) for dd, nn in sign_at)
        gap_d = ratfun.factored(lim_t - d_t)
        yield Line("exact", f"all of Q, n -> oo on theta_0, minus (c)'s: {show(gap_c)}: negative exactly when "
                   "n_ft > d + 2, zero at n_ft = d + 2 (its numerator's sign, checked at d = 1..7, n_ft = 1..11); "
                   f"minus (d)'s: {show(gap_d)} > 0",
                   rule and same(gap_d, k / (N_FT + 2) ** 2))
        gap_b = ratfun.factored(lim_o - b_o)
        yield Line("exact", f"all of Q, n -> oo on -theta_0, minus full fine-tuning's (b): {show(gap_b)} > 0 for every "
                   "n_ft >= 1: worse than every strategy of the paper",
                   same(gap_b, (N_FT + 1) * (3 * N_FT + 5) * k / (N_FT + 2) ** 2))
        xx_gap = ratfun.factored(der.values[self.statement[8].lhs] - s2)
        positive = ratfun.factored(xx_gap.xreplace({k: sp.Symbol("k", positive=True), sigma: sp.Symbol("q", positive=True),
                                               N_FT: sp.Symbol("n", positive=True)}))
        yield Line("exact", f"Q_xx alone: theta_0 and -theta_0 have equal errors; n -> oo minus the pretrained sigma^2: "
                   f"{show(xx_gap)} > 0", same(der.values[self.statement[8].lhs], der.values[self.statement[9].lhs])
                   and same(der.values[self.statement[6].lhs], der.values[self.statement[7].lhs])
                   and _positive(positive))
        yield from _concrete_lines(self)


def _positive(e: sp.Expr) -> bool:
    """Whether ``e`` is positive at every value of its symbols: read off its tree where every node
    shows it (a positive rational, a symbol declared positive, a sum or a product of such, an
    integer power of one: what SymPy's assumptions conclude for these nodes, without the query);
    else SymPy's query decides (``e.is_positive is True``)."""
    return _positive_tree(e) or e.is_positive is True


def _positive_tree(e: sp.Expr) -> bool:
    if e.is_Rational:
        return bool(e > 0)
    if e.is_Symbol:
        return e.is_positive is True
    if e.is_Add or e.is_Mul:
        return all(_positive_tree(a) for a in e.args)
    if e.is_Pow and e.exp.is_Integer:
        return _positive_tree(e.base)
    return False


def _signs_at(e: sp.Expr, fixed: dict, x: sp.Symbol, xs: Any, y: sp.Symbol, ys: Any) -> dict:
    """``{(a, b): sign of e at x = a, y = b}`` (and the ``fixed`` values) for a rational function
    ``e`` of symbols, traces and bilinear forms: its numerator and denominator read once into
    QQ[gens] (:func:`symbolic.ratfun.numer_denom`) and evaluated exactly at each point; None where
    a generator is left without a value, a denominator vanishes, or ``e`` is not such a function
    (the sign is then no number, as ``sympy.sign`` of what is left would be none)."""
    from sympy.polys.domains import QQ
    from sympy.polys.polyutils import _sort_gens
    points = [(a, b) for a in xs for b in ys]
    try:
        gens: set = set()
        ratfun._generators(sp.sympify(e), gens)
        values = {**fixed, x: None, y: None}
        if not gens <= set(values):
            return dict.fromkeys(points)
        R = ratfun._ring(_sort_gens(sorted(gens, key=sp.default_sort_key)))
        num, den = ratfun.numer_denom(sp.sympify(e), R)
    except (ratfun.NotRational, ZeroDivisionError):
        return dict.fromkeys(points)
    polys = [(num, 1)] + [(base, -j) for base, j in den.items()]
    terms = [(list(p.terms()), j) for p, j in polys]
    out = {}
    for a, b in points:
        at = {**fixed, x: a, y: b}
        point = [QQ.convert(sp.Rational(at[g])) for g in R.symbols]
        v = QQ.one
        for ts, j in terms:
            w = sum((c * _monomial(m, point) for m, c in ts), QQ.zero)
            if j < 0 and not w:
                v = None
                break
            v = v * w ** j
        out[(a, b)] = None if v is None else (v > 0) - (v < 0)
    return out


def _monomial(m: tuple, point: list):
    out = 1
    for e, v in zip(m, point):
        if e:
            out = out * v ** e
    return out


def _concrete_lines(result: Any):
    """Against the concrete minimiser (the explicit quadratic in Q's entries at a concrete setting,
    solved exactly: another route than the symbolic derivation) at d = 2, a dense Sigma, n_ft = 1, 2."""
    from proofs.quantities.concrete_minimiser import concrete_minimiser
    from proofs.quantities.curves import explicit_task_errors
    from proofs.quantities.setting import setting
    S, th, s2 = sp.Matrix([[2, 1], [1, 3]]), [1, -1], sp.Rational(1, 2)
    where = setting(2, Sigma=S, theta0=th, sigma2=s2)
    ok, shown = True, []
    for n_ft in (1, 2):
        vals = result.evaluate(Sigma=S, theta_0=th, sigma2=s2, n_ft=n_ft)
        for spec, name in ((query_all_fewshot_spec(n_ft), "query-all-fewshot"),
                           (query_xx_fewshot_spec(n_ft), "query-xx-fewshot")):
            sol = concrete_minimiser(spec, where)
            errors = explicit_task_errors(sol.V, sol.Q, where, ["target", "opposite"], [0, n_ft])
            for task, sign in (("target", 1), ("opposite", -1)):
                (z, e_n), lim = errors[task]
                for n, got in ((0, z), (N_FT, e_n), (sp.oo, lim)):
                    key = TestError(name, n, THETA0 if sign > 0 or n == 0 else -THETA0)
                    if key in vals:
                        ok &= vals[key][0] == got == vals[key][1]
                        shown.append(got)
    yield Line("exact", "at d = 2, Sigma = [[2, 1], [1, 3]], theta_0 = (1, -1), sigma^2 = 1/2, n_ft = 1 and 2: the concrete "
               f"minimiser (Q's entries solved exactly from the explicit loss) gives every error of the statement "
               f"({len(shown)} values)", bool(ok))


RESULT = QueryKeyFewShot()
