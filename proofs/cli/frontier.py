"""``icl-finetune frontier``: the zero-shot / few-shot trade-off of value fine-tuning on the
mixed loss E(0; theta0) + lambda E(n_ft; theta0), one row per lambda: exact for d <= 10,
float64 above (or ``--arithmetic float|mp``; :mod:`proofs.quantities.frontier_numeric`)."""
from __future__ import annotations

import argparse
from fractions import Fraction
from typing import Any

from proofs.cli import options as O
from proofs.quantities import limits as L
from symbolic.numbers import read_real
from proofs.cli.inputs import arithmetic_of, setting

FORMATS = ("text", "json")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.FrontierReport",)
#: at most this many values in ``--lambda`` (= proofs.quantities.frontier.MAX_LAMBDAS; a test keeps them equal)
MAX_LAMBDAS = 1000


def parse_lambdas(text: str, option: str = "--lambda") -> list[Fraction | None]:
    """A comma-separated list of numbers >= 0 and ``inf`` (None): at least one, at most
    :data:`MAX_LAMBDAS`, each read exactly (``0.1`` is 1/10)."""
    if len(text) > MAX_LAMBDAS * (L.MAX_NUMBER_CHARS + 1):  # no value could be read: the list is not split
        raise O.UsageError(f"{option}: expected at most {MAX_LAMBDAS} comma-separated values of at most "
                           f"{L.MAX_NUMBER_CHARS} characters each, got {len(text)} characters")
    parts = text.split(",")
    if len(parts) > MAX_LAMBDAS:
        raise O.UsageError(f"{option}: expected at most {MAX_LAMBDAS} comma-separated values, got {len(parts)}")
    out: list[Fraction | None] = []
    for part in parts:
        if part.strip().lower() in ("inf", "infinity", "+inf"):
            out.append(None)
            continue
        value = read_real(part) if part.strip() else None
        if value is None or value < 0:
            what = "an empty value" if not part.strip() else O._show(part)
            raise O.UsageError(f"{option}: expected comma-separated numbers >= 0 or inf, got {what}"
                               + (f" in {O._show(text)}" if len(parts) > 1 else ""))
        out.append(value)
    return out


def parse_n(text: str, option: str = "--n") -> int | None:
    """``--n``: the shots of the few-shot columns, an integer >= 0 or inf (None)."""
    return O.parse_count(text, option, allow_inf=True, minimum=0)


def parse_ranks(text: str, option: str = "--rank") -> list[int]:
    """``--rank``: comma-separated integers >= 1 (at most 64; each held to the block's size once d
    is known)."""
    parts = text.split(",")
    if len(parts) > 64:
        raise O.UsageError(f"{option}: expected at most 64 comma-separated ranks, got {len(parts)}")
    return [O.parse_count(p.strip(), option, minimum=1, maximum=10**6) for p in parts]  # type: ignore[misc]


def parse_block(text: str, option: str = "--block") -> str:
    """``--block``: the ranked block, ``Q`` or ``Qxx`` (any case)."""
    key = {"q": "Q", "qxx": "Qxx"}.get(text.strip().lower())
    if key is None:
        raise O.UsageError(f"{option}: expected Q or Qxx, got {O._show(text)}")
    return key


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``frontier`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "frontier", help="the zero-shot / few-shot trade-off of value fine-tuning, one row per lambda",
        description="Value-matrix fine-tuning on the mixed loss E(V, Q, 0; theta0) + lambda E(V, Q, n_ft; theta0),\n"
                    "derived with lambda symbolic: for each lambda the exact zero-shot error on theta0 and\n"
                    "the n-shot errors on theta0 and -theta0 (n -> infinity by default), with the rows of\n"
                    "(a)-(d) alongside. lambda = 0 is the limit lambda -> 0+ and inf the few-shot loss\n"
                    "alone; both limits are checked, exactly, against strategy (d) and the spec\n"
                    "'value fine-tuning on the few-shot loss alone'.",
        example="  icl-finetune frontier --n-ft 5 --lambda 0,1,10,100,inf --n 5",
        run=run)
    sub.add_argument("--n-ft", required=True, metavar="N", dest="n_ft", type=O.argtype(O.parse_n_ft, "--n-ft"),
                     help="shots in the few-shot loss, an integer >= 1 or inf (required; at inf the "
                          "trade-off is degenerate: every lambda gives (d))")
    sub.add_argument("--lambda", required=True, metavar="LIST", dest="lambdas",
                     type=O.argtype(parse_lambdas, "--lambda"),
                     help=f"weights of the few-shot loss: comma-separated numbers >= 0 and inf "
                          f"(0: the limit lambda -> 0+, strategy (d); at most {MAX_LAMBDAS})")
    sub.add_argument("--n", metavar="N", type=O.argtype(parse_n, "--n"), default=None,
                     help="shots of the few-shot columns, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--d", metavar="D", type=O.argtype(O.parse_dimension, "--d"), default=5,
                     help="dimension of x (default: 5)")
    sub.add_argument("--sigma2", metavar="X", type=O.argtype(O.parse_sigma2, "--sigma2"),
                     default=O.parse_sigma2("0.1"), help="noise variance sigma^2 >= 0 (default: 0.1)")
    sub.add_argument("--m", metavar="M", type=O.argtype(O.parse_shots, "--m"), default=None,
                     help="pretraining context length, an integer >= 0 or inf (default: inf; a finite m "
                          "derives with m symbolic, about half a minute)")
    sub.add_argument("--Sigma", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--Sigma"),
                     help="JSON file with the d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--theta0"),
                     help="JSON file with the target task theta0, d numbers (default: e_1)")
    sub.add_argument("--rank", metavar="LIST", dest="ranks", type=O.argtype(parse_ranks, "--rank"), default=None,
                     help="a curve per rank: --block trained by its best rank-r update (LoRA) on the same mixed loss, "
                          "for each r of the comma-separated list (1 <= r <= the block's size; the size is full "
                          "fine-tuning of the block); in place of value fine-tuning")
    sub.add_argument("--block", metavar="{Q,Qxx}", default="Q", type=O.argtype(parse_block, "--block"),
                     help="with --rank: the ranked block, Q (Q[:, :d+1], r <= d+1) or Qxx (r <= d) (default: Q)")
    O.arithmetic_options(sub)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Derive (lambda symbolic), evaluate at each lambda, check the two limits, print."""
    import sympy as sp
    from proofs import api
    from proofs.cli.output import warn, write
    from proofs.cli.printers import printer
    from proofs.cli.printers.common import inf_or
    from proofs.cli.reports import FrontierReport
    d, Sigma, theta0 = setting(args, need_d=True)
    assert d is not None
    arith = arithmetic_of(args, d)
    lams = [sp.oo if x is None else O.exact(x) for x in args.lambdas]
    if args.ranks is not None:   # a curve per rank (LoRA): printed by proofs.cli.rank_output
        from proofs.cli import rank_output
        return rank_output.frontier(args, lams, d, Sigma, theta0, arith)
    if O.given(args, "--block"):
        raise O.UsageError("--block: goes with --rank (the ranked block)")
    result = api.frontier(lams, n_ft=args.n_ft, n=args.n, d=d, sigma2=O.exact(args.sigma2), m=args.m,
                          Sigma=Sigma, theta0=theta0, arithmetic=arith.name, precision=arith.precision)
    warn(result)
    settings = {"n_ft": inf_or(args.n_ft), "n": inf_or(args.n), "d": d, "sigma2": float(args.sigma2),
                "m": inf_or(args.m), "Sigma": args.Sigma or "identity", "theta0": args.theta0 or "e_1",
                "arithmetic": arith.name}
    write(printer(args.format).doprint(FrontierReport(result, arith, settings)))
    return O.EXIT_OK
