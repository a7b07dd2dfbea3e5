"""Every registered mutation still applies to today's code (the list cannot silently rot).

The mutation harnesses (bench/mutate.py, bench/mutate_depth.py, bench/mutate_rank.py) seed a
plausible wrong formula as an exact source replacement ``old -> new`` in one file. When the
code changes, ``old`` may no longer occur and the mutant would test nothing; this test fails
then, naming each mutation that no longer applies (its id or description, file, and how often
``old`` occurs). It reads files only: no mutant is applied or run (about 0.1 s).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.pop(spec.name, None)
    return mod


def _entries(name: str) -> list[tuple[str, str, str, str, int, tuple[str, ...]]]:
    """(id, path, old, new, expected count, test selection) of each mutation of bench/<name>.py."""
    mod = _load(name)
    if name == "mutate":
        return [(m.id, m.path, m.old, m.new, m.count or 1, tuple(m.tests)) for m in mod.MUTATIONS]
    if name == "mutate_depth":   # (what, path, old, new, pytest arguments)
        return [(what, path, old, new, 1, tuple(a for a in args if a.startswith("tests/")))
                for what, path, old, new, args in mod.MUTATIONS]
    return [(mid, path, old, new, 1, tuple(tests))                     # mutate_rank: (id, what, path, ...)
            for mid, _what, path, old, new, tests in mod.MUTATIONS]


@pytest.mark.parametrize("name", ["mutate", "mutate_depth", "mutate_rank"])
def test_every_listed_mutation_applies_exactly_once(name):
    entries = _entries(name)
    assert entries, f"bench/{name}.py lists no mutation"
    ids = [e[0] for e in entries]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"bench/{name}.py: duplicate mutation ids {dup}"
    bad = []
    for mid, path, old, new, want, tests in entries:
        f = ROOT / path
        if not f.is_file():
            bad.append(f"{mid}: target file {path} does not exist")
            continue
        found = f.read_text().count(old)
        if found != want:
            bad.append(f"{mid}: {old!r} occurs {found} time(s) in {path}, expected {want}")
        if old == new:
            bad.append(f"{mid}: the replacement changes nothing")
        for t in tests:
            if not (ROOT / t.split("::")[0]).is_file():
                bad.append(f"{mid}: its test {t} does not exist")
    assert not bad, f"bench/{name}.py: {len(bad)} mutation(s) no longer apply:\n" + "\n".join(bad)


def test_the_check_names_a_mutation_that_no_longer_applies(tmp_path, monkeypatch):
    """The check itself can fail: a listed pattern that is gone is reported with its id."""
    mod = _load("mutate")
    m = mod.MUTATIONS[0]
    gone = m.__class__(m.id, m.path, m.old + "  # not in the file", m.new, m.what)
    with pytest.raises(SystemExit, match=rf"^{m.id}: expected 1 occurrence"):
        mod.apply(gone, (ROOT / m.path).read_text())
