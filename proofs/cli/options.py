"""What every subcommand shares: exit statuses, errors, the parser, the options and their values.

- Exit statuses :data:`EXIT_OK`, :data:`EXIT_FAILED`, :data:`EXIT_USAGE`,
  :data:`EXIT_UNAVAILABLE` (0, 1, 2, 3; docs/cli.md, "Exit status").
- :class:`UsageError` (exit 2) and :class:`Unavailable` (exit 3): raise them from a
  subcommand's ``run`` with a one-line message; :func:`proofs.cli.main` prints
  ``icl-finetune SUBCOMMAND: error: <message>``.
- :func:`add_subcommand` creates a subcommand's parser in the house style;
  :func:`format_option`, :func:`setting_options`, :func:`seed_option` add the options
  several subcommands share, so each is declared once.
- The value parsers (``parse_*``): a user's string to a clean value, or a
  :class:`UsageError` that names the option and what it expects, e.g.
  ``--n: expected A:B with integers 0 <= A <= B, got '5:2'``. Real numbers are read
  exactly with :class:`fractions.Fraction` (``0.1`` is 1/10); nothing reaches ``eval``
  or ``sympify``.

Standard library only at import time (start-up stays fast).
"""
from __future__ import annotations

import argparse
import re
from fractions import Fraction
from typing import Any, Callable, Sequence

__all__ = [
    "PROG", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_UNAVAILABLE",
    "UsageError", "Unavailable", "Parser", "ParseError", "add_subcommand",
    "format_option", "setting_options", "seed_option",
    "STRATEGIES", "STRATEGY_LETTERS", "TASKS",
    "parse_strategy", "parse_task", "choice", "parse_count", "parse_dimension", "parse_range",
    "parse_sigma2", "parse_scale", "parse_samples", "parse_seed", "argtype",
    "resolve_dimension", "identity", "unit_vector", "setting", "given", "exact", "exact_matrix",
]

PROG = "icl-finetune"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3

STRATEGIES = ("pretrain", "full", "value", "value-fewshot")
STRATEGY_LETTERS = dict(zip("abcd", STRATEGIES))
TASKS = ("target", "opposite")

_INT = re.compile(r"\s*[+-]?\d+\s*\Z")
_RANGE = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*\Z")


class UsageError(ValueError):
    """Bad input on the command line (exit 2); ``str(err)`` is the one-line message."""


class Unavailable(Exception):
    """The command cannot run here (exit 3): a backend not implemented, an extra not installed."""


# ----------------------------------------------------------------------------- the parser

class ParseError(Exception):
    """argparse's complaint, one line, with the ``prog`` it concerns."""

    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised (:class:`ParseError`) rather than printed."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise ParseError(self.prog, tidy(message))


_CHOICE = re.compile(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)\Z", re.S)


def tidy(message: str) -> str:
    """argparse's message, in this tool's style: ``--n: expected ...``."""
    match = _CHOICE.match(message)
    if match:
        opt, got, choices = match.groups()
        opt = "subcommand" if opt in ("command", "SUBCOMMAND") or opt.startswith("{") else opt
        choices = choices.replace("'", "")
        return f"{opt}: expected one of {choices}, got {got!r}"
    if message.startswith("argument "):
        message = message[len("argument "):]
    # our own type checks already name the option: "--n: --n: ..." -> "--n: ..."
    message = re.sub(r"\A(\S+): \1: ", r"\1: ", message)
    return " ".join(message.split())


def formatter(prog: str) -> argparse.HelpFormatter:
    """The help layout of every parser (descriptions keep their line breaks)."""
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def add_subcommand(subparsers: Any, name: str, *, help: str, description: str, example: str,
                   run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A subcommand's parser: ``--help`` ends with ``example``; ``run(args)`` is its handler."""
    sub = subparsers.add_parser(name, help=help, description=description,
                                epilog="example:\n" + example, formatter_class=formatter,
                                allow_abbrev=False)
    sub.set_defaults(handler=run)
    return sub


# ----------------------------------------------------------------------------- shared options

def format_option(sub: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    """``--format`` with the given choices, the first the default."""
    choices = tuple(choices)
    sub.add_argument("--format", default=choices[0], metavar="{" + ",".join(choices) + "}",
                     type=argtype(lambda t, o: choice(o, choices)(t), "--format"),
                     help=f"output format (default: {choices[0]}); json is documented in docs/cli.md")


def seed_option(sub: argparse.ArgumentParser, help: str = "random seed (default: 0)") -> None:
    """``--seed S``, an integer >= 0 (default 0)."""
    sub.add_argument("--seed", metavar="S", type=argtype(parse_seed, "--seed"), default=0, help=help)


def setting_options(sub: argparse.ArgumentParser, *, curve: bool) -> None:
    """The options that fix the setting: ``--strategy``, (``--task --n`` with ``curve``),
    ``--d --sigma2 --m --n-ft --scale --Sigma --theta0``. Read them back with :func:`setting`."""
    sub.add_argument("--strategy", required=True, metavar="S",
                     type=argtype(parse_strategy, "--strategy"),
                     help="pretrain, full, value or value-fewshot (or a, b, c, d)")
    if curve:
        sub.add_argument("--task", required=True, metavar="{target,opposite}",
                         type=argtype(parse_task, "--task"),
                         help="evaluate on theta0 (target) or -theta0 (opposite)")
        sub.add_argument("--n", required=True, metavar="A:B", type=argtype(parse_range, "--n"),
                         help="shots n = A, A+1, ..., B (inclusive)")
    sub.add_argument("--d", metavar="D", type=argtype(parse_dimension, "--d"),
                     default=5 if curve else None,
                     help="dimension of x (default: 5)" if curve else
                     "dimension of x: numeric parameters (default: symbolic d)")
    sub.add_argument("--sigma2", metavar="X", type=argtype(parse_sigma2, "--sigma2"),
                     default=parse_sigma2("0.1") if curve else None,
                     help="noise variance sigma^2 >= 0 (default: 0.1)" if curve else
                     "noise variance sigma^2 >= 0 (default: symbolic)")
    sub.add_argument("--m", metavar="M", type=argtype(parse_count, "--m", allow_inf=True),
                     default=None, help="pretraining context length, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--n-ft", metavar="N", type=argtype(parse_count, "--n-ft", allow_inf=True),
                     default=None, dest="n_ft",
                     help="shots in value-fewshot's auxiliary loss, integer >= 0 or inf (default: inf)")
    sub.add_argument("--scale", metavar="C", type=argtype(parse_scale, "--scale"), default=None,
                     help="strategy full's free scale: V's last row carries C theta0 on the x block "
                          "and Q_00 = 1/C (default: 1)")
    sub.add_argument("--Sigma", metavar="FILE", default=None,
                     help="JSON file with the d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None,
                     help="JSON file with the target task theta0, d numbers (default: e_1)")


# ----------------------------------------------------------------------------- values

def argtype(fn: Callable[..., Any], option: str, **kw: Any) -> Callable[[str], Any]:
    """``fn(text, option, **kw)`` as an argparse ``type=``: its :class:`UsageError` message,
    which names ``option``, is what the user sees."""

    def wrapped(text: str) -> Any:
        try:
            return fn(text, option, **kw)
        except UsageError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    wrapped.__name__ = getattr(fn, "__name__", "value")
    return wrapped


def parse_strategy(text: str, option: str = "--strategy") -> str:
    """``pretrain``, ``full``, ``value``, ``value-fewshot``, or the letters ``a``-``d``."""
    key = text.strip().lower().strip("()")
    if key in STRATEGY_LETTERS:
        return STRATEGY_LETTERS[key]
    key = key.replace("_", "-")
    if key in STRATEGIES:
        return key
    raise UsageError(f"{option}: expected one of {', '.join(STRATEGIES)} (or a-d), got {text!r}")


def parse_task(text: str, option: str = "--task") -> str:
    """``target`` (theta = theta0) or ``opposite`` (theta = -theta0)."""
    key = text.strip().lower()
    if key in TASKS:
        return key
    raise UsageError(f"{option}: expected one of {', '.join(TASKS)}, got {text!r}")


def choice(option: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    """A parser for one of a fixed set of words (used for ``--format``)."""

    def parse(text: str) -> str:
        key = text.strip().lower()
        if key in choices:
            return key
        raise UsageError(f"{option}: expected one of {', '.join(choices)}, got {text!r}")

    return parse


def parse_count(text: str, option: str, *, allow_inf: bool = False, minimum: int = 0) -> int | None:
    """An integer >= ``minimum``; with ``allow_inf``, ``inf`` gives ``None`` (infinity)."""
    if allow_inf and text.strip().lower() in ("inf", "infinity", "+inf"):
        return None
    expected = f"an integer >= {minimum}" + (" or inf" if allow_inf else "")
    if not _INT.match(text):
        raise UsageError(f"{option}: expected {expected}, got {text!r}")
    value = int(text)
    if value < minimum:
        raise UsageError(f"{option}: expected {expected}, got {text!r}")
    return value


def parse_dimension(text: str, option: str = "--d") -> int:
    """The dimension d of x: an integer >= 1."""
    return parse_count(text, option, minimum=1)  # type: ignore[return-value]


def parse_range(text: str, option: str = "--n") -> range:
    """``A:B`` with integers 0 <= A <= B: the inclusive range A..B."""
    match = _RANGE.match(text)
    if not match or int(match.group(1)) > int(match.group(2)):
        raise UsageError(f"{option}: expected A:B with integers 0 <= A <= B, got {text!r}")
    return range(int(match.group(1)), int(match.group(2)) + 1)


def _parse_real(text: str) -> Fraction | None:
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None


def parse_sigma2(text: str, option: str = "--sigma2") -> Fraction:
    """The noise variance sigma^2: a finite number >= 0, exact (``0.1`` is 1/10)."""
    value = _parse_real(text)
    if value is None or value < 0:
        raise UsageError(f"{option}: expected a finite number >= 0, got {text!r}")
    return value


def parse_scale(text: str, option: str = "--scale") -> Fraction:
    """The scale C of strategy full's minimisers: a finite non-zero number, exact."""
    value = _parse_real(text)
    if value is None or value == 0:
        raise UsageError(f"{option}: expected a finite non-zero number, got {text!r}")
    return value


def parse_samples(text: str, option: str = "--samples") -> int:
    """Monte Carlo sample size: an integer >= 2 (a standard error needs two)."""
    return parse_count(text, option, minimum=2)  # type: ignore[return-value]


def parse_seed(text: str, option: str = "--seed") -> int:
    """A seed for ``numpy.random.default_rng``: an integer >= 0."""
    return parse_count(text, option, minimum=0)  # type: ignore[return-value]


# ----------------------------------------------------------------------------- the setting

def resolve_dimension(d: int | None, Sigma: list[list] | None, theta0: list | None) -> int | None:
    """The one d that ``--d``, ``--Sigma`` and ``--theta0`` agree on (None if none given)."""
    sizes = []
    if d is not None:
        sizes.append(("--d", d))
    if Sigma is not None:
        sizes.append(("--Sigma", len(Sigma)))
    if theta0 is not None:
        sizes.append(("--theta0", len(theta0)))
    if len({s for _, s in sizes}) > 1:
        said = ", ".join(f"{opt} gives d = {s}" for opt, s in sizes)
        raise UsageError(f"{sizes[-1][0]}: expected the same dimension d everywhere, but {said}")
    return sizes[0][1] if sizes else None


def identity(d: int) -> list[list[int]]:
    """The d x d identity (the default Sigma)."""
    return [[int(i == j) for j in range(d)] for i in range(d)]


def unit_vector(d: int) -> list[int]:
    """e_1 in R^d (the default theta0)."""
    return [int(i == 0) for i in range(d)]


def given(args: argparse.Namespace, option: str) -> bool:
    """Whether ``option`` (e.g. ``"--d"``) was written on the command line (not a default)."""
    return option in getattr(args, "_given", ())


def exact(x: Any) -> Any:
    """An ``int``/``Fraction`` as an exact SymPy number."""
    import sympy
    return sympy.Rational(x.numerator, x.denominator)


def exact_matrix(rows: Sequence[Sequence[Any]]) -> Any:
    """Exact SymPy matrix from rows of ``int``/``Fraction``."""
    import sympy
    return sympy.Matrix([[exact(x) for x in row] for row in rows])


def setting(args: argparse.Namespace, *, need_d: bool) -> tuple[int | None, Any, Any]:
    """d, Sigma, theta0 (exact SymPy, or None where symbolic) from ``--d --Sigma --theta0``.

    ``need_d``: the subcommand has a default d (curve's 5), which yields to the files' d
    unless ``--d`` was written explicitly.
    """
    from proofs.cli import files
    Sigma_rows = files.load_sigma(args.Sigma) if args.Sigma else None
    theta_rows = files.load_theta0(args.theta0) if args.theta0 else None
    d_cli = args.d
    if need_d and (Sigma_rows is not None or theta_rows is not None) and not given(args, "--d"):
        d_cli = None
    d = resolve_dimension(d_cli, Sigma_rows, theta_rows)
    if d is None:
        return None, None, None
    Sigma = exact_matrix(Sigma_rows if Sigma_rows is not None else identity(d))
    theta0 = exact_matrix([[x] for x in (theta_rows if theta_rows is not None else unit_vector(d))])
    return d, Sigma, theta0
