"""The poster's linear-regression figure: theory curves and trained models.

Test error ``E(V, Q, n; theta)`` against the number of shots ``n = 0..20``, one panel
for the fine-tuning task ``theta0`` and one for ``-theta0``. Lines: the exact errors of
the derived optima (``proofs.api.curve``, at the m and n_ft the training used, and for
strategy ``full`` at the scale the trained model reached). Points: the trained models'
Monte Carlo errors with error bars (two standard errors). One colour per strategy.

:func:`make_figure` trains (or reloads checkpoints), evaluates, draws PNG and PDF, and
writes next to the figure ``<stem>.closeness.json`` (:mod:`proofs.closeness`) and one
checkpoint per stage in ``<stem>_checkpoints/``. matplotlib and tqdm are imported only here.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from numeric.training.evaluate import limit_error
from numeric.training.protocol import TASKS, Protocol, ProtocolResult, run_protocol
from proofs import closeness as C

__all__ = ["FigureReport", "make_figure", "theory_for", "closeness_report", "draw", "STYLE"]

#: colour, marker and legend label per model
STYLE = {
    "pretrain": ("#1f77b4", "o", "(a) pretrained"),
    "full": ("#d62728", "s", "(b) full fine-tuning"),
    "value": ("#2ca02c", "^", "(c) value-matrix fine-tuning"),
    "value-fewshot": ("#9467bd", "D", "(d) value + few-shot loss"),
    "query-key": ("#ff7f0e", "v", "query-key fine-tuning"),
}
TASK_TITLES = {"target": r"target task $\theta_0$", "opposite": r"opposite task $-\theta_0$"}
THEORY_STRATEGIES = ("pretrain", "full", "value", "value-fewshot")


@dataclass
class FigureReport:
    """What :func:`make_figure` wrote and found.

    ``paths``: the figure files (PNG, PDF, and ``out`` in its own format); ``json_path``:
    the closeness JSON; ``checkpoints``: one ``.npz`` per stage; ``closeness``: the JSON's
    content; ``seconds``: wall time; ``warnings``: what could not be done (e.g. no theory).
    """

    paths: list[Path]
    json_path: Path
    checkpoints: list[Path]
    closeness: dict
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for the terminal: per strategy the parameter distance and the error gaps."""
        lines = []
        for name, entry in self.closeness["models"].items():
            parts = [f"{name:>13}:"]
            if entry.get("parameters"):
                p = entry["parameters"]
                parts.append(f"param distance {p['distance']:.3g} (mod free {p['distance_modulo_free']:.3g})")
                if "update_distance" in p:
                    parts.append(f"update {p['update_distance']:.3g}")
            for task in TASKS:
                g = entry["errors"][task]
                if "max_abs_rel_gap_exact" in g:
                    parts.append(f"{task} error gap <= {g['max_abs_rel_gap_exact']:.2%}")
                elif "max_abs_rel_gap" in g:
                    parts.append(f"{task} error gap <= {g['max_abs_rel_gap']:.2%} (|z| <= {g['max_abs_z']:.1f})")
            if entry.get("theory") is not None and not entry.get("parameters"):
                parts.append(str(entry["theory"]))
            lines.append("  ".join(parts))
        for w in self.warnings:
            lines.append(f"warning: {w}")
        lines.append("wrote " + ", ".join(str(p) for p in [*self.paths, self.json_path]))
        return "\n".join(lines)


def _outputs(out: Path) -> tuple[list[Path], Path, Path]:
    """Figure files, the JSON and the checkpoint folder for ``out``."""
    suffix = out.suffix.lower()
    base = out.with_suffix("") if suffix else out
    figs = [out] if suffix else []
    for ext in (".png", ".pdf"):
        p = base.with_name(base.name + ext)
        if p not in figs and (not suffix or suffix != ext):
            figs.append(p)
    return figs, base.with_name(base.name + ".closeness.json"), base.with_name(base.name + "_checkpoints")


def _api():
    from proofs import api  # looked up at call time, so tests can monkeypatch its functions
    return api


def _kwargs(protocol: Protocol) -> dict:
    Sigma = None if np.array_equal(protocol.Sigma, np.eye(protocol.d)) else protocol.Sigma.tolist()
    return dict(d=protocol.d, sigma2=protocol.sigma2, m=protocol.m, n_ft=protocol.n_ft, Sigma=Sigma,
                theta0=protocol.theta0.tolist())


def theory_for(protocol: Protocol, strategy: str, scale: float = 1.0) -> dict:
    """The derivation's curves (per task) and parameters for ``strategy``, via :mod:`proofs.api`.

    Returns ``{"curves": {task: CurveResult}, "params": ParamsResult}``.
    """
    api = _api()
    kw = _kwargs(protocol)
    curves = {task: api.curve(strategy, task, list(protocol.ns), scale=scale, **kw) for task in TASKS}
    params = api.params(strategy, scale=scale, **kw)
    return {"curves": curves, "params": params}


def _probe_theory(protocol: Protocol) -> str | None:
    """None if ``proofs.api`` answers, else why not (checked before any training)."""
    try:
        _api().curve("pretrain", "target", [0], scale=1.0, **_kwargs(protocol))
    except NotImplementedError:
        return "theory curves unavailable: proofs.api.curve is not implemented yet; trained points only"
    return None


def _as_float_matrix(M: Any) -> np.ndarray:
    return np.array(np.asarray(M).tolist(), dtype=float)


def closeness_report(result: ProtocolResult, theory: dict[str, dict | None], scales: dict[str, float]) -> dict:
    """The JSON written next to the figure: protocol, and per model its parameter and error closeness."""
    p = result.protocol
    models = {}
    pre_th = theory.get("pretrain")
    pre_ref = None
    if pre_th is not None:
        pre_ref = (_as_float_matrix(pre_th["params"].V), _as_float_matrix(pre_th["params"].Q))
    pre = result.models["pretrain"]
    for name, model in result.models.items():
        th = theory.get(name)
        entry: dict[str, Any] = {"seconds": model.seconds, "final_loss": model.final_loss,
                                 "V_last_row": model.V[-1].tolist(), "scale": scales.get(name)}
        errors = {}
        for task in TASKS:
            mc = result.errors[task][name]
            theta = result.theta(task)
            lim = limit_error(model.V, model.Q, theta, sigma2=p.sigma2, Sigma=p.Sigma)
            if th is None:
                errors[task] = {"n": mc.n, "trained": mc.mean.tolist(), "stderr": mc.stderr.tolist(),
                                "limit_trained": lim}
                if mc.exact is not None:
                    errors[task]["trained_exact"] = mc.exact.tolist()
            else:
                cv = th["curves"][task]
                errors[task] = C.error_gap(mc.n, mc.mean, mc.stderr, [float(e) for e in cv.error],
                                           exact=mc.exact, limit_trained=lim, limit_theory=float(cv.limit))
        entry["errors"] = errors
        if th is None:
            entry["theory"] = None if name in THEORY_STRATEGIES else "no derivation (contrast case)"
            entry["parameters"] = None
        else:
            prm = th["params"]
            Vr, Qr = _as_float_matrix(prm.V), _as_float_matrix(prm.Q)
            extra = {}
            if name != "pretrain" and pre_ref is not None:
                extra = dict(V_start=pre.V, Q_start=pre.Q, V_ref_start=pre_ref[0], Q_ref_start=pre_ref[1])
            entry["parameters"] = C.parameter_distance(model.V, model.Q, Vr, Qr, free=list(prm.free), **extra)
            entry["parameters"]["derived_V_last_row"] = Vr[-1].tolist()
        models[name] = entry
    return {"protocol": p.to_dict(), "seed": result.seed, "seconds": result.seconds, "models": models}


def draw(result: ProtocolResult, theory: dict[str, dict | None], paths: list[Path]) -> None:
    """Draw the two panels and save them to every path (format from the suffix)."""
    import matplotlib
    from matplotlib.figure import Figure

    p = result.protocol
    rc = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 7.5,
          "xtick.labelsize": 8, "ytick.labelsize": 8, "mathtext.fontset": "cm", "font.family": "serif",
          "pdf.fonttype": 42, "savefig.bbox": "tight"}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(7.2, 3.0), constrained_layout=True)
        axes = fig.subplots(1, 2, sharey=True)
        # y-range: from the theory and the strategies with a derivation; others may leave it
        vals = [p.sigma2]
        for name in result.models:
            if name in THEORY_STRATEGIES:
                vals += list(result.errors["target"][name].mean) + list(result.errors["opposite"][name].mean)
                if theory.get(name) is not None:
                    for task in TASKS:
                        vals += [float(e) for e in theory[name]["curves"][task].error]
        vals = [v for v in vals if np.isfinite(v) and v > 0]
        lo, hi = min(vals) / 1.25, max(vals) * 1.35
        off_scale = set()
        for ax, task in zip(axes, TASKS):
            for name in result.models:
                color, marker, label = STYLE.get(name, ("k", "x", name))
                th = theory.get(name)
                if th is not None:
                    cv = th["curves"][task]
                    ax.plot(list(cv.n), [float(e) for e in cv.error], "-", color=color, lw=1.3, zorder=2)
                mc = result.errors[task][name]
                n = np.asarray(mc.n)
                y = mc.mean
                inside = (y >= lo) & (y <= hi)
                off_scale.update([name] if not inside.all() else [])
                ax.errorbar(n[inside], y[inside], yerr=2 * mc.stderr[inside], fmt=marker, ms=3.8, mfc="white",
                            mec=color, ecolor=color, mew=1.0, elinewidth=0.9, capsize=1.5, zorder=3,
                            ls="none")
                if (~inside).any():
                    ax.plot(n[~inside], np.full((~inside).sum(), hi / 1.07), marker=r"$\uparrow$", ls="none",
                            color=color, ms=4.5, alpha=0.7, zorder=3)
            ax.axhline(p.sigma2, color="0.5", lw=0.8, ls=":", zorder=1)
            ax.set_yscale("log")
            ax.set_ylim(lo, hi)
            ax.set_xlim(min(p.ns) - 0.6, max(p.ns) + 0.6)
            ax.set_title(TASK_TITLES[task])
            ax.set_xlabel(r"number of in-context examples $n$")
            ax.grid(True, which="major", lw=0.4, color="0.88")
        axes[0].set_ylabel(r"test error $\mathcal{E}(V, Q, n; \theta)$")
        from matplotlib.lines import Line2D
        handles = []
        for name in result.models:
            color, marker, label = STYLE.get(name, ("k", "x", name))
            if name in off_scale:
                label += r" ($\uparrow$ off scale)"
            handles.append(Line2D([], [], color=color, marker=marker, mfc="white", ms=4,
                                  lw=1.3 if theory.get(name) is not None else 0, label=label))
        handles.append(Line2D([], [], color="0.3", lw=1.3, label="theory (derived optimum)"))
        handles.append(Line2D([], [], color="0.3", marker="o", mfc="white", lw=0, ms=4,
                              label=r"trained (mean $\pm$ 2 s.e.)"))
        handles.append(Line2D([], [], color="0.5", lw=0.8, ls=":", label=r"noise level $\sigma^2$"))
        fig.legend(handles=handles, loc="outside right center", frameon=False)
        fig.suptitle(rf"Linear attention on linear regression: $d={p.d}$, $m={p.m}$, $n_{{\mathrm{{ft}}}}={p.n_ft}$, "
                     rf"$\sigma^2={p.sigma2:g}$", fontsize=9.5)
        quiet = logging.getLogger("fontTools")  # its font-subsetting notices are not ours to show
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            for path in paths:
                fig.savefig(path, dpi=300 if path.suffix.lower() == ".png" else None)
        finally:
            quiet.setLevel(level)


def make_figure(out: Path, seed: int, quick: bool, progress: bool = True, *, reuse: bool = False,
                protocol: Protocol | None = None, echo: bool = True) -> FigureReport:
    """Train every strategy, evaluate, and draw the poster's figure at ``out`` (plus PNG and PDF).

    ``quick``: :meth:`Protocol.quick` (CI size) instead of :meth:`Protocol.poster`;
    ``progress``: a tqdm bar over the training steps on stderr; ``reuse``: reload the
    checkpoints of an earlier run with the same settings and seed instead of retraining;
    ``protocol``: any other :class:`Protocol`; ``echo``: print :meth:`FigureReport.summary`
    (the closeness numbers and the files written) to stderr at the end.

    Raises ``ValueError`` for an output folder that does not exist, a bad seed, or a
    training run whose loss became non-finite (naming the step).
    """
    t0 = time.perf_counter()
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise ValueError(f"out: expected a file path, got the directory {str(out)!r}")
    if not parent.is_dir():
        raise ValueError(f"out: the directory {str(parent)!r} does not exist")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    if protocol is None:
        protocol = Protocol.quick() if quick else Protocol.poster()
    figs, json_path, ckpt_dir = _outputs(out)
    import matplotlib  # noqa: F401  (fail before training if the plot extra is missing)
    from tqdm import tqdm

    warnings: list[str] = []
    why = _probe_theory(protocol)
    if why:
        warnings.append(why)
    ckpt_dir.mkdir(exist_ok=True)
    with tqdm(total=protocol.total_steps, desc="training", unit="step", disable=not progress,
              file=sys.stderr, dynamic_ncols=True, leave=False) as bar:
        result = run_protocol(protocol, int(seed), progress=bar.update, checkpoint_dir=ckpt_dir, reuse=reuse)
    for model in result.models.values():
        warnings.extend(model.warnings)
    scales = {"full": C.fit_full_scale(result.models["full"].V, result.models["full"].Q, protocol.theta0)} \
        if "full" in result.models else {}
    theory: dict[str, dict | None] = {}
    for name in result.models:
        if why or name not in THEORY_STRATEGIES:
            theory[name] = None
            continue
        theory[name] = theory_for(protocol, name, scales.get(name, 1.0))
    report = closeness_report(result, theory, scales)
    report["warnings"] = warnings
    draw(result, theory, figs)
    json_path.write_text(json.dumps(report, indent=1, allow_nan=True) + "\n", encoding="utf-8")
    rep = FigureReport(figs, json_path, list(result.checkpoints.values()), report, time.perf_counter() - t0,
                       warnings)
    if echo:
        sys.stderr.write(rep.summary() + "\n")
    return rep
