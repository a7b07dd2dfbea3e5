"""The reference forward pass of the poster's linear self-attention model.

    f(Z; V, Q) = [ Z + V Z Z^T Q Z / ncol(Z) ]_{-1,-1}

Z is a prompt of shape (d+2, n+1) laid out as in ``docs/CONVENTIONS.md``: column i is
the token z_i = (1, x_i, y_i), the last column the query (1, x_{n+1}, 0). This is the
ground truth every faster estimator of the toolkit is checked against, so it is
written to read like the formula, not to be fast.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["forward"]


def _as_real(a: Any, name: str, expected: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name}: expected {expected}, got an array of dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected {expected} with finite entries, got NaN or infinity")
    return arr


def forward(Z: Any, V: Any, Q: Any) -> np.ndarray:
    r"""The model's prediction f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}, batched.

    Parameters
    ----------
    Z : array (..., d+2, ncol)
        Prompts: tokens (1, x_i, y_i) as columns, the query (1, x_{n+1}, 0) last;
        ncol = n + 1 (n = 0 is the zero-shot prompt, the query alone).
    V, Q : arrays (d+2, d+2) or (..., d+2, d+2)
        Value and query-key matrices; leading axes broadcast against Z's.

    Returns
    -------
    ndarray of shape (...)
        The last entry of the last column, one per prompt (a 0-d array for one prompt).

    Raises
    ------
    ValueError
        If the shapes do not match (d+2 rows, square V and Q) or entries are not finite.
    """
    Z = _as_real(Z, "Z", "a real array of prompts of shape (..., d+2, ncol)")
    if Z.ndim < 2 or Z.shape[-2] < 3 or Z.shape[-1] < 1:
        raise ValueError(f"Z: expected a real array of prompts of shape (..., d+2, ncol) with d >= 1, got shape {Z.shape}")
    D = Z.shape[-2]
    V = _as_real(V, "V", f"a real {D}x{D} matrix (d+2 = {D} rows, as Z)")
    Q = _as_real(Q, "Q", f"a real {D}x{D} matrix (d+2 = {D} rows, as Z)")
    for M, nm in ((V, "V"), (Q, "Q")):
        if M.ndim < 2 or M.shape[-2:] != (D, D):
            raise ValueError(f"{nm}: expected a real {D}x{D} matrix (d+2 = {D} rows, as Z), got shape {M.shape}")
    ncol = Z.shape[-1]
    ZT = np.swapaxes(Z, -1, -2)
    return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]
