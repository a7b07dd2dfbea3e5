"""Pretraining and fine-tuning the poster's linear attention model by gradient descent.

Pretraining (strategy (a)) minimises the empirical m-shot loss over fresh prompts,
each with its own task ``theta ~ N(0, I_d)`` (or uniform on the unit sphere), from a
small random initialisation; the result is rescaled along the model's symmetry
``(V, Q) -> (V / a, a Q)`` to the representative with ``V[-1, -1] = 1``.

Fine-tuning starts at the pretrained parameters and uses one task ``theta0`` through a
finite dataset of ``(x, y)`` pairs, prompts resampled from it:

- ``full``: zero-shot loss, all of ``V`` and ``Q`` (strategy (b));
- ``value``: zero-shot loss, ``V`` only (strategy (c));
- ``value-fewshot``: zero-shot loss plus ``w_t`` times the ``n_ft``-shot loss, ``V`` only,
  with a weight ``w_t`` that decays to zero: the constrained problem of strategy (d),
  ``argmin`` of the few-shot loss over the zero-shot minimisers, is its limit;
- ``query-key``: zero-shot loss, ``Q`` only (a contrast case: the attention update alone).

Memory is bounded: the buffers are preallocated; only the loss log grows with the steps.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from ..validation import check_count, check_covariance, check_seed, check_sigma2, check_vector
from . import lsa
from .data import TASK_DISTRIBUTIONS, DatasetPromptSampler, Prefetcher, TaskPromptSampler, make_dataset
from .optimizers import OPTIMIZERS, SCHEDULES, clip_by_global_norm, learning_rate, make_optimizer

__all__ = [
    "TRAINABLE_STRATEGIES",
    "STRATEGY_ALIASES",
    "canonical_strategy",
    "OptimConfig",
    "PretrainConfig",
    "FinetuneConfig",
    "TrainResult",
    "TrainingDivergedError",
    "pretrain",
    "finetune",
    "normalise_scale",
    "pretraining_warnings",
]

#: fine-tuning strategies (``pretrain`` is the pretraining stage)
TRAINABLE_STRATEGIES = ("full", "value", "value-fewshot", "query-key")
STRATEGY_ALIASES = {"b": "full", "c": "value", "d": "value-fewshot"}
FEWSHOT_DECAYS = ("linear", "cosine", "geometric", "constant")

ProgressCallback = Callable[[int], None]


def canonical_strategy(name: str) -> str:
    """The fine-tuning strategy's name (``b``, ``c``, ``d`` accepted for the poster's letters), read
    as :func:`symbolic.strategy_names.canonical_strategy` reads a name: case-blind, around blanks
    and parentheses, ``_`` for ``-`` (``tests/test_strategy_names.py`` holds the two to one rule)."""
    key = str(name).strip().lower().strip("()").strip()
    key = STRATEGY_ALIASES.get(key, key.replace("_", "-"))
    if key not in TRAINABLE_STRATEGIES:
        raise ValueError(f"strategy: expected one of {', '.join(TRAINABLE_STRATEGIES)} (or b, c, d), got {name!r}")
    return key


class TrainingDivergedError(ValueError):
    """The training loss became non-finite; the message names the stage and the step."""

    def __init__(self, stage: str, step: int, steps: int, lr: float) -> None:
        self.stage, self.step, self.steps, self.lr = stage, step, steps, lr
        super().__init__(
            f"{stage}: the training loss became non-finite at step {step} of {steps} "
            f"(learning rate {lr:g}); try a smaller learning rate, e.g. {lr / 10:g}")


def _positive_float(x: Any, name: str) -> float:
    try:
        f = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a positive number, got {x!r}") from None
    if isinstance(x, (bool, np.bool_)) or not math.isfinite(f) or f <= 0:
        raise ValueError(f"{name}: expected a positive number, got {x!r}")
    return f


@dataclass(frozen=True)
class OptimConfig:
    """How to optimise: ``steps`` of batch ``batch``, optimiser, learning rate and schedule.

    ``optimizer``: ``'adam'`` or ``'sgd'`` (with ``momentum``); ``schedule``: ``'constant'``,
    ``'cosine'`` or ``'linear'`` decay to ``lr * lr_final``, after a linear ``warmup``;
    ``clip``: the largest gradient norm (``None``: no clipping).
    """

    steps: int = 5000
    batch: int = 5000
    optimizer: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.9
    schedule: str = "cosine"
    warmup: int = 0
    lr_final: float = 0.0
    clip: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "steps", int(check_count(self.steps, "steps", minimum=1)))
        set_(self, "batch", int(check_count(self.batch, "batch", minimum=1)))
        opt = str(self.optimizer).lower()
        if opt not in OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        set_(self, "optimizer", opt)
        set_(self, "lr", _positive_float(self.lr, "lr"))
        m = float(self.momentum)
        if not 0.0 <= m < 1.0:
            raise ValueError(f"momentum: expected a number in [0, 1), got {self.momentum!r}")
        set_(self, "momentum", m)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        set_(self, "warmup", int(check_count(self.warmup, "warmup")))
        lf = float(self.lr_final)
        if not 0.0 <= lf <= 1.0:
            raise ValueError(f"lr_final: expected a fraction in [0, 1], got {self.lr_final!r}")
        set_(self, "lr_final", lf)
        if self.clip is not None:
            set_(self, "clip", _positive_float(self.clip, "clip"))

    def lr_at(self, step: int) -> float:
        return learning_rate(step, self.steps, self.lr, self.schedule, self.warmup, self.lr_final)


def _sigma_or_identity(Sigma: Any, d: int) -> np.ndarray:
    return np.eye(d) if Sigma is None else check_covariance(Sigma, "Sigma", d)


@dataclass(frozen=True, eq=False)
class PretrainConfig:
    """Pretraining: d, context length m, noise sigma2, covariance Sigma (None: I_d), task law.

    ``tasks``: ``'gaussian'`` (theta ~ N(0, I_d), the poster's choice) or ``'sphere'``
    (uniform on the unit sphere). ``init_scale``: standard deviation of the entries of
    the random initial V and Q.
    """

    d: int = 5
    m: int = 20
    sigma2: float = 0.1
    Sigma: Any = None
    tasks: str = "gaussian"
    init_scale: float = 0.01
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-2))

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        d = int(check_count(self.d, "d", minimum=1))
        set_(self, "d", d)
        set_(self, "m", int(check_count(self.m, "m", minimum=1)))
        set_(self, "sigma2", check_sigma2(self.sigma2))
        set_(self, "Sigma", _sigma_or_identity(self.Sigma, d))
        if self.tasks not in TASK_DISTRIBUTIONS:
            raise ValueError(f"tasks: expected one of {', '.join(TASK_DISTRIBUTIONS)}, got {self.tasks!r}")
        set_(self, "init_scale", _positive_float(self.init_scale, "init_scale"))
        if not isinstance(self.optim, OptimConfig):
            raise ValueError(f"optim: expected an OptimConfig, got {type(self.optim).__name__}")

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("d", "m", "sigma2", "tasks", "init_scale")}
        out["Sigma"] = self.Sigma.tolist()
        out["optim"] = asdict(self.optim)
        return out


@dataclass(frozen=True, eq=False)
class FinetuneConfig:
    """Fine-tuning on task ``theta0`` from ``dataset_size`` pairs ``x ~ N(0, Sigma)``, ``y = theta0^T x + eps``.

    ``strategy``: ``full``, ``value``, ``value-fewshot`` or ``query-key``. For
    ``value-fewshot``: ``n_ft`` shots in the auxiliary loss, whose weight starts at
    ``fewshot_weight`` and decays towards zero (``fewshot_decay``: ``geometric``, the default,
    to ``fewshot_weight * fewshot_final`` at the last step; ``linear`` or ``cosine`` to 0;
    ``constant`` keeps it, which is the penalised rather than the constrained problem).
    Adam's step does not depend on the gradient's scale, so ``v_y`` (whose gradient comes
    from the auxiliary loss alone) keeps moving towards the auxiliary loss's minimiser while
    the weight becomes small and the zero-shot loss pins the other entries: the limit is
    the constrained problem (d).
    """

    strategy: str
    theta0: Any
    sigma2: float = 0.1
    Sigma: Any = None
    dataset_size: int = 20000
    n_ft: int = 20
    fewshot_weight: float = 1.0
    fewshot_decay: str = "geometric"
    fewshot_final: float = 1e-3
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-2))

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "strategy", canonical_strategy(self.strategy))
        theta0 = check_vector(self.theta0, "theta0")
        set_(self, "theta0", theta0)
        d = theta0.shape[0]
        set_(self, "sigma2", check_sigma2(self.sigma2))
        set_(self, "Sigma", _sigma_or_identity(self.Sigma, d))
        set_(self, "dataset_size", int(check_count(self.dataset_size, "dataset_size", minimum=1)))
        set_(self, "n_ft", int(check_count(self.n_ft, "n_ft", minimum=1)))
        set_(self, "fewshot_weight", _positive_float(self.fewshot_weight, "fewshot_weight"))
        final = float(self.fewshot_final)
        if not 0.0 < final <= 1.0:
            raise ValueError(f"fewshot_final: expected a fraction in (0, 1], got {self.fewshot_final!r}")
        set_(self, "fewshot_final", final)
        if self.fewshot_decay not in FEWSHOT_DECAYS:
            raise ValueError(f"fewshot_decay: expected one of {', '.join(FEWSHOT_DECAYS)}, got {self.fewshot_decay!r}")
        if not isinstance(self.optim, OptimConfig):
            raise ValueError(f"optim: expected an OptimConfig, got {type(self.optim).__name__}")

    @property
    def d(self) -> int:
        return self.theta0.shape[0]

    def fewshot_weight_at(self, step: int) -> float:
        steps = self.optim.steps
        frac = step / max(steps - 1, 1)
        if self.fewshot_decay == "constant":
            return self.fewshot_weight
        if self.fewshot_decay == "linear":
            return self.fewshot_weight * (1.0 - frac)
        if self.fewshot_decay == "geometric":
            return self.fewshot_weight * self.fewshot_final ** frac
        return self.fewshot_weight * 0.5 * (1.0 + math.cos(math.pi * frac))

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("strategy", "sigma2", "dataset_size", "n_ft", "fewshot_weight",
                                             "fewshot_decay", "fewshot_final")}
        out["theta0"] = self.theta0.tolist()
        out["Sigma"] = self.Sigma.tolist()
        out["optim"] = asdict(self.optim)
        return out


@dataclass(eq=False)
class TrainResult:
    """A trained model: ``V``, ``Q`` ((d+2) x (d+2)), the loss log, the configuration, the time.

    ``log`` maps a column name to one value per step: ``loss`` (the objective) always;
    ``value-fewshot`` adds ``zero_shot``, ``few_shot`` and ``weight``. ``stage`` is
    ``pretrain`` or the strategy; ``config`` is JSON-ready.
    """

    stage: str
    V: np.ndarray
    Q: np.ndarray
    log: dict[str, np.ndarray]
    config: dict
    seconds: float = 0.0
    scale: float = 1.0  # pretraining: the a of (V, Q) -> (V / a, a Q) applied at the end
    warnings: list[str] = field(default_factory=list)

    @property
    def final_loss(self) -> float:
        return float(self.log["loss"][-1])

    def config_json(self) -> str:
        return json.dumps(self.config, sort_keys=True)


def normalise_scale(V: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The representative ``(V / a, a Q)`` with ``V[-1, -1] = 1`` (``a = V[-1, -1]``) and ``a``.

    The model's output is invariant under ``(V, Q) -> (V / a, a Q)`` for any ``a != 0``.
    """
    a = float(V[-1, -1])
    if not math.isfinite(a) or abs(a) < 1e-12:
        raise ValueError(f"V: cannot normalise to V[-1, -1] = 1, the trained V[-1, -1] is {a:g} "
                         "(pretraining did not learn to read the labels; train longer or raise lr)")
    return V / a, Q * a, a


def _as_rng(seed: int | np.random.Generator) -> np.random.Generator:
    seed = check_seed(seed)
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _loop(stage: str, params: list[np.ndarray], objective: Callable[[int, Any], tuple[float, list[np.ndarray], tuple]],
          prefetch: Prefetcher, optim: OptimConfig, log: dict[str, np.ndarray], columns: tuple[str, ...],
          progress: ProgressCallback | None) -> None:
    """Run ``optim.steps`` steps of ``objective`` on batches from ``prefetch``, updating ``params``."""
    opt = make_optimizer(optim.optimizer, momentum=optim.momentum)
    steps = optim.steps
    report_every = max(1, steps // 200)
    pending = 0
    with np.errstate(over="ignore", invalid="ignore"), prefetch:
        for t in range(steps):
            batch = prefetch.next()
            loss, grads, extra = objective(t, batch)
            lr = optim.lr_at(t)
            norm = clip_by_global_norm(grads, optim.clip)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                raise TrainingDivergedError(stage, t, steps, optim.lr)
            opt.step(params, grads, lr)
            log["loss"][t] = loss
            for name, value in zip(columns, extra):
                log[name][t] = value
            if progress is not None:
                pending += 1
                if pending == report_every or t == steps - 1:
                    progress(pending)
                    pending = 0
    if not all(np.all(np.isfinite(p)) for p in params):
        raise TrainingDivergedError(stage, steps, steps, optim.lr)


def pretrain(config: PretrainConfig, seed: int | np.random.Generator, *,
             progress: ProgressCallback | None = None, threaded: bool = True) -> TrainResult:
    """Pretrain on fresh ``m``-shot prompts with random tasks, from a small random initialisation.

    Minimises ``mean_b (f(Z_b; V, Q) - y_b)^2`` over batches of prompts ``Z_b`` with ``m``
    shots and tasks ``theta_b ~ N(0, I_d)`` (or unit-sphere tasks): the empirical version
    of ``E_theta E(V, Q, m; theta)``, objective (a). Returns the representative with
    ``V[-1, -1] = 1``. ``progress(k)`` is called with the number of steps just done.

    Raises :class:`TrainingDivergedError` (a ``ValueError``) naming the step where the
    loss became non-finite.
    """
    if not isinstance(config, PretrainConfig):
        raise ValueError(f"config: expected a PretrainConfig, got {type(config).__name__}")
    rng = _as_rng(seed)
    t0 = time.perf_counter()
    d, D = config.d, config.d + 2
    init_rng, data_rng = rng.spawn(2)
    V = config.init_scale * init_rng.standard_normal((D, D))
    Q = config.init_scale * init_rng.standard_normal((D, D))
    sampler = TaskPromptSampler(d=d, n=config.m, sigma2=config.sigma2, batch=config.optim.batch,
                                Sigma=config.Sigma, tasks=config.tasks)
    prefetch = Prefetcher(sampler.fill, sampler.new_buffer, data_rng, threaded=threaded)
    log = {"loss": np.empty(config.optim.steps)}

    def objective(t: int, b):
        loss, gV, gQ = lsa.loss_and_grad(V, Q, b.X, b.Y, b.target)
        return loss, [gV, gQ], ()

    _loop("pretrain", [V, Q], objective, prefetch, config.optim, log, (), progress)
    Vn, Qn, a = normalise_scale(V, Q)
    return TrainResult("pretrain", Vn, Qn, log, {"stage": "pretrain", **config.to_dict()},
                       time.perf_counter() - t0, scale=a, warnings=pretraining_warnings(Vn, Qn))


#: |V[-1, x]| above which a pretrained model is reported as stuck on the plateau
PLATEAU_THRESHOLD = 0.1


def pretraining_warnings(V: np.ndarray, Q: np.ndarray) -> list[str]:
    """Warnings about a pretrained representative (``V[-1, -1] = 1``); empty when it looks converged.

    The pretraining loss has a plateau where the labels are read through ``V[-1, x]`` and
    ``Q``'s last row (the product ``v_x Q[y, x]^T`` instead of ``v_y Q[x, x]``); from a small
    random initialisation training can rest there for many steps, more often at small d.
    At the optimum ``V[-1, x] = 0`` (the task law is symmetric under theta -> -theta).
    """
    d = V.shape[0] - 2
    size = float(np.linalg.norm(V[-1, 1:d + 1]))
    if size > PLATEAU_THRESHOLD:
        return [f"pretrain: |V[-1, x]| = {size:.3g} after training (0 at the optimum): training seems to have "
                "stopped on the plateau that reads labels through Q's last row; train longer, raise lr, "
                "or use another seed"]
    return []


class _NoData:
    """The prefetcher of a run on an exact gradient: no prompts."""

    def __enter__(self) -> "_NoData":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def next(self) -> None:
        return None


def finetune(V: np.ndarray, Q: np.ndarray, config: FinetuneConfig, seed: int | np.random.Generator, *,
             data: tuple[np.ndarray, np.ndarray] | None = None, progress: ProgressCallback | None = None,
             threaded: bool = True,
             gradient: Callable[[int, np.ndarray, np.ndarray], tuple[float, list[np.ndarray]]] | None = None
             ) -> TrainResult:
    """Fine-tune ``(V, Q)`` on task ``theta0`` with ``config.strategy`` (see the module docstring).

    ``data``: the finite dataset ``(x, y)`` of shapes ``(N, d)``, ``(N,)``; by default
    ``config.dataset_size`` pairs drawn from task ``theta0`` with the seed. Zero-shot prompts
    are single examples of the dataset (the query), few-shot prompts ``n_ft + 1`` examples,
    all drawn uniformly with replacement. The zero-shot loss is
    ``mean_b (f(q_b; V, Q) - y_b)^2``; ``value-fewshot`` adds ``w_t`` times the ``n_ft``-shot loss.

    ``gradient(t, V, Q) -> (loss, grads)``: an exact (population) gradient in place of sampled
    prompts, one array per trained parameter (V for value and value-fewshot, Q for query-key, V
    then Q for full); no data is drawn.  For checks against a closed form: this package computes
    nothing exact itself, the caller passes it in.
    """
    if not isinstance(config, FinetuneConfig):
        raise ValueError(f"config: expected a FinetuneConfig, got {type(config).__name__}")
    d = config.d
    V, Q = (np.array(M, dtype=float) for M in (V, Q))
    lsa._check_params(V, Q, d)
    if not (np.all(np.isfinite(V)) and np.all(np.isfinite(Q))):
        raise ValueError("V, Q: expected finite starting parameters")
    rng = _as_rng(seed)
    t0 = time.perf_counter()
    if gradient is not None:
        if not callable(gradient):
            raise ValueError("gradient: expected a callable (t, V, Q) -> (loss, grads)")
        params = {"full": [V, Q], "value": [V], "value-fewshot": [V], "query-key": [Q]}[config.strategy]
        log = {"loss": np.empty(config.optim.steps)}

        def exact(t: int, _b: Any):
            loss, grads = gradient(t, V, Q)
            return float(loss), [np.asarray(g, dtype=float).copy() for g in grads], ()
        _loop(config.strategy, params, exact, _NoData(), config.optim, log, (), progress)
        return TrainResult(config.strategy, V, Q, log, {"stage": config.strategy, **config.to_dict(),
                                                         "gradient": "exact (given)"}, time.perf_counter() - t0)
    data_rng, prompt_rng = rng.spawn(2)
    if data is None:
        x, y = make_dataset(data_rng, theta=config.theta0, size=config.dataset_size, sigma2=config.sigma2,
                            Sigma=config.Sigma)
    else:
        x = np.asarray(data[0], dtype=float)
        y = np.asarray(data[1], dtype=float)
        if x.ndim != 2 or x.shape[1] != d or x.shape[0] < 1:
            raise ValueError(f"data: expected x of shape (N, {d}) with N >= 1, got {x.shape}")
        if y.shape != (x.shape[0],):
            raise ValueError(f"data: expected y of shape ({x.shape[0]},), got {y.shape}")
    strategy = config.strategy
    optim = config.optim
    zero = DatasetPromptSampler(x, y, n=0, batch=optim.batch)
    log = {"loss": np.empty(optim.steps)}
    columns: tuple[str, ...] = ()
    if strategy == "value-fewshot":
        few = DatasetPromptSampler(x, y, n=config.n_ft, batch=optim.batch)

        def new_buffer():
            return zero.new_buffer(), few.new_buffer()

        def fill(r, out):
            zero.fill(r, out[0])
            few.fill(r, out[1])
            return out

        columns = ("zero_shot", "few_shot", "weight")
        for c in columns:
            log[c] = np.empty(optim.steps)
        prefetch = Prefetcher(fill, new_buffer, prompt_rng, threaded=threaded)

        def objective(t: int, b):
            w = config.fewshot_weight_at(t)
            l0, g0, _ = lsa.loss_and_grad(V, Q, b[0].X, b[0].Y, b[0].target, grad_Q=False)
            l1, g1, _ = lsa.loss_and_grad(V, Q, b[1].X, b[1].Y, b[1].target, grad_Q=False)
            g0 += w * g1
            return l0 + w * l1, [g0], (l0, l1, w)

        params = [V]
    else:
        prefetch = Prefetcher(zero.fill, zero.new_buffer, prompt_rng, threaded=threaded)
        want_V = strategy in ("full", "value")
        want_Q = strategy in ("full", "query-key")
        params = ([V] if want_V else []) + ([Q] if want_Q else [])

        def objective(t: int, b):
            loss, gV, gQ = lsa.loss_and_grad(V, Q, b.X, b.Y, b.target, grad_V=want_V, grad_Q=want_Q)
            return loss, [g for g in (gV, gQ) if g is not None], ()

    _loop(strategy, params, objective, prefetch, optim, log, columns, progress)
    return TrainResult(strategy, V, Q, log, {"stage": strategy, **config.to_dict()}, time.perf_counter() - t0)
