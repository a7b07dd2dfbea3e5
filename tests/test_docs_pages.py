"""The result pages docs/results/*.md are what ``python -m proofs.paper.docs_pages`` generates.

So they cannot go stale: a change to a result, a derivation or a check that changes what the
toolkit prints fails here until the pages are regenerated.  Numbers with a decimal point (the
numeric checks' gradient-descent figures) are compared to 1% so that another CPU's last bits do
not fail the test; every other character (up to line wrapping) must match.

Also here: the short REPL import ``from proofs import *`` (lazy: ``import proofs`` loads no SymPy).
"""
from __future__ import annotations

import difflib
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.paper import docs_pages

ROOT = Path(__file__).resolve().parent.parent
FLOAT = re.compile(r"[-+]?(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)")


def _close(a: str, b: str) -> bool:
    """Equal up to whitespace, with decimal numbers equal to 1%."""
    a, b = " ".join(a.split()), " ".join(b.split())
    if a == b:
        return True
    if FLOAT.split(a) != FLOAT.split(b):
        return False
    na, nb = [float(x) for x in FLOAT.findall(a)], [float(x) for x in FLOAT.findall(b)]
    return len(na) == len(nb) and all(math.isclose(x, y, rel_tol=1e-2, abs_tol=1e-12) for x, y in zip(na, nb))


def _renamed() -> list[str]:
    """Derived matrices this process named with a number because another derivation had taken the
    name first (``H_m_inv_3`` beside ``H_m_inv``: names are first come, first served)."""
    from symbolic.definitions import DEFINITIONS
    return [n for n in DEFINITIONS if re.fullmatch(r"(.+)_\d+", n) and re.fullmatch(r"(.+)_\d+", n)[1] in DEFINITIONS]


def _fresh_pages() -> dict[Path, str]:
    """The pages as a fresh process generates them (as ``python -m proofs.paper.docs_pages`` does)."""
    code = ("import json, sys; from proofs.paper import docs_pages; "
            "json.dump({str(k): v for k, v in docs_pages.pages().items()}, sys.stdout)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    import json
    return {Path(k): v for k, v in json.loads(done.stdout).items()}


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    """The pages generated in this process; where they differ from the committed ones and the process has
    renamed a derived matrix (a test derived, say, a finite-m frontier before the results: the pytest run
    in one process), the pages a fresh process generates (the committed ones are those)."""
    pages = docs_pages.pages()
    stale = any(not _close((ROOT / rel).read_text(encoding="utf-8") if (ROOT / rel).exists() else "", text)
                for rel, text in pages.items())
    return _fresh_pages() if stale and _renamed() else pages


def test_one_page_per_result_and_an_index(generated) -> None:
    from proofs import all_results
    names = {p.name for p in generated}
    assert names == {f"{r.id}.md" for r in all_results()} | {"index.md"}


def test_committed_pages_are_the_generated_ones(generated) -> None:
    stale = []
    for rel, text in generated.items():
        path = ROOT / rel
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        if not _close(committed, text):
            diff = "".join(list(difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                                     f"{rel} (committed)", f"{rel} (generated)"))[:40])
            stale.append(diff or f"{rel}: missing")
    extra = [p for p in docs_pages.stale_pages(generated, ROOT) if p not in generated]
    assert not extra, f"pages under docs/results/ that are not generated: {extra}"
    assert not stale, "docs/results/ is stale; run `python -m proofs.paper.docs_pages`:\n" + "\n".join(stale)


def test_pages_hold_no_timings_or_addresses(generated) -> None:
    for rel, text in generated.items():
        assert not re.search(r"0x[0-9a-fA-F]{6,}", text), f"{rel}: a memory address"
        assert not re.search(r"\d\.\d{3} s\b", text), f"{rel}: a timing"
        assert " at 0x" not in text


def test_pages_say_what_each_result_is(generated) -> None:
    from proofs import all_results
    for r in all_results():
        text = generated[docs_pages.RESULTS_DIR / f"{r.id}.md"]
        for heading in ("## Statement", "## Assumptions and conventions", "## Derivation", "## Checks",
                        "## In the REPL"):
            assert heading in text, (r.id, heading)
        assert r.latex().strip() in text
        assert "```python\n>>> from proofs import *" in text
        assert f"PASS  {r.id}" in text  # the committed pages show results that hold


def test_the_wrapping_keeps_every_word() -> None:
    text = "E(V, Q, 0; theta) = sigma**2 + 2*(theta_0.T*Sigma*theta_0)/(d + 4) " * 5
    lines = docs_pages._wrap(text.strip(), indent="  ")
    assert " ".join(" ".join(lines).split()) == " ".join(text.split())
    assert all(line.count("(") == line.count(")") for line in lines)  # never inside parentheses


# ----------------------------------------------------------------------------- the REPL import

def test_import_proofs_loads_no_sympy() -> None:
    code = "import sys, proofs, proofs.cli; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


def test_star_import_gives_symbols_derivations_and_results() -> None:
    import proofs
    import symbolic
    assert set(proofs._SYMBOLIC) == set(symbolic.__all__)
    namespace: dict = {}
    exec("from proofs import *", namespace)  # noqa: S102
    for name in ("d", "sigma", "n", "m", "Sigma", "theta", "theta0", "derive", "all_results", "get_result"):
        assert name in namespace, name
    assert namespace["theta0"] is symbolic.theta0


def test_get_result_by_id_or_label() -> None:
    from proofs import all_results, get_result
    from proofs.paper.results import MODULES
    assert [r.id for r in all_results()][:1] == ["corollary-4.1"] and len(all_results()) == len(MODULES)
    assert get_result("theorem-4.6") is get_result("Theorem 4.6") is get_result(" THEOREM  4.6 ")
    with pytest.raises(ValueError, match="theorem-4.6"):
        get_result("theorem-4.5")
    with pytest.raises(ValueError, match="name"):
        get_result(4.6)  # type: ignore[arg-type]


def test_submodules_keep_their_names() -> None:
    import proofs
    import proofs.paper.result
    import proofs.paper.results
    assert proofs.paper.results.__name__ == "proofs.paper.results"  # get_result/all_results shadow nothing
    assert callable(proofs.get_result) and callable(proofs.all_results)
    with pytest.raises(AttributeError):
        proofs.no_such_name  # noqa: B018
