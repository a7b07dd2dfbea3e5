"""One rule for reading a strategy's name, on both sides of the numeric/symbolic wall.

:func:`symbolic.strategy_names.canonical_strategy` reads the closed-form strategies (a)-(d),
:func:`numeric.training.train.canonical_strategy` the trainable ones (no ``pretrain``, plus
``query-key``). The two packages cannot import each other, so this test holds them to one rule:
wherever both accept a spelling they give the same name, and wherever one refuses a spelling the
other accepts, the name it stands for is not one of the refusing side's strategies. The command
line's ``--strategy`` reads names by the symbolic rule.
"""
from __future__ import annotations

import pytest

from numeric.training.train import STRATEGY_ALIASES, TRAINABLE_STRATEGIES
from numeric.training.train import canonical_strategy as numeric_name
from proofs.cli.options import UsageError, parse_strategy
from symbolic.strategy_names import STRATEGIES, STRATEGY_LETTERS
from symbolic.strategy_names import canonical_strategy as symbolic_name


def _spellings() -> list[str]:
    names = sorted(set(STRATEGIES) | set(TRAINABLE_STRATEGIES)) + list("abcdeq")
    out = []
    for x in names:
        out += [x, x.upper(), f" {x} ", f"({x})", f" ( {x.upper()} ) ", x.replace("-", "_")]
    return out + ["", "value fewshot", "valuefewshot", "fine-tune", "(", "()"]


def _read(fn, text):
    try:
        return fn(text)
    except ValueError:
        return None


@pytest.mark.parametrize("text", _spellings())
def test_both_readers_agree_on_every_spelling(text):
    s, n = _read(symbolic_name, text), _read(numeric_name, text)
    if s is not None and n is not None:
        assert s == n
    if s is not None and n is None:
        assert s not in TRAINABLE_STRATEGIES, f"numeric refuses {text!r}, which symbolic reads as {s!r}"
    if n is not None and s is None:
        assert n not in STRATEGIES, f"symbolic refuses {text!r}, which numeric reads as {n!r}"


def test_the_letters_mean_the_same_on_both_sides():
    assert STRATEGY_ALIASES == {k: v for k, v in STRATEGY_LETTERS.items() if v in TRAINABLE_STRATEGIES}


def test_the_command_line_reads_names_as_symbolic_does():
    for text in _spellings():
        s = _read(symbolic_name, text)
        if s is None:
            with pytest.raises(UsageError, match="--strategy: expected one of"):
                parse_strategy(text)
        else:
            assert parse_strategy(text) == s
