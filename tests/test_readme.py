"""The README works as written: its first block's two commands, and "A taste" after them.

"A taste" uses bare ``icl-finetune``, which the first command does not put on ``PATH``; the
README says to activate the environment first. These tests read the README itself, so the
text and the checks cannot drift apart.
"""
from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from proofs import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _first_block() -> list[str]:
    match = re.search(r"```sh\n(.*?)```", README, re.S)
    assert match, "README.md: no first ```sh block"
    return [line for line in match.group(1).splitlines() if line.strip()]


def _taste() -> list[str]:
    section = README.split("## A taste", 1)[1]
    match = re.search(r"```console\n(.*?)```", section, re.S)
    assert match, "README.md: no console block under 'A taste'"
    return [line[2:].split("  #", 1)[0].strip() for line in match.group(1).splitlines() if line.startswith("$ ")]


def test_first_block_sets_up_and_runs_prove_then_the_tests():
    first, second = _first_block()
    assert first.startswith("python3 -m venv .venv") and first.endswith(".venv/bin/icl-finetune prove")
    assert second.startswith("python3 -m venv .venv") and "pytest" in second  # .ci/run reads this line


def test_the_console_script_is_where_the_readme_says():
    """``.venv/bin/icl-finetune`` and ``.venv/bin/activate``: the layout of a venv on this machine."""
    bindir = Path(sys.executable).parent
    if not (bindir / "activate").exists():
        pytest.skip("not running inside a virtual environment")
    assert (bindir / "icl-finetune").exists()


def test_taste_activates_the_environment_first():
    commands = _taste()
    assert commands[0].startswith("source .venv/bin/activate")
    assert all(c.startswith("icl-finetune ") for c in commands[1:]), commands
    assert "activate" in README.split("## A taste", 1)[1].split("```", 1)[0]  # and says why, before


def test_taste_commands_run(capsys, tmp_path, monkeypatch):
    """Each command of "A taste" (after activating) exits 0 and prints or writes something."""
    monkeypatch.chdir(tmp_path)
    for command in _taste()[1:]:
        argv = shlex.split(command)[1:]
        capsys.readouterr()
        status = cli.main(argv)
        out, err = capsys.readouterr()
        assert status == 0, (command, err)
        assert out or list(tmp_path.iterdir()), command
