"""A result's display stays on one page unless it is long (Theorem 4.6's display
split across pages in ``latex --pdf``); the whole document is checked in
tests/test_latex_compile.py::test_every_result_of_the_registry_is_in_the_document."""
from __future__ import annotations

from proofs.paper.latex_doc import MAX_UNBROKEN_LINES, _keep_together


def test_only_long_displays_may_break():
    assert _keep_together("a \\\\ b") == "a \\\\ b"
    assert _keep_together("x \\\\ " * MAX_UNBROKEN_LINES).startswith("{\\allowdisplaybreaks")
