"""The command line ``icl-finetune`` (entry point :func:`main`).

Subcommands, as DESIGN.md's "Command line contract": ``prove``, ``table``, ``params``,
``curve``, ``error``, ``verify``, ``figure``, ``latex``. ``docs/cli.md`` documents every
option, exit status and JSON schema.

Exit statuses: 0 success; 1 a check failed (``prove``, ``verify``); 2 bad usage (a
one-line message naming the option, never a traceback); 3 the command cannot run here
(a backend not implemented yet, or a missing optional dependency).

Start-up is kept fast: this module imports only the standard library and
:mod:`proofs.cli_args`; SymPy, NumPy and matplotlib are imported inside the
subcommands that need them.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import Any, Callable, Sequence

from proofs import cli_args as A
from proofs.cli_args import UsageError

PROG = "icl-finetune"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
FORMATS = {
    "prove": ("text", "json"),
    "table": ("text", "markdown", "latex", "json"),
    "params": ("text", "latex", "json"),
    "curve": ("text", "json"),
    "error": ("text", "json"),
    "verify": ("text", "json"),
}
DEFAULT_SAMPLES = 1_000_000  # = proofs.verify.DEFAULT_SAMPLES (its calibrated size; a test keeps them equal)
DEFAULT_FIGURE = "figure.png"

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


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised rather than printed."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _ParseError(self.prog, _tidy(message))


class _ParseError(Exception):
    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog


_CHOICE = re.compile(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)\Z", re.S)


def _tidy(message: str) -> str:
    """argparse's message, in this tool's style: ``--n: expected ...``."""
    match = _CHOICE.match(message)
    if match:
        opt, got, choices = match.groups()
        opt = "subcommand" if opt in ("command", "SUBCOMMAND") or opt.startswith("{") else opt
        choices = choices.replace("'", "")
        return f"{opt}: expected one of {choices}, got {got!r}"
    if message.startswith("argument "):
        message = message[len("argument "):]
    # our own type checks already name the option: "--n: --n: ..." -> "--n: ..."
    message = re.sub(r"\A(\S+): \1: ", r"\1: ", message)
    return " ".join(message.split())


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def _format_option(sub: argparse.ArgumentParser, name: str) -> None:
    choices = FORMATS[name]
    sub.add_argument("--format", default="text", metavar="{" + ",".join(choices) + "}",
                     type=A.argtype(lambda t, o: A.choice(o, choices)(t), "--format"),
                     help="output format (default: text); json is documented in docs/cli.md")


def _setting_options(sub: argparse.ArgumentParser, *, curve: bool) -> None:
    """The options that fix the setting (shared by params and curve)."""
    sub.add_argument("--strategy", required=True, metavar="S",
                     type=A.argtype(A.parse_strategy, "--strategy"),
                     help="pretrain, full, value or value-fewshot (or a, b, c, d)")
    if curve:
        sub.add_argument("--task", required=True, metavar="{target,opposite}",
                         type=A.argtype(A.parse_task, "--task"),
                         help="evaluate on theta0 (target) or -theta0 (opposite)")
        sub.add_argument("--n", required=True, metavar="A:B", type=A.argtype(A.parse_range, "--n"),
                         help="shots n = A, A+1, ..., B (inclusive)")
    sub.add_argument("--d", metavar="D", type=A.argtype(A.parse_dimension, "--d"),
                     default=5 if curve else None,
                     help="dimension of x (default: 5)" if curve else
                     "dimension of x: numeric parameters (default: symbolic d)")
    sub.add_argument("--sigma2", metavar="X", type=A.argtype(A.parse_sigma2, "--sigma2"),
                     default=A.parse_sigma2("0.1") if curve else None,
                     help="noise variance sigma^2 >= 0 (default: 0.1)" if curve else
                     "noise variance sigma^2 >= 0 (default: symbolic)")
    sub.add_argument("--m", metavar="M", type=A.argtype(A.parse_count, "--m", allow_inf=True),
                     default=None, help="pretraining context length, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--n-ft", metavar="N", type=A.argtype(A.parse_count, "--n-ft", allow_inf=True),
                     default=None, dest="n_ft",
                     help="shots in value-fewshot's auxiliary loss, integer >= 0 or inf (default: inf)")
    sub.add_argument("--scale", metavar="C", type=A.argtype(A.parse_scale, "--scale"), default=None,
                     help="strategy full's free scale: V's last row carries C theta0 on the x block "
                          "and Q_00 = 1/C (default: 1)")
    sub.add_argument("--Sigma", metavar="FILE", default=None,
                     help="JSON file with the d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None,
                     help="JSON file with the target task theta0, d numbers (default: e_1)")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``icl-finetune`` (no heavy imports)."""
    parser = _Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=_formatter,
                     allow_abbrev=False)
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="print the version and exit")
    subs = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser)

    def add(name: str, help: str, description: str, example: str,
            handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        sub = subs.add_parser(name, help=help, description=description,
                              epilog="example:\n" + example, formatter_class=_formatter,
                              allow_abbrev=False)
        sub.set_defaults(handler=handler)
        return sub

    sub = add("prove", "derive and check every result of the paper",
              "Derive every result (Cor. 4.1, 4.2, Thm. 4.3, Cor. 4.4, Thm. 4.6, Prop. 4.7,\n"
              "Cor. 4.8, Thm. 4.9, Prop. 4.10) and check it exactly; one line each with its\n"
              "verdict and time. Exit status 1 if any fails.",
              "  icl-finetune prove\n  icl-finetune prove --verbose --format json", _cmd_prove)
    _format_option(sub, "prove")
    sub.add_argument("-v", "--verbose", action="store_true",
                     help="also print what each check checked")

    sub = add("table", "the summary table, generated from the derivations",
              "The poster's summary table, generated from the derivations: zero-shot error on\n"
              "theta0 and few-shot errors (n -> infinity) on theta0 and -theta0, per strategy.",
              "  icl-finetune table --format markdown\n  icl-finetune table --format latex > table.tex",
              _cmd_table)
    _format_option(sub, "table")

    sub = add("params", "the derived V and Q of a strategy",
              "The derived optimal V and Q of a strategy, the parameters the objective leaves\n"
              "free and the convention fixing them. Numeric when --d (or --Sigma/--theta0) is\n"
              "given, with Sigma = I and theta0 = e_1 unless files are given; symbolic otherwise.",
              "  icl-finetune params --strategy value\n"
              "  icl-finetune params --strategy c --d 3 --sigma2 0.1 --m 20 --format json",
              _cmd_params)
    _setting_options(sub, curve=False)
    _format_option(sub, "params")

    sub = add("curve", "exact n-shot test error of a strategy, for n in A..B",
              "Exact n-shot test error E(V, Q, n; theta) of a strategy's parameters for each n\n"
              "in A..B, on theta = theta0 (target) or -theta0 (opposite), from the closed form,\n"
              "and its limit n -> infinity.",
              "  icl-finetune curve --strategy value-fewshot --task opposite --n 0:20 --n-ft 5",
              _cmd_curve)
    _setting_options(sub, curve=True)
    _format_option(sub, "curve")

    sub = add("error", "exact n-shot error of given parameters",
              "Exact n-shot error E(V, Q, n; theta) of any given parameters, from the closed\n"
              "form. FILE is JSON: {\"V\": [[...]], \"Q\": [[...]], \"theta\": [...],\n"
              "\"Sigma\": [[...]], \"sigma2\": x, \"n\": k}, V and Q (d+2)x(d+2), Sigma d x d\n"
              "symmetric positive definite. Numbers are read exactly (0.1 is 1/10).",
              "  icl-finetune error --params params.json --format json", _cmd_error)
    sub.add_argument("--params", required=True, metavar="FILE", help="JSON file with V, Q, theta, "
                     "Sigma, sigma2, n")
    _format_option(sub, "error")

    sub = add("verify", "Monte Carlo check of every derived error formula",
              "Monte Carlo check of every derived error formula: estimate, standard error,\n"
              "z-score, verdict. Exit status 1 if any check fails.",
              "  icl-finetune verify --samples 200000 --seed 1", _cmd_verify)
    sub.add_argument("--samples", metavar="N", type=A.argtype(A.parse_samples, "--samples"),
                     default=DEFAULT_SAMPLES, help=f"Monte Carlo samples per formula (default: {DEFAULT_SAMPLES})")
    sub.add_argument("--seed", metavar="S", type=A.argtype(A.parse_seed, "--seed"), default=0,
                     help="random seed (default: 0)")
    _format_option(sub, "verify")

    sub = add("figure", "the poster's linear-regression figure (needs the plot extra)",
              "The poster's linear-regression figure: theory curves and trained models,\n"
              "n = 0..20, tasks theta0 and -theta0. Needs matplotlib: pip install '.[plot]'.",
              "  icl-finetune figure --out figure.pdf --quick", _cmd_figure)
    sub.add_argument("--out", metavar="PATH", default=DEFAULT_FIGURE,
                     help=f"output file; its suffix picks the format (default: {DEFAULT_FIGURE})")
    sub.add_argument("--seed", metavar="S", type=A.argtype(A.parse_seed, "--seed"), default=0,
                     help="random seed for the trained models (default: 0)")
    sub.add_argument("--quick", action="store_true", help="fewer training steps and samples")
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")

    sub = add("latex", "a standalone LaTeX document of every result",
              "A standalone LaTeX document with every result's statement, the parameters,\n"
              "the free parameters and conventions, and the summary table (amsmath only).",
              "  icl-finetune latex --out results.tex && pdflatex results.tex", _cmd_latex)
    sub.add_argument("--out", metavar="FILE", default=None, help="output file (default: stdout)")
    return parser


class _VersionAction(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kw: Any) -> None:
        from importlib import metadata
        try:
            version = metadata.version("icl-finetune")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        sys.stdout.write(f"{PROG} {version}\n")
        parser.exit(0)


# ----------------------------------------------------------------------------- helpers

def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _unicode() -> bool:
    """Whether stdout takes unicode (pretty-printed maths uses it when so)."""
    if os.environ.get("ICL_FINETUNE_ASCII"):
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def _api() -> Any:
    from proofs import api
    return api


def _matrix(rows: Sequence[Sequence[Any]]) -> Any:
    """Exact SymPy matrix from rows of int/Fraction."""
    import sympy
    return sympy.Matrix([[sympy.Rational(x.numerator, x.denominator) for x in row] for row in rows])


def _rational(x: Any) -> Any:
    import sympy
    return sympy.Rational(x.numerator, x.denominator)


def _setting(args: argparse.Namespace, *, need_d: bool) -> tuple[int | None, Any, Any]:
    """d, Sigma, theta0 (exact SymPy, or None where symbolic) from --d/--Sigma/--theta0."""
    Sigma_rows = A.load_sigma(args.Sigma) if args.Sigma else None
    theta_rows = A.load_theta0(args.theta0) if args.theta0 else None
    # --d given explicitly on the command line wins the message; curve's default 5 yields
    d_cli = args.d
    if need_d and (Sigma_rows is not None or theta_rows is not None) and not _given(args, "--d"):
        d_cli = None
    d = A.resolve_dimension(d_cli, Sigma_rows, theta_rows)
    if d is None:
        return None, None, None
    Sigma = _matrix(Sigma_rows if Sigma_rows is not None else A.identity(d))
    theta0 = _matrix([[x] for x in (theta_rows if theta_rows is not None else A.unit_vector(d))])
    return d, Sigma, theta0


def _given(args: argparse.Namespace, option: str) -> bool:
    return option in getattr(args, "_given", ())


# ----------------------------------------------------------------------------- commands

def _cmd_prove(args: argparse.Namespace) -> int:
    from proofs import cli_format as F
    api = _api()
    start = time.perf_counter()
    try:
        results = list(api.results())
    except NotImplementedError:  # the README's first command must work from day one
        _out("no results yet: the backend is not implemented (proofs.api.results)\n"
             if args.format == "text" else F.prove_json([], 0.0))
        return EXIT_OK
    rows: list[dict[str, Any]] = []
    for result in results:
        t0 = time.perf_counter()
        error = None
        try:
            verdict = result.check()
            holds, lines = bool(verdict.holds), [str(x) for x in verdict.lines]
        except Exception as exc:  # a check that raises has failed; say why, keep going
            holds, lines, error = False, [], f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - t0
        row = {"id": str(result.id), "title": str(result.title), "holds": holds,
               "seconds": round(seconds, 6), "checks": lines}
        if error:
            row["error"] = error
        rows.append(row)
        if args.format == "text":
            _out(F.prove_line(row["id"], row["title"], holds, seconds) + "\n")
            if error:
                _out(f"      raised {error}\n")
            if args.verbose:
                _out("".join(f"      {line}\n" for line in lines))
    total = time.perf_counter() - start
    n_pass = sum(r["holds"] for r in rows)
    if args.format == "json":
        _out(F.prove_json(rows, round(total, 6)))
    else:
        _out(F.prove_summary(n_pass, len(rows), total) + "\n")
    return EXIT_OK if n_pass == len(rows) else EXIT_FAILED


def _cmd_table(args: argparse.Namespace) -> int:
    from proofs import cli_format as F
    api = _api()
    rows = list(api.summary_table())
    if args.format == "json":
        _out(F.table_json(rows, api.table_symbols()))
    elif args.format == "markdown":
        _out(F.table_markdown(rows))
    elif args.format == "latex":
        _out(F.table_latex(rows))
    else:
        _out(F.table_text(rows, _unicode()))
    return EXIT_OK


def _cmd_params(args: argparse.Namespace) -> int:
    from proofs import cli_format as F
    d, Sigma, theta0 = _setting(args, need_d=False)
    api = _api()
    result = api.params(
        args.strategy, d=d,
        sigma2=None if args.sigma2 is None else _rational(args.sigma2),
        m=args.m, n_ft=args.n_ft,
        scale=_rational(args.scale) if args.scale is not None else 1,
        Sigma=Sigma, theta0=theta0)
    if args.format == "json":
        _out(F.params_json(args.strategy, result, api.table_symbols()))
    elif args.format == "latex":
        _out(F.params_latex(args.strategy, result))
    else:
        _out(F.params_text(args.strategy, result, _unicode()))
    return EXIT_OK


def _cmd_curve(args: argparse.Namespace) -> int:
    from proofs import cli_format as F
    d, Sigma, theta0 = _setting(args, need_d=True)
    assert d is not None
    scale = args.scale if args.scale is not None else 1
    result = _api().curve(args.strategy, args.task, list(args.n), d=d, sigma2=float(args.sigma2),
                          m=args.m, n_ft=args.n_ft, scale=float(scale), Sigma=Sigma, theta0=theta0)
    settings = {"d": d, "sigma2": float(args.sigma2), "m": args.m, "n_ft": args.n_ft,
                "scale": float(scale), "Sigma": args.Sigma or "identity",
                "theta0": args.theta0 or "e_1"}
    if args.format == "json":
        _out(F.curve_json(args.strategy, args.task, result, settings))
    else:
        _out(F.curve_text(args.strategy, args.task, result, settings))
    return EXIT_OK


def _cmd_error(args: argparse.Namespace) -> int:
    from proofs import cli_format as F
    p = A.load_params(args.params)
    value = _api().exact_error(_matrix(p.V), _matrix(p.Q), _matrix([[x] for x in p.theta]),
                               _matrix(p.Sigma), _rational(p.sigma2), p.n)
    if args.format == "json":
        _out(F.error_json(value))
    else:
        _out(F.error_text(value, p.n, _unicode()))
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from proofs import cli_format as F
    rows = [F.verify_row(r) for r in _api().verify(args.samples, args.seed)]
    if args.format == "json":
        _out(F.verify_json(rows, args.samples, args.seed))
    else:
        _out(F.verify_text(rows, args.samples, args.seed))
    return EXIT_OK if all(r["passed"] for r in rows) else EXIT_FAILED


def _cmd_figure(args: argparse.Namespace) -> int:
    out = A.check_output_path(args.out)
    try:
        from proofs.figure import make_figure
    except ModuleNotFoundError as exc:
        if exc.name in ("matplotlib", "tqdm") or (exc.name or "").startswith("matplotlib."):
            raise _Unavailable(f"needs {exc.name}: pip install 'icl-finetune[plot]'") from None
        if exc.name == "proofs.figure":
            raise NotImplementedError("proofs.figure") from None
        raise
    make_figure(out, args.seed, args.quick, progress=not args.no_progress)
    sys.stderr.write(f"wrote {out}\n")
    return EXIT_OK


def _cmd_latex(args: argparse.Namespace) -> int:
    out = A.check_output_path(args.out) if args.out else None
    document = _api().latex_document()
    if out is None:
        _out(document)
    else:
        out.write_text(document, encoding="utf-8")
        sys.stderr.write(f"wrote {out}\n")
    return EXIT_OK


class _Unavailable(Exception):
    """The command cannot run here (exit status 3)."""


# ----------------------------------------------------------------------------- main

_VALUE_OPTIONS = {"--strategy", "--task", "--n", "--d", "--sigma2", "--m", "--n-ft", "--scale", "--Sigma",
                  "--theta0", "--format", "--params", "--samples", "--seed", "--out"}


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """``--scale -inf`` -> ``--scale=-inf``: argparse would take ``-inf`` for an option
    and say "expected one argument"; joined, the value gets its proper message."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if arg in _VALUE_OPTIONS and nxt is not None and nxt.startswith("-") and nxt != "-" \
                and nxt.split("=", 1)[0] not in _VALUE_OPTIONS | {"-h", "--help", "-v", "--verbose",
                                                                  "--quick", "--no-progress", "--version"}:
            out.append(f"{arg}={nxt}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


def _given_options(argv: Sequence[str]) -> set[str]:
    return {a.split("=", 1)[0] for a in argv if a.startswith("--")}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``icl-finetune`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = _join_dash_values(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the subcommand, not the top-level parser
            prog = f"{PROG} {args.command}" if getattr(args, "command", None) else PROG
            raise _ParseError(prog, f"unrecognized arguments: {' '.join(extra)}")
    except _ParseError as err:
        sys.stderr.write(f"{err.prog}: error: {err}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        sys.stderr.write(f"{PROG}: error: expected a subcommand ({', '.join(FORMATS)}, figure, latex); "
                         f"see '{PROG} --help'\n")
        return EXIT_USAGE
    args._given = _given_options(argv)
    prog = f"{PROG} {args.command}"
    try:
        return args.handler(args)
    except UsageError as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        return EXIT_USAGE
    except ValueError as err:  # the backend's own input checks (DESIGN: ValueError naming the argument)
        message = " ".join(str(err).split())
        sys.stderr.write(f"{prog}: error: {message}\n")
        return EXIT_USAGE
    except NotImplementedError as err:
        what = f" ({err})" if str(err) else ""
        sys.stderr.write(f"{prog}: error: not implemented yet{what}\n")
        return EXIT_UNAVAILABLE
    except _Unavailable as err:
        sys.stderr.write(f"{prog}: error: {err}\n")
        return EXIT_UNAVAILABLE
    except BrokenPipeError:  # e.g. `icl-finetune table | head -1`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
