"""Every example in README.md and docs/*.md runs here, so the docs cannot go stale.

How an example is written (docs/index.md says the same for authors):

- A fenced ``console`` block: lines starting with ``$ icl-finetune`` are commands,
  run in-process through :func:`proofs.cli.main`; the lines after a command, up to
  the next ``$``, are its expected output (stdout then stderr), compared like a
  doctest with ELLIPSIS (``...`` matches anything) and NORMALIZE_WHITESPACE. Shell
  features (pipes, redirections) are not supported in run examples. A console block
  whose commands are not all ``icl-finetune`` is not run.
- A fenced ``python`` block with ``>>>`` prompts: a doctest; all such blocks of one
  page run in order in one namespace (a REPL session).
- HTML comments on the lines just above a fence modify it:
  ``<!-- file: PATH -->`` the block shows the file PATH (relative to the repository
  root, under ``docs/examples/``), which the repository ships: the test fails when the
  file is missing or differs from the block, so an example runs as pasted;
  ``<!-- exit: N -->`` every command of the console block exits with status N
  (default 0);
  ``<!-- needs: api -->`` the example needs a backend function that may still be
  a stub: it is skipped while the backend raises NotImplementedError, and runs
  (and must pass) from the day it is implemented;
  ``<!-- skip: REASON -->`` the block is not run.

Each page's examples run from the repository root, as the pages say: in a fresh
temporary folder holding a copy of ``docs/examples/`` (so that what an example writes
stays out of the repository), with COLUMNS=80 so that ``--help`` wraps the same everywhere.
"""
from __future__ import annotations

import contextlib
import doctest
import io
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from proofs import cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))])
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*$")
MARKER = re.compile(r"^<!--\s*([\w-]+)\s*(?::\s*(.*?))?\s*-->\s*$")
SHELL_SYNTAX = re.compile(r"[|<>;&`]|\$\(")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    markers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a markdown page, with the markers just above each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, lang = match.groups()
        markers: dict[str, str] = {}
        k = i - 1
        while k >= 0 and MARKER.match(lines[k]):
            key, value = MARKER.match(lines[k]).groups()
            markers.setdefault(key, value or "")
            k -= 1
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence[0] * len(fence)):
            j += 1
        found.append(Block(page, i + 1, lang.lower(), "\n".join(lines[i + 1:j]) + "\n", markers))
        i = j + 1
    return found


ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]


def commands(block: Block) -> list[tuple[str, str]] | None:
    """(command, expected output) pairs of a console block; None if it is not run."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:].strip(), []))
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip():
            return None  # output before any command: not an example
    if not pairs or not all(cmd.split()[0] == "icl-finetune" for cmd, _ in pairs):
        return None
    return [(cmd, "\n".join(out).rstrip("\n") + "\n" if any(x.strip() for x in out) else "")
            for cmd, out in pairs]


CONSOLE = [b for b in ALL_BLOCKS if b.lang in ("console", "shell-session") and "skip" not in b.markers
           and commands(b) is not None]


#: where the input files of the examples live, relative to the repository root
EXAMPLES = Path("docs") / "examples"


def write_files(page: Path, where: Path) -> None:
    """Check that every file a block of ``page`` shows is shipped, with that text, and copy
    ``docs/examples/`` into ``where`` (the examples' repository root)."""
    import shutil
    for block in blocks(page):
        if "file" in block.markers:
            rel = Path(block.markers["file"])
            assert rel.parts[:2] == EXAMPLES.parts, f"{block.id}: file {rel} is not under {EXAMPLES}/"
            shipped = ROOT / rel
            assert shipped.is_file(), f"{block.id}: {rel} is shown but not shipped: add it to the repository"
            assert shipped.read_text(encoding="utf-8") == block.text, f"{block.id}: {rel} differs from the block"
    if not (where / EXAMPLES).exists():
        shutil.copytree(ROOT / EXAMPLES, where / EXAMPLES)


class _Utf8StringIO(io.StringIO):
    encoding = "utf-8"  # as a terminal: the text formats print unicode maths


def run_command(argv: list[str]) -> tuple[int, str]:
    out, err = _Utf8StringIO(), _Utf8StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue() + err.getvalue()


@pytest.fixture
def page_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("ICL_FINETUNE_ASCII", raising=False)
    return tmp_path


@pytest.mark.parametrize("block", CONSOLE, ids=[b.id for b in CONSOLE])
def test_console_example(block: Block, page_dir: Path) -> None:
    write_files(block.page, page_dir)
    expected_status = int(block.markers.get("exit", "0"))
    checker = doctest.OutputChecker()
    for command, expected in commands(block):  # type: ignore[union-attr]
        assert not SHELL_SYNTAX.search(command), f"{block.id}: shell syntax is not run in examples: {command}"
        argv = shlex.split(command)[1:]
        status, output = run_command(argv)
        if "needs" in block.markers and status in (cli.EXIT_OK, cli.EXIT_UNAVAILABLE) \
                and "not implemented" in output:
            pytest.skip(f"{block.id}: needs the backend ({output.strip()})")
        assert status == expected_status, f"{block.id}: `{command}` exited {status}, expected " \
                                          f"{expected_status}; output:\n{output}"
        if not checker.check_output(expected, output, FLAGS):
            diff = checker.output_difference(doctest.Example(command, expected), output, FLAGS)
            pytest.fail(f"{block.id}: `{command}`\n{diff}")


class _Runner(doctest.DocTestRunner):
    """Records whether an example raised NotImplementedError (a stub backend)."""

    stub: str | None = None

    def report_unexpected_exception(self, out, test, example, exc_info):  # noqa: D102
        if issubclass(exc_info[0], NotImplementedError) and self.stub is None:
            self.stub = f"line {test.lineno + example.lineno + 1}: {exc_info[0].__name__} {exc_info[1]}"
        super().report_unexpected_exception(out, test, example, exc_info)


PYTHON_PAGES = [p for p in PAGES if any(b.lang in ("python", "pycon") and ">>>" in b.text
                                        and "skip" not in b.markers for b in blocks(p))]


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=[str(p.relative_to(ROOT)) for p in PYTHON_PAGES])
def test_python_examples(page: Path, page_dir: Path) -> None:
    write_files(page, page_dir)
    globs: dict = {"__name__": "__docs__"}
    parser = doctest.DocTestParser()
    for block in blocks(page):
        if block.lang not in ("python", "pycon") or ">>>" not in block.text or "skip" in block.markers:
            continue
        test = parser.get_doctest(block.text, globs, block.id, str(page), block.line)
        runner = _Runner(optionflags=FLAGS)
        report = io.StringIO()
        result = runner.run(test, out=report.write, clear_globs=False)
        globs.update(test.globs)  # DocTest copies its globs: carry the session to the next block
        if result.failed and runner.stub and "needs" in block.markers:
            pytest.skip(f"{block.id}: needs the backend ({runner.stub}); later blocks of the page not run")
        assert result.failed == 0, f"{block.id}:\n{report.getvalue()}"


# ----------------------------------------------------------------------------- the docs hold together

LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_point_to_files(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def readme_commands() -> list[str]:
    first = next(b for b in blocks(ROOT / "README.md"))
    return [line for line in first.text.splitlines() if line.strip()]


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    before = text[: text.index("```")]
    assert all(line.startswith("#") or not line.strip() for line in before.splitlines()), \
        "README.md must start with its two commands (a title may come first)"
    install, test = readme_commands()
    assert install.endswith("icl-finetune prove") and "pip install -e ." in install
    assert "pytest" in test and "[test" in test


def test_getting_started_repeats_the_readme_commands() -> None:
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    for command in readme_commands():
        assert command in text


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in script  # .ci/run reads the command from README.md itself


def test_every_subcommand_and_option_is_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        assert f"## `icl-finetune {name}" in text or f"## {name}" in text, name
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in text, f"{name} {option} is not in docs/cli.md"


def test_the_doc_examples_are_found() -> None:
    """Guards the parser above: the pages do hold runnable examples."""
    assert len(CONSOLE) >= 5


def test_every_documented_option_belongs_to_its_command() -> None:
    """The converse (`figure`'s table listed `transformer`'s --model, --prefix,
    --layers, --width, which `figure` refuses): every option in the first column of an option
    table of a command's section is one of that command's options."""
    import re
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    sections = re.split(r"^## `icl-finetune (\S+?)`", text, flags=re.M)
    wrong = []
    for name, body in zip(sections[1::2], sections[2::2]):
        body = body.split("\n## ", 1)[0]
        sub = subparsers.choices.get(name)
        if sub is None:
            continue
        known = {o for a in sub._actions for o in a.option_strings}
        for line in body.splitlines():
            if line.startswith("| `--"):
                first = line.split("|")[1]
                wrong += [f"{name} {o}" for o in re.findall(r"`(--[a-zA-Z0-9-]+)", first) if o not in known]
    assert not wrong, wrong
