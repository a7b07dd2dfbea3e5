r"""Monte Carlo check of every derived error formula: the backend of ``icl-finetune verify``.

For every strategy of the poster, as derived by :mod:`symbolic` (``symbolic.derive``), and
for several settings, the exact error from the derived closed form is compared with an
independent Monte Carlo estimate from :mod:`numeric`, run on the explicit V, Q built from the
derived blocks:

- strategies ``pretrain``, ``full``, ``value``, ``value-fewshot``; pretraining context
  ``m = oo`` and finite (``m = 10``); auxiliary shots ``n_ft = oo`` and finite (``n_ft = 5``);
  strategy ``full``'s free scale C;
- a non-identity Sigma (d = 3, sigma^2 = 1/4) and the poster's setting (d = 5, Sigma = I,
  theta0 = e_1, sigma^2 = 1/10);
- the zero-shot error on theta0, ``E(V*, Q*, 0; theta0)`` (``Strategy.zero_shot_error``),
  against the reference Monte Carlo (whole prompts through the poster's forward pass);
- the n-shot error at n = 1, 5, 20 on the target theta0 and the opposite task -theta0 (and,
  at the non-identity Sigma, a generic task theta1 at n = 5), from the general formula
  ``E(V*, Q*, n; theta)`` (``Strategy.error_poly(THETA, N)``, n and theta symbolic), against
  the fast estimator (:func:`numeric.estimate_error_fast`); the same zero-shot value also
  against the fast estimator, exact at n = 0 (Gaussian moments, no sampling);
- the few-shot limit n -> oo on theta0 and -theta0 (``Strategy.few_shot_limit``, the table's
  few-shot entries), against the fast estimator at ``n = inf``, which is exact (standard
  error 0; the check is then agreement to floating-point rounding, relative 1e-10).

A row passes when ``|z| <= Z_TOL = 4.5`` with ``z = (estimate - exact) / stderr`` (the sign
convention of ``docs/cli.md``).  Each row draws from its own stream, spawned from ``seed``.

Calibration: see :func:`verify` (``python bench/calibrate_xcheck.py --only verify``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import sympy as sp

__all__ = ["VerifyRow", "Formula", "formulas", "check_formula", "verify", "Z_TOL", "DEFAULT_SAMPLES",
           "explicit_parameters", "strategy_env"]

#: |z| tolerance of every row (182 rows a run, 139 of them calibrated: 4.5 keeps the run's false-alarm rate low; see verify)
Z_TOL = 4.5
#: Monte Carlo samples per formula of the calibrated default run
DEFAULT_SAMPLES = 1_000_000
#: shots of the finite-n rows
SHOTS = (1, 5, 20)

R = sp.Rational


@dataclass(frozen=True)
class VerifyRow:
    """One formula's check: ``z = (estimate - exact) / stderr``, ``passed`` iff ``|z| <= 4``
    (an exact estimate, stderr 0, passes when it agrees with ``exact`` to rounding)."""

    formula: str
    exact: float
    estimate: float
    stderr: float
    z: float
    passed: bool


@dataclass(frozen=True)
class Formula:
    """A derived formula's exact value at one explicit setting, and where to check it.

    ``V``, ``Q`` (float (d+2)x(d+2)) are the derived parameters; ``n`` is an int or
    ``math.inf``; ``method`` is ``'reference'`` or ``'fast'``.
    """

    label: str
    exact: sp.Expr
    V: np.ndarray
    Q: np.ndarray
    n: int | float
    theta: np.ndarray
    Sigma: np.ndarray
    sigma2: float
    method: str
    poly: Any = field(default=None, repr=False, compare=False)   # the engine polynomial evaluated ...
    env: Any = field(default=None, repr=False, compare=False)    # ... at this environment

    def with_exact(self, exact: Any, label: str | None = None) -> "Formula":
        """The same check against another claimed value (e.g. a deliberately wrong formula)."""
        return replace(self, label=label or self.label, exact=sp.sympify(exact))

    def dominant_term(self) -> sp.Expr:
        """The value of the formula's largest term (monomial of its engine polynomial) here."""
        from symbolic.evaluation import evaluate_poly
        from symbolic.forms import Poly
        if self.poly is None:
            return self.exact
        vals = [sp.expand(evaluate_poly(Poly({k: c}), self.env)) for k, c in self.poly.terms.items()]
        return max(vals, key=lambda v: abs(float(v)))

    def wrong(self, rel: Any = sp.Rational(1, 100)) -> sp.Expr:
        """A deliberately wrong formula's value: the largest term's coefficient times (1 + rel)."""
        return self.exact + sp.nsimplify(rel) * self.dominant_term()


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class _Setting:
    name: str
    Sigma: sp.Matrix
    theta0: sp.Matrix
    sigma2: sp.Rational
    theta1: sp.Matrix | None     # a generic task (neither theta0 nor -theta0), or None


def _settings() -> tuple[_Setting, _Setting]:
    sigma_3 = sp.Matrix([[R(3, 2), R(1, 2), 0], [R(1, 2), 1, R(-1, 4)], [0, R(-1, 4), R(1, 2)]])
    non_identity = _Setting("d=3, Sigma!=I", sigma_3, sp.Matrix([R(1, 2), -1, R(3, 4)]), R(1, 4),
                            sp.Matrix([1, 0, R(-1, 2)]))
    poster = _Setting("d=5, Sigma=I", sp.eye(5), sp.Matrix([1, 0, 0, 0, 0]), R(1, 10), None)
    return non_identity, poster


#: (strategy, m, n_ft, scale C, on the poster's setting too)
_CONFIGS = [
    ("pretrain", sp.oo, sp.oo, 1, True),
    ("pretrain", 10, sp.oo, 1, False),
    ("full", sp.oo, sp.oo, R(3, 2), False),
    ("full", sp.oo, sp.oo, 1, True),
    ("value", sp.oo, sp.oo, 1, True),
    ("value", 10, sp.oo, 1, False),
    ("value-fewshot", sp.oo, sp.oo, 1, True),
    ("value-fewshot", sp.oo, 5, 1, False),
    ("value-fewshot", 10, 5, 1, False),
]


def strategy_env(Sigma: sp.Matrix, theta0: sp.Matrix, sigma2: Any, C: Any = 1) -> dict[str, Any]:
    """The environment of a derived strategy's symbols: Sigma, theta_0, sigma (= sqrt(sigma2)), C, d."""
    return {"Sigma": sp.Matrix(Sigma), "theta_0": sp.Matrix(theta0), "sigma": sp.sqrt(sp.sympify(sigma2)),
            "C": sp.sympify(C), "d": sp.Integer(sp.Matrix(Sigma).shape[0])}


def _with_definitions(env: dict[str, Any], strategy: Any) -> dict[str, Any]:
    """``env`` plus the explicit value of every derived matrix the strategy refers to (e.g.
    ``Gamma_hat_m``), computed once (evaluation would otherwise redo each inverse per use)."""
    from symbolic.evaluation import evaluate_matrix
    out = dict(env)
    for name, expr in strategy.definitions().items():
        out[name] = sp.Matrix(evaluate_matrix(expr, out))
    return out


def _number(e: Any, env: dict[str, Any]) -> sp.Expr:
    """The exact value of a scalar expression or engine polynomial at ``env``."""
    from symbolic.evaluation import evaluate
    from symbolic.forms import Poly
    v = sp.expand(evaluate(e if isinstance(e, Poly) else sp.sympify(e), env))
    if not v.is_number:
        raise ValueError(f"expected a number after evaluation, got {v}")
    return v


def _vector(e: Any, env: dict[str, Any], d: int) -> sp.Matrix:
    from symbolic.evaluation import evaluate
    if getattr(e, "is_ZeroMatrix", False):
        return sp.zeros(d, 1)
    return sp.Matrix(evaluate(e, env)).applyfunc(sp.expand)


def explicit_parameters(strategy: Any, env: dict[str, Any]) -> tuple[sp.Matrix, sp.Matrix]:
    """Explicit (d+2)x(d+2) V, Q (exact) from a derived strategy's blocks at ``env``; the entries
    that never reach the output (V's first d+1 rows, Q's last column) are 0."""
    from symbolic.evaluation import evaluate
    from symbolic.strategy import matexpr_to_sympy, vecexpr_to_sympy
    b = strategy.blocks
    d = env["Sigma"].shape[0]
    x = slice(1, d + 1)
    V, Q = sp.zeros(d + 2, d + 2), sp.zeros(d + 2, d + 2)
    V[d + 1, 0] = _number(b.v0, env)
    V[d + 1, x] = _vector(vecexpr_to_sympy(b.vx), env, d).T
    V[d + 1, d + 1] = _number(b.vy, env)
    Q[0, 0] = _number(b.Q00, env)
    Q[0, x] = _vector(vecexpr_to_sympy(b.q0x), env, d).T
    Q[x, 0] = _vector(vecexpr_to_sympy(b.qx0), env, d)
    Qxx = matexpr_to_sympy(b.Qxx)
    if not getattr(Qxx, "is_ZeroMatrix", False):
        Q[x, x] = sp.Matrix(evaluate(Qxx, env)).applyfunc(sp.expand)
    Q[d + 1, 0] = _number(b.Qy0, env)
    Q[d + 1, x] = _vector(vecexpr_to_sympy(b.qyx), env, d).T
    return V, Q


def _f(M: sp.Matrix) -> np.ndarray:
    return np.array(M.evalf(30).tolist(), dtype=float)


def _few_shot_limit(strategy: Any, general: Any) -> Any:
    """``lim_{n -> oo} E(V*, Q*, n; theta)`` as the engine polynomial ``Strategy.few_shot_limit``
    prints (its ``limit_poly``; the printing's tidy-up, seconds for the finite-m, finite-n_ft
    strategy, is skipped: it does not change the value)."""
    try:
        from symbolic.strategy import limit_poly
    except ImportError:                                    # older symbolic: the SymPy expression
        from symbolic import THETA
        return strategy.few_shot_limit(THETA)
    return limit_poly(general)


def _general_error(strategy: Any) -> tuple[Any, dict]:
    """``Strategy.error_poly(THETA, N)``, the derived E(V*, Q*, n; theta) with n and theta
    symbolic, computed with every long coefficient of the blocks (v_y of value-fewshot at
    finite n_ft, the scalar in front of theta_0 in a spec's v_x, ...) held as a symbol
    (``Strategy.abstract_blocks``): the same polynomial once the symbols take their values
    (returned as symbol -> formula), at a fraction of the cost."""
    from symbolic import N, THETA, expected_error
    b, subs = strategy.abstract_blocks()
    if not subs:
        return strategy.error_poly(THETA, N), {}
    return expected_error(b, THETA, N), subs


def _tag(name: Any, m: Any, n_ft: Any, C: Any) -> str:
    from symbolic.spec import Spec
    if isinstance(name, Spec):
        loss = " + ".join(map(str, name.loss)) + ("; then " + " + ".join(map(str, name.then)) if name.then else "")
        return f"{name.name} [{loss}]"
    parts = [] if name == "full" else [f"m={m}"]
    if name == "value-fewshot":
        parts.append(f"n_ft={n_ft}")
    if name == "full":
        parts.append(f"C={C}")
    return f"{name} ({', '.join(parts)})"


def _config_formulas(name: str, m: Any, n_ft: Any, C: Any, s: _Setting) -> list[Formula]:
    import symbolic
    from symbolic import N, THETA, THETA0
    from symbolic.evaluation import evaluate_poly

    from symbolic.spec import Spec
    if isinstance(name, Spec):
        from symbolic.general import derive_spec
        strategy = derive_spec(name, m)
    else:
        strategy = symbolic.derive(name, m=m, n_ft=n_ft)
    env = _with_definitions(strategy_env(s.Sigma, s.theta0, s.sigma2, C), strategy)
    V, Q = explicit_parameters(strategy, env)
    Vf, Qf, Sf = _f(V), _f(Q), _f(s.Sigma)
    s2 = float(s.sigma2)
    tag = f"{_tag(name, m, n_ft, C)} [{s.name}]"
    tasks = [("theta0", s.theta0), ("-theta0", -s.theta0)]

    general, scalars = _general_error(strategy)      # E(V*, Q*, n; theta), n and theta symbolic
    for sym, e in scalars.items():                   # derived scalar blocks (e.g. v_y at finite n_ft)
        env[sym.name] = _number(e, env)

    def formula(label: str, exact: sp.Expr, n: int | float, theta: sp.Matrix, method: str, poly: Any,
                at: dict) -> Formula:
        return Formula(f"{tag}: {label}", exact, Vf, Qf, n, _f(theta).ravel(), Sf, s2, method, poly, at)

    zero_env = dict(env, theta=s.theta0, n=sp.Integer(0))
    e0, _ = strategy.error_in_blocks(THETA0, 0)   # long coefficients as the symbols set in env above
    zero_shot = _number(e0, env)
    out = [formula("E(0; theta0), zero-shot", zero_shot, 0, s.theta0, "reference", general, zero_env),
           formula("E(0; theta0), zero-shot, exact moments", zero_shot, 0, s.theta0, "fast", general, zero_env)]
    shots = [(n, t) for n in SHOTS for t in tasks]
    if s.theta1 is not None:
        shots.append((5, ("theta1", s.theta1)))
    for n, (task, theta) in shots:
        at = dict(env, theta=theta, n=sp.Integer(n))
        out.append(formula(f"E({n}; {task})", sp.expand(evaluate_poly(general, at)), n, theta, "fast",
                           general, at))
    limit = _few_shot_limit(strategy, general)
    for task, theta in tasks:
        at = dict(env, theta=theta)
        out.append(formula(f"lim n->oo E(n; {task})", _number(limit, at), math.inf, theta, "fast",
                           limit if not isinstance(limit, sp.Basic) else None, at))
    return out


def _beyond_configs() -> list:
    """The results beyond the paper, as specs at numbers: the mixed loss at lambda = 1 (n_ft = 5),
    Q-only few-shot fine-tuning (n_ft = 5), the task family at tau = 1/2."""
    from proofs.paper.results._beyond import family_spec, query_key_fewshot_spec, tradeoff_spec
    return [(tradeoff_spec(5, 1), sp.oo, sp.oo, 1, True), (query_key_fewshot_spec(5), sp.oo, sp.oo, 1, False),
            (family_spec(R(1, 2)), sp.oo, sp.oo, 1, False)]


@lru_cache(maxsize=1)
def _all_formulas() -> tuple[Formula, ...]:
    non_identity, poster = _settings()
    out: list[Formula] = []
    for name, m, n_ft, C, on_poster in _CONFIGS + _beyond_configs():
        out += _config_formulas(name, m, n_ft, C, non_identity)
        if on_poster:
            out += _config_formulas(name, m, n_ft, C, poster)
    return tuple(out)


def formulas() -> list[Formula]:
    """Every derived formula checked by :func:`verify`, with its exact value and setting (cached)."""
    return list(_all_formulas())


# ----------------------------------------------------------------------------- checks


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_formula(formula: Formula, samples: int, seed: int | np.random.Generator) -> VerifyRow:
    """One row: the formula's exact value against a Monte Carlo estimate (``samples`` draws)."""
    from numeric.testing import check_against_monte_carlo

    exact = float(formula.exact)
    chk = check_against_monte_carlo(exact, V=formula.V, Q=formula.Q, n=formula.n, theta=formula.theta,
                                    Sigma=formula.Sigma, sigma2=formula.sigma2, samples=samples, seed=seed,
                                    z=Z_TOL, method=formula.method)
    z = -chk.z if chk.z == chk.z else chk.z          # numeric's z is (value - estimate)/stderr
    z = 0.0 if z == 0 else z
    return VerifyRow(formula=formula.label, exact=exact, estimate=chk.estimate, stderr=chk.stderr,
                     z=float(z), passed=bool(chk.passed))


def verify(samples: int = DEFAULT_SAMPLES, seed: int = 0,
           formulas_: Sequence[Formula] | None = None) -> list[VerifyRow]:
    """Check every derived error formula of every strategy against Monte Carlo (see the module
    docstring for the list: 139 rows for the paper's strategies, and 43 for the specs of the
    results beyond the paper, 182 in all).  Reproducible from ``seed``; row ``i`` draws from the
    ``i``-th stream spawned from it.  ``formulas_`` replaces the list (e.g. a deliberately wrong
    formula, to see it flagged).

    Calibration (``python bench/calibrate_xcheck.py --only verify --samples S --seeds 200``,
    seeds 0..199; the wrong formula of a row is its engine polynomial with the coefficient of
    its largest term times 1.01, i.e. off by 1% in one coefficient):

    - ``samples = 1_000_000`` (the default; Monte Carlo ~9 s a run, plus ~2 s to build the
      formulas, on one core): with |z| <= 4.5, false alarms 0 in 27,800 row checks and 0 in
      200 runs (the largest |z| against the right formulas was 4.07); 130 of the 139 rows
      have power >= 0.9 against the wrong formula.  All 39 exact rows (zero-shot by Gaussian
      moments, n -> oo) catch it always; the weakest rows are the n = 1 ones, whose variance
      is largest (power 0.33 to 0.93 at |z| <= 4).  With |z| <= 4 instead: 2 false alarms in
      27,800 (2 of 200 runs would fail), 132/139 rows with power >= 0.9.
    - ``samples = 100_000``: 0 false alarms in 27,800 at |z| <= 4.5 (largest |z| 4.47: too
      close to the tolerance to recommend), 84/139 rows with power >= 0.9.

    The 43 rows beyond the paper (tradeoff-value at lambda = 1, n_ft = 5; Q-only few-shot at
    n_ft = 5; the task family at tau = 1/2) came after that calibration; at 200,000 samples
    seed 0 all 182 rows pass.  For a Gaussian z, |z| > 4.5 has probability 7e-6 a row, so they
    add about 3e-4 to a run's false-alarm rate.
    """
    samples = _check_int(samples, "samples", 2)
    seed = _check_int(seed, "seed", 0)
    todo = formulas() if formulas_ is None else list(formulas_)
    streams = np.random.SeedSequence(seed).spawn(len(todo))
    return [check_formula(f, samples, np.random.Generator(np.random.PCG64(ss))) for f, ss in zip(todo, streams)]
