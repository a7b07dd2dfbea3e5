"""``icl-finetune curve``: the exact n-shot test error of a strategy for n in A..B."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``curve`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "curve", help="exact n-shot test error of a strategy, for n in A..B",
        description="Exact n-shot test error E(V, Q, n; theta) of a strategy's parameters for each n\n"
                    "in A..B, on theta = theta0 (target) or -theta0 (opposite), from the closed form,\n"
                    "and its limit n -> infinity.",
        example="  icl-finetune curve --strategy value-fewshot --task opposite --n 0:20 --n-ft 5",
        run=run)
    O.setting_options(sub, curve=True)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Evaluate the closed form at each n and print the curve and its limit."""
    from proofs import api
    from proofs.cli import output as F
    d, Sigma, theta0 = O.setting(args, need_d=True)
    which, label = O.strategy_of(args, d)
    assert d is not None
    scale = args.scale if args.scale is not None else 1
    # exact values: 1e-300 stays 1e-300 (a float would do too, but 2/3 would not)
    result = api.curve(which, args.task, list(args.n), d=d, sigma2=O.exact(args.sigma2),
                       m=args.m, n_ft=args.n_ft, scale=O.exact(scale), Sigma=Sigma, theta0=theta0)
    settings = {"d": d, "sigma2": float(args.sigma2), "m": args.m, "n_ft": args.n_ft,
                "scale": float(scale), "Sigma": args.Sigma or "identity",
                "theta0": args.theta0 or "e_1"}
    if args.format == "json":
        F.write(F.curve_json(label, args.task, result, settings))
    else:
        F.write(F.curve_text(label, args.task, result, settings))
    return O.EXIT_OK
