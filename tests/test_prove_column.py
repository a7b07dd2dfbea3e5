"""``prove``'s time column stays aligned for every result id (it broke on
``early-stopping-vs-auxiliary``, longer than the 19 characters the column allowed)."""
from __future__ import annotations

from proofs.cli.printers import printer
from proofs.cli.reports import ProvedResult
from proofs.paper.results import all_results


def test_time_column_is_aligned_for_every_result():
    ids = [r.id for r in all_results()]
    assert "early-stopping-vs-auxiliary" in ids
    lines = [printer("text").doprint(ProvedResult(i, "title", True, 1.25)) for i in ids]
    assert len({line.index(" s  title") for line in lines}) == 1, lines
