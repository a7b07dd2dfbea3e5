"""``icl-finetune prove``: derive and check every result of the paper, one line each."""
from __future__ import annotations

import argparse
import time
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.ProvedResult", "proofs.cli.reports.ProveReport")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``prove`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "prove", help="derive and check every result of the paper",
        description="Derive every result of the paper (Cor. 4.1, 4.2, Thm. 4.3, Cor. 4.4, Thm. 4.6,\n"
                    "Prop. 4.7, Cor. 4.8, Thm. 4.9, Prop. 4.10) and those beyond it,\n"
                    "and check each exactly; one line each with its verdict and time. Exit status 1\n"
                    "if any fails.",
        example="  icl-finetune prove\n  icl-finetune prove --verbose --format json", run=run)
    O.format_option(sub, FORMATS)
    sub.add_argument("-v", "--verbose", action="store_true", help="also print what each check checked")
    return sub


def run(args: argparse.Namespace) -> int:
    """Check each result as it comes (a check that raises has failed; the others still run). A
    printer that ``streams`` (text) prints each result as it is checked, then the report's summary;
    JSON prints the report at the end.  The cyclic collector is paused for the run
    (:func:`proofs.paper.results.collector_paused`: the results' imports and checks build what
    lives until it ends)."""
    from proofs.cli.printers import printer
    from proofs.paper.results import collector_paused
    P = printer(args.format, verbose=args.verbose)
    start = time.perf_counter()
    with collector_paused():
        return _prove(P, start)


def _prove(P: Any, start: float) -> int:
    """:func:`run`'s work: import the results, check them ((a)/(b) and (c)/(d) on two processes), print."""
    from proofs import api
    from proofs.cli.output import write
    from proofs.cli.reports import ProvedResult, ProveReport
    from proofs.paper.results import check_all
    try:
        results = list(api.results())
    except NotImplementedError:  # the README's first command must work from day one
        write(P.doprint(ProveReport([], 0.0, unavailable="the backend is not implemented (proofs.api.results)")))
        return O.EXIT_OK
    rows: list[ProvedResult] = []
    for result, verdict in check_all(results):
        error, seconds = None, float(getattr(verdict, "seconds", 0.0))
        try:
            if isinstance(verdict, Exception):
                raise verdict
            holds, lines = bool(verdict.holds), [str(x) for x in verdict.lines]
        except Exception as exc:  # a check that raises has failed; say why, keep going
            holds, lines, error = False, [], f"{type(exc).__name__}: {exc}"
        rows.append(ProvedResult(str(result.id), str(result.title), holds, seconds, lines, error))
        if P.streams:
            write(P.doprint(rows[-1]))
    report = ProveReport(rows, time.perf_counter() - start)
    write(P.doprint(report))
    return O.EXIT_OK if report.holds else O.EXIT_FAILED
