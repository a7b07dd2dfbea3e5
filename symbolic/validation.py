"""Input checks for the symbolic layer's public entry points (exact, no numpy).

Each raises ``ValueError`` naming the argument and the expected form, before any work.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from .numbers import MAX_COUNT, MAX_NUMBER_CHARS, MAX_REAL_EXP, exact_number, in_range, shown

__all__ = ["check_count", "check_matrix", "check_spd", "check_vector", "check_nonnegative", "exact_number",
           "in_range", "shown", "MAX_COUNT", "MAX_REAL_EXP", "MAX_NUMBER_CHARS", "MAX_SPEC_D"]

#: dimension d of the vectors and matrices a JSON spec gives (its tasks, covariances, start)
MAX_SPEC_D = 10


def check_count(value: Any, name: str, *, allow_inf: bool = True, allow_symbol: bool = True,
                minimum: int = 0, maximum: int = MAX_COUNT) -> sp.Expr:
    """An integer ``minimum <= value <= maximum`` (10^12), ``sympy.oo`` (if allowed) or an
    integer symbol (if allowed)."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected an integer >= {minimum}{' or oo' if allow_inf else ''}, got {shown(value)}")
    if isinstance(value, str):
        if allow_inf and value.strip().lower() in ("inf", "oo", "infinity"):
            return sp.oo
        raise ValueError(f"{name}: expected an integer >= {minimum}{' or oo' if allow_inf else ''}, got {shown(value)}")
    if isinstance(value, float):
        if value == float("inf") and allow_inf:
            return sp.oo
        if not value.is_integer():
            raise ValueError(f"{name}: expected an integer >= {minimum}, got {shown(value)}")
        value = int(value)
    try:
        v = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError):
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {shown(value)}") from None
    if v == sp.oo:
        if allow_inf:
            return v
        raise ValueError(f"{name}: expected a finite integer >= {minimum}, got oo")
    if isinstance(v, sp.Symbol):
        if v.is_integer is False or v.is_negative:
            raise ValueError(f"{name}: expected an integer >= {minimum}, got the symbol {v} (declared "
                             f"{'negative' if v.is_negative else 'not an integer'})")
        if allow_symbol:
            return v
        raise ValueError(f"{name}: expected an integer >= {minimum}, got the symbol {v}")
    if not (v.is_Integer and minimum <= v <= maximum):
        raise ValueError(f"{name}: expected an integer {minimum} <= {name} <= {maximum}"
                         f"{' or oo' if allow_inf else ''}, got {shown(value)}")
    return v


def _exact(x: Any, name: str) -> sp.Expr:
    if isinstance(x, bool) or isinstance(x, str):
        raise ValueError(f"{name}: expected a number, got {x!r}")
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"{name}: expected a finite number, got {x!r}")
        return sp.Rational(repr(x))
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    try:
        v = sp.sympify(x, strict=True)
    except (sp.SympifyError, TypeError):
        raise ValueError(f"{name}: expected a number, got {x!r}") from None
    if v.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise ValueError(f"{name}: expected a finite number, got {x!r}")
    return v


def check_matrix(M: Any, name: str, shape: tuple[int, int] | None = None) -> sp.ImmutableMatrix:
    """An exact SymPy matrix of the given shape (floats become their exact rationals)."""
    try:
        rows = M.tolist() if hasattr(M, "tolist") else list(M)
        rows = [list(r) if isinstance(r, (list, tuple)) or hasattr(r, "__iter__") else [r] for r in rows]
    except TypeError:
        raise ValueError(f"{name}: expected a matrix (a list of rows), got {type(M).__name__}") from None
    if not rows or len({len(r) for r in rows}) != 1:
        raise ValueError(f"{name}: expected a non-empty matrix with rows of equal length")
    out = sp.ImmutableMatrix([[_exact(x, name) for x in r] for r in rows])
    if shape is not None and out.shape != shape:
        raise ValueError(f"{name}: expected shape {shape[0]}x{shape[1]}, got {out.shape[0]}x{out.shape[1]}")
    return out


def check_vector(v: Any, name: str, d: int | None = None) -> sp.ImmutableMatrix:
    """An exact column vector of length d."""
    try:
        flat = v.tolist() if hasattr(v, "tolist") else list(v)
    except TypeError:
        raise ValueError(f"{name}: expected a vector of length {d}, got {type(v).__name__}") from None
    flat = [x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x for x in flat]
    if any(isinstance(x, (list, tuple)) for x in flat):
        raise ValueError(f"{name}: expected a vector (a flat list of numbers)")
    if d is not None and len(flat) != d:
        raise ValueError(f"{name}: expected a vector of length {d}, got length {len(flat)}")
    return sp.ImmutableMatrix([[_exact(x, name)] for x in flat])


def check_spd(Sigma: Any, name: str = "Sigma", d: int | None = None) -> sp.ImmutableMatrix:
    """An exact symmetric positive definite matrix, by the exact arithmetic's one rule
    (:meth:`symbolic.arithmetic.Exact.spd`: symmetric exactly, every pivot of L D L^T positive)."""
    from .arithmetic import EXACT
    S = check_matrix(Sigma, name)
    return EXACT.spd(S, name, d)[0]


def check_nonnegative(x: Any, name: str) -> sp.Expr:
    """An exact number >= 0 (e.g. the noise variance sigma2)."""
    v = _exact(x, name)
    if v.is_number and v < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {x!r}")
    return v
