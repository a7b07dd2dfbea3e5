"""Test-session setup: generated float curve evaluators (:mod:`proofs.quantities.compiled_curves`)
are cached in a temporary folder of the session, never in the user's ``~/.cache``."""
from __future__ import annotations

import ast
import functools
import os
import tempfile
from pathlib import Path

import pytest

#: the repository root (test node ids are relative to it)
ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("ICL_FINETUNE_CACHE", tempfile.mkdtemp(prefix="icl-finetune-test-cache-"))

#: one BLAS thread per test process (unless the caller chose otherwise), set before anything imports
#: numpy; the pytest-xdist workers and the subprocesses of the tests inherit it.  Under ``-n 2`` on two
#: cores each worker has a core, and a second BLAS thread only spins waiting for the other worker's
#: core: that spinning is counted as CPU time (measured on a loaded 2-core machine, CPU of one file
#: alone with the default threads against one: tests/test_anyd_montecarlo.py 21.3 s against 3.9 s,
#: tests/test_cli_anyd_battery.py 7.8 s against 4.1 s, tests/test_rank_optimum.py 17.9 s against 15.2 s).
#: The same operations in one thread: no check changes.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


#: the suite's longest self-contained tests (seconds each on an idle 2-core machine, none with a
#: module-scoped fixture), handed out first: pytest-xdist distributes tests in collection order,
#: and a long test left to the end keeps one worker busy while the other idles
LONGEST_FIRST = (
    "tests/test_transformer.py::test_tiny_experiment_end_to_end",                      # 20 s
    "tests/test_docs_examples.py::test_console_example[docs/cli.md:244]",              # 15 s (prove; first
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
#: are cached per process (a second pass over all results costs 2-6 s, the first about 15 s), so
#: under pytest-xdist these files run in one worker, which derives each result once, rather than
#: spread over both, each deriving everything (:func:`_shared_scheduler`), and there each result is
#: checked once (:func:`_one_check_per_result`).  Measured (CPU, loaded 2-core machine): the first
#: eight files under ``-n 2`` 99 s before, 47 s after; all nine in one process 69 s before, 44-49 s after
SHARED_DERIVATIONS = (
    "tests/test_results.py",
    "tests/test_docs_pages.py",
    "tests/test_docs_examples.py",
    "tests/test_latex_compile.py",
    "tests/test_printing_roundtrip.py",
    "tests/test_statements.py",
    "tests/test_depth_result.py",
    "tests/test_depth_layer_choice.py",
    "tests/test_beyond_any_setting.py",
    "tests/test_api_latex.py",
)


#: the verdicts of :func:`_one_check_per_result`, by the result object's id (this test process's)
_VERDICTS: dict[int, object] = {}


@pytest.fixture(scope="module", autouse=True)
def _one_check_per_result(request):
    """While a module of :data:`SHARED_DERIVATIONS` runs, each registered result
    (``proofs.paper.results.<module>.RESULT``, the objects ``all_results()`` returns) is checked once
    per test process: those files call ``check()`` on every result about eight times over (the
    ``prove`` examples, the generated pages, the REPL examples, the verdicts of tests/test_results.py),
    each a full pass of every check (2-6 CPU-seconds even with the derivations cached); later calls
    get the first call's verdict (a copy).  The verdict is what the same code computes at the same
    settings, so every assertion on it keeps its power; any other object (a deliberately broken
    subclass, a result built by a test) is checked afresh, and other modules see ``check()`` as it is.

    ``prove`` checks the (c)/(d) results in a forked child by default (``check_all``'s jobs=None):
    their verdicts (and derivations) would die with the child and be computed again here; in these
    modules it checks in this process, in order, through the memo (``check_all``'s two-process path
    is tested with jobs=2 given, tests/test_results.py, and is left as it is)."""
    if request.node.nodeid.split("::", 1)[0] not in SHARED_DERIVATIONS:
        yield
        return
    import sys
    from dataclasses import replace

    import proofs.paper.results as registry
    from proofs.paper.result import Result
    real_check, real_all = Result.check, registry.check_all

    def check(self):
        module = sys.modules.get(type(self).__module__)
        if getattr(module, "RESULT", None) is not self:
            return real_check(self)
        if id(self) not in _VERDICTS:
            _VERDICTS[id(self)] = real_check(self)
        v = _VERDICTS[id(self)]
        return replace(v, lines=list(v.lines), checks=list(v.checks))

    def check_all(results=None, jobs=None):
        return real_all(results, jobs=1 if jobs is None else jobs)

    Result.check, registry.check_all = check, check_all
    try:
        yield
    finally:
        Result.check, registry.check_all = real_check, real_all


#: the fixture scopes wider than a test
WIDE_SCOPES = ("module", "package", "session")
#: decorators that memoise a function for the whole process
MEMOISERS = ("functools.lru_cache", "lru_cache", "functools.cache", "cache")


@functools.lru_cache(maxsize=None)
def shares_state(path: str) -> bool:
    """Whether the tests of the file ``path`` (relative to the repository root) share state set up
    once per process: a fixture of module, package or session scope (``pytest.fixture(...,
    scope="module")``) or a module-level function memoised by ``functools.lru_cache``/``cache`` (an
    estimate, a derivation, a training run that several tests read), found in the file's syntax
    tree (read from the file: the xdist controller collects no tests)."""
    try:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("pytest.fixture", "fixture"):
            for kw in node.keywords:
                if kw.arg == "scope" and isinstance(kw.value, ast.Constant) and kw.value.value in WIDE_SCOPES:
                    return True
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                if ast.unparse(dec.func if isinstance(dec, ast.Call) else dec) in MEMOISERS:
                    return True
    return False


def _shared_scheduler():
    """xdist's load scheduling (each test its own unit, handed out in collection order, the longest
    first) except that the tests of :data:`SHARED_DERIVATIONS` form one unit, given to one worker
    (with the second test of :data:`LONGEST_FIRST`, the first of them), and the tests of a file that
    share state set up once per process (:func:`shares_state`: a module-scoped fixture, a memoised
    function) form one unit: spread over both workers, each worker set that state up (measured in
    the suite under ``-n 2``, each twice: tests/test_training_quick.py's training run, about 4
    CPU-seconds; tests/test_rank_jax.py's derivation, pretrained model and compiled training, about
    3.5 CPU-seconds; the Monte Carlo estimates of tests/test_objective_vs_montecarlo.py,
    tests/test_verify.py's fixture...)."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedDerivations(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            # units in collection order (the longest tests first, the shared derivations with the
            # second of them), not xdist's largest-first by number of tests: that would hand out every
            # file unit (test_cli_battery.py's 1,085 quick tests first) before the longest tests
            config.option.loadscopereorder = False

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path in SHARED_DERIVATIONS:
                return "shared-derivations"
            return path if shares_state(path) else nodeid

    return SharedDerivations


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``pytest -n N`` (``--dist load``, the default): :func:`_shared_scheduler`'s; any other
    ``--dist`` is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    return _shared_scheduler()(config, log)
