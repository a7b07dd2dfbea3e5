r"""Two curves compared at equal level in float64 (any d): :mod:`proofs.quantities.compare`'s path
where a side is not exact.

A side's level ``g(p)`` (the matched error along its parameter p in [0, 1]) is tabulated on a
fixed grid of p (uniform, and geometric towards p = 0 where a path's fast modes have died out),
checked monotone there, and inverted at the asked levels by bisection inside the table's
bracket, vectorised over the levels (:data:`BISECTIONS` halvings: the bracket's width times
2^-BISECTIONS, far below float64 resolution).  The difference ``D(z) = f_left(p_left(z)) -
f_right(p_right(z))`` of a column is read at :data:`SIGN_LEVELS` levels across the common range;
each change of sign is refined by Brent's method on D (scipy.optimize.brentq).  Two crossings
closer together than the spacing of those levels can be missed: the float path says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["FloatSide", "float_side", "float_crossings", "SIGN_LEVELS", "BISECTIONS", "MONOTONE_RTOL"]

#: levels across the common range at which each column's sign is read (float path)
SIGN_LEVELS = 400
#: bisection steps inverting the level inside the table's bracket
BISECTIONS = 52
#: a table is monotone when no step goes the wrong way by more than this times its range
MONOTONE_RTOL = 1e-9


@lru_cache(maxsize=1)
def _table_grid() -> np.ndarray:
    """The fixed grid of p every table is read on (computed once; read-only)."""
    geo = np.exp(-np.linspace(0.0, 60.0, 400))           # p from 1 down to e^-60 (the limit's side)
    lin = np.linspace(0.0, 1.0, 301)
    out = np.unique(np.concatenate([lin, geo, [0.0, 1.0]]))
    out.flags.writeable = False
    return out


@dataclass
class FloatSide:
    """One curve in float64 with its table over p: ``lo``/``hi`` the level range,
    ``increasing`` whether the level grows with p; ``at(levels)`` -> (params, {column: values})
    by bisection (accurate), ``interp(levels)`` -> {column: values} from the table (for
    reading signs and drawing)."""

    curve: Any
    match: Any
    ps: np.ndarray
    table: dict
    lo: float
    hi: float
    increasing: bool

    @property
    def point(self) -> bool:
        return bool(self.curve.point)

    def _sorted(self) -> tuple[np.ndarray, np.ndarray, dict]:
        g = self.table[self.match]
        if self.increasing:
            return g, self.ps, self.table
        return g[::-1], self.ps[::-1], {c: v[::-1] for c, v in self.table.items()}

    def params(self, levels: np.ndarray) -> np.ndarray:
        """The parameter at each level (levels inside [lo, hi]; clipped to it), by bisection
        inside the table's bracket on the matched error alone."""
        levels = np.clip(np.atleast_1d(np.asarray(levels, dtype=float)), self.lo, self.hi)
        if self.point:
            return np.zeros_like(levels)
        g, p, _ = self._sorted()
        i = np.clip(np.searchsorted(g, levels, side="left"), 1, len(g) - 1)
        a, b = np.minimum(p[i - 1], p[i]), np.maximum(p[i - 1], p[i])
        for _ in range(BISECTIONS):
            mid = (a + b) / 2
            gm = self.curve.values(mid, only=self.match)[self.match]
            below = gm < levels
            go_right = below if self.increasing else ~below
            a = np.where(go_right, mid, a)
            b = np.where(go_right, b, mid)
        return (a + b) / 2

    def at(self, levels: np.ndarray) -> tuple[np.ndarray, dict]:
        ps = self.params(levels)
        return ps, self.curve.values(ps)

    def interp(self, levels: np.ndarray) -> dict:
        levels = np.atleast_1d(np.asarray(levels, dtype=float))
        if self.point:
            return {c: np.full(levels.shape, float(v[0])) for c, v in self.table.items()}
        g, _, tab = self._sorted()
        return {c: np.interp(levels, g, v) for c, v in tab.items()}


def float_side(curve: Any, match: Any) -> FloatSide:
    """The table of ``curve`` (a :class:`proofs.quantities.compare_curves.FloatCurve`);
    ValueError when the matched error is not monotone along it."""
    if curve.point:
        tab = {c: np.asarray(v, dtype=float).reshape(-1)[:1] for c, v in curve.values(np.zeros(1)).items()}
        v = float(tab[match][0])
        return FloatSide(curve, match, np.zeros(1), tab, v, v, True)
    ps = _table_grid()
    tab = {c: np.asarray(v, dtype=float) for c, v in curve.values(ps).items()}
    gs = tab[match]
    bad = next((c for c in [match, *tab] if not np.all(np.isfinite(tab[c]))), None)
    if bad is not None:  # an overflow of float64, not a property of the match (was: "match: ... is not finite")
        raise ValueError(f"theta0: {bad} exceeds float64's range (|x| > 1.8e308 on the way) along the "
                         f"{curve.side.key} side; at sigma2 = 0 every error is ||theta0||^2 times that at "
                         "theta0 / ||theta0||: a smaller theta0 answers the same question")
    span = float(gs.max() - gs.min())
    steps = np.diff(gs)
    tol = MONOTONE_RTOL * max(span, abs(float(gs.max())), 1e-300)
    if span <= tol:
        raise ValueError(f"match: {match} is constant along {curve.side.label} (every point has one level): "
                         "compare its end point instead")
    increasing = float(gs[-1] - gs[0]) > 0
    wrong = steps < -tol if increasing else steps > tol
    if wrong.any():
        k = int(np.argmax(wrong))
        raise ValueError(f"match: {match} is not monotone along {curve.side.label} (it turns near p = {ps[k]:.4g}): "
                         "a level does not name one point; match another error")
    # flat stretches in float64 (the tail of a path): keep the table monotone for the search
    tab[match] = np.maximum.accumulate(gs) if increasing else np.minimum.accumulate(gs)
    return FloatSide(curve, match, ps, tab, float(tab[match].min()), float(tab[match].max()), increasing)


def float_crossings(A: FloatSide, B: FloatSide, column: Any, lo: float, hi: float) -> tuple[list, np.ndarray, np.ndarray]:
    """The levels in (lo, hi) where ``column`` of A and B cross: the sign of D read from the two
    tables at :data:`SIGN_LEVELS` levels, each change refined by Brent's method on D computed by
    bisection; returns the crossings, the levels read and D there."""
    from scipy.optimize import brentq
    zs = np.linspace(lo, hi, SIGN_LEVELS + 2)[1:-1]

    def D(z: float) -> float:
        zz = np.array([z])
        return float(A.at(zz)[1][column][0] - B.at(zz)[1][column][0])
    ds = A.interp(zs)[column] - B.interp(zs)[column]
    out = []
    for i in range(len(zs) - 1):
        if ds[i] * ds[i + 1] < 0:
            a, b = float(zs[i]), float(zs[i + 1])
            da, db = D(a), D(b)
            if da * db < 0:
                out.append(float(brentq(D, a, b, xtol=1e-15 * max(1.0, abs(hi)), rtol=1e-15)))
            elif da == 0 or db == 0:
                out.append(a if da == 0 else b)
    return out, zs, ds
