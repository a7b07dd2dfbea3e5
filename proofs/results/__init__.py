"""The paper's nine results, one module each (see :class:`proofs.result.Result`).

``RESULTS`` lists the module names in the order of DESIGN.md's ``prove`` row;
:func:`all_results` imports them and returns their ``RESULT`` objects.
"""
from __future__ import annotations

from importlib import import_module

MODULES = ("corollary_4_1", "corollary_4_2", "theorem_4_3", "corollary_4_4", "theorem_4_6",
           "proposition_4_7", "corollary_4_8", "theorem_4_9", "proposition_4_10")


def all_results() -> list:
    """The nine results, in order (imported on first use)."""
    out = []
    for name in MODULES:
        try:
            out.append(import_module(f"proofs.results.{name}").RESULT)
        except ModuleNotFoundError as exc:
            if exc.name != f"proofs.results.{name}":
                raise
    return out


def get(result_id: str):
    """The result with id ``result_id`` (e.g. ``"theorem-4.6"``)."""
    for r in all_results():
        if r.id == result_id:
            return r
    raise ValueError(f"result: expected one of {', '.join(r.id for r in all_results())}, got {result_id!r}")
