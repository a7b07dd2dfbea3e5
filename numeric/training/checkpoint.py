"""Checkpoints: a trained model's parameters and loss log in one ``.npz`` file.

The file holds ``V``, ``Q``, one array ``log/<column>`` per logged quantity, the
configuration as JSON (``config``), the stage, the wall time and the pretraining scale,
so a run can be evaluated and plotted again without retraining. Nothing is pickled.

:func:`write_npz` and :func:`read_npz` are the file handling every checkpoint shares (the
``.npz`` suffix, the folder check, an atomic write, the format tag, one error for an unreadable
file); :mod:`numeric.transformer.checkpoint` writes its own arrays through them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .train import TrainResult

__all__ = ["save_checkpoint", "load_checkpoint", "FORMAT", "write_npz", "read_npz"]

FORMAT = "icl-finetune-checkpoint-1"


def write_npz(path: str | Path, fmt: str, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and the format tag ``fmt`` to ``path`` (``.npz`` appended if missing),
    through a temporary file so that a reader never sees half a file; returns the path written."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if not path.parent.is_dir():
        raise ValueError(f"path: expected a file in an existing folder, got {str(path)!r} "
                         f"(folder {str(path.parent)!r} does not exist)")
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, format=np.array(fmt), **arrays)
    tmp.replace(path)
    return path


def read_npz(path: str | Path, fmt: str, what: str, build: Callable[[Any], Any]) -> Any:
    """``build(z)`` of the open ``.npz`` at ``path``, once its format tag is ``fmt`` (else a
    ``ValueError`` saying it is not ``what``); a file that cannot be read is a ``ValueError``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: expected an existing checkpoint file, got {str(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != fmt:
                raise ValueError(f"path: {str(path)!r} is not {what} ({fmt})")
            return build(z)
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"path: cannot read checkpoint {str(path)!r} ({exc})") from None


def save_checkpoint(path: str | Path, result: TrainResult) -> Path:
    """Write ``result`` to ``path`` (``.npz`` is appended if missing); returns the path written."""
    arrays = {
        "stage": np.array(result.stage),
        "V": np.asarray(result.V, dtype=float),
        "Q": np.asarray(result.Q, dtype=float),
        "config": np.array(json.dumps(result.config, sort_keys=True)),
        "seconds": np.array(float(result.seconds)),
        "scale": np.array(float(result.scale)),
        "warnings": np.array(json.dumps(list(result.warnings))),
    }
    for name, values in result.log.items():
        arrays[f"log/{name}"] = np.asarray(values, dtype=float)
    return write_npz(path, FORMAT, arrays)


def _result(z: Any) -> TrainResult:
    log = {k[4:]: z[k].copy() for k in z.files if k.startswith("log/")}
    return TrainResult(stage=str(z["stage"]), V=z["V"].copy(), Q=z["Q"].copy(), log=log,
                       config=json.loads(str(z["config"])), seconds=float(z["seconds"]),
                       scale=float(z["scale"]),
                       warnings=json.loads(str(z["warnings"])) if "warnings" in z.files else [])


def load_checkpoint(path: str | Path) -> TrainResult:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    return read_npz(path, FORMAT, "an icl-finetune checkpoint", _result)
