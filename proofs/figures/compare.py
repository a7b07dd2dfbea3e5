"""The comparison figure: two ways of fine-tuning at equal level (:mod:`proofs.quantities.compare`).

One panel per error column.  x: the matched error (the level, the zero-shot error on theta_0
by default); y: the column's error of each side at that level, over the common range (solid)
and over the rest of each side's own range (thin, dotted); the levels where the order flips
are marked and labelled with their level; a strip under each panel's curves is coloured by
the side that is lower there.  matplotlib is imported inside :func:`draw_comparison`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from proofs.figures.save import save_figure

__all__ = ["draw_comparison", "save_comparison", "COLOURS"]

COLOURS = {"left": "#1f77b4", "right": "#d62728"}


def _short(label: str) -> str:
    return label if len(label) <= 48 else label[:45] + "..."


def draw_comparison(result: Any) -> Any:
    """A matplotlib figure of ``result`` (a :class:`proofs.quantities.compare.Comparison`)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.lines import Line2D
    cols = result.columns
    ncols = min(len(cols), 2)
    nrows = (len(cols) + ncols - 1) // ncols
    fig = Figure(figsize=(5.2 * ncols, 3.6 * nrows + 0.9), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    grid = result.grid
    zs = grid.get("levels", np.zeros(0))
    for ax, cc in zip(axes, cols):
        c = cc.column
        for side in ("left", "right"):
            own = grid["own"][side]
            style = dict(color=COLOURS[side], lw=0.9, ls=":")
            if len(own["levels"]) > 1:
                ax.plot(own["levels"], own[c], **style)
            else:
                ax.plot(own["levels"], own[c], marker="o", ms=6, ls="none", color=COLOURS[side],
                        markerfacecolor="none")
        if len(zs) > 1:
            for side in ("left", "right"):
                ax.plot(zs, grid[c][side], color=COLOURS[side], lw=2.0)
            lo, hi = ax.get_ylim()
            strip = lo - 0.06 * (hi - lo)
            for a, b, who, _gap in cc.pieces:
                if who in COLOURS:
                    ax.fill_between([float(a), float(b)], strip, lo, color=COLOURS[who], alpha=0.35, lw=0)
            ax.set_ylim(strip, hi)
        for x in cc.crossings:
            ax.plot([x.level], [x.value], marker="D", ms=7, color="black", ls="none", zorder=5)
            ax.axvline(x.level, color="0.5", lw=0.6, ls="--", zorder=0)
        ax.set_title(f"{c.name}: " + {"left": "left lower", "right": "right lower", "equal": "equal",
                                      None: f"the order flips ({len(cc.crossings)})"}.get(cc.lower, ""), fontsize=10)
        ax.set_xlabel(f"level: {result.match.name}")
        ax.set_ylabel(c.name)
        ax.grid(alpha=0.25)
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=COLOURS["left"], lw=2, label="left: " + _short(result.sides["left"]["label"])),
               Line2D([], [], color=COLOURS["right"], lw=2, label="right: " + _short(result.sides["right"]["label"])),
               Line2D([], [], color="0.3", lw=0.9, ls=":", label="outside the common levels"),
               Line2D([], [], marker="D", color="black", ls="none", label="the order flips"),
               Patch(color="0.6", alpha=0.35, label="strip: the lower side")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    s = result.setting
    fig.suptitle(f"at equal {result.match.name}; d = {s['d']}, sigma^2 = {s['sigma2']}, Sigma {s['Sigma']}, "
                 f"theta0 {s['theta0']} ({result.arithmetic})", fontsize=10)
    return fig


def save_comparison(result: Any, path: str | Path) -> None:
    """Draw ``result`` and write it to ``path`` (format from the suffix)."""
    save_figure(draw_comparison(result), [Path(path)])
