"""The command line ``icl-finetune`` (entry point :func:`main`).

One module per subcommand, named in :data:`SUBCOMMANDS`; docs/cli.md documents every
option, exit status and JSON schema. The rooms:

- :mod:`proofs.cli.options`: exit statuses, :class:`UsageError`, the parser class, the
  options several subcommands share (``--format``, the setting options, ``--seed``) and
  the parsers of their values;
- :mod:`proofs.cli.files`: JSON input files (read exactly, checked) and output paths;
- :mod:`proofs.cli.printers`: the output formats, one printer per format (text, JSON, LaTeX,
  Markdown) with a method per result type, chosen by the type as SymPy's printers do;
  :mod:`proofs.cli.reports`: the results with the context a command adds (its label, settings);
- :mod:`proofs.cli.output`: where output goes (standard output, a note on standard error);
- :mod:`proofs.cli.prove`, ``table``, ``params``, ``curve``, ``error``, ``verify``,
  ``figure``, ``latex``, ``derive``, ``frontier``, ``transformer``, ``trajectory``,
  ``compare``: one subcommand each.

**Adding a subcommand** ``foo``: write ``proofs/cli/foo.py`` with

- ``register(subparsers) -> ArgumentParser``: ``sub = options.add_subcommand(subparsers,
  "foo", help=..., description=..., example=..., run=run)``, then its options (reuse
  ``options.format_option``/``setting_options``/``seed_option``; new value parsers raise
  ``UsageError`` naming the option);
- ``run(args) -> int``: the work, returning an exit status; import SymPy, NumPy and the
  backend *inside* ``run`` (start-up must stay light: a test checks it). Print with
  ``output.write(printers.printer(args.format).doprint(result))``, never a string of your own:
  ``result`` is the backend's result, or a :mod:`proofs.cli.reports` dataclass wrapping it with
  what the command adds; give each printer of ``FORMATS`` a ``_print_<Class>`` method for it and
  list it in ``PRINTS`` (tests/test_printers.py checks the two agree). Raise
  ``UsageError`` (exit 2), ``options.Unavailable`` (exit 3) or ``NotImplementedError``
  (exit 3) with a one-line message; a ``ValueError`` from the backend is shown as bad usage;

add ``"foo"`` to :data:`SUBCOMMANDS`, and document it in docs/cli.md (a test checks
that every option is there).

Exit statuses: 0 success; 1 a check failed (``prove``, ``verify``); 2 bad usage (a
one-line message naming the option, never a traceback); 3 the command cannot run here.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, Sequence

from proofs.cli.output import note as _say
from proofs.cli.options import (EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, PROG,
                                ParseError, Parser, Unavailable, UsageError, formatter)

__all__ = ["main", "build_parser", "SUBCOMMANDS", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE",
           "EXIT_UNAVAILABLE", "UsageError"]

#: the subcommands, in the order ``--help`` lists them; each is the module ``proofs.cli.<name>``
SUBCOMMANDS = ("prove", "table", "params", "curve", "error", "verify", "figure", "latex", "derive", "frontier", "transformer", "trajectory",
               "compare")

DESCRIPTION = """\
Derive, prove and check the theory of "Fine-Tuning Without Forgetting In-Context
Learning: A Theoretical Analysis of Linear Attention Models" (Lee, Sohn, Lee).
Strategies: (a) pretrain, (b) full, (c) value, (d) value-fewshot."""

EPILOG = """\
examples:
  icl-finetune prove                       derive and check every result
  icl-finetune table --format latex        the summary table, for a paper
  icl-finetune curve --strategy value --task opposite --n 0:20

exit status: 0 success, 1 a check failed, 2 bad usage,
             3 not available here (backend not implemented, optional dependency missing)
Run 'icl-finetune SUBCOMMAND --help' for a subcommand's options; docs/cli.md has them all."""


def subcommand_module(name: str) -> Any:
    """The module ``proofs.cli.<name>`` of a subcommand."""
    return importlib.import_module(f"proofs.cli.{name.replace('-', '_')}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argparse parser of ``icl-finetune``: every subcommand of :data:`SUBCOMMANDS`
    registers itself (no heavy imports); with ``only``, that subcommand alone (what
    :func:`main` builds when the command line names one: the other twelve parsers and their
    modules cost a cold command about 20 ms for nothing)."""
    parser = Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=formatter,
                    allow_abbrev=False)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version and exit")
    # prog given: argparse would lay out a usage line to find it (reading the terminal width: shutil)
    subs = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=Parser, prog=PROG)
    for name in SUBCOMMANDS:
        if only is None or name == only:
            subcommand_module(name).register(subs)
    return parser


def _named_subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand the command line names, when its first word is one (else None: the
    top-level options, or a word argparse must reject with the list of every subcommand)."""
    return argv[0] if argv and argv[0] in SUBCOMMANDS else None


class _VersionAction(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kw: Any) -> None:
        from importlib import metadata
        try:
            version = metadata.version("icl-finetune")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        from proofs.cli.output import write
        try:
            write(f"{PROG} {version}\n")
        except OSError as err:
            _silence_stdout()
            parser.exit(EXIT_USAGE, f"{PROG}: error: cannot write to standard output: {err.strerror}\n")
        parser.exit(0)


def _option_kinds(parser: argparse.ArgumentParser) -> tuple[set[str], set[str]]:
    """(options that take a value, options that do not), over every subcommand."""
    takes, flags = set(), {"-h", "--help", "--version"}
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
    for p in parsers:
        for action in p._actions:
            (flags if action.nargs == 0 else takes).update(action.option_strings)
    return takes, flags


def _join_dash_values(argv: Sequence[str], takes: set[str], flags: set[str]) -> list[str]:
    """``--scale -inf`` -> ``--scale=-inf``: argparse would take ``-inf`` for an option
    and say "expected one argument"; joined, the value gets its proper message."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if arg in takes and nxt is not None and nxt.startswith("-") and nxt != "-" \
                and nxt.split("=", 1)[0] not in takes | flags:
            out.append(f"{arg}={nxt}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


#: the Python names in the backend's ValueError messages -> the options that set them
_OPTION_OF = {"d": "--d", "sigma2": "--sigma2", "m": "--m", "n_ft": "--n-ft", "scale": "--scale",
              "Sigma": "--Sigma", "theta0": "--theta0", "samples": "--samples", "seed": "--seed",
              "ns": "--n", "n": "--n", "task": "--task", "strategy": "--strategy",
              "lambdas": "--lambda", "eta": "--lr", "steps": "--steps", "every": "--every",
              "arithmetic": "--arithmetic", "precision": "--precision"}


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's final flush of what could
    not be written adds no second message."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    except (OSError, ValueError):
        pass


def _backend_message(err: ValueError, args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    """A backend ValueError's message, naming the command line's option rather than the
    Python argument (``n_ft: ...`` -> ``--n-ft: ...``) when this subcommand has that option."""
    message = " ".join(str(err).split())
    name, sep, rest = message.partition(": ")
    option = _OPTION_OF.get(name)
    if sep and option and option in _option_kinds(parser)[0]:
        return f"{option}: {rest}"
    return message


def entry() -> int:
    """The console script (``icl-finetune``, ``python -m proofs.cli``): :func:`main` on
    ``sys.argv``, then, the process being about to end, whatever is left frozen out of the cyclic
    collector's reach (``gc.freeze``), so that the interpreter's collection at exit does not
    rescan the whole heap to free nothing (about 0.06 s of CPU after ``prove``; the objects are
    freed with the process).  In-process callers use :func:`main`, which leaves the collector
    as it was."""
    status = main()
    import gc
    gc.freeze()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``icl-finetune`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_named_subcommand(argv))
    argv = _join_dash_values(argv, *_option_kinds(parser))
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the subcommand, not the top-level parser
            prog = f"{PROG} {args.command}" if getattr(args, "command", None) else PROG
            raise ParseError(prog, f"unrecognized arguments: {' '.join(extra)}")
    except ParseError as err:
        _say(f"{err.prog}: error: {err}")
        return EXIT_USAGE
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except BrokenPipeError:  # `icl-finetune --help | head -1`
        _silence_stdout()
        return EXIT_OK
    except OSError as err:  # --help to /dev/full (Parser._print_message)
        _silence_stdout()
        _say(f"{PROG}: error: cannot write to standard output: {err.strerror or err}")
        return EXIT_USAGE
    if args.command is None:
        _say(f"{PROG}: error: expected a subcommand ({', '.join(SUBCOMMANDS)}); see '{PROG} --help'")
        return EXIT_USAGE
    args._given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    prog = f"{PROG} {args.command}"
    from proofs.cli.budget import OverBudget, exact_budget, over_budget_message
    try:
        with exact_budget(args):
            return args.handler(args)
    except OverBudget as err:
        _say(f"{prog}: error: {over_budget_message(args, err.args[0])}")
        return EXIT_UNAVAILABLE
    except UsageError as err:
        _say(f"{prog}: error: {err}")
        return EXIT_USAGE
    except ValueError as err:  # the backend's own input checks (DESIGN: ValueError naming the argument)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
        _say(f"{prog}: error: {_backend_message(err, args, sub)}")
        return EXIT_USAGE
    except NotImplementedError as err:
        what = f" ({err})" if str(err) else ""
        _say(f"{prog}: error: not implemented yet{what}")
        return EXIT_UNAVAILABLE
    except Unavailable as err:
        _say(f"{prog}: error: {err}")
        return EXIT_UNAVAILABLE
    except BrokenPipeError:  # e.g. `icl-finetune table | head -1`
        _silence_stdout()
        return EXIT_OK
    except OSError as err:  # standard output or a file that cannot be written: the file and the OS error
        from proofs.cli.output import StdoutError
        if isinstance(err, StdoutError):
            _silence_stdout()
            _say(f"{prog}: error: cannot write to standard output: {err.strerror}")
        else:
            where = f"{str(err.filename)!r}: " if err.filename else ""
            _say(f"{prog}: error: {where}{err.strerror or err}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say(f"{prog}: interrupted")
        return 130
