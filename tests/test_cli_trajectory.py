"""``icl-finetune trajectory``: the rows, the JSON schema read back, and bad input refused in one line."""
from __future__ import annotations

import json

import pytest

from proofs import cli

BASE = ["trajectory", "--strategy", "value", "--d", "3"]


def _run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_rows_and_limit(capsys):
    status, out, err = _run(capsys, *BASE, "--lr", "0.01", "--steps", "100", "--every", "25", "--format", "json",
                            "--level", "0.5")
    assert status == 0, err
    data = json.loads(out)
    assert [r["step"] for r in data["rows"]] == [0, 25, 50, 75, 100]
    first = data["rows"][0]
    assert set(first) == {"step", "zero_shot", "few_shot_target", "few_shot_opposite"}
    assert first["zero_shot"] == pytest.approx(1.1)           # the pretrained model's sigma^2 + |theta0|^2
    assert data["rows"][-1]["zero_shot"] == pytest.approx(0.1 + 2 / 7)   # (c): sigma^2 + 2/(d+4)
    assert data["limit_exact"]["v_x[1]"] == "1/7" and data["stable"] and data["eta_max_exact"] == ["1/35"]  # 2/h_max, h_max = 2(d+2)(d+4) at Sigma = I
    assert data["crossings"]["zero_shot"] == 1 and data["crossings"]["few_shot_target"] is None
    import sympy as sp
    f = sp.sympify(data["formulas"]["zero_shot"][0])
    assert f.free_symbols == {sp.Symbol("eta"), sp.Symbol("t")}


def test_two_stage_and_task(capsys, tmp_path):
    task = tmp_path / "task.json"
    task.write_text("[0, 1, 0]")
    status, out, err = _run(capsys, "trajectory", "--strategy", "d", "--n-ft", "3", "--d", "3", "--lr", "0.01",
                            "--steps", "10", "--every", "5", "--task", str(task), "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert [(r["step"], r["stage"]) for r in data["rows"]] == [(0, 1), (5, 1), (10, 1), (10, 2), (15, 2), (20, 2)]
    assert "task" in data["rows"][0]


@pytest.mark.parametrize("argv, status, fragment", [
    (["--lr", "0", "--steps", "10"], 2, "--lr"),
    (["--lr", "-1", "--steps", "10"], 2, "--lr"),
    (["--lr", "nan", "--steps", "10"], 2, "--lr"),
    (["--lr", "inf", "--steps", "10"], 2, "--lr"),
    (["--lr", "1e999", "--steps", "10"], 2, "--lr"),
    (["--lr", "0.01", "--steps", "-3"], 2, "--steps"),
    (["--lr", "0.01", "--steps", "2.5"], 2, "--steps"),
    (["--lr", "0.01", "--steps", "1000000000000"], 2, "10^9"),
    (["--lr", "0.01", "--steps", "10", "--every", "11"], 2, "--every"),
    (["--lr", "0.01", "--steps", "10000000", "--every", "1"], 2, "rows"),
    (["--lr", "0.01", "--steps", "10", "--level", "-1"], 2, "--level"),
])
def test_bad_values(capsys, argv, status, fragment):
    got, out, err = _run(capsys, *BASE, *argv)
    assert got == status and fragment in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_no_closed_form(capsys, tmp_path):
    got, _, err = _run(capsys, "trajectory", "--strategy", "full", "--lr", "0.01", "--steps", "10")
    assert got == 3 and "no closed form" in err and err.count("\n") == 1
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"train": ["vx", "Q00"], "loss": [{"n": 0, "task": "target"}]}))
    got, _, err = _run(capsys, "trajectory", "--spec", str(spec), "--lr", "0.01", "--steps", "10")
    assert got == 3 and "no closed form" in err and err.count("\n") == 1


def test_divergence_is_reported(capsys):
    status, out, err = _run(capsys, *BASE, "--lr", "1", "--steps", "1000", "--every", "100")
    assert status == 0 and "diverges: from step 2" in out and "inf" not in out.split("diverges")[0].split("\n", 4)[-1]
