"""Parsing and validation of the command line's input (``icl-finetune``).

Everything here turns a user's string or JSON file into a clean Python value, or
raises :class:`UsageError` with a one-line message that names the option and what it
expects, e.g. ``--n: expected A:B with integers 0 <= A <= B, got '5:2'``. The command
line prints it as ``icl-finetune curve: error: <message>`` and exits with status 2.

Numbers are parsed exactly: option values with :class:`fractions.Fraction` (so
``--sigma2 0.1`` is exactly 1/10), JSON numbers as ``int`` or, for literals with a
fraction or exponent, ``Fraction`` of the literal's text. Nothing reaches ``eval`` or
``sympify``.

This module imports only the standard library at import time (the command line must
start fast); the array checks of :mod:`numeric.validation` are imported when a file is
loaded.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

__all__ = [
    "UsageError", "STRATEGIES", "STRATEGY_LETTERS", "TASKS",
    "parse_strategy", "parse_task", "choice", "parse_count", "parse_dimension",
    "parse_range", "parse_sigma2", "parse_scale", "parse_samples", "parse_seed",
    "argtype", "load_json", "load_sigma", "load_theta0", "load_params", "ParamsFile",
    "resolve_dimension", "check_output_path", "identity", "unit_vector",
]

STRATEGIES = ("pretrain", "full", "value", "value-fewshot")
STRATEGY_LETTERS = dict(zip("abcd", STRATEGIES))
TASKS = ("target", "opposite")

_INT = re.compile(r"\s*[+-]?\d+\s*\Z")
_RANGE = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*\Z")


class UsageError(ValueError):
    """Bad input on the command line; ``str(err)`` is the one-line message."""


def _type(fn: Callable[[str], Any], metavar: str | None = None) -> Callable[[str], Any]:
    """Wrap a parser so that argparse reports its :class:`UsageError` message verbatim."""

    def wrapped(text: str) -> Any:
        try:
            return fn(text)
        except UsageError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    wrapped.__name__ = getattr(fn, "__name__", "value")
    return wrapped


# ----------------------------------------------------------------------------- scalars

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


def argtype(fn: Callable[..., Any], option: str, **kw: Any) -> Callable[[str], Any]:
    """``fn`` as an argparse ``type=``, its messages naming ``option``."""
    return _type(lambda text: fn(text, option, **kw))


# ----------------------------------------------------------------------------- files

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def load_json(path: str | Path, option: str) -> Any:
    """Read a JSON file, numbers exact (``int`` or ``Fraction``); NaN/Infinity rejected."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{option}: cannot read {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{option}: cannot read {str(path)!r}: it is a directory") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise UsageError(f"{option}: cannot read {str(path)!r}: {reason}") from None
    try:
        return json.loads(text, parse_float=Fraction, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise UsageError(
            f"{option}: {str(path)!r} is not valid JSON: {err.msg} (line {err.lineno} column {err.colno})"
        ) from None
    except ValueError as err:  # from _reject_constant
        raise UsageError(f"{option}: {str(path)!r}: {err}") from None


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def _describe(x: Any) -> str:
    if isinstance(x, list):
        if x and all(isinstance(row, list) for row in x):
            widths = sorted({len(row) for row in x})
            cols = str(widths[0]) if len(widths) == 1 else "ragged"
            return f"a {len(x)}x{cols} array"
        return f"a list of length {len(x)}"
    if isinstance(x, bool):
        return f"the boolean {json.dumps(x)}"
    if isinstance(x, str):
        return f"the string {x!r}"
    if isinstance(x, dict):
        return "an object"
    if x is None:
        return "null"
    return f"the number {x}"


def _vector(value: Any, where: str, size: int | None) -> list[Fraction | int]:
    expected = f"a vector of {size} numbers" if size is not None else "a non-empty vector of numbers"
    if not isinstance(value, list) or not value or not all(_is_number(v) for v in value) \
            or (size is not None and len(value) != size):
        raise UsageError(f"{where}: expected {expected}, got {_describe(value)}")
    return list(value)


def _matrix(value: Any, where: str, rows: int | None, cols: int | None, what: str = "matrix") -> list[list]:
    shape = f"{rows}x{cols}" if rows is not None and cols is not None else "square"
    expected = f"a {shape} {what} (a JSON array of rows of numbers)"
    ok = (isinstance(value, list) and value and all(isinstance(r, list) for r in value)
          and all(_is_number(x) for r in value for x in r))
    if ok:
        n_rows, widths = len(value), {len(r) for r in value}
        ok = len(widths) == 1
        if ok:
            n_cols = widths.pop()
            ok = (rows is None or n_rows == rows) and (cols is None or n_cols == cols)
            if rows is None and cols is None:
                ok = ok and n_rows == n_cols
    if not ok:
        raise UsageError(f"{where}: expected {expected}, got {_describe(value)}")
    return [list(r) for r in value]


def _validation() -> Any:
    """:mod:`numeric.validation`, imported only when a file is checked."""
    from numeric import validation
    return validation


def _to_floats(x: Any) -> Any:
    import numpy as np
    return np.array(x, dtype=float)


def _check_spd(rows: list[list], where: str) -> None:
    """Exact symmetry, then positive definiteness through numeric.validation."""
    d = len(rows)
    for i in range(d):
        for j in range(i + 1, d):
            if rows[i][j] != rows[j][i]:
                raise UsageError(
                    f"{where}: expected a symmetric positive definite {d}x{d} matrix, "
                    f"got entries [{i}][{j}] = {rows[i][j]} and [{j}][{i}] = {rows[j][i]}")
    try:
        _validation().check_covariance(_to_floats(rows), name="Sigma", d=d)
    except ValueError as err:
        raise UsageError(f"{where}: {_strip_name(str(err), 'Sigma')}") from None


def _library(where: str, check: Callable[..., Any], *args: Any, **kw: Any) -> None:
    """Run a :mod:`numeric.validation` check; its ValueError becomes a UsageError."""
    try:
        check(*args, **kw)
    except ValueError as err:
        raise UsageError(f"{where}: {err}") from None


def _strip_name(message: str, name: str) -> str:
    """``"Sigma: expected ..."`` -> ``"expected ..."`` (the caller names the option)."""
    prefix = f"{name}:"
    return message[len(prefix):].strip() if message.startswith(prefix) else message


def load_sigma(path: str | Path, d: int | None = None, option: str = "--Sigma") -> list[list]:
    """Sigma from a JSON file: a d x d symmetric positive definite matrix, entries exact."""
    rows = _matrix(load_json(path, option), option, d, d)
    _check_spd(rows, option)
    return rows


def load_theta0(path: str | Path, d: int | None = None, option: str = "--theta0") -> list:
    """theta0 from a JSON file: a vector of d finite numbers, entries exact."""
    return _vector(load_json(path, option), option, d)


@dataclass(frozen=True)
class ParamsFile:
    """The contents of ``error --params FILE``, exact: lists of ``int``/``Fraction``."""

    V: list[list]
    Q: list[list]
    theta: list
    Sigma: list[list]
    sigma2: Fraction | int
    n: int
    d: int


PARAMS_KEYS = ("V", "Q", "theta", "Sigma", "sigma2", "n")


def load_params(path: str | Path, option: str = "--params") -> ParamsFile:
    """``{"V", "Q", "theta", "Sigma", "sigma2", "n"}`` from a JSON file, checked.

    theta has d entries; Sigma is d x d symmetric positive definite; V and Q are
    (d+2) x (d+2); sigma2 >= 0; n an integer >= 0.
    """
    data = load_json(path, option)
    if not isinstance(data, dict):
        raise UsageError(f"{option}: expected a JSON object with keys {', '.join(PARAMS_KEYS)}, "
                         f"got {_describe(data)}")
    missing = [k for k in PARAMS_KEYS if k not in data]
    if missing:
        raise UsageError(f"{option}: missing key{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} (expected keys {', '.join(PARAMS_KEYS)})")
    unknown = sorted(set(data) - set(PARAMS_KEYS))
    if unknown:
        raise UsageError(f"{option}: unknown key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)} (expected keys {', '.join(PARAMS_KEYS)})")
    theta = _vector(data["theta"], f"{option}: theta", None)
    d = len(theta)
    Sigma = _matrix(data["Sigma"], f"{option}: Sigma", d, d)
    _check_spd(Sigma, f"{option}: Sigma")
    V = _matrix(data["V"], f"{option}: V", d + 2, d + 2)
    Q = _matrix(data["Q"], f"{option}: Q", d + 2, d + 2)
    sigma2 = data["sigma2"]
    if not _is_number(sigma2) or sigma2 < 0:
        raise UsageError(f"{option}: sigma2: expected a finite number >= 0, got {_describe(sigma2)}")
    n = data["n"]
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise UsageError(f"{option}: n: expected an integer >= 0, got {_describe(n)}")
    # the library's own rules too, so the command line and the toolkit agree
    checks = _validation()
    _library(option, checks.check_params, _to_floats(V), _to_floats(Q), d=d)
    _library(option, checks.check_vector, _to_floats(theta), "theta", d=d)
    _library(option, checks.check_sigma2, float(sigma2), "sigma2")
    _library(option, checks.check_count, n, "n")
    return ParamsFile(V=V, Q=Q, theta=theta, Sigma=Sigma, sigma2=sigma2, n=n, d=d)


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


def check_output_path(path: str | Path, option: str = "--out") -> Path:
    """A file path whose folder exists and that is not itself a folder."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option}: expected a file path, got the directory {str(path)!r}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option}: the directory {str(parent)!r} does not exist")
    return path
