r"""The point gradient descent reaches on a structured quadratic, in O(d^3) time and O(d^2) memory.

The loss is ``L(u) = u^T A u - 2 b^T u + c`` with ``A = K + Psi^T H Psi``, ``b = Psi^T h``
(:mod:`symbolic.structured`): K the Kronecker part, acting on D = Q_xx entrywise in the frame
of Sigma's eigenvectors, ``K D = alpha o D + beta o D^T`` (pairs (i, j), (j, i) coupled by beta).
Gradient descent from the start u_0 reaches ``u_0 + A^+ (b - A u_0)``, the minimiser nearest
the start.  Three facts make it cheap:

1. *Reduced coordinates.*  The Gram matrix ``Gamma = Psi Psi^T`` is built block by block in
   O(d^2) per block (:func:`capacity` with ``alpha = 1, beta = 0``); with
   ``Gamma = V diag(gamma) V^T`` the rows of ``Psi_hat = diag(gamma^-1/2) V^T Psi`` (gamma > 0)
   are orthonormal and ``Psi^T H Psi = Psi_hat^T H_hat Psi_hat``,
   ``H_hat = B^T H B``, ``B = V diag(gamma^1/2)`` (the small part s passes unchanged).

2. *K = 0* (every loss term at n -> oo, say): ``A = Psi_hat^T H_hat Psi_hat``, so
   ``A^+ = Psi_hat^T H_hat^+ Psi_hat`` and the point is
   ``u_0 + Psi_hat^T H_hat^+ (h_hat - H_hat Psi_hat u_0)``; the free directions are everything
   orthogonal to the rows of Psi_hat, plus ``Psi_hat^T null(H_hat)``.  H_hat is positive
   semi-definite, so each diagonal block's null directions are null directions of H_hat and
   are dropped before its eigen-decomposition (:func:`_psd_range`).

3. *K nonsingular* (a finite-n term, a task family): with ``K_r = diag(I_s, K)`` and
   ``H' = H_hat - J_s`` (J_s the identity on s), ``A = K_r + Psi_hat^T H' Psi_hat``, and
   ``A u = r`` holds exactly when ``u = K_r^-1 (r - Psi_hat^T xi)``, ``xi = H' Psi_hat u``:
   with ``G = Psi_hat K_r^-1 Psi_hat^T = L L^T`` this is one symmetric system of the size of the
   coordinates, not d^2 (Woodbury without inverting A; :class:`_Woodbury`), refined against the
   residual ``r - A u``.  Its null vectors give null(A) = span{K_r^-1 Psi_hat^T Xi}; the solution
   is moved to the one nearest the start with the Gram matrix of those directions
   (``Psi_hat K_r^-2 Psi_hat^T``, :func:`capacity` again).

A second stage (``then``) minimises its own loss over the first stage's minimisers from the
first stage's point: over ``Psi_hat^T null(H_hat)`` (first K = 0, second K = 0), with the
constraint ``C n = 0`` (``C = W^T Psi_hat``, W a basis of range(H_hat)) added to the system of 3
(first K = 0, second K nonsingular), or over the few explicit directions of 3 (first K
nonsingular).  Other combinations (a K that is neither 0 nor invertible, a factor not diagonal
in the frame) raise :class:`Unstructured`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .structured import StructuredQuadratic

__all__ = ["solve_structured", "StructuredSolution", "FreeSpace", "Unstructured", "capacity", "RANK_RTOL"]

#: relative eigenvalue / singular-value threshold of the rank (as the dense path's)
RANK_RTOL = 1e-10
#: relative threshold of a zero Kronecker pair determinant (K singular there)
K_RTOL = 1e-12


class Unstructured(ValueError):
    """The structure does not give this spec's answer (see the module docstring)."""


# ----------------------------------------------------------------------------- K, entrywise

@dataclass
class _Entrywise:
    """``X -> a o X + b o X^T`` on d x d matrices (b symmetric), and ``s_coef`` on the small part."""
    a: np.ndarray
    b: np.ndarray
    s_coef: float = 1.0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.a * X + self.b * X.T

    def then(self, other: "_Entrywise") -> "_Entrywise":
        """``self o other`` (apply other first)."""
        return _Entrywise(self.a * other.a + self.b * other.b.T, self.a * other.b + self.b * other.a.T,
                          self.s_coef * other.s_coef)


def _inverse(alpha: np.ndarray, beta: np.ndarray) -> _Entrywise | None:
    """K^-1 for ``K X = alpha o X + beta o X^T``, pair by pair; None when K is singular."""
    det = alpha * alpha.T - beta * beta.T
    diag = np.diagonal(alpha) + np.diagonal(beta)
    det = det.copy()
    np.fill_diagonal(det, diag)
    scale = max(np.abs(alpha).max(initial=0.0), np.abs(beta).max(initial=0.0))
    off = ~np.eye(alpha.shape[0], dtype=bool)
    small = np.abs(det[off]).min(initial=np.inf) <= K_RTOL * scale ** 2 if off.any() else False
    if scale == 0 or small or np.abs(diag).min(initial=np.inf) <= K_RTOL * scale:
        return None
    a = alpha.T / det
    b = -beta / det
    np.fill_diagonal(a, 1.0 / diag)
    np.fill_diagonal(b, 0.0)
    return _Entrywise(a, b)


# ----------------------------------------------------------------------------- capacity

def capacity(sq: StructuredQuadratic, k: _Entrywise) -> np.ndarray:
    r"""``Psi Kc Psi^T`` over the common coordinates, Kc ``X -> a o X + b o X^T`` on D and
    ``s_coef`` on s: built block by block in O(d^2) each.  With ``Phi_R(q) D = D q``,
    ``Phi_L(p) D = D^T p``, ``Phi_T(G) D = tr(G D)`` and adjoints ``y q^T``, ``p y^T``, ``s G^T``:

    * RR(q, q') = diag(a (q' o q)) + diag(q') b diag(q)
    * RL(q, p') = diag(p') a diag(q) + diag(b (p' o q))
    * LL(p, p') = diag(a^T (p' o p)) + diag(p') b^T diag(p)
    * TR(G, q') = ((G^T o a) q' + (G^T o b)^T q')^T,  TL(G, p') = ((G^T o a)^T p' + (G^T o b) p')^T
    * TT(G, G') = <G^T, a o G'^T + b o G'>
    """
    d, ps = sq.d, sq.ps
    E, F = sq.right.matrix, sq.left.matrix
    nR, nL, nT = E.shape[1], F.shape[1], len(sq.traces)
    n = sq.n_coords
    out = np.zeros((n, n))
    out[:ps, :ps] = k.s_coef * np.eye(ps)
    a, b = k.a, k.b
    R0, L0, T0 = ps, ps + nR * d, ps + (nR + nL) * d
    # feature blocks (row feature, column feature): Phi_row Kc Phi_col^T
    for j in range(nR):
        q = E[:, j]
        for j2 in range(j, nR):
            q2 = E[:, j2]
            M = np.diag(a @ (q2 * q)) + q2[:, None] * b * q[None, :]
            out[R0 + j * d:R0 + (j + 1) * d, R0 + j2 * d:R0 + (j2 + 1) * d] = M
        for k2 in range(nL):
            p2 = F[:, k2]
            M = p2[:, None] * a * q[None, :] + np.diag(b @ (p2 * q))
            out[R0 + j * d:R0 + (j + 1) * d, L0 + k2 * d:L0 + (k2 + 1) * d] = M
    for kk in range(nL):
        p = F[:, kk]
        for k2 in range(kk, nL):
            p2 = F[:, k2]
            M = np.diag(a.T @ (p2 * p)) + p2[:, None] * b.T * p[None, :]
            out[L0 + kk * d:L0 + (kk + 1) * d, L0 + k2 * d:L0 + (k2 + 1) * d] = M
    for t, G in enumerate(sq.traces):
        Ga, Gb = G.T * a, G.T * b
        for j in range(nR):      # the (R_j, T_t) block: TR(G, e_j)^T
            out[R0 + j * d:R0 + (j + 1) * d, T0 + t] = Ga @ E[:, j] + Gb.T @ E[:, j]
        for kk in range(nL):
            out[L0 + kk * d:L0 + (kk + 1) * d, T0 + t] = Ga.T @ F[:, kk] + Gb @ F[:, kk]
        for t2 in range(t, nT):
            G2 = sq.traces[t2]
            out[T0 + t, T0 + t2] = float(np.sum(G.T * (a * G2.T + b * G2)))
    # the lower block triangle by symmetry (Kc is symmetric)
    return _symmetrise_blocks(out, [ps] + [d] * (nR + nL) + [1] * nT)


def _symmetrise_blocks(M: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Fill the lower block triangle from the upper one (blocks on the diagonal are full)."""
    starts = np.cumsum([0] + sizes)
    for i in range(len(sizes)):
        for j in range(i + 1, len(sizes)):
            a, b = slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1])
            M[b, a] = M[a, b].T
    return M


# ----------------------------------------------------------------------------- reduction

@dataclass
class _Reduced:
    """The reduced coordinates of fact 1: ``y_hat = P^T y`` (P = V diag(gamma^-1/2) on the
    features, identity on s), ``B = V diag(gamma^1/2)``; ``r`` their number."""
    sq: StructuredQuadratic
    Pf: np.ndarray
    Bf: np.ndarray

    @property
    def r(self) -> int:
        return self.sq.n_coords if self.Pf is None else self.sq.ps + self.Pf.shape[1]

    def psi(self, s: np.ndarray, D: np.ndarray) -> np.ndarray:
        y = self.sq.psi(s, D)
        if self.Pf is None:
            return y
        ps = self.sq.ps
        return np.concatenate([y[:ps], self.Pf.T @ y[ps:]])

    def psi_T(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.Pf is None:
            return self.sq.psi_T(z)
        ps = self.sq.ps
        return self.sq.psi_T(np.concatenate([z[:ps], self.Pf @ z[ps:]]))

    def hat(self, M: np.ndarray) -> np.ndarray:
        """``B^T M B`` for a matrix over the common coordinates."""
        if self.Pf is None:
            return M.copy()
        ps = self.sq.ps
        out = np.empty((self.r, self.r))
        out[:ps, :ps] = M[:ps, :ps]
        out[:ps, ps:] = M[:ps, ps:] @ self.Bf
        out[ps:, :ps] = out[:ps, ps:].T          # M symmetric
        out[ps:, ps:] = self.Bf.T @ M[ps:, ps:] @ self.Bf
        return out

    def hat_vec(self, v: np.ndarray) -> np.ndarray:
        if self.Pf is None:
            return v.copy()
        ps = self.sq.ps
        return np.concatenate([v[:ps], self.Bf.T @ v[ps:]])

    def cap(self, k: _Entrywise) -> np.ndarray:
        """``Psi_hat Kc Psi_hat^T``."""
        C = capacity(self.sq, k)
        if self.Pf is None:
            return C
        ps = self.sq.ps
        out = np.empty((self.r, self.r))
        out[:ps, :ps] = C[:ps, :ps]
        out[:ps, ps:] = C[:ps, ps:] @ self.Pf
        out[ps:, :ps] = out[:ps, ps:].T
        out[ps:, ps:] = self.Pf.T @ C[ps:, ps:] @ self.Pf
        return out


def _reduce(sq: StructuredQuadratic) -> _Reduced:
    ps, nf = sq.ps, sq.n_features
    if nf == 0:
        return _Reduced(sq, np.zeros((0, 0)), np.zeros((0, 0)))
    if not sq.traces and (len(sq.right) == 0 or len(sq.left) == 0):
        return _Reduced(sq, None, None)     # orthonormal bases of one side only: Gamma = I
    d = sq.d
    one = _Entrywise(np.ones((d, d)), np.zeros((d, d)))
    Gf = capacity(sq, one)[ps:, ps:]
    g, V = np.linalg.eigh(Gf)
    keep = g > RANK_RTOL * max(g.max(initial=0.0), 1e-300)
    g, V = g[keep], V[:, keep]
    return _Reduced(sq, V / np.sqrt(g), V * np.sqrt(g))


# ----------------------------------------------------------------------------- free directions

@dataclass
class FreeSpace:
    r"""The directions along which the loss (and the second stage's) is flat, in a form a program
    can use at any d.  ``count``: how many.  Two kinds: ``"complement"``: every u orthogonal to
    ``Psi_hat^T W_range`` (``W_range`` orthonormal, r x (r - c)); ``"span"``: the span of
    ``Kc Psi_hat^T Xi`` (Xi: r x count).  :meth:`project` projects any u onto them,
    :meth:`basis` lists an orthonormal basis where that is small enough."""

    kind: str
    count: int
    red: _Reduced | None = None
    W_range: np.ndarray | None = None
    Kc: _Entrywise | None = None
    Xi: np.ndarray | None = None
    description: list[str] = field(default_factory=list)

    def _sq(self) -> StructuredQuadratic:
        return self.red.sq

    def project(self, u: np.ndarray) -> np.ndarray:
        """The orthogonal projection of u (explicit_quadratic's order, original frame) onto the free
        directions, in O(d^3)."""
        if self.count == 0:
            return np.zeros_like(np.asarray(u, dtype=float))
        sq = self._sq()
        s, D = sq.to_frame(*sq.split(u))
        if self.kind == "complement":
            z = self.W_range @ (self.W_range.T @ self.red.psi(s, D))
            rs, rD = self.red.psi_T(z)
            return sq.join(*sq.to_original(s - rs, D - rD))
        ns, nD = self._span_apply(self._span_solve(self._span_dot(s, D)))
        return sq.join(*sq.to_original(ns, nD))

    def _span_dot(self, s: np.ndarray, D: np.ndarray) -> np.ndarray:
        """``N^T u`` for N = Kc Psi_hat^T Xi."""
        return self.Xi.T @ self.red.psi(self.Kc.s_coef * s, self.Kc(D))

    def _span_solve(self, c: np.ndarray) -> np.ndarray:
        G2 = self.Xi.T @ self.red.cap(self.Kc.then(self.Kc)) @ self.Xi
        return np.linalg.lstsq(G2, c, rcond=None)[0]

    def _span_apply(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, D = self.red.psi_T(self.Xi @ t)
        return self.Kc.s_coef * s, self.Kc(D)

    def basis(self, max_numbers: int) -> list[np.ndarray] | None:
        """An orthonormal basis (full u vectors, original frame), or None when ``count * size``
        exceeds ``max_numbers``."""
        sq = self._sq() if self.red is not None else None
        if self.count == 0:
            return []
        if sq is None or self.count * sq.size > max_numbers:
            return None
        if self.kind == "span":
            vecs = []
            for i in range(self.Xi.shape[1]):
                s, D = self.red.psi_T(self.Xi[:, i])
                vecs.append(sq.join(*sq.to_original(self.Kc.s_coef * s, self.Kc(D))))
            Q, _ = np.linalg.qr(np.column_stack(vecs))
            return [Q[:, i] for i in range(Q.shape[1])]
        # complement: the null space of the rows of W_range^T Psi_hat, explicitly (small sizes only)
        p = sq.size
        rows = np.zeros((self.W_range.shape[1], p))
        for i in range(p):
            e = np.zeros(p)
            e[i] = 1.0
            s, D = sq.to_frame(*sq.split(e))
            rows[:, i] = self.W_range.T @ self.red.psi(s, D)
        _, sv, Vt = np.linalg.svd(rows, full_matrices=True)
        rank = int((sv > RANK_RTOL * max(sv.max(initial=0.0), 1e-300)).sum())
        return [Vt[i] for i in range(rank, p)]


# ----------------------------------------------------------------------------- solving

@dataclass
class StructuredSolution:
    """``u`` (original frame, explicit_quadratic's order) and the parts to report."""
    s: np.ndarray
    D: np.ndarray
    u: np.ndarray
    unique: bool
    free: FreeSpace
    loss: float
    start_loss: float
    residual: float
    notes: list[str] = field(default_factory=list)
    V: np.ndarray | None = None
    Q: np.ndarray | None = None


def _kinv(sq: StructuredQuadratic, stage: int) -> _Entrywise | None | str:
    """"zero" when the stage's Kronecker part vanishes, its K_r^-1 when K is invertible; raises
    :class:`Unstructured` otherwise (a factor not diagonal in the frame, K singular but not 0)."""
    st = sq.stages[stage]
    if not st.has_kron:
        return "zero"
    if not st.diagonal:
        raise Unstructured("a Kronecker factor of the loss is not diagonal in Sigma's eigenvectors (a matrix "
                           "in the spec that is not a function of Sigma)")
    inv = _inverse(st.alpha, st.beta)
    if inv is None:
        if np.abs(st.alpha).max(initial=0.0) == 0 and np.abs(st.beta).max(initial=0.0) == 0:
            return "zero"
        raise Unstructured("the Kronecker part of the Hessian in Q_xx is neither zero nor invertible")
    return inv


def _psd_range(M: np.ndarray, blocks: list[slice]) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric positive semi-definite M: its positive eigenvalues and their orthonormal
    eigenvectors.  M PSD, ``x^T M_bb x = 0`` for a diagonal block implies ``M x = 0``: each
    block's clear null directions (eigenvalues below RANK_RTOL / 100 of the largest block
    eigenvalue; a diagonal block's zero entries) are dropped first, and only the compressed
    matrix is eigen-decomposed (a vector block seen through one number costs a d x d block
    eigen-decomposition, not a row of the whole)."""
    M = (M + M.T) / 2
    r = M.shape[0]
    parts, tops = [], []
    for b in blocks:
        sub = M[b, b]
        if np.count_nonzero(sub - np.diag(np.diagonal(sub))) == 0:
            w, V = np.diagonal(sub).copy(), None
        else:
            w, V = np.linalg.eigh(sub)
        parts.append((b, w, V))
        tops.append(np.abs(w).max(initial=0.0))
    top = max(max(tops, default=0.0), 1e-300)
    if any(w.min(initial=0.0) < -1e-8 * top for _, w, _ in parts):
        raise ValueError("the loss is not bounded below (its Hessian has a negative eigenvalue): no minimiser")
    tol = RANK_RTOL * 1e-2 * top
    bases = []          # per block: (global indices, basis n_b x k_b or None for a selection)
    for b, w, V in parts:
        keep = w > tol
        idx = np.arange(b.start, b.stop)
        bases.append((idx[keep], None) if V is None else (idx, V[:, keep]))
    k = [len(i) if B is None else B.shape[1] for i, B in bases]
    at = np.concatenate([[0], np.cumsum(k)]).astype(int)
    Mc = np.empty((at[-1], at[-1]))
    for i, (ii, Bi) in enumerate(bases):
        for j, (jj, Bj) in enumerate(bases):
            if j < i:
                continue
            blk = M[np.ix_(ii, jj)]
            if Bi is not None:
                blk = Bi.T @ blk
            if Bj is not None:
                blk = blk @ Bj
            Mc[at[i]:at[i + 1], at[j]:at[j + 1]] = blk
            Mc[at[j]:at[j + 1], at[i]:at[i + 1]] = blk.T
    mu, Wc, _, _ = _eig_pinv(Mc)
    W = np.zeros((r, Wc.shape[1]))
    for i, (ii, Bi) in enumerate(bases):
        part = Wc[at[i]:at[i + 1]]
        W[ii] += part if Bi is None else Bi @ part
    return mu, W


def _blocks(red: "_Reduced") -> list[slice]:
    """The coordinate blocks of the reduced coordinates: each trained s block, then each
    feature block of d (or all the features together when the Gram reduction mixed them)."""
    sq = red.sq
    out = [sl for sl in sq.s_slices.values()]
    at, end = sq.ps, red.r
    if red.Pf is not None:
        return out + ([slice(at, end)] if end > at else [])
    for _ in range(len(sq.right) + len(sq.left)):
        out.append(slice(at, at + sq.d))
        at += sq.d
    return out + [slice(t, t + 1) for t in range(at, end)]


def _eig_pinv(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric M: eigenvalues kept, their vectors, the null vectors, all eigenvalues."""
    if np.count_nonzero(M - np.diag(np.diagonal(M))) == 0:    # diagonal: no decomposition
        w, W = np.diagonal(M).copy(), np.eye(M.shape[0])
    else:
        w, W = np.linalg.eigh((M + M.T) / 2)
    scale = max(np.abs(w).max(initial=0.0), 1e-300)
    if w.min(initial=0.0) < -1e-8 * scale:
        raise ValueError("the loss is not bounded below (its Hessian has a negative eigenvalue): no minimiser")
    keep = w > RANK_RTOL * scale
    return w[keep], W[:, keep], W[:, ~keep], w


class _SymSolve:
    """``S x = rhs`` for one symmetric S (possibly indefinite or singular), by its eigen-
    decomposition once: ``null`` an orthonormal basis of null(S) (eigenvalues within RANK_RTOL
    of the largest), a solution the minimum-norm one, checked."""

    def __init__(self, S: np.ndarray, rtol: float = RANK_RTOL):
        w, W = np.linalg.eigh((S + S.T) / 2)
        self.scale = max(np.abs(w).max(initial=0.0), 1e-300)
        keep = np.abs(w) > rtol * self.scale
        self.S, self.w, self.W, self.null = S, w[keep], W[:, keep], W[:, ~keep]

    def solve(self, rhs: np.ndarray, floor: float = 0.0) -> np.ndarray:
        """``floor``: the size of the problem a refinement step's ``rhs`` (a residual) belongs to;
        the check is relative to it (a residual's component along null(S) is rounding, not a sign
        that the first-order conditions have no solution)."""
        x = self.W @ ((self.W.T @ rhs) / self.w)
        if np.linalg.norm(self.S @ x - rhs) > 1e-8 * (max(np.linalg.norm(rhs), floor) + self.scale * np.linalg.norm(x)):
            raise ValueError("the first-order conditions A u = b have no solution: the loss has no minimiser")
        return x


class _Woodbury:
    r"""Solutions n of ``A n = g`` (``A = K_r + Psi_hat^T H' Psi_hat``, fact 3), with the constraint
    ``Mc Psi_hat n = 0`` and a multiplier ``Psi_hat^T Mc^T lambda`` when Mc is given.

    With ``y = Psi_hat n``, ``a = Psi_hat K_r^-1 g`` and ``G = Psi_hat K_r^-1 Psi_hat^T = L L^T``
    (K positive definite: Cholesky), ``n = K_r^-1 (g - Psi_hat^T xi)``, ``xi = H' y + Mc^T lambda``
    and ``y = L z`` where

        [ I + L^T H' L   L^T Mc^T ] [ z      ]   [ L^-1 a ]
        [ Mc L           0        ] [ lambda ] = [ 0      ]

    (a symmetric system the size of the coordinates).  Its null vectors give the null directions
    ``K_r^-1 Psi_hat^T Xi``.  A K that is invertible but not positive definite takes the same
    system unsymmetrised, ``(I + H' G) w = H' a`` by the SVD.  :meth:`nearest` gives the
    solution nearest a target, refined (each step solves again for the residual ``g - A n``:
    Woodbury forms lose digits where their small system is ill conditioned)."""

    def __init__(self, red: _Reduced, Hh: np.ndarray, kinv: _Entrywise, stage: int, Mc: np.ndarray | None = None):
        ps, r = red.sq.ps, red.r
        self.red, self.kinv, self.stage = red, kinv, stage
        Hp = Hh.copy()
        Hp[np.arange(ps), np.arange(ps)] -= 1.0
        self.Hp = Hp
        G = red.cap(kinv)
        self.Mc = Mc if Mc is not None and Mc.shape[0] else np.zeros((0, r))
        c = self.Mc.shape[0]
        try:
            self.L = np.linalg.cholesky((G + G.T) / 2)
        except np.linalg.LinAlgError:
            self.L = None
        if self.L is not None:
            LH = self.L.T @ Hp @ self.L
            B = self.Mc @ self.L
            S = np.block([[np.eye(r) + LH, B.T], [B, np.zeros((c, c))]])
            self.fact = _SymSolve(S)
            Z = self.fact.null
            Xi = Hp @ (self.L @ Z[:r]) + self.Mc.T @ Z[r:]
        else:   # K indefinite: the unsymmetric form, by the SVD
            HG = Hp @ G
            MG = self.Mc @ G
            M = np.block([[np.eye(r) + HG, HG @ self.Mc.T], [MG, MG @ self.Mc.T]])
            self.fact = _SymSolve(M.T @ M, RANK_RTOL ** 2)   # normal equations: same null space
            self.M = M
            Z = self.fact.null
            Xi = Z[:r] + self.Mc.T @ Z[r:]
        if Xi.shape[1]:
            q, rr = np.linalg.qr(Xi)
            keep = np.abs(np.diagonal(rr)) > RANK_RTOL * max(np.abs(rr).max(initial=0.0), 1e-300)
            Xi = q[:, keep]
        self.Xi = Xi
        self.space = FreeSpace("span", Xi.shape[1], red, Kc=kinv, Xi=Xi)

    def particular(self, g: tuple[np.ndarray, np.ndarray], floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """A solution of ``A n = g`` (and the constraint); ``floor`` as in :meth:`_SymSolve.solve`
        (``self.size``: the size of this call's right-hand side, the next refinement's floor)."""
        red, kinv, r = self.red, self.kinv, self.red.r
        gs, gD = g
        a = red.psi(kinv.s_coef * gs, kinv(gD))
        c = self.Mc.shape[0]
        if self.L is not None:
            rhs = np.concatenate([np.linalg.solve(self.L, a), np.zeros(c)])
            self.size = max(float(np.linalg.norm(rhs)), floor)
            sol = self.fact.solve(rhs, floor)
            xi = self.Hp @ (self.L @ sol[:r]) + self.Mc.T @ sol[r:]
        else:
            rhs = np.concatenate([self.Hp @ a, self.Mc @ a])
            self.size = max(float(np.linalg.norm(rhs)), floor)
            sol = self.fact.solve(self.M.T @ rhs, np.linalg.norm(self.M) * floor)
            if np.linalg.norm(self.M @ sol - rhs) > 1e-8 * (self.size + np.linalg.norm(self.M) * np.linalg.norm(sol)):
                raise ValueError("the first-order conditions A u = b have no solution: the loss has no minimiser")
            xi = sol[:r] + self.Mc.T @ sol[r:]
        zs, zD = red.psi_T(xi)
        return kinv.s_coef * (gs - zs), kinv(gD - zD)

    def _off_null(self, n: tuple, target: tuple) -> tuple[np.ndarray, np.ndarray]:
        if self.Xi.shape[1] == 0:
            return n
        sp_ = self.space
        ts, tD = sp_._span_apply(sp_._span_solve(sp_._span_dot(n[0] - target[0], n[1] - target[1])))
        return n[0] - ts, n[1] - tD

    def nearest(self, g: tuple[np.ndarray, np.ndarray], target: tuple, steps: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """The solution n of (``A n = g``, the constraint) nearest ``target``, refined ``steps`` times."""
        sq = self.red.sq
        n = self._off_null(self.particular(g), target)
        zero = (np.zeros_like(n[0]), np.zeros_like(n[1]))
        for _ in range(steps):
            As, AD = sq.matvec(self.stage, n[0], n[1])
            delta = self._off_null(self.particular((g[0] - As, g[1] - AD), self.size), zero)
            n = (n[0] + delta[0], n[1] + delta[1])
        return n


def solve_structured(sq: StructuredQuadratic) -> StructuredSolution:
    """The point gradient descent from the start reaches (and a second stage's), module docstring."""
    red = _reduce(sq)
    s0, D0 = sq.s0, sq.D0
    p = sq.size
    notes: list[str] = []
    H1 = red.hat(sq.stages[0].H)
    h1 = red.hat_vec(sq.stages[0].h)
    k1 = _kinv(sq, 0)
    if k1 == "zero":
        y0 = red.psi(s0, D0)
        g = h1 - H1 @ y0
        mu, Wp = _psd_range(H1, _blocks(red))
        z = Wp @ ((Wp.T @ g) / mu)
        if np.linalg.norm(H1 @ z - g) > 1e-8 * max(np.linalg.norm(g), np.linalg.norm(h1), 1e-300):
            raise ValueError("the first-order conditions A u = b have no solution: the loss has no minimiser")
        zs, zD = red.psi_T(z)
        s, D = s0 + zs, D0 + zD
        free = FreeSpace("complement", p - Wp.shape[1], red, W_range=Wp)
    else:
        wb = _Woodbury(red, H1, k1, 0)
        s, D = wb.nearest(sq.rhs(0), (s0, D0))
        free = wb.space
    if len(sq.stages) > 1:
        s, D, free = _second_stage(sq, red, s, D, free, k1, notes)
    As, AD = sq.matvec(0, s, D)
    bs, bD = sq.rhs(0)
    st = sq.stages[0]
    scale = max([np.abs(st.H).max(initial=0.0)] + [np.abs(x).max(initial=0.0) for x in (st.alpha, st.beta)
                                                   if x is not None] + [1e-300])
    res = max(np.abs(As - bs).max(initial=0.0), np.abs(AD - bD).max(initial=0.0)) / scale
    free.description = _describe(sq, red, free)
    so, Do = sq.to_original(s, D)
    V, Q = sq.matrices(s, D)
    return StructuredSolution(so, Do, sq.join(so, Do), free.count == 0, free, sq.value(0, s, D),
                              sq.value(0, s0, D0), float(res), notes, V, Q)


def _second_stage(sq: StructuredQuadratic, red: _Reduced, s: np.ndarray, D: np.ndarray, free: FreeSpace,
                  k1: Any, notes: list[str]) -> tuple[np.ndarray, np.ndarray, FreeSpace]:
    """The second loss minimised over the first's minimisers, from the first stage's point."""
    if free.count == 0:
        notes.append("the first loss determines every trained entry: the second stage has nothing to move")
        return s, D, free
    notes.append("the second loss is minimised inside the set of minimisers of the first, from the "
                 "first stage's point")
    H2 = red.hat(sq.stages[1].H)
    h2 = red.hat_vec(sq.stages[1].h)
    k2_zero = not sq.stages[1].has_kron
    A2s, A2D = sq.matvec(1, s, D)
    b2s, b2D = sq.rhs(1)
    g = (b2s - A2s, b2D - A2D)             # minus half the gradient of L_2 at the first stage's point
    if free.kind == "complement":
        W_range = free.W_range
        W0 = _complement(W_range, red.r)
        if k2_zero:
            # L_2 sees n only through Psi_hat n = W0 t (n's part outside range(Psi_hat^T) is flat for both)
            Mt = W0.T @ H2 @ W0
            gt = W0.T @ (h2 - H2 @ red.psi(s, D))
            mu, Wp, Wn, _ = _eig_pinv(Mt)
            t = Wp @ ((Wp.T @ gt) / mu)
            zs, zD = red.psi_T(W0 @ t)
            rng = np.hstack([W_range, W0 @ Wp])
            return s + zs, D + zD, FreeSpace("complement", sq.size - rng.shape[1], red, W_range=rng)
        k2 = _kinv(sq, 1)
        if k2 == "zero":
            raise Unstructured("the second loss's Kronecker part vanishes at this setting")
        wb = _Woodbury(red, H2, k2, 1, Mc=W_range.T)
        n = wb.nearest(g, (np.zeros_like(s), np.zeros_like(D)))
        return s + n[0], D + n[1], wb.space
    # the first stage's free directions: N = K1^-1 Psi_hat^T Xi (few): minimise over their span
    Xi = free.Xi
    G1 = red.cap(k1)
    NtN = Xi.T @ red.cap(k1.then(k1)) @ Xi
    NtAN = Xi.T @ G1 @ H2 @ G1 @ Xi
    if not k2_zero:
        k121 = k1.then(_Entrywise(*_forward(sq, 1), s_coef=0.0)).then(k1)
        NtAN = NtAN + Xi.T @ red.cap(k121) @ Xi
    Ntg = Xi.T @ red.psi(k1.s_coef * g[0], k1(g[1]))
    lam, Lv = np.linalg.eigh((NtN + NtN.T) / 2)
    Wh = Lv / np.sqrt(lam)                       # N Wh has orthonormal columns
    mu, Wp, Wn, _ = _eig_pinv(Wh.T @ NtAN @ Wh)
    tau = Wp @ ((Wp.T @ (Wh.T @ Ntg)) / mu)
    zs, zD = red.psi_T(Xi @ (Wh @ tau))
    s, D = s + k1.s_coef * zs, D + k1(zD)
    return s, D, FreeSpace("span", Wn.shape[1], red, Kc=k1, Xi=Xi @ (Wh @ Wn))


def _describe(sq: StructuredQuadratic, red: _Reduced, free: FreeSpace) -> list[str]:
    """One line saying what the free directions are, without listing them."""
    from .layout import block
    if free.count == 0:
        return []
    if free.kind == "span":
        return [f"{free.count} free direction(s), each K^-1 Psi^T xi (K the Kronecker part of the Hessian, Psi the "
                "features of Q_xx the loss sees); the loss is flat along them and gradient descent keeps the start's "
                "component (free_space.basis and free_space.project in the API)"]
    seen = []
    if len(sq.right):
        seen.append("Q_xx q for q in span{" + ", ".join(sq.right.sources) + "}")
    if len(sq.left):
        seen.append("Q_xx^T p for p in span{" + ", ".join(sq.left.sources) + "}")
    if sq.traces:
        seen.append(f"{len(sq.traces)} trace(s) tr(G Q_xx)")
    if sq.ps:
        seen.append("the entries of " + ", ".join(block(b).symbol for b in sq.s_slices))
    inside = free.count - (sq.size - red.r)
    text = (f"{free.count} free directions: the loss sees the trained entries only through {red.r} numbers ("
            + "; ".join(seen) + "), and every change leaving those unchanged is free")
    if inside:
        text += f"; so are {inside} combination(s) of those numbers"
    return [text + " (gradient descent keeps the start's component along them: free_space.project in the API)"]


def _forward(sq: StructuredQuadratic, stage: int) -> tuple[np.ndarray, np.ndarray]:
    st = sq.stages[stage]
    if not st.diagonal:
        raise Unstructured("a Kronecker factor of the second loss is not diagonal in Sigma's eigenvectors")
    return st.alpha, st.beta


def _complement(W: np.ndarray, r: int) -> np.ndarray:
    """An orthonormal basis of the orthogonal complement of W's columns in R^r."""
    if W.shape[1] == 0:
        return np.eye(r)
    Q, _ = np.linalg.qr(W, mode="complete")
    return Q[:, W.shape[1]:]
