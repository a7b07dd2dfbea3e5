"""What a subcommand's options and input files describe together: the setting (d, Sigma,
theta_0) and the question (a strategy's name, or a spec read from ``--spec``).

The one place where the parsed options (:mod:`proofs.cli.options`) meet the files read
(:mod:`proofs.cli.files`); neither of those imports the other's callers. The values go on to
:mod:`proofs.api`, which builds the :class:`proofs.quantities.setting.Setting` and validates
them again as any Python caller's would.
"""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli.files import load_sigma, load_spec, load_theta0
from proofs.cli.options import UsageError, exact_matrix, given, identity, resolve_dimension, unit_vector

__all__ = ["setting", "strategy_of", "arithmetic_of", "fixed_dimension", "check_spec"]


def arithmetic_of(args: argparse.Namespace, d: int) -> Any:
    """The arithmetic (:class:`symbolic.arithmetic.Arithmetic`) of ``--arithmetic``/``--precision``
    at dimension d (exact for d <= 10 and float above by default); a combination refused by
    :func:`proofs.quantities.arithmetic.choose` is a UsageError naming the option."""
    from proofs.quantities.arithmetic import choose
    try:
        return choose(d, getattr(args, "arithmetic", None), getattr(args, "precision", None))
    except ValueError as err:
        text = str(err)
        for word in ("arithmetic", "precision"):
            if text.startswith(word + ":"):
                text = "--" + text
        raise UsageError(text) from None


def setting(args: argparse.Namespace, *, need_d: bool, d: int | None = None) -> tuple[int | None, Any, Any]:
    """d, Sigma, theta0 (or None where symbolic) from ``--d --Sigma --theta0``: exact SymPy
    matrices (identity and e_1 filled in) when the arithmetic (:func:`arithmetic_of`) is exact;
    otherwise the files' contents as read (exact lists, or the float64 arrays of ``.npy``
    files), None where not given, for the arithmetic to convert. Float and mp release the CPU
    budget of exact commands (docs/cli.md, Limits).

    ``need_d``: the subcommand has a default d (curve's 5), which yields to the files' d
    unless ``--d`` was written explicitly; ``d``: a dimension fixed otherwise (a spec's
    explicit start, :func:`fixed_dimension`), used where the options give none.
    """
    Sigma_rows = load_sigma(args.Sigma) if getattr(args, "Sigma", None) else None
    theta_rows = load_theta0(args.theta0) if getattr(args, "theta0", None) else None
    d_cli = getattr(args, "d", None)
    if need_d and (Sigma_rows is not None or theta_rows is not None or d is not None) and not given(args, "--d"):
        d_cli = None
    dd = resolve_dimension(d_cli, Sigma_rows, theta_rows)
    if dd is None:
        dd = d
    if dd is None:
        if getattr(args, "arithmetic", None) not in (None, "exact") or getattr(args, "precision", None) is not None:
            raise UsageError("--arithmetic: float and mp need a concrete setting (--d, --Sigma or --theta0)")
        return None, None, None
    if not arithmetic_of(args, dd).exact:
        from proofs.cli.budget import release
        release()  # the CPU budget is for exact arithmetic (docs/cli.md, Limits)
        return dd, Sigma_rows, theta_rows
    Sigma = exact_matrix(Sigma_rows if Sigma_rows is not None else identity(dd))
    theta0 = exact_matrix([[x] for x in (theta_rows if theta_rows is not None else unit_vector(dd))])
    return dd, Sigma, theta0


def strategy_of(args: argparse.Namespace) -> tuple[Any, str]:
    """What ``--strategy`` or ``--spec`` names: a strategy name or a :class:`symbolic.spec.Spec`
    (read once from the JSON file; its given vectors are checked against the setting's d by the
    API), and its label for the output (the strategy's name, or the spec's ``name``)."""
    if getattr(args, "spec", None):
        spec = load_spec(args.spec, "--spec")
        return spec, spec.name
    return args.strategy, args.strategy


def check_spec(question: Any, d: int | None) -> None:
    """A spec's given vectors and matrices have the setting's dimension d (a UsageError naming
    ``--spec`` otherwise)."""
    from proofs.quantities.validation import spec_dimension
    try:
        spec_dimension(question, d)
    except ValueError as err:
        raise UsageError("--spec: " + str(err).partition(": ")[2]) from None


def fixed_dimension(question: Any, *, any_start: bool) -> int | None:
    """The d a spec fixes: its explicit start's when the start is general
    (:func:`symbolic.spec.general_start`, answered at that d); with ``any_start`` (a command that
    needs a d), that of any vector or matrix the spec gives (its start, a task vector, a family's
    covariance), as a ``--Sigma`` file gives its d."""
    from symbolic.spec import general_start, start_dimension
    if not hasattr(question, "train"):
        return None
    if any_start:
        for _, value in getattr(question, "bindings", ()) or ():
            return int(value.shape[0])
        return None
    return start_dimension(question) if general_start(question) else None
