r"""Two ways of fine-tuning compared at equal error, at any setting: which is lower, by how much,
and where the order flips.

A comparison puts two *sides* (:mod:`proofs.quantities.compare_curves`) side by side: early
stopping along a strategy's gradient-descent path (``path:value``), the minimisers of the mixed
loss ``E(0; theta_0) + lambda E(n_ft; theta_0)`` (``mixed:5``), or one strategy's end point
(``point:value-fewshot:inf``).  Each side is a curve of fine-tuned points; a point of each is
*matched* with a point of the other where a named error, the *level*, is equal (the zero-shot
error on theta_0 by default: ``match``).  Over every level both sides reach (the common range
[lo, hi]), for each error column (``E(n; theta_0)``, ``E(n; -theta_0)``, n = inf the limit):

* which side has the lower error, piece by piece, and how much lower (the largest gap on each
  piece, and the gap at ``levels`` evenly spaced levels);
* the levels where the order flips (the crossings): exact (algebraic numbers, from resultants
  and exact root isolation, the order between them certified by interval arithmetic:
  :mod:`proofs.quantities.compare_exact`) when both sides are exact curves, float64 otherwise
  (:mod:`proofs.quantities.compare_float`).

Exact at rational settings up to d = :data:`proofs.quantities.limits.MAX_EXACT_D` where the path's
excited Hessian eigenvalues are rational with small ratios; float64 at any d up to
:data:`proofs.quantities.limits.MAX_D`.  ``compare(...)`` returns a :class:`Comparison`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import sympy as sp

from proofs.quantities.compare_curves import (ZERO_SHOT, Column, MixedSide, PathSide, PointSide, build_curve,
                                              parse_column, parse_side)

__all__ = ["compare", "Comparison", "ColumnComparison", "Crossing", "Column", "PathSide", "MixedSide", "PointSide",
           "parse_column", "parse_side", "default_columns", "MAX_LEVELS", "MAX_COMPARE_D", "GRID"]

#: at most this many evenly spaced levels in the table of one comparison
MAX_LEVELS = 1000
#: the largest d compared (float64; exact stops at proofs.quantities.limits.MAX_EXACT_D): a comparison
#: costs O(d^3), about 12 s of CPU at d = 1,000 (bench/bench_compare.py), so minutes at d = 2,048 and
#: a quarter of an hour at the settings' own bound d = 4,096
MAX_COMPARE_D = 1024
#: levels of the dense float grid kept for the figure
GRID = 201


@dataclass
class Crossing:
    """A level where the order of the two sides flips (``kind`` ``crossing``) or where they touch
    without flipping (``touch``, numeric): ``level`` (float), ``exact`` (the level as a SymPy
    number, a rational or a CRootOf; None in float), the common ``value``, each side's own
    parameter there (``left``/``right``: tau, t or lambda)."""

    level: float
    exact: Any
    kind: str
    value: float
    left: dict
    right: dict


@dataclass
class ColumnComparison:
    """One error column: ``lower`` (``left``, ``right``, ``equal`` or None when the order flips or
    there is no common level), ``pieces`` ``[(lo, hi, lower, largest gap |left - right|)]`` over
    the open range (the gaps read from the comparison's grid when ``pieces`` is first read),
    ``ends`` (lower at lo and at hi), ``crossings``, ``how`` (``exact``, ``numeric`` or
    ``float``), ``detail`` (how it was shown)."""

    column: Column
    lower: str | None
    _pieces: list
    ends: tuple
    crossings: list
    how: str
    detail: str
    levels: list = field(default_factory=list)   # per table level: (left, right, lower)
    #: computes the comparison's grid and the pieces' gaps on first read of ``pieces`` (None: done)
    _fill: Any = field(default=None, repr=False, compare=False)

    @property
    def pieces(self) -> list:
        if self._fill is not None:
            self._fill()
        return self._pieces

    @pieces.setter
    def pieces(self, value: list) -> None:
        self._pieces = value

    @property
    def flips(self) -> bool:
        return any(c.kind == "crossing" for c in self.crossings)

    def counts(self) -> dict:
        """How many of the table's levels each side is lower at."""
        out = {"left": 0, "right": 0, "equal": 0}
        for _, _, low in self.levels:
            out[low] += 1
        return out


@dataclass
class Comparison:
    """The result of :func:`compare`."""

    left: Any
    right: Any
    match: Column
    columns: list
    lo: Any
    hi: Any
    arithmetic: str
    sides: dict
    table: list                       # evenly spaced levels (exact or float)
    _grid: Any                        # the grid (below), or the _LazyGrid that computes it when first read
    setting: dict
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    #: the one-line warning an ill-conditioned Sigma calls for in float64, or None
    warning: str | None = None

    @property
    def grid(self) -> dict:
        """``{"levels": array, column: {"left": array, "right": array}, "own": ...}`` (:func:`_grid`),
        computed when first read (with the pieces' gaps)."""
        return self._grid.get() if isinstance(self._grid, _LazyGrid) else self._grid

    @property
    def common(self) -> bool:
        return self.lo is not None

    def column(self, c: Any) -> ColumnComparison:
        c = parse_column(c)
        return next(x for x in self.columns if x.column == c)

    def winner(self, c: Any) -> str | None:
        """``left``, ``right``, ``equal`` or None (flips / no common level) for column c."""
        return self.column(c).lower


def default_columns(left: Any, right: Any) -> list[Column]:
    """n_ft-shot and n -> oo errors on theta_0 and -theta_0, n_ft the mixed side's (5 if none)."""
    n = next((s.n_ft for s in (left, right) if isinstance(s, MixedSide)), 5)
    return [Column(n, "target"), Column(n, "opposite"), Column(None, "target"), Column(None, "opposite")]


def _setting(d: Any, Sigma: Any, theta0: Any, sigma2: Any, m: Any, arithmetic: Any) -> Any:
    """The validated :class:`proofs.quantities.setting.Setting`, in exact or float64 arithmetic."""
    from symbolic.arithmetic import EXACT, FLOAT64
    from proofs.quantities.setting import setting
    s = setting(d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=m, arithmetic=arithmetic)
    if s.arith not in (EXACT, FLOAT64):
        raise ValueError(f"arithmetic: compare works in exact or float arithmetic, got {s.arith.label()}")
    return s


def compare(left: Any = "path:value", right: Any = "mixed:5", *, columns: Sequence[Any] | None = None,
            match: Any = ZERO_SHOT, d: int | None = None, sigma2: Any = sp.Rational(1, 10), m: Any = None,
            Sigma: Any = None, theta0: Any = None, arithmetic: str | None = None, eta: Any = None,
            levels: int = 9, spec_loader: Any = None) -> Comparison:
    """Compare ``left`` and ``right`` at equal ``match`` error over their common range of levels.

    ``left``/``right``: ``path:S`` (early stopping along S's gradient flow, or gradient descent
    with step ``eta``), ``mixed:N_FT``, ``point:S[:N_FT]`` or side objects; ``columns``: errors
    ``N:TASK`` (default :func:`default_columns`); ``match``: the error that sets the level
    (default ``0:target``, the zero-shot error on theta_0); setting ``d`` (default: from Sigma or
    theta0, else 5), ``Sigma`` (identity), ``theta0`` (e_1), ``sigma2``, ``m`` (None: oo);
    ``arithmetic`` None (exact for d <= MAX_EXACT_D, float above), ``exact`` or ``float``;
    ``levels``: evenly spaced levels in the table (0 .. :data:`MAX_LEVELS`)."""
    t0 = time.process_time()
    from proofs.quantities import validation as V
    if eta is not None:
        eta = V.real(eta, "eta")
        if not eta > 0:
            raise ValueError(f"eta: expected a number > 0, got {eta!r}")
    L = parse_side(left, eta=eta, spec_loader=spec_loader)
    R = parse_side(right, eta=eta, spec_loader=spec_loader)
    mcol = parse_column(match)
    cols = [parse_column(c) for c in (columns if columns is not None else default_columns(L, R))]
    if not cols:
        raise ValueError("columns: expected at least one error column")
    cols = list(dict.fromkeys(cols))
    levels = _levels_arg(levels)
    if isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > MAX_COMPARE_D:
        raise ValueError(_too_large(d))
    s = _setting(5 if d is None and Sigma is None and theta0 is None else d, Sigma, theta0, sigma2, m, arithmetic)
    if s.d > MAX_COMPARE_D:
        raise ValueError(_too_large(s.d))
    need = list(dict.fromkeys([mcol] + cols))
    curves = {"left": build_curve(L, need, s), "right": build_curve(R, need, s)}
    from proofs.quantities.compare_curves import ExactCurve
    exact = all(isinstance(c, ExactCurve) for c in curves.values())
    notes = [f"{k}: {n}" for k, c in curves.items() for n in c.notes]
    if exact:
        out = _exact_comparison(curves, mcol, cols, levels)
    else:
        fl = {k: (c.to_float() if isinstance(c, ExactCurve) else c) for k, c in curves.items()}
        if s.arith.exact:
            notes.append("float64: a side is not an exact curve at this setting (see its parameter)")
        out = _float_comparison(fl, mcol, cols, levels)
    lo, hi, table, columns_out, sides = out
    grid = _LazyGrid(curves, mcol, cols, lo, hi, columns_out)   # for figures and the gaps: when read
    setting = {"d": s.d, "sigma2": s.sigma2, "m": None if s.m == sp.oo else int(s.m), "Sigma": "identity" if Sigma is None else "given",
               "theta0": "e_1" if theta0 is None else "given", "eta": eta}
    return Comparison(L, R, mcol, columns_out, lo, hi, "exact" if exact else "float", sides, table, grid, setting, notes,
                      time.process_time() - t0, None if exact else _condition_warning(s))


def _too_large(d: int) -> str:
    return (f"d: expected d <= {MAX_COMPARE_D} for compare (its cost grows as d^3: about 12 s of CPU at d = 1,000, "
            f"minutes beyond d = 2,000), got {d}")


def _condition_warning(s: Any) -> str | None:
    """The float64 condition warning of the setting's Sigma, with compare's own remedy (it has no mp)."""
    from proofs.quantities.limits import MAX_EXACT_D
    from symbolic.arithmetic import FLOAT64
    cond = s.condition
    if cond is None:  # exact setting compared in float64 (a side that is not an exact curve)
        with np.errstate(all="ignore"):
            cond = float(np.linalg.cond(np.array(s.Sigma.tolist(), dtype=float), 1))
    text = FLOAT64.condition_warning(cond)
    if not text:
        return None
    head = text.split("; use ")[0]
    return head + ("; use --arithmetic exact (d <= 10, rational Sigma)" if s.d <= MAX_EXACT_D else
                   "; compare has no higher precision above d = 10")


def _levels_arg(levels: Any) -> Any:
    """``levels``: an integer 0 .. MAX_LEVELS (that many evenly spaced interior levels) or a
    sequence of at most MAX_LEVELS real numbers (those levels, inside the common range)."""
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        if not 0 <= levels <= MAX_LEVELS:
            raise ValueError(f"levels: expected an integer 0 <= levels <= {MAX_LEVELS}, got {levels!r}")
        return int(levels)
    if isinstance(levels, (str, bytes, bool)) or not hasattr(levels, "__iter__"):
        raise ValueError(f"levels: expected an integer 0 <= levels <= {MAX_LEVELS} or a sequence of levels, "
                         f"got {levels!r}")
    from proofs.quantities import validation as V
    out = [V.real(z, "levels") for z in levels]
    if len(out) > MAX_LEVELS:
        raise ValueError(f"levels: expected at most {MAX_LEVELS} levels, got {len(out)}")
    return out


def _table(lo: Any, hi: Any, k: Any, exact: bool) -> list:
    """The table's levels: k evenly spaced interior ones, or the given ones (checked inside [lo, hi])."""
    if isinstance(k, int):
        if exact:
            return [lo + (hi - lo) * sp.Rational(i, k + 1) for i in range(1, k + 1)]
        return [lo + (hi - lo) * i / (k + 1) for i in range(1, k + 1)]
    out = [sp.Rational(z) if exact else float(z) for z in k]
    bad = [z for z in out if not lo <= z <= hi]
    if bad:
        raise ValueError(f"levels: expected levels inside the common range [{float(lo):.10g}, {float(hi):.10g}], "
                         f"got {float(bad[0]):.10g}")
    return out


# ----------------------------------------------------------------------------- exact

def _side_info(curve: Any, lo: Any, hi: Any) -> dict:
    return {"label": curve.side.label, "key": curve.side.key, "param": curve.param, "point": bool(curve.point),
            "levels": (lo, hi)}


def _exact_comparison(curves: dict, mcol: Column, cols: list, k: int):
    from proofs.quantities import compare_exact as X
    A, B = (X.exact_side(curves[s], mcol) for s in ("left", "right"))
    sides = {"left": _side_info(curves["left"], A.lo, A.hi), "right": _side_info(curves["right"], B.lo, B.hi)}
    lo, hi = max(A.lo, B.lo), min(A.hi, B.hi)
    if lo > hi:
        return None, None, [], [_no_common(c) for c in cols], sides
    if lo == hi:  # one common level (a point side)
        out = []
        for c in cols:
            sign, how = X.exact_sign(A, B, c, lo)
            out.append(ColumnComparison(c, _who(sign), [(lo, hi, _who(sign), None)], (_who(sign), _who(sign)), [],
                                        "numeric" if how == "numeric" else "exact",
                                        f"one common level {sp.sstr(lo)} ({_how(how)})"))
        return lo, hi, [lo], _with_levels_exact(out, A, B, [lo]), sides
    table = _table(lo, hi, k, exact=True)
    out = []
    for c in cols:
        r = X.exact_pieces(A, B, c, lo, hi)
        crossings = [_exact_crossing(A, B, c, cand, "crossing") for cand in r["crossings"]]
        crossings += [_exact_crossing(A, B, c, cand, "touch") for cand in r["touches"]]
        crossings.sort(key=lambda x: x.level)
        pieces = [(a if not isinstance(a, X.Candidate) else _level_of(A, a),
                   b if not isinstance(b, X.Candidate) else _level_of(A, b), _who(sg), None)
                  for a, b, sg in r["pieces"]]
        lowers = {p[2] for p in pieces}
        lower = next(iter(lowers)) if len(lowers) == 1 else None
        if r["coincide"]:
            detail = "the two curves coincide on this column (the two equations share a factor)"
        else:
            detail = (f"resultant of degree {r['degree']} in the left side's parameter, {r['candidates']} root(s) at a "
                      f"level inside the range; the order on each piece certified by interval arithmetic at a "
                      f"rational level")
            if r["touches"]:
                detail += f"; {len(r['touches'])} touching point(s) (numeric, 25 digits)"
        how = r["how"] if not r["touches"] else "numeric"
        ends = tuple(_who(sg) for sg, _ in r["ends"])
        out.append(ColumnComparison(c, lower, pieces, ends, crossings, how, detail))
    return lo, hi, table, _with_levels_exact(out, A, B, table), sides


def _level_of(A: Any, cand: Any) -> Any:
    from proofs.quantities.compare_exact import crossing_level
    if not hasattr(cand, "_level"):
        cand._level = crossing_level(A, cand)
    return cand._level


def _exact_crossing(A: Any, B: Any, c: Column, cand: Any, kind: str) -> Crossing:
    from proofs.quantities.compare_exact import _enclose_ratio
    level = _level_of(A, cand)
    a, b = cand.p
    va = _enclose_ratio(A.nd(c), a, b)
    pb = B.param(cand.mid)
    pa_f = float((a + b) / 2)
    pb_f = float((pb[0] + pb[1]) / 2)
    return Crossing(float(sp.N(level, 30)), level, kind, float(va.mid),
                    A.curve.native(pa_f), B.curve.native(pb_f))


def _with_levels_exact(out: list, A: Any, B: Any, table: list) -> list:
    from proofs.quantities.compare_exact import exact_sign, value_near
    for cc in out:
        rows = []
        for z in table:
            params: list = []
            sign, _ = exact_sign(A, B, cc.column, z, params)
            pa, pb = params
            rows.append((value_near(A.nd(cc.column), *pa), value_near(B.nd(cc.column), *pb), _who(sign)))
        cc.levels = rows
    return out


def _who(sign: int) -> str:
    return "right" if sign > 0 else "left" if sign < 0 else "equal"


def _how(how: str) -> str:
    return {"certified": "certified by interval arithmetic", "exact": "equal exactly",
            "numeric": "equal to 50 digits, not shown exactly"}.get(how, how)


def _no_common(c: Column) -> ColumnComparison:
    return ColumnComparison(c, None, [], (None, None), [], "exact", "the two sides reach no common level")


# ----------------------------------------------------------------------------- float

def _float_comparison(curves: dict, mcol: Column, cols: list, k: int):
    from proofs.quantities import compare_float as F
    A, B = (F.float_side(curves[s], mcol) for s in ("left", "right"))
    sides = {"left": _side_info(curves["left"], A.lo, A.hi), "right": _side_info(curves["right"], B.lo, B.hi)}
    lo, hi = max(A.lo, B.lo), min(A.hi, B.hi)
    tol = 1e-12 * max(abs(lo), abs(hi), 1e-300)
    if lo > hi + tol:
        return None, None, [], [_no_common(c) for c in cols], sides
    if hi - lo <= tol:
        z = np.array([lo])
        va, vb = A.at(z)[1], B.at(z)[1]
        out = []
        for c in cols:
            w = _who_float(va[c][0], vb[c][0])
            cc = ColumnComparison(c, w, [(lo, hi, w, abs(float(va[c][0] - vb[c][0])))], (w, w), [], "float",
                                  "one common level (float64)")
            cc.levels = [(float(va[c][0]), float(vb[c][0]), w)]
            out.append(cc)
        return lo, hi, [lo], out, sides
    table = _table(lo, hi, k, exact=False)
    tz = np.asarray(table, dtype=float)
    pa, va = A.at(tz) if len(table) else (None, {})
    pb, vb = B.at(tz) if len(table) else (None, {})
    out = []
    for c in cols:
        levels, zs, ds = F.float_crossings(A, B, c, lo, hi)
        crossings = []
        for z in levels:
            zz = np.array([z])
            qa, fa = A.at(zz)
            qb, _fb = B.at(zz)
            crossings.append(Crossing(float(z), None, "crossing", float(fa[c][0]), A.curve.native(qa[0]),
                                      B.curve.native(qb[0])))
        bounds = [lo] + levels + [hi]
        pieces = [(a, b, _who_float(_mid_d(A, B, c, (a + b) / 2), 0.0), None) for a, b in zip(bounds[:-1], bounds[1:])]
        ends = tuple(_who_float(float(A.at(np.array([z]))[1][c][0]), float(B.at(np.array([z]))[1][c][0]))
                     for z in (lo, hi))
        lowers = {p[2] for p in pieces}
        cc = ColumnComparison(c, next(iter(lowers)) if len(lowers) == 1 else None, pieces, ends, crossings, "float",
                              f"float64: the sign of the difference read at {F.SIGN_LEVELS} levels, each change "
                              "refined by Brent's method (crossings closer than the spacing of those levels can be "
                              "missed)")
        cc.levels = [(float(va[c][i]), float(vb[c][i]), _who_float(va[c][i], vb[c][i])) for i in range(len(table))]
        out.append(cc)
    return lo, hi, table, out, sides


def _mid_d(A: Any, B: Any, c: Column, z: float) -> float:
    zz = np.array([z])
    return float(A.at(zz)[1][c][0] - B.at(zz)[1][c][0])


def _who_float(a: float, b: float) -> str:
    tol = 1e-12 * max(abs(float(a)), abs(float(b)), 1e-300)
    return "equal" if abs(float(a) - float(b)) <= tol else ("left" if a < b else "right")


# ----------------------------------------------------------------------------- the figure's grid, the gaps

class _LazyGrid:
    """The figure's grid (:func:`_grid`) and the pieces' largest gaps (:func:`_gaps`), computed
    once, when the comparison's ``grid`` or a column's ``pieces`` is first read (a verdict needs
    neither)."""

    def __init__(self, curves: dict, mcol: Column, cols: list, lo: Any, hi: Any, columns: list) -> None:
        self._args: Any = (curves, mcol, cols, lo, hi)
        self._columns = columns
        self._value: dict | None = None
        for cc in columns:
            cc._fill = self.get

    def get(self) -> dict:
        if self._value is None:
            for cc in self._columns:
                cc._fill = None
            self._value = _grid(*self._args)
            self._args = None
            _gaps(self._columns, self._value)
        return self._value


def _grid(curves: dict, mcol: Column, cols: list, lo: Any, hi: Any) -> dict:
    """Both sides on :data:`GRID` levels over the common range (float64, read from each side's
    table), for figures and the gaps; each side also over its own range (``own``)."""
    from proofs.quantities import compare_float as F
    from proofs.quantities.compare_curves import ExactCurve
    fl = {k: (c.to_float() if isinstance(c, ExactCurve) else c) for k, c in curves.items()}
    sides = {k: F.float_side(c, mcol) for k, c in fl.items()}
    out: dict = {"levels": np.zeros(0), "own": {}}
    for k, sd in sides.items():
        if sd.point:
            out["own"][k] = {"levels": np.array([sd.lo]), **{c: sd.interp(np.array([sd.lo]))[c] for c in cols}}
        else:
            zs = np.linspace(sd.lo, sd.hi, GRID)
            vals = sd.interp(zs)
            out["own"][k] = {"levels": zs, **{c: vals[c] for c in cols}}
    if lo is None:
        return out
    zs = np.linspace(float(sp.N(lo)), float(sp.N(hi)), GRID if float(sp.N(hi)) > float(sp.N(lo)) else 1)
    out["levels"] = zs
    va, vb = sides["left"].interp(zs), sides["right"].interp(zs)
    for c in cols:
        out[c] = {"left": va[c], "right": vb[c]}
    return out


def _gaps(columns: list, grid: dict) -> None:
    """The largest |left - right| on each piece, from the grid."""
    zs = grid.get("levels")
    if zs is None or not len(zs):
        return
    for cc in columns:
        d = np.abs(grid[cc.column]["left"] - grid[cc.column]["right"])
        pieces = []
        for a, b, who, gap in cc.pieces:
            fa, fb = float(sp.N(a)), float(sp.N(b))
            inside = (zs >= fa) & (zs <= fb)
            pieces.append((a, b, who, float(d[inside].max()) if inside.any() else gap))
        cc.pieces = pieces
