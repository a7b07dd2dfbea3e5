"""Every figure, drawn at its printed size with tiny settings, passes the layout checks a
reviewer would make (proofs.figures.layout): no two texts overlap, no text lies on a
marker, no marker hides another series' marker, every axis has >= 3 labelled ticks.

The "trained" models here are the derived optima themselves (their exact errors, tiny
standard errors): the worst case for overlaps, since converged trained points sit on the
theory curves, (c) and (d) share the zero-shot error and query-key's curve is (a)'s.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from numeric.fast import moment_error  # noqa: E402
from numeric.training import OptimConfig, Protocol  # noqa: E402
from numeric.training.evaluate import ErrorCurve  # noqa: E402
from numeric.training.protocol import TASKS, ProtocolResult  # noqa: E402
from proofs.figures.layout import layout_problems  # noqa: E402


def _floats(M) -> np.ndarray:
    return np.array(np.asarray(M.evalf()).tolist(), dtype=float)


def converged_result(protocol: Protocol):
    """A ProtocolResult whose models are the derived optima, and the theory for the figure."""
    from types import SimpleNamespace
    from proofs.figures.theory import theory_for
    theory = {s: theory_for(protocol, s) for s in ("pretrain", *protocol.strategies)}
    models, errors = {}, {t: {} for t in TASKS}
    for name, th in theory.items():
        V, Q = _floats(th["params"].V), _floats(th["params"].Q)
        models[name] = SimpleNamespace(V=V, Q=Q, warnings=[], seconds=0.0, final_loss=0.0)
        for task in TASKS:
            theta = protocol.theta0 * (1 if task == "target" else -1)
            e = np.array([moment_error(V, Q, n=n, theta=theta, Sigma=protocol.Sigma, sigma2=protocol.sigma2)
                          for n in protocol.ns])
            errors[task][name] = ErrorCurve(list(protocol.ns), e, 0.002 * e, 10**6, e)
    return ProtocolResult(protocol, 0, models, errors, {}, {}), theory


def test_linear_figure_layout(tmp_path):
    from proofs.figures.draw import draw
    protocol = Protocol.poster()  # the poster's setting (d = 5, m = n_ft = 20, n = 0..20): nothing is trained
    result, theory = converged_result(protocol)
    fig = draw(result, theory, [tmp_path / "fig.png"])
    assert layout_problems(fig) == []
    assert (tmp_path / "fig.png").stat().st_size > 10_000


def test_linear_figure_end_to_end_returns_its_figure(tmp_path):
    from proofs.figures.linear import make_figure
    steps = {s: OptimConfig(steps=20, batch=100, lr=1e-2) for s in ("full", "value", "value-fewshot", "query-key")}
    protocol = Protocol(name="tiny", d=2, m=4, n_ft=4, pretrain_optim=OptimConfig(steps=40, batch=200, lr=2e-2),
                        finetune_optim=steps, dataset_size=300, eval_samples=200, ns=tuple(range(5)))
    rep = make_figure(tmp_path / "f.png", 0, True, progress=False, protocol=protocol, echo=False)
    models = rep.closeness["models"]
    assert list(models) == ["pretrain", "full", "value", "value-fewshot", "query-key"]
    # query-key starts at the derived (V_hat, Q_hat), where no gradient in Q is nonzero: it stays there
    qk = models["query-key"]
    assert qk["start"] == "derived pretrained parameters"
    assert qk["parameters"]["distance"] < 1e-12 and qk["parameters"]["update_distance"] < 1e-12
    assert [ln.get_linestyle() for ln in rep.figure.axes[0].lines if ln.get_gid() == "query-key theory"] == ["--"]


def test_frontier_figure_layout():
    from proofs.figures.frontier import FrontierFigureConfig, draw_frontier, theory_curve
    cfg = FrontierFigureConfig(lambdas=(10.0, 100.0, 1000.0), seeds=3, curve_points=60)
    theory = theory_curve(cfg)
    trained = {lam: {"mean": np.array(theory["at"][lam]), "stderr": 0.002 * np.array(theory["at"][lam])}
               for lam in cfg.lambdas}
    fig = draw_frontier(cfg, theory, trained, [])   # not saved: the checks draw it
    assert layout_problems(fig) == []


def test_the_checks_can_fail(tmp_path):
    """A figure with each fault: two labels on each other, a label on a marker, a marker hiding
    another series', a log axis with two labelled ticks (the old figures' faults)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([1.0], [0.5], "o", ms=6, gid="(a)")
    ax.plot([1.0], [0.5], "^", ms=6, gid="(c)")
    ax.plot([2.0], [0.15], "s", ms=6, gid="(d)")
    ax.annotate("lambda = 10", (2.0, 0.15), ha="center", va="center")
    ax.annotate("first", (1.5, 0.3))
    ax.annotate("second", (1.5, 0.3))
    ax.errorbar([1.5], [0.9], yerr=[0.01], fmt="s", ms=6, label="(b) all parameters")   # data lines of error
    ax.errorbar([1.5], [0.9], yerr=[0.01], fmt="D", ms=6, label="(d) few-shot loss")    # bars: '_nolegend_'
    ax.set_yscale("log")
    ax.set_ylim(0.09, 1.1)
    text = "\n".join(layout_problems(fig))
    assert "a marker of '(b) all parameters' hides one of '(d) few-shot loss'" in text
    assert "'first'" in text and "'second'" in text and "overlaps" in text
    assert "'lambda = 10'" in text and "lies on a marker of '(d)'" in text
    assert "a marker of '(a)' hides one of '(c)'" in text
    assert "the y axis has 2 labelled ticks" in text
    # a coincide group exempts the named pair only
    narrow = "\n".join(layout_problems(fig, coincide=[{"(a)", "(c)"}]))
    assert "hides one of '(c)'" not in narrow and "hides one of '(d) few-shot loss'" in narrow
    assert narrow.count("\n") == text.count("\n") - 1
    assert layout_problems(fig, coincide=[{"(a)", "(b) all parameters"}]) == text.splitlines()  # both, not either
    for bad in ("(a)", ["(a)"], [set()]):
        with pytest.raises(ValueError, match="coincide"):
            layout_problems(fig, coincide=bad)


def test_a_legend_over_a_curve_is_flagged():
    """A legend inside the axes over a curve (figure --trajectory's first panel once) or a marker
    is flagged; the same legend below the axes, or in an empty corner, is not."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3, 2.2))
    ax = fig.subplots()
    x = np.linspace(0.0, 1.0, 50)
    ax.plot(x, 0.5 + 0.0 * x, label="flat")
    ax.plot([0.9], [0.1], "o", label="point")
    ax.set_ylim(0.0, 1.0)
    ax.legend(loc="center")
    assert "the legend of axes 0 covers the curve flat in axes 0" in layout_problems(fig)
    ax.legend(loc="lower right")
    assert "the legend of axes 0 covers a marker of 'point' in axes 0" in layout_problems(fig)
    ax.legend(loc="upper left")
    assert not [p for p in layout_problems(fig) if "legend" in p]
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25))
    assert not [p for p in layout_problems(fig) if "legend" in p]


def test_trajectory_figure_layout():
    """The forgetting-curves figure (figure --trajectory) passes every layout check, the legends
    included (each panel has one, and none covers a curve: inside, the first covered the n -> oo
    curves), with one named exemption: the trained points of several step counts, converged, are
    one point (trajectory.COINCIDE); they lie inside (c)'s open marker, drawn above them. The
    trained points here are the closed form's own values at converged steps (the worst case)."""
    from proofs.figures.trajectory import COINCIDE, TrajectoryFigureConfig, draw, theory
    cfg = TrajectoryFigureConfig.quick()
    th = theory(cfg)
    v, steps = th["value"], np.asarray(th["steps"])
    trained = {}
    for t in (10, 100, 1000):
        i = int(np.argmin(np.abs(steps - t)))
        trained[int(steps[i])] = {"mean": [v[f"n_ft:{c}"][i] for c in ("zero_shot", "few_shot_target",
                                                                         "few_shot_opposite")],
                                  "stderr": [0.002] * 3}
    fig = draw(cfg, th, trained, None)   # not saved: the checks draw it at its printed size
    assert layout_problems(fig, coincide=COINCIDE) == []
    assert all(ax.get_legend() is not None for ax in fig.axes)
    # the exemption is needed (the points do coincide) and is no wider than named
    text = "\n".join(layout_problems(fig))
    assert "a marker of 'trained (c) value' hides one of 'trained (c) value'" in text
    assert all(line.count("trained (c) value") == 2 for line in text.splitlines())
    for ax in fig.axes[1:]:
        strategies = [ln for ln in ax.lines if ln.get_label().startswith(("(a)", "(b)", "(c)", "(d)"))
                      and ln.get_marker() not in (None, "None", "")]
        assert len(strategies) == 4
        trained_z = max(c.lines[0].get_zorder() for c in ax.containers)    # the errorbars' data markers
        assert all(ln.get_zorder() > trained_z for ln in strategies)


def _transformer_result() -> dict:
    """The committed quick transformer result (docs/notebooks/data): real trained points, no training here."""
    import json
    from pathlib import Path
    return json.loads((Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "data" /
                       "transformer-quick.json").read_text())


def test_transformer_figures_layout():
    """The transformer figure (icl-finetune transformer --out) of the committed quick result, and
    the sweep figure (bench/sweep_transformer.py --figure) of a sweep made of it (three runs, each
    claim scaled), pass every layout check; the one exemption is the query-key model drawn on (a)
    when it did not move, which its label says (transformer.COINCIDE). In this result (b) and (d)
    lie within a marker's size of each other: (d) is drawn open and larger."""
    import copy
    from proofs.figures.transformer import COINCIDE, draw, draw_sweep
    result = _transformer_result()
    fig = draw(result, [])   # not saved: the checks draw it
    assert layout_problems(fig, coincide=COINCIDE) == []
    assert all("= (a): unchanged" in p for p in layout_problems(fig))    # the exemption, no wider
    runs = []
    for k, value in enumerate((0, 4, 16)):
        run = copy.deepcopy(result)
        run["value"] = value
        for claim in run["claims"]:
            tr = claim.get("transformer")
            if isinstance(tr, dict) and tr.get("mean") is not None:
                tr["mean"] *= 1 + 0.15 * k
                tr["per_seed"] = [x * (1 + 0.15 * k) for x in tr["per_seed"]]
        runs.append(run)
    assert layout_problems(draw_sweep({"what": "prefix", "runs": runs}, [])) == []
