"""The output formats of the command line, as SymPy's printers: one printer per format, one
method per result type, chosen by the type (:mod:`proofs.cli.printers.base`).

- :class:`~proofs.cli.printers.text.TextPrinter` (``text``), for a person at a terminal;
- :class:`~proofs.cli.printers.json.JsonPrinter` (``json``), the schemas of ``docs/cli.md``;
- :class:`~proofs.cli.printers.latex.LatexPrinter` (``latex``), amsmath snippets for a paper;
- :class:`~proofs.cli.printers.markdown.MarkdownPrinter` (``markdown``), the summary table only.

A command builds its result (the quantity's own type, or a :mod:`proofs.cli.reports` wrapper
adding the command's context) and writes ``printer(args.format).doprint(result)``; the helpers
every printer shares are in :mod:`proofs.cli.printers.common`. Importing this package is cheap
(SymPy and NumPy load when something is printed).
"""
from __future__ import annotations

import importlib
from typing import Any

from proofs.cli.printers.base import NoPrinter, Printer

__all__ = ["printer", "printer_class", "PRINTERS", "Printer", "NoPrinter"]

#: each format's printer class, as ``module:Class`` (loaded on first use)
PRINTERS = {
    "text": "proofs.cli.printers.text:TextPrinter",
    "json": "proofs.cli.printers.json:JsonPrinter",
    "latex": "proofs.cli.printers.latex:LatexPrinter",
    "markdown": "proofs.cli.printers.markdown:MarkdownPrinter",
}


def printer_class(format: str) -> type[Printer]:
    """The printer class of ``format`` (a key of :data:`PRINTERS`); a ValueError naming the
    formats otherwise."""
    if format not in PRINTERS:
        raise ValueError(f"format: expected one of {', '.join(PRINTERS)}, got {format!r}")
    module, _, name = PRINTERS[format].partition(":")
    return getattr(importlib.import_module(module), name)


def printer(format: str, **settings: Any) -> Printer:
    """A printer of ``format`` with ``settings`` (``unicode``: None for what standard output takes;
    ``verbose``): ``printer("json").doprint(result)``."""
    return printer_class(format)(**settings)
