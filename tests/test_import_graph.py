"""The house's import graph: no cycles, and every arrow points down.

Layers (docs/design.md): ``symbolic`` and ``numeric`` never import each other nor ``proofs``;
inside ``proofs``, three rooms by role, each importing only its own and those below: the faces
(``proofs`` itself, ``proofs.api``, ``proofs.cli``, ``proofs.figures``) over the paper
(``proofs.paper``) over the quantities (``proofs.quantities``).  Imports are read from the source with
:mod:`ast`, at any depth (an import inside a function closes a cycle as surely as one at the
top), so the test needs no package to be importable.

An import ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to
``pkg`` (its ``__init__``); the implicit import of a parent package's ``__init__`` is not an
edge (it would make every package with a registry in its ``__init__`` a cycle).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("symbolic", "numeric", "proofs")


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


def _targets(mod: str, path: Path, node: ast.AST, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in known]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        if sub in known:
            out.append(sub)
        elif target in known:
            out.append(target)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its source."""
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for mod, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[mod].update(t for t in _targets(mod, path, node, known) if t != mod)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def _top(mod: str) -> str:
    return mod.split(".")[0]


def test_symbolic_and_numeric_know_neither_each_other_nor_proofs():
    bad = [(m, t) for m, ts in import_graph().items() for t in ts
           if _top(m) in ("symbolic", "numeric") and _top(t) != _top(m)]
    assert not bad, bad


#: proofs' three rooms, top to bottom: the faces (the REPL package, the Python API, the command
#: line, the figures) over the paper (statements, table, LaTeX, docs pages, verify) over the
#: quantities (values at a setting). A module imports its own room and the rooms below.
ROOMS = ("faces", "paper", "quantities")


def room(mod: str) -> str | None:
    """The room of a module of proofs (None outside proofs)."""
    if _top(mod) != "proofs":
        return None
    for name in ("paper", "quantities"):
        if mod == f"proofs.{name}" or mod.startswith(f"proofs.{name}."):
            return name
    faces = ("proofs", "proofs.api", "proofs.cli", "proofs.figures")
    if mod in faces or mod.startswith(("proofs.cli.", "proofs.figures.")):
        return "faces"
    return "outside"


def test_every_module_of_proofs_lives_in_a_room():
    stray = sorted(m for m in import_graph() if room(m) == "outside")
    assert not stray, f"modules of proofs in no room (faces, paper, quantities): {stray}"


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges from a room to a room above it."""
    rank = {r: i for i, r in enumerate(ROOMS)}
    return sorted((m, t) for m, ts in graph.items() for t in ts
                  if room(m) in rank and room(t) in rank and rank[room(t)] < rank[room(m)])


def test_no_import_runs_up_between_the_rooms():
    bad = upward_imports(import_graph())
    assert not bad, "imports running upward (faces > paper > quantities): " + "; ".join(f"{m} -> {t}" for m, t in bad)


def test_the_checker_sees_an_upward_import():
    """The room checker itself: quantities importing the paper, or the paper a face, is upward."""
    graph = {"proofs.quantities.curves": {"proofs.paper.results._common"},
             "proofs.paper.table": {"proofs.cli.output", "proofs.quantities.derivations"},
             "proofs.api": {"proofs.paper.table"}}
    assert upward_imports(graph) == [("proofs.paper.table", "proofs.cli.output"),
                                     ("proofs.quantities.curves", "proofs.paper.results._common")]


def test_the_checker_sees_a_cycle():
    """The checker itself: a two-module cycle and a three-module one are found, a chain is not."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
