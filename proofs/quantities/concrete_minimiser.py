r"""The minimiser set of a quadratic spec at a concrete setting: the answer where the symbolic
derivation has no closed form (``Q_xx`` reaching the loss).

At a concrete setting (d, Sigma, theta_0, sigma^2, m) the loss of a spec that trains V's last
row or Q's blocks (``Q_xx`` included) is an explicit quadratic in the trained entries ``u``
(:func:`symbolic.explicit.explicit_quadratic`, built from the Wick derivation):

    L(u) = u^T A u - 2 b^T u + c,        A symmetric positive semi-definite.

Its minimisers are the solutions of ``A u = b``: one point when A is nonsingular, else the
affine family ``u* + null(A)``.  Gradient descent from the start ``u_0`` moves along
``grad L = 2 (A u - b)``, which lies in range(A) (b does, for a loss bounded below), so it
converges to the one minimiser in ``u_0 + range(A)``:

    u* = u_0 + R (R^T A R)^{-1} R^T (b - A u_0),        R a basis of range(A)

(= ``u_0 + A^+ (b - A u_0)``): the start's component along null(A), the *free directions*,
never moves.  A second stage (``then``) minimises its own quadratic ``L_2`` over the family,
``u = u* + N t`` (N a basis of null(A)), by the same rule from ``t = 0``.

Arithmetic: ``exact`` (SymPy rationals: rank, null space and solve exact) at small d,
``float`` (float64) above: an eigen-decomposition of A gives rank and free directions while A
has at most :data:`EIGH_MAX` rows.  Above that, a spec training ``Q_xx`` never forms A (d^4
entries): :mod:`symbolic.structured` writes it as Kronecker terms plus a dense part over
O(d) features of Q_xx, and :mod:`symbolic.structured_solve` finds the same point, the rank
and the free directions in O(d^3) time and O(d^2) memory, up to d = :data:`STRUCTURED_MAX_D`.
A spec the structure does not cover (a matrix in it that is not a function of Sigma, a
Kronecker part neither zero nor invertible) falls back to the dense A up to
d = :data:`DENSE_MAX_D`, the point found by MINRES on ``A x = b - A u_0`` from ``x = 0`` (its
iterates stay in range(A), so it converges to the same ``u*``; uniqueness then not counted),
and is refused above.  Any other spec above EIGH_MAX entries (general explicit starts: no
Q_xx block in u) takes the MINRES route.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["ConcreteSolution", "concrete_minimiser", "needs_concrete", "free_text", "free_json", "EIGH_MAX",
           "STRUCTURED_MAX_D", "DENSE_MAX_D", "FREE_JSON_MAX_NUMBERS"]

#: largest number of trained entries for which the float path eigen-decomposes A (d = 32 for Q_xx)
EIGH_MAX = 1100
#: largest d at which a spec training Q_xx is solved in float with the structure (O(d^3) time,
#: a few d x d arrays). Measured on 2 busy cores (bench/bench_qxx.py): derive/params/curve of
#: query-xx-limit at d = 1,000 2-3 s CPU and under 330 MB; at d = 2,048 6-10 s and up to
#: 1.1 GB; the solver alone at d = 4,096 needs 2.3 GB before the output's own copies
STRUCTURED_MAX_D = 2048
#: largest d at which a Q_xx spec the structure does not cover is solved with the dense A
#: ((d^2)^2 float64: 134 MB at d = 64)
DENSE_MAX_D = 64
#: free directions written out in JSON (all of them, full precision) while their count times the
#: number of trained entries is at most this; above it they are described, with their count
FREE_JSON_MAX_NUMBERS = 1_000_000
#: relative eigenvalue threshold of the float rank (times the largest eigenvalue)
RANK_RTOL = 1e-10


@dataclass
class ConcreteSolution:
    """The point gradient descent from the start reaches, at one concrete setting.

    ``V``, ``Q``: (d+2) x (d+2) (SymPy matrices when ``arith`` is exact, float64 arrays
    otherwise); ``u`` the trained entries (``names``); ``unique``: the loss has one minimiser
    (None: not determined, float above :data:`EIGH_MAX` entries); ``free_directions``: a basis
    of the directions along which the loss is flat (each a dict name -> entry, nonzero entries
    only); ``unreached``: trained blocks the loss does not see at all; ``loss`` and
    ``start_loss`` the loss at u and at the start; ``residual``: max |A u - b| (0 when exact)."""

    V: Any
    Q: Any
    u: Any
    names: tuple[str, ...]
    arith: Any
    unique: bool | None
    free_directions: list[dict[str, Any]] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    loss: Any = None
    start_loss: Any = None
    residual: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: the number of free directions (None: not counted); ``free_basis``: all of them as columns
    #: (p x k; exact or float) where computed densely; ``free_space``: the structured path's
    #: :class:`symbolic.structured_solve.FreeSpace` (``project``, ``basis``) at any size
    free_count: int | None = None
    free_basis: Any = None
    free_space: Any = None
    structure: str = "dense"

    @property
    def n_free(self) -> int | None:
        """How many free directions (None: not counted)."""
        if self.free_count is not None:
            return self.free_count
        return None if self.unique is None else len(self.free_directions)

    @property
    def convention(self) -> str:
        out = ("at this setting only (d, Sigma, theta_0, sigma^2, m given): the minimiser of the explicit quadratic "
               "loss in the trained entries; ")
        if self.unique:
            out += "the minimiser is unique"
        elif self.unique is None:
            out += ("gradient descent from the start reaches start + A^+ (b - A start), found by MINRES "
                    "(uniqueness not counted at this size)")
        else:
            out += (f"the minimisers form an affine family with {self.n_free} free direction(s); "
                    "gradient descent from the start reaches start + (projection onto range(A)), which keeps "
                    "the start's component along the free directions: that point is reported")
        for note in self.notes:
            out += "; " + note
        return out


def needs_concrete(spec: Any) -> bool:
    """Whether ``spec`` trains Q_xx (and no block of V), or starts from a general explicit Q
    (:func:`symbolic.spec.general_start`, the start fixing d) while training blocks of one of V
    and Q: its derivation at symbolic d may have no closed form, and the concrete minimiser
    answers at any setting."""
    from symbolic.spec import general_start
    train = getattr(spec, "train", ())
    v = any(b in ("v0", "vx", "vy") for b in train)
    if general_start(spec):
        return not (v and any(b in ("Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx") for b in train))
    return "Qxx" in train and not v


def concrete_minimiser(spec: Any, setting: Any) -> ConcreteSolution:
    """The minimiser of ``spec``'s loss (and second stage) at the setting (a
    :class:`proofs.quantities.setting.Setting` in exact or float64 arithmetic), by linear algebra
    on the explicit quadratic (module docstring).

    In float, a spec training Q_xx above :data:`EIGH_MAX` entries takes the structured route
    (:mod:`symbolic.structured_solve`); d above :data:`STRUCTURED_MAX_D` is refused before any
    work, and a spec the structure does not cover above :data:`DENSE_MAX_D`."""
    from symbolic.arithmetic import EXACT, FLOAT64
    from symbolic.explicit import explicit_quadratic
    arith = setting.arith
    if arith not in (EXACT, FLOAT64):
        raise ValueError(f"arithmetic: expected exact or float64, got {arith.label()}")
    exact = arith.exact
    dd = setting.d
    sigma2 = 0 if setting.sigma2 is None else setting.sigma2
    if not exact and "Qxx" in getattr(spec, "train", ()) and _entries(spec, dd) > EIGH_MAX:
        if dd > STRUCTURED_MAX_D:
            raise ValueError(f"d: a spec training Q_xx is solved in float up to d = {STRUCTURED_MAX_D} "
                             f"(O(d^3) time, d x d arrays), got d = {dd}")
        from symbolic.structured_solve import Unstructured
        try:
            return _structured(spec, dd, setting.Sigma, setting.theta0, sigma2, setting.m)
        except Unstructured as exc:
            if dd > DENSE_MAX_D:
                raise ValueError(f"d: {exc}: such a spec is solved with the dense d^2 x d^2 Hessian, up to "
                                 f"d = {DENSE_MAX_D}, got d = {dd}") from None
    kw = dict(d=dd, Sigma=setting.Sigma, theta0=setting.theta0, sigma2=sigma2, m=setting.m, arithmetic=arith)
    q = explicit_quadratic(spec, **kw)
    solve = _exact_stage if exact else _float_stage
    u, N, unique, res = solve(q.A, q.b, q.start)
    notes: list[str] = []
    if spec.then:
        if N is None:
            raise ValueError(f"then: a second stage needs the free directions of the first, which are not "
                             f"computed in float above {EIGH_MAX} trained entries")
        if _width(N) == 0:
            notes.append("the first loss determines every trained entry: the second stage has nothing to move")
        else:
            q2 = explicit_quadratic(spec, stage="then", **kw)
            A2, b2 = q2.A, q2.b
            if exact:
                Nm, A2m = sp.Matrix(N), sp.Matrix(A2.tolist())
                Ar = Nm.T * A2m * Nm
                br = Nm.T * (sp.Matrix(list(b2)) - A2m * sp.Matrix(list(u)))
                t, Nt, unique2, _ = _exact_stage(np.array(Ar.tolist(), dtype=object),
                                                 np.array(list(br), dtype=object),
                                                 np.array([sp.S.Zero] * Ar.shape[0], dtype=object))
                u = u + np.array(list(Nm * sp.Matrix(list(t))), dtype=object)
                N = np.array((Nm * sp.Matrix(Nt)).tolist(), dtype=object) if _width(Nt) else _empty(len(u), True)
            else:
                Ar = N.T @ A2 @ N
                br = N.T @ (b2 - A2 @ u)
                t, Nt, unique2, _ = _float_stage(Ar, br, np.zeros(Ar.shape[0]),
                                                 scale=float(np.abs(A2).max(initial=0.0)))
                u = u + N @ t
                N = N @ Nt if _width(Nt) else _empty(len(u), False)
            unique = bool(unique2)
            notes.append("the second loss is minimised inside the set of minimisers of the first, from the "
                         "first stage's point")
    V, Q = q.matrices(u)
    if exact:
        V, Q = sp.Matrix(V.tolist()), sp.Matrix(Q.tolist())
    reached = np.asarray(q.A != 0, dtype=bool).any(axis=1) | np.asarray(q.b != 0, dtype=bool)
    unreached = [blk for blk, sl in q.slices.items() if not reached[sl].any()]
    free = []
    if N is not None:
        for k in range(_width(N)):
            col = N[:, k]
            free.append({q.names[i]: col[i] for i in range(q.size) if col[i] != 0
                         and (exact or abs(col[i]) > 1e-12)})
    return ConcreteSolution(V, Q, u, q.names, arith, unique, free, unreached,
                            q.value(u), q.value(q.start), res, notes,
                            free_count=None if N is None else _width(N), free_basis=N)


def _entries(spec: Any, d: int) -> int:
    from symbolic.explicit import block_sizes
    return sum(block_sizes([b for b in spec.train], d).values())


def _structured(spec: Any, d: int, Sigma: Any, theta0: Any, sigma2: Any, m: Any) -> ConcreteSolution:
    """The float answer from the structured Hessian (:mod:`symbolic.structured_solve`)."""
    from symbolic.structured import structured_quadratic
    from symbolic.structured_solve import solve_structured
    sq = structured_quadratic(spec, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=m)
    sol = solve_structured(sq)
    st = sq.stages[0]
    unreached = [blk for blk, sl in sq.s_slices.items() if not (st.H[sl].any() or st.h[sl].any())]
    if "Qxx" in sq.trained and not st.has_kron and sq.n_features == 0:
        unreached.insert(sum(1 for b in unreached if b in ("v0", "vx", "vy", "Q00", "q0x", "qx0")), "Qxx")
    free, basis = [], None
    vecs = sol.free.basis(FREE_JSON_MAX_NUMBERS)
    if vecs is not None:
        basis = np.column_stack(vecs) if vecs else np.zeros((sq.size, 0))
        free = [{sq.names[i]: v[i] for i in np.flatnonzero(np.abs(v) > 1e-12)} for v in vecs]
    from symbolic.arithmetic import FLOAT64
    return ConcreteSolution(sol.V, sol.Q, sol.u, sq.names, FLOAT64, sol.unique, free, unreached, sol.loss,
                            sol.start_loss, sol.residual, sol.notes, free_count=sol.free.count,
                            free_basis=basis, free_space=sol.free, structure="structured")


def _width(N: Any) -> int:
    return 0 if N is None else (N.shape[1] if hasattr(N, "shape") else len(N[0]) if len(N) else 0)


def _empty(p: int, exact: bool) -> np.ndarray:
    return np.zeros((p, 0), dtype=object if exact else float)


def _exact_stage(A: np.ndarray, b: np.ndarray, u0: np.ndarray):
    """Exact: the point of ``u0 + range(A)`` solving ``A u = b``, a basis of null(A), uniqueness.
    A nonsingular A of rationals (the usual case) is solved by LU over QQ
    (:func:`_rational_solve`): the one solution, the same numbers as SymPy's ``LUsolve``."""
    u = _rational_solve(A, b)
    if u is not None:
        return np.array(u, dtype=object), _empty(len(u0), True), True, 0.0
    Am = sp.Matrix(A.tolist())
    bm, u0m = sp.Matrix(list(b)), sp.Matrix(list(u0))
    null = Am.nullspace()
    if not null:
        u = Am.LUsolve(bm)
        return np.array(list(u), dtype=object), _empty(len(u0), True), True, 0.0
    R = sp.Matrix.hstack(*Am.columnspace()) if Am.rank() else sp.zeros(Am.rows, 0)
    r = bm - Am * u0m
    if R.cols:
        y = (R.T * Am * R).LUsolve(R.T * r)
        u = u0m + R * y
    else:
        u = u0m
    if any(sp.simplify(x) != 0 for x in Am * u - bm):
        raise ValueError("the first-order conditions A u = b have no solution: the loss has no minimiser")
    N = sp.Matrix.hstack(*null)
    return np.array(list(u), dtype=object), np.array(N.tolist(), dtype=object), False, 0.0


def _rational_solve(A: np.ndarray, b: np.ndarray) -> list | None:
    """The solution of ``A u = b`` for a nonsingular square A with rational entries, exactly, by
    LU over QQ (:class:`sympy.polys.matrices.DomainMatrix`: no SymPy number arithmetic), as SymPy
    Rationals; None where A is empty, singular or not rational (the caller's general route)."""
    from sympy.polys.domains import QQ
    from sympy.polys.matrices import DomainMatrix
    from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError
    p = len(b)
    if p == 0 or A.shape != (p, p):
        return None
    try:
        entries = [sp.sympify(x) for x in A.reshape(-1)] + [sp.sympify(x) for x in b]
    except (sp.SympifyError, TypeError):
        return None
    if not all(x.is_Rational for x in entries):
        return None
    q = [QQ.from_sympy(x) for x in entries]
    rows = [q[i * p:(i + 1) * p] for i in range(p)]
    rhs = [[x] for x in q[p * p:]]
    try:
        x = DomainMatrix(rows, (p, p), QQ).lu_solve(DomainMatrix(rhs, (p, 1), QQ))
    except DMNonInvertibleMatrixError:
        return None
    return [QQ.to_sympy(v) for v in x.to_list_flat()]


def _float_stage(A: np.ndarray, b: np.ndarray, u0: np.ndarray, scale: float = 0.0):
    """Float64: the same point; eigen-decomposition up to EIGH_MAX rows, MINRES above.  The rank
    threshold is RANK_RTOL times the largest eigenvalue, or times ``scale`` when that is larger
    (a second stage's A restricted to the first's free directions may be 0 up to rounding: its
    own largest eigenvalue is then noise, and the loss's scale decides)."""
    A = np.asarray(A, dtype=float)
    b, u0 = np.asarray(b, dtype=float), np.asarray(u0, dtype=float)
    r = b - A @ u0
    ref = scale
    scale = max(np.abs(A).max(initial=0.0), 1e-300)
    if A.shape[0] <= EIGH_MAX:
        w, U = np.linalg.eigh(A)
        keep = w > RANK_RTOL * max(w.max(initial=0.0), ref, 1e-300)
        R = U[:, keep]
        u = u0 + R @ ((R.T @ r) / w[keep])
        res = float(np.abs(A @ u - b).max(initial=0.0)) / scale
        return u, U[:, ~keep], bool(keep.all()), res
    from scipy.sparse.linalg import minres
    x, info = minres(A, r, rtol=1e-13, maxiter=20 * A.shape[0])
    u = u0 + x
    res = float(np.abs(A @ u - b).max(initial=0.0)) / scale
    if info != 0 and res > 1e-8:
        raise ValueError(f"MINRES did not converge (info {info}, relative residual {res:.2g})")
    return u, None, None, res


def free_text(sol: ConcreteSolution, limit: int = 8) -> list[str]:
    """The ``free`` list of a concrete solution: blocks the loss does not reach, the free
    directions (at most ``limit`` written out, or described when not computed one by one), and
    the entries that never reach the output."""
    out = [f"{b} (does not reach the loss; kept at its start value)" for b in sol.unreached]
    dirs = [] if sol.unreached and len(sol.free_directions) == sum(
        1 for n in sol.names if any(n.startswith(p) for p in _prefixes(sol.unreached))) else sol.free_directions

    def show(v: Any) -> str:
        return sol.arith.text(v) if sol.arith.exact else f"{float(v):.6g}"
    for k, direction in enumerate(dirs[:limit]):
        terms = " + ".join(f"{show(c)}*{name}" if c != 1 else name for name, c in direction.items())
        out.append(f"direction {k + 1}: {terms} (the loss is flat along it; gradient descent keeps the start's component)")
    if len(dirs) > limit:
        out.append(f"... {len(dirs) - limit} more free directions ({len(dirs)} in all)")
    if sol.free_space is not None and sol.n_free and not sol.free_directions and not sol.unreached:
        out += list(sol.free_space.description)
    elif sol.unique is None:
        out.append("free directions not enumerated (float, more than %d trained entries)" % EIGH_MAX)
    out.append("V[0:d+1, :] and Q[:, d+1] (never reach the output)")
    return out


def free_json(sol: ConcreteSolution) -> dict[str, Any]:
    """The free directions for a program: ``count``, and ``basis``, a list of all of them (each
    a dict entry name -> value, its nonzero entries at full precision: floats, or exact
    numbers as strings) while count x entries is at most :data:`FREE_JSON_MAX_NUMBERS`; else
    ``basis`` null and ``described``, what they are.  The point reported keeps the start's
    component along them."""
    n = sol.n_free
    out: dict[str, Any] = {"count": n}
    B = sol.free_basis
    p = len(sol.names)
    exact = sol.arith.exact
    if n is not None and B is not None and n * p <= FREE_JSON_MAX_NUMBERS:
        out["basis"] = [{sol.names[i]: (sp.sstr(B[i, k]) if exact else float(B[i, k]))
                         for i in range(p) if B[i, k] != 0} for k in range(n)]
        out["orthonormal"] = not exact
        return out
    out["basis"] = None
    if n is None:
        out["described"] = f"not counted: float above {EIGH_MAX} trained entries without the Q_xx structure"
    else:
        desc = list(sol.free_space.description) if sol.free_space is not None else []
        out["described"] = " ".join(desc) or f"{n} free directions"
        out["not_listed"] = f"{n} x {p} numbers exceed the {FREE_JSON_MAX_NUMBERS:,} written out"
    return out


def _prefixes(blocks: list[str]) -> list[str]:
    from symbolic.layout import block
    return [block(b).symbol for b in blocks]
