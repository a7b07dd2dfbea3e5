"""Training the poster's linear attention model by gradient descent (numpy only).

- :mod:`.lsa`: the batched model ``f = v^T G Q q`` with analytic gradients;
- :mod:`.optimizers`: SGD with momentum, Adam, gradient clipping, schedules;
- :mod:`.data`: prompt samplers (fresh tasks, a finite dataset) and a prefetching thread;
- :mod:`.train`: :func:`pretrain` and :func:`finetune` (strategies full, value,
  value-fewshot, query-key);
- :mod:`.evaluate`: Monte Carlo n-shot errors of trained models, exact n -> inf limit;
- :mod:`.checkpoint`: ``.npz`` checkpoints;
- :mod:`.protocol`: the poster's protocol (:meth:`Protocol.poster`, :meth:`Protocol.quick`).
"""
from __future__ import annotations

from .checkpoint import load_checkpoint, save_checkpoint
from .evaluate import ErrorCurve, evaluate_models, fast_error_curve, limit_error
from .lsa import forward, loss_and_grad, predict
from .optimizers import SGD, Adam, clip_by_global_norm, learning_rate, make_optimizer
from .protocol import Protocol, ProtocolResult, run_protocol
from .train import (TRAINABLE_STRATEGIES, FinetuneConfig, OptimConfig, PretrainConfig, TrainingDivergedError,
                    TrainResult, finetune, normalise_scale, pretrain, pretraining_warnings)

__all__ = [
    "forward", "predict", "loss_and_grad", "SGD", "Adam", "make_optimizer", "clip_by_global_norm", "learning_rate",
    "OptimConfig", "PretrainConfig", "FinetuneConfig", "TrainResult", "TrainingDivergedError",
    "pretrain", "finetune", "normalise_scale", "pretraining_warnings", "TRAINABLE_STRATEGIES",
    "ErrorCurve", "evaluate_models", "fast_error_curve", "limit_error",
    "save_checkpoint", "load_checkpoint",
    "Protocol", "ProtocolResult", "run_protocol",
]
