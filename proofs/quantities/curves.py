"""n-shot error curves of a strategy, and the error of any given parameters: exact, float or mp.

Both evaluate the derived closed form ``E(V, Q, n; theta)`` (:mod:`symbolic`, a polynomial
of traces and bilinear forms with coefficients rational in n) at an explicit setting: the
traces and bilinear forms are evaluated once, leaving one exact rational function of n,
which is then evaluated at each requested n.  Its limit n -> oo is the derived limit.

Above d = :data:`proofs.quantities.limits.MAX_EXACT_D` (or when asked, ``arithmetic="float"|"mp"``) the
same closed form is evaluated in float64 or mpmath (:mod:`symbolic.evaluation`, O(d^3)): the
traces and bilinear forms once, then every coefficient (a rational function of n) at all the
requested n at once.  ``CurveResult.arithmetic`` says which was used; ``exact`` is empty then.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

__all__ = ["CurveResult", "curve", "exact_error", "error_function", "concrete_errors"]


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
    #: ``exact``, ``float`` or ``mp``; ``precision`` the digits of mp
    arithmetic: str = "exact"
    precision: int | None = None
    #: mp only: each value and the limit as decimal strings of ``precision`` digits
    digits: list[str] = field(default_factory=list)
    limit_digits: str = ""
    #: Sigma's condition number (float and mp), and the warning it calls for (or None)
    condition: float | None = None
    warning: str | None = None


def error_function(p, env: dict[str, Any]) -> sp.Expr:
    """The engine polynomial ``p`` (symbolic n) at ``env`` (everything but n): a rational
    function of n, exact."""
    from symbolic import N
    from symbolic.evaluation import evaluate_poly
    total = evaluate_poly(p, env)
    return sp.cancel(sp.together(total)) if total.has(N) else total


def _task_env(env: dict[str, Any], task: Any) -> tuple[dict[str, Any], dict]:
    """``env`` with the evaluation task ``theta``, and the substitutions still to make: none
    for ``'target'`` / ``'opposite'``; for an angle phi (a number, radians), theta is theta_0
    rotated by phi (:mod:`proofs.quantities.angles`) written with placeholders for cos(phi), sin(phi)
    and a scale, substituted into the exact values at the end."""
    out = dict(env)
    if isinstance(task, str):
        if task not in ("target", "opposite"):
            raise ValueError(f"task: expected 'target', 'opposite' or an angle (radians), got {task!r}")
        out["theta"] = env["theta_0"] if task == "target" else -env["theta_0"]
        return out, {}
    from proofs.quantities.angles import angle_symbols, angle_values
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
    from proofs.quantities.derivations import strategy
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
    from symbolic.evaluation import evaluate
    from proofs.quantities.setting import with_definitions
    from proofs.quantities.derivations import strategy
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
          n_ft: Any = None, scale: Any = 1.0, Sigma: Any = None, theta0: Any = None,
          arithmetic: str | None = None, precision: int | None = None) -> CurveResult:
    """n-shot error on theta_0 (``task='target'``) or -theta_0 (``'opposite'``) at each n;
    ``task`` a number phi: on theta_0 rotated by phi radians (:mod:`proofs.quantities.angles`: the
    Sigma-norm kept, in the plane of theta_0 and the first coordinate vector not parallel to
    it; ``0`` and ``sympy.pi`` give exactly the target and opposite values).

    ``m``, ``n_ft``: None (or oo) for infinity, else integers >= 0; ``scale``: strategy full's
    C; Sigma (default identity) and theta0 (default e_1).  ``arithmetic``: None chooses exact
    for d <= MAX_EXACT_D and float above (:func:`proofs.quantities.arithmetic.choose`); exact reads floats
    exactly (``0.1`` is 1/10).
    """
    from symbolic import N
    from symbolic.validation import _exact, check_count
    from proofs.quantities.arithmetic import choose
    from proofs.quantities.setting import derived, resolve, setting
    name = resolve(strategy)
    ns = [int(check_count(k, "n", allow_inf=False, allow_symbol=False)) for k in ns]
    C = _exact(scale, "scale")
    if C == 0:
        raise ValueError("scale: expected a nonzero number, got 0")
    arithmetic, precision = choose(d, arithmetic, precision)
    from proofs.quantities.concrete_minimiser import needs_concrete
    if needs_concrete(name) and not _has_closed_form(name, m):
        return _concrete_curve(name, task, ns, d, sigma2, m, Sigma, theta0,
                               "float" if arithmetic == "mp" else arithmetic)
    if arithmetic != "exact":
        return _numeric_curve(name, task, ns, d, sigma2, m, n_ft, C, Sigma, theta0, arithmetic, precision)
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


def strategy_numeric_env(name: Any, m: Any, n_ft: Any, env: dict[str, Any], arithmetic: str,
                         precision: int | None):
    """The strategy's setting in float or mp (:func:`symbolic.evaluation.numeric_env`), with its
    derived matrices (``Gamma_hat_m``...) and scalar blocks evaluated once; returns it, the
    engine polynomials (symbolic n) and the limit n -> oo."""
    from symbolic.evaluation import numeric_env
    from proofs.quantities.setting import derived
    s, extra = derived(name, m, n_ft)
    env = {**env, **extra}
    ne = numeric_env(env, arithmetic, precision)
    for k, e in s.definitions().items():
        ne.values[k] = ne.matrix(e)
    p, lim, subs = abstract_error_polys(name, s.m, s.n_ft if name == "value-fewshot" else sp.oo)
    for sym, e in subs.items():
        ne.values[sym.name] = ne.scalar(e)
    return ne, p, lim


def _numeric_curve(name: Any, task: Any, ns: list[int], d: int, sigma2: Any, m: Any, n_ft: Any, C: Any,
                   Sigma: Any, theta0: Any, arithmetic: str, precision: int | None) -> CurveResult:
    import numpy as np
    from proofs.quantities.arithmetic import condition_warning, numeric_setting
    env, cond = numeric_setting(d, Sigma, theta0, sigma2 if sigma2 is not None else 0,
                                exact_inputs=arithmetic == "mp")
    env["C"] = C
    ne, p, lim = strategy_numeric_env(name, m, n_ft, env, arithmetic, precision)
    num = ne.num
    t0 = ne.values["theta_0"]
    if isinstance(task, str):
        if task not in ("target", "opposite"):
            raise ValueError(f"task: expected 'target', 'opposite' or an angle (radians), got {task!r}")
        ne.values["theta"] = t0 if task == "target" else -t0
    else:
        ne.values["theta"] = _rotated(num, task, t0, ne.values["Sigma"])
    limit = ne.poly(lim)
    if arithmetic == "float":
        values = ne.bind(n=np.array(ns, dtype=np.float64)).poly(p)
        errors = [float(v) for v in np.broadcast_to(np.asarray(values, dtype=np.float64), (len(ns),))]
        digits, limit_digits = [], ""
    else:
        vals = [ne.bind(n=num.number(k)).poly(p) for k in ns]
        errors = [float(v) for v in vals]
        digits = [num.ctx.nstr(v, precision) for v in vals]
        limit_digits = num.ctx.nstr(limit, precision)
    return CurveResult(ns, errors, float(limit), arithmetic=arithmetic, precision=precision, digits=digits,
                       limit_digits=limit_digits, condition=cond,
                       warning=condition_warning(cond, arithmetic, precision))


def _rotated(num: Any, phi: Any, t0: Any, S: Any) -> Any:
    """theta_0 rotated by ``phi`` in the Sigma-geometry (:mod:`proofs.quantities.angles`), in ``num``'s
    arithmetic: ``cos(phi) theta_0 + sin(phi) k w``, w the Sigma-orthogonal part of the first
    coordinate vector not parallel to theta_0, k giving it theta_0's Sigma-norm."""
    phi = sp.sympify(phi)
    c, s = num.number(sp.cos(phi)), num.number(sp.sin(phi))
    d = num.shape(t0)[0]
    St0 = num.matmul(S, t0)
    t0St0 = num.entry(num.matmul(num.transpose(t0), St0))
    for j in range(d):
        coef = St0[j, 0] / t0St0
        w = -(t0 * coef)
        w[j, 0] = w[j, 0] + 1
        wSw = num.entry(num.matmul(num.transpose(w), num.matmul(S, w)))
        if abs(wSw) > abs(t0St0) * 1e-24:
            k = (t0St0 / wSw) ** num.number(sp.Rational(1, 2))
            return t0 * c + w * (s * k)
    if sp.sin(phi) != 0:
        raise ValueError(f"task: an angle needs a plane through theta0, and d = 1 has none; "
                         f"expected an angle with sin(phi) = 0 (0 or pi), got {phi}")
    return t0 * c


def _at_angle(value: sp.Expr, angle: dict) -> sp.Expr:
    """An exact value written with the angle placeholders, at the angle: a rational number
    where cos, sin and the scale are rational (phi = 0, pi...)."""
    return sp.expand(value.xreplace(angle))


@lru_cache(maxsize=1)
def _general_error_poly():
    from symbolic import THETA, N, expected_error
    return expected_error(None, THETA, N)


def exact_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, *,
                arithmetic: str | None = "exact", precision: int | None = None) -> Any:
    """E(V, Q, n; theta) of explicit (d+2) x (d+2) matrices V, Q, from the derived closed form
    with every block symbolic: ``v = V[-1, :]``, Q's blocks read off Q.  Exact by default (a
    SymPy number); ``arithmetic`` None chooses by d (:func:`proofs.quantities.arithmetic.choose`), ``float``
    gives a float, ``mp`` an mpmath number of ``precision`` digits."""
    from symbolic import N
    from symbolic.validation import check_count, check_matrix, check_nonnegative, check_spd, check_vector
    d = len(Sigma.tolist() if hasattr(Sigma, "tolist") else list(Sigma))
    from proofs.quantities.arithmetic import choose
    arithmetic, precision = choose(d, arithmetic, precision)
    k = int(check_count(n, "n", allow_inf=False, allow_symbol=False))
    x = slice(1, d + 1)
    if arithmetic != "exact":
        return _numeric_error(V, Q, theta, Sigma, sigma2, k, d, arithmetic, precision)
    S = sp.Matrix(check_spd(Sigma, "Sigma"))
    d = S.shape[0]
    Vm = sp.Matrix(check_matrix(V, "V", (d + 2, d + 2)))
    Qm = sp.Matrix(check_matrix(Q, "Q", (d + 2, d + 2)))
    th = sp.Matrix(check_vector(theta, "theta", d))
    s2 = check_nonnegative(sigma2, "sigma2")
    env = {"Sigma": S, "theta": th, "sigma": sp.sqrt(s2),
           "v_0": Vm[d + 1, 0], "v_x": Vm[d + 1, x].T, "v_y": Vm[d + 1, d + 1],
           "Q_00": Qm[0, 0], "q_0x": Qm[0, x].T, "q_x0": Qm[x, 0], "Q_xx": Qm[x, x],
           "Q_y0": Qm[d + 1, 0], "q_yx": Qm[d + 1, x].T}
    value = error_function(_general_error_poly(), env)
    value = value.subs(N, k) if value.has(N) else value
    return value if value.is_number else sp.simplify(value)


def _has_closed_form(spec: Any, m: Any) -> bool:
    """Whether the general derivation gives ``spec`` a closed form at symbolic d."""
    from symbolic.quadratic import NotClosedForm
    from proofs.quantities.setting import derived
    try:
        derived(spec, m, None)
    except NotClosedForm:
        return False
    return True


def _concrete_curve(spec: Any, task: Any, ns: list[int], d: int, sigma2: Any, m: Any, Sigma: Any,
                    theta0: Any, arithmetic: str) -> CurveResult:
    """The curve of a spec without a closed form at symbolic d (Q_xx reaching its loss): its
    minimiser at this setting (:mod:`proofs.quantities.concrete_minimiser`), its errors from the closed form
    with every block symbolic."""
    from proofs.quantities.concrete_minimiser import concrete_minimiser
    if not isinstance(task, str):
        raise ValueError("task: a spec trained at a concrete setting takes 'target' or 'opposite', not an angle")
    s2 = sigma2 if sigma2 is not None else 0
    sol = concrete_minimiser(spec, d=d, Sigma=Sigma, theta0=theta0, sigma2=s2,
                             m=sp.oo if m is None else m, arithmetic=arithmetic)
    vals, lim = concrete_errors(sol, task, ns, d=d, Sigma=Sigma, theta0=theta0, sigma2=s2)
    if arithmetic == "exact":
        return CurveResult(ns, [float(v) for v in vals], float(lim), list(vals), lim, sp.nan)
    return CurveResult(ns, list(vals), float(lim), arithmetic=arithmetic)


def _block_env(V: Any, Q: Any, d: int) -> dict[str, Any]:
    import numpy as np
    x = slice(1, d + 1)
    return {"v_0": V[d + 1, 0], "v_x": V[d + 1, x].reshape(-1, 1) if isinstance(V, np.ndarray) else V[d + 1, x].T,
            "v_y": V[d + 1, d + 1], "Q_00": Q[0, 0],
            "q_0x": Q[0, x].reshape(-1, 1) if isinstance(Q, np.ndarray) else Q[0, x].T,
            "q_x0": Q[x, 0].reshape(-1, 1) if isinstance(Q, np.ndarray) else Q[x, 0],
            "Q_xx": Q[x, x], "Q_y0": Q[d + 1, 0],
            "q_yx": Q[d + 1, x].reshape(-1, 1) if isinstance(Q, np.ndarray) else Q[d + 1, x].T}


def concrete_errors(sol: Any, task: str, ns: list[int], *, d: int, Sigma: Any = None,
                    theta0: Any = None, sigma2: Any = 0) -> tuple[list[Any], Any]:
    """``E(V, Q, n; theta)`` of the solution's (V, Q) at each n and its limit n -> oo, on
    ``theta = theta_0`` (``task='target'``) or ``-theta_0`` (``'opposite'``): the closed form
    with every block symbolic (the Wick derivation) at the explicit matrices, in the solution's
    arithmetic (exact values, or floats)."""
    import numpy as np
    from symbolic import THETA, N, expected_error
    from symbolic.strategy import limit_poly
    if task not in ("target", "opposite"):
        raise ValueError(f"task: expected 'target' or 'opposite', got {task!r}")
    sign = 1 if task == "target" else -1
    p = expected_error(None, THETA, N)
    lim = limit_poly(p, N)
    if sol.arithmetic == "exact":
        from proofs.quantities.setting import setting
        env = setting(d, Sigma, theta0, sigma2)
        env.update(_block_env(sol.V, sol.Q, d))
        env["theta"] = sign * env["theta_0"]
        formula = error_function(p, env)
        return _at_each_n(formula, N, ns), error_function(lim, env)
    from symbolic.evaluation import numeric_env
    from proofs.quantities.arithmetic import numeric_setting
    env, _ = numeric_setting(d, Sigma, theta0, sigma2)
    env.update(_block_env(np.asarray(sol.V, dtype=float), np.asarray(sol.Q, dtype=float), d))
    env["theta"] = sign * env["theta_0"]
    ne = numeric_env(env, "float")
    vals = ne.bind(n=np.array(ns, dtype=np.float64)).poly(p) if ns else []
    vals = [float(v) for v in np.broadcast_to(np.asarray(vals, dtype=np.float64), (len(ns),))]
    return vals, float(ne.poly(lim))
def _numeric_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, d: int, arithmetic: str,
                   precision: int | None) -> Any:
    """:func:`exact_error` in float64 or mpmath (the inputs checked in float64 first)."""
    from symbolic.evaluation import Numeric, numeric_env
    from symbolic.validation import check_nonnegative
    from proofs.quantities.arithmetic import check_sigma, numeric_setting
    num = Numeric(arithmetic, precision)
    check_sigma(Sigma, d)
    for M, name in ((V, "V"), (Q, "Q")):
        a = _finite(M, name)
        if a.shape != (d + 2, d + 2):
            raise ValueError(f"{name}: expected shape {d + 2}x{d + 2}, got {'x'.join(map(str, a.shape))}")
    env, _ = numeric_setting(d, Sigma, theta, None, exact_inputs=True)
    Vm, Qm = num.matrix(V), num.matrix(Q)
    x = slice(1, d + 1)

    def block(M: Any, rows: slice, cols: slice) -> Any:
        if num.ctx is None:
            return M[rows, cols]
        return M[rows.start:rows.stop, cols.start:cols.stop]

    r, c0, y = slice(d + 1, d + 2), slice(0, 1), slice(d + 1, d + 2)
    s2 = check_nonnegative(sigma2, "sigma2")
    values = {"Sigma": env["Sigma"], "theta": env["theta_0"], "sigma": sp.sqrt(s2),
              "v_0": num.entry(block(Vm, r, c0)), "v_x": num.transpose(block(Vm, r, x)),
              "v_y": num.entry(block(Vm, r, y)), "Q_00": num.entry(block(Qm, c0, c0)),
              "q_0x": num.transpose(block(Qm, c0, x)), "q_x0": block(Qm, x, c0), "Q_xx": block(Qm, x, x),
              "Q_y0": num.entry(block(Qm, y, c0)), "q_yx": num.transpose(block(Qm, y, x)), "n": n}
    ne = numeric_env(values, arithmetic, precision)
    return ne.poly(_general_error_poly())


def _finite(M: Any, name: str) -> Any:
    import numpy as np
    try:
        a = np.array(M.tolist() if hasattr(M, "tolist") and not isinstance(M, np.ndarray) else M, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: expected a matrix of real numbers") from None
    if a.ndim != 2 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected a matrix of finite real numbers")
    return a
