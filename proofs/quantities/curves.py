"""n-shot error curves of a strategy, and the error of any given parameters: exact, float or mp.

Both evaluate the derived closed form ``E(V, Q, n; theta)`` (:mod:`symbolic`, a polynomial
of traces and bilinear forms with coefficients rational in n) at an explicit setting: the
traces and bilinear forms are evaluated once, leaving one exact rational function of n,
which is then evaluated at each requested n.  Its limit n -> oo is the derived limit.

Above d = :data:`proofs.quantities.limits.MAX_EXACT_D` (or when asked, ``arithmetic="float"|"mp"``) the
same closed form is evaluated in float64 or mpmath (:mod:`symbolic.evaluation`, O(d^3)): the
traces and bilinear forms once, then every coefficient (a rational function of n) at all the
requested n at once.  ``CurveResult.arith`` says which was used; ``exact`` is empty then.

:func:`closed_form_curve` is a closed form's curve; :func:`explicit_error` and
:func:`explicit_errors` the errors of explicit parameters (the concrete minimiser's, the numeric
optimum's, any given V and Q), read through the one block layout (:mod:`symbolic.layout`).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

from proofs.quantities.curve_result import CurveResult, noise_scale

__all__ = ["CurveResult", "closed_form_curve", "explicit_error", "explicit_errors", "error_function"]


def error_function(p, env: dict[str, Any]) -> sp.Expr:
    """The engine polynomial ``p`` (symbolic n) at ``env`` (everything but n): a rational
    function of n, exact, in ``sympy.cancel``'s normal form (a number where it is one).  At a
    rational setting it is computed in polynomial rings (:mod:`symbolic.rational_evaluation`:
    the same rational function, so the same normal form); otherwise by evaluating ``p`` and
    cancelling."""
    from symbolic import N
    from symbolic.evaluation import evaluate_poly
    from symbolic.ratfun import cancelled
    from symbolic.rational_evaluation import rational_value, value_expression
    fast = rational_value(p, env, N)
    if fast is not None:
        return value_expression(*fast)
    total = evaluate_poly(p, env)
    return cancelled(total) if total.has(N) else total   # = sympy.cancel(together(total))


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
    from symbolic.ratfun import cancelled
    num, den = sp.fraction(cancelled(formula))
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


def closed_form_curve(question: Any, s: Any, extra: dict[str, Any], setting: Any, task: Any,
                      ns: Sequence[int]) -> CurveResult:
    """The n-shot error of the derived strategy ``s`` of ``question`` (a strategy's name or a
    spec: the derivation cache's key) at the setting, at each n of ``ns``, on
    theta_0 (``task='target'``), -theta_0 (``'opposite'``) or theta_0 rotated by an angle phi
    (a number, radians: :mod:`proofs.quantities.angles`), and its limit n -> oo. Exact: the
    closed form evaluated once to a rational function of n, then at each n (Horner); float and
    mp: every coefficient at all the n at once (:mod:`symbolic.evaluation`)."""
    from symbolic import N
    if not setting.arith.exact:
        return _numeric_curve(question, s, extra, setting, task, list(ns))
    env = setting.env(sigma=False)
    env["sigma"] = sp.sqrt(setting.sigma2 if setting.sigma2 is not None else 0)
    env.update(extra)
    env["C"] = setting.scale
    env, angle = _task_env(env, task)
    formula, lim = _cached_formula(question, s.m, s.n_ft if s.name == "value-fewshot" else sp.oo, _freeze(env))
    exact = _at_each_n(formula, N, ns)
    if angle:
        exact = [_at_angle(v, angle) for v in exact]
        formula, lim = formula.subs(angle), _at_angle(lim, angle)
    return CurveResult(list(ns), [float(v) for v in exact], float(lim), exact, lim, formula, arith=setting.arith)


def _freeze(env: dict[str, Any]) -> tuple:
    out = []
    for k, v in sorted(env.items()):
        out.append((k, tuple(tuple(r) for r in sp.Matrix(v).tolist()) if isinstance(v, sp.MatrixBase) else v))
    return tuple(out)


def prepare_numeric(ne: Any, question: Any, s: Any) -> tuple[Any, Any]:
    """Bind in the numeric environment ``ne`` the strategy's derived matrices (``Gamma_hat_m``...)
    and long scalar blocks, each evaluated once; return the engine polynomial of the error
    (symbolic n) and its limit n -> oo. The evaluation of a curve and the code generator
    (:mod:`symbolic.codegen`, which runs these same steps on placeholders) share it."""
    for k, e in s.definitions().items():
        ne.values[k] = ne.matrix(e)
    p, lim, subs = abstract_error_polys(question, s.m, s.n_ft if s.name == "value-fewshot" else sp.oo)
    for sym, e in subs.items():
        ne.values[sym.name] = ne.scalar(e)
    return p, lim


def strategy_numeric_env(question: Any, s: Any, extra: dict[str, Any], setting: Any):
    """The setting in its float or mp arithmetic (:func:`symbolic.evaluation.numeric_env`), with
    the strategy's derived matrices (``Gamma_hat_m``...) and long scalar blocks evaluated once;
    returns it, the engine polynomial (symbolic n) and its limit n -> oo."""
    from symbolic.evaluation import numeric_env
    env = setting.env(sigma=False)
    env["sigma"] = noise_scale(setting.arith, setting.sigma2)
    env["C"] = setting.scale
    ne = numeric_env({**env, **extra}, setting.arith)
    p, lim = prepare_numeric(ne, question, s)
    return ne, p, lim


def _numeric_curve(question: Any, s: Any, extra: dict[str, Any], setting: Any, task: Any,
                   ns: list[int]) -> CurveResult:
    ne, p, lim = strategy_numeric_env(question, s, extra, setting)
    num = ne.num
    t0 = ne.values["theta_0"]
    if isinstance(task, str):
        if task not in ("target", "opposite"):
            raise ValueError(f"task: expected 'target', 'opposite' or an angle (radians), got {task!r}")
        theta = t0 if task == "target" else -t0
    else:
        theta = _rotated(num, task, t0, ne.values["Sigma"])
    # the same three steps as the generated evaluators (proofs.quantities.compiled_curves)
    ne.values["theta"] = theta
    with _quiet():
        limit = ne.poly(lim)
        vals = ne.poly_at(p, "n", ns)
    num.finite(vals, "the error")
    num.finite(limit, "the error's limit")
    return CurveResult(ns, [float(v) for v in vals], float(limit), arith=num, values=list(vals), limit_value=limit,
                       condition=setting.condition, warning=setting.warning)


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


@lru_cache(maxsize=1)
def _general_raw_poly():
    """:func:`_general_error_poly` with its coefficients as the engine builds them (unreduced:
    equal rational functions, without the reduction that is most of its cost), for the ring
    route of :func:`_general_formula`."""
    from symbolic import THETA, N, expected_error
    return expected_error(None, THETA, N, normalise=False)


def _general_formula(env: dict[str, Any]) -> tuple[sp.Expr, Any]:
    """``error_function(_general_error_poly(), env)`` and, where the ring route applies (a
    rational setting, :func:`symbolic.rational_evaluation.rational_value`), the value's numerator
    and denominator in QQ[n] (else None): read off the unreduced polynomial, the same rational
    function of n, so the same normal form."""
    from symbolic import N
    from symbolic.rational_evaluation import rational_value, value_expression
    fast = rational_value(_general_raw_poly(), env, N)
    if fast is not None:
        return value_expression(*fast), fast
    return error_function(_general_error_poly(), env), None


def _ratio_at_each_n(fast: tuple, ns: Sequence[int]) -> list[sp.Expr] | None:
    """``num(n)/den(n)`` at each n for a value in QQ[n] (:func:`_general_formula`), exactly: the
    number :func:`_at_each_n` reads off the same rational function in lowest terms (its normal
    form); None where a denominator vanishes at some n (a point of the unreduced fraction that
    the reduced one may not have: the caller goes the expression route)."""
    from sympy.polys.domains import QQ
    num, den = fast
    out = []
    for k in ns:
        bottom = den(k)
        if not bottom:
            return None
        out.append(QQ.to_sympy(num(k) / bottom))
    return out


def _limit_of(fast: tuple) -> sp.Expr:
    """``lim_{n -> oo} num/den`` of a value in QQ[n] (:func:`_general_formula`): the ratio of the
    leading coefficients (0 where the denominator's degree is larger).  Every coefficient of
    E(V, Q, n; theta) converges as n -> oo with the denominator (n+1)^2 or n+1 (leading
    coefficient 1) at any setting, so this is the derived limit's value at the setting,
    ``error_function(_general_limit_poly(), env)``, without deriving that limit."""
    from sympy.polys.domains import QQ
    num, den = fast
    if not num:
        return sp.S.Zero
    if num.degree() > den.degree():
        raise ValueError("the error diverges as n -> oo")   # (not for E(V, Q, n; theta): a bug)
    if num.degree() < den.degree():
        return sp.S.Zero
    return QQ.to_sympy(num.LC / den.LC)


@lru_cache(maxsize=1)
def _general_limit_poly():
    """``lim_{n -> oo}`` of :func:`_general_error_poly`, coefficient by coefficient (derived once per
    process: every explicit V, Q evaluates the same polynomial)."""
    from symbolic import N
    from symbolic.strategy import limit_poly
    return limit_poly(_general_error_poly(), N)


def _explicit_env(V: Any, Q: Any, setting: Any) -> dict[str, Any]:
    """The environment of the closed form with every block symbolic at explicit (d+2) x (d+2)
    matrices V, Q (checked: finite, real, that shape) in the setting's arithmetic."""
    from symbolic.layout import cut, symbol_env
    arith, d = setting.arith, setting.d
    mats = []
    for M, name in ((V, "V"), (Q, "Q")):
        if M is None:
            raise TypeError(f"{name}: expected a (d+2)x(d+2) matrix (a list of rows, a NumPy array or a SymPy "
                            "matrix), got None")
        a = _finite(M, name)
        if a.shape != (d + 2, d + 2):
            raise ValueError(f"{name}: expected shape {d + 2}x{d + 2}, got {'x'.join(map(str, a.shape))}")
        mats.append(arith.matrix(M if arith.exact or not isinstance(M, type(a)) else a))
    env = setting.env(sigma=False)
    env["sigma"] = sp.sqrt(setting.sigma2 if setting.sigma2 is not None else 0)
    env.update(symbol_env(cut(*mats, d, arith)))
    return env


def explicit_error(V: Any, Q: Any, theta: Any, setting: Any, n: int) -> Any:
    """E(V, Q, n; theta) of explicit (d+2) x (d+2) matrices V, Q at the setting (its Sigma and
    sigma^2), from the derived closed form with every block symbolic (the blocks cut from V and
    Q by :func:`symbolic.layout.cut`): a SymPy number in exact arithmetic, a float in float64,
    an mpmath number in mp."""
    from symbolic import N
    env = _explicit_env(V, Q, setting)
    env["theta"] = setting.arith.vector(theta, "theta", setting.d)
    if setting.arith.exact:
        value, _ = _general_formula(env)
        value = value.subs(N, n) if value.has(N) else value
        return value if value.is_number else sp.simplify(value)
    from symbolic.evaluation import numeric_env
    with _quiet():
        value = numeric_env({**env, "n": n}, setting.arith).poly(_general_error_poly())
    return setting.arith.finite(value, "the error")


def explicit_errors(V: Any, Q: Any, setting: Any, task: str, ns: Sequence[int]) -> tuple[list[Any], Any]:
    """``E(V, Q, n; theta)`` of explicit V, Q at each n and its limit n -> oo, on ``theta =
    theta_0`` (``task='target'``) or ``-theta_0`` (``'opposite'``), in the setting's arithmetic
    (:func:`explicit_task_errors` for that one task)."""
    return explicit_task_errors(V, Q, setting, [task], ns)[task]


def _quiet():
    """numpy's overflow warnings silenced: an overflow is reported once, by the arithmetic's
    :meth:`~symbolic.arithmetic.Arithmetic.finite`."""
    import numpy as np
    return np.errstate(over="ignore", invalid="ignore")


def _finite(M: Any, name: str) -> Any:
    import numpy as np
    if isinstance(M, np.ndarray) and np.iscomplexobj(M):
        raise ValueError(f"{name}: expected a matrix of real numbers, got complex entries")
    try:
        a = np.array(M.tolist() if hasattr(M, "tolist") and not isinstance(M, np.ndarray) else M, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: expected a matrix of real numbers") from None
    if a.ndim != 2 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected a matrix of finite real numbers")
    return a



def explicit_task_errors(V: Any, Q: Any, setting: Any, tasks: Sequence[str], ns: Sequence[int]
                         ) -> dict[str, tuple[list[Any], Any]]:
    """``{task: (E(V, Q, n; task) at each n of ns, its limit n -> oo)}`` for ``tasks`` among
    'target' (theta_0) and 'opposite' (-theta_0), the environment built once, in the setting's
    arithmetic.  Exact, at a rational setting: each task's value is the closed form's rational
    function of n in QQ[n] (:func:`symbolic.rational_evaluation.rational_values`, the tasks together:
    what their theta does not touch computed once), each n read off
    its numerator and denominator and the limit off their leading coefficients (:func:`_limit_of`),
    without the expression of the rational function; elsewhere (an irrational setting, or a
    denominator of the unreduced fraction vanishing at a requested n) the closed form's expression
    at each n and the derived limit.  Float64 and mp: the closed form evaluated numerically."""
    from symbolic import N
    tasks = list(tasks)
    for t in tasks:
        if t not in ("target", "opposite"):
            raise ValueError(f"task: expected 'target' or 'opposite', got {t!r}")
    ns = _shots(ns)
    env = _explicit_env(V, Q, setting)
    out = {}
    thetas = [env["theta_0"] if t == "target" else -env["theta_0"] for t in tasks]
    if setting.arith.exact:   # every task's value in QQ[n], the work its theta does not touch done once
        from symbolic.rational_evaluation import rational_values
        fasts = rational_values(_general_raw_poly(), [dict(env, theta=theta) for theta in thetas], N)
    for i, t in enumerate(tasks):
        env["theta"] = thetas[i]
        if setting.arith.exact:
            fast = fasts[i]
            values = _ratio_at_each_n(fast, ns) if fast is not None else None
            if values is not None:   # the ring route: num/den at each n, no expression built
                out[t] = (values, _limit_of(fast))
                continue
            formula, fast = _general_formula(env)
            limit = _limit_of(fast) if fast is not None else error_function(_general_limit_poly(), env)
            out[t] = (_at_each_n(formula, N, ns), limit)
            continue
        from symbolic.evaluation import numeric_env
        ne = numeric_env(env, setting.arith)
        with _quiet():
            vals, limit = ne.poly_at(_general_error_poly(), "n", ns), ne.poly(_general_limit_poly())
        out[t] = (setting.arith.finite(vals, "the error"), setting.arith.finite(limit, "the error's limit"))
    return out


def _shots(ns: Sequence[Any]) -> list[int]:
    """``ns`` as a list of integers >= 0 (numbers of shots); a ValueError naming ``ns`` otherwise."""
    import operator
    out = []
    for k in ns:
        try:
            if isinstance(k, bool):
                raise TypeError
            k = operator.index(k)
        except TypeError:
            raise ValueError(f"ns: expected integers >= 0 (numbers of shots), got {k!r}") from None
        if k < 0:
            raise ValueError(f"ns: expected integers >= 0 (numbers of shots), got {k}")
        out.append(k)
    return out
