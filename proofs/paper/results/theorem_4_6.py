r"""Theorem 4.6: value-matrix fine-tuning on the zero-shot loss.

Statement (poster, table row (c)): with Q fixed at the pretrained ``Q_hat``, the minimisers
of :math:`\mathcal{E}(V, \hat Q, 0; \theta_0)` over V have last row
``v = (0, theta_0^T/(d+4), v_y)`` with ``v_y`` free, and the zero-shot error is
:math:`\sigma^2 + \frac{2}{d+4}\theta_0^T\Sigma\theta_0`.

Proof, as checked: the prediction is linear in ``v``, so the loss is a quadratic in ``v``;
its first-order coefficient vanishes at the derived point and its second-order coefficient is
``d(d+2) delta_0^2 + (d+2)(d+4) delta_x^T Sigma delta_x`` (no ``delta_y``): strictly convex in
``(v_0, v_x)``, constant in ``v_y``.  So the minimiser set is exactly the line
``{v_0 = 0, v_x = theta_0/(d+4), v_y in R}``.  At finite m (``Q_hat = Gamma_hat_m``) the
same holds with ``v_x = H_m^{-1}(...)``; its first- and second-order conditions are checked
by exact evaluation at random rational settings.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from symbolic import M, SIGMA, THETA0, Bilinear, expected_error, ratfun, to_sympy
from symbolic.calculus import taylor
from symbolic.evaluation import evaluate_poly
from symbolic.model import Blocks, vec
from symbolic.strategies import VY
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import Derivation, Line, Param, ParamVector, Result, TestError, claim, lazy
from proofs.paper.results._common import (PRETRAINED, SETTING, T0ST0, equality_line, random_setting, same_matrix, show, sigma)
from proofs.quantities.derivations import strategy, zero_shot

V_X_STAR = ParamVector("v_x^c", DIM, 1)
V_0_STAR = Param("v_0^c")
D0, DY = sp.Symbol("delta_v0"), sp.Symbol("delta_vy")
DX = sp.MatrixSymbol("delta_vx", DIM, 1)
DIRECTION = Blocks(v0=D0, vx=vec(DX), vy=DY)


def zero_shot_taylor(blocks: Blocks, order: int = 2):
    """Taylor coefficients of ``E(v + t delta, Q_hat, 0; theta_0)`` in a direction of V's last row."""
    return taylor(lambda bb: expected_error(bb, THETA0, 0), blocks, DIRECTION, order=order)


@lru_cache(maxsize=None)
def finite_m_conditions(seeds: tuple[int, ...] = (1, 2), m: int = 3) -> list[tuple[bool, bool, str]]:
    """At finite m, exact evaluation at random settings (d = 2, 3) and random directions: the
    first-order coefficient is 0 and the second-order one is > 0."""
    val = strategy("value", M)
    L = zero_shot_taylor(val.blocks)
    out = []
    for seed, dd in zip(seeds, (2, 3)):
        env = random_setting(dd, seed)
        env["m"] = m
        rng = np.random.default_rng(100 + seed)
        env["delta_v0"] = sp.Rational(int(rng.integers(1, 5)), 3)
        env["delta_vy"] = sp.Rational(int(rng.integers(1, 5)), 2)
        env["delta_vx"] = sp.Matrix([sp.Rational(int(x), 2) for x in rng.integers(-3, 4, size=dd)])
        # (both coefficients in the same env: each matrix, trace and bilinear form computed once for both)
        shared: dict = {}
        one, two = (evaluate_poly(L[k], env, cache=shared) for k in (1, 2))
        # (Python bools: SymPy's ``two > 0`` is S.true/S.false, and Line counts only ``False`` as failed)
        out.append((bool(one == 0), bool(two > 0), f"{dd}x{dd} Sigma (seed {seed})"))
    return out


class Theorem46(Result):
    id = "theorem-4.6"
    title = "value-matrix fine-tuning: optimal V and zero-shot error"
    strategy = "value"
    assumption_pairs = (SETTING, PRETRAINED)
    defined_in_claim = ("v_0^c", "v_x^c")
    claim = ("With Q fixed at the pretrained Q_hat, the minimisers over V of E(V, Q_hat, 0; theta_0) have last "
             "row (v_0^c, v_x^c, v_y) with v_y free (the convention keeps its pretrained value 1), and",
             r"With $Q$ fixed at the pretrained $\hat{Q}$, the minimisers over $V$ of "
             r"$\mathcal{E}(V, \hat{Q}, 0; \theta_0)$ have last row $(v_0^c, v_x^c, v_y)$ with $v_y$ free "
             r"(the convention keeps its pretrained value 1), and")

    def _statement(self):
        return (claim(V_0_STAR, 0), claim(V_X_STAR, THETA0 / (DIM + 4)),
                claim(TestError("value", 0, THETA0), sigma ** 2 + 2 * T0ST0 / (DIM + 4)))

    def _derive(self) -> Derivation:
        val, val_m = strategy("value"), strategy("value", M)
        zs = zero_shot("value")
        steps = list(val.steps) + [Step("zero-shot error at the minimiser", zs)]
        return Derivation(
            values={V_0_STAR: val.blocks.v0, V_X_STAR: val.vx, self.statement[2].lhs: zs},
            steps=steps,
            extra={"v_x at finite m": val_m.vx, "definitions at finite m": lazy(val_m.definitions),
                   "free": list(val.free), "convention": val.convention})

    def _checks(self, der: Derivation):
        val = strategy("value")
        L0, L1, L2 = zero_shot_taylor(val.blocks)
        yield Line("exact", "v_y does not occur in the zero-shot loss (free; gradient identically 0)",
                   VY not in to_sympy(expected_error(val.blocks.with_(vy=VY), THETA0, 0)).free_symbols)
        yield Line("exact", "first-order conditions: the first-order coefficient of E(v* + t delta, Q_hat, 0; "
                   "theta_0) in every direction (delta_v0, delta_vx, delta_vy) is identically 0", not L1.terms)
        q = sp.expand(to_sympy(L2))
        a0 = q.coeff(D0, 2)
        ax = sp.expand(q - a0 * D0 ** 2)
        bx = Bilinear(DX, SIGMA, DX)
        cx = sp.expand(ax).coeff(bx)
        rest = sp.expand(ax - cx * bx)
        ok = rest == 0 and DY not in q.free_symbols and ratfun.factored(a0).is_positive and ratfun.factored(cx).is_positive
        yield Line("exact", f"second order: the second-order coefficient is {show(ratfun.factored(a0))}*delta_v0^2 + "
                   f"{show(ratfun.factored(cx))}*delta_vx^T Sigma delta_vx (no delta_vy), both coefficients positive for "
                   "d >= 1 and Sigma SPD: the loss (quadratic in v, the prediction being linear in v) is strictly "
                   "convex in (v_0, v_x), so the minimiser set is exactly {v_0 = 0, v_x = v_x*, v_y in R}", ok)
        for one, two, where in finite_m_conditions():
            yield Line("exact", f"finite m = 3 (v_x = H_m^-1 ..., the engine cannot cancel H_m H_m^-1 "
                       f"symbolically): exact evaluation at a random rational {where} and a random direction: "
                       f"first-order coefficient = 0, second-order coefficient > 0", one and two)
        yield Line("exact", f"v_0* = {show(der.values[V_0_STAR])}", der.values[V_0_STAR] == 0)
        yield Line("exact", f"v_x*: derived {show(der.values[V_X_STAR])} == stated {show(self.statement[1].rhs)}",
                   same_matrix(der.values[V_X_STAR], self.statement[1].rhs))
        eq = self.statement[2]
        yield equality_line("zero-shot error on theta_0", der.values[eq.lhs], eq.rhs)


RESULT = Theorem46()
