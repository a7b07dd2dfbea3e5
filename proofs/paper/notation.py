"""The toolkit's notation in every output: strategy labels and order, how the JSON symbols
print in LaTeX and text, the summary table's columns and headers.

One place for these, so the command line (:mod:`proofs.cli.printers`), the LaTeX document
(:mod:`proofs.paper.latex_doc`) and the docs pages (:mod:`proofs.paper.docs_pages`) print the same names.
Standard library only at import time.
"""
from __future__ import annotations

from typing import Any, Iterable

__all__ = ["STANDING_SYMBOLS", "STRATEGY_ORDER", "STRATEGY_LABELS", "SYMBOL_LATEX", "TABLE_COLUMNS",
           "TABLE_HEADERS_TEXT", "TABLE_HEADERS_LATEX", "order_rows", "expr_latex", "as_forms",
           "latex_names", "FORM_SYMBOLS"]

STRATEGY_ORDER = ("pretrain", "full", "value", "value-fewshot")
STRATEGY_LABELS = {
    "pretrain": "(a) pretrain",
    "full": "(b) full",
    "value": "(c) value",
    "value-fewshot": "(d) value-fewshot",
}
#: How the JSON symbols print in LaTeX (anything else: SymPy's default).  The scalar
#: ``theta0_Sigma_theta0`` is not a name but a product of matrices: :func:`as_forms` turns it
#: back into the bilinear form theta_0^T Sigma theta_0, whose printers bracket it under powers.
SYMBOL_LATEX = {
    "sigma": r"\sigma",
    "d": "d",
    "n": "n",
    "m": "m",
    "n_ft": r"n_{\mathrm{ft}}",
}
#: The JSON symbols that stand for bilinear forms of the engine, and their (left, middle, right).
FORM_SYMBOLS = ("theta0_Sigma_theta0",)

#: The symbols the setting defines once for every result (the LaTeX document's section "Setting",
#: the JSON's ``symbols``): a statement may use these without defining them.
STANDING_SYMBOLS = frozenset({
    "d", "sigma", "Sigma", "theta", "theta_0", "n", "m", "n_ft",
    "V", "Q", "v_0", "v_x", "v_y", "Q_00", "q_0x", "q_x0", "Q_xx", "Q_y0", "q_yx",
})

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


def as_forms(expr: Any) -> Any:
    """``expr`` with the plain symbol ``theta0_Sigma_theta0`` (the JSON's name of the scalar
    theta_0^T Sigma theta_0) replaced by the engine's bilinear form, so that it prints as a
    product of matrices, bracketed where a power or a product needs it."""
    import sympy
    from symbolic import SIGMA, THETA0, Bilinear
    if not isinstance(expr, sympy.Basic):
        return expr
    reps = {s: Bilinear(THETA0, SIGMA, THETA0) for s in expr.free_symbols
            if getattr(s, "name", None) in FORM_SYMBOLS}
    return expr.xreplace(reps) if reps else expr


def latex_names(expr: Any) -> dict:
    """SymPy's ``symbol_names`` setting for the JSON symbols of ``expr``."""
    return {s: SYMBOL_LATEX[s.name] for s in getattr(expr, "free_symbols", ())
            if getattr(s, "name", None) in SYMBOL_LATEX}


def expr_latex(expr: Any) -> str:
    """An expression as LaTeX (amsmath only), the JSON symbols printed as maths."""
    from symbolic.printing import latex
    expr = as_forms(expr)
    return latex(expr, symbol_names=latex_names(expr))
