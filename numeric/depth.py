r"""L layers of the poster's linear self-attention on a residual stream: forward pass and Monte Carlo.

The model. A prompt Z_0 = [z_1 ... z_n q] (tokens z_i = (1, x_i, y_i), the query
q = (1, x_{n+1}, 0), ``docs/CONVENTIONS.md``) goes through L layers, each with its own
(d+2) x (d+2) value and query-key matrices V_l, Q_l:

    Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1} / ncol(Z),        l = 1..L,

with no mask (the query column is a key at every layer, and its label entry is non-zero after
layer 1). The prediction is the last entry of the last column of Z_L,

    f_L(Z; (V_1, Q_1), ..., (V_L, Q_L)) = [Z_L]_{-1,-1},

and the n-shot error is E_L(layers, n; theta) = E[(f_L([Z_[n] z_{n+1}]) - y_{n+1})^2]. L = 1 is
:func:`numeric.model.forward` exactly (the same floating-point operations, so bit for bit).

Public API
----------
- :func:`check_layers`: validates a list of layers, returns ``[(V_1, Q_1), ...]`` as float64.
- :func:`forward_depth`: the reference forward pass above, batched over prompts.
- :func:`estimate_error_depth`: reference Monte Carlo of E_L(layers, n; theta), an
  :class:`~numeric.montecarlo.Estimate` (mean, standard error, samples); at L = 1 it returns
  exactly what :func:`numeric.montecarlo.estimate_error` returns for the same seed.
- :func:`class_start`: the pretrained class model's layers V_l = e_y e_y^T,
  Q_l = blockdiag(0, gamma_l Sigma^{-1}, 0), a fine-tuned layer's last row of V_l given.

A layer is a pair ``(V, Q)`` or a mapping ``{"V": ..., "Q": ...}`` (the JSON file form
``{"layers": [{"V": ..., "Q": ...}, ...]}`` gives such mappings).

The calibrated rule of :mod:`numeric.testing` (|z| <= 4) applied to this estimator is measured
in ``bench/calibrate_depth.py`` (false-alarm rate and power are stated in
``tests/test_depth_montecarlo.py``).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from .montecarlo import MEMORY_BUDGET_FLOATS, Estimate, _Accumulator, _chunks
from .sampling import _draw_prompts, as_generator
from .validation import (
    _as_float_array,
    check_count,
    check_covariance,
    check_prompts,
    check_samples,
    check_seed,
    check_sigma2,
    check_vector,
)

__all__ = ["MAX_LAYERS", "check_layers", "forward_depth", "estimate_error_depth", "class_start"]

#: deepest model the numeric path accepts (a guard against runaway inputs, not a limit of the maths)
MAX_LAYERS = 16


def class_start(gammas: Any, Sigma: Any, rows: Mapping[int, Any] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""The pretrained depth-L class model as float64 (V_l, Q_l) matrices, l = 1..L = ``len(gammas)``:

        V_l = e_y e_y^T,        Q_l = blockdiag(0, gamma_l Sigma^{-1}, 0),

    for a symmetric positive definite d x d ``Sigma`` (its inverse by ``numpy.linalg.inv``, once).
    ``rows``: layer l (from 1) -> V_l's last row (v_0, v_x^T, v_y), d + 2 numbers, in place of
    e_y^T (a fine-tuned layer). The exact twin, for the concrete engine, is
    :func:`symbolic.concrete_depth.class_start`."""
    S = check_covariance(Sigma)
    d = S.shape[0]
    gs = check_vector(gammas, "gammas")
    if gs.size > MAX_LAYERS:
        raise ValueError(f"gammas: expected at most {MAX_LAYERS} layers, got {gs.size}")
    rows = dict(rows or {})
    for l in rows:
        if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or not 1 <= l <= gs.size:
            raise ValueError(f"rows: expected layers 1..{gs.size} as keys, got {l!r}")
    last = {l: check_vector(r, f"rows[{l}]", d + 2) for l, r in rows.items()}
    Sinv = np.linalg.inv(S)
    out = []
    for l, g in enumerate(gs, start=1):
        V, Q = np.zeros((d + 2, d + 2)), np.zeros((d + 2, d + 2))
        V[d + 1] = last[l] if l in last else np.eye(d + 2)[d + 1]
        Q[1:d + 1, 1:d + 1] = g * Sinv
        out.append((V, Q))
    return out


def check_layers(layers: Any, d: int | None = None, *, name: str = "layers",
                 max_layers: int = MAX_LAYERS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate a list of layers; return ``[(V_1, Q_1), ..., (V_L, Q_L)]`` as float64 arrays.

    Each layer is a pair ``(V, Q)`` or a mapping with keys ``V`` and ``Q``; every matrix is a
    finite real (d+2) x (d+2) matrix with the same d (read off the first layer's V when ``d`` is
    None). Raises a one-line ValueError naming the argument (``layers``, ``layers[1].Q``...)
    for: not a list, an empty list, more than ``max_layers`` layers, a layer that is not a pair
    or a mapping, a ragged or non-square matrix, mixed d, NaN or infinity.
    """
    if isinstance(layers, Mapping) and "layers" in layers:
        layers = layers["layers"]
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, (Sequence, np.ndarray)):
        raise ValueError(f"{name}: expected a non-empty list of layers (V, Q) or {{'V': ..., 'Q': ...}}, "
                         f"got {type(layers).__name__}")
    if len(layers) == 0:
        raise ValueError(f"{name}: expected a non-empty list of layers (V, Q), got an empty list")
    if len(layers) > max_layers:
        raise ValueError(f"{name}: expected at most {max_layers} layers (deeper than supported), got {len(layers)}")
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Mapping):
            missing = [k for k in ("V", "Q") if k not in layer]
            if missing:
                raise ValueError(f"{name}[{i}]: expected a mapping with keys V and Q, missing {', '.join(missing)}")
            pair = (layer["V"], layer["Q"])
        elif isinstance(layer, (tuple, list)) and len(layer) == 2:
            pair = (layer[0], layer[1])
        else:
            raise ValueError(f"{name}[{i}]: expected a pair (V, Q) or a mapping {{'V': ..., 'Q': ...}}, "
                             f"got {type(layer).__name__}")
        mats = []
        for M, nm in zip(pair, ("V", "Q")):
            label = f"{name}[{i}].{nm}"
            expected = "a real (d+2)x(d+2) matrix with d >= 1" if d is None else \
                f"a real {d + 2}x{d + 2} matrix ((d+2)x(d+2) with d = {d}{' as layer 0' if i else ''})"
            a = _as_float_array(M, label, expected)
            if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 3:
                raise ValueError(f"{label}: expected {expected}, got an array of shape {a.shape}")
            if d is None:
                d = a.shape[0] - 2
            elif a.shape[0] != d + 2:
                raise ValueError(f"{label}: expected {expected}, got a {a.shape[0]}x{a.shape[1]} matrix "
                                 f"(mixed d across layers)")
            mats.append(a)
        out.append((mats[0], mats[1]))
    return out


def _forward_unchecked(Z: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    ncol = Z.shape[-1]
    for V, Q in layers:
        ZT = np.swapaxes(Z, -1, -2)
        Z = Z + V @ Z @ ZT @ Q @ Z / ncol          # Z_l = Z_{l-1} + V_l Z Z^T Q_l Z / ncol(Z)
    return Z[..., -1, -1]


def forward_depth(Z: Any, layers: Any) -> np.ndarray:
    r"""The depth-L prediction [Z_L]_{-1,-1}, Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1} / ncol(Z).

    Parameters
    ----------
    Z : array (..., d+2, ncol)
        Prompts (tokens as columns, the query (1, x_{n+1}, 0) last).
    layers : list of (V_l, Q_l) pairs or {"V": ..., "Q": ...} mappings, l = 1..L
        Each (d+2) x (d+2), the same d as Z.

    Returns
    -------
    ndarray (...): one prediction per prompt. With one layer it equals
    :func:`numeric.model.forward` bit for bit.
    """
    Z = check_prompts(Z, "Z")
    layers = check_layers(layers, Z.shape[-2] - 2)
    return _forward_unchecked(Z, layers)


def estimate_error_depth(layers: Any, *, n: Any, theta: Any, Sigma: Any, sigma2: Any, samples: Any = 100_000,
                         seed: int | np.random.Generator = 0, chunk: int | None = None) -> Estimate:
    r"""Reference Monte Carlo estimate of E_L(layers, n; theta) = E[(f_L([Z_[n] z_{n+1}]) - y_{n+1})^2].

    Each sample is a whole prompt (x_i ~ N(0, Sigma), y_i = theta^T x_i + eps_i, eps_i ~ N(0, sigma2),
    the query's label hidden) pushed through :func:`forward_depth`; mean of the squared errors
    and its standard error (sample standard deviation / sqrt(samples)).

    Same draws as :func:`numeric.montecarlo.estimate_error` (prompt j is the j-th block of the seed's
    stream whatever ``chunk`` is), so at L = 1 the two return identical estimates.

    Raises ValueError naming the argument (before any sampling) for bad layers (see
    :func:`check_layers`), Sigma, theta, sigma2, n, samples, seed or chunk.
    """
    Sigma = check_covariance(Sigma, "Sigma")
    d = Sigma.shape[0]
    layers = check_layers(layers, d)
    theta = check_vector(theta, "theta", d)
    n = int(check_count(n, "n"))
    sigma2 = check_sigma2(sigma2)
    samples = check_samples(samples)
    seed = check_seed(seed)
    if chunk is None:
        chunk = max(1, MEMORY_BUDGET_FLOATS // ((d + 2) * (n + 1)))
    else:
        chunk = int(check_count(chunk, "chunk", minimum=1))
    rng = as_generator(seed)
    Lc = np.linalg.cholesky(Sigma)
    sigma = math.sqrt(sigma2)
    acc = _Accumulator()
    for k in _chunks(samples, chunk):
        Z, y = _draw_prompts(rng, n, Lc, theta, sigma, k)
        acc.add((_forward_unchecked(Z, layers) - y) ** 2)
    return acc.estimate()
