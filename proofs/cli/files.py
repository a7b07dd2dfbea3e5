"""Input and output files of the command line: JSON inputs read exactly and checked, output paths.

``load_sigma`` (``--Sigma``), ``load_theta0`` (``--theta0``) and ``load_params``
(``error --params``) turn a JSON file into exact Python values (``int`` or
:class:`fractions.Fraction`: ``0.1`` is 1/10), or raise :class:`UsageError` with a
one-line message naming the option and what it expects. Nothing reaches ``eval`` or
``sympify``. ``check_output_path`` checks ``--out`` before any work.

Standard library only at import time; :mod:`numeric.validation` is imported when a
file is checked.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from proofs.cli.options import UsageError

__all__ = [
    "load_json", "load_sigma", "load_theta0", "load_params", "ParamsFile", "PARAMS_KEYS",
    "check_output_path",
]

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


def check_output_path(path: str | Path, option: str = "--out") -> Path:
    """A file path whose folder exists and that is not itself a folder."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option}: expected a file path, got the directory {str(path)!r}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option}: the directory {str(parent)!r} does not exist")
    return path
