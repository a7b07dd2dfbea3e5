"""``icl-finetune params``: the derived V and Q of a strategy, exact."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O
from proofs.cli.inputs import arithmetic_of, check_spec, fixed_dimension, setting, strategy_of

FORMATS = ("text", "latex", "json")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.ParamsReport",)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``params`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "params", help="the derived V and Q of a strategy",
        description="The derived optimal V and Q of a strategy, the parameters the objective leaves\n"
                    "free and the convention fixing them. Numeric when --d (or --Sigma/--theta0) is\n"
                    "given, with Sigma = I and theta0 = e_1 unless files are given; symbolic otherwise.",
        example="  icl-finetune params --strategy value\n"
                "  icl-finetune params --strategy c --d 3 --sigma2 0.1 --m 20 --format json",
        run=run)
    O.setting_options(sub, curve=False)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Derive the strategy's parameters at the setting and print them."""
    from proofs import api
    from proofs.cli.output import warn, write
    from proofs.cli.printers import printer
    from proofs.cli.reports import ParamsReport
    which, label = strategy_of(args)
    d, Sigma, theta0 = setting(args, need_d=False, d=fixed_dimension(which, any_start=False))
    arith = arithmetic_of(args, d) if d is not None else None
    check_spec(which, d)
    if arith is not None and not arith.exact and args.sigma2 is None:
        raise O.UsageError(f"--sigma2: needed with {arith.name} arithmetic (d = {d}; a symbolic sigma^2 needs "
                           f"exact arithmetic, d <= 10); give a value, e.g. --sigma2 0.1")
    if arith is not None and arith.exact and args.Sigma and args.m is not None and args.sigma2 is None:
        # measured: a 3x3 --Sigma with --m 7 and sigma2 symbolic runs for minutes (every entry a
        # rational function of sigma to simplify); with --sigma2 given, d = 10 takes seconds
        raise O.UsageError("--sigma2: needed with a --Sigma file and a finite --m (the exact entries "
                           "as functions of sigma^2 take minutes to simplify); give a value, e.g. --sigma2 0.1")
    result = api.params(
        which, d=d,
        sigma2=None if args.sigma2 is None else O.exact(args.sigma2),
        m=args.m, n_ft=args.n_ft,
        scale=O.exact(args.scale) if args.scale is not None else 1,
        Sigma=Sigma, theta0=theta0, arithmetic=None if arith is None else arith.name,
        precision=None if arith is None else arith.precision)
    warn(result)
    write(printer(args.format).doprint(ParamsReport(label, result, api.table_symbols())))
    return O.EXIT_OK

