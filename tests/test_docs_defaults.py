"""Small things found by running every documented example: the API's curve takes the command line's defaults; the
documented LaTeX steps resolve their references; the files the examples write are ignored by git;
the README says how long the tests take."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from proofs import api, cli

ROOT = Path(__file__).resolve().parents[1]


def test_api_curve_defaults_are_the_command_lines(capsys):
    assert cli.main(["curve", "--strategy", "value", "--task", "opposite", "--n", "0:3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    r = api.curve("value", "opposite", [0, 1, 2, 3])
    assert [float(v) for v in r.values] == pytest.approx(data["error"], rel=1e-12)


def test_every_pdflatex_step_in_the_docs_runs_twice():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("pdflatex "):
                assert line.count("pdflatex ") >= 2, f"{page.name}: {line}"


def test_example_outputs_are_ignored_by_git():
    for name in ("results.tex", "results.pdf", "figure.png"):
        r = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert r.returncode == 0, name


def test_readme_says_how_long_the_tests_take():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1500]
    assert "minutes" in head


def test_full_fine_tuning_is_not_read_as_getting_both():
    """"buys zero-shot accuracy with in-context learning" reads as "gets both"."""
    for page in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        text = " ".join(page.read_text(encoding="utf-8").split())
        assert "buys zero-shot accuracy with in-context learning" not in text, page.name
