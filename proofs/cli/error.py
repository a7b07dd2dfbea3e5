"""``icl-finetune error``: the exact n-shot error of any given parameters (a JSON file)."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.ErrorReport",)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``error`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "error", help="exact n-shot error of given parameters",
        description="Exact n-shot error E(V, Q, n; theta) of any given parameters, from the closed\n"
                    "form. FILE is JSON: {\"V\": [[...]], \"Q\": [[...]], \"theta\": [...],\n"
                    "\"Sigma\": [[...]], \"sigma2\": x, \"n\": k}, V and Q (d+2)x(d+2), Sigma d x d\n"
                    "symmetric positive definite. Numbers are read exactly (0.1 is 1/10).",
        example="  icl-finetune error --params params.json --format json", run=run)
    sub.add_argument("--params", required=True, metavar="FILE", type=O.argtype(O.parse_file_name, "--params"),
                     help="JSON file with V, Q, theta, Sigma, sigma2, n")
    O.arithmetic_options(sub)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Read the file, evaluate the closed form (exactly at d <= 10), print the value."""
    from proofs import api
    from proofs.cli import files
    from proofs.cli.inputs import arithmetic_of
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.reports import ErrorReport
    p = files.load_params(args.params)
    arith = arithmetic_of(args, p.d)
    if arith.exact:
        V, Q, theta, Sigma = (O.exact_matrix(p.V), O.exact_matrix(p.Q), O.exact_matrix([[x] for x in p.theta]),
                              O.exact_matrix(p.Sigma))
    else:
        V, Q, theta, Sigma = p.V, p.Q, p.theta, p.Sigma
    value = api.exact_error(V, Q, theta, Sigma, O.exact(p.sigma2), p.n, arithmetic=arith.name,
                            precision=arith.precision)
    write(printer(args.format).doprint(ErrorReport(value, p.n, arith)))
    return O.EXIT_OK
