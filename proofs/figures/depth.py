"""The poster's left panel at depth (``icl-finetune figure --layers L``, L = 2 or 3).

Lines: the depth-L class's exact errors (:func:`symbolic.depth_curves.depth_curves`, float64) of
(a) the pretrained class minimiser at m, (c) the last layer's values fine-tuned on the zero-shot
loss on theta0, (d) (c) with the n_ft-shot loss choosing v_y; n = 0..20 on theta0 and -theta0.

Points: the JAX linear model at L layers (:mod:`numeric.transformer`, ``kind="linear"``, every
entry of every V_l, Q_l free) pretrained on the m-shot objective (a), then (c) and (d) fine-tuning
the last layer's V only from it; each point is the Monte Carlo error of the trained layers
(:func:`numeric.depth.estimate_error_depth`, float64; bars: two standard errors). The trained
pretrained model is not in the class (``bench/depth_training_vs_class.py``): its errors have a
heavy tail, so its points and their bars are less reliable than at one layer.

:func:`make_depth_figure` writes the one file named; matplotlib is imported when it draws.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

__all__ = ["DepthFigureConfig", "make_depth_figure", "depth_theory", "draw_depth", "LAYERS"]

#: the depths the figure draws (1 is the one-layer figure, proofs.figures.linear)
LAYERS = (2, 3)
MODELS = ("pretrain", "value", "value-fewshot")


@dataclass(frozen=True)
class DepthFigureConfig:
    """The setting (the one-layer figure's: d = 5, m = n_ft = 20, sigma^2 = 0.1, theta0 = e_1, Sigma = I)
    and the JAX training and evaluation sizes (``quick``: CI size)."""

    L: int = 2
    d: int = 5
    m: int = 20
    n_ft: int = 20
    sigma2: float = 0.1
    ns: tuple = tuple(range(21))
    pretrain_steps: int = 3000
    pretrain_batch: int = 1024
    finetune_steps: int = 1000
    finetune_batch: int = 2048
    eval_samples: int = 20_000
    name: str = "poster"
    theta0: tuple = field(default=None)

    def __post_init__(self) -> None:
        if self.L not in LAYERS:
            raise ValueError(f"L: expected one of {', '.join(map(str, LAYERS))}, got {self.L!r}")
        if self.theta0 is None:
            object.__setattr__(self, "theta0", tuple(np.eye(self.d)[0]))

    @classmethod
    def quick(cls, L: int = 2) -> "DepthFigureConfig":
        return cls(L=L, pretrain_steps=800, pretrain_batch=512, finetune_steps=300, finetune_batch=1024,
                   eval_samples=4_000, name="quick")


def depth_theory(cfg: DepthFigureConfig):
    """The class's curves (:class:`symbolic.depth_curves.DepthCurves`) at the figure's setting."""
    from fractions import Fraction
    from symbolic.depth_curves import depth_curves
    return depth_curves(cfg.L, d=cfg.d, m=cfg.m, n_ft=cfg.n_ft, sigma2=str(Fraction(cfg.sigma2).limit_denominator()),
                        theta0=list(cfg.theta0), ns=cfg.ns)


def _train(cfg: DepthFigureConfig, seed: int, progress) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """The JAX linear model at depth L: pretrained on the m-shot loss, then (c), (d) on the last layer's V."""
    from numeric.transformer.model import ModelConfig
    from numeric.transformer.train import FinetuneConfig, OptimConfig, PretrainConfig, finetune, pretrain
    mc = ModelConfig(d=cfg.d, layers=cfg.L, kind="linear")
    pre = pretrain(PretrainConfig(model=mc, max_shots=cfg.m, m=cfg.m, sigma2=cfg.sigma2,
                                  optim=OptimConfig(steps=cfg.pretrain_steps, batch=cfg.pretrain_batch, lr=1e-2,
                                                    warmup=cfg.pretrain_steps // 20, lr_final=0.01)),
                   seed, progress=progress)
    last = [f"layer{cfg.L - 1}/attn/V"]
    models = {"pretrain": pre.params}
    for s in ("value", "value-fewshot"):
        fc = FinetuneConfig(strategy=s, theta0=np.asarray(cfg.theta0), sigma2=cfg.sigma2, n_ft=cfg.n_ft,
                            optim=OptimConfig(steps=cfg.finetune_steps, batch=cfg.finetune_batch, lr=1e-2,
                                              lr_final=0.01))
        models[s] = finetune(pre.params, mc, fc, seed, progress=progress, names=last).params
    return {k: [(np.asarray(p[f"layer{i}/attn/V"], float), np.asarray(p[f"layer{i}/attn/Q"], float))
                for i in range(cfg.L)] for k, p in models.items()}


def _evaluate(cfg: DepthFigureConfig, layers, seed: int) -> dict[str, SimpleNamespace]:
    from numeric.depth import estimate_error_depth
    th = np.asarray(cfg.theta0, float)
    out = {}
    for k, (task, sign) in enumerate((("target", 1.0), ("opposite", -1.0))):
        ests = [estimate_error_depth(layers, n=n, theta=sign * th, Sigma=np.eye(cfg.d), sigma2=cfg.sigma2,
                                     samples=cfg.eval_samples,
                                     seed=np.random.default_rng([seed, k, n])) for n in cfg.ns]
        out[task] = SimpleNamespace(n=list(cfg.ns), mean=np.array([e.mean for e in ests]),
                                    stderr=np.array([e.stderr for e in ests]))
    return out


#: trained points above OFF_SCALE times the largest theory value are not drawn (the title counts them)
OFF_SCALE = 1000.0

LABELS = {
    "pretrain": r"(a) pretrain: every $V_l, Q_l$ (line: the class minimiser)",
    "value": r"(c) value: the last layer's $V_L$ only, zero-shot loss",
    "value-fewshot": r"(d) value-fewshot: $V_L$ only, zero- and few-shot loss",
}


def draw_depth(cfg: DepthFigureConfig, theory, errors: dict, paths: list[Path]):
    """Two panels (theta0, -theta0) through :func:`proofs.figures.draw.draw`: ``theory`` a
    :class:`symbolic.depth_curves.DepthCurves`, ``errors[task][model]`` with ``n``, ``mean``, ``stderr``."""
    from proofs.figures.draw import draw
    protocol = SimpleNamespace(ns=cfg.ns, sigma2=cfg.sigma2, d=cfg.d, m=cfg.m, n_ft=cfg.n_ft)
    cap = OFF_SCALE * max(max(v) for k in MODELS for v in theory.errors[k].values())
    shown, off, top = {}, 0, 0.0
    for task, errs in errors.items():  # trained points above the cap are not drawn (counted in the title)
        shown[task] = {}
        for k, e in errs.items():
            mean, se = np.array(e.mean, float), np.array(e.stderr, float)
            bad = ~(mean <= cap)
            off += int(bad.sum())
            top = max([top] + [float(v) for v in mean[bad] if np.isfinite(v)])
            mean[bad], se[bad] = np.nan, np.nan
            shown[task][k] = SimpleNamespace(n=list(e.n), mean=mean, stderr=se)
    result = SimpleNamespace(protocol=protocol, models={k: None for k in MODELS}, errors=shown)
    th = {k: {"curves": {task: SimpleNamespace(n=list(theory.ns), error=theory.errors[k][task])
                         for task in ("target", "opposite")}} for k in MODELS}
    g = ", ".join(f"{x:.3f}" for x in theory.gammas)
    title = (rf"{cfg.L}-layer linear attention: $d={cfg.d}$, pretrained on $m={cfg.m}$ shots "
             rf"(class: $\gamma = ({g})$), $n_{{\mathrm{{ft}}}}={cfg.n_ft}$, $\sigma^2={cfg.sigma2:g}$")
    if off:
        title += (f"\n{off} trained point{'s' if off > 1 else ''} off scale (error above {cap:.3g}, up to "
                  f"{top:.2g}: heavy-tailed errors of the unrestricted model at small n) not drawn")
    return draw(result, th, paths, title=title, labels=LABELS)


def make_depth_figure(out: Path, seed: int, quick: bool, L: int, progress: bool = True) -> dict:
    """Derive the class curves, train the JAX model at depth L, evaluate it and draw ``out``.
    Returns ``{"figure": [out], "gammas", "theory", "trained", "seconds", "fig"}``."""
    from tqdm import tqdm
    t0 = time.perf_counter()
    cfg = DepthFigureConfig.quick(L) if quick else DepthFigureConfig(L=L)
    theory = depth_theory(cfg)
    total = cfg.pretrain_steps + 2 * cfg.finetune_steps
    with tqdm(total=total, desc="training", unit="step", disable=not progress, file=sys.stderr,
              dynamic_ncols=True, leave=False) as bar:
        layers = _train(cfg, int(seed), bar.update)
    per_model = {k: _evaluate(cfg, lay, int(seed)) for k, lay in layers.items()}
    errors = {task: {k: per_model[k][task] for k in MODELS} for task in ("target", "opposite")}
    fig = draw_depth(cfg, theory, errors, [Path(out)])
    return {"figure": [str(out)], "gammas": theory.gammas, "theory": theory.errors,
            "trained": {task: {k: list(map(float, v.mean)) for k, v in errs.items()} for task, errs in errors.items()},
            "seconds": time.perf_counter() - t0, "fig": fig}
