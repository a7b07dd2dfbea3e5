"""The kinds of answer :func:`proofs.quantities.solve.solve` returns, one class each way a question
is answered at a setting: :class:`ClosedForm` (the derivation at symbolic d, evaluated there),
:class:`ConcreteMinimum` (the exact minimiser at this setting only), :class:`NumericMinimum` (a
numerically found local minimiser, labelled so); :class:`Solution` is what they share
(:meth:`~Solution.parameters`, :meth:`~Solution.curve`, :meth:`~Solution.errors`). The rank
route's :class:`proofs.quantities.lowrank.RankMinimum` is one more kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy as sp

__all__ = ["Solution", "ClosedForm", "ConcreteMinimum", "NumericMinimum", "ROUTES"]

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
