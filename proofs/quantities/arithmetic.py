"""Which arithmetic evaluates a question at a concrete setting: chosen once, at the edge.

The derived formulas are symbolic in d; evaluating one at explicit Sigma, theta_0 takes an
arithmetic (:mod:`symbolic.arithmetic`: an object carrying the operations, as an mpmath
context does):

- exact rationals (the reference): the default for d <= :data:`proofs.quantities.limits.MAX_EXACT_D`,
  and only there (rational entries grow fast with d);
- float64 (numpy), O(d^3): the default above MAX_EXACT_D, up to :data:`proofs.quantities.limits.MAX_D`;
- mpmath with ``precision`` significant digits, up to :data:`proofs.quantities.limits.MAX_MP_D`: the
  remedy for an ill-conditioned Sigma.

:func:`choose` makes the choice and enforces those bounds; everything below receives the
:class:`symbolic.arithmetic.Arithmetic` it returns.
"""
from __future__ import annotations

from typing import Any

from proofs.quantities import limits as L

__all__ = ["choose"]


def choose(d: int, arithmetic: Any = None, precision: Any = None) -> Any:
    """The :class:`symbolic.arithmetic.Arithmetic` for dimension ``d``: ``arithmetic`` None is
    exact for d <= MAX_EXACT_D and float64 above (mp when only ``precision`` is given); a name
    (``"exact"``, ``"float"``, ``"mp"``) or an Arithmetic is checked against its own bound.
    ``precision`` (digits, 1 .. MAX_PRECISION) goes with mp only (default 50)."""
    from symbolic.arithmetic import EXACT, FLOAT64, as_arithmetic
    if arithmetic is None:
        if precision is None:
            return EXACT if d <= L.MAX_EXACT_D else FLOAT64
        arithmetic = "mp"
    if precision is not None and (isinstance(precision, bool) or not hasattr(precision, "__index__")
                                  or not 1 <= int(precision) <= L.MAX_PRECISION):
        raise ValueError(f"precision: expected an integer 1 <= precision <= {L.MAX_PRECISION} "
                         f"(significant digits), got {precision!r}")
    arith = as_arithmetic(arithmetic, None if precision is None else int(precision))
    if arith.precision is not None and d > L.MAX_MP_D:
        raise ValueError(f"arithmetic: mp is limited to d <= {L.MAX_MP_D} (pure-Python O(d^3) "
                         f"arithmetic), got d = {d}; use float")
    if arith.exact and d > L.MAX_EXACT_D:
        raise ValueError(f"arithmetic: exact arithmetic is limited to d <= {L.MAX_EXACT_D} (rational entries "
                         f"grow fast with d), got d = {d}; use float or mp")
    return arith
