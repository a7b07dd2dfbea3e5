r"""The n-shot error of given L-layer parameters at a setting: exact where a derivation covers them,
Monte Carlo (labelled, with its standard error) otherwise.

The model (issue 25): Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1} / (n+1), l = 1..L, the prediction
[Z_L]_{-1,-1}; E_L(layers, n; theta) = E[(f_L - y_{n+1})^2]. Routes, chosen from the parameters
before any work:

* **one layer**: today's closed form E(V, Q, n; theta) for any V, Q (:func:`proofs.quantities.curves.
  explicit_error`), exact;
* **the class** (L = 2, 3): every V_l non-zero only in its last row (v_0, v_x^T, v_y) and every Q_l
  non-zero only in its x block Gamma_l: the closed form of :func:`symbolic.depth.class_error` (symbolic
  d, Sigma, theta, n; derived once and kept in the disk cache), with v_0, v_x symbolic in the layers
  that have them, evaluated at the setting, exact;
* **otherwise** (L >= 2 outside the class): Monte Carlo through the literal forward pass
  (:func:`numeric.depth.estimate_error_depth`), the mean of ``samples`` squared errors and its standard
  error, labelled *not exact*. Why no exact route: the prediction of general layers has degree 3^L in
  the prompt (9 at L = 2), and expanding its square monomial by monomial (the concrete engine,
  :mod:`symbolic.concrete_depth`) is out of reach already at d = 2, n = 5.

Public API: :func:`depth_error_at`, :class:`DepthError`, :func:`in_class`, ``MC_MAX_N``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import sympy as sp

__all__ = ["DepthError", "depth_error_at", "in_class", "monte_carlo_route", "MC_MAX_N", "MC_MAX_WORK",
           "DEFAULT_SAMPLES"]

#: the largest n the Monte Carlo route accepts (each sample is a (d+2) x (n+1) prompt)
MC_MAX_N = 10_000
#: the Monte Carlo route's work bound, samples x (n+1) x (d+2)^2 (each layer of each prompt costs
#: about (n+1)(d+2)^2 multiply-adds; measured 2-30 ns per unit, so this bound is 4-60 s of CPU;
#: 10^8 samples at d = 1, n = 1 stay inside it, the default 200,000 samples at d = 100, n = 100
#: -- about an hour -- do not)
MC_MAX_WORK = 2 * 10**9
DEFAULT_SAMPLES = 200_000


@dataclass(frozen=True)
class DepthError:
    """E_L(layers, n; theta) at a setting: ``value`` (exact SymPy number on an exact route in exact
    arithmetic, else a float), ``stderr`` (Monte Carlo only), ``route`` (``"one-layer"``, ``"class"``,
    ``"monte-carlo"``), ``label`` (one sentence: what the number is), ``L``, ``n``, ``samples`` and
    ``seed`` (Monte Carlo only), ``arith`` (the arithmetic of the setting)."""

    value: Any
    stderr: float | None
    route: str
    label: str
    L: int
    n: int
    samples: int | None
    seed: int | None
    arith: Any

    @property
    def exact(self) -> bool:
        return self.route != "monte-carlo"


def _zero(x: Any) -> bool:
    if isinstance(x, (int, float, np.floating)):
        return x == 0
    return sp.sympify(x) == 0


def in_class(V: sp.Matrix, Q: sp.Matrix, d: int) -> bool:
    """V non-zero only in its last row and Q only in its x block (rows and columns 1..d)."""
    if isinstance(V, np.ndarray) and isinstance(Q, np.ndarray):
        inner = np.zeros_like(Q, dtype=bool)
        inner[1:d + 1, 1:d + 1] = True
        return not np.any(V[:d + 1]) and not np.any(Q[~inner])
    for i in range(d + 2):
        for j in range(d + 2):
            if i != d + 1 and not _zero(V[i, j]):
                return False
            if not (1 <= i <= d and 1 <= j <= d) and not _zero(Q[i, j]):
                return False
    return True


def monte_carlo_route(layers: Sequence[tuple[Any, Any]], d: int, *, derive: bool = True, n: int = 0,
                      samples: int = DEFAULT_SAMPLES) -> bool:
    """Whether :func:`depth_error_at` takes the Monte Carlo route for these (checked) layers: L >= 2
    outside the class (decided in float64: an input entry is 0 exactly when its float is), or, with
    ``derive=False``, a class whose closed form is not cached and slow to derive (:func:`_postponed`)."""
    fl = [(_floats(V), _floats(Q)) for V, Q in layers]
    if len(layers) >= 2 and not all(in_class(V, Q, d) for V, Q in fl):
        return True
    return not derive and _postponed(fl, d, n, samples) is not None


def _postponed(mats: Sequence[tuple[Any, Any]], d: int, n: int, samples: int) -> str | None:
    """Why the class closed form of these layers is left for later (the reason, in words), or None:
    L >= 2 in the class, its derivation not cached and slow (:func:`symbolic.depth.class_error_is_slow`),
    and the Monte Carlo route within its bounds."""
    L = len(mats)
    if L < 2 or not all(in_class(V, Q, d) for V, Q in mats):
        return None
    from symbolic.depth import class_error_is_cached, class_error_is_slow
    values_in, _ = _class_env(mats, d)
    if not class_error_is_slow(L, values_in) or class_error_is_cached(L, values_in=values_in) \
            or not _monte_carlo_fits(n, d, samples):
        return None
    where = ("layer " if len(values_in) == 1 else "layers ") + ", ".join(map(str, values_in))
    return (f"the exact class closed form for these layers (L = {L}, values in {where}) is not derived on this "
            "machine yet: its first derivation takes about a minute of CPU, then it is cached (ask for it: "
            "--derive, or derive=True)")


def _class_env(layers: Sequence[tuple[sp.Matrix, sp.Matrix]], d: int) -> tuple[tuple[int, ...], dict]:
    env: dict = {}
    values_in = []
    for l, (V, Q) in enumerate(layers, start=1):
        env[f"Gamma_{l}"] = Q[1:d + 1, 1:d + 1]
        env[f"v_y_{l}"] = V[d + 1, d + 1]
        v0, vx = V[d + 1, 0], V[d + 1:d + 2, 1:d + 1].T
        if not _zero(v0) or any(not _zero(x) for x in (vx.ravel().tolist() if isinstance(vx, np.ndarray) else vx)):
            values_in.append(l)
            env[f"v_0_{l}"] = v0
            env[f"v_x_{l}"] = vx
    return tuple(values_in), env


def depth_error_at(layers: Sequence[tuple[Any, Any]], theta: Any, where: Any, n: int, *,
                   samples: int = DEFAULT_SAMPLES, seed: int = 0, derive: bool = True) -> DepthError:
    """E_L(layers, n; theta) at the setting ``where`` (a :class:`proofs.quantities.setting.Setting`: d,
    Sigma, sigma2, arithmetic); ``layers`` a list of 1..3 (V_l, Q_l) pairs of (d+2) x (d+2) matrices
    (SymPy matrices of exact numbers, or anything ``sympy.Matrix`` takes), ``theta`` d numbers. The
    route is chosen before any work (see the module docstring); the Monte Carlo route needs
    n <= ``MC_MAX_N`` (a one-line ValueError otherwise).

    ``derive=False``: in the class, where the closed form for these layers is not cached yet and its
    first derivation takes about a minute (:func:`symbolic.depth.class_error_is_slow`: L = 3 with values
    in the first layer), take the Monte Carlo route instead (labelled so, naming why) when its work
    bound allows; the command line's default, under its 30 s budget for exact work."""
    from symbolic.depth_model import MAX_DEPTH
    d, arith = where.d, where.arith
    L = len(layers)
    if not 1 <= L <= MAX_DEPTH:
        raise ValueError(f"layers: expected 1 to {MAX_DEPTH} layers, got {L}")
    def exact(M: Any) -> sp.Matrix:          # a float entry stands for the binary number it is
        M = sp.Matrix(M.tolist() if hasattr(M, "tolist") else M)
        return M.applyfunc(lambda x: sp.Rational(x) if isinstance(x, sp.Float) else sp.nsimplify(x, rational=True)
                           if not isinstance(x, sp.Rational) else x)
    # float64: the entries as float64 arrays at once (SymPy one entry at a time costs ~35 us each:
    # minutes for dense layers at d = 1,000); exact and mp: SymPy's exact numbers
    fast = not arith.exact and arith.precision is None
    mats = [(_floats(V), _floats(Q)) if fast else (exact(V), exact(Q)) for V, Q in layers]
    for i, (V, Q) in enumerate(mats):
        for M, nm in ((V, "V"), (Q, "Q")):
            if M.shape != (d + 2, d + 2):
                raise ValueError(f"layers[{i}].{nm}: expected a {d + 2}x{d + 2} matrix, got {M.shape[0]}x{M.shape[1]}")
    th = _floats([[x] for x in theta]) if fast else exact([[x] for x in theta])
    if L >= 2 and not all(in_class(V, Q, d) for V, Q in mats):
        _check_monte_carlo(n, d, L, samples)
    if L == 1:
        from proofs.quantities.curves import explicit_error
        V, Q = mats[0]
        value = explicit_error(V, Q, th, where, n)   # float64 and mp: checked finite there
        return DepthError(value, None, "one-layer", "exact: the one-layer closed form E(V, Q, n; theta)", 1, n,
                          None, None, arith)
    postponed = None if derive else _postponed(mats, d, n, samples)
    if postponed is None and all(in_class(V, Q, d) for V, Q in mats):
        from symbolic.depth import class_error
        from symbolic.evaluation import evaluate_poly
        values_in, env = _class_env(mats, d)
        p = class_error(L, values_in=values_in)
        Sigma = where.Sigma if fast else sp.Matrix(where.Sigma.tolist())
        env.update({"Sigma": Sigma, "theta": th, "sigma": sp.sqrt(sp.nsimplify(where.sigma2)), "n": n})
        with np.errstate(over="ignore", invalid="ignore"):
            value = evaluate_poly(p, env, arithmetic=arith)
        value = arith.finite(value, "the error")
        where_v = f"values (v_0, v_x) in layer{'s' if len(values_in) > 1 else ''} " + \
            ", ".join(map(str, values_in)) if values_in else "v_0 = v_x = 0 in every layer"
        return DepthError(value, None, "class", f"exact: the class closed form at L = {L} (V_l on the label row, "
                          f"Q_l on the x block; {where_v}), evaluated at the setting", L, n, None, None, arith)
    from numeric.depth import estimate_error_depth
    fl = [(np.array(V.tolist(), dtype=float), np.array(Q.tolist(), dtype=float)) for V, Q in mats]
    Sigma = np.array(where.Sigma.tolist(), dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        est = estimate_error_depth(fl, n=n, theta=np.array(th.tolist(), dtype=float).ravel(),
                                   Sigma=Sigma, sigma2=float(where.sigma2), samples=samples, seed=seed)
    if not (np.isfinite(est.mean) and np.isfinite(est.stderr)):
        raise ValueError("layers: the Monte Carlo estimate exceeds float64's range (a squared error above 1.8e308, "
                         "or an overflow inside the forward pass, which runs in float64 whatever the arithmetic): "
                         "no route evaluates these layers; smaller entries would")
    why = postponed or (f"parameters outside the class at L = {L} have no exact route fast enough (the prediction "
                        f"has degree 3^L in the prompt)")
    return DepthError(float(est.mean), float(est.stderr), "monte-carlo",
                      f"Monte Carlo, not exact: {why}; mean of {samples} prompts "
                      f"through the literal forward pass, seed {seed}, +- one standard error",
                      L, n, samples, seed, arith)


def _floats(M: Any) -> np.ndarray:
    """A matrix (nested lists of exact numbers, a NumPy or SymPy matrix) as a float64 array."""
    return np.array(M.tolist() if hasattr(M, "tolist") and not isinstance(M, np.ndarray) else M, dtype=np.float64)


def _monte_carlo_fits(n: int, d: int, samples: int) -> bool:
    """Whether the Monte Carlo route's bounds (:func:`_check_monte_carlo`) hold."""
    try:
        _check_monte_carlo(n, d, 0, samples)
    except ValueError:
        return False
    return True


def _check_monte_carlo(n: int, d: int, L: int, samples: int) -> None:
    """The Monte Carlo route's bounds, before any work: n <= MC_MAX_N and the work
    samples x (n+1) x (d+2)^2 <= MC_MAX_WORK (a one-line ValueError naming the remedy)."""
    if n > MC_MAX_N:
        raise ValueError(f"n: expected n <= {MC_MAX_N} for the Monte Carlo route (parameters outside the class "
                         f"at L = {L}), got {n}")
    unit = (n + 1) * (d + 2) ** 2
    if samples * unit > MC_MAX_WORK:
        most = MC_MAX_WORK // unit
        fix = (f"take at most {most} samples (--samples)" if most >= 2 else
               "no sample count fits: a smaller n or d would")
        raise ValueError(f"samples: expected samples x (n+1) x (d+2)^2 <= {MC_MAX_WORK:.0e} for the Monte Carlo route "
                         f"(minutes of CPU beyond), got {samples} x {n + 1} x {(d + 2) ** 2}; {fix}")
