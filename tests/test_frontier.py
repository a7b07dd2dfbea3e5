"""The trade-off (``frontier``) and tasks at an angle (``curve --task-angle``).

Independent checks: a frontier row equals, exactly, the minimiser of the mixed loss found
by the concrete engine (:func:`symbolic.concrete.concrete_error` with V's last row as
unknowns, solved by SymPy); the lambda -> 0+ row equals strategy (d)'s row and the
lambda -> oo row the few-shot-only spec (each derived on its own); an angle of 0 or pi
gives exactly the target / opposite curve, and pi/2 the concrete engine on the rotated
task. Small settings (d = 2, n_ft = 2) keep the module at a few seconds.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from proofs import api
from proofs.cli import main
from proofs.quantities.setting import setting
from proofs.quantities.frontier import COLUMNS, LAMBDA, MAX_LAMBDAS, fewshot_spec, spec_errors
from symbolic.concrete import concrete_error

R = sp.Rational
SIGMA = sp.Matrix([[2, 1], [1, 1]])
THETA0 = sp.Matrix([1, -2])
S2 = R(1, 4)
NFT = 2
KW = dict(d=2, sigma2=S2, Sigma=SIGMA, theta0=THETA0)


@pytest.fixture(scope="module")
def F():
    return api.frontier([0, R(3, 2), 10, "inf"], n_ft=NFT, n=NFT, **KW)


def test_row_equals_the_concrete_engines_minimiser(F):
    """V's last row as unknowns, the mixed loss from the concrete engine, its stationary point
    solved exactly: the errors there equal the frontier's row at lambda = 3/2."""
    P = api.params("pretrain", **KW)
    v = sp.symbols("v0 v1 v2 vy")
    V = sp.zeros(4, 4)
    for j, x in enumerate(v):
        V[3, j] = x
    E0 = concrete_error(V, P.Q, n=0, theta=THETA0, Sigma=SIGMA, sigma2=S2)
    E1 = concrete_error(V, P.Q, n=NFT, theta=THETA0, Sigma=SIGMA, sigma2=S2)
    (sol,) = sp.solve([sp.diff(E0 + R(3, 2) * E1, x) for x in v], v, dict=True)
    want = (E0.subs(sol), E1.subs(sol),
            concrete_error(V.subs(sol), P.Q, n=NFT, theta=-THETA0, Sigma=SIGMA, sigma2=S2))
    assert F.rows[1].lam == R(3, 2)
    assert F.rows[1].values() == want


def test_limits_equal_strategy_d_and_the_fewshot_only_spec(F):
    assert F.rows[0].values() == next(r for r in F.strategies if r.label == "value-fewshot").values()
    few = spec_errors(fewshot_spec(NFT), setting(**KW), n=NFT)
    assert F.rows[-1].values() == tuple(few[c] for c in COLUMNS)
    assert F.checks and F.holds
    assert [r.label for r in F.strategies] == ["pretrain", "full", "value", "value-fewshot"]


def test_monotone_as_stated_and_on_the_rows(F):
    assert F.monotone == {"zero_shot": "increasing", "few_shot_target": "decreasing",
                          "few_shot_opposite": "increasing"}
    cols = np.array([r.floats() for r in F.rows])
    assert np.all(np.diff(cols[:, 0]) > 0) and np.all(np.diff(cols[:, 1]) < 0) and np.all(np.diff(cols[:, 2]) > 0)
    for c in COLUMNS:
        assert F.formulas[c].free_symbols == {LAMBDA}


def test_n_ft_infinite_is_degenerate_and_its_oo_end_is_not_the_fewshot_only_spec():
    """A finding, kept: at n_ft = oo every lambda gives (d); the few-shot loss alone leaves a
    direction free, and gradient descent from the pretrained parameters stays at (a)."""
    G = api.frontier([0, 1, "inf"], n_ft=None, d=2, sigma2=S2)
    assert G.degenerate
    assert G.rows[0].values() == G.rows[1].values() == G.rows[2].values() == G.strategies[3].values()
    failed = [what for what, ok in G.checks if not ok]
    assert failed and all("lambda->oo" in w for w in failed)
    assert any("v_y" in note for note in G.notes)


@pytest.mark.parametrize("bad, message", [
    (["-1"], "lambdas"), ([float("nan")], "lambdas"), ([], "lambdas"), (["x"], "lambdas"),
    ([1] * (MAX_LAMBDAS + 1), "lambdas"),
])
def test_api_refuses_bad_lambdas(bad, message):
    with pytest.raises(ValueError, match=message):
        api.frontier(bad, n_ft=NFT, d=2, sigma2=S2)


def test_api_refuses_bad_n_ft():
    with pytest.raises(ValueError, match="n_ft"):
        api.frontier([1], n_ft=0, d=2, sigma2=S2)


def test_cli_frontier_json_and_text(capsys):
    assert main(["frontier", "--n-ft", "2", "--lambda", "0,3/2,inf", "--n", "2", "--d", "2",
                 "--sigma2", "0.25", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["lambda"] for r in out["rows"]] == ["0", "3/2", "inf"]
    assert [r["strategy"] for r in out["strategies"]] == ["pretrain", "full", "value", "value-fewshot"]
    assert out["rows"][0]["exact"] == out["strategies"][3]["exact"]
    assert all(c["holds"] for c in out["checks"]) and out["degenerate"] is False
    assert sp.sympify(out["rows"][1]["exact"]["zero_shot"]) == \
        sp.sympify(out["formulas"]["zero_shot"]).subs(sp.Symbol("lamda"), R(3, 2))
    assert main(["frontier", "--n-ft", "2", "--lambda", "1", "--n", "2", "--d", "2", "--sigma2", "0.25"]) == 0
    text = capsys.readouterr().out
    assert "lambda=1" in text and "(d) value-fewshot" in text and "holds" in text


@pytest.mark.parametrize("argv, option", [
    (["--lambda", "1"], "--n-ft"),
    (["--n-ft", "0", "--lambda", "1"], "--n-ft"),
    (["--n-ft", "2", "--lambda", "-1"], "--lambda"),
    (["--n-ft", "2", "--lambda", "1,,2"], "--lambda"),
    (["--n-ft", "2", "--lambda", ""], "--lambda"),
    (["--n-ft", "2", "--lambda", "nan"], "--lambda"),
    (["--n-ft", "2", "--lambda", ",".join(["1"] * (MAX_LAMBDAS + 1))], "--lambda"),
    (["--n-ft", "2", "--lambda", "1", "--n", "-3"], "--n"),
    (["--n-ft", "2", "--lambda", "1", "--d", "0"], "--d"),
    (["--n-ft", "2", "--lambda", "1", "--format", "xml"], "--format"),
])
def test_cli_frontier_bad_input_is_one_line_naming_the_option(argv, option, capsys):
    assert main(["frontier", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err and "Traceback" not in err


def test_cli_and_backend_bounds_agree():
    from proofs.quantities import angles
    from proofs.cli import frontier as cli_frontier
    from proofs.cli import options
    assert cli_frontier.MAX_LAMBDAS == MAX_LAMBDAS
    assert options.MAX_ANGLE == angles.MAX_ANGLE


# ----------------------------------------------------------------------------- task angle

@pytest.mark.parametrize("strategy", ["pretrain", "full", "value", "value-fewshot"])
def test_angle_zero_and_pi_are_target_and_opposite_exactly(strategy):
    kw = dict(d=2, sigma2=S2, m=None, n_ft=NFT, Sigma=SIGMA, theta0=THETA0)
    for phi, task in ((0, "target"), (sp.pi, "opposite")):
        a = api.curve(strategy, phi, [0, 1, 3], **kw)
        b = api.curve(strategy, task, [0, 1, 3], **kw)
        assert a.exact == b.exact and a.exact_limit == b.exact_limit


def test_angle_on_a_spec_and_at_pi_half_against_the_concrete_engine():
    from proofs.quantities.angles import rotated
    from symbolic.spec import make_spec
    spec = make_spec(["vx", "vy"], [(1, 0, "target"), (2, NFT, "target")], name="mixed-2")
    kw = dict(d=2, sigma2=S2, m=None, n_ft=None, Sigma=SIGMA, theta0=THETA0)
    assert api.curve(spec, sp.pi, [0, 2], **kw).exact == api.curve(spec, "opposite", [0, 2], **kw).exact
    theta = rotated(sp.pi / 2, THETA0, SIGMA)
    assert (theta.T * SIGMA * theta)[0, 0] == (THETA0.T * SIGMA * THETA0)[0, 0]   # same Sigma-norm
    assert (theta.T * SIGMA * THETA0)[0, 0] == 0                                 # at a right angle
    p = api.params("value", d=2, sigma2=S2, Sigma=SIGMA, theta0=THETA0)
    got = api.curve("value", sp.pi / 2, [0, 2], **kw)
    want = [sp.nsimplify(concrete_error(p.V, p.Q, n=k, theta=theta, Sigma=SIGMA, sigma2=S2)) for k in (0, 2)]
    assert [sp.simplify(g - w) for g, w in zip(got.exact, want)] == [0, 0]


def test_cli_task_angle(capsys):
    args = ["curve", "--strategy", "value", "--n", "0:2", "--d", "2", "--format", "json"]
    assert main([*args, "--task-angle", "pi"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main([*args, "--task", "opposite"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a["error"] == b["error"] and a["task"] == "angle" and a["settings"]["task_angle"] == "pi"
    assert main([*args, "--task-angle", "3pi/4"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["task_angle_radians"] == pytest.approx(3 * np.pi / 4)


@pytest.mark.parametrize("argv, option", [
    (["--task-angle", "x"], "--task-angle"),
    (["--task-angle", "pi/0"], "--task-angle"),
    (["--task-angle", "1e7"], "--task-angle"),
    (["--task-angle", "1", "--task", "target"], "--task"),
    (["--task-angle", "1", "--d", "1"], "--task-angle"),
    ([], "--task"),
])
def test_cli_task_angle_bad_input(argv, option, capsys):
    assert main(["curve", "--strategy", "value", "--n", "0:1", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err


# ----------------------------------------------------------------------------- the figure

def test_frontier_figure_tiny(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    from proofs.figures.frontier import FrontierFigureConfig, make_frontier_figure
    cfg = FrontierFigureConfig(d=2, sigma2=0.25, n_ft=NFT, lambdas=(10.0,), seeds=2, steps=60, batch=200,
                               dataset_size=2000, curve_points=30)  # the setting of the CLI test: its caches
    out, js = tmp_path / "f.png", tmp_path / "f.json"
    report = make_frontier_figure(out, 0, progress=False, closeness=js, config=cfg, echo=False)
    assert out.stat().st_size > 10_000 and sorted(p.name for p in tmp_path.iterdir()) == ["f.json", "f.png"]
    saved = json.loads(js.read_text())
    assert [(r["lambda"], r["panel"]) for r in saved["trained"]] == [(10.0, "target"), (10.0, "opposite")]
    for r in saved["trained"]:
        assert {"trained", "theory", "z", "within_error_bars", "relative_distance_to_curve"} <= set(r)
        assert np.isfinite(r["relative_distance_to_curve"])
    assert all(c["holds"] for c in saved["theory"]["checks"])
    assert sp.sympify(saved["theory"]["formulas"]["zero_shot"]).free_symbols == {sp.Symbol("lamda")}
    assert report["max_relative_distance_to_curve"] == max(r["relative_distance_to_curve"] for r in saved["trained"])


# ----------------------------------------------------------------------------- hostile values

HOSTILE = ["", " ", "x", "-1", "-0", "0", "1.5", "1e400", "1e999999999", "1e-400", "nan", "inf", "-inf", "1/0",
           "2/3", "0x10", "1_000", "١٢", "5\x00", "9" * 5000, "10**30", "1000000000000000000000000000000"]
VALID = {"--n-ft": {"inf"}, "--n": {"0", "-0", "inf"}, "--m": {"0", "-0", "inf"},
         "--lambda": {"-0", "0", "1.5", "inf", "2/3", "1000000000000000000000000000000"},
         "--sigma2": {"0", "-0", "1.5", "2/3", "1000000000000000000000000000000"},
         "--task-angle": {"-1", "-0", "0", "1.5", "2/3"}}
BASE = {"frontier": ["frontier", "--n-ft", "2", "--lambda", "1", "--d", "2"],
        "curve": ["curve", "--strategy", "value", "--n", "0:1", "--task-angle", "1"]}
CASES = [(sub, option, value) for sub, options in
         (("frontier", ["--n-ft", "--lambda", "--n", "--d", "--sigma2", "--m", "--Sigma", "--theta0", "--format"]),
          ("curve", ["--task-angle"]))
         for option in options for value in HOSTILE if value not in VALID.get(option, set())]


@pytest.mark.parametrize("sub, option, value", CASES,
                         ids=[f"{s} {o} {v[:12]!r}" for s, o, v in CASES])
def test_hostile_values_are_one_line_naming_the_option(sub, option, value, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a hostile value as a file name names nothing here
    argv = list(BASE[sub])
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and err.count("\n") == 1 and len(err) < 400, err
    assert err.startswith(f"icl-finetune {sub}: error: {option}"), err


def test_monotone_classifier():
    from proofs.quantities.frontier import _monotone
    L = LAMBDA
    assert _monotone((L - 1) ** 2 / (L + 1)) == "not monotone"
    assert _monotone(-L / (L + 1)) == "decreasing" and _monotone(L / (L + 1)) == "increasing"
    assert _monotone((L - 2) ** 3 / (L + 1) ** 3) == "increasing"   # f' >= 0 with a double zero at 2
    assert _monotone(sp.Integer(3)) == "constant"
    assert _monotone(1 / (L + 3) - 1 / (2 * L + 1)) == "not monotone"


@pytest.mark.parametrize("columns", [("zero_shot", "zero-shot"), "zero_shot"])
def test_spec_pairs_refuses_unknown_columns(columns):
    from proofs.quantities.frontier import spec_pairs, tradeoff_spec
    with pytest.raises(ValueError, match="columns: expected a collection of names among"):
        spec_pairs(tradeoff_spec(1), setting(2), columns=columns)
