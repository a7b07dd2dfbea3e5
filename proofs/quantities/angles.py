"""Tasks at an angle from theta_0: ``theta(phi) = cos(phi) theta_0 + sin(phi) u``.

The geometry is Sigma's, the one every error is written in: ``u`` is Sigma-orthogonal to
theta_0 (``u^T Sigma theta_0 = 0``) with the same Sigma-norm (``u^T Sigma u =
theta_0^T Sigma theta_0``), so ``theta(phi)^T Sigma theta(phi) = theta_0^T Sigma theta_0``
for every phi and ``theta(phi)^T Sigma theta_0 = cos(phi) theta_0^T Sigma theta_0``: phi is
the angle between theta(phi) and theta_0 in the inner product ``<a, b> = a^T Sigma b``. With
Sigma = I these are the ordinary angle and norm.

The plane: spanned by theta_0 and the first coordinate vector ``e_j`` not parallel to
theta_0 (``e_2`` for the default theta_0 = e_1); ``u`` is ``e_j``'s Sigma-orthogonal part,
rescaled. ``phi = 0`` is theta_0 and ``phi = pi`` is -theta_0, exactly; with d = 1 there
is no plane, and only those two (sin(phi) = 0) are accepted.

Angles are exact SymPy numbers: ``pi/2`` stays pi/2, so cos and sin of rational multiples
of pi are exact; a decimal such as ``0.5`` (radians) is read exactly as 1/2.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

__all__ = ["direction", "rotated", "angle_symbols", "angle_values", "from_option", "angle_text", "MAX_ANGLE"]

#: the largest |phi| accepted (radians)
MAX_ANGLE = 10**6

#: placeholders for cos(phi), sin(phi) and the scale of u while a formula is built
COS, SIN, SCALE = sp.symbols("cos_phi sin_phi u_scale", real=True)


def direction(theta0: sp.Matrix, Sigma: sp.Matrix) -> tuple[sp.Matrix, sp.Expr]:
    """``(w, k)`` with ``u = k w``: ``w`` the Sigma-orthogonal part of the first coordinate
    vector not parallel to theta_0 (exact rationals for rational inputs) and ``k > 0`` the
    scale that gives u the Sigma-norm of theta_0 (a square root in general). ``w = 0`` for
    d = 1. Raises ValueError (naming ``theta0``) for theta_0 = 0, from which no angle is
    measured."""
    d = theta0.shape[0]
    t0St0 = (theta0.T * Sigma * theta0)[0, 0]
    if t0St0 == 0:  # theta_0 = 0 (Sigma is positive definite): no direction to turn from
        raise ValueError("theta0: an angle is measured from theta0, which is 0 here; expected a non-zero "
                         "theta0 with --task-angle (or the task 'target' or 'opposite')")
    for j in range(d):
        e = sp.zeros(d, 1)
        e[j] = 1
        w = e - ((theta0.T * Sigma * e)[0, 0] / t0St0) * theta0
        if any(x != 0 for x in w):
            wSw = (w.T * Sigma * w)[0, 0]
            return w, sp.sqrt(t0St0 / wSw)
    return sp.zeros(d, 1), sp.S.Zero


def angle_symbols(theta0: sp.Matrix, Sigma: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """``theta`` written with the placeholders (``COS theta_0 + SIN SCALE w``) and the
    direction ``w``; substitute :func:`angle_values` afterwards."""
    w, _ = direction(theta0, Sigma)
    return COS * theta0 + SIN * SCALE * w, w


def angle_values(phi: Any, theta0: sp.Matrix, Sigma: sp.Matrix) -> dict[sp.Symbol, sp.Expr]:
    """The values of the placeholders at ``phi``. Raises ValueError (naming ``task``) for
    d = 1 and sin(phi) != 0."""
    phi = sp.sympify(phi)
    c, s = sp.cos(phi), sp.sin(phi)
    w, k = direction(theta0, Sigma)
    if s != 0 and all(x == 0 for x in w):
        raise ValueError(f"task: an angle needs a plane through theta0, and d = 1 has none; "
                         f"expected an angle with sin(phi) = 0 (0 or pi), got {phi}")
    return {COS: c, SIN: s, SCALE: k}


def rotated(phi: Any, theta0: Any, Sigma: Any) -> sp.Matrix:
    """theta_0 rotated by ``phi`` (radians) in the Sigma-geometry, exact."""
    theta0, Sigma = sp.Matrix(theta0), sp.Matrix(Sigma)
    w, k = direction(theta0, Sigma)
    vals = angle_values(phi, theta0, Sigma)
    return sp.simplify(vals[COS] * theta0 + vals[SIN] * k * w)


def from_option(value: tuple[Fraction, bool]) -> sp.Expr:
    """The exact angle of ``--task-angle`` (:func:`proofs.cli.options.parse_task_angle`)."""
    c, pi = value
    x = sp.Rational(c.numerator, c.denominator)
    return x * sp.pi if pi else x


def angle_text(phi: Any) -> str:
    """How an angle is shown: ``pi/2``, ``1/2``."""
    return sp.sstr(sp.sympify(phi))
