"""``icl-finetune curve``: the n-shot test error of a strategy for n in A..B (exact, float64 or mpmath)."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O
from proofs.cli.inputs import arithmetic_of, check_spec, fixed_dimension, setting, strategy_of

FORMATS = ("text", "json")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.CurveReport",)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``curve`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "curve", help="exact n-shot test error of a strategy, for n in A..B",
        description="Exact n-shot test error E(V, Q, n; theta) of a strategy's parameters for each n\n"
                    "in A..B, on theta = theta0 (target), -theta0 (opposite) or theta0 rotated by an\n"
                    "angle (--task-angle), from the closed form, and its limit n -> infinity.",
        example="  icl-finetune curve --strategy value-fewshot --task opposite --n 0:20 --n-ft 5",
        run=run)
    O.setting_options(sub, curve=True)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Evaluate the closed form at each n and print the curve and its limit."""
    from proofs import api
    from proofs.cli.output import warn, write
    from proofs.cli.printers import printer
    from proofs.cli.reports import CurveReport
    which, label = strategy_of(args)
    d, Sigma, theta0 = setting(args, need_d=True, d=fixed_dimension(which, any_start=True))
    assert d is not None
    arith = arithmetic_of(args, d)
    check_spec(which, d)
    scale = args.scale if args.scale is not None else 1
    # exact values: 1e-300 stays 1e-300 (a float would do too, but 2/3 would not)
    task, extra = args.task, {}
    if getattr(args, "task_angle", None) is not None:  # theta0 rotated by phi (proofs.quantities.angles)
        from proofs.quantities.angles import angle_text, from_option
        task = from_option(args.task_angle)
        extra = {"task_angle": angle_text(task), "task_angle_radians": float(task)}
    try:
        # sigma2 and scale exact as parsed (int/Fraction), read exactly by the API without SymPy
        result = api.curve(which, task, list(args.n), d=d, sigma2=args.sigma2,
                           m=args.m, n_ft=args.n_ft, scale=scale, Sigma=Sigma, theta0=theta0,
                           arithmetic=arith.name, precision=arith.precision)
    except ValueError as err:  # the angle's own complaint names the option that gave it
        if extra and str(err).startswith("task: "):
            raise O.UsageError("--task-angle: " + str(err)[len("task: "):]) from None
        raise
    except NotImplementedError as err:   # a spec without a closed form (whole matrices at depth...): said so
        from symbolic.quadratic import NotQuadratic
        if isinstance(err, NotQuadratic):
            raise O.Unavailable(f"--spec: no closed form: {err}") from None
        raise
    settings = {"d": d, "sigma2": float(args.sigma2), "m": args.m, "n_ft": args.n_ft,
                "scale": float(scale), "Sigma": args.Sigma or "identity",
                "theta0": args.theta0 or "e_1", **extra}
    warn(result)
    write(printer(args.format).doprint(CurveReport(label, "angle" if extra else args.task, result, settings)))
    return O.EXIT_OK
