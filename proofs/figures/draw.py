"""Drawing the linear-model figure: two panels (theta0 and -theta0), theory lines, trained points.

Every strategy drawn has a derivation: (a)-(d) from the paper, and ``query-key`` (Q alone
on the zero-shot loss, :mod:`proofs.paper.results.query_key_zero_shot`), whose theory curve is
the pretrained one (at ``V_hat`` no block of Q reaches the zero-shot loss) and whose
trained model starts from the derived pretrained parameters (see :mod:`proofs.figures.linear`).
Markers of different strategies at the same n are drawn side by side (a small horizontal
offset) so that equal errors, e.g. (c) and (d) at n = 0, stay visible.

matplotlib is imported inside :func:`draw` only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from numeric.training.protocol import TASKS, ProtocolResult
from proofs.figures.save import save_figure

__all__ = ["draw", "STYLE", "TASK_TITLES", "THEORY_STRATEGIES", "RC", "log_axis"]

#: colour, marker and legend label per model (the strategy names of the command line)
STYLE = {
    "pretrain": ("#1f77b4", "o", r"(a) pretrain: $\hat V, \hat Q$"),
    "full": ("#d62728", "s", r"(b) full: $V$ and $Q$, zero-shot loss"),
    "value": ("#2ca02c", "^", r"(c) value: $V$ only, zero-shot loss"),
    "value-fewshot": ("#9467bd", "D", r"(d) value-fewshot: $V$ only, zero- and few-shot loss"),
    "query-key": ("#ff7f0e", "v", r"query-key: $Q$ only, zero-shot loss (from the derived $\hat V, \hat Q$)"),
}
TASK_TITLES = {"target": r"target task $\theta_0$", "opposite": r"opposite task $-\theta_0$"}
#: the strategies with a theory curve (a derivation)
THEORY_STRATEGIES = ("pretrain", "full", "value", "value-fewshot", "query-key")
#: the text sizes of every figure (points; the figures are drawn at the size they are printed)
RC = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 7.5,
      "xtick.labelsize": 8, "ytick.labelsize": 8, "mathtext.fontset": "cm", "font.family": "serif",
      "pdf.fonttype": 42, "savefig.bbox": "tight"}
#: horizontal distance between the markers of neighbouring strategies at one n, as a fraction
#: of the range of n drawn (0.2 at n = 0..20)
DODGE = 0.0095


def log_axis(axis: Any) -> None:
    """A log axis labelled at 1, 2 and 5 times each power of ten, in plain numbers (0.1, 0.2,
    0.5, 1, 2, 5...): at least three labels over any range wider than a factor 2.5."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def draw(result: ProtocolResult, theory: dict[str, dict | None], paths: list[Path], *,
         title: str | None = None, labels: dict[str, str] | None = None) -> Any:
    """Draw the two panels, save them to every path (format from the suffix) and return the figure.
    ``title`` replaces the one-layer title, ``labels`` the legend label of the models it names (the
    depth figure, :mod:`proofs.figures.depth`)."""
    labels = labels or {}
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    p = result.protocol
    span = max(p.ns) - min(p.ns) + 1
    names = list(result.models)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.2, 4.0), constrained_layout=True)
        axes = fig.subplots(1, 2, sharey=True)
        vals = [p.sigma2]
        for name in names:
            vals += list(result.errors["target"][name].mean) + list(result.errors["opposite"][name].mean)
            if theory.get(name) is not None:
                for task in TASKS:
                    vals += [float(e) for e in theory[name]["curves"][task].error]
        vals = [v for v in vals if np.isfinite(v) and v > 0]
        lo, hi = min(vals) / 1.25, max(vals) * 1.3
        for ax, task in zip(axes, TASKS):
            for k, name in enumerate(names):
                color, marker, label = STYLE.get(name, ("k", "x", name))
                th = theory.get(name)
                if th is not None:
                    cv = th["curves"][task]
                    # query-key's curve is (a)'s: dashed, so that both show
                    ax.plot(list(cv.n), [float(e) for e in cv.error], "--" if name == "query-key" else "-",
                            color=color, lw=1.2, zorder=2, gid=f"{name} theory")
                mc = result.errors[task][name]
                n = np.asarray(mc.n, dtype=float) + (k - (len(names) - 1) / 2) * DODGE * span
                ax.errorbar(n, mc.mean, yerr=2 * mc.stderr, fmt=marker, ms=3.6, mfc="white", mec=color,
                            ecolor=color, mew=0.9, elinewidth=0.8, capsize=1.2, zorder=3, ls="none",
                            gid=f"{name} trained")
            ax.axhline(p.sigma2, color="0.5", lw=0.8, ls=":", zorder=1)
            ax.set_yscale("log")
            log_axis(ax.yaxis)
            ax.set_ylim(lo, hi)
            ax.set_xlim(min(p.ns) - 0.03 * span - 0.3, max(p.ns) + 0.03 * span + 0.3)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, steps=[1, 2, 5, 10]))
            ax.set_title(TASK_TITLES[task])
            ax.set_xlabel(r"number of in-context examples $n$")
            ax.grid(True, which="major", lw=0.4, color="0.88")
        axes[0].set_ylabel(r"test error $\mathcal{E}(V, Q, n; \theta)$")
        handles = []
        for name in names:
            color, marker, label = STYLE.get(name, ("k", "x", name))
            label = labels.get(name, label)
            handles.append(Line2D([], [], color=color, marker=marker, mfc="white", ms=4,
                                  ls="--" if name == "query-key" else "-",
                                  lw=1.2 if theory.get(name) is not None else 0, label=label))
        handles.append(Line2D([], [], color="0.3", lw=1.2, label="line: exact error of the derived optimum"))
        handles.append(Line2D([], [], color="0.3", marker="o", mfc="white", lw=0, ms=4,
                              label="point: trained model (Monte Carlo mean; bars 2 s.e., mostly "
                                    "inside the marker)"))
        handles.append(Line2D([], [], color="0.5", lw=0.8, ls=":", label=r"noise level $\sigma^2$"))
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
        fig.suptitle(title or rf"Linear attention on linear regression: $d={p.d}$, pretrained on $m={p.m}$ shots, "
                     rf"$n_{{\mathrm{{ft}}}}={p.n_ft}$ shots in (d)'s few-shot loss, $\sigma^2={p.sigma2:g}$",
                     fontsize=9.5)
        save_figure(fig, paths)
    return fig
