"""The names of the poster's four strategies and their letters, without SymPy.

(a) ``pretrain``, (b) ``full``, (c) ``value``, (d) ``value-fewshot``: :mod:`symbolic.strategies`
derives them; this module only names them, so that a caller that never derives (a float
curve from a generated evaluator, :mod:`symbolic.codegen`) can read a name without loading SymPy.
"""
from __future__ import annotations

__all__ = ["STRATEGIES", "canonical_strategy"]

STRATEGIES = ("pretrain", "full", "value", "value-fewshot")
_LETTERS = {"a": "pretrain", "b": "full", "c": "value", "d": "value-fewshot"}


def canonical_strategy(name: str) -> str:
    """``'pretrain' | 'full' | 'value' | 'value-fewshot'`` (letters a-d accepted)."""
    key = str(name).strip().lower()
    key = _LETTERS.get(key, key)
    if key not in STRATEGIES:
        raise ValueError(f"strategy: expected one of {', '.join(STRATEGIES)} (or a-d), got {name!r}")
    return key
