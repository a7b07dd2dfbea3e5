"""tests/conftest.py's lists name files and tests that exist (so they cannot rot silently when a
test is renamed or a file moved): LONGEST_FIRST (handed out first under pytest-xdist) and
SHARED_DERIVATIONS (one worker, each registered result checked once per process); and its
reading of which files share state across their tests (a module-scoped fixture, a memoised
function: their tests go to one worker) agrees with the files' text."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import LONGEST_FIRST, SHARED_DERIVATIONS, shares_state

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


def test_files_sharing_state_are_found() -> None:
    """shares_state (the syntax tree) finds exactly the files whose text declares a fixture of
    module, package or session scope or decorates a top-level function with lru_cache or cache,
    among them tests/test_training_quick.py's training run and tests/test_rank_jax.py's derivation."""
    wide = re.compile(r"""scope\s*=\s*["'](module|package|session)["']""")
    memo = re.compile(r"^@(functools\.)?(lru_cache|cache)\b", re.MULTILINE)
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        declared = wide.search(text) is not None or memo.search(text) is not None
        assert shares_state(rel) == declared, rel
    assert shares_state("tests/test_training_quick.py") and shares_state("tests/test_rank_jax.py")
    assert not shares_state("tests/test_conftest_lists.py")
