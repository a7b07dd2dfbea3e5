"""A CPU-time budget for the commands that derive a spec (``--spec``): what the limits on a
spec's fields cannot foresee (an explicit start with Q_xx and few-shot terms, many blocks)
is refused once it has used :data:`proofs.limits.MAX_SPEC_CPU_SECONDS` of CPU, with the
reason, rather than running for minutes.

Unix only (``SIGPROF``, process CPU time) and only in the main thread; elsewhere no budget.
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from typing import Iterator

from proofs import limits as L

__all__ = ["OverBudget", "spec_budget"]


class OverBudget(BaseException):
    """Raised (from the SIGPROF handler) when a spec's derivation used up its CPU budget.
    A BaseException, so that no ``except Exception`` inside SymPy swallows it."""


@contextlib.contextmanager
def spec_budget(args: argparse.Namespace, seconds: float | None = None) -> Iterator[None]:
    """Run the body under a CPU budget of ``seconds`` (default :data:`proofs.limits.MAX_SPEC_CPU_SECONDS`)
    when ``args`` names a ``--spec`` file."""
    seconds = L.MAX_SPEC_CPU_SECONDS if seconds is None else seconds
    usable = (getattr(args, "spec", None) and hasattr(signal, "SIGPROF") and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def over(*_: object) -> None:
        raise OverBudget(seconds)

    old = signal.signal(signal.SIGPROF, over)
    # after the first signal, again every second, in case a library caught the first one
    signal.setitimer(signal.ITIMER_PROF, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, old)
