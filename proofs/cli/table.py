"""``icl-finetune table``: the poster's summary table, generated from the derivations."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "markdown", "latex", "json")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.SummaryTable",)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``table`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "table", help="the summary table, generated from the derivations",
        description="The poster's summary table, generated from the derivations: zero-shot error on\n"
                    "theta0 and few-shot errors (n -> infinity) on theta0 and -theta0, per strategy.",
        example="  icl-finetune table --format markdown\n  icl-finetune table --format latex > table.tex",
        run=run)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Print the table in ``args.format``."""
    from proofs import api
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.reports import SummaryTable
    rows = list(api.summary_table())
    write(printer(args.format).doprint(SummaryTable(rows, api.table_symbols())))
    return O.EXIT_OK
