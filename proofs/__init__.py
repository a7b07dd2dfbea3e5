"""proofs: the paper's results, the command line and the figure (the layer joining symbolic/ and numeric/).

For a REPL or a notebook, one import gives the setting's symbols, every strategy's
derivation and every result::

    >>> from proofs import *
    >>> derive("value").zero_shot_error()
    sigma**2 + 2*(theta_0.T*Sigma*theta_0)/(d + 4)
    >>> get_result("theorem-4.6")
    <Theorem 4.6: value-matrix fine-tuning: optimal V and zero-shot error>

``all_results()`` lists the nine results in the paper's order; ``get_result(name)`` picks one by
its id (``"theorem-4.6"``) or label (``"Theorem 4.6"``).  (They are not called ``results`` and
``result``: those names are the submodules :mod:`proofs.paper.results` and :mod:`proofs.paper.result`.)
The names of :mod:`symbolic` (``d``, ``sigma``, ``n``, ``m``, ``Sigma``, ``theta``,
``theta0``, ``derive``, ``error``, ...) are re-exported.

Everything is imported lazily, on first use: ``import proofs`` (which the command line does)
loads neither SymPy nor NumPy, so ``icl-finetune --help`` stays fast.
"""
from __future__ import annotations

from typing import Any

#: the names of :mod:`symbolic` that ``from proofs import *`` re-exports (kept in step with
#: ``symbolic.__all__`` by tests/test_docs_pages.py)
_SYMBOLIC = ("derive", "derive_pretrain", "derive_full", "derive_value", "derive_value_fewshot",
             "Strategy", "STRATEGIES", "canonical_strategy", "expected_error", "pretraining_error",
             "error", "to_sympy", "evaluate", "tidy", "Blocks", "symbolic_blocks", "Bilinear",
             "d", "sigma", "n", "m", "Sigma", "theta", "theta0", "N", "M", "N_FT", "SCALE",
             "SIGMA", "SIGMA_NOISE", "THETA", "THETA0", "DIM")

__all__ = ["all_results", "get_result", *_SYMBOLIC]


def all_results() -> list[Any]:
    """The paper's nine results (:class:`proofs.paper.result.Result`), in the paper's order:
    Corollary 4.1, Corollary 4.2, Theorem 4.3, Corollary 4.4, Theorem 4.6, Proposition 4.7,
    Corollary 4.8, Theorem 4.9, Proposition 4.10."""
    from proofs.paper.results import all_results as load
    return load()


def get_result(name: str) -> Any:
    """One result, by id (``"theorem-4.6"``) or label (``"Theorem 4.6"``, any case).

    Raises ``ValueError`` naming the ids when there is no such result.
    """
    from proofs.paper.results import get
    if not isinstance(name, str):
        raise ValueError(f"name: expected a result id such as 'theorem-4.6', got {name!r}")
    return get("-".join(name.strip().lower().split()))


def __getattr__(name: str) -> Any:  # PEP 562: symbolic's names, imported on first use
    if name in _SYMBOLIC:
        import symbolic
        return getattr(symbolic, name)
    raise AttributeError(f"module 'proofs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
