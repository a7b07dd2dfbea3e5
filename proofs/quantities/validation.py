"""Checks of :mod:`proofs.api`'s arguments: a ``ValueError`` or ``TypeError`` naming the argument
and what it expects, before any work, and the bounds of :mod:`proofs.quantities.limits`.

Accepted forms: integers as Python or NumPy integers (``numpy.int64(2)``) or integral SymPy
numbers; real numbers as ``int``, ``float``, :class:`fractions.Fraction`, NumPy real scalars
or SymPy numbers (floats are read exactly: ``0.1`` is the double nearest 1/10); matrices as
lists of rows, NumPy arrays or SymPy matrices. Booleans, strings, complex numbers and
symbols are refused where a number is needed.
"""
from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from proofs.quantities import limits as L

__all__ = ["dimension", "count", "counts", "real", "matrix_like", "samples", "seed", "task", "angle",
           "task_or_angle", "size_of", "spec_dimension", "theta0_once", "SettingInputs", "setting_inputs"]


def _type(x: Any) -> str:
    return type(x).__name__


def _as_int(x: Any) -> int | None:
    """``x`` as an int if it is an integer of Python, NumPy or SymPy (not a bool), else None."""
    if isinstance(x, bool):
        return None
    try:
        return operator.index(x)
    except TypeError:
        pass
    if getattr(x, "is_Integer", False):  # sympy.Integer
        return int(x)
    return None


def dimension(d: Any, name: str = "d", *, optional: bool = False) -> int | None:
    """An integer 1 <= d <= MAX_D (None allowed when ``optional``)."""
    if d is None and optional:
        return None
    k = _as_int(d)
    if k is None:
        raise TypeError(f"{name}: expected an integer 1 <= {name} <= {L.MAX_D}, got {d!r} ({_type(d)})")
    if not 1 <= k <= L.MAX_D:
        raise ValueError(f"{name}: expected an integer 1 <= {name} <= {L.MAX_D} "
                         f"(dense d x d float64 arrays), got {k}")
    return k


def count(x: Any, name: str, *, minimum: int = 0, allow_inf: bool = False,
          maximum: int = L.MAX_COUNT) -> int | None:
    """An integer ``minimum <= x <= maximum``; with ``allow_inf``, None/``inf``/``sympy.oo`` -> None."""
    if allow_inf and (x is None or (isinstance(x, float) and x == math.inf) or str(x) in ("oo", "inf")):
        return None
    k = _as_int(x)
    if k is None and isinstance(x, float) and x.is_integer():
        k = int(x)
    expected = f"an integer {minimum} <= {name} <= {maximum}" + (" or None (infinity)" if allow_inf else "")
    if k is None:
        raise TypeError(f"{name}: expected {expected}, got {x!r} ({_type(x)})")
    if not minimum <= k <= maximum:
        raise ValueError(f"{name}: expected {expected}, got {k}")
    return k


def counts(ns: Any, name: str = "ns") -> list[int]:
    """A sequence of at most MAX_POINTS integers 0 <= n <= MAX_COUNT (an entry's message names ``n``)."""
    if ns is None or isinstance(ns, (str, bytes)) or not hasattr(ns, "__iter__"):
        raise TypeError(f"{name}: expected a sequence of integers >= 0, got {ns!r} ({_type(ns)})")
    if hasattr(ns, "__len__") and len(ns) > L.MAX_POINTS:
        raise ValueError(f"{name}: expected at most {L.MAX_POINTS} values, got {len(ns)}")
    out = []
    for k in ns:
        out.append(count(k, "n"))
        if len(out) > L.MAX_POINTS:
            raise ValueError(f"{name}: expected at most {L.MAX_POINTS} values, got more")
    return out  # type: ignore[return-value]


def real(x: Any, name: str, *, nonnegative: bool = False, nonzero: bool = False, positive: bool = False) -> Any:
    """A finite real number within the real range of :mod:`proofs.quantities.limits`, returned as given
    (NumPy scalars as Python numbers); refuses bools, strings, complex numbers and symbols."""
    if positive:
        nonnegative = nonzero = True
    want = "a finite real number" + (" > 0" if positive else (" >= 0" if nonnegative else "") +
                                     (" != 0" if nonzero else ""))
    if isinstance(x, bool) or isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected {want}, got {x!r} ({_type(x)})")
    value: Fraction | None = None
    if isinstance(x, numbers.Integral):
        x = int(x)
        value = Fraction(x)
    elif isinstance(x, numbers.Rational):
        value = Fraction(x.numerator, x.denominator)
    elif isinstance(x, numbers.Real) and not hasattr(x, "free_symbols"):
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"{name}: expected {want}, got {x!r}")
        value = Fraction(x)
    elif getattr(x, "is_number", False) and getattr(x, "is_real", False) and getattr(x, "is_finite", False):
        try:
            value = Fraction(x.p, x.q) if getattr(x, "is_Rational", False) else Fraction(float(x))
        except (TypeError, ValueError, OverflowError):
            value = None
    if value is None:
        if isinstance(x, complex) or getattr(x, "is_real", None) is False:
            raise TypeError(f"{name}: expected {want}, got the complex number {x!r}")
        if getattr(x, "free_symbols", None):
            raise TypeError(f"{name}: expected {want}, got the expression {x} (it has symbols)")
        raise TypeError(f"{name}: expected {want}, got {x!r} ({_type(x)})")
    if (nonnegative and value < 0) or (nonzero and value == 0):
        raise ValueError(f"{name}: expected {want}, got {x!r}")
    if not L.in_range(value):
        shown = repr(x) if len(repr(x)) <= 60 else repr(x)[:50] + "..."
        raise ValueError(f"{name}: expected 0 or a magnitude between 1e-300 and 1e300, got {shown}")
    return x


def matrix_like(M: Any, name: str, *, vector: bool = False, extra: int = 0) -> Any:
    """A matrix (or, with ``vector``, a vector) given as nested lists, a NumPy array or a SymPy
    matrix, with at most MAX_D (+ ``extra``) rows; None passes (a default). Entries are checked
    by the backend; this refuses strings, scalars and absurd sizes before any work."""
    if M is None:
        return None
    what = "a vector (a list of numbers, a NumPy array or a SymPy column)" if vector else \
        "a matrix (a list of rows, a NumPy array or a SymPy matrix)"
    if isinstance(M, (str, bytes, dict)) or isinstance(M, (numbers.Number,)) or getattr(M, "is_number", False) \
            or not (hasattr(M, "__len__") or hasattr(M, "shape")):
        raise TypeError(f"{name}: expected {what}, got {M!r} ({_type(M)})")
    rows = M.shape[0] if hasattr(M, "shape") and len(getattr(M, "shape", ())) >= 1 else len(M)
    if vector and hasattr(M, "shape") and len(M.shape) == 2 and M.shape[0] == 1:
        rows = M.shape[1]
    if rows > L.MAX_D + extra:
        raise ValueError(f"{name}: expected at most {L.MAX_D + extra} rows (d <= {L.MAX_D}), got {rows}")
    return M


def samples(x: Any) -> int:
    """Monte Carlo samples: an integer 2 <= samples <= MAX_SAMPLES."""
    return count(x, "samples", minimum=2, maximum=L.MAX_SAMPLES)  # type: ignore[return-value]


def seed(x: Any) -> int:
    """A seed: an integer 0 <= seed <= 2^64 - 1."""
    return count(x, "seed", minimum=0, maximum=L.MAX_SEED)  # type: ignore[return-value]


def task(x: Any) -> str:
    """``'target'`` or ``'opposite'``."""
    if x not in ("target", "opposite"):
        raise ValueError(f"task: expected 'target' or 'opposite', got {x!r}")
    return x


def size_of(Sigma: Any, theta0: Any) -> int | None:
    """The d that Sigma (or theta0) gives, None if neither is given."""
    for M in (Sigma, theta0):
        if M is not None:
            shape = getattr(M, "shape", None)
            if shape is not None and len(shape) >= 1:
                return int(max(shape)) if M is theta0 else int(shape[0])
            return len(M)
    return None


def angle(phi: Any) -> Any:
    """A task angle: a real number (int, float, Fraction, NumPy or SymPy real), |phi| <= 10^6,
    returned as an exact SymPy number (``sympy.pi/2`` stays exact; a float is read exactly)."""
    import sympy
    from proofs.quantities.angles import MAX_ANGLE
    if isinstance(phi, bool) or phi is None:
        raise TypeError(f"task: expected 'target', 'opposite' or an angle in radians, got {phi!r}")
    if isinstance(phi, numbers.Real) and not isinstance(phi, numbers.Rational) and not hasattr(phi, "free_symbols"):
        phi = float(phi)  # NumPy floats too; NaN and inf are refused below, never read as 0
        if not math.isfinite(phi):
            raise ValueError(f"task: expected a finite angle in radians, |phi| <= {MAX_ANGLE}, got {phi!r}")
    try:
        value = sympy.Rational(phi) if isinstance(phi, float) else sympy.sympify(phi, strict=True)
    except (sympy.SympifyError, TypeError, ValueError):
        raise TypeError(f"task: expected 'target', 'opposite' or an angle in radians, got {phi!r}") from None
    if not (value.is_real and value.is_finite and value.is_number) or abs(float(value)) > MAX_ANGLE:
        shown = repr(phi) if len(repr(phi)) <= 40 else repr(phi)[:30] + f"... ({len(repr(phi))} characters)"
        raise ValueError(f"task: expected an angle in radians, |phi| <= {MAX_ANGLE}, got {shown}")
    return value


def task_or_angle(x: Any) -> Any:
    """``'target'``, ``'opposite'`` or an angle (:func:`angle`)."""
    return task(x) if isinstance(x, str) else angle(x)


def spec_dimension(question: Any, d: int | None) -> None:
    """A spec's given vectors and matrices (its ``bindings``) have the dimension d of the call,
    and its ranks fit their blocks at that d (:func:`symbolic.spec.check_ranks`)."""
    for name, value in getattr(question, "bindings", ()) or ():
        rows = getattr(value, "shape", (None,))[0]
        if d is not None and rows is not None and rows != d:
            raise ValueError(f"strategy: the spec gives {name} with {rows} rows, so d = {rows}; got d = {d}")
    if d is not None and getattr(question, "ranks", ()):
        from symbolic.spec import check_ranks
        check_ranks(question, d)


def theta0_once(theta0: Any, theta_0: Any) -> Any:
    """The target task, given as ``theta0`` or by its other spelling ``theta_0`` (not both)."""
    if theta0 is not None and theta_0 is not None:
        raise ValueError("theta0: given twice, as theta0 and as theta_0 (the same argument; give one)")
    return theta_0 if theta0 is None else theta0


@dataclass(frozen=True)
class SettingInputs:
    """A setting's arguments checked (:func:`setting_inputs`), as plain values: ``d`` (None:
    symbolic), ``Sigma`` and ``theta0`` as matrices of ``arith`` (None at symbolic d; identity
    and e_1 filled in), ``sigma2`` and ``scale`` as given (None: symbolic sigma^2), ``m`` and
    ``n_ft`` integers or None (infinity), ``arith`` the arithmetic (None at symbolic d),
    ``condition`` Sigma's condition number where the arithmetic measures it (deferred where asked:
    :func:`setting_inputs`), ``given`` which of
    Sigma, theta0 the caller gave. :func:`proofs.quantities.setting.setting` makes the
    :class:`~proofs.quantities.setting.Setting` of it (exact SymPy numbers); a float64 curve from
    a generated evaluator uses it as it is, without SymPy."""

    d: int | None
    Sigma: Any
    theta0: Any
    sigma2: Any
    m: int | None
    n_ft: int | None
    scale: Any
    arith: Any
    condition: Any  # float | symbolic.arithmetic.Condition | None
    given: dict


def setting_inputs(d: Any = None, *, Sigma: Any = None, theta0: Any = None, sigma2: Any = None, m: Any = None,
                   n_ft: Any = None, scale: Any = 1, arithmetic: Any = None, precision: Any = None,
                   defer_condition: bool = False) -> SettingInputs:
    """Every check of a setting's arguments, in order (the arguments of
    :func:`proofs.quantities.setting.setting`): d, the sizes of Sigma and theta0, m, n_ft,
    sigma2 >= 0, scale != 0, the arithmetic for that d (:func:`proofs.quantities.arithmetic.choose`),
    Sigma by the arithmetic's one positive-definiteness rule and theta0 as its vector. A
    ``ValueError`` or ``TypeError`` naming the argument otherwise. Loads SymPy only where the
    arithmetic is exact or mp, or where a value given is a SymPy object. ``defer_condition``: in
    float64, ``condition`` is a :class:`symbolic.arithmetic.Condition` (the same number, computed
    at its first call) for a caller that may not need it."""
    from proofs.quantities.arithmetic import choose
    d = dimension(d, optional=True)
    Sigma = matrix_like(Sigma, "Sigma")
    theta0 = matrix_like(theta0, "theta0", vector=True)
    mm = count(m, "m", allow_inf=True, minimum=1)
    nn = count(n_ft, "n_ft", allow_inf=True, minimum=1)
    s2 = None if sigma2 is None else real(sigma2, "sigma2", nonnegative=True)
    C = real(scale, "scale", nonzero=True)
    if d is None:
        d = size_of(Sigma, theta0)
    given = {"Sigma": Sigma is not None, "theta0": theta0 is not None}
    if d is None:
        if arithmetic not in (None, "exact") or precision is not None:
            raise ValueError("arithmetic: float and mp need a concrete setting (d, Sigma or theta0)")
        return SettingInputs(None, None, None, s2, mm, nn, C, None, None, given)
    arith = choose(d, arithmetic, precision)
    if Sigma is None:
        S, cond = arith.eye(d), (None if arith.exact else 1.0)
    else:
        S, cond = (arith.spd_deferred if defer_condition else arith.spd)(Sigma, "Sigma", d)
    t0 = arith.vector(theta0 if theta0 is not None else [1] + [0] * (d - 1), "theta0", d)
    return SettingInputs(d, S, t0, s2, mm, nn, C, arith, cond, given)
