"""Shared helpers for the cross-checks between the toolkit's three engines (not a test module).

DESIGN.md, "Three independent sources of truth": the symbolic-dimension closed form
(``symbolic.expected_error`` / ``symbolic.pretraining_error``, every block symbolic), the
concrete-dimension engine (``symbolic.concrete``) and Monte Carlo (``numeric``).  This module
joins them:

- :func:`params_env` maps explicit (d+2)x(d+2) matrices V, Q onto the closed form's block
  symbols (token layout (1, x, y); see :mod:`symbolic.model`)::

      v = V[-1, :] = (v_0, v_x, v_y)
      Q_00 = Q[0, 0],  q_0x = Q[0, x]^T,  q_x0 = Q[x, 0],  Q_xx = Q[x, x],
      Q_y0 = Q[y, 0],  q_yx = Q[y, x]^T

  plus ``Sigma``, ``theta``, ``sigma`` (the noise STANDARD DEVIATION, sqrt(sigma2)) and the
  context length ``n`` (``m`` for the pretraining objective);
- :func:`closed_form_error` / :func:`closed_form_pretraining` evaluate the symbolic-n closed
  form at such a setting, exactly;
- :func:`strategy_params` builds explicit V, Q from a derived strategy's blocks;
- :func:`perturbed` makes a deliberately wrong formula (one coefficient changed) for power
  tests;
- hypothesis strategies for EXACT settings (:func:`exact_settings`): small d and n, rational
  V, Q, theta, sigma2 >= 0 and rational symmetric positive definite Sigma = A A^T + c I.

Import from a test as ``from xcheck import ...`` (pytest puts ``tests/`` on ``sys.path``).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import symbolic
from symbolic.evaluation import evaluate, evaluate_poly
from symbolic.forms import Poly
from symbolic.strategy import matexpr_to_sympy, vecexpr_to_sympy

__all__ = [
    "error_poly", "pretraining_poly", "params_env", "closed_form_error", "closed_form_pretraining",
    "to_rational", "rational_matrix", "rational_vector", "random_setting", "as_float_setting", "strategy_env",
    "strategy_params", "perturbed", "dominant_term", "term_values",
    "ExactSetting", "rationals", "rational_matrices", "spd_matrices", "exact_settings",
    "MC_CASES", "MCCase", "mc_case", "mc_cases", "MC_Z", "MC_REF_SAMPLES", "MC_FAST_SAMPLES", "MC_SEED",
]


# --------------------------------------------------------------------------- the closed form


@lru_cache(maxsize=None)
def error_poly() -> Poly:
    """``E(V, Q, n; theta)``: every block symbolic, n a symbol (the general closed form)."""
    return symbolic.expected_error(None, symbolic.THETA, symbolic.N)


@lru_cache(maxsize=None)
def pretraining_poly() -> Poly:
    """``E_{theta ~ N(0, I_d)} E(V, Q, m; theta)``: every block symbolic, m a symbol."""
    return symbolic.pretraining_error(None, symbolic.M)


def _q(x: Any) -> sp.Expr:
    """An exact SymPy number (floats are converted exactly, as binary fractions)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, (int, np.integer)):
        return sp.Integer(int(x))
    if isinstance(x, (float, np.floating)):
        return sp.Rational(Fraction(float(x)))
    raise TypeError(f"expected an exact number, got {type(x).__name__} {x!r}")


def _mat(a: Any) -> sp.Matrix:
    if isinstance(a, sp.MatrixBase):
        return sp.Matrix(a)
    arr = np.asarray(a, dtype=object)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    return sp.Matrix(arr.shape[0], arr.shape[1], lambda i, j: _q(arr[i, j]))


def params_env(V: Any, Q: Any, *, Sigma: Any, sigma2: Any, theta: Any = None, n: Any = None,
               m: Any = None) -> dict[str, object]:
    """The closed form's environment (keys are symbol names) for explicit V, Q and a setting.

    ``sigma`` is sqrt(sigma2): the closed form is written in the noise standard deviation.
    """
    V, Q, S = _mat(V), _mat(Q), _mat(Sigma)
    d = S.shape[0]
    if V.shape != (d + 2, d + 2) or Q.shape != (d + 2, d + 2):
        raise ValueError(f"V, Q: expected {d + 2}x{d + 2} matrices, got {V.shape} and {Q.shape}")
    x = slice(1, d + 1)
    env: dict[str, object] = {
        "Sigma": S,
        "v_0": V[-1, 0], "v_x": V[-1, x].T, "v_y": V[-1, d + 1],
        "Q_00": Q[0, 0], "q_0x": Q[0, x].T, "q_x0": Q[x, 0], "Q_xx": Q[x, x],
        "Q_y0": Q[d + 1, 0], "q_yx": Q[d + 1, x].T,
        "sigma": sp.sqrt(_q(sigma2)),
    }
    if theta is not None:
        env["theta"] = _mat(theta)
    if n is not None:
        env["n"] = sp.Integer(int(n))
    if m is not None:
        env["m"] = sp.Integer(int(m))
    return env


def closed_form_error(V: Any, Q: Any, *, n: int, theta: Any, Sigma: Any, sigma2: Any,
                      poly: Poly | None = None) -> sp.Expr:
    """The symbolic-n closed form ``E(V, Q, n; theta)`` (or ``poly``) at an explicit setting, exactly."""
    env = params_env(V, Q, Sigma=Sigma, sigma2=sigma2, theta=theta, n=n)
    return _exact(evaluate_poly(error_poly() if poly is None else poly, env))


def closed_form_pretraining(V: Any, Q: Any, *, n: int, Sigma: Any, sigma2: Any) -> sp.Expr:
    """The symbolic-m pretraining objective at context length ``n``, exactly."""
    env = params_env(V, Q, Sigma=Sigma, sigma2=sigma2, m=n)
    return _exact(evaluate_poly(pretraining_poly(), env))


def _exact(value: sp.Expr) -> sp.Expr:
    """Expand (sqrt(sigma2)**2 products) so that a rational value is a Rational."""
    value = sp.sympify(value)
    return value if value.is_Rational else sp.expand(value)


# --------------------------------------------------------------------------- term-level access


def term_values(poly: Poly, env: dict[str, object]) -> dict:
    """Each monomial of ``poly`` -> its value in ``env``."""
    return {k: evaluate_poly(Poly({k: c}), env) for k, c in poly.terms.items()}


def dominant_term(poly: Poly, env: dict[str, object]):
    """The monomial of ``poly`` with the largest absolute value in ``env``."""
    vals = term_values(poly, env)
    return max(vals, key=lambda k: abs(float(vals[k])))


def perturbed(poly: Poly, key, factor: Any = sp.Rational(101, 100)) -> Poly:
    """``poly`` with the coefficient of one monomial multiplied by ``factor`` (a wrong formula)."""
    if key not in poly.terms:
        raise KeyError(key)
    terms = dict(poly.terms)
    terms[key] = terms[key] * sp.sympify(factor)
    return Poly(terms)


# --------------------------------------------------------------------------- numbers


def to_rational(x: float, den: int = 64) -> sp.Rational:
    """``x`` rounded to a multiple of 1/den, as a Rational."""
    return sp.Rational(int(round(float(x) * den)), den)


def rational_matrix(a: Any, den: int = 64) -> sp.Matrix:
    a = np.atleast_2d(np.asarray(a, dtype=float))
    return sp.Matrix(a.shape[0], a.shape[1], lambda i, j: to_rational(a[i, j], den))


def rational_vector(a: Any, den: int = 64) -> sp.Matrix:
    a = np.asarray(a, dtype=float).ravel()
    return sp.Matrix(len(a), 1, lambda i, j: to_rational(a[i], den))


def random_setting(seed: int, d: int, n: int, *, sigma2: Any = sp.Rational(1, 4),
                   identity_sigma: bool = False, scale: float = 0.5, den: int = 64) -> dict[str, Any]:
    """A random rational setting (V, Q, theta, Sigma, sigma2, n) from a fixed seed.

    Sigma = A A^T / d + I/2 rounded to 1/den (symmetric positive definite), unless
    ``identity_sigma``; V, Q entries N(0, scale^2), theta N(0, I/d) rounded to 1/den.
    """
    r = np.random.default_rng(seed)
    if identity_sigma:
        S = sp.eye(d)
    else:
        A = r.standard_normal((d, d))
        S = rational_matrix(A @ A.T / d + 0.5 * np.eye(d), den)
        S = (S + S.T) / 2
    theta = rational_vector(r.standard_normal(d) / np.sqrt(d), den)
    V = rational_matrix(scale * r.standard_normal((d + 2, d + 2)), den)
    Q = rational_matrix(scale * r.standard_normal((d + 2, d + 2)), den)
    return dict(V=V, Q=Q, n=n, theta=theta, Sigma=S, sigma2=_q(sigma2))


def as_float_setting(s: dict[str, Any]) -> dict[str, Any]:
    """numpy float64 copy of a setting (for ``numeric``)."""
    out = {}
    for k, v in s.items():
        if isinstance(v, sp.MatrixBase):
            a = np.array(v.tolist(), dtype=float)
            out[k] = a.ravel() if k == "theta" else a
        elif k == "n":
            out[k] = v
        else:
            out[k] = float(v)
    return out


# --------------------------------------------------------------------------- strategies


def strategy_env(*, Sigma: Any, theta0: Any, sigma2: Any, scale: Any = 1, theta: Any = None) -> dict[str, object]:
    """Environment for a derived strategy's blocks and errors: Sigma, theta_0, sigma, C (and theta)."""
    S = _mat(Sigma)
    env: dict[str, object] = {"Sigma": S, "theta_0": _mat(theta0), "sigma": sp.sqrt(_q(sigma2)),
                              "C": _q(scale), "d": sp.Integer(S.shape[0])}
    if theta is not None:
        env["theta"] = _mat(theta)
    return env


def _value(e: sp.Basic, env: dict[str, object]) -> sp.Expr:
    v = sp.simplify(sp.expand(evaluate(sp.sympify(e), env)))
    if not v.is_number:
        raise ValueError(f"block did not evaluate to a number: {v}")
    return v


def _column(e: sp.Basic, env: dict[str, object], d: int) -> sp.Matrix:
    if getattr(e, "is_ZeroMatrix", False):
        return sp.zeros(d, 1)
    M = sp.Matrix(evaluate(e, env))
    return M.applyfunc(lambda z: sp.simplify(sp.expand(z)))


def strategy_params(strategy: Any, env: dict[str, object], *, fill: Any = None) -> tuple[sp.Matrix, sp.Matrix]:
    """Explicit (d+2)x(d+2) V, Q from a derived :class:`symbolic.Strategy`'s blocks at ``env``.

    Entries that never reach the output (V's first d+1 rows, Q's last column) are 0, or
    taken from the matrices ``fill = (V_fill, Q_fill)`` (to check that they are free).
    """
    b = strategy.blocks
    d = env["Sigma"].shape[0]
    V = sp.zeros(d + 2, d + 2)
    Q = sp.zeros(d + 2, d + 2)
    if fill is not None:
        V[: d + 1, :] = sp.Matrix(fill[0])[: d + 1, :]
        Q[:, d + 1] = sp.Matrix(fill[1])[:, d + 1]
    x = slice(1, d + 1)
    V[d + 1, 0] = _value(b.v0, env)
    V[d + 1, x] = _column(vecexpr_to_sympy(b.vx), env, d).T
    V[d + 1, d + 1] = _value(b.vy, env)
    Q[0, 0] = _value(b.Q00, env)
    Q[0, x] = _column(vecexpr_to_sympy(b.q0x), env, d).T
    Q[x, 0] = _column(vecexpr_to_sympy(b.qx0), env, d)
    Qxx = matexpr_to_sympy(b.Qxx)
    Q[x, x] = sp.zeros(d, d) if getattr(Qxx, "is_ZeroMatrix", False) else \
        sp.Matrix(evaluate(Qxx, env)).applyfunc(lambda z: sp.simplify(sp.expand(z)))
    Q[d + 1, 0] = _value(b.Qy0, env)
    Q[d + 1, x] = _column(vecexpr_to_sympy(b.qyx), env, d).T
    return V, Q


# --------------------------------------------------------------------------- hypothesis strategies


def rationals(bound: int = 2, max_denominator: int = 4, *, min_value: Any = None) -> st.SearchStrategy[sp.Rational]:
    """Rationals in [-bound, bound] (or [min_value, bound]) with small denominators, as SymPy Rationals."""
    lo = -bound if min_value is None else min_value
    return st.fractions(min_value=lo, max_value=bound, max_denominator=max_denominator).map(_q)


def rational_matrices(rows: int, cols: int, bound: int = 2, max_denominator: int = 4) -> st.SearchStrategy[sp.Matrix]:
    """rows x cols SymPy matrices of small rationals."""
    return st.lists(rationals(bound, max_denominator), min_size=rows * cols, max_size=rows * cols).map(
        lambda xs: sp.Matrix(rows, cols, xs))


@st.composite
def spd_matrices(draw, d: int) -> sp.Matrix:
    """Random rational symmetric positive definite d x d: A A^T + c I, A small rational, c in [1/4, 2]."""
    A = draw(rational_matrices(d, d, 1, 3))
    c = draw(st.fractions(min_value=Fraction(1, 4), max_value=2, max_denominator=4).map(_q))
    return A * A.T + c * sp.eye(d)


@dataclass(frozen=True)
class ExactSetting:
    """An exact setting: d, n, V, Q ((d+2)x(d+2)), theta (d x 1), Sigma (d x d SPD), sigma2 >= 0."""

    d: int
    n: int
    V: sp.Matrix
    Q: sp.Matrix
    theta: sp.Matrix
    Sigma: sp.Matrix
    sigma2: sp.Rational

    def kwargs(self) -> dict[str, Any]:
        return dict(n=self.n, theta=self.theta, Sigma=self.Sigma, sigma2=self.sigma2)


@st.composite
def exact_settings(draw, max_d: int = 3, max_n: int = 3, dims=None, max_size: int | None = None) -> ExactSetting:
    """d in 1..max_d (or from ``dims``), n in 0..max_n (and d + n <= ``max_size`` if given: the
    concrete engine's cost grows fast with both), rational V, Q, theta, sigma2 in [0, 2], SPD Sigma."""
    d = draw(st.sampled_from(list(dims)) if dims is not None else st.integers(1, max_d))
    top = max_n if max_size is None else max(0, min(max_n, max_size - d))
    n = draw(st.integers(0, top))
    V = draw(rational_matrices(d + 2, d + 2))
    Q = draw(rational_matrices(d + 2, d + 2))
    theta = draw(rational_matrices(d, 1))
    Sigma = draw(spd_matrices(d))
    sigma2 = draw(st.fractions(min_value=0, max_value=2, max_denominator=4).map(_q))
    return ExactSetting(d, n, V, Q, theta, Sigma, sigma2)


# --------------------------------------------------------------------------- Monte Carlo cases


#: |z| tolerance of the closed form vs Monte Carlo checks
MC_Z = 4.0
#: samples of the reference estimator (whole prompts through the forward pass)
MC_REF_SAMPLES = 100_000
#: samples of the fast estimator (sufficient statistic, conditioned on the query)
MC_FAST_SAMPLES = 2_000_000
#: seed of the checks in the test suite (the calibration runs seeds 0..199, this one included)
MC_SEED = 0

#: (name, seed, d, n, identity Sigma, sigma2): the fixed settings of the closed form vs Monte
#: Carlo checks (tests/test_objective_vs_montecarlo.py, bench/calibrate_xcheck.py).
MC_CASES = [
    ("d=1 n=0 Sigma=I", 11, 1, 0, True, sp.Rational(1, 4)),
    ("d=2 n=0", 12, 2, 0, False, sp.Rational(1, 4)),
    ("d=3 n=1", 13, 3, 1, False, sp.Rational(1, 2)),
    ("d=2 n=5 sigma2=0", 14, 2, 5, False, sp.Integer(0)),
    ("d=4 n=3", 15, 4, 3, False, sp.Rational(1, 4)),
    ("d=5 n=20", 16, 5, 20, False, sp.Rational(1, 10)),
    ("d=6 n=50", 17, 6, 50, False, sp.Rational(1, 4)),
]


@dataclass(frozen=True)
class MCCase:
    """A fixed setting, its exact closed-form value, and a deliberately wrong formula's value
    (the coefficient of the term with the largest absolute value multiplied by ``1 + rel``)."""

    name: str
    exact: sp.Expr
    setting: dict            # float64 arrays: V, Q, n, theta, Sigma, sigma2
    dominant: sp.Expr        # value of the largest term

    def wrong(self, rel: float = 0.01) -> float:
        """The closed form with one coefficient (the dominant term's) changed by ``rel``."""
        return float(self.exact + sp.Rational(str(rel)) * self.dominant)


def mc_case(name: str, seed: int, d: int, n: int, identity: bool, sigma2: Any) -> MCCase:
    s = random_setting(seed, d, n, sigma2=sigma2, identity_sigma=identity)
    env = params_env(s["V"], s["Q"], Sigma=s["Sigma"], sigma2=s["sigma2"], theta=s["theta"], n=n)
    poly = error_poly()
    vals = term_values(poly, env)
    key = max(vals, key=lambda k: abs(float(vals[k])))
    exact = _exact(evaluate_poly(poly, env))
    wrong_poly = perturbed(poly, key)       # check: the perturbed polynomial gives exact + 1% of the term
    assert _exact(evaluate_poly(wrong_poly, env)) == exact + vals[key] / 100
    return MCCase(name, exact, as_float_setting(s), _exact(vals[key]))


@lru_cache(maxsize=None)
def mc_cases() -> tuple[MCCase, ...]:
    return tuple(mc_case(*c) for c in MC_CASES)
