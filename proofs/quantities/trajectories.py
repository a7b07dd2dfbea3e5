r"""Fine-tuning dynamics in closed form: the gradient-descent path of a quadratic strategy.

Convention (docs/cli.md, ``trajectory``): gradient descent on the trained blocks' entries u,

    u_{t+1} = u_t - eta * grad L(u_t),        L(u) = u^T A u - 2 b^T u + c

(L the strategy's or spec's loss exactly as defined: mean squared error, no factor 1/2, so
the Hessian is H = 2A), from the start u_0 (the pretrained parameters unless the spec says
otherwise).  With ``g_0 = grad L(u_0)`` and the spectral decomposition of H,

    u_t  = u_* + sum_h (1 - eta h)^t w_h,          w_h = P_h g_0 / h,
    u(tau) = u_* + sum_h exp(-tau h) w_h           (gradient flow, tau = eta t),
    u_*  = u_0 - sum_h w_h,

the sum over H's non-zero eigenvalues h (P_h the projector on the eigenspace).  The
component of u_0 in H's null space never moves: that is why gradient descent leaves every
free block at its start value, and ``u_*`` (the limit t -> oo for 0 < eta < 2/h_max) is the
minimiser nearest the start.  Any error E(u) that is quadratic in u (the zero-shot and n-shot
errors on any task are) is then an exact function of t:

    E(t) = E(u_*) + sum_h beta_h r_h^t + sum_{h,h'} Gamma_{hh'} (r_h r_{h'})^t,
    r_h = 1 - eta h,  beta_h = grad E(u_*)^T w_h,  Gamma_{hh'} = w_h^T A_E w_{h'}.

Exact where H's eigenvalues are rational (then the formula holds with eta symbolic), float64
otherwise; one eigendecomposition, the cost per recorded step is the number of modes squared.

Two-stage specs (strategy (d)): stage 1 is gradient descent on the first loss (rows 0..T);
stage 2 starts at stage 1's limit (the first loss's minimiser nearest the start, the point the
derivation calls stage 1's) and runs gradient descent on the second loss *projected* on the
null space of the first loss's Hessian (moves that keep the first loss at its minimum: the
set the derivation minimises over), T more steps (rows T..2T).  Stage 2 is again a quadratic
flow, with H replaced by P H_2 P (P the projector), so the same closed form holds.

Each stage has its own step: the two Hessians' curvatures differ by a large factor (at
Sigma = I, d = 5, n_ft = oo: h_max = 126 in stage 1, 2 in stage 2), so one eta that is stable
in stage 1 barely moves stage 2.  Stage 2's step ``eta_2`` is the user's or, by default, the
same fraction of its stable range as eta is of stage 1's: ``eta_2 = eta h_max,1 / h_max,2``
(exact where both are).  The formulas of stage 2 are in the symbol ``eta_2``.

``path="mixed"`` (strategy (d) only) is the one-stage alternative: plain gradient descent on
``E(0; theta_0) + lambda E(n_ft; theta_0)`` from the pretrained parameters (the frontier's loss,
:func:`proofs.quantities.frontier.tradeoff_spec`), whose limit is the mixed loss's minimiser
nearest the start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["Modes", "modes", "Path", "TrajectoryRow", "Trajectory", "trajectory", "error_quadratics",
           "stable_range", "stage_steps", "COLUMNS", "ETA", "ETA2", "STEP", "PATHS"]

#: the error columns, in order
COLUMNS = ("zero_shot", "few_shot_target", "few_shot_opposite")
#: symbols of the closed forms: the step size and the step
ETA = sp.Symbol("eta", positive=True)
STEP = sp.Symbol("t", integer=True, nonnegative=True)
#: the step of a second stage
ETA2 = sp.Symbol("eta_2", positive=True)
#: the paths of strategy (d): the derivation's two stages, or plain descent on the mixed loss
PATHS = ("staged", "mixed")
#: an unstable run is reported up to the first step at which an error exceeds this factor times
#: the largest error at step 0
DIVERGENCE_FACTOR = 10**6


# ----------------------------------------------------------------------------- spectral data

@dataclass
class Modes:
    """``u_t = u_star + sum_k r_k^t w[:, k]``, ``r_k = 1 - eta h[k]``: the eigenvalues ``h`` (of
    the Hessian, or of the projected Hessian in a stage 2) with a non-zero component of the
    start, their directions ``w`` (columns), the limit ``u_star`` and the start ``u0``.
    ``exact``: SymPy numbers (object arrays), else float64. ``h_max``: H's largest eigenvalue
    (over every mode, also those the start does not excite), exact where possible."""

    h: list
    w: np.ndarray
    u_star: np.ndarray
    u0: np.ndarray
    exact: bool
    h_max: Any
    names: tuple = ()


def _sym(M: np.ndarray) -> sp.Matrix:
    return sp.Matrix(M.tolist())


def _exact_eigen(S: sp.Matrix) -> list[tuple[sp.Rational, sp.Matrix]] | None:
    """Non-zero eigenvalues and eigenspace projectors of the symmetric rational S, or None when an
    eigenvalue is irrational."""
    from sympy.polys.matrices import DomainMatrix
    lam = sp.Symbol("lam")
    poly = S.charpoly(lam)
    rational = all(x.is_Rational for x in S)
    # at a rational S factored as the polynomial it is (sympy.factor_list of its expression gives the
    # same factors in the same order, after rebuilding the polynomial from the expression)
    _, factors = sp.factor_list(poly) if rational else sp.factor_list(poly.as_expr(), lam)
    out = []
    for f, _mult in factors:
        P = sp.Poly(f, lam)
        if P.degree() != 1:
            return None
        root = -P.all_coeffs()[1] / P.all_coeffs()[0]
        if root == 0:
            continue
        # the projector on the eigenspace N (N^T N)^-1 N^T, over QQ where S is rational: it does not
        # depend on the basis N
        if rational:
            N = DomainMatrix.from_Matrix(S - root * sp.eye(S.shape[0])).convert_to(sp.QQ).nullspace().transpose()
            out.append((_exact_number(root), (N * (N.transpose() * N).inv() * N.transpose()).to_Matrix()))
            continue
        Nm = sp.Matrix.hstack(*(S - root * sp.eye(S.shape[0])).nullspace())
        out.append((_exact_number(root), Nm * (Nm.T * Nm).inv() * Nm.T))
    return out


def _exact_number(x: Any) -> sp.Expr:
    """An exact SymPy number as it is (``nsimplify`` would turn a long rational such as
    242441/291600 into a product of irrational powers equal to it to 15 digits); floats read as
    the rationals they are."""
    x = sp.sympify(x)
    # without a Float anywhere nsimplify(x, rational=True) has nothing to replace and returns x itself
    # (an expression in symbols too: the coefficients of a path derived with sigma^2 a symbol)
    return x if x.is_Rational or not x.is_Float and not x.atoms(sp.Float) else sp.nsimplify(x, rational=True)


def _lambda_max_exact(S: sp.Matrix) -> sp.Expr:
    lam = sp.Symbol("lam")
    roots = sp.Poly(S.charpoly(lam).as_expr(), lam).real_roots()
    return max(roots) if roots else sp.S.Zero


def modes(A: np.ndarray, b: np.ndarray, u0: np.ndarray, *, projector: np.ndarray | None = None,
          exact: bool = True, names: tuple = ()) -> Modes:
    """The spectral data of gradient descent on ``u^T A u - 2 b^T u`` from ``u0`` (optionally with
    the gradient projected by the orthogonal projector ``projector``)."""
    if exact:
        H = 2 * _sym(A)
        P = _sym(projector) if projector is not None else None
        S = P * H * P if P is not None else H
        g0 = H * _sym(u0.reshape(-1, 1)) - 2 * _sym(b.reshape(-1, 1))
        if P is not None:
            g0 = P * g0
        eig = _exact_eigen(S)
        if eig is not None:
            hs, ws = [], []
            covered = sp.zeros(*g0.shape)
            for h, Ph in eig:
                v = Ph * g0
                covered += v
                if any(x != 0 for x in v):
                    hs.append(h)
                    ws.append(v / h)
            if covered != g0:
                raise ValueError("the loss has no minimiser on the set gradient descent explores "
                                 "(its gradient has a component in the Hessian's null space)")
            w = np.array([[x for x in col] for col in ws], dtype=object).T if ws else np.zeros((len(u0), 0), dtype=object)
            u_star = np.array([x for x in _sym(u0.reshape(-1, 1)) - sum((sp.Matrix(c) for c in ws), sp.zeros(len(u0), 1))],
                              dtype=object)
            h_max = max((h for h, _ in eig), default=sp.S.Zero)
            return Modes(hs, w, u_star, u0.copy(), True, h_max, names)
        # irrational eigenvalues: floats for the path, the largest eigenvalue exactly
        h_max = _lambda_max_exact(S)
        fm = modes(A.astype(float), b.astype(float), u0.astype(float),
                   projector=None if projector is None else projector.astype(float), exact=False, names=names)
        fm.h_max = h_max
        # the limit exactly all the same: u_* = u_0 - S^+ g_0 (S^+ by a rank factorisation, exact)
        fm.u_star = np.array(list(_sym(u0.reshape(-1, 1)) - S.pinv() * g0), dtype=object)
        fm.u0 = u0.copy()
        return fm
    A = np.asarray(A, dtype=float)
    u0 = np.asarray(u0, dtype=float)
    projector = None if projector is None else np.asarray(projector, dtype=float)
    H = 2 * A
    g0 = H @ u0 - 2 * np.asarray(b, dtype=float)
    if projector is not None:
        g0 = projector @ g0

    def matvec(v: np.ndarray) -> np.ndarray:
        return H @ v if projector is None else projector @ (H @ (projector @ v))
    fast = _krylov_modes(matvec, g0, u0, len(u0))
    if fast is not None:
        return Modes(*fast, names=names)
    S = H if projector is None else projector @ H @ projector
    vals, vecs = np.linalg.eigh((S + S.T) / 2)
    scale = max(float(np.abs(vals).max(initial=0.0)), 1e-300)
    coef = vecs.T @ g0
    hs, ws = [], []
    # group (numerically) equal eigenvalues into one mode each: the path needs one direction
    # per distinct eigenvalue, which keeps the cost per step at (number of distinct modes)^2
    order = np.argsort(vals)
    i = 0
    gnorm = float(np.linalg.norm(g0)) or 1.0
    while i < len(order):
        j = i
        while j + 1 < len(order) and vals[order[j + 1]] - vals[order[i]] <= 1e-9 * scale:
            j += 1
        idx = order[i:j + 1]
        h = float(np.mean(vals[idx]))
        if h > 1e-12 * scale:
            v = vecs[:, idx] @ coef[idx]
            if np.linalg.norm(v) > 1e-15 * gnorm:
                hs.append(h)
                ws.append(v / h)
        i = j + 1
    w = np.array(ws).T if ws else np.zeros((len(u0), 0))
    u_star = u0 - w.sum(axis=1)
    return Modes(hs, w, u_star, np.asarray(u0, dtype=float).copy(), False, float(vals.max(initial=0.0)), names)


def _lanczos(matvec, v0: np.ndarray, maxit: int, tol: float):
    """Lanczos with full reorthogonalisation from ``v0``: (T's eigenvalues, Ritz vectors, residual
    bounds, invariant) -- ``invariant`` when the Krylov space closed (its last beta below ``tol``)."""
    nrm = float(np.linalg.norm(v0))
    Qs, alphas, betas = [v0 / nrm], [], []
    invariant = False
    for _ in range(maxit):
        q = Qs[-1]
        w = matvec(q)
        a = float(q @ w)
        alphas.append(a)
        Qm = np.array(Qs)
        for _ in range(2):
            w = w - Qm.T @ (Qm @ w)
        bnorm = float(np.linalg.norm(w))
        if bnorm <= tol:
            invariant = True
            break
        betas.append(bnorm)
        if len(Qs) == maxit:
            break
        Qs.append(w / bnorm)
    k = len(alphas)
    T = np.diag(alphas) + np.diag(betas[:k - 1], 1) + np.diag(betas[:k - 1], -1)
    theta, Y = np.linalg.eigh(T)
    last = 0.0 if invariant else betas[k - 1] if len(betas) >= k else 0.0
    return theta, np.array(Qs[:k]).T @ Y, np.abs(last * Y[-1, :]), invariant, Y, nrm


def _krylov_modes(matvec, g0: np.ndarray, u0: np.ndarray, p: int):
    """The modes the start excites, from the Krylov space of (S, g_0) (it holds the whole path), and
    the largest eigenvalue of S from a second Krylov space (deterministic start), with a residual
    bound added so that 2/h_max never overstates the stable range.  None when either space does
    not close quickly (then a full eigendecomposition is used)."""
    maxit = min(p, 200)
    scale = float(np.linalg.norm(matvec(np.ones(p) / np.sqrt(p)))) + float(np.linalg.norm(g0))
    if float(np.linalg.norm(g0)) == 0:
        hs, ws = [], []
    else:
        theta, V, _, invariant, Y, nrm = _lanczos(matvec, g0, maxit, 1e-13 * scale)
        if not invariant:
            return None
        hs, ws = [], []
        top = max(float(np.abs(theta).max(initial=0.0)), 1e-300)
        for i, h in enumerate(theta):
            if h > 1e-10 * top:
                coef = nrm * Y[0, i]                      # P_h g0 = (v_h . g0) v_h, v_h = V[:, i]
                if abs(coef) > 1e-14 * nrm:
                    hs.append(float(h))
                    ws.append(V[:, i] * coef / h)
    rng = np.random.default_rng(0)
    theta, _, res, invariant, _, _ = _lanczos(matvec, rng.standard_normal(p), maxit, 1e-13 * scale)
    i = int(np.argmax(theta))
    if not invariant and res[i] > 1e-9 * max(theta[i], 1e-300):
        return None
    h_max = float(theta[i] + res[i])
    w = np.array(ws).T if ws else np.zeros((p, 0))
    return hs, w, u0 - w.sum(axis=1), u0.copy(), False, h_max


def stable_range(m: Modes) -> sp.Expr:
    """``2 / h_max``: gradient descent converges for ``0 < eta < 2/h_max`` (exact when ``h_max``
    is), diverges above (when the start excites the top mode)."""
    return sp.S(2) / m.h_max if m.h_max != 0 else sp.oo


# ----------------------------------------------------------------------------- errors along a path

@dataclass
class Path:
    """One error along one stage: ``E(t) = alpha + sum beta_k r_k^t + sum Gamma_kl (r_k r_l)^t``."""

    alpha: Any
    beta: list
    Gamma: Any

    @staticmethod
    def of(q: Any, m: Modes) -> "Path":
        """The path of the quadratic error ``q`` (an :class:`symbolic.explicit.ExplicitQuadratic`)."""
        if m.exact and q.arith.exact:
            A = _sym(q.A)
            us = _sym(m.u_star.reshape(-1, 1))
            grad = 2 * (A * us - _sym(q.b.reshape(-1, 1)))
            W = _sym(m.w) if m.w.shape[1] else sp.zeros(len(m.u_star), 0)
            alpha = q.value(m.u_star)
            beta = list(W.T * grad) if W.shape[1] else []
            Gamma = W.T * A * W if W.shape[1] else sp.zeros(0, 0)
            return Path(_exact_number(alpha), beta, Gamma)
        A = np.asarray(q.A, dtype=float)
        us = np.asarray(m.u_star, dtype=float)
        W = np.asarray(m.w, dtype=float)
        grad = 2 * (A @ us - np.asarray(q.b, dtype=float))
        alpha = float(us @ A @ us - 2 * np.asarray(q.b, dtype=float) @ us + float(q.c))
        return Path(alpha, list(W.T @ grad), W.T @ A @ W)

    def formula(self, m: Modes, eta: Any = ETA, t: Any = STEP, flow: bool = False) -> sp.Expr:
        """``E`` as a SymPy expression in eta and t (``flow``: in tau = t, exp(-tau h))."""
        r = [sp.exp(-t * h) if flow else (1 - eta * h) ** t for h in m.h]
        out = self.alpha + sum((b * rk for b, rk in zip(self.beta, r)), sp.S.Zero)
        k = len(r)
        for i in range(k):
            for j in range(k):
                g = self.Gamma[i, j]
                if g != 0:
                    out += g * (sp.exp(-t * (m.h[i] + m.h[j])) if flow else ((1 - eta * m.h[i]) * (1 - eta * m.h[j])) ** t)
        return out

    def values(self, powers: np.ndarray) -> np.ndarray:
        """E at the rows of ``powers`` (``powers[s, k] = r_k^{t_s}``), float64."""
        beta = np.asarray([float(x) for x in self.beta], dtype=float)
        G = np.asarray(np.array(self.Gamma.tolist() if isinstance(self.Gamma, sp.MatrixBase) else self.Gamma,
                                dtype=float)).reshape(len(beta), len(beta))
        if powers.shape[1] == 0:
            return np.full(powers.shape[0], float(self.alpha))
        return float(self.alpha) + powers @ beta + np.einsum("sk,kl,sl->s", powers, G, powers)


def _powers(m: Modes, eta: float, steps: np.ndarray, flow: bool) -> np.ndarray:
    h = np.asarray([float(x) for x in m.h], dtype=float)
    if flow:
        return np.exp(-np.outer(steps * eta, h))
    r = 1.0 - eta * h
    with np.errstate(over="ignore", invalid="ignore"):
        return np.power.outer(r, steps.astype(float)).T if len(h) else np.zeros((len(steps), 0))


# ----------------------------------------------------------------------------- the trajectory

@dataclass
class TrajectoryRow:
    step: int
    stage: int
    values: dict


@dataclass
class Trajectory:
    """The recorded rows, the end point, the stable range and what the run did."""

    label: str
    eta: Any
    steps: int
    every: int
    flow: bool
    n: Any
    rows: list[TrajectoryRow]
    columns: tuple
    eta_max: list                     # per stage: 2/h_max, exact where possible
    stable: bool                      # every stage's step inside its stable range
    diverged_at: int | None = None    # first step at which an error exceeds the bound
    bound: float | None = None
    end: dict = field(default_factory=dict)   # name -> value at the last step
    limit: dict = field(default_factory=dict)  # name -> value of u_* (t -> oo)
    formulas: dict = field(default_factory=dict)  # column -> [per stage: SymPy expression in eta, t]
    crossings: dict = field(default_factory=dict)
    exact: bool = False
    notes: list = field(default_factory=list)
    stages: list = field(default_factory=list)   # per stage: (Modes, {column: Path}, quadratic)
    etas: list = field(default_factory=list)     # per stage: the step it used
    eta_source: str = "given"                    # stage 2's step: "given" or "scaled" (same fraction of its range)
    converges: bool = True                       # every excited mode contracts (|1 - eta h| < 1) or flow
    path: str = "staged"                         # strategy (d): "staged" (the derivation's) or "mixed"
    lam: Any = None                              # path "mixed": the weight of the few-shot loss
    construction: str = ""                       # what the path is, in words (the header says it)


def error_quadratics(spec: Any, *, n: Any, task: Any = None, env: dict, stage_start: Any = None,
                     arithmetic: Any = "exact") -> dict:
    """``{column: ExplicitQuadratic}``: the zero-shot error on theta_0, the n-shot errors on theta_0
    and -theta_0 (and on ``task``, a d x 1 MatrixSymbol bound in ``env['values']``), as quadratics
    in the spec's trained entries."""
    from symbolic.explicit import explicit_quadratic
    nn = sp.oo if n is None else sp.Integer(n)
    cols = {"zero_shot": (1, 0, "target"), "few_shot_target": (1, nn, "target"),
            "few_shot_opposite": (1, nn, "opposite")}
    if task is not None:
        cols["task"] = (1, nn, task)
    # the spec's given vectors and matrices (an explicit start's blocks among them) bound as for the spec itself
    values = {**dict(getattr(spec, "bindings", ()) or ()), **(env.get("values") or {})}
    rest = {k: v for k, v in env.items() if k != "values"}
    out = {}
    for col, term in cols.items():
        out[col] = explicit_quadratic([term], spec.train, start=spec.start, arithmetic=arithmetic, values=values,
                                      **rest)
    return out


def _is_depth(question: Any) -> bool:
    from symbolic.depth_spec import DepthSpec
    return isinstance(question, DepthSpec)


def _depth_quadratics(spec: Any, setting: Any, env: dict, n: Any, task: Any, arithmetic: Any) -> tuple:
    """A depth spec's loss per stage and its error columns as explicit quadratics in the trained
    entries (:func:`symbolic.depth_explicit.depth_explicit_quadratic`), from the pretrained class
    model at the setting's m; float64 where a pretrained gamma_l is irrational (exact spectral
    data need rational entries), said so in the returned note."""
    from symbolic.arithmetic import FLOAT64
    from symbolic.depth_explicit import depth_explicit_quadratic
    from symbolic.depth_finetune import start_gammas
    from symbolic.spec import make_term
    gammas = start_gammas(spec.layers, setting.m, setting.d, env["sigma2"])
    note = ("depth L = %d: the pretrained class model's gamma_l = %s (the class's pretraining optimum at Sigma = I, "
            "m = %s)" % (spec.layers, ", ".join(sp.sstr(g) for g in gammas), sp.sstr(setting.m)))
    if arithmetic.exact and not all(sp.sympify(g).is_Rational for g in gammas):
        arithmetic = FLOAT64
        note += "; irrational, so the spectral data are float64"
        gammas = [sp.Float(sp.N(g, 30), 30) for g in gammas]
    common = dict(gammas=gammas, d=env["d"], Sigma=env["Sigma"], theta0=env["theta0"], sigma2=env["sigma2"],
                  values=env["values"], arithmetic=arithmetic, cache=env["cache"])

    def quadratic(stage: str) -> Any:
        return depth_explicit_quadratic(spec, stage=stage, **common)
    nn = sp.oo if n is None else sp.Integer(n)
    cols = {"zero_shot": (1, 0, "target"), "few_shot_target": (1, nn, "target"),
            "few_shot_opposite": (1, nn, "opposite")}
    if task is not None:
        cols["task"] = (1, nn, task)
    errs = {c: depth_explicit_quadratic(spec, terms=[make_term(t)], **common) for c, t in cols.items()}
    return quadratic, errs, arithmetic, note


def as_spec(strategy: Any, n_ft: Any, path: str = "staged", lam: Any = None):
    """The spec of a strategy with a closed-form path (``value``, ``value-fewshot`` at n_ft, any
    quadratic spec); NotImplementedError for the others.  ``path="mixed"`` (value-fewshot only):
    the one-stage spec of E(0; theta_0) + ``lam`` E(n_ft; theta_0)."""
    from symbolic.spec import Spec
    from symbolic.strategies import value_fewshot_spec, value_spec
    from proofs.quantities.setting import resolve
    if path not in PATHS:
        raise ValueError(f"path: expected one of {', '.join(PATHS)}, got {path!r}")
    if _is_depth(strategy):
        if path != "staged" or lam is not None:
            raise ValueError("path: a depth spec follows its own loss(es); give no path 'mixed' or lam")
        return strategy
    name = None if isinstance(strategy, Spec) else resolve(strategy)
    if path == "mixed":
        if name != "value-fewshot":
            raise ValueError("path: 'mixed' is strategy value-fewshot's alternative path (plain gradient descent on "
                             f"E(0) + lambda E(n_ft)); got {'a spec' if name is None else 'strategy ' + name}")
        if lam is None or isinstance(lam, bool):
            raise ValueError("lam: path 'mixed' needs the weight lambda of the few-shot loss, a finite number >= 0")
        lv = sp.nsimplify(lam) if not isinstance(lam, sp.Basic) else lam
        if not (lv.is_real and lv.is_finite and lv >= 0):
            raise ValueError(f"lam: expected a finite number >= 0, got {lam!r}")
        from proofs.quantities.frontier import tradeoff_spec
        return tradeoff_spec(sp.oo if n_ft is None else sp.Integer(n_ft), lv)
    if lam is not None:
        raise ValueError("lam: only with path 'mixed'")
    if isinstance(strategy, Spec):
        return strategy
    if name == "value":
        return value_spec()
    if name == "value-fewshot":
        return value_fewshot_spec(sp.oo if n_ft is None else sp.Integer(n_ft))
    raise NotImplementedError(f"strategy {name}: its loss is not quadratic in what it trains; "
                              "its trajectory is numeric (proofs.quantities.trajectories.numeric_trajectory)")


def _nullspace_projector(A: np.ndarray, exact: bool) -> np.ndarray:
    if exact:
        N = _sym(A).nullspace()
        if not N:
            return np.zeros(A.shape, dtype=object)
        Nm = sp.Matrix.hstack(*N)
        P = Nm * (Nm.T * Nm).inv() * Nm.T
        return np.array(P.tolist(), dtype=object)
    vals, vecs = np.linalg.eigh(np.asarray(A, dtype=float))
    keep = vals <= 1e-10 * max(float(np.abs(vals).max(initial=0)), 1e-300)
    B = vecs[:, keep]
    return B @ B.T


def stage_steps(eta: Any, eta_max: list, eta2: Any = None) -> tuple[list, str]:
    """``([eta per stage], source)``: stage 1 runs at ``eta``; a stage 2 at ``eta2`` when given
    (source ``"given"``), else at the same fraction of its stable range as eta is of stage 1's,
    ``eta * eta_max[1] / eta_max[0]`` (source ``"scaled"``; eta itself where a range is infinite:
    no curvature)."""
    if len(eta_max) < 2:
        return [eta], "given"
    if eta2 is not None:
        return [eta, eta2], "given"
    a, b = sp.sympify(eta_max[0]), sp.sympify(eta_max[1])
    if a == sp.oo or b == sp.oo:
        return [eta, eta], "scaled"
    if a.is_Rational and b.is_Rational and sp.sympify(eta).is_Rational:
        return [eta, sp.sympify(eta) * b / a], "scaled"
    # an irrational range: the ratio in float64, read back as the rational it is
    return [eta, sp.Rational(float(eta) * float(b) / float(a))], "scaled"


def trajectory(strategy: Any, setting: Any, *, eta: Any, steps: int, every: int = 1, flow: bool = False,
               n: Any = None, task: Any = None, level: Any = None, eta2: Any = None, path: str = "staged",
               lam: Any = None) -> Trajectory:
    """The closed-form gradient-descent path of a quadratic strategy or spec at a concrete setting
    (a :class:`proofs.quantities.setting.Setting`; its n_ft the auxiliary shots of strategy (d)).

    ``eta`` > 0 (step), ``steps`` T >= 0, rows at 0, K, 2K, ..., T (``every`` K; T is always a row),
    ``flow``: gradient flow at time tau = eta t instead; ``n``: the shots of the few-shot columns
    (None: n -> oo); ``task``: a further evaluation task (d numbers); ``level``: report the first
    step at which each error crosses it.  The setting's arithmetic: exact (float rows from exact
    spectral data where the eigenvalues are rational) or float64.

    Two stages (strategy (d)): ``eta2`` is stage 2's step (None: the same fraction of stage 2's
    stable range as ``eta`` is of stage 1's, :func:`stage_steps`).  ``path="mixed"`` with ``lam``
    (strategy (d) only): one stage of plain gradient descent on E(0) + lam E(n_ft)."""
    from symbolic.arithmetic import EXACT, FLOAT64
    from proofs.quantities import limits as L
    if setting.symbolic:
        raise ValueError("d: a trajectory is followed at a concrete setting; give d (or Sigma, theta0)")
    if setting.arith not in (EXACT, FLOAT64):
        raise ValueError(f"arithmetic: a trajectory's spectral data are exact or float64, not {setting.arith.label()}")
    arithmetic = setting.arith
    n_ft = None if setting.n_ft == sp.oo else int(setting.n_ft)
    eta_v = sp.nsimplify(eta) if not isinstance(eta, sp.Basic) else eta
    if not (eta_v.is_real and eta_v.is_finite and eta_v > 0):
        raise ValueError(f"eta: expected a finite number > 0, got {eta!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, sp.Integer)) or steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps!r}")
    if steps > L.MAX_STEPS:
        raise ValueError(f"steps: expected at most {L.MAX_STEPS} (proofs.quantities.limits.MAX_STEPS), got {steps}")
    if isinstance(every, bool) or not isinstance(every, (int, sp.Integer)) or every < 1:
        raise ValueError(f"every: expected an integer >= 1, got {every!r}")
    if every > max(steps, 1):
        raise ValueError(f"every: expected at most steps ({steps}), got {every}")
    spec = as_spec(strategy, n_ft, path, lam)
    two = bool(spec.then)
    if eta2 is not None:
        if not two:
            raise ValueError("eta2: only a two-stage path (strategy value-fewshot, path staged) has a second stage")
        eta2 = sp.nsimplify(eta2) if not isinstance(eta2, sp.Basic) else eta2
        if not (eta2.is_real and eta2.is_finite and eta2 > 0):
            raise ValueError(f"eta2: expected a finite number > 0, got {eta2!r}")
    if (steps // every + 1) * (2 if two else 1) > L.MAX_ROWS:
        raise ValueError(f"every: steps/every + 1 rows expected at most {L.MAX_ROWS}, got {steps // every + 1}")
    from symbolic.explicit import explicit_quadratic
    exact = setting.arith.exact
    values = {}
    task_sym = None
    if task is not None:
        task_sym = sp.MatrixSymbol("theta_task", sp.Symbol("d", integer=True, positive=True), 1)
        values["theta_task"] = sp.Matrix(task) if exact else np.asarray(task, dtype=float).reshape(-1, 1)
    env = dict(d=setting.d, Sigma=setting.Sigma, theta0=setting.theta0,
               sigma2=0 if setting.sigma2 is None else setting.sigma2, m=setting.m, values=values, cache={})
    depth_note = None
    if _is_depth(spec):   # the depth-L class model's loss (symbolic.depth_explicit)
        quadratic, errs, arithmetic, depth_note = _depth_quadratics(spec, setting, env, n, task_sym, arithmetic)
        exact = arithmetic.exact
        train_q = quadratic("loss")
    else:
        def quadratic(stage: str) -> Any:
            return explicit_quadratic(spec, arithmetic=arithmetic, stage=stage, **env)
        train_q = quadratic("loss")
        errs = error_quadratics(spec, n=n, task=task_sym, env=env, arithmetic=arithmetic)
    cols = tuple(errs)
    m1 = modes(train_q.A, train_q.b, train_q.start, exact=exact, names=train_q.names)
    stages = [(m1, {c: Path.of(q, m1) for c, q in errs.items()}, train_q)]
    if two:
        q2 = quadratic("then")
        P = _nullspace_projector(train_q.A, exact)
        m2 = modes(q2.A, q2.b, m1.u_star, projector=P, exact=exact, names=train_q.names)
        stages.append((m2, {c: Path.of(q, m2) for c, q in errs.items()}, q2))
    eta_max = [stable_range(s[0]) for s in stages]
    etas, eta_source = stage_steps(eta_v, eta_max, eta2)
    etas_f = [float(e) for e in etas]
    stable = all(e < em for e, em in zip(etas, eta_max)) or flow
    converges = flow or all(abs(1 - e * float(h)) < 1 for e, (md, _p, _q) in zip(etas_f, stages) for h in md.h)
    recorded = list(range(0, steps + 1, every))
    if recorded[-1] != steps:
        recorded.append(steps)
    t_arr = np.asarray(recorded, dtype=float)
    rows: list[TrajectoryRow] = []
    diverged_at, bound = None, None
    for k, (md, paths, _q) in enumerate(stages):
        offset = k * steps
        eta_f = etas_f[k]
        pw = _powers(md, eta_f, t_arr, flow)
        with np.errstate(over="ignore", invalid="ignore"):
            vals = {c: p.values(pw) for c, p in paths.items()}
        if bound is None:
            bound = DIVERGENCE_FACTOR * max(max(abs(float(v[0])) for v in vals.values()), 1.0)
        for s, t in enumerate(recorded):
            row = {c: float(vals[c][s]) for c in cols}
            if not flow and (not all(np.isfinite(list(row.values()))) or max(row.values()) > bound):
                diverged_at = offset + _first_exceeding(md, paths, eta_f, recorded[s - 1] if s else 0, t, bound)
                break
            rows.append(TrajectoryRow(offset + t, k + 1, row))
        if diverged_at is not None:
            break
    out = Trajectory(spec.name, eta_v, steps, every, flow, n, rows, cols, eta_max, stable, diverged_at, bound,
                     exact=exact and all(s[0].exact for s in stages), etas=etas, eta_source=eta_source,
                     converges=converges, path=path, lam=None if lam is None else sp.nsimplify(lam))
    out.construction = _construction(two, path, out.lam, etas, eta_source)
    last_m = stages[-1][0]
    if diverged_at is None:
        end_t = float(steps)
        pw = _powers(last_m, etas_f[-1], np.asarray([end_t]), flow)[0]
        u_end = np.asarray(last_m.u_star, dtype=float) + np.asarray(last_m.w, dtype=float) @ pw
        out.end = dict(zip(train_q.names, map(float, u_end)))
    out.limit = dict(zip(train_q.names, last_m.u_star))
    if out.exact:
        out.formulas = {c: [p.formula(s[0], eta=(ETA, ETA2)[k], flow=flow) for k, s in enumerate(stages)
                            for p in [s[1][c]]] for c in cols}
    if level is not None and diverged_at is None:
        out.crossings = _crossings(stages, etas_f, steps, recorded, flow, float(level))
    if depth_note:
        out.notes.append(depth_note)
    if two:
        out.notes.append("two stages: rows 0..T follow gradient descent on the first loss; rows T..2T start at "
                         "its limit and follow gradient descent on the second loss projected on the null space "
                         "of the first loss's Hessian (the first loss stays at its minimum)")
    if not stable and not flow:
        out.notes.append("eta = " + ", then ".join(sp.sstr(e) for e in etas) + " is outside the stable range "
                         "0 < eta < 2/h_max = " + ", then ".join(sp.sstr(e) for e in eta_max))
    if not converges:
        out.notes.append("no limit t -> inf: a mode the start excites does not contract (|1 - eta h| >= 1)")
    return out


def _construction(two: bool, path: str, lam: Any, etas: list, source: str) -> str:
    """What the path is and which step each stage used, in words (the header's line)."""
    if path == "mixed":
        return (f"plain gradient descent on E(0; theta0) + lambda E(n_ft; theta0), lambda = {sp.sstr(lam)}, "
                f"from the pretrained parameters, eta = {sp.sstr(etas[0])}")
    if not two:
        return f"gradient descent on the loss from the start, eta = {sp.sstr(etas[0])}"
    how = ("the same fraction of its stable range as stage 1's" if source == "scaled" else "given")
    return ("two stages (the derivation's construction): stage 1 gradient descent on the first loss, eta = "
            f"{sp.sstr(etas[0])}; a jump to its limit; stage 2 gradient descent on the second loss projected on "
            f"the first loss's minimisers, eta_2 = {sp.sstr(etas[1])} ({how})")


#: points sampled per bracket when the first step of an event is searched
SAMPLES = 4096


def first_step(holds: Any, lo: int, hi: int) -> int:
    """The first step t in (lo, hi] at which ``holds`` (a function of an array of steps returning
    a boolean array) is true, given that it is true at ``hi``: the bracket is sampled at
    :data:`SAMPLES` evenly spaced steps, narrowed to the first sample where it holds, and sampled
    again, until it is short enough to check every step. Memory and time are independent of the
    bracket's length (about log_SAMPLES(hi - lo) rounds); an event that starts and ends between
    two samples of a round is not seen there (as between two recorded rows)."""
    while hi - lo > SAMPLES:
        ts = np.unique(np.linspace(lo, hi, SAMPLES + 1).round().astype(np.int64))[1:]
        hit = np.nonzero(holds(ts))[0]
        k = int(hit[0]) if len(hit) else len(ts) - 1
        lo, hi = (int(ts[k - 1]) if k else lo), int(ts[k])
    ts = np.arange(lo + 1, hi + 1, dtype=np.int64)
    hit = np.nonzero(holds(ts))[0]
    return int(ts[hit[0]]) if len(hit) else hi


def _first_exceeding(md: Modes, paths: dict, eta: float, lo: int, hi: int, bound: float) -> int:
    """The first step in (lo, hi] at which an error exceeds ``bound`` (hi exceeds it)
    (:func:`first_step`; powers in log space where they overflow)."""
    def holds(ts: np.ndarray) -> np.ndarray:
        pw = _powers(md, eta, ts.astype(float), False)
        with np.errstate(over="ignore", invalid="ignore"):
            worst = np.max(np.stack([np.abs(p.values(pw)) for p in paths.values()]), axis=0)
        return ~np.isfinite(worst) | (worst > bound)
    return first_step(holds, lo, hi)


def _crossings(stages: list, etas: list, steps: int, recorded: list, flow: bool, level: float) -> dict:
    """For each column, the first step at which the error reaches the other side of ``level``
    from where it started (found in the first bracket of recorded steps where it has, narrowed by
    :func:`first_step`), or None."""
    out = {}
    cols = list(stages[0][1])
    for c in cols:
        found = None
        start_side = None
        for k, (md, paths, _q) in enumerate(stages):
            eta = etas[k]
            pw = _powers(md, eta, np.asarray(recorded, dtype=float), flow)
            v = paths[c].values(pw)
            if start_side is None:
                start_side = v[0] > level
            for s in range(len(recorded)):
                if (v[s] > level) != start_side:
                    lo = recorded[s - 1] if s else 0

                    def holds(ts: np.ndarray, md: Modes = md, path: Any = paths[c], eta: float = eta) -> np.ndarray:
                        return (path.values(_powers(md, eta, ts.astype(float), flow)) > level) != start_side
                    found = k * steps + (0 if s == 0 else first_step(holds, lo, recorded[s]))
                    break
            if found is not None:
                break
        out[c] = found
    return out


def derived_point(spec: Any, q: Any, env: dict, m: Any = sp.oo) -> np.ndarray:
    """The derivation's point (:func:`symbolic.general.derive_spec`: the minimiser with every free
    block at its start value; the second stage's for two-stage specs) in the layout of the
    explicit quadratic ``q``, evaluated exactly in ``env`` (Sigma, theta_0, sigma, bound values)."""
    from symbolic.evaluation import evaluate, evaluate_matrix
    from symbolic.general import derive_spec
    from symbolic.strategy import matexpr_to_sympy, vecexpr_to_sympy
    s = derive_spec(spec, sp.sympify(m))
    env = {**env, **dict(getattr(spec, "bindings", ()) or ())}
    out = np.empty(q.size, dtype=object)
    for blk, sl in q.slices.items():
        v = getattr(s.blocks, blk)
        if blk in ("v0", "vy", "Q00", "Qy0"):
            out[sl] = [sp.nsimplify(evaluate(v, env))]
        elif blk == "Qxx":
            out[sl] = list(evaluate_matrix(matexpr_to_sympy(v), env))
        else:
            out[sl] = list(evaluate_matrix(vecexpr_to_sympy(v), env))
    return out


def limit_check(spec: Any, *, d: int, Sigma: Any = None, theta0: Any = None, sigma2: Any = 0) -> tuple[bool, np.ndarray, np.ndarray]:
    """Whether the trajectory's limit t -> oo (both stages for a two-stage spec) equals the derived
    minimiser, exactly: ``(equal, limit, derived)``."""
    from symbolic.explicit import explicit_quadratic
    q = explicit_quadratic(spec, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2)
    m1 = modes(q.A, q.b, q.start, exact=True)
    last = m1
    if spec.then:
        q2 = explicit_quadratic(spec, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, stage="then")
        last = modes(q2.A, q2.b, m1.u_star, projector=_nullspace_projector(q.A, True), exact=True)
    S = sp.Matrix(Sigma) if Sigma is not None else sp.eye(d)
    t0 = sp.Matrix(theta0) if theta0 is not None else sp.Matrix([1] + [0] * (d - 1))
    env = {"Sigma": S, "theta_0": t0, "sigma": sp.sqrt(sp.nsimplify(sigma2))}
    derived = derived_point(spec, q, env)
    limit = np.array([sp.nsimplify(x) for x in last.u_star], dtype=object)
    equal = all(sp.simplify(a - b) == 0 for a, b in zip(limit, derived))
    return equal, limit, derived
