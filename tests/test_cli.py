"""The command line: parsing, validation messages, exit statuses, calls into the backend.

The backend is faked (tests/test_cli_fakes.py), so these tests pin the command line
alone; the formats' details are in test_cli_format.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from proofs import cli
from proofs.cli.figure import DEFAULT_FIGURE
from proofs.cli.verify import DEFAULT_SAMPLES
if str(Path(__file__).parent) not in sys.path:  # the fake backend lives beside this file
    sys.path.insert(0, str(Path(__file__).parent))
from test_cli_fakes import RESULT_IDS, Result, VerifyRow, install, install_figure, run

SUBCOMMANDS = ["prove", "table", "params", "curve", "error", "verify", "figure", "latex"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch)


def write(tmp_path: Path, name: str, obj) -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


def params_file(tmp_path: Path, **changes) -> str:
    d = 2
    data = {"V": [[0] * (d + 2) for _ in range(d + 2)], "Q": [[0] * (d + 2) for _ in range(d + 2)],
            "theta": [1, 0.5], "Sigma": [[2, 0.5], [0.5, 1]], "sigma2": 0.1, "n": 3}
    data["V"][d + 1][d + 1] = 1
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return write(tmp_path, "params.json", data)


# ----------------------------------------------------------------------------- help and usage

def test_help_lists_every_subcommand_and_an_example(capsys):
    status, out, err = run(capsys, "--help")
    assert status == 0 and err == ""
    for name in SUBCOMMANDS:
        assert name in out
    assert "examples:" in out and "exit status" in out


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_each_subcommand_help_has_an_example(capsys, sub):
    status, out, _ = run(capsys, sub, "--help")
    assert status == 0
    assert out.startswith(f"usage: icl-finetune {sub}")
    assert "example:\n  icl-finetune " + sub in out


def test_help_is_laid_out_at_the_terminal_width_read_when_it_is_printed(monkeypatch):
    """The formatter reads the terminal's width when it formats (argparse also makes one for every
    option it adds, and reading the width loads shutil): the help and usage are argparse's own
    formatter's, at a narrow, a usual and a wide terminal."""
    import argparse
    plain = lambda prog: argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)  # noqa: E731
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["curve"]
    for columns in ("30", "72", "150"):
        monkeypatch.setenv("COLUMNS", columns)
        for p in (parser, sub):
            ours = (p.format_help(), p.format_usage())
            p.formatter_class = plain
            assert (p.format_help(), p.format_usage()) == ours, columns
            p.formatter_class = cli.formatter


def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.startswith("icl-finetune ")


def test_the_console_script_runs_main_then_freezes_what_is_left(capsys, monkeypatch):
    """``icl-finetune`` (pyproject's script) and ``python -m proofs.cli`` go through ``entry``:
    main's exit status, and only then ``gc.freeze`` (the process is ending: the interpreter's
    collection at exit has nothing to rescan); ``main`` itself leaves the collector alone."""
    import gc
    import tomllib
    from pathlib import Path

    import proofs.cli as cli
    root = Path(cli.__file__).resolve().parents[2]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["icl-finetune"] == "proofs.cli:entry"
    assert "sys.exit(entry())" in (root / "proofs" / "cli" / "__main__.py").read_text()
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 2)
    assert cli.entry() == 2 and calls == ["main", "freeze"]
    monkeypatch.undo()
    before = gc.get_freeze_count()
    assert run(capsys, "--version")[0] == 0 and gc.get_freeze_count() == before


def test_prove_imports_and_checks_the_results_with_the_collector_paused(capsys, monkeypatch):
    """``prove`` pauses the cyclic collector around importing the results (``api.results``) and
    checking them, and turns it back on after."""
    import gc

    from proofs import api
    seen = []
    monkeypatch.setattr(api, "results", lambda: seen.append(gc.isenabled()) or [])
    status, _, _ = run(capsys, "prove")
    assert seen == [False] and gc.isenabled() and status == 0


def test_no_subcommand_is_bad_usage(capsys):
    status, out, err = run(capsys)
    assert status == 2 and out == ""
    assert err.startswith("icl-finetune: error: expected a subcommand")


def test_unknown_subcommand(capsys):
    status, _, err = run(capsys, "proove")
    assert status == 2
    assert err == ("icl-finetune: error: subcommand: expected one of "
                   + ", ".join(cli.SUBCOMMANDS) + ", got 'proove'\n")
    assert cli.SUBCOMMANDS[:8] == ("prove", "table", "params", "curve", "error", "verify", "figure", "latex")


# ----------------------------------------------------------------------------- bad input

CURVE = ["curve", "--strategy", "value", "--task", "target", "--n", "0:3"]

BAD_OPTIONS = [
    (["curve", "--strategy", "e", "--task", "target", "--n", "0:3"],
     "--strategy: expected one of pretrain, full, value, value-fewshot (or a-d), got 'e'"),
    (["params", "--strategy", "lora"], "--strategy: expected one of pretrain, full, value, value-fewshot"),
    (["curve", "--strategy", "a", "--task", "other", "--n", "0:3"],
     "--task: expected one of target, opposite, got 'other'"),
    (["table", "--format", "html"], "--format: expected one of text, markdown, latex, json, got 'html'"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "0:3", "--format", "latex"],
     "--format: expected one of text, json, got 'latex'"),
    (["params", "--strategy", "a", "--format", "markdown"], "--format: expected one of text, latex, json"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "5:2"],
     "--n: expected A:B with integers 0 <= A <= B, got '5:2'"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "5"],
     "--n: expected A:B with integers 0 <= A <= B, got '5'"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "a:b"], "--n: expected A:B"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "1.5:3"], "--n: expected A:B"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "0:inf"], "--n: expected A:B"),
    (CURVE + ["--m", "-1"], "--m: expected an integer >= 1 or inf, got '-1'"),
    (CURVE + ["--m", "2.5"], "--m: expected an integer >= 1 or inf, got '2.5'"),
    (CURVE + ["--m", "ten"], "--m: expected an integer >= 1 or inf, got 'ten'"),
    (CURVE + ["--m", "-1"], "--m: expected an integer >= 1 or inf, got '-1'"),
    (CURVE + ["--n-ft", "-3"], "--n-ft: expected an integer >= 1 or inf, got '-3'"),
    (CURVE + ["--n-ft", "nan"], "--n-ft: expected an integer >= 1 or inf, got 'nan'"),
    (CURVE + ["--d", "0"], "--d: expected an integer >= 1, got '0'"),
    (CURVE + ["--d", "inf"], "--d: expected an integer >= 1, got 'inf'"),
    (CURVE + ["--sigma2", "-0.5"], "--sigma2: expected a finite number >= 0, got '-0.5'"),
    (CURVE + ["--sigma2", "nan"], "--sigma2: expected a finite number >= 0, got 'nan'"),
    (CURVE + ["--sigma2", "inf"], "--sigma2: expected a finite number >= 0, got 'inf'"),
    (CURVE + ["--sigma2", "1/0"], "--sigma2: expected a finite number >= 0 (0 or a magnitude between 1e-300 and 1e300), got '1/0'"),
    (CURVE + ["--scale", "0"], "--scale: expected a finite non-zero number, got '0'"),
    (CURVE + ["--scale", "-inf"], "--scale: expected a finite non-zero number, got '-inf'"),
    (["params", "--strategy", "b", "--m", "1e3"], "--m: expected an integer >= 1 or inf, got '1e3'"),
    (["params", "--strategy", "b", "--sigma2", "x"], "--sigma2: expected a finite number >= 0, got 'x'"),
    (["verify", "--samples", "1"], "--samples: expected an integer >= 2, got '1'"),
    (["verify", "--seed", "-1"], "--seed: expected an integer >= 0, got '-1'"),
    (["figure", "--seed", "x"], "--seed: expected an integer >= 0, got 'x'"),
    (["curve", "--strategy", "a", "--task", "target"], "the following arguments are required: --n"),
    (["params"], "one of the arguments --strategy --spec is required"),
    (["error"], "the following arguments are required: --params"),
    (["table", "--bogus"], "unrecognized arguments: --bogus"),
    (["curve", "--strategy", "a", "--task", "target", "--n", "0:3", "--sig", "1"],
     "unrecognized arguments: --sig 1"),
]


def assert_one_line_error(err: str, sub: str | None, fragment: str) -> None:
    prog = "icl-finetune" + (f" {sub}" if sub else "")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"{prog}: error: "), err
    assert fragment in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, fragment", BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_options_give_one_line_and_status_2_before_any_work(capsys, fake, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert_one_line_error(err, argv[0], fragment)
    assert fake.calls == []


def test_the_message_names_the_option_exactly_once(capsys, fake):
    _, _, err = run(capsys, "curve", "--strategy", "value", "--task", "target", "--n", "5:2")
    assert err == "icl-finetune curve: error: --n: expected A:B with integers 0 <= A <= B, got '5:2'\n"


BAD_FILES = [
    ("--Sigma", None, "cannot read", "no such file"),
    ("--Sigma", "[[1, 0], [0, 1]", "is not valid JSON", None),
    ("--Sigma", "[[1, 0], [0, NaN]]", "not a finite number", None),
    ("--Sigma", [[1, 0], [0, "one"]], "expected a square matrix", "whose entry [1][1] is the string 'one'"),
    ("--Sigma", [[1, 0, 0], [0, 1, 0]], "expected a square matrix", "got a 2x3 array"),
    ("--Sigma", [[1, 0], [0]], "expected a square matrix", "ragged"),
    ("--Sigma", [[1, 0.5], [0.4, 1]], "expected a symmetric positive definite 2x2 matrix", "[0][1] = 1/2"),
    ("--Sigma", [[1, 2], [2, 1]], "expected a symmetric positive definite 2x2 matrix", "eigenvalue -1"),
    ("--Sigma", [[0, 0], [0, 1]], "expected a symmetric positive definite 2x2 matrix", "eigenvalue 0"),
    ("--Sigma", {"Sigma": [[1]]}, "expected a square matrix", "got an object"),
    ("--Sigma", [[True]], "expected a square matrix", None),
    ("--theta0", [1, "a"], "expected a non-empty vector of numbers", None),
    ("--theta0", [], "expected a non-empty vector of numbers", None),
    ("--theta0", [[1, 0]], "expected a non-empty vector of numbers", None),
]


@pytest.mark.parametrize("sub", ["curve", "params"])
@pytest.mark.parametrize("option, content, fragment, detail", BAD_FILES)
def test_bad_files_give_one_line_and_status_2(capsys, fake, tmp_path, sub, option, content, fragment, detail):
    path = str(tmp_path / "missing.json") if content is None else write(tmp_path, "in.json", content)
    argv = CURVE if sub == "curve" else ["params", "--strategy", "value"]
    status, out, err = run(capsys, *argv, option, path)
    assert status == 2 and out == ""
    assert_one_line_error(err, sub, f"{option}: ")
    assert fragment in err and (detail is None or detail in err), err
    assert fake.calls == []


@pytest.mark.parametrize("extra, fragment", [
    (["--d", "3"], "--d gives d = 3, --Sigma gives d = 2"),
    (["--theta0", "THETA3"], "--Sigma gives d = 2, --theta0 gives d = 3"),
])
def test_inconsistent_dimensions(capsys, fake, tmp_path, extra, fragment):
    sigma = write(tmp_path, "S.json", [[1, 0], [0, 1]])
    theta3 = write(tmp_path, "t.json", [1, 0, 0])
    extra = [theta3 if x == "THETA3" else x for x in extra]
    status, _, err = run(capsys, *CURVE, "--Sigma", sigma, *extra)
    assert status == 2
    assert_one_line_error(err, "curve", fragment)
    assert fake.calls == []


BAD_PARAMS = [
    ({"V": ...}, "--params: missing key V (expected keys V, Q, theta, Sigma, sigma2, n)"),
    ({"V": ..., "n": ...}, "--params: missing keys V, n"),
    ({"extra": 1}, "--params: unknown key extra"),
    ({"n": -1}, "--params: n: expected an integer 0 <= n <= 10^12, got the number -1"),
    ({"n": 2.5}, "--params: n: expected an integer 0 <= n <= 10^12, got the number 2.5"),
    ({"n": True}, "--params: n: expected an integer 0 <= n <= 10^12, got the boolean true"),
    ({"n": "3.5"}, "--params: n: expected an integer 0 <= n <= 10^12, got the string '3.5'"),
    ({"n": "three"}, "--params: n: expected an integer 0 <= n <= 10^12, got the string 'three'"),
    ({"sigma2": -0.1}, "--params: sigma2: expected a finite number >= 0, got the number -0.1"),
    ({"sigma2": None}, "--params: sigma2: expected a finite number >= 0, got null"),
    ({"V": [[1, 0], [0, 1]]}, "--params: V: expected a 4x4 matrix"),
    ({"Q": [[0] * 4] * 3}, "--params: Q: expected a 4x4 matrix"),
    ({"theta": [1, 0, 0]}, "--params: Sigma: expected a 3x3 matrix"),
    ({"theta": []}, "--params: theta: expected a non-empty vector of numbers"),
    ({"Sigma": [[1, 2], [2, 1]]}, "--params: Sigma: expected a symmetric positive definite 2x2 matrix"),
    ({"Sigma": [[1, 0], [1, 1]]}, "--params: Sigma: expected a symmetric positive definite 2x2 matrix"),
]


@pytest.mark.parametrize("changes, fragment", BAD_PARAMS, ids=[str(c) for c, _ in BAD_PARAMS])
def test_bad_params_file(capsys, fake, tmp_path, changes, fragment):
    status, out, err = run(capsys, "error", "--params", params_file(tmp_path, **changes))
    assert status == 2 and out == ""
    assert_one_line_error(err, "error", fragment)
    assert fake.calls == []


@pytest.mark.parametrize("content, fragment", [
    (None, "--params: cannot read"),
    ("{", "--params: "),
    ("[1, 2]", "--params: expected a JSON object with keys V, Q, theta, Sigma, sigma2, n, got a list"),
    ('{"V": Infinity}', "not a finite number"),
])
def test_params_file_not_json_or_not_an_object(capsys, fake, tmp_path, content, fragment):
    path = str(tmp_path / "nope.json") if content is None else write(tmp_path, "p.json", content)
    status, _, err = run(capsys, "error", "--params", path)
    assert status == 2
    assert_one_line_error(err, "error", fragment)


def test_a_directory_is_not_a_file(capsys, fake, tmp_path):
    status, _, err = run(capsys, *CURVE, "--Sigma", str(tmp_path))
    assert status == 2
    assert_one_line_error(err, "curve", "it is a directory")


# ----------------------------------------------------------------------------- what reaches the backend

@pytest.mark.parametrize("given, name", [("a", "pretrain"), ("b", "full"), ("c", "value"), ("d", "value-fewshot"),
                                         ("pretrain", "pretrain"), ("Value-FewShot", "value-fewshot"),
                                         ("value_fewshot", "value-fewshot"), ("(c)", "value")])
def test_strategy_names_and_letters(capsys, fake, given, name):
    status, _, _ = run(capsys, "params", "--strategy", given)
    assert status == 0
    (args, _), = fake.called("params")
    assert args == (name,)


def test_curve_defaults(capsys, fake):
    status, _, _ = run(capsys, *CURVE)
    assert status == 0
    (args, kw), = fake.called("curve")
    assert args == ("value", "target", [0, 1, 2, 3])
    assert kw["d"] == 5 and kw["sigma2"] == sp.Rational(1, 10)  # exact, not the float 0.1
    assert kw["m"] is None and kw["n_ft"] is None and kw["scale"] == 1
    assert kw["Sigma"] == sp.eye(5)
    assert kw["theta0"] == sp.Matrix([1, 0, 0, 0, 0])


def test_curve_options(capsys, fake):
    status, _, _ = run(capsys, "curve", "--strategy", "d", "--task", "opposite", "--n", "2:4", "--d", "3",
                       "--sigma2", "0.25", "--m", "40", "--n-ft", "inf", "--scale", "-2")
    assert status == 0
    (args, kw), = fake.called("curve")
    assert args == ("value-fewshot", "opposite", [2, 3, 4])
    assert (kw["d"], kw["sigma2"], kw["m"], kw["n_ft"], kw["scale"]) == (3, sp.Rational(1, 4), 40, None, -2)


def test_curve_reads_d_from_the_files(capsys, fake, tmp_path):
    sigma = write(tmp_path, "S.json", [[2, 0.5, 0], [0.5, 1, 0], [0, 0, 3]])
    theta = write(tmp_path, "t.json", [0.1, 0, 1])
    status, _, err = run(capsys, *CURVE, "--Sigma", sigma, "--theta0", theta)
    assert status == 0, err
    (_, kw), = fake.called("curve")
    assert kw["d"] == 3
    assert kw["Sigma"] == sp.Matrix([[2, sp.Rational(1, 2), 0], [sp.Rational(1, 2), 1, 0], [0, 0, 3]])
    assert kw["theta0"] == sp.Matrix([sp.Rational(1, 10), 0, 1])


def test_params_symbolic_by_default(capsys, fake):
    status, _, _ = run(capsys, "params", "--strategy", "full")
    assert status == 0
    (_, kw), = fake.called("params")
    assert kw == {"d": None, "sigma2": None, "m": None, "n_ft": None, "scale": 1, "Sigma": None, "theta0": None}


def test_params_numeric_values_are_exact(capsys, fake):
    status, _, _ = run(capsys, "params", "--strategy", "b", "--d", "2", "--sigma2", "0.1", "--scale", "1/3",
                       "--m", "7", "--n-ft", "4")
    assert status == 0
    (_, kw), = fake.called("params")
    assert kw["sigma2"] == sp.Rational(1, 10) and isinstance(kw["sigma2"], sp.Rational)
    assert kw["scale"] == sp.Rational(1, 3)
    assert (kw["d"], kw["m"], kw["n_ft"]) == (2, 7, 4)
    assert kw["Sigma"] == sp.eye(2) and kw["theta0"] == sp.Matrix([1, 0])


def test_params_with_a_theta0_file_only(capsys, fake, tmp_path):
    theta = write(tmp_path, "t.json", [0, 2])
    status, _, _ = run(capsys, "params", "--strategy", "c", "--theta0", theta)
    assert status == 0
    (_, kw), = fake.called("params")
    assert kw["d"] == 2 and kw["Sigma"] == sp.eye(2) and kw["theta0"] == sp.Matrix([0, 2])


def test_error_reads_numbers_exactly(capsys, fake, tmp_path):
    status, out, err = run(capsys, "error", "--params", params_file(tmp_path), "--format", "json")
    assert status == 0, err
    (args, _), = fake.called("exact_error")
    V, Q, theta, Sigma, sigma2, n = args
    assert V.shape == (4, 4) and Q.shape == (4, 4)
    assert theta == sp.Matrix([1, sp.Rational(1, 2)])
    assert Sigma == sp.Matrix([[2, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
    assert sigma2 == sp.Rational(1, 10) and n == 3
    data = json.loads(out)
    # fake: sigma2 + theta' Sigma theta / (n + 1) = 1/10 + (2 + 1/2 + 1/4) / 4
    assert sp.sympify(data["exact"]) == sp.Rational(1, 10) + sp.Rational(11, 16)
    assert data["error"] == pytest.approx(0.1 + 11 / 16)


def test_exact_fraction_parsing_of_options():
    from proofs.cli import options as A
    assert A.parse_sigma2("0.1") == Fraction(1, 10)
    assert A.parse_sigma2("1e-3") == Fraction(1, 1000)
    assert A.parse_sigma2(" 2/3 ") == Fraction(2, 3)
    assert A.parse_count("inf", "--m", allow_inf=True) is None
    assert A.parse_count("+7", "--m") == 7
    assert A.parse_range("3:3") == range(3, 4)


# ----------------------------------------------------------------------------- prove and verify exit statuses

def test_prove_all_hold(capsys, fake):
    status, out, err = run(capsys, "prove")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == len(RESULT_IDS) + 1
    for line, rid in zip(lines, RESULT_IDS):
        assert line.startswith("PASS") and rid in line and " s " in line
    assert lines[-1].startswith("9 of 9 results hold")


def test_prove_fails_with_status_1(capsys, fake):
    fake.results_list[4] = Result("theorem-4.6", "Theorem 4.6", holds=False)
    status, out, _ = run(capsys, "prove")
    assert status == 1
    assert out.splitlines()[4].startswith("FAIL  theorem-4.6")
    assert "FAILED: 1" in out.splitlines()[-1]


def test_prove_a_check_that_raises_fails_and_the_rest_still_run(capsys, fake):
    fake.results_list[0] = Result("corollary-4.1", "Cor", raises=RuntimeError("boom"))
    status, out, _ = run(capsys, "prove", "--format", "json")
    assert status == 1
    data = json.loads(out)
    assert [r["holds"] for r in data["results"]] == [False] + [True] * 8
    assert data["results"][0]["error"] == "RuntimeError: boom"


def test_prove_verbose_prints_the_checks(capsys, fake):
    status, out, _ = run(capsys, "prove", "--verbose")
    assert status == 0
    assert "      theorem-4.3: first-order conditions" in out


def _stub(*args, **kwargs):
    raise NotImplementedError


def test_prove_with_the_stub_backend_lists_no_results(capsys, monkeypatch):
    monkeypatch.setattr("proofs.api.results", _stub)
    status, out, _ = run(capsys, "prove")
    assert status == 0
    assert out == "no results yet: the backend is not implemented (proofs.api.results)\n"
    status, out, _ = run(capsys, "prove", "--format", "json")
    assert status == 0 and json.loads(out)["results"] == []


def test_verify_status(capsys, fake):
    status, out, _ = run(capsys, "verify", "--samples", "1000", "--seed", "3")
    assert status == 0 and "2 of 2 formulas agree" in out
    assert fake.called("verify") == [((1000, 3), {})]
    fake.verify_rows.append(VerifyRow("bad", 1.0, 1.5, 0.01, 50.0, False))
    status, out, _ = run(capsys, "verify", "--format", "json")
    assert status == 1
    assert json.loads(out)["passed"] is False
    assert fake.called("verify")[-1] == ((DEFAULT_SAMPLES, 0), {})


# ----------------------------------------------------------------------------- backend errors

def test_a_stub_backend_says_not_implemented_with_status_3(capsys, monkeypatch):
    monkeypatch.setattr("proofs.api.summary_table", _stub)
    status, out, err = run(capsys, "table")
    assert status == 3 and out == ""
    assert_one_line_error(err, "table", "not implemented yet")


def test_a_backend_value_error_is_bad_usage(capsys, monkeypatch, fake):
    def params(*a, **k):
        raise ValueError("m: expected an integer >= 1 for pretraining,\n got 0")
    monkeypatch.setattr("proofs.api.params", params)
    status, _, err = run(capsys, "params", "--strategy", "a", "--m", "5")
    assert status == 2
    assert err == "icl-finetune params: error: --m: expected an integer >= 1 for pretraining, got 0\n"


def test_an_unexpected_error_is_not_hidden(fake, monkeypatch):
    def table():
        raise KeyError("bug")
    monkeypatch.setattr("proofs.api.summary_table", table)
    with pytest.raises(KeyError):
        cli.main(["table"])


# ----------------------------------------------------------------------------- figure and latex

def test_figure_calls_make_figure(capsys, monkeypatch, tmp_path):
    calls = install_figure(monkeypatch)
    out = tmp_path / "fig.pdf"
    status, _, err = run(capsys, "figure", "--out", str(out), "--seed", "4", "--quick", "--no-progress")
    assert status == 0, err
    assert calls == [(out, 4, True, False)]
    assert out.exists() and f"wrote {out}" in err


def test_figure_defaults(capsys, monkeypatch, tmp_path):
    calls = install_figure(monkeypatch)
    monkeypatch.chdir(tmp_path)
    status, _, _ = run(capsys, "figure")
    assert status == 0
    assert calls == [(Path(DEFAULT_FIGURE), 0, False, True)]


def test_figure_output_folder_must_exist(capsys, monkeypatch, tmp_path):
    calls = install_figure(monkeypatch)
    status, _, err = run(capsys, "figure", "--out", str(tmp_path / "no" / "fig.png"))
    assert status == 2 and calls == []
    assert_one_line_error(err, "figure", "--out: the directory")


def test_figure_module_missing_is_status_3(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "proofs.figures.linear", None)  # makes the import fail
    status, _, err = run(capsys, "figure", "--out", str(tmp_path / "fig.png"))
    assert status == 3
    assert_one_line_error(err, "figure", "not implemented yet")


def test_latex_to_stdout_and_file(capsys, fake, tmp_path):
    status, out, _ = run(capsys, "latex")
    assert status == 0 and out.startswith(r"\documentclass")
    target = tmp_path / "doc.tex"
    status, out2, err = run(capsys, "latex", "--out", str(target))
    assert status == 0 and out2 == "" and target.read_text() == out
    assert f"wrote {target}" in err


# ----------------------------------------------------------------------------- start-up stays light

def test_importing_the_cli_and_asking_for_help_imports_no_heavy_module():
    """Only the standard library, symbolic.numbers (the one parser of written numbers) and
    symbolic.strategy_names (the strategies' names), both standard library only, whose package
    imports its public names lazily, are loaded to print help."""
    code = ("import sys, io, contextlib\n"
            "from proofs.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['--help']) == 0\n"
            "    assert main(['curve', '--help']) == 0\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('sympy', 'numpy', 'matplotlib', 'mpmath', 'numeric')"
            " or m.startswith('symbolic.') and m not in ('symbolic.numbers', 'symbolic.strategy_names')]\n"
            "print(heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_console_script_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "proofs.cli", "table", "--format", "nope"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr == "icl-finetune table: error: --format: expected one of text, markdown, latex, json, got 'nope'\n"
