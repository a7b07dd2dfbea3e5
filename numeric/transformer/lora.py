r"""LoRA on the paper's linear model in JAX: a rank-r update of Q (or Q_xx) trained on sampled prompts.

The model is :func:`numeric.transformer.model.linear_forward` (``ModelConfig(kind="linear")``): one
layer of linear self-attention with ``V``, ``Q`` (d+2) x (d+2),
``f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}``.  From given (pretrained) ``V_0, Q_0``, V stays
fixed and one block of Q moves by a rank-r update, LoRA's way:

    Q = Q_0 + E(B A),     B (rows x r) = 0 at the start,  A (r x cols) ~ N(0, init_scale^2) entrywise,

``E`` writing the block into Q: ``block="Q"`` is Q[:, :d+1] ((d+2) x (d+1), every entry of Q that
reaches the output), ``block="Qxx"`` is Q[1:d+1, 1:d+1] (d x d); ``init_scale = 1/sqrt(cols)`` by
default (as :func:`numeric.lora.lora_start`).  Since B = 0, the model at step 0 *is* the pretrained
one (:attr:`LoraResult.Q_start`, built by the same code the training loop uses).

Each step draws ``batch`` fresh prompts of ``n_ft`` shots and a query from the task ``theta0``
(x ~ N(0, I_d): Sigma = I, y = theta0^T x + eps, eps ~ N(0, sigma2)); the loss is the mean squared
error of the query's prediction, whose expectation is the n_ft-shot loss ``E(V_0, Q, n_ft; theta0)``.
Gradients come from JAX's autodiff of the forward pass, an implementation independent of the
closed forms (``symbolic.lowrank``) and of ``numeric.lora``'s hand-written factor gradients.  Only
(B, A) move, by

- ``optimizer="momentum"`` (default): gradient descent with heavy-ball momentum 0.9, step size
  cosine-decayed from ``lr`` to ``lr * lr_final``;
- ``"sgd"``: the same without momentum (the plain gradient descent of the theory's LoRA path);
- ``"adam"``: Adam with the same schedule, what practitioners run.

Why momentum by default (measured once, seed 0, at d = 3, Sigma = I, theta0 = (1, -1, 1/2),
sigma^2 = 1/10, the 5-shot loss, rank 1 of Q, 600 steps of 1024 prompts, final step 1% of the
first; the error on -theta0 as n -> oo against the rank-1 optimum's): Adam (lr 0.05) ends 5.6%
above, plain SGD 2.9% (lr 0.1) and 0.7% (lr 0.3), momentum 0.001% (lr 0.03) and 0.3% (lr 0.05).
Adam's per-coordinate normalisation keeps the directions the optimum leaves at zero moving at the
step size's scale, and the errors on tasks the training never saw move to first order with them.
On Q (rather than Q_xx) the theta block's weak direction (gain 0.059 against the perp block's
0.33) still converges slowly with every optimiser: 300 momentum steps leave a few percent on
-theta0 at n -> oo, where Q_xx's are within 0.1% (tests/test_rank_jax.py uses Q_xx).

numpy/JAX only (``numeric`` never imports ``symbolic``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .data import sample_examples, seed_key
from .model import predict_prompt

__all__ = ["LoraResult", "lora_finetune", "block_slices", "BLOCKS", "OPTIMIZERS"]

BLOCKS = ("Q", "Qxx")
OPTIMIZERS = ("momentum", "sgd", "adam")


def block_slices(block: str, d: int) -> tuple[slice, slice]:
    """The rows and columns of the block in Q ((d+2) x (d+2))."""
    if block == "Q":
        return slice(0, d + 2), slice(0, d + 1)
    if block == "Qxx":
        return slice(1, d + 1), slice(1, d + 1)
    raise ValueError(f"block: expected one of {', '.join(BLOCKS)}, got {block!r}")


@dataclass
class LoraResult:
    """The trained ``V``, ``Q`` (float64 arrays), the model at step 0 (``Q_start``, as the training
    loop built it from the factors' start), the factors ``B``, ``A`` at the end and ``A_start``
    (A's random start), the per-step batch loss."""

    V: np.ndarray
    Q: np.ndarray
    Q_start: np.ndarray
    B: np.ndarray
    A: np.ndarray
    loss: np.ndarray
    A_start: np.ndarray

    @property
    def rank(self) -> int:
        """The number of columns of B (rows of A): the update's rank budget."""
        return int(self.B.shape[1])


def _int_at_least(v: Any, name: str, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name}: expected an integer >= {low}, got {v!r}")
    return int(v)


def _positive(v: Any, name: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        f = float("nan")
    if isinstance(v, (bool, np.bool_)) or not (math.isfinite(f) and f > 0):
        raise ValueError(f"{name}: expected a positive finite number, got {v!r}")
    return f


def lora_start(rows: int, cols: int, rank: int, seed: int, init_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """LoRA's start: ``B = 0`` (rows x r), ``A`` (r x cols) i.i.d. N(0, init_scale^2)."""
    rng = np.random.default_rng(seed)
    return np.zeros((rows, rank)), rng.normal(0.0, init_scale, size=(rank, cols))


def lora_finetune(V0: Any, Q0: Any, *, block: str, rank: int, theta0: Any, sigma2: float, n_ft: int,
                  steps: int = 300, batch: int = 2048, lr: float = 0.1, lr_final: float = 0.01,
                  optimizer: str = "momentum", seed: int = 0, init_scale: float | None = None) -> LoraResult:
    """Train LoRA's factors (module docstring) from ``(V0, Q0)``; returns the trained model.

    ``lr_final`` is the final step size as a fraction of ``lr`` (cosine decay)."""
    theta0 = np.asarray(theta0, dtype=float).reshape(-1)
    d = theta0.size
    if d < 1 or not np.all(np.isfinite(theta0)):
        raise ValueError(f"theta0: expected a finite vector of length >= 1, got {theta0!r}")
    V0, Q0 = np.asarray(V0, dtype=float), np.asarray(Q0, dtype=float)
    if V0.shape != (d + 2, d + 2) or Q0.shape != (d + 2, d + 2) or not (np.all(np.isfinite(V0))
                                                                       and np.all(np.isfinite(Q0))):
        raise ValueError(f"V0, Q0: expected finite {d + 2} x {d + 2} matrices (d = {d} from theta0), got shapes "
                         f"{V0.shape}, {Q0.shape}")
    rows, cols = block_slices(block, d)
    R, C = rows.stop - rows.start, cols.stop - cols.start
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= min(R, C):
        raise ValueError(f"rank: expected an integer 1 <= rank <= {min(R, C)} (the block {block} is {R} x {C}), "
                         f"got {rank!r}")
    if isinstance(sigma2, bool) or not (isinstance(sigma2, (int, float, np.floating, np.integer))
                                        and math.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2: expected a finite number >= 0, got {sigma2!r}")
    steps, batch, n_ft = (_int_at_least(v, name, 1) for v, name in ((steps, "steps"), (batch, "batch"),
                                                                     (n_ft, "n_ft")))
    lr, lr_final = _positive(lr, "lr"), _positive(lr_final, "lr_final")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    scale = 1.0 / math.sqrt(C) if init_scale is None else _positive(init_scale, "init_scale")
    seed = _int_at_least(seed, "seed", 0)

    B0, A0 = lora_start(R, C, int(rank), seed, scale)
    factors = {"B": jnp.asarray(B0, jnp.float32), "A": jnp.asarray(A0, jnp.float32)}
    Vj, Qj, th = jnp.asarray(V0, jnp.float32), jnp.asarray(Q0, jnp.float32), jnp.asarray(theta0, jnp.float32)

    def model_q(f):
        return Qj.at[rows, cols].add(f["B"] @ f["A"])

    def loss_fn(f, key):
        x, y = sample_examples(key, batch, n_ft + 1, d, float(sigma2), th)
        pred = predict_prompt({"layer0/attn/V": Vj, "layer0/attn/Q": model_q(f)}, x, y, layers=1, heads=1)
        return jnp.mean((pred - y[:, -1]) ** 2)

    schedule = optax.cosine_decay_schedule(lr, steps, alpha=lr_final)
    opt = {"momentum": lambda: optax.sgd(schedule, momentum=0.9), "sgd": lambda: optax.sgd(schedule),
           "adam": lambda: optax.adam(schedule)}[optimizer]()
    key = seed_key(seed, 2, 0)
    Q_start = np.asarray(model_q(factors), dtype=float)

    def step(carry, t):
        f, s = carry
        loss, g = jax.value_and_grad(loss_fn)(f, jax.random.fold_in(key, t))
        upd, s = opt.update(g, s, f)
        return (optax.apply_updates(f, upd), s), loss

    run = jax.jit(lambda c: jax.lax.scan(step, c, jnp.arange(steps)))
    (factors, _), losses = run((factors, opt.init(factors)))
    B, A = np.asarray(factors["B"], dtype=float), np.asarray(factors["A"], dtype=float)
    Q = Q0.copy()
    Q[rows, cols] += B @ A
    losses = np.asarray(losses, dtype=float)
    if not (np.all(np.isfinite(Q)) and np.all(np.isfinite(losses))):
        raise FloatingPointError(f"lr: LoRA's training diverged (lr = {lr:g}, optimizer {optimizer})")
    return LoraResult(V0.copy(), Q, Q_start, B, A, losses, A0.copy())
