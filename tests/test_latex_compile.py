"""LaTeX output compiles with a real pdflatex, loading only amsmath.

Skipped (with the reason) only where pdflatex is absent and this is not CI; under
CI (environment CI=true) a missing pdflatex fails, as .ci/run installs it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.cli.printers import printer
from proofs.cli.reports import ParamsReport, SummaryTable
if str(Path(__file__).parent) not in sys.path:  # the fake backend lives beside this file
    sys.path.insert(0, str(Path(__file__).parent))
from test_cli_fakes import Fake, poster_table

PDFLATEX = shutil.which("pdflatex")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_pdflatex() -> str:
    if PDFLATEX:
        return PDFLATEX
    if IN_CI:
        pytest.fail("pdflatex is missing under CI (.ci/run installs texlive-latex-base)")
    pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base "
                "texlive-latex-recommended texlive-fonts-recommended); CI runs this test")


#: the worst line a paper tolerates: overfull by at most this much (pt), and no underfull line
#: worse than TeX's badness 10000 ("badly" underfull: a line of stretched spaces)
OVERFULL_PT = 1.0
BADNESS = 10000


def bad_boxes(log: str) -> list[str]:
    """The log's overfull boxes over :data:`OVERFULL_PT` and underfull boxes of badness
    :data:`BADNESS` or worse, each with the log line that says where."""
    out = []
    for m in re.finditer(r"^(Overfull|Underfull) \\([hv])box \(([^)]*)\)(.*)$", log, re.M):
        kind, what = m.group(1), m.group(3)
        if kind == "Overfull":
            pt = float(re.match(r"([\d.]+)pt too", what).group(1))
            if pt > OVERFULL_PT:
                out.append(m.group(0))
        else:
            bad = re.match(r"badness (\d+)", what)
            if bad and int(bad.group(1)) >= BADNESS:
                out.append(m.group(0))
    return out


def compile_latex(source: str, workdir: Path, *, boxes: bool = True) -> Path:
    """Compile ``source`` with pdflatex; fail the test on any LaTeX error and (``boxes``) on any
    line overfull by more than 1 pt or badly underfull (read from the .log)."""
    exe = require_pdflatex()
    (workdir / "doc.tex").write_text(source, encoding="utf-8")
    done = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
                          cwd=workdir, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    log = (workdir / "doc.log").read_text(encoding="utf-8", errors="replace") \
        if (workdir / "doc.log").exists() else done.stdout
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert done.returncode == 0 and not errors, (
        f"pdflatex failed (status {done.returncode}):\n" + "\n".join(errors) + "\n--- log tail ---\n" + log[-3000:])
    pdf = workdir / "doc.pdf"
    assert pdf.exists() and pdf.stat().st_size > 0
    if boxes:
        bad = bad_boxes(log)
        assert not bad, "lines that overflow or are badly stretched:\n" + "\n".join(bad)
    return pdf


def only_amsmath(source: str) -> None:
    packages = re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", source)
    assert [p.strip() for group in packages for p in group.split(",")] == ["amsmath"], packages


def standalone(body: str) -> str:
    """A snippet in a minimal document that loads only amsmath."""
    head = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}"]
    return "\n".join(head) + "\n" + body + r"\end{document}" + "\n"


def table_document() -> str:
    """The document the first test compiles: the table and a params snippet."""
    latex = printer("latex")
    return standalone(latex.doprint(SummaryTable(poster_table()))
                      + "\n" + latex.doprint(ParamsReport("value", Fake().params("value", d=2))))


def test_table_and_params_snippets_compile_with_only_amsmath(tmp_path):
    source = table_document()
    only_amsmath(source)
    compile_latex(source, tmp_path)


def test_latex_document_of_the_backend_compiles(tmp_path):
    from proofs import api
    source = api.latex_document()
    assert source.lstrip().startswith(r"\documentclass")
    compile_latex(source, tmp_path)


def test_results_beyond_the_paper_land_in_their_own_section(tmp_path, monkeypatch):
    """A result the registry adds (e.g. ``tradeoff-value``) appears in "Beyond the paper" with
    no change to the document's code, and the document still has no bad box."""
    import sympy as sp

    import proofs.paper.results as registry
    from proofs.paper.result import Derivation, Line, Result, TestError
    from proofs.paper.latex_doc import latex_document
    from symbolic import THETA0, Bilinear, SIGMA
    from symbolic.words import DIM

    sigma = sp.Symbol("sigma", nonnegative=True)

    class Extra(Result):
        id = "tradeoff-value"
        label_text = "Extension 9"
        title = "a result beyond the paper"
        strategy = "value"
        claim = ("It states", "It states")

        def _statement(self):
            k = Bilinear(THETA0, SIGMA, THETA0)
            return (sp.Eq(TestError("value", sp.oo, -THETA0), sigma ** 2 + k / (DIM + 4) ** 2),)

        def _derive(self):
            return Derivation()

        def _checks(self, der):
            yield Line("exact", "nothing", True)

    from proofs.paper.latex_doc import PAPER_RESULTS
    paper = [r for r in registry.all_results() if r.id in PAPER_RESULTS]
    extra = Extra()
    extra.id = "some-new-result"  # not in the registry yet
    monkeypatch.setattr(registry, "all_results", lambda: paper + [extra])
    source = latex_document()
    head, _, beyond = source.partition(r"\section*{Beyond the paper}")
    assert beyond and r"\textbf{Extension 9}" in beyond and "Extension 9" not in head
    assert all(rf"\textbf{{{r.label}}}" in head for r in paper)
    compile_latex(source, tmp_path)


def test_every_result_of_the_registry_is_in_the_document():
    """The paper's nine under "Results", the registry's others under "Beyond the paper"."""
    from proofs.paper.latex_doc import PAPER_RESULTS, latex_document
    from proofs.paper.results import all_results
    doc = latex_document()
    head, _, beyond = doc.partition(r"\section*{Beyond the paper}")
    for r in all_results():
        assert rf"\textbf{{{r.label}}}" in (head if r.id in PAPER_RESULTS else beyond), r.id
    # a short display stays on one page (Theorem 4.6's split across pages when
    # the preamble let every display break); only a long one may break, in a group of its own
    from proofs.paper.latex_doc import MAX_UNBROKEN_LINES
    preamble, _, body = doc.partition(r"\begin{document}")
    assert r"\allowdisplaybreaks" not in preamble
    for group in body.split("{\\allowdisplaybreaks\n")[1:]:
        inside = group.split("\n}\n")[0]
        assert "Theorem 4.6" not in inside and inside.count("\\\\") + 1 > MAX_UNBROKEN_LINES


def test_an_overfull_line_is_caught(tmp_path):
    """The box check has power: a display wider than the line fails it, 1 pt of slack passes."""
    require_pdflatex()
    wide = standalone("\\[ " + " + ".join(f"x_{{{i}}}" for i in range(60)) + " \\]\n")
    with pytest.raises(AssertionError, match="overflow"):
        compile_latex(wide, tmp_path)
    assert bad_boxes("Overfull \\hbox (0.5pt too wide) in paragraph at lines 1--2\n") == []
    assert bad_boxes("Overfull \\hbox (1.5pt too wide) in paragraph at lines 1--2\n") != []
    assert bad_boxes("Underfull \\hbox (badness 10000) in paragraph at lines 3--4\n") != []
    assert bad_boxes("Underfull \\hbox (badness 1742) in paragraph at lines 3--4\n") == []


def test_a_latex_error_is_caught(tmp_path):
    """The check has power: a broken document fails it."""
    require_pdflatex()
    broken = standalone(r"$\frac{1}{$" + "\n")
    with pytest.raises(AssertionError, match="pdflatex failed"):
        compile_latex(broken, tmp_path)
