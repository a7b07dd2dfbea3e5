"""``icl-finetune verify``: a Monte Carlo check of every derived error formula."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json")
#: what run prints (``module.Class``) and in which formats: the rows are objects of their own in
#: JSON only (text lays them out as cells of the report's grid) (tests/test_printers.py)
PRINTS = {"proofs.cli.reports.VerifyReport": FORMATS, "proofs.paper.verify.VerifyRow": ("json",)}
#: = proofs.paper.verify.DEFAULT_SAMPLES, its calibrated size (a test keeps them equal; importing
#: proofs.paper.verify here would load NumPy and SymPy at start-up)
DEFAULT_SAMPLES = 1_000_000


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``verify`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "verify", help="Monte Carlo check of every derived error formula",
        description="Monte Carlo check of every derived error formula: estimate, standard error,\n"
                    "z-score, verdict. Exit status 1 if any check fails.",
        example="  icl-finetune verify --samples 200000 --seed 1", run=run)
    sub.add_argument("--samples", metavar="N", type=O.argtype(O.parse_samples, "--samples"),
                     default=DEFAULT_SAMPLES,
                     help=f"Monte Carlo samples per formula (default: {DEFAULT_SAMPLES})")
    O.seed_option(sub)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Run every check; exit status 1 if any disagrees."""
    from proofs import api
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.reports import VerifyReport
    report = VerifyReport(list(api.verify(args.samples, args.seed)), args.samples, args.seed)
    write(printer(args.format).doprint(report))
    return O.EXIT_OK if report.passed else O.EXIT_FAILED
