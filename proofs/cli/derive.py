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
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Derive the spec and print the derivation."""
    import sympy as sp
    from proofs.cli import output as F
    from proofs.derivation import derivation, load_spec, plain_scalars
    from symbolic.quadratic import NotClosedForm, NotQuadratic
    spec = load_spec(args.spec)
    m = sp.oo if args.m is None else sp.Integer(int(args.m))
    try:
        result = derivation(spec, m)
    except (NotQuadratic, NotClosedForm) as exc:
        raise O.Unavailable(f"--spec: no closed form: {exc}") from None
    s = result.strategy
    if args.format == "json":
        symbols: dict[str, str] = dict(F.JSON_SYMBOLS) if hasattr(F, "JSON_SYMBOLS") else {}
        symbols.update({"d": "dimension of x", "sigma": "noise standard deviation", "n": "shots",
                        "m": "pretraining context length"})

        def plain(e: Any) -> str:
            e2, meaning = plain_scalars(e)
            symbols.update(meaning)
            return F.expr_json(e2)
        out = {
            "spec": str(spec), "name": s.name, "m": str(m),
            "parameters": {k: plain(v) for k, v in s.parameters().items()
                           if v != 0 and not getattr(v, "is_ZeroMatrix", False)},
            "definitions": {k: sp.sstr(v) for k, v in s.definitions().items()},
            "free": list(s.free), "convention": s.convention,
            "steps": [str(step) for step in s.steps],
            "errors": {k: plain(v) for k, v in result.errors.items()},
            "where": {str(k): plain(v) for k, v in result.where.items()},
            "symbols": symbols,
        }
        F.write(F.dump_json(out))
    elif args.format == "latex":
        rows = [rf"{sp.latex(k)} &= {sp.latex(v)}" for k, v in result.where.items()]
        rows += [r"\text{zero-shot on } \theta_0 &= " + sp.latex(result.errors["zero_shot"]),
                r"\lim_{n\to\infty} \text{ on } \theta_0 &= " + sp.latex(result.errors["few_shot_target"]),
                r"\lim_{n\to\infty} \text{ on } -\theta_0 &= " + sp.latex(result.errors["few_shot_opposite"])]
        F.write("% " + str(spec) + "\n\\[\n" + s.latex() + "\n\\]\n\\[\n\\begin{aligned}\n"
                + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n")
    else:
        lines = [f"spec: {spec}", f"pretraining context m = {m}", "", "derivation:"]
        lines += [f"  {i}. {step}" for i, step in enumerate(s.steps, 1)]
        lines += ["", str(s), "", "errors:"]
        names = {"zero_shot": "zero-shot on theta0", "few_shot_target": "n -> oo on theta0",
                 "few_shot_opposite": "n -> oo on -theta0", "n_shot": "n shots on theta"}
        lines += [f"  {names[k]}: {sp.sstr(v)}" for k, v in result.errors.items()]
        lines += [f"  where {k} = {sp.sstr(v)} (derived above)" for k, v in result.where.items()]
        F.write("\n".join(lines) + "\n")
    return O.EXIT_OK
