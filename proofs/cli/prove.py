"""``icl-finetune prove``: derive and check every result of the paper, one line each."""
from __future__ import annotations

import argparse
import time
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json")


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
    """Check each result as it comes (a check that raises has failed; the others still run)."""
    from proofs import api
    from proofs.cli import output as F
    start = time.perf_counter()
    try:
        results = list(api.results())
    except NotImplementedError:  # the README's first command must work from day one
        F.write("no results yet: the backend is not implemented (proofs.api.results)\n"
                if args.format == "text" else F.prove_json([], 0.0))
        return O.EXIT_OK
    from proofs.paper.results import check_all  # (a)/(b) and (c)/(d) results on two processes
    rows: list[dict[str, Any]] = []
    for result, verdict in check_all(results):
        error, seconds = None, float(getattr(verdict, "seconds", 0.0))
        try:
            if isinstance(verdict, Exception):
                raise verdict
            holds, lines = bool(verdict.holds), [str(x) for x in verdict.lines]
        except Exception as exc:  # a check that raises has failed; say why, keep going
            holds, lines, error = False, [], f"{type(exc).__name__}: {exc}"
        row = {"id": str(result.id), "title": str(result.title), "holds": holds,
               "seconds": round(seconds, 6), "checks": lines}
        if error:
            row["error"] = error
        rows.append(row)
        if args.format == "text":
            F.write(F.prove_line(row["id"], row["title"], holds, seconds) + "\n")
            if error:
                F.write(f"      raised {error}\n")
            if args.verbose:
                F.write("".join(f"      {line}\n" for line in lines))
    total = time.perf_counter() - start
    n_pass = sum(r["holds"] for r in rows)
    if args.format == "json":
        F.write(F.prove_json(rows, round(total, 6)))
    else:
        F.write(F.prove_summary(n_pass, len(rows), total) + "\n")
    return O.EXIT_OK if n_pass == len(rows) else O.EXIT_FAILED
