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

from fractions import Fraction
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


def setting(d: int | None = None, *, sigma2: Any = None, m: int | None = None, n_ft: int | None = None,
            scale: Any = 1, Sigma: Any = None, theta0: Any = None, arithmetic: str | None = None,
            precision: int | None = None, theta_0: Any = None) -> Any:
    """A validated setting (:class:`proofs.quantities.setting.Setting`): d None with neither Sigma
    nor theta0 is symbolic; ``m``/``n_ft`` None mean infinity; ``theta_0`` is accepted for
    ``theta0``."""
    from proofs.quantities import validation as V
    from proofs.quantities.setting import setting as make
    return make(d, Sigma=Sigma, theta0=V.theta0_once(theta0, theta_0), sigma2=sigma2, m=m, n_ft=n_ft,
                scale=scale, arithmetic=arithmetic, precision=precision)


def solve(strategy: Any, *, numeric: bool = False, steps: int | None = None, **setting_args: Any) -> Any:
    """The answer to a question (a strategy's name or a spec) at a setting (the arguments of
    :func:`setting`), by the one path :func:`proofs.quantities.solve.solve`: closed form,
    else the concrete minimiser, else (``numeric=True``) the numeric optimum; for a depth spec
    training whole matrices, the point gradient descent reaches in ``steps`` steps (default 50,000)."""
    from proofs.quantities import validation as V
    from proofs.quantities.solve import solve as answer
    where = setting(**setting_args)
    V.spec_dimension(strategy, where.d)
    return answer(strategy, where, numeric=numeric, steps=steps)


def params(strategy: str, *, d: int | None = None, sigma2: Any = None, m: int | None = None,
           n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None,
           arithmetic: str | None = None, precision: int | None = None, theta_0: Any = None) -> Any:
    """Derived V and Q of a strategy; symbolic when ``d`` is None (and neither Sigma nor theta0
    is given). ``m``/``n_ft`` None mean infinity. ``theta_0`` is accepted for ``theta0`` (the
    spelling of :meth:`Result.evaluate`). A depth spec is refused before any work (its parameters are
    per layer: :func:`solve` answers it)."""
    if hasattr(strategy, "layers"):
        from proofs.quantities.depth_solution import PER_LAYER
        raise ValueError(PER_LAYER)
    return solve(strategy, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale, Sigma=Sigma, theta0=theta0,
                 arithmetic=arithmetic, precision=precision, theta_0=theta_0).parameters()


def curve(strategy: str, task: str, ns: Sequence[int], *, d: int = 5, sigma2: Any = Fraction(1, 10),
          m: int | None = None, n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None,
          arithmetic: str | None = None, precision: int | None = None, theta_0: Any = None) -> Any:
    """Exact n-shot error on task theta0 (``task='target'``) or -theta0 (``'opposite'``) for each n;
    ``task`` a real number phi (radians, a SymPy number such as ``sympy.pi/2`` stays exact): on
    theta0 rotated by phi at the same Sigma-norm (:mod:`proofs.quantities.angles`).  The defaults
    are the command line's: ``d`` 5, ``sigma2`` 1/10, ``m`` and ``n_ft`` None (infinity; pass
    None, not ``inf``, or ``sympy.oo``), ``scale`` 1, Sigma = I and theta0 = e_1.
    ``theta_0`` is accepted for ``theta0``."""
    from proofs.quantities import validation as V
    from proofs.quantities.compiled_curves import float_curve
    task = V.task_or_angle(task)
    ns = V.counts(ns)
    V.dimension(d)
    # a strategy's float64 curve from its generated evaluator, without SymPy (the same numbers)
    fast = float_curve(strategy, task, ns, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale, Sigma=Sigma,
                       theta0=theta0, arithmetic=arithmetic, precision=precision, theta_0=theta_0)
    if fast is not None:
        return fast
    answer = solve(strategy, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale, Sigma=Sigma, theta0=theta0,
                   arithmetic=arithmetic, precision=precision, theta_0=theta_0)
    return answer.curve(task, ns)


def frontier(lambdas: Sequence[Any], *, n_ft: int | None, n: int | None = None, d: int, sigma2: Any,
             m: int | None = None, Sigma: Any = None, theta0: Any = None, theta_0: Any = None,
             arithmetic: str | None = None, precision: int | None = None, ranks: Sequence[int] | None = None,
             block: str = "Q") -> Any:
    """The zero-shot / few-shot trade-off of value fine-tuning on E(0; theta0) + lambda E(n_ft; theta0):
    one exact row per lambda (numbers >= 0; 0 the limit lambda -> 0+, ``inf``/``sympy.oo`` the
    few-shot loss alone), rows for (a)-(d), the columns as functions of lambda, and the exact
    checks of the two limits (:class:`proofs.quantities.frontier.Frontier`). ``n``, ``n_ft``, ``m``: None
    for infinity. ``theta_0`` is accepted for ``theta0``. ``arithmetic``/``precision``: exact for
    d <= 10 and float above by default (:mod:`proofs.quantities.frontier_numeric`: limits and checks within
    a tolerance). ``ranks``: a curve per rank instead, ``block`` (``Q`` or ``Qxx``) trained by its best
    rank-r update on the same mixed loss (:class:`proofs.quantities.frontier_rank.RankFrontier`)."""
    from itertools import islice
    from proofs.quantities import validation as V
    from proofs.quantities.frontier import MAX_LAMBDAS
    from proofs.quantities.frontier import frontier as run
    n = V.count(n, "n", allow_inf=True)
    V.dimension(d)
    where = setting(d, sigma2=sigma2, m=m, n_ft=n_ft, Sigma=Sigma, theta0=theta0, theta_0=theta_0,
                    arithmetic=arithmetic, precision=precision)
    if lambdas is None or isinstance(lambdas, (str, bytes)) or not hasattr(lambdas, "__iter__"):
        raise TypeError(f"lambdas: expected a sequence of numbers >= 0 or inf, got {lambdas!r}")
    lambdas = list(islice(iter(lambdas), MAX_LAMBDAS + 1))  # an endless iterator is read no further
    if len(lambdas) > MAX_LAMBDAS:
        raise ValueError(f"lambdas: expected at most {MAX_LAMBDAS} values, got more")
    if ranks is not None:
        from proofs.quantities.frontier_rank import rank_frontier
        return rank_frontier(lambdas, where, block=block, ranks=ranks, n=n)
    return run(lambdas, where, n=n)


def trajectory(strategy: Any, *, eta: Any, steps: int, every: int = 1, flow: bool = False, n: int | None = None,
               task: Any = None, level: Any = None, d: int, sigma2: Any = 0, m: int | None = None,
               n_ft: int | None = None, Sigma: Any = None, theta0: Any = None, theta_0: Any = None,
               arithmetic: str | None = None, seed: int = 0, eta2: Any = None, path: str = "staged",
               lam: Any = None) -> Any:
    """The closed-form gradient-descent path of a quadratic strategy or spec
    (:func:`proofs.quantities.trajectories.trajectory`): ``eta`` the step, ``steps`` T, a row
    every ``every`` steps, ``flow`` gradient flow, ``n`` the few-shot columns' shots (None:
    n -> oo), ``task`` a further evaluation task (d numbers), ``level`` a level whose first
    crossing is reported; the setting as for :func:`setting` (``arithmetic`` exact or float:
    the spectral data's; exact by default up to d = 10).  A spec with a constraining rank
    follows LoRA's path (:func:`proofs.quantities.lora_trajectory.lora_trajectory`: B = 0, A
    random from ``seed``), and ends against the rank-r optimum.  Strategy (d): ``eta2`` stage 2's
    step (None: the same fraction of its stable range as ``eta`` of stage 1's); ``path="mixed"``
    with ``lam``: plain gradient descent on E(0) + lam E(n_ft) instead of the two stages."""
    from proofs.quantities import limits as L
    from proofs.quantities import validation as checks
    from proofs.quantities.trajectories import trajectory as follow
    where = setting(checks.dimension(d), sigma2=sigma2, m=m, n_ft=n_ft, Sigma=Sigma, theta0=theta0, theta_0=theta_0,
                    arithmetic=arithmetic)
    n = checks.count(n, "n", allow_inf=True)
    if task is not None:
        task = [checks.real(x, "task") for x in where.arith.vector(task, "task", where.d)]
    level = None if level is None else checks.real(level, "level")
    from proofs.quantities.lowrank import constrained
    if constrained(strategy, where):
        checks.spec_dimension(strategy, where.d)
        from proofs.quantities.lora_trajectory import lora_trajectory
        if flow:
            raise ValueError("flow: LoRA's path is gradient descent on the factors (B, A); give no flow")
        if task is not None:
            raise ValueError("task: LoRA's path reports the errors on theta_0 and -theta_0 only")
        if eta2 is not None or path != "staged" or lam is not None:
            raise ValueError("path: LoRA's path is one stage of gradient descent on the factors; give no eta2, path or lam")
        return lora_trajectory(strategy, where, eta=eta, steps=checks.count(steps, "steps"),
                               every=checks.count(every, "every", minimum=1), n=n, level=level, seed=seed)
    return follow(strategy, where, eta=checks.real(eta, "eta", positive=True), steps=checks.count(steps, "steps",
                  maximum=L.MAX_STEPS), every=checks.count(every, "every", minimum=1,
                  maximum=L.MAX_STEPS), flow=bool(flow), n=n, task=task, level=level,
                  eta2=None if eta2 is None else checks.real(eta2, "eta2", positive=True), path=path,
                  lam=None if lam is None else checks.real(lam, "lam", nonnegative=True))


def exact_error(V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, *,
                arithmetic: str | None = None, precision: int | None = None) -> Any:
    """E(V, Q, n; theta) from the derived closed form: exact (a SymPy number) for d <= 10, a float
    above, or as ``arithmetic`` says (``"mp"``: an mpmath number of ``precision`` digits)."""
    from proofs.quantities import validation as checks
    from proofs.quantities.curves import explicit_error
    for value, name, extra in ((V, "V", 2), (Q, "Q", 2), (Sigma, "Sigma", 0)):
        if value is None:
            raise TypeError(f"{name}: expected a matrix (a list of rows, a NumPy array or a SymPy matrix), got None")
        checks.matrix_like(value, name, extra=extra)
    if theta is None:
        raise TypeError("theta: expected a vector (a list of numbers, a NumPy array or a SymPy column), got None")
    checks.matrix_like(theta, "theta", vector=True)
    n = checks.count(n, "n")
    where = setting(checks.size_of(Sigma, None), Sigma=Sigma, sigma2=sigma2, arithmetic=arithmetic,
                    precision=precision)
    return explicit_error(V, Q, theta, where, n)


def depth_error(layers: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, *, arithmetic: str | None = None,
                precision: int | None = None, samples: int = 200_000, seed: int = 0, derive: bool = True) -> Any:
    """E_L(layers, n; theta) of L = 1..3 layers (a list of (V_l, Q_l) pairs, each (d+2) x (d+2)), a
    :class:`proofs.quantities.depth_error.DepthError`: exact where a derivation covers the parameters
    (one layer; the class V_l on the label row, Q_l on the x block, at L = 2, 3), else Monte Carlo with
    its standard error (``samples`` prompts, ``seed``), labelled not exact. ``derive=False`` (the command
    line's default) takes the labelled Monte Carlo route for a class whose closed form is not cached and
    takes about a minute to derive (L = 3 with values in layer 1)."""
    from proofs.quantities import validation as checks
    from proofs.quantities.depth_error import depth_error_at
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"layers: expected a non-empty list of (V, Q) pairs, got {type(layers).__name__}"
                         + (" (empty)" if isinstance(layers, (list, tuple)) else ""))
    if len(layers) > 3:
        raise ValueError(f"layers: expected at most 3 layers (deeper than supported), got {len(layers)}")
    if theta is None:
        raise TypeError("theta: expected a vector (a list of numbers, a NumPy array or a SymPy column), got None")
    checks.matrix_like(theta, "theta", vector=True)
    for i, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise ValueError(f"layers[{i}]: expected a pair (V, Q), got {type(layer).__name__}")
        for value, name in ((layer[0], f"layers[{i}].V"), (layer[1], f"layers[{i}].Q")):
            checks.matrix_like(value, name, extra=2)
    n = checks.count(n, "n")
    samples = checks.samples(samples)
    seed = checks.seed(seed)
    where = setting(checks.size_of(Sigma, None), Sigma=Sigma, sigma2=sigma2, arithmetic=arithmetic,
                    precision=precision)
    if not isinstance(derive, bool):
        raise ValueError(f"derive: expected True or False, got {derive!r}")
    return depth_error_at(list(layers), [r[0] for r in where.arith.vector(theta, "theta", where.d).tolist()], where, n,
                          samples=samples, seed=seed, derive=derive)


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
