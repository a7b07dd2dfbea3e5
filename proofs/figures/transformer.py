"""The poster's right panel, on the softmax transformer, with the linear theory beside it.

Two rows of two panels. Top: the transformer (mean over seeds, error bars one standard
error over seeds); bottom: the linear attention model's derived errors at the same d,
sigma^2, theta0 and n. Left column: few-shot error on theta0; right: on -theta0. The
x-axis of every panel is the zero-shot error on theta0. An arrow goes from the pretrained
model to each fine-tuned one. The poster plots accuracies (up and right is better); these
are errors (down and left is better).

matplotlib is imported inside :func:`draw` only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence
from proofs.figures.save import save_figure

__all__ = ["draw", "draw_sweep", "STYLE", "COINCIDE", "UNCHANGED"]

STYLE = {
    "pretrain": ("#1f77b4", "o", "(a) pretrained"),
    "full": ("#d62728", "s", "(b) all parameters"),
    "value": ("#2ca02c", "^", "(c) value + output projections"),
    "value-fewshot": ("#9467bd", "D", "(d) (c) + few-shot loss"),
    "query-key": ("#ff7f0e", "v", "query-key only (contrast)"),
}
#: appended to the label of a fine-tuned model that did not move from the pretrained one
UNCHANGED = "\n= (a): unchanged"
#: markers drawn on top of each other by design, for :func:`proofs.figures.layout.layout_problems`:
#: a fine-tuned model that did not move (query-key, whose start is a stationary point) is drawn
#: on (a)'s marker and says so in its label (:data:`UNCHANGED`). No other pair is exempt; (d)'s
#: marker is drawn open and larger, so that a point of (b) or (c) on it stays visible.
COINCIDE = (frozenset({STYLE["pretrain"][2], *(label + UNCHANGED for k, (_, _, label) in STYLE.items()
                                               if k != "pretrain")}),)
#: the linear model's names for the same strategies
THEORY_LABELS = {"pretrain": "(a) pretrained", "full": "(b) V and Q", "value": "(c) value matrix V",
                 "value-fewshot": "(d) V + few-shot loss"}
_TASKS = (("theta0", r"few-shot error on $\theta_0$"), ("-theta0", r"few-shot error on $-\theta_0$"))


def _points(result: dict, source: str, task: str, n: int) -> dict[str, tuple[float, float, float, float]]:
    """model -> (x, y, x_se, y_se): zero-shot error on theta0, n-shot error on ``task``."""
    out = {}
    if source == "transformer":
        s = result["summary"]
        for model, tasks in s.items():
            e0, et = tasks["theta0"], tasks[task]
            i0, i = e0["ns"].index(0), et["ns"].index(n)
            se = lambda e, j: e["se"][j] if e["se"][j] is not None else e["se_prompts"][j]  # noqa: E731
            out[model] = (e0["mean"][i0], et["mean"][i], se(e0, i0), se(et, i))
    else:
        th = result["theory"]
        for model in ("pretrain", "full", "value", "value-fewshot"):
            if model not in th:  # no derivation (the linear model at depth has no (b))
                continue
            e0, et = th[model]["theta0"], th[model][task]
            out[model] = (e0["error"][e0["ns"].index(0)], et["error"][et["ns"].index(n)], 0.0, 0.0)
    return out


def draw(result: dict, paths: Sequence[Path]) -> Any:
    """Draw the figure of an experiment's result (:func:`proofs.paper.transformer_claims.run_experiment`) to every
    path; returns the figure (for :func:`proofs.figures.layout.layout_problems`)."""
    import matplotlib
    from matplotlib.figure import Figure

    n = result["claim_n"]
    K = len(result["seeds"])
    rc = {"font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "legend.fontsize": 7.5,
          "xtick.labelsize": 8, "ytick.labelsize": 8, "mathtext.fontset": "cm", "font.family": "serif",
          "pdf.fonttype": 42, "savefig.bbox": "tight"}
    cfg = result["config"]
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(9.6, 6.4), constrained_layout=True)
        axes = fig.subplots(2, 2)
        layers = cfg["model"]["layers"]
        prefix = cfg["model"].get("prefix", 0)
        m = result["theory"].get("setting", {}).get("m", "oo")
        m_tex = "$\\infty$" if m == "oo" else m
        if cfg["model"].get("kind") == "linear":
            top = f"linear attention, trained here (m = {m}; {K} seed{'s' if K > 1 else ''})"
        else:
            top = (f"softmax transformer ({layers} layer{'s' if layers > 1 else ''}, width "
                   f"{cfg['model']['width']}{f', prefix {prefix}' if prefix else ''}; {K} seed{'s' if K > 1 else ''})")
        depth = result["theory"].get("setting", {}).get("layers", 1)
        if depth > 1:
            top = f"linear attention, {depth} layers, trained here (m = {m}; {K} seed{'s' if K > 1 else ''})"
        rows = (("transformer", top),
                ("theory", f"linear attention, derived (d = {cfg['model']['d']}, "
                           f"$\\sigma^2$ = {cfg['sigma2']:g}, m = {m_tex})" if depth == 1 else
                 f"the {depth}-layer class, derived (d = {cfg['model']['d']}, $\\sigma^2$ = {cfg['sigma2']:g}, "
                 f"m = {m_tex}; no (b))"))
        for r, (source, row_title) in enumerate(rows):
            for c, (task, ylabel) in enumerate(_TASKS):
                ax = axes[r][c]
                pts = _points(result, source, task, n)
                x0, y0 = pts["pretrain"][:2]
                for model, (x, y, xe, ye) in pts.items():
                    color, marker, label = STYLE.get(model, ("k", "x", model))
                    if source == "theory" or cfg["model"].get("kind") == "linear":
                        label = THEORY_LABELS.get(model, label)
                    elif model != "pretrain" and (x, y) == (x0, y0):
                        label += UNCHANGED
                    if model != "pretrain" and (x, y) != (x0, y0):
                        ax.annotate("", xy=(x, y), xytext=(x0, y0),
                                    arrowprops={"arrowstyle": "->", "color": color, "lw": 1.1,
                                                "shrinkA": 4, "shrinkB": 5})
                    look = dict(ms=9, mfc="none", mew=1.2) if model == "value-fewshot" else dict(ms=6)
                    ax.errorbar([x], [y], xerr=[xe] if xe else None, yerr=[ye] if ye else None, fmt=marker,
                                color=color, capsize=2, lw=1, label=label, zorder=3, **look)
                ax.set_xlabel(r"zero-shot error on $\theta_0$ (lower is better)")
                ax.set_ylabel(f"{ylabel}, n = {n}")
                ax.set_title(row_title if c == 0 else row_title.split(" (")[0] + r": task $-\theta_0$",
                             loc="left")
                ax.axhline(cfg["sigma2"], color="0.6", lw=0.8, ls=":", zorder=1)
                ax.axvline(cfg["sigma2"], color="0.6", lw=0.8, ls=":", zorder=1)
                ys = [p[1] for p in pts.values()]
                if max(ys) / max(min(ys), 1e-9) > 8:
                    ax.set_yscale("log")
                xs = [p[0] for p in pts.values()]
                if depth > 1 and max(xs) / max(min(xs), 1e-9) > 1e3:  # at depth: zero-shot errors up to 1e7 and more
                    ax.set_xscale("log")
                ax.grid(True, lw=0.3, alpha=0.5)
        for r in range(2):  # outside, right of each row: the points may be anywhere
            axes[r][1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, borderaxespad=0)
        save_figure(fig, paths, png_dpi=130)
    return fig


#: the sweep's x-axis label by what was swept
_SWEPT = {"prefix": "prefix length k (learned vectors before every prompt)", "layers": "layers",
          "width": "width"}


def draw_sweep(sweep: dict, paths: Sequence[Path]) -> Any:
    """The key quantities against the swept value (``bench/sweep_transformer.py``'s file), mean over
    seeds with bars of one standard error over seeds, the linear theory dashed. Left: (c)'s
    few-shot change over (b)'s at n = claim_n on -theta0 (the key ratio; on theta0 (b)'s change
    can be near 0 and the ratio meaningless, so the middle panel shows the two changes on theta0
    themselves); right: (c)'s zero-shot gain over (b)'s. Returns the figure."""
    import matplotlib
    from matplotlib.figure import Figure

    runs = sweep["runs"]
    xs = list(range(len(runs)))
    labels = [str(r["value"]) for r in runs]

    def series(cid: str) -> tuple[list, list, float | None]:
        rows = [next(c for c in r["claims"] if c["id"] == cid) for r in runs]
        return ([c["transformer"]["mean"] for c in rows], [c["transformer"]["se"] or 0.0 for c in rows],
                rows[0]["theory"])
    rc = {"font.size": 9, "axes.labelsize": 9, "legend.fontsize": 7, "mathtext.fontset": "cm",
          "font.family": "serif", "pdf.fonttype": 42, "savefig.bbox": "tight"}
    n = runs[0]["claim_n"]
    K = sorted({len(r["seeds"]) for r in runs})
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(11.0, 3.3), constrained_layout=True)
        left, mid, right = fig.subplots(1, 3)
        m, se, th = series("c-keeps-few-shot-opposite")
        left.errorbar(xs, m, yerr=se, fmt="o-", color="#2ca02c", capsize=3, ms=5, lw=1, label="transformer")
        left.axhline(th, color="#2ca02c", ls="--", lw=0.9, label=f"linear theory ({th:+.2f})")
        left.axhline(1, color="#d62728", ls=":", lw=0.9, label="as much as (b)")
        left.set_ylabel(f"[E{n}(c) - E{n}(pre)] / [E{n}(b) - E{n}(pre)]")
        left.set_title(r"(c)'s few-shot change over (b)'s, on $-\theta_0$", loc="left", fontsize=8.5)
        for cid, label, color, dx in (("b-few-shot-theta0", "(b)", "#d62728", -0.06),
                                      ("c-keeps-few-shot-theta0", "(c)", "#2ca02c", 0.06)):
            if cid == "b-few-shot-theta0":
                m, se, th = series(cid)
            else:  # (c)'s change = ratio x (b)'s change, per seed: read the per-seed values
                vals = []
                for r in runs:
                    rb = next(c for c in r["claims"] if c["id"] == "b-few-shot-theta0")["transformer"]["per_seed"]
                    rr = next(c for c in r["claims"] if c["id"] == cid)["transformer"]["per_seed"]
                    vals.append([a * b for a, b in zip(rr, rb)])
                m = [sum(v) / len(v) for v in vals]
                se = [(sum((x - mm) ** 2 for x in v) / (len(v) - 1) / len(v)) ** 0.5 if len(v) > 1 else 0.0
                      for v, mm in zip(vals, m)]
                c0 = next(c for c in runs[0]["claims"] if c["id"] == cid)
                b0 = next(c for c in runs[0]["claims"] if c["id"] == "b-few-shot-theta0")
                th = c0["theory"] * b0["theory"] if c0["theory"] is not None and b0["theory"] is not None else None
            mid.errorbar([x + dx for x in xs], m, yerr=se, fmt="o-", color=color, capsize=3, ms=5, lw=1,
                         label=f"{label}, transformer")
            if th is not None:
                mid.axhline(th, color=color, ls="--", lw=0.9, label=f"{label}, linear theory ({th:+.2f})")
        mid.axhline(0, color="0.6", lw=0.6)
        mid.set_ylabel(f"E{n} - E{n}(pre) on $\\theta_0$")
        mid.set_title(r"few-shot change on $\theta_0$ (0: kept)", loc="left", fontsize=8.5)
        m, se, th = series("c-comparable-gain")
        right.errorbar(xs, m, yerr=se, fmt="s-", color="#2ca02c", capsize=3, ms=5, lw=1, label="transformer")
        if th is not None:
            right.axhline(th, color="#2ca02c", ls="--", lw=0.9, label=f"linear theory ({th:.2f})")
        right.set_ylabel("[E0(c) - E0(pre)] / [E0(b) - E0(pre)]")
        right.set_title("(c)'s zero-shot gain over (b)'s", loc="left", fontsize=8.5)
        for ax in (left, mid, right):
            ax.set_xticks(xs, labels)
            ax.set_xlabel(_SWEPT.get(sweep.get("what"), sweep.get("what", "")))
            ax.grid(True, lw=0.3, alpha=0.5)
            ax.legend(frameon=False)
        fig.suptitle(seeds_title(K), fontsize=8)
        save_figure(fig, paths, png_dpi=130)
    return fig


def seeds_title(K: list) -> str:
    """The sweep figure's title: what the points and bars are over ``K`` (the seed counts of its
    runs); one seed has no standard error (the title said "over 1 seeds")."""
    if K == [1]:
        return "one seed per point: no standard error (bars absent)"
    return f"mean ± one standard error over {'/'.join(map(str, K))} seeds"

