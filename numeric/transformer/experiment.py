"""The whole transformer experiment for one seed: pretrain, fine-tune by each strategy, evaluate.

:meth:`ExperimentConfig.full` is the configuration of ``icl-finetune transformer``;
:meth:`ExperimentConfig.quick` its ``--quick`` version; :meth:`ExperimentConfig.tiny` the
test suite's. Every strategy is fine-tuned with the same steps, batch and learning rate
(:attr:`ExperimentConfig.finetune_optim`), chosen once and recorded in the output.

Evaluation: for each model (``pretrain`` and each strategy) and each task at an angle from
theta0 (0 is theta0, pi is -theta0), the n-shot errors at :attr:`ExperimentConfig.ns`,
each over ``eval_prompts`` prompts with its standard error (for the linear control, ``V`` and ``Q``
of every model as well, every layer's at depth). The linear control at depth L = 2, 3
(:meth:`ExperimentConfig.linear` with ``layers``): the unmasked depth model of :mod:`numeric.depth`,
(c) and (d) training the last layer's V only, evaluated one prompt per n (:mod:`.evaluate`).
Within a seed every model sees
the same evaluation prompts (key ``seed_key(seed, 2, task index)``), so differences between
models are paired.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .checkpoint import save_checkpoint
from .data import seed_key, task_at_angle
from .evaluate import evaluate
from .model import ModelConfig, count_params
from .train import TRAINABLE_STRATEGIES, FinetuneConfig, OptimConfig, PretrainConfig, finetune, pretrain

__all__ = ["ExperimentConfig", "run_seed", "MODELS", "ANGLES", "ANGLE_NAMES", "LINEAR_LAYERS", "linear_params"]

#: the depths of the linear model the experiment runs (``transformer --model linear --layers L``)
LINEAR_LAYERS = (1, 2, 3)

#: the models evaluated: the pretrained one and one per strategy
MODELS = ("pretrain",) + TRAINABLE_STRATEGIES
#: evaluation tasks: angles from theta0 (0: theta0 itself, pi: -theta0)
ANGLES = (0.0, math.pi / 6, math.pi / 3, math.pi / 2, math.pi)
ANGLE_NAMES = ("theta0", "pi/6", "pi/3", "pi/2", "-theta0")


@dataclass(frozen=True, eq=False)
class ExperimentConfig:
    """Model, data (``d``, ``sigma2``, ``theta0``, pretraining shots 0..``max_shots``), optimisers,
    strategy (d)'s auxiliary loss (``n_ft`` shots), evaluation (``ns``, ``eval_prompts``)."""

    name: str = "full"
    model: ModelConfig = field(default_factory=lambda: ModelConfig(d=5, layers=2, width=32, heads=4))
    max_shots: int = 40
    sigma2: float = 0.1
    theta0: Any = None
    pretrain_optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=1500, batch=64, lr=2e-3,
                                                                            warmup=150))
    finetune_optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=300, batch=64, lr=1e-3))
    n_ft: int = 20
    fewshot_weight: float = 1.0
    fewshot_final: float = 1e-3
    strategies: tuple = TRAINABLE_STRATEGIES
    ns: tuple = (0, 5, 10, 20, 40)
    eval_prompts: int = 2000
    #: None: pretraining averages the n-shot loss over n = 0..max_shots; m: the m-shot loss alone
    #: (the paper's objective (a), which the linear control uses so that the theory at m applies)
    pretrain_m: int | None = None

    def __post_init__(self) -> None:
        d = self.model.d
        th = np.eye(d)[0] if self.theta0 is None else np.asarray(self.theta0, dtype=float)
        if th.shape != (d,) or not np.all(np.isfinite(th)) or not np.any(th):
            raise ValueError(f"theta0: expected {d} finite numbers, not all 0, got {self.theta0!r}")
        object.__setattr__(self, "theta0", th)
        bad = [s for s in self.strategies if s not in TRAINABLE_STRATEGIES]
        if bad:
            raise ValueError(f"strategies: expected names from {', '.join(TRAINABLE_STRATEGIES)}, got {bad}")
        ns = tuple(int(n) for n in self.ns)
        if not ns or min(ns) < 0 or max(ns) > self.max_shots or 0 not in ns:
            raise ValueError(f"ns: expected shot counts in 0..{self.max_shots} including 0, got {self.ns!r}")
        object.__setattr__(self, "ns", ns)
        if self.n_ft > self.max_shots:
            raise ValueError(f"n_ft: expected at most max_shots = {self.max_shots}, got {self.n_ft}")

    @classmethod
    def full(cls, **overrides: Any) -> "ExperimentConfig":
        """The configuration of ``icl-finetune transformer`` (sized for about 20 minutes on 2 CPU cores)."""
        return replace(cls(), **overrides) if overrides else cls()

    @classmethod
    def quick(cls, **overrides: Any) -> "ExperimentConfig":
        """``--quick``: a one-layer model, fewer steps (in-context learning still shows)."""
        base = cls(name="quick", model=ModelConfig(d=5, layers=1, width=32, heads=4),
                   pretrain_optim=OptimConfig(steps=800, batch=32, lr=3e-3, warmup=80),
                   finetune_optim=OptimConfig(steps=200, batch=64, lr=1e-3), eval_prompts=1000)
        return replace(base, **overrides) if overrides else base

    @classmethod
    def tiny(cls, **overrides: Any) -> "ExperimentConfig":
        """The test suite's configuration: seconds (most of them compiling), and still learning in
        context (calibrated over seeds: tests/test_transformer.py)."""
        base = cls(name="tiny", model=ModelConfig(d=5, layers=1, width=32, heads=4, mlp=2), max_shots=20,
                   pretrain_optim=OptimConfig(steps=400, batch=32, lr=5e-3, warmup=40, fast_compile=True),
                   finetune_optim=OptimConfig(steps=25, batch=32, lr=1e-3, fast_compile=True), n_ft=10,
                   ns=(0, 5, 10, 20), eval_prompts=500)
        return replace(base, **overrides) if overrides else base

    @classmethod
    def linear(cls, quick: bool = False, layers: int = 1, **overrides: Any) -> "ExperimentConfig":
        """The control: the same pipeline with the paper's linear self-attention (``kind="linear"``),
        pretrained on the paper's m-shot objective (a) at m = ``max_shots`` = 40 so that the theory
        at m = 40 applies. Adam as for the transformer, with a step size, steps and batches at
        which this model converges: with the transformer's 64 prompts a step, Adam's normalised
        steps stall on gradient noise before (b) reaches its family of minimisers (measured:
        sym(Q_xx) still 0.04 after 500 steps of 256 prompts, 0.006 with 4,096); pretraining
        batches of 512 prompts (with 256, ``quick``'s, the pretrained Gamma is off by about 0.01
        and (d)'s few-shot effects come out 3% small); 4,000 evaluation prompts (the claims are
        also computed from the trained parameters' exact errors, which have no prompt noise).
        No query-key contrast: the linear model's Q is not inert on the zero-shot prompt, and
        the theory has no (b)-(d)-style prediction for it in this table.

        ``layers`` L = 1 (the paper's model), 2 or 3: L layers of it on a residual stream, unmasked
        (:mod:`numeric.depth`), every V_l, Q_l trained in pretraining and by (b); (c) and (d) train the
        last layer's V only (:meth:`value_names`), as ``figure --layers`` does. The name gets ``-layersL``
        at L >= 2."""
        if isinstance(layers, bool) or layers not in LINEAR_LAYERS:
            raise ValueError(f"layers: expected one of {', '.join(map(str, LINEAR_LAYERS))} for the linear model, "
                             f"got {layers!r}")
        name = ("linear-quick" if quick else "linear") + (f"-layers{layers}" if layers > 1 else "")
        base = cls(name=name, model=ModelConfig(d=5, layers=layers, kind="linear"),
                   pretrain_m=40,
                   pretrain_optim=OptimConfig(steps=1000 if quick else 2000, batch=256 if quick else 512,
                                              lr=1e-2, warmup=100 if quick else 200, lr_final=0.01),
                   finetune_optim=OptimConfig(steps=500 if quick else 1000, batch=2048, lr=1e-2, lr_final=0.01),
                   eval_prompts=4000, strategies=("full", "value", "value-fewshot"))
        return replace(base, **overrides) if overrides else base

    def with_model(self, **changes: Any) -> "ExperimentConfig":
        """This configuration with the model's ``layers``, ``width``, ``prefix``... changed (the name
        records the changes, e.g. ``full-prefix4``)."""
        if not changes:
            return self
        model = replace(self.model, **changes)
        tag = "-".join(f"{k}{v}" for k, v in sorted(changes.items()))
        return replace(self, model=model, name=f"{self.name}-{tag}")

    def value_names(self) -> list[str] | None:
        """The parameters strategies (c) and (d) train: None (every layer's value and output
        projections, :func:`~numeric.transformer.model.trainable_names`) except for the linear model at
        depth L >= 2, where they train the last layer's V alone (``layer{L-1}/attn/V``)."""
        if self.model.kind == "linear" and self.model.layers > 1:
            return [f"layer{self.model.layers - 1}/attn/V"]
        return None

    @property
    def steps_per_seed(self) -> int:
        return self.pretrain_optim.steps + len(self.strategies) * self.finetune_optim.steps

    def pretrain_config(self) -> PretrainConfig:
        return PretrainConfig(model=self.model, max_shots=self.max_shots, sigma2=self.sigma2,
                              optim=self.pretrain_optim, m=self.pretrain_m)

    def finetune_config(self, strategy: str) -> FinetuneConfig:
        return FinetuneConfig(strategy=strategy, theta0=self.theta0, sigma2=self.sigma2, n_ft=self.n_ft,
                              fewshot_weight=self.fewshot_weight, fewshot_final=self.fewshot_final,
                              optim=self.finetune_optim)

    def tasks(self) -> dict[str, np.ndarray]:
        """Evaluation task name -> vector: theta0, the angles pi/6, pi/3, pi/2 from it, and -theta0."""
        return {name: (-self.theta0 if a == math.pi else task_at_angle(self.theta0, a))
                for name, a in zip(ANGLE_NAMES, ANGLES)}

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model.to_dict(), "max_shots": self.max_shots,
                "sigma2": self.sigma2, "theta0": self.theta0.tolist(), "Sigma": "identity",
                "pretrain_optim": asdict(self.pretrain_optim), "finetune_optim": asdict(self.finetune_optim),
                "finetune_data": "fresh examples of theta0 every step",
                "n_ft": self.n_ft, "fewshot_weight": self.fewshot_weight, "fewshot_final": self.fewshot_final,
                "fewshot_decay": "geometric", "strategies": list(self.strategies), "ns": list(self.ns),
                "tasks": {k: v.tolist() for k, v in self.tasks().items()},
                "angles": dict(zip(ANGLE_NAMES, ANGLES)), "eval_prompts": self.eval_prompts,
                "pretrain_m": self.pretrain_m,
                **({"value_trains": self.value_names()} if self.value_names() is not None else {})}


def run_seed(config: ExperimentConfig, seed: int, *, progress: Callable[[int], None] | None = None,
             checkpoint_dir: str | Path | None = None) -> dict:
    """Pretrain, fine-tune by every strategy of ``config`` and evaluate every model, for one seed.

    Returns a JSON-ready dict: ``seed``, ``seconds`` (per stage and ``evaluate``), ``final_loss``
    and ``trained`` (parameter names) per stage, ``n_params``, and ``errors[model][task]`` =
    ``{"ns", "mean", "se", "prompts"}``. ``checkpoint_dir``: write ``<stage>.npz`` there.
    """
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"seed": int(seed), "seconds": {}, "final_loss": {}, "trained": {}}
    models = {}
    pre = pretrain(config.pretrain_config(), seed, progress=progress)
    models["pretrain"] = pre
    out["n_params"] = count_params(pre.params)
    for s in config.strategies:
        names = config.value_names() if s in ("value", "value-fewshot") else None
        models[s] = finetune(pre.params, config.model, config.finetune_config(s), seed, progress=progress,
                             names=names)
    for name, r in models.items():
        out["seconds"][name] = r.seconds
        out["final_loss"][name] = r.final_loss
        out["trained"][name] = len(r.trained) if name == "pretrain" else r.trained
        if checkpoint_dir is not None:
            save_checkpoint(checkpoint_dir / f"{name}.npz", r)
    t0 = time.perf_counter()
    errors: dict[str, dict[str, dict]] = {name: {} for name in models}
    for i, (task, theta) in enumerate(config.tasks().items()):
        key = seed_key(seed, 2, i)
        for name, r in models.items():
            e = evaluate(r.params, config.model, theta, config.ns, sigma2=config.sigma2,
                         prompts=config.eval_prompts, key=key, fast_compile=config.pretrain_optim.fast_compile)
            errors[name][task] = {"ns": list(e.ns), "mean": list(e.mean), "se": list(e.se), "prompts": e.prompts}
    out["seconds"]["evaluate"] = time.perf_counter() - t0
    out["errors"] = errors
    if config.model.kind == "linear":  # small: V and Q of each model, for the exact errors and the theory
        out["linear_params"] = {name: linear_params(r.params) for name, r in models.items()}
    return out


def linear_params(params: dict) -> dict:
    """The linear model's parameters as JSON: ``{"V", "Q"}`` (nested lists) at one layer; at depth L >= 2
    ``{"layers": [{"V", "Q"}, ...]}`` (layer 1 first: the form ``icl-finetune error --params`` reads)."""
    from .model import linear_layers
    L = linear_layers(params)
    layers = [{"V": np.asarray(params[f"layer{i}/attn/V"], float).tolist(),
               "Q": np.asarray(params[f"layer{i}/attn/Q"], float).tolist()} for i in range(L)]
    return layers[0] if L == 1 else {"layers": layers}
