"""The backend the command line calls (thin: the work is in the modules named below).

The command line validates user input first; these functions validate again, before any
work (:mod:`proofs.quantities.validation`: a ``ValueError``, or a ``TypeError`` for a value of the wrong
kind, naming the argument), with the bounds of :mod:`proofs.quantities.limits` (d <= 4096, at most
10,000 values of n, n, m, n_ft <= 10^12, samples <= 10^8), so that they are safe to call
from Python. NumPy integers are accepted wherever an integer is (``d=numpy.int64(2)``).

Arithmetic (``params``, ``curve``, ``exact_error``, ``frontier``): ``arithmetic=None`` evaluates
exactly for d <= 10 and in float64 above; ``"exact"``, ``"float"`` or ``"mp"`` (with
``precision=`` significant digits, default 50) choose (:mod:`proofs.quantities.arithmetic`). Results say
which was used (``.arithmetic``); at large d pass Sigma and theta0 as NumPy arrays.

Types returned:
- ``Result`` (:class:`proofs.paper.result.Result`): ``id`` (e.g. ``"theorem-4.6"``), ``title``,
  ``check() -> Verdict``, ``latex()`` (an amsmath snippet), ``statement`` (SymPy objects).
- ``Verdict`` (:class:`proofs.paper.result.Verdict`): ``holds``, ``lines`` (what was checked), ``seconds``.
- ``TableRow`` (:class:`proofs.paper.table.TableRow`): ``strategy`` and SymPy expressions ``zero_shot``,
  ``few_shot_target``, ``few_shot_opposite`` over the symbols of :func:`table_symbols`.
- ``ParamsResult`` (:class:`proofs.quantities.params.ParamsResult`): ``V``, ``Q`` (SymPy matrices), ``free``
  (list[str]), ``convention`` (str), ``definitions`` (derived matrices the blocks refer to).
- ``CurveResult`` (:class:`proofs.quantities.curves.CurveResult`): ``n`` (list[int]), ``error`` (list[float]),
  ``limit`` (float), and the exact values ``exact``, ``exact_limit``.
- ``VerifyRow``: ``formula`` (str), ``exact`` (float), ``estimate``, ``stderr``, ``z`` (floats), ``passed`` (bool).
"""
from __future__ import annotations

from typing import Any, Sequence


def results() -> list[Any]:
    """The paper's nine results, in the order of DESIGN.md's ``prove`` row."""
    from proofs.paper.results import all_results
    return all_results()


def summary_table() -> list[Any]:
    """The summary table's rows (pretrain, full, value, value-fewshot), derived."""
    from proofs.paper.table import summary_table as table
    return list(table())


def table_symbols() -> dict[str, str]:
    """Symbol name -> meaning, for the JSON key ``symbols``."""
    from proofs.paper.table import table_symbols as symbols
    return symbols()


def params(strategy: str, *, d: int | None = None, sigma2: Any = None, m: int | None = None,
           n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None,
           arithmetic: str | None = None, precision: int | None = None, theta_0: Any = None) -> Any:
    """Derived V and Q of a strategy; symbolic when ``d`` is None. ``m``/``n_ft`` None mean infinity.
    ``theta_0`` is accepted for ``theta0`` (the spelling of :meth:`Result.evaluate`)."""
    from proofs.quantities import validation as checks
    theta0 = _theta0(theta0, theta_0)
    from proofs.quantities.params import params as derive_params
    d = checks.dimension(d, optional=True)
    sigma2 = None if sigma2 is None else checks.real(sigma2, "sigma2", nonnegative=True)
    m = checks.count(m, "m", allow_inf=True, minimum=1)
    n_ft = checks.count(n_ft, "n_ft", minimum=1, allow_inf=True)
    scale = None if scale is None else checks.real(scale, "scale", nonzero=True)
    Sigma = checks.matrix_like(Sigma, "Sigma")
    theta0 = checks.matrix_like(theta0, "theta0", vector=True)
    _spec_dimension(strategy, d)
    size = d if d is not None else _size(Sigma, theta0)
    if size is not None:
        arithmetic, precision = checks.arithmetic(arithmetic, precision, size)
    return derive_params(strategy, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale, Sigma=Sigma, theta0=theta0,
                         arithmetic=arithmetic, precision=precision)


def _size(Sigma: Any, theta0: Any) -> int | None:
    """The d that Sigma (or theta0) gives, None if neither is given."""
    for M in (Sigma, theta0):
        if M is not None:
            shape = getattr(M, "shape", None)
            if shape is not None and len(shape) >= 1:
                return int(max(shape)) if M is theta0 else int(shape[0])
            return len(M)
    return None


def curve(strategy: str, task: str, ns: Sequence[int], *, d: int, sigma2: Any, m: int | None,
          n_ft: int | None, scale: Any = 1.0, Sigma: Any = None, theta0: Any = None,
          arithmetic: str | None = None, precision: int | None = None, theta_0: Any = None) -> Any:
    """Exact n-shot error on task theta0 (``task='target'``) or -theta0 (``'opposite'``) for each n;
    ``task`` a real number phi (radians, a SymPy number such as ``sympy.pi/2`` stays exact): on
    theta0 rotated by phi at the same Sigma-norm (:mod:`proofs.quantities.angles`). ``theta_0`` is accepted
    for ``theta0``."""
    from proofs.quantities import validation as checks
    theta0 = _theta0(theta0, theta_0)
    from proofs.quantities.curves import curve as exact_curve
    task = checks.task(task) if isinstance(task, str) else _angle(task)
    ns = checks.counts(ns)
    d = checks.dimension(d)
    sigma2 = checks.real(sigma2, "sigma2", nonnegative=True)
    m = checks.count(m, "m", allow_inf=True, minimum=1)
    n_ft = checks.count(n_ft, "n_ft", minimum=1, allow_inf=True)
    scale = checks.real(scale, "scale", nonzero=True)
    Sigma = checks.matrix_like(Sigma, "Sigma")
    theta0 = checks.matrix_like(theta0, "theta0", vector=True)
    _spec_dimension(strategy, d)
    arithmetic, precision = checks.arithmetic(arithmetic, precision, d)
    return exact_curve(strategy, task, ns, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale,
                       Sigma=Sigma, theta0=theta0, arithmetic=arithmetic, precision=precision)


def frontier(lambdas: Sequence[Any], *, n_ft: int | None, n: int | None = None, d: int, sigma2: Any,
             m: int | None = None, Sigma: Any = None, theta0: Any = None, theta_0: Any = None,
             arithmetic: str | None = None, precision: int | None = None) -> Any:
    """The zero-shot / few-shot trade-off of value fine-tuning on E(0; theta0) + lambda E(n_ft; theta0):
    one exact row per lambda (numbers >= 0; 0 the limit lambda -> 0+, ``inf``/``sympy.oo`` the
    few-shot loss alone), rows for (a)-(d), the columns as functions of lambda, and the exact
    checks of the two limits (:class:`proofs.quantities.frontier.Frontier`). ``n``, ``n_ft``, ``m``: None
    for infinity. ``theta_0`` is accepted for ``theta0``. ``arithmetic``/``precision``: exact for
    d <= 10 and float above by default (:mod:`proofs.quantities.frontier_numeric`: limits and checks within
    a tolerance)."""
    from proofs.quantities import validation as checks
    theta0 = _theta0(theta0, theta_0)
    from proofs.quantities.frontier import frontier as run
    n_ft = checks.count(n_ft, "n_ft", minimum=1, allow_inf=True)
    n = checks.count(n, "n", allow_inf=True)
    d = checks.dimension(d)
    sigma2 = checks.real(sigma2, "sigma2", nonnegative=True)
    m = checks.count(m, "m", allow_inf=True, minimum=1)
    Sigma = checks.matrix_like(Sigma, "Sigma")
    theta0 = checks.matrix_like(theta0, "theta0", vector=True)
    if lambdas is None or isinstance(lambdas, (str, bytes)) or not hasattr(lambdas, "__iter__"):
        raise TypeError(f"lambdas: expected a sequence of numbers >= 0 or inf, got {lambdas!r}")
    from itertools import islice
    from proofs.quantities.frontier import MAX_LAMBDAS
    lambdas = list(islice(iter(lambdas), MAX_LAMBDAS + 1))  # an endless iterator is read no further
    if len(lambdas) > MAX_LAMBDAS:
        raise ValueError(f"lambdas: expected at most {MAX_LAMBDAS} values, got more")
    return run(lambdas, n_ft=n_ft, n=n, d=d, sigma2=sigma2, m=m, Sigma=Sigma, theta0=theta0,
               arithmetic=arithmetic, precision=precision)


def _theta0(theta0: Any, theta_0: Any) -> Any:
    """The target task, given as ``theta0`` or by its other spelling ``theta_0`` (not both)."""
    if theta0 is not None and theta_0 is not None:
        raise ValueError("theta0: given twice, as theta0 and as theta_0 (the same argument; give one)")
    return theta_0 if theta0 is None else theta0


def _angle(phi: Any) -> Any:
    """A task angle: a real number (int, float, Fraction, NumPy or SymPy real), |phi| <= 10^6."""
    import sympy
    from proofs.quantities.angles import MAX_ANGLE
    import math
    import numbers
    if isinstance(phi, bool) or phi is None:
        raise TypeError(f"task: expected 'target', 'opposite' or an angle in radians, got {phi!r}")
    if isinstance(phi, numbers.Real) and not isinstance(phi, numbers.Rational) and not hasattr(phi, "free_symbols"):
        phi = float(phi)  # NumPy floats too; NaN and inf are refused below, never read as 0
        if not math.isfinite(phi):
            raise ValueError(f"task: expected a finite angle in radians, |phi| <= {MAX_ANGLE}, got {phi!r}")
    try:
        value = sympy.Rational(phi) if isinstance(phi, float) else sympy.sympify(phi, strict=True)
    except (sympy.SympifyError, TypeError, ValueError):
        raise TypeError(f"task: expected 'target', 'opposite' or an angle in radians, got {phi!r}") from None
    if not (value.is_real and value.is_finite and value.is_number) or abs(float(value)) > MAX_ANGLE:
        shown = repr(phi) if len(repr(phi)) <= 40 else repr(phi)[:30] + f"... ({len(repr(phi))} characters)"
        raise ValueError(f"task: expected an angle in radians, |phi| <= {MAX_ANGLE}, got {shown}")
    return value


def _spec_dimension(strategy: Any, d: int | None) -> None:
    """A spec's given vectors and matrices (its ``bindings``) have the dimension d of the call."""
    for name, value in getattr(strategy, "bindings", ()) or ():
        rows = getattr(value, "shape", (None,))[0]
        if d is not None and rows is not None and rows != d:
            raise ValueError(f"strategy: the spec gives {name} with {rows} rows, so d = {rows}; got d = {d}")


def exact_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, *,
                arithmetic: str | None = None, precision: int | None = None) -> Any:
    """E(V, Q, n; theta) from the derived closed form: exact (a SymPy number) for d <= 10, a float
    above, or as ``arithmetic`` says (``"mp"``: an mpmath number of ``precision`` digits)."""
    from proofs.quantities import validation as checks
    from proofs.quantities.curves import exact_error as error
    for value, name, extra in ((V, "V", 2), (Q, "Q", 2), (Sigma, "Sigma", 0)):
        if value is None:
            raise TypeError(f"{name}: expected a matrix (a list of rows, a NumPy array or a SymPy matrix), got None")
        checks.matrix_like(value, name, extra=extra)
    if theta is None:
        raise TypeError("theta: expected a vector (a list of numbers, a NumPy array or a SymPy column), got None")
    checks.matrix_like(theta, "theta", vector=True)
    sigma2 = checks.real(sigma2, "sigma2", nonnegative=True)
    n = checks.count(n, "n")
    arithmetic, precision = checks.arithmetic(arithmetic, precision, _size(Sigma, None))
    return error(V, Q, theta, Sigma, sigma2, n, arithmetic=arithmetic, precision=precision)


def latex_document() -> str:
    """A standalone LaTeX document: every statement, parameters, conventions, the table."""
    from proofs.paper.latex_doc import latex_document as document
    return document()


def verify(samples: int, seed: int) -> list[Any]:
    """Monte Carlo check of every derived error formula (see :mod:`proofs.paper.verify`);
    ``samples`` per formula, 2 <= samples <= 10^8."""
    from proofs.quantities import validation as checks
    from proofs.paper.verify import verify as run
    return run(checks.samples(samples), checks.seed(seed))
