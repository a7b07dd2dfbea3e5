"""Every deliberate break the mutation scripts make still applies to today's code (``bench/mutate.py
--list`` once failed because S1-S3 followed a PSD test that had moved to
``symbolic/arithmetic.py``; a break that no longer applies tests nothing).  Reads the files only:
no mutant is run here."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod                  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_every_mutation_of_bench_mutate_applies():
    mod = _load("mutate")
    for m in mod.MUTATIONS:
        mod.apply(m, (ROOT / m.path).read_text())          # SystemExit naming the mutation otherwise


@pytest.mark.parametrize("name, fields", [("mutate_depth", (1, 2, 3)), ("mutate_rank", (2, 3, 4))])
def test_every_mutation_of_the_other_scripts_applies_once(name, fields):
    mod = _load(name)
    ip, io, inew = fields
    for row in mod.MUTATIONS:
        text = (ROOT / row[ip]).read_text()
        assert text.count(row[io]) == 1, (row[0], row[ip])
        assert row[io] != row[inew]
