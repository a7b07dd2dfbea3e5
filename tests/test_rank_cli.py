"""What the command line prints for a spec with a constraining rank (LoRA), through the printers
(proofs/cli/printers/: one method per format for RankMinimum, RankTrajectoryReport,
RankFrontierReport): ``derive --spec`` at symbolic d and at a setting, ``trajectory --spec``
along LoRA's path, ``frontier --rank``; the JSON keys in their order, the values against the
derivation they print, and the refusals (exit status 2, one line)."""
from __future__ import annotations

import json

import pytest
import sympy as sp

from proofs import cli
from symbolic.lowrank import K, derive_lowrank
from symbolic.objective import N, SIGMA_NOISE, THETA0
from symbolic.spec import Rank, make_spec
from symbolic.words import DIM

LOSS = [(1, 5, "target")]
ERRORS = ["zero_shot", "few_shot_target", "few_shot_opposite", "n_shot_target", "n_shot_opposite", "family"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def spec_file(tmp_path):
    def write(block: str, rank: int) -> str:
        p = tmp_path / f"{block}{rank}.json"
        p.write_text(json.dumps({"train": [{"block": block, "rank": rank}], "loss": [{"n": 5, "task": "target"}]}))
        return str(p)
    return write


def _sym(text: str, symbols: dict) -> sp.Expr:
    return sp.sympify(text, locals={name: sp.Symbol(name) for name in symbols})


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    plain = {s: sp.Symbol(s.name) for s in b.free_symbols}
    return sp.simplify(a - b.xreplace(plain)) == 0


def test_derive_closed_form_json_text_latex(capsys, spec_file):
    f = spec_file("Qxx", 1)
    status, out, _ = run(capsys, "derive", "--spec", f, "--format", "json")
    assert status == 0
    js = json.loads(out)
    assert list(js) == ["spec", "name", "m", "route", "method", "block", "rank", "steps", "gains", "order",
                        "allocation", "parameters", "free", "convention", "loss", "errors", "errors_full", "symbols"]
    assert (js["block"], js["rank"], js["route"]) == ("Qxx", 1, "closed form")
    assert js["allocation"] == {"theta": 0, "perp": "1", "holds_for": "d >= 2", "full_rank_from": "d"}
    assert list(js["errors"]) == ERRORS and list(js["errors_full"]) == ERRORS
    D = derive_lowrank(make_spec([Rank("Qxx", 1)], LOSS))
    assert _same(_sym(js["errors"]["n_shot_opposite"], js["symbols"]), D.error(1, -THETA0, N))
    assert _same(_sym(js["errors"]["few_shot_target"], js["symbols"]), D.error(1, THETA0, sp.oo))
    assert _same(_sym(js["loss"]["rank 1"], js["symbols"]), D.loss(1))

    status, text, _ = run(capsys, "derive", "--spec", f)
    assert status == 0
    lines = text.splitlines()
    assert lines[0] == f"spec: {js['spec']}" and "route: " + js["method"] in lines
    at = lines.index("errors at rank 1 (for d >= 2):")
    assert lines[at + 1:at + 7] == [f"  {name}: {js['errors'][k]}" for k, name in zip(ERRORS, (
        "zero-shot on theta0", "n -> oo on theta0", "n -> oo on -theta0", "n shots on theta0", "n shots on -theta0",
        "n -> oo averaged over theta ~ N(0, I) (Sigma = I)"))]
    assert "errors after full fine-tuning of the block:" in lines

    status, tex, _ = run(capsys, "derive", "--spec", f, "--format", "latex")
    assert status == 0
    assert tex.startswith(f"% {js['spec']}\n% rank 1 (d >= 2); k = theta_0^T Sigma theta_0\n\\[\n\\begin{{aligned}}\n")
    assert tex.count(r"\mathcal{E}") == len(ERRORS) and tex.endswith("\\end{aligned}\n\\]\n")


def test_derive_at_a_setting_json_text_and_no_latex(capsys, spec_file):
    f = spec_file("Qxx", 2)
    status, out, _ = run(capsys, "derive", "--spec", f, "--d", "3", "--format", "json")
    assert status == 0
    js = json.loads(out)
    assert list(js) == ["spec", "name", "route", "method", "global", "no_closed_form", "arithmetic", "block", "rank",
                        "setting", "loss", "gains", "unique", "tie", "notes", "V", "Q", "free", "convention", "errors"]
    assert js["setting"] == {"d": 3, "sigma2": "1/10", "m": "oo", "Sigma": "identity", "theta0": "e_1"}
    # the loss at rank 2 is the closed form's at d = 3, k = |e_1|^2 = 1, sigma^2 = 1/10
    D = derive_lowrank(make_spec([Rank("Qxx", 1)], LOSS))
    at = {K: 1, DIM: 3, SIGMA_NOISE: sp.sqrt(sp.Rational(1, 10))}
    assert sp.Rational(js["loss"]["rank"]) == D.loss(2, 3).xreplace(at)
    assert sp.Rational(js["errors"]["few_shot_opposite"]) == D.error(2, -THETA0, sp.oo, 3).xreplace(at)
    status, text, _ = run(capsys, "derive", "--spec", f, "--d", "3")
    assert status == 0
    assert "closed form (evaluated at this setting): d = 3, sigma2 = 1/10, m = oo, Sigma = identity, theta0 = e_1" in text
    assert f"  n -> oo on -theta0: {js['errors']['few_shot_opposite']}" in text.splitlines()
    status, out, err = run(capsys, "derive", "--spec", f, "--d", "3", "--format", "latex")
    assert status == 2 and out == ""
    assert err.strip() == "icl-finetune derive: error: --format: latex is for closed forms at symbolic d; use text or json with --d"


def test_trajectory_json_text_and_refusals(capsys, spec_file):
    f = spec_file("Q", 1)
    argv = ("trajectory", "--spec", f, "--lr", "0.05", "--steps", "40", "--every", "10", "--d", "3")
    status, out, _ = run(capsys, *argv, "--format", "json")
    assert status == 0
    js = json.loads(out)
    assert list(js) == ["rows", "columns", "route", "lora", "block", "rank", "init_scale", "seed", "end",
                        "gradient_norm", "optimum", "optimum_exact", "optimum_method", "gap", "diverged", "crossings",
                        "formula", "variables", "perp_direction", "symbols", "settings"]
    assert [r["step"] for r in js["rows"]] == [0, 10, 20, 30, 40]
    assert js["columns"] == ["loss", "zero_shot", "few_shot_target", "few_shot_opposite"]
    assert js["lora"].startswith("LoRA: Q = start + B A, rank 1, B = 0 and A ~ N(0, ")
    assert js["settings"]["level"] is None and js["settings"]["m"] == "inf"
    status, text, _ = run(capsys, *argv)
    assert status == 0
    lines = text.splitlines()
    assert lines[0].startswith("# " + js["lora"] + "; spec=") and "level" not in lines[0]
    assert lines[1] == f"# route: {js['route']}"
    assert len([ln for ln in lines if ln.lstrip()[:1].isdigit()]) == 5
    assert any(ln.startswith("rank-r optimum: loss=") for ln in lines)
    for extra, message in ((("--format", "latex"), "--format: latex is for closed-form paths"),
                           (("--flow",), "--flow: LoRA's path is gradient descent on the factors")):
        status, out, err = run(capsys, *argv, *extra)
        assert status == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_frontier_per_rank_json_text_and_a_bad_rank(capsys):
    argv = ("frontier", "--rank", "1,2", "--d", "3", "--n-ft", "5", "--lambda", "0,1,inf")
    status, out, _ = run(capsys, *argv, "--format", "json")
    assert status == 0
    js = json.loads(out)
    assert list(js) == ["rows", "formulas", "degenerate", "routes", "symbols", "checks", "notes", "settings"]
    assert [(r["rank"], r["lambda"]) for r in js["rows"]] == [(k, lam) for k in (1, 2) for lam in ("0", "1", "inf")]
    assert all(c["holds"] for c in js["checks"]) and js["settings"]["ranks"] == "1,2"
    status, text, _ = run(capsys, *argv)
    assert status == 0
    lines = text.splitlines()
    assert lines[0].startswith("# Q by its best rank-r update (LoRA) on E(0; theta0) + lambda E(n_ft; theta0); block=Q")
    rows = [ln.split() for ln in lines if ln.lstrip().startswith("r=")]
    assert [(r[0], r[1]) for r in rows] == [(f"r={k}", f"lambda={lam}") for k in (1, 2) for lam in ("0", "1", "inf")]
    assert [float(x) for x in rows[-1][2:]] == pytest.approx([js["rows"][-1][c] for c in
                                                             ("zero_shot", "few_shot_target", "few_shot_opposite")])
    status, out, err = run(capsys, "frontier", "--rank", "9", "--d", "3", "--n-ft", "5", "--lambda", "1")
    assert status == 2 and out == ""
    assert err.strip() == ("icl-finetune frontier: error: --rank: expected integers 1 <= rank <= 4 (the size of the Q "
                           "block at d = 3), got 9")
