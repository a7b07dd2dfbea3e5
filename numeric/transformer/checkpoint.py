"""Checkpoints of the transformer: parameters and loss log in one ``.npz`` (nothing pickled).

The file holds ``param/<name>`` for each parameter, ``loss`` (one value per step), the
stage, the names trained, the configuration as JSON and the wall time.
"""
from __future__ import annotations

import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .train import TrainResult

__all__ = ["save_checkpoint", "load_checkpoint", "FORMAT"]

FORMAT = "icl-finetune-transformer-1"


def save_checkpoint(path: str | Path, result: TrainResult) -> Path:
    """Write ``result`` to ``path`` (``.npz`` appended if missing); returns the path written."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if not path.parent.is_dir():
        raise ValueError(f"path: expected a file in an existing folder, got {str(path)!r}")
    arrays = {"format": np.array(FORMAT), "stage": np.array(result.stage), "loss": np.asarray(result.loss),
              "trained": np.array(json.dumps(result.trained)),
              "config": np.array(json.dumps(result.config, sort_keys=True)),
              "seconds": np.array(float(result.seconds))}
    for name, value in result.params.items():
        arrays["param/" + name] = np.asarray(value)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path) -> TrainResult:
    """Read a checkpoint written by :func:`save_checkpoint` (parameters as JAX arrays)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: expected an existing checkpoint file, got {str(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != FORMAT:
                raise ValueError(f"path: {str(path)!r} is not a transformer checkpoint ({FORMAT})")
            params = {k[6:]: jnp.asarray(z[k]) for k in sorted(z.files) if k.startswith("param/")}
            return TrainResult(str(z["stage"]), params, z["loss"].copy(), json.loads(str(z["trained"])),
                               json.loads(str(z["config"])), float(z["seconds"]))
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"path: cannot read checkpoint {str(path)!r} ({exc})") from None
