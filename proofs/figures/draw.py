"""Drawing the linear-model figure: two panels (theta0 and -theta0), theory lines, trained points.

matplotlib is imported inside :func:`draw` only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from numeric.training.protocol import TASKS, ProtocolResult
from proofs.figures.save import save_figure

__all__ = ["draw", "STYLE", "TASK_TITLES", "THEORY_STRATEGIES"]

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
        save_figure(fig, paths)
