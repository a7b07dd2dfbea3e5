r"""Beyond the paper: is stopping early a better way to keep in-context learning than the
auxiliary few-shot loss?  Proved at the poster's setting, mapped over sigma^2/k and n_ft, and
computed at any setting (:func:`proofs.quantities.compare.compare`).

Two ways of stopping short of strategy (c)'s end point, matched at equal zero-shot error on
theta_0 (the *level* z):

* **early stopping** along (c)'s gradient-descent path from the pretrained point (gradient flow,
  the limit of small steps; at Sigma = I, or theta_0 an eigenvector of Sigma, the path has one
  excited mode h and every step 0 < eta h <= 1 visits the same segment, result ``forgetting-rate``);
* **the auxiliary loss**: the minimisers of ``E(0; theta_0) + lambda E(n_ft; theta_0)`` over V's last
  row, lambda >= 0 (result ``tradeoff-value``; lambda -> 0+ is strategy (d) at n_ft).

For each few-shot error (n_ft shots and n -> oo, on theta_0 and on -theta_0), which one is lower
at every common level, or where the order flips, is decided by :mod:`proofs.quantities.compare`:
the crossings are the roots of a resultant isolated exactly, the order between them certified by
interval arithmetic at rational levels.

Findings (exact, at the poster's setting d = 5, sigma^2 = 1/10, Sigma = I, theta_0 = e_1, n_ft = 5):
over the common range of zero-shot levels (29/90, 11/10] the auxiliary loss has the lower 5-shot
error on theta_0 (the loss it trains), early stopping the lower 5-shot error on -theta_0 and the
lower n -> oo errors on theta_0 and on -theta_0.  Against strategy (d) at n_ft = oo, at the one
zero-shot level it has (29/90, reached by the path only in its limit t -> oo, strategy (c)): (d)
has the lower n -> oo error on theta_0, the path the lower one on -theta_0.  Over the whole path
(not at equal zero-shot error) (d)'s n -> oo error on theta_0 is at most the path's, and equal to
it at the path's start (zero-shot error 11/10, both sigma^2): a tie there.

The verdicts depend on the setting.  At Sigma = I every error is sigma^2 + k f(sigma^2/k) (k =
theta_0^T Sigma theta_0; checked exactly at one point of the map), so the order is a function of
d, sigma^2/k and n_ft; the statement's remark maps it (computed by ``compare`` at d = 5 over a
grid of sigma^2/k and n_ft, not typed in), and :meth:`EarlyStopping.evaluate` computes the
verdicts at any setting given.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from proofs.paper.result import Derivation, Line, Result, claim
from proofs.paper.results._beyond import N_FT_EXAMPLE
from proofs.paper.results._common import PRETRAINED, SETTING, check_setting_keys
from proofs.paper.results._paths import label

AUX = label("auxiliary", r"\text{auxiliary loss}")
EARLY = label("early_stopping", r"\text{early stopping}")
DPOINT = label("(d)", r"\text{(d)}")
FLIPS = label("order flips", r"\text{the order flips}")
TIE = label("tie", r"\text{tie}")
#: the statement's columns: (name, shots (None: n -> oo), task)
COLS = (("5-shot on theta_0", N_FT_EXAMPLE, "target"), ("5-shot on -theta_0", N_FT_EXAMPLE, "opposite"),
        ("n->oo on theta_0", None, "target"), ("n->oo on -theta_0", None, "opposite"))
_TEX = {"5-shot on theta_0": r"\mathcal{E}(5; \theta_0)", "5-shot on -theta_0": r"\mathcal{E}(5; -\theta_0)",
        "n->oo on theta_0": r"\mathcal{E}(\infty; \theta_0)", "n->oo on -theta_0": r"\mathcal{E}(\infty; -\theta_0)"}
WINNER = {c[0]: label(f"lower({c[0]})", rf"\text{{lower}}\ {_TEX[c[0]]}") for c in COLS}
D_TARGET = label("lower vs (d) at n_ft=oo, equal zero-shot error(n->oo on theta_0)",
                 r"\text{lower vs (d)}_{n_{\mathrm{ft}}=\infty}^{\text{equal zero-shot}}\ \mathcal{E}(\infty; \theta_0)")
D_OPPOSITE = label("lower vs (d) at n_ft=oo, equal zero-shot error(n->oo on -theta_0)",
                   r"\text{lower vs (d)}_{n_{\mathrm{ft}}=\infty}^{\text{equal zero-shot}}\ \mathcal{E}(\infty; -\theta_0)")
#: the setting the statement is proved at
POSTER = {"d": 5, "sigma2": sp.Rational(1, 10)}
#: the map of the remark: sigma^2/k (theta_0 = e_1, k = 1) and n_ft, at d = 5, Sigma = I
MAP_SIGMA2 = (sp.Rational(1, 100), sp.Rational(1, 10), sp.Rational(1, 2), sp.S.One, sp.S(5))
MAP_N_FT = (1, 5, 50)
#: the letters of the map
MAP_LETTER = {"left": "E", "right": "A", "equal": "=", None: "x"}


def _columns(n_ft: int) -> list:
    from proofs.quantities.compare import Column
    return [Column(n_ft, "target"), Column(n_ft, "opposite"), Column(None, "target"), Column(None, "opposite")]


def _verdict(who: str | None, right: Any = AUX) -> Any:
    return {"left": EARLY, "right": right, "equal": TIE, None: FLIPS}[who]


def comparisons(n_ft: int = N_FT_EXAMPLE, **setting: Any) -> tuple[Any, Any]:
    """At a setting (``d``, ``Sigma``, ``theta0``, ``sigma2``, ``m``, ``eta``): early stopping against
    the auxiliary loss at n_ft (columns: n_ft-shot and n -> oo errors on theta_0 and -theta_0), and
    against strategy (d) at n_ft = oo (n -> oo columns), both at equal zero-shot error."""
    from proofs.quantities.compare import Column, compare
    aux = compare("path:value", f"mixed:{n_ft}", columns=_columns(n_ft), levels=0, **setting)
    dpt = compare("path:value", "point:value-fewshot:inf", columns=[Column(None, "target"), Column(None, "opposite")],
                  levels=0, **setting)
    return aux, dpt


@lru_cache(maxsize=None)
def _poster() -> tuple[Any, Any]:
    return comparisons(N_FT_EXAMPLE, **POSTER)


@lru_cache(maxsize=None)
def order_map() -> dict:
    """``{(n_ft, sigma2): Comparison}`` over :data:`MAP_N_FT` x :data:`MAP_SIGMA2` at d = 5,
    Sigma = I, theta_0 = e_1 (k = 1): early stopping against the auxiliary loss, computed."""
    from proofs.quantities.compare import compare
    out = {}
    for n in MAP_N_FT:
        for s2 in MAP_SIGMA2:
            same = _poster_cell(n, s2)
            out[(n, s2)] = same if same is not None else compare("path:value", f"mixed:{n}", columns=_columns(n),
                                                                 levels=0, d=POSTER["d"], sigma2=s2)
    return out


def _poster_cell(n: int, s2: Any) -> Any:
    """The statement's own comparison where the map's cell asks the same question (the same sides,
    columns and setting: the poster's n_ft and sigma^2), else None."""
    from proofs.quantities.compare import MixedSide, PathSide
    if (n, s2) != (N_FT_EXAMPLE, POSTER["sigma2"]):
        return None
    aux = _poster()[0]
    same = (aux.left == PathSide("value") and aux.right == MixedSide(n) and not aux.table
            and [c.column for c in aux.columns] == _columns(n)
            and aux.setting == {"d": POSTER["d"], "sigma2": s2, "m": None, "Sigma": "identity", "theta0": "e_1",
                                "eta": None})
    return aux if same else None


def _map_rows() -> list[tuple[int, tuple[str, str], list[str]]]:
    """(n_ft, (text, LaTeX) of the error, letters over :data:`MAP_SIGMA2`) for each row of the map."""
    rows = []
    M = order_map()
    names = ((("E(n_ft; theta_0)", r"$\mathcal{E}(n_{\mathrm{ft}}; \theta_0)$"),
              ("E(n_ft; -theta_0)", r"$\mathcal{E}(n_{\mathrm{ft}}; -\theta_0)$"),
              ("E(oo; theta_0)", r"$\mathcal{E}(\infty; \theta_0)$"),
              ("E(oo; -theta_0)", r"$\mathcal{E}(\infty; -\theta_0)$")))
    for n in MAP_N_FT:
        for j, name in enumerate(names):
            rows.append((n, name, [MAP_LETTER[M[(n, s2)].columns[j].lower] for s2 in MAP_SIGMA2]))
    return rows


def _map_text() -> str:
    head = ("Where the order holds (computed by compare, exactly, at d = 5, Sigma = I, theta_0 = e_1, so k = 1; "
            "E: early stopping lower at every common zero-shot level, A: the auxiliary loss lower at every level, "
            "x: the order flips; columns sigma^2/k = " + ", ".join(sp.sstr(s) for s in MAP_SIGMA2) + "): ")
    parts = [f"n_ft = {n}, {name[0]}: {' '.join(letters)}" for n, name, letters in _map_rows()]
    return head + "; ".join(parts) + "."


def _map_latex() -> str:
    cols = " & ".join(f"${sp.latex(s)}$" for s in MAP_SIGMA2)
    body = []
    for n, name, letters in _map_rows():
        body.append(f"{n} & {name[1]} & " + " & ".join(letters) + r" \\")
    return (r"Where the order holds, computed by \texttt{compare} (exactly) at $d = 5$, $\Sigma = I$, $\theta_0 = e_1$ "
            r"(so $k = 1$): E early stopping lower at every common zero-shot level, A the auxiliary loss lower at every "
            r"level, x the order flips." + "\n\n" + r"\begin{tabular}{ll" + "c" * len(MAP_SIGMA2) + "}\n"
            + r"$n_{\mathrm{ft}}$ & error & \multicolumn{" + str(len(MAP_SIGMA2)) + r"}{c}{$\sigma^2/k$} \\" + "\n"
            + r" & & " + cols + r" \\" + "\n" + "\n".join(body) + "\n" + r"\end{tabular}")


class EarlyStopping(Result):
    id = "early-stopping-vs-auxiliary"
    label_text = "Extension 6"
    title = ("beyond the paper: early stopping against the auxiliary few-shot loss, at equal zero-shot error, "
             "at the poster's setting")
    title_latex = title
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED,
                        ("the poster's setting d = 5, sigma^2 = 1/10, Sigma = I, theta_0 = e_1; the auxiliary loss at "
                         "n_ft = 5; early stopping along (c)'s gradient flow (here one mode: every step 0 < eta h <= 1 "
                         "visits the same segment); compared at equal zero-shot error z in (29/90, 11/10]",
                         r"the poster's setting $d = 5$, $\sigma^2 = 1/10$, $\Sigma = I$, $\theta_0 = e_1$; the "
                         r"auxiliary loss at $n_{\mathrm{ft}} = 5$; early stopping along (c)'s gradient flow (here one "
                         r"mode: every step $0 < \eta h \leq 1$ visits the same segment); compared at equal zero-shot "
                         r"error $z \in (29/90, 11/10]$"))
    claim = ("At every zero-shot error z in (29/90, 11/10], the lower few-shot error belongs to (the last two: against "
             "(d) at n_ft = oo, at its one zero-shot error 29/90, the path's limit)",
             r"At every zero-shot error $z \in (29/90, 11/10]$, the lower few-shot error belongs to (the last two: "
             r"against (d) at $n_{\mathrm{ft}} = \infty$, at its one zero-shot error $29/90$, the path's limit)")

    @property
    def remark(self) -> tuple[str, str]:  # type: ignore[override]
        """The map of where the order holds, computed by :func:`proofs.quantities.compare.compare`."""
        return _map_text(), _map_latex()

    def _statement(self):
        return tuple([claim(WINNER[COLS[0][0]], AUX)] + [claim(WINNER[c[0]], EARLY) for c in COLS[1:]]
                     + [claim(D_TARGET, DPOINT), claim(D_OPPOSITE, EARLY)])

    def _derive(self) -> Derivation:
        from symbolic.strategy import Step
        aux, dpt = _poster()
        values = {WINNER[name]: _verdict(cc.lower) for (name, _, _), cc in zip(COLS, aux.columns)}
        values[D_TARGET] = _verdict(dpt.columns[0].lower, DPOINT)
        values[D_OPPOSITE] = _verdict(dpt.columns[1].lower, DPOINT)
        steps = [Step(f"left: {aux.sides['left']['label']}; {aux.sides['left']['param']}"),
                 Step(f"right: {aux.sides['right']['label']}; {aux.sides['right']['param']}"),
                 Step(f"common zero-shot levels [{sp.sstr(aux.lo)}, {sp.sstr(aux.hi)}]")]
        steps += [Step(f"{name}: {cc.detail}") for (name, _, _), cc in zip(COLS, aux.columns)]
        return Derivation(values=values, steps=steps, data={"aux": aux, "dpt": dpt})

    def _checks(self, der: Derivation):
        aux, dpt = der.data["aux"], der.data["dpt"]
        yield Line("exact", f"the common range of zero-shot levels is [{sp.sstr(aux.lo)}, {sp.sstr(aux.hi)}] "
                   "(the path from its limit, (c), to the pretrained start; the auxiliary loss from lambda -> 0+, (d) "
                   "at n_ft = 5, to the lambda where its zero-shot error reaches the start's)",
                   (aux.lo, aux.hi) == (sp.Rational(29, 90), sp.Rational(11, 10)))
        for (name, _, _), cc in zip(COLS, aux.columns):
            ends = f"at z = 29/90: {cc.ends[0]} lower, at z = 11/10: {cc.ends[1]} lower"
            yield Line("exact" if cc.how == "exact" else "numeric",
                       f"{name}: {cc.detail}; {_verdict(cc.lower)} lower on every piece ({ends}; left = early "
                       "stopping, right = the auxiliary loss)", True)
        for eq in self.statement:
            yield Line("exact", f"{eq.lhs}: derived {der.values[eq.lhs]}, stated {eq.rhs}", der.values[eq.lhs] == eq.rhs)
        vt, vo = dpt.columns[0].levels[0], dpt.columns[1].levels[0]
        yield Line("exact", f"(d) at n_ft = oo against the path at equal zero-shot error: one common level "
                   f"{sp.sstr(dpt.lo)} (the path's limit, (c)); n -> oo errors there: path {vt[0]:.6g}, (d) {vt[1]:.6g} "
                   f"on theta_0, path {vo[0]:.6g}, (d) {vo[1]:.6g} on -theta_0", dpt.lo == dpt.hi == aux.lo)
        yield from _not_at_equal_level_lines(aux)
        yield from _map_lines()

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """The verdicts computed at the setting given (:func:`comparisons`), beside the statement's:
        ``{lhs: (computed, stated)}``.  Setting keys: ``Sigma``, ``theta_0``, ``sigma2`` (required),
        ``d``, ``m``, ``n_ft`` (the auxiliary loss's shots and the few-shot columns' n, default 5;
        the statement's 5-shot rows are then the n_ft-shot errors), ``eta`` (gradient descent with that
        step instead of the gradient flow).  A verdict is early stopping, the auxiliary loss (or
        (d)), a tie, or "the order flips" (use :func:`proofs.quantities.compare.compare` for where)."""
        allowed = {"Sigma", "theta_0", "sigma2", "d", "m", "n_ft", "eta"}
        check_setting_keys(setting, allowed, theta_why=" (this result compares errors on theta_0 and -theta_0 only)",
                           sigma2_why=" (the verdicts depend on it)")
        from proofs.quantities import validation as V
        n_ft = V.count(setting.pop("n_ft", N_FT_EXAMPLE), "n_ft", minimum=1)
        kw = {("theta0" if k == "theta_0" else k): v for k, v in setting.items()}
        aux, dpt = comparisons(n_ft, **kw)
        out = {}
        for eq, cc in zip(self.statement, aux.columns):
            out[eq.lhs] = (_verdict(cc.lower), eq.rhs)
        out[D_TARGET] = (_verdict(dpt.columns[0].lower, DPOINT), self.statement[4].rhs)
        out[D_OPPOSITE] = (_verdict(dpt.columns[1].lower, DPOINT), self.statement[5].rhs)
        return out


def _not_at_equal_level_lines(aux: Any):
    """(d) at n_ft = oo against every point of the path, *not* at equal zero-shot error."""
    from proofs.paper.results._paths import S, segment_errors
    from proofs.quantities.derivations import few_shot_limit
    from symbolic.evaluation import evaluate
    from proofs.paper.results._beyond import poster_env
    env = poster_env()
    e = segment_errors()
    pt, po = (sp.expand(evaluate(e[k], env)) for k in ("limit_target", "limit_opposite"))
    d_t, d_o = (evaluate(few_shot_limit("value-fewshot", t), env) for t in ("target", "opposite"))
    cand = [sp.S.Zero, sp.S.One] + [r for r in sp.solve(sp.diff(pt, S), S) if 0 <= r <= 1]
    lo_t = min(pt.subs(S, x) for x in cand)
    hi_o = max(po.subs(S, x) for x in cand)
    yield Line("note", f"not at equal zero-shot error: over the whole path (s in [0, 1], s = 1 the start at zero-shot "
               f"error 11/10) the n -> oo error on theta_0 is at least {sp.sstr(lo_t)}, (d)'s is {sp.sstr(d_t)}: "
               f"equal at the start (a tie at zero-shot error 11/10), so (d) is not lower than every point of the path; "
               f"on -theta_0 the path's is at most {sp.sstr(hi_o)} < (d)'s {sp.sstr(d_o)}", None)


def _map_lines():
    """The map's cells: each computed by compare (exact); the crossings of the cells that flip; and
    the scaling that makes sigma^2/k the map's coordinate, checked exactly at one cell."""
    from proofs.quantities.compare import compare
    M = order_map()
    flips = []
    for (n, s2), c in M.items():
        for cc in c.columns:
            xs = [x for x in cc.crossings if x.kind == "crossing"]
            if xs:
                flips.append(f"n_ft = {n}, sigma^2/k = {sp.sstr(s2)}, {cc.column}: at z = "
                             + ", ".join(f"{x.level:.6g}" for x in xs))
    exact = all(cc.how == "exact" for c in M.values() for cc in c.columns)
    yield Line("exact" if exact else "numeric",
               f"the remark's map: {len(M)} comparisons by compare at d = 5, Sigma = I, theta_0 = e_1, each exact "
               f"(resultants, certified order); where the order flips: " + ("; ".join(flips) or "nowhere"), True)
    n, s2 = MAP_N_FT[1], MAP_SIGMA2[2]
    base = M[(n, s2)]
    scaled = compare("path:value", f"mixed:{n}", columns=_columns(n), levels=0, d=POSTER["d"], sigma2=4 * s2,
                     theta0=[2, 0, 0, 0, 0])
    def levels(c: Any) -> list:
        return [sp.N(x.exact, 40) for x in c.crossings if x.kind == "crossing"]
    same = (scaled.lo == 4 * base.lo and scaled.hi == 4 * base.hi
            and all(a.lower == b.lower and len(levels(a)) == len(levels(b))
                    and all(abs(x - 4 * y) <= sp.Float(10) ** -30 for x, y in zip(levels(a), levels(b)))
                    for a, b in zip(scaled.columns, base.columns)))
    yield Line("exact", f"the map's coordinate: theta_0 = 2 e_1 and sigma^2 = {sp.sstr(4 * s2)} (k = 4) at n_ft = {n} "
               f"give the verdicts of k = 1, sigma^2 = {sp.sstr(s2)} with every level 4 times as large "
               f"(range [{sp.sstr(scaled.lo)}, {sp.sstr(scaled.hi)}] = 4 [{sp.sstr(base.lo)}, {sp.sstr(base.hi)}])",
               bool(same))


RESULT = EarlyStopping()
