"""The poster's linear self-attention model, written in blocks over the token layout (1, x, y).

    f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}
               = v^T (Z Z^T / (n+1)) Q q              (v^T = V[-1, :], q the query column)
               = ( sum_{i<=n} (v^T z_i)(z_i^T Q q) + (v^T q)(q^T Q q) ) / (n+1),

because the query's label is 0 (so ``[Z]_{-1,-1} = 0`` and Q's last column never acts).
Only these blocks of V and Q reach the output::

    v = V[-1, :] = (v_0, v_x^T, v_y)          Q q = ( Q_00 + q_0x^T x_q,
                                                     q_x0 + Q_xx x_q,
                                                     Q_y0 + q_yx^T x_q )

with ``q_0x = Q[0, x]^T``, ``q_x0 = Q[x, 0]``, ``q_yx = Q[y, x]^T``.  Every other entry of V
and Q (V's first d+1 rows, Q's last column) is free for every objective.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import sympy as sp

from .forms import Leg, Poly, const, form, gauss
from .words import DIM, Atom, Word, transpose

__all__ = ["VecExpr", "MatExpr", "Blocks", "symbolic_blocks", "vec", "mat", "prediction_terms",
           "SIGMA", "SIGMA_ATOM", "SIGMA_INV_ATOM", "label", "TaskLegs"]

#: The input covariance Sigma (symmetric positive definite, d x d).
SIGMA = sp.MatrixSymbol("Sigma", DIM, DIM)
SIGMA_ATOM = Atom(SIGMA, symmetric=True)
SIGMA_INV_ATOM = Atom(sp.Inverse(SIGMA), symmetric=True)

VecExpr = tuple[tuple[sp.Expr, Word, sp.Basic], ...]
"""A d-vector ``sum_k c_k W_k a_k`` (coefficient, word, constant MatrixSymbol)."""

MatExpr = tuple[tuple[sp.Expr, Word], ...]
"""A d x d matrix ``sum_k c_k W_k``."""


def vec(a: sp.Basic, coeff: sp.Expr = 1, word: Word = ()) -> VecExpr:
    """The vector ``coeff * word * a``."""
    return ((sp.sympify(coeff), tuple(word), a),)


def mat(*terms: tuple[sp.Expr, Word] | Atom) -> MatExpr:
    """A matrix from atoms (coefficient 1) or ``(coeff, word)`` pairs."""
    out = []
    for t in terms:
        if isinstance(t, Atom):
            out.append((sp.S.One, (t,)))
        else:
            out.append((sp.sympify(t[0]), tuple(t[1])))
    return tuple(out)


@dataclass(frozen=True)
class Blocks:
    """The blocks of ``v = V[-1, :]`` and of ``Q[:, :d+1]`` that reach the output."""

    v0: sp.Expr = sp.S.Zero
    vx: VecExpr = ()
    vy: sp.Expr = sp.S.Zero
    Q00: sp.Expr = sp.S.Zero
    q0x: VecExpr = ()
    qx0: VecExpr = ()
    Qxx: MatExpr = ()
    Qy0: sp.Expr = sp.S.Zero
    qyx: VecExpr = ()

    def with_(self, **kw) -> "Blocks":
        return replace(self, **kw)


def symbolic_blocks() -> Blocks:
    """Every block an independent symbol: scalars ``v_0, v_y, Q_00, Q_y0``, vectors
    ``v_x, q_0x, q_x0, q_yx`` and the matrix ``Q_xx`` (not assumed symmetric)."""
    def V(name: str) -> VecExpr:
        return vec(sp.MatrixSymbol(name, DIM, 1))
    return Blocks(
        v0=sp.Symbol("v_0"), vx=V("v_x"), vy=sp.Symbol("v_y"),
        Q00=sp.Symbol("Q_00"), q0x=V("q_0x"), qx0=V("q_x0"),
        Qxx=mat(Atom(sp.MatrixSymbol("Q_xx", DIM, DIM))),
        Qy0=sp.Symbol("Q_y0"), qyx=V("q_yx"),
    )


def lin(u: VecExpr, leg: Leg) -> Poly:
    """``u^T leg`` for ``u = sum c W a``: ``sum c a^T W^T leg``."""
    out = Poly()
    for c, w, a in u:
        out = out + Poly.factor(form(const(a), transpose(w), leg)) * c
    return out


def bil(left: Leg, M: MatExpr, right: Leg) -> Poly:
    """``left^T M right``."""
    from .outer import has_outer, split_form
    out = Poly()
    for c, w in M:
        # a rank-one atom a b^T (symbolic.outer) splits the form: (left^T W_1 a)(b^T W_2 right)
        out = out + (split_form(left, w, right) if has_outer(w) else Poly.factor(form(left, w, right))) * c
    return out


TaskLegs = tuple[tuple[Leg, sp.Expr], ...]
"""A task written as a sum ``theta = sum_k s_k l_k`` of legs (constant or Gaussian vectors)."""


def label(x: Leg, task: Leg | TaskLegs, noise: str, scale: sp.Expr = sp.S.One) -> Poly:
    """``y = scale * theta^T x + eps`` (``scale = -1`` for the task ``-theta``).

    ``task`` may also be a sum of legs ``((l_1, s_1), (l_2, s_2), ...)``: ``theta = sum s_k l_k``,
    e.g. ``theta = theta_0 + tau g`` with ``g ~ N(0, I_d)`` for a family of tasks around theta_0.
    """
    if isinstance(task, Leg):
        task = ((task, sp.S.One),)
    out = Poly.noise(noise)
    for leg, s in task:
        out = out + Poly.factor(form(leg, (), x)) * (scale * s)
    return out


@dataclass(frozen=True)
class PredictionTerms:
    """``f = (sum_{i<=n} T(z_i) + U) / (n+1)`` with ``T(z) = (v^T z)(z^T Q q)`` and
    ``U = (v^T q)(q^T Q q)``; ``T1``, ``T2`` are T at two distinct context tokens and
    ``yq`` is the query's label."""

    T1: Poly
    T2: Poly
    U: Poly
    yq: Poly


def prediction_terms(b: Blocks, task: Leg | TaskLegs, scale: sp.Expr = sp.S.One) -> PredictionTerms:
    """Build the pieces of the prediction for the blocks ``b`` and the task ``scale * task``."""
    xq = gauss("x_q")
    p0 = b.Q00 + lin(b.q0x, xq)
    py = b.Qy0 + lin(b.qyx, xq)

    def zTp(x: Leg, y: Poly | None) -> Poly:
        out = p0 + lin(b.qx0, x) + bil(x, b.Qxx, xq)
        if y is not None:
            out = out + y * py
        return out

    def vTz(x: Leg, y: Poly | None) -> Poly:
        out = b.v0 + lin(b.vx, x)
        if y is not None:
            out = out + y * b.vy
        return out

    def T(i: int) -> Poly:
        x = gauss(f"x_{i}")
        y = label(x, task, f"eps_{i}", scale)
        return vTz(x, y) * zTp(x, y)

    U = vTz(xq, None) * zTp(xq, None)
    return PredictionTerms(T(1), T(2), U, label(xq, task, "eps_q", scale))
