"""The power of a result's check against its own statement: the same derivation, the statement
wrong in one place, and the check must fail exactly there (shared by the results' tests)."""
from __future__ import annotations

from typing import Any

import sympy as sp


def check_with_statement(result: Any, index: int, rhs: sp.Expr) -> Any:
    """The verdict of ``result``'s check with its statement's ``index``-th right-hand side
    replaced by ``rhs`` (the derivation is ``result``'s own, cached: only the statement differs)."""
    class Broken(type(result)):
        def derive(self):
            return result.derive()

        def _statement(self):
            st = list(super()._statement())
            st[index] = sp.Eq(st[index].lhs, rhs, evaluate=False)
            return tuple(st)

    return Broken().check()


def assert_fails_exactly(result: Any, index: int, rhs: sp.Expr) -> None:
    """The broken statement fails, on an exact line."""
    v = check_with_statement(result, index, rhs)
    assert not v.holds and any(line.startswith("[FAILED exact]") for line in v.lines), "\n".join(v.lines)
