"""The backend the command line calls (thin: the work is in the modules named below).

The command line validates user input first; these functions validate again (ValueError
naming the argument) so that they are safe to call from Python.

Types returned:
- ``Result`` (:class:`proofs.result.Result`): ``id`` (e.g. ``"theorem-4.6"``), ``title``,
  ``check() -> Verdict``, ``latex()`` (an amsmath snippet), ``statement`` (SymPy objects).
- ``Verdict`` (:class:`proofs.result.Verdict`): ``holds``, ``lines`` (what was checked), ``seconds``.
- ``TableRow`` (:class:`proofs.table.TableRow`): ``strategy`` and SymPy expressions ``zero_shot``,
  ``few_shot_target``, ``few_shot_opposite`` over the symbols of :func:`table_symbols`.
- ``ParamsResult`` (:class:`proofs.params.ParamsResult`): ``V``, ``Q`` (SymPy matrices), ``free``
  (list[str]), ``convention`` (str), ``definitions`` (derived matrices the blocks refer to).
- ``CurveResult`` (:class:`proofs.curves.CurveResult`): ``n`` (list[int]), ``error`` (list[float]),
  ``limit`` (float), and the exact values ``exact``, ``exact_limit``.
- ``VerifyRow``: ``formula`` (str), ``exact`` (float), ``estimate``, ``stderr``, ``z`` (floats), ``passed`` (bool).
"""
from __future__ import annotations

from typing import Any, Sequence


def results() -> list[Any]:
    """The paper's nine results, in the order of DESIGN.md's ``prove`` row."""
    from proofs.results import all_results
    return all_results()


def summary_table() -> list[Any]:
    """The summary table's rows (pretrain, full, value, value-fewshot), derived."""
    from proofs.table import summary_table as table
    return list(table())


def table_symbols() -> dict[str, str]:
    """Symbol name -> meaning, for the JSON key ``symbols``."""
    from proofs.table import table_symbols as symbols
    return symbols()


def params(strategy: str, *, d: int | None = None, sigma2: Any = None, m: int | None = None,
           n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None) -> Any:
    """Derived V and Q of a strategy; symbolic when ``d`` is None. ``m``/``n_ft`` None mean infinity."""
    from proofs.params import params as derive_params
    return derive_params(strategy, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale, Sigma=Sigma, theta0=theta0)


def curve(strategy: str, task: str, ns: Sequence[int], *, d: int, sigma2: float, m: int | None,
          n_ft: int | None, scale: float = 1.0, Sigma: Any = None, theta0: Any = None) -> Any:
    """Exact n-shot error on task theta0 (``task='target'``) or -theta0 (``'opposite'``) for each n."""
    from proofs.curves import curve as exact_curve
    return exact_curve(strategy, task, ns, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale,
                       Sigma=Sigma, theta0=theta0)


def exact_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int) -> Any:
    """Exact E(V, Q, n; theta) from the derived closed form (a SymPy number)."""
    from proofs.curves import exact_error as error
    return error(V, Q, theta, Sigma, sigma2, n)


def latex_document() -> str:
    """A standalone LaTeX document: every statement, parameters, conventions, the table."""
    from proofs.latex_doc import latex_document as document
    return document()


def verify(samples: int, seed: int) -> list[Any]:
    """Monte Carlo check of every derived error formula (see :mod:`proofs.verify`)."""
    from proofs.verify import verify as run
    return run(samples, seed)
