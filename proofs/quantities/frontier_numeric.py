"""The frontier's rows in float64 or mpmath: the path above d = MAX_EXACT_D.

Each column of :mod:`proofs.quantities.frontier` is a rational function of lambda,

    f(lambda) = P(lambda) / Q(lambda),   P = sum_k p_k lambda^k,  Q = sum_k q_k lambda^k,

whose coefficients p_k, q_k are polynomials in traces and bilinear forms of the setting
(Sigma, theta_0, sigma^2, the pretrained blocks).  The derivation (lambda symbolic, d
symbolic) is the exact one; only the coefficients are evaluated in the chosen arithmetic
(:func:`symbolic.evaluation.numeric_env`, O(d^3)), so the dependence on lambda stays a
polynomial ratio and the limits are read off it:

- lambda -> 0+: the lowest-order coefficients that are not zero, p_a and q_b:
  0 if a > b, p_a / q_b if a = b, +-oo if a < b;
- lambda -> oo: the highest-order ones, likewise.

**Tolerance.** A coefficient counts as zero when ``|c_k| <= tol * max_j |c_j|`` within
its polynomial, with ``tol`` = :data:`FLOAT_TOL` (1e-9) in float64 and ``10^(-precision/2)``
in mp.  The same ``tol`` decides the checks of the two limits:
``|a - b| <= tol * max(1, |a|, |b|)``.  Monotonicity is read from the real roots of the
derivative's numerator P'Q - PQ' (numpy.roots of the trimmed coefficients; a root counts
when its imaginary part is within ``sqrt(tol)`` of its modulus and it is > 0); a root of even
multiplicity cannot be told from two close simple ones in floating point, so such a column
may be reported "not monotone" where the exact path says monotone.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["FLOAT_TOL", "tolerance", "numeric_columns", "at_lambda_numeric", "monotone_numeric", "close",
           "as_expr"]

#: relative tolerance of the float64 path (coefficients that are zero, limit checks)
FLOAT_TOL = 1e-9


def tolerance(arith: Any) -> float:
    """:data:`FLOAT_TOL` in float64, ``10^(-precision/2)`` in mp (an arithmetic with a precision)."""
    return FLOAT_TOL if arith.precision is None else 10.0 ** (-arith.precision / 2)


def _coefficient_exprs(expr: sp.Expr, where: dict, lam: sp.Symbol) -> tuple[list[sp.Expr], list[sp.Expr]]:
    """``(p, q)``: the coefficients of the numerator and denominator of ``expr`` (its long
    coefficients ``where`` put in) as a ratio of polynomials in ``lam``, lowest order first."""
    f = expr.xreplace(where)
    num, den = sp.fraction(sp.together(f))
    p = sp.Poly(sp.expand(num), lam).all_coeffs()[::-1]
    q = sp.Poly(sp.expand(den), lam).all_coeffs()[::-1]
    return p, q


def numeric_columns(s: Any, parts: dict, lam: sp.Symbol, setting: Any) -> dict[str, tuple[list, list]]:
    """``{column: (p, q)}``: per column of ``parts`` (``{column: (expr, where)}``, the errors in
    blocks of the derived strategy ``s``) the coefficients of P and Q in ``lam`` (lowest order
    first) in the setting's float or mp arithmetic."""
    from symbolic.evaluation import numeric_env
    env = setting.env()
    if setting.m != sp.oo:
        env["m"] = setting.m
    env.update(s.bindings)
    ne = numeric_env(env, setting.arith)
    for k, e in s.definitions().items():
        ne.values[k] = ne.matrix(e)
    out = {}
    for col, (expr, where) in parts.items():
        p, q = _coefficient_exprs(expr, where, lam)
        out[col] = ([ne.scalar(c) for c in p], [ne.scalar(c) for c in q])
    return out


def _trim(c: list, tol: float) -> list:
    """``c`` with the coefficients within ``tol`` of zero (relative to the largest) set to 0."""
    big = max((abs(x) for x in c), default=0)
    return [x if abs(x) > tol * big else 0 * x for x in c]


def _ends(c: list) -> tuple[int, int]:
    idx = [k for k, x in enumerate(c) if x != 0]
    if not idx:
        raise ZeroDivisionError("a polynomial of lambda that vanishes identically")
    return idx[0], idx[-1]


def at_lambda_numeric(pq: tuple[list, list], lam: Any, tol: float) -> Any:
    """P(lam)/Q(lam) at ``lam`` > 0, or the limit at ``lam = 0`` (lambda -> 0+) or ``oo``,
    from the trimmed coefficients (module docstring)."""
    p, q = (_trim(c, tol) for c in pq)
    if not any(x != 0 for x in p):
        return 0 * q[0] if q else 0.0
    (pa, pz), (qa, qz) = _ends(p), _ends(q)
    if lam == sp.oo or lam == 0:
        i, j = (pz, qz) if lam == sp.oo else (pa, qa)
        if (i < j) if lam == sp.oo else (i > j):
            return 0 * p[i]
        if i == j:
            return p[i] / q[j]
        ratio = p[i] / q[j]
        return float("inf") if ratio > 0 else float("-inf")
    lam = sp.Rational(lam)
    if type(p[0]).__module__.startswith("mpmath"):
        x: Any = p[0].context.mpf(int(lam.p)) / int(lam.q)  # the coefficients' context and precision
    else:
        x = float(lam)
    return _horner(p, x) / _horner(q, x)


def _horner(c: list, x: Any) -> Any:
    out = 0 * x
    for a in reversed(c):
        out = out * x + a
    return out


def close(a: Any, b: Any, tol: float) -> bool:
    """``|a - b| <= tol * max(1, |a|, |b|)`` (equal infinities are close)."""
    if a == b:
        return True
    fa, fb = float(a), float(b)
    if fa != fa or fb != fb or abs(fa) == float("inf") or abs(fb) == float("inf"):
        return False
    return bool(abs(a - b) <= tol * max(1.0, abs(a), abs(b)))


def monotone_numeric(pq: tuple[list, list], tol: float) -> str:
    """``increasing``, ``decreasing``, ``constant`` or ``not monotone`` on (0, oo), from the
    real positive roots of P'Q - PQ' (module docstring: within the tolerance)."""
    import numpy as np
    p, q = (np.array([float(x) for x in _trim(c, tol)]) for c in pq)
    P, Q = np.polynomial.Polynomial(p), np.polynomial.Polynomial(q)
    D = P.deriv() * Q - P * Q.deriv()
    c = np.array(_trim(list(D.coef), tol))
    if not np.any(c):
        return "constant"
    nz = np.nonzero(c)[0]
    c = c[: nz[-1] + 1]
    roots = np.polynomial.Polynomial(c).roots() if len(c) > 1 else np.array([])
    eps = tol ** 0.5
    if any(abs(r.imag) <= eps * max(1.0, abs(r)) and r.real > eps * max(1.0, abs(r)) for r in np.atleast_1d(roots)):
        return "not monotone"
    x = 1.0
    probe = np.polynomial.Polynomial(c)(x) / Q(x) ** 2
    return "increasing" if probe > 0 else "decreasing"


def as_expr(pq: tuple[list, list], tol: float, LAMBDA: sp.Symbol) -> sp.Expr:
    """The column as a SymPy expression in ``LAMBDA`` with Float coefficients (trimmed)."""
    p, q = (_trim(c, tol) for c in pq)
    num = sum((sp.Float(str(x)) * LAMBDA ** k for k, x in enumerate(p) if x != 0), sp.S.Zero)
    den = sum((sp.Float(str(x)) * LAMBDA ** k for k, x in enumerate(q) if x != 0), sp.S.Zero)
    return num / den
