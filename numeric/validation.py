"""Input validation shared by every public entry point of the toolkit.

Each ``check_*`` function takes a user value and an argument name, and either
returns the value in canonical form (float64 arrays, Python ints and floats) or
raises :class:`ValueError` whose one-line message names the argument and the
expected form, e.g.::

    Sigma: expected a symmetric positive definite 3x3 matrix, got a matrix with eigenvalue -0.5

They do no other work, so callers validate everything first and compute after.
``numeric`` never imports ``symbolic``; SymPy numbers are accepted by duck typing
(``__index__`` / ``__float__``), so ``symbolic`` and ``proofs`` can use these too.
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import numpy as np

__all__ = [
    "check_covariance",
    "check_vector",
    "check_sigma2",
    "check_count",
    "check_dimension",
    "check_params",
    "check_samples",
    "check_seed",
    "check_prompts",
]

#: symmetry of a covariance matrix: max |S - S^T| <= SYMMETRY_RTOL * max |S| (the float64 rule of
#: symbolic.arithmetic.Float64.spd, which numeric/ may not import; tests/test_validation_rules.py
#: holds the two rules to the same verdicts)
SYMMETRY_RTOL = 1e-12


def _describe_shape(a: np.ndarray) -> str:
    if a.ndim == 0:
        return "a scalar"
    if a.ndim == 1:
        return f"a vector of length {a.shape[0]}"
    if a.ndim == 2:
        return f"a {a.shape[0]}x{a.shape[1]} matrix"
    return f"an array of shape {a.shape}"


def _as_float_array(x: Any, name: str, expected: str) -> np.ndarray:
    """``x`` as a float64 array, or ValueError naming ``name`` and ``expected``."""
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name}: expected {expected}, got a string {x!r}")
    try:
        raw = np.asarray(x)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name}: expected {expected}, got {type(x).__name__} ({exc})") from None
    if raw.dtype.kind == "c":
        raise ValueError(f"{name}: expected {expected} of real numbers, got complex entries")
    if raw.dtype.kind == "b":
        raise ValueError(f"{name}: expected {expected} of real numbers, got booleans")
    if raw.dtype.kind not in "iuf":
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}: expected {expected} of real numbers, got entries of type "
                f"{type(raw.flat[0]).__name__ if raw.size else raw.dtype}"
            ) from None
    a = np.array(raw, dtype=np.float64)  # a copy: callers may keep it
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected {expected} with finite entries, got NaN or infinity")
    return a


def check_dimension(d: Any, name: str = "d") -> int:
    """``d`` as an int >= 1 (the dimension of x)."""
    return check_count(d, name, minimum=1)


def check_count(n: Any, name: str = "n", allow_inf: bool = False, minimum: int = 0) -> int | float:
    """An integer count >= ``minimum``: returns a Python int, or ``math.inf`` if allowed.

    Accepts Python/NumPy/SymPy integers and floats with an integral value (``3.0``);
    rejects booleans, fractional floats, NaN, negative values and (unless
    ``allow_inf``) infinity.
    """
    what = f"an integer >= {minimum}" + (" or infinity" if allow_inf else "")
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"{name}: expected {what}, got the boolean {n!r}")
    if isinstance(n, (str, bytes)):
        raise ValueError(f"{name}: expected {what}, got the string {n!r}")
    value: int | float
    try:
        value = operator.index(n)
    except TypeError:
        if isinstance(n, complex) or (isinstance(n, np.ndarray) and n.ndim > 0):
            raise ValueError(f"{name}: expected {what}, got {n!r}") from None
        try:
            f = float(n)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected {what}, got {type(n).__name__} {n!r}") from None
        if math.isnan(f):
            raise ValueError(f"{name}: expected {what}, got NaN")
        if math.isinf(f):
            if allow_inf and f > 0:
                return math.inf
            raise ValueError(f"{name}: expected {what}, got {f}")
        if not f.is_integer():
            raise ValueError(f"{name}: expected {what}, got the non-integer {n!r}")
        value = int(f)
    if value < minimum:
        raise ValueError(f"{name}: expected {what}, got {value}")
    return int(value)


def check_samples(samples: Any, name: str = "samples", minimum: int = 2) -> int:
    """A Monte Carlo sample count: an int >= ``minimum`` (2 by default, for a standard error)."""
    return int(check_count(samples, name, minimum=minimum))


def check_seed(seed: Any, name: str = "seed") -> int | np.random.Generator:
    """A seed: an int >= 0 or a :class:`numpy.random.Generator`, returned unchanged (ints as int)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise ValueError(
            f"{name}: expected an integer >= 0 or a numpy.random.Generator, got {type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"{name}: expected an integer >= 0 or a numpy.random.Generator, got {seed}")
    return int(seed)


def check_sigma2(sigma2: Any, name: str = "sigma2") -> float:
    """The noise variance sigma^2: a finite real number >= 0, returned as float."""
    what = "a finite real number >= 0 (the noise variance)"
    if isinstance(sigma2, (bool, np.bool_, str, bytes, complex)) or (
        isinstance(sigma2, np.ndarray) and sigma2.ndim > 0
    ):
        raise ValueError(f"{name}: expected {what}, got {sigma2!r}")
    try:
        f = float(sigma2)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {what}, got {type(sigma2).__name__} {sigma2!r}") from None
    if not math.isfinite(f) or f < 0:
        raise ValueError(f"{name}: expected {what}, got {f}")
    return f


def check_vector(theta: Any, name: str = "theta", d: int | None = None) -> np.ndarray:
    """A finite real vector of length ``d`` (any length >= 1 if ``d`` is None), as float64 (d,).

    Column (d, 1) and row (1, d) matrices are flattened.
    """
    expected = f"a real vector of length {d}" if d is not None else "a real vector"
    a = _as_float_array(theta, name, expected)
    if a.ndim == 2 and 1 in a.shape:
        a = a.reshape(-1)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name}: expected {expected}, got {_describe_shape(a)}")
    if d is not None and a.shape[0] != d:
        raise ValueError(f"{name}: expected {expected}, got {_describe_shape(a)}")
    return a


def check_covariance(Sigma: Any, name: str = "Sigma", d: int | None = None) -> np.ndarray:
    """A symmetric positive definite matrix (``d`` x ``d`` if given), as float64.

    The float64 rule: symmetric within ``SYMMETRY_RTOL`` relative to the largest entry (the
    returned matrix is exactly symmetrised), a positive diagonal, and a Cholesky factorisation
    (the smallest eigenvalue is named when it fails).
    """
    size = f"{d}x{d} " if d is not None else ""
    expected = f"a symmetric positive definite {size}matrix"
    S = _as_float_array(Sigma, name, expected)
    if S.ndim != 2 or S.shape[0] != S.shape[1] or S.shape[0] == 0:
        raise ValueError(f"{name}: expected {expected}, got {_describe_shape(S)}")
    if d is not None and S.shape[0] != d:
        raise ValueError(f"{name}: expected {expected}, got {_describe_shape(S)}")
    expected = f"a symmetric positive definite {S.shape[0]}x{S.shape[0]} matrix"
    scale = float(np.max(np.abs(S)))
    asym = float(np.max(np.abs(S - S.T)))
    if asym > SYMMETRY_RTOL * scale:
        raise ValueError(f"{name}: expected {expected}, got a non-symmetric matrix (max |S - S^T| = {asym:.3g})")
    S = (S + S.T) / 2
    try:
        if float(np.min(np.diag(S))) <= 0:
            raise np.linalg.LinAlgError("a diagonal entry <= 0")
        np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(S)[0])
        raise ValueError(f"{name}: expected {expected}, got a matrix with eigenvalue {lam:.6g}") from None
    return S


def check_params(V: Any, Q: Any, d: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The parameters V and Q: finite real (d+2) x (d+2) matrices, as float64.

    With ``d`` None it is read off V (which must then be at least 3x3).
    """
    if d is None:
        Va = _as_float_array(V, "V", "a real (d+2)x(d+2) matrix with d >= 1")
        if Va.ndim != 2 or Va.shape[0] != Va.shape[1] or Va.shape[0] < 3:
            raise ValueError(f"V: expected a real (d+2)x(d+2) matrix with d >= 1, got {_describe_shape(Va)}")
        d = Va.shape[0] - 2
    D = d + 2
    out = []
    for arg, nm in ((V, "V"), (Q, "Q")):
        expected = f"a real {D}x{D} matrix ((d+2)x(d+2) with d = {d})"
        a = _as_float_array(arg, nm, expected)
        if a.shape != (D, D):
            raise ValueError(f"{nm}: expected {expected}, got {_describe_shape(a)}")
        out.append(a)
    return out[0], out[1]


def check_prompts(Z: Any, name: str = "Z", d: int | None = None) -> np.ndarray:
    """Prompts: a finite real array of shape (..., d+2, ncol) with d >= 1 and ncol >= 1."""
    expected = "a real array of prompts of shape (..., d+2, ncol)" + (f" with d+2 = {d + 2}" if d is not None else "")
    a = _as_float_array(Z, name, expected)
    if a.ndim < 2 or a.shape[-1] < 1 or a.shape[-2] < 3 or (d is not None and a.shape[-2] != d + 2):
        raise ValueError(f"{name}: expected {expected}, got {_describe_shape(a)}")
    return a
