"""The backend the command line calls (owned by the lead; stubs until the derivations land).

Every function here validates nothing itself: the command line validates user input
first, then calls these with clean Python values.

Types used below:
- ``Result``: has ``id`` (e.g. ``"theorem-4.6"``), ``title`` (str), ``check() -> Verdict``,
  ``latex() -> str`` (the statement as an amsmath snippet) and ``statement`` (SymPy objects).
- ``Verdict``: has ``holds`` (bool), ``lines`` (list[str], what was checked).
- ``TableRow``: has ``strategy`` (str) and SymPy expressions ``zero_shot``, ``few_shot_target``,
  ``few_shot_opposite`` over the symbols of :func:`table_symbols`.
- ``ParamsResult``: ``V``, ``Q`` (SymPy matrices), ``free`` (list[str]), ``convention`` (str).
- ``CurveResult``: ``n`` (list[int]), ``error`` (list[float]), ``limit`` (float).
- ``VerifyRow``: ``formula`` (str), ``exact`` (float), ``estimate``, ``stderr``, ``z`` (floats), ``passed`` (bool).
"""
from __future__ import annotations

from typing import Any, Sequence


def results() -> list[Any]:
    """The paper's nine results, in the order of DESIGN.md's ``prove`` row."""
    raise NotImplementedError


def summary_table() -> list[Any]:
    """The summary table's rows (pretrain, full, value, value-fewshot), derived."""
    raise NotImplementedError


def table_symbols() -> dict[str, str]:
    """Symbol name -> meaning, for the JSON key ``symbols``."""
    raise NotImplementedError


def params(strategy: str, *, d: int | None = None, sigma2: Any = None, m: int | None = None,
           n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None) -> Any:
    """Derived V and Q of a strategy; symbolic when ``d`` is None. ``m``/``n_ft`` None mean infinity."""
    raise NotImplementedError


def curve(strategy: str, task: str, ns: Sequence[int], *, d: int, sigma2: float, m: int | None,
          n_ft: int | None, scale: float = 1.0, Sigma: Any = None, theta0: Any = None) -> Any:
    """Exact n-shot error on task theta0 (``task='target'``) or -theta0 (``'opposite'``) for each n."""
    raise NotImplementedError


def exact_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int) -> Any:
    """Exact E(V, Q, n; theta) from the derived closed form (a SymPy number)."""
    raise NotImplementedError


def latex_document() -> str:
    """A standalone LaTeX document: every statement, parameters, conventions, the table."""
    raise NotImplementedError


def verify(samples: int, seed: int) -> list[Any]:
    """Monte Carlo check of every derived error formula."""
    raise NotImplementedError
