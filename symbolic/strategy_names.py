"""The names of the poster's four strategies with a closed form, and the one way to read them.

(a) ``pretrain``, (b) ``full``, (c) ``value``, (d) ``value-fewshot`` (derived in
:mod:`symbolic.strategies`). A name is read case-blind, around blanks and parentheses, with
``_`` for ``-`` and the poster's letters a-d accepted: ``" (D) "`` and ``"value_fewshot"`` are
``value-fewshot``.

Standard library only, so the command line can check a name without loading SymPy. The numeric
side's trainable strategies (:data:`numeric.training.train.TRAINABLE_STRATEGIES`: no
``pretrain``, plus ``query-key``) read names by the same rule; ``tests/test_strategy_names.py``
holds the two readers to it, since numeric/ and symbolic/ cannot import each other.
"""
from __future__ import annotations

__all__ = ["STRATEGIES", "STRATEGY_LETTERS", "canonical_strategy"]

#: the strategies with a closed form, in the poster's order (a)-(d)
STRATEGIES = ("pretrain", "full", "value", "value-fewshot")
#: the poster's letters for them
STRATEGY_LETTERS = dict(zip("abcd", STRATEGIES))


def canonical_strategy(name: str) -> str:
    """``'pretrain' | 'full' | 'value' | 'value-fewshot'`` from a name or a letter a-d; a
    ``ValueError`` naming the expected names otherwise."""
    key = str(name).strip().lower().strip("()").strip()
    key = STRATEGY_LETTERS.get(key, key.replace("_", "-"))
    if key not in STRATEGIES:
        raise ValueError(f"strategy: expected one of {', '.join(STRATEGIES)} (or a-d), got {name!r}")
    return key
