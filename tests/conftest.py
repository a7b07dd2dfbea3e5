"""Test-session setup: generated float curve evaluators (:mod:`proofs.quantities.compiled_curves`)
are cached in a temporary folder of the session, never in the user's ``~/.cache``."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("ICL_FINETUNE_CACHE", tempfile.mkdtemp(prefix="icl-finetune-test-cache-"))


#: the suite's longest self-contained tests (seconds each on an idle 2-core machine, none with a
#: module-scoped fixture), handed out first: pytest-xdist distributes tests in collection order,
#: and a long test left to the end keeps one worker busy while the other idles
LONGEST_FIRST = (
    "tests/test_transformer.py::test_tiny_experiment_end_to_end",                      # 20 s
    "tests/test_docs_examples.py::test_console_example[docs/cli.md:243]",              # 15 s (prove)
    "tests/test_engine_vs_concrete.py::test_closed_form_error_equals_concrete_engine", # 13 s
    "tests/test_transformer.py::test_prefix_makes_the_zero_shot_prompt_attend",        # 10 s
    "tests/test_frontier_finite_m.py::test_float_rows_at_finite_m_equal_the_explicit_minimiser",
    "tests/test_general_derivation.py::test_derived_minimiser_equals_independent_minimisation",
    "tests/test_transformer_control.py::test_derived_parameters_reproduce_the_theory",
    "tests/test_engine_vs_concrete.py::test_closed_form_pretraining_equals_concrete_engine",
    "tests/test_figure.py::test_quick_protocol_runs",
)


def pytest_collection_modifyitems(items):
    """Start the longest tests first (the order of the rest is kept)."""
    rank = {nodeid: i for i, nodeid in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid, len(rank)))
