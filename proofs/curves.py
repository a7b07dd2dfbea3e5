"""Exact n-shot error curves of a strategy, and the exact error of any given parameters.

Both evaluate the derived closed form ``E(V, Q, n; theta)`` (:mod:`symbolic`, a polynomial
of traces and bilinear forms with coefficients rational in n) at an explicit setting: the
traces and bilinear forms are evaluated once, leaving one exact rational function of n,
which is then evaluated at each requested n.  Its limit n -> oo is the derived limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

__all__ = ["CurveResult", "curve", "exact_error", "error_function"]


@dataclass
class CurveResult:
    """``n`` (shots), ``error`` (floats), ``limit`` (float, n -> oo); ``exact`` and
    ``exact_limit`` hold the exact SymPy values, ``formula`` the error as a function of n."""

    n: list[int]
    error: list[float]
    limit: float
    exact: list[sp.Expr] = field(default_factory=list)
    exact_limit: sp.Expr = sp.nan
    formula: sp.Expr = sp.nan


def error_function(p, env: dict[str, Any]) -> sp.Expr:
    """The engine polynomial ``p`` (symbolic n) at ``env`` (everything but n): a rational
    function of n, exact."""
    from symbolic import N
    from symbolic.evaluate import evaluate_poly
    total = evaluate_poly(p, env)
    return sp.cancel(sp.together(total)) if total.has(N) else total


def _task_env(env: dict[str, Any], task: Any) -> tuple[dict[str, Any], dict]:
    """``env`` with the evaluation task ``theta``, and the substitutions still to make: none
    for ``'target'`` / ``'opposite'``; for an angle phi (a number, radians), theta is theta_0
    rotated by phi (:mod:`proofs.angles`) written with placeholders for cos(phi), sin(phi)
    and a scale, substituted into the exact values at the end."""
    out = dict(env)
    if isinstance(task, str):
        if task not in ("target", "opposite"):
            raise ValueError(f"task: expected 'target', 'opposite' or an angle (radians), got {task!r}")
        out["theta"] = env["theta_0"] if task == "target" else -env["theta_0"]
        return out, {}
    from proofs.angles import angle_symbols, angle_values
    if isinstance(task, bool) or not getattr(sp.sympify(task), "is_real", False):
        raise ValueError(f"task: expected 'target', 'opposite' or an angle (radians), got {task!r}")
    values = angle_values(task, env["theta_0"], env["Sigma"])
    out["theta"], _ = angle_symbols(env["theta_0"], env["Sigma"])
    return out, values


_SCALARS = ("v0", "vy", "Q00", "Qy0")


@lru_cache(maxsize=64)
def abstract_error_polys(name: str, m_key: Any, n_ft: Any):
    """``E(V*, Q*, n; theta)`` and its limit n -> oo with every scalar block that is itself a
    formula of traces and bilinear forms (e.g. v_y of value-fewshot at finite n_ft) replaced
    by a symbol: the engine then works with short coefficients; returns the polynomials and
    the map symbol -> formula, to be evaluated separately."""
    from symbolic import THETA, N, Bilinear, expected_error
    from symbolic.strategy import limit_poly
    from proofs.results._common import strategy
    # the long coefficients of scalar AND vector blocks as symbols (Strategy.abstract_blocks):
    # a spec's v_x = c theta_0 with a long c otherwise makes the engine expand it (9 s at d=3)
    b, subs = strategy(name, m_key, n_ft).abstract_blocks()
    for f in _SCALARS:  # any remaining scalar block with traces or bilinear forms, as before
        e = sp.sympify(getattr(b, f))
        if e.atoms(Bilinear, sp.Trace):
            sym = sp.Symbol(f"block_{f}")
            subs[sym] = e
            b = b.with_(**{f: sym})
    p = expected_error(b, THETA, N)
    return p, limit_poly(p), subs


@lru_cache(maxsize=64)
def _cached_formula(name: str, m_key: Any, n_ft: Any, env_key: tuple) -> tuple[sp.Expr, sp.Expr]:
    from symbolic.evaluate import evaluate
    from proofs.setting import with_definitions
    from proofs.results._common import strategy
    env = {k: (sp.Matrix(v) if isinstance(v, tuple) else v) for k, v in dict(env_key).items()}
    env = with_definitions(env, strategy(name, m_key, n_ft).definitions())
    p, lim, subs = abstract_error_polys(name, m_key, n_ft)
    for sym, e in subs.items():
        env[sym.name] = evaluate(e, env)
    return error_function(p, env), error_function(lim, env)


def _at_each_n(formula: sp.Expr, N: sp.Symbol, ns: Sequence[int]) -> list[sp.Expr]:
    """``formula`` (a rational function of n) at each n, exactly: numerator and denominator
    as polynomials in n evaluated by Horner's rule (about 1,000 times faster per n than
    substituting and cancelling; falls back to that when the coefficients are not rational)."""
    if not formula.has(N):
        return [formula for _ in ns]
    num, den = sp.fraction(sp.cancel(formula))
    try:
        pn, pd = sp.Poly(num, N, domain="QQ"), sp.Poly(den, N, domain="QQ")
    except (sp.PolynomialError, sp.CoercionFailed, sp.GeneratorsNeeded):
        try:  # coefficients polynomial in other symbols (a task at an angle): their field
            pn, pd = sp.Poly(num, N), sp.Poly(den, N)
            pn, pd = pn.unify(pd)
            field = pn.domain.get_field()
            pn, pd = pn.set_domain(field), pd.set_domain(field)
        except (sp.PolynomialError, sp.CoercionFailed, sp.GeneratorsNeeded, sp.polys.polyerrors.DomainError):
            return [sp.cancel(formula.subs(N, k)) for k in ns]
    dom = pn.domain
    cn, cd = pn.rep.to_list(), pd.rep.to_list()

    def horner(coeffs: list, x: Any) -> Any:
        acc = dom.zero
        for c in coeffs:
            acc = acc * x + c
        return acc

    out = []
    for k in ns:
        x = dom.convert(k)
        v = dom.to_sympy(horner(cn, x) / horner(cd, x))
        out.append(sp.Rational(v) if v.is_Rational else v)
    return out


def _freeze(env: dict[str, Any]) -> tuple:
    out = []
    for k, v in sorted(env.items()):
        out.append((k, tuple(tuple(r) for r in sp.Matrix(v).tolist()) if isinstance(v, sp.MatrixBase) else v))
    return tuple(out)


def curve(strategy: str, task: str, ns: Sequence[int], *, d: int, sigma2: Any, m: Any = None,
          n_ft: Any = None, scale: Any = 1.0, Sigma: Any = None, theta0: Any = None) -> CurveResult:
    """Exact n-shot error on theta_0 (``task='target'``) or -theta_0 (``'opposite'``) at each n;
    ``task`` a number phi: on theta_0 rotated by phi radians (:mod:`proofs.angles`: the
    Sigma-norm kept, in the plane of theta_0 and the first coordinate vector not parallel to
    it; ``0`` and ``sympy.pi`` give exactly the target and opposite values).

    ``m``, ``n_ft``: None (or oo) for infinity, else integers >= 0; ``scale``: strategy full's
    C; Sigma (default identity) and theta0 (default e_1) exact.  Floats are read exactly
    (``0.1`` is 1/10).
    """
    from symbolic import N
    from symbolic.validation import _exact, check_count
    from proofs.setting import derived, resolve, setting
    name = resolve(strategy)
    ns = [int(check_count(k, "n", allow_inf=False, allow_symbol=False)) for k in ns]
    C = _exact(scale, "scale")
    if C == 0:
        raise ValueError("scale: expected a nonzero number, got 0")
    env = setting(d, Sigma, theta0, sigma2 if sigma2 is not None else 0)
    s, extra = derived(name, m, n_ft)
    env.update(extra)
    env["C"] = C
    env, angle = _task_env(env, task)
    formula, lim = _cached_formula(name, s.m, s.n_ft if name == "value-fewshot" else sp.oo, _freeze(env))
    exact = _at_each_n(formula, N, ns)
    if angle:
        exact = [_at_angle(v, angle) for v in exact]
        formula, lim = formula.subs(angle), _at_angle(lim, angle)
    return CurveResult(ns, [float(v) for v in exact], float(lim), exact, lim, formula)


def _at_angle(value: sp.Expr, angle: dict) -> sp.Expr:
    """An exact value written with the angle placeholders, at the angle: a rational number
    where cos, sin and the scale are rational (phi = 0, pi...)."""
    return sp.expand(value.xreplace(angle))


@lru_cache(maxsize=1)
def _general_error_poly():
    from symbolic import THETA, N, expected_error
    return expected_error(None, THETA, N)


def exact_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int) -> sp.Expr:
    """Exact E(V, Q, n; theta) of explicit (d+2) x (d+2) matrices V, Q, from the derived
    closed form with every block symbolic: ``v = V[-1, :]``, Q's blocks read off Q."""
    from symbolic import N
    from symbolic.validation import check_count, check_matrix, check_nonnegative, check_spd, check_vector
    S = sp.Matrix(check_spd(Sigma, "Sigma"))
    d = S.shape[0]
    Vm = sp.Matrix(check_matrix(V, "V", (d + 2, d + 2)))
    Qm = sp.Matrix(check_matrix(Q, "Q", (d + 2, d + 2)))
    th = sp.Matrix(check_vector(theta, "theta", d))
    s2 = check_nonnegative(sigma2, "sigma2")
    k = int(check_count(n, "n", allow_inf=False, allow_symbol=False))
    x = slice(1, d + 1)
    env = {"Sigma": S, "theta": th, "sigma": sp.sqrt(s2),
           "v_0": Vm[d + 1, 0], "v_x": Vm[d + 1, x].T, "v_y": Vm[d + 1, d + 1],
           "Q_00": Qm[0, 0], "q_0x": Qm[0, x].T, "q_x0": Qm[x, 0], "Q_xx": Qm[x, x],
           "Q_y0": Qm[d + 1, 0], "q_yx": Qm[d + 1, x].T}
    value = error_function(_general_error_poly(), env)
    value = value.subs(N, k) if value.has(N) else value
    return value if value.is_number else sp.simplify(value)
