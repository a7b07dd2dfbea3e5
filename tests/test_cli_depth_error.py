"""``icl-finetune error --params FILE`` with a layer list.

- through the fake API: the file is read exactly and passed on (layers, theta, Sigma, sigma2, n, samples,
  seed); both routes print in text and JSON; bad layer lists give one line, exit 2, before any work;
- for real, against independent computations: a class file's exact value equals the literal concrete
  engine (symbolic.concrete_depth) on the same layers; a one-layer list gives today's one-layer value;
  a file outside the class is labelled Monte Carlo and agrees with the concrete engine's exact value
  within 4 standard errors (numeric.testing's calibrated rule).
"""
from __future__ import annotations

import json

import pytest
import sympy as sp

from numeric.testing import DEFAULT_Z
from symbolic.concrete_depth import concrete_depth_error
from test_cli_fakes import install, run

E_Y = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]          # V = e_y e_y^T at d = 1
E_X = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]          # Q = e_x e_x^T


def _file(tmp_path, layers, name="p.json", **setting):
    data = {"layers": layers, "theta": [1], "Sigma": [[1]], "sigma2": "1/10", "n": 1, **setting}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _exact_layers(layers):
    return [(sp.Matrix(l["V"]).applyfunc(sp.Rational), sp.Matrix(l["Q"]).applyfunc(sp.Rational)) for l in layers]


CLASS = [{"V": E_Y, "Q": E_X}, {"V": [[0, 0, 0], [0, 0, 0], ["1/3", "-1/2", 1]], "Q": [[0, 0, 0], [0, "1/2", 0], [0, 0, 0]]}]
#: outside the class: layer 1 writes into the x row, reads the constant row, Q_1 has a y-y entry; small entries
#: (the squared error of a degree-9 prediction is heavy-tailed: larger entries make the standard error unreliable)
GENERAL = [{"V": [[0, 0, 0], ["1/5", "1/10", 0], ["1/10", 0, "1/2"]], "Q": [[0, 0, 0], ["1/10", "1/4", 0], [0, 0, "1/10"]]},
           {"V": [[0, 0, 0], [0, 0, 0], [0, "1/5", "1/2"]], "Q": [[0, 0, 0], [0, "1/4", 0], [0, 0, 0]]}]


# ----------------------------------------------------------------------------- through the fake API

@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch)


def test_layers_are_read_exactly_and_passed_on(capsys, fake, tmp_path):
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, CLASS), "--format", "json", "--seed", "5",
                           "--samples", "1000")
    assert status == 0, err
    (args, kw), = fake.called("depth_error")
    layers, theta, Sigma, sigma2, n = args
    assert len(layers) == 2 and layers[1][0][2, 0] == sp.Rational(1, 3) and layers[1][1][1, 1] == sp.Rational(1, 2)
    assert theta == sp.Matrix([1]) and Sigma == sp.Matrix([[1]]) and sigma2 == sp.Rational(1, 10) and n == 1
    assert (kw["samples"], kw["seed"], kw["derive"]) == (1000, 5, False)
    data = json.loads(out)
    assert sp.sympify(data["exact"]) == sp.Rational(1, 10) + sp.Rational(1, 2)
    assert (data["route"], data["exact_route"], data["layers"], data["stderr"]) == ("class", True, 2, None)
    assert not fake.called("exact_error")


def test_monte_carlo_route_is_labelled_in_both_formats(capsys, fake, tmp_path):
    mc = [{"V": [[1, 0, 0], [0, 0, 0], [0, 0, 1]], "Q": E_X}] * 2
    status, out, _ = run(capsys, "error", "--params", _file(tmp_path, mc))
    assert status == 0 and "Monte Carlo" in out and "NOT EXACT" in out and "+-" in out
    status, out, _ = run(capsys, "error", "--params", _file(tmp_path, mc), "--format", "json")
    data = json.loads(out)
    assert data["route"] == "monte-carlo" and data["exact_route"] is False and "exact" not in data
    assert data["stderr"] == 0.01 and data["samples"] == 200_000 and data["seed"] == 0


@pytest.mark.parametrize("layers, match", [
    ([], r"--params: layers: expected a non-empty JSON array"),
    ("V", r"--params: layers: expected a non-empty JSON array"),
    ([{"V": E_Y, "Q": E_X}] * 4, r"--params: layers: expected at most 3 layers \(deeper than supported\)"),
    ([{"V": E_Y}], r"--params: layers\[0\]: expected an object with keys V and Q, got keys V"),
    ([{"V": E_Y, "Q": E_X}, {"V": [[0] * 4] * 4, "Q": [[0] * 4] * 4}], r"--params: layers\[1\]\.V: .*mixed sizes"),
    ([{"V": E_Y, "Q": [[0, 0], [0, 1]]}], r"--params: layers\[0\]\.Q: expected a 3x3 matrix"),
    ([{"V": [[0, 0, 0], [0, 0], [0, 0, 1]], "Q": E_X}], r"--params: layers\[0\]\.V: expected a 3x3"),
    ([{"V": E_Y, "Q": [[0, 0, 0], [0, "nan", 0], [0, 0, 0]]}], r"--params: layers\[0\]\.Q: expected"),
])
def test_bad_layer_lists_one_line_exit_2_before_work(capsys, fake, tmp_path, layers, match):
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, layers))
    assert status == 2 and out == ""
    import re
    assert re.search(match, err), err
    assert len(err.strip().splitlines()) == 1
    assert not fake.calls


def test_v_and_q_beside_layers_are_refused(capsys, fake, tmp_path):
    status, _, err = run(capsys, "error", "--params", _file(tmp_path, [{"V": E_Y, "Q": E_X}], V=E_Y))
    assert status == 2 and "unknown key V" in err and not fake.calls


# ----------------------------------------------------------------------------- for real

def test_class_file_equals_the_concrete_engine(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ICL_FINETUNE_CACHE", "off")
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, CLASS, n=2), "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["route"] == "class"
    want = concrete_depth_error(_exact_layers(CLASS), n=2, theta=[1], Sigma=[[1]], sigma2=sp.Rational(1, 10))
    assert sp.sympify(data["exact"]) == want


def test_one_layer_list_is_the_one_layer_file(capsys, tmp_path):
    status, out, _ = run(capsys, "error", "--params", _file(tmp_path, [{"V": E_Y, "Q": E_X}]), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["route"] == "one-layer" and sp.sympify(data["exact"]) == sp.Rational(7, 8)   # docs/cli.md's example


def test_general_file_is_monte_carlo_and_agrees_with_the_concrete_engine(capsys, tmp_path):
    """|z| <= 4 (numeric.testing's rule) between the labelled Monte Carlo value (50,000 prompts) and the
    concrete engine's exact value (0.67129...; relative standard error 0.76%). Measured at this setting
    over 300 seeds (1000..1299): 0 false alarms (|z| > 3 in 2, |z| > 2 in 11, as a normal z gives);
    power against the exact value off by +2% / -2%: 41 / 21 of 300, by +1%: 3 of 300; over 300 fresh
    seeds (5000..5299): 0 false alarms, power against +5% / -5%: 283 / 298 of 300."""
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, GENERAL, n=2), "--format", "json",
                           "--samples", "50000", "--seed", "1")
    assert status == 0, err
    data = json.loads(out)
    assert data["route"] == "monte-carlo" and data["exact_route"] is False and data["arithmetic"] == "float64"
    want = float(concrete_depth_error(_exact_layers(GENERAL), n=2, theta=[1], Sigma=[[1]], sigma2=sp.Rational(1, 10)))
    z = (data["error"] - want) / data["stderr"]
    assert abs(z) <= DEFAULT_Z, (data, want, z)


# ----------------------------------------------------------------------------- hostile inputs

BIG = "1e200"
BIG_CLASS = [{"V": [[0, 0, 0], [0, 0, 0], [0, 0, BIG]], "Q": [[0, 0, 0], [0, BIG, 0], [0, 0, 0]]}] * 2


@pytest.mark.parametrize("layers", [BIG_CLASS[:1], BIG_CLASS], ids=["one-layer", "class"])
def test_float_overflow_is_refused_with_the_mp_remedy(capsys, tmp_path, layers):
    """Entries of 1e200 give an error near 1e1601: in float64 one line naming mp (was: a traceback,
    Python's OverflowError of a float power); in mp its value, as in exact arithmetic."""
    path = _file(tmp_path, layers)
    status, out, err = run(capsys, "error", "--params", path, "--arithmetic", "float")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "exceeds float64's range" in err and "--arithmetic mp" in err
    status, out, err = run(capsys, "error", "--params", path, "--arithmetic", "mp", "--format", "json")
    assert status == 0, err
    assert json.loads(out)["error"] is None or float(json.loads(out)["error"]) > 1e300


def test_monte_carlo_overflow_is_refused_not_nan(capsys, tmp_path):
    """Outside the class with entries of 1e200 the float64 forward pass overflows: one line, exit 2
    (was: "= nan +- nan" and numpy's RuntimeWarnings)."""
    big = [{"V": [[0, 0, 0], [BIG, 0, 0], [0, 0, BIG]], "Q": [[0, 0, 0], [BIG, BIG, 0], [0, 0, 0]]}] * 2
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, big), "--samples", "2")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "float64's range" in err and "nan" not in err


def test_monte_carlo_work_is_bounded_before_work(capsys, tmp_path, monkeypatch):
    """The default 200,000 samples at n = 10,000 (about two minutes of CPU, unasked) are refused
    before any sampling, naming --samples and the most that fit; the Monte Carlo route runs outside
    the exact CPU budget (it is float64 and bounded up front)."""
    import numeric.depth
    import proofs.cli.budget

    def boom(*a, **k):
        raise AssertionError("sampled")
    monkeypatch.setattr(numeric.depth, "estimate_error_depth", boom)
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, GENERAL, n=10_000))
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.count("--samples") == 2 and "at most 22220 samples" in err
    released = []
    monkeypatch.setattr(proofs.cli.budget, "release", lambda: released.append(1))
    status, _, err = run(capsys, "error", "--params", _file(tmp_path, GENERAL, n=10_000), "--samples", "22221")
    assert status == 2 and released == [1], err


def test_slow_uncached_class_is_monte_carlo_unless_derive_is_asked(capsys, tmp_path, monkeypatch):
    """L = 3 with values in layer 1 (about a minute of CPU to derive cold, more than the exact budget):
    with an empty cache the command answers the labelled Monte Carlo estimate at once, naming why and
    --derive, outside the exact budget; the estimate agrees with the literal engine's exact value; with
    --derive the derivation runs (here a stand-in: the real one costs a minute), announced on stderr and
    outside the budget. The Python API's default derives."""
    import proofs.cli.budget
    import symbolic.depth
    monkeypatch.setenv("ICL_FINETUNE_CACHE", str(tmp_path / "cache"))
    layers = [{"V": [[0, 0, 0], [0, 0, 0], ["1/10", "1/5", 1]], "Q": [[0, 0, 0], [0, "-1/4", 0], [0, 0, 0]]},
              {"V": E_Y, "Q": [[0, 0, 0], [0, "-1/4", 0], [0, 0, 0]]},
              {"V": E_Y, "Q": [[0, 0, 0], [0, "1/2", 0], [0, 0, 0]]}]
    released = []
    monkeypatch.setattr(proofs.cli.budget, "release", lambda: released.append(1))

    def derived(L, *, values_in=None, **kw):
        raise RuntimeError(f"derivation asked: L = {L}, values in {values_in}")
    monkeypatch.setattr(symbolic.depth, "class_error", derived)
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, layers), "--samples", "4000",
                           "--format", "json")
    assert status == 0 and released == [1], err
    data = json.loads(out)
    assert data["route"] == "monte-carlo" and "not derived on this machine yet" in data["label"]
    assert "--derive" in data["label"] and "values in layer 1)" in data["label"]
    exact = float(concrete_depth_error(_exact_layers(layers), n=1, theta=[1], Sigma=[[1]], sigma2=sp.Rational(1, 10)))
    assert abs(data["error"] - exact) <= DEFAULT_Z * data["stderr"], (data, exact)
    released.clear()
    with pytest.raises(RuntimeError, match=r"derivation asked: L = 3, values in \(1,\)"):
        run(capsys, "error", "--params", _file(tmp_path, layers), "--derive")
    assert released == [1] and "deriving the class closed form at L = 3" in capsys.readouterr().err
    from proofs import api
    with pytest.raises(RuntimeError, match="derivation asked"):
        api.depth_error([(sp.Matrix(l["V"]), sp.Matrix(l["Q"])) for l in layers], [1], [[1]], sp.Rational(1, 10), 1)


def test_params_json_output_is_accepted_as_a_layer(capsys, tmp_path):
    """What the toolkit writes it reads back: ``params --format json`` as a layer (its other keys ignored, as
    in a one-layer file; a layer with them was refused before) gives the one-layer file's value."""
    status, out, err = run(capsys, "params", "--strategy", "value", "--d", "1", "--format", "json")
    assert status == 0, err
    layer = json.loads(out)
    setting = {"theta": [1], "Sigma": [[1]], "sigma2": "1/10", "n": 1}
    one = tmp_path / "one.json"
    one.write_text(json.dumps({**layer, **setting}))
    status, out, err = run(capsys, "error", "--params", _file(tmp_path, [layer]), "--format", "json")
    assert status == 0, err
    depth = json.loads(out)
    status, out, err = run(capsys, "error", "--params", str(one), "--format", "json")
    assert status == 0, err
    assert depth["route"] == "one-layer" and sp.sympify(depth["exact"]) == sp.sympify(json.loads(out)["exact"])
