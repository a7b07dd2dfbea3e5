"""``icl-finetune error``: the exact n-shot error of any given parameters (a JSON file)."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O

FORMATS = ("text", "json")
#: Monte Carlo prompts of the depth route outside the class (proofs.quantities.depth_error.DEFAULT_SAMPLES)
DEFAULT_SAMPLES = 200_000
#: what run prints (``module.Class``), each in every format of FORMATS (tests/test_printers.py)
PRINTS = ("proofs.cli.reports.ErrorReport", "proofs.cli.reports.DepthErrorReport")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``error`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "error", help="exact n-shot error of given parameters",
        description="Exact n-shot error E(V, Q, n; theta) of any given parameters, from the closed\n"
                    "form. FILE is JSON: {\"V\": [[...]], \"Q\": [[...]], \"theta\": [...],\n"
                    "\"Sigma\": [[...]], \"sigma2\": x, \"n\": k}, V and Q (d+2)x(d+2), Sigma d x d\n"
                    "symmetric positive definite. Numbers are read exactly (0.1 is 1/10).\n"
                    "Depth: {\"layers\": [{\"V\": ..., \"Q\": ...}, ...], \"theta\", \"Sigma\", \"sigma2\", \"n\"}\n"
                    "(1 to 3 layers): exact for one layer and for the class (V_l on the label row,\n"
                    "Q_l on the x block), Monte Carlo with its standard error otherwise (labelled).",
        example="  icl-finetune error --params params.json --format json", run=run)
    sub.add_argument("--params", required=True, metavar="FILE", type=O.argtype(O.parse_file_name, "--params"),
                     help="JSON file with V, Q (or layers), theta, Sigma, sigma2, n")
    sub.add_argument("--samples", metavar="N", type=O.argtype(O.parse_samples, "--samples"), default=DEFAULT_SAMPLES,
                     help=f"Monte Carlo prompts where no exact route exists (a layer list outside the class; "
                          f"default: {DEFAULT_SAMPLES})")
    O.seed_option(sub, help="seed of that Monte Carlo estimate (default: 0)")
    sub.add_argument("--derive", action="store_true",
                     help="layers in the class whose closed form is not cached yet and takes about a minute "
                          "of CPU to derive (L = 3 with values in layer 1): derive it now (once; cached "
                          "afterwards) instead of the labelled Monte Carlo estimate")
    O.arithmetic_options(sub)
    O.format_option(sub, FORMATS)
    return sub


def run(args: argparse.Namespace) -> int:
    """Read the file, evaluate the closed form (exactly at d <= 10), print the value."""
    from proofs import api
    from proofs.cli import files
    from proofs.cli.inputs import arithmetic_of
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.reports import ErrorReport
    p = files.load_params(args.params)
    arith = arithmetic_of(args, p.d)
    if isinstance(p, files.DepthParamsFile):
        from proofs.cli.reports import DepthErrorReport
        from proofs.quantities.depth_error import monte_carlo_route
        if monte_carlo_route(p.layers, p.d, derive=args.derive, n=p.n, samples=args.samples):
            from proofs.cli.budget import release   # float64 sampling, bounded up front: no exact budget
            release()
        elif args.derive and monte_carlo_route(p.layers, p.d, derive=False, n=p.n, samples=args.samples):
            from proofs.cli.budget import release   # asked for: the one slow derivation, announced
            from proofs.cli.output import note
            release()
            note(f"deriving the class closed form at L = {len(p.layers)} for these layers once (about a minute "
                 "of CPU; cached afterwards)")
        elif len(p.layers) >= 2:  # named if the budget runs out (it said "--Sigma or --theta0", options error lacks)
            args.slow = (f"--params: the class closed form at L = {len(p.layers)} for these layers, derived "
                         "symbolically once and then cached (each layer with v_0 or v_x adds to it)")
        layers = [(O.exact_matrix(V), O.exact_matrix(Q)) for V, Q in p.layers] if arith.exact else p.layers
        theta, Sigma = (O.exact_matrix([[x] for x in p.theta]), O.exact_matrix(p.Sigma)) if arith.exact \
            else (p.theta, p.Sigma)
        result = api.depth_error(layers, theta, Sigma, O.exact(p.sigma2), p.n, arithmetic=arith.name,
                                 precision=arith.precision, samples=args.samples, seed=args.seed,
                                 derive=args.derive)
        write(printer(args.format).doprint(DepthErrorReport(result)))
        return O.EXIT_OK
    if arith.exact:
        V, Q, theta, Sigma = (O.exact_matrix(p.V), O.exact_matrix(p.Q), O.exact_matrix([[x] for x in p.theta]),
                              O.exact_matrix(p.Sigma))
    else:
        V, Q, theta, Sigma = p.V, p.Q, p.theta, p.Sigma
    value = api.exact_error(V, Q, theta, Sigma, O.exact(p.sigma2), p.n, arithmetic=arith.name,
                            precision=arith.precision)
    write(printer(args.format).doprint(ErrorReport(value, p.n, arith)))
    return O.EXIT_OK
