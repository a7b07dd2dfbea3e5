"""The generated summary table equals the poster's, entry by entry, symbolically.

The poster's entries are typed in HERE, as the independent source of truth (the toolkit
derives its table; it never types it).  Poster: ../shared/seed/poster.md, "Summary of
Theoretical Results".
"""
from __future__ import annotations

import pytest
import sympy as sp

from proofs import api
from proofs.cli.printers import printer
from proofs.cli.printers.common import expr_json
from proofs.cli.reports import SummaryTable
from proofs.paper.table import to_table_symbols

d, sigma, t = sp.symbols("d sigma theta0_Sigma_theta0")
s2 = sigma ** 2

#: strategy -> (zero-shot on theta0, few-shot on theta0, few-shot on -theta0), as on the poster.
POSTER = {
    "pretrain": (s2 + t, s2, s2),
    "full": (s2, s2 + t, s2 + t),
    "value": (s2 + 2 * t / (d + 4), s2 + t / (d + 4) ** 2, s2 + t / (d + 4) ** 2),
    "value-fewshot": (s2 + 2 * t / (d + 4), s2, s2 + 4 * t / (d + 4) ** 2),
}
COLUMNS = ("zero_shot", "few_shot_target", "few_shot_opposite")


@pytest.fixture(scope="module")
def rows():
    return api.summary_table()


def test_rows_in_the_posters_order(rows):
    assert [r.strategy for r in rows] == list(POSTER)


@pytest.mark.parametrize("strategy", list(POSTER))
@pytest.mark.parametrize("column", range(3))
def test_entry_equals_the_poster(rows, strategy, column):
    row = next(r for r in rows if r.strategy == strategy)
    got, want = getattr(row, COLUMNS[column]), POSTER[strategy][column]
    assert sp.simplify(got - want) == 0, f"{strategy}, {COLUMNS[column]}: derived {got}, poster {want}"


def test_a_wrong_entry_is_caught(rows):
    """The comparison has power: the poster's (c) entry with 1/(d+4) instead of 1/(d+4)^2 differs."""
    row = next(r for r in rows if r.strategy == "value")
    assert sp.simplify(row.few_shot_target - (s2 + t / (d + 4))) != 0


def test_entries_use_only_the_table_symbols(rows):
    names = set(api.table_symbols())
    for r in rows:
        for c in COLUMNS:
            assert {s.name for s in getattr(r, c).free_symbols} <= names


def test_json_strings_parse_back_to_the_same_expressions(rows):
    for r in rows:
        for c in COLUMNS:
            e = getattr(r, c)
            assert sp.sympify(expr_json(e)) == e


def test_latex_table_has_every_row(rows):
    tex = printer("latex").doprint(SummaryTable(rows))
    for label in ("(a)", "(b)", "(c)", "(d)"):
        assert label in tex


@pytest.mark.parametrize("strategy", ["value", "value-fewshot"])
def test_task_substitution_equals_direct_derivation(strategy):
    """The table substitutes theta = +-theta_0 in the limit derived for a generic theta; the
    engine run directly on theta_0 and -theta_0 gives the same expressions."""
    from symbolic import THETA0, derive
    from proofs.quantities.derivations import few_shot_limit
    s = derive(strategy)
    for task, vec in (("target", THETA0), ("opposite", -THETA0)):
        direct = to_table_symbols(s.few_shot_limit(vec))
        assert sp.simplify(to_table_symbols(few_shot_limit(strategy, task)) - direct) == 0
