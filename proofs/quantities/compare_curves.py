r"""The curves :mod:`proofs.quantities.compare` puts side by side, at one concrete setting.

A *side* of a comparison is a set of fine-tuned points, each with its errors
``E(V, Q, n; theta)`` (a :class:`Column`: n shots, n = 0 zero-shot, n = None the limit
n -> oo; theta = theta_0 ``target`` or -theta_0 ``opposite``).  Three kinds:

* :class:`PathSide` -- **early stopping** along the gradient-descent path of a strategy or spec
  whose loss is quadratic in what it trains (:mod:`proofs.quantities.trajectories`):
  ``u(tau) = u_* + sum_k exp(-tau h_k) w_k`` (gradient flow, the limit of small steps, tau =
  eta t) or, with a step ``eta``, ``u_t = u_* + sum_k (1 - eta h_k)^t w_k`` read at every real
  t >= 0 (the iterates are the integer t).  Parameter ``p`` in [0, 1]: ``p = exp(-g tau)`` with
  ``g`` the largest rational dividing every excited eigenvalue h_k of the Hessian, so that
  ``exp(-tau h_k) = p^(h_k/g)`` and every error is a *polynomial* in p (p = 1 the start, p -> 0
  the limit t -> oo).  With one excited mode (Sigma = I, or theta_0 an eigenvector of Sigma for
  strategy (c)) every stable step ``0 < eta h <= 1`` visits the same segment, ``p = (1 - eta h)^t``.
* :class:`MixedSide` -- the minimisers of the **mixed loss** ``E(0; theta_0) + lambda E(n_ft;
  theta_0)`` over V's last row (:mod:`proofs.quantities.frontier`, lambda >= 0, derived with
  lambda symbolic): ``p = lambda / (1 + lambda)`` (p = 0 the limit lambda -> 0+, strategy (d) at
  n_ft; p = 1 the limit lambda -> oo, the few-shot loss alone); each error a rational function of p.
  In float64 at a finite m (where the derived minimiser holds a d x d inverse depending on lambda)
  each point is the minimiser of the two losses' explicit quadratics at the setting, their pencil
  diagonalised once (:func:`_mixed_float_finite_m`).
* :class:`PointSide` -- one strategy's or spec's end point (a single level).

Exact (:class:`ExactCurve`: each error a rational function of p with rational coefficients)
where the setting is rational and the path's excited eigenvalues are rational with ratios of
at most :data:`MAX_EXACT_DEGREE`; float64 (:class:`FloatCurve`) otherwise, at any d.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import sympy as sp

__all__ = ["Column", "PathSide", "MixedSide", "PointSide", "ExactCurve", "FloatCurve", "build_curve", "P",
           "MAX_EXACT_DEGREE", "parse_column", "parse_side", "ZERO_SHOT"]

#: the curve parameter, in [0, 1]
P = sp.Symbol("p", nonnegative=True)
#: the largest power of p an exact path may carry (h_max / g); above it the path is float64
MAX_EXACT_DEGREE = 12


# ----------------------------------------------------------------------------- what is compared

@dataclass(frozen=True, order=True)
class Column:
    """The error ``E(V, Q, n; theta)``: ``n`` shots (0 zero-shot, None the limit n -> oo) on
    ``task`` ``target`` (theta_0) or ``opposite`` (-theta_0)."""

    n: int | None
    task: str = "target"

    def __post_init__(self) -> None:
        if self.task not in ("target", "opposite"):
            raise ValueError(f"columns: expected the task target or opposite, got {self.task!r}")
        if self.n is not None and (isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0):
            raise ValueError(f"columns: expected shots n an integer >= 0 or inf, got {self.n!r}")

    @property
    def name(self) -> str:
        """``E(0; theta0)``, ``E(5; -theta0)``, ``E(inf; theta0)``."""
        n = "inf" if self.n is None else str(self.n)
        return f"E({n}; {'theta0' if self.task == 'target' else '-theta0'})"

    @property
    def key(self) -> str:
        """``0:target``, ``5:opposite``, ``inf:target``: how the command line names it."""
        return f"{'inf' if self.n is None else self.n}:{self.task}"

    @property
    def latex(self) -> str:
        n = r"\infty" if self.n is None else str(self.n)
        return rf"\mathcal{{E}}({n}; {'' if self.task == 'target' else '-'}\theta_0)"

    def __str__(self) -> str:
        return self.name


#: the zero-shot error on theta_0, the default level the sides are matched at
ZERO_SHOT = Column(0, "target")


def parse_column(text: Any) -> Column:
    """``N:TASK`` (``0:target``, ``5:opposite``, ``inf:target``), ``zero_shot``, or a Column."""
    if isinstance(text, Column):
        return text
    if not isinstance(text, str):
        raise ValueError(f"columns: expected N:TASK (e.g. 5:opposite, inf:target), got {text!r}")
    t = text.strip().lower()
    if t in ("zero_shot", "zero-shot"):
        return ZERO_SHOT
    n, sep, task = t.partition(":")
    task = {"theta0": "target", "-theta0": "opposite"}.get(task, task)
    if not sep or task not in ("target", "opposite"):
        raise ValueError(f"columns: expected N:TASK with TASK target or opposite (e.g. 5:opposite), got {text!r}")
    if n in ("inf", "oo", "infinity"):
        return Column(None, task)
    if not _count(n, 0):
        raise ValueError(f"columns: expected N an integer 0 <= N <= 10^12 or inf in N:TASK, got {text!r}")
    return Column(int(n), task)


def _count(text: str, least: int) -> bool:
    """``text`` an integer in ASCII digits, least <= N <= 10^12 (symbolic.numbers.MAX_COUNT)."""
    from symbolic.numbers import MAX_COUNT
    return text.isascii() and text.isdigit() and len(text) <= 13 and least <= int(text) <= MAX_COUNT


@dataclass(frozen=True)
class PathSide:
    """Early stopping along the gradient-descent path of ``strategy`` (a name or a
    :class:`symbolic.spec.Spec`): gradient flow when ``eta`` is None, else steps of size eta."""

    strategy: Any = "value"
    eta: Any = None

    @property
    def label(self) -> str:
        name = getattr(self.strategy, "name", self.strategy)
        how = "gradient flow" if self.eta is None else f"gradient descent, eta = {sp.sstr(self.eta)}"
        return f"early stopping on {name}'s path ({how})"

    @property
    def key(self) -> str:
        return f"path:{getattr(self.strategy, 'name', self.strategy)}"


@dataclass(frozen=True)
class MixedSide:
    """The minimisers of ``E(0; theta_0) + lambda E(n_ft; theta_0)`` over V's last row, lambda >= 0."""

    n_ft: int = 5

    @property
    def label(self) -> str:
        return f"auxiliary loss E(0; theta0) + lambda E({self.n_ft}; theta0)"

    @property
    def key(self) -> str:
        return f"mixed:{self.n_ft}"


@dataclass(frozen=True)
class PointSide:
    """One strategy's (or spec's) end point; ``n_ft`` for value-fewshot (None: infinity)."""

    strategy: Any = "value-fewshot"
    n_ft: Any = None

    @property
    def label(self) -> str:
        name = getattr(self.strategy, "name", self.strategy)
        extra = "" if name != "value-fewshot" else f" at n_ft = {'inf' if self.n_ft is None else self.n_ft}"
        return f"{name}'s point{extra}"

    @property
    def key(self) -> str:
        name = getattr(self.strategy, "name", self.strategy)
        return f"point:{name}" + ("" if name != "value-fewshot" else f":{'inf' if self.n_ft is None else self.n_ft}")


def parse_side(text: Any, *, eta: Any = None, spec_loader: Callable[[str], Any] | None = None) -> Any:
    """``path:S`` (S a strategy or, with ``spec_loader``, a spec file), ``mixed:N_FT``,
    ``point:S[:N_FT]``; a side object is returned as it is."""
    if isinstance(text, (PathSide, MixedSide, PointSide)):
        return text
    if not isinstance(text, str):
        raise ValueError(f"side: expected path:S, mixed:N_FT or point:S[:N_FT], got {text!r}")
    kind, sep, rest = text.strip().partition(":")
    if not sep or kind not in ("path", "mixed", "point") or not rest:
        raise ValueError(f"side: expected path:S, mixed:N_FT or point:S[:N_FT], got {text!r}")
    if kind == "mixed":
        if not _count(rest, 1):
            raise ValueError(f"side: expected mixed:N_FT with N_FT an integer 1 <= N_FT <= 10^12, got {text!r}")
        return MixedSide(int(rest))
    name, _, nft = rest.partition(":") if kind == "point" else (rest, "", "")
    strategy = _strategy(name, spec_loader)
    if kind == "path":
        return PathSide(strategy, eta)
    n_ft = None
    if nft:
        if nft.lower() in ("inf", "oo"):
            n_ft = None
        elif _count(nft, 1):
            n_ft = int(nft)
        else:
            raise ValueError(f"side: expected point:S:N_FT with N_FT an integer 1 <= N_FT <= 10^12 or inf, got {text!r}")
    return PointSide(strategy, n_ft)


def _strategy(name: str, spec_loader: Callable[[str], Any] | None) -> Any:
    from symbolic import canonical_strategy
    try:
        return canonical_strategy(name)
    except ValueError:
        if spec_loader is not None and name.endswith(".json"):
            spec = spec_loader(name)
            if hasattr(spec, "layers"):  # a depth spec: not a one-layer side (refused, not a traceback)
                raise ValueError(f"side: {name!r} is a depth spec (L = {spec.layers} layers); compare takes one-layer "
                                 "strategies and specs (a depth spec's path: trajectory --spec)") from None
            return spec
        raise ValueError(f"side: expected a strategy (pretrain, full, value, value-fewshot, a-d)"
                         f"{' or a spec file (.json)' if spec_loader else ''}, got {name!r}") from None


# ----------------------------------------------------------------------------- curves

class _LazyColumns(Mapping):
    """``{column: expression}`` read from ``{column: polynomials}`` by ``build`` (a pair ``(N, D)``
    of Polys in :data:`P` to ``N / D``, or one Poly to itself), each expression built when first
    asked for: the comparison works on the pairs, the expressions are for callers that read a
    column as a SymPy expression."""

    def __init__(self, polys: dict, build: Callable[[Any], sp.Expr]) -> None:
        self._pairs = polys
        self._build = build
        self._built: dict = {}

    def __getitem__(self, c: Any) -> sp.Expr:
        if c not in self._built:
            self._built[c] = self._build(self._pairs[c])
        return self._built[c]

    def __iter__(self):
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


@dataclass
class ExactCurve:
    """A side at a rational setting: each column a rational function of :data:`P` on [0, 1]
    (constants for a point).  ``native(p)`` -> the side's own parameter at p (tau, t, lambda).
    ``pairs``: each column as ``(N, D)``, polynomials in P over QQ in the normal form of
    :func:`symbolic.univariate.normal_pair` (given where the side is built from polynomials,
    else computed from the column on first use: :meth:`nd`)."""

    side: Any
    columns: dict
    point: bool
    param: str
    native: Callable[[Any], dict]
    notes: list = field(default_factory=list)
    pairs: dict = field(default_factory=dict)

    def nd(self, c: Any) -> tuple[sp.Poly, sp.Poly]:
        """Column c as ``(N, D)`` (normal form), computed once."""
        if c not in self.pairs:
            from symbolic.univariate import fraction_pair
            self.pairs[c] = fraction_pair(self.columns[c], P)
        return self.pairs[c]

    def to_float(self) -> "FloatCurve":
        fns = {}
        for c in self.columns:
            num, den = self.nd(c)
            fns[c] = ([float(x) for x in num.all_coeffs()], [float(x) for x in den.all_coeffs()])

        def values(ps: np.ndarray, only: Any = None) -> dict:
            ps = np.atleast_1d(np.asarray(ps, dtype=float))
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow: float_side says so
                return {c: np.polyval(pn, ps) / np.polyval(pd, ps) for c, (pn, pd) in fns.items()
                        if only is None or c == only}
        return FloatCurve(self.side, values, self.point, self.param, self.native, list(self.notes),
                          list(self.columns))


@dataclass
class FloatCurve:
    """A side in float64: ``values(ps, only=None)`` -> {column: array} at parameters ``ps`` in
    [0, 1] (``only``: that column alone)."""

    side: Any
    values: Callable[[np.ndarray], dict]
    point: bool
    param: str
    native: Callable[[Any], dict]
    notes: list = field(default_factory=list)
    column_list: list = field(default_factory=list)


def build_curve(side: Any, columns: list, setting: Any) -> ExactCurve | FloatCurve:
    """The side's curve over ``columns`` at the setting (a :class:`proofs.quantities.setting.Setting`
    in exact or float64 arithmetic): exact where possible (module docstring)."""
    if isinstance(side, PathSide):
        return _path_curve(side, columns, setting)
    if isinstance(side, MixedSide):
        return _mixed_curve(side, columns, setting)
    if isinstance(side, PointSide):
        return _point_curve(side, columns, setting)
    raise ValueError(f"side: expected a PathSide, MixedSide or PointSide, got {side!r}")


# ----------------------------------------------------------------------------- path

@lru_cache(maxsize=1)
def _value_spec():
    """Strategy (c)'s spec (:func:`symbolic.strategies.value_spec`), built once (a Spec is immutable)."""
    from symbolic.strategies import value_spec
    return value_spec()


def _path_spec(strategy: Any):
    from symbolic.spec import Spec
    from proofs.quantities.setting import resolve
    if isinstance(strategy, Spec):
        spec = strategy
    else:
        name = resolve(strategy)
        if name == "value":
            spec = _value_spec()
        elif name == "value-fewshot":
            raise ValueError("side: path:value-fewshot runs in two stages and its second stage holds the zero-shot "
                             "error at its minimum (every point of stage 2 has one level): compare its end point "
                             "(point:value-fewshot) or the mixed loss (mixed:N_FT) instead")
        else:
            raise ValueError(f"side: path:{name}: its loss is not quadratic in what it trains (no closed-form "
                             "path); early stopping is compared along quadratic strategies and specs (value, specs "
                             "training V's last row or Q's blocks)")
    if spec.then:
        raise ValueError(f"side: path:{spec.name} has two stages; its second stage holds the first loss at its "
                         "minimum, so the path is not one curve of levels: compare its end point instead")
    return spec


def _column_quadratic(spec: Any, c: Column, s: Any, cache: dict):
    """Column c's error as an explicit quadratic in what ``spec`` trains (from its start), at the
    setting s; the spec's own loss quadratic (:func:`_own_quadratic`, kept in ``cache``, the
    cache of this setting) where the column is that loss (strategy (c)'s zero-shot error)."""
    from symbolic.explicit import explicit_quadratic
    from symbolic.spec import make_term
    n = sp.oo if c.n is None else sp.Integer(c.n)
    own = cache.get(("own quadratic", spec))
    if own is not None and not spec.then and not spec.bindings and spec.loss == (make_term((1, n, c.task)),):
        return own
    return explicit_quadratic([(1, n, c.task)], spec.train, start=spec.start, arithmetic=s.arith,
                              m=s.m, d=s.d, Sigma=s.Sigma, theta0=s.theta0, sigma2=s.sigma2, cache=cache)


def _own_quadratic(spec: Any, s: Any, cache: dict):
    """The explicit quadratic of ``spec``'s (first) loss at the setting s, kept in ``cache`` (the
    cache of this setting) for :func:`_column_quadratic`."""
    from symbolic.explicit import explicit_quadratic
    tq = explicit_quadratic(spec, arithmetic=s.arith, m=s.m, d=s.d, Sigma=s.Sigma, theta0=s.theta0,
                            sigma2=s.sigma2, cache=cache)
    cache[("own quadratic", spec)] = tq
    return tq


def _rational_gcd(xs: list) -> sp.Rational:
    nums = [sp.Rational(x).p for x in xs]
    dens = [sp.Rational(x).q for x in xs]
    return sp.Rational(math.gcd(*nums), math.lcm(*dens))


#: exact paths already computed: (spec, setting without n_ft) -> {"cache", "modes", "paths": {column: Path}}
#: (comparisons at one setting and several n_ft, or several sides, share the spec's path and its columns)
_PATHS: dict = {}
_PATHS_MAX = 64


def _path_memo(spec: Any, s: Any) -> dict:
    """The memo of spec's exact path at the setting s (its d, Sigma, theta_0, sigma^2, m: what the
    path depends on), created on first use: the explicit quadratic's cache, the modes, the
    columns' :class:`~proofs.quantities.trajectories.Path` objects."""
    def freeze(M: Any) -> Any:
        return None if M is None else tuple(map(tuple, (M if isinstance(M, sp.MatrixBase) else sp.Matrix(M)).tolist()))
    key = (spec, s.d, freeze(s.Sigma), freeze(s.theta0), s.sigma2, s.m, s.arith)
    if key not in _PATHS:
        if len(_PATHS) >= _PATHS_MAX:
            _PATHS.clear()
        _PATHS[key] = {"cache": {}, "modes": None, "paths": {}}
    return _PATHS[key]


#: sigma^2 as a symbol, for the paths derived once per (spec, d, Sigma, theta_0) at m = oo
_S2 = sp.Dummy("sigma2", nonnegative=True)
#: (spec, setting without sigma^2) -> {"cache", "free", "modes", "quadratics": {column: its quadratic in _S2},
#: "polys": {(column, powers): the path's coefficients in P as polynomials in _S2}}
_SIGMA_FREE: dict = {}


def _sigma_free(spec: Any, s: Any) -> dict | None:
    r"""The path of ``spec`` at the setting with sigma^2 a symbol, shared by every sigma^2 (exact,
    m = oo, a rational sigma^2; else None), created on first use.

    The loss gradient descent runs on (the spec's) is built once with sigma^2 a symbol (the
    explicit quadratic takes it as it takes a number); where its A, b and start do not hold it
    (``free``: V's last row on the zero-shot loss, whose prediction sees no label), the modes
    (rates h_k, directions w_k, limit u_*) are those of every sigma^2, computed once, and each
    column's path (``alpha + beta_k p^(e_k) + Gamma_kl p^(e_k+e_l)``, polynomial in sigma^2: its
    coefficients in QQ[sigma^2], :func:`_quadratic_path_coefficients`) is derived once and read at
    each sigma^2 (:func:`_column_poly`): the same exact numbers as building the column's quadratic at that
    sigma^2, without rebuilding it per sigma^2 (the remark's map of ``early-stopping-vs-auxiliary``
    reads one path at five sigma^2)."""
    from proofs.quantities.trajectories import modes
    if not (s.arith.exact and s.m == sp.oo and s.sigma2 is not None and sp.S(s.sigma2).is_Rational):
        return None

    def freeze(M: Any) -> Any:
        return None if M is None else tuple(map(tuple, (M if isinstance(M, sp.MatrixBase) else sp.Matrix(M)).tolist()))
    key = (spec, s.d, freeze(s.Sigma), freeze(s.theta0), s.m, s.arith)
    if key not in _SIGMA_FREE:
        if len(_SIGMA_FREE) >= _PATHS_MAX:
            _SIGMA_FREE.clear()
        cache: dict = {}
        from dataclasses import replace
        tq = _own_quadratic(spec, replace(s, sigma2=_S2), cache)
        free = not any(sp.sympify(x).has(_S2) for arr in (tq.A, tq.b, tq.start) for x in np.asarray(arr).flat)
        md = modes(tq.A, tq.b, tq.start, exact=True, names=tq.names) if free else None
        _SIGMA_FREE[key] = {"cache": cache, "free": free, "modes": md, "quadratics": {}, "polys": {}}
    return _SIGMA_FREE[key]


def _column_path(spec: Any, c: Column, s: Any, memo: dict, md: Any):
    """Column c's Path along the modes ``md`` at the setting s, from the column's quadratic at s."""
    from proofs.quantities.trajectories import Path
    return Path.of(_column_quadratic(spec, c, s, memo["cache"]), md)


def _column_poly(spec: Any, c: Column, s: Any, memo: dict, md: Any, powers: list, general: dict | None) -> sp.Poly:
    """Column c along the modes ``md`` at the setting s as a polynomial in :data:`P`
    (:func:`_path_poly`): read at s's sigma^2 from the path derived with sigma^2 a symbol
    (:func:`_sigma_free`, ``general``) where the modes are those, else built from the column's
    quadratic at s (:func:`_column_path`).  The sigma^2 route keeps each coefficient of the
    polynomial in P as a polynomial in sigma^2 over QQ, computed once per column, and evaluates
    those at the rational sigma^2 (Horner over QQ): the same numbers as putting sigma^2 into the
    path's alpha, beta and Gamma and summing them."""
    if general is None or not general["free"] or general["modes"] is not md:
        if c not in memo["paths"]:
            memo["paths"][c] = _column_path(spec, c, s, memo, md)
        return _path_poly(memo["paths"][c], powers)
    key = (c, tuple(powers))
    if key not in general["polys"]:
        from dataclasses import replace
        if c not in general["quadratics"]:   # the column's quadratic with sigma^2 a symbol
            general["quadratics"][c] = _column_quadratic(spec, c, replace(s, sigma2=_S2), general["cache"])
        try:
            general["polys"][key] = _quadratic_path_coefficients(general["quadratics"][c], md, powers)
        except (ValueError, sp.PolynomialError, sp.CoercionFailed):   # not polynomial in sigma^2: built at s instead
            general["polys"][key] = None
    if general["polys"][key] is None:
        return _column_poly(spec, c, s, memo, md, powers, None)
    from sympy.polys.densebasic import dup_strip
    from sympy.polys.densetools import dup_eval
    from sympy.polys.polyclasses import DMP
    QQ = sp.QQ
    s2 = QQ.convert(sp.Rational(s.sigma2))
    return sp.Poly.new(DMP(dup_strip([dup_eval(cs, s2, QQ) for cs in general["polys"][key]]), QQ), P)


@lru_cache(maxsize=1)
def _s2_ring():
    """QQ[sigma^2] (:data:`_S2`), a sparse polynomial ring."""
    from sympy.polys.rings import PolyRing
    return PolyRing((_S2,), sp.QQ)


def _quadratic_path_coefficients(q: Any, md: Any, powers: list) -> list:
    """The coefficients of :func:`_path_poly` of ``Path.of(q, md)`` (highest power of P first), each a
    dense coefficient list over QQ in sigma^2 (highest first: ``Poly(c, sigma^2).rep.to_list()``),
    computed in the ring QQ[sigma^2] from the column's explicit quadratic ``q`` (``A``, ``b``, ``c``
    polynomials in sigma^2, :data:`_S2`) and the exact modes ``md`` (rational ``u_*`` and ``w``):
    ``alpha = u_*^T A u_* - 2 b^T u_* + c``, ``beta = W^T grad``, ``grad = 2 (A u_* - b)``,
    ``Gamma = W^T A W``, summed by power of P as :func:`_path_terms` sums them; the same polynomials,
    without building them as expressions.  ValueError where an entry of q is not a polynomial in
    sigma^2 over QQ (the caller builds the column at the setting instead)."""
    R = _s2_ring()
    QQ = sp.QQ

    def ring(x: Any) -> Any:
        x = sp.sympify(x)
        return R.ground_new(QQ.from_sympy(x)) if x.is_Rational else R.from_expr(x)

    def number(x: Any) -> Any:
        x = sp.sympify(x)
        if not x.is_Rational:
            raise ValueError(f"expected a rational mode, got {x}")
        return QQ.from_sympy(x)
    A = [[ring(x) for x in row] for row in np.asarray(q.A).tolist()]
    b = [ring(x) for x in np.asarray(q.b).reshape(-1).tolist()]
    us = [number(x) for x in np.asarray(md.u_star).reshape(-1).tolist()]
    W = np.asarray(md.w)
    cols = [[number(x) for x in W[:, k].tolist()] for k in range(W.shape[1])]
    n = len(us)

    def matvec(v: list) -> list:
        return [sum((A[i][j] * v[j] for j in range(n) if v[j]), R.zero) for i in range(n)]

    def dot(u: list, v: list) -> Any:
        return sum((u[i] * v[i] for i in range(n) if u[i]), R.zero)
    Au = matvec(us)
    grad = [2 * (Au[i] - b[i]) for i in range(n)]
    coeffs: dict = {}

    def add(k: int, c: Any) -> None:
        coeffs[k] = coeffs.get(k, R.zero) + c
    add(0, dot(us, Au) - 2 * dot(us, b) + ring(q.c))
    for w, k in zip(cols, powers):
        add(k, dot(w, grad))
    AW = [matvec(w) for w in cols]
    for i, ki in enumerate(powers):
        for j, kj in enumerate(powers):
            add(ki + kj, dot(cols[i], AW[j]))
    out = []
    for k in range(max(coeffs), -1, -1):
        terms = {m[0]: c for m, c in coeffs.get(k, R.zero).items()}
        top = max(terms, default=-1)
        out.append([terms.get(e, QQ.zero) for e in range(top, -1, -1)])
    return out


def _path_curve(side: PathSide, columns: list, s: Any):
    from proofs.quantities.trajectories import Path, modes
    spec = _path_spec(side.strategy)
    exact = s.arith.exact
    memo = _path_memo(spec, s) if exact else {"cache": {}, "modes": None, "paths": {}}
    cache = memo["cache"]
    if memo["modes"] is None:
        general = _sigma_free(spec, s) if exact else None
        if general is not None and general["free"]:
            memo["modes"] = general["modes"]   # the modes of every sigma^2
        else:
            tq = _own_quadratic(spec, s, cache)
            memo["modes"] = modes(tq.A, tq.b, tq.start, exact=exact, names=tq.names)
    md = memo["modes"]
    eta = None if side.eta is None else sp.nsimplify(side.eta, rational=True)
    if eta is not None:
        bad = [h for h in md.h if not (0 < 1 - eta * sp.S(h) if md.exact else 0 < 1 - float(eta) * float(h))]
        if bad:
            raise ValueError(f"eta: expected 0 < eta h < 1 for every excited mode h of the Hessian (then every "
                             f"step moves toward the limit and the path is one curve of levels), got eta h = "
                             f"{sp.sstr(sp.N(eta * max(bad, key=float), 6))}; the largest excited h is "
                             f"{sp.sstr(sp.N(max(md.h, key=float), 8))}")
    if md.exact and md.h:
        if eta is None:
            rates = list(md.h)
        elif len(md.h) == 1:
            rates = None  # one mode: p = (1 - eta h)^t, the segment
        else:
            rates = "float"
        if rates is None or rates != "float":
            hs = [sp.Rational(h) for h in md.h]
            g = _rational_gcd(hs) if rates is not None else hs[0]
            powers = [int(h / g) for h in hs]
            if max(powers) <= MAX_EXACT_DEGREE:
                return _exact_path(side, spec, columns, s, md, g, powers, eta, memo)
    # float64
    fs = _in_float(s)
    if exact:  # a rational setting whose path is not a polynomial curve: redo in float
        cache = {}
        tq = _own_quadratic(spec, fs, cache)
        md = modes(tq.A, tq.b, tq.start, exact=False, names=tq.names)
    paths = {c: _PathValues(Path.of(_column_quadratic(spec, c, fs, cache), md)) for c in columns}
    h = np.asarray([float(x) for x in md.h], dtype=float)
    rates = h if eta is None else -np.log1p(-float(eta) * h) / float(eta)
    base = float(rates.min()) if len(rates) else 1.0
    expo = rates / base

    def values(ps: np.ndarray, only: Any = None) -> dict:
        ps = np.clip(np.atleast_1d(np.asarray(ps, dtype=float)), 0.0, 1.0)
        with np.errstate(divide="ignore", under="ignore"):
            pw = np.power.outer(ps, expo) if len(expo) else np.zeros((len(ps), 0))
        return {c: path(pw) for c, path in paths.items() if only is None or c == only}

    what = "tau" if eta is None else "t"

    def native(p: Any) -> dict:
        p = float(p)
        return {what: (math.inf if p <= 0 else -math.log(p) / base / (1.0 if eta is None else float(eta)))}
    how = "gradient flow, tau = eta t" if eta is None else f"gradient descent with eta = {sp.sstr(eta)}, t steps"
    param = (f"p = exp(-{base:.6g} {what}) ({how}; p = 1 the start, p -> 0 the limit; {len(h)} excited "
             f"mode(s), float64)")
    notes = []
    if md.exact is False and exact:
        notes.append("the path's excited eigenvalues are irrational or their ratios exceed "
                     f"{MAX_EXACT_DEGREE}: the path is evaluated in float64")
    return FloatCurve(side, values, False, param, native, notes, list(columns))


class _PathValues:
    """``E(p) = alpha + r^T beta + r^T Gamma r`` at many rows of powers r at once (matrix products)."""

    def __init__(self, path: Any) -> None:
        self.alpha = float(path.alpha)
        self.beta = np.asarray([float(x) for x in path.beta], dtype=float)
        G = path.Gamma.tolist() if isinstance(path.Gamma, sp.MatrixBase) else path.Gamma
        self.G = np.asarray(G, dtype=float).reshape(len(self.beta), len(self.beta))

    def __call__(self, pw: np.ndarray) -> np.ndarray:
        if pw.shape[1] == 0:
            return np.full(pw.shape[0], self.alpha)
        return self.alpha + pw @ self.beta + np.sum((pw @ self.G) * pw, axis=1)


def _in_float(s: Any) -> Any:
    """The setting in float64 (its Sigma and theta_0 rounded once)."""
    from dataclasses import replace
    from symbolic.arithmetic import FLOAT64
    return replace(s, Sigma=FLOAT64.matrix(s.Sigma), theta0=FLOAT64.matrix(s.theta0), arith=FLOAT64)


def _path_poly(path: Any, powers: list) -> sp.Poly:
    """``alpha + sum_k beta_k p^(e_k) + sum_kl Gamma_kl p^(e_k + e_l)`` as a polynomial in P over QQ
    (``e_k = h_k / g``, the powers)."""
    return sp.Poly.from_dict({(k,): c for k, c in _path_terms(path, powers).items()}, P, domain=sp.QQ)


def _path_terms(path: Any, powers: list) -> dict:
    """``{power of P: coefficient}`` of :func:`_path_poly` (the coefficients as SymPy expressions)."""
    coeffs: dict = {}

    def add(k: int, c: Any) -> None:
        coeffs[k] = coeffs.get(k, sp.S.Zero) + sp.S(c)
    add(0, path.alpha)
    for b, k in zip(path.beta, powers):
        add(k, b)
    for i, ki in enumerate(powers):
        for j, kj in enumerate(powers):
            add(ki + kj, path.Gamma[i, j])
    return coeffs


def _exact_path(side, spec, columns, s, md, g, powers, eta, memo) -> ExactCurve:
    from symbolic.univariate import normal_pair
    from proofs.quantities.trajectories import Path
    polys, pairs = {}, {}
    one = sp.Poly(1, P, domain=sp.QQ)
    general = _sigma_free(spec, s)
    for c in columns:
        polys[c] = _column_poly(spec, c, s, memo, md, powers, general)
        pairs[c] = normal_pair(polys[c], one, coprime=True)   # over 1: no gcd to take
    cols = _LazyColumns(polys, lambda poly: poly.as_expr())   # each column's polynomial, built when asked
    if eta is None:
        what, scale = "tau", g

        def native(p: Any) -> dict:
            p = float(p)
            return {"tau": math.inf if p <= 0 else -math.log(p) / float(g)}
        param = (f"p = exp(-{sp.sstr(g)} tau) (gradient flow, tau = eta t; excited modes h = "
                 f"{', '.join(sp.sstr(h) for h in md.h)}; p = 1 the start, p -> 0 the limit t -> oo)")
    else:
        r1 = 1 - eta * md.h[0]

        def native(p: Any) -> dict:
            p = float(p)
            return {"t": math.inf if p <= 0 else math.log(p) / math.log(float(r1))}
        param = (f"p = (1 - eta h)^t = ({sp.sstr(r1)})^t (gradient descent, eta = {sp.sstr(eta)}, one excited mode "
                 f"h = {sp.sstr(md.h[0])}: every step stays on one segment)")
    notes = []
    if len(md.h) == 1:
        notes.append(f"one excited mode (h = {sp.sstr(md.h[0])}): the path is the segment from the start to its "
                     "limit, the same for every step 0 < eta h <= 1")
    return ExactCurve(side, cols, False, param, native, notes, pairs)


# ----------------------------------------------------------------------------- mixed loss

def _mixed_curve(side: MixedSide, columns: list, s: Any):
    from proofs.quantities.frontier import LAMBDA
    if s.arith.exact:
        from symbolic.univariate import moebius
        forms = _mixed_exact_pairs(side.n_ft, columns, s)
        pairs = {}
        for c, (num, den) in forms.items():
            num, den = moebius(num, den, P)    # lambda = p / (1 - p), on the polynomials
            if den.eval(1) == 0:
                raise NotImplementedError(f"{c}: the mixed loss's error has no finite limit lambda -> oo")
            pairs[c] = (num, den)
        cols = _LazyColumns(pairs, lambda nd: nd[0].as_expr() / nd[1].as_expr())   # N / D, built when asked
        point = all(num.degree() <= 0 and den.degree() <= 0 for num, den in pairs.values())

        def native(p: Any) -> dict:
            p = float(p)
            return {"lambda": math.inf if p >= 1 else p / (1 - p)}
        return ExactCurve(side, cols, point, "p = lambda / (1 + lambda) (p = 0: lambda -> 0+, strategy (d) at n_ft; "
                          "p = 1: lambda -> oo, the few-shot loss alone)", native,
                          ["every lambda gives the same point (n_ft = oo or m = oo degenerate)"] if point else [],
                          pairs)
    return _mixed_float(side, columns, s)


@lru_cache(maxsize=16)
def _tradeoff_spec(n_ft: int):
    """The mixed loss's spec (:func:`proofs.quantities.frontier.tradeoff_spec`), built once per n_ft
    (a Spec is immutable)."""
    from proofs.quantities.frontier import tradeoff_spec
    return tradeoff_spec(n_ft)


def _mixed_exact_pairs(n_ft: int, columns: list, s: Any) -> dict:
    """{column: (N, D), polynomials in lambda}: the frontier's rational functions at each column's
    n (at n = 0 its few-shot columns are the zero-shot errors on theta_0 and -theta_0)."""
    from proofs.quantities.frontier import spec_pairs
    name = {c: "few_shot_target" if c.task == "target" else "few_shot_opposite" for c in columns}
    wanted: dict = {}
    for c in columns:   # only the frontier's columns asked for, per n
        wanted.setdefault(c.n, set()).add(name[c])
    spec = _tradeoff_spec(n_ft)
    by_n = {n: spec_pairs(spec, s, n=n, columns=cols) for n, cols in wanted.items()}
    return {c: by_n[c.n][name[c]] for c in columns}


#: a mode of the mixed loss's pencil is one loss's alone when its weight nu is within this of 0 or 1
PENCIL_TOL = 1e-9


def _mixed_float_finite_m(side: MixedSide, columns: list, s: Any) -> FloatCurve:
    r"""The mixed side in float64 at a finite m, from the two losses at the concrete setting.

    Over V's last row u (v_0, v_x, v_y; the rest at the pretrained parameters at m), each loss is
    an explicit quadratic :func:`symbolic.explicit.explicit_quadratic`:
    ``E(0; theta_0) = u^T A_0 u - 2 b_0^T u + c_0`` and ``E(n_ft; theta_0)`` likewise with A_1,
    b_1. With ``p = lambda / (1 + lambda)`` the minimiser of ``(1 - p) E(0) + p E(n_ft)`` solves
    ``((1 - p) A_0 + p A_1) u = (1 - p) b_0 + p b_1``. The pencil is diagonalised once: on the
    range of ``S = A_0 + A_1`` (directions neither loss sees keep the start), ``T^T S T = I``,
    ``T^T A_1 T = diag(nu)``, ``T^T A_0 T = I - diag(nu)``, so that, mode by mode,

        ``w_i(p) = ((1 - p) beta0_i + p beta1_i) / ((1 - p)(1 - nu_i) + p nu_i)``,
        ``beta = T^T b``,  ``u(p) = u_null + T w(p)``,

    a rational function of p evaluated at many p at once; a mode seen by one loss alone
    (``nu_i`` within :data:`PENCIL_TOL` of 1 or 0) has a constant ``w_i`` (``beta1_i / nu_i`` or
    ``beta0_i / (1 - nu_i)``), which is also its limit lambda -> 0+ or oo. (For V's last row S is
    nonsingular at every setting tried, v_0 seen through the constant token: u_null is 0 there.)
    Each column is the
    explicit quadratic of its error at u(p). (The derived route, a d x d inverse depending on
    lambda, is evaluated one lambda at a time by the frontier; this one is O(d^3) once, then
    O(d^2) per p.)"""
    from symbolic.explicit import explicit_quadratic
    from proofs.quantities.frontier import TRAIN, _key
    fs = _in_float(s)
    cache: dict = {}

    def quad(n: Any, task: str):
        return explicit_quadratic([(1, n, task)], list(TRAIN), arithmetic=fs.arith, m=fs.m, d=fs.d, Sigma=fs.Sigma,
                                  theta0=fs.theta0, sigma2=fs.sigma2, cache=cache)
    q0, q1 = quad(sp.S.Zero, "target"), quad(_key(side.n_ft), "target")
    A0, A1 = np.asarray(q0.A, dtype=float), np.asarray(q1.A, dtype=float)
    b0, b1 = np.asarray(q0.b, dtype=float), np.asarray(q1.b, dtype=float)
    start = np.asarray(q0.start, dtype=float)
    # Jacobi scaling u = r * v (r_i = S_ii^(-1/2)): the entries of S = A_0 + A_1 span ||theta_0||^4 (v_y
    # multiplies the labels in the few-shot loss), and unscaled eigh loses every digit for a large theta_0
    # (theta_0 = 1e150 e_1 gave a constant curve, at the start's level)
    diag = np.diag(A0 + A1)
    r = np.where(diag > 0, 1 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    A0, A1 = A0 * np.outer(r, r), A1 * np.outer(r, r)
    b0, b1, start = b0 * r.reshape(b0.shape), b1 * r.reshape(b1.shape), start / r.reshape(start.shape)
    lam_S, Z = np.linalg.eigh(A0 + A1)
    seen = lam_S > PENCIL_TOL * max(float(lam_S.max(initial=0.0)), 1e-300)
    Zr, Zn = Z[:, seen], Z[:, ~seen]
    u_null = Zn @ (Zn.T @ start)
    D = Zr / np.sqrt(lam_S[seen])                       # D^T S D = I on the seen range
    nu, Y = np.linalg.eigh(D.T @ A1 @ D)
    T = D @ Y
    beta0, beta1 = T.T @ b0, T.T @ b1
    only1, only0 = nu >= 1 - PENCIL_TOL, nu <= PENCIL_TOL
    const = np.where(only1, beta1 / np.where(only1, nu, 1.0), beta0 / np.where(only0, 1 - nu, 1.0))
    fixed = only1 | only0
    quads = {}
    for c in columns:
        q = quad(sp.oo if c.n is None else sp.Integer(c.n), c.task)
        quads[c] = (np.asarray(q.A, dtype=float), np.asarray(q.b, dtype=float), float(q.c))

    def params(ps: np.ndarray) -> np.ndarray:
        ps = ps[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = ((1 - ps) * beta0 + ps * beta1) / ((1 - ps) * (1 - nu) + ps * nu)
        w = np.where(fixed, const, w)
        return (u_null + w @ T.T) * r           # back from v to u

    def values(ps: np.ndarray, only: Any = None) -> dict:
        ps = np.clip(np.atleast_1d(np.asarray(ps, dtype=float)), 0.0, 1.0)
        U = params(ps)
        out = {}
        for c, (A, b, c0) in quads.items():
            if only is None or c == only:
                out[c] = np.einsum("pi,pi->p", U @ A, U) - 2 * (U @ b) + c0
        return out
    probe = values(np.linspace(0.0, 1.0, 7))
    point = all(float(np.ptp(v)) <= 1e-12 * max(1.0, float(np.abs(v).max())) for v in probe.values())

    def native(p: Any) -> dict:
        p = float(p)
        return {"lambda": math.inf if p >= 1 else p / (1 - p)}
    return FloatCurve(side, values, point, "p = lambda / (1 + lambda) (float64: the minimiser of the two losses' "
                      "explicit quadratics at this m, their pencil diagonalised once)", native, [], list(columns))


def _mixed_float(side: MixedSide, columns: list, s: Any) -> FloatCurve:
    if s.m != sp.oo:
        return _mixed_float_finite_m(side, columns, s)
    from symbolic import M
    from proofs.quantities import frontier_numeric as FN
    from proofs.quantities.frontier import LAMBDA, _errors_in_blocks, _key, tradeoff_spec
    m_key = sp.oo if s.m == sp.oo else M
    coeffs = {}
    by_n: dict = {}
    for c in columns:
        if c.n not in by_n:
            by_n[c.n] = FN.numeric_columns(*_errors_in_blocks(tradeoff_spec(side.n_ft), m_key, _key(c.n)), LAMBDA,
                                           s)
        cols = by_n[c.n]
        p, q = cols["few_shot_target" if c.task == "target" else "few_shot_opposite"]
        coeffs[c] = ([float(x) for x in p], [float(x) for x in q])

    def homog(cs: list, ps: np.ndarray, D: int) -> np.ndarray:
        out = np.zeros_like(ps)
        for k, ck in enumerate(cs):
            out = out + ck * ps ** k * (1 - ps) ** (D - k)
        return out

    def values(ps: np.ndarray, only: Any = None) -> dict:
        ps = np.clip(np.atleast_1d(np.asarray(ps, dtype=float)), 0.0, 1.0)
        out = {}
        for c, (p, q) in coeffs.items():
            if only is not None and c != only:
                continue
            D = max(len(p), len(q)) - 1
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow: float_side says so
                out[c] = homog(p, ps, D) / homog(q, ps, D)
        return out
    point = all(len(p) <= 1 and len(q) <= 1 for p, q in coeffs.values())

    def native(p: Any) -> dict:
        p = float(p)
        return {"lambda": math.inf if p >= 1 else p / (1 - p)}
    return FloatCurve(side, values, point, "p = lambda / (1 + lambda) (float64 coefficients of the derived rational "
                      "functions of lambda)", native, [], list(columns))


# ----------------------------------------------------------------------------- point

def _point_curve(side: PointSide, columns: list, s: Any):
    from dataclasses import replace
    from proofs.quantities.solve import solve
    exact = s.arith.exact
    answer = solve(side.strategy, replace(s, n_ft=sp.oo if side.n_ft is None else sp.Integer(side.n_ft)))
    cols = {}
    for c in columns:
        v = _closed_form_value(answer, c) if exact else None
        if v is None:
            r = answer.curve(c.task, [0 if c.n is None else c.n])
            v = r.values[0] if c.n is not None else r.limit_value
        cols[c] = v
    if exact:
        return ExactCurve(side, {c: sp.S(v) for c, v in cols.items()}, True, "a single point",
                          lambda p: {}, [])
    vals = {c: float(v) for c, v in cols.items()}
    return FloatCurve(side, lambda ps, only=None: {c: np.full(np.shape(np.atleast_1d(ps)), v) for c, v in vals.items()
                                                   if only is None or c == only}, True,
                      "a single point", lambda p: {}, [], list(columns))


def _closed_form_value(answer: Any, c: Column) -> Any:
    """The point's error on column c where it is one of the closed forms the derivation cache keeps
    (:mod:`proofs.quantities.derivations`, each derived once per process: the zero-shot error on
    theta_0, the limit n -> oo on theta_0 or -theta_0), evaluated at the answer's exact setting: the
    same exact number as the closed form's curve (:meth:`proofs.quantities.solutions.ClosedForm.curve`,
    E as a rational function of n at the setting, read at n = 0 or as n -> oo), without building that
    rational function.  None (the curve is read instead) for another column, another kind of answer,
    a question that is not a strategy's name, bindings (a finite m, a spec's vectors), a scale, or a
    value that is not a rational number."""
    from proofs.quantities.derivations import few_shot_limit, zero_shot
    from proofs.quantities.setting import with_definitions
    from proofs.quantities.solutions import ClosedForm
    from symbolic.evaluation import evaluate
    st = answer.setting
    if not (isinstance(answer, ClosedForm) and isinstance(answer.question, str) and not answer.extra
            and st.arith.exact and st.m == sp.oo and st.scale == 1 and st.sigma2 is not None):
        return None
    s = answer.strategy
    n_ft = s.n_ft if s.name == "value-fewshot" else sp.oo   # the derivation cache's key, as the curve's
    if c.n is None:
        expr = few_shot_limit(answer.question, c.task, s.m, n_ft)
    elif c.n == 0 and c.task == "target":
        expr = zero_shot(answer.question, s.m, n_ft)
    else:
        return None
    env = st.env(sigma=False)
    env["sigma"], env["d"] = sp.sqrt(st.sigma2), sp.Integer(st.d)
    v = sp.S(evaluate(expr, with_definitions(env, s.definitions())))
    return v if v.is_Rational else None
