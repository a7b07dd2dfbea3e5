"""Test-session setup: generated float curve evaluators (:mod:`proofs.quantities.compiled_curves`)
are cached in a temporary folder of the session, never in the user's ``~/.cache``."""
from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("ICL_FINETUNE_CACHE", tempfile.mkdtemp(prefix="icl-finetune-test-cache-"))


#: the suite's longest self-contained tests (seconds each on an idle 2-core machine, none with a
#: module-scoped fixture), handed out first: pytest-xdist distributes tests in collection order,
#: and a long test left to the end keeps one worker busy while the other idles
LONGEST_FIRST = (
    "tests/test_transformer.py::test_tiny_experiment_end_to_end",                      # 20 s
    "tests/test_docs_examples.py::test_console_example[docs/cli.md:243]",              # 15 s (prove; first
                                                                                       # of SHARED_DERIVATIONS)
    "tests/test_engine_vs_concrete.py::test_closed_form_error_equals_concrete_engine", # 13 s
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


#: test files that derive and check every result of proofs.paper.results (``Result.check()``, the
#: ``prove`` command, the generated result pages, the LaTeX of every statement...): the derivations
#: are cached per process (a second pass over all results costs about 2 s, the first about 15 s), so
#: under pytest-xdist these files run in one worker, which derives each result once, rather than
#: spread over both, each deriving everything (measured: about 35 CPU-seconds saved; see
#: :class:`SharedDerivations`)
SHARED_DERIVATIONS = (
    "tests/test_results.py",
    "tests/test_docs_pages.py",
    "tests/test_docs_examples.py",
    "tests/test_latex_compile.py",
    "tests/test_printing_roundtrip.py",
    "tests/test_statements.py",
    "tests/test_depth_result.py",
    "tests/test_beyond_any_setting.py",
    "tests/test_api_latex.py",
)


@pytest.fixture(scope="session")
def one_check_per_result():
    """Within this test process, each registered result (``proofs.paper.results.<module>.RESULT``,
    the objects ``all_results()`` returns) is checked once: the files of
    :data:`SHARED_DERIVATIONS` call ``check()`` on every result about eight times over (the
    ``prove`` examples, the generated pages, the REPL examples, the verdicts of tests/test_results.py),
    each a full pass of every check (2-6 CPU-seconds even with the derivations cached); later calls
    get the first call's verdict (a copy).  The verdict is what the same code computes at the same
    settings, so every assertion on it keeps its power; any other object (a deliberately broken
    subclass, a result built by a test) is checked afresh."""
    import sys
    from dataclasses import replace

    from proofs.paper.result import Result
    real = Result.check
    verdicts: dict[int, object] = {}

    def check(self):
        module = sys.modules.get(type(self).__module__)
        if getattr(module, "RESULT", None) is not self:
            return real(self)
        if id(self) not in verdicts:
            verdicts[id(self)] = real(self)
        v = verdicts[id(self)]
        return replace(v, lines=list(v.lines), checks=list(v.checks))

    # ``prove`` checks the (c)/(d) results in a forked child by default (check_all's jobs=None):
    # their verdicts (and derivations) would die with the child and be computed again here; in
    # this process, in order, each goes through the memo above (check_all's own two-process path
    # is tested with jobs=2 explicitly, tests/test_results.py, and is left as it is)
    import proofs.paper.results as registry
    real_all = registry.check_all

    def check_all(results=None, jobs=None):
        return real_all(results, jobs=1 if jobs is None else jobs)

    Result.check, registry.check_all = check, check_all
    yield
    Result.check, registry.check_all = real, real_all


@pytest.fixture(autouse=True)
def _shared_derivations(request):
    """:func:`one_check_per_result` for the tests of :data:`SHARED_DERIVATIONS`."""
    if request.node.nodeid.split("::", 1)[0] in SHARED_DERIVATIONS:
        request.getfixturevalue("one_check_per_result")


def _shared_scheduler():
    """xdist's load scheduling (each test its own unit, handed out in collection order, the longest
    first) except that the tests of :data:`SHARED_DERIVATIONS` form one unit, given to one worker
    first (xdist's loadscope orders units by size)."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedDerivations(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "shared-derivations" if nodeid.split("::", 1)[0] in SHARED_DERIVATIONS else nodeid

    return SharedDerivations


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``pytest -n N`` (``--dist load``, the default): :func:`_shared_scheduler`'s; any other
    ``--dist`` is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    return _shared_scheduler()(config, log)
