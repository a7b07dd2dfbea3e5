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
    assert "gains zero-shot accuracy and" in low and "in-context learning" in low      # (b)
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
    """Every result of proofs.paper.results.all_results() is named in the README's list (beyond the
    paper) and in the prove example of docs/cli.md and docs/getting-started.md."""
    from proofs.paper.docs_pages import in_paper
    from proofs.paper.results import all_results
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
    row = next(line for line in text.splitlines() if "](query-key-zero-shot.md)" in line)  # by page: labels change
    assert "`query-key`" in row and "`pretrain`" not in row


def test_api_accepts_both_spellings_of_theta0():
    """proofs.api takes theta0 (the command line's --theta0) and theta_0 (Result.evaluate's)."""
    from proofs import api
    kw = dict(d=2, sigma2=0.1, m=None, n_ft=None)
    a = api.curve("value", "target", [0, 3], theta0=[1, 2], **kw)
    b = api.curve("value", "target", [0, 3], theta_0=[1, 2], **kw)
    assert a.exact == b.exact
    assert api.params("value", d=2, theta_0=[1, 2]).V == api.params("value", d=2, theta0=[1, 2]).V
    with pytest.raises(ValueError, match="theta0: given twice"):
        api.curve("value", "target", [0], theta0=[1, 2], theta_0=[1, 2], **kw)


def test_defaults_table_matches_the_code():
    """docs/cli.md's table of m and n_ft defaults is what the parser, the protocol and the figure use."""
    from numeric.training.protocol import Protocol
    from proofs.cli import build_parser
    from proofs.figures.frontier import FrontierFigureConfig
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = {}
    for line in text[text.index("### Defaults (m and n_ft)"):].splitlines()[8:]:
        if not line.startswith("| `"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = (cells[1], cells[2])
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices

    def default(cmd: str, dest: str) -> str:
        act = next(a for a in sub[cmd]._actions if a.dest == dest)
        if act.required:
            return "required (`--n-ft`)"
        return "inf" if act.default is None else str(act.default)

    for cmd in ("params", "curve"):
        assert (default(cmd, "m"), default(cmd, "n_ft")) == table["`params`, `curve`"], cmd
    assert (default("frontier", "m"), default("frontier", "n_ft")) == table["`frontier`"]
    assert not any(a.dest == "m" for a in sub["table"]._actions)  # the table is the limit, always
    p = Protocol.poster()
    assert (str(p.m), str(p.n_ft)) == table["`figure`"]
    assert ("inf", str(FrontierFigureConfig().n_ft)) == table["`figure --frontier`"]


def test_result_pages_name_the_strategies_of_their_statement():
    page = (ROOT / "docs" / "results" / "query-key-zero-shot.md").read_text(encoding="utf-8")
    header = next(line for line in page.splitlines() if line.startswith("Strateg"))
    assert "`query-key`" in header and "--strategy pretrain" not in header


def test_cli_reference_lists_every_subcommand():
    """docs/cli.md's table of subcommands is the parser's (no count to go stale: it says 'below')."""
    from proofs.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = text[text.index("| subcommand | what it does |"):].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| \[`([\w-]+)`\]", table, re.M))
    assert listed == set(sub), (sorted(listed), sorted(sub))
