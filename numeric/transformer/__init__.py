"""A small softmax transformer trained on the poster's in-context linear regression (JAX + optax).

Needs the optional extra ``transformer`` (``pip install -e '.[transformer]'``); the rest of
:mod:`numeric` does not import this subpackage. Functional style: parameters are a flat
dict of arrays (a pytree), functions are pure and jitted, randomness comes from PRNG keys
derived from integer seeds (:func:`seed_key`).

- :mod:`.model`: the GPT-style decoder, the packed layout that makes every position a query;
- :mod:`.data`: tasks and examples;
- :mod:`.train`: :func:`pretrain`, :func:`finetune` (strategies full, value, value-fewshot, query-key);
- :mod:`.evaluate`: n-shot errors with standard errors;
- :mod:`.checkpoint`: ``.npz`` checkpoints;
- :mod:`.experiment`: the whole experiment (pretrain, fine-tune, evaluate) over seeds;
- :mod:`.lora`: LoRA (a rank-r update B A of Q or Q_xx, B = 0 at the start) on the paper's
  linear model, checked against the derived rank-r optimum (``tests/test_rank_jax.py``).
"""
from __future__ import annotations

from .checkpoint import load_checkpoint, save_checkpoint
from .data import sample_examples, seed_key, task_at_angle
from .evaluate import ErrorEstimate, evaluate
from .model import (ModelConfig, count_params, forward, init_params, packed_mask, predict_packed, predict_prompt,
                    trainable_names)
from .train import (TRAINABLE_STRATEGIES, FinetuneConfig, OptimConfig, PretrainConfig, TrainingDivergedError,
                    TrainResult, finetune, pretrain)

__all__ = ["ModelConfig", "init_params", "forward", "predict_packed", "predict_prompt", "packed_mask",
           "trainable_names", "count_params", "sample_examples", "seed_key", "task_at_angle",
           "OptimConfig", "PretrainConfig", "FinetuneConfig", "TrainResult", "TrainingDivergedError",
           "pretrain", "finetune", "TRAINABLE_STRATEGIES", "ErrorEstimate", "evaluate",
           "save_checkpoint", "load_checkpoint"]
