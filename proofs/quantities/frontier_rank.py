r"""The frontier rank by rank: a block of Q trained by its best rank-r update (LoRA) on the
mixed loss ``E(0; theta_0) + lambda E(n_ft; theta_0)``, one curve per rank.

The rank applies to Q (``Q`` = Q[:, :d+1], r <= d+1) and Q_xx (r <= d); value fine-tuning's
block, V's last row, is a vector at one layer, whose only rank is its full one, so the value
frontier (:mod:`proofs.quantities.frontier`) has no rank axis.

For each rank r the spec ``{block, rank r}`` on the mixed loss, with lambda a symbol, is derived
in closed form by :mod:`symbolic.lowrank` (the pretrained start, m -> oo at any Sigma or finite
m at Sigma = I): the three errors (zero-shot on theta_0, n-shot on theta_0 and -theta_0) are
functions of lambda, evaluated at each lambda (0 the limit lambda -> 0+, oo the limit lambda -> oo).
Elsewhere the rank-r optimum at the setting answers each lambda > 0 (:mod:`proofs.quantities.lowrank`).
The checks, exact (within the arithmetic's tolerance in float):

* whether each rank's errors depend on lambda (at V_hat the zero-shot prediction is 0 whatever
  Q is, so E(0; theta_0) is a constant in Q and every lambda > 0 has the same minimisers: each
  rank is then one point, said so: ``degenerate``);
* lambda -> oo equals the rank-r optimum of the few-shot loss alone (derived on its own);
* full rank equals today's unconstrained minimiser of the block on the mixed loss at lambda = 1
  (:func:`proofs.quantities.solve.solve` without the rank);
* rank r's training loss at lambda = 1 equals the rank-r optimum found at this setting by
  weighted Eckart-Young (exact arithmetic only: another route).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy as sp

__all__ = ["RankFrontier", "RankFrontierRow", "rank_frontier", "rank_spec", "RANK_BLOCKS", "MAX_RANKS"]

#: the blocks a rank constrains
RANK_BLOCKS = ("Q", "Qxx")
#: at most this many ranks in one call
MAX_RANKS = 64


def rank_spec(block: str, rank: int, n_ft: Any, lam: Any = None, *, zero: bool = True):
    """The spec: ``block`` by its best rank-``rank`` update on ``E(0; theta_0) + lambda E(n_ft; theta_0)``
    (``zero=False``: the few-shot loss alone)."""
    from symbolic.spec import Rank, make_spec
    from proofs.quantities.frontier import LAMBDA, _key
    lam = LAMBDA if lam is None else lam
    loss = ([(1, 0, "target")] if zero else []) + [(lam if zero else 1, _key(n_ft), "target")]
    return make_spec([Rank(block, rank)], loss, name=f"tradeoff-{block}-rank-{rank}" if zero else
                     f"{block}-rank-{rank}-fewshot-only")


@dataclass
class RankFrontierRow:
    """One rank and weight: ``rank`` (``full`` marks the block's size), ``lam`` (0 and oo the
    limits), the errors ``zero_shot``, ``few_shot_target``, ``few_shot_opposite``."""

    rank: int
    lam: Any
    zero_shot: Any
    few_shot_target: Any
    few_shot_opposite: Any
    full: bool = False

    def values(self) -> tuple:
        return self.zero_shot, self.few_shot_target, self.few_shot_opposite

    def floats(self) -> tuple[float, float, float]:
        return tuple(float(v) for v in self.values())  # type: ignore[return-value]


@dataclass
class RankFrontier:
    """The rows (rank by rank, lambda by lambda), per rank the ``formulas`` (each column as a
    function of LAMBDA, closed form) and ``degenerate`` (no column depends on lambda), the
    ``route`` per rank, the ``checks`` and ``notes``."""

    block: str
    ranks: list[int]
    lambdas: list[Any]
    rows: list[RankFrontierRow]
    formulas: dict[int, dict[str, Any]] = field(default_factory=dict)
    degenerate: dict[int, bool] = field(default_factory=dict)
    routes: dict[int, str] = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    arith: Any = None

    @property
    def holds(self) -> bool:
        return all(ok for _, ok in self.checks)


def _ranks(block: str, ranks: Sequence[Any], d: int) -> list[int]:
    from symbolic.spec import max_rank
    if block not in RANK_BLOCKS:
        raise ValueError(f"block: expected one of {', '.join(RANK_BLOCKS)} (V's last row, the value frontier's block, "
                         f"is a vector: its only rank is its full one), got {block!r}")
    top = max_rank(block, d)
    out = []
    if isinstance(ranks, (str, bytes)) or not hasattr(ranks, "__iter__"):
        raise ValueError(f"ranks: expected a list of integers 1 <= rank <= {top}, got {ranks!r}")
    for r in list(ranks)[:MAX_RANKS + 1]:
        if isinstance(r, bool) or not isinstance(r, (int, sp.Integer)) or not 1 <= int(r) <= top:
            raise ValueError(f"ranks: expected integers 1 <= rank <= {top} (the size of the {block} block at d = {d}), "
                             f"got {r!r}")
        out.append(int(r))
    if not out or len(out) > MAX_RANKS:
        raise ValueError(f"ranks: expected 1 to {MAX_RANKS} ranks")
    return sorted(set(out))


def rank_frontier(lambdas: Sequence[Any], setting: Any, *, block: str = "Q", ranks: Sequence[Any],
                  n: Any = None) -> RankFrontier:
    """One row per rank and weight (module docstring) at a concrete setting (its n_ft the
    few-shot loss's shots); ``ranks`` integers 1 <= r <= the block's size (the size itself is
    full fine-tuning of the block); ``n`` the shots of the few-shot columns (None: n -> oo)."""
    from proofs.quantities.frontier import LAMBDA, MAX_LAMBDAS, _count, at_lambda, parse_lambda
    from proofs.quantities.lowrank import closed_derivation, rank_minimum, setting_values
    from proofs.quantities.solve import solve
    if setting.symbolic:
        raise ValueError("d: the frontier is computed at a concrete setting; give d")
    if setting.sigma2 is None:
        raise ValueError("sigma2: the frontier is computed at a concrete setting; expected a number >= 0, got None")
    lambdas = list(lambdas)
    if not lambdas or len(lambdas) > MAX_LAMBDAS:
        raise ValueError(f"lambdas: expected 1 to {MAX_LAMBDAS} values")
    lams = [parse_lambda(x) for x in lambdas]
    rks = _ranks(block, ranks, setting.d)
    from symbolic.spec import max_rank
    top = max_rank(block, setting.d)
    n_ft = _count(setting.n_ft)
    nn = sp.oo if n is None else sp.Integer(int(n))
    arith = setting.arith
    out = RankFrontier(block, rks, lams, [], arith=arith,
                       settings={"block": block, "n_ft": n_ft, "n": n, "d": setting.d, "sigma2": setting.sigma2,
                                 "m": _count(setting.m), "arithmetic": arith.name})
    cols = ("zero_shot", "few_shot_target", "few_shot_opposite")

    def number(v: Any) -> Any:
        return v if arith.exact or v in (sp.oo, -sp.oo) else arith.number(v)

    from symbolic.objective import THETA0
    at = setting_values(setting)
    for r in rks:
        spec = rank_spec(block, r, n_ft)
        D, why = closed_derivation(spec, setting)
        if D is not None:
            forms = {c: sp.factor(D.error(r, t, k, setting.d).xreplace(at))
                     for c, (t, k) in zip(cols, ((THETA0, 0), (THETA0, nn), (-THETA0, nn)))}
            out.formulas[r] = forms
            out.degenerate[r] = not any(f.has(LAMBDA) for f in forms.values())
            out.routes[r] = "closed form"
            for lam in lams:
                out.rows.append(RankFrontierRow(r, lam, *(number(at_lambda(forms[c], lam)) for c in cols), r == top))
            few = rank_minimum(rank_spec(block, r, n_ft, zero=False), setting, "few-shot only")
            few_vals = _errors(few, nn)
            inf_vals = [at_lambda(forms[c], sp.oo) for c in cols]
            out.checks.append((f"rank {r}: lim lambda->oo = the rank-{r} optimum of the few-shot loss alone",
                               _same(inf_vals, few_vals, arith)))
        else:
            out.routes[r] = "at this setting only"
            if any(lam in (0, sp.oo) for lam in lams):
                raise ValueError(f"lambdas: the limits lambda -> 0+ and lambda -> oo need the closed form, which does not "
                                 f"apply here ({why}); give weights 0 < lambda < oo")
            pts = []
            for lam in lams:
                ans = rank_minimum(rank_spec(block, r, n_ft, lam), setting, "rank")
                vals = _errors(ans, nn)
                pts.append(vals)
                out.rows.append(RankFrontierRow(r, lam, *(number(v) for v in vals), r == top))
            out.degenerate[r] = all(_same(p, pts[0], arith) for p in pts)
        # full rank against today's route, and the training loss against weighted Eckart-Young
        one = rank_spec(block, r, n_ft, sp.S.One)
        if r == top:
            today = solve(one.without_ranks(), setting)
            mine = _errors(rank_minimum(one, setting, "rank") if D is None else _Closed(D, r, setting, at), nn)
            out.checks.append((f"rank {r} (full): = today's unconstrained minimiser of {block} on the mixed loss at "
                               "lambda = 1", _same(mine, _errors(today, nn), arith)))
        if D is not None and arith.exact:
            from symbolic.lowrank_concrete import lowrank_optimum
            o = lowrank_optimum(one, d=setting.d, Sigma=setting.Sigma, theta0=setting.theta0, sigma2=setting.sigma2,
                                m=setting.m, arithmetic=arith)
            closed_loss = sp.factor(D.loss(r, setting.d).xreplace({**at, LAMBDA: 1}))
            out.checks.append((f"rank {r}: the training loss at lambda = 1 = the rank-{r} optimum by weighted "
                               "Eckart-Young at this setting", o.arithmetic.exact and sp.simplify(o.loss - closed_loss) == 0))
    if all(out.degenerate.values()):
        out.notes.append(f"every rank is one point: at V_hat the zero-shot prediction is 0 whatever Q is, so "
                         f"E(0; theta_0) does not depend on {block} and every lambda > 0 has the same minimisers "
                         "(the zero-shot error stays sigma^2 + k); the ranks differ in the few-shot errors only")
    return out


class _Closed:
    """The closed form's errors at rank r, as a Solution's ``curve`` gives them (for the checks)."""

    def __init__(self, D: Any, r: int, setting: Any, at: dict) -> None:
        self.D, self.r, self.setting, self.at = D, r, setting, at

    def curve(self, task: str, ns: list) -> Any:
        from types import SimpleNamespace
        from symbolic.objective import THETA0
        from proofs.quantities.frontier import LAMBDA
        t = THETA0 if task == "target" else -THETA0
        f = lambda k: sp.factor(self.D.error(self.r, t, k, self.setting.d).xreplace({**self.at, LAMBDA: 1}))  # noqa: E731
        return SimpleNamespace(values=[f(k) for k in ns], limit_value=f(sp.oo))


def _errors(answer: Any, n: Any) -> list:
    z = answer.curve("target", [0]).values[0]
    if n == sp.oo:
        return [z, answer.curve("target", []).limit_value, answer.curve("opposite", []).limit_value]
    k = int(n)
    return [z, answer.curve("target", [k]).values[0], answer.curve("opposite", [k]).values[0]]


def _same(a: Sequence[Any], b: Sequence[Any], arith: Any) -> bool:
    if arith.exact:
        return all(sp.simplify(sp.sympify(x) - sp.sympify(y)) == 0 for x, y in zip(a, b))
    return all(abs(float(x) - float(y)) <= 1e-9 * max(1.0, abs(float(y))) for x, y in zip(a, b))
