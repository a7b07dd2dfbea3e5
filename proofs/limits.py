"""The documented upper bounds on what the toolkit accepts (docs/cli.md, "Limits").

Each bound keeps one call within seconds and modest memory, or keeps numbers within
what the output can report; the command line and :mod:`proofs.api` refuse anything
beyond it before any work, with a message naming the bound. Measured on a 2-core
machine (the commands are in the comments).

Standard library only (the command line imports this at start-up).
"""
from __future__ import annotations

from fractions import Fraction

__all__ = ["MAX_D", "MAX_COUNT", "MAX_POINTS", "MAX_SAMPLES", "MAX_SEED", "MAX_REAL", "MIN_REAL",
           "MAX_NUMBER_CHARS", "MAX_FILE_BYTES", "MAX_EXACT_CPU_SECONDS", "in_real_range"]

#: dimension d of x (``--d``, the size of ``--Sigma``/``--theta0``, ``error --params``): exact
#: arithmetic grows fast with d. Measured (2 busy cores) with a dense tridiagonal rational
#: Sigma, m = 7, n_ft = 3: ``curve --n 0:100`` d = 6 4 s, d = 10 6 s, d = 20 3 minutes;
#: ``params --sigma2 0.1`` d = 10 3 s, d = 20 37 s (with Sigma = I, d = 20 takes seconds)
MAX_D = 10
#: shots and context lengths (``--n``'s ends, ``--m``, ``--n-ft``, a params file's ``n``):
#: far beyond any prompt; the limit n -> infinity is printed by ``curve`` anyway
MAX_COUNT = 10**12
#: values of n in one ``curve`` call (``--n A:B`` has B - A + 1 of them); 10,000 take ~1 s
MAX_POINTS = 10_000
#: Monte Carlo samples per formula (``verify --samples``): time is linear, ~9 s per 10^6 for
#: the 139 formulas, so 10^8 is about 15 minutes (with a progress line on a terminal)
MAX_SAMPLES = 10**8
#: seeds (``--seed``): numpy's 64-bit seed range
MAX_SEED = 2**64 - 1
#: real numbers (``--sigma2``, ``--scale``, the entries of JSON files): 0 or a magnitude in
#: [MIN_REAL, MAX_REAL], so that every input and the floats the output reports stay finite
#: and a non-zero input never rounds to 0
MAX_REAL = Fraction(10) ** 300
MIN_REAL = Fraction(1, 10**300)
#: characters in one written number (digits, point, exponent, fraction bar)
MAX_NUMBER_CHARS = 4000
#: bytes read from one input file (``--Sigma``, ``--theta0``, ``--params``); a 22 x 22 matrix
#: of long exact fractions is well under it
MAX_FILE_BYTES = 8 * 2**20
#: CPU seconds an exact command (derive, params, curve, frontier, error) may spend before it is
#: refused (exit status 3, proofs.cli.budget): each input is bounded, but some combinations are
#: still slow (measured on 2 busy cores: a spec training vx, vy at n = 3 from an explicit start
#: V's last row (0, 1/2, 1), Q_xx = I, d = 1: 18-40 s; ``params --strategy value --m 5`` with a
#: dense d = 10 ``--Sigma`` of 300-digit fractions: over 2 minutes), while every documented
#: command finishes in under 10 s
MAX_EXACT_CPU_SECONDS = 30


def in_real_range(x: Fraction | int) -> bool:
    """Whether ``x`` is 0 or has magnitude in [MIN_REAL, MAX_REAL]."""
    return x == 0 or MIN_REAL <= abs(x) <= MAX_REAL
