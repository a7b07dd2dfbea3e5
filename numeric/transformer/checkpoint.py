"""Checkpoints of the transformer: parameters and loss log in one ``.npz`` (nothing pickled).

The file holds ``param/<name>`` for each parameter, ``loss`` (one value per step), the
stage, the names trained, the configuration as JSON and the wall time. The file handling
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


def load_checkpoint(path: str | Path) -> TrainResult:
    """Read a checkpoint written by :func:`save_checkpoint` (parameters as JAX arrays)."""
    return read_npz(path, FORMAT, "a transformer checkpoint", _result)
