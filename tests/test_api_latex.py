"""The backend's LaTeX: the standalone document and every snippet compile with pdflatex, amsmath only.

Compilation reuses :func:`test_latex_compile.compile_latex` (skipped where pdflatex is absent,
outside CI); ``test_latex_compile.py`` compiles the full document of the backend too.
"""
from __future__ import annotations

import re

import pytest

from proofs import api
from proofs.cli.printers import printer
from proofs.cli.reports import ParamsReport, SummaryTable
from test_latex_compile import compile_latex, only_amsmath, standalone


@pytest.fixture(scope="module")
def document():
    return api.latex_document()


def test_document_structure(document):
    assert document.lstrip().startswith(r"\documentclass")
    assert document.rstrip().endswith(r"\end{document}")
    only_amsmath(document)
    for rid in ("Corollary 4.1", "Corollary 4.2", "Theorem 4.3", "Corollary 4.4", "Theorem 4.6",
                "Proposition 4.7", "Corollary 4.8", "Theorem 4.9", "Proposition 4.10"):
        assert rid in document
    assert r"\begin{tabular}" in document and "Convention" in document
    assert not re.search(r"[^\\]->", document), "plain-text arrows must be typeset"


def test_document_compiles(document, tmp_path):
    compile_latex(document, tmp_path)


def test_result_snippets_and_params_compile(tmp_path):
    body = "\n".join(r.latex() for r in api.results())
    latex = printer("latex")
    body += "\n" + latex.doprint(SummaryTable(api.summary_table()))
    for s in ("pretrain", "full", "value", "value-fewshot"):
        body += "\n" + latex.doprint(ParamsReport(s, api.params(s)))
    body += "\n" + latex.doprint(ParamsReport("value", api.params("value", d=2, m=4)))
    source = standalone(body)
    only_amsmath(source)
    compile_latex(source, tmp_path)
