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

__all__ = ["FLOAT_TOL", "tolerance", "numeric_columns", "LambdaColumns", "Singular", "depends_on", "at_lambda_numeric", "monotone_numeric", "close",
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


def depends_on(s: Any, lam: sp.Symbol) -> bool:
    """Whether a derived matrix of the derived strategy ``s`` depends on ``lam`` (the mixed loss at a
    finite m): then its columns are evaluated one lambda at a time (:class:`LambdaColumns`)."""
    return any(e.has(lam) for e in s.definitions().values())


def numeric_columns(s: Any, parts: dict, lam: sp.Symbol, setting: Any) -> dict[str, tuple[list, list]]:
    """``{column: (p, q)}``: per column of ``parts`` (``{column: (expr, where)}``, the errors in
    blocks of the derived strategy ``s``) the coefficients of P and Q in ``lam`` (lowest order
    first) in the setting's float or mp arithmetic.  Only where no derived matrix depends on
    ``lam`` (m = oo); at a finite m :class:`LambdaColumns` evaluates one lambda at a time."""
    from symbolic.evaluation import numeric_env
    env = setting.env()
    if setting.m != sp.oo:
        env["m"] = setting.m
    env.update(s.bindings)
    ne = numeric_env(env, setting.arith)
    for k, e in s.definitions().items():
        if e.has(lam):
            raise ValueError("lambda: a derived matrix depends on lambda here (finite m); the columns are "
                             "evaluated one lambda at a time (LambdaColumns)")
        ne.values[k] = ne.matrix(e)
    out = {}
    for col, (expr, where) in parts.items():
        p, q = _coefficient_exprs(expr, where, lam)
        out[col] = ([ne.scalar(c) for c in p], [ne.scalar(c) for c in q])
    return out


class Singular(ValueError):
    """A derived expression has a vanishing denominator (or a singular inverse) at the point asked."""


class LambdaColumns:
    """The columns of a derived strategy whose *derived matrices* depend on ``lam``, one value of
    lambda at a time.

    At a finite m the mixed-loss minimiser holds an inverse whose entries depend on lambda
    (``H_m_inv``: a d x d inverse of a combination of I, Gamma_hat_m Sigma and its square with
    lambda-dependent weights), so a column is no ratio of polynomials in lambda with
    setting-independent coefficients (and expanding it over its traces and bilinear forms does
    not finish in minutes).  :meth:`values` evaluates the derived expression itself at one
    lambda: the derived matrices at that lambda, then the columns, in the setting's arithmetic.

    At ``lam = 0`` the same evaluation gives the limit lambda -> 0+ *where the expression is
    regular there*: every denominator is checked not to vanish (a sum within the tolerance of
    zero relative to its largest term) and every inverted matrix to be well conditioned
    (condition number below 1/tolerance); otherwise :class:`Singular` is raised, never a value.
    (A rational expression in lambda and in matrix inverses is continuous where no denominator
    vanishes and no inverted matrix is singular, so there its value is its limit.)  The limit
    lambda -> oo is the limit mu -> 0+ of the same spec with weights (mu, 1) (the minimiser of
    E(0) + lambda E(n_ft) is that of mu E(0) + E(n_ft), mu = 1/lambda), derived on its own and
    evaluated at mu = 0 with the same checks (:func:`proofs.quantities.frontier.reciprocal_spec`).

    Derived matrices that do not depend on lambda are evaluated once and shared; the
    lambda-dependent ones are renamed per lambda, so no cached product mixes two lambdas, and
    their cache entries are dropped after each.
    """

    def __init__(self, s: Any, parts: dict, lam: sp.Symbol, setting: Any) -> None:
        from symbolic.evaluation import numeric_env
        env = setting.env()
        if setting.m != sp.oo:
            env["m"] = setting.m
        env.update(s.bindings)
        self.lam = lam
        self.arith = setting.arith
        self.tol = tolerance(setting.arith)
        self.ne = numeric_env(env, setting.arith)
        self.defs: list[tuple[sp.MatrixSymbol, sp.Basic]] = []
        dependent: set[str] = set()
        definitions = s.definitions()
        symbols = {x.name: x for e in [*s.parameters().values(), *definitions.values()]
                   for x in sp.sympify(e).atoms(sp.MatrixSymbol)}
        for k, e in definitions.items():
            if e.has(lam) or any(x.name in dependent for x in e.atoms(sp.MatrixSymbol)):
                dependent.add(k)
                self.defs.append((symbols[k], e))
            else:
                self.ne.values[k] = self.ne.matrix(e)
        self.columns = {col: expr.xreplace(where) for col, (expr, where) in parts.items()}
        self._count = 0

    def values(self, value: Any) -> dict[str, Any]:
        """``{column: value}`` at lambda = ``value`` (a number >= 0; 0 the limit lambda -> 0+, where
        the expression is regular: class docstring)."""
        self._count += 1
        rename = {sym: sp.MatrixSymbol(f"{sym.name}__lam{self._count}", *sym.shape) for sym, _ in self.defs}
        ne = self.ne
        ne.values[self.lam.name] = self.arith.number(sp.Rational(value))
        memo: dict = {}
        try:
            for sym, e in self.defs:
                e = self._guard_weights(e.xreplace(rename), memo, value)
                if isinstance(e, sp.Inverse):
                    self._check_invertible(ne.matrix(e.arg), sym.name, value)
                ne.values[rename[sym].name] = ne.matrix(e)
            return {col: self._guarded(expr.xreplace(rename), memo, value) for col, expr in self.columns.items()}
        finally:
            self._forget(rename)
            ne.values.pop(self.lam.name, None)

    def _check_invertible(self, M: Any, name: str, value: Any) -> None:
        if self.arith.precision is None:
            import numpy as np
            cond = float(np.linalg.cond(np.asarray(M, dtype=float)))
        else:
            import mpmath
            cond = float(mpmath.mnorm(M, 1) * mpmath.mnorm(M ** -1, 1))
        if not cond < 1 / self.tol:
            raise Singular(f"lambda: the matrix inverted in {name} is singular at lambda = {value} "
                           f"(condition number {cond:.3g} > 1/{self.tol:g})")

    def _guard_weights(self, e: sp.Basic, memo: dict, value: Any) -> sp.Basic:
        """``e`` (a matrix expression) with each scalar weight that holds lambda evaluated (its
        denominators checked) and bound to a fresh symbol."""
        lam, ne = self.lam, self.ne
        count = [0]

        def walk(x: sp.Basic) -> sp.Basic:
            if not x.has(lam):
                return x
            if isinstance(x, sp.MatMul):
                scal = sp.Mul(*[a for a in x.args if not getattr(a, "is_Matrix", False)])
                mats = [walk(a) for a in x.args if getattr(a, "is_Matrix", False)]
                if scal.has(lam):
                    sym = sp.Symbol(f"_w{self._count}_{count[0]}")
                    count[0] += 1
                    ne.values[sym.name] = self._guarded(scal, memo, value)
                    scal = sym
                return sp.MatMul(scal, *mats)
            if getattr(x, "is_Matrix", False) and x.args:
                return x.func(*[walk(a) for a in x.args])
            raise ValueError(f"lambda: cannot evaluate a derived matrix with lambda outside its weights: {x}")
        return walk(e)

    def _guarded(self, e: sp.Expr, memo: dict, value: Any) -> Any:
        """``e`` evaluated, each denominator checked not to vanish (:class:`Singular`)."""
        ne, tol = self.ne, self.tol

        def ev(x: sp.Expr) -> tuple[Any, Any]:
            """(value, scale): scale bounds the magnitudes summed into the value."""
            if x in memo:
                return memo[x]
            if isinstance(x, sp.Add):
                parts = [ev(a) for a in x.args]
                v = parts[0][0]
                for p in parts[1:]:
                    v = v + p[0]
                out = (v, max(p[1] for p in parts))
            elif isinstance(x, sp.Mul):
                v, sc = None, None
                for a in x.args:
                    av, asc = ev(a)
                    v = av if v is None else v * av
                    sc = asc if sc is None else sc * asc
                out = (v, sc)
            elif isinstance(x, sp.Pow) and x.exp.is_Integer:
                bv, bs = ev(x.base)
                if x.exp < 0 and not abs(bv) > tol * bs:
                    raise Singular(f"lambda: a denominator of the derived expression vanishes at lambda = {value}")
                p = ne.num.power(bv, x.exp)
                out = (p, ne.num.power(bs, x.exp) if x.exp > 0 else abs(p))
            else:
                v = ne.scalar(x)
                out = (v, abs(v))
            memo[x] = out
            return out
        return ev(e)[0]

    def _forget(self, rename: dict) -> None:
        names = {s.name for s in rename.values()}
        weights = [k for k in self.ne.values if k.startswith(f"_w{self._count}_")]
        syms = tuple(rename.values()) + tuple(sp.Symbol(k) for k in weights)
        cache = self.ne.cache
        for key in [k for k in cache if any(isinstance(x, sp.Basic) and any(x.has(s) for s in syms) for x in k)]:
            del cache[key]
        self.ne.scache.clear()
        for k in [*names, *weights]:
            self.ne.values.pop(k, None)


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
