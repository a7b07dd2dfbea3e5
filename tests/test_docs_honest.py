"""The pages a newcomer reads first say what the paper found, cite it, say what "the poster" is,
and hold no count or list of results that the code could outgrow."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the pages of the documentation (the transformer page is another engineer's)
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "transformer.md"),
         ROOT / "docs" / "results" / "index.md"]
NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen)"


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_findings_and_citation_come_first(page):
    text = " ".join((ROOT / page).read_text(encoding="utf-8").split())
    for needed in ("Chungpa Lee", "Jy-yong Sohn", "Kangwook Lee", "2602.23197",
                   "Fine-Tuning Without Forgetting In-Context Learning"):
        assert needed in text, f"{page}: no {needed!r}"
    low = text.lower()
    assert "zero-shot accuracy with in-context learning" in low      # (b)
    assert "value matrix keeps in-context learning" in low  # (c)
    assert re.search(r"few-shot\s+loss\s+(then\s+)?helps", low) and re.search(r"hurts", low)   # (d)
    assert re.search(r"\*the poster\*[^.]*one-page summary", low), f"{page}: does not say what the poster is"


@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "CONVENTIONS.md"], ids=lambda p: p.name)
def test_pages_that_say_poster_say_what_it_is(page):
    """A page that mentions the poster defines it or links to a page that does."""
    text = page.read_text(encoding="utf-8")
    if "poster" not in text.lower():
        return
    defines = re.search(r"poster[^.]{0,80}one-page summary", text, re.S | re.I)
    links = re.search(r"\]\((\.\./)?(index\.md|README\.md|\.\./README\.md)(#[\w-]+)?\)", text)
    assert defines or links, f"{page.name}: says 'poster' without saying what it is or linking to where it is said"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_count_of_results_that_can_go_stale(page):
    text = page.read_text(encoding="utf-8")
    generated = page.name == "index.md" and page.parent.name == "results"
    for m in re.finditer(rf"\b{NUMBER}\s+(results|beyond|of the paper's results)\b", text, re.I):
        if generated or text[max(0, m.start() - 3):m.start()] == "of ":
            continue  # the generated index counts them as it writes itself; "13 of 13 results hold" is output
        raise AssertionError(f"{page.name}: {m.group(0)!r} is a count the code can outgrow")


def test_readme_and_cli_name_every_result():
    """Every result of proofs.results.all_results() is named in the README's list (beyond the
    paper) and in the prove example of docs/cli.md and docs/getting-started.md."""
    from proofs.docs_pages import in_paper
    from proofs.results import all_results
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    start = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    for r in all_results():
        if not in_paper(r):
            assert f"`{r.id}`" in readme, f"README.md: the result {r.id} beyond the paper is not listed"
        assert f"PASS  {r.id} " in cli and f"PASS  {r.id} " in start, f"{r.id}: missing from a prove example"


def test_strategy_column_names_the_strategies_of_each_statement():
    """docs/results/index.md's strategy column comes from the statements (query-key is not pretrain)."""
    text = (ROOT / "docs" / "results" / "index.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| [Query key"))
    assert "`query-key`" in row and "`pretrain`" not in row
