"""``icl-finetune transformer``: its input checks and the one-line message without the extra
(these run without JAX; the experiment itself is tests/test_transformer.py)."""
from __future__ import annotations

import builtins

import pytest

from proofs.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("value", ["0", "21", "-1", "two", "1.5"])
def test_seeds_is_checked(capsys, tmp_path, value):
    status, out, err = run(capsys, "transformer", "--out", str(tmp_path / "o"), "--seeds", value)
    assert status == 2 and out == ""
    assert "--seeds" in err and "\n" == err[-1] and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option,value", [
    ("--prefix", "-1"), ("--prefix", "1.5"), ("--prefix", "four"), ("--prefix", "257"), ("--prefix", "9" * 40),
    ("--layers", "0"), ("--layers", "-2"), ("--layers", "2.0"), ("--layers", "17"), ("--layers", ""),
    ("--width", "0"), ("--width", "-32"), ("--width", "30"), ("--width", "32.5"), ("--width", "1024"),
    ("--width", "2"), ("--model", "relu")])
def test_model_options_are_checked(capsys, tmp_path, option, value):
    """Negative, zero where not allowed, fractional, absurd: one line, exit 2, nothing written."""
    status, out, err = run(capsys, "transformer", "--out", str(tmp_path / "o"), option, value)
    assert status == 2 and out == ""
    assert option in err and "\n" == err[-1] and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra", [["--layers", "4"], ["--layers", "16"], ["--layers", "0"], ["--prefix", "4"],
                                   ["--width", "64"]])
def test_linear_control_refuses_transformer_shapes(capsys, tmp_path, extra):
    """--layers with --model linear is the linear model's depth, 1 to 3 (the softmax transformer keeps 1 to 16)."""
    status, out, err = run(capsys, "transformer", "--out", str(tmp_path / "o"), "--model", "linear", *extra)
    assert status == 2 and out == "" and extra[0] in err and err.count("\n") == 1 and "Traceback" not in err
    if extra[0] == "--layers" and extra[1] != "0":
        assert err.endswith(f"--layers: expected 1 to 3 with --model linear (the depths with a class theory), "
                            f"got {extra[1]}\n")
    assert not (tmp_path / "o").exists()


def test_out_is_required(capsys):
    status, _, err = run(capsys, "transformer")
    assert status == 2 and "--out" in err


def test_missing_extra_names_it_and_exits_3(capsys, tmp_path, monkeypatch):
    real = builtins.__import__

    def no_jax(name, *args, **kw):
        if name == "jax" or name.startswith("jax."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_jax)
    # the linear model at depth 2 and 3 and the softmax transformer at 4 layers pass the option checks
    for extra in ([], ["--model", "linear", "--layers", "2"], ["--model", "linear", "--layers", "3"],
                  ["--layers", "4"]):
        status, out, err = run(capsys, "transformer", "--out", str(tmp_path / "o"), "--quick", *extra)
        assert status == 3 and out == ""
        assert err.count("\n") == 1 and "pip install -e '.[transformer]'" in err and "Traceback" not in err
        assert not (tmp_path / "o").exists()  # nothing done


def test_out_must_be_a_writable_folder(capsys, tmp_path):
    pytest.importorskip("jax", reason="needs the transformer extra: pip install -e '.[transformer]'")
    pytest.importorskip("optax", reason="needs the transformer extra: pip install -e '.[transformer]'")
    f = tmp_path / "file"
    f.write_text("x")
    status, _, err = run(capsys, "transformer", "--out", str(f), "--quick")
    assert status == 2 and "--out: expected a folder" in err
    status, _, err = run(capsys, "transformer", "--out", str(f / "sub"), "--quick")
    assert status == 2 and "--out: cannot write" in err


def test_numeric_transformer_imports_neither_symbolic_nor_proofs():
    """numeric/ never imports symbolic/ or proofs/ (DESIGN.md): checked on the source, without JAX."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "numeric" / "transformer"
    files = sorted(root.glob("*.py"))
    assert files
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("symbolic", "proofs"), f"{f.name} imports {name}"
