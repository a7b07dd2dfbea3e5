"""The printers (proofs/cli/printers/): the command line's output formats, JSON schemas,
markdown, LaTeX and text, and the dispatch that picks a printer's method by the result's type.

The JSON schemas here are the ones documented in docs/cli.md; a change to either
must change the other.
"""
from __future__ import annotations

import importlib
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sympy as sp

from proofs import cli
from proofs.cli.printers import PRINTERS, NoPrinter, Printer, printer, printer_class
from proofs.cli.printers.common import dump_json, expr_json
from proofs.cli.reports import ErrorReport, SummaryTable
from proofs.paper.notation import TABLE_COLUMNS
from symbolic.arithmetic import EXACT
if str(Path(__file__).parent) not in sys.path:  # the fake backend lives beside this file
    sys.path.insert(0, str(Path(__file__).parent))
from test_cli_fakes import RESULT_IDS, SYMBOLS, install, poster_table, run

SYMBOL_NAMES = {"d", "sigma", "n", "m", "theta0_Sigma_theta0"}


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch)


def parse_expr(text: str, symbols: dict[str, str]) -> sp.Expr:
    """What a JSON reader does: sympify over the listed symbols only."""
    local = {name: sp.Symbol(name) for name in symbols}
    expr = sp.sympify(text, locals=local)
    assert {s.name for s in expr.free_symbols} <= set(symbols), text
    return expr


def same(a: sp.Expr, b: sp.Expr) -> bool:
    """Equal as expressions of the symbols' names (assumptions aside)."""
    plain = {s: sp.Symbol(s.name) for s in b.free_symbols}
    return sp.simplify(a - b.xreplace(plain)) == 0


# ----------------------------------------------------------------------------- table

def test_table_json_schema(capsys, fake):
    status, out, _ = run(capsys, "table", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert list(data) == ["symbols", "rows"]
    assert data["symbols"] == SYMBOLS and set(data["symbols"]) == SYMBOL_NAMES
    assert [r["strategy"] for r in data["rows"]] == ["pretrain", "full", "value", "value-fewshot"]
    expected = {r.strategy: r for r in poster_table()}
    for row in data["rows"]:
        assert list(row) == ["strategy", "zero_shot", "few_shot_target", "few_shot_opposite"]
        for column in TABLE_COLUMNS:
            assert same(parse_expr(row[column], data["symbols"]), getattr(expected[row["strategy"]], column))


def test_table_json_round_trips_symbols_with_assumptions():
    d, sigma = sp.symbols("d sigma", positive=True)
    text = expr_json(sigma**2 + 1 / (d + 4) ** 2)
    assert same(parse_expr(text, SYMBOLS), sigma**2 + 1 / (d + 4) ** 2)


def test_table_markdown(capsys, fake):
    status, out, _ = run(capsys, "table", "--format", "markdown")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 6
    assert lines[1] == "|---|---|---|---|"
    assert all(line.startswith("| ") and line.endswith(" |") and line.count(" | ") == 3 for line in lines[2:])
    assert lines[2].startswith("| (a) pretrain | $")
    assert r"\frac{2 \theta_{0}^{T} \Sigma \theta_{0}}{d + 4}" in lines[4]


def test_table_latex(capsys, fake):
    status, out, _ = run(capsys, "table", "--format", "latex")
    assert status == 0
    lines = out.splitlines()
    assert r"\begin{tabular}{@{}llll@{}}" in lines and lines[-1] == r"\end{tabular}}"
    assert out.count("{") == out.count("}")  # the arraystretch stays inside a group
    rows = [line for line in lines if line.startswith("(")]
    assert len(rows) == 4 and all(r.endswith(r" \\") and r.count(" & ") == 3 for r in rows)
    assert rows[0] == (r"(a) pretraining & $\sigma^{2} + \theta_{0}^{T} \Sigma \theta_{0}$"
                       r" & $\sigma^{2}$ & $\sigma^{2}$ \\")
    # as a paper writes it: the coefficient in front, sigma^2 first
    assert r"$\sigma^{2} + \frac{2}{d + 4} \theta_{0}^{T} \Sigma \theta_{0}$" in rows[2]


@pytest.mark.parametrize("unicode", [True, False])
def test_table_text(unicode):
    out = printer("text", unicode=unicode).doprint(SummaryTable(poster_table()))
    labels = ["(a) pretrain", "(b) full", "(c) value", "(d) value-fewshot"]
    positions = [out.index(label) for label in labels]
    assert positions == sorted(positions)
    assert ("θ₀ᵀΣθ₀" in out) == unicode
    assert ("theta_0'*Sigma*theta_0" in out) == (not unicode)
    if not unicode:
        out.encode("ascii")
    # the strategy label sits on the baseline of its row's expressions
    line = next(x for x in out.splitlines() if x.startswith("(c) value"))
    assert "+" in line


def test_text_format_falls_back_to_ascii(capsys, fake, monkeypatch):
    monkeypatch.setenv("ICL_FINETUNE_ASCII", "1")
    status, out, _ = run(capsys, "table")
    assert status == 0
    out.encode("ascii")


# ----------------------------------------------------------------------------- params

def test_params_json_numeric(capsys, fake):
    status, out, _ = run(capsys, "params", "--strategy", "value", "--d", "2", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert list(data) == ["strategy", "V", "Q", "V_float", "Q_float", "free", "convention", "symbols",
                          "arithmetic", "precision"]
    assert (data["arithmetic"], data["precision"]) == ("exact", None)
    assert data["strategy"] == "value"
    Q = sp.Matrix([[parse_expr(x, data["symbols"]) for x in row] for row in data["Q"]])
    assert Q.shape == (4, 4) and Q[1, 1] == sp.Rational(1, 6)
    assert data["Q_float"][1][1] == pytest.approx(1 / 6)
    assert data["V_float"][3][3] == 1.0
    assert data["free"] == ["V[0, :]"] and data["convention"] == "V[-1,-1] = 1"


def test_params_json_symbolic(capsys, fake):
    status, out, _ = run(capsys, "params", "--strategy", "full", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert isinstance(data["V"], str) and data["V_float"] is None and data["Q_float"] is None
    assert data["symbols"] == SYMBOLS


def test_params_latex_and_text(capsys, fake):
    status, out, _ = run(capsys, "params", "--strategy", "value", "--d", "2", "--format", "latex")
    assert status == 0
    assert r"\begin{align*}" in out and r"Q &= \left[\begin{matrix}" in out and r"\frac{1}{6}" in out
    assert "% free: V[0, :]" in out
    status, out, _ = run(capsys, "params", "--strategy", "value", "--d", "2")
    assert status == 0
    assert out.startswith("strategy: value\n") and "free: V[0, :]" in out and "1/6" in out


# ----------------------------------------------------------------------------- curve, error, verify, prove

def test_curve_json_schema(capsys, fake):
    status, out, _ = run(capsys, "curve", "--strategy", "c", "--task", "opposite", "--n", "0:2", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert list(data) == ["strategy", "task", "n", "error", "limit", "settings", "arithmetic", "precision"]
    assert (data["arithmetic"], data["precision"]) == ("exact", None)
    assert (data["strategy"], data["task"], data["n"]) == ("value", "opposite", [0, 1, 2])
    assert data["error"] == pytest.approx([1.1, 0.6, 0.1 + 1 / 3])
    assert data["limit"] == pytest.approx(0.1)
    assert data["settings"] == {"d": 5, "sigma2": 0.1, "m": None, "n_ft": None, "scale": 1.0,
                                "Sigma": "identity", "theta0": "e_1", "arithmetic": "exact"}


def test_curve_text(capsys, fake):
    status, out, _ = run(capsys, "curve", "--strategy", "c", "--task", "target", "--n", "3:4")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("# strategy value, task target")
    assert lines[2].split() == ["3", "0.35"] and lines[-1].split()[:2] == ["limit", "0.1"]


def test_non_finite_floats_are_null():
    assert json.loads(dump_json({"limit": math.inf, "e": [1.0, math.nan]})) == {"limit": None, "e": [1.0, None]}


def test_error_json_schema():
    value = sp.Rational(157, 100)
    data = json.loads(printer("json").doprint(ErrorReport(value, 1, EXACT)))
    assert data == {"error": 1.57, "exact": "157/100", "arithmetic": "exact", "precision": None}
    assert sp.sympify(data["exact"]) == value


def test_verify_json_schema(capsys, fake):
    status, out, _ = run(capsys, "verify", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert list(data) == ["samples", "seed", "rows", "passed"]
    assert data["passed"] is True
    for row in data["rows"]:
        assert list(row) == ["formula", "exact", "estimate", "stderr", "z", "passed"]


def test_prove_json_schema(capsys, fake):
    status, out, _ = run(capsys, "prove", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert list(data) == ["results", "seconds"]
    assert [r["id"] for r in data["results"]] == RESULT_IDS
    for row in data["results"]:
        assert list(row) == ["id", "title", "holds", "seconds", "checks"]
        assert row["holds"] is True and row["seconds"] >= 0
    assert data["seconds"] >= sum(r["seconds"] for r in data["results"]) - 1e-6


# ----------------------------------------------------------------------------- dispatch

def commands_with_formats() -> list[str]:
    return [name for name in cli.SUBCOMMANDS if hasattr(cli.subcommand_module(name), "FORMATS")]


def printed(name: str) -> dict[str, tuple[str, ...]]:
    """A command's PRINTS as {``module.Class``: formats} (a tuple means every format it offers)."""
    module = cli.subcommand_module(name)
    prints = module.PRINTS
    return dict(prints) if isinstance(prints, dict) else {path: tuple(module.FORMATS) for path in prints}


def resolve(path: str) -> type:
    module, _, cls = path.rpartition(".")
    return getattr(importlib.import_module(module), cls)


def test_every_command_with_a_format_says_what_it_prints():
    names = commands_with_formats()
    assert set(names) >= {"prove", "table", "params", "curve", "error", "verify", "derive", "frontier",
                          "trajectory", "compare"}
    for name in names:
        module = cli.subcommand_module(name)
        assert hasattr(module, "PRINTS"), f"{name}: FORMATS without PRINTS"
        assert set(module.FORMATS) <= set(PRINTERS), f"{name}: a format with no printer"
        for path, formats in printed(name).items():
            assert set(formats) <= set(module.FORMATS), (name, path, formats)


@pytest.mark.parametrize("name", ["prove", "table", "params", "curve", "error", "verify", "derive", "frontier",
                                  "trajectory", "compare"])
def test_every_printed_type_has_a_method_in_every_printer_its_command_offers(name):
    """The method table: for each type a command prints and each of its formats, the printer of that
    format has a method for the type (found along its MRO, as the dispatch finds it)."""
    for path, formats in printed(name).items():
        kind = resolve(path)
        for fmt in formats:
            assert printer_class(fmt).handles(kind), f"{name}: the {fmt} printer has no method for {path}"


def test_no_printer_method_is_unused():
    """Every method of every printer prints a type some command declares in that format: no dead
    method, and no type a command prints without saying so."""
    declared = {(fmt, path.rpartition(".")[2]) for name in commands_with_formats()
                for path, formats in printed(name).items() for fmt in formats}
    defined = {(fmt, kind) for fmt in PRINTERS for kind in printer_class(fmt).printed_types()}
    assert defined == declared, {"methods no command uses": sorted(defined - declared),
                                 "declared without a method": sorted(declared - defined)}


@pytest.mark.parametrize("fmt", sorted(PRINTERS))
def test_an_unknown_type_raises_a_clear_error(fmt):
    class Unprintable:
        pass
    with pytest.raises(NoPrinter, match=rf"the {fmt} printer has no method for Unprintable \(it prints .*\)"):
        printer(fmt).doprint(Unprintable())
    assert issubclass(NoPrinter, TypeError)


def test_derive_refuses_latex_for_an_answer_without_a_latex_method():
    """derive prints a minimiser at one setting in text and JSON only; LaTeX has no method for it."""
    from proofs.quantities.solve import ConcreteMinimum, NumericMinimum
    for kind in (ConcreteMinimum, NumericMinimum):
        assert not printer_class("latex").handles(kind)
        assert printer_class("text").handles(kind) and printer_class("json").handles(kind)


def test_dispatch_walks_the_mro():
    """A subclass prints as its parent unless the printer has a method for the subclass itself."""
    from test_cli_fakes import poster_table

    class Extended(SummaryTable):
        pass

    class Shouting(printer_class("markdown")):
        def _print_Extended(self, table):
            return "EXTENDED\n"
    table = Extended(poster_table())
    assert printer("markdown").doprint(table) == printer("markdown").doprint(SummaryTable(poster_table()))
    assert Shouting().doprint(table) == "EXTENDED\n"
    assert Shouting().doprint(SummaryTable(poster_table())).startswith("| Strategy")


def test_a_dataclass_of_the_same_name_prints_as_the_real_type():
    """Dispatch is by class name along the MRO, so a stand-in with the real type's name (the fake
    backend's objects) prints by the same method."""
    @dataclass
    class StandIn:
        value: object
        n: int
        arith: object
    StandIn.__name__ = "ErrorReport"
    value = sp.Rational(157, 100)
    assert printer("json").doprint(StandIn(value, 1, EXACT)) == printer("json").doprint(ErrorReport(value, 1, EXACT))


def test_settings_and_formats_are_checked():
    with pytest.raises(TypeError, match="unknown setting"):
        printer("text", colour=True)
    with pytest.raises(ValueError, match="format: expected one of text, json, latex, markdown"):
        printer("yaml")
    assert printer("text", unicode=False).unicode is False
    assert isinstance(printer("json"), Printer) and printer("text").streams and not printer("json").streams


# ----------------------------------------------------------------------------- one way to print one thing

def test_a_list_of_free_parameters_is_parted_by_semicolons(capsys, fake):
    """An item may hold commas (``V[0:d+1, :]``), so items are parted by ``; `` (params as derive)."""
    status, out, _ = run(capsys, "params", "--strategy", "full")
    assert status == 0 and "\nfree: V[0, :]; Q[:, d+1]\n" in out
    status, out, _ = run(capsys, "params", "--strategy", "full", "--format", "latex")
    assert status == 0 and "\n% free: V[0, :]; Q[:, d+1]\n" in out


@pytest.mark.parametrize("unicode", [True, False])
def test_derive_prints_a_concrete_minimiser_as_params_does(unicode):
    """The exact minimiser at one setting: derive's V and Q are params' V and Q, character for character."""
    from proofs import api
    from proofs.cli.files import load_spec
    from proofs.cli.printers.common import expr_text
    from proofs.cli.reports import DeriveReport, ParamsReport
    spec = load_spec(str(Path(__file__).parent.parent / "docs/examples/specs/query-xx-limit.json"))
    answer = api.solve(spec, d=2, sigma2=sp.Rational(1, 10))
    text = printer("text", unicode=unicode)
    derived = text.doprint(DeriveReport(answer, errors=answer.errors()))
    params = answer.parameters()
    shown = text.doprint(ParamsReport(answer.label, params))
    for M in (params.V, params.Q):
        block = expr_text(M, unicode)
        assert "\n" + block + "\n" in derived and "\n" + block + "\n" in shown
        assert ("⎡" in block) == unicode


def test_trajectory_numeric_prints_latex(capsys):
    """--numeric --format latex: a tabular of the rows, said to be numeric (it printed text)."""
    status, out, _ = run(capsys, "trajectory", "--strategy", "full", "--numeric", "--lr", "0.01", "--steps", "20",
                         "--every", "10", "--d", "2", "--format", "latex")
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith("% NUMERIC gradient descent (no closed form)")
    assert lines[1] == r"\begin{tabular}{rrrr}" and lines[-1] == r"\end{tabular}"
    assert [line.split(" & ")[0] for line in lines[3:-1]] == ["0", "10", "20"]
    assert not any(line.startswith("#") for line in lines)


@pytest.mark.parametrize("fmt, writes", [("text", len(RESULT_IDS) + 1), ("json", 1)])
def test_prove_streams_text_and_writes_json_once(capsys, fake, monkeypatch, fmt, writes):
    """Text is a log (each result as it is checked, then the summary); JSON is one document."""
    from proofs.cli import output
    calls: list[str] = []
    monkeypatch.setattr(output, "write", calls.append)
    assert cli.main(["prove", "--format", fmt]) == 0
    assert len(calls) == writes
    if fmt == "text":
        assert [c.split()[1] for c in calls[:-1]] == RESULT_IDS and calls[-1].startswith("9 of 9 results hold")
