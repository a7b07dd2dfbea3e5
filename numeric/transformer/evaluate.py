"""Monte Carlo n-shot errors of a trained transformer, each with its standard error.

``E(n; theta)`` is estimated by the mean over ``prompts`` independent prompts of the
squared error ``(f([z_1 .. z_n q]) - y_q)^2``, all n from one packed pass per prompt (see
:mod:`numeric.transformer.model`), except for the linear model at depth L >= 2: it is unmasked
(the paper's depth model, :mod:`numeric.depth`: the context tokens see the query from layer 1
on), so the packed pass would compute another model; there each n is its own prompt
``[z_1 .. z_n q_n]`` (:func:`~numeric.transformer.model.predict_prompt`) cut from the same draws
(the same N + 1 examples, ``q_n = (1, x_{n+1}, 0)``, target ``y_{n+1}``) as the packed pass uses.
Its standard error is the sample standard deviation over
the prompts divided by ``sqrt(prompts)``. The errors at different n share prompts (they are
correlated with each other), and so do different models evaluated with the same key
(common random numbers: differences between models are then estimated more precisely).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .data import sample_examples
from .model import ModelConfig, Params, linear_layers, predict_packed, predict_prompt
from .train import jit

__all__ = ["ErrorEstimate", "evaluate"]


@dataclass(frozen=True)
class ErrorEstimate:
    """``mean`` and ``se`` (standard error) of the n-shot squared error at each n of ``ns``."""

    ns: tuple[int, ...]
    mean: tuple[float, ...]
    se: tuple[float, ...]
    prompts: int

    def at(self, n: int) -> tuple[float, float]:
        i = self.ns.index(n)
        return self.mean[i], self.se[i]


@lru_cache(maxsize=16)
def _squared_errors(layers: int, heads: int, d: int, N: int, sigma2: float, batch: int, ns: tuple[int, ...],
                    fast_compile: bool, per_prompt: bool = False):
    idx = jnp.asarray(ns)

    def fn(params, key, theta):
        x, y = sample_examples(key, batch, N + 1, d, sigma2, theta)
        if per_prompt:  # column n: the prompt [z_1 .. z_n q_n], q_n = (1, x_{n+1}, 0), target y_{n+1}
            cols = [predict_prompt(params, x[:, :n + 1], y[:, :n + 1], layers=layers, heads=heads) - y[:, n]
                    for n in ns]
            return jnp.stack(cols, axis=1) ** 2
        pred = predict_packed(params, x, y, layers=layers, heads=heads)
        return ((pred - y) ** 2)[:, idx]
    return jit(fn, fast_compile=fast_compile)


def evaluate(params: Params, model: ModelConfig, theta: Sequence[float], ns: Sequence[int], *, sigma2: float,
             prompts: int, key: jax.Array, chunk: int = 100, fast_compile: bool = False) -> ErrorEstimate:
    """``E(n; theta)`` for each n in ``ns`` over ``prompts`` prompts (drawn ``chunk`` at a time,
    ``fold_in(key, i)`` for the i-th chunk), with standard errors. Chunks of 100 prompts ran about
    twice as fast per prompt as chunks of 1000 on 2 CPU cores (the attention scores stay in cache). ``fast_compile``: see
    :class:`numeric.transformer.train.OptimConfig`. The linear model at depth (``model.kind == "linear"``,
    ``model.layers >= 2``) is evaluated one prompt per n (see the module docstring)."""
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (model.d,) or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta: expected {model.d} finite numbers, got {theta!r}")
    ns = tuple(int(n) for n in ns)
    if not ns or min(ns) < 0:
        raise ValueError(f"ns: expected shot counts >= 0, got {ns!r}")
    if isinstance(prompts, bool) or not isinstance(prompts, (int, np.integer)) or prompts < 2:
        raise ValueError(f"prompts: expected an integer >= 2, got {prompts!r}")
    if model.kind == "linear" and linear_layers(params) != model.layers:
        raise ValueError(f"params: expected the linear model's {model.layers} layer(s) (layer0..layer{model.layers - 1}"
                         f"/attn/V, Q), got {linear_layers(params)}")
    chunk = min(chunk, prompts)
    per_prompt = model.kind == "linear" and model.layers > 1
    fn = _squared_errors(model.layers, model.heads, model.d, max(ns), float(sigma2), chunk, ns, bool(fast_compile),
                         per_prompt)
    th = jnp.asarray(theta, jnp.float32)
    s1 = np.zeros(len(ns))
    s2 = np.zeros(len(ns))
    done, i = 0, 0
    while done < prompts:
        e = np.asarray(fn(params, jax.random.fold_in(key, i), th), dtype=np.float64)
        e = e[:prompts - done]
        s1 += e.sum(0)
        s2 += (e ** 2).sum(0)
        done += e.shape[0]
        i += 1
    mean = s1 / prompts
    var = np.maximum(s2 / prompts - mean ** 2, 0.0) * prompts / (prompts - 1)
    se = np.sqrt(var / prompts)
    return ErrorEstimate(ns, tuple(float(v) for v in mean), tuple(float(v) for v in se), prompts)
