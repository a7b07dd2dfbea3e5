"""Exact numbers written as text, and the bounds every layer puts on numbers (standard library only).

The one parser of written numbers in the toolkit: a decimal (``0.1``, ``-2.5e-3``) or a
fraction (``2/3``) in ASCII digits becomes the exact :class:`fractions.Fraction` it denotes
(``0.1`` is 1/10, not the double nearest it). The command line's options, the JSON files it
reads and the JSON specs all read numbers through :func:`read_real`.

The bounds keep every number that enters within what the outputs can report:

- a real number is 0 or has magnitude in [10^-300, 10^300] (:func:`in_range`), so that every
  input and the floats the output reports stay finite and a non-zero input never rounds to 0;
- a written number has at most :data:`MAX_NUMBER_CHARS` characters, and an absurd exponent
  (``1e999999999``) is refused from its digits, before any big power of 10 is built;
- shots and context lengths are at most :data:`MAX_COUNT` (far beyond any prompt).

Standard library only: the command line imports this at start-up (through
:mod:`proofs.quantities.limits`), before it knows whether SymPy is needed.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

__all__ = ["read_real", "exact_number", "in_range", "shown", "MAX_COUNT", "MAX_REAL_EXP", "MAX_REAL",
           "MIN_REAL", "MAX_NUMBER_CHARS", "REAL_RANGE", "looks_like_number", "DEFAULT_PRECISION",
           "COND_WARN"]

#: shots and context lengths: n, m, n_ft <= 10^12
MAX_COUNT = 10**12
#: real numbers: 0 or a magnitude in [10^-MAX_REAL_EXP, 10^MAX_REAL_EXP]
MAX_REAL_EXP = 300
MAX_REAL = Fraction(10) ** MAX_REAL_EXP
MIN_REAL = 1 / MAX_REAL
#: characters in one written number (digits, point, exponent, fraction bar)
MAX_NUMBER_CHARS = 4000
#: the range of :func:`in_range`, as messages say it
REAL_RANGE = "0 or a magnitude between 1e-300 and 1e300"
#: the arithmetics' defaults (:mod:`symbolic.arithmetic`): mp's significant decimal digits when none
#: are given, and the condition number of Sigma above which float64 values may have lost digits
#: (the relative error of an inverse may reach cond * 2^-53 ~ cond * 1e-16, so 1e8 leaves ~8 digits)
DEFAULT_PRECISION = 50
COND_WARN = 1e8

_DECIMAL = re.compile(r"\s*([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*\Z", re.ASCII)
_RATIO = re.compile(r"\s*([+-]?[0-9]+)\s*/\s*([0-9]+)\s*\Z", re.ASCII)


def shown(x: Any, limit: int = 40) -> str:
    """``repr(x)`` on one line (line breaks and runs of spaces as one space), cut to about
    ``limit`` characters, for a one-line message. An integer or fraction too long to write
    (Python refuses to print integers of more than 4300 digits) is described by its size."""
    if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        parts = (x.numerator, x.denominator) if isinstance(x, Fraction) else (x,)
        if any(abs(p).bit_length() > 3 * MAX_NUMBER_CHARS for p in parts):
            digits = " / ".join(f"{int(abs(p).bit_length() * 0.30103) + 1} digits" for p in parts)
            return f"a number of {digits}"
        text = str(x)
    else:
        try:
            text = " ".join(repr(x).split())
        except ValueError:  # an object holding an integer too long to print
            text = f"{type(x).__name__} too long to print"
    return text if len(text) <= limit else text[: limit - 10] + f"... ({len(text)} characters)"


def in_range(x: Fraction | int) -> bool:
    """Whether ``x`` is 0 or has magnitude in [1e-300, 1e300]."""
    return x == 0 or MIN_REAL <= abs(x) <= MAX_REAL


def looks_like_number(text: str) -> bool:
    """Whether ``text`` is written as a decimal or a fraction (whatever its size)."""
    return bool(_DECIMAL.match(text) or _RATIO.match(text))


def read_real(text: str) -> Fraction | None:
    """The exact value of a decimal or a fraction written in ASCII digits, or None when ``text``
    is neither, is longer than :data:`MAX_NUMBER_CHARS`, has a zero denominator, or lies outside
    :func:`in_range`. An exponent is read from its digits first: ``1e999999999`` is refused
    without building the number."""
    if not isinstance(text, str) or len(text) > MAX_NUMBER_CHARS:
        return None
    match = _DECIMAL.match(text)
    if match:
        sign, mantissa, exponent = match.groups()
        whole, _, frac = mantissa.partition(".")
        if not (whole + frac).strip("0"):
            return Fraction(0)
        if exponent is not None and len(exponent.lstrip("+-").lstrip("0")) > 6:
            return None
        e = int(exponent) if exponent is not None else 0
        # decimal exponent of the leading digit, known before any big power of 10 is built
        lead = len(whole.lstrip("0")) - 1 if whole.strip("0") else -(len(frac) - len(frac.lstrip("0")) + 1)
        if not -302 <= e + lead <= 301:
            return None
        value = Fraction(sign + mantissa + (f"e{exponent}" if exponent is not None else ""))
    else:
        match = _RATIO.match(text)
        if not match or int(match.group(2)) == 0:
            return None
        value = Fraction(int(match.group(1)), int(match.group(2)))
    return value if in_range(value) else None


def exact_number(text: str, where: str) -> Fraction:
    """:func:`read_real`, or a ValueError naming ``where`` and the expected form."""
    value = read_real(text)
    if value is None:
        raise ValueError(f"{where}: expected a number such as 2, 1/2 or 0.25 ({REAL_RANGE}), got {shown(text)}")
    return value
