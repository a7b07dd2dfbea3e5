r"""The best rank-r update of a block at a concrete setting: weighted Eckart-Young, exact.

Setting: a spec whose one trained block ``X`` (``Qxx``, d x d, or ``Q`` = Q[:, :d+1], (d+2) x
(d+1), in the layout ``rows (0, x_1..x_d, y)``, ``cols (0, x_1..x_d)``) carries a rank r
(:class:`symbolic.spec.Rank`): ``X = X_0 + Delta`` with ``rank(Delta) <= r`` (LoRA's
``X_0 + B A``).  At a concrete setting the loss is an explicit quadratic in X's entries
(:func:`symbolic.explicit.explicit_quadratic`), and in the update ``Delta``

    L(X_0 + Delta) = L(X_0) + tr(Delta S Delta^T H) - 2 tr(Delta^T G),             (1)

*when its Hessian is a Kronecker product* ``H (x) S`` (rows x rows, cols x cols).  It is
whenever V is not trained and the start has ``v_0 = 0, v_x = 0`` (the pretrained V_hat): the
query term of the prediction ``(v^T q)(q^T Q q)`` vanishes, and

    f = h^T Q[:, :d+1] q',     h = (1/(n+1)) sum_i (v^T z_i) z_i,  q' = (1, x_q),

with h (context) independent of q' (query), so each loss term is
``E[(h^T X q' - y)^2] = tr(X E[q'q'^T] X^T E[hh^T]) - 2 E[h]^T X E[q' y] + ...``: one
Kronecker product per term, and the query factor ``S = E[q'q'^T] = diag(1, Sigma)`` is the
same for every term (it depends on neither the task nor n), so a weighted sum of terms keeps
one product ``(sum_k w_k H_k) (x) S``.  The structure is *checked* here, not assumed: the
block's Hessian is rearranged (Van Loan-Pitsianis) into a (rows^2) x (cols^2) matrix, which
has rank one exactly when the Hessian is a Kronecker product; H and S are read off it (S
normalised to ``S_11 = 1``; H (x) S is unique up to ``(c H, S / c)``).

**Global optimum** (the argument).  With ``H = L_H L_H^T``, ``S = L_S L_S^T`` (S is positive
definite; H positive semi-definite) and ``Delta* = H^+ G S^{-1}`` the unconstrained
minimiser, (1) is

    L(X_0 + Delta) = L(X_0 + Delta*) + || L_H^T (Delta - Delta*) L_S ||_F^2,

and ``Delta -> L_H^T Delta L_S`` maps the updates of rank <= r onto the matrices of rank <= r
of the whitened space (onto the range of L_H^T; a rank-r target is reached with rank(Delta)
<= r).  So the rank-r problem is the plain Eckart-Young-Mirsky problem for
``R = L_H^T Delta* L_S``: the best rank-r update is ``Delta_r = Delta* Pi_r`` with ``Pi_r``
the projector onto the top r eigenvectors of

    K = S Delta*^T H Delta*          (similar to R^T R: its eigenvalues are sigma_i(R)^2),

``Pi_r = W (W^T S^{-1} W)^{-1} W^T S^{-1}`` (W a basis of those eigenvectors), and

    L(X_0 + Delta_r) = L(X_0 + Delta*) + sum_{i > r} sigma_i^2,   gain of direction i = sigma_i^2.

It is unique exactly when ``sigma_r > sigma_{r+1}``; at a tie every choice of the tied
eigenvectors is optimal (reported: ``unique=False`` and the tied eigenspace's dimension).

*Exact* arithmetic (:data:`symbolic.arithmetic.EXACT`): K is rational, its characteristic polynomial is factored over Q and its
roots ordered exactly; the eigenspace of a set of roots that is a union of whole irreducible
factors is the kernel of their product at K (rational), and a tied rational root's eigenspace
is a rational null space, so ``Delta_r`` is exact.  When the boundary between the chosen and
the other roots splits an irreducible factor (irrational conjugate roots on both sides) no
rational answer exists: the same formulas are evaluated in mpmath at 50 digits, and the
result says so (its ``arithmetic`` is ``MP(50)``).  *Float* (:data:`symbolic.arithmetic.FLOAT64`): numpy,
any d.  The arithmetic is an :class:`symbolic.arithmetic.Arithmetic` object, never its name: the
functions branch on ``arith.exact`` and ``arith.precision``.

Without the Kronecker structure (V trained, or a start with ``v_x != 0``) the whitened
problem is not a plain Eckart-Young problem: :func:`lowrank_optimum` then minimises over the
factors by alternating least squares from several random starts and reports the best,
*labelled* ``method = "best of K starts"`` (a local search: not proven global).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.exceptions import NonInvertibleMatrixError
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from .arithmetic import EXACT, FLOAT64, MP, Arithmetic
from .spec import RANKED_BLOCKS, Rank, Spec, check_ranks, max_rank

__all__ = ["KroneckerQuadratic", "RankOptimum", "NotKronecker", "block_layout", "kronecker_quadratic",
           "lowrank_optimum", "ranked_block", "MP_DIGITS", "rank_arithmetic", "eckart_young"]

#: digits of the mpmath fallback (an irrational eigenvalue boundary)
MP_DIGITS = 50
#: relative tolerance of the float Kronecker check
KRON_RTOL = 1e-9


class NotKronecker(ValueError):
    """The block's Hessian is not a Kronecker product H (x) S (so weighted Eckart-Young does
    not apply): e.g. V trained, or a start with v_x != 0 (the query term of the prediction)."""


def rank_arithmetic(arithmetic: Any) -> Arithmetic:
    """The arithmetic of a rank computation: :data:`symbolic.arithmetic.EXACT` or
    :data:`symbolic.arithmetic.FLOAT64` (an :class:`symbolic.arithmetic.Arithmetic`; mpmath is
    not asked for: the exact path falls back to it by itself where the answer is irrational)."""
    if not isinstance(arithmetic, Arithmetic) or not (arithmetic.exact or arithmetic == FLOAT64):
        raise ValueError("arithmetic: expected symbolic.arithmetic.EXACT or FLOAT64 (an Arithmetic object), "
                         f"got {arithmetic!r}")
    return arithmetic


def ranked_block(spec: Spec, d: int | None = None) -> Rank:
    """The spec's one constraining rank, with the checks this module needs (one line each)."""
    if not isinstance(spec, Spec):
        raise ValueError(f"spec: expected a symbolic.spec.Spec, got {type(spec).__name__}")
    ranks = spec.constraining_ranks(d)
    if not ranks:
        raise ValueError("spec: no rank constrains its blocks (a rank below the size of Qxx or Q): "
                         "it is full fine-tuning, derived by symbolic.general.derive_spec")
    if len(ranks) > 1:
        raise ValueError(f"train: at most one block with a rank, got {', '.join(map(str, ranks))}")
    (r,) = ranks
    if r.block not in ("Qxx", "Q"):
        raise ValueError(f"train: a rank on {r.block} is not supported here (Qxx or Q)")
    members = ("Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx") if r.block == "Q" else ("Qxx",)
    extra = [b for b in spec.train if b not in members]
    if extra:
        raise ValueError(f"train: {', '.join(extra)} trained beside the rank-{r.rank} block {r.block}: "
                         "only the ranked block may move")
    if spec.then:
        raise ValueError("then: a second stage under a rank constraint is not supported")
    return r


def block_layout(block: str, d: int, slices: dict) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """``(idx, rows, cols)``: ``idx[i, j]`` is the position in the explicit quadratic's ``u`` of the
    block's entry (i, j); rows and cols are labels (``0``, ``x1``..``xd``, ``y``)."""
    xs = tuple(f"x{i + 1}" for i in range(d))
    if block == "Qxx":
        idx = np.arange(slices["Qxx"].start, slices["Qxx"].stop).reshape(d, d)
        return idx, xs, xs
    if block != "Q":
        raise ValueError(f"block: expected 'Qxx' or 'Q', got {block!r}")
    idx = np.zeros((d + 2, d + 1), dtype=int)
    idx[0, 0] = slices["Q00"].start
    idx[0, 1:] = np.arange(slices["q0x"].start, slices["q0x"].stop)
    idx[1:d + 1, 0] = np.arange(slices["qx0"].start, slices["qx0"].stop)
    idx[1:d + 1, 1:] = np.arange(slices["Qxx"].start, slices["Qxx"].stop).reshape(d, d)
    idx[d + 1, 0] = slices["Qy0"].start
    idx[d + 1, 1:] = np.arange(slices["qyx"].start, slices["qyx"].stop)
    return idx, ("0",) + xs + ("y",), ("0",) + xs


@dataclass
class KroneckerQuadratic:
    r"""``L(X_0 + Delta) = L_0 + tr(Delta S Delta^T H) - 2 tr(Delta^T G)`` over updates Delta
    (rows x cols) of one block; ``X_0`` the start.  Arrays are numpy (dtype object of SymPy
    numbers when ``arithmetic.exact``, float64 otherwise).  ``quadratic`` is the explicit
    quadratic it was read from, ``idx`` the block's layout in it."""

    H: np.ndarray
    S: np.ndarray
    G: np.ndarray
    X0: np.ndarray
    L0: Any
    block: str
    d: int
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    arithmetic: Arithmetic
    quadratic: Any = None
    idx: np.ndarray | None = None
    #: what :func:`eckart_young` computes once per quadratic (the same at every rank): Delta*, K's
    #: spectrum
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def value(self, Delta: Any) -> Any:
        """``L(X_0 + Delta)``.  Exact, with every entry rational: the trace and the sum in QQ
        (:func:`_qq`, FLINT's matrices: ``tr(D S D^T H) = sum((D S D^T) o H^T)``), the same numbers as
        SymPy's products of the entries."""
        D = self._mat(Delta)
        if self.arithmetic.exact:
            if "qq" not in self._memo:
                self._memo["qq"] = tuple(_qq(a) for a in (self.S, self.H, self.G))
            S, H, G = self._memo["qq"]
            Dq = _qq(D) if S is not None and H is not None and G is not None else None
            if Dq is not None:
                M = (Dq * S * Dq.transpose()).to_list()
                Hl, Dl, Gl = H.to_list(), Dq.to_list(), G.to_list()
                quad = sum((M[i][j] * Hl[j][i] for i in range(len(M)) for j in range(len(M))), QQ.zero)
                lin = sum((Dl[i][j] * Gl[i][j] for i in range(len(Dl)) for j in range(len(Dl[0]))), QQ.zero)
                return self.L0 + QQ.to_sympy(quad) - 2 * QQ.to_sympy(lin)
        return self.L0 + _trace(D.dot(self.S).dot(D.T).dot(self.H)) - 2 * _sum(D * self.G)

    def gradient(self, Delta: Any) -> np.ndarray:
        """``dL/dDelta = 2 (H Delta S - G)``."""
        D = self._mat(Delta)
        return 2 * (self.H.dot(D).dot(self.S) - self.G)

    def full_minimiser(self) -> np.ndarray:
        """``Delta* = H^+ G S^{-1}``: the unconstrained minimiser nearest the start (its rows in
        null(H) are 0; gradient descent from the start never moves them)."""
        if self.arithmetic.exact:
            H = sp.Matrix(self.H.tolist())
            try:    # exact: the inverse is refused exactly when det H = 0 (no determinant first)
                Hp = H.inv()
            except NonInvertibleMatrixError:
                Hp = H.pinv()
            if "Sinv" not in self._memo:    # S^{-1}, once per quadratic (the selection uses the same)
                self._memo["Sinv"] = sp.Matrix(self.S.tolist()).inv()
            D = Hp * sp.Matrix(self.G.tolist()) * self._memo["Sinv"]
            return np.array(D.tolist(), dtype=object)
        return np.linalg.pinv(self.H, hermitian=True) @ self.G @ np.linalg.inv(self.S)

    def matrices(self, Delta: Any) -> tuple[Any, Any]:
        """The full (d+2) x (d+2) ``(V, Q)`` with the block at ``X_0 + Delta``."""
        q = self.quadratic
        u = q.start.copy()
        X = self.X0 + self._mat(Delta)
        u[self.idx.reshape(-1)] = X.reshape(-1)
        return q.matrices(u)

    def _mat(self, Delta: Any) -> np.ndarray:
        D = np.asarray(Delta, dtype=object if self.arithmetic.exact else float)
        if D.shape != self.G.shape:
            raise ValueError(f"Delta: expected a {self.G.shape[0]} x {self.G.shape[1]} matrix, got shape {D.shape}")
        return D


def _qq(a: np.ndarray) -> Any:
    """An array of SymPy rationals as a DomainMatrix over QQ, or None where an entry is not one."""
    rows = a.tolist()
    if not all(isinstance(x, sp.Rational) for row in rows for x in row):
        return None
    return DomainMatrix([[QQ.from_sympy(x) for x in row] for row in rows], a.shape, QQ)


def _trace(M: np.ndarray) -> Any:
    return sum(M.diagonal(), sp.S.Zero) if M.dtype == object else float(np.trace(M))


def _sum(M: np.ndarray) -> Any:
    return sum(M.reshape(-1), sp.S.Zero) if M.dtype == object else float(M.sum())


def kronecker_quadratic(spec: Spec, *, d: int, Sigma: Any = None, theta0: Any = None, sigma2: Any = 0,
                        m: Any = sp.oo, values: dict | None = None, arithmetic: Arithmetic = EXACT,
                        block: str | None = None) -> KroneckerQuadratic:
    """The loss of ``spec`` over its ranked block's update, as (1) of the module docstring.

    Raises :class:`NotKronecker` when the block's Hessian is not a Kronecker product (checked
    exactly in exact arithmetic, to a relative 1e-9 in float); ``arithmetic``: EXACT or FLOAT64.
    The rank does not enter (the quadratic is the full block's): one quadratic per setting and
    block is built per process and shared (treat it as read-only)."""
    arith = rank_arithmetic(arithmetic)
    if block is None:
        block = ranked_block(spec, d).block
    key = _setting_key(spec.without_ranks(), d, Sigma, theta0, sigma2, m, values, arith, block)
    if key is None:
        return _kronecker_quadratic(spec, d, Sigma, theta0, sigma2, m, values, arith, block)
    if key not in _KQ:
        if len(_KQ) > 32:
            _KQ.clear()
        kq = _kronecker_quadratic(spec, d, Sigma, theta0, sigma2, m, values, arith, block)
        for a in (kq.H, kq.S, kq.G, kq.X0):
            a.setflags(write=False)    # shared: a caller that writes into it fails loudly
        _KQ[key] = kq
    return _KQ[key]


_KQ: dict = {}


def _setting_key(*parts: Any) -> tuple | None:
    """A hashable key of a setting: a matrix or list by its shape (its dimensions other than 1: a
    list and a column of the same theta_0 are one setting, a flat list of 4 numbers is not a 2 x 2
    Sigma) and entries (sympified: 1/2 and 0.5 stay different), a dict by its keys themselves
    (two symbols of one name and different assumptions differ), None where a part is not hashable."""
    def conv(x):
        if isinstance(x, (sp.MatrixBase, np.ndarray, list, tuple)):
            a = np.asarray(x.tolist() if isinstance(x, sp.MatrixBase) else x, dtype=object)
            return ("entries", tuple(k for k in a.shape if k != 1), tuple(sp.sympify(v) for v in a.reshape(-1)))
        if isinstance(x, dict):
            return tuple(sorted(((k, conv(v)) for k, v in x.items()), key=lambda kv: str(kv[0])))
        return (type(x).__name__, x)
    try:
        key = tuple(conv(x) for x in parts)
        hash(key)
    except (TypeError, sp.SympifyError):
        return None
    return key


_EXPLICIT: dict = {}


def _explicit(spec: Spec, d: int, Sigma: Any, theta0: Any, sigma2: Any, m: Any, values: dict | None,
              arith: Arithmetic) -> Any:
    """The explicit quadratic of the spec's loss (:func:`symbolic.explicit.explicit_quadratic`) in the
    entries it trains, or, in exact arithmetic, where the same question (loss, start, bindings,
    setting) with more blocks trained, the spec's among them, was built in this process, that one:
    the loss as a function of the spec's entries, every other entry at its start, is the same
    function (the caller takes the coupling to the other entries' start into its linear term; in
    float64 that sum would round differently from the block's own quadratic, so float64 builds its own)."""
    from .explicit import explicit_quadratic
    where = _setting_key(d, Sigma, theta0, sigma2, m, values, arith) if arith.exact else None
    question = None if where is None else (spec.loss, spec.then, spec.start, spec.bindings, where)
    try:
        hash(question)
    except TypeError:
        question = None
    if question is not None:
        for (other, train), q in _EXPLICIT.items():
            if other == question and set(spec.train) <= set(train):
                return q
    q = explicit_quadratic(spec.without_ranks(), d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=m,
                           values=values, arithmetic=arith.name)
    if question is not None:
        if len(_EXPLICIT) > 32:
            _EXPLICIT.clear()
        _EXPLICIT[(question, tuple(spec.train))] = q
    return q


def _kronecker_quadratic(spec: Spec, d: int, Sigma: Any, theta0: Any, sigma2: Any, m: Any, values: dict | None,
                         arith: Arithmetic, block: str) -> KroneckerQuadratic:
    q = _explicit(spec, d, Sigma, theta0, sigma2, m, values, arith)
    idx, rows, cols = block_layout(block, q.d, q.slices)
    R, C = idx.shape
    P = idx.reshape(-1)
    A = q.A[np.ix_(P, P)]
    exact = arith.exact
    T = A.reshape(R, C, R, C).transpose(0, 2, 1, 3).reshape(R * R, C * C)
    # the pivot: S_11 (cols[0], cols[0]) with the largest H entry on the diagonal
    diag_rows = [i * R + i for i in range(R)]
    piv = max(diag_rows, key=lambda k: abs(T[k, 0]))
    if T[piv, 0] == 0:
        raise NotKronecker(f"{block}: the loss does not see the block's first column (S_11 = 0)")
    Svec = T[piv, :] / T[piv, 0] if not exact else np.array([x / T[piv, 0] for x in T[piv, :]], dtype=object)
    Hvec = T[:, 0]
    if exact:
        # rational entries: T = Hvec Svec^T decided in QQ (FLINT's matrices), the same equalities of
        # rationals as entry by entry; other entries: SymPy, entry by entry
        Tq, Hq, Sq = _qq(T), _qq(Hvec.reshape(-1, 1)), _qq(Svec.reshape(1, -1))
        if Tq is not None and Hq is not None and Sq is not None:
            ok = (Tq - Hq * Sq).is_zero_matrix
        else:
            outer = np.multiply.outer(Hvec, Svec)
            ok = all(a == b or sp.simplify(a - b) == 0 for a, b in zip(T.reshape(-1), outer.reshape(-1)))
    else:
        outer = np.multiply.outer(Hvec, Svec)
        ok = np.abs(T - outer).max() <= KRON_RTOL * max(1.0, np.abs(T).max())
    if not ok:
        raise NotKronecker(f"{block}: the Hessian in the block's entries is not a Kronecker product H (x) S "
                           "(V trained, or a start with v_0, v_x != 0: the query term couples context and query)")
    H = Hvec.reshape(R, R)
    S = Svec.reshape(C, C)
    X0 = q.start[P].reshape(R, C)
    Gabs = q.b[P].reshape(R, C)
    if P.size != len(q.start):   # a wider question's quadratic: the block's coupling to the other entries' start
        Gabs = Gabs - (q.A[P, :].dot(q.start) - A.dot(q.start[P])).reshape(R, C)
    G = Gabs - H.dot(X0).dot(S)
    return KroneckerQuadratic(H, S, G, X0, _start_value(q), block, q.d, rows, cols, arith, q, idx)


_L0: dict = {}


def _start_value(q: Any) -> Any:
    """``q.value(q.start)``, once per explicit quadratic (two blocks read from one wider question's
    quadratic share it: the loss at the start is the same number)."""
    hit = _L0.get(id(q))
    if hit is None or hit[0] is not q:
        if len(_L0) > 32:
            _L0.clear()
        hit = _L0[id(q)] = (q, q.value(q.start))
    return hit[1]


@dataclass
class RankOptimum:
    r"""The best update of rank <= r of one block at a concrete setting.

    ``Delta`` (rows x cols) and ``X = X_0 + Delta``; ``V``, ``Q`` the full (d+2) x (d+2)
    matrices there; ``loss``, ``loss_start`` (r = 0) and ``loss_full`` (no rank constraint);
    ``spectrum``: the gains ``sigma_i^2`` (eigenvalues of K, see the module docstring) with
    multiplicities, largest first: the loss falls by ``sigma_i^2`` for each direction taken;
    ``unique``: whether the optimum is unique (``sigma_r > sigma_{r+1}``), else ``tie`` =
    (dimension of the tied eigenspace, how many of its directions are taken);
    ``input_directions`` (columns: a basis of Delta's row space, in the query coordinates
    ``cols``) and ``output_directions`` (a basis of Delta's column space, in ``rows``);
    ``method``: how the answer was found, and whether it is proven global.
    """

    block: str
    rank: int
    d: int
    Delta: Any
    X: Any
    V: Any
    Q: Any
    loss: Any
    loss_start: Any
    loss_full: Any
    spectrum: list[tuple[Any, int]]
    unique: bool
    method: str
    arithmetic: Arithmetic
    rows: tuple[str, ...] = ()
    cols: tuple[str, ...] = ()
    tie: tuple[int, int] | None = None
    input_directions: Any = None
    output_directions: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_global(self) -> bool:
        """Whether the optimum is proven global (weighted Eckart-Young), not a best-of-starts."""
        return self.method.startswith("weighted Eckart-Young")


def lowrank_optimum(spec: Spec, *, d: int, Sigma: Any = None, theta0: Any = None, sigma2: Any = 0,
                    m: Any = sp.oo, values: dict | None = None, arithmetic: Arithmetic = EXACT,
                    rank: int | None = None, starts: int = 20, seed: int = 0) -> RankOptimum:
    r"""The best rank-r update of the spec's ranked block at the setting (module docstring).

    ``rank`` overrides the spec's rank (same block); ``arithmetic``: :data:`symbolic.arithmetic.EXACT`
    (SymPy rationals; mpmath at :data:`MP_DIGITS` digits where the answer is irrational, labelled) or
    :data:`symbolic.arithmetic.FLOAT64`.  Where the Hessian is not a Kronecker product the answer is the best of
    ``starts`` alternating-least-squares runs from random factors (float, seeded by ``seed``),
    labelled so."""
    arithmetic = rank_arithmetic(arithmetic)
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d: expected an integer >= 1, got {d!r}")
    check_ranks(spec, d)
    if rank is not None:
        base = next((r for r in spec.ranks if r.block in ("Qxx", "Q")), None)
        if base is None:
            raise ValueError("rank: the spec carries no rank on Qxx or Q to override")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= max_rank(base.block, d):
            raise ValueError(f"rank: expected an integer 1 <= rank <= {max_rank(base.block, d)} "
                             f"(the size of {base.block} at d = {d}), got {rank!r}")
        from dataclasses import replace
        spec = replace(spec, ranks=tuple(Rank(x.block, rank, x.where) if x is base else x for x in spec.ranks))
    r = next((x for x in spec.ranks if x.block in ("Qxx", "Q")), None)
    if r is None:
        raise ValueError("spec: expected a rank on Qxx or Q")
    ranked_block(spec, None)   # the shape checks (at symbolic d, so that full rank passes too)
    try:
        kq = kronecker_quadratic(spec, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=m, values=values,
                                 arithmetic=arithmetic, block=r.block)
    except NotKronecker as exc:
        return _best_of_starts(spec, r, str(exc), d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=m,
                               values=values, starts=starts, seed=seed)
    return eckart_young(kq, r.rank)


def eckart_young(kq: KroneckerQuadratic, r: int) -> RankOptimum:
    """The best update of rank <= r of a Kronecker-structured quadratic (module docstring)."""
    exact = kq.arithmetic.exact
    if "Dstar" not in kq._memo:
        kq._memo["Dstar"] = kq.full_minimiser()
    Dstar = kq._memo["Dstar"].copy()
    if exact:
        out = _exact_selection(kq, Dstar, r)
        if out is not None:
            return out
        return _mp_selection(kq, Dstar, r)
    return _float_selection(kq, Dstar, r)


def _finish(kq: KroneckerQuadratic, r: int, Delta, Dstar, spectrum, unique, tie, W, method, arithmetic: Arithmetic,
            notes=()) -> RankOptimum:
    mp = arithmetic.precision is not None
    V, Q = kq.matrices(Delta) if not mp else kq.matrices(_to_float(Delta))
    loss = kq.value(Delta) if not mp else None
    if not mp and "full" not in kq._memo:
        kq._memo["full"] = kq.value(Dstar)
    full = kq._memo["full"] if not mp else None
    if arithmetic.exact:
        V, Q = sp.Matrix(V.tolist()), sp.Matrix(Q.tolist())
        if "Sinv" not in kq._memo:
            kq._memo["Sinv"] = sp.Matrix(kq.S.tolist()).inv()
        Sinv = kq._memo["Sinv"]
        ins = Sinv * W if W is not None and W.cols else sp.zeros(kq.S.shape[0], 0)
        outs = sp.Matrix(Dstar.tolist()) * W if W is not None and W.cols else sp.zeros(kq.H.shape[0], 0)
    elif mp:
        ins = outs = None
    else:
        ins = np.linalg.solve(kq.S, W) if W is not None else None
        outs = Dstar @ W if W is not None else None
    return RankOptimum(kq.block, r, kq.d, Delta, kq.X0 + Delta, V, Q, loss, kq.L0, full, spectrum, unique, method,
                       arithmetic, kq.rows, kq.cols, tie, ins, outs, list(notes))


_METHOD = ("weighted Eckart-Young on the whitened update L_H^T Delta L_S (Hessian H (x) S, checked): the "
           "global optimum over rank-r updates")


def _exact_selection(kq: KroneckerQuadratic, Dstar: np.ndarray, r: int) -> RankOptimum | None:
    """Exact selection of the top-r eigenvectors of K = S D*^T H D*, or None when the boundary
    splits an irreducible factor (no rational answer)."""
    if "spectrum" not in kq._memo:    # the same at every rank: once per quadratic
        kq._memo["spectrum"] = _spectrum(kq, Dstar)
    S, H, D, K, C, lam, factors, roots = kq._memo["spectrum"]
    spectrum = [(rt, e) for rt, _, e in roots]
    flat = [t for t in roots for _ in range(t[2])]
    if r >= C or flat[r - 1][0] == 0:
        Delta = Dstar
        W = sp.Matrix.hstack(*[v for rt, j, e in roots if rt != 0 for v in _kernel(factors[j][0], lam, K)]) \
            if any(rt != 0 for rt, _, _ in roots) else sp.zeros(C, 0)
        return _finish(kq, r, Delta, Dstar, spectrum, True, None, W, _METHOD, EXACT)
    boundary = flat[r - 1][0]
    nxt = flat[r][0]
    strict = [t for t in roots if sp.N(t[0] - boundary, 60) > 0]
    take = r - sum(e for _, _, e in strict)
    tied = next(t for t in roots if t[0] == boundary)
    unique = bool(sp.N(boundary - nxt, 60) > 0)
    # a rational answer needs every irreducible factor wholly in or wholly out (or, at a tie,
    # a rational tied root, whose eigenspace is a rational null space)
    chosen = {(t[0], t[1]) for t in strict} | ({(tied[0], tied[1])} if take == tied[2] else set())
    for j in {t[1] for t in roots}:
        members = [(rt, jj) for rt, jj, _ in roots if jj == j]
        inside = [x in chosen for x in members]
        if any(inside) and not all(inside):
            return None
    if take < tied[2] and factors[tied[1]][0].degree() != 1:
        return None
    vectors = []
    for j in sorted({jj for _, jj in chosen}):
        vectors += _kernel(factors[j][0], lam, K)
    tie = None
    if take < tied[2]:
        basis = (K - boundary * sp.eye(C)).nullspace()
        vectors += basis[:take]
        tie = (len(basis), take)
    W = sp.Matrix.hstack(*vectors)
    if "Sinv" not in kq._memo:    # S^{-1}, once per quadratic (:func:`_finish` uses the same)
        kq._memo["Sinv"] = S.inv()
    Sinv = kq._memo["Sinv"]
    Pi = W * (W.T * Sinv * W).inv() * W.T * Sinv
    Delta = np.array((D * Pi).tolist(), dtype=object)
    notes = [] if unique else [f"sigma_r = sigma_(r+1): the optimum is not unique; {take} of the {tied[2]} tied "
                               "directions are taken (the first of a rational basis of their eigenspace)"]
    return _finish(kq, r, Delta, Dstar, spectrum, bool(unique), tie, W, _METHOD, EXACT, notes)


def _spectrum(kq: KroneckerQuadratic, Dstar: np.ndarray) -> tuple:
    """``K = S D*^T H D*`` and its eigenvalues, exactly: the irreducible factors over Q of its
    characteristic polynomial and their roots ``(root, factor index, multiplicity)``, largest first."""
    S, H, D = (sp.Matrix(a.tolist()) for a in (kq.S, kq.H, Dstar))
    K = S * D.T * H * D
    C = K.shape[0]
    chi = K.charpoly(sp.Dummy("lam"))
    chi = sp.Poly(chi.as_expr(), chi.gen)
    lam = chi.gen
    _, factors = chi.factor_list()
    roots = []   # (root, factor index, multiplicity)
    for j, (f, e) in enumerate(factors):
        # K is similar to R^T R (module docstring): its roots are real.  An irreducible factor's real
        # roots, as many as its degree, are all its roots (all_roots lists the same ones, in the same
        # order, after isolating complex roots that this count rules out)
        # (a linear factor's root directly: -f(0)/f'(0), the rational real_roots gives)
        rts = [-f.nth(0) / f.nth(1)] if f.degree() == 1 else f.real_roots()
        if len(rts) != f.degree():
            raise ValueError(f"K: the characteristic polynomial's factor {f.as_expr()} has non-real roots "
                             "(K = S D*^T H D* is similar to a positive semi-definite matrix: H or S is not)")
        for rt in rts:
            roots.append((rt, j, e))
    roots.sort(key=lambda t: -sp.N(t[0], 60))
    return S, H, D, K, C, lam, factors, roots


def _kernel(f: sp.Expr, lam: sp.Symbol, K: sp.Matrix) -> list[sp.Matrix]:
    """A basis of ker f(K) (the eigenvectors of the roots of f; K is diagonalisable)."""
    coeffs = f.all_coeffs()
    C = K.shape[0]
    M = sp.zeros(C, C)
    for c in coeffs:
        M = M * K + c * sp.eye(C)
    return M.nullspace()


def _mp_selection(kq: KroneckerQuadratic, Dstar: np.ndarray, r: int) -> RankOptimum:
    import mpmath as mp
    with mp.workdps(MP_DIGITS):
        S, H, D = (mp.matrix([[mp.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in row] for row in a.tolist()])
                   for a in (kq.S, kq.H, Dstar))
        L = mp.cholesky(S)
        M = L.T * D.T * H * D * L
        M = (M + M.T) / 2
        E, Q = mp.eigsy(M)
        order = sorted(range(len(E)), key=lambda i: -E[i])
        Vr = mp.matrix(Q.rows, r)
        for k, i in enumerate(order[:r]):
            for a in range(Q.rows):
                Vr[a, k] = Q[a, i]
        Pi = L * Vr * Vr.T * mp.inverse(L)
        Delta = D * Pi
        spectrum = [(E[i], 1) for i in order]
        unique = r >= len(order) or E[order[r - 1]] - E[order[r]] > mp.mpf(10) ** (-MP_DIGITS // 2)
        Darr = np.array([[Delta[i, j] for j in range(Delta.cols)] for i in range(Delta.rows)], dtype=object)
    out = _finish(kq, r, Darr, Dstar, spectrum, bool(unique), None, None, _METHOD, MP(MP_DIGITS),
                  [f"the boundary between the chosen and the other singular values splits an irreducible factor "
                   f"of the characteristic polynomial (conjugate irrational roots on both sides): no rational "
                   f"answer; evaluated in mpmath at {MP_DIGITS} digits"])
    with mp.workdps(MP_DIGITS):
        Df = np.array([[mp.mpf(x) for x in row] for row in Darr.tolist()], dtype=object)
        Dst = np.array([[mp.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in row] for row in Dstar.tolist()],
                       dtype=object)
        Hm = np.array([[mp.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in row] for row in kq.H.tolist()], dtype=object)
        Sm = np.array([[mp.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in row] for row in kq.S.tolist()], dtype=object)
        Gm = np.array([[mp.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in row] for row in kq.G.tolist()], dtype=object)
        L0 = mp.mpf(sp.Rational(kq.L0).p) / sp.Rational(kq.L0).q

        def val(X):
            return L0 + sum((X.dot(Sm).dot(X.T).dot(Hm)).diagonal()) - 2 * sum((X * Gm).reshape(-1))
        out.loss, out.loss_full = val(Df), val(Dst)
    return out


def _to_float(D: np.ndarray) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in np.asarray(D).tolist()], dtype=float)


def _float_selection(kq: KroneckerQuadratic, Dstar: np.ndarray, r: int) -> RankOptimum:
    S, H = kq.S.astype(float), kq.H.astype(float)
    L = np.linalg.cholesky(S)
    M = L.T @ Dstar.T @ H @ Dstar @ L
    E, Qm = np.linalg.eigh((M + M.T) / 2)
    order = np.argsort(-E)
    E, Qm = E[order], Qm[:, order]
    C = len(E)
    scale = max(E[0], 1e-300) if C else 1.0
    unique = r >= C or (E[r - 1] - E[r]) > 1e-9 * scale
    Vr = Qm[:, :r]
    Pi = L @ Vr @ Vr.T @ np.linalg.inv(L)
    Delta = Dstar @ Pi
    spectrum = _group(E, scale)
    tie = None
    notes = []
    if not unique:
        tied = int(np.sum(np.abs(E - E[r - 1]) <= 1e-9 * scale))
        before = int(np.sum(E - E[r - 1] > 1e-9 * scale))
        tie = (tied, r - before)
        notes.append(f"sigma_r = sigma_(r+1) to 1e-9: the optimum is not unique; {r - before} of the {tied} tied "
                     "directions are taken (numpy's eigenvector order)")
    W = L @ Vr
    return _finish(kq, r, Delta, Dstar, spectrum, bool(unique), tie, W, _METHOD, FLOAT64, notes)


def _group(E: np.ndarray, scale: float) -> list[tuple[float, int]]:
    out: list[tuple[float, int]] = []
    for e in E:
        if out and abs(out[-1][0] - e) <= 1e-9 * scale:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((float(e), 1))
    return out


# ----------------------------------------------------------------------------- without the structure

def _best_of_starts(spec: Spec, r: Rank, why: str, *, d, Sigma, theta0, sigma2, m, values, starts, seed) -> RankOptimum:
    """Alternating least squares over the factors (B, A) of Delta = B A from ``starts`` random
    starts (A ~ N(0, 1/cols), B = 0, then alternate exact least-squares solves); the best is
    reported, labelled as a local search."""
    from .explicit import explicit_quadratic
    if isinstance(starts, bool) or not isinstance(starts, int) or not 1 <= starts <= 1000:
        raise ValueError(f"starts: expected an integer 1 <= starts <= 1000, got {starts!r}")
    q = explicit_quadratic(spec.without_ranks(), d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=m,
                           values=values, arithmetic=FLOAT64.name)
    idx, rows, cols = block_layout(r.block, q.d, q.slices)
    R, C = idx.shape
    P = idx.reshape(-1)
    A = q.A[np.ix_(P, P)].astype(float)
    X0 = q.start[P].astype(float).reshape(R, C)
    g = (q.b[P].astype(float) - A @ X0.reshape(-1))   # L(X0 + D) = L0 + vecD^T A vecD - 2 g^T vecD
    L0 = float(q.value(q.start))
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        Af = rng.normal(0.0, 1.0 / np.sqrt(C), size=(r.rank, C))
        Bf = np.zeros((R, r.rank))
        prev = np.inf
        for _it in range(500):
            Bf = _ls(A, g, np.kron(np.eye(R), Af.T))               # vec(B A) = (I (x) A^T) vec(B)
            Bf = Bf.reshape(R, r.rank)
            Af = _ls(A, g, np.kron(Bf, np.eye(C))).reshape(r.rank, C)   # vec(B A) = (B (x) I) vec(A)
            D = Bf @ Af
            val = L0 + D.reshape(-1) @ A @ D.reshape(-1) - 2 * g @ D.reshape(-1)
            if prev - val <= 1e-14 * max(1.0, abs(val)):
                break
            prev = val
        if best is None or val < best[0]:
            best = (val, D)
    val, D = best
    full = L0 - g @ np.linalg.lstsq(A, g, rcond=None)[0]
    u = q.start.astype(float).copy()
    u[P] = (X0 + D).reshape(-1)
    V, Q = q.matrices(u)
    return RankOptimum(r.block, r.rank, q.d, D, X0 + D, V, Q, float(val), L0, float(full), [], False,
                       f"best of {starts} starts (alternating least squares over the factors; a local search, "
                       f"not proven global: {why})", FLOAT64, rows, cols, None, None, None,
                       ["no Kronecker structure: the optimum is not proven global"])


def _ls(A: np.ndarray, g: np.ndarray, J: np.ndarray) -> np.ndarray:
    """argmin_z (J z)^T A (J z) - 2 g^T J z: the least-squares solve (J^T A J) z = J^T g."""
    M = J.T @ A @ J
    return np.linalg.lstsq(M, J.T @ g, rcond=None)[0]
