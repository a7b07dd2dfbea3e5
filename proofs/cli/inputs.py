"""What a subcommand's options and input files describe together: the setting (d, Sigma,
theta_0) and the strategy (a name, or a spec read from ``--spec``).

The one place where the parsed options (:mod:`proofs.cli.options`) meet the files read
(:mod:`proofs.cli.files`); neither of those imports the other's callers.
"""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli.files import load_sigma, load_spec, load_theta0
from proofs.cli.options import exact_matrix, given, identity, resolve_dimension, unit_vector

__all__ = ["setting", "strategy_of"]


def setting(args: argparse.Namespace, *, need_d: bool) -> tuple[int | None, Any, Any]:
    """d, Sigma, theta0 (exact SymPy, or None where symbolic) from ``--d --Sigma --theta0``.

    ``need_d``: the subcommand has a default d (curve's 5), which yields to the files' d
    unless ``--d`` was written explicitly.
    """
    Sigma_rows = load_sigma(args.Sigma) if args.Sigma else None
    theta_rows = load_theta0(args.theta0) if args.theta0 else None
    d_cli = args.d
    if need_d and (Sigma_rows is not None or theta_rows is not None) and not given(args, "--d"):
        d_cli = None
    d = resolve_dimension(d_cli, Sigma_rows, theta_rows)
    if d is None:
        return None, None, None
    Sigma = exact_matrix(Sigma_rows if Sigma_rows is not None else identity(d))
    theta0 = exact_matrix([[x] for x in (theta_rows if theta_rows is not None else unit_vector(d))])
    return d, Sigma, theta0


def strategy_of(args: argparse.Namespace, d: int | None = None) -> tuple[Any, str]:
    """What ``--strategy`` or ``--spec`` names: a strategy name or a :class:`symbolic.spec.Spec`
    (read from the JSON file, checked against the dimension ``d`` when given), and its label
    for the output (the strategy's name, or the spec's ``name``)."""
    if getattr(args, "spec", None):
        spec = load_spec(args.spec, "--spec", d)
        return spec, spec.name
    return args.strategy, args.strategy

