"""Pretraining and fine-tuning the transformer (JAX + optax), with masks picking the trainable parameters.

- :func:`pretrain`: the n-shot loss averaged over n = 0..N, each prompt with its own task
  ``theta ~ N(0, I_d)``, all n in one pass (:func:`numeric.transformer.model.predict_packed`);
  objective (a) over a range of context lengths.
- :func:`finetune`: from the pretrained parameters, on one task ``theta0`` with fresh
  examples each step, by strategy:

  - ``full`` (b): zero-shot loss, every parameter;
  - ``value`` (c): zero-shot loss, the value and output projections of every layer;
  - ``value-fewshot`` (d): (c)'s parameters, zero-shot loss plus ``w_t`` times the
    ``n_ft``-shot loss, ``w_t`` decaying geometrically from ``fewshot_weight`` to
    ``fewshot_weight * fewshot_final`` (as :mod:`numeric.training` does for the linear model:
    the limit is the few-shot loss minimised among the zero-shot minimisers);
  - ``query-key``: zero-shot loss, the query and key projections of every layer (a contrast).

  Only the strategy's parameters are updated: ``value-fewshot`` differentiates them alone;
  ``full``, ``value`` and ``query-key`` share one compiled runner of the zero-shot loss whose
  gradients are multiplied by a 0/1 mask per parameter (Adam's update of a parameter whose
  gradient is always 0 is exactly 0). Either way the returned parameters the strategy does
  not train are the very arrays that came in (bit-for-bit unchanged).

Steps run in jitted chunks (``lax.scan``); step t's batch comes from ``fold_in(key, t)``, so
the draws do not depend on the chunking. A non-finite loss stops training with
:class:`numeric.training.TrainingDivergedError` naming the stage and the step.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..training.train import TRAINABLE_STRATEGIES, TrainingDivergedError
from .data import sample_examples, seed_key
from .model import ModelConfig, Params, init_params, predict_packed, predict_prompt, trainable_names

__all__ = ["OptimConfig", "PretrainConfig", "FinetuneConfig", "TrainResult", "pretrain", "finetune",
           "TRAINABLE_STRATEGIES", "TrainingDivergedError"]


ProgressCallback = Callable[[int], None]


def _positive_int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {v!r}")
    return int(v)


def _positive_float(v: Any, name: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a positive number, got {v!r}") from None
    if isinstance(v, bool) or not math.isfinite(f) or f <= 0:
        raise ValueError(f"{name}: expected a positive number, got {v!r}")
    return f


@dataclass(frozen=True)
class OptimConfig:
    """Adam: ``steps`` of ``batch`` prompts, learning rate ``lr`` with a linear ``warmup`` then a
    cosine decay to ``lr * lr_final``; gradients clipped to global norm ``clip``."""

    steps: int = 1000
    batch: int = 64
    lr: float = 1e-3
    warmup: int = 0
    lr_final: float = 0.1
    clip: float = 1.0
    #: compile with XLA's backend optimisation level 0: about 3x faster to compile, about 3x
    #: slower to run (for short runs: the tests, ``--quick``)
    fast_compile: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _positive_int(self.steps, "steps"))
        object.__setattr__(self, "batch", _positive_int(self.batch, "batch"))
        object.__setattr__(self, "lr", _positive_float(self.lr, "lr"))
        object.__setattr__(self, "clip", _positive_float(self.clip, "clip"))
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, (int, np.integer)) or \
                not 0 <= self.warmup < self.steps:
            raise ValueError(f"warmup: expected an integer in [0, steps), got {self.warmup!r}")
        if not 0.0 <= float(self.lr_final) <= 1.0:
            raise ValueError(f"lr_final: expected a fraction in [0, 1], got {self.lr_final!r}")

    def optimizer(self) -> optax.GradientTransformation:
        if self.warmup:
            sched = optax.warmup_cosine_decay_schedule(0.0, self.lr, self.warmup, self.steps,
                                                       self.lr * self.lr_final)
        else:
            sched = optax.cosine_decay_schedule(self.lr, self.steps, alpha=self.lr_final)
        return optax.chain(optax.clip_by_global_norm(self.clip), optax.adam(sched))


@dataclass(frozen=True)
class PretrainConfig:
    """Pretraining: the model, ``max_shots`` N (the loss averages n = 0..N), ``sigma2``, the optimiser."""

    model: ModelConfig = field(default_factory=ModelConfig)
    max_shots: int = 40
    sigma2: float = 0.1
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=3000, batch=64, lr=1e-3, warmup=200))
    #: None: the loss averages n = 0..max_shots; an integer m: the m-shot loss alone (the paper's (a))
    m: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, ModelConfig):
            raise ValueError(f"model: expected a ModelConfig, got {type(self.model).__name__}")
        _positive_int(self.max_shots, "max_shots")
        s = float(self.sigma2)
        if not math.isfinite(s) or s < 0:
            raise ValueError(f"sigma2: expected a number >= 0, got {self.sigma2!r}")
        if self.m is not None and (_positive_int(self.m, "m") > self.max_shots):
            raise ValueError(f"m: expected at most max_shots = {self.max_shots}, got {self.m}")
        if self.m is None and self.model.kind == "linear" and self.model.layers > 1:
            raise ValueError(f"m: expected an integer for the linear model at depth (layers = {self.model.layers}: "
                             f"its prompts are unmasked, so the n-shot losses cannot share one packed pass), got None")

    def to_dict(self) -> dict:
        return {"model": self.model.to_dict(), "max_shots": self.max_shots, "sigma2": self.sigma2,
                "optim": asdict(self.optim), "m": self.m}


@dataclass(frozen=True, eq=False)
class FinetuneConfig:
    """Fine-tuning on ``theta0`` by ``strategy``; ``n_ft``, ``fewshot_weight``, ``fewshot_final``:
    strategy ``value-fewshot``'s auxiliary loss (see the module docstring)."""

    strategy: str
    theta0: Any
    sigma2: float = 0.1
    n_ft: int = 20
    fewshot_weight: float = 1.0
    fewshot_final: float = 1e-3
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=500, batch=64, lr=1e-3))

    def __post_init__(self) -> None:
        if self.strategy not in TRAINABLE_STRATEGIES:
            raise ValueError(f"strategy: expected one of {', '.join(TRAINABLE_STRATEGIES)}, got {self.strategy!r}")
        th = np.asarray(self.theta0, dtype=float)
        if th.ndim != 1 or not np.all(np.isfinite(th)):
            raise ValueError(f"theta0: expected a finite vector, got {self.theta0!r}")
        object.__setattr__(self, "theta0", th)
        _positive_int(self.n_ft, "n_ft")
        _positive_float(self.fewshot_weight, "fewshot_weight")
        if not 0.0 < float(self.fewshot_final) <= 1.0:
            raise ValueError(f"fewshot_final: expected a fraction in (0, 1], got {self.fewshot_final!r}")

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "theta0": self.theta0.tolist(), "sigma2": self.sigma2,
                "n_ft": self.n_ft, "fewshot_weight": self.fewshot_weight, "fewshot_final": self.fewshot_final,
                "optim": asdict(self.optim)}


@dataclass(eq=False)
class TrainResult:
    """Trained ``params``, the per-step ``loss`` log, what was trained, the configuration, the time."""

    stage: str
    params: Params
    loss: np.ndarray
    trained: list[str]
    config: dict
    seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])


def jit(fn: Callable, *, fast_compile: bool = False) -> Callable:
    """``jax.jit(fn)``; with ``fast_compile``, at XLA backend optimisation level 0 (where this
    JAX's ``jit`` takes ``compiler_options``; otherwise the default)."""
    if fast_compile:
        try:
            return jax.jit(fn, compiler_options={"xla_backend_optimization_level": 0})
        except TypeError:
            pass
    return jax.jit(fn)


#: compiled chunk runners, by what determines the computation (reused across seeds)
_COMPILED: dict[tuple, Callable] = {}


def _runner(cache_key: tuple, loss_fn: Callable, optim: OptimConfig, opt: optax.GradientTransformation) -> Callable:
    """``many(train, state, frozen, key, ts, mask)``: the steps ``ts`` of Adam on ``loss_fn``, jitted
    once per ``(cache_key, optim)``."""
    cache_key = (cache_key, optim)
    fn = _COMPILED.get(cache_key)
    if fn is not None:
        return fn

    def one(carry, t, frozen, key, mask):
        p, s = carry
        loss, g = jax.value_and_grad(loss_fn)(p, frozen, jax.random.fold_in(key, t), t)
        if mask is not None:  # 0 for the parameters the strategy does not train: Adam's update is then 0
            g = {k: v * mask[k] for k, v in g.items()}
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), loss

    def many(p, s, frozen, key, ts, mask):
        (p, s), losses = jax.lax.scan(lambda c, t: one(c, t, frozen, key, mask), (p, s), ts)
        return p, s, losses

    many = jit(many, fast_compile=optim.fast_compile)

    if len(_COMPILED) > 32:
        _COMPILED.clear()
    _COMPILED[cache_key] = many
    return many


def _run(stage: str, cache_key: tuple, loss_fn: Callable, train: Params, frozen: Params, optim: OptimConfig,
         key: jax.Array, progress: ProgressCallback | None, chunk: int,
         mask: dict | None = None) -> tuple[Params, np.ndarray]:
    """``optim.steps`` Adam steps on ``loss_fn(train, frozen, key, t)``, in jitted chunks of
    ``chunk`` steps or fewer (the largest divisor of the steps up to ``chunk``: one compiled shape).
    ``mask``: name -> 0.0 or 1.0, multiplying the gradients (one compiled runner serves several
    strategies that share a loss)."""
    opt = optim.optimizer()
    state = opt.init(train)
    many = _runner(cache_key, loss_fn, optim, opt)
    steps = optim.steps
    chunk = max(c for c in range(1, max(1, min(chunk, steps)) + 1) if steps % c == 0)
    log = np.empty(steps)
    t = 0
    while t < steps:
        k = chunk
        new_p, new_s, losses = many(train, state, frozen, key, jnp.arange(t, t + k, dtype=jnp.int32), mask)
        losses = np.asarray(losses)
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            raise TrainingDivergedError(stage, t + int(bad[0]), steps, optim.lr)
        train, state = new_p, new_s
        log[t:t + k] = losses
        t += k
        if progress is not None:
            progress(k)
    if not all(bool(jnp.all(jnp.isfinite(v))) for v in train.values()):
        raise TrainingDivergedError(stage, steps, steps, optim.lr)
    return train, log


def pretrain(config: PretrainConfig, seed: int, *, progress: ProgressCallback | None = None,
             chunk: int = 25, init: Params | None = None) -> TrainResult:
    """Pretrain from a random initialisation (key ``seed_key(seed, 0)``) on prompts with N shots
    and N + 1 queries, each prompt its own task ``theta ~ N(0, I_d)``: the loss is
    ``mean_b mean_{n=0..N} (f([z_1 .. z_n q_n]) - y_{n+1})^2``, or with ``config.m`` the m-shot
    term alone, ``mean_b (f([z_1 .. z_m q_m]) - y_{m+1})^2`` (the paper's objective (a)). ``init``: start
    from these parameters instead of the random initialisation."""
    if not isinstance(config, PretrainConfig):
        raise ValueError(f"config: expected a PretrainConfig, got {type(config).__name__}")
    t0 = time.perf_counter()
    mc, N, o = config.model, config.max_shots, config.optim
    params = init_params(mc, seed_key(seed, 0, 0))
    if init is not None:  # start from given parameters (same names and shapes as the model's)
        bad = sorted(set(init) ^ set(params)) or [k for k in params if np.shape(init[k]) != params[k].shape]
        if bad:
            raise ValueError(f"init: expected the model's parameters {', '.join(sorted(params))} with their "
                             f"shapes, got a mismatch at {bad[0]!r}")
        params = {k: jnp.asarray(init[k], jnp.float32) for k in params}
    data_key = seed_key(seed, 0, 1)

    m = config.m

    def loss_fn(p, frozen, key, t):
        if m is not None:  # the m-shot loss alone: one prediction per prompt, nothing to pack
            x, y = sample_examples(key, o.batch, m + 1, mc.d, config.sigma2)
            pred = predict_prompt({**frozen, **p}, x, y, layers=mc.layers, heads=mc.heads)
            return jnp.mean((pred - y[:, -1]) ** 2)
        x, y = sample_examples(key, o.batch, N + 1, mc.d, config.sigma2)
        pred = predict_packed({**frozen, **p}, x, y, layers=mc.layers, heads=mc.heads)
        return jnp.mean((pred - y) ** 2)

    trained, log = _run("pretrain", ("pretrain", mc, N, float(config.sigma2), m), loss_fn, params, {}, o,
                        data_key, progress, chunk, None)
    return TrainResult("pretrain", dict(sorted(trained.items())), log, sorted(trained),
                       {"stage": "pretrain", **config.to_dict()}, time.perf_counter() - t0)


def finetune(params: Params, model: ModelConfig, config: FinetuneConfig, seed: int, *,
             progress: ProgressCallback | None = None, chunk: int = 25,
             names: list[str] | None = None) -> TrainResult:
    """Fine-tune ``params`` on ``config.theta0`` by ``config.strategy`` (see the module docstring).

    ``names``: train only these of the strategy's parameters (default: all of them).

    Each step draws ``batch`` fresh zero-shot prompts (the query alone) from ``theta0``, and for
    ``value-fewshot`` ``batch`` fresh ``n_ft``-shot prompts as well. The key is
    ``seed_key(seed, 1, i)`` with ``i`` the strategy's index in :data:`TRAINABLE_STRATEGIES`.
    """
    if not isinstance(config, FinetuneConfig):
        raise ValueError(f"config: expected a FinetuneConfig, got {type(config).__name__}")
    if config.theta0.shape != (model.d,):
        raise ValueError(f"theta0: expected {model.d} numbers, got shape {config.theta0.shape}")
    t0 = time.perf_counter()
    if names is None:
        names = trainable_names(params, config.strategy)
    else:  # a subset of the strategy's parameters (e.g. the last layer's V of the linear model at depth)
        allowed = set(trainable_names(params, config.strategy))
        if isinstance(names, str) or not names or any(k not in allowed for k in names):
            raise ValueError(f"names: expected a non-empty list of the parameters {config.strategy!r} trains "
                             f"({', '.join(sorted(allowed))}), got {names!r}")
        names = list(names)
    few = config.strategy == "value-fewshot"
    if few:  # its own loss: differentiate the trained names only
        train = {k: params[k] for k in names}
        frozen = {k: v for k, v in params.items() if k not in train}
        mask = None
    else:  # full, value, query-key share the zero-shot loss and one compiled runner: masked gradients
        train, frozen = dict(params), {}
        mask = {k: jnp.asarray(1.0 if k in names else 0.0, jnp.float32) for k in params}
    o = config.optim
    theta0 = jnp.asarray(config.theta0, jnp.float32)
    w0, rate = config.fewshot_weight, math.log(config.fewshot_final) / max(o.steps - 1, 1)

    def loss_fn(p, frozen, key, t):
        full = {**frozen, **p}
        k0, k1 = jax.random.split(key)
        x, y = sample_examples(k0, o.batch, 1, model.d, config.sigma2, theta0)
        zero = jnp.mean((predict_prompt(full, x, y, layers=model.layers, heads=model.heads) - y[:, -1]) ** 2)
        if not few:
            return zero
        x, y = sample_examples(k1, o.batch, config.n_ft + 1, model.d, config.sigma2, theta0)
        fs = jnp.mean((predict_prompt(full, x, y, layers=model.layers, heads=model.heads) - y[:, -1]) ** 2)
        return zero + w0 * jnp.exp(rate * t) * fs

    key = seed_key(seed, 1, TRAINABLE_STRATEGIES.index(config.strategy))
    cache = ("finetune", few, model, tuple(config.theta0.tolist()), float(config.sigma2)) + \
        ((config.n_ft, config.fewshot_weight, config.fewshot_final) if few else ())
    trained, log = _run(config.strategy, cache, loss_fn, train, frozen, o, key, progress, chunk, mask)
    out = dict(params)  # the names not trained are the very arrays that came in
    out.update({k: trained[k] for k in names})
    return TrainResult(config.strategy, out, log, names, {"stage": config.strategy, **config.to_dict(),
                                                          "model": model.to_dict()},
                       time.perf_counter() - t0)
