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

Otherwise it refuses with the reason (:class:`symbolic.quadratic.NotClosedForm` or
:class:`symbolic.quadratic.NotQuadratic`, saying what to give).

The :class:`Solution` it returns answers the rest the same way whatever the route:
:meth:`~Solution.parameters` (V and Q), :meth:`~Solution.curve` (the n-shot errors),
:meth:`~Solution.errors` (the table's three: zero-shot on theta_0, n -> oo on theta_0 and
-theta_0).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy as sp

__all__ = ["solve", "Solution", "ClosedForm", "ConcreteMinimum", "NumericMinimum", "ROUTES"]

#: how an answer was found, as outputs say it
ROUTES = ("closed form", "at this setting only", "numeric")


@dataclass
class Solution:
    """The answer to ``question`` at ``setting`` (module docstring); ``label`` names the question
    (the strategy, or the spec's name)."""

    question: Any
    setting: Any
    label: str

    route = "closed form"

    @property
    def free(self) -> list[str]:
        raise NotImplementedError

    @property
    def convention(self) -> str:
        raise NotImplementedError

    def parameters(self) -> Any:
        """V and Q (:class:`proofs.quantities.params.ParamsResult`)."""
        raise NotImplementedError

    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        """The n-shot error at each n of ``ns`` and its limit (:class:`proofs.quantities.curves.CurveResult`)."""
        raise NotImplementedError

    def errors(self) -> dict[str, Any]:
        """``zero_shot`` (on theta_0), ``few_shot_target``, ``few_shot_opposite`` (n -> oo on
        theta_0, -theta_0), at the setting, in its arithmetic."""
        out = {"zero_shot": self.curve("target", [0]).values[0]}
        out["few_shot_target"] = self.curve("target", []).limit_value
        out["few_shot_opposite"] = self.curve("opposite", []).limit_value
        return out


@dataclass
class ClosedForm(Solution):
    """A closed form: ``strategy`` derived at symbolic d (a :class:`symbolic.Strategy`), and
    ``extra`` the values its derivation binds (a finite m, a spec's given vectors)."""

    strategy: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def free(self) -> list[str]:
        return list(self.strategy.free)

    @property
    def convention(self) -> str:
        return self.strategy.convention

    def parameters(self) -> Any:
        from proofs.quantities.params import closed_form_params
        return closed_form_params(self.strategy, self.extra, self.setting)

    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        from proofs.quantities.curves import closed_form_curve
        _concrete(self.setting, "curve")
        return closed_form_curve(self.question, self.strategy, self.extra, self.setting, task, list(ns))


@dataclass
class ConcreteMinimum(Solution):
    """No closed form at symbolic d: ``minimum``, the exact minimiser set at this setting
    (:class:`proofs.quantities.concrete_minimiser.ConcreteSolution`), and ``why`` the derivation
    stopped."""

    minimum: Any = None
    why: str = ""
    route = "at this setting only"

    @property
    def free(self) -> list[str]:
        from proofs.quantities.concrete_minimiser import free_text
        return free_text(self.minimum)

    @property
    def convention(self) -> str:
        return self.minimum.convention

    def parameters(self) -> Any:
        from proofs.quantities.params import ParamsResult
        st = self.setting
        return ParamsResult(self.minimum.V, self.minimum.Q, self.free, self.convention, self.label, {},
                            {"solution": self.minimum}, st.arith, st.condition, st.warning, self.route)

    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        from proofs.quantities.curves import CurveResult, explicit_errors
        if not isinstance(task, str):
            raise ValueError("task: a spec answered at a concrete setting takes 'target' or 'opposite', not an angle")
        st = self.setting
        vals, lim = explicit_errors(self.minimum.V, self.minimum.Q, st, task, ns)
        if st.arith.exact:
            return CurveResult(list(ns), [float(v) for v in vals], float(lim), list(vals), lim, sp.nan,
                               arith=st.arith, route=self.route)
        return CurveResult(list(ns), [float(v) for v in vals], float(lim), arith=st.arith, values=list(vals),
                           limit_value=lim, condition=st.condition, warning=st.warning, route=self.route)


@dataclass
class NumericMinimum(Solution):
    """No closed form (the loss is not quadratic): ``optimum``, a numeric local minimiser of the
    exact loss (:class:`proofs.quantities.numeric_optimum.NumericOptimum`), and ``why``."""

    optimum: Any = None
    why: str = ""
    route = "numeric"

    @property
    def free(self) -> list[str]:
        return []

    @property
    def convention(self) -> str:
        return ("NUMERIC (not derived): the best local minimum of the exact loss found by BFGS from several "
                "starts at this setting")

    def parameters(self) -> Any:
        from proofs.quantities.params import ParamsResult
        st = self.setting
        return ParamsResult(self.optimum.V, self.optimum.Q, self.free, self.convention, self.label, {},
                            {"optimum": self.optimum}, st.arith, st.condition, st.warning, self.route)

    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        from proofs.quantities.curves import CurveResult, explicit_errors
        from symbolic.arithmetic import EXACT
        st = self.setting
        V, Q = (EXACT.matrix([[sp.Rational(float(x)) for x in row] for row in M.tolist()])
                for M in (self.optimum.V, self.optimum.Q))
        vals, lim = explicit_errors(V, Q, st, task, ns)
        return CurveResult(list(ns), [float(v) for v in vals], float(lim), list(vals), lim, sp.nan, arith=st.arith,
                           route=self.route)

    def errors(self) -> dict[str, Any]:
        return dict(self.optimum.errors)


def _concrete(setting: Any, what: str) -> None:
    if setting.symbolic:
        raise ValueError(f"d: a {what} is evaluated at a concrete setting; give d (or Sigma, theta0)")


def solve(question: Any, setting: Any, *, numeric: bool = False) -> Solution:
    """The answer to ``question`` at ``setting`` (a :class:`proofs.quantities.setting.Setting`):
    closed form, else the concrete minimiser (a quadratic loss without a closed form at symbolic
    d), else, with ``numeric``, the numeric optimum (module docstring). Raises
    :class:`symbolic.quadratic.NotClosedForm` / :class:`symbolic.quadratic.NotQuadratic` with the
    reason and what to give, when no route answers."""
    from symbolic.quadratic import NotClosedForm, NotQuadratic
    from proofs.quantities.concrete_minimiser import needs_concrete
    from proofs.quantities.setting import derived, resolve
    q = resolve(question)
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
