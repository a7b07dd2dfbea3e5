"""One path from a question to its answer at a setting: :func:`solve`.

A question is a strategy's name (``pretrain``, ``full``, ``value``, ``value-fewshot``) or a
spec (:class:`symbolic.spec.Spec`: what is trained, from where, on which losses); a setting is
a :class:`proofs.quantities.setting.Setting`. :func:`solve` is the one place that decides how
the question is answered there, in this order:

1. **closed form**: the derivation at symbolic d (:mod:`symbolic.general`, cached by
   :mod:`proofs.quantities.derivations`), evaluated at the setting;
2. **concrete minimiser**, where the derivation has no closed form at symbolic d (Q_xx reaching
   the loss, or a general explicit start) but the loss is quadratic: the exact minimiser set at
   this setting (:mod:`proofs.quantities.concrete_minimiser`), said to hold there only; it
   needs a concrete d (given, or fixed by the spec's start);
3. **numeric optimum**, where the loss is not quadratic (V and Q trained together) and the
   caller asks for it (``numeric=True``): a numerically found local minimiser of the exact
   loss (:mod:`proofs.quantities.numeric_optimum`), labelled so.

A spec whose rank constrains its block (LoRA: Q_xx or Q below full rank) takes the rank route
first (:mod:`proofs.quantities.lowrank`: closed form where :mod:`symbolic.lowrank` applies, else
the rank-r optimum at the setting); a rank that does not constrain at the setting's d (full
rank) is dropped and the question answered as full fine-tuning.

A spec at depth (:class:`symbolic.depth_spec.DepthSpec`) has its own route
(:mod:`proofs.quantities.depth_solution`: the closed form of :mod:`symbolic.depth_finetune` where
its loss is quadratic, else the reason; with ``numeric``, a numeric local minimiser of a quartic
loss, or, for whole matrices outside the class, the point gradient descent reaches,
:mod:`proofs.quantities.depth_descent`).

Otherwise it refuses with the reason (:class:`symbolic.quadratic.NotClosedForm` or
:class:`symbolic.quadratic.NotQuadratic`, saying what to give).

The :class:`Solution` it returns answers the rest the same way whatever the route:
:meth:`~Solution.parameters` (V and Q), :meth:`~Solution.curve` (the n-shot errors),
:meth:`~Solution.errors` (the table's three: zero-shot on theta_0, n -> oo on theta_0 and
-theta_0).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["solve", "Solution", "ClosedForm", "ConcreteMinimum", "NumericMinimum", "ROUTES"]

from proofs.quantities.solutions import ROUTES, ClosedForm, ConcreteMinimum, NumericMinimum, Solution


def solve(question: Any, setting: Any, *, numeric: bool = False, steps: int | None = None) -> Solution:
    """The answer to ``question`` at ``setting`` (a :class:`proofs.quantities.setting.Setting`):
    closed form, else the concrete minimiser (a quadratic loss without a closed form at symbolic
    d), else, with ``numeric``, the numeric optimum (module docstring). Raises
    :class:`symbolic.quadratic.NotClosedForm` / :class:`symbolic.quadratic.NotQuadratic` with the
    reason and what to give, when no route answers. ``steps``: gradient descent's, for a depth spec
    training whole matrices only (:mod:`proofs.quantities.depth_descent`)."""
    from symbolic.quadratic import NotClosedForm, NotQuadratic
    from proofs.quantities.concrete_minimiser import needs_concrete
    from proofs.quantities.setting import derived, resolve
    from symbolic.depth_spec import DepthSpec
    import numpy as np
    if not isinstance(numeric, (bool, np.bool_)):   # numeric="no" would be truthy: never a silent yes
        raise TypeError(f"numeric: expected True or False, got {numeric!r} ({type(numeric).__name__})")
    if isinstance(question, DepthSpec):   # a spec at depth: its own closed form (symbolic.depth_finetune)
        from proofs.quantities.depth_solution import depth_solve
        return depth_solve(question, setting, question.name, numeric=numeric, steps=steps)
    q = resolve(question)   # first: what the question is (a JSON dict is no spec: said so, not blamed on steps)
    if steps is not None:
        raise ValueError("steps: only for a depth spec training whole matrices (Q<l>, V<l>.all, all), answered by "
                         "gradient descent")
    label = getattr(q, "name", q)
    if getattr(q, "ranks", ()):
        from proofs.quantities.lowrank import constrained, rank_minimum
        if constrained(q, setting):
            return rank_minimum(q, setting, label)
        q = q.without_ranks()   # full rank at this d: today's question, exactly
    try:
        s, extra = derived(q, setting.m, setting.n_ft)
        return ClosedForm(q, setting, label, s, extra)
    except NotClosedForm as exc:
        if not needs_concrete(q):
            raise
        return _concrete_minimum(q, setting, label, str(exc))
    except NotQuadratic as exc:
        if not numeric:
            raise
        return _numeric_minimum(q, setting, label, str(exc))


def _concrete_minimum(spec: Any, setting: Any, label: str, why: str) -> ConcreteMinimum:
    from symbolic.arithmetic import EXACT, FLOAT64
    from symbolic.quadratic import NotClosedForm
    from symbolic.spec import general_start, start_dimension
    from proofs.quantities.concrete_minimiser import concrete_minimiser
    if setting.symbolic and general_start(spec):  # the explicit start fixes d
        from proofs.quantities.setting import setting as make_setting
        setting = make_setting(start_dimension(spec), sigma2=setting.sigma2, m=_count(setting.m),
                               n_ft=_count(setting.n_ft), scale=setting.scale)
    if setting.symbolic:
        raise NotClosedForm(f"{why}; add --d D (and --sigma2, --Sigma, --theta0) for the exact minimiser at "
                            "that setting")
    if setting.sigma2 is None:
        raise ValueError("sigma2: the minimiser at a concrete setting needs a value of sigma^2 (no closed "
                         "form at symbolic d: Q_xx trained, or a general explicit start); give one, e.g. --sigma2 0.1")
    if setting.arith not in (EXACT, FLOAT64):
        raise ValueError(f"arithmetic: the concrete minimiser (no closed form at symbolic d) is exact or float64, "
                         f"not {setting.arith.label()}; give --arithmetic exact or float")
    sol = concrete_minimiser(spec, setting)
    return ConcreteMinimum(spec, setting, label, sol, why)


def _numeric_minimum(spec: Any, setting: Any, label: str, why: str) -> NumericMinimum:
    from symbolic.layout import NAMES, entries
    from proofs.quantities import limits as L
    from proofs.quantities.numeric_optimum import numeric_optimum
    if setting.symbolic or not setting.arith.exact:
        raise ValueError("d: the numeric optimum minimises the exact loss at a concrete setting, d <= 10; "
                         "give d (or Sigma, theta0)")
    count = len(entries([b for b in spec.train if b in NAMES], setting.d))
    if count > L.MAX_NUMERIC_ENTRIES:
        raise ValueError(f"d: the numeric optimum (BFGS from several starts) trains at most {L.MAX_NUMERIC_ENTRIES} "
                         f"entries within its CPU budget; the spec trains {count} at d = {setting.d}: give a smaller "
                         "d or train fewer blocks")
    opt = numeric_optimum(spec, setting)
    return NumericMinimum(spec, setting, label, opt, why)


def _count(x: Any) -> Any:
    return None if x == sp.oo else int(x)
