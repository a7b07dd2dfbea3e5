"""The command line's output formats: JSON schemas, markdown, LaTeX and text.

The JSON schemas here are the ones documented in docs/cli.md; a change to either
must change the other.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import sympy as sp

from proofs.cli import output as F
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
        for column in F.TABLE_COLUMNS:
            assert same(parse_expr(row[column], data["symbols"]), getattr(expected[row["strategy"]], column))


def test_table_json_round_trips_symbols_with_assumptions():
    d, sigma = sp.symbols("d sigma", positive=True)
    text = F.expr_json(sigma**2 + 1 / (d + 4) ** 2)
    assert same(parse_expr(text, SYMBOLS), sigma**2 + 1 / (d + 4) ** 2)


def test_table_markdown(capsys, fake):
    status, out, _ = run(capsys, "table", "--format", "markdown")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 6
    assert lines[1] == "|---|---|---|---|"
    assert all(line.startswith("| ") and line.endswith(" |") and line.count(" | ") == 3 for line in lines[2:])
    assert lines[2].startswith("| (a) pretrain | $")
    assert r"\frac{2 \theta_0^{\top} \Sigma \theta_0}{d + 4}" in lines[4]


def test_table_latex(capsys, fake):
    status, out, _ = run(capsys, "table", "--format", "latex")
    assert status == 0
    lines = out.splitlines()
    assert r"\begin{tabular}{@{}llll@{}}" in lines and lines[-1] == r"\end{tabular}}"
    assert out.count("{") == out.count("}")  # the arraystretch stays inside a group
    rows = [line for line in lines if line.startswith("(")]
    assert len(rows) == 4 and all(r.endswith(r" \\") and r.count(" & ") == 3 for r in rows)
    assert rows[0] == (r"(a) pretraining & $\sigma^{2} + \theta_0^{T} \Sigma \theta_0$"
                       r" & $\sigma^{2}$ & $\sigma^{2}$ \\")
    # as a paper writes it: the coefficient in front, sigma^2 first
    assert r"$\sigma^{2} + \frac{2}{d + 4} \theta_0^{T} \Sigma \theta_0$" in rows[2]


@pytest.mark.parametrize("unicode", [True, False])
def test_table_text(unicode):
    out = F.table_text(poster_table(), unicode=unicode)
    labels = ["(a) pretrain", "(b) full", "(c) value", "(d) value-fewshot"]
    positions = [out.index(label) for label in labels]
    assert positions == sorted(positions)
    assert ("θ₀ᵀΣθ₀" in out) == unicode
    assert ("theta0'*Sigma*theta0" in out) == (not unicode)
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
    assert json.loads(F.dump_json({"limit": math.inf, "e": [1.0, math.nan]})) == {"limit": None, "e": [1.0, None]}


def test_error_json_schema():
    value = sp.Rational(157, 100)
    data = json.loads(F.error_json(value))
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
