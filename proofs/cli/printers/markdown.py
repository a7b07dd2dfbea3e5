"""The Markdown printer: the summary table as a GitHub table with LaTeX maths (``table --format markdown``)."""
from __future__ import annotations

from typing import Any

from proofs.cli.printers.base import Printer

__all__ = ["MarkdownPrinter"]


class MarkdownPrinter(Printer):
    """A Markdown table, each expression as ``$...$`` (a ``|`` in it escaped)."""

    format = "markdown"

    def _print_SummaryTable(self, table: Any) -> str:
        from proofs.paper.notation import STRATEGY_LABELS, TABLE_COLUMNS, TABLE_HEADERS_LATEX, expr_latex, order_rows

        def cell(text: str) -> str:
            return text.replace("|", r"\|")

        lines = ["| " + " | ".join(TABLE_HEADERS_LATEX) + " |",
                 "|" + "---|" * len(TABLE_HEADERS_LATEX)]
        for r in order_rows(table.rows):
            cells = [STRATEGY_LABELS.get(r.strategy, r.strategy)]
            cells += [f"${cell(expr_latex(getattr(r, c)))}$" for c in TABLE_COLUMNS]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
