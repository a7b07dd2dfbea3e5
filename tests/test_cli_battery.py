"""The bad-input battery: every subcommand and option, as a hostile user would try them.

Each case runs ``icl-finetune`` in-process (subprocesses only for what needs a real process:
closed or full standard streams, a missing extra) and asserts the documented contract:

- the exit status of docs/cli.md (2 for bad usage or an environment problem, 3 for a
  missing extra);
- no ``Traceback`` anywhere, and an error is exactly one line, ``icl-finetune SUB: error: ...``,
  naming the option (or the file and the OS error);
- bad input is refused before any work: the (fake) backend was not called.

A guard (SIGALRM, 30 s) turns a hang into a failure; it is not a timing test.

The classes: the values of every value option (empty, blank, garbage, negative, huge,
absurd exponents, nan/inf, fractions, unicode, NUL characters, a 5000-digit number); missing
and unknown options and arguments; files that are missing, directories, FIFOs, devices,
too large, not UTF-8, not JSON, deeply nested, with NaN, out-of-range numbers, strings,
wrong shapes, too large a d; output paths that cannot be written; closed or full standard
streams; a missing optional extra; and the Python API's arguments.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from proofs import cli
from test_cli_fakes import install, run

ROOT = Path(__file__).resolve().parents[1]
CURVE = ["curve", "--strategy", "value", "--task", "target", "--n", "0:3"]
PARAMS = ["params", "--strategy", "value", "--d", "2"]
SETTING_SUBS = {"params": PARAMS, "curve": CURVE}


@contextlib.contextmanager
def hang_guard(seconds: int = 30) -> Iterator[None]:
    """Fail (rather than hang the suite) when a case runs longer than ``seconds``."""
    def alarm(*_):
        raise TimeoutError(f"the case ran longer than {seconds} s")

    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not on this platform
        yield
        return
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_refusal(status: int, out: str, err: str, sub: str | None, fragment: str | None,
                  expected: int = 2) -> None:
    """The contract for a refused command: status, one line, the prefix, no traceback."""
    assert status == expected, (status, err)
    assert "Traceback" not in out + err
    prog = "icl-finetune" + (f" {sub}" if sub else "")
    assert err.startswith(f"{prog}: error: "), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert len(err) < 400, err  # one short line, even for a 5000-digit input
    if fragment is not None:
        assert fragment in err, err


# ----------------------------------------------------------------------------- option values

#: values tried on every value option (a few are valid for some options; those are filtered)
HOSTILE_VALUES = ["", " ", "x", "-1", "-0", "0", "1.5", "1e400", "1e999999999", "1e-400", "nan", "inf",
                  "-inf", "1/0", "2/3", "0x10", "1_000", "١٢", "5\x00", "9" * 5000, "10**30",
                  "1000000000000000000000000000000"]

#: the value options of every subcommand, with what a valid value looks like there
OPTIONS = {
    "prove": {"--format": ["text", "json"]},
    "table": {"--format": ["text", "markdown", "latex", "json"]},
    "params": {"--strategy": None, "--d": None, "--sigma2": None, "--m": None, "--n-ft": None,
               "--scale": None, "--Sigma": None, "--theta0": None, "--format": ["text", "latex", "json"]},
    "curve": {"--strategy": None, "--task": None, "--n": None, "--d": None, "--sigma2": None, "--m": None,
              "--n-ft": None, "--scale": None, "--Sigma": None, "--theta0": None, "--format": ["text", "json"]},
    "error": {"--params": None, "--format": ["text", "json"]},
    "verify": {"--samples": None, "--seed": None, "--format": ["text", "json"]},
    "figure": {"--out": None, "--seed": None, "--closeness": None, "--checkpoints": None},
    "latex": {"--out": None},
}
BASE = {"prove": ["prove"], "table": ["table"], "params": ["params", "--strategy", "c"], "curve": CURVE,
        "error": ["error", "--params", "P"], "verify": ["verify"], "figure": ["figure"], "latex": ["latex"]}


#: the HOSTILE_VALUES that are legitimate for an option (the rest must be refused)
VALID = {
    "--m": {"0", "-0", "inf"},
    "--n-ft": {"inf"},
    "--seed": {"0", "-0"},
    "--sigma2": {"0", "-0", "1.5", "2/3", "1000000000000000000000000000000"},
    "--scale": {"-1", "1.5", "2/3", "1000000000000000000000000000000"},
}
#: options whose hostile values are tried only where they cannot name a usable file
#: (``latex --out x`` legitimately writes ./x; ``--checkpoints x`` would start a training)
FILE_NAME_ONLY = {"--out": {"", " ", "5\x00"}, "--checkpoints": {"", " ", "5\x00"}}


def _valid(sub: str, option: str, value: str) -> bool:
    """Whether ``value`` is a legitimate value of ``option`` (then it is not a bad-input case)."""
    if option in FILE_NAME_ONLY and (sub == "latex" or option == "--checkpoints"):
        return value not in FILE_NAME_ONLY[option]
    return value in VALID.get(option, set())


def _battery() -> list[tuple[list[str], str, int, str | None]]:
    cases: list[tuple[list[str], str, int, str | None]] = []
    for sub, options in OPTIONS.items():
        for option in options:
            for value in HOSTILE_VALUES:
                if _valid(sub, option, value):
                    continue
                argv = [a for a in BASE[sub]]
                if option in argv:
                    i = argv.index(option)
                    argv[i + 1] = value
                else:
                    argv += [option, value]
                cases.append((argv, sub, 2, option + ":"))
    return cases


def _argv_with_files(argv: list[str], files: dict[str, str]) -> list[str]:
    return [files.get(a, a) for a in argv]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Input files of every kind, good and bad, made once."""
    root = tmp_path_factory.mktemp("battery")

    def put(name: str, content: str | bytes) -> str:
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    good = {"V": [[0] * 4] * 3 + [[0, "1/6", 0, 1]], "Q": [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0] * 4],
            "theta": [1, 0], "Sigma": [[1, 0], [0, 1]], "sigma2": "1/10", "n": 2}
    out = {
        "P": put("params.json", json.dumps(good)),
        "GOOD_SIGMA": put("sigma.json", "[[1, 0], [0, 1]]"),
        "DEEP": put("deep.json", "[" * 100_000 + "]" * 100_000),
        "DEEPISH": put("deepish.json", "[" * 500 + "1" + "]" * 500),
        "BIGNUM": put("bignum.json", "[[1e400, 0], [0, 1]]"),
        "HUGEEXP": put("hugeexp.json", "[[1e999999999, 0], [0, 1]]"),
        "TINY": put("tiny.json", "[[1e-400, 0], [0, 1]]"),
        "NAN": put("nan.json", "[[NaN, 0], [0, 1]]"),
        "STRINGS": put("strings.json", '[["1", "zero"], ["0", "1"]]'),
        "SYMBOLIC": put("symbolic.json", '[["sigma**2", 0], [0, 1]]'),
        "BOOL": put("bool.json", "[[true, 0], [0, 1]]"),
        "EMPTY": put("empty.json", ""),
        "BLANK": put("blank.json", "   \n"),
        "BOM": put("bom.json", b"\xef\xbb\xbf[[1, 0], [0, 1]]"),
        "LATIN1": put("latin1.json", b"[[1, 0], [0, 1]] \xe9"),
        "BINARY": put("binary.json", bytes(range(256))),
        "OBJECT": put("object.json", '{"Sigma": [[1]]}'),
        "SCALAR": put("scalar.json", "5"),
        "NULL": put("null.json", "null"),
        "EMPTYLIST": put("emptylist.json", "[]"),
        "RAGGED": put("ragged.json", "[[1, 0], [0]]"),
        "BIG_D": put("bigd.json", json.dumps([[1]] * 4097)),  # d = 4097 > MAX_D, refused before its shape
        "LONG_THETA": put("longtheta.json", json.dumps([0] * 100_000)),
        "BIGINT": put("bigint.json", "[[" + "9" * 5000 + ", 0], [0, 1]]"),
        "NEG": put("neg.json", "[[-1, 0], [0, 1]]"),
        "ASYM": put("asym.json", "[[1, 0.5], [0, 1]]"),
        "DUP": put("dup.json", '{"V": 1, "V": 2}'),
        "KEYS": put("keys.json", json.dumps({**good, **{f"k{i}": i for i in range(1000)}})),
        "P_SYMBOLIC": put("p_symbolic.json", json.dumps({**good, "V": [[0] * 4] * 3 + [[0, "sigma**2", 0, 1]]})),
        "P_N_FLOAT": put("p_nfloat.json", json.dumps({**good, "n": 2.5})),
        "P_N_HUGE": put("p_nhuge.json", json.dumps({**good, "n": 10**13})),
        "P_BIG_V": put("p_bigv.json", json.dumps({**good, "V": [[0] * 4] * 3 + [[0, "1e400", 0, 1]]})),
        "DIR": str(root),
        "MISSING": str(root / "missing.json"),
        "ZERO": "/dev/zero",
        "URANDOM": "/dev/urandom",
        "NULLDEV": "/dev/null",
        "LONGNAME": str(root / ("x" * 300 + ".json")),
    }
    fifo = root / "fifo.json"
    os.mkfifo(fifo)
    out["FIFO"] = str(fifo)
    big = root / "big.json"
    with open(big, "wb") as handle:  # sparse: 100 MiB without writing them (over every JSON limit)
        handle.truncate(100 * 2**20)
    out["BIG"] = str(big)
    return out


FILE_CASES = [
    ("DEEP", "nested too deeply"), ("DEEPISH", "expected a square matrix"), ("BIGNUM", "out of range"),
    ("HUGEEXP", "out of range"), ("TINY", "out of range"), ("NAN", "not a finite number"),
    ("STRINGS", "whose entry [0][1] is the string 'zero'"), ("SYMBOLIC", "the string 'sigma**2'"),
    ("BOOL", "the boolean true"), ("EMPTY", "not valid JSON"), ("BLANK", "not valid JSON"),
    ("BOM", "not valid JSON"), ("LATIN1", "not UTF-8"), ("BINARY", "not UTF-8"), ("OBJECT", "got an object"),
    ("SCALAR", "got the number 5"), ("NULL", "got null"), ("EMPTYLIST", "got a list of length 0"),
    ("RAGGED", "ragged"), ("BIG_D", "d <= 4096"), ("LONG_THETA", "d <= 4096"), ("BIGINT", "out of range"),
    ("NEG", "positive definite"), ("ASYM", "symmetric"), ("DIR", "it is a directory"),
    ("MISSING", "no such file"), ("ZERO", "expected a regular file, got a device"),
    ("URANDOM", "expected a regular file, got a device"), ("NULLDEV", "expected a regular file"),
    ("FIFO", "expected a regular file, got a FIFO"), ("BIG", "expected at most"),
    ("LONGNAME", "cannot read"),
]


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch)


# ----------------------------------------------------------------------------- the battery

BATTERY = _battery()


@pytest.mark.parametrize("argv, sub, expected, fragment", BATTERY,
                         ids=[" ".join(a)[:80].replace("\x00", "NUL") for a, *_ in BATTERY])
def test_option_values(capsys, fake, files, monkeypatch, tmp_path, argv, sub, expected, fragment):
    """Every value option of every subcommand, with every hostile value: one line, status 2,
    naming the option, before any work."""
    monkeypatch.chdir(tmp_path)  # hostile values as file names name nothing here
    with hang_guard():
        status, out, err = run(capsys, *_argv_with_files(argv, files))
    check_refusal(status, out, err, sub, fragment, expected)
    assert fake.calls == []


@pytest.mark.parametrize("option", ["--Sigma", "--theta0"])
@pytest.mark.parametrize("sub", ["params", "curve"])
@pytest.mark.parametrize("name, fragment", FILE_CASES, ids=[n for n, _ in FILE_CASES])
def test_setting_files(capsys, fake, files, sub, option, name, fragment):
    """Every kind of bad file as --Sigma and --theta0: one line naming the option and the file."""
    if option == "--theta0" and name in ("STRINGS", "SYMBOLIC", "BOOL", "RAGGED", "NEG", "ASYM", "BIG_D",
                                         "DEEPISH", "BIGNUM", "TINY", "NAN", "BIGINT", "HUGEEXP"):
        fragment = None  # a matrix where a vector is expected: refused, for the shape or the number
    with hang_guard():
        status, out, err = run(capsys, *SETTING_SUBS[sub], option, files[name])
    check_refusal(status, out, err, sub, f"{option}: ", 2)
    if fragment is not None:
        assert fragment in err, err
    assert fake.calls == []


PARAMS_FILE_CASES = FILE_CASES[:1] + [
    ("BIGNUM", "out of range"), ("HUGEEXP", "out of range"), ("EMPTY", "not valid JSON"),
    ("ZERO", "got a device"), ("FIFO", "got a FIFO"), ("BIG", "expected at most"), ("DIR", "directory"),
    ("SCALAR", "expected a JSON object"), ("KEYS", "unknown keys k0, k1, k10, k100, k101 and 995 more"),
    ("P_SYMBOLIC", "--params: V: expected a 4x4 matrix"), ("P_N_FLOAT", "n: expected an integer"),
    ("P_N_HUGE", "n: expected an integer 0 <= n <= 10^12"), ("P_BIG_V", "out of range"),
    ("DUP", "the key 'V' is given twice"),
]


@pytest.mark.parametrize("name, fragment", PARAMS_FILE_CASES, ids=[n for n, _ in PARAMS_FILE_CASES])
def test_params_files(capsys, fake, files, name, fragment):
    with hang_guard():
        status, out, err = run(capsys, "error", "--params", files[name])
    check_refusal(status, out, err, "error", "--params", 2)
    assert fragment in err, err
    assert fake.calls == []


# ----------------------------------------------------------------------------- argv shapes

ARGV_CASES = [
    ([], None, "expected a subcommand"),
    (["nope"], None, "subcommand: expected one of"),
    (["--nope"], None, "unrecognized arguments"),
    (["table", "extra"], "table", "unrecognized arguments: extra"),
    (["table", "--format"], "table", "--format: expected one argument"),
    (["table", "--form", "json"], "table", "unrecognized arguments: --form json"),
    (["params"], "params", "--strategy"),
    (["curve", "--strategy", "c"], "curve", "required"),
    (["error"], "error", "required: --params"),
    (["curve", "--strategy", "c", "--task", "target", "--n", "0:3", "--d", "3", "--Sigma", "GOOD_SIGMA"],
     "curve", "--Sigma: expected the same dimension d everywhere"),
    (["params", "--strategy", "value", "--d", "2", "--theta0", "P"], "params", "--theta0: expected a non-empty vector"),
    (["params", "--strategy", "d", "--Sigma", "GOOD_SIGMA", "--m", "7"], "params",
     "--sigma2: needed with a --Sigma file and a finite --m"),
    (["figure", "--out", "fig.xyz"], "figure", "--out: expected a file name ending in .png, .pdf, .svg"),
    (["figure", "--out", "noext"], "figure", "(no suffix)"),
    (["figure", "--out", "DIR"], "figure", "--out: expected a file name ending in"),
    (["figure", "--reuse"], "figure", "--reuse: needs --checkpoints"),
    (["figure", "--closeness", "c.txt"], "figure", "--closeness: expected a file name ending in .json"),
    (["figure", "--checkpoints", "P"], "figure", "--checkpoints: expected a folder"),
    (["figure", "--checkpoints", "/nonexistent/dir/ck"], "figure", "--checkpoints: the directory"),
    (["latex", "--out", "/proc/x.tex"], "latex", "--out: cannot write '/proc/x.tex'"),
    (["latex", "--out", "/nonexistent/x.tex"], "latex", "--out: the directory '/nonexistent' does not exist"),
    (["latex", "--out", "DIR"], "latex", "--out: expected a file path, got the directory"),
    (["latex", "--out", "x\x00.tex"], "latex", "--out: "),
    (["curve", "--strategy", "c", "--task", "target", "--n", "0:3", "--Sigma", "x\x00y"], "curve", "--Sigma: "),
]


@pytest.mark.parametrize("argv, sub, fragment", ARGV_CASES, ids=[" ".join(a)[:60] for a, *_ in ARGV_CASES])
def test_argv_shapes(capsys, fake, files, argv, sub, fragment):
    with hang_guard():
        status, out, err = run(capsys, *_argv_with_files(argv, files))
    check_refusal(status, out, err, sub, fragment)
    assert fake.calls == []


def test_latex_to_dev_full_names_the_file_and_the_error(capsys, fake):
    status, out, err = run(capsys, "latex", "--out", "/dev/full")
    check_refusal(status, out, err, "latex", "--out: cannot write '/dev/full': No space left on device")


def test_empty_file_options_are_refused_alike(capsys, fake):
    """--Sigma '', --theta0 '', --params '', latex --out '', figure --out '': all the same refusal."""
    for argv, option in ((PARAMS, "--Sigma"), (PARAMS, "--theta0"), (["error"], "--params"),
                         (["latex"], "--out"), (["figure"], "--out"), (["figure"], "--closeness")):
        status, out, err = run(capsys, *argv, option, "")
        check_refusal(status, out, err, argv[0], f"{option}: expected a file name, got ''")


# ----------------------------------------------------------------------------- the real backend

REAL_CASES = [
    # (argv, status, fragment in stdout or stderr) with the real backend: valid edges work, exactly
    (["curve", "--strategy", "full", "--task", "target", "--n", "0:0", "--scale", "1e-300", "--format", "json"],
     0, '"error": [0.1]'),
    # at n = 1 the exact error is about 1e600: beyond a float, so JSON null (documented), not a crash
    (["curve", "--strategy", "full", "--task", "target", "--n", "1:1", "--scale", "1e-300", "--format", "json"],
     0, '"error": [null]'),
    (["curve", "--strategy", "value", "--task", "target", "--n", "0:0", "--sigma2", "1e-300", "--format", "json"],
     0, '"sigma2": 1e-300'),
    (["curve", "--strategy", "value", "--task", "target", "--n", "0:0", "--m", "1000000000000"], 0, "limit"),
    (["curve", "--strategy", "value", "--task", "target", "--n", "999999999999:1000000000000"], 0, "1000000000000"),
    (["curve", "--strategy", "value-fewshot", "--task", "target", "--n", "0:1", "--n-ft", "1"], 0, "limit"),
    (["curve", "--strategy", "value-fewshot", "--task", "target", "--n", "0:1", "--n-ft", "0"], 2,
     "--n-ft: expected an integer >= 1 or inf, got '0'"),
    # m = 0: the pretraining loss does not depend on Q, the pretrained model is not determined
    (["params", "--strategy", "a", "--d", "2", "--m", "0"], 2, "--m: expected an integer >= 1 or inf"),
]


@pytest.mark.parametrize("argv, status, fragment", REAL_CASES, ids=[" ".join(a)[:70] for a, *_ in REAL_CASES])
def test_edges_with_the_real_backend(capsys, argv, status, fragment):
    with hang_guard(60):
        got, out, err = run(capsys, *argv)
    assert got == status, err
    assert "Traceback" not in out + err
    assert fragment in out + err
    if status:
        check_refusal(got, out, err, argv[0], None, status)


def test_a_backend_value_error_names_the_option(capsys, monkeypatch):
    """The backend says ``n_ft: ...``; the command line shows the option, ``--n-ft: ...``."""
    def curve(*a, **k):
        raise ValueError("n_ft: expected an integer >= 1 or oo, got 0")

    monkeypatch.setattr("proofs.api.curve", curve)
    status, out, err = run(capsys, *CURVE, "--n-ft", "7")
    check_refusal(status, out, err, "curve", "--n-ft: expected an integer >= 1 or oo, got 0")


# ----------------------------------------------------------------------------- round trips

def test_params_json_reads_back_exactly_into_error(capsys, tmp_path):
    """params --format json, with the setting added, is a valid ``error --params`` file, and the
    exact error equals curve's exact value at the same n (no float fallback anywhere)."""
    import sympy as sp
    from proofs import api
    status, out, _ = run(capsys, "params", "--strategy", "value-fewshot", "--d", "2", "--sigma2", "1/7",
                         "--m", "5", "--n-ft", "3", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert any("/" in x for row in data["V"] for x in row)  # exact entries, as strings
    data.update({"theta": [-1, 0], "Sigma": [[1, 0], [0, 1]], "sigma2": "1/7", "n": 3})
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    status, out, err = run(capsys, "error", "--params", str(path), "--format", "json")
    assert status == 0, err
    exact = sp.sympify(json.loads(out)["exact"])
    want = api.curve("value-fewshot", "opposite", [3], d=2, sigma2=sp.Rational(1, 7), m=5, n_ft=3).exact[0]
    assert exact == want and exact.is_Rational and exact.q > 1


def test_curve_settings_read_back_as_options(capsys):
    """The settings curve writes are accepted back as its options (sigma2 as written)."""
    status, out, _ = run(capsys, *CURVE, "--sigma2", "0.25", "--scale", "3", "--format", "json")
    assert status == 0
    settings = json.loads(out)["settings"]
    again = [*CURVE, "--sigma2", repr(settings["sigma2"]), "--scale", repr(settings["scale"]),
             "--d", str(settings["d"]), "--format", "json"]
    status, out2, _ = run(capsys, *again)
    assert status == 0 and json.loads(out2)["error"] == json.loads(out)["error"]


# ----------------------------------------------------------------------------- hostile environments

def _cli(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proofs.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, **kw)


def _shell(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f"{sys.executable} -m proofs.cli {command}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


CHEAP = "params --strategy a --format json"  # a quick command that writes to standard output


@pytest.mark.parametrize("command, status, fragment", [
    (f"{CHEAP} >&-", 2, "icl-finetune params: error: cannot write to standard output: it is closed"),
    (f"{CHEAP} > /dev/full", 2,
     "icl-finetune params: error: cannot write to standard output: No space left on device"),
    ("--version >&-", 2, "icl-finetune: error: cannot write to standard output: it is closed"),
    ("--help > /dev/full", 2, "icl-finetune: error: cannot write to standard output: No space left on device"),
    ("curve --help > /dev/full", 2,
     "icl-finetune: error: cannot write to standard output: No space left on device"),
    ("--version > /dev/full", 2,
     "icl-finetune: error: cannot write to standard output: No space left on device"),
    ("--help | head -c 1 > /dev/null; exit ${PIPESTATUS[0]}", 0, ""),
    ("curve --strategy c --task target --n 5:2 2>&-", 2, None),      # closed stderr: still status 2
    (f"{CHEAP} | head -c 1 > /dev/null; exit ${{PIPESTATUS[0]}}", 0, ""),  # a reader that leaves early
])
def test_standard_streams(command, status, fragment):
    """Closed or full standard streams (real processes: Python sets ``sys.stdout`` to None when
    descriptor 1 is closed, and flushes again at exit): one line, no 'Exception ignored'."""
    done = _shell(command)
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    if fragment is not None:
        assert done.stderr == (fragment + "\n" if fragment else "")


def test_ascii_stdout_with_a_unicode_file_name(monkeypatch, tmp_path, fake):
    """An ASCII terminal and a file name it cannot show: the name is escaped, not a failure."""
    import io
    sigma = tmp_path / "Σ.json"
    sigma.write_text("[[1, 0], [0, 1]]")
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    status = cli.main(["curve", "--strategy", "c", "--task", "target", "--n", "0:1", "--Sigma", str(sigma)])
    stream.flush()
    assert status == 0
    assert "\\u03a3.json" in stream.buffer.getvalue().decode("ascii")


def test_missing_plot_extra_is_status_3_naming_it(tmp_path):
    """figure without matplotlib: exit 3, one line naming the extra, before any training."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from proofs.cli import main\n"
            f"sys.exit(main(['figure', '--out', {str(tmp_path / 'f.png')!r}, '--quick']))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert done.stderr == ("icl-finetune figure: error: needs matplotlib, which is not installed: "
                           "pip install 'icl-finetune[plot]'\n")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the Python API

def _api_cases():
    import numpy as np
    import sympy as sp
    from fractions import Fraction
    from proofs import api
    kw = dict(d=2, sigma2=0.1, m=None, n_ft=None)
    return [
        (lambda: api.curve("c", "target", [0], **{**kw, "d": 10**30}), ValueError, "d:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "d": sp.Symbol("d")}), TypeError, "d:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "d": 2.0}), TypeError, "d:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "d": True}), TypeError, "d:"),
        (lambda: api.curve("c", "target", None, **kw), TypeError, "ns:"),
        (lambda: api.curve("c", "target", "012", **kw), TypeError, "ns:"),
        (lambda: api.curve("c", "target", range(10**8), **kw), ValueError, "ns:"),
        (lambda: api.curve("c", "target", [10**30], **kw), ValueError, "n:"),
        (lambda: api.curve("c", "target", [0.5], **kw), TypeError, "n:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": 1j}), TypeError, "sigma2:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": sp.I}), TypeError, "sigma2:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": sp.Symbol("s")}), TypeError, "sigma2:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": "0.1"}), TypeError, "sigma2:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": float("nan")}), ValueError, "sigma2:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": 1e308 * 10}), ValueError, "sigma2:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "sigma2": Fraction(1, 10**400)}), ValueError, "sigma2:"),
        (lambda: api.curve("b", "target", [0], **kw, scale=0), ValueError, "scale:"),
        (lambda: api.curve("c", "target", [0], **kw, Sigma="[[1,0],[0,1]]"), TypeError, "Sigma:"),
        (lambda: api.curve("c", "target", [0], **kw, Sigma=5), TypeError, "Sigma:"),
        (lambda: api.curve("c", "target", [0], **kw, Sigma=np.eye(30)), ValueError, "Sigma:"),
        (lambda: api.curve("c", "target", [0], **kw, theta0=3.0), TypeError, "theta0:"),
        (lambda: api.curve("d", "target", [0], **{**kw, "n_ft": 0}), ValueError, "n_ft:"),
        (lambda: api.curve("c", "target", [0], **{**kw, "m": -1}), ValueError, "m:"),
        (lambda: api.curve("c", "sideways", [0], **kw), ValueError, "task:"),
        (lambda: api.params("c", d="2"), TypeError, "d:"),
        (lambda: api.verify(10**30, 0), ValueError, "samples:"),
        (lambda: api.verify(1000, -1), ValueError, "seed:"),
        (lambda: api.verify(1000.5, 0), TypeError, "samples:"),
        (lambda: api.exact_error(None, None, None, None, 0.1, 1), TypeError, "V:"),
        (lambda: api.exact_error(sp.eye(4), sp.eye(4), [1, 0], sp.eye(2), 0.1, None), TypeError, "n:"),
        (lambda: api.exact_error(sp.eye(4), sp.eye(4), [1, 0], sp.eye(2), sp.Symbol("s"), 1), TypeError,
         "sigma2:"),
    ]


@pytest.mark.parametrize("index", range(31))
def test_api_bad_inputs_name_the_argument(index):
    call, kind, prefix = _api_cases()[index]
    with hang_guard(), pytest.raises(kind) as info:
        call()
    assert str(info.value).startswith(prefix), str(info.value)
    assert "\n" not in str(info.value)


def test_api_accepts_numpy_integers_and_exact_numbers():
    import numpy as np
    import sympy as sp
    from fractions import Fraction
    from proofs import api
    a = api.curve("c", "target", [np.int64(0), 1], d=np.int64(2), sigma2=np.float64(0.25), m=np.int32(5),
                  n_ft=None)
    b = api.curve("c", "target", [0, 1], d=2, sigma2=Fraction(1, 4), m=5, n_ft=None)
    c = api.curve("c", "target", [0, 1], d=2, sigma2=sp.Rational(1, 4), m=5, n_ft=None)
    assert a.exact == b.exact == c.exact and a.exact[0] != a.exact[1]
    assert api.params("c", d=np.int64(2)).V.shape == (4, 4)


def test_api_case_count():
    assert len(_api_cases()) == 31  # keeps the parametrisation above in step


# ----------------------------------------------------------------------------- what figure writes

def test_figure_writes_exactly_what_it_names_and_says_so_once(capsys, monkeypatch, tmp_path):
    """figure --out/--closeness/--checkpoints: the files asked for, listed on one line, once."""
    from test_cli_fakes import install_figure
    calls = install_figure(monkeypatch)
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "figure", "--out", "f.pdf", "--closeness", "c.json", "--checkpoints", "ck",
                           "--no-progress")
    assert status == 0 and out == "" and len(calls) == 1
    assert err == "wrote f.pdf, c.json, ck/ (1 checkpoint file)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "ck", "f.pdf"]
    status, _, err = run(capsys, "figure", "--out", "g.svg", "--no-progress")
    assert status == 0 and err == "wrote g.svg\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "ck", "f.pdf", "g.svg"]


# ----------------------------------------------------------------------------- more classes

def test_params_file_numbers_as_written_by_people_and_by_the_toolkit(capsys, fake, files, tmp_path):
    """``"n": 3.0`` is the integer 3 (it used to say "got the number 3"); strings hold exact numbers."""
    good = json.loads(Path(files["P"]).read_text())
    for n in (3.0, "3", 3):
        path = tmp_path / "p.json"
        path.write_text(json.dumps({**good, "n": n, "sigma2": "1/10"}))
        status, _, err = run(capsys, "error", "--params", str(path))
        assert status == 0, err
        (args, _kw), = fake.called("exact_error")[-1:]
        assert args[-1] == 3 and type(args[-1]) is int
    assert len(fake.called("exact_error")) == 3


def test_symlink_loop_and_unreadable_files(capsys, fake, tmp_path):
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    status, out, err = run(capsys, *CURVE, "--Sigma", str(loop))
    check_refusal(status, out, err, "curve", "--Sigma: cannot read")
    locked = tmp_path / "locked.json"
    locked.write_text("[[1]]")
    locked.chmod(0)
    status, out, err = run(capsys, *CURVE, "--Sigma", str(locked))
    if os.access(locked, os.R_OK):  # root reads it anyway
        assert status == 0, err
    else:
        check_refusal(status, out, err, "curve", "--Sigma: cannot read")
    assert "Traceback" not in err


def test_read_only_folder_is_refused_before_any_work(capsys, fake, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a read-only folder is writable")
        status, out, err = run(capsys, "latex", "--out", str(folder / "x.tex"))
        check_refusal(status, out, err, "latex", "Permission denied")
        assert fake.calls == []
    finally:
        folder.chmod(0o700)


# ----------------------------------------------------------------------------- every registered option

def _registered_value_options() -> list[tuple[str, str]]:
    """(subcommand, option) for every option that takes a value, over :data:`cli.SUBCOMMANDS`
    (so subcommands added later are covered without editing this file)."""
    import argparse
    parser = cli.build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    return [(name, opt) for name in cli.SUBCOMMANDS for action in subs[name]._actions
            if action.nargs != 0 for opt in action.option_strings if opt.startswith("--")]


REGISTERED = _registered_value_options()


@pytest.mark.parametrize("sub, option", REGISTERED, ids=[f"{s} {o}" for s, o in REGISTERED])
def test_every_registered_option_refuses_hostile_values_cleanly(capsys, monkeypatch, sub, option):
    """Every value option of every registered subcommand, with every hostile value, parsed with
    the subcommands' work replaced by a stub: never a traceback; a refusal is one line and,
    unless it is about a missing required option, names the option."""
    real_build = cli.build_parser

    def build_stubbed(only=None):  # main builds the named subcommand's parser alone (build_parser(only=...))
        parser = real_build(only=only)
        import argparse
        subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
        for p in subs.values():
            p.set_defaults(handler=lambda args: 0)
        return parser

    monkeypatch.setattr(cli, "build_parser", build_stubbed)
    for value in HOSTILE_VALUES:
        with hang_guard():
            status, out, err = run(capsys, sub, option, value)
        assert "Traceback" not in out + err
        assert status in (0, 2), (value, err)
        if status == 2:
            check_refusal(status, out, err, sub, None)
            assert "required" in err or option in err, (value, err)


# ----------------------------------------------------------------------------- spec files

def _spec(**fields) -> str:
    spec = {"train": ["vx", "vy"], "loss": [{"n": 3, "task": "target"}]}
    spec.update(fields)
    return json.dumps(spec, ensure_ascii=False)


def _term(**fields) -> str:
    return _spec(loss=[{"n": 3, "task": "target", **fields}])


def _eye(d: int) -> list[list[int]]:
    return [[int(i == j) for j in range(d)] for i in range(d)]


#: (spec file text, fragment of the one-line refusal); all refused before any derivation
SPEC_CASES = [
    # values that bypassed the limits: huge and tiny exponents in strings, n beyond 10^12
    (_term(weight="1e9999"), "loss[0].weight: expected a number"),
    (_term(weight="1e-9999"), "loss[0].weight: expected a number"),
    (_term(weight="1e999999999999"), "loss[0].weight"),
    (_term(weight="9" * 5000), "loss[0].weight"),
    (_term(n=10**21), "loss[0].n: expected an integer 0 <= n <= 10^12"),
    (_term(n=10**12 + 1), "loss[0].n"),
    (_term(n="1e3"), "loss[0].n"),
    (_term(n=2.5), "loss[0].n"),
    (_spec(loss=[{"n": k, "task": [k + 1, 1]} for k in range(5)]), "at most 3 distinct tasks"),
    (_spec(loss=[{"n": k, "task": {"mean": "target", "cov": k + 1}} for k in range(5)]), "at most 3 distinct tasks"),
    (_spec(loss=[{"n": 3, "task": {"mean": "target", "cov": _eye(64)}}]), "loss[0].task.cov: expected a d x d"),
    (_spec(loss=[{"n": 3, "task": [1] * 11}]), "loss[0].task: expected a list of d numbers (1 <= d <= 10)"),
    (_spec(start={"V": _eye(66), "Q": _eye(66)}), "start.V: expected a square (d+2) x (d+2) matrix"),
    # non-ASCII digits, names that name nothing
    (_term(weight="١٢"), "loss[0].weight"),
    (_term(weight="１"), "loss[0].weight"),
    (_term(task="zero"), "loss[0].task: the task theta = 0 is a family's mean only"),
    (_term(task=["1e999", 0]), "loss[0].task[0]"),
    (_spec(loss=[{"n": 3, "task": {"mean": "target", "cov": [[1, 0], [0, "1e-999"]]}}]), "loss[0].task.cov[1][1]"),
    (_spec(start={"V": [[0] * 4] * 3 + [[0, "1e99999", 0, 1]], "Q": _eye(4)}), "start.V[3][1]"),
    # silently wrong: weights and scales that are not positive, forged names, duplicate keys
    (_term(weight=-1), "loss[0].weight: expected a positive number"),
    (_term(weight="-1/2"), "loss[0].weight"),
    (_term(weight=0), "loss[0].weight"),
    (_spec(loss=[{"n": 3, "task": {"mean": "target", "cov": "-1/4"}}]), "loss[0].task.cov"),
    (_spec(loss=[{"n": 3, "task": {"mean": "target", "cov": [[1, 2], [2, 1]]}}]), "positive semi-definite"),
    (_spec(name="x\n     0  0.0"), "name: expected a non-empty printable string"),
    (_spec(name="\x1b[31mred"), "name:"),
    (_spec(name="x" * 81), "name:"),
    ('{"train": ["vx"], "train": ["vy"], "loss": [{"n": 3, "task": "target"}]}', "the key 'train' is given twice"),
    ('{"train": ["vx"], "loss": [{"n": 3, "n": 0, "task": "target"}]}', "the key 'n' is given twice"),
    ('{"train": ["vx"], "loss": [{"n": 3, "task": {"mean": "target", "cov": 1, "cov": 2}}]}', "given twice"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    (_spec(train=["vx"] * 100), "train: expected at most"),
    (_spec(loss=[{"n": 3, "task": "target"}] * 17), "loss: expected at most 16 terms"),
]


@pytest.mark.parametrize("text, fragment", SPEC_CASES, ids=[f"{i}:{f[:40]}" for i, (_, f) in enumerate(SPEC_CASES)])
@pytest.mark.parametrize("sub", ["derive", "params", "curve"])
def test_hostile_spec_files_are_refused_before_any_work(capsys, tmp_path, sub, text, fragment):
    path = tmp_path / "spec.json"
    path.write_text(text, encoding="utf-8")
    argv = {"derive": ["derive"], "params": ["params", "--d", "2"],
            "curve": ["curve", "--task", "target", "--n", "0:2", "--d", "2"]}[sub]
    with hang_guard(20):
        status, out, err = run(capsys, *argv, "--spec", str(path))
    check_refusal(status, out, err, sub, "--spec", 2)
    assert fragment in err, err
    assert out == ""


def test_spec_case_count():
    assert len(SPEC_CASES) == 33  # 99 runs with the three subcommands


def test_a_task_vector_of_another_d_than_d_is_refused_naming_spec_by_derive_too(capsys, tmp_path):
    """A spec whose task vector fixes d = 3, asked at --d 2: params and curve named --spec; derive
    named "strategy" (one layer and depth alike)."""
    path = tmp_path / "spec.json"
    for extra in ({}, {"layers": 2, "train": ["V2.vx"]}):
        path.write_text(_spec(loss=[{"n": 0, "task": [1, 2, 3]}], **extra))
        status, out, err = run(capsys, "derive", "--spec", str(path), "--d", "2")
        check_refusal(status, out, err, "derive", "--spec: the spec gives theta_1 with 3 rows, so d = 3", 2)


def test_m_zero_is_refused_alike_by_every_subcommand_that_pretrains(capsys, tmp_path):
    """At m = 0 the prompt is the query alone, whose label is 0: the pretraining loss does not
    depend on Q, so the pretrained parameters (the start of every strategy) are not determined.
    derive used to exit 3 (a Sylvester equation) while params and curve printed the limit
    m -> 0+ as if it were derived; now all refuse it, naming the reason."""
    path = tmp_path / "spec.json"
    path.write_text(_spec(), encoding="utf-8")
    for argv in (["derive", "--spec", str(path)], ["params", "--spec", str(path), "--d", "2"],
                 ["curve", "--spec", str(path), "--task", "target", "--n", "0:1", "--d", "2"],
                 ["params", "--strategy", "value", "--d", "2"], ["frontier", "--n-ft", "3", "--lambda", "1"]):
        status, out, err = run(capsys, *argv, "--m", "0")
        check_refusal(status, out, err, argv[0], "--m: expected an integer >= 1 or inf", 2)
        assert "not determined" in err


def test_task_angle_with_a_zero_theta0_names_it(capsys, tmp_path):
    path = tmp_path / "theta0.json"
    path.write_text("[0, 0]")
    with hang_guard(60):
        status, out, err = run(capsys, "curve", "--strategy", "value", "--task-angle", "1", "--n", "0:1",
                               "--theta0", str(path))
    check_refusal(status, out, err, "curve", "--theta0", 2)


@pytest.mark.parametrize("argv, fragment", [
    (["transformer", "--out", ""], "--out: expected a file name"),
    (["transformer", "--out", "  "], "--out"),
    (["transformer", "--out", "x", "--seed", str(2**32)], "--seed: expected an integer at most"),
    (["transformer", "--out", "x", "--seed", str(2**64 - 1)], "JAX"),
])
def test_transformer_output_folder_and_32_bit_seeds(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    check_refusal(status, out, err, "transformer", fragment, 2)


def test_a_spec_over_its_cpu_budget_is_refused_with_the_reason(capsys, tmp_path, monkeypatch):
    """The budget (proofs.quantities.limits.MAX_EXACT_CPU_SECONDS) set to 0.05 s: a fresh derivation (a
    name no other test uses, so nothing is cached) is refused, exit status 3, one line."""
    monkeypatch.setattr("proofs.quantities.limits.MAX_EXACT_CPU_SECONDS", 0.05)
    path = tmp_path / "spec.json"
    path.write_text(_spec(name="budget-probe", train=["v0", "vx", "vy"], loss=[{"n": 7, "task": [1, 2]}]))
    with hang_guard(60):
        status, out, err = run(capsys, "derive", "--spec", str(path))
    check_refusal(status, out, err, "derive", "s of CPU", 3)
    assert "--spec" in err


def test_error_lines_are_one_escaped_line_of_sensible_length(capsys):
    from proofs.cli import output
    output.note("icl-finetune x: error: " + "y" * 1000 + "\nforged row\x1b[2J")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= output.MAX_NOTE + 1
    assert output.one_line("a\nb\tc\x1b") == "a\\nb\\tc\\x1b"


def test_every_documented_spec_is_accepted_and_the_toolkit_json_reads_back(capsys, tmp_path):
    from proofs.cli.files import load_spec
    # the one-layer specs (the depth specs' examples, some of them documented refusals, are in
    # docs/examples/depth-specs and run in tests/test_docs_examples.py)
    specs = sorted((ROOT / "docs" / "examples" / "specs").glob("*.json"))
    assert specs
    for path in specs:
        assert load_spec(str(path)).name == path.stem
    # what derive --format json gives (the bound values under "given", exact strings) goes back
    # into a spec (a small spec: vy alone, d = 2, derives in about a second)
    path = tmp_path / "given.json"
    path.write_text('{"name": "given", "train": ["vy"], "loss": [{"n": 1, "task": ["1/3", 0.25]}]}')
    status, out, err = run(capsys, "derive", "--spec", str(path), "--format", "json")
    assert status == 0, err
    given = json.loads(out)["given"]["theta_1"]
    back = tmp_path / "back.json"
    back.write_text(json.dumps({"train": ["vy"], "loss": [{"n": 1, "task": given}]}))
    assert dict(load_spec(str(back)).bindings)["theta_1"] == dict(load_spec(str(path)).bindings)["theta_1"]


@pytest.mark.parametrize("fmt, fragments", [("text", ["3.333333333e+599", "1.083333333e+600", "2.777777778e+598"]),
                                            ("json", ['"error": [null, null]', '"error_exact": ["1000', '/30"'])])
def test_an_output_beyond_the_float_range_is_reported_from_its_exact_value(capsys, tmp_path, fmt, fragments):
    """theta0 = (1e300, 0) is within the input range, its errors (~1e600) are not within a
    float's: text prints them from the exact values (never ``inf``), JSON writes null and
    the exact values beside (docs/cli.md, Limits)."""
    path = tmp_path / "theta0.json"
    path.write_text("[1e300, 0]")
    status, out, err = run(capsys, "curve", "--strategy", "value", "--task", "target", "--n", "0:1",
                           "--theta0", str(path), "--format", fmt)
    assert status == 0, err
    body = out.split('"settings"')[0] if fmt == "json" else "".join(out.splitlines()[1:])
    assert "inf" not in body.replace("infinity", ""), out
    for fragment in fragments:
        assert fragment in out, out


def test_a_slow_exact_setting_is_refused_by_the_budget_too(capsys, tmp_path, monkeypatch):
    """Not only specs: a dense --Sigma of long exact fractions (each within the limits) makes
    params at a finite m run for minutes at d = 10; the budget (here 0.05 s) refuses it, naming
    the files."""
    monkeypatch.setattr("proofs.quantities.limits.MAX_EXACT_CPU_SECONDS", 0.05)
    d, big = 4, "1234567890" * 20
    path = tmp_path / "Sigma.json"
    path.write_text(json.dumps([[str(20 + i) if i == j else f"{big}/{big}1" for j in range(d)] for i in range(d)]))
    with hang_guard(60):
        status, out, err = run(capsys, "params", "--strategy", "value", "--Sigma", str(path), "--sigma2", "0.1",
                               "--m", "7")
    check_refusal(status, out, err, "params", "--Sigma or --theta0", 3)


@pytest.mark.parametrize("option", ["--Sigma", "--theta0"])
def test_a_file_name_with_a_line_break_cannot_forge_output_rows(capsys, option):
    """curve prints the file names in its header: a name holding a line break would add a row."""
    status, out, err = run(capsys, *CURVE, option, "x\n     9  0.0")
    check_refusal(status, out, err, "curve", f"{option}: expected a file name without line breaks", 2)


def test_error_over_its_budget_names_its_own_cause(capsys, tmp_path, monkeypatch):
    """error --params with a layer list of the class (L = 2, values in layer 2), derived fresh (cache off) under
    a 0.05 s budget: exit 3 naming --params and the class closed form (it named "--Sigma or --theta0",
    options error does not have)."""
    monkeypatch.setattr("proofs.quantities.limits.MAX_EXACT_CPU_SECONDS", 0.05)
    monkeypatch.setenv("ICL_FINETUNE_CACHE", "off")
    # fresh in memory too: another test of this process may have derived the class already
    import symbolic.depth as depth
    import symbolic.depth_cache as depth_cache
    monkeypatch.setattr(depth_cache, "_MEMORY", {})
    depth._depth_error_nu.cache_clear()
    depth.chain_pair_expectation.cache_clear()
    e_y = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
    layers = [{"V": e_y, "Q": [[0, 0, 0], [0, 1, 0], [0, 0, 0]]},
              {"V": [[0, 0, 0], [0, 0, 0], ["1/3", "-1/2", 1]], "Q": [[0, 0, 0], [0, "1/2", 0], [0, 0, 0]]}]
    path = tmp_path / "layers.json"
    path.write_text(json.dumps({"layers": layers, "theta": [1], "Sigma": [[1]], "sigma2": "1/10", "n": 1}))
    with hang_guard(60):
        status, out, err = run(capsys, "error", "--params", str(path))
    check_refusal(status, out, err, "error", "--params: the class closed form at L = 2", 3)
    assert "--Sigma" not in err
