"""The poster's training protocol: pretrain once, fine-tune with every strategy, evaluate.

:meth:`Protocol.poster` is the poster's setting (d = 5, m = n_ft = 20, sigma2 = 0.1,
batch 5000, 5000 steps per stage, Sigma = I, theta0 = e_1, evaluation at n = 0..20 on
theta0 and -theta0); :meth:`Protocol.quick` a small version for CI. :func:`run_protocol`
runs it, optionally writing (and reusing) one checkpoint per stage.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..validation import check_count, check_covariance, check_seed, check_sigma2, check_vector
from .checkpoint import load_checkpoint, save_checkpoint
from .data import make_dataset
from .evaluate import ErrorCurve, evaluate_models, fast_error_curve
from .train import (TRAINABLE_STRATEGIES, FinetuneConfig, OptimConfig, PretrainConfig, TrainResult, canonical_strategy,
                    finetune, pretrain)

__all__ = ["Protocol", "ProtocolResult", "run_protocol", "TASKS"]

#: evaluation tasks: theta0 itself and the opposite task -theta0
TASKS = ("target", "opposite")


def _default_finetune_optim(steps: int, batch: int) -> dict[str, OptimConfig]:
    return {
        "full": OptimConfig(steps=steps, batch=batch, lr=1e-2),
        "value": OptimConfig(steps=steps, batch=batch, lr=1e-2),
        "value-fewshot": OptimConfig(steps=steps, batch=batch, lr=1e-2),
        "query-key": OptimConfig(steps=steps, batch=batch, lr=1e-2),
    }


@dataclass(frozen=True, eq=False)
class Protocol:
    """A complete experiment: data setting, pretraining, fine-tuning per strategy, evaluation.

    ``theta0`` None means ``e_1``; ``Sigma`` None the identity. ``finetune_optim`` maps each
    strategy to its :class:`OptimConfig`. ``eval_samples`` prompts per (model, task, n).
    """

    name: str = "poster"
    d: int = 5
    m: int = 20
    n_ft: int = 20
    sigma2: float = 0.1
    Sigma: Any = None
    theta0: Any = None
    tasks: str = "gaussian"
    pretrain_optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=5000, batch=5000, lr=1e-2))
    finetune_optim: dict = field(default_factory=lambda: _default_finetune_optim(5000, 5000))
    dataset_size: int = 100000
    fewshot_weight: float = 1.0
    fewshot_decay: str = "geometric"
    strategies: tuple = TRAINABLE_STRATEGIES
    ns: tuple = tuple(range(21))
    eval_samples: int = 100000

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        d = int(check_count(self.d, "d", minimum=1))
        set_(self, "d", d)
        set_(self, "m", int(check_count(self.m, "m", minimum=1)))
        set_(self, "n_ft", int(check_count(self.n_ft, "n_ft", minimum=1)))
        set_(self, "sigma2", check_sigma2(self.sigma2))
        set_(self, "Sigma", np.eye(d) if self.Sigma is None else check_covariance(self.Sigma, "Sigma", d))
        theta0 = np.eye(d)[0] if self.theta0 is None else check_vector(self.theta0, "theta0", d)
        set_(self, "theta0", theta0)
        set_(self, "strategies", tuple(canonical_strategy(s) for s in self.strategies))
        missing = [s for s in self.strategies if s not in self.finetune_optim]
        if missing:
            raise ValueError(f"finetune_optim: expected an OptimConfig for each strategy, missing {missing}")
        set_(self, "ns", tuple(int(check_count(n, "ns")) for n in self.ns))
        set_(self, "eval_samples", int(check_count(self.eval_samples, "eval_samples", minimum=2)))
        set_(self, "dataset_size", int(check_count(self.dataset_size, "dataset_size", minimum=1)))

    @classmethod
    def poster(cls, **overrides: Any) -> "Protocol":
        """The poster's protocol: d = 5, m = n_ft = 20, sigma2 = 0.1, batch 5000, 5000 steps per stage."""
        return replace(cls(), **overrides) if overrides else cls()

    @classmethod
    def quick(cls, **overrides: Any) -> "Protocol":
        """A small version for CI (same setting, fewer and smaller steps, fewer evaluation samples)."""
        base = cls(name="quick", pretrain_optim=OptimConfig(steps=1500, batch=1000, lr=1e-2),
                   finetune_optim=_default_finetune_optim(1000, 1000), dataset_size=5000, eval_samples=20000)
        return replace(base, **overrides) if overrides else base

    @property
    def total_steps(self) -> int:
        return self.pretrain_optim.steps + sum(self.finetune_optim[s].steps for s in self.strategies)

    def pretrain_config(self) -> PretrainConfig:
        return PretrainConfig(d=self.d, m=self.m, sigma2=self.sigma2, Sigma=self.Sigma, tasks=self.tasks,
                              optim=self.pretrain_optim)

    def finetune_config(self, strategy: str) -> FinetuneConfig:
        return FinetuneConfig(strategy=strategy, theta0=self.theta0, sigma2=self.sigma2, Sigma=self.Sigma,
                              dataset_size=self.dataset_size, n_ft=self.n_ft, fewshot_weight=self.fewshot_weight,
                              fewshot_decay=self.fewshot_decay, optim=self.finetune_optim[strategy])

    def to_dict(self) -> dict:
        return {
            "name": self.name, "d": self.d, "m": self.m, "n_ft": self.n_ft, "sigma2": self.sigma2,
            "Sigma": self.Sigma.tolist(), "theta0": self.theta0.tolist(), "tasks": self.tasks,
            "pretrain_optim": asdict(self.pretrain_optim),
            "finetune_optim": {s: asdict(self.finetune_optim[s]) for s in self.strategies},
            "dataset_size": self.dataset_size, "fewshot_weight": self.fewshot_weight,
            "fewshot_decay": self.fewshot_decay, "strategies": list(self.strategies), "ns": list(self.ns),
            "eval_samples": self.eval_samples,
        }


@dataclass(eq=False)
class ProtocolResult:
    """Trained models by name (``pretrain`` and each strategy), their Monte Carlo errors, timings.

    ``errors[task][name]`` is an :class:`ErrorCurve` for ``task`` in ``('target', 'opposite')``
    (theta0 and -theta0).
    """

    protocol: Protocol
    seed: int
    models: dict[str, TrainResult]
    errors: dict[str, dict[str, ErrorCurve]]
    seconds: dict[str, float]
    checkpoints: dict[str, Path]

    def theta(self, task: str) -> np.ndarray:
        return self.protocol.theta0 if task == "target" else -self.protocol.theta0


def _stage_key(protocol: Protocol, seed: int, stage: str) -> str:
    """What a checkpoint must match to be reused: the protocol's settings for the stage and the seed."""
    p = protocol.to_dict()
    keep = {k: p[k] for k in ("d", "m", "sigma2", "Sigma", "tasks", "pretrain_optim")}
    if stage != "pretrain":
        keep.update({k: p[k] for k in ("n_ft", "theta0", "dataset_size", "fewshot_weight", "fewshot_decay")})
        keep["optim"] = p["finetune_optim"][stage]
    keep["seed"] = seed
    keep["stage"] = stage
    return json.dumps(keep, sort_keys=True)


def run_protocol(protocol: Protocol, seed: int, *, progress: Callable[[int], None] | None = None,
                 checkpoint_dir: str | Path | None = None, reuse: bool = False,
                 threaded: bool = True, estimator: str = "fast") -> ProtocolResult:
    """Pretrain, fine-tune with each strategy of ``protocol`` and evaluate every model.

    Seeds: one ``numpy.random.SeedSequence(seed)`` is split into independent streams for
    pretraining, the fine-tuning dataset (shared by the strategies), each strategy's
    prompts, and the evaluation. ``checkpoint_dir``: write ``<stage>.npz`` there; with
    ``reuse``, a checkpoint made with the same settings and seed is loaded instead of training.
    ``estimator``: ``'fast'`` (:func:`numeric.fast.estimate_error_fast`, plus the exact
    :func:`numeric.fast.moment_error`) or ``'direct'`` (whole prompts through the fast model,
    :func:`numeric.training.evaluate.evaluate_models`) for the Monte Carlo errors.
    """
    if estimator not in ("fast", "direct"):
        raise ValueError(f"estimator: expected 'fast' or 'direct', got {estimator!r}")
    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        raise ValueError("seed: expected an integer >= 0 (the protocol records it)")
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        if not checkpoint_dir.is_dir():
            raise ValueError(f"checkpoint_dir: expected an existing folder, got {str(checkpoint_dir)!r}")
    root = np.random.SeedSequence(seed)
    s_pre, s_data, s_eval, s_ft = root.spawn(4)
    ft_seeds = dict(zip(TRAINABLE_STRATEGIES, s_ft.spawn(len(TRAINABLE_STRATEGIES))))
    models: dict[str, TrainResult] = {}
    seconds: dict[str, float] = {}
    paths: dict[str, Path] = {}

    def stage(name: str, train: Callable[[], TrainResult], steps: int) -> TrainResult:
        key = _stage_key(protocol, seed, name)
        path = None if checkpoint_dir is None else checkpoint_dir / f"{name}.npz"
        if reuse and path is not None and path.is_file():
            try:
                old = load_checkpoint(path)
            except ValueError:
                old = None
            if old is not None and old.config.get("protocol_key") == key:
                if progress is not None:
                    progress(steps)
                seconds[name] = 0.0
                paths[name] = path
                return old
        t0 = time.perf_counter()
        result = train()
        seconds[name] = time.perf_counter() - t0
        result.config["protocol_key"] = key
        if path is not None:
            paths[name] = save_checkpoint(path, result)
        return result

    pre = stage("pretrain", lambda: pretrain(protocol.pretrain_config(), np.random.default_rng(s_pre),
                                             progress=progress, threaded=threaded), protocol.pretrain_optim.steps)
    models["pretrain"] = pre
    data = make_dataset(np.random.default_rng(s_data), theta=protocol.theta0, size=protocol.dataset_size,
                        sigma2=protocol.sigma2, Sigma=protocol.Sigma)
    for s in protocol.strategies:
        cfg = protocol.finetune_config(s)
        models[s] = stage(s, lambda: finetune(pre.V, pre.Q, cfg, np.random.default_rng(ft_seeds[s]), data=data,
                                              progress=progress, threaded=threaded), cfg.optim.steps)
    t0 = time.perf_counter()
    errors = {}
    eval_seeds = dict(zip(TASKS, s_eval.spawn(len(TASKS))))
    for task in TASKS:
        theta = protocol.theta0 if task == "target" else -protocol.theta0
        rng = np.random.default_rng(eval_seeds[task])
        if estimator == "direct":
            errors[task] = evaluate_models({k: (r.V, r.Q) for k, r in models.items()}, theta, protocol.ns,
                                           sigma2=protocol.sigma2, Sigma=protocol.Sigma,
                                           samples=protocol.eval_samples, seed=rng)
        else:
            errors[task] = {k: fast_error_curve(r.V, r.Q, theta, protocol.ns, sigma2=protocol.sigma2,
                                                Sigma=protocol.Sigma, samples=protocol.eval_samples, seed=rng)
                            for k, r in models.items()}
    seconds["evaluate"] = time.perf_counter() - t0
    return ProtocolResult(protocol, seed, models, errors, seconds, paths)
