"""A CPU-time budget for the commands that compute exactly from the user's inputs (``derive``,
``params``, ``curve``, ``frontier``, ``error``, ``compare``): what the limits on each input cannot foresee
(an explicit start with Q_xx and few-shot terms in a spec; a dense d = 10 ``--Sigma`` whose
entries are 300-digit fractions, at a finite ``--m``) is refused once it has used
:data:`proofs.quantities.limits.MAX_EXACT_CPU_SECONDS` of CPU, with the reason, rather than running for
minutes. ``verify``, ``figure`` and ``transformer`` run for minutes by design (their sizes
are bounded up front) and have no budget.

Only exact arithmetic is budgeted: :func:`release` stops it once the setting turns out to be
evaluated in float64 or mpmath (proofs.cli.inputs.setting). Unix only (``SIGPROF``, the
process's CPU time) and only in the main thread; elsewhere no budget.
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from typing import Iterator

from proofs.quantities import limits as L

__all__ = ["OverBudget", "exact_budget", "release", "BUDGETED", "over_budget_message"]

#: the subcommands whose work is exact arithmetic on the user's inputs
BUDGETED = ("derive", "params", "curve", "frontier", "error", "compare")


class OverBudget(BaseException):
    """Raised (from the SIGPROF handler) when a command used up its CPU budget. A
    BaseException, so that no ``except Exception`` inside SymPy swallows it."""


@contextlib.contextmanager
def exact_budget(args: argparse.Namespace, seconds: float | None = None) -> Iterator[None]:
    """Run the body under a CPU budget of ``seconds`` (default
    :data:`proofs.quantities.limits.MAX_EXACT_CPU_SECONDS`) when ``args.command`` is one of :data:`BUDGETED`."""
    seconds = L.MAX_EXACT_CPU_SECONDS if seconds is None else seconds
    usable = (getattr(args, "command", None) in BUDGETED and hasattr(signal, "SIGPROF")
              and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def over(*_: object) -> None:
        if _importing():  # never in the middle of an import (it would leave a module half-made)
            return
        raise OverBudget(seconds)

    old = signal.signal(signal.SIGPROF, over)
    # after the first signal, again every 0.02 s of CPU: after an import, or if the first was raised where
    # Python ignores exceptions (a garbage-collection callback: seen once in the suite, the command then
    # finished within the old 0.1 s repeat and printed its result)
    signal.setitimer(signal.ITIMER_PROF, seconds, 0.02)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, old)


def release() -> None:
    """Stop the budget: the command turned out not to compute exactly (``--arithmetic float``
    or ``mp``, or d above the exact range), where time is bounded by the input sizes and a
    multi-threaded BLAS would spend CPU time faster than the wall clock."""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_PROF, 0, 0)


def _importing() -> bool:
    """Whether a module is being imported (its ``__spec__._initializing`` is set meanwhile)."""
    return any(getattr(getattr(m, "__spec__", None), "_initializing", False) for m in list(sys.modules.values()))


def over_budget_message(args: argparse.Namespace, seconds: float) -> str:
    """Why the command was stopped, naming what makes it slow."""
    if getattr(args, "numeric", False):
        causes = "--numeric (the optimiser's starts did not all converge within it; a smaller --d helps)"
    elif getattr(args, "spec", None):
        causes = "--spec (what it trains, an explicit start, its tasks or terms)"
    elif getattr(args, "slow", None):  # the subcommand named its own cause before the work
        causes = args.slow
    elif getattr(args, "command", None) == "error":
        causes = "--params (long exact entries, a large d)"
    else:
        causes = "--Sigma or --theta0 (long exact entries, a large d)"
    return (f"the exact computation needs more than {seconds:g} s of CPU, so it is refused "
            f"(docs/cli.md, Limits); what makes it slow here: {causes}")
