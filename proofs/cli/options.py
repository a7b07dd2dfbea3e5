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

from proofs.quantities import limits as L
from symbolic.numbers import ARITHMETICS, REAL_RANGE, looks_like_number, read_real
from symbolic.strategy_names import STRATEGIES, STRATEGY_LETTERS, canonical_strategy

__all__ = [
    "PROG", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_UNAVAILABLE",
    "UsageError", "Unavailable", "Parser", "ParseError", "add_subcommand",
    "format_option", "setting_options", "seed_option", "arithmetic_options", "parse_precision", "ARITHMETICS",
    "STRATEGIES", "STRATEGY_LETTERS", "TASKS",
    "parse_strategy", "parse_task", "parse_task_angle", "choice", "parse_count", "parse_dimension", "parse_range",
    "parse_shots", "parse_n_ft", "parse_sigma2", "parse_scale", "parse_samples",
    "parse_seed", "parse_file_name", "argtype",
    "resolve_dimension", "identity", "unit_vector", "given", "exact", "exact_matrix",
]

PROG = "icl-finetune"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3

TASKS = ("target", "opposite")

_INT = re.compile(r"\s*[+-]?[0-9]+\s*\Z")  # ASCII digits only ("١٢" is refused)
_RANGE = re.compile(r"\s*([0-9]+)\s*:\s*([0-9]+)\s*\Z")


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

    def _print_message(self, message: str, file: Any = None) -> None:
        """``--help`` and ``--version`` text: argparse drops an OSError here (help to /dev/full
        would exit 0 having written nothing); this raises it, and ``main`` says so."""
        if not message:
            return
        import sys
        file = file or sys.stderr
        if file is None:
            return
        try:
            file.write(message)
            file.flush()
        except BrokenPipeError:
            raise
        except OSError as err:
            from proofs.cli.output import StdoutError
            raise StdoutError(err.errno, err.strerror or str(err), "standard output") from None


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


#: the column where options' help starts (at most; argparse's own rule on a narrow terminal)
HELP_POSITION = 30


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's RawDescriptionHelpFormatter with the terminal's width read when help or usage
    is formatted, not when the formatter is made: argparse makes one for every option it adds
    (to check its metavar), and reading the width imports shutil (with its compression
    modules), about 2 ms of a cold command that prints no help. Until then the width is a
    placeholder that nothing reads (the formatter only queues its sections)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=HELP_POSITION, width=80)

    def format_help(self) -> str:
        import shutil
        # what HelpFormatter.__init__ does with width=None
        self._width = shutil.get_terminal_size().columns - 2
        self._max_help_position = min(HELP_POSITION, max(self._width - 20, self._indent_increment * 2))
        return super().format_help()


def formatter(prog: str) -> argparse.HelpFormatter:
    """The help layout of every parser (descriptions keep their line breaks)."""
    return _Formatter(prog)


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


def seed_option(sub: argparse.ArgumentParser, help: str = "random seed (default: 0)",
                maximum: int = L.MAX_SEED, why: str = "") -> None:
    """``--seed S``, an integer 0 <= S <= ``maximum`` (default 0; ``why`` says why a smaller
    maximum than NumPy's 2^64 - 1, e.g. JAX's 32-bit seeds)."""
    def parse(text: str, option: str = "--seed") -> int:
        return parse_count(text, option, minimum=0, maximum=maximum, why=why)  # type: ignore[return-value]
    sub.add_argument("--seed", metavar="S", type=argtype(parse, "--seed"), default=0, help=help)


def setting_options(sub: argparse.ArgumentParser, *, curve: bool) -> None:
    """The options that fix the setting: ``--strategy``, (``--task --n`` with ``curve``),
    ``--d --sigma2 --m --n-ft --scale --Sigma --theta0``. Read them back with :func:`setting`."""
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("--strategy", metavar="S", type=argtype(parse_strategy, "--strategy"),
                       help="pretrain, full, value or value-fewshot (or a, b, c, d)")
    which.add_argument("--spec", metavar="FILE", type=argtype(parse_file_name, "--spec"),
                       help="a strategy given as a spec, in place of --strategy: JSON file "
                            "{\"train\": [...], \"loss\": [...], \"then\": [...]} (docs/cli.md)")
    if curve:
        task = sub.add_mutually_exclusive_group(required=True)
        task.add_argument("--task", metavar="{target,opposite}",
                          type=argtype(parse_task, "--task"),
                          help="evaluate on theta0 (target) or -theta0 (opposite)")
        task.add_argument("--task-angle", metavar="PHI", dest="task_angle",
                          type=argtype(parse_task_angle, "--task-angle"),
                          help="evaluate on theta0 rotated by PHI radians (e.g. 0.5, pi/2, 3pi/4) at the "
                               "same Sigma-norm, in the plane of theta0 and the first coordinate vector "
                               "not parallel to it; 0 and pi give target and opposite")
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
    sub.add_argument("--m", metavar="M", type=argtype(parse_shots, "--m"),
                     default=None, help="pretraining context length, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--n-ft", metavar="N", type=argtype(parse_n_ft, "--n-ft"),
                     default=None, dest="n_ft",
                     help="shots in value-fewshot's auxiliary loss, integer >= 1 or inf (default: inf)")
    sub.add_argument("--scale", metavar="C", type=argtype(parse_scale, "--scale"), default=None,
                     help="strategy full's free scale: V's last row carries C theta0 on the x block "
                          "and Q_00 = 1/C (default: 1)")
    sub.add_argument("--Sigma", metavar="FILE", default=None, type=argtype(parse_file_name, "--Sigma"),
                     help="JSON or .npy file with the d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None, type=argtype(parse_file_name, "--theta0"),
                     help="JSON or .npy file with the target task theta0, d numbers (default: e_1)")
    arithmetic_options(sub)


def arithmetic_options(sub: argparse.ArgumentParser) -> None:
    """``--arithmetic exact|float|mp`` and ``--precision DIGITS`` (mp's significant digits)."""
    sub.add_argument("--arithmetic", metavar="{exact,float,mp}", default=None,
                     type=argtype(lambda t, o: choice(o, ARITHMETICS)(t), "--arithmetic"),
                     help=f"how the closed form is evaluated: exact rationals (default for d <= {L.MAX_EXACT_D}, "
                          f"only there), float64 (default above) or mpmath (d <= {L.MAX_MP_D})")
    sub.add_argument("--precision", metavar="DIGITS", default=None, type=argtype(parse_precision, "--precision"),
                     help=f"significant digits of --arithmetic mp, 1 to {L.MAX_PRECISION} "
                          f"(default {L.DEFAULT_PRECISION}; implies mp)")


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
    """``pretrain``, ``full``, ``value``, ``value-fewshot``, or the letters ``a``-``d``
    (read by :func:`symbolic.strategy_names.canonical_strategy`)."""
    try:
        return canonical_strategy(text)
    except ValueError:
        raise UsageError(f"{option}: expected one of {', '.join(STRATEGIES)} (or a-d), got {_show(text)}") from None


def parse_task(text: str, option: str = "--task") -> str:
    """``target`` (theta = theta0) or ``opposite`` (theta = -theta0)."""
    key = text.strip().lower()
    if key in TASKS:
        return key
    raise UsageError(f"{option}: expected one of {', '.join(TASKS)}, got {_show(text)}")


_PI_MULTIPLE = re.compile(r"\s*([+-]?)\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)?\s*\*?\s*pi\s*(?:/\s*([0-9]+))?\s*\Z",
                          re.IGNORECASE)
#: the largest |angle| ``--task-angle`` accepts, in radians (= proofs.quantities.angles.MAX_ANGLE)
MAX_ANGLE = 10**6


def parse_task_angle(text: str, option: str = "--task-angle") -> tuple[Fraction, bool]:
    """An angle in radians: a number (``0.5``, ``-1e-3``, ``2/3``) or a multiple of pi
    (``pi``, ``-pi/2``, ``3pi/4``, ``0.25*pi``), read exactly, |angle| <= 10^6. Returns
    ``(c, True)`` for c*pi and ``(x, False)`` for x radians."""
    expected = f"{option}: expected an angle in radians, a number or a multiple of pi such as pi/2 or 3pi/4"
    match = _PI_MULTIPLE.match(text) if len(text) <= 100 else None
    if match:
        sign, coef, den = match.groups()
        c = Fraction(coef) if coef else Fraction(1)
        if den is not None:
            if int(den) == 0:
                raise UsageError(f"{expected}, got {_show(text)} (a zero denominator)")
            c /= int(den)
        value, pi = (-c if sign == "-" else c), True
    else:
        x = read_real(text)
        if x is None:
            raise UsageError(f"{expected}, got {_show(text)}")
        value, pi = x, False
    if abs(value) * (Fraction(355, 113) if pi else 1) > MAX_ANGLE:
        raise UsageError(f"{option}: expected an angle of magnitude at most {_bound(MAX_ANGLE)} radians, "
                         f"got {_show(text)}")
    return value, pi


def choice(option: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    """A parser for one of a fixed set of words (used for ``--format``)."""

    def parse(text: str) -> str:
        key = text.strip().lower()
        if key in choices:
            return key
        raise UsageError(f"{option}: expected one of {', '.join(choices)}, got {_show(text)}")

    return parse


def _bound(n: int) -> str:
    """A bound as people write it: 20, 10000, 10^8."""
    if n >= 10**6 and str(n).rstrip("0") == "1":
        return f"10^{len(str(n)) - 1}"
    if n == L.MAX_SEED:
        return "2^64 - 1"
    return str(n)


def parse_count(text: str, option: str, *, allow_inf: bool = False, minimum: int = 0,
                maximum: int = L.MAX_COUNT, why: str = "") -> int | None:
    """An integer ``minimum <= k <= maximum`` written in decimal; with ``allow_inf``, ``inf``
    gives ``None`` (infinity). ``why`` says why the maximum (shown when it is exceeded)."""
    if allow_inf and text.strip().lower() in ("inf", "infinity", "+inf"):
        return None
    expected = f"an integer >= {minimum}" + (" or inf" if allow_inf else "")
    if not _INT.match(text):
        raise UsageError(f"{option}: expected {expected}, got {_show(text)}")
    digits = text.strip().lstrip("+-").lstrip("0")
    value = int(text) if len(digits) <= len(str(maximum)) else None  # no 10^4300-digit ints
    if value is not None and value < minimum:
        raise UsageError(f"{option}: expected {expected}, got {_show(text)}")
    if value is None or value > maximum:
        if text.strip().startswith("-"):
            raise UsageError(f"{option}: expected {expected}, got {_show(text)}")
        reason = f" ({why})" if why else ""
        raise UsageError(f"{option}: expected an integer at most {_bound(maximum)}{reason}, got {_show(text)}")
    return value


def parse_dimension(text: str, option: str = "--d") -> int:
    """The dimension d of x: an integer 1 <= d <= :data:`proofs.quantities.limits.MAX_D`."""
    return parse_count(text, option, minimum=1, maximum=L.MAX_D,  # type: ignore[return-value]
                       why="dense d x d float64 arrays")


def parse_precision(text: str, option: str = "--precision") -> int:
    """mpmath's significant decimal digits: an integer 1 <= DIGITS <= :data:`proofs.quantities.limits.MAX_PRECISION`."""
    return parse_count(text, option, minimum=1, maximum=L.MAX_PRECISION,  # type: ignore[return-value]
                       why="mpmath's cost grows with the digits")


#: why the pretraining context length m is at least 1 (the API and the symbolic layer say the same)
M_ZERO = ("at m = 0 the prompt is the query alone, whose label is 0, so the pretraining loss does "
          "not depend on Q and the pretrained parameters are not determined")


def parse_shots(text: str, option: str) -> int | None:
    """``--m``: an integer 1 <= m <= 10^12, or ``inf`` (None); m = 0 is refused (:data:`M_ZERO`)."""
    if _INT.match(text) and not text.strip().lstrip("+-").lstrip("0"):   # 0 written any way: say why
        raise UsageError(f"{option}: expected an integer >= 1 or inf ({M_ZERO}), got {_show(text)}")
    return parse_count(text, option, allow_inf=True, minimum=1)


def parse_n_ft(text: str, option: str = "--n-ft") -> int | None:
    """``--n-ft``: value-fewshot's auxiliary shots, an integer 1 <= n_ft <= 10^12 or ``inf``
    (with 0 shots the auxiliary loss is the zero-shot loss again, and (d) is not defined)."""
    return parse_count(text, option, allow_inf=True, minimum=1)


def parse_range(text: str, option: str = "--n") -> range:
    """``A:B`` with integers 0 <= A <= B <= 10^12 and at most 10,000 values: the range A..B."""
    match = _RANGE.match(text)
    expected = f"{option}: expected A:B with integers 0 <= A <= B"
    if not match:
        raise UsageError(f"{expected}, got {_show(text)}")
    ends = []
    for part in match.groups():
        if len(part.lstrip("0")) > len(str(L.MAX_COUNT)) or int(part) > L.MAX_COUNT:
            raise UsageError(f"{expected} <= {_bound(L.MAX_COUNT)}, got {_show(text)}")
        ends.append(int(part))
    a, b = ends
    if a > b:
        raise UsageError(f"{expected}, got {_show(text)}")
    if b - a + 1 > L.MAX_POINTS:
        raise UsageError(f"{option}: expected at most {L.MAX_POINTS} values of n (B - A + 1), "
                         f"got {b - a + 1} from {_show(text)}")
    return range(a, b + 1)




def _real(text: str, option: str, what: str, detail: str = REAL_RANGE) -> Fraction:
    value = read_real(text)
    if value is None:
        looks = looks_like_number(text)
        shown = f" ({detail})" if looks else ""
        raise UsageError(f"{option}: expected {what}{shown}, got {_show(text)}")
    return value


def parse_sigma2(text: str, option: str = "--sigma2") -> Fraction:
    """The noise variance sigma^2: a number >= 0, exact (``0.1`` is 1/10), within the real range."""
    value = _real(text, option, "a finite number >= 0")
    if value < 0:
        raise UsageError(f"{option}: expected a finite number >= 0, got {_show(text)}")
    return value


def parse_scale(text: str, option: str = "--scale") -> Fraction:
    """The scale C of strategy full's minimisers: a non-zero number, exact, within the real range."""
    value = _real(text, option, "a finite non-zero number", "a magnitude between 1e-300 and 1e300")
    if value == 0:
        raise UsageError(f"{option}: expected a finite non-zero number, got {_show(text)}")
    return value


def parse_samples(text: str, option: str = "--samples") -> int:
    """Monte Carlo sample size: an integer 2 <= N <= 10^8 (a standard error needs two)."""
    return parse_count(text, option, minimum=2, maximum=L.MAX_SAMPLES,  # type: ignore[return-value]
                       why="about 15 minutes")


def parse_lr(text: str, option: str = "--lr") -> Any:
    """``--lr``: the step eta, a number > 0 (read exactly; at most 1e300)."""
    value = _real(text, option, "a number > 0", "at most 1e300, at least 1e-300")
    if value <= 0:
        raise UsageError(f"{option}: expected a number > 0, got {_show(text)}")
    return value


def parse_seed(text: str, option: str = "--seed") -> int:
    """A seed for ``numpy.random.default_rng``: an integer 0 <= S <= 2^64 - 1."""
    return parse_count(text, option, minimum=0, maximum=L.MAX_SEED)  # type: ignore[return-value]


def parse_file_name(text: str, option: str) -> str:
    """A file name: a non-blank string without NUL characters, line breaks or other control
    characters (the name is printed in the output, where a line break would forge rows);
    whether it can be read or written is checked later, before any work."""
    if not text.strip():
        raise UsageError(f"{option}: expected a file name, got {_show(text)}")
    if "\0" in text:
        raise UsageError(f"{option}: expected a file name, got {_show(text)} (it holds a NUL character)")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise UsageError(f"{option}: expected a file name without line breaks or control characters, "
                         f"got {_show(text)}")
    return text


def _show(text: str) -> str:
    """The user's text, quoted, shortened to 60 characters (a message stays one short line)."""
    return repr(text) if len(text) <= 60 else repr(text[:40]) + f"... ({len(text)} characters)"


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
