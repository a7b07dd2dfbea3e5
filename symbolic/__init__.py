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
concrete-dimension engine, for cross-checks); :mod:`symbolic.evaluation` (exact numbers); :mod:`symbolic.numbers` (numbers written as text).

The public names below are imported on first use (``from symbolic import derive`` works as
before), so ``import symbolic.numbers`` loads no SymPy.
"""
from typing import Any

#: where each public name lives (module, attribute): imported on first use, so that importing
#: :mod:`symbolic.numbers` alone (the command line at start-up) loads no SymPy
_NAMES = {
    "to_sympy": ("convert", "to_sympy"), "evaluate": ("evaluation", "evaluate"),
    "SIGMA": ("model", "SIGMA"), "Blocks": ("model", "Blocks"), "symbolic_blocks": ("model", "symbolic_blocks"),
    "M": ("objective", "M"), "N": ("objective", "N"), "SIGMA_NOISE": ("objective", "SIGMA_NOISE"),
    "THETA": ("objective", "THETA"), "THETA0": ("objective", "THETA0"),
    "expected_error": ("objective", "expected_error"), "pretraining_error": ("objective", "pretraining_error"),
    "Bilinear": ("printing", "Bilinear"),
    "N_FT": ("strategies", "N_FT"), "SCALE": ("strategies", "SCALE"), "STRATEGIES": ("strategies", "STRATEGIES"),
    "canonical_strategy": ("strategies", "canonical_strategy"), "derive": ("strategies", "derive"),
    "derive_full": ("strategies", "derive_full"), "derive_pretrain": ("strategies", "derive_pretrain"),
    "derive_value": ("strategies", "derive_value"), "derive_value_fewshot": ("strategies", "derive_value_fewshot"),
    "Strategy": ("strategy", "Strategy"), "tidy": ("strategy", "tidy"), "DIM": ("words", "DIM"),
    # the poster's names for the symbols
    "d": ("words", "DIM"), "sigma": ("objective", "SIGMA_NOISE"), "n": ("objective", "N"),
    "m": ("objective", "M"), "Sigma": ("model", "SIGMA"), "theta": ("objective", "THETA"),
    "theta0": ("objective", "THETA0"),
}


def error(blocks: Any = None, task: Any = None, n: Any = None) -> Any:
    """``E(V, Q, n; theta)`` as a SymPy expression (every block symbolic by default; task theta
    and n symbolic by default)."""
    from .convert import to_sympy
    from .objective import N, THETA, expected_error
    from .strategy import tidy
    return tidy(to_sympy(expected_error(blocks, THETA if task is None else task, N if n is None else n)))


__all__ = ["derive", "derive_pretrain", "derive_full", "derive_value", "derive_value_fewshot",
           "Strategy", "STRATEGIES", "canonical_strategy", "expected_error", "pretraining_error",
           "error", "to_sympy", "evaluate", "tidy", "Blocks", "symbolic_blocks", "Bilinear",
           "d", "sigma", "n", "m", "Sigma", "theta", "theta0", "N", "M", "N_FT", "SCALE",
           "SIGMA", "SIGMA_NOISE", "THETA", "THETA0", "DIM"]


def __getattr__(name: str) -> Any:  # PEP 562: the public names, imported on first use
    if name in _NAMES:
        import importlib
        module, attr = _NAMES[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symbolic' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
