"""``icl-finetune derive``: the derivation of a strategy given as a spec (JSON file)."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json", "latex")

SPEC_HELP = ("JSON file: {\"train\": [blocks], \"loss\": [{\"weight\", \"n\", \"task\"}], \"then\": [...]}; "
             "docs/cli.md has the schema")


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
    from proofs.cli.inputs import fixed_dimension, setting, strategy_of
    from proofs.quantities.solve import ClosedForm, NumericMinimum
    spec, _ = strategy_of(args)
    m = sp.oo if args.m is None else sp.Integer(int(args.m))
    concrete = _concrete_setting_given(args) or args.numeric or general_start(spec)
    d = Sigma = theta0 = sigma2 = None
    if concrete:
        fixed = fixed_dimension(spec, any_start=False) or (3 if args.numeric else None)
        d, Sigma, theta0 = setting(args, need_d=False, d=fixed)
        sigma2 = sp.Rational(1, 10) if args.sigma2 is None else O.exact(args.sigma2)
    try:
        answer = api.solve(spec, numeric=args.numeric, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2, m=args.m)
    except NotClosedForm as exc:
        raise O.Unavailable(f"--spec: no closed form at symbolic d: {exc}") from None
    except NotQuadratic as exc:
        raise O.Unavailable(f"--spec: no closed form: {exc}") from None
    if isinstance(answer, NumericMinimum):
        return run_numeric(args, answer)
    from proofs.quantities.lowrank import RankMinimum
    if isinstance(answer, RankMinimum):   # a constraining rank (LoRA): printed by proofs.cli.rank_output
        from proofs.cli import rank_output
        return rank_output.derive(args, answer)
    if not isinstance(answer, ClosedForm):
        return run_concrete(args, answer)
    from proofs.cli import output as F
    from symbolic.layout import block
    from proofs.quantities.spec_derivation import derivation, plain_scalars
    if concrete and not general_start(spec):
        F.note(f"{O.PROG} derive: the spec has a closed form at symbolic d, printed below; the setting given "
               "(--d, --sigma2, --Sigma, --theta0, --numeric) is not used: 'params --spec' and 'curve --spec' "
               "evaluate it there")
    result = derivation(spec, m)
    s = result.strategy
    if args.format == "json":
        symbols = {"d": "dimension of x", "sigma": "noise standard deviation", "n": "shots",
                   "m": "pretraining context length"}

        def plain(e: Any) -> str:
            e2, meaning = plain_scalars(e)
            symbols.update(meaning)
            return F.expr_json(e2)
        out = {
            "spec": str(spec), "name": s.name, "m": str(m),
            "parameters": {block(k).symbol: plain(v) for k, v in s.parameters().items()
                           if v != 0 and not getattr(v, "is_ZeroMatrix", False)},
            "definitions": {k: sp.sstr(v) for k, v in s.definitions().items()},
            "free": list(s.free), "convention": s.convention,
            "steps": [str(step) for step in s.steps],
            "errors": {k: plain(v) for k, v in result.errors.items()},
            "where": {str(k): plain(v) for k, v in result.where.items()},
            "symbols": {**symbols, **{str(k): f"the derived block {k} (its formula: where[{str(k)!r}])"
                                      for k in result.where}},
            "given": {k: ([str(x) for x in v] if v.shape[1] == 1 else [[str(x) for x in row] for row in v.tolist()])
                      for k, v in spec.bindings},
        }
        F.write(F.dump_json(out))
    elif args.format == "latex":
        from symbolic.printing import latex, paper_latex
        rows = [r"\text{zero-shot on } \theta_0 &= " + paper_latex(result.errors["zero_shot"]),
                r"\lim_{n\to\infty} \text{ on } \theta_0 &= " + paper_latex(result.errors["few_shot_target"]),
                r"\lim_{n\to\infty} \text{ on } -\theta_0 &= " + paper_latex(result.errors["few_shot_opposite"])]
        rows += [rf"\text{{where }} {latex(k)} &= {paper_latex(v)}" for k, v in result.where.items()]
        F.write("% " + str(spec) + "\n\\[\n" + s.latex() + "\n\\]\n\\[\n\\begin{aligned}\n"
                + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n")
    else:
        lines = [f"spec: {spec}", f"pretraining context m = {m}"]
        lines += [f"given in the spec: {k} = {sp.sstr(list(v) if v.shape[1] == 1 else v.tolist())} "
                  f"(so d = {v.shape[0]} for params and curve)" for k, v in spec.bindings]
        lines += ["", "derivation:"]
        lines += [f"  {i}. {step}" for i, step in enumerate(s.steps, 1)]
        lines += ["", str(s), "", "errors:"]
        names = {"zero_shot": "zero-shot on theta0", "few_shot_target": "n -> oo on theta0",
                 "few_shot_opposite": "n -> oo on -theta0", "n_shot": "n shots on theta"}
        lines += [f"  {names[k]}: {sp.sstr(v)}" for k, v in result.errors.items()]
        lines += [f"  where {k} = {sp.sstr(v)} (derived above)" for k, v in result.where.items()]
        F.write("\n".join(lines) + "\n")
    return O.EXIT_OK


def run_numeric(args: argparse.Namespace, answer: Any) -> int:
    """``--numeric``: the numeric local minimiser of a spec without a closed form, labelled so."""
    import sympy as sp
    from symbolic.layout import NAMES, entries
    from proofs.cli import output as F
    if args.format == "latex":
        raise O.UsageError("--format: latex is for closed forms; use text or json with --numeric")
    spec, r, where, why = answer.question, answer.optimum, answer.setting, answer.why
    d, sigma2, m = where.d, where.sigma2, where.m
    big = max(abs((r.V if w == "V" else r.Q)[i, j]) for w, i, j in entries([b for b in spec.train if b in NAMES], d))
    status = ("converged" if r.converged else
              f"NOT converged after {r.iterations} iterations (largest trained entry {big:.3g}; if it grows "
              "with more iterations, the infimum is not attained: no minimiser)")
    if args.format == "json":
        F.write(F.dump_json({
            "spec": str(spec), "name": spec.name, "numeric": True, "no_closed_form": why,
            "setting": {"d": d, "sigma2": float(sigma2), "m": None if m == sp.oo else int(m),
                        "Sigma": args.Sigma or "identity", "theta0": args.theta0 or "e_1"},
            "V": r.V.tolist(), "Q": r.Q.tolist(), "loss": r.loss, "start_loss": r.start_loss,
            "iterations": r.iterations, "gradient_norm": r.gradient_norm, "converged": bool(r.converged),
            "errors": {k: float(v) for k, v in r.errors.items()},
            "errors_exact": {k: F.expr_json(v) for k, v in r.errors.items()},
            "starts": [{"start": k, "loss": lo, "gradient_norm": g, "converged": c, "iterations": it}
                       for k, lo, g, c, it in r.starts],
            "spread": r.spread, "seed": r.seed,
        }))
        return _numeric_status(r)
    np_print = lambda M: "\n".join("    " + "  ".join(f"{x: .6g}" for x in row) for row in M)  # noqa: E731
    lines = [f"spec: {spec}", f"no closed form: {why}", "",
             "NUMERIC (not derived): the best local minimum of the exact loss by BFGS from several starts (below),",
             f"at d = {d}, sigma2 = {sigma2}, m = {m}, Sigma = {args.Sigma or 'identity'}, theta0 = {args.theta0 or 'e_1'}",
             f"  loss {r.loss:.10g} (start {r.start_loss:.10g}); {status}; gradient norm {r.gradient_norm:.2g}",
             "  V =", np_print(r.V), "  Q =", np_print(r.Q), "",
             "exact errors at these (numeric) parameters:",
             f"  zero-shot on theta0: {float(r.errors['zero_shot']):.10g}",
             f"  n -> oo on theta0: {float(r.errors['few_shot_target']):.10g}",
             f"  n -> oo on -theta0: {float(r.errors['few_shot_opposite']):.10g}", "",
             f"starts ({len(r.starts)}: the pretrained parameters and random perturbations of them, seed {r.seed}):"]
    lines += [f"  {k:<12} loss {lo:.10g}  gradient norm {g:.2g}  {'converged' if c else 'NOT converged'} "
              f"({it} iterations)" for k, lo, g, c, it in r.starts]
    lines.append("  spread across " + ("the converged starts" if any(c for *_, c, _ in r.starts) else "all starts")
                 + ": " + ", ".join(f"{k} {v:.2g}" for k, v in r.spread.items()))
    F.write("\n".join(lines) + "\n")
    return _numeric_status(r)


def _numeric_status(r: Any) -> int:
    """Exit 0 only when the best start converged; else a line on standard error and status 1."""
    from proofs.cli import output as F
    if r.converged:
        return O.EXIT_OK
    F.note(f"{O.PROG} derive: the numeric optimiser did NOT converge (gradient norm {r.gradient_norm:.2g} "
           f"after {r.iterations} iterations): the parameters printed are not a minimiser")
    return O.EXIT_FAILED


def _concrete_setting_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, k, None) is not None for k in ("d", "Sigma", "theta0"))


def run_concrete(args: argparse.Namespace, answer: Any) -> int:
    """A spec without a closed form at symbolic d, at the setting the options give: its exact
    minimiser set there (:mod:`proofs.quantities.concrete_minimiser`), said to hold at this
    setting only."""
    import sympy as sp
    from proofs.cli import output as F
    from proofs.quantities.concrete_minimiser import free_json
    if args.format == "latex":
        raise O.UsageError("--format: latex is for closed forms at symbolic d; use text or json with --d")
    spec, sol, where, why = answer.question, answer.minimum, answer.setting, answer.why
    d, sigma2, m, arith = where.d, where.sigma2, where.m, where.arith
    errs = answer.errors()
    free = answer.free
    place = (f"d = {d}, sigma2 = {sigma2}, m = {m}, Sigma = {args.Sigma or 'identity'}, "
             f"theta0 = {args.theta0 or 'e_1'}")
    if args.format == "json":
        def js(x: Any) -> Any:
            return arith.json(x)
        F.write(F.dump_json({
            "spec": str(spec), "name": spec.name, "closed_form": "at this setting only", "no_symbolic_closed_form": why,
            "arithmetic": arith.label(),
            "setting": {"d": d, "sigma2": str(sigma2), "m": str(m), "Sigma": args.Sigma or "identity",
                        "theta0": args.theta0 or "e_1"},
            "V": [[js(x) for x in row] for row in sol.V.tolist()],
            "Q": [[js(x) for x in row] for row in sol.Q.tolist()],
            "unique": sol.unique, "free": free, "free_directions": free_json(sol), "convention": sol.convention,
            "loss": js(sol.loss), "start_loss": js(sol.start_loss),
            "errors": {k: js(v) for k, v in errs.items()},
        }))
        return O.EXIT_OK
    show = arith.text

    def matrix(M: Any) -> str:   # float: numpy's layout, summarised beyond 12 x 12
        if arith.exact:
            return F.expr_text(sp.Matrix(M.tolist() if hasattr(M, "dtype") else M), False)
        return F.numeric_matrix_text(M)
    lines = [f"spec: {spec}", f"no closed form at symbolic d: {why}", "",
             f"AT THIS SETTING ONLY ({arith.label()}): {place}",
             "  the loss is an explicit quadratic u^T A u - 2 b^T u + c in the trained entries; its minimisers",
             "  solve A u = b, and gradient descent from the start reaches start + A^+ (b - A start)",
             f"  loss {show(sol.loss)} (start {show(sol.start_loss)}); "
             + ("unique minimiser" if sol.unique else "uniqueness not counted" if sol.unique is None
                else f"affine family, {sol.n_free} free direction(s)"),
             "", "  V =", matrix(sol.V), "", "  Q =", matrix(sol.Q),
             "", "free: " + "; ".join(free), "convention: " + sol.convention, "",
             "errors at this setting:",
             f"  zero-shot on theta0: {show(errs['zero_shot'])}",
             f"  n -> oo on theta0: {show(errs['few_shot_target'])}",
             f"  n -> oo on -theta0: {show(errs['few_shot_opposite'])}"]
    F.write("\n".join(lines) + "\n")
    return O.EXIT_OK
