"""The toolkit's notation in every output: strategy labels and order, how the JSON symbols
print in LaTeX and text, the summary table's columns and headers.

One place for these, so the command line (:mod:`proofs.cli.output`), the LaTeX document
(:mod:`proofs.latex_doc`) and the docs pages (:mod:`proofs.docs_pages`) print the same names.
Standard library only at import time.
"""
from __future__ import annotations

from typing import Any, Iterable

__all__ = ["STRATEGY_ORDER", "STRATEGY_LABELS", "SYMBOL_LATEX", "SYMBOL_TEXT", "TABLE_COLUMNS",
           "TABLE_HEADERS_TEXT", "TABLE_HEADERS_LATEX", "order_rows", "expr_latex"]

STRATEGY_ORDER = ("pretrain", "full", "value", "value-fewshot")
STRATEGY_LABELS = {
    "pretrain": "(a) pretrain",
    "full": "(b) full",
    "value": "(c) value",
    "value-fewshot": "(d) value-fewshot",
}
#: How the JSON symbols print in LaTeX (anything else: SymPy's default).
SYMBOL_LATEX = {
    "sigma": r"\sigma",
    "theta0_Sigma_theta0": r"\theta_0^{\top} \Sigma \theta_0",
    "d": "d",
    "n": "n",
    "m": "m",
    "n_ft": r"n_{\mathrm{ft}}",
}
#: How they print as text (unicode, ascii).
SYMBOL_TEXT = {
    "theta0_Sigma_theta0": ("θ₀ᵀΣθ₀", "theta0'*Sigma*theta0"),
}

TABLE_COLUMNS = ("zero_shot", "few_shot_target", "few_shot_opposite")
TABLE_HEADERS_TEXT = {
    True: ("strategy", "zero-shot error on θ₀", "few-shot error on θ₀ (n → ∞)",
           "few-shot error on -θ₀ (n → ∞)"),
    False: ("strategy", "zero-shot error on theta0", "few-shot error on theta0 (n -> oo)",
            "few-shot error on -theta0 (n -> oo)"),
}
TABLE_HEADERS_LATEX = (
    "Strategy",
    r"Zero-shot error on $\theta_0$",
    r"Few-shot error on $\theta_0$ ($n \to \infty$)",
    r"Few-shot error on $-\theta_0$ ($n \to \infty$)",
)


def order_rows(rows: Iterable[Any]) -> list[Any]:
    """The table's rows in the order pretrain, full, value, value-fewshot."""
    rows = list(rows)
    rank = {s: i for i, s in enumerate(STRATEGY_ORDER)}
    return sorted(rows, key=lambda r: rank.get(r.strategy, len(rank)))


def expr_latex(expr: Any) -> str:
    """An expression as LaTeX (amsmath only), the JSON symbols printed as maths."""
    import sympy
    names = {s: SYMBOL_LATEX[s.name] for s in getattr(expr, "free_symbols", ())
             if getattr(s, "name", None) in SYMBOL_LATEX}
    return sympy.latex(expr, symbol_names=names)
