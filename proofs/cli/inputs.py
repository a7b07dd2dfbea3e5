"""What a subcommand's options and input files describe together: the setting (d, Sigma,
theta_0) and the strategy (a name, or a spec read from ``--spec``).

The one place where the parsed options (:mod:`proofs.cli.options`) meet the files read
(:mod:`proofs.cli.files`); neither of those imports the other's callers.
"""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli.files import load_sigma, load_spec, load_theta0
from proofs.cli.options import UsageError, exact_matrix, given, identity, resolve_dimension, unit_vector

__all__ = ["setting", "strategy_of", "arithmetic_of"]


def arithmetic_of(args: argparse.Namespace, d: int) -> tuple[str, int | None]:
    """The arithmetic of ``--arithmetic``/``--precision`` at dimension d (exact for d <= 10 and
    float above by default); a combination refused by :func:`proofs.quantities.arithmetic.choose` is a
    UsageError naming the option."""
    from proofs.quantities.arithmetic import choose
    try:
        return choose(d, getattr(args, "arithmetic", None), getattr(args, "precision", None))
    except ValueError as err:
        text = str(err)
        for word in ("arithmetic", "precision"):
            if text.startswith(word + ":"):
                text = "--" + text
        raise UsageError(text) from None


def setting(args: argparse.Namespace, *, need_d: bool) -> tuple[int | None, Any, Any]:
    """d, Sigma, theta0 (or None where symbolic) from ``--d --Sigma --theta0``: exact SymPy
    matrices when the arithmetic (:func:`arithmetic_of`) is exact, float64 arrays when it is
    float, exact lists (or the float64 arrays of ``.npy`` files) when it is mp.

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
        if getattr(args, "arithmetic", None) not in (None, "exact") or getattr(args, "precision", None) is not None:
            raise UsageError("--arithmetic: float and mp need a concrete setting (--d, --Sigma or --theta0)")
        return None, None, None
    arithmetic, _ = arithmetic_of(args, d)
    if arithmetic != "exact":
        from proofs.cli.budget import release
        release()  # the CPU budget is for exact arithmetic (docs/cli.md, Limits)
        import numpy as np
        if arithmetic == "float":
            Sigma_rows = None if Sigma_rows is None else np.asarray(Sigma_rows, dtype=np.float64)
            theta_rows = None if theta_rows is None else np.asarray(theta_rows, dtype=np.float64)
        return d, Sigma_rows, theta_rows
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

