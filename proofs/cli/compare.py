"""``icl-finetune compare``: two ways of fine-tuning at equal error (early stopping along a path,
the mixed loss, a strategy's point), which is lower, by how much and where the order flips
(:mod:`proofs.quantities.compare`): exact at small d, float64 at any d."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json", "latex")
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.quantities.compare.Comparison",)
ARITHMETIC = ("exact", "float")
#: the most levels in the table (= proofs.quantities.compare.MAX_LEVELS)
MAX_LEVELS = 1000
#: which option a backend message is about, by the Python name it starts with
_OPTIONS = {"side": "--left/--right", "match": "--match", "columns": "--columns", "eta": "--lr",
            "levels": "--levels", "arithmetic": "--arithmetic"}


def parse_side(text: str, option: str) -> str:
    """``path:S``, ``mixed:N_FT`` or ``point:S[:N_FT]`` (checked here for its form; S may be a spec file)."""
    kind, sep, rest = text.partition(":")
    if not sep or kind not in ("path", "mixed", "point") or not rest:
        raise O.UsageError(f"{option}: expected path:S, mixed:N_FT or point:S[:N_FT], got {O._show(text)}")
    return text


def parse_column(text: str, option: str) -> Any:
    from proofs.quantities.compare_curves import parse_column as parse
    try:
        return parse(text)
    except ValueError:
        raise O.UsageError(f"{option}: expected N:TASK with N an integer >= 0 or inf and TASK target or opposite "
                           f"(e.g. 5:opposite), got {O._show(text)}") from None


def parse_columns(text: str, option: str = "--columns") -> list:
    parts = text.split(",")
    if len(parts) > 20:
        raise O.UsageError(f"{option}: expected at most 20 columns, got {len(parts)}")
    return [parse_column(p.strip(), option) for p in parts]


def parse_levels(text: str, option: str = "--levels") -> int:
    return O.parse_count(text, option, minimum=0, maximum=MAX_LEVELS)  # type: ignore[return-value]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``compare`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "compare", help="two ways of fine-tuning at equal error: which is lower, where the order flips",
        description="Two sides, each a curve of fine-tuned points, matched where a named error (the level,\n"
                    "the zero-shot error on theta0 by default) is equal: early stopping along a strategy's\n"
                    "gradient-descent path (path:S), the minimisers of E(0; theta0) + lambda E(n_ft; theta0)\n"
                    "(mixed:N_FT), or a strategy's end point (point:S[:N_FT]). Over every common level and\n"
                    "for each error column: which side is lower, by how much, and the levels where the order\n"
                    "flips (exact: resultants and exact root isolation; float64 above d = 10 or where a path's\n"
                    "modes are irrational).",
        example="  icl-finetune compare --left path:value --right mixed:5 --d 5 --sigma2 0.1\n"
                "  icl-finetune compare --right point:value-fewshot:inf --columns inf:target,inf:opposite",
        run=run)
    sub.add_argument("--left", metavar="SIDE", default="path:value", type=O.argtype(parse_side, "--left"),
                     help="path:S (early stopping along S's gradient flow; S a strategy or a spec file), "
                          "mixed:N_FT, or point:S[:N_FT] (default: path:value)")
    sub.add_argument("--right", metavar="SIDE", default="mixed:5", type=O.argtype(parse_side, "--right"),
                     help="the other side, as --left (default: mixed:5)")
    sub.add_argument("--match", metavar="N:TASK", default=None, type=O.argtype(parse_column, "--match"),
                     help="the error matched between the sides (default: 0:target, the zero-shot error on theta0)")
    sub.add_argument("--columns", metavar="LIST", default=None, type=O.argtype(parse_columns, "--columns"),
                     help="errors compared, comma-separated N:TASK, N an integer or inf (default: N_FT:target, "
                          "N_FT:opposite, inf:target, inf:opposite, N_FT the mixed side's or 5)")
    sub.add_argument("--levels", metavar="K", default=9, type=O.argtype(parse_levels, "--levels"),
                     help=f"evenly spaced common levels in the table, 0 to {MAX_LEVELS} (default: 9)")
    sub.add_argument("--lr", metavar="ETA", default=None, type=O.argtype(O.parse_lr, "--lr"),
                     help="path sides: gradient descent with step ETA (every excited mode needs eta h < 1) "
                          "instead of the gradient flow")
    sub.add_argument("--d", metavar="D", type=O.argtype(O.parse_dimension, "--d"), default=5,
                     help="dimension of x, at most 1024 (default: 5)")
    sub.add_argument("--sigma2", metavar="X", type=O.argtype(O.parse_sigma2, "--sigma2"),
                     default=O.parse_sigma2("0.1"), help="noise variance sigma^2 >= 0 (default: 0.1)")
    sub.add_argument("--m", metavar="M", type=O.argtype(O.parse_shots, "--m"), default=None,
                     help="pretraining context length, an integer >= 1 or inf (default: inf)")
    sub.add_argument("--Sigma", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--Sigma"),
                     help="JSON or .npy file with the d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--theta0"),
                     help="JSON or .npy file with the target task theta0, d numbers (default: e_1)")
    sub.add_argument("--arithmetic", metavar="{exact,float}", default=None,
                     type=O.argtype(lambda t, o: O.choice(o, ARITHMETIC)(t), "--arithmetic"),
                     help="exact (default for d <= 10, only there; a side that is not an exact curve turns the "
                          "comparison to float64) or float (default above)")
    sub.add_argument("--plot", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--plot"),
                     help="also draw the comparison to FILE (.png, .pdf, .svg; needs the plot extra)")
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Validate, compare, print (and draw)."""
    from proofs.cli.files import check_output_path, load_spec
    from proofs.cli.inputs import setting
    from proofs.cli.output import note, write
    from proofs.cli.printers import printer
    if args.plot is not None:
        check_output_path(args.plot, "--plot", (".png", ".pdf", ".svg"))
        try:
            import matplotlib  # noqa: F401
        except ModuleNotFoundError:
            raise O.Unavailable("--plot needs matplotlib: pip install '.[plot]'") from None
    d, Sigma, theta0 = setting(args, need_d=True)
    assert d is not None
    from proofs.quantities.compare import compare
    try:
        result = compare(args.left, args.right, columns=args.columns, match=args.match or "0:target", d=d,
                         sigma2=O.exact(args.sigma2), m=args.m, Sigma=Sigma, theta0=theta0, arithmetic=args.arithmetic,
                         eta=None if args.lr is None else O.exact(args.lr), levels=args.levels,
                         spec_loader=lambda name: load_spec(name, "--left/--right", d))
    except ValueError as err:
        name, sep, rest = str(err).partition(": ")
        if sep and name in _OPTIONS:
            raise O.UsageError(f"{_OPTIONS[name]}: {rest}") from None
        raise
    result.setting.update(Sigma=args.Sigma or "identity", theta0=args.theta0 or "e_1")
    from proofs.cli.output import warn
    warn(result)
    if args.plot is not None:
        from proofs.figures.compare import save_comparison
        save_comparison(result, args.plot)
        note(f"wrote {args.plot}")
    write(printer(args.format).doprint(result))
    return O.EXIT_OK
