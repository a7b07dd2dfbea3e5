"""The documented upper bounds on what the toolkit accepts (docs/cli.md, "Limits").

Each bound keeps one call within seconds and modest memory, or keeps numbers within
what the output can report; the command line and :mod:`proofs.api` refuse anything
beyond it before any work, with a message naming the bound. Measured on a 2-core
machine (the commands are in the comments).

Standard library only (the command line imports this at start-up); the bounds on numbers
(:data:`MAX_COUNT`, the real range, :data:`MAX_NUMBER_CHARS`) are :mod:`symbolic.numbers`'s, the
one definition every layer reads.
"""
from __future__ import annotations

from symbolic.numbers import COND_WARN, DEFAULT_PRECISION, MAX_COUNT, MAX_NUMBER_CHARS, MAX_REAL, MIN_REAL, in_range

__all__ = ["MAX_D", "MAX_EXACT_D", "MAX_MP_D", "MAX_PRECISION", "DEFAULT_PRECISION", "COND_WARN",
           "max_file_bytes", "MAX_COUNT", "MAX_POINTS", "MAX_SAMPLES", "MAX_SEED", "MAX_REAL", "MIN_REAL",
           "MAX_NUMBER_CHARS", "MAX_FILE_BYTES", "MAX_EXACT_CPU_SECONDS", "in_range",
           "MAX_STEPS", "MAX_ROWS", "MAX_NUMERIC_STEPS", "MAX_TRAINED_ENTRIES",
           "MAX_NUMERIC_ENTRIES"]

#: dimension d of x evaluated in exact rationals: the default below it, refused above it when
#: asked for (``--arithmetic exact``). Measured (2 busy cores) with a dense tridiagonal rational
#: Sigma, m = 7, n_ft = 3: ``curve --n 0:100`` d = 6 4 s, d = 10 6 s, d = 20 3 minutes;
#: ``params --sigma2 0.1`` d = 10 3 s, d = 20 37 s (with Sigma = I, d = 20 takes seconds)
MAX_EXACT_D = 10
#: dimension d of x (``--d``, the size of ``--Sigma``/``--theta0``, ``error --params``) in float64:
#: O(d^3) time, a few d x d float64 arrays of memory (128 MiB each at d = 4096); bench/bench_anyd.py
#: measures d = 10 .. 4000
MAX_D = 4096
#: dimension d in mpmath (``--arithmetic mp``): pure-Python O(d^3) multiplications, about 1 s per
#: d x d product at d = 64 and 50 digits
MAX_MP_D = 128
#: mpmath precision (``--precision``, significant decimal digits): 1 .. 10,000; DEFAULT_PRECISION (50) and
#: COND_WARN (Sigma's condition number above which a float64 evaluation warns) are symbolic.numbers'
MAX_PRECISION = 10_000

#: MAX_COUNT (shots and context lengths: ``--n``'s ends, ``--m``, ``--n-ft``, a params file's ``n``,
#: at most 10^12, far beyond any prompt) is symbolic.numbers'.
#: values of n in one ``curve`` call (``--n A:B`` has B - A + 1 of them); 10,000 take ~1 s
MAX_POINTS = 10_000
#: Monte Carlo samples per formula (``verify --samples``): time is linear, ~9 s per 10^6 for
#: the 139 formulas, so 10^8 is about 15 minutes (with a progress line on a terminal)
MAX_SAMPLES = 10**8
#: seeds (``--seed``): numpy's 64-bit seed range
MAX_SEED = 2**64 - 1
#: MAX_REAL, MIN_REAL (real numbers: ``--sigma2``, ``--scale``, the entries of JSON files, are 0 or a
#: magnitude in [1e-300, 1e300]) are symbolic.numbers'.
#: MAX_NUMBER_CHARS (characters in one written number) is symbolic.numbers'.
#: bytes read from one JSON input file (``--Sigma``, ``--theta0``, ``--params``, ``--spec``); a
#: 22 x 22 matrix of long exact fractions is well under it. A ``.npy`` Sigma may be larger:
#: :func:`max_file_bytes`
MAX_FILE_BYTES = 8 * 2**20
#: CPU seconds an exact command (derive, params, curve, frontier, error) may spend before it is
#: refused (exit status 3, proofs.cli.budget): each input is bounded, but some combinations are
#: still slow (measured on 2 busy cores: a spec training vx, vy at n = 3 from an explicit start
#: V's last row (0, 1/2, 1), Q_xx = I, d = 1: 18-40 s; ``params --strategy value --m 5`` with a
#: dense d = 10 ``--Sigma`` of 300-digit fractions: over 2 minutes), while every documented
#: command finishes in under 10 s
MAX_EXACT_CPU_SECONDS = 30


def max_file_bytes(d: int = MAX_D, npy: bool = False) -> int:
    """The size limit of an input file that may describe a d x d matrix: MAX_FILE_BYTES for JSON
    up to the exact range; beyond it, what d^2 numbers take (32 bytes each in JSON, 8 in a
    ``.npy`` of float64, plus a header), never less than MAX_FILE_BYTES."""
    per = 8 if npy else 32
    return max(MAX_FILE_BYTES, per * d * d + 4096)

#: gradient-descent steps of ``trajectory --steps`` (the closed form costs the same at any step,
#: so this only keeps the powers (1 - eta h)^t and the step numbers exact in float64: 2^53 > 10^9)
MAX_STEPS = 10**9
#: rows one ``trajectory`` call records (``--steps / --every + 1``; twice that for two stages)
MAX_ROWS = 100_000
#: steps of a numeric (not closed-form) trajectory, ``trajectory --numeric``: each step
#: evaluates the exact gradient of the quartic population loss
MAX_NUMERIC_STEPS = 100_000
#: trained entries of a numeric optimum (``derive --numeric``): BFGS with central differences from 4
#: starts evaluates the exact loss (~0.2 ms) 2 x entries times per gradient, up to 500 iterations per
#: start; 48 entries stay within the 30 s budget (all of V's last row and Q at d = 3 is 32; at d = 10, 144)
MAX_NUMERIC_ENTRIES = 48
#: trained entries of one ``trajectory`` (the Hessian is that size squared, one symmetric
#: eigendecomposition): V's last row up to d = 2498, Q_xx up to d = 50
MAX_TRAINED_ENTRIES = 2500
