"""Which arithmetic evaluates a derived closed form at a concrete setting, and the numeric setting.

The derived formulas are symbolic in d; evaluating one at explicit Sigma, theta_0 is
:func:`symbolic.evaluation.evaluate` in one of three arithmetics:

- ``exact``: rationals (the reference).  Used by default for d <= :data:`proofs.quantities.limits.MAX_EXACT_D`,
  and only there (rational entries grow fast with d).
- ``float``: float64 (numpy), O(d^3); the default above MAX_EXACT_D, up to :data:`proofs.quantities.limits.MAX_D`.
- ``mp``: mpmath with ``precision`` significant digits, up to :data:`proofs.quantities.limits.MAX_MP_D`: the
  remedy for an ill-conditioned Sigma.

:func:`numeric_setting` checks Sigma and theta_0 in floating point (finite, symmetric within a
relative tolerance, positive definite by Cholesky) and measures Sigma's condition number in
the 1-norm;
:func:`condition_warning` is the one line printed when it exceeds
:data:`proofs.quantities.limits.COND_WARN` (float) or ``10^(precision/2)`` (mp).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from proofs.quantities import limits as L

__all__ = ["choose", "label", "numeric_setting", "condition_warning", "SYMMETRY_RTOL"]

#: Sigma is symmetric when max |Sigma - Sigma^T| <= SYMMETRY_RTOL * max |Sigma| (float check)
SYMMETRY_RTOL = 1e-12


def choose(d: int, arithmetic: str | None = None, precision: int | None = None) -> tuple[str, int | None]:
    """The arithmetic for dimension ``d``: ``arithmetic`` None is exact for d <= MAX_EXACT_D and
    float above; an explicit choice is checked against its own bound. ``precision`` (digits)
    goes with ``mp`` only (default 50)."""
    if arithmetic is None:
        if precision is not None:
            arithmetic = "mp"
        else:
            return ("exact" if d <= L.MAX_EXACT_D else "float"), None
    if arithmetic not in ("exact", "float", "mp"):
        raise ValueError(f"arithmetic: expected one of exact, float, mp, got {arithmetic!r}")
    if arithmetic != "mp" and precision is not None:
        raise ValueError(f"precision: goes with arithmetic 'mp' only, got arithmetic {arithmetic!r}")
    if arithmetic == "exact" and d > L.MAX_EXACT_D:
        raise ValueError(f"arithmetic: exact arithmetic is limited to d <= {L.MAX_EXACT_D} (rational entries "
                         f"grow fast with d), got d = {d}; use float or mp")
    if arithmetic == "mp":
        precision = L.DEFAULT_PRECISION if precision is None else precision
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) \
                or not 1 <= precision <= L.MAX_PRECISION:
            raise ValueError(f"precision: expected an integer 1 <= precision <= {L.MAX_PRECISION} "
                             f"(significant digits), got {precision!r}")
        precision = int(precision)
        if d > L.MAX_MP_D:
            raise ValueError(f"arithmetic: mp is limited to d <= {L.MAX_MP_D} (pure-Python O(d^3) "
                             f"arithmetic), got d = {d}; use float")
    return arithmetic, precision


def label(arithmetic: str, precision: int | None = None) -> str:
    """How outputs name the arithmetic: ``exact``, ``float64``, ``mpmath (50 digits)``."""
    return {"exact": "exact", "float": "float64"}.get(arithmetic, f"mpmath ({precision} digits)")


def _floats(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "tolist") and not isinstance(x, np.ndarray):
        x = x.tolist()
    try:
        a = np.array(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: expected real numbers") from None
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name}: expected finite numbers, got {a[tuple(bad)]} at index {list(map(int, bad))}")
    return a


def check_sigma(Sigma: Any, d: int) -> tuple[np.ndarray, float]:
    """Sigma as float64, checked: d x d, finite, symmetric within :data:`SYMMETRY_RTOL`
    (relative to its largest entry), positive definite (a Cholesky factorisation exists);
    returns it symmetrised and its condition number in the 1-norm,
    ``||Sigma||_1 ||Sigma^{-1}||_1`` (within a factor d of the 2-norm one; inf when Sigma is
    singular in float64). O(d^3) in LAPACK, no eigenvalue decomposition."""
    S = _floats(Sigma, "Sigma")
    if S.shape != (d, d):
        raise ValueError(f"Sigma: expected a {d}x{d} matrix, got shape {'x'.join(map(str, S.shape))}")
    import hashlib
    key = (S.shape, hashlib.blake2b(S.tobytes(), digest_size=16).digest())
    if key in _CHECKED:  # the command line checks a file, then the API checks the array again
        return _CHECKED[key]
    out = _check_sigma(S, d)
    _CHECKED.clear()
    _CHECKED[key] = out
    return out


#: the last Sigma checked (its digest -> (symmetrised Sigma, condition number))
_CHECKED: dict = {}


def _check_sigma(S: np.ndarray, d: int) -> tuple[np.ndarray, float]:
    scale = float(np.max(np.abs(S))) if S.size else 0.0
    asym = float(np.max(np.abs(S - S.T))) if S.size else 0.0
    if asym > SYMMETRY_RTOL * scale:
        i, j = np.unravel_index(int(np.argmax(np.abs(S - S.T))), S.shape)
        raise ValueError(f"Sigma: expected a symmetric positive definite {d}x{d} matrix, got entries "
                         f"[{i}][{j}] = {S[i, j]:.17g} and [{j}][{i}] = {S[j, i]:.17g} "
                         f"(tolerance {SYMMETRY_RTOL:g} relative)")
    S = (S + S.T) / 2
    diag = np.diag(S)
    if diag.min() <= 0:
        k = int(np.argmin(diag))
        raise ValueError(f"Sigma: expected a symmetric positive definite {d}x{d} matrix, got diagonal "
                         f"entry [{k}][{k}] = {diag[k]:.6g}")
    try:
        np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        raise ValueError(f"Sigma: expected a symmetric positive definite {d}x{d} matrix, got one that is "
                         f"not positive definite in float64 (its Cholesky factorisation fails)") from None
    try:
        inv = np.linalg.inv(S)
        cond = float(np.max(np.sum(np.abs(S), axis=0)) * np.max(np.sum(np.abs(inv), axis=0)))
    except np.linalg.LinAlgError:
        cond = float("inf")
    return S, (cond if np.isfinite(cond) else float("inf"))


def numeric_setting(d: int, Sigma: Any = None, theta0: Any = None, sigma2: Any = None,
                    exact_inputs: bool = False) -> tuple[dict[str, Any], float]:
    """The environment of :func:`proofs.quantities.setting.setting` for float or mp arithmetic: Sigma
    (identity by default) and theta_0 (e_1) checked in float64 (:func:`check_sigma`); with
    ``exact_inputs`` the given values are kept as they are (exact numbers stay exact for mp),
    else as float64 arrays. Returns the environment and Sigma's condition number."""
    import sympy as sp
    from symbolic.validation import check_nonnegative
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d: expected an integer >= 1, got {d!r}")
    d = int(d)
    if Sigma is None:
        S, cond = np.eye(d), 1.0
        given_S: Any = S
    else:
        S, cond = check_sigma(Sigma, d)
        given_S = Sigma if exact_inputs else S
    if theta0 is None:
        t = np.zeros((d, 1))
        t[0, 0] = 1.0
        given_t: Any = t
    else:
        t = _floats(theta0, "theta0").reshape(-1, 1) if np.size(theta0) else np.zeros((0, 1))
        if t.shape != (d, 1):
            raise ValueError(f"theta0: expected a vector of length {d}, got length {t.size}")
        given_t = theta0 if exact_inputs else t
    env: dict[str, Any] = {"Sigma": given_S, "theta_0": given_t}
    if sigma2 is not None:
        env["sigma"] = sp.sqrt(check_nonnegative(sigma2, "sigma2"))
    return env, cond


def condition_warning(cond: float, arithmetic: str, precision: int | None = None) -> str | None:
    """The one-line warning for an ill-conditioned Sigma, or None: float64 above
    :data:`proofs.quantities.limits.COND_WARN`; mp above 10^(precision/2). Exact arithmetic never warns."""
    if arithmetic == "exact":
        return None
    limit = L.COND_WARN if arithmetic == "float" else 10.0 ** (precision / 2)
    if cond <= limit:
        return None
    shown = "inf (singular in float64)" if cond == float("inf") else f"{cond:.3g}"
    digits = int(np.log10(cond)) + 20 if np.isfinite(cond) else 60
    return (f"warning: Sigma's condition number is {shown} (above {limit:.0e}): {label(arithmetic, precision)} "
            f"results may have lost digits; use --arithmetic mp --precision {max(digits, 30)}")
