"""A statement's equations are written with ``proofs.paper.result.claim`` (``sympy.Eq`` left
unevaluated, skipping SymPy's question whether the two sides are equal): each statement is the
one ``sympy.Eq`` itself builds, term for term, for results of every kind of left-hand side (a
test error, a named quantity, a limit, conditions on matrix blocks)."""
from __future__ import annotations

from importlib import import_module

import pytest
import sympy as sp

MODULES = ("theorem_4_3",         # Conditions of matrix equations, a TestError
           "tradeoff_value",      # a Limit on the left
           "forgetting_rate",     # named quantities (Symbols) on the left
           "early_stopping")      # a Symbol equal to a Symbol


@pytest.mark.parametrize("name", MODULES)
def test_statement_is_what_sympy_eq_builds(name, monkeypatch):
    mod = import_module(f"proofs.paper.results.{name}")
    built = mod.RESULT.statement
    monkeypatch.setattr(mod, "claim", sp.Eq)   # evaluated, as sympy.Eq is by default
    want = tuple(mod.RESULT._statement())
    assert built == want
    assert [sp.srepr(e) for e in built] == [sp.srepr(e) for e in want]
