"""symbolic: exact derivations for the linear self-attention fine-tuning theory.

Quick tour::

    >>> from symbolic import derive, THETA0, THETA, N
    >>> value = derive("value")                 # strategy (c), pretraining context m -> oo
    >>> value.zero_shot_error()
    sigma**2 + 2*(theta_0.T*Sigma*theta_0)/(d + 4)
    >>> value.few_shot_limit(-THETA0)
    sigma**2 + (theta_0.T*Sigma*theta_0)/(d + 4)**2

Layers: :mod:`symbolic.words`, :mod:`symbolic.forms` and :mod:`symbolic.wick` (the Wick
engine, symbolic d and Sigma); :mod:`symbolic.model` and :mod:`symbolic.objective` (the
poster's model and E(V, Q, n; theta)); :mod:`symbolic.calculus` (gradients, solves);
:mod:`symbolic.strategy` (the derived-strategy type), :mod:`symbolic.pretraining` and
:mod:`symbolic.strategies` (the four strategies), :mod:`symbolic.general` (any spec); :mod:`symbolic.concrete` (the independent
concrete-dimension engine, for cross-checks); :mod:`symbolic.evaluate` (exact numbers).
"""
from .convert import to_sympy
from .evaluate import evaluate
from .model import SIGMA, Blocks, symbolic_blocks
from .objective import M, N, SIGMA_NOISE, THETA, THETA0, expected_error, pretraining_error
from .printing import Bilinear
from .strategies import (N_FT, SCALE, STRATEGIES, canonical_strategy, derive, derive_full, derive_pretrain,
                         derive_value, derive_value_fewshot)
from .strategy import Strategy, tidy
from .words import DIM

d = DIM
sigma = SIGMA_NOISE
n = N
m = M
Sigma = SIGMA
theta = THETA
theta0 = THETA0


def error(blocks: Blocks | None = None, task=THETA, n=N):
    """``E(V, Q, n; theta)`` as a SymPy expression (every block symbolic by default)."""
    return tidy(to_sympy(expected_error(blocks, task, n)))


__all__ = ["derive", "derive_pretrain", "derive_full", "derive_value", "derive_value_fewshot",
           "Strategy", "STRATEGIES", "canonical_strategy", "expected_error", "pretraining_error",
           "error", "to_sympy", "evaluate", "tidy", "Blocks", "symbolic_blocks", "Bilinear",
           "d", "sigma", "n", "m", "Sigma", "theta", "theta0", "N", "M", "N_FT", "SCALE",
           "SIGMA", "SIGMA_NOISE", "THETA", "THETA0", "DIM"]
