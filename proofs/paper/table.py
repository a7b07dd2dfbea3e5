"""The poster's summary table, generated from the derivations (:mod:`symbolic`).

Each row is one strategy; the entries are the zero-shot error on theta_0 and the limits
n -> oo of the n-shot error on theta_0 and on -theta_0, derived at pretraining context
m -> oo and (strategy value-fewshot) n_ft -> oo.  The scalar ``theta_0^T Sigma theta_0`` is
written as the symbol ``theta0_Sigma_theta0`` and every symbol is a plain SymPy symbol, so
``sympy.sympify`` of the JSON strings gives back the same expressions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

__all__ = ["TableRow", "summary_table", "table_symbols", "to_table_symbols", "RESULTS_OF"]

#: The results each row of the table rests on (the poster's last column).
RESULTS_OF = {
    "pretrain": ("corollary-4.1", "corollary-4.2"),
    "full": ("theorem-4.3", "corollary-4.4"),
    "value": ("theorem-4.6", "proposition-4.7", "corollary-4.8"),
    "value-fewshot": ("theorem-4.9", "proposition-4.10"),
}

SYMBOLS = {
    "d": "dimension of x",
    "sigma": "noise standard deviation (sigma**2 is the noise variance)",
    "n": "number of in-context examples (shots)",
    "m": "pretraining context length",
    "theta0_Sigma_theta0": "theta0^T Sigma theta0 (the target task's signal, theta0' Sigma theta0)",
}


@dataclass(frozen=True)
class TableRow:
    """One row: ``strategy`` and the three entries (SymPy expressions over :func:`table_symbols`)."""

    strategy: str
    zero_shot: sp.Expr
    few_shot_target: sp.Expr
    few_shot_opposite: sp.Expr
    results: tuple[str, ...] = field(default=())


def table_symbols() -> dict[str, str]:
    """Symbol name -> meaning, for the JSON key ``symbols``."""
    return dict(SYMBOLS)


def to_table_symbols(expr: sp.Expr) -> sp.Expr:
    """Replace ``Bilinear(theta_0, Sigma, theta_0)`` by ``theta0_Sigma_theta0`` and the
    engine's symbols (which carry assumptions) by plain symbols of the same names."""
    from symbolic import SIGMA, THETA0, Bilinear
    e = sp.sympify(expr)
    e = e.xreplace({b: sp.Symbol("theta0_Sigma_theta0") for b in e.atoms(Bilinear)
                    if b.left == THETA0 and b.right == THETA0 and b.middle == SIGMA})
    if e.atoms(Bilinear) or e.atoms(sp.Trace):
        raise ValueError(f"table entry not expressible in the table's symbols: {e}")
    e = e.xreplace({s: sp.Symbol(s.name) for s in e.free_symbols if s.name in SYMBOLS})
    t, sg = sp.Symbol("theta0_Sigma_theta0"), sp.Symbol("sigma")
    return sp.collect(sp.expand(e), [t, sg], func=sp.factor)


@lru_cache(maxsize=None)
def summary_table() -> tuple[TableRow, ...]:
    """The four rows (pretrain, full, value, value-fewshot), each entry derived."""
    from symbolic import STRATEGIES
    from proofs.quantities.derivations import few_shot_limit, zero_shot
    rows = []
    for s in STRATEGIES:
        rows.append(TableRow(s, to_table_symbols(zero_shot(s)),
                             to_table_symbols(few_shot_limit(s, "target")),
                             to_table_symbols(few_shot_limit(s, "opposite")),
                             RESULTS_OF[s]))
    return tuple(rows)
