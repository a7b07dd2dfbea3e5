"""``icl-finetune compare``: its outputs (text, JSON as docs/cli.md documents it, LaTeX), its figure
(drawn at its printed size, passing the layout checks), and its exit statuses."""
from __future__ import annotations

import json

import pytest

from proofs.cli import main


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_schema(capsys):
    rc, out, _ = _run(capsys, "compare", "--d", "2", "--sigma2", "5", "--levels", "3", "--format", "json")
    assert rc == 0
    obj = json.loads(out)
    assert list(obj) == ["left", "right", "match", "range", "range_exact", "arithmetic", "columns", "levels",
                         "settings", "notes", "seconds"]
    assert obj["left"]["side"] == "path:value" and obj["right"]["side"] == "mixed:5"
    assert obj["range_exact"] == ["16/3", "6"] and obj["arithmetic"] == "exact"
    col = next(c for c in obj["columns"] if c["column"] == "5:opposite")
    assert col["lower"] is None and col["flips"] and len(col["crossings"]) == 1
    x = col["crossings"][0]
    import sympy as sp
    assert abs(float(sp.sympify(x["exact"])) - x["level"]) < 1e-12 and set(x["right"]) == {"lambda"}
    assert [p["lower"] for p in col["pieces"]] == ["right", "left"]
    assert len(obj["levels"]) == 3 and set(obj["levels"][0]["values"]) == {c["column"] for c in obj["columns"]}


def test_text_and_latex(capsys):
    rc, out, _ = _run(capsys, "compare", "--d", "2", "--sigma2", "5", "--levels", "2")
    assert rc == 0 and "E(5; -theta0): the order flips" in out and "flips at level 5.73298276" in out
    rc, out, _ = _run(capsys, "compare", "--d", "2", "--sigma2", "5", "--levels", "0", "--format", "latex")
    assert rc == 0 and r"\begin{tabular}" in out and r"\sqrt{5419}" in out


def test_point_and_float(capsys):
    rc, out, _ = _run(capsys, "compare", "--right", "point:value-fewshot:inf", "--columns", "inf:target,inf:opposite",
                      "--levels", "0", "--format", "json")
    obj = json.loads(out)
    assert rc == 0 and obj["range_exact"] == ["29/90", "29/90"]
    assert [c["lower"] for c in obj["columns"]] == ["right", "left"]
    rc, out, _ = _run(capsys, "compare", "--d", "12", "--levels", "2", "--format", "json")
    assert rc == 0 and json.loads(out)["arithmetic"] == "float"


@pytest.mark.parametrize("argv, message", [
    (["--left", "walk:value"], "--left: expected path:S"),
    (["--left", "path:full"], "--left/--right: path:full"),
    (["--columns", "5:up"], "--columns: expected N:TASK"),
    (["--match", "x"], "--match: expected N:TASK"),
    (["--levels", "1001"], "--levels"),
    (["--lr", "1"], "--lr: expected 0 < eta h < 1"),
    (["--plot", "out.txt"], "--plot: expected a file name ending in"),
    # d = 4,096 was accepted (O(d^3): ~12 s at d = 1,000, minutes at 2,048); refused before work
    (["--arithmetic", "float", "--d", "1025"], "--d: expected d <= 1024 for compare"),
    # the documented N_FT <= 10^12 was refused as "expected ... an integer >= 1"; beyond it the bound is named
    (["--right", "mixed:1000000000001"], "1 <= N_FT <= 10^12"),
])
def test_bad_usage_exits_2_naming_the_option(capsys, argv, message):
    rc, out, err = _run(capsys, "compare", "--d", "2", "--levels", "0", *argv)
    assert rc == 2 and message in err and not out, err


def test_plot_passes_the_layout_checks(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from proofs.figures.compare import draw_comparison
    from proofs.figures.layout import layout_problems
    from proofs.quantities.compare import compare
    fig = draw_comparison(compare(d=2, sigma2=5, levels=0))
    assert layout_problems(fig) == []
    out = tmp_path / "cmp.png"
    rc, _, err = _run(capsys, "compare", "--d", "2", "--levels", "0", "--plot", str(out))
    assert rc == 0 and out.stat().st_size > 10_000 and "wrote" in err


def test_a_mixed_side_in_float_at_a_finite_m(capsys):
    """--m 7 with --arithmetic float answers (it exited 3, "not implemented yet", before), at the m asked."""
    rc, out, err = _run(capsys, "compare", "--d", "3", "--m", "7", "--arithmetic", "float", "--columns",
                        "5:opposite", "--levels", "2", "--format", "json")
    assert rc == 0, err
    obj = json.loads(out)
    assert obj["arithmetic"] == "float" and obj["settings"]["m"] == 7
    assert len(obj["levels"]) == 2


def test_an_ill_conditioned_sigma_is_warned_about_in_float(capsys, tmp_path):
    """Sigma = diag(1, 1e-14) in float64: one warning line on standard error with the condition number and
    compare's own remedy (exact; compare has no mp), as curve warns (compare said nothing before); and
    mixed:10^12, the documented largest N_FT, is read."""
    from proofs.quantities.compare_curves import parse_side
    assert parse_side("mixed:1000000000000").n_ft == 10**12
    path = tmp_path / "S.json"
    path.write_text('[[1, 0], [0, 1e-14]]')
    rc, out, err = _run(capsys, "compare", "--left", "point:value", "--Sigma", str(path), "--arithmetic", "float",
                        "--levels", "0", "--columns", "inf:target")
    assert rc == 0 and out, err
    lines = [x for x in err.splitlines() if x.startswith("warning:")]
    assert len(lines) == 1 and "1e+14" in lines[0] and "--arithmetic exact" in lines[0] and "mp" not in lines[0]


def test_a_float64_overflow_is_one_line_naming_theta0(capsys, tmp_path):
    """theta0 = 1e100: the mixed side's float64 table overflows. One line naming --theta0 and the remedy
    (was: numpy's RuntimeWarning and its source line on standard error, then "--match: ... is not finite")."""
    path = tmp_path / "t.json"
    path.write_text("[1e100]")
    rc, out, err = _run(capsys, "compare", "--left", "point:value", "--theta0", str(path), "--levels", "0",
                        "--columns", "inf:target")
    assert rc == 2 and not out and len(err.strip().splitlines()) == 1, err
    assert "--theta0: E(0; theta0) exceeds float64's range" in err and "smaller theta0" in err


@pytest.mark.parametrize("side", ["path:{}", "point:{}", "point:{}:3"])
@pytest.mark.parametrize("train", [["V2.vx", "V2.vy"], ["V1.vx", "V2.vy"]], ids=["quadratic", "quartic"])
def test_a_depth_spec_side_is_refused_in_one_line(capsys, tmp_path, side, train):
    """A depth spec on either side is refused before any work (exit 2, naming --left/--right): a
    quadratic one at a point used to end in a traceback (a sqrt in the pretrained gamma's), a path a
    repr of the spec, a quartic point 'not implemented yet' (exit 3)."""
    path = tmp_path / "depth.json"
    path.write_text(json.dumps({"layers": 2, "train": train, "loss": [{"n": 0, "task": "target"}]}))
    rc, out, err = _run(capsys, "compare", "--d", "2", "--left", "path:value", "--right", side.format(path))
    assert rc == 2 and out == "" and err.count("\n") == 1, (rc, err)
    assert err.startswith("icl-finetune compare: error: --left/--right: ") and "is a depth spec (L = 2" in err, err
