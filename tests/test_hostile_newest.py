"""The hostile classes of the newest features: each ends as the contract says.

The contract: an answer, or one line and the documented exit status (2 bad usage, 3 not available
here), within seconds, in bounded memory, no partial file, never a silently wrong number; the API
raises a ValueError or TypeError naming the argument. Each case below was a traceback, a memory
error, a silently wrong number or a misleading message before; each test fails on that code.
"""
from __future__ import annotations

import json
import resource
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from proofs import api
from proofs.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err: str, sub: str) -> None:
    assert err.count("\n") == 1 and err.startswith(f"icl-finetune {sub}: error: ") and "Traceback" not in err, err


# ----------------------------------------------------------------------------- files

def test_npy_header_claiming_gigabytes_is_refused_before_it_is_read(tmp_path):
    """A version-2 .npy whose header length field says 4 GiB: NumPy would allocate it (a
    MemoryError under an address-space cap); it is refused from the length field, in a process
    capped at 1 GB of address space."""
    path = tmp_path / "big.npy"
    path.write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1)
                     + b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }")
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30));"
            "from proofs.cli import main;"
            f"sys.exit(main(['curve', '--strategy', 'value', '--task', 'target', '--n', '0:1', '--d', '2', "
            f"'--theta0', {str(path)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    one_line(done.stderr, "curve")
    assert "header claims" in done.stderr


def test_longdouble_beyond_float64_is_refused_without_a_warning(capsys, tmp_path):
    path = tmp_path / "ld.npy"
    np.save(path, np.array([np.longdouble("1e400"), 1], dtype=np.longdouble))
    status, out, err = run(capsys, "curve", "--strategy", "value", "--task", "target", "--n", "0:1", "--d", "2",
                           "--theta0", str(path))
    assert status == 2 and out == ""
    one_line(err, "curve")
    assert "finite" in err


# ----------------------------------------------------------------------------- numbers too long to print

@pytest.mark.parametrize("weight", [10**10000, Fraction(1, 10**10000), sp.Integer(10) ** 10000],
                         ids=["int", "Fraction", "sympy Integer"])
def test_a_weight_too_long_to_print_names_the_argument_in_one_line(weight):
    from symbolic import derive
    with pytest.raises(ValueError) as info:
        derive(train=["vx"], loss=[(weight, 0, "target")])
    message = str(info.value)
    assert message.startswith("loss[0].weight: ") and "\n" not in message and len(message) < 300, message


def test_a_matrix_task_is_named_on_one_line():
    from symbolic import derive
    with pytest.raises(ValueError) as info:
        derive(train=["vx"], loss=[(1, 0, sp.Matrix([1, 0]))])
    assert str(info.value).startswith("loss[0].task: ") and "\n" not in str(info.value)


def test_frontier_takes_a_thousand_long_fractions(capsys):
    from proofs.cli.frontier import MAX_LAMBDAS, parse_lambdas
    text = ",".join(["1234567890123456789/1234567890123456789012"] * MAX_LAMBDAS)
    assert len(parse_lambdas(text)) == MAX_LAMBDAS


# ----------------------------------------------------------------------------- precision

def test_the_largest_precision_warns_without_overflow():
    """10^(precision/2) overflowed a float above 616 digits (the condition warning's threshold)."""
    from symbolic.arithmetic import MP
    assert MP(10_000).condition_warning(1e20) is None
    assert "condition number" in MP(10).condition_warning(1e20)


# ----------------------------------------------------------------------------- silently wrong

def _params_file(tmp_path, big: float) -> Path:
    d = 20
    V = [[0] * (d + 2) for _ in range(d + 2)]
    Q = [[0] * (d + 2) for _ in range(d + 2)]
    V[d + 1][1], V[d + 1][d + 1] = big, 1
    for i in range(1, d + 1):
        Q[i][i] = 1
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"V": V, "Q": Q, "theta": [1] + [0] * (d - 1),
                                "Sigma": [[int(i == j) for j in range(d)] for i in range(d)], "sigma2": 0.1, "n": 3}))
    return path


def test_float_overflow_is_refused_with_the_remedy_and_mp_answers(capsys, tmp_path):
    """v_x[1] = 1e200 at d = 20 (float by default): the error is about 4.6e401, beyond float64. It
    was printed as nan (JSON null); now float refuses, naming mp, and mp gives the value."""
    path = _params_file(tmp_path, 1e200)
    status, out, err = run(capsys, "error", "--params", str(path), "--format", "json")
    assert status == 2 and out == ""
    one_line(err, "error")
    assert "--arithmetic" in err and "mp" in err
    status, out, _ = run(capsys, "error", "--params", str(path), "--arithmetic", "mp", "--format", "json")
    assert status == 0
    import mpmath
    value = mpmath.mpf(json.loads(out)["digits"])  # E = sigma^2 + ... + 1e400 * (a few): an exact 4.575e401
    assert mpmath.mpf("4e401") < value < mpmath.mpf("5e401")


def test_api_exact_error_refuses_overflow_instead_of_nan():
    d = 20
    V, Q = np.zeros((d + 2, d + 2)), np.eye(d + 2)
    V[d + 1, 1], V[d + 1, d + 1] = 1e200, 1
    with pytest.raises(ValueError, match="arithmetic: .*float64's range"):
        api.exact_error(V, Q, np.eye(d)[0], np.eye(d), 0.1, 3)
    import mpmath
    assert api.exact_error(V, Q, np.eye(d)[0], np.eye(d), 0.1, 3, arithmetic="mp") > mpmath.mpf("1e400")


@pytest.mark.parametrize("call, name", [
    (lambda: api.params("value", d=20, sigma2=0.1, Sigma=(2 + 1j) * np.eye(20)), "Sigma"),
    (lambda: api.curve("value", "target", [0], d=20, sigma2=0.1, theta0=np.array([1 + 2j] + [0] * 19)), "theta0"),
    (lambda: api.frontier([1], n_ft=5, d=20, sigma2=0.1, Sigma=(2 + 1j) * np.eye(20)), "Sigma"),
    (lambda: api.exact_error((1 + 1j) * np.eye(22), np.eye(22), np.ones(20), np.eye(20), 0.1, 3), "V"),
    (lambda: api.exact_error(sp.Matrix(4, 4, lambda i, j: 1 + sp.I), sp.eye(4), [1, 0], sp.eye(2), 0.1, 3), "V"),
], ids=["params Sigma", "curve theta0", "frontier Sigma", "error V float", "error V exact"])
def test_complex_inputs_are_refused_naming_the_argument(call, name):
    """Complex entries used to lose their imaginary part with only a ComplexWarning (float) or
    fail with a message naming no argument (exact)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as info:
            call()
    assert str(info.value).startswith(f"{name}: "), info.value


@pytest.mark.parametrize("kw, name", [
    (dict(task=[float("nan"), 0, 0]), "task"), (dict(level=float("nan")), "level"), (dict(m=0), "m"),
    (dict(d=5000), "d"), (dict(eta=None), "eta"), (dict(d=200, arithmetic="exact"), "arithmetic"),
])
def test_the_trajectory_api_holds_the_command_lines_bounds(kw, name):
    """proofs.api.trajectory refuses what the command line refuses (task NaN returned 0 rows, level
    NaN 'never', m = 0 an answer, d = 5000 ran 14 s at 3.5 GB, eta None an AttributeError)."""
    args = dict(eta=0.01, steps=10, d=3, sigma2=0.1)
    args.update(kw)
    with pytest.raises((ValueError, TypeError)) as info:
        api.trajectory("value", **args)
    assert str(info.value).startswith(f"{name}: "), info.value


# ----------------------------------------------------------------------------- options given and not used

def test_a_setting_given_to_a_closed_form_derive_is_said_unused(capsys, tmp_path):
    sigma = tmp_path / "S.json"
    sigma.write_text("[[2, 1], [1, 2]]")
    status, out, err = run(capsys, "derive", "--spec", str(ROOT / "docs/examples/specs/query-xx.json"),
                           "--Sigma", str(sigma))
    assert status == 0 and "strategy" in out
    assert "not used" in err and "--Sigma" in err


# ----------------------------------------------------------------------------- output paths, before the work

def test_figure_trajectory_checks_its_twin_file_before_any_work(capsys, tmp_path):
    """figure --trajectory writes out.png and out.pdf: with out.pdf a folder it trained, drew, then
    failed and left out.png behind; now it is refused first and nothing is written."""
    pytest.importorskip("matplotlib")
    (tmp_path / "f.pdf").mkdir()
    status, out, err = run(capsys, "figure", "--trajectory", "--quick", "--out", str(tmp_path / "f.png"))
    assert status == 2
    one_line(err, "figure")
    assert "directory" in err and not (tmp_path / "f.png").exists()


# ----------------------------------------------------------------------------- work refused before it starts

def test_a_numeric_optimum_too_large_for_its_budget_is_refused_up_front(capsys, tmp_path):
    """All of V and Q at d = 10 (144 entries) ran 30 s of CPU, then exit 3 naming 'an explicit start,
    many tasks or terms' the spec does not have; now one line, exit 2, at once."""
    spec = tmp_path / "all.json"
    spec.write_text(json.dumps({"train": ["v0", "vx", "vy", "Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx"],
                                "loss": [{"n": 0, "task": "target"}, {"n": 5, "task": "target"}]}))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    status, out, err = run(capsys, "derive", "--spec", str(spec), "--numeric", "--d", "10")
    assert status == 2 and out == ""
    one_line(err, "derive")
    assert "144" in err and "48" in err
    assert resource.getrusage(resource.RUSAGE_SELF).ru_utime - before < 5


# ----------------------------------------------------------------------------- a billion steps

@pytest.mark.parametrize("argv, fragment", [
    (["--level", "0.5", "--lr", "1e-9"], "zero-shot crosses 0.5: at step 5856"),
    (["--lr", "0.015873015935476"], "diverges: from step 8997"),
], ids=["crossing", "divergence"])
def test_crossings_and_divergence_over_a_billion_steps_in_bounded_memory(argv, fragment):
    """The crossing search built one array over the whole bracket (7.45 GiB at --every 10^9) and the
    divergence scan checked every step (58 s); both are now found by narrowing the bracket, here in a
    process capped at 1 GB of address space. The crossing is ln((1/2 - 29/90) 9/7) / (2 ln(1 - 126e-9))
    = 5,856,7xx steps: (c)'s zero-shot error 7/9 (1 - eta h)^(2t) + 29/90 at d = 5."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30));"
            "from proofs.cli import main;"
            f"sys.exit(main(['trajectory', '--strategy', 'value', '--steps', '1000000000', '--every', '1000000000', "
            f"*{argv!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert fragment in done.stdout, done.stdout


def test_compare_mixed_side_in_float_at_finite_m_scales_with_theta0():
    """At sigma^2 = 0 every error is homogeneous of degree 2 in theta_0 (the minimiser's v_0, v_x scale
    with theta_0, v_y not), so theta_0 = 1e150 e_1 must give 1e300 times the levels of e_1. The mixed side
    at a finite m in float64 gave a constant curve at the start's level instead (its pencil's entries span
    ||theta_0||^4 and eigh lost every digit): a silently wrong comparison."""
    from proofs.quantities.compare import compare
    kw = dict(left="point:value", right="mixed:5", d=2, sigma2=0, m=3, arithmetic="float", levels=0,
              columns=["inf:target"])
    small = compare(theta0=[1, 0], **kw).sides["right"]["levels"]
    big = compare(theta0=[10**150, 0], **kw).sides["right"]["levels"]
    assert small[1] > 5 * small[0]
    assert np.allclose(np.array(big, dtype=float) / 1e300, np.array(small, dtype=float), rtol=1e-8, atol=0)


def test_curve_of_a_depth_spec_without_a_closed_form_says_so(capsys, tmp_path):
    """curve --spec of whole matrices at depth: exit 3 naming --spec and 'no closed form' (it said
    'not implemented yet', as if the toolkit lacked a feature rather than the question a closed form)."""
    path = tmp_path / "full.json"
    path.write_text(json.dumps({"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]}))
    status, _, err = run(capsys, "curve", "--spec", str(path), "--d", "1", "--n", "0:2", "--task", "target")
    assert status == 3
    one_line(err, "curve")
    assert err.startswith("icl-finetune curve: error: --spec: no closed form: spec 'spec': trains V1.all"), err


def test_extension_11_evaluate_names_d_when_d_is_too_large():
    """evaluate(d=5) named Sigma, an argument the call did not give."""
    from proofs import get_result
    with pytest.raises(ValueError, match=r"^d: .*expected d <= 4 .*got d = 5"):
        get_result("depth-full-fine-tuning").evaluate(d=5, sigma2=Fraction(1, 10))


def test_trajectory_numeric_of_a_depth_spec_points_to_derive(capsys, tmp_path):
    """trajectory --spec (whole matrices at depth) --numeric said 'every other strategy here has a closed
    form', false for this spec; now it names derive --spec --numeric."""
    path = tmp_path / "full.json"
    path.write_text(json.dumps({"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]}))
    status, _, err = run(capsys, "trajectory", "--spec", str(path), "--d", "1", "--lr", "0.1", "--steps", "3",
                         "--numeric")
    assert status == 2
    one_line(err, "trajectory")
    assert "derive --spec FILE --numeric" in err and "has a closed form" not in err, err


@pytest.mark.parametrize("numeric", ["no", 1, None])
def test_solve_numeric_must_be_a_bool(numeric):
    """api.solve(numeric="no") ran the numeric descent (a truthy string): refused naming numeric."""
    with pytest.raises(TypeError, match=r"^numeric: expected True or False"):
        api.solve("value", numeric=numeric, d=1, sigma2=Fraction(1, 10))


def test_a_json_dict_given_to_solve_with_steps_is_refused_as_the_question():
    """api.solve(a JSON dict, steps=5) said 'steps: only for a depth spec training whole matrices' of a
    dict that trains whole matrices; the question itself is what is wrong (read_spec builds a spec)."""
    spec = {"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]}
    with pytest.raises(ValueError, match=r"^strategy: expected one of"):
        api.solve(spec, numeric=True, steps=5, d=1, sigma2=Fraction(1, 10))


def test_params_of_whole_matrices_at_depth_points_to_derive_numeric():
    """params of a spec training whole matrices said 'trajectory --spec follows them', which exits 3 for it;
    the refusal now names derive's --numeric route too."""
    from symbolic.depth_spec import read_spec
    spec = read_spec({"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]})
    with pytest.raises(ValueError, match=r"parameters are per layer; 'derive --spec' prints them .*--numeric"):
        api.params(spec, d=1)


def test_latex_of_a_quartic_depth_spec_is_refused_before_the_optimiser(capsys, tmp_path, monkeypatch):
    """derive --numeric --format latex of a quartic spec at depth ran BFGS first (17 s at L = 3, d = 3),
    then refused latex."""
    import proofs.quantities.depth_numeric as dn

    def never(*args, **kwargs):
        raise AssertionError("the optimiser ran before --format latex was refused")
    monkeypatch.setattr(dn, "depth_numeric_optimum", never)
    path = tmp_path / "product.json"
    path.write_text(json.dumps({"layers": 2, "train": ["V1.vx", "V2.vy"], "loss": [{"n": 0, "task": "target"}]}))
    status, _, err = run(capsys, "derive", "--spec", str(path), "--numeric", "--d", "1", "--format", "latex")
    assert status == 2
    one_line(err, "derive")
    assert "--format: latex is for closed forms" in err
