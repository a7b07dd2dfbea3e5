r"""The issue's question as functions of the rank: does LoRA forget less, and at what price?

From the pretrained model, the block (``Q`` = Q[:, :d+1] or ``Q_xx``) is fine-tuned on the
n_ft-shot loss on theta_0 by its best update of rank <= r (:mod:`symbolic.lowrank`; LoRA's
gradient descent ends there, :mod:`symbolic.lowrank_path`, ``numeric.lora``).  For every rank
:func:`rank_answer` gives, derived (nothing typed in):

* the training loss E(n_ft; theta_0) (the *target few-shot* error, the only thing Q can improve:
  at V_hat the zero-shot prediction is 0 whatever Q is, so the zero-shot error on theta_0 stays
  sigma^2 + k at every rank, and a mixed loss E(0; theta_0) + lambda E(n_ft; theta_0) has the same
  minimisers);
* the zero-shot error on theta_0, the n_ft-shot errors on theta_0 and -theta_0, their n -> oo
  limits, and (at Sigma = I) the n -> oo error averaged over the pretraining tasks
  theta ~ N(0, I_d): in-context learning of tasks fine-tuning never saw;
* per piece of the rank axis, the forgetting per unit of target few-shot gain.

The rank axis comes in pieces (:meth:`symbolic.lowrank.LowRankDerivation.allocation`): a range
of ranks spent on perp directions (every quantity affine in r there) and single ranks spent on
the theta block; full fine-tuning of the block is the last piece.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .lowrank import LowRankDerivation, derive_lowrank
from .objective import THETA0
from .spec import Rank, make_spec
from .words import DIM

__all__ = ["RankRow", "RankAnswer", "rank_answer", "R", "QUANTITIES"]

#: the rank, a positive integer symbol
R = sp.Symbol("r", integer=True, positive=True)
QUANTITIES = ("training loss", "zero-shot on theta_0", "n_ft-shot on theta_0", "n_ft-shot on -theta_0",
              "n -> oo on theta_0", "n -> oo on -theta_0", "n -> oo averaged over theta ~ N(0, I) (Sigma = I)")


@dataclass
class RankRow:
    """One piece of the rank axis: ``ranks`` (text), the directions taken ``(j_A, j_perp)`` (in r
    on a perp piece), the quantities of :data:`QUANTITIES`, and what changed against the
    pretrained model: ``gain`` (fall of the training loss) and ``forgetting`` (rise of each error)."""

    ranks: str
    j_theta: int
    j_perp: sp.Expr
    values: dict[str, sp.Expr]
    gain: sp.Expr
    forgetting: dict[str, sp.Expr]

    def per_unit_gain(self, quantity: str) -> sp.Expr:
        """``forgetting[quantity] / gain``: the rise of that error per unit fall of the training loss."""
        return sp.factor(self.forgetting[quantity] / self.gain) if self.gain != 0 else sp.nan


@dataclass
class RankAnswer:
    """Rows ``pretrained`` (r = 0), the pieces of the rank axis, the last one being full
    fine-tuning of the block; ``marginal``: per piece, the change of each quantity per rank
    (perp pieces) or at that rank (theta pieces), and the forgetting per unit gain there."""

    block: str
    n_ft: Any
    m: Any
    derivation: LowRankDerivation
    rows: list[RankRow]
    marginal: list[dict] = field(default_factory=list)

    def table(self) -> str:
        """A plain-text table (one line per row and quantity)."""
        out = [f"{self.block} fine-tuned on the {sp.sstr(self.n_ft)}-shot loss on theta_0 (m = {sp.sstr(self.m)}), "
               f"by its best update of rank <= r; k = theta_0^T Sigma theta_0"]
        for row in self.rows:
            out.append(f"  {row.ranks}  (theta directions {row.j_theta}, perp directions {sp.sstr(row.j_perp)})")
            for q in QUANTITIES:
                out.append(f"    {q}: {sp.sstr(sp.factor(row.values[q]))}")
        for mg in self.marginal:
            out.append(f"  marginal, {mg['ranks']}: " + "; ".join(f"{k}: {sp.sstr(v)}" for k, v in mg.items()
                                                                if k != "ranks"))
        return "\n".join(out)


def _values(D: LowRankDerivation, jA: int, jP: sp.Expr, n_ft: Any) -> dict[str, sp.Expr]:
    return {"training loss": D.loss_at(jA, jP),
            "zero-shot on theta_0": D.error_at(jA, jP, THETA0, 0),
            "n_ft-shot on theta_0": D.error_at(jA, jP, THETA0, n_ft),
            "n_ft-shot on -theta_0": D.error_at(jA, jP, -THETA0, n_ft),
            "n -> oo on theta_0": D.error_at(jA, jP, THETA0, sp.oo),
            "n -> oo on -theta_0": D.error_at(jA, jP, -THETA0, sp.oo),
            "n -> oo averaged over theta ~ N(0, I) (Sigma = I)": D.family_error_at(jA, jP, sp.oo)}


def rank_answer(block: str = "Q", n_ft: Any = 5, m: Any = sp.oo, values: dict | None = None) -> RankAnswer:
    """The answer for ``block`` (``"Q"`` or ``"Qxx"``) trained on E(n_ft; theta_0) (module
    docstring).  At finite m the order of the gains depends on the parameters: give ``values``
    (``{m: .., d: .., sigma: .., k: ..}``, see :meth:`symbolic.lowrank.LowRankDerivation.ordered`)."""
    if block not in ("Q", "Qxx"):
        raise ValueError(f"block: expected 'Q' or 'Qxx', got {block!r}")
    D = derive_lowrank(make_spec([Rank(block, 1)], [(1, n_ft, "target")]), m)
    if not D.decided:
        if values is None:
            raise ValueError(f"values: at m = {m} the order of the gains depends on the parameters "
                             f"({D.order_conditions}); give values to decide it")
        D = D.ordered(values)
    base = _values(D, 0, sp.S.Zero, n_ft)
    rows = [RankRow("pretrained (r = 0)", 0, sp.S.Zero, base, sp.S.Zero, {q: sp.S.Zero for q in QUANTITIES})]
    marginal = []
    used, jA, jP = sp.S.Zero, 0, sp.S.Zero
    gains = dict(zip([g for g in D.order if g != "perp"], D.theta_gains))
    for g in D.order:
        if g == "perp":
            if D.perp_gain == 0:
                continue
            ranks = f"{sp.sstr(used + 1)} <= r <= {sp.sstr(used + DIM - 1)}"
            piece_jP = R - used
            vals = _values(D, jA, piece_jP, n_ft)
            before = _values(D, jA, jP, n_ft)
            slope = {q: sp.factor(sp.diff(vals[q], R)) for q in QUANTITIES}
            mg = {"ranks": ranks, "per rank": slope}
            mg["forgetting per unit gain (-theta_0, n -> oo)"] = _ratio(slope["n -> oo on -theta_0"],
                                                                         -slope["training loss"])
            mg["forgetting per unit gain (N(0, I), n -> oo)"] = _ratio(
                slope["n -> oo averaged over theta ~ N(0, I) (Sigma = I)"], -slope["training loss"])
            marginal.append(mg)
            rows.append(_row(ranks, jA, piece_jP, vals, base))
            used, jP = used + DIM - 1, DIM - 1
            del before
        else:
            if gains[g] == 0:
                continue
            before = _values(D, jA, jP, n_ft)
            jA += 1
            ranks = f"r = {sp.sstr(used + 1)}"
            vals = _values(D, jA, jP, n_ft)
            step = {q: sp.factor(vals[q] - before[q]) for q in QUANTITIES}
            mg = {"ranks": ranks, "change at this rank": step,
                  "forgetting per unit gain (-theta_0, n -> oo)": _ratio(step["n -> oo on -theta_0"],
                                                                         -step["training loss"]),
                  "forgetting per unit gain (N(0, I), n -> oo)": _ratio(
                      step["n -> oo averaged over theta ~ N(0, I) (Sigma = I)"], -step["training loss"])}
            marginal.append(mg)
            rows.append(_row(ranks, jA, jP, vals, base))
            used += 1
    rows[-1].ranks += " (full fine-tuning of the block)"
    return RankAnswer(block, n_ft, m, D, rows, marginal)


def _ratio(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return sp.factor(a / b) if b != 0 else sp.nan


def _row(ranks: str, jA: int, jP: sp.Expr, vals: dict, base: dict) -> RankRow:
    gain = sp.factor(base["training loss"] - vals["training loss"])
    forgetting = {q: sp.factor(vals[q] - base[q]) for q in QUANTITIES}
    return RankRow(ranks, jA, jP, vals, gain, forgetting)
