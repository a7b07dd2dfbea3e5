"""``icl-finetune derive``: the derivation of a strategy given as a spec (JSON file)."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json", "latex")
#: what run prints (``module.Class``) and in which formats, where not in all of FORMATS: a
#: minimiser at one setting has no LaTeX, which run refuses with exit status 2 (tests/test_printers.py);
#: a rank answer (RankMinimum) has LaTeX at symbolic d only, refused at a setting the same way
PRINTS = {"proofs.cli.reports.DeriveReport": FORMATS, "proofs.quantities.solve.ClosedForm": FORMATS,
          "proofs.quantities.solve.ConcreteMinimum": ("text", "json"),
          "proofs.quantities.solve.NumericMinimum": ("text", "json"),
          "proofs.quantities.lowrank.RankMinimum": FORMATS,
          "proofs.quantities.depth_solution.DepthClosedForm": FORMATS,
          "proofs.quantities.depth_solution.DepthNumericMinimum": ("text", "json"),
          "proofs.quantities.depth_solution.DepthDescentMinimum": ("text", "json")}

SPEC_HELP = ("JSON file: {\"train\": [blocks], \"loss\": [{\"weight\", \"n\", \"task\"}], \"then\": [...]}; "
             "docs/cli.md has the schema")


def parse_descent_steps(text: str, option: str = "--steps") -> int:
    """``--steps``: an integer 1 <= N <= 10^6 (the descent's work bound is checked with the spec and d)."""
    return O.parse_count(text, option, minimum=1, maximum=10 ** 6)  # type: ignore[return-value]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``derive`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "derive", help="derive a strategy given as a spec (what is trained, on which losses)",
        description="Derive a fine-tuning strategy given as a spec: which blocks of V's last row or of\n"
                    "Q move, on which weighted (and staged) losses, from the pretrained parameters.\n"
                    "Prints the minimiser (closed form, symbolic d and Sigma), what the loss leaves\n"
                    "free, the convention, the derivation's steps and the errors: zero-shot on theta0,\n"
                    "n -> infinity on theta0 and -theta0, and n shots on any task theta. Exit status 3\n"
                    "for a spec whose loss is not quadratic (V and Q both trained): no closed form.",
        example="  icl-finetune derive --spec spec.json\n  icl-finetune derive --spec spec.json --m 20 --format json",
        run=run)
    sub.add_argument("--spec", required=True, metavar="FILE", type=O.argtype(O.parse_file_name, "--spec"),
                     help=SPEC_HELP)
    sub.add_argument("--m", metavar="M", type=O.argtype(O.parse_shots, "--m"), default=None,
                     help="pretraining context length, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--numeric", action="store_true",
                     help="for a spec without a closed form (V and Q both trained): a NUMERIC local "
                          "minimiser of the exact loss at a concrete setting (--d, --sigma2, --Sigma, "
                          "--theta0), from the pretrained parameters, and the exact errors at it")
    sub.add_argument("--steps", metavar="N", type=O.argtype(parse_descent_steps, "--steps"), default=None,
                     help="with --numeric, for a depth spec training whole matrices (Q<l>, V<l>.all, all): "
                          "gradient descent steps (default 50000; at most about two minutes of CPU)")
    sub.add_argument("--d", metavar="D", type=O.argtype(O.parse_dimension, "--d"), default=None,
                     help="with --numeric, or for a spec training Q_xx (no closed form at symbolic d): "
                          "dimension of x; the minimiser at that setting (default with --numeric: 3, or "
                          "read from --Sigma/--theta0)")
    sub.add_argument("--sigma2", metavar="X", type=O.argtype(O.parse_sigma2, "--sigma2"), default=None,
                     help="with --numeric or --d: noise variance (default: 0.1)")
    sub.add_argument("--Sigma", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--Sigma"),
                     help="with --numeric or --d: JSON d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--theta0"),
                     help="with --numeric or --d: JSON target task, d numbers (default: e_1)")
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Solve the spec at the setting the options give (symbolic unless --d, --Sigma, --theta0 or
    --numeric make it concrete, or the spec's start fixes d) and print the answer: the
    derivation of its closed form, or its minimiser at this setting only, or a numeric optimum."""
    import sympy as sp
    from symbolic.quadratic import NotClosedForm, NotQuadratic
    from symbolic.spec import general_start
    from proofs import api
    from proofs.cli.inputs import check_spec, fixed_dimension, setting, strategy_of
    from proofs.quantities.solve import ClosedForm, NumericMinimum
    spec, _ = strategy_of(args)
    m = sp.oo if args.m is None else sp.Integer(int(args.m))
    concrete = _concrete_setting_given(args) or args.numeric or general_start(spec)
    d = Sigma = theta0 = sigma2 = None
    if concrete:
        fixed = fixed_dimension(spec, any_start=False) or (3 if args.numeric else None)
        d, Sigma, theta0 = setting(args, need_d=False, d=fixed)
        check_spec(spec, d)
        sigma2 = sp.Rational(1, 10) if args.sigma2 is None else O.exact(args.sigma2)
    if args.numeric and args.format == "latex" and getattr(spec, "layers", 1) > 1:
        from symbolic.depth_spec import quadratic_reason
        if quadratic_reason(spec):   # a numeric answer (a quartic loss, whole matrices): refused before the
            # optimiser or the descent runs (17 s of BFGS at L = 3, minutes of descent)
            raise O.UsageError("--format: latex is for closed forms; use text or json with --numeric")
    steps = _descent_steps(args, spec, d)
    try:
        answer = api.solve(spec, numeric=args.numeric, steps=steps, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2,
                           m=args.m)
    except NotClosedForm as exc:
        raise O.Unavailable(f"--spec: no closed form at symbolic d: {exc}") from None
    except NotQuadratic as exc:
        raise O.Unavailable(f"--spec: no closed form: {exc}") from None
    from proofs.cli.output import note, write
    from proofs.cli.printers import printer
    from proofs.cli.reports import DeriveReport
    files = {"Sigma": args.Sigma or "identity", "theta0": args.theta0 or "e_1"}
    if isinstance(answer, NumericMinimum):
        if args.format == "latex":
            raise O.UsageError("--format: latex is for closed forms; use text or json with --numeric")
        write(printer(args.format).doprint(DeriveReport(answer, **files)))
        return _numeric_status(answer.optimum)
    from proofs.quantities.depth_solution import DepthClosedForm, DepthDescentMinimum, DepthNumericMinimum
    if isinstance(answer, DepthDescentMinimum):   # whole matrices at depth: where gradient descent got, said so
        if args.format == "latex":
            raise O.UsageError("--format: latex is for closed forms; use text or json with --numeric")
        if answer.optimum.warning:   # an ill-conditioned Sigma: one line on standard error
            note(f"{O.PROG} derive: {answer.optimum.warning}")
        write(printer(args.format).doprint(DeriveReport(answer, **files)))
        return O.EXIT_OK
    if isinstance(answer, DepthNumericMinimum):   # a quartic loss at depth: a numeric local minimiser, said so
        if args.format == "latex":
            raise O.UsageError("--format: latex is for closed forms; use text or json with --numeric")
        write(printer(args.format).doprint(DeriveReport(answer, **files)))
        return _numeric_status(answer.optimum)
    if isinstance(answer, DepthClosedForm):   # a spec at depth: its closed form, and its errors at a setting given
        errors = None if answer.setting.symbolic else answer.errors()
        write(printer(args.format).doprint(DeriveReport(answer, answer.symbolic_errors(), errors, **files)))
        return O.EXIT_OK
    from proofs.quantities.lowrank import RankMinimum
    if isinstance(answer, RankMinimum):   # a constraining rank (LoRA)
        if answer.setting.symbolic:
            from proofs.quantities.lowrank import summary
            write(printer(args.format).doprint(DeriveReport(answer, summary(answer), **files)))
            return O.EXIT_OK
        if args.format == "latex":
            raise O.UsageError("--format: latex is for closed forms at symbolic d; use text or json with --d")
        write(printer(args.format).doprint(DeriveReport(answer, errors=answer.errors(), **files)))
        return O.EXIT_OK
    if not isinstance(answer, ClosedForm):  # the concrete minimiser: at this setting only
        if args.format == "latex":
            raise O.UsageError("--format: latex is for closed forms at symbolic d; use text or json with --d")
        write(printer(args.format).doprint(DeriveReport(answer, errors=answer.errors(), **files)))
        return O.EXIT_OK
    from proofs.quantities.spec_derivation import derivation
    if concrete and not general_start(spec):
        note(f"{O.PROG} derive: the spec has a closed form at symbolic d, printed below; the setting given "
             "(--d, --sigma2, --Sigma, --theta0, --numeric) is not used: 'params --spec' and 'curve --spec' "
             "evaluate it there")
    write(printer(args.format).doprint(DeriveReport(answer, derivation(spec, m), **files)))
    return O.EXIT_OK


def _descent_steps(args: argparse.Namespace, spec: Any, d: int | None) -> int | None:
    """--steps, checked before any work: only with --numeric and a depth spec training whole matrices;
    its size against the descent's bound (:func:`proofs.quantities.depth_descent.check_descent`). The
    descent is float64 work bounded up front, so the exact budget is released for it."""
    general = getattr(spec, "general", False)
    if args.steps is not None and not (args.numeric and general):
        raise O.UsageError("--steps: only with --numeric and a depth spec training whole matrices "
                           "(Q<l>, V<l>.all, all)")
    if not (args.numeric and general):
        return args.steps
    from proofs.cli.budget import release
    from proofs.cli.output import note
    from proofs.quantities.depth_descent import DESCENT_STEPS, SECONDS_PER_NODE, check_descent
    steps = DESCENT_STEPS if args.steps is None else args.steps
    try:
        check_descent(spec.layers, d, steps)
    except ValueError as exc:
        raise O.UsageError(f"--{str(exc).split(':')[0]}: {str(exc).split(':', 1)[1].strip()}") from None
    release()
    seconds = steps * (3 ** spec.layers + 1) ** d * spec.layers * SECONDS_PER_NODE
    if seconds > 5:
        note(f"{O.PROG} derive: gradient descent at depth, {steps} steps (at most about {seconds:.0f} s of CPU)")
    return args.steps


def _numeric_status(r: Any) -> int:
    """Exit 0 only when the best start converged; else a line on standard error and status 1."""
    from proofs.cli.output import note
    if r.converged:
        return O.EXIT_OK
    note(f"{O.PROG} derive: the numeric optimiser did NOT converge (gradient norm {r.gradient_norm:.2g} "
         f"after {r.iterations} iterations) at the lowest loss any start reached (no converged start reached it): "
         "the parameters printed are not shown to be a minimiser")
    return O.EXIT_FAILED


def _concrete_setting_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, k, None) is not None for k in ("d", "Sigma", "theta0"))
