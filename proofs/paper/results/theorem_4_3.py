r"""Theorem 4.3: full fine-tuning on the zero-shot loss: the set of minimisers, zero-shot error sigma^2.

Statement: :math:`\min_{V,Q} \mathcal{E}(V, Q, 0; \theta_0) = \sigma^2`, attained exactly on
two families (``w = q_0x + q_x0``, ``S = (Q_xx + Q_xx^T)/2``; C, c any nonzero numbers):

* F1: ``v_0 = 0``, ``v_x = C theta_0``, ``Q_00 = 1/C``, ``w = 0``, ``S = 0``;
* F2: ``v_x = 0``, ``Q_00 = 0``, ``v_0 = c``, ``w = theta_0 / c``, ``S = 0``;

every other entry (``v_y``, ``Q_y0``, ``q_yx``, ``q_0x - q_x0``, the antisymmetric part of
``Q_xx``, V's first d+1 rows, Q's last column) is free.  Gradient descent from the pretrained
parameters converges into F1 with the free entries at their pretrained values: the toolkit's
representative ``V[-1,:] = (0, C theta_0^T, 1)``, ``Q = e_0 e_0^T / C``.

Proof, as checked below.  ``E(V, Q, 0; theta_0) = sigma^2 + E[(f(q) - theta_0^T x)^2]`` with
``f(q) = (v_0 + v_x^T x)(Q_00 + w^T x + x^T S x)`` (the engine's zero-shot error at general
blocks has sigma only in the term sigma^2), so the minimum is sigma^2, attained iff the cubic
polynomial ``f(q) - theta_0^T x`` vanishes identically (x ~ N(0, Sigma) has full support).
Completeness, for every d: ``R[x]`` is an integral domain.  If ``v_x != 0``, the degree-3 part
``(v_x^T x)(x^T S x) = 0`` forces ``S = 0``; if ``v_x = 0`` and ``v_0 != 0``, the degree-2 part
``v_0 x^T S x = 0`` does (``v_0 = v_x = 0`` gives f = 0, impossible for theta_0 != 0).  Then
``(v_0 + v_x^T x)(Q_00 + w^T x) = theta_0^T x`` factors a degree-1 irreducible, so one factor
is a nonzero constant: ``w = 0`` (F1, C = 1/Q_00) or ``v_x = 0`` (F2, c = v_0).  The same case
analysis is run mechanically at d = 1 and d = 2 (linear solves and a Groebner basis; a plain
``sympy.solve`` of the system misses family F1 at d = 1 and is not used).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from symbolic import SCALE, THETA, THETA0, expected_error, tidy, to_sympy
from symbolic.calculus import first_order
from symbolic.model import Blocks, mat, symbolic_blocks, vec
from symbolic.strategy import Step
from symbolic.words import DIM, Atom

from proofs.paper.result import Conditions, Derivation, Line, Result, TestError, claim
from proofs.paper.results._common import FREE_AT_PRETRAINED, PRETRAINED, SETTING, equality_line, show, sigma, vanishes
from proofs.quantities.derivations import strategy, zero_shot
from proofs.paper.results._search import compile_objective, descend

# the blocks, as symbols (for the statement)
v_0, Q_00 = sp.symbols("v_0 Q_00")
v_x = sp.MatrixSymbol("v_x", DIM, 1)
q_0x, q_x0 = sp.MatrixSymbol("q_0x", DIM, 1), sp.MatrixSymbol("q_x0", DIM, 1)
Q_xx = sp.MatrixSymbol("Q_xx", DIM, DIM)
c_ = sp.Symbol("c", nonzero=True)
Z1, ZD = sp.ZeroMatrix(DIM, 1), sp.ZeroMatrix(DIM, DIM)

#: free entries, symbolic
V_Y, Q_Y0 = sp.symbols("v_y Q_y0")
Q_YX = sp.MatrixSymbol("q_yx", DIM, 1)
A_ANTI = sp.MatrixSymbol("A", DIM, DIM)     # antisymmetric part of Q_xx: A - A^T
A_VEC = sp.MatrixSymbol("a", DIM, 1)        # q_0x - q_x0 = 2a


def family_1(free: bool = True) -> Blocks:
    """F1 with the scale C; ``free``: every free entry symbolic (else at the convention)."""
    b = Blocks(vx=vec(THETA0, SCALE), Q00=1 / SCALE, vy=sp.S.One)
    if free:
        b = b.with_(vy=V_Y, Qy0=Q_Y0, qyx=vec(Q_YX), q0x=vec(A_VEC), qx0=vec(A_VEC, -1),
                    Qxx=mat(Atom(A_ANTI), (-1, (Atom(A_ANTI).T,))))
    return b


def family_2(free: bool = True) -> Blocks:
    """F2 with the scale c; ``free``: every free entry symbolic (else at the convention)."""
    half = 1 / (2 * c_)
    b = Blocks(v0=c_, q0x=vec(THETA0, half), qx0=vec(THETA0, half), vy=sp.S.One)
    if free:
        b = b.with_(vy=V_Y, Qy0=Q_Y0, qyx=vec(Q_YX), q0x=vec(THETA0, half) + vec(A_VEC),
                    qx0=vec(THETA0, half) + vec(A_VEC, -1), Qxx=mat(Atom(A_ANTI), (-1, (Atom(A_ANTI).T,))))
    return b


@lru_cache(maxsize=None)
def dropped_convention() -> sp.Expr:
    """Few-shot limit on theta of F1 with v_y, Q_y0, q_yx symbolic (the convention dropped)."""
    b = Blocks(vx=vec(THETA0, SCALE), Q00=1 / SCALE, vy=V_Y, Qy0=Q_Y0, qyx=vec(Q_YX))
    return tidy(to_sympy(expected_error(b, THETA, sp.oo)))


@lru_cache(maxsize=None)
def zero_shot_general():
    """E(V, Q, 0; theta_0) with every block symbolic (engine polynomial)."""
    return expected_error(None, THETA0, 0)


def _taylor1(b: Blocks, direction: Blocks):
    """The first-order coefficient of ``E(b + t direction, 0; theta_0)`` (d/dt at t = 0, on the
    unreduced error: test it with :func:`vanishes`)."""
    return first_order(lambda bb: expected_error(bb, THETA0, 0, normalise=False), b, direction)


@lru_cache(maxsize=None)
def completeness(d: int, theta0: tuple[int, ...]) -> tuple[bool, str]:
    """Solve ``(v_0 + v_x^T x)(Q_00 + w^T x + x^T S x) = theta_0^T x`` at concrete d by cases."""
    x = sp.Matrix(sp.symbols(f"x1:{d + 1}"))
    v0, Q00 = sp.symbols("v0 Q00")
    vx = sp.Matrix(sp.symbols(f"vx1:{d + 1}"))
    w = sp.Matrix(sp.symbols(f"w1:{d + 1}"))
    S = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"s{min(i, j) + 1}{max(i, j) + 1}"))
    s_syms = sorted(S.free_symbols, key=str)
    th = sp.Matrix(theta0)

    # the prediction (v0 + v_x^T x)(Q00 + w^T x + x^T S x) - theta_0^T x is a polynomial in x whose
    # coefficients live in the field of fractions of the other unknowns: built there, in the ring
    # field[x], with the unknowns replaced by their values of the case, and its coefficients read
    # (the coefficients of Poly(prediction.xreplace(subs), *x, domain=field), srepr for srepr)
    field = QQ.frac_field(*sorted([v0, Q00, *vx, *w, *s_syms], key=sp.default_sort_key))
    Rx, *X = ring(list(x), field)

    def coefficients(subs: dict) -> list:
        """The nonzero coefficients in x, as elements of the field (reduced fractions)."""
        def val(u: sp.Symbol):
            return Rx.ground_new(field.from_sympy(sp.sympify(subs.get(u, u))))
        lin = lambda a: sum((val(a[i]) * X[i] for i in range(d)), Rx.zero)  # noqa: E731
        quad = sum((val(S[i, j]) * X[i] * X[j] for i in range(d) for j in range(d)), Rx.zero)
        target = sum((field.from_sympy(th[i]) * X[i] for i in range(d)), Rx.zero)   # theta_0^T x
        p = (val(v0) + lin(vx)) * (val(Q00) + lin(w) + quad) - target
        return [c for c in p.coeffs() if c]

    def equations(subs: dict) -> list[sp.Expr]:
        return [field.to_sympy(c) for c in coefficients(subs)]

    # case A: v_0 = 0.  Degree 1: Q00 v_x = theta_0, so Q00 != 0 and v_x = theta_0 / Q00.
    if sp.solve(equations({v0: 0, Q00: 0}), [*vx, *w, *s_syms], dict=True):
        return False, "case v0 = 0 admits Q00 = 0"
    # (each equation times Q00, in the field: a polynomial, the expand(cancel(e * Q00)) of its expression)
    fQ00, fv0 = field.from_sympy(Q00), field.from_sympy(v0)
    eqA = [field.to_sympy(c * fQ00) for c in coefficients({v0: 0, **{vx[i]: th[i] / Q00 for i in range(d)}})]
    solA = sp.linsolve(eqA, [*w, *s_syms])
    okA = solA == sp.FiniteSet(tuple([0] * (d + len(s_syms))))
    # case B: v_0 != 0.  Degree 0: Q00 = 0; degree 1: w = theta_0 / v0; degree 2: S = -sym(v_x w^T)/v0.
    subsB = {Q00: 0, **{w[i]: th[i] / v0 for i in range(d)}}
    M2 = -(vx * th.T + th * vx.T) / (2 * v0 ** 2)
    subsB.update({S[i, j]: M2[i, j] for i in range(d) for j in range(i, d)})
    # each equation times v0^3, then divided by v0 to the degree of its numerator in v0 (in the field:
    # the expand(cancel(.)) of factor(cancel(e v0^3)) / v0^k); one free of v0 is factored as it is
    at_v0 = field.symbols.index(v0)
    eqB = []
    for c in coefficients(subsB):
        f = c * fv0 ** 3
        k = f.numer.degree(at_v0)
        eqB.append(field.to_sympy(f / fv0 ** k) if k > 0 else sp.factor(field.to_sympy(f)))
    eqB = [e for e in eqB if e != 0]
    G = sp.groebner(eqB, *vx, order="grevlex") if eqB else None
    okB = G is not None and all(any(G.contains(vx[i] ** k) for k in (1, 2, 3)) for i in range(d))
    ok = bool(okA and okB)
    text = (f"d = {d}, theta_0 = {list(theta0)}: case v_0 = 0 -> Q_00 != 0, v_x = theta_0/Q_00 and the "
            f"remaining equations are linear in (w, S) with the unique solution 0 (F1, C = 1/Q_00); case "
            f"v_0 != 0 -> Q_00 = 0, w = theta_0/v_0, S = -sym(v_x w^T)/v_0 and the degree-3 equations in v_x "
            f"have a Groebner basis containing powers of every v_x,i, so v_x = 0, S = 0 (F2, c = v_0)")
    return ok, text


@lru_cache(maxsize=None)
def descent_from_pretrained(steps: int = 3000) -> dict:
    """Gradient descent on the zero-shot loss at d = 2 (all 16 block entries), started at the
    pretrained parameters (v = e_y, Q_xx = Sigma^{-1})."""
    Sigma = sp.Matrix([[2, 1], [1, 1]])
    th0 = sp.Matrix([1, -1])
    s2 = sp.Rational(1, 4)
    obj, flat, _ = compile_objective(zero_shot_general(), 2, {"Sigma": Sigma, "theta_0": th0, "sigma": sp.sqrt(s2)})
    names = [str(s)[2:] for s in flat]
    x0 = np.zeros(len(flat))
    x0[names.index("v_y")] = 1.0
    inv = np.array(Sigma.inv().tolist(), dtype=float)
    for i in range(2):
        for j in range(2):
            x0[names.index(f"Qxx_{i}{j}")] = inv[i, j]
    X, F = descend(obj, x0[:, None], steps, lr=0.01)
    x = dict(zip(names, X[:, 0]))
    vx = np.array([x["v_x_0"], x["v_x_1"]])
    t0 = np.array([1.0, -1.0])
    C = float(vx @ t0 / (t0 @ t0))
    return {"gap": float(F[0] - float(s2)), "start_gap": float(obj.value(x0[:, None])[0] - float(s2)),
            "v0": x["v_0"], "w": max(abs(x["q_0x_0"] + x["q_x0_0"]), abs(x["q_0x_1"] + x["q_x0_1"])),
            "antisym": max(abs(x["q_0x_0"] - x["q_x0_0"]), abs(x["q_0x_1"] - x["q_x0_1"])),
            "antisym_xx": float(abs(x["Qxx_01"] - x["Qxx_10"])),
            "free": max(abs(x["v_y"] - 1), abs(x["Q_y0"]), abs(x["q_yx_0"]), abs(x["q_yx_1"])),
            "S": max(abs(x[f"Qxx_{i}{j}"]) for i in range(2) for j in range(2)),
            "C": C, "CQ00": C * x["Q_00"], "perp": float(np.linalg.norm(vx - C * t0)), "steps": steps}


class Theorem43(Result):
    id = "theorem-4.3"
    title = "full fine-tuning: the minimisers of the zero-shot loss, zero-shot error sigma^2"
    title_latex = r"full fine-tuning: the minimisers of the zero-shot loss, zero-shot error $\sigma^2$"
    strategy = "full"
    assumption_pairs = (SETTING, ("theta_0 != 0", r"$\theta_0 \neq 0$"), PRETRAINED, FREE_AT_PRETRAINED)
    definitions = (("C", "C != 0 is the free scale of the family F1", r"$C \neq 0$ is the free scale of the family $F_1$"),
                   ("c", "c != 0 is the free value of v_0 on the family F2",
                    r"$c \neq 0$ is the free value of $v_0$ on the family $F_2$"))
    claim = ("Over all V, Q: E(V, Q, 0; theta_0) >= sigma^2, with equality "
             "exactly on the families F1 and F2 below; gradient descent from the "
             "pretrained parameters reaches F1, whose zero-shot error is",
             r"Over all $V, Q$: $\mathcal{E}(V, Q, 0; \theta_0) "
             r"\geq \sigma^2$, with equality exactly on the families $F_1$ and $F_2$ below; "
             r"gradient descent from the pretrained parameters reaches $F_1$, whose zero-shot error is")

    def _statement(self):
        F1 = Conditions("F_1", claim(v_0, 0), claim(v_x, SCALE * THETA0), claim(Q_00, 1 / SCALE),
                        claim(q_0x + q_x0, Z1), claim(Q_xx + Q_xx.T, ZD))
        F2 = Conditions("F_2", claim(v_0, c_), claim(v_x, Z1), claim(Q_00, 0), claim(q_0x + q_x0, THETA0 / c_),
                        claim(Q_xx + Q_xx.T, ZD))
        return (F1, F2, claim(TestError("full", 0, THETA0), sigma ** 2))

    def _derive(self) -> Derivation:
        full = strategy("full")
        E0 = to_sympy(zero_shot_general())
        zs = zero_shot("full")
        dropped = dropped_convention()
        steps = [Step("zero-shot error at general blocks", E0)] + list(full.steps) + [
            Step("representative (convention): V[-1,:] = (0, C theta_0^T, 1), Q = e_0 e_0^T / C; zero-shot error", zs)]
        return Derivation(values={self.statement[2].lhs: zs}, steps=steps,
                          extra={"zero-shot error, general blocks": E0,
                                 "few-shot limit on theta, F1 with v_y, Q_y0, q_yx free (convention dropped)": dropped,
                                 "free": list(full.free), "convention": full.convention})

    def _checks(self, der: Derivation):
        E0 = der.extra["zero-shot error, general blocks"]
        # sigma free in E0 - sigma^2 as it stands is sigma free in its expansion (expand brings in no
        # symbol); only where sigma is left is the expansion needed to decide (the same verdict)
        rest = E0 - sigma ** 2
        if sigma in rest.free_symbols:
            rest = sp.expand(rest)
        yield Line("exact", "lower bound: the engine's zero-shot error at general blocks is sigma^2 + (terms free "
                   "of sigma) = sigma^2 + E[(f(q) - theta_0^T x)^2] >= sigma^2", sigma not in rest.free_symbols)
        for name, fam in (("F1", family_1()), ("F2", family_2())):
            e = tidy(to_sympy(expected_error(fam, THETA0, 0)))
            yield Line("exact", f"{name} with every free entry symbolic (v_y, Q_y0, q_yx, q_0x - q_x0 = 2a, "
                       f"Q_xx = A - A^T) attains it: zero-shot error {show(e)}", sp.expand(e - sigma ** 2) == 0)
        yield Line("note", "completeness for every d: R[x] is an integral domain and theta_0^T x is irreducible "
                   "of degree 1, so f(q) = theta_0^T x forces S = 0 and one affine factor constant: F1 or F2 "
                   "(the argument in the module docstring); checked mechanically at d = 1, 2 below", None)
        for dd, th in ((1, (2,)), (2, (1, -2))):
            ok, text = completeness(dd, th)
            yield Line("exact", "coefficient matching, " + text, ok)
        # gradient-descent convention
        free_syms = {V_Y.name, Q_Y0.name, Q_YX.name}
        present = {s.name for s in E0.free_symbols} | {s.name for s in E0.atoms(sp.MatrixSymbol)}
        yield Line("exact", "v_y, Q_y0, q_yx do not occur in the zero-shot loss (the query's label slot is 0): "
                   "their gradient is identically 0, gradient descent keeps them at 1, 0, 0",
                   not (free_syms & present))
        dl, Dl = sp.MatrixSymbol("delta", DIM, 1), sp.MatrixSymbol("Delta", DIM, DIM)
        anti = _taylor1(symbolic_blocks(), Blocks(q0x=vec(dl), qx0=vec(dl, -1),
                                                  Qxx=mat(Atom(Dl), (-1, (Atom(Dl).T,)))))
        yield Line("exact", "at general blocks the first-order coefficient in the direction q_0x = delta, "
                   "q_x0 = -delta, Q_xx = Delta - Delta^T is identically 0: the gradient in Q_xx is symmetric and "
                   "those in q_0x, q_x0 are equal, so Q_xx stays symmetric and q_0x - q_x0 stays 0",
                   vanishes(anti))
        d0, da, db = sp.Symbol("delta_v0"), sp.MatrixSymbol("delta_a", DIM, 1), sp.MatrixSymbol("delta_b", DIM, 1)
        par = _taylor1(symbolic_blocks().with_(v0=sp.S.Zero, q0x=(), qx0=()), Blocks(v0=d0, q0x=vec(da), qx0=vec(db)))
        yield Line("exact", "parity x -> -x: at v_0 = 0, q_0x = q_x0 = 0 (other blocks general) the first-order "
                   "coefficient in v_0, q_0x, q_x0 is identically 0, so {v_0 = 0, w = 0} is invariant under "
                   "gradient descent; it contains the pretrained point and meets the minimisers only in F1",
                   vanishes(par))
        g = descent_from_pretrained()
        # Q_xx's antisymmetric part is a free direction too (its gradient is 0 exactly), but the two
        # entries' float gradients are summed in different orders: it stays 0 to rounding only
        ok = g["gap"] < 1e-3 * g["start_gap"] and g["v0"] == 0 and g["w"] == 0 and g["antisym"] == 0 \
            and g["free"] == 0 and g["antisym_xx"] <= 1e-12 and abs(g["CQ00"] - 1) < 1e-2 \
            and g["perp"] < 1e-2 * abs(g["C"])
        yield Line("numeric", f"gradient descent on the zero-shot loss at d = 2 (Sigma = [[2,1],[1,1]], theta_0 = "
                   f"(1,-1), sigma^2 = 1/4), all 16 entries, {g['steps']} steps from the pretrained point: excess "
                   f"error {g['start_gap']:.4g} -> {g['gap']:.2e}; v_0, w, q_0x - q_x0, v_y - 1, Q_y0, q_yx stay "
                   f"exactly 0, Q_xx - Q_xx^T to rounding (at most 1e-12); max|Q_xx| -> {g['S']:.2e}; v_x = C theta_0 with C = {g['C']:.4f} "
                   f"(off by {g['perp']:.1e}), C Q_00 = {g['CQ00']:.4f}: into F1 (which C depends on the path)", ok)
        eq = self.statement[2]
        yield equality_line("zero-shot error of the representative", der.values[eq.lhs], eq.rhs)
        yield Line("note", "few-shot limit when the convention is dropped (F1, v_y, Q_y0, q_yx free): "
                   + show(der.extra["few-shot limit on theta, F1 with v_y, Q_y0, q_yx free (convention dropped)"]), None)


RESULT = Theorem43()
