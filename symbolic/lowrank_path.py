r"""LoRA's path at rank 1 in closed form: gradient descent on the factors reduced to a few scalars.

Setting: Sigma = I, the pretrained start (any m), one block X (``Q`` = Q[:, :d+1] or ``Q_xx``)
moving by ``Delta = b a^T`` (LoRA at rank 1: b = B, a^T = A), on a loss over the tasks
+-theta_0 (:mod:`symbolic.lowrank`).  Write ``t = theta_0/|theta_0|`` and let ``w`` be the unit
vector along the part of A's start orthogonal to theta_0 (and to e_0, e_y).  Then

    Q:    b = b_0 e_0 + b_t t + b_p w + b_y e_y,     a = a_0 e_0 + a_t t + a_p w,
    Q_xx: b = b_t t + b_p w,                         a = a_t t + a_p w,

and **gradient descent on (b, a) stays in this family** for ever: the loss's gradient in Delta,
``2 (H Delta S - G)``, maps span(e_0, t, w) into span(e_0, t, w, e_y) because H, S, G are
block-diagonal over (e_0, t, e_y | theta_0's complement) with multiples of I on the complement
(the symmetry of :mod:`symbolic.lowrank`), and ``grad_b = grad_Delta a``, ``grad_a =
grad_Delta^T b``.  The coordinates are orthonormal, so gradient descent on the full factors
*is* gradient descent on the reduced loss ``L(b_0, b_t, b_p, b_y, a_0, a_t, a_p)`` (7 scalars; 4
for Q_xx), a quartic derived here by the Wick engine (:func:`reduce_rank1`).  w is fixed by the
start: LoRA at rank 1 picks the perp direction of A's initial row, and never another.

*Symmetric start* (A's start orthogonal to e_0 and theta_0: a_0 = a_t = 0): the theta block
never moves and the loss is a function of ``p = b_p a_p`` alone, ``L = L_0 + q p^2 - 2 g p``.
Gradient flow conserves ``a_p^2 - b_p^2 = c`` (= a_p(0)^2, B starting at 0), so
``dp/dt = 2 q (p* - p) sqrt(c^2 + 4 p^2)`` (p* = g/q) and the time to reach p is

    t(p) = integral_0^p dp' / (2 q (p* - p') sqrt(c^2 + 4 p'^2)),

in closed form by ``p = (c/2) sinh(u)``, ``v = e^u`` (a rational integrand in v), derived and
checked by differentiation in :func:`symmetric_flow_time`: logarithmic in ``|p* - p|``, it is
infinite at p*, and about ``log(1/c)/(2 q |p*|)`` for a small start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from .model import Blocks, vec
from .objective import THETA0
from .outer import outer_atom
from .quadratic import NotClosedForm
from .spec import Spec, Task, Term
from .words import DIM

__all__ = ["ReducedPath", "reduce_rank1", "start_coordinates", "symmetric_flow_time", "W_PERP", "RK"]

#: a unit vector orthogonal to theta_0 (the perp direction of A's start)
W_PERP = sp.MatrixSymbol("w", DIM, 1)
#: |theta_0| = sqrt(theta_0^T theta_0) (Sigma = I)
RK = sp.Symbol("rk", positive=True)
_NAMES = {"Q": (("b_0", "b_t", "b_p", "b_y"), ("a_0", "a_t", "a_p")), "Qxx": (("b_t", "b_p"), ("a_t", "a_p"))}


def _rank1_blocks(start: Blocks, block: str, b: dict, a: dict) -> Blocks:
    """The start plus ``b a^T`` in the basis (e_0, t, w, e_y) x (e_0, t, w), t = theta_0/rk."""
    def xvec(ct, cp):   # ct t + cp w as a VecExpr
        return vec(THETA0, ct / RK) + vec(W_PERP, cp)
    bt, bp, at, ap = b["b_t"], b["b_p"], a["a_t"], a["a_p"]
    qxx = tuple(start.Qxx) + ((bt * at / RK ** 2, (outer_atom(THETA0, THETA0),)),
                              (bt * ap / RK, (outer_atom(THETA0, W_PERP),)),
                              (bp * at / RK, (outer_atom(W_PERP, THETA0),)),
                              (bp * ap, (outer_atom(W_PERP, W_PERP),)))
    if block == "Qxx":
        return start.with_(Qxx=qxx)
    b0, by, a0 = b["b_0"], b["b_y"], a["a_0"]
    return start.with_(Q00=start.Q00 + b0 * a0, q0x=tuple(start.q0x) + xvec(b0 * at, b0 * ap),
                       qx0=tuple(start.qx0) + xvec(a0 * bt, a0 * bp), Qxx=qxx,
                       Qy0=start.Qy0 + by * a0, qyx=tuple(start.qyx) + xvec(by * at, by * ap))


@dataclass
class ReducedPath:
    r"""LoRA at rank 1 reduced to the scalars ``b_variables``, ``a_variables`` (module docstring).

    ``loss``: the training loss as a polynomial in them (parameters ``rk`` = |theta_0|, d,
    sigma, m); :meth:`error` the error on +-theta_0 at n along the path; :meth:`descent` runs
    gradient descent on them at parameter values."""

    spec: Spec
    block: str
    m: sp.Expr
    b_variables: tuple[sp.Symbol, ...]
    a_variables: tuple[sp.Symbol, ...]
    loss: sp.Expr
    start: Blocks
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return self.b_variables + self.a_variables

    def error(self, task: sp.Basic = THETA0, n: Any = sp.oo) -> sp.Expr:
        """``E(V_hat, Q(b a^T), n; task)`` as a polynomial in the scalars."""
        key = (task, sp.sympify(n))
        if key not in self._cache:
            self._cache[key] = _reduced_loss(self.start, self.block, (Term(sp.S.One, key[1], Task(task)),))
        return self._cache[key]

    def numeric(self, expr: sp.Expr, values: dict):
        """``(f, grad f)`` of an expression in the scalars, as float functions of a vector z
        (b's then a's), at parameter values (``{rk: .., d: .., sigma: .., m: ..}``)."""
        e = sp.sympify(expr).xreplace({sp.sympify(k): sp.sympify(v) for k, v in values.items()})
        extra = e.free_symbols - set(self.variables)
        if extra:
            raise ValueError(f"values: no value for {', '.join(sorted(map(str, extra)))}")
        z = self.variables
        f = sp.lambdify([z], e, "numpy")
        g = sp.lambdify([z], [sp.diff(e, x) for x in z], "numpy")
        return (lambda v: float(f(v))), (lambda v: np.array(g(v), dtype=float))

    def descent(self, z0: Any, lr: float, steps: int, values: dict, every: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Gradient descent on the scalars from ``z0`` (b's then a's): ``(recorded steps, Z)``."""
        _, grad = self.numeric(self.loss, values)
        z = np.array(z0, dtype=float)
        if z.shape != (len(self.variables),):
            raise ValueError(f"z0: expected {len(self.variables)} numbers ({', '.join(map(str, self.variables))})")
        rec_s, rec_z = [0], [z.copy()]
        for t in range(1, steps + 1):
            z = z - lr * grad(z)
            if t % every == 0 or t == steps:
                rec_s.append(t)
                rec_z.append(z.copy())
        return np.array(rec_s), np.array(rec_z)

    def delta(self, z: Any, theta0: Any, w: Any) -> np.ndarray:
        """The update ``b a^T`` as a matrix of the block (rows x cols of :func:`symbolic.lowrank_concrete.
        block_layout`) at Sigma = I, for the concrete theta_0 and w."""
        z = np.asarray(z, dtype=float)
        nb = len(self.b_variables)
        bz, az = dict(zip(_NAMES[self.block][0], z[:nb])), dict(zip(_NAMES[self.block][1], z[nb:]))
        t0 = np.asarray(theta0, dtype=float).reshape(-1)
        t = t0 / np.linalg.norm(t0)
        w = np.asarray(w, dtype=float).reshape(-1)
        bx = bz["b_t"] * t + bz["b_p"] * w
        ax = az["a_t"] * t + az["a_p"] * w
        if self.block == "Qxx":
            return np.outer(bx, ax)
        b = np.concatenate([[bz["b_0"]], bx, [bz["b_y"]]])
        a = np.concatenate([[az["a_0"]], ax])
        return np.outer(b, a)


def _reduced_loss(start: Blocks, block: str, terms: tuple) -> sp.Expr:
    from .general import loss_poly
    from .lowrank import K, scalarise
    bn, an = _NAMES[block]
    b = {n: sp.Symbol(n) for n in bn}
    a = {n: sp.Symbol(n) for n in an}
    p = loss_poly(_rank1_blocks(start, block, b, a), terms)
    e = scalarise(p, True, gram={(W_PERP, W_PERP): 1, (THETA0, W_PERP): 0})
    return sp.expand(e.xreplace({K: RK ** 2}))


@lru_cache(maxsize=16)
def _reduce(spec: Spec, block: str, m: sp.Expr) -> ReducedPath:
    from .pretraining import derive_pretrain
    if spec.start is not None:
        raise NotClosedForm("start: the reduced path is derived from the pretrained parameters")
    for t in spec.loss:
        if not t.task.is_fixed or t.task.mean not in (THETA0, -THETA0):
            raise NotClosedForm(f"loss: the task {t.task} breaks the symmetry about theta_0")
    start = derive_pretrain(m).blocks
    bn, an = _NAMES[block]
    L = _reduced_loss(start, block, spec.loss)
    return ReducedPath(spec, block, m, tuple(sp.Symbol(n) for n in bn), tuple(sp.Symbol(n) for n in an), L, start)


def reduce_rank1(spec: Spec, m: Any = sp.oo) -> ReducedPath:
    """LoRA at rank 1 on the spec's ranked block (Q or Q_xx) reduced to a few scalars, at
    Sigma = I (module docstring)."""
    from .lowrank_concrete import ranked_block
    r = ranked_block(spec)
    if r.rank != 1:
        raise ValueError(f"train: the reduction is for rank 1, got rank {r.rank} (use numeric.lora at a setting)")
    return _reduce(spec, r.block, sp.sympify(m))


def start_coordinates(block: str, A0: Any, theta0: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(z0, w)``: the reduced coordinates of LoRA's start ``B = 0``, ``A = A0`` (1 x cols) at
    Sigma = I, and the unit perp direction w it fixes."""
    A0 = np.asarray(A0, dtype=float).reshape(-1)
    t0 = np.asarray(theta0, dtype=float).reshape(-1)
    d = t0.size
    cols = d if block == "Qxx" else d + 1
    if A0.shape != (cols,):
        raise ValueError(f"A0: expected {cols} numbers (one row of A), got {A0.size}")
    t = t0 / np.linalg.norm(t0)
    ax = A0 if block == "Qxx" else A0[1:]
    at = float(ax @ t)
    perp = ax - at * t
    ap = float(np.linalg.norm(perp))
    w = perp / ap if ap > 0 else np.zeros(d)
    nb = 2 if block == "Qxx" else 4
    z = np.zeros(nb + (2 if block == "Qxx" else 3))
    if block == "Qxx":
        z[nb:] = [at, ap]
    else:
        z[nb:] = [A0[0], at, ap]
    return z, w


def symmetric_flow_time(path: ReducedPath) -> dict:
    r"""The symmetric start's gradient flow in closed form (module docstring): ``{"p_star", "q",
    "time"}`` with ``time`` the expression t(p) in ``p`` and ``c`` (= a_p(0)^2), derived through
    ``p = (c/2) sinh u``, ``v = e^u`` and checked by differentiation."""
    nb = len(path.b_variables)
    bp, ap = path.b_variables[nb - 1 if path.block == "Qxx" else 2], path.a_variables[-1]
    zero = {x: 0 for x in path.variables if x not in (bp, ap)}
    L = sp.expand(path.loss.xreplace(zero))
    P = sp.Symbol("p", real=True)
    # L must be a function of p = b_p a_p alone: L0 + q p^2 - 2 g p
    poly = sp.Poly(L, bp, ap)
    q = poly.coeff_monomial(bp ** 2 * ap ** 2)
    g = -poly.coeff_monomial(bp * ap) / 2
    L0 = poly.coeff_monomial(1)
    if sp.expand(L - (L0 + q * (bp * ap) ** 2 - 2 * g * bp * ap)) != 0:
        raise NotClosedForm("the symmetric start's loss is not a function of b_p a_p")
    p_star = sp.factor(g / q)
    c = sp.Symbol("c", positive=True)
    ps = sp.Symbol("p_star", nonzero=True)
    qs = sp.Symbol("q_s", positive=True)
    v = sp.Symbol("v", positive=True)
    pv = c * (v - 1 / v) / 4
    integrand = sp.cancel(sp.together(sp.diff(pv, v) / (2 * qs * (ps - pv) * (c * (v + 1 / v) / 2))))
    F = sp.integrate(integrand, v)
    vp = (2 * P + sp.sqrt(c ** 2 + 4 * P ** 2)) / c
    T = F.subs(v, vp) - F.subs(v, 1)
    check = sp.diff(T, P) - 1 / (2 * qs * (ps - P) * sp.sqrt(c ** 2 + 4 * P ** 2))
    for pt in ({P: sp.Rational(-1, 3), ps: -1, c: sp.Rational(1, 5), qs: 2},
               {P: sp.Rational(1, 7), ps: sp.Rational(1, 2), c: 3, qs: sp.Rational(1, 3)}):
        if abs(sp.N(check.xreplace(pt), 30)) > 1e-25:
            raise NotClosedForm("the flow time's derivative does not match the integrand")
    return {"p_star": p_star, "q": sp.factor(q), "L0": sp.factor(L0), "time": T.xreplace({ps: p_star, qs: q}),
            "time_general": T, "symbols": {"p": P, "c": c, "p_star": ps, "q": qs}}
