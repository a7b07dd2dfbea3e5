"""Every module's tests can be found from its name.

A module of ``symbolic``, ``numeric`` or ``proofs`` is found in one of three ways, checked here:

1. **By import**: a test file imports it (``grep -l "symbolic.layout" tests/`` finds them), directly
   or through its package's public names (``from symbolic import derive`` is
   :mod:`symbolic.strategies`, read from ``symbolic._NAMES``; ``from numeric.training import
   pretrain`` is :mod:`numeric.training.train`, read from the package's ``__init__``).
2. **By registry**: the module is named in a registry that a test file runs through
   (:data:`ROUTES`): each subcommand of ``proofs.cli.SUBCOMMANDS`` (tests/test_cli.py runs every
   one), each result of ``proofs.paper.results.MODULES`` (tests/test_results.py), each printer of
   ``proofs.cli.printers.PRINTERS`` (tests/test_printers.py).
3. **Listed** in :data:`EXCEPTIONS` with the test file that reaches it and how; the test checks that
   the file does reach it (the module lies in the file's import closure, registries included).

A new module with none of the three fails :func:`test_every_module_has_a_test_file_found_by_its_name`.
``python tests/test_layout.py`` prints the map (module -> the test files that find it). Everything
is read with :mod:`ast`, nothing is imported: well under a second.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from test_import_graph import ROOT
from test_import_graph import modules as all_modules

TESTS = ROOT / "tests"

#: registries of modules imported by name at run time: (the registry's module, its variable, the
#: module name of an entry, the test file that runs through every entry)
ROUTES = (
    ("proofs.cli", "SUBCOMMANDS", lambda name: "proofs.cli." + name.replace("-", "_"), "test_cli.py"),
    ("proofs.paper.results", "MODULES", lambda name: "proofs.paper.results." + name, "test_results.py"),
    ("proofs.cli.printers", "PRINTERS", lambda entry: entry.partition(":")[0], "test_printers.py"),
)

#: modules no test file imports: (the test file that reaches them, how)
EXCEPTIONS = {
    "symbolic.definitions": ("test_results.py", "the derived matrices' definitions, through every result's check"),
    "symbolic.depth_cache": ("test_depth_symbolic.py", "the disk cache of the depth derivation"),
    "symbolic.depth_explicit": ("test_depth_spec.py", "a depth spec's loss as an explicit quadratic, through the trajectory at depth"),
    "symbolic.layout": ("test_params_curve.py", "the block layout, through params and curves at a setting"),
    "symbolic.numbers": ("test_cli.py", "the parser of written numbers, through every option that reads one"),
    "symbolic.outer": ("test_engine_vs_concrete.py", "outer products in the Wick engine"),
    "symbolic.relations": ("test_results.py", "the resolvent relations, through the results' checks"),
    "symbolic.substitute": ("test_depth_pretraining.py", "atoms replaced by sums of words, in the depth pretraining"),
    "symbolic.wick": ("test_engine_vs_concrete.py", "the Wick engine, against the concrete engine"),
    "numeric.transformer.evaluate": ("test_transformer.py", "the transformer's error estimates, end to end"),
    "proofs.quantities.solutions": ("test_printers.py", "the kinds of answer solve returns, printed"),
    "proofs.quantities.curve_result": ("test_compiled_curves.py", "the curve's result, through the generated and full routes"),
    "proofs.cli.__main__": ("test_cli.py", "python -m proofs.cli, run as a console script"),
    "proofs.cli.budget": ("test_cli.py", "the CPU budget of the subcommands"),
    "proofs.cli.inputs": ("test_cli.py", "the setting read from the options, by every subcommand"),
    "proofs.figures.report": ("test_figure.py", "the figure command's report"),
    "proofs.figures.save": ("test_figure.py", "saving figures"),
    "proofs.paper.results._paths": ("test_results.py", "the early-stopping result's paths"),
    "proofs.quantities.arithmetic": ("test_arithmetic.py", "choosing the arithmetic at the edge, through the API"),
    "proofs.quantities.compare_exact": ("test_compare.py", "compare in exact arithmetic"),
    "proofs.quantities.compare_float": ("test_compare.py", "compare in float"),
    "proofs.quantities.frontier_numeric": ("test_frontier_numeric.py", "the numeric frontier, through the API"),
    "proofs.quantities.frontier_rank": ("test_cli.py", "imported only: no test runs frontier --rank yet"),
    "proofs.quantities.lora_trajectory": ("test_cli.py", "imported only: no test runs LoRA's trajectory yet"),
    "proofs.quantities.lowrank": ("test_cli.py", "imported only: no test runs RankMinimum (solve's rank route) yet"),
    "proofs.quantities.params": ("test_params_curve.py", "params, through the API"),
    "proofs.quantities.validation": ("test_api_battery.py", "the API's argument checks"),
}


#: every module of the three packages, by dotted name (read as the import-graph test reads them)
modules = lru_cache(maxsize=None)(all_modules)


@lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _import_nodes(path: Path) -> list[ast.stmt]:
    """The import statements of a file at any depth: each line that starts one (after its
    indentation), with its parenthesised or backslashed continuation, parsed alone (parsing
    whole files costs about ten times more; a docstring's example line that parses as an
    import is counted too)."""
    lines, out, i = path.read_text(encoding="utf-8").splitlines(), [], 0
    while i < len(lines):
        text = lines[i].strip()
        i += 1
        if not text.startswith(("from ", "import ")):
            continue
        while i < len(lines) and (text.endswith("\\") or text.count("(") > text.count(")")):
            text = text.rstrip("\\") + " " + lines[i].strip()
            i += 1
        try:
            out.extend(ast.parse(text).body)
        except SyntaxError:
            pass
    return out


def _literal(mod: str, name: str):
    """The value of the literal assigned to ``name`` at the top of module ``mod``."""
    for node in _tree(modules()[mod]).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{mod} has no literal {name}")


@lru_cache(maxsize=None)
def faces() -> dict[str, dict[str, str]]:
    """package -> {public name: the module it comes from}: the ``__init__``'s relative imports
    and a lazy ``_NAMES`` table ``{name: (submodule, attribute)}``."""
    out: dict[str, dict[str, str]] = {}
    for mod, path in modules().items():
        if path.name != "__init__.py":
            continue
        names: dict[str, str] = {}
        for node in _import_nodes(path):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                names.update({a.asname or a.name: f"{mod}.{node.module}" for a in node.names})
            elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith(mod + "."):
                names.update({a.asname or a.name: node.module for a in node.names})
        if "_NAMES = " in path.read_text(encoding="utf-8"):
            names.update({k: f"{mod}.{sub}" for k, (sub, _) in _literal(mod, "_NAMES").items()})
        out[mod] = names
    return out


def imports(path: Path, mod: str | None = None) -> set[str]:
    """The package modules a file imports at any depth (``mod``: its own name, for relative
    imports), a package's public names resolved to the modules they come from."""
    known, face, got = modules(), faces(), set()
    for node in _import_nodes(path):
        if isinstance(node, ast.Import):
            got.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level and mod:
                base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
                target = ".".join(base[:len(base) - node.level + 1] + ([target] if target else []))
            if target in known:
                got.add(target)
            for a in node.names:
                sub = f"{target}.{a.name}"
                got.update([sub] if sub in known else [face[target][a.name]] if a.name in face.get(target, {}) else [])
    return {m for m in got if m in known}


def routed() -> dict[str, str]:
    """module -> the test file that runs through the registry naming it."""
    out = {}
    for registry, name, module_of, test in ROUTES:
        entries = _literal(registry, name)
        for entry in (entries.values() if isinstance(entries, dict) else entries):
            out[module_of(entry)] = test
    return out


@lru_cache(maxsize=None)
def graph() -> dict[str, set[str]]:
    """module -> the modules it imports, registries' entries included."""
    g = {m: imports(p, m) - {m} for m, p in modules().items()}
    for registry, name, module_of, _ in ROUTES:
        entries = _literal(registry, name)
        g[registry] |= {module_of(e) for e in (entries.values() if isinstance(entries, dict) else entries)}
    return g


@lru_cache(maxsize=None)
def reaches(test: str) -> set[str]:
    """Every module in the import closure of a test file, and ``pkg.__main__`` where it runs
    ``python -m pkg``."""
    todo, seen = list(imports(TESTS / test)), set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph().get(m, ()))
    text = (TESTS / test).read_text(encoding="utf-8")
    return seen | {m for m in modules() if m.endswith(".__main__") and f'"-m", "{m[:-9]}"' in text}


def _test_files() -> list[Path]:
    return sorted(TESTS.glob("*.py"))


def found_by() -> dict[str, list[str]]:
    """module -> the test files that import it."""
    out: dict[str, list[str]] = {m: [] for m in modules()}
    for f in _test_files():
        for m in imports(f):
            out[m].append(f.name)
    return out


def test_every_module_has_a_test_file_found_by_its_name():
    routes = routed()
    missing = [m for m, files in found_by().items() if not files and m not in routes and m not in EXCEPTIONS]
    assert not missing, ("modules with no test file found by their name: " + ", ".join(missing)
                         + "; import each in its tests, or list it in tests/test_layout.py's EXCEPTIONS")


def test_the_registries_name_modules_that_exist():
    known = modules()
    bad = [m for m in routed() if m not in known]
    assert not bad, f"registries name modules that do not exist: {bad}"


def test_each_exception_names_a_module_and_a_test_file_that_reaches_it():
    known = modules()
    gone = [m for m in EXCEPTIONS if m not in known]
    assert not gone, f"EXCEPTIONS lists modules that no longer exist: {gone}"
    unreached = [(m, t) for m, (t, _) in EXCEPTIONS.items() if not (TESTS / t).is_file() or m not in reaches(t)]
    assert not unreached, f"EXCEPTIONS names test files that do not reach their module: {unreached}"


if __name__ == "__main__":
    routes = routed()
    for m, files in found_by().items():
        how = files or ([routes[m] + " (registry)"] if m in routes else
                        [f"{EXCEPTIONS[m][0]} ({EXCEPTIONS[m][1]})"] if m in EXCEPTIONS else ["NONE"])
        print(f"{m}: {', '.join(how)}")
