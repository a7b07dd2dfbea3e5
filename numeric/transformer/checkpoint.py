"""Checkpoints of the transformer: parameters and loss log in one ``.npz`` (nothing pickled).

The file holds ``param/<name>`` for each parameter, ``loss`` (one value per step), the
stage, the names trained, the configuration as JSON and the wall time. Every layer's parameters
are saved (the linear model at depth L: ``layer0/attn/V``, ``Q`` .. ``layer{L-1}/attn/V``, ``Q``);
:func:`load_checkpoint` refuses a file whose parameters are not the model its configuration records
(a layer missing or extra) or, given ``model``, not that model's (another depth), in one line. The file handling
(suffix, folder check, atomic write, format tag, errors) is the linear model's
(:func:`numeric.training.checkpoint.write_npz`, :func:`~numeric.training.checkpoint.read_npz`);
the two formats differ because the results do (named JAX parameters and one loss column here,
V and Q and a log of several columns there), and their tags keep one from being read as the other.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..training.checkpoint import read_npz, write_npz
from .model import ModelConfig, param_shapes
from .train import TrainResult

__all__ = ["save_checkpoint", "load_checkpoint", "FORMAT"]

FORMAT = "icl-finetune-transformer-1"


def save_checkpoint(path: str | Path, result: TrainResult) -> Path:
    """Write ``result`` to ``path`` (``.npz`` appended if missing); returns the path written."""
    arrays = {"stage": np.array(result.stage), "loss": np.asarray(result.loss),
              "trained": np.array(json.dumps(result.trained)),
              "config": np.array(json.dumps(result.config, sort_keys=True)),
              "seconds": np.array(float(result.seconds))}
    for name, value in result.params.items():
        arrays["param/" + name] = np.asarray(value)
    return write_npz(path, FORMAT, arrays)


def _result(z: Any) -> TrainResult:
    params = {k[6:]: jnp.asarray(z[k]) for k in sorted(z.files) if k.startswith("param/")}
    return TrainResult(str(z["stage"]), params, z["loss"].copy(), json.loads(str(z["trained"])),
                       json.loads(str(z["config"])), float(z["seconds"]))


def _layers(names: Any) -> str:
    """How many layers a set of parameter names has (``layer{i}/...``), in words."""
    L = len({k.split("/")[0] for k in names if k.startswith("layer")})
    return f"{L} layer{'s' if L != 1 else ''}"


def _check_model(path: str | Path, params: dict, model: ModelConfig, what: str) -> None:
    """``params`` must be ``model``'s parameters, every name with its shape: one-line ValueError otherwise."""
    want = param_shapes(model)
    bad = sorted(set(want) ^ set(params)) or [k for k in want if tuple(params[k].shape) != tuple(want[k].shape)]
    if bad:
        raise ValueError(f"checkpoint: expected {what} ({model.kind}, {_layers(want)}), got {_layers(params)} "
                         f"in {str(path)!r} (first mismatch: {bad[0]})")


def load_checkpoint(path: str | Path, model: ModelConfig | None = None) -> TrainResult:
    """Read a checkpoint written by :func:`save_checkpoint` (parameters as JAX arrays). The parameters must
    be the model the file's configuration records, and ``model``'s when given: a checkpoint of another
    depth (or with a layer missing) is a one-line ValueError naming both depths."""
    if model is not None and not isinstance(model, ModelConfig):
        raise ValueError(f"model: expected a ModelConfig or None, got {type(model).__name__}")
    result = read_npz(path, FORMAT, "a transformer checkpoint", _result)
    recorded = result.config.get("model")
    try:  # a configuration this version cannot read back as a ModelConfig is not checked against
        recorded = ModelConfig(**recorded) if isinstance(recorded, dict) else None
    except (TypeError, ValueError):
        recorded = None
    if recorded is not None:
        _check_model(path, result.params, recorded, "the model its configuration records")
    if model is not None:
        _check_model(path, result.params, model, "the model asked for")
    return result
