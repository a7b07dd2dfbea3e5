"""tests/conftest.py's lists name files and tests that exist (so they cannot rot silently when a
test is renamed or a file moved): LONGEST_FIRST (handed out first under pytest-xdist) and
SHARED_DERIVATIONS (one worker, each registered result checked once per process)."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import LONGEST_FIRST, SHARED_DERIVATIONS

ROOT = Path(__file__).resolve().parent.parent


def test_shared_derivations_are_test_files() -> None:
    for path in SHARED_DERIVATIONS:
        assert (ROOT / path).is_file(), f"{path}: in SHARED_DERIVATIONS but missing"


def test_longest_first_names_existing_tests() -> None:
    for nodeid in LONGEST_FIRST:
        path, name = nodeid.split("::", 1)
        function = re.sub(r"\[.*\]$", "", name)
        text = (ROOT / path).read_text(encoding="utf-8")
        assert f"def {function}(" in text, f"{nodeid}: in LONGEST_FIRST but no such test"
