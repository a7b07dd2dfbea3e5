r"""Whole matrices fine-tuned at depth: gradient descent on the exact zero-shot loss, at a concrete setting.

A depth spec that trains whole matrices (``"all"``: every entry of every V_l and Q_l, full
fine-tuning (b) at depth; ``"Q"`` / ``"Q<l>"``: the query-key matrices; ``"V<l>.all"``; see
:mod:`symbolic.depth_spec`) leaves the class: the zero-shot prediction has degree 3^L in x, its loss
has no closed form and its minimisers form families (at one layer already: Theorem 4.3's F1, F2)
whose n-shot errors differ. The question is then the one the paper answers at one layer: which
minimiser does gradient descent from the pretrained model reach, and what are its errors?

At a setting (d, Sigma, theta_0, sigma^2, the pretrained gamma_l of m) this module answers it
numerically, labelled so:

* the loss sum_k w_k E_L(layers, 0; task_k) and its gradient in every trained entry are *exact*
  (Gauss-Hermite quadrature exact for the polynomial integrand, :mod:`numeric.depth_exact`);
* the start is the pretrained class model, V_l = e_y e_y^T, Q_l = blockdiag(0, gamma_l Sigma^{-1}, 0);
* the path is plain gradient descent with Armijo backtracking (a step is halved until the loss falls
  by at least half the step times the squared gradient norm, then grown by 1.2): the loss is stiff
  (Hessian eigenvalues from about -55 to 4,400 at the start at d = 2, L = 2), so a fixed step either
  diverges or crawls;
* it stops when the gradient norm falls below ``tol`` times the start's loss less its noise floor
  sum_k w_k sigma^2 (constant in the parameters) or after ``steps``;
* at checkpoints and at the end: the zero-shot error on theta_0 and the n -> oo errors on theta_0 and
  -theta_0 (the law of large numbers, :func:`numeric.depth_exact.limit_error_depth`), all exact at the
  parameters reached.

Where the minimisers form a family the path may creep along it: the checkpoints show whether the
errors have settled (reported, never hidden).

Public API: :func:`depth_descent`, :class:`DepthDescent`, ``DESCENT_STEPS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import sympy as sp

__all__ = ["DepthDescent", "depth_descent", "check_descent", "DESCENT_STEPS", "MAX_DESCENT_WORK"]

#: gradient descent steps taken by default (``derive --spec --numeric``; ``--steps`` to change)
DESCENT_STEPS = 50_000
#: at most this many steps x quadrature nodes x layers (0.35 to 1 microsecond of CPU each, measured at
#: d = 2, 3 and L = 2, 3: at most about two minutes)
MAX_DESCENT_WORK = 150_000_000
#: CPU seconds per step, node and layer, a generous estimate (for the command line's announcement)
SECONDS_PER_NODE = 8e-7
#: checkpoints along the path (fractions of the steps taken)
CHECKPOINTS = (0.05, 0.25, 0.5, 1.0)


@dataclass
class DepthDescent:
    """The end of the descent: ``layers`` [(V_l, Q_l)] (float64), ``start`` the pretrained class model's,
    ``loss`` / ``start_loss``, ``gradient_norm`` (trained entries), ``steps`` taken, ``converged``
    (gradient norm <= tol x (start loss - sum_k w_k sigma^2)), ``errors`` (zero-shot on theta_0, n -> oo on theta_0 and
    -theta_0) at the end, ``checkpoints`` rows (step, loss, zero-shot, n -> oo on theta_0 and
    -theta_0), ``gammas``, ``trained`` the spec's names, ``moved`` whether any entry moved."""

    layers: list
    start: list
    loss: float
    start_loss: float
    gradient_norm: float
    steps: int
    converged: bool
    errors: dict = field(default_factory=dict)
    checkpoints: list = field(default_factory=list)
    gammas: tuple = ()
    trained: tuple = ()
    moved: bool = True
    #: a one-line warning where Sigma's condition number exceeds float64's limit (the arithmetic's
    #: ``condition_limit``, the toolkit's one rule), else None
    warning: str | None = None


def check_descent(L: int, d: int, steps: Any) -> int:
    """The number of steps, checked before any work: an integer 1..10^6 whose work steps x nodes x L
    (nodes (3^L + 1)^d, :func:`numeric.depth_exact.zero_shot_nodes`) is at most :data:`MAX_DESCENT_WORK`;
    else a one-line ValueError naming ``steps`` (or ``d``) and the largest that fits."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 10 ** 6:
        raise ValueError(f"steps: expected an integer 1 <= steps <= 1000000, got {steps!r}")
    from numeric.depth_exact import MAX_NODES
    p = 3 ** L + 1
    nodes = p ** d
    if nodes > MAX_NODES or MAX_DESCENT_WORK // (nodes * L) < 1:   # the rule's own bound, said here, before any work
        fits = max((k for k in range(1, 64) if p ** k <= MAX_NODES and p ** k * L <= MAX_DESCENT_WORK), default=0)
        raise ValueError(f"d: gradient descent at depth L = {L} integrates over {p}^{d} quadrature nodes "
                         f"a step, too many (at most {MAX_NODES}); expected d <= {fits} at this depth (d, or the size "
                         f"of Sigma, theta0), got d = {d}")
    most = MAX_DESCENT_WORK // (nodes * L)
    if steps > most:
        raise ValueError(f"steps: at L = {L}, d = {d} a step integrates over {nodes} quadrature nodes; expected "
                         f"steps <= {most} (about two minutes of CPU), got {steps}")
    return int(steps)


def _mask(train: Sequence[tuple[int, str]], L: int, d: int) -> list:
    """Which entries move: (mask of V_l, mask of Q_l) per layer."""
    k = d + 2
    masks = [[np.zeros((k, k), dtype=bool), np.zeros((k, k), dtype=bool)] for _ in range(L)]
    for l, b in train:
        V, Q = masks[l - 1]
        if b == "V":
            V[:, :] = True
        elif b == "Q":
            Q[:, :] = True
        elif b == "v0":
            V[-1, 0] = True
        elif b == "vx":
            V[-1, 1:d + 1] = True
        elif b == "vy":
            V[-1, -1] = True
        else:  # pragma: no cover - the spec reader admits no other block
            raise ValueError(f"train: unknown block {b!r}")
    return masks


def _task_vector(mean: Any, theta0: np.ndarray, bindings: dict) -> np.ndarray:
    """A fixed task's vector: theta_0, -theta_0, a bound vector or a multiple of one."""
    if mean is None:
        return np.zeros_like(theta0)
    coeff, rest = mean.as_coeff_mmul()
    sym = rest.args[0] if getattr(rest, "is_MatMul", False) and len(rest.args) == 1 else rest
    name = getattr(sym, "name", None)
    if name == "theta_0":
        vec = theta0
    elif name in bindings:
        vec = np.array([float(v) for v in bindings[name]], dtype=float)
    else:  # pragma: no cover - the spec reader binds every task vector it names
        raise ValueError(f"loss: the task {mean} has no value at this setting")
    return float(coeff) * vec


def depth_descent(spec: Any, setting: Any, gammas: Sequence, *, steps: int = DESCENT_STEPS, tol: float = 1e-10,
                  checkpoints: Sequence[float] = CHECKPOINTS) -> DepthDescent:
    """Gradient descent from the pretrained class model on the spec's zero-shot loss (module docstring).
    ValueError for a symbolic setting, a missing sigma^2, steps outside :func:`check_descent`'s bounds, or a
    Sigma, theta_0 whose loss or gradient overflows float64 (at the start, or so that no step decreases it).
    A trial step that overflows is refused by the line search (no RuntimeWarning reaches the caller); an
    error that overflows at the end is reported as inf."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _descend(spec, setting, gammas, steps, tol, checkpoints)


def _descend(spec: Any, setting: Any, gammas: Sequence, steps: Any, tol: float,
             checkpoints: Sequence[float]) -> DepthDescent:
    from numeric.depth import class_start
    from numeric.depth_exact import ZeroShotLoss, limit_error_depth
    from symbolic.arithmetic import FLOAT64
    if setting.symbolic:
        raise ValueError("d: gradient descent at depth needs a concrete setting (give d, or Sigma, theta0)")
    if setting.sigma2 is None:
        raise ValueError("sigma2: gradient descent at depth needs a value of sigma^2")
    steps = check_descent(spec.layers, setting.d, steps)
    Sigma = np.array(sp.Matrix(setting.Sigma).evalf(20).tolist(), dtype=float)
    theta0 = np.array([float(sp.N(v, 20)) for v in sp.Matrix(setting.theta0)], dtype=float)
    s2 = float(sp.N(setting.sigma2, 20))
    bindings = {k: list(v) for k, v in spec.bindings}
    # the descent sees the loss less its constant noise floor sum_k w_k sigma^2 (a sigma^2 of 1e300 would
    # otherwise swallow the rest in rounding and scale the stopping rule), added back where it is reported
    terms = [(float(sp.N(t.weight, 20)), ZeroShotLoss(theta=_task_vector(t.task.mean, theta0, bindings), Sigma=Sigma,
                                                      sigma2=0.0, layers=spec.layers)) for t in spec.loss]
    floor = s2 * sum(w for w, _ in terms)
    target = ZeroShotLoss(theta=theta0, Sigma=Sigma, sigma2=s2, layers=spec.layers)
    masks = _mask(spec.train, spec.layers, setting.d)

    def loss_grad(lays: list) -> tuple[float, list]:
        total, grads = 0.0, None
        for w, term in terms:
            e, g = term(lays)
            total += w * e
            g = [(w * gv, w * gq) for gv, gq in g]
            grads = g if grads is None else [(a + gv, b + gq) for (a, b), (gv, gq) in zip(grads, g)]
        return total, [(gv * mv, gq * mq) for (gv, gq), (mv, mq) in zip(grads, masks)]

    def errors(lays: list) -> dict:
        return {"zero_shot": target(lays)[0],
                "few_shot_target": limit_error_depth(lays, theta=theta0, Sigma=Sigma, sigma2=s2),
                "few_shot_opposite": limit_error_depth(lays, theta=-theta0, Sigma=Sigma, sigma2=s2)}

    def norm(grads: list) -> float:
        return float(np.sqrt(sum(float((gv ** 2).sum() + (gq ** 2).sum()) for gv, gq in grads)))

    start = class_start([float(sp.N(g, 20)) for g in gammas], Sigma)
    lays = [(V.copy(), Q.copy()) for V, Q in start]
    L0, g = loss_grad(lays)
    if not (np.isfinite(L0) and np.isfinite(norm(g) ** 2) and np.isfinite(L0 + floor)):
        raise ValueError(f"Sigma, theta0, loss weights: gradient descent at depth is float64; at the pretrained start "
                         f"the zero-shot loss ({L0:.3g}) or its squared gradient norm overflows; expected Sigma, "
                         "theta0 and loss weights of a moderate scale (rescale them)")
    loss, lr, taken = L0, 1e-4, 0
    marks = sorted({max(1, min(steps, int(round(f * steps)))) for f in checkpoints})
    rows = []
    scale = L0 if L0 > 0 else 1.0
    while taken < steps and norm(g) > tol * scale:
        g2 = norm(g) ** 2
        while True:
            trial = [(V - lr * gv, Q - lr * gq) for (V, Q), (gv, gq) in zip(lays, g)]
            new, gn = loss_grad(trial)
            if np.isfinite(new) and np.isfinite(norm(gn) ** 2) and new <= loss - 0.5 * lr * g2:
                break
            lr /= 2
            if lr < 1e-300:   # float64 resolves no step: said, naming the inputs whose scale causes it
                raise ValueError(f"Sigma, theta0, loss weights: gradient descent at depth found no step that "
                                 f"decreases the loss in float64 after {taken} steps (loss {loss + floor:.3g}, "
                                 f"gradient norm {norm(g):.3g}); expected Sigma, theta0 and loss weights of a moderate "
                                 "scale (rescale them)")
        lays, loss, g, lr = trial, new, gn, lr * 1.2
        taken += 1
        if taken in marks:
            e = errors(lays)
            rows.append((taken, loss + floor, e["zero_shot"], e["few_shot_target"], e["few_shot_opposite"]))
    gnorm = norm(g)
    if not rows or rows[-1][0] != taken:
        e = errors(lays)
        rows.append((taken, loss + floor, e["zero_shot"], e["few_shot_target"], e["few_shot_opposite"]))
    moved = any(not (np.array_equal(V, V0) and np.array_equal(Q, Q0)) for (V, Q), (V0, Q0) in zip(lays, start))
    cond, limit = float(np.linalg.cond(Sigma, 1)), FLOAT64.condition_limit()
    warning = None if cond <= limit else (
        f"warning: Sigma's condition number is {cond:.3g} (above {limit:.0e}): gradient descent at depth "
        "is float64 and starts from Q_l = gamma_l Sigma^-1, so the path may stall (the checkpoints show it) or "
        "lose digits")
    return DepthDescent(lays, start, loss + floor, L0 + floor, gnorm, taken, gnorm <= tol * scale, errors(lays), rows,
                        tuple(gammas), tuple(spec.names), moved, warning)
