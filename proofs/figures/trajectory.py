"""The forgetting-curve figure: fine-tuning dynamics in closed form against trained models.

Left: the errors of value fine-tuning (c) along its gradient-descent path against the step
(log x): zero-shot on theta_0, n_ft-shot on theta_0 and -theta_0, n -> oo on theta_0 (= on
-theta_0 at Sigma = I), from the closed form (:mod:`proofs.quantities.trajectories`), with full fine-tuning
(b)'s numeric path (:mod:`proofs.quantities.numeric_trajectory`) dashed; trained points: plain SGD
(momentum 0, constant step, the same eta) on sampled zero-shot prompts
(:func:`numeric.training.finetune`, strategy value), for several step counts and seeds, each
point the mean over seeds of the trained model's exact error, the bars 2 standard errors.
Middle and right: the paths in the (zero-shot, n_ft-shot) plane on theta_0 and on -theta_0,
(c)'s path, (b)'s numeric path and the lambda-frontier of ``E(0; theta_0) + lambda E(n_ft; theta_0)``
(:mod:`proofs.quantities.frontier`), with (a)-(d) marked.
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from proofs.figures.save import save_figure

__all__ = ["TrajectoryFigureConfig", "make_trajectory_figure", "COINCIDE", "TRAINED"]

#: the series name (gid) of the trained points' markers in the middle and right panels
TRAINED = "trained (c) value"
#: markers this figure draws on top of each other by design, for
#: :func:`proofs.figures.layout.layout_problems`: in the middle and right panels the trained
#: points (value fine-tuning by SGD) converge to (c)'s optimum, so once converged the points of
#: several step counts are one point. No other pair is exempt: (c)'s marker is drawn open and
#: larger (as in ``figure --frontier``), so that the trained points converged on it, and (d)'s
#: marker, within a marker's size of it on -theta_0 at the default setting, stay visible inside.
COINCIDE = (frozenset({TRAINED}),)


@dataclass(frozen=True)
class TrajectoryFigureConfig:
    """d, sigma^2, n_ft (Sigma = I, theta_0 = e_1, m = oo); eta as a fraction of 1/h (h the
    Hessian's top eigenvalue); the closed form's steps; the trained step counts, seeds, batch
    (prompts per step) and the fine-tuning set's size; (b)'s numeric steps."""

    d: int = 5
    sigma2: float = 0.1
    n_ft: int = 5
    eta_fraction: float = 0.5
    steps: int = 100_000
    trained_steps: tuple = (3, 10, 30, 100, 300)
    seeds: int = 3
    batch: int = 2000
    dataset_size: int = 200_000
    full_steps: int = 20_000

    @staticmethod
    def full() -> "TrajectoryFigureConfig":
        return TrajectoryFigureConfig()

    @staticmethod
    def quick() -> "TrajectoryFigureConfig":
        return TrajectoryFigureConfig(trained_steps=(3, 10, 100), batch=500, dataset_size=50_000, full_steps=3000)

    @property
    def total_steps(self) -> int:
        return sum(self.trained_steps) * self.seeds


def theory(cfg: TrajectoryFigureConfig) -> dict[str, Any]:
    """Closed-form rows of (c) at every step on a log grid, the numeric (b) path, the frontier."""
    import sympy as sp
    from proofs.quantities.frontier import LAMBDA, frontier_formulas
    from proofs.quantities.numeric_trajectory import full_trajectory
    from proofs.quantities.setting import setting
    from proofs.quantities.trajectories import modes, trajectory
    R = sp.Rational
    s2 = R(str(cfg.sigma2))
    where = setting(cfg.d, sigma2=s2, n_ft=cfg.n_ft)
    probe = trajectory("value", where, eta=R(1, 10**9), steps=1)
    h_max = 2 / probe.eta_max[0]
    eta = R(str(cfg.eta_fraction)) / h_max
    grid = sorted(set(np.round(np.logspace(0, math.log10(cfg.steps), 120)).astype(int).tolist())
                  | {0} | set(cfg.trained_steps))
    out: dict[str, Any] = {"eta": float(eta), "eta_exact": str(eta), "h_max": str(h_max), "steps": grid}
    # the closed form read at the grid's steps (one eigendecomposition, powers (1 - eta h)^t)
    from proofs.quantities.trajectories import Path as EPath, _powers, error_quadratics
    from symbolic.explicit import explicit_quadratic
    from symbolic.strategies import value_spec
    env = dict(d=cfg.d, Sigma=None, theta0=None, sigma2=s2, m=sp.oo, values={}, cache={})
    q = explicit_quadratic(value_spec(), **env)
    m = modes(q.A, q.b, q.start, exact=True)
    pw = _powers(m, float(eta), np.asarray(grid, dtype=float), False)
    cols = {}
    for n, key in ((cfg.n_ft, "n_ft"), (None, "limit")):
        for c, qe in error_quadratics(value_spec(), n=n, env=env).items():
            cols[(key, c)] = EPath.of(qe, m).values(pw).tolist()
    out["value"] = {f"{k}:{c}": v for (k, c), v in cols.items()}
    every = max(1, cfg.full_steps // 200)
    full = {}
    for n, key in ((cfg.n_ft, "n_ft"), (None, "limit")):
        rows, _, diverged = full_trajectory(eta=float(eta), steps=cfg.full_steps, every=every, d=cfg.d,
                                            sigma2=cfg.sigma2, n=n)
        full[key] = {"steps": [t for t, _ in rows], **{c: [e[c] for _, e in rows] for c in rows[0][1]},
                     "diverged": diverged}
    out["full"] = full
    F = frontier_formulas(where, n=cfg.n_ft)
    lam = np.logspace(-3, 5, 300)
    # each column a rational function of lambda, evaluated in float64 over the grid at once
    # (a SymPy substitution per value took about a second for the 900 values)
    out["frontier"] = {c: np.broadcast_to(sp.lambdify(LAMBDA, F[c], "numpy")(lam), lam.shape).astype(float).tolist()
                       for c in F}
    return out


def trained(cfg: TrajectoryFigureConfig, eta: float, seed: int, progress: Any = None) -> dict[int, dict]:
    """SGD (momentum 0, constant eta) on sampled zero-shot prompts, strategy value, from the derived
    pretrained parameters; per step count the exact errors of each seed's model."""
    from numeric.fast import moment_error
    from numeric.training.train import FinetuneConfig, OptimConfig, finetune
    from proofs import api
    P = api.params("pretrain", d=cfg.d, sigma2=cfg.sigma2)
    V0, Q0 = np.array(P.V.evalf(), dtype=float), np.array(P.Q.evalf(), dtype=float)
    theta0 = np.eye(cfg.d)[0]
    Sigma = np.eye(cfg.d)
    out = {}
    streams = np.random.SeedSequence(seed).spawn(len(cfg.trained_steps))
    for steps, stream in zip(cfg.trained_steps, streams):
        errs = []
        for s in stream.spawn(cfg.seeds):
            fc = FinetuneConfig(strategy="value", theta0=theta0, sigma2=cfg.sigma2, Sigma=Sigma,
                                dataset_size=cfg.dataset_size,
                                optim=OptimConfig(steps=steps, batch=cfg.batch, optimizer="sgd", momentum=0.0,
                                                  lr=eta, schedule="constant"))
            r = finetune(V0, Q0, fc, np.random.default_rng(s), progress=progress, threaded=False)
            errs.append([moment_error(r.V, r.Q, n=0, theta=theta0, Sigma=Sigma, sigma2=cfg.sigma2),
                         moment_error(r.V, r.Q, n=cfg.n_ft, theta=theta0, Sigma=Sigma, sigma2=cfg.sigma2),
                         moment_error(r.V, r.Q, n=cfg.n_ft, theta=-theta0, Sigma=Sigma, sigma2=cfg.sigma2)])
        e = np.array(errs)
        out[int(steps)] = {"errors": e.tolist(), "mean": e.mean(axis=0).tolist(),
                           "stderr": (e.std(axis=0, ddof=1) / math.sqrt(len(e))).tolist()}
    return out


def draw(cfg: TrajectoryFigureConfig, th: dict, tr: dict, path: Path | None) -> Any:
    """The figure of the closed form ``th`` (:func:`theory`) and trained points ``tr``; saved at
    ``path`` unless None; returns it (for :func:`proofs.figures.layout.layout_problems`)."""
    import matplotlib
    from matplotlib.figure import Figure
    from proofs.figures.draw import STYLE, log_axis
    rc = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 7,
          "xtick.labelsize": 8, "ytick.labelsize": 8, "mathtext.fontset": "cm", "font.family": "serif",
          "pdf.fonttype": 42, "savefig.bbox": "tight"}
    steps = np.asarray(th["steps"], dtype=float)
    x = np.where(steps == 0, 0.5, steps)
    v = th["value"]
    names = [("n_ft:zero_shot", r"zero-shot, $\theta_0$", "C0"), ("n_ft:few_shot_target", rf"${cfg.n_ft}$-shot, $\theta_0$", "C1"),
             ("n_ft:few_shot_opposite", rf"${cfg.n_ft}$-shot, $-\theta_0$", "C2"),
             ("limit:few_shot_target", r"$n\to\infty$, $\pm\theta_0$", "C3")]
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(10.5, 3.4), constrained_layout=True)
        ax, bx, cx = fig.subplots(1, 3)
        for key, label, color in names:
            ax.plot(x, v[key], color=color, lw=1.6, label=f"(c) {label}")
        fb = th["full"]
        fx = np.where(np.asarray(fb["n_ft"]["steps"]) == 0, 0.5, fb["n_ft"]["steps"])
        ax.plot(fx, fb["n_ft"]["zero_shot"], color="C0", ls="--", lw=1.0, label="(b) numeric, same columns")
        ax.plot(fx, fb["n_ft"]["few_shot_target"], color="C1", ls="--", lw=1.0)
        ax.plot(fx, fb["n_ft"]["few_shot_opposite"], color="C2", ls="--", lw=1.0)
        ax.plot(fx, fb["limit"]["few_shot_opposite"], color="C3", ls="--", lw=1.0)
        for t, p in tr.items():
            for k, color in enumerate(("C0", "C1", "C2")):
                ax.errorbar([t], [p["mean"][k]], yerr=[2 * p["stderr"][k]], fmt="o", ms=3.5, mfc="white",
                            mec=color, ecolor=color, capsize=2, zorder=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        log_axis(ax.yaxis)      # 0.1, 0.2, 0.5, 1: the errors span about one decade (two powers of ten)
        ax.set_xlabel(r"gradient-descent step $t$ (step 0 drawn at 0.5)")
        ax.set_ylabel("error")
        ax.set_title(rf"forgetting curves, $\eta = {th['eta_exact']}$")
        ax.grid(True, which="major", lw=0.4, color="0.88")
        # below the panel: inside it the legend covered the n -> oo curves
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
        from proofs import api
        strategies = api.frontier([1], n_ft=cfg.n_ft, n=cfg.n_ft, d=cfg.d, sigma2=cfg.sigma2).strategies
        for k, (axis, col, title) in enumerate(((bx, "few_shot_target", r"target $\theta_0$"),
                                                (cx, "few_shot_opposite", r"opposite $-\theta_0$")), start=1):
            axis.plot(th["frontier"]["zero_shot"], th["frontier"][col], color="0.4", lw=1.6,
                      label=r"$\lambda$-frontier (aux. loss)")
            axis.plot(v["n_ft:zero_shot"], v[f"n_ft:{col}"], color="C0", lw=1.6, label="(c) path (early stopping)")
            axis.plot(fb["n_ft"]["zero_shot"], fb["n_ft"][col], color="C0", ls="--", lw=1.0, label="(b) path, numeric")
            for s in strategies:
                color, marker, name = STYLE[s.label]
                f = s.floats()
                # above the trained points (zorder 5); (c) open and larger: the trained points converge
                # on it, and on -theta_0 (d) lies within a marker's size of it
                look = dict(mfc="none", mec=color, mew=1.2, ms=10) if s.label == "value" else \
                    dict(color=color, mec="k", mew=0.5, ms=6)
                axis.plot([f[0]], [f[k]], marker=marker, ls="none", zorder=6, label=name.split(":")[0], **look)
            for t, p in tr.items():
                bar = axis.errorbar([p["mean"][0]], [p["mean"][k]], xerr=[2 * p["stderr"][0]],
                                    yerr=[2 * p["stderr"][k]], fmt="o", ms=3.5, mfc="white", mec="C0", ecolor="C0",
                                    capsize=2, zorder=5)
                bar.lines[0].set_gid(TRAINED)
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xlabel(r"zero-shot error on $\theta_0$")
            axis.set_ylabel(rf"${cfg.n_ft}$-shot error")
            axis.set_title(title)
            axis.grid(True, which="major", lw=0.4, color="0.88")
        for axis in (bx, cx):       # each panel names its curves and the strategies (a)-(d)
            axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
        fig.suptitle(rf"Fine-tuning dynamics: $d={cfg.d}$, $\sigma^2={cfg.sigma2:g}$, $\Sigma=I$, $m=\infty$; trained: "
                     rf"SGD on sampled prompts (mean $\pm$ 2 s.e., {cfg.seeds} seeds)", fontsize=9.5)
        save_figure(fig, [] if path is None else [path])
    return fig


def make_trajectory_figure(out: Path | str, seed: int = 0, quick: bool = False, progress: bool = True, *,
                           closeness: Path | str | None = None, echo: bool = True) -> dict[str, Any]:
    """Closed form, numeric (b), trained points; draw at ``out`` (and its PDF/PNG twin); report."""
    from proofs.figures.linear import check_outputs
    t0 = time.perf_counter()
    out = Path(out)
    closeness = None if closeness is None else Path(closeness)
    check_outputs(out, closeness)
    cfg = TrajectoryFigureConfig.quick() if quick else TrajectoryFigureConfig.full()
    import matplotlib  # noqa: F401
    from tqdm import tqdm
    th = theory(cfg)
    with tqdm(total=cfg.total_steps, desc="training", unit="step", disable=not progress, file=sys.stderr,
              dynamic_ncols=True, leave=False) as bar:
        tr = trained(cfg, th["eta"], int(seed), progress=bar.update)
    from proofs.figures.save import with_twin
    paths = with_twin(out)
    for p in paths:
        draw(cfg, th, tr, p)
    steps = np.asarray(th["steps"])
    rows = []
    for t, p in tr.items():
        i = int(np.nonzero(steps == t)[0][0]) if t in steps else None
        theory_t = None
        if i is not None:
            theory_t = [th["value"]["n_ft:zero_shot"][i], th["value"]["n_ft:few_shot_target"][i],
                        th["value"]["n_ft:few_shot_opposite"][i]]
        z = None if theory_t is None else [(m - x) / s if s > 0 else 0.0 for m, x, s in zip(p["mean"], theory_t, p["stderr"])]
        rows.append({"steps": t, "trained": p["mean"], "stderr": p["stderr"], "theory": theory_t, "z": z})
    report = {"figure": [str(p) for p in paths], "config": {**asdict(cfg), "seed": int(seed), "quick": bool(quick)},
              "eta": th["eta_exact"], "trained": rows, "seconds": time.perf_counter() - t0}
    if closeness is not None:
        closeness.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if echo:
        zs = [abs(x) for r in rows if r["z"] for x in r["z"]]
        sys.stderr.write(f"trajectory figure: largest |z| of the trained points against the closed form "
                         f"{max(zs) if zs else float('nan'):.2f}; {report['seconds']:.0f} s\n")
    return report
