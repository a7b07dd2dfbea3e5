r"""Arithmetics, as mpmath has contexts: exact rationals, IEEE float64, or mpmath at a precision.

A derived closed form is evaluated at a concrete setting in one of three arithmetics, chosen
once at the edge (the command line's ``--arithmetic``/``--precision``, an API argument) and
passed down as an object that carries every operation the evaluators need, so that a function
is written once against an arithmetic and no module compares the arithmetic's name:

- :data:`EXACT` (:class:`Exact`): SymPy rationals (and symbols), the reference; cost grows fast
  with d, so it is for small d;
- :data:`FLOAT64` (:class:`Float64`): numpy float64, O(d^3) in LAPACK;
- ``MP(precision)`` (:class:`MP`): an mpmath context of ``precision`` significant decimal digits
  (its own context: the global ``mpmath.mp`` is left alone), for an ill-conditioned Sigma.

Each arithmetic converts numbers and matrices into its own kind (:meth:`Arithmetic.number`,
:meth:`Arithmetic.matrix`), does the matrix algebra (products, inverse, solve, trace), checks a
covariance with **its one positive-definiteness rule** (:meth:`Arithmetic.spd`), says when a
condition number calls for a warning (:meth:`Arithmetic.condition_warning`), and formats its
values for text and JSON (:meth:`Arithmetic.text`, :meth:`Arithmetic.json`).

Positive definiteness, one rule per arithmetic:

- exact: symmetric exactly, and every pivot of the symmetric elimination Sigma = L D L^T is
  positive (exact fractions, O(d^3));
- float64: symmetric within ``SYMMETRY_RTOL`` (1e-12) relative to the largest entry, then
  symmetrised; a positive diagonal; a Cholesky factorisation exists;
- mp: the same in the context's own precision (symmetric within 10^-(precision-2) relative,
  Cholesky in mpmath), so an ill-conditioned Sigma that float64 cannot factor is still accepted.

SymPy is imported on first use: float64 alone (a curve from a generated evaluator,
:mod:`symbolic.codegen`) never loads it, and a value cannot be a SymPy object before SymPy is
loaded (:func:`_is_sympy`).
"""
from __future__ import annotations

import sys
from fractions import Fraction
from typing import Any

import numpy as np

from .numbers import ARITHMETICS, COND_WARN, DEFAULT_PRECISION


class _LazySympy:
    """``sympy``, imported at the first attribute asked for (then bound in its place)."""

    def __getattr__(self, name: str) -> Any:
        import sympy
        globals()["sp"] = sympy
        return getattr(sympy, name)


sp: Any = _LazySympy()


def _is_sympy(x: Any, kind: str = "Basic") -> bool:
    """Whether ``x`` is a SymPy ``kind`` (``Basic``, ``MatrixBase``), without importing SymPy:
    nothing is one before SymPy is loaded."""
    module = sys.modules.get("sympy")
    return module is not None and isinstance(x, getattr(module, kind))

__all__ = ["Arithmetic", "Exact", "Float64", "MP", "EXACT", "FLOAT64", "ARITHMETICS", "as_arithmetic",
           "SYMMETRY_RTOL", "DEFAULT_PRECISION", "COND_WARN", "ldl_pivots", "is_psd", "Condition",
           "proves_condition_below"]

#: float64: Sigma is symmetric when max |Sigma - Sigma^T| <= SYMMETRY_RTOL * max |Sigma|
SYMMETRY_RTOL = 1e-12


class Arithmetic:
    """The operations an evaluator needs, in one arithmetic (subclasses: :class:`Exact`,
    :class:`Float64`, :class:`MP`). Matrices are SymPy matrices, 2-D ``numpy.ndarray`` or
    ``mpmath.matrix``; vectors are d x 1 matrices."""

    #: ``exact``, ``float`` or ``mp`` (the option's spelling and JSON's)
    name: str = ""
    #: significant decimal digits (mp only)
    precision: int | None = None
    #: whether values are exact (SymPy rationals, possibly with symbols)
    exact: bool = False

    # naming -----------------------------------------------------------------
    def label(self) -> str:
        """How outputs name it: ``exact``, ``float64``, ``mpmath (50 digits)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.precision})" if self.precision else f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Arithmetic) and (self.name, self.precision) == (other.name, other.precision)

    def __hash__(self) -> int:
        return hash((self.name, self.precision))

    # numbers and matrices ----------------------------------------------------
    def number(self, x: Any) -> Any:
        raise NotImplementedError

    def matrix(self, M: Any) -> Any:
        raise NotImplementedError

    def eye(self, d: int) -> Any:
        raise NotImplementedError

    def zeros(self, r: int, c: int) -> Any:
        raise NotImplementedError

    def matmul(self, A: Any, B: Any) -> Any:
        return A @ B

    def inv(self, A: Any) -> Any:
        raise NotImplementedError

    def solve(self, A: Any, b: Any) -> Any:
        """A^{-1} b."""
        raise NotImplementedError

    def transpose(self, A: Any) -> Any:
        return A.T

    def trace(self, A: Any) -> Any:
        raise NotImplementedError

    def trace_product(self, A: Any, B: Any) -> Any:
        """tr(A B) without forming A B: sum_ij A_ij B_ji, O(d^2)."""
        raise NotImplementedError

    def entry(self, A: Any) -> Any:
        """The one entry of a 1 x 1 matrix."""
        return A[0, 0]

    def shape(self, A: Any) -> tuple[int, int]:
        return tuple(A.shape)  # type: ignore[return-value]

    def is_matrix(self, x: Any) -> bool:
        raise NotImplementedError

    def block(self, A: Any, rows: slice, cols: slice) -> Any:
        """The sub-matrix ``A[rows, cols]`` (contiguous slices)."""
        return A[rows, cols]

    def put(self, A: Any, r0: int, c0: int, B: Any) -> None:
        """Write the matrix B into A with its top-left entry at (r0, c0)."""
        r, c = self.shape(B)
        A[r0:r0 + r, c0:c0 + c] = B

    def power(self, x: Any, e: sp.Expr) -> Any:
        if e.is_Integer:
            return x ** int(e)
        if e == sp.Rational(1, 2):
            return self.sqrt(x)
        if e == -sp.Rational(1, 2):
            return 1 / self.sqrt(x)
        return x ** self.number(e)

    def sqrt(self, x: Any) -> Any:
        raise NotImplementedError

    def to_float(self, x: Any) -> float:
        return float(x)

    def to_sympy(self, x: Any) -> Any:
        """A value of this arithmetic as a SymPy number (a Float of its precision)."""
        return sp.Float(float(x))

    def finite(self, values: Any, what: str = "the value") -> Any:
        """``values`` (a number or a sequence of numbers), checked finite: a closed form of finite
        inputs has a finite value, so a non-finite one means the arithmetic's range was exceeded;
        a ValueError says so and names the remedy. Returned unchanged."""
        return values

    def batch(self, values: Any) -> Any:
        """``values`` as one array that the operations broadcast over (evaluating a formula at
        many values of a symbol at once), or None where the arithmetic has no such arrays."""
        return None

    def unbatch(self, out: Any, count: int) -> list:
        """A formula's value at a :meth:`batch` of ``count`` values (an array, or one number
        where the formula does not depend on the batched symbol) as a list of ``count`` values."""
        raise NotImplementedError

    # checks ----------------------------------------------------------------
    def spd(self, S: Any, name: str = "Sigma", d: int | None = None) -> tuple[Any, float | None]:
        """``S`` checked symmetric positive definite by this arithmetic's rule (module docstring),
        ``d`` x ``d`` when given, returned in this arithmetic (symmetrised) with its condition
        number in the 1-norm (None where not measured: exact). A ``ValueError`` naming ``name``
        and what was expected otherwise."""
        raise NotImplementedError

    def spd_deferred(self, S: Any, name: str = "Sigma", d: int | None = None) -> tuple[Any, Any]:
        """:meth:`spd`, its condition number possibly deferred (float64: a :class:`Condition`,
        computed at its first call; the other arithmetics measure it at once)."""
        return self.spd(S, name, d)

    def vector(self, v: Any, name: str = "theta0", d: int | None = None) -> Any:
        """``v`` checked to be a vector of ``d`` finite real numbers (a flat list, a column, a
        NumPy or SymPy vector), returned as a d x 1 matrix of this arithmetic."""
        raise NotImplementedError

    def condition_limit(self) -> float:
        """The condition number of Sigma above which values may have lost digits."""
        return float("inf")

    def digits_held(self, cond: float | None) -> int | None:
        """How many significant decimal digits a value computed from Sigma holds at least, to first
        order: ``floor(-log10(cond(Sigma) * u))`` with ``u`` the unit roundoff (2^-53 in float64,
        10^(1 - precision)/2 in mp), at most the digits the arithmetic carries; None where exact
        (every digit) or where Sigma's condition number was not measured."""
        if self.exact or cond is None:
            return None
        carried = 15 if self.precision is None else int(self.precision)
        u = 2.0 ** -53 if self.precision is None else 0.5 * 10.0 ** (1 - self.precision)
        if not np.isfinite(cond):
            return 0
        lost = np.log10(max(float(cond), 1.0)) + np.log10(u)
        return int(max(0, min(carried, np.floor(-lost))))

    def condition_warning(self, cond: "float | Condition | None") -> str | None:
        """The one-line warning for an ill-conditioned Sigma, or None. ``cond`` may be a deferred
        :class:`Condition`: then no inverse is computed where a factorisation proves it small."""
        limit = self.condition_limit()
        if isinstance(cond, Condition):
            if cond.at_most(limit):
                return None
            cond = cond()
        if cond is None or cond <= limit:
            return None
        shown = "inf (singular in float64)" if cond == float("inf") else f"{cond:.3g}"
        digits = int(np.log10(cond)) + 20 if np.isfinite(cond) else 60
        return (f"warning: Sigma's condition number is {shown} (above {_limit_text(limit)}): {self.label()} "
                f"results may have lost digits; use --arithmetic mp --precision {max(digits, 30)}")

    # output ----------------------------------------------------------------
    def text(self, x: Any) -> str:
        """A value for text output."""
        raise NotImplementedError

    def json(self, x: Any) -> Any:
        """A value for JSON: a string ``sympy.sympify`` parses (exact), a float (float64) or a
        decimal string of the context's digits (mp)."""
        raise NotImplementedError


def _limit_text(limit: float) -> str:
    if limit < 1e300:
        return f"{limit:.0e}"
    return f"1e+{int(round(np.log10(limit)))}" if np.isfinite(limit) else "inf"


def _shape_text(shape: tuple) -> str:
    return "x".join(map(str, shape))


def _check_square(shape: tuple, name: str, d: int | None) -> int:
    want = f"{d}x{d}" if d is not None else "square"
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] == 0 or (d is not None and shape[0] != d):
        raise ValueError(f"{name}: expected a {want} symmetric positive definite matrix, got shape {_shape_text(shape)}")
    return shape[0]


def _floats(x: Any, name: str, copy: bool = True) -> np.ndarray:
    """``x`` as a finite real float64 array, or a ValueError naming ``name`` (``copy`` False: a
    float64 array given may be returned itself, for a caller that does not write to it)."""
    if hasattr(x, "tolist") and not isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, np.ndarray) and np.iscomplexobj(x) or _has_complex(x):
        raise ValueError(f"{name}: expected real numbers, got a complex number")
    try:
        with np.errstate(all="ignore"):
            a = np.array(x, dtype=np.float64) if copy else np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: expected real numbers") from None
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name}: expected finite numbers, got {a[tuple(bad)]} at index {list(map(int, bad))}")
    return a


def _has_complex(x: Any) -> bool:
    if isinstance(x, complex) or isinstance(x, np.complexfloating):
        return True
    if _is_sympy(x):
        return bool(x.is_number and x.is_real is False)
    if isinstance(x, (list, tuple)):
        return any(_has_complex(v) for v in x)
    return False


# ----------------------------------------------------------------------------- exact

class Exact(Arithmetic):
    """SymPy rationals: the reference. Floats given are read as the decimals they print as
    (``0.1`` is 1/10)."""

    name = "exact"
    exact = True

    def label(self) -> str:
        return "exact"

    def number(self, x: Any) -> Any:
        if isinstance(x, float):
            return sp.Rational(repr(x))
        if isinstance(x, Fraction):
            return sp.Rational(x.numerator, x.denominator)
        if isinstance(x, np.floating):
            return sp.Rational(repr(float(x)))
        if isinstance(x, np.integer):
            return sp.Integer(int(x))
        return sp.sympify(x)

    def matrix(self, M: Any) -> sp.ImmutableMatrix:
        if isinstance(M, sp.MatrixBase):
            return sp.ImmutableMatrix(M)
        rows = M.tolist() if hasattr(M, "tolist") else list(M)
        rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]
        return sp.ImmutableMatrix([[self.number(x) for x in r] for r in rows])

    def eye(self, d: int) -> Any:
        return sp.ImmutableMatrix(sp.eye(d))

    def zeros(self, r: int, c: int) -> Any:
        return sp.zeros(r, c)

    def matmul(self, A: Any, B: Any) -> Any:
        return A * B

    def inv(self, A: Any) -> Any:
        return A.inv()

    def solve(self, A: Any, b: Any) -> Any:
        return A.LUsolve(b)

    def trace(self, A: Any) -> Any:
        return A.trace()

    def trace_product(self, A: Any, B: Any) -> Any:
        return sp.Add(*[A[i, j] * B[j, i] for i in range(A.rows) for j in range(A.cols)])

    def is_matrix(self, x: Any) -> bool:
        return isinstance(x, sp.MatrixBase)

    def put(self, A: Any, r0: int, c0: int, B: Any) -> None:
        A[r0:r0 + B.rows, c0:c0 + B.cols] = B

    def sqrt(self, x: Any) -> Any:
        return sp.sqrt(x)

    def spd(self, S: Any, name: str = "Sigma", d: int | None = None) -> tuple[Any, None]:
        M = S if isinstance(S, sp.MatrixBase) else self.matrix(_rows(S, name))
        _check_square(M.shape, name, d)
        k = M.shape[0]
        for i in range(k):
            for j in range(i):
                if M[i, j] != M[j, i]:
                    raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got entries "
                                     f"[{i}][{j}] = {M[i, j]} and [{j}][{i}] = {M[j, i]}")
        if any(not x.is_Rational for x in M):
            bad = next(x for x in M if not x.is_Rational)
            raise ValueError(f"{name}: expected a symmetric positive definite matrix of rational numbers, got the "
                             f"entry {bad}")
        pivot = _first_nonpositive_pivot(M)
        if pivot is not None:
            i, _ = pivot
            lam = float(np.linalg.eigvalsh(np.array(M.tolist(), dtype=np.float64))[0])
            shown = f"eigenvalue {lam:.6g}" if lam <= 0 else f"leading {i + 1}x{i + 1} block that is not positive definite"
            raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got a matrix with {shown}")
        return sp.ImmutableMatrix(M), None

    def vector(self, v: Any, name: str = "theta0", d: int | None = None) -> sp.ImmutableMatrix:
        flat = _flat(v, name, d)
        if _has_complex(flat):
            raise ValueError(f"{name}: expected real numbers, got a complex number")
        out = []
        for x in flat:
            if isinstance(x, bool) or isinstance(x, str):
                raise ValueError(f"{name}: expected a vector of numbers, got {x!r}")
            try:
                value = self.number(x)
            except (sp.SympifyError, TypeError, ValueError):
                raise ValueError(f"{name}: expected a vector of numbers, got {x!r}") from None
            if getattr(value, "is_finite", True) is False or value.has(sp.nan, sp.zoo):
                raise ValueError(f"{name}: expected finite numbers, got {x!r}")
            out.append([value])
        return sp.ImmutableMatrix(out)

    def to_sympy(self, x: Any) -> Any:
        return sp.sympify(x)

    def text(self, x: Any) -> str:
        return sp.sstr(x)

    def json(self, x: Any) -> str:
        return sp.sstr(x, order=None)


def _flat(v: Any, name: str, d: int | None) -> list:
    """The entries of a vector given as a flat list, a column (list of one-entry rows), a NumPy
    array or a SymPy matrix with one column or one row."""
    if isinstance(v, (str, bytes)) or v is None:
        raise ValueError(f"{name}: expected a vector of {d if d is not None else 'd'} numbers, got {v!r}")
    try:
        flat = v.tolist() if hasattr(v, "tolist") else list(v)
    except TypeError:
        raise ValueError(f"{name}: expected a vector of {d if d is not None else 'd'} numbers, got "
                         f"{type(v).__name__}") from None
    if _is_sympy(v, "MatrixBase") and v.rows == 1:
        flat = flat[0]
    if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[0] == 1:
        flat = flat[0]
    flat = [x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x for x in flat]
    if any(isinstance(x, (list, tuple)) for x in flat):
        raise ValueError(f"{name}: expected a vector (a flat list of numbers)")
    if d is not None and len(flat) != d:
        raise ValueError(f"{name}: expected a vector of length {d}, got length {len(flat)}")
    if not flat:
        raise ValueError(f"{name}: expected a non-empty vector")
    return flat


def _rows(S: Any, name: str) -> list:
    try:
        rows = S.tolist() if hasattr(S, "tolist") else list(S)
        return [list(r) if isinstance(r, (list, tuple)) or hasattr(r, "__iter__") else [r] for r in rows]
    except TypeError:
        raise ValueError(f"{name}: expected a matrix (a list of rows), got {type(S).__name__}") from None


def ldl_pivots(rows: Any) -> tuple[list[Fraction], bool]:
    """The pivots of the symmetric elimination M = L D L^T of a symmetric matrix of exact
    rationals (O(d^3) fractions), in order, up to the first negative one, and whether M can
    still be positive semi-definite: False when a pivot is negative, or when a zero pivot has a
    non-zero remaining row (then a 2x2 principal minor is negative). M is positive definite iff
    every pivot is > 0, positive semi-definite iff the second value is True."""
    A = [[Fraction(int(x.p), int(x.q)) if hasattr(x, "p") else Fraction(x) for x in r] for r in rows]
    n = len(A)
    pivots: list[Fraction] = []
    for k in range(n):
        p = A[k][k]
        pivots.append(p)
        if p < 0:
            return pivots, False
        if p == 0:
            if any(A[k][j] != 0 for j in range(k + 1, n)):
                return pivots, False
            continue
        for i in range(k + 1, n):
            f = A[i][k] / p
            if f:
                row_i, row_k = A[i], A[k]
                for j in range(k + 1, n):
                    row_i[j] -= f * row_k[j]
    return pivots, True


def is_psd(rows: Any) -> bool:
    """Whether a symmetric matrix of exact rationals is positive semi-definite (:func:`ldl_pivots`)."""
    return ldl_pivots(rows)[1]


def _first_nonpositive_pivot(M: Any) -> tuple[int, Any] | None:
    """The first pivot <= 0 of M = L D L^T as (index, value), or None when M is positive definite."""
    for i, p in enumerate(ldl_pivots(M.tolist())[0]):
        if p <= 0:
            return i, sp.Rational(p.numerator, p.denominator)
    return None


# ----------------------------------------------------------------------------- float64

class Float64(Arithmetic):
    """IEEE double precision (numpy)."""

    name = "float"

    def label(self) -> str:
        return "float64"

    def number(self, x: Any) -> float:
        if _is_sympy(x):
            if x.is_Rational:
                return int(x.p) / int(x.q) if x.q != 1 else float(int(x.p))
            return float(x)
        return float(x)

    def matrix(self, M: Any) -> np.ndarray:
        if isinstance(M, np.ndarray) and M.dtype == np.float64:
            return M.reshape(-1, 1) if M.ndim == 1 else M
        if _is_sympy(M, "MatrixBase") or type(M).__module__.startswith("mpmath"):
            M = M.tolist()
        a = np.array(M, dtype=np.float64)  # float() of a Fraction or Rational rounds once
        return a.reshape(-1, 1) if a.ndim == 1 else a

    def power(self, x: Any, e: sp.Expr) -> Any:
        """x**e; beyond float64's range the IEEE value (inf, or 0 for 0**-k: inf), never Python's
        OverflowError of a float power, so that :meth:`finite` reports it with its remedy."""
        try:
            return super().power(x, e)
        except (OverflowError, ZeroDivisionError):
            with np.errstate(all="ignore"):
                return np.float64(x) ** np.float64(self.number(e))

    def eye(self, d: int) -> np.ndarray:
        return np.eye(d)

    def zeros(self, r: int, c: int) -> np.ndarray:
        return np.zeros((r, c))

    def inv(self, A: Any) -> np.ndarray:
        return np.linalg.inv(A)

    def solve(self, A: Any, b: Any) -> np.ndarray:
        return np.linalg.solve(A, b)

    def trace(self, A: Any) -> float:
        return float(np.trace(A))

    def trace_product(self, A: Any, B: Any) -> float:
        return float(np.einsum("ij,ji->", A, B))

    def entry(self, A: Any) -> float:
        return float(A[0, 0])

    def batch(self, values: Any) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)

    def unbatch(self, out: Any, count: int) -> list:
        return list(np.broadcast_to(np.asarray(out, dtype=np.float64), (count,)))

    def finite(self, values: Any, what: str = "the value") -> Any:
        with np.errstate(all="ignore"):
            ok = np.all(np.isfinite(np.asarray(values, dtype=np.float64)))
        if not ok:
            raise ValueError(f"arithmetic: {what} exceeds float64's range (|x| > 1.8e308, or an overflow on the "
                             "way): evaluate in mp (--arithmetic mp, or arithmetic='mp'), whose exponent has no "
                             "such bound")
        return values

    def is_matrix(self, x: Any) -> bool:
        return isinstance(x, np.ndarray) and x.ndim == 2

    def sqrt(self, x: Any) -> Any:
        return np.sqrt(x)

    def spd(self, S: Any, name: str = "Sigma", d: int | None = None) -> tuple[np.ndarray, float]:
        A, k = self._symmetrised(S, name, d)
        _cholesky_or_refuse(A, name, k)
        return A, _condition(A)

    def spd_deferred(self, S: Any, name: str = "Sigma", d: int | None = None) -> tuple[np.ndarray, "Condition"]:
        """:meth:`spd` with the condition number deferred: the same checks, the same matrix accepted
        or refused with the same message, and a :class:`Condition` that computes the same number at
        its first call (for an output that may not print it: a text curve only asks whether it
        calls for a warning). First one Cholesky factorisation of a shifted Sigma tries to prove
        the number below a tenth of :meth:`condition_limit` (:func:`proves_condition_below`);
        where it does, Sigma's own factorisation is certain to succeed
        (:func:`_proof_implies_cholesky`) and is not run; elsewhere it is, as in :meth:`spd`."""
        A, k = self._symmetrised(S, name, d)
        bound = self.condition_limit() / 10
        proved = proves_condition_below(A, bound)
        if not (proved and _proof_implies_cholesky(k, bound)):
            _cholesky_or_refuse(A, name, k)
        return A, Condition(A, bound if proved else None)

    def _symmetrised(self, S: Any, name: str, d: int | None) -> tuple[np.ndarray, int]:
        """The checks of :meth:`spd` before its factorisation: finite real entries, square
        (``d`` x ``d``), symmetric within SYMMETRY_RTOL, a positive diagonal; the symmetrised
        matrix (a new array) and its size."""
        A = _floats(S, name, copy=False)  # never written to: the result is a new array
        k = _check_square(A.shape, name, d)
        # max |x| as max(max x, -min x), and (A + A^T) / 2 written over A - A^T: the same numbers
        # with fewer d x d temporaries (each one costs page faults in a fresh process)
        scale = float(max(A.max(), -A.min()))
        D = A - A.T
        asym = float(max(D.max(), -D.min()))
        if asym > SYMMETRY_RTOL * scale:
            i, j = np.unravel_index(int(np.argmax(np.abs(D))), A.shape)
            raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got entries "
                             f"[{i}][{j}] = {A[i, j]:.17g} and [{j}][{i}] = {A[j, i]:.17g} "
                             f"(tolerance {SYMMETRY_RTOL:g} relative)")
        A = np.divide(np.add(A, A.T, out=D), 2, out=D)
        diag = np.diag(A)
        if diag.min() <= 0:
            i = int(np.argmin(diag))
            raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got diagonal "
                             f"entry [{i}][{i}] = {diag[i]:.6g}")
        return A, k

    def vector(self, v: Any, name: str = "theta0", d: int | None = None) -> np.ndarray:
        a = _floats(_flat(v, name, d), name)
        return a.reshape(-1, 1)

    def condition_limit(self) -> float:
        return COND_WARN

    def text(self, x: Any) -> str:
        return f"{float(x):.10g}"

    def json(self, x: Any) -> float:
        return float(x)


def _cholesky_or_refuse(A: np.ndarray, name: str, k: int) -> None:
    """float64's positive-definiteness rule, its last step: A's Cholesky factorisation exists."""
    try:
        np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got one that is "
                         f"not positive definite in float64 (its Cholesky factorisation fails)") from None


class Condition:
    """Sigma's condition number ``||A||_1 ||A^-1||_1`` in float64, deferred: calling it computes
    :func:`_condition` (one d x d inverse, 2 d^3 flops) once and keeps it, the same number as
    :meth:`Float64.spd` returns. ``proved``: a bound on it that :func:`proves_condition_below`
    proved (None: none), so that :meth:`at_most` decides ``cond <= limit`` without the inverse
    for a limit at least 10 times that bound."""

    def __init__(self, A: np.ndarray, proved: float | None = None) -> None:
        self._A = A
        self._proved = proved
        self._value: float | None = None

    def __call__(self) -> float:
        if self._value is None:
            self._value = _condition(self._A)
        return self._value

    @property
    def measured(self) -> bool:
        """Whether the number has been computed (the inverse taken)."""
        return self._value is not None

    def at_most(self, limit: float) -> bool:
        """Whether ``self() <= limit``: True without the inverse where a bound of at most
        ``limit / 10`` was proved (the computed number differs from the exact one by a relative
        error of order ``d cond u``: see :func:`proves_condition_below`), else by the number itself."""
        if self._value is None and self._proved is not None and self._proved <= limit / 10:
            return True
        return self() <= limit


def proves_condition_below(A: np.ndarray, bound: float) -> bool:
    r"""Whether one Cholesky factorisation proves ``||A||_1 ||A^-1||_1 <= bound`` for a symmetric
    float64 matrix A (False: not proved, the condition number may still be below).

    With ``n1 = ||A||_1``, ``u = 2^-53`` and ``mu = sqrt(d) n1 / bound + delta``,
    ``delta = 4 d (d + 1) u n1``: if the Cholesky factorisation of ``fl(A - mu I)`` runs to the end,
    its factor satisfies ``L L^T = fl(A - mu I) + E`` with ``|E| <= gamma_{d+1} |L| |L^T|`` (Higham,
    *Accuracy and Stability of Numerical Algorithms*, Theorem 10.3; its proof uses only that the
    factorisation completes), so ``||E||_2 <= ||L||_F^2 gamma_{d+1} = gamma_{d+1} trace(L L^T) <=
    gamma_{d+1} d max_i a_ii / (1 - gamma_{d+1})``, and the shift itself is rounded by at most
    ``u n1`` on the diagonal (mu < n1, else the first pivot is negative and the factorisation
    stops): both together below ``delta`` (a_ii <= n1; a factor 2 to spare for a blocked
    factorisation's constants). Then
    ``lambda_min(A) >= mu - delta``, ``||A^-1||_2 <= 1 / (mu - delta)`` and, a column's 1-norm being
    at most sqrt(d) times its 2-norm, ``||A^-1||_1 <= sqrt(d) / (mu - delta) = bound / n1``.
    The condition number computed in float64 (:func:`_condition`) then differs from that bound's
    subject by a relative error of order ``d cond u`` (about 1e-6 at d = 1000, cond = 1e7), so
    :meth:`Condition.at_most` asks this for a tenth of its limit. Only for 1e-250 <= n1 <= 1e250,
    where the factorisation cannot overflow and what underflows is far below ``delta``."""
    d = A.shape[0]
    n1 = float(np.max(np.sum(np.abs(A), axis=0)))
    if not (1e-250 <= n1 <= 1e250 and bound > 0):  # no overflow, and underflow far below delta
        return False
    u = 2.0 ** -53
    mu = np.sqrt(d) * n1 / bound + 4 * d * (d + 1) * u * n1
    B = A.copy()
    B.flat[::d + 1] -= mu
    try:
        np.linalg.cholesky(B)
    except np.linalg.LinAlgError:
        return False
    return True


def _proof_implies_cholesky(d: int, bound: float) -> bool:
    """Whether what :func:`proves_condition_below` proved of a d x d A (``lambda_min(A) >= sqrt(d)
    ||A||_1 / bound``) makes A's own Cholesky factorisation in float64 certain to succeed: by
    Higham's Theorem 10.7 (after Demmel) it does where ``lambda_min(H) > d gamma_{d+1} / (1 -
    gamma_{d+1})``, H = D^-1/2 A D^-1/2 with D = diag(A), and ``lambda_min(H) >= lambda_min(A) /
    max_i a_ii >= sqrt(d) / bound``; asked with a factor 2 to spare (at d = 4096 and bound 1e7 the
    two sides are 6e-6 and 4e-9)."""
    gamma = (d + 1) * 2.0 ** -53
    gamma /= 1 - gamma
    return np.sqrt(d) / bound > 2 * d * gamma / (1 - gamma)


def _condition(A: np.ndarray) -> float:
    """||A||_1 ||A^{-1}||_1 in float64 (within a factor d of the 2-norm one); inf when singular."""
    try:
        with np.errstate(all="ignore"):
            inv = np.linalg.inv(A)
            cond = float(np.max(np.sum(np.abs(A), axis=0)) * np.max(np.sum(np.abs(inv, out=inv), axis=0)))
    except np.linalg.LinAlgError:
        return float("inf")
    return cond if np.isfinite(cond) else float("inf")


# ----------------------------------------------------------------------------- mpmath

class MP(Arithmetic):
    """An mpmath context with ``precision`` significant decimal digits (its own context)."""

    name = "mp"

    def __init__(self, precision: int = DEFAULT_PRECISION) -> None:
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) or precision < 1:
            raise ValueError(f"precision: expected an integer >= 1 (significant digits), got {precision!r}")
        import mpmath
        self.precision = int(precision)
        self.ctx = mpmath.MPContext()
        self.ctx.dps = self.precision

    def label(self) -> str:
        return f"mpmath ({self.precision} digits)"

    def number(self, x: Any) -> Any:
        ctx = self.ctx
        if isinstance(x, sp.Basic):
            if x.is_Rational:
                return ctx.mpf(int(x.p)) / int(x.q)
            return ctx.mpf(str(sp.N(x, self.precision + 10)))
        if hasattr(x, "numerator") and hasattr(x, "denominator") and not isinstance(x, float):
            return ctx.mpf(int(x.numerator)) / int(x.denominator)
        if type(x).__module__.startswith("mpmath"):
            return ctx.mpf(x)
        return ctx.mpf(float(x))

    def matrix(self, M: Any) -> Any:
        if isinstance(M, self.ctx.matrix):
            return M
        if isinstance(M, sp.MatrixBase):
            rows = [[self.number(x) for x in M.row(i)] for i in range(M.rows)]
        elif isinstance(M, np.ndarray):
            rows = [[self.number(x) for x in r] for r in (M.reshape(-1, 1) if M.ndim == 1 else M).tolist()]
        elif type(M).__module__.startswith("mpmath"):
            rows = [[self.number(x) for x in r] for r in M.tolist()]
        else:
            rows = [[self.number(x) for x in (r if isinstance(r, (list, tuple)) else [r])] for r in M]
        return self.ctx.matrix(rows)

    def eye(self, d: int) -> Any:
        return self.ctx.eye(d)

    def zeros(self, r: int, c: int) -> Any:
        return self.ctx.zeros(r, c)

    def matmul(self, A: Any, B: Any) -> Any:
        return A * B

    def inv(self, A: Any) -> Any:
        return self.ctx.inverse(A)

    def solve(self, A: Any, b: Any) -> Any:
        return self.ctx.lu_solve(A, b)

    def trace(self, A: Any) -> Any:
        return self.ctx.fsum(A[i, i] for i in range(A.rows))

    def trace_product(self, A: Any, B: Any) -> Any:
        return self.ctx.fsum(A[i, j] * B[j, i] for i in range(A.rows) for j in range(A.cols))

    def shape(self, A: Any) -> tuple[int, int]:
        return (A.rows, A.cols)

    def is_matrix(self, x: Any) -> bool:
        return isinstance(x, self.ctx.matrix)

    def block(self, A: Any, rows: slice, cols: slice) -> Any:
        return A[rows.start:rows.stop, cols.start:cols.stop]

    def put(self, A: Any, r0: int, c0: int, B: Any) -> None:
        for i in range(B.rows):
            for j in range(B.cols):
                A[r0 + i, c0 + j] = B[i, j]

    def sqrt(self, x: Any) -> Any:
        return self.ctx.sqrt(x)

    def to_float(self, x: Any) -> float:
        return float(x)

    def to_sympy(self, x: Any) -> Any:
        return sp.Float(x, self.precision)

    def spd(self, S: Any, name: str = "Sigma", d: int | None = None) -> tuple[Any, float]:
        floats = _floats(S, name)  # finiteness, reality and shape, before any mp work
        k = _check_square(floats.shape, name, d)
        A = self.matrix(S if not isinstance(S, np.ndarray) else S)
        ctx = self.ctx
        scale = max(abs(A[i, j]) for i in range(k) for j in range(k))
        tol = ctx.mpf(10) ** (2 - self.precision) * scale
        for i in range(k):
            for j in range(i):
                if abs(A[i, j] - A[j, i]) > tol:
                    raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got entries "
                                     f"[{i}][{j}] = {ctx.nstr(A[i, j], 17)} and [{j}][{i}] = {ctx.nstr(A[j, i], 17)} "
                                     f"(tolerance 1e{2 - self.precision} relative)")
        A = (A + A.T) / 2
        for i in range(k):
            if A[i, i] <= 0:
                raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got diagonal "
                                 f"entry [{i}][{i}] = {ctx.nstr(A[i, i], 6)}")
        try:
            ctx.cholesky(A)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{name}: expected a symmetric positive definite {k}x{k} matrix, got one that is "
                             f"not positive definite at {self.precision} digits (its Cholesky factorisation "
                             f"fails)") from None
        cond = _condition((floats + floats.T) / 2)
        if cond == float("inf"):  # singular in float64: measure it in the context
            inv = ctx.inverse(A)
            norm = lambda M: max(ctx.fsum(abs(M[i, j]) for i in range(k)) for j in range(k))  # noqa: E731
            cond = float(norm(A) * norm(inv))
        return A, cond

    def vector(self, v: Any, name: str = "theta0", d: int | None = None) -> Any:
        flat = _flat(v, name, d)
        _floats(flat, name)  # finite and real, before any mp work
        return self.matrix([[x] for x in flat])

    def condition_limit(self) -> float:
        return 10.0 ** min(self.precision / 2, 300)

    def text(self, x: Any) -> str:
        return self.ctx.nstr(x, self.precision)

    def json(self, x: Any) -> str:
        return self.ctx.nstr(x, self.precision)


#: the exact arithmetic and float64 (each has one instance; mp one per precision)
EXACT = Exact()
FLOAT64 = Float64()


def as_arithmetic(name: Any, precision: Any = None) -> Arithmetic:
    """The arithmetic called ``name`` (``"exact"``, ``"float"``, ``"mp"``, or an
    :class:`Arithmetic` passed through); ``precision`` (digits) goes with ``mp`` only (default
    :data:`DEFAULT_PRECISION`). A ValueError naming the argument otherwise."""
    if isinstance(name, Arithmetic):
        if precision is not None and precision != name.precision:
            raise ValueError(f"precision: {precision!r} given beside the arithmetic {name.label()}")
        return name
    if name not in ARITHMETICS:
        raise ValueError(f"arithmetic: expected one of {', '.join(ARITHMETICS)}, got {name!r}")
    if name == "mp":
        return MP(DEFAULT_PRECISION if precision is None else precision)
    if precision is not None:
        raise ValueError(f"precision: goes with arithmetic 'mp' only, got arithmetic {name!r}")
    return EXACT if name == "exact" else FLOAT64
