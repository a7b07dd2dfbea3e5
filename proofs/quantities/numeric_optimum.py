"""A NUMERIC optimum of a spec that has no closed form (V and Q both trained), and the exact
errors at it.

When a spec trains blocks of V's last row and of Q together, the prediction is bilinear in
them and the loss ``sum_k w_k E(V, Q, n_k; task_k)`` is quartic: :mod:`symbolic.general`
refuses it (``NotQuadratic``).  :func:`numeric_optimum` answers at a concrete setting (d,
Sigma, theta_0, sigma^2, pretraining context m): it minimises the *exact* loss (each term
from :func:`numeric.moment_error`, the Gaussian-moment formula in float64; no sampling) over
the trained entries by BFGS with central-difference gradients, from the pretrained parameters
(the start gradient descent would use), and evaluates the exact errors of the parameters it
finds with the derived closed form (every block symbolic, :mod:`symbolic`), the floats read
as exact rationals.

It is a local minimiser found numerically, not a derivation: a quartic loss may have several,
and BFGS need not stop where plain gradient descent would.  So it is run from several starts
(:data:`STARTS` by default): the pretrained parameters, and ``STARTS - 1`` random
perturbations of them (each trained entry plus ``PERTURBATION * max(1, |entry|)`` times a
standard normal, from ``numpy.random.default_rng(seed)``); the best local minimum (lowest
loss) is reported with its gradient norm, and the *spread* across starts (the range of the
final losses and of the exact errors) says whether the starts agree.

The optimiser works on the loss divided by its value at the pretrained start (a loss weighted
by 10^6 is the same problem as one weighted by 1, and the central differences keep their
relative accuracy); convergence means a relative gradient norm ``|grad L| / L(start) <= tol``.
A run that stops for any other reason (iterations exhausted, no descent step found) is
reported as NOT converged.

**Which start is reported.** The best *converged* start (lowest loss among the starts that
converged), when it holds the lowest loss of all starts within :data:`LOSS_TIE` (relative to
the loss at the pretrained start): a start that did not converge but stopped at the same loss
adds nothing.  Only when no start converged, or one that did not converge stopped at a loss
lower than every converged start's by more than that, is the lowest-loss start reported, as NOT
converged, and the command line exits with status 1.
Fixed tasks only (``target``, ``opposite``, given vectors); a task family or a second stage
(``then``) is refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["NumericOptimum", "numeric_optimum", "STARTS", "PERTURBATION"]

#: number of starts: the pretrained parameters and STARTS - 1 random perturbations of them
STARTS = 4
#: size of the perturbations, relative to max(1, |entry|)
PERTURBATION = 0.5
#: two final losses are the same minimum when they differ by at most this times the start's loss
LOSS_TIE = 1e-9


@dataclass
class NumericOptimum:
    """The numeric minimiser: ``V``, ``Q`` (floats), the loss there and at the start, the
    optimiser's iterations and final gradient norm, and ``errors``: exact errors at (V, Q)
    (``zero_shot`` on theta_0, ``few_shot_target`` / ``few_shot_opposite``: n -> oo)."""

    V: np.ndarray
    Q: np.ndarray
    loss: float
    start_loss: float
    iterations: int
    gradient_norm: float
    converged: bool
    errors: dict[str, sp.Expr] = field(default_factory=dict)
    #: one row per start: (start kind, final loss, gradient norm, converged, iterations)
    starts: list[tuple[str, float, float, bool, int]] = field(default_factory=list)
    #: max - min over the starts that converged (all starts if none did): loss, and each error
    spread: dict[str, float] = field(default_factory=dict)
    seed: int = 0


def _tasks(spec: Any, theta0: np.ndarray) -> list[tuple[float, float, np.ndarray]]:
    from symbolic.objective import THETA0
    bound = {name: np.array(sp.Matrix(v).evalf(30), dtype=float).ravel() for name, v in spec.bindings}
    out = []
    for i, t in enumerate(spec.loss):
        if not t.task.is_fixed:
            raise ValueError(f"loss[{i}].task: the numeric optimum takes fixed tasks only, got the family {t.task}")
        mean = t.task.mean
        if mean is None:
            theta = np.zeros_like(theta0)
        elif mean == THETA0:
            theta = theta0
        elif mean == -THETA0:
            theta = -theta0
        elif getattr(mean, "name", None) in bound:
            theta = bound[mean.name]
        else:
            raise ValueError(f"loss[{i}].task: expected target, opposite or a given vector, got {mean}")
        w, n = float(t.weight), (np.inf if t.n == sp.oo else int(t.n))
        out.append((w, n, theta))
    return out


def _bfgs(f, x0: np.ndarray, *, tol: float, max_iter: int) -> tuple[np.ndarray, int, float, bool]:
    """Minimise f by BFGS with central-difference gradients and Armijo backtracking."""
    def grad(x):
        g = np.empty_like(x)
        for k in range(x.size):
            h = 1e-6 * max(1.0, abs(x[k]))
            e = np.zeros_like(x)
            e[k] = h
            g[k] = (f(x + e) - f(x - e)) / (2 * h)
        return g

    x, fx, g = x0.copy(), f(x0), grad(x0)
    if not np.all(np.isfinite(g)) or not np.isfinite(fx):
        return x, 0, float("inf"), False
    H = np.eye(x.size)
    for it in range(1, max_iter + 1):
        if np.linalg.norm(g) <= tol:
            return x, it - 1, float(np.linalg.norm(g)), True
        p = -H @ g
        if g @ p >= 0:  # not a descent direction: restart from steepest descent
            H, p = np.eye(x.size), -g
        step = 1.0
        while step > 1e-16:
            x_new = x + step * p
            f_new = f(x_new)
            if f_new <= fx + 1e-4 * step * (g @ p):
                break
            step /= 2
        else:
            return x, it, float(np.linalg.norm(g)), False
        g_new = grad(x_new)
        s, yv = x_new - x, g_new - g
        if s @ yv > 1e-14:
            rho = 1.0 / (s @ yv)
            I = np.eye(x.size)
            H = (I - rho * np.outer(s, yv)) @ H @ (I - rho * np.outer(yv, s)) + rho * np.outer(s, s)
        x, fx, g = x_new, f_new, g_new
    return x, max_iter, float(np.linalg.norm(g)), bool(np.linalg.norm(g) <= tol)


def _exact_errors(V: np.ndarray, Q: np.ndarray, setting: Any) -> dict:
    """Exact zero-shot error on theta_0 and the limits n -> oo on theta_0, -theta_0 of (V, Q)
    (floats read as exact rationals), from the closed form with every block symbolic."""
    from proofs.quantities.curves import explicit_errors
    exact = [[sp.Rational(float(x)) for x in row] for row in V.tolist()], \
        [[sp.Rational(float(x)) for x in row] for row in Q.tolist()]
    zero, lim_t = explicit_errors(*exact, setting, "target", [0])
    _, lim_o = explicit_errors(*exact, setting, "opposite", [])
    return {"zero_shot": zero[0], "few_shot_target": lim_t, "few_shot_opposite": lim_o}


def numeric_optimum(spec: Any, setting: Any, *, tol: float = 1e-9, max_iter: int = 500, starts: int = STARTS,
                    seed: int = 0) -> NumericOptimum:
    """Minimise the spec's loss numerically at the setting (a :class:`proofs.quantities.setting.Setting`
    in exact arithmetic: d, Sigma, theta_0, sigma^2, pretraining context m) from the pretrained
    parameters and ``starts - 1`` random perturbations of them (module docstring); the best is
    returned.

    Raises ValueError for a task family or a second stage (``then``), or ``starts`` < 1."""
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or not 1 <= starts <= 100:
        raise ValueError(f"starts: expected an integer 1 <= starts <= 100, got {starts!r}")
    from numeric import moment_error
    from symbolic.layout import NAMES, entries as layout_entries
    from proofs.quantities.params import closed_form_params
    from proofs.quantities.setting import derived
    if spec.then:
        raise ValueError("then: the numeric optimum minimises one loss; a second stage is not supported")
    if not setting.arith.exact:
        raise ValueError("arithmetic: the numeric optimum reads its setting exactly (d <= 10)")
    S, t0 = setting.Sigma, setting.theta0
    s2 = 0 if setting.sigma2 is None else setting.sigma2
    start = closed_form_params(*derived("pretrain", setting.m), setting)
    V0 = np.array(sp.Matrix(start.V).evalf(30).tolist(), dtype=float)
    Q0 = np.array(sp.Matrix(start.Q).evalf(30).tolist(), dtype=float)
    Sf = np.array(S.evalf(30).tolist(), dtype=float)
    t0f = np.array(t0.evalf(30), dtype=float).ravel()
    terms = _tasks(spec, t0f)
    entries = layout_entries([b for b in spec.train if b in NAMES], setting.d)

    def unpack(x):
        V, Q = V0.copy(), Q0.copy()
        for k, (which, i, j) in enumerate(entries):
            (V if which == "V" else Q)[i, j] = x[k]
        return V, Q

    def loss(x):
        V, Q = unpack(x)
        return sum(w * moment_error(V, Q, n=n, theta=th, Sigma=Sf, sigma2=float(s2)) for w, n, th in terms)

    x0 = np.array([(V0 if w == "V" else Q0)[i, j] for w, i, j in entries])
    L0 = float(loss(x0))
    scale = L0 if L0 > 0 else 1.0

    def scaled(x):
        return loss(x) / scale

    rng = np.random.default_rng(seed)
    runs = []
    for k in range(starts):
        xs = x0 if k == 0 else x0 + PERTURBATION * np.maximum(1.0, np.abs(x0)) * rng.standard_normal(x0.size)
        x, iters, gnorm, ok = _bfgs(scaled, xs, tol=tol, max_iter=max_iter)
        runs.append(("pretrained" if k == 0 else f"perturbed {k}", x, float(loss(x)), gnorm * scale, ok, iters))
    finite = [r for r in runs if np.isfinite(r[2])] or runs
    best = _best(finite, LOSS_TIE * scale)
    _, x, Lx, gnorm, ok, iters = best
    V, Q = unpack(x)
    errors = _exact_errors(V, Q, setting)
    pool = [r for r in finite if r[4]] or finite
    spread = {"loss": max(r[2] for r in pool) - min(r[2] for r in pool)}
    if len(pool) > 1:
        errs = [_float_errors(*unpack(r[1]), Sf, t0f, float(s2)) for r in pool]
        for key in errs[0]:
            spread[key] = max(e[key] for e in errs) - min(e[key] for e in errs)
    else:
        spread.update({k: 0.0 for k in errors})
    table = [(r[0], r[2], r[3], bool(r[4]), r[5]) for r in runs]
    return NumericOptimum(V, Q, Lx, L0, iters, gnorm, bool(ok), errors, table, spread, seed)


def _best(runs: list, tie: float) -> tuple:
    """The start reported (module docstring): the lowest-loss converged start when its loss is
    within ``tie`` of the lowest of all, else the lowest-loss start."""
    lowest = min(runs, key=lambda r: r[2])
    converged = [r for r in runs if r[4]]
    if converged:
        best = min(converged, key=lambda r: r[2])
        if best[2] <= lowest[2] + tie:
            return best
    return lowest


def _float_errors(V: np.ndarray, Q: np.ndarray, Sigma: np.ndarray, theta0: np.ndarray, sigma2: float) -> dict:
    """The three headline errors in float64 (the moment formula), for the spread across starts."""
    from numeric import moment_error
    return {"zero_shot": moment_error(V, Q, n=0, theta=theta0, Sigma=Sigma, sigma2=sigma2),
            "few_shot_target": moment_error(V, Q, n=np.inf, theta=theta0, Sigma=Sigma, sigma2=sigma2),
            "few_shot_opposite": moment_error(V, Q, n=np.inf, theta=-theta0, Sigma=Sigma, sigma2=sigma2)}
