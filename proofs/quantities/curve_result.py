"""The result of an n-shot error curve (:class:`CurveResult`) and the noise's standard deviation
as numeric evaluations bind it (:func:`noise_scale`), without SymPy.

Every route that answers a curve returns one (:mod:`proofs.quantities.curves`: the closed form
in any arithmetic and explicit parameters; :mod:`proofs.quantities.compiled_curves`: a closed
form in float64 from its generated evaluator). It lives apart so that a float64 curve can be
built and printed without loading SymPy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CurveResult", "InArithmetic", "noise_scale"]


class InArithmetic:
    """A result computed in an arithmetic ``arith`` (a :class:`symbolic.arithmetic.Arithmetic`, None
    for exact): its name and precision, as outputs print them."""

    arith: Any = None

    @property
    def arithmetic(self) -> str:
        """The arithmetic's name: ``exact``, ``float`` or ``mp``."""
        return "exact" if self.arith is None else self.arith.name

    @property
    def precision(self) -> int | None:
        return None if self.arith is None else self.arith.precision


@dataclass
class CurveResult(InArithmetic):
    """``n`` (shots), ``error`` (floats), ``limit`` (float, n -> oo); ``exact`` and
    ``exact_limit`` hold the exact SymPy values (exact arithmetic; empty and None otherwise),
    ``formula`` the error as a function of n (exact closed forms; None otherwise, or SymPy's
    nan where a route has none); ``values`` and ``limit_value`` the values in the arithmetic
    ``arith`` (floats, or mpmath numbers of its precision)."""

    n: list[int]
    error: list[float]
    limit: float
    exact: list[Any] = field(default_factory=list)
    exact_limit: Any = None
    formula: Any = None
    arith: Any = None
    values: list[Any] = field(default_factory=list)
    limit_value: Any = None
    #: Sigma's condition number (float and mp), and the warning it calls for (or None); it may be
    #: given as a zero-argument callable (:class:`symbolic.arithmetic.Condition`), called once at
    #: its first read: a text curve, which does not print it, never computes it
    condition: float | None = None
    warning: str | None = None
    #: ``closed form``, or ``at this setting only`` (the concrete minimiser's parameters)
    route: str = "closed form"

    def __post_init__(self) -> None:
        exact = self.arith is None or self.arith.exact
        if not self.values:
            self.values = list(self.exact) if exact else list(self.error)
        if self.limit_value is None:
            self.limit_value = self.exact_limit if exact else self.limit


def _read_condition(self: CurveResult) -> float | None:
    value = self.__dict__["_condition"]
    if callable(value):
        value = self.__dict__["_condition"] = value()
    return value


def _write_condition(self: CurveResult, value: Any) -> None:
    self.__dict__["_condition"] = value


# a property over the field: the dataclass's __init__, ==, repr and replace go through it
CurveResult.condition = property(_read_condition, _write_condition,  # type: ignore[assignment]
                                 doc="Sigma's condition number (float and mp), computed at the first read")


def noise_scale(num: Any, sigma2: Any) -> Any:
    """The noise's standard deviation sigma = sqrt(sigma^2) as a numeric evaluation of a closed
    form binds it (``sigma2`` as given or exact; None for 0). In float64 the square root of
    sigma^2 rounded once to a double (``num.sqrt(num.number(sigma2))``), which needs no SymPy,
    so the generated evaluators (:mod:`proofs.quantities.compiled_curves`) bind the very same
    number; in mp the exact square root (SymPy), converted at the context's precision."""
    from symbolic.arithmetic import FLOAT64
    sigma2 = 0 if sigma2 is None else sigma2
    if num == FLOAT64:
        return num.sqrt(num.number(sigma2))
    import sympy
    return sympy.sqrt(sigma2)
