"""Input and output files of the command line: JSON inputs read exactly and checked, output paths.

``load_sigma`` (``--Sigma``), ``load_theta0`` (``--theta0``) and ``load_params``
(``error --params``) turn a JSON file into exact Python values (``int`` or
:class:`fractions.Fraction`: ``0.1`` is 1/10), or raise :class:`UsageError` with a
one-line message naming the option and what it expects. Nothing reaches ``eval`` or
``sympify``. ``check_output_path`` checks ``--out`` before any work.

``--Sigma`` and ``--theta0`` also take NumPy's ``.npy`` files (:func:`load_npy`: header read
first, dtype, shape and size checked before the data, ``allow_pickle=False``, finiteness
after): at d <= :data:`proofs.quantities.limits.MAX_EXACT_D` their float64 entries become the exact
rationals they are, above it they stay a float64 array. The size limit of a file grows with
the d it may describe (:func:`proofs.quantities.limits.max_file_bytes`).

Standard library only at import time; :mod:`numeric.validation` is imported when a
file is checked.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from proofs.quantities import limits as L
from proofs.cli.options import UsageError
from symbolic.numbers import REAL_RANGE, read_real

__all__ = [
    "load_json", "load_sigma", "load_theta0", "load_params", "ParamsFile", "PARAMS_KEYS",
    "DepthParamsFile", "DEPTH_KEYS", "MAX_FILE_LAYERS",
    "check_output_path", "load_spec", "load_npy",
]

# ----------------------------------------------------------------------------- reading JSON

class Number(Fraction):
    """A number read from a JSON file: its exact value, and the literal as written (``text``)."""

    __slots__ = ("text",)

    def __new__(cls, value: Fraction, text: str) -> "Number":
        self = super().__new__(cls, value.numerator, value.denominator)
        self.text = text
        return self


class _BadNumber(ValueError):
    """A JSON number out of range, or the constant NaN/Infinity."""


def _json_number(text: str) -> Number:
    value = read_real(text)
    if value is None:
        shown = text if len(text) <= 30 else text[:20] + "..."
        raise _BadNumber(f"the number {shown} is out of range (expected {REAL_RANGE})")
    return Number(value, text)


def _json_int(text: str) -> int | Number:
    value = _json_number(text)
    return int(value) if len(text) <= 18 else value


def _reject_constant(name: str) -> Any:
    raise _BadNumber(f"{name} is not a finite number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members as a dict; a key written twice is refused (JSON leaves it to
    the reader, and keeping the last silently drops what the writer meant)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            shown = key if len(key) <= 30 else key[:30] + "..."
            raise _BadNumber(f"the key {shown!r} is given twice in one object")
        out[key] = value
    return out


def read_text(path: str | Path, option: str, limit: int | None = None) -> str:
    """The text of a regular file of at most ``limit`` bytes (default
    :data:`proofs.quantities.limits.MAX_FILE_BYTES`), UTF-8.

    Refused with a one-line :class:`UsageError` naming ``option``, the file and the reason:
    missing, a directory, not a regular file (a FIFO, a device such as ``/dev/zero``), too
    large, not UTF-8, or any OS error.
    """
    shown = _name(path)
    info = _stat_regular(path, option)
    limit = L.MAX_FILE_BYTES if limit is None else limit
    if info.st_size > limit:
        raise UsageError(f"{option}: cannot read {shown}: expected at most {_mib(limit)}, got {info.st_size} bytes")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise UsageError(f"{option}: cannot read {shown}: {_reason(err)}") from None
    if len(data) > limit:  # it grew since stat
        raise UsageError(f"{option}: cannot read {shown}: expected at most {_mib(limit)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"{option}: cannot read {shown}: not UTF-8 text (byte {err.start})") from None


def _mib(n: int) -> str:
    return f"{n // 2**20} MiB" if n >= 2**20 else f"{n} bytes"


def _stat_regular(path: str | Path, option: str) -> os.stat_result:
    """``os.stat`` of a regular file, or a one-line UsageError (missing, a directory, a FIFO...)."""
    shown = _name(path)
    try:
        info = os.stat(path)
    except OSError as err:
        raise UsageError(f"{option}: cannot read {shown}: {_reason(err)}") from None
    except ValueError as err:  # an embedded NUL character
        raise UsageError(f"{option}: cannot read {shown}: {err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{option}: cannot read {shown}: it is a directory")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else \
            "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "a special file"
        raise UsageError(f"{option}: cannot read {shown}: expected a regular file, got {kind}")
    return info


def _reason(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file"
    return err.strerror or str(err)


def load_json(path: str | Path, option: str, limit: int | None = None) -> Any:
    """Read a JSON file (:func:`read_text`, at most ``limit`` bytes), numbers exact: ``int``, or
    :class:`Number` (a Fraction of the literal: ``0.1`` is 1/10) within the real range;
    NaN/Infinity refused; a key given twice in one object refused; nesting deeper than the
    parser's stack refused."""
    import json  # here: a command given .npy files or none never loads the JSON parser
    text = read_text(path, option, limit)
    shown = _name(path)
    try:
        return json.loads(text, parse_float=_json_number, parse_int=_json_int,
                          parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise UsageError(f"{option}: {shown} is not valid JSON: {err.msg} "
                         f"(line {err.lineno} column {err.colno})") from None
    except _BadNumber as err:
        raise UsageError(f"{option}: {shown}: {err}") from None
    except RecursionError:
        raise UsageError(f"{option}: {shown}: expected arrays of numbers, got arrays nested too deeply") from None


# ----------------------------------------------------------------------------- checking values

def _number(x: Any) -> Fraction | int | None:
    """``x`` as an exact number: a JSON number, or a string holding one (``"1/7"``, as the
    toolkit's own JSON writes exact values); None if it is neither."""
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, Fraction)):
        return x
    if isinstance(x, str):
        return read_real(x)
    return None


def _describe(x: Any) -> str:
    if isinstance(x, list):
        if x and all(isinstance(row, list) for row in x):
            widths = sorted({len(row) for row in x})
            cols = str(widths[0]) if len(widths) == 1 else "ragged"
            return f"a {len(x)}x{cols} array"
        return f"a list of length {len(x)}"
    if isinstance(x, bool):
        return f"the boolean {'true' if x else 'false'}"
    if isinstance(x, str):
        return f"the string {x!r}" if len(x) <= 40 else f"the string {x[:30]!r}..."
    if isinstance(x, dict):
        return "an object"
    if x is None:
        return "null"
    if isinstance(x, Number):
        return f"the number {x.text}"
    return f"the number {x}"


def _bad_entry(items: Any, index: str) -> str:
    """``', whose entry [1][0] is the string 'sigma**2' (expected a number ...)'``."""
    if isinstance(items, str) and _LOOKS_NUMERIC.match(items):
        return f", whose entry {index} is {_describe(items)}, out of range (expected {REAL_RANGE})"
    return f", whose entry {index} is {_describe(items)} (expected a number, or a string holding one such as \"1/7\")"


_LOOKS_NUMERIC = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+|\s*/\s*[0-9]+)?\s*\Z")


def _name(path: Any) -> str:
    """A file name for a message: quoted, shortened to 60 characters."""
    text = str(path)
    return repr(text) if len(text) <= 60 else repr(text[:40]) + f"... ({len(text)} characters)"


def _vector(value: Any, where: str, size: int | None) -> list[Fraction | int]:
    expected = f"a vector of {size} numbers" if size is not None else "a non-empty vector of numbers"
    if not isinstance(value, list) or not value or (size is not None and len(value) != size):
        raise UsageError(f"{where}: expected {expected}, got {_describe(value)}")
    out = []
    for i, x in enumerate(value):
        v = _number(x)
        if v is None:
            raise UsageError(f"{where}: expected {expected}, got {_describe(value)}{_bad_entry(x, f'[{i}]')}")
        out.append(v)
    return out


def _matrix(value: Any, where: str, rows: int | None, cols: int | None, what: str = "matrix") -> list[list]:
    shape = f"{rows}x{cols}" if rows is not None and cols is not None else "square"
    expected = f"a {shape} {what} (a JSON array of rows of numbers)"
    ok = isinstance(value, list) and value and all(isinstance(r, list) for r in value)
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
    out = []
    for i, row in enumerate(value):
        out.append([])
        for j, x in enumerate(row):
            v = _number(x)
            if v is None:
                raise UsageError(f"{where}: expected {expected}, got {_describe(value)}{_bad_entry(x, f'[{i}][{j}]')}")
            out[-1].append(v)
    return out


def _check_size(value: Any, where: str, extra: int = 0) -> None:
    """At most MAX_D (+ ``extra``) rows, refused before any arithmetic."""
    if isinstance(value, list) and len(value) > L.MAX_D + extra:
        raise UsageError(f"{where}: expected d <= {L.MAX_D} (dense d x d float64 arrays), "
                         f"got {len(value)} entries")


#: a JSON ``--Sigma`` may describe d up to this (32 bytes a number): beyond it use ``.npy``
JSON_MAX_D = 1024


#: the longest .npy header read (NumPy writes about 128 bytes; a header that claims gigabytes is refused
#: before it is read)
NPY_MAX_HEADER = 65536


def load_npy(path: str | Path, option: str, ndim: int, d: int | None = None) -> Any:
    """A float64 array from NumPy's ``.npy`` file, checked before use: a regular file within
    :func:`proofs.quantities.limits.max_file_bytes`; the header read first (a real dtype: float, int or
    bool refused, no objects; ``ndim`` dimensions, square for a matrix; at most MAX_D; the file
    as long as the header says) and only then the data, with ``allow_pickle=False``; every
    entry finite and within the real range."""
    import numpy as np
    shown = _name(path)
    info = _stat_regular(path, option)
    limit = L.max_file_bytes(L.MAX_D, npy=True)
    if info.st_size > limit:
        raise UsageError(f"{option}: cannot read {shown}: expected at most {_mib(limit)}, got {info.st_size} bytes")
    what = "a d x d matrix" if ndim == 2 else "a vector of d numbers"
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            width = 2 if version == (1, 0) else 4
            hlen = int.from_bytes(handle.read(width), "little")
            if hlen > NPY_MAX_HEADER or handle.tell() + hlen > info.st_size:
                raise ValueError(f"its header claims {hlen} bytes (at most {NPY_MAX_HEADER}, within the file)")
            handle.seek(-width, 1)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unknown .npy version {version}")
            offset = handle.tell()
    except OSError as err:
        raise UsageError(f"{option}: cannot read {shown}: {_reason(err)}") from None
    except (ValueError, SyntaxError, TypeError) as err:
        raise UsageError(f"{option}: {shown} is not a valid .npy file ({' '.join(str(err).split())[:80]})") from None
    if dtype.hasobject or dtype.kind not in "fiu" or dtype.itemsize > 16:
        raise UsageError(f"{option}: {shown}: expected {what} of real numbers (float or integer dtype), "
                         f"got dtype {dtype.str}")
    shape = tuple(int(s) for s in shape)
    if ndim == 1 and len(shape) == 2 and 1 in shape:
        shape_ok = True
    else:
        shape_ok = len(shape) == ndim and (ndim == 1 or shape[0] == shape[1])
    size = max(shape) if shape else 0
    if not shape_ok or size == 0:
        raise UsageError(f"{option}: {shown}: expected {what}, got an array of shape {shape}")
    if size > L.MAX_D:
        raise UsageError(f"{option}: {shown}: expected d <= {L.MAX_D} (dense d x d float64 arrays), got d = {size}")
    if d is not None and size != d:
        raise UsageError(f"{option}: {shown}: expected d = {d}, got an array of shape {shape}")
    count = 1
    for s in shape:
        count *= s
    if info.st_size < offset + count * dtype.itemsize:
        raise UsageError(f"{option}: {shown}: the file is shorter than its header's shape {shape} needs")
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise UsageError(f"{option}: {shown} is not a valid .npy file ({' '.join(str(err).split())[:80]})") from None
    with np.errstate(over="ignore", invalid="ignore"):  # a longdouble beyond float64: inf, refused below
        a = np.asarray(a, dtype=np.float64).reshape(-1) if ndim == 1 else np.asarray(a, dtype=np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        idx = "".join(f"[{int(i)}]" for i in np.argwhere(bad)[0])
        raise UsageError(f"{option}: {shown}: expected finite numbers, got {a[tuple(np.argwhere(bad)[0])]} at {idx}")
    big = np.abs(a)
    if (big > float(L.MAX_REAL)).any() or ((big > 0) & (big < float(L.MIN_REAL))).any():
        raise UsageError(f"{option}: {shown}: an entry is out of range (expected {REAL_RANGE})")
    return a


def _is_npy(path: str | Path) -> bool:
    return str(path).lower().endswith(".npy")


def _exact_rows(a: Any) -> Any:
    """A float64 array's entries as the exact rationals they are (lists of Fraction)."""
    if a.ndim == 1:
        return [Fraction(float(x)) for x in a]
    return [[Fraction(float(x)) for x in row] for row in a]


def _validation() -> Any:
    """:mod:`numeric.validation`, imported only when a file is checked."""
    from numeric import validation
    return validation


def _to_floats(x: Any) -> Any:
    import numpy as np
    return np.array(x, dtype=float)


def _check_spd(rows: Any, where: str) -> None:
    """Symmetry and positive definiteness of exact rows (d <= MAX_EXACT_D), by the exact
    arithmetic's rule (:meth:`symbolic.arithmetic.Exact.spd`: an exactly positive definite matrix
    whose float64 rounding is singular is accepted). Larger matrices are checked by the setting,
    by the rule of the arithmetic they are evaluated in (float64, or mp at its precision)."""
    if len(rows) > L.MAX_EXACT_D:
        return
    from symbolic.arithmetic import EXACT
    try:
        EXACT.spd(rows, "Sigma")
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
    """Sigma from a JSON or ``.npy`` file: a d x d symmetric positive definite matrix, d <= MAX_D.
    Entries exact (lists of int/Fraction) from JSON and from a ``.npy`` at d <= MAX_EXACT_D; a
    float64 ``numpy.ndarray`` from a larger ``.npy``."""
    if _is_npy(path):
        a = load_npy(path, option, 2, d)
        rows: Any = _exact_rows(a) if a.shape[0] <= L.MAX_EXACT_D else a
        _check_spd(rows, option)
        return rows
    value = load_json(path, option, L.max_file_bytes(JSON_MAX_D))
    _check_size(value, option)
    rows = _matrix(value, option, d, d)
    _check_spd(rows, option)
    return rows


def load_theta0(path: str | Path, d: int | None = None, option: str = "--theta0") -> list:
    """theta0 from a JSON or ``.npy`` file: a vector of d finite numbers, d <= MAX_D; exact
    (int/Fraction) from JSON and from a small ``.npy``, a float64 array from a large one."""
    if _is_npy(path):
        a = load_npy(path, option, 1, d)
        return _exact_rows(a) if a.shape[0] <= L.MAX_EXACT_D else a  # type: ignore[return-value]
    value = load_json(path, option)
    _check_size(value, option)
    return _vector(value, option, d)


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
#: keys of ``params --format json`` that ``error --params`` accepts and ignores, so that a
#: params output with the setting's keys added is a valid params file
PARAMS_IGNORED = ("strategy", "V_float", "Q_float", "free", "convention", "symbols", "arithmetic", "precision",
                  "V_digits", "Q_digits", "condition", "digits_held", "free_directions")


@dataclass(frozen=True)
class DepthParamsFile:
    """``error --params FILE`` with a list of layers: ``layers`` = [(V_1, Q_1), ...], exact."""

    layers: list[tuple[list[list], list[list]]]
    theta: list
    Sigma: list[list]
    sigma2: Fraction | int
    n: int
    d: int


DEPTH_KEYS = ("layers", "theta", "Sigma", "sigma2", "n")
#: deepest layer list ``error --params`` accepts (symbolic.depth_model.MAX_DEPTH, the class closed form's limit)
MAX_FILE_LAYERS = 3


def _layer_shape(layer: Any) -> int | None:
    V = layer.get("V") if isinstance(layer, dict) else None
    return len(V) if isinstance(V, list) else None


def _load_depth(data: dict, option: str) -> DepthParamsFile:
    """The layer-list form: checked in full (keys, list, depth, each layer's keys and shapes, mixed
    sizes, the setting) before any work; one-line UsageError naming the entry."""
    missing = [k for k in DEPTH_KEYS if k not in data]
    if missing:
        raise UsageError(f"{option}: missing key{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} (expected keys {', '.join(DEPTH_KEYS)})")
    unknown = sorted(set(data) - set(DEPTH_KEYS))
    if unknown:
        shown = ", ".join(k if len(k) <= 30 else k[:30] + "..." for k in unknown[:5])
        raise UsageError(f"{option}: unknown key{'s' if len(unknown) > 1 else ''} {shown} "
                         f"(expected keys {', '.join(DEPTH_KEYS)}; V and Q go inside each layer)")
    layers = data["layers"]
    expected = 'a non-empty JSON array of layers {"V": [[...]], "Q": [[...]]}'
    if not isinstance(layers, list) or not layers:
        raise UsageError(f"{option}: layers: expected {expected}, got {_describe(layers)}")
    if len(layers) > MAX_FILE_LAYERS:
        raise UsageError(f"{option}: layers: expected at most {MAX_FILE_LAYERS} layers (deeper than supported), "
                         f"got {len(layers)}")
    for i, layer in enumerate(layers):
        # a layer may be params' own JSON output: its other keys (PARAMS_IGNORED) are ignored, as in a one-layer file
        if not isinstance(layer, dict) or not {"V", "Q"} <= set(layer) or set(layer) - {"V", "Q"} - set(PARAMS_IGNORED):
            got = _describe(layer) if not isinstance(layer, dict) else f"keys {', '.join(sorted(layer)) or '(none)'}"
            raise UsageError(f'{option}: layers[{i}]: expected an object with keys V and Q, got {got} (the other '
                             f'keys of params --format json are allowed, and ignored)')
    _check_size(data["theta"], f"{option}: theta")
    theta = _vector(data["theta"], f"{option}: theta", None)
    d = len(theta)
    first = _layer_shape(layers[0])
    out = []
    for i, layer in enumerate(layers):
        size = _layer_shape(layer)
        if i and size != first and first is not None:
            raise UsageError(f"{option}: layers[{i}].V: expected {first}x{first} like layers[0] (mixed sizes "
                             f"across layers), got {_describe(layer['V'])}")
        pair = []
        for nm in ("V", "Q"):
            _check_size(layer[nm], f"{option}: layers[{i}].{nm}", extra=2)
            pair.append(_matrix(layer[nm], f"{option}: layers[{i}].{nm}", d + 2, d + 2,
                                f"matrix ((d+2)x(d+2), d = {d} from theta)"))
        out.append((pair[0], pair[1]))
    Sigma = _matrix(data["Sigma"], f"{option}: Sigma", d, d)
    _check_spd(Sigma, f"{option}: Sigma")
    sigma2, n = _noise_and_shots(data, option)
    checks = _validation()
    for i, (V, Q) in enumerate(out):
        _library(f"{option}: layers[{i}]", checks.check_params, _to_floats(V), _to_floats(Q), d=d)
    return DepthParamsFile(layers=out, theta=theta, Sigma=Sigma, sigma2=sigma2, n=int(n), d=d)


def load_params(path: str | Path, option: str = "--params") -> ParamsFile | DepthParamsFile:
    """``{"V", "Q", "theta", "Sigma", "sigma2", "n"}`` from a JSON file, checked (a
    :class:`ParamsFile`); with a key ``layers`` instead of V and Q, ``{"layers": [{"V": ..., "Q": ...},
    ...], "theta", "Sigma", "sigma2", "n"}`` (a :class:`DepthParamsFile`, 1 to 3 layers).

    theta has d <= MAX_D entries; Sigma is d x d symmetric positive definite; V and Q are
    (d+2) x (d+2); sigma2 >= 0; n an integer 0 <= n <= 10^12. Entries are numbers or
    strings holding exact numbers (``"1/7"``, as ``params --format json`` writes them);
    the other keys of params' JSON (:data:`PARAMS_IGNORED`) are ignored.
    """
    data = load_json(path, option, 3 * L.max_file_bytes(JSON_MAX_D))
    if not isinstance(data, dict):
        raise UsageError(f"{option}: expected a JSON object with keys {', '.join(PARAMS_KEYS)}, "
                         f"got {_describe(data)}")
    if "layers" in data:
        return _load_depth(data, option)
    missing = [k for k in PARAMS_KEYS if k not in data]
    if missing:
        raise UsageError(f"{option}: missing key{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} (expected keys {', '.join(PARAMS_KEYS)})")
    unknown = sorted(set(data) - set(PARAMS_KEYS) - set(PARAMS_IGNORED))
    if unknown:
        shown = ", ".join(k if len(k) <= 30 else k[:30] + "..." for k in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise UsageError(f"{option}: unknown key{'s' if len(unknown) > 1 else ''} "
                         f"{shown}{more} (expected keys {', '.join(PARAMS_KEYS)})")
    _check_size(data["theta"], f"{option}: theta")
    theta = _vector(data["theta"], f"{option}: theta", None)
    d = len(theta)
    Sigma = _matrix(data["Sigma"], f"{option}: Sigma", d, d)
    _check_spd(Sigma, f"{option}: Sigma")
    V = _matrix(data["V"], f"{option}: V", d + 2, d + 2)
    Q = _matrix(data["Q"], f"{option}: Q", d + 2, d + 2)
    sigma2, n = _noise_and_shots(data, option)
    n = int(n)
    # the library's own rules too, so the command line and the toolkit agree
    checks = _validation()
    _library(option, checks.check_params, _to_floats(V), _to_floats(Q), d=d)
    _library(option, checks.check_vector, _to_floats(theta), "theta", d=d)
    _library(option, checks.check_sigma2, float(sigma2), "sigma2")
    _library(option, checks.check_count, n, "n")
    return ParamsFile(V=V, Q=Q, theta=theta, Sigma=Sigma, sigma2=sigma2, n=n, d=d)


# ----------------------------------------------------------------------------- output files

def check_output_path(path: str | Path, option: str = "--out", suffixes: tuple[str, ...] = ()) -> Path:
    """A file path to write later, checked before any work: not empty, not a directory, its
    folder exists and is writable, and (if ``suffixes`` are given) it ends in one of them."""
    if not str(path).strip():
        raise UsageError(f"{option}: expected a file name, got {_name(path)}")
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        got = f"the suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise UsageError(f"{option}: expected a file name ending in {', '.join(suffixes)}, "
                         f"got {_name(path)} ({got})")
    if "\0" in str(path):
        raise UsageError(f"{option}: expected a file name, got {_name(path)} (it holds a NUL character)")
    if path.is_dir():
        raise UsageError(f"{option}: expected a file path, got the directory {_name(path)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option}: the directory {_name(parent)} does not exist")
    existed = path.exists()
    try:  # open it for appending (creating it if need be), so that /proc/x fails now, not after the work
        with open(path, "ab"):
            pass
    except OSError as err:
        raise UsageError(f"{option}: cannot write {_name(path)}: {err.strerror or err}") from None
    except ValueError as err:  # an embedded NUL character
        raise UsageError(f"{option}: cannot write {_name(path)}: {err}") from None
    if not existed:
        try:
            path.unlink()
        except OSError:
            pass
    return path


def write_text(path: Path, text: str, option: str = "--out") -> None:
    """Write ``text`` to ``path`` (UTF-8); an OS error becomes a one-line :class:`UsageError`
    naming the option, the file and the error (e.g. ``/dev/full``: no space left on device)."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"{option}: cannot write {_name(path)}: {err.strerror or err}") from None


def load_spec(path: str, option: str = "--spec", d: int | None = None) -> Any:
    """A :class:`symbolic.spec.Spec` (or, with ``layers``, a :class:`symbolic.depth_spec.DepthSpec`) from a
    JSON file, read with the command line's limits."""
    from symbolic.depth_spec import read_spec
    obj = load_json(path, option)
    try:
        return read_spec(obj, d, max_d=L.MAX_EXACT_D)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _noise_and_shots(data: dict, option: str) -> tuple[Any, Any]:
    """A file's ``sigma2`` (a finite number >= 0) and ``n`` (an integer 0 <= n <= 10^12), as read."""
    sigma2 = _number(data["sigma2"])
    if sigma2 is None or sigma2 < 0:
        raise UsageError(f"{option}: sigma2: expected a finite number >= 0, got {_describe(data['sigma2'])}")
    n = _number(data["n"])
    if n is None or n < 0 or n != int(n) or n > L.MAX_COUNT:
        raise UsageError(f"{option}: n: expected an integer 0 <= n <= 10^12, got {_describe(data['n'])}")
    return sigma2, n
