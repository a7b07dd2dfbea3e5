r"""A spec's loss in the trained entries, *structured* instead of dense, at a concrete float setting.

:mod:`symbolic.explicit` writes the loss of a spec that trains Q's blocks as
``L(u) = u^T A u - 2 b^T u + c`` with A a dense matrix; with ``Q_xx`` trained A has
(d^2 + ...)^2 entries (7 TiB at d = 1,000).  The same Wick derivation gives A in a form whose
size is O(d^2).  Split u into the small part ``s`` (the trained scalars and d-vectors, BLOCKS
order) and ``D = Q_xx``.  Every factor of the loss polynomial is, in D:

* ``tr(X P Y R)`` with X, Y in {D, D^T} (two Q_xx atoms in one trace): a *Kronecker* term,
  the d^2 x d^2 block ``P (x) R`` (up to the order and transposition of the indices);
* ``a^T W_1 X W_2 Y W_3 b``: ``f^T R g`` with f, g among the d-vectors ``D q`` and ``D^T p``
  (q = W_3 b or p = W_1^T a): a bilinear form in *features* of D;
* ``a^T W_1 X W_2 u`` (u a trained vector), ``a^T W_1 X W_2 b``, ``tr(X R)``: linear in the
  same features (``tr(G D)`` is one more, scalar, feature);
* products of two degree-1 factors: outer products of feature functionals.

So, with ``Psi u = (s, D q_1, ..., D^T p_1, ..., tr(G_1 D), ...)`` (q_j, p_k orthonormal bases
of the vectors met, :class:`Basis`),

    L(u) = sum_kron k tr(X P Y R) + y^T H y - 2 h^T y + c,      y = Psi u,

i.e. ``A = K + Psi^T H Psi`` and ``b = Psi^T h`` with K the Kronecker part (acting on D only)
and H a dense matrix over (ps + (n_q + n_p) d + n_G) coordinates.  ``u -> A u`` costs O(d^3)
(:meth:`StructuredQuadratic.matvec`).

*The frame*: the loss is invariant under x -> U^T x (Sigma -> U^T Sigma U, theta_0 -> U^T theta_0,
vector blocks v -> U^T v, Q_xx -> U^T Q_xx U; V and Q as a whole by the congruence with
``T = diag(1, U, 1)``).  With U the eigenvectors of Sigma every word in Sigma (Sigma^-1, the
pretrained Gamma_hat, ...) is diagonal there, and so is every Kronecker factor: K acts entrywise,
``K D = alpha o D + beta o D^T`` (o the entrywise product), which
:mod:`symbolic.structured_solve` inverts pair by pair.  The whole quadratic is built in that
frame (:attr:`StructuredQuadratic.U`; None when Sigma is already diagonal) and the answer is
rotated back.  A Kronecker factor that is not diagonal there (a task covariance matrix not a
function of Sigma, say) leaves ``alpha``/``beta`` None: the operator still works, the
structured solve refuses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .arithmetic import FLOAT64
from .explicit import _Degree, _Matrices, _start, _terms_and_start
from .layout import SCALARS, VECTORS, block
from .forms import Tr
from .spec import BLOCKS

__all__ = ["StructuredQuadratic", "Stage", "Basis", "structured_quadratic", "Names"]

#: a vector joins a basis when its part outside the span is above this fraction of its norm
SPAN_RTOL = 1e-12
#: a Kronecker factor counts as diagonal in the frame when its off-diagonal part is below this
#: fraction of its largest entry
DIAGONAL_RTOL = 1e-12


class Basis:
    """An orthonormal basis (columns) of the span of the d-vectors registered, by Gram-Schmidt
    applied twice; ``sources`` names the vectors that enlarged it."""

    def __init__(self, d: int):
        self.d = d
        self.cols: list[np.ndarray] = []
        self.sources: list[str] = []

    @property
    def matrix(self) -> np.ndarray:
        return np.column_stack(self.cols) if self.cols else np.zeros((self.d, 0))

    def __len__(self) -> int:
        return len(self.cols)

    def _residual(self, v: np.ndarray) -> np.ndarray:
        E = self.matrix
        for _ in range(2):
            v = v - E @ (E.T @ v)
        return v

    def contains(self, v: np.ndarray) -> bool:
        nv = float(np.linalg.norm(v))
        return nv == 0.0 or float(np.linalg.norm(self._residual(v))) <= SPAN_RTOL * nv

    def add(self, v: np.ndarray, name: str) -> None:
        nv = float(np.linalg.norm(v))
        if nv == 0.0:
            return
        r = self._residual(v)
        nr = float(np.linalg.norm(r))
        if nr > SPAN_RTOL * nv:
            self.cols.append(r / nr)
            self.sources.append(name)

    def coeffs(self, v: np.ndarray) -> np.ndarray:
        """``E^T v``: v's coordinates (v must lie in the span)."""
        return self.matrix.T @ v


class Names:
    """The names of the trained entries in :func:`symbolic.explicit.explicit_quadratic`'s order,
    computed on demand (d^2 strings for Q_xx are not built at large d)."""

    def __init__(self, sizes: dict[str, int], d: int):
        self.d = d
        self.blocks = list(sizes.items())
        self.total = sum(sizes.values())

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, i: int) -> str:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.total))]
        if i < 0:
            i += self.total
        if not 0 <= i < self.total:
            raise IndexError(i)
        for blk, k in self.blocks:
            if i < k:
                if k == 1:
                    return block(blk).symbol
                if blk == "Qxx":
                    return f"Q_xx[{i // self.d + 1},{i % self.d + 1}]"
                return f"{block(blk).symbol}[{i + 1}]"
            i -= k
        raise IndexError(i)

    def __iter__(self):
        return (self[i] for i in range(self.total))


@dataclass
class Stage:
    """One loss (the spec's ``loss`` or ``then``) in the structured form: ``H``, ``h``, ``c`` over
    the common coordinates y = Psi u, and its Kronecker terms ``(k, P, R, tX, tY)`` for
    ``k tr(X P Y R)`` (X = D^T when tX, Y = D^T when tY); ``alpha``, ``beta`` (d x d) give
    ``K D = alpha o D + beta o D^T`` when every factor is diagonal in the frame, else None."""

    H: np.ndarray
    h: np.ndarray
    c: float
    kron: list = field(default_factory=list)
    alpha: np.ndarray | None = None
    beta: np.ndarray | None = None

    @property
    def has_kron(self) -> bool:
        return bool(self.kron)

    @property
    def diagonal(self) -> bool:
        return self.alpha is not None


@dataclass
class StructuredQuadratic:
    r"""The loss (and a second stage's) in the frame of Sigma's eigenvectors (module docstring).

    ``s`` is the small part of u (``s_slices``: block -> slice), ``D`` the d x d Q_xx; the
    common coordinates ``y = Psi u`` are ``s``, then ``D q_j`` (j over ``right``), then
    ``D^T p_k`` (k over ``left``), then ``tr(G_t D)`` (t over ``traces``).  ``s0``, ``D0`` the
    start; ``V0``, ``Q0`` the start matrices (all in the frame); ``U`` the frame (None:
    identity); ``names`` the entries in explicit_quadratic's order (original frame)."""

    d: int
    trained: tuple[str, ...]
    s_slices: dict
    ps: int
    right: Basis
    left: Basis
    traces: list
    stages: list
    s0: np.ndarray
    D0: np.ndarray
    V0: np.ndarray
    Q0: np.ndarray
    U: np.ndarray | None
    names: Names
    sizes: dict

    # -- coordinates -----------------------------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def n_features(self) -> int:
        return (len(self.right) + len(self.left)) * self.d + len(self.traces)

    @property
    def n_coords(self) -> int:
        return self.ps + self.n_features

    def psi(self, s: np.ndarray, D: np.ndarray) -> np.ndarray:
        """``y = Psi u``."""
        out = [np.asarray(s, dtype=float)]
        E, F = self.right.matrix, self.left.matrix
        if E.shape[1]:
            out.append((D @ E).T.reshape(-1))
        if F.shape[1]:
            out.append((D.T @ F).T.reshape(-1))
        if self.traces:
            out.append(np.array([float(np.sum(G.T * D)) for G in self.traces]))
        return np.concatenate(out)

    def psi_T(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Psi^T y`` as ``(s, D)``."""
        d, ps = self.d, self.ps
        E, F = self.right.matrix, self.left.matrix
        s = np.array(y[:ps], dtype=float)
        at = ps
        D = np.zeros((d, d))
        if E.shape[1]:
            Y = y[at:at + E.shape[1] * d].reshape(E.shape[1], d).T   # columns: the weights on D e_j
            D += Y @ E.T
            at += E.shape[1] * d
        if F.shape[1]:
            Z = y[at:at + F.shape[1] * d].reshape(F.shape[1], d).T
            D += F @ Z.T
            at += F.shape[1] * d
        for t, G in enumerate(self.traces):
            D += y[at + t] * G.T
        return s, D

    # -- the operator ----------------------------------------------------------------------
    def kron_apply(self, stage: int, D: np.ndarray) -> np.ndarray:
        """``K D``: ``alpha o D + beta o D^T`` in O(d^2) when the factors are diagonal, else
        :meth:`kron_apply_general`."""
        st = self.stages[stage]
        if st.alpha is not None:
            return st.alpha * D + st.beta * D.T
        return self.kron_apply_general(stage, D)

    def kron_apply_general(self, stage: int, D: np.ndarray) -> np.ndarray:
        r"""``K D`` from the Kronecker terms as they are (any factors), O(d^3): the half gradient of
        ``sum k tr(X P Y R)``, ``(k/2) (g(X, P Y R) + g(Y, R X P))`` with g(D, M) = M^T and
        g(D^T, M) = M."""
        out = np.zeros_like(D)
        for k, P, R, tX, tY in self.stages[stage].kron:
            X, Y = (D.T if tX else D), (D.T if tY else D)
            M1, M2 = P @ Y @ R, R @ X @ P
            out += 0.5 * k * ((M1 if tX else M1.T) + (M2 if tY else M2.T))
        return out

    def matvec(self, stage: int, s: np.ndarray, D: np.ndarray, general: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``A u`` as ``(s, D)``: O(d^2 (n_q + n_p) + coordinates^2), O(d^3) with ``general``
        (the Kronecker terms applied as products, not entrywise)."""
        st = self.stages[stage]
        ys, yD = self.psi_T(st.H @ self.psi(s, D))
        return ys, yD + (self.kron_apply_general(stage, D) if general else self.kron_apply(stage, D))

    def rhs(self, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """``b = Psi^T h``."""
        return self.psi_T(self.stages[stage].h)

    def value(self, stage: int, s: np.ndarray, D: np.ndarray) -> float:
        """``L(u) = u^T A u - 2 b^T u + c``."""
        As, AD = self.matvec(stage, s, D)
        bs, bD = self.rhs(stage)
        return float(s @ As + np.sum(D * AD) - 2 * (s @ bs + np.sum(D * bD)) + self.stages[stage].c)

    # -- the original frame ----------------------------------------------------------------
    def split(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full u (explicit_quadratic's order) -> ``(s, D)``, no change of frame."""
        u = np.asarray(u, dtype=float).reshape(-1)
        s, D, at, parts = [], None, 0, []
        for blk, k in self.sizes.items():
            if blk == "Qxx":
                D = u[at:at + k].reshape(self.d, self.d)
            else:
                parts.append(u[at:at + k])
            at += k
        s = np.concatenate(parts) if parts else np.zeros(0)
        return s, (np.zeros((self.d, self.d)) if D is None else D)

    def join(self, s: np.ndarray, D: np.ndarray) -> np.ndarray:
        """``(s, D)`` -> full u, no change of frame."""
        out, at = [], 0
        for blk, k in self.sizes.items():
            if blk == "Qxx":
                out.append(np.asarray(D, dtype=float).reshape(-1))
            else:
                out.append(np.asarray(s[at:at + k], dtype=float))
                at += k
        return np.concatenate(out) if out else np.zeros(0)

    def to_original(self, s: np.ndarray, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """From the frame back: d-vectors ``U v``, ``U D U^T``."""
        if self.U is None:
            return np.array(s, dtype=float), np.array(D, dtype=float)
        return self._rotate_s(s, self.U), self.U @ D @ self.U.T

    def to_frame(self, s: np.ndarray, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.U is None:
            return np.array(s, dtype=float), np.array(D, dtype=float)
        return self._rotate_s(s, self.U.T), self.U.T @ D @ self.U

    def _rotate_s(self, s: np.ndarray, M: np.ndarray) -> np.ndarray:
        out = np.array(s, dtype=float)
        for blk, sl in self.s_slices.items():
            if sl.stop - sl.start == self.d and blk in VECTORS:
                out[sl] = M @ out[sl]
        return out

    def matrices(self, s: np.ndarray, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(V, Q)`` in the original frame with the trained entries at ``(s, D)`` (given in the frame)."""
        d = self.d
        V, Q = self.V0.copy(), self.Q0.copy()
        x = slice(1, d + 1)
        where = {"v0": (V, d + 1, 0), "vy": (V, d + 1, d + 1), "Q00": (Q, 0, 0), "Qy0": (Q, d + 1, 0)}
        for blk, sl in self.s_slices.items():
            val = s[sl]
            if blk in where:
                M, i, j = where[blk]
                M[i, j] = val[0]
            elif blk == "vx":
                V[d + 1, x] = val
            elif blk == "q0x":
                Q[0, x] = val
            elif blk == "qx0":
                Q[x, 0] = val
            elif blk == "qyx":
                Q[d + 1, x] = val
        if "Qxx" in self.trained:
            Q[x, x] = D
        if self.U is not None:
            T = np.eye(d + 2)
            T[x, x] = self.U
            V, Q = T @ V @ T.T, T @ Q @ T.T
        return V, Q

    def dense(self, stage: int = 0, general: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
        """A, b, c in the original frame and explicit_quadratic's order, by applying the operator
        to each unit vector (``general``: the Kronecker terms as products, else entrywise): for
        tests at small d only."""
        p = self.size
        if p > 5000:
            raise ValueError(f"dense: {p} entries; the dense form is for tests at small d")
        A = np.zeros((p, p))
        for i in range(p):
            e = np.zeros(p)
            e[i] = 1.0
            s, D = self.to_frame(*self.split(e))
            A[:, i] = self.join(*self.to_original(*self.matvec(stage, s, D, general)))
        b = self.join(*self.to_original(*self.rhs(stage)))
        return A, b, self.stages[stage].c


# ----------------------------------------------------------------------------- building

def _is_diagonal(M: np.ndarray) -> bool:
    return M.ndim == 2 and np.count_nonzero(M - np.diag(np.diagonal(M))) == 0


class _FrameMatrices(_Matrices):
    """:class:`symbolic.explicit._Matrices` with products and inverses of diagonal matrices
    (every word in Sigma, in Sigma's frame) taken entrywise: O(d) instead of O(d^3)."""

    def atom(self, a: Any) -> np.ndarray:
        if a not in self.atoms and not a.transposed:
            e = a.expr
            base = e.args[0] if isinstance(e, sp.Inverse) else \
                e.base if isinstance(e, sp.MatPow) and e.exp == -1 else None
            if base is not None and self.num is not None:
                B = self._conv(self.num.matrix(base))
                if _is_diagonal(B) and np.all(np.diagonal(B) != 0):
                    self.atoms[a] = np.diag(1.0 / np.diagonal(B))
        return super().atom(a)

    def word(self, w: tuple) -> np.ndarray:
        if w not in self.words and len(w) > 1:
            L, R = self.word(w[:-1]), self.atom(w[-1])
            if _is_diagonal(L) and _is_diagonal(R):
                self.words[w] = np.diag(np.diagonal(L) * np.diagonal(R))
            else:
                self.words[w] = L @ R
        return super().word(w)

    def apply(self, w: tuple, v: np.ndarray) -> np.ndarray:
        for a in reversed(w):
            M = self.atom(a)
            v = np.diagonal(M) * v if _is_diagonal(M) else M @ v
        return v

    def apply_left(self, v: np.ndarray, w: tuple) -> np.ndarray:
        for a in w:
            M = self.atom(a)
            v = np.diagonal(M) * v if _is_diagonal(M) else M.T @ v
        return v


class _Builder:
    """Reads the factors of the loss polynomial into structured pieces (module docstring)."""

    def __init__(self, mats: _Matrices, d: int, vec_unknowns: dict, qxx: Any):
        self.mats, self.d, self.vec_unknowns, self.qxx = mats, d, vec_unknowns, qxx
        self.right, self.left = Basis(d), Basis(d)
        self.traces: list[np.ndarray] = []

    # handles: ("s", blk) | ("R", v, name) | ("L", v, name) | ("T", G)
    def _wvec(self, w: tuple, v: np.ndarray) -> np.ndarray:
        return self.mats.apply(w, v)

    def _left_vec(self, obj: Any, w: tuple) -> np.ndarray:
        """``W^T a`` for the constant vector a."""
        return self.mats.apply_left(self.mats.vector(obj), w)

    @staticmethod
    def _name(obj: Any, w: tuple, left: bool) -> str:
        atoms = [a.T for a in reversed(w)] if left else list(w)   # W^T a when left
        return " ".join([str(a.expr) + ("^T" if a.transposed else "") for a in atoms] + [str(obj)])

    def factor(self, f: Any) -> tuple:
        """("num", x) | ("lf", [components]) | ("quad", [(h1, M, h2)]) | ("kron", (P, R, tX, tY))."""
        mats, qxx = self.mats, self.qxx
        if isinstance(f, Tr):
            w = f.word
            pos = [i for i, a in enumerate(w) if a.expr == qxx]
            if not pos:
                return ("num", float(np.trace(mats.word(w))))
            i = pos[0]
            w = w[i:] + w[:i]
            pos = [k for k, a in enumerate(w) if a.expr == qxx]
            if len(pos) == 1:          # tr(X R): X = D -> G = R; X = D^T -> G = R^T
                R = mats.word(w[1:])
                return ("lf", [(("T", R.T.copy() if w[0].transposed else R), 1.0)])
            if len(pos) == 2:
                k = pos[1]
                return ("kron", (mats.word(w[1:k]), mats.word(w[k + 1:]), w[0].transposed, w[k].transposed))
            raise _Degree(len(pos))
        left, right, w = f.left.obj, f.right.obj, f.word
        lu, ru = self.vec_unknowns.get(left), self.vec_unknowns.get(right)
        pos = [k for k, a in enumerate(w) if a.expr == qxx]
        deg = (lu is not None) + (ru is not None) + len(pos)
        if deg > 2:
            raise _Degree(deg)
        if not pos:
            if lu is None and ru is None:
                return ("num", float(mats.vector(left) @ mats.apply(w, mats.vector(right))))
            if lu is not None and ru is not None:
                return ("quad", [(("s", lu), mats.word(w), ("s", ru))])
            if lu is not None:
                return ("lf", [(("s", lu), mats.apply(w, mats.vector(right)))])
            return ("lf", [(("s", ru), mats.apply_left(mats.vector(left), w))])

        def feature(X: Any, v: np.ndarray, name: str, on_left: bool) -> tuple:
            """The d-vector feature ``v^T X`` read as a row (on_left) or ``X v`` (a column)."""
            # v^T D = (D^T v)^T: L(v); v^T D^T = (D v)^T: R(v); D v: R(v); D^T v: L(v)
            if on_left:
                return ("L", v, name) if not X.transposed else ("R", v, name)
            return ("R", v, name) if not X.transposed else ("L", v, name)

        if len(pos) == 1:
            k = pos[0]
            W1, W2 = w[:k], w[k + 1:]
            X = w[k]
            if lu is None and ru is None:     # a^T W1 X W2 b = p^T X q: flexible
                p = self._left_vec(left, W1)
                q = mats.apply(W2, mats.vector(right))
                if X.transposed:               # p^T D^T q = q^T D p
                    p, q = q, p
                    pn, qn = self._name(right, W2, False), self._name(left, W1, True)
                else:
                    pn, qn = self._name(left, W1, True), self._name(right, W2, False)
                return ("lf", [("flex", p, q, pn, qn)])
            if lu is not None:                 # u^T W1 X W2 b = u^T M1 f, f = X q
                M1 = mats.word(W1)
                q = mats.apply(W2, mats.vector(right))
                return ("quad", [(("s", lu), M1, feature(X, q, self._name(right, W2, False), False))])
            # a^T W1 X W2 u = (a'^T X) (M2 u), a' = W1^T a
            M2 = mats.word(W2)
            p = self._left_vec(left, W1)
            return ("quad", [(feature(X, p, self._name(left, W1, True), True), M2, ("s", ru))])
        k1, k2 = pos
        p = self._left_vec(left, w[:k1])
        q = mats.apply(w[k2 + 1:], mats.vector(right))
        R = mats.word(w[k1 + 1:k2])
        return ("quad", [(feature(w[k1], p, self._name(left, w[:k1], True), True), R,
                          feature(w[k2], q, self._name(right, w[k2 + 1:], False), False))])

    # -- registration -----------------------------------------------------------------------
    def register(self, h: tuple) -> None:
        if h[0] == "R":
            self.right.add(h[1], h[2])
        elif h[0] == "L":
            self.left.add(h[1], h[2])
        elif h[0] == "T":
            self._trace_index(h[1], add=True)

    def _trace_index(self, G: np.ndarray, add: bool = False) -> int:
        for t, H in enumerate(self.traces):
            if H.shape == G.shape and np.array_equal(H, G):
                return t
        if not add:
            raise KeyError("trace feature not registered")
        self.traces.append(G)
        return len(self.traces) - 1

    def resolve(self, comp: tuple) -> tuple:
        """A flexible ``p^T D q`` as ``(D^T p) . q`` (L) or ``(D q) . p`` (R), whichever basis
        already holds its vector (L when neither: registered)."""
        if comp[0] != "flex":
            return comp
        _, p, q, pn, qn = comp
        if self.left.contains(p):
            return (("L", p, pn), q)
        if self.right.contains(q):
            return (("R", q, qn), p)
        self.left.add(p, pn)
        return (("L", p, pn), q)


def _layout(b: _Builder, s_slices: dict, ps: int) -> tuple[dict, int]:
    d = b.d
    offs = {"R": ps, "L": ps + len(b.right) * d, "T": ps + (len(b.right) + len(b.left)) * d}
    return offs, offs["T"] + len(b.traces)


def _expand(b: _Builder, h: tuple, s_slices: dict, offs: dict) -> list[tuple[int, int, float]]:
    """A handle as ``[(start, size, coefficient)]`` over the common coordinates."""
    d = b.d
    if h[0] == "s":
        sl = s_slices[h[1]]
        return [(sl.start, sl.stop - sl.start, 1.0)]
    if h[0] == "T":
        return [(offs["T"] + b._trace_index(h[1]), 1, 1.0)]
    basis = b.right if h[0] == "R" else b.left
    c = basis.coeffs(h[1])
    return [(offs[h[0]] + j * d, d, float(cj)) for j, cj in enumerate(c) if cj != 0.0]


def _assemble(b: _Builder, pieces: list, s_slices: dict, ps: int) -> Stage:
    offs, F = _layout(b, s_slices, ps)
    H = np.zeros((F, F))
    lin = np.zeros(F)
    const = 0.0
    kron = []
    for kind, k, payload in pieces:
        if kind == "const":
            const += k
        elif kind == "lin":
            for h, wv in payload:
                for at, n, c in _expand(b, h, s_slices, offs):
                    lin[at:at + n] += k * c * np.asarray(wv, dtype=float).reshape(n)
        elif kind == "quad":
            for h1, M, h2 in payload:
                M = np.asarray(M, dtype=float)
                for a1, n1, c1 in _expand(b, h1, s_slices, offs):
                    for a2, n2, c2 in _expand(b, h2, s_slices, offs):
                        H[a1:a1 + n1, a2:a2 + n2] += (k * c1 * c2) * M.reshape(n1, n2)
        elif kind == "kron":
            P, R, tX, tY = payload
            kron.append((k, P, R, tX, tY))
    H = (H + H.T) / 2
    alpha, beta = _entrywise(kron, b.d)
    return Stage(H, -lin / 2, const, kron, alpha, beta)


def _entrywise(kron: list, d: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``K D = alpha o D + beta o D^T`` when every factor is diagonal (module docstring):
    tr(D P D^T R) adds k r_i p_j to alpha_ij, tr(D^T P D R) adds k p_i r_j, and tr(D P D R),
    tr(D^T P D^T R) add (k/2)(r_i p_j + p_i r_j) to beta_ij."""
    alpha, beta = np.zeros((d, d)), np.zeros((d, d))
    for k, P, R, tX, tY in kron:
        for M in (P, R):
            off = M - np.diag(np.diagonal(M))
            if np.abs(off).max(initial=0.0) > DIAGONAL_RTOL * max(np.abs(M).max(initial=0.0), 1e-300):
                return None, None
        p, r = np.diagonal(P).copy(), np.diagonal(R).copy()
        if tX != tY:
            alpha += k * (np.multiply.outer(p, r) if tX else np.multiply.outer(r, p))
        else:
            beta += (k / 2) * (np.multiply.outer(r, p) + np.multiply.outer(p, r))
    return alpha, beta


def _frame_environment(Sf: np.ndarray, t0: np.ndarray, sigma2: Any, m: Any, values: dict) -> tuple[dict, int]:
    """:func:`symbolic.explicit._environment` (float) for the diagonal Sigma of the frame, already
    validated by :func:`_frame` (no second Cholesky factorisation)."""
    s2 = float(sigma2)
    if not (s2 >= 0 and np.isfinite(s2)):
        raise ValueError(f"sigma2: expected a finite number >= 0, got {sigma2!r}")
    env: dict[str, Any] = {"Sigma": Sf, "theta_0": t0.reshape(-1, 1), "sigma": sp.sqrt(s2), "d": Sf.shape[0]}
    if sp.sympify(m) != sp.oo:
        env["m"] = sp.sympify(m)
    for k, v in values.items():
        env[getattr(k, "name", str(k))] = v
    return env, Sf.shape[0]


def _frame(Sigma: Any, d: int | None, theta0: Any, values: dict) -> tuple:
    """Sigma's eigen-frame: (diag(lambda), U or None, theta0 and bound values in the frame).
    Sigma is validated by the float64 rule (:meth:`symbolic.arithmetic.Float64.spd`) (a diagonal one by its
    entries, without a Cholesky factorisation)."""
    if Sigma is None:
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ValueError(f"d: expected an integer >= 1 (or a Sigma), got {d!r}")
        S = np.eye(d)
    else:
        S = np.asarray(Sigma.tolist() if isinstance(Sigma, sp.MatrixBase) else Sigma, dtype=float)
        if S.ndim == 2 and S.shape[0] == S.shape[1] and _is_diagonal(S) and np.all(np.isfinite(S)) \
                and (d is None or S.shape[0] == d):
            if not np.all(np.diagonal(S) > 0):
                raise ValueError("Sigma: expected a symmetric positive definite matrix (Cholesky failed)")
        else:
            S = FLOAT64.spd(Sigma, "Sigma", d)[0]
    dd = S.shape[0]
    t0 = np.zeros(dd) if theta0 is None else np.asarray(
        theta0.tolist() if isinstance(theta0, sp.MatrixBase) else theta0, dtype=float).reshape(-1)
    if theta0 is None:
        t0[0] = 1.0
    if t0.shape != (dd,) or not np.all(np.isfinite(t0)):
        raise ValueError(f"theta0: expected {dd} finite numbers, got shape {t0.shape}")
    if np.count_nonzero(S - np.diag(np.diagonal(S))) == 0:
        return np.diag(np.diagonal(S).copy()), None, t0, dict(values)
    lam, U = np.linalg.eigh(S)
    out = {}
    for k, v in values.items():
        if isinstance(v, (sp.MatrixBase, np.ndarray)):
            a = np.asarray(v.tolist() if isinstance(v, sp.MatrixBase) else v, dtype=float)
            if a.shape == (dd, 1) or a.shape == (dd,):
                a = (U.T @ a.reshape(-1)).reshape(a.shape)
            elif a.shape == (dd, dd):
                a = U.T @ a @ U
            out[k] = a
        else:
            out[k] = v
    return np.diag(lam), U, U.T @ t0, out


def structured_quadratic(spec: Any, *, d: int | None = None, Sigma: Any = None, theta0: Any = None,
                         sigma2: Any = 0, m: Any = sp.oo, values: dict | None = None) -> StructuredQuadratic:
    r"""The spec's loss (and its ``then``, as stage 1) in the structured form, float64.

    Same setting as :func:`symbolic.explicit.explicit_quadratic` (``Sigma`` d x d SPD or the
    identity of size ``d``, ``theta0`` e_1 by default, ``sigma2``, ``m``); the spec must train
    blocks of Q only (V and Q together: quartic, :class:`symbolic.quadratic.NotQuadratic`).
    Memory O(d^2 + (number of coordinates)^2), time O(d^3) per word and per basis vector.
    """
    from .general import UNKNOWNS, _with_unknowns, loss_poly
    from .pretraining import derive_pretrain
    from .quadratic import NotQuadratic
    from .explicit import block_sizes
    terms, train, start, bindings = _terms_and_start(spec, None, None, "loss")
    trained = [b for b in BLOCKS if b in train]
    if any(b in ("v0", "vx", "vy") for b in trained) and any(b not in ("v0", "vx", "vy") for b in trained):
        raise NotQuadratic(f"train: {', '.join(trained)} moves blocks of both V and Q; the loss is quartic")
    m = sp.sympify(m)
    Sf, U, t0, vals = _frame(Sigma, d, theta0, {**bindings, **(values or {})})
    env, d = _frame_environment(Sf, t0, sigma2, m, vals)
    mats = _FrameMatrices(env, d, FLOAT64)
    start_blocks = derive_pretrain(sp.oo if m == sp.oo else sp.Symbol("m", integer=True, nonnegative=True)).blocks \
        if start is None else start
    blocks = _with_unknowns(start_blocks, tuple(trained))
    sizes = block_sizes(trained, d)
    s_slices, at = {}, 0
    for blk, k in sizes.items():
        if blk != "Qxx":
            s_slices[blk] = slice(at, at + k)
            at += k
    ps = at
    scal = {UNKNOWNS[b]: b for b in trained if b in SCALARS}
    vec_unknowns = {UNKNOWNS[b]: b for b in trained if b in VECTORS}
    qxx = UNKNOWNS["Qxx"] if "Qxx" in trained else None
    b = _Builder(mats, d, vec_unknowns, qxx)
    stage_terms = [terms] + ([spec.then] if getattr(spec, "then", None) else [])
    all_pieces = [_pieces(b, loss_poly(blocks, t), scal, NotQuadratic) for t in stage_terms]
    # registration: the forced features first, then the flexible ones
    for pieces in all_pieces:
        for kind, _, payload in pieces:
            if kind == "quad":
                for h1, _, h2 in payload:
                    b.register(h1)
                    b.register(h2)
            elif kind == "lin":
                for comp in payload:
                    if comp[0] != "flex":
                        b.register(comp[0])
    resolved = []
    for pieces in all_pieces:
        out = []
        for kind, k, payload in pieces:
            if kind == "lin":
                payload = [b.resolve(c) for c in payload]
            elif kind == "outer":
                l1, l2 = ([b.resolve(c) for c in lf] for lf in payload)
                kind, payload = "quad", [(h1, np.multiply.outer(np.atleast_1d(w1), np.atleast_1d(w2)), h2)
                                         for h1, w1 in l1 for h2, w2 in l2]
            out.append((kind, k, payload))
        resolved.append(out)
    for pieces in resolved:     # a trace feature met only in a product is registered here
        for kind, _, payload in pieces:
            if kind == "quad":
                for h1, _, h2 in payload:
                    b.register(h1)
                    b.register(h2)
            elif kind == "lin":
                for h, _ in payload:
                    b.register(h)
    stages = [_assemble(b, pieces, s_slices, ps) for pieces in resolved]
    zero = 0.0
    u0, V0, Q0 = _start(start_blocks, trained, _full_slices(sizes), sum(sizes.values()), mats, float, zero)
    sq = StructuredQuadratic(d, tuple(trained), s_slices, ps, b.right, b.left, b.traces, stages,
                             np.zeros(ps), np.zeros((d, d)), V0, Q0, U, Names(sizes, d), sizes)
    s0, D0 = sq.split(u0)
    sq.s0, sq.D0 = s0.copy(), D0.copy()
    return sq


def _full_slices(sizes: dict) -> dict:
    out, at = {}, 0
    for blk, k in sizes.items():
        out[blk] = slice(at, at + k)
        at += k
    return out


def _pieces(b: _Builder, L: Any, scal: dict, NotQuadratic: type) -> list:
    """The monomials of the loss polynomial as ("const" | "lin" | "quad" | "outer" | "kron", k, payload)."""
    scalar_syms = list(scal)
    out = []
    for (factors, noises), coeff in L.terms.items():
        if noises:
            raise ValueError("the loss still has noise variables")
        cpoly = sp.Poly(sp.expand(coeff), *scalar_syms) if scalar_syms else None
        parts = cpoly.terms() if cpoly is not None else [((), coeff)]
        try:
            fvals = [b.factor(f) for f in factors]
        except _Degree as e:
            raise NotQuadratic(f"the loss has degree {e.deg} in the trained parameters") from None
        fdeg = sum(0 if kind == "num" else 1 if kind == "lf" else 2 for kind, _ in fvals)
        for monom, c in parts:
            if sum(monom) + fdeg > 2:
                raise NotQuadratic(f"the loss has degree {sum(monom) + fdeg} in the trained parameters")
            k = b.mats.scalar(c)
            if k == 0:
                continue
            pieces = [(kind, v) for kind, v in fvals if kind != "num"]
            for s, e in zip(scalar_syms, monom):
                pieces += [("lf", [(("s", scal[s]), np.array([1.0]))])] * e
            for kind, v in fvals:
                if kind == "num":
                    k = k * v
            if not pieces:
                out.append(("const", k, None))
            elif len(pieces) == 1:
                kind, v = pieces[0]
                out.append(("lin" if kind == "lf" else kind, k, v))
            else:
                out.append(("outer", k, (pieces[0][1], pieces[1][1])))
    return out
