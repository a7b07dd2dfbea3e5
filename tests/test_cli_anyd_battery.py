"""Bad input at any d, in the pattern of tests/test_cli_battery.py.

Each case runs ``icl-finetune`` in-process and asserts: exit status 2 (3 where a path is not
implemented), one line ``icl-finetune SUB: error: ...`` naming the option, no traceback, within
the hang guard. Files at d = 1,000 are ``.npy`` (8 MB): non-symmetric, not positive definite,
NaN and inf entries, object and complex dtypes, a pickle, a truncated file, a theta_0 of the
wrong length; ``--precision`` 0, -1, abc, 10^9; exact arithmetic asked above d = 10; mp above
its bound. And what must be accepted: an exactly positive-definite Sigma whose entries are
so close to 1 that float64 rounds it to a singular matrix (checked exactly at small d).
"""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from test_cli_battery import hang_guard
from test_cli_fakes import run

CURVE = ["curve", "--strategy", "value", "--task", "target", "--n", "0:3"]
D = 1000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("anyd")
    rng = np.random.default_rng(0)
    A = rng.standard_normal((D, D))
    good = A @ A.T / D + np.eye(D)
    out = {}

    def save(name, arr):
        np.save(root / name, arr, allow_pickle=True)
        out[name] = str(root / name)

    asym = good.copy()
    asym[3, 7] += 1e-3
    save("asym.npy", asym)
    save("notpd.npy", good - 2.5 * np.eye(D) * np.max(np.linalg.eigvalsh(good)))
    nan = good.copy()
    nan[5, 5] = np.nan
    save("nan.npy", nan)
    inf = good.copy()
    inf[0, 1] = inf[1, 0] = np.inf
    save("inf.npy", inf)
    save("object.npy", np.array([[1, 0], [0, "x"]], dtype=object))
    save("complex.npy", np.eye(3, dtype=complex))
    save("rect.npy", np.ones((3, 4)))
    save("theta_short.npy", np.ones(D - 1))
    save("good.npy", good)
    (root / "truncated.npy").write_bytes((root / "good.npy").read_bytes()[:5000])
    out["truncated.npy"] = str(root / "truncated.npy")
    with open(root / "pickle.npy", "wb") as handle:
        pickle.dump({"a": 1}, handle)
    out["pickle.npy"] = str(root / "pickle.npy")
    eps = "0.99999999999999999999"  # 1 - 1e-20: exactly PD, singular once rounded to float64
    (root / "near1.json").write_text(f"[[1, {eps}], [{eps}, 1]]")
    out["near1.json"] = str(root / "near1.json")
    (root / "nan.json").write_text(json.dumps([[1.0, 0.0], [0.0, 1.0]]).replace("1.0, 0.0]", "NaN, 0.0]", 1))
    out["nan.json"] = str(root / "nan.json")
    return out


def refused(capsys, argv, fragment, status=2):
    with hang_guard(60):
        code, out, err = run(capsys, *argv)
    assert code == status, (code, err)
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"icl-finetune {argv[0]}: error: "), err
    assert fragment in err, err
    return err


@pytest.mark.parametrize("name, option, fragment", [
    ("asym.npy", "--Sigma", "symmetric"),
    ("notpd.npy", "--Sigma", "positive definite"),
    ("nan.npy", "--Sigma", "expected finite numbers, got nan at [5][5]"),
    ("inf.npy", "--Sigma", "expected finite numbers, got inf"),
    ("object.npy", "--Sigma", "got dtype |O"),
    ("complex.npy", "--Sigma", "got dtype <c16"),
    ("rect.npy", "--Sigma", "expected a d x d matrix, got an array of shape (3, 4)"),
    ("truncated.npy", "--Sigma", "shorter than its header"),
    ("pickle.npy", "--Sigma", "not a valid .npy file"),
    ("good.npy", "--theta0", "expected a vector of d numbers"),
    ("nan.json", "--Sigma", "not a finite number"),
])
def test_bad_sigma_and_theta0_files(capsys, files, name, option, fragment):
    refused(capsys, [*CURVE, option, files[name]], f"{option}: ")
    refused(capsys, [*CURVE, option, files[name]], fragment)


def test_theta0_of_the_wrong_length(capsys, files):
    refused(capsys, [*CURVE, "--Sigma", files["good.npy"], "--theta0", files["theta_short.npy"]],
            "expected the same dimension d everywhere")


@pytest.mark.parametrize("value, fragment", [
    ("0", "expected an integer >= 1"), ("-1", "expected an integer >= 1"), ("abc", "expected an integer"),
    ("1000000000", "expected an integer at most 10000"), ("1e3", "expected an integer"),
])
def test_bad_precision(capsys, value, fragment):
    refused(capsys, [*CURVE, "--precision", value], f"--precision: {fragment}")


def test_arithmetic_bounds(capsys):
    refused(capsys, [*CURVE, "--d", "11", "--arithmetic", "exact"], "exact arithmetic is limited to d <= 10")
    refused(capsys, [*CURVE, "--d", "129", "--arithmetic", "mp"], "mp is limited to d <= 128")
    refused(capsys, [*CURVE, "--arithmetic", "fast"], "--arithmetic: expected one of exact, float, mp")
    refused(capsys, [*CURVE, "--d", "4097"], "--d: expected an integer at most 4096")
    refused(capsys, ["params", "--strategy", "value", "--d", "11"], "--sigma2: needed with float arithmetic")


def test_frontier_above_the_exact_bound_runs_in_float(capsys):
    with hang_guard(120):
        code, out, err = run(capsys, "frontier", "--n-ft", "5", "--lambda", "0,1,inf", "--d", "11", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["settings"]["arithmetic"] == "float" and all(c["holds"] for c in data["checks"])
    assert "exact" not in data["rows"][0]


def test_an_exactly_positive_definite_sigma_near_singular_in_float_is_accepted(capsys, files):
    with hang_guard(60):
        code, out, err = run(capsys, *CURVE, "--Sigma", files["near1.json"], "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["arithmetic"] == "exact" and data["settings"]["d"] == 2


def test_large_d_runs_and_says_float(capsys, files):
    with hang_guard(120):
        code, out, err = run(capsys, "curve", "--strategy", "value-fewshot", "--task", "opposite", "--n", "0:3",
                             "--Sigma", files["good.npy"], "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["arithmetic"] == "float" and data["settings"]["arithmetic"] == "float64"
    assert "exact" not in data and len(data["error"]) == 4
