"""The trade-off figure: the linear-model version of the poster's right panel.

x: the zero-shot error on theta_0; y: the n_ft-shot error on theta_0 (left panel) and on
-theta_0 (right panel). The curve is value fine-tuning on the mixed loss
``E(0; theta_0) + lambda E(n_ft; theta_0)`` from the closed form (:mod:`proofs.quantities.frontier`,
dense lambda on a log scale, coloured by lambda; its ends lambda -> 0+ = strategy (d) and
lambda -> oo = the few-shot loss alone); the four strategies (a)-(d) are marked points;
the trained models are points with error bars: gradient descent (Adam) on the same mixed
loss with a constant weight lambda (:func:`numeric.training.train.finetune`, strategy
value-fewshot with ``fewshot_decay='constant'``) from the derived pretrained parameters,
for several lambda and seeds; each point is the mean over seeds of the trained model's
exact error (:func:`numeric.fast.moment_error`), the bars two standard errors over seeds.

The report (JSON when asked for) gives, per trained lambda and panel, the trained mean and
standard error, the theory's value at the same lambda, the z-scores, whether the theory lies
within the error bars (2 s.e.) in both coordinates, and the distance from the trained
point to the curve in (log x, log y) (a relative distance: 0.01 is about 1%), with the
lambda of the nearest point of the curve.

Rank by rank (``ranks``, ``rank_block``; ``figure --frontier --rank LIST``): the block (Q or Q_xx)
trained by its best rank-r update on the same mixed loss (:mod:`proofs.quantities.frontier_rank`),
one curve per rank.  At V_hat the zero-shot loss does not see Q, so each rank's curve is one
point (checked there, said in the report): the points, joined in order of the rank, sit at the
pretrained zero-shot error and go down in the few-shot error as r grows, to full fine-tuning of
the block at r = d.

Why n = n_ft on the y axis and a finite n_ft: at n_ft = oo (m = oo) the mixed-loss
minimiser does not depend on lambda (the curve is one point), and the n -> oo error on
theta_0 is not what the mixed loss trades (it rises with lambda at n_ft = 5): the trade-off
is between the zero-shot error and the error at the shots the few-shot loss was trained on.
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

__all__ = ["FrontierFigureConfig", "make_frontier_figure", "trained_points", "theory_curve"]

TASKS = ("target", "opposite")


@dataclass(frozen=True)
class FrontierFigureConfig:
    """The setting (d, sigma2, n_ft, Sigma = I, theta0 = e_1, m = oo), the weights trained and the
    training: ``seeds`` per weight, ``steps`` of Adam (cosine schedule) with ``batch`` prompts,
    ``dataset_size`` fine-tuning pairs (drawn afresh per seed)."""

    d: int = 5
    sigma2: float = 0.1
    n_ft: int = 5
    lambdas: tuple = (1.0, 10.0, 100.0, 1000.0)
    seeds: int = 5
    steps: int = 2000
    batch: int = 2000
    lr: float = 3e-2
    dataset_size: int = 1_000_000
    curve_points: int = 400
    curve_range: tuple = (1e-2, 1e5)
    #: a curve per rank of ``rank_block`` (empty: none)
    ranks: tuple = ()
    rank_block: str = "Q"

    @classmethod
    def full(cls) -> "FrontierFigureConfig":
        return cls()

    @classmethod
    def quick(cls) -> "FrontierFigureConfig":
        return cls(lambdas=(10.0, 100.0, 1000.0), seeds=3, steps=800, batch=1000, dataset_size=200_000,
                   curve_points=200)

    @property
    def total_steps(self) -> int:
        return len(self.lambdas) * self.seeds * self.steps


def theory_curve(cfg: FrontierFigureConfig) -> dict[str, Any]:
    """The closed form at the figure's setting: the exact frontier (:func:`proofs.quantities.frontier.frontier`
    with the (a)-(d) rows and the checks of the limits), and the curve at dense lambda."""
    import sympy as sp
    from proofs import api
    from proofs.quantities.frontier import COLUMNS, LAMBDA
    grid = np.logspace(math.log10(cfg.curve_range[0]), math.log10(cfg.curve_range[1]), cfg.curve_points)
    grid = np.unique(np.concatenate([grid, [x for x in cfg.lambdas if 0 < x < np.inf]]))
    lam_dense = np.concatenate([[0.0], grid, [np.inf]])
    lams = [sp.Rational(str(x)) if math.isfinite(x) else sp.oo for x in cfg.lambdas]
    F = api.frontier([0, *lams, sp.oo], n_ft=cfg.n_ft, n=cfg.n_ft, d=cfg.d, sigma2=sp.Rational(str(cfg.sigma2)))
    curve = {}
    for c in COLUMNS:
        f = sp.lambdify(LAMBDA, F.formulas[c], "numpy")
        mid = np.asarray(f(lam_dense[1:-1]), dtype=float) * np.ones(len(lam_dense) - 2)
        curve[c] = np.concatenate([[float(F.rows[0].values()[COLUMNS.index(c)])], mid,
                                   [float(F.rows[-1].values()[COLUMNS.index(c)])]])
    out = {"frontier": F, "lambda": lam_dense, "curve": curve,
           "at": {float(x): F.rows[i + 1].floats() for i, x in enumerate(cfg.lambdas)}}
    if cfg.ranks:
        out["ranks"] = api.frontier([0, *lams, sp.oo], n_ft=cfg.n_ft, n=cfg.n_ft, d=cfg.d,
                                    sigma2=sp.Rational(str(cfg.sigma2)), ranks=list(cfg.ranks), block=cfg.rank_block)
    return out


def _pretrained(cfg: FrontierFigureConfig) -> tuple[np.ndarray, np.ndarray]:
    """The derived pretrained parameters (m = oo), as floats."""
    from proofs import api
    P = api.params("pretrain", d=cfg.d, sigma2=cfg.sigma2)
    return np.array(P.V.evalf(), dtype=float), np.array(P.Q.evalf(), dtype=float)


def trained_points(cfg: FrontierFigureConfig, seed: int, progress: Any = None) -> dict[float, dict[str, Any]]:
    """Fine-tune on the mixed loss for each weight and seed; per weight the exact errors
    (zero-shot on theta0, n_ft-shot on theta0 and -theta0) of every trained model."""
    from numeric.fast import moment_error
    from numeric.training.train import FinetuneConfig, OptimConfig, finetune
    V0, Q0 = _pretrained(cfg)
    theta0 = np.eye(cfg.d)[0]
    Sigma = np.eye(cfg.d)
    root = np.random.SeedSequence(seed)
    streams = root.spawn(len(cfg.lambdas))
    out: dict[float, dict[str, Any]] = {}
    for lam, stream in zip(cfg.lambdas, streams):
        errs = []
        for s in stream.spawn(cfg.seeds):
            fc = FinetuneConfig(strategy="value-fewshot", theta0=theta0, sigma2=cfg.sigma2, Sigma=Sigma,
                                dataset_size=cfg.dataset_size, n_ft=cfg.n_ft, fewshot_weight=lam,
                                fewshot_decay="constant",
                                optim=OptimConfig(steps=cfg.steps, batch=cfg.batch, lr=cfg.lr))
            r = finetune(V0, Q0, fc, np.random.default_rng(s), progress=progress)
            errs.append([moment_error(r.V, r.Q, n=0, theta=theta0, Sigma=Sigma, sigma2=cfg.sigma2),
                         moment_error(r.V, r.Q, n=cfg.n_ft, theta=theta0, Sigma=Sigma, sigma2=cfg.sigma2),
                         moment_error(r.V, r.Q, n=cfg.n_ft, theta=-theta0, Sigma=Sigma, sigma2=cfg.sigma2)])
        e = np.array(errs)
        out[float(lam)] = {"errors": e, "mean": e.mean(axis=0),
                           "stderr": e.std(axis=0, ddof=1) / math.sqrt(len(e)) if len(e) > 1 else np.zeros(3)}
    return out


def _distance_to_polyline(px: float, py: float, cx: np.ndarray, cy: np.ndarray) -> tuple[float, float]:
    """The Euclidean distance from (px, py) to the polyline through the inner points of
    (cx, cy) (the finite lambda), and where the nearest point lies (a fractional index).
    In log coordinates this is the relative distance (to first order)."""
    ax, ay, bx, by = cx[1:-2], cy[1:-2], cx[2:-1], cy[2:-1]
    dx, dy = bx - ax, by - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-300), 0.0, 1.0)
    d = np.hypot(ax + t * dx - px, ay + t * dy - py)
    j = int(np.argmin(d))
    return float(d[j]), j + float(t[j])


def _closeness(cfg: FrontierFigureConfig, theory: dict, trained: dict) -> list[dict[str, Any]]:
    rows = []
    lam_d = theory["lambda"]
    for lam, t in trained.items():
        th = theory["at"][lam]
        for k, task in enumerate(TASKS, start=1):
            x, y = t["mean"][0], t["mean"][k]
            sx, sy = t["stderr"][0], t["stderr"][k]
            cx, cy = theory["curve"]["zero_shot"], theory["curve"][("few_shot_target", "few_shot_opposite")[k - 1]]
            dist, at = _distance_to_polyline(np.log(x), np.log(y), np.log(cx), np.log(cy))
            zx = (x - th[0]) / sx if sx > 0 else math.inf
            zy = (y - th[k]) / sy if sy > 0 else math.inf
            rows.append({
                "lambda": lam, "panel": task,
                "trained": {"zero_shot": float(x), "few_shot": float(y),
                            "zero_shot_stderr": float(sx), "few_shot_stderr": float(sy), "seeds": cfg.seeds},
                "theory": {"zero_shot": th[0], "few_shot": th[k]},
                "z": {"zero_shot": float(zx), "few_shot": float(zy)},
                "within_error_bars": bool(abs(zx) <= 2 and abs(zy) <= 2),
                "relative_gap_same_lambda": float(math.hypot((x - th[0]) / th[0], (y - th[k]) / th[k])),
                "relative_distance_to_curve": float(dist),
                "nearest_lambda_on_curve": float(np.exp(np.interp(at, np.arange(len(lam_d) - 2),
                                                                  np.log(lam_d[1:-1])))),
            })
    return rows


def draw_frontier(cfg: FrontierFigureConfig, theory: dict, trained: dict, paths: list[Path]) -> Any:
    """The two panels, saved to every path (format from the suffix); returns the figure.

    Where two of (a)-(d) fall on one point ((c) and (d) share their zero-shot error, and on
    -theta_0 their few-shot errors differ by a few per cent), (c) is drawn as a larger open
    marker around (d)'s. The lambda labels are placed where they touch no marker
    (:func:`proofs.figures.layout.place_label`)."""
    import matplotlib
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from proofs.figures.draw import RC, STYLE, log_axis
    from proofs.figures.layout import place_label, renderer_of
    F = theory["frontier"]
    lam = theory["lambda"]
    inner = slice(1, len(lam) - 1)
    norm = LogNorm(vmin=cfg.curve_range[0], vmax=cfg.curve_range[1])
    cmap = matplotlib.colormaps["viridis"]
    ylabels = {"target": rf"${cfg.n_ft}$-shot error on $\theta_0$",
               "opposite": rf"${cfg.n_ft}$-shot error on $-\theta_0$"}
    titles = {"target": r"target task $\theta_0$", "opposite": r"opposite task $-\theta_0$"}
    #: (c) open and larger, so that (d) drawn on it stays visible
    size = {"pretrain": 6.5, "full": 6.5, "value": 10.0, "value-fewshot": 5.5}
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.4, 3.9), constrained_layout=True)
        axes = fig.subplots(1, 2)
        for k, (ax, task) in enumerate(zip(axes, TASKS), start=1):
            col = ("few_shot_target", "few_shot_opposite")[k - 1]
            x, y = theory["curve"]["zero_shot"], theory["curve"][col]
            pts = np.column_stack([x[inner], y[inner]])
            seg = np.stack([pts[:-1], pts[1:]], axis=1)
            lc = LineCollection(seg, cmap=cmap, norm=norm, linewidths=2.0, zorder=2)
            lc.set_array(np.sqrt(lam[inner][:-1] * lam[inner][1:]))
            ax.add_collection(lc)
            # the two ends: lambda -> 0+ is (d) (marked below); lambda -> oo the few-shot loss alone
            ax.plot([x[-1]], [y[-1]], marker="*", ms=9, color=cmap(1.0), mec="k", mew=0.5, ls="none", zorder=4,
                    gid="lambda -> oo")
            for s in F.strategies:
                color, marker, _ = STYLE[s.label]
                v = s.floats()
                hollow = s.label == "value"
                ax.plot([v[0]], [v[k]], marker=marker, ms=size[s.label], color=color,
                        mfc="none" if hollow else color, mec=color if hollow else "k", mew=1.4 if hollow else 0.5,
                        ls="none", zorder=5 if hollow else 6, gid=s.label)
            at = np.array([theory["at"][lam_t] for lam_t in trained]).reshape(-1, 3)
            ax.plot(at[:, 0], at[:, k], marker="o", ms=2.2, color="k", ls="none", zorder=3,
                    gid="theory at the trained lambda")
            for lam_t, t in trained.items():
                c = cmap(norm(lam_t))
                ax.errorbar([t["mean"][0]], [t["mean"][k]], xerr=[2 * t["stderr"][0]], yerr=[2 * t["stderr"][k]],
                            fmt="o", ms=4.6, mfc="none", mec=c, ecolor=c, mew=1.3, elinewidth=1.0, capsize=2,
                            zorder=7, gid=f"trained lambda={lam_t:g}")
            if "ranks" in theory:   # a curve per rank: one point each (checked), joined in order of the rank
                R = theory["ranks"]
                pts = {}
                for row in R.rows:
                    pts.setdefault(row.rank, []).append(row.floats())
                xs = [np.mean([p[0] for p in pts[r]]) for r in R.ranks]
                ys = [np.mean([p[k] for p in pts[r]]) for r in R.ranks]
                ax.plot(xs, ys, color="tab:red", lw=0.8, marker="D", ms=2.6, ls="-", zorder=3,
                        gid=f"{R.block} rank by rank")
            ax.axhline(cfg.sigma2, color="0.5", lw=0.8, ls=":", zorder=1)
            ax.axvline(cfg.sigma2, color="0.5", lw=0.8, ls=":", zorder=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            log_axis(ax.xaxis)
            log_axis(ax.yaxis)
            ax.set_xlabel(r"zero-shot error on $\theta_0$")
            ax.set_ylabel(ylabels[task])
            ax.set_title(titles[task])
            ax.grid(True, which="major", lw=0.4, color="0.88")
            extra = [r.floats() for r in theory["ranks"].rows] if "ranks" in theory else []
            allx = np.concatenate([x, [s.floats()[0] for s in F.strategies], [cfg.sigma2], [e[0] for e in extra]])
            ally = np.concatenate([y, [s.floats()[k] for s in F.strategies], [cfg.sigma2], [e[k] for e in extra]])
            ax.set_xlim(allx.min() / 1.3, allx.max() * 1.6)
            ax.set_ylim(ally.min() / 1.3, ally.max() * 1.8)  # room for the labels above the curve
        cb = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.85, pad=0.02)
        cb.set_label(r"weight $\lambda$ of the few-shot loss")
        labels = {"pretrain": "(a) pretrain", "full": "(b) full",
                  "value": "(c) value (open marker: (d) can lie inside)", "value-fewshot": "(d) value-fewshot = curve at "
                  r"$\lambda \to 0^+$"}
        handles = []
        for s in ("pretrain", "full", "value", "value-fewshot"):
            hollow = s == "value"
            handles.append(Line2D([], [], color=STYLE[s][0], marker=STYLE[s][1], mfc="none" if hollow else STYLE[s][0],
                                  mec=STYLE[s][0] if hollow else "k", mew=1.2 if hollow else 0.5, ls="none",
                                  ms=7 if hollow else 6, label=labels[s]))
        handles += [Line2D([], [], color=cmap(0.55), lw=2, label=r"exact trade-off: value fine-tuning on the mixed "
                                                                   r"loss, $0 < \lambda < \infty$ (colour)"),
                    Line2D([], [], color=cmap(1.0), marker="*", mec="k", mew=0.5, ms=9, ls="none",
                           label=r"$\lambda \to \infty$: the few-shot loss alone"),
                    Line2D([], [], color="0.3", marker="o", mfc="none", ls="none", ms=4.6,
                           label=rf"trained at the labelled $\lambda$: mean of {cfg.seeds} seeds, bars 2 s.e. "
                                 r"(inside the marker)"),
                    Line2D([], [], color="k", marker="o", ms=2.2, ls="none",
                           label=r"exact trade-off at the labelled $\lambda$"),
                    Line2D([], [], color="0.5", lw=0.8, ls=":", label=r"noise level $\sigma^2$")]
        if "ranks" in theory:
            R = theory["ranks"]
            block = r"$Q$" if R.block == "Q" else r"$Q_{xx}$"
            handles.append(Line2D([], [], color="tab:red", marker="D", ms=2.6, lw=0.8,
                                  label=rf"{block} by its best rank-$r$ update (LoRA), $r = "
                                        rf"{', '.join(map(str, R.ranks))}$: one point per rank (every $\lambda$)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
        fig.suptitle(r"Value fine-tuning on $\mathcal{E}(0;\theta_0) + \lambda\,\mathcal{E}(n_{\mathrm{ft}};\theta_0)$: "
                     rf"$d={cfg.d}$, $n_{{\mathrm{{ft}}}}={cfg.n_ft}$, derived pretrained model ($m=\infty$), "
                     rf"$\sigma^2={cfg.sigma2:g}$", fontsize=9.5)
        renderer = renderer_of(fig)  # the layout settled: the labels are placed in display units
        for k, (ax, task) in enumerate(zip(axes, TASKS), start=1):
            for lam_t in trained:
                th = theory["at"][lam_t]
                place_label(ax, rf"$\lambda={lam_t:g}$", (th[0], th[k]), renderer, fontsize=6.5, color="0.25")
        save_figure(fig, paths)
    return fig


def make_frontier_figure(out: Path | str, seed: int = 0, quick: bool = False, progress: bool = True, *,
                         closeness: Path | str | None = None, config: FrontierFigureConfig | None = None,
                         echo: bool = True, ranks: tuple = (), rank_block: str = "Q") -> dict[str, Any]:
    """Derive, train, evaluate and draw the trade-off figure at ``out`` (.png, .pdf or .svg,
    from the suffix); write the closeness report (JSON) at ``closeness`` if given; nothing
    else. ``quick``: :meth:`FrontierFigureConfig.quick` (under a minute) instead of
    :meth:`FrontierFigureConfig.full`. Returns the report (see the module docstring)."""
    import sympy as sp
    from proofs.figures.linear import check_outputs
    from proofs.quantities.frontier import LAMBDA
    t0 = time.perf_counter()
    out = Path(out)
    closeness = None if closeness is None else Path(closeness)
    check_outputs(out, closeness)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    cfg = config or (FrontierFigureConfig.quick() if quick else FrontierFigureConfig.full())
    if ranks:
        from dataclasses import replace
        cfg = replace(cfg, ranks=tuple(ranks), rank_block=rank_block)
    import matplotlib  # noqa: F401  (fail before the work if the plot extra is missing)
    from tqdm import tqdm
    theory = theory_curve(cfg)
    t1 = time.perf_counter()
    with tqdm(total=cfg.total_steps, desc="training", unit="step", disable=not progress, file=sys.stderr,
              dynamic_ncols=True, leave=False) as bar:
        trained = trained_points(cfg, int(seed), progress=bar.update)
    t2 = time.perf_counter()
    paths = [out]
    draw_frontier(cfg, theory, trained, paths)
    F = theory["frontier"]
    rows = _closeness(cfg, theory, trained)
    report = {
        "figure": [str(p) for p in paths],
        "config": {**asdict(cfg), "seed": int(seed), "quick": bool(quick), "m": "inf",
                   "pretrained": "derived (m = inf)", "evaluation": "exact error of each trained model"},
        "theory": {
            # sympify-able strings: "lambda" is a Python keyword, so the symbol is spelled "lamda"
            "formulas": {c: str(F.formulas[c].xreplace({LAMBDA: sp.Symbol("lamda")})) for c in F.formulas},
            "monotone": F.monotone,
            "checks": [{"check": w, "holds": ok} for w, ok in F.checks],
            "strategies": {s.label: dict(zip(("zero_shot", "few_shot_target", "few_shot_opposite"), s.floats()))
                           for s in F.strategies},
            "ends": {"lambda_to_0": F.rows[0].floats(), "lambda_to_inf": F.rows[-1].floats()},
        },
        "ranks": None if "ranks" not in theory else {
            "block": theory["ranks"].block,
            "points": {str(r): theory["ranks"].rows[i * len(theory["ranks"].lambdas)].floats()
                       for i, r in enumerate(theory["ranks"].ranks)},
            "degenerate": {str(k): v for k, v in theory["ranks"].degenerate.items()},
            "checks": [{"check": w, "holds": ok} for w, ok in theory["ranks"].checks]},
        "trained": rows,
        "all_within_error_bars": all(r["within_error_bars"] for r in rows),
        "max_relative_distance_to_curve": max(r["relative_distance_to_curve"] for r in rows),
        "seconds": {"theory": t1 - t0, "training": t2 - t1, "total": time.perf_counter() - t0},
    }
    if closeness is not None:
        closeness.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if echo:
        inside = sum(r["within_error_bars"] for r in rows)
        sys.stderr.write(f"frontier figure: {inside}/{len(rows)} trained points within 2 s.e. of the theory at their "
                         f"lambda; largest relative distance to the curve "
                         f"{report['max_relative_distance_to_curve']:.3g}; {report['seconds']['total']:.0f} s\n")
    return report
