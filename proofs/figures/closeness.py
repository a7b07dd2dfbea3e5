"""How close trained models come to the derived optima.

Two measures per strategy.

**Parameters.** Only ``v = V[-1, :]`` and the first ``d + 1`` columns of ``Q`` reach
the output (``f = v^T G Q q`` and ``q`` ends in 0), so the comparison is on the
*effective parameters* ``e(V, Q) = (v, Q[:, :d+1])``, a vector of ``(d+2)(d+2)``
numbers. The remaining freedoms are handled as follows:

- the scale ``(V, Q) -> (a V, Q / a)``: the pretrained model is normalised to
  ``V[-1, -1] = 1`` before fine-tuning, and fine-tuned models inherit it; strategy
  ``full`` keeps a free scale ``C`` (``V[-1, x] = C theta_0``, ``Q_00 = 1/C``), which is
  fitted to the trained model (:func:`fit_full_scale`) and passed to the derivation;
- the parameters the derivation lists as free: under the derivation's convention they
  take definite values (those gradient descent leaves them at), so ``distance`` compares
  every effective entry with the derived representative; ``distance_modulo_free`` also
  removes the free directions (their orthogonal projection), so it does not depend on
  the convention. :func:`free_directions` reads the names (see there for the forms).

``distance = |e_trained - e_derived| / |e_derived|``; for fine-tuned models also
``update_distance = |Δ_trained - Δ_derived| / |Δ_derived|`` with ``Δ`` the change from
the (trained, resp. derived) pretrained parameters: how well the fine-tuning *update*
matches, undisturbed by the pretraining's own error.

**Errors.** For each task (``theta0``, ``-theta0``) and each n: the trained model's
Monte Carlo error, the theory's exact error, the relative gap and the z-score
``(trained - theory) / stderr``; and the exact infinitely-many-shot limit of the
trained parameters (:func:`numeric.training.evaluate.limit_error`) against the
theory's limit. A z-score far from 0 with a small relative gap is a real, small
training error (the Monte Carlo is precise), not noise.
"""
from __future__ import annotations

import math
import re
from typing import Any, Sequence

import numpy as np

__all__ = [
    "effective_parameters",
    "free_directions",
    "parameter_distance",
    "fit_full_scale",
    "error_gap",
]


def effective_parameters(V: Any, Q: Any) -> np.ndarray:
    """``e(V, Q) = (V[-1, :], Q[:, :d+1] row by row)``: the entries that reach the output."""
    V = np.asarray(V, dtype=float)
    Q = np.asarray(Q, dtype=float)
    D = V.shape[0]
    return np.concatenate([V[-1, :], Q[:, :D - 1].ravel()])


def _index(d: int, which: str, i: int, j: int) -> int:
    """Position of ``V[-1, j]`` (which='v', i ignored) or ``Q[i, j]`` (j <= d) in e(V, Q)."""
    D = d + 2
    if which == "v":
        return j % D
    return D + (i % D) * (D - 1) + j


def free_directions(free: Sequence[str], d: int) -> tuple[np.ndarray, list[str]]:
    """Directions in effective-parameter space that the derivation names as free.

    Recognised names (spaces ignored; the derivation's wording in ``symbolic.strategies``):

    - a name starting with ``v_y`` or ``V[-1,-1]``: the entry ``v_y``;
    - ``Q[y, 0]``, ``Q[y, x]``, ``last row of Q``: ``Q[d+1, 0..d]``;
    - ``Q[0, x] - Q[x, 0]^T``: ``Q[0, j] - Q[j, 0]`` for j = 1..d;
    - ``antisymmetric part of Q[x, x]``: ``Q[i, j] - Q[j, i]`` for 1 <= i < j <= d;
    - names that concern no effective entry (``V[0:d+1, :]``, ``Q[:, d+1]``) or the scale
      (``C``, ``the scale ...``, handled by normalisation) contribute nothing.

    Returns an orthonormal basis (rows) of their span and the names not understood.
    """
    D = d + 2
    P = D + D * (D - 1)
    dirs: list[np.ndarray] = []
    unparsed: list[str] = []

    def unit(*pairs: tuple[int, float]) -> np.ndarray:
        u = np.zeros(P)
        for k, c in pairs:
            u[k] += c
        return u

    for name in free:
        s = re.sub(r"\s+", "", str(name)).lower()
        hit = False
        if s.startswith("v_y") or s.startswith("v[-1,-1]"):
            dirs.append(unit((_index(d, "v", 0, D - 1), 1.0)))
            hit = True
        if "q[y,0]" in s or "q[y,x]" in s or "lastrowofq" in s:
            for j in range(D - 1):
                dirs.append(unit((_index(d, "q", D - 1, j), 1.0)))
            hit = True
        if "q[0,x]-q[x,0]" in s:
            for j in range(1, d + 1):
                dirs.append(unit((_index(d, "q", 0, j), 1.0), (_index(d, "q", j, 0), -1.0)))
            hit = True
        if "antisymmetricpartofq[x,x]" in s:
            for i in range(1, d + 1):
                for j in range(i + 1, d + 1):
                    dirs.append(unit((_index(d, "q", i, j), 1.0), (_index(d, "q", j, i), -1.0)))
            hit = True
        if s.startswith("v[0:d+1") or s.startswith("q[:,d+1]") or s.startswith("c(") or s == "c" \
                or s.startswith("thescale"):
            hit = True
        if not hit:
            unparsed.append(str(name))
    if not dirs:
        return np.zeros((0, P)), unparsed
    A = np.array(dirs)
    U, sv, Vt = np.linalg.svd(A, full_matrices=False)
    return Vt[sv > 1e-12 * sv.max()], unparsed


def _rel(diff: np.ndarray, ref: np.ndarray) -> float:
    den = float(np.linalg.norm(ref))
    return float(np.linalg.norm(diff)) / den if den > 0 else (0.0 if not np.any(diff) else math.inf)


def parameter_distance(V: Any, Q: Any, V_ref: Any, Q_ref: Any, *, free: Sequence[str] = (),
                       V_start: Any = None, Q_start: Any = None, V_ref_start: Any = None,
                       Q_ref_start: Any = None) -> dict:
    """Relative distances of trained ``(V, Q)`` from the derived ``(V_ref, Q_ref)`` (see the module docstring).

    With the starting points (trained and derived pretrained parameters) also the
    distance of the fine-tuning update.
    """
    e = effective_parameters(V, Q)
    r = effective_parameters(V_ref, Q_ref)
    d = np.asarray(V, dtype=float).shape[0] - 2
    D = d + 2
    basis, unparsed = free_directions(free, d)

    def perp(x: np.ndarray) -> np.ndarray:
        return x - basis.T @ (basis @ x) if basis.shape[0] else x

    out = {
        "distance": _rel(e - r, r),
        "distance_v": _rel((e - r)[:D], r[:D]),
        "distance_Q": _rel((e - r)[D:], r[D:]),
        "distance_modulo_free": _rel(perp(e - r), perp(r)),
        "free": [str(f) for f in free],
        "free_unparsed": unparsed,
    }
    if V_start is not None and V_ref_start is not None:
        de = e - effective_parameters(V_start, Q_start)
        dr = r - effective_parameters(V_ref_start, Q_ref_start)
        out["update_distance"] = _rel(de - dr, dr)
        out["update_distance_modulo_free"] = _rel(perp(de - dr), perp(dr))
    return out


def fit_full_scale(V: Any, Q: Any, theta0: Any) -> float:
    """Strategy ``full``'s scale ``C`` of a trained model: ``V[-1, x] ~ C theta_0`` and ``Q_00 ~ 1/C``.

    The geometric mean of the two estimates ``v_x . theta_0 / |theta_0|^2`` and ``1 / Q_00``
    when both are positive (the balanced fit), else the first.
    """
    V = np.asarray(V, dtype=float)
    Q = np.asarray(Q, dtype=float)
    theta0 = np.asarray(theta0, dtype=float)
    d = theta0.shape[0]
    c1 = float(V[-1, 1:d + 1] @ theta0 / (theta0 @ theta0))
    q00 = float(Q[0, 0])
    if c1 > 0 and q00 > 0:
        return math.sqrt(c1 / q00)
    return c1


def error_gap(ns: Sequence[int], trained: Sequence[float], stderr: Sequence[float],
              theory: Sequence[float], *, exact: Sequence[float] | None = None,
              limit_trained: float | None = None, limit_theory: float | None = None) -> dict:
    """Per-n relative gaps ``(trained - theory) / theory`` and z-scores, with their largest sizes.

    ``exact``: the trained model's exact errors (``numeric.fast.moment_error``); then also
    ``rel_gap_exact``, the gap free of Monte Carlo noise.
    """
    t = np.asarray(trained, dtype=float)
    s = np.asarray(stderr, dtype=float)
    th = np.asarray(theory, dtype=float)
    rel = (t - th) / th
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (t - th) / s, np.where(t == th, 0.0, np.inf))
    out = {
        "n": [int(n) for n in ns],
        "trained": t.tolist(),
        "stderr": s.tolist(),
        "theory": th.tolist(),
        "rel_gap": rel.tolist(),
        "z": z.tolist(),
        "max_abs_rel_gap": float(np.max(np.abs(rel))),
        "rms_rel_gap": float(np.sqrt(np.mean(rel ** 2))),
        "max_abs_z": float(np.max(np.abs(z))),
    }
    if exact is not None:
        ex = np.asarray(exact, dtype=float)
        rex = (ex - th) / th
        out["trained_exact"] = ex.tolist()
        out["rel_gap_exact"] = rex.tolist()
        out["max_abs_rel_gap_exact"] = float(np.max(np.abs(rex)))
    if limit_trained is not None and limit_theory is not None:
        out["limit_trained"] = float(limit_trained)
        out["limit_theory"] = float(limit_theory)
        out["limit_rel_gap"] = float((limit_trained - limit_theory) / limit_theory)
    return out
