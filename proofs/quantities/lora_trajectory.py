r"""LoRA's path at a setting: gradient descent on the factors of a rank-r update, and where it ends.

A spec whose block ``X`` (``Q`` = Q[:, :d+1] or ``Q_xx``) carries a constraining rank r is
fine-tuned as LoRA does it: ``X = X_0 + B A`` with **B = 0** (rows x r) and **A** (r x cols)
random, entries i.i.d. N(0, init_scale^2), ``init_scale = 1/sqrt(cols)`` by default
(:func:`numeric.lora.lora_start`: Kaiming-like, fan-in = cols), and gradient descent on (B, A)
with step eta on the spec's loss exactly as defined (mean squared error, no factor 1/2):

    B <- B - eta dL/dDelta A^T,     A <- A - eta B^T dL/dDelta      (simultaneous).

Two routes, said in the output:

* **reduced to scalars** (rank 1, Sigma = I, the pretrained start, tasks +-theta_0:
  :mod:`symbolic.lowrank_path`): the path stays in the span of (e_0, theta_0, w, e_y) x (e_0,
  theta_0, w) with w the perp direction of A's start, so gradient descent on (B, A) *is*
  gradient descent on 7 scalars (4 for Q_xx) of a quartic loss derived by the Wick engine; the
  loss and the errors along the path are those polynomials (printed as the formula), exact in
  the scalars, any d at the same cost;
* **numeric, exact gradients**: gradient descent on the full factors with the loss's exact
  gradient ``2 (H Delta S - G)`` (Kronecker) or ``2 (A vec Delta - g)`` (dense), float64.

Where it ends is compared with the rank-r optimum (:mod:`proofs.quantities.lowrank`: the
closed form, or weighted Eckart-Young at the setting): the losses and the errors there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["LoraTrajectory", "lora_trajectory", "COLUMNS", "ROUTES"]

#: the recorded columns: the training loss and the three errors of the table
COLUMNS = ("loss", "zero_shot", "few_shot_target", "few_shot_opposite")
ROUTES = ("reduced to scalars", "numeric (exact gradients)")


@dataclass
class LoraTrajectory:
    """The recorded rows (``steps``, ``values[column]``), the route, the start (``seed``,
    ``init_scale``, ``lr``), the end (``end``: the columns at the last step; ``gradient_norm``
    there) and the rank-r optimum's (``optimum``), ``gap`` = end loss - optimum loss;
    ``formula``: the reduced loss in the scalars (reduced route); ``diverged_at``: the step at
    which the factors stopped being finite (rows stop there)."""

    label: str
    block: str
    rank: int
    route: str
    eta: float
    steps: list[int]
    values: dict[str, list[float]]
    seed: Any
    init_scale: float
    end: dict[str, float] = field(default_factory=dict)
    optimum: dict[str, Any] = field(default_factory=dict)
    optimum_method: str = ""
    gap: float | None = None
    gradient_norm: float | None = None
    formula: sp.Expr | None = None
    variables: tuple = ()
    perp_direction: list[float] | None = None
    diverged_at: int | None = None
    crossings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    n: Any = None


def _shape(block: str, d: int) -> tuple[int, int]:
    return (d, d) if block == "Qxx" else (d + 2, d + 1)


def reducible(spec: Any, setting: Any, rank: int) -> bool:
    """Whether LoRA's path reduces to scalars here (module docstring)."""
    from symbolic.objective import THETA0
    if rank != 1 or spec.start is not None or spec.then:
        return False
    if any(not t.task.is_fixed or t.task.mean not in (THETA0, -THETA0) for t in spec.loss):
        return False
    S, d = setting.Sigma, setting.d
    return all(float(S[i, j]) == (1.0 if i == j else 0.0) for i in range(d) for j in range(d))


def lora_trajectory(spec: Any, setting: Any, *, eta: Any, steps: int, every: int = 1, n: Any = None,
                    level: Any = None, seed: int = 0, init_scale: float | None = None) -> LoraTrajectory:
    """LoRA's path for a rank-constrained spec at a concrete setting (module docstring): rows at
    steps 0, every, 2 every, ..., steps; ``n`` the shots of the few-shot columns (None: n -> oo);
    ``level``: the first *recorded* step at which each column crosses it; ``seed``,
    ``init_scale``: A's start."""
    from numeric.lora import lora_start
    from proofs.quantities import limits as L
    from proofs.quantities.lowrank import _ranked, rank_minimum
    if setting.symbolic:
        raise ValueError("d: a trajectory is followed at a concrete setting; give d (or Sigma, theta0)")
    if setting.sigma2 is None:
        raise ValueError("sigma2: LoRA's path needs a value of sigma^2")
    eta_f = float(eta)
    if not (np.isfinite(eta_f) and eta_f > 0):
        raise ValueError(f"eta: expected a finite number > 0, got {eta!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= L.MAX_NUMERIC_STEPS:
        raise ValueError(f"steps: expected an integer 0 <= steps <= {L.MAX_NUMERIC_STEPS} on LoRA's path (each step "
                         f"is iterated), got {steps!r}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or not 1 <= every <= max(steps, 1):
        raise ValueError(f"every: expected an integer 1 <= every <= steps, got {every!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise ValueError(f"seed: expected an integer 0 <= seed < 2^63, got {seed!r}")
    r = _ranked(spec, setting.d)
    d = setting.d
    shape = _shape(r.block, d)
    scale = 1.0 / np.sqrt(shape[1]) if init_scale is None else float(init_scale)
    _, A0 = lora_start(shape, r.rank, seed, scale)
    opt = rank_minimum(spec, setting, getattr(spec, "name", "spec"))
    recorded = list(range(0, steps + 1, every))
    if recorded[-1] != steps:
        recorded.append(steps)
    nn = sp.oo if n is None else sp.Integer(int(n))
    if reducible(spec, setting, r.rank):
        out = _reduced(spec, setting, r, A0, eta_f, steps, recorded, nn)
    else:
        out = _numeric(spec, setting, r, A0, eta_f, steps, recorded, nn)
    out.label, out.seed, out.init_scale, out.n = getattr(spec, "name", "spec"), seed, scale, n
    # the rank-r optimum, for comparison
    opt_loss = opt.loss()
    errs = {"zero_shot": opt.curve("target", [0]).values[0]}
    tgt, opp = opt.curve("target", [int(nn)] if nn != sp.oo else []), opt.curve("opposite", [int(nn)] if nn != sp.oo else [])
    errs["few_shot_target"] = tgt.values[0] if nn != sp.oo else tgt.limit_value
    errs["few_shot_opposite"] = opp.values[0] if nn != sp.oo else opp.limit_value
    out.optimum = {"loss": opt_loss, **errs}
    out.optimum_method = opt.method
    if out.end:
        out.gap = float(out.end["loss"]) - float(opt_loss)
    if level is not None:
        lv = float(level)
        for c in COLUMNS:
            v = out.values[c]
            side = v[0] > lv if v else None
            out.crossings[c] = next((s for s, x in zip(out.steps, v) if (x > lv) != side), None)
    return out


def _reduced(spec: Any, setting: Any, r: Any, A0: np.ndarray, eta: float, steps: int, recorded: list,
             n: sp.Expr) -> LoraTrajectory:
    """Gradient descent on the reduced scalars (:func:`symbolic.lowrank_path.reduce_rank1`)."""
    from symbolic.lowrank_path import RK, reduce_rank1, start_coordinates
    from symbolic.objective import M, SIGMA_NOISE, THETA0
    from symbolic.words import DIM
    m = setting.m
    R = reduce_rank1(spec, sp.oo if m == sp.oo else M)
    t0 = np.array([float(x) for x in np.asarray(setting.theta0, dtype=object).reshape(-1)])
    z0, w = start_coordinates(r.block, A0[0], t0)
    values = {RK: float(np.linalg.norm(t0)), DIM: setting.d, SIGMA_NOISE: float(sp.sqrt(setting.sigma2))}
    if m != sp.oo:
        values[M] = int(m)
    exprs = {"loss": R.loss, "zero_shot": R.error(THETA0, 0), "few_shot_target": R.error(THETA0, n),
             "few_shot_opposite": R.error(-THETA0, n)}
    fns = {c: R.numeric(e, values)[0] for c, e in exprs.items()}
    _, grad = R.numeric(R.loss, values)
    z = np.array(z0, dtype=float)
    rows: dict[str, list[float]] = {c: [] for c in COLUMNS}
    rec, diverged, want = [], None, set(recorded)
    for t in range(0, steps + 1):
        if t in want:
            rec.append(t)
            for c in COLUMNS:
                rows[c].append(fns[c](z))
        if t == steps:
            break
        z = z - eta * grad(z)
        if not np.all(np.isfinite(z)):
            diverged = t + 1
            break
    out = LoraTrajectory("", r.block, r.rank, ROUTES[0] + f" ({len(R.variables)} scalars: rank 1, Sigma = I, the path "
                         "stays in span(e_0, theta_0, w, e_y) x span(e_0, theta_0, w), w the perp direction of A's start)",
                         eta, rec, rows, None, 0.0, formula=R.loss, variables=R.variables,
                         perp_direction=[float(x) for x in w], diverged_at=diverged)
    if diverged is None:
        out.end = {c: rows[c][-1] for c in COLUMNS}
        out.gradient_norm = float(np.linalg.norm(grad(z)))
    return out


def _numeric(spec: Any, setting: Any, r: Any, A0: np.ndarray, eta: float, steps: int, recorded: list,
             n: sp.Expr) -> LoraTrajectory:
    """Gradient descent on the full factors with exact gradients (:func:`numeric.lora.lora_descent`)."""
    from numeric.lora import lora_descent
    from proofs.quantities import limits as L
    rows_, cols_ = _shape(r.block, setting.d)
    if rows_ * cols_ > L.MAX_TRAINED_ENTRIES:
        raise ValueError(f"d: LoRA's path in the factors needs the loss's Hessian in the block's {rows_ * cols_} "
                         f"entries; expected at most {L.MAX_TRAINED_ENTRIES} (d = {setting.d} is too large here; the "
                         "reduced route, rank 1 at Sigma = I from the pretrained start, has no bound)")
    train = _block_quadratic(spec, setting, r, spec.loss)
    cols = {"loss": train}
    from symbolic.spec import Task, Term
    from symbolic.objective import THETA0
    for c, (nn, task) in {"zero_shot": (sp.S.Zero, THETA0), "few_shot_target": (n, THETA0),
                          "few_shot_opposite": (n, -THETA0)}.items():
        cols[c] = _block_quadratic(spec, setting, r, (Term(sp.S.One, nn, Task(task)),))
    every = recorded[1] - recorded[0] if len(recorded) > 1 else 1
    diverged = None
    try:
        path = lora_descent(train, r.rank, lr=eta, steps=steps, A0=A0, every=every, tol=0.0)
    except FloatingPointError as exc:
        import re
        diverged = int(re.search(r"step (\d+)", str(exc)).group(1))
        path = lora_descent(train, r.rank, lr=eta, steps=diverged - 1, A0=A0, every=every, tol=0.0)
    rows = {c: [q.value(D) for D in path.deltas] for c, q in cols.items()}
    out = LoraTrajectory("", r.block, r.rank, ROUTES[1] + " (gradient descent on the full factors B, A in float64)",
                         eta, [int(s) for s in path.steps], rows, None, 0.0, diverged_at=diverged)
    if diverged is None:
        out.end = {c: rows[c][-1] for c in COLUMNS}
        Gd = train.grad(path.B @ path.A)
        out.gradient_norm = float(np.sqrt(np.sum((Gd @ path.A.T) ** 2) + np.sum((path.B.T @ Gd) ** 2)))
    return out


def _block_quadratic(spec: Any, setting: Any, r: Any, terms: tuple) -> Any:
    """A loss (``terms`` on the spec's trained blocks) as a quadratic in the ranked block's update:
    Kronecker where its Hessian is one, dense otherwise (:class:`numeric.lora.BlockQuadratic`)."""
    from dataclasses import replace
    from numeric.lora import BlockQuadratic
    from symbolic.arithmetic import FLOAT64
    from symbolic.explicit import explicit_quadratic
    from symbolic.lowrank_concrete import NotKronecker, block_layout, kronecker_quadratic
    s = replace(spec, loss=tuple(terms), then=())
    kw = dict(d=setting.d, Sigma=_floats(setting.Sigma), theta0=_floats(setting.theta0), sigma2=setting.sigma2,
              m=setting.m)
    try:
        kq = kronecker_quadratic(s, arithmetic=FLOAT64, block=r.block, **kw)
        return BlockQuadratic.kronecker(kq.H, kq.S, kq.G, kq.L0)
    except NotKronecker:
        q = explicit_quadratic(s.without_ranks(), arithmetic=FLOAT64.name, **kw)
        idx, _, _ = block_layout(r.block, q.d, q.slices)
        P = idx.reshape(-1)
        A = q.A[np.ix_(P, P)].astype(float)
        X0 = q.start[P].astype(float)
        g = q.b[P].astype(float) - A @ X0
        return BlockQuadratic.dense(A, g, idx.shape, float(q.value(q.start)))


def _floats(M: Any) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in (M.tolist() if hasattr(M, "tolist") else M)], dtype=float)
