r"""A depth spec answered at a setting: the closed form of :mod:`symbolic.depth_finetune`, evaluated.

:func:`depth_solve` is :func:`proofs.quantities.solve.solve`'s route for a
:class:`symbolic.depth_spec.DepthSpec`: the derivation at symbolic d with the pretrained gamma_l
as symbols (:func:`symbolic.depth_finetune.derive_depth_spec`, cached per spec), and the gamma_l
of the setting's m (:func:`symbolic.depth_finetune.start_gammas`: the class's pretraining optimum
at Sigma = I; at symbolic d their closed form where it exists). A spec that trains a product of
its entries (a v_y^{(l)} with an earlier layer's values: the loss is quartic) is refused with the
reason (:class:`symbolic.quadratic.NotQuadratic`), or, with ``numeric`` at a concrete setting,
answered by a numeric local minimiser of the exact loss (:class:`DepthNumericMinimum`,
:mod:`proofs.quantities.depth_numeric`), labelled so.

:class:`DepthClosedForm` answers the rest: :meth:`~DepthClosedForm.errors` (zero-shot on theta_0,
n -> oo on theta_0 and -theta_0) and :meth:`~DepthClosedForm.curve` at a concrete setting, from
the depth closed form E_L (:mod:`symbolic.depth`) at the fine-tuned layers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

from proofs.quantities.solutions import Solution

__all__ = ["DepthClosedForm", "DepthNumericMinimum", "DepthDescentMinimum", "depth_solve", "derived_depth", "PER_LAYER"]

#: why a depth spec has no ``params`` (said before any work, quadratic loss or not)
PER_LAYER = ("spec: a depth spec's parameters are per layer; 'derive --spec' prints them (closed form; with "
             "--numeric at a setting where there is none), 'trajectory --spec' follows a closed form's path")


@lru_cache(maxsize=32)
def derived_depth(spec: Any) -> Any:
    """:func:`symbolic.depth_finetune.derive_depth_spec` at symbolic gamma_l, once per spec."""
    from symbolic.depth_finetune import derive_depth_spec
    return derive_depth_spec(spec)


@dataclass
class DepthClosedForm(Solution):
    """A depth spec's closed form (``finetune``: a :class:`symbolic.depth_finetune.DepthFinetune` at
    symbolic gamma_l) and the gamma_l of the setting's m (``gammas``: numbers at a concrete setting,
    closed forms or None at symbolic d)."""

    finetune: Any = None
    gammas: tuple | None = None

    @property
    def free(self) -> list[str]:
        return [f"{b} (the loss does not determine it; kept at its start value)" for b in self.finetune.free] + \
            ["every block not trained: the pretrained class model's (V_l = e_y e_y^T, Gamma_l = gamma_l Sigma^-1)"]

    @property
    def convention(self) -> str:
        return ("gradient descent from the pretrained class model leaves every free block at its start value "
                "(its gradient is identically zero)" + ("; the second loss is minimised inside the set of minimisers "
                                                       "of the first" if self.question.then else ""))

    def _env(self) -> dict:
        from symbolic.depth_finetune import GAMMAS
        st = self.setting
        if st.symbolic:
            raise ValueError("d: a depth spec's errors at a setting need a concrete d (or Sigma, theta0)")
        if st.sigma2 is None:
            raise ValueError("sigma2: a depth spec's errors at a setting need a value of sigma^2")
        env = {**st.env(), "d": st.d, **dict(self.question.bindings)}
        env.update({g.name: v for g, v in zip(GAMMAS, self.gammas)})
        return env

    def _trained_env(self) -> dict:
        """The setting's environment plus the trained blocks' values there (v_0_l, v_y_l numbers, v_x_l a
        vector), so that the error at the unknowns (derived once, polynomial) is evaluated directly:
        exact numbers in exact arithmetic, else floats and a float64 vector (computed once)."""
        if getattr(self, "_trained", None) is not None:
            return dict(self._trained)
        from symbolic.evaluation import evaluate
        from symbolic.strategy import vecexpr_to_sympy
        env = self._env()
        if self._float:
            import numpy as np
            for u, v in self.finetune.solved.items():
                if isinstance(u, sp.Symbol):
                    env[u.name] = float(evaluate(sp.sympify(v), env, arithmetic=self.setting.arith))
                else:
                    env[u.name] = (np.asarray(evaluate(vecexpr_to_sympy(list(v)), env, arithmetic=self.setting.arith),
                                              dtype=float).reshape(-1, 1) if v else np.zeros((self.setting.d, 1)))
        else:
            for u, v in self.finetune.solved.items():
                if isinstance(u, sp.Symbol):
                    env[u.name] = evaluate(sp.sympify(v), env)
                else:
                    env[u.name] = sp.Matrix(evaluate(vecexpr_to_sympy(list(v)), env)) if v else sp.zeros(self.setting.d, 1)
        self._trained = env
        return dict(env)

    @property
    def _float(self) -> bool:
        """float64 arithmetic (not exact, not mp): the curve takes the compiled route."""
        arith = self.setting.arith
        return not arith.exact and arith.precision is None

    def _float_curve(self, task: Any, ns: Sequence[int]) -> tuple[list, float]:
        """float64: E_L(n; task) at every n of ``ns`` from the closed form at symbolic n compiled to numpy
        (:func:`symbolic.depth_float.compile_poly`): each trace and bilinear form once, the coefficients
        (rational in n) on the array of n; the limit from the n -> oo closed form."""
        import numpy as np
        from symbolic.depth import depth_error, depth_error_limit
        from symbolic.depth_float import compile_poly
        from symbolic.objective import N
        layers = list(self.finetune.trial)
        env = {k: (np.asarray(v.tolist() if hasattr(v, "tolist") and not isinstance(v, np.ndarray) else v,
                              dtype=float) if getattr(v, "shape", None) else float(v)) for k, v in
               self._trained_env().items()}
        vals = compile_poly(depth_error(layers, task, N)).along(env, N.name, ns) if len(ns) else np.zeros(0)
        return [float(v) for v in vals], float(compile_poly(depth_error_limit(layers, task))(env))

    def _value(self, task: Any, n: Any) -> Any:
        from symbolic.depth import depth_error, depth_error_limit
        from symbolic.evaluation import evaluate
        layers = list(self.finetune.trial)
        p = depth_error_limit(layers, task) if n == sp.oo else depth_error(layers, task, n)
        arith = self.setting.arith
        v = evaluate(p, self._trained_env(), arithmetic=arith if not arith.exact else "exact")
        return _exact(v) if arith.exact else v

    def _exact_values(self, task: Any, ns: Sequence[int]) -> list:
        """Exact: E_L(n; task) at every n of ``ns`` from the error at symbolic n evaluated at the setting
        once (a rational function of n, algebraic coefficients when a gamma_l is), read at each n (the
        error derived at each n took about 0.15 s of CPU per n: n = 0:300 ran over the budget)."""
        from symbolic.depth import depth_error
        from symbolic.evaluation import evaluate
        from sympy.polys.polyerrors import BasePolynomialError
        from symbolic.objective import N
        if not ns:
            return []
        p = depth_error(list(self.finetune.trial), task, N)
        g = evaluate(p, self._trained_env(), arithmetic="exact")
        g = sp.together(sp.radsimp(sp.expand(g)))
        num, den = sp.fraction(g)
        try:  # numerator and denominator as polynomials in n over Q (or Q(sqrt 2)...): read at n in microseconds
            P, Q = sp.Poly(num, N, extension=True), sp.Poly(den, N, extension=True)
            at = lambda n: P.eval(n) / Q.eval(n)  # noqa: E731
        except BasePolynomialError:
            at = lambda n: g.subs(N, n)  # noqa: E731
        out = []
        for n in ns:
            v = at(n)
            out.append(_exact(v))
        return out

    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        """E_L(fine-tuned layers, n; task) at each n of ``ns`` and its limit (task 'target' or 'opposite')."""
        from symbolic.objective import THETA0
        from proofs.quantities.curve_result import CurveResult
        if task not in ("target", "opposite"):
            raise ValueError(f"task: a depth spec's curve takes 'target' or 'opposite', got {task!r}")
        t = THETA0 if task == "target" else -THETA0
        arith = self.setting.arith
        if self._float:
            vals, lim = self._float_curve(t, list(ns))
            arith.finite(vals + [lim], "the error")
            return CurveResult(list(ns), vals, float(lim), arith=arith, values=list(vals), limit_value=lim,
                               condition=self.setting.condition, warning=self.setting.warning)
        vals = self._exact_values(t, list(ns)) if arith.exact else [self._value(t, sp.Integer(n)) for n in ns]
        lim = self._value(t, sp.oo)
        if arith.exact:
            return CurveResult(list(ns), [float(v) for v in vals], float(lim), list(vals), lim, sp.nan, arith=arith)
        return CurveResult(list(ns), [float(v) for v in vals], float(lim), arith=arith, values=list(vals),
                           limit_value=lim, condition=self.setting.condition, warning=self.setting.warning)

    def formulas(self) -> dict:
        """The trained blocks' closed forms ``{"V2.v_x": SymPy expression}`` (in d, Sigma, theta_0,
        sigma and the gamma_l symbols)."""
        from symbolic.layout import block
        from symbolic.strategy import vecexpr_to_sympy
        out = {}
        for (l, b), v in self.finetune.values.items():
            out[f"V{l}.{block(b).symbol}"] = vecexpr_to_sympy(list(v)) if b == "vx" else sp.sympify(v)
        return out

    def symbolic_errors(self) -> dict:
        """The table's three errors at symbolic d (in the gamma_l symbols): zero-shot on theta_0, the
        limits n -> oo on theta_0 and -theta_0 (:meth:`symbolic.depth_finetune.DepthFinetune.table`)."""
        return _table(self.question)

    def parameters(self) -> Any:
        raise ValueError(PER_LAYER)


@dataclass
class DepthNumericMinimum(Solution):
    """No closed form (a quartic loss): ``optimum``, a numerically found local minimiser at this setting
    (:class:`proofs.quantities.depth_numeric.DepthNumericOptimum`), labelled so; ``why`` the reason."""

    optimum: Any = None
    why: str = ""
    route = "numeric"

    def errors(self) -> dict:
        return dict(self.optimum.errors)

    def parameters(self) -> Any:
        raise ValueError("spec: a depth spec's parameters are per layer; 'derive --spec --numeric' prints them")

    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        raise ValueError("spec: a depth spec's numeric optimum has no curve here; 'derive --spec --numeric' prints "
                         "its errors")


@dataclass
class DepthDescentMinimum(DepthNumericMinimum):
    """Whole matrices trained at depth (outside the class): ``optimum``, the point gradient descent from the
    pretrained class model reaches on the exact zero-shot loss at this setting
    (:class:`proofs.quantities.depth_descent.DepthDescent`), labelled NUMERIC; ``why`` no closed form."""


def _exact(v: Any) -> Any:
    """An exact depth error as an algebraic number a + b sqrt(c) ...; a float there means an input of the
    route was not exact, refused rather than guessed into a rational."""
    if v.atoms(sp.Float):
        raise ValueError(f"arithmetic: the exact route met a float ({v}); ask for --arithmetic float")
    return sp.radsimp(sp.expand(v))


@lru_cache(maxsize=32)
def _table(spec: Any) -> dict:
    return derived_depth(spec).table()


def depth_solve(spec: Any, setting: Any, label: str, *, numeric: bool = False, steps: int | None = None) -> Solution:
    """The closed form of a depth spec at ``setting`` (module docstring); ``steps``: the gradient descent's
    for whole matrices (default :data:`proofs.quantities.depth_descent.DESCENT_STEPS`)."""
    from symbolic.depth_finetune import start_gammas
    from symbolic.depth_spec import quadratic_reason
    from symbolic.quadratic import NotQuadratic
    why = quadratic_reason(spec)
    if steps is not None and not spec.general:
        raise ValueError("steps: only for a depth spec training whole matrices (Q<l>, V<l>.all, all), answered by "
                         "gradient descent")
    if why:
        if not numeric:
            raise NotQuadratic(why)
        if setting.symbolic:
            raise ValueError("d: the numeric optimum at depth minimises the exact loss at a concrete setting; "
                             "give d (or Sigma, theta0)")
        if not setting.arith.exact:
            from proofs.quantities.limits import MAX_EXACT_D
            if setting.d > MAX_EXACT_D:
                raise ValueError(f"d: the numeric optimum at depth reads its setting exactly, d <= {MAX_EXACT_D}; "
                                 f"got d = {setting.d}")
            raise ValueError("arithmetic: the numeric optimum at depth reads its setting exactly; got "
                             f"{setting.arith.label()} (omit arithmetic, or give exact)")
        if setting.sigma2 is None:   # the loss and the pretrained gamma_l depend on it: never a silent 0
            raise ValueError("sigma2: the numeric optimum at depth needs a value of sigma^2")
        if spec.then:   # before the pretrained gamma_l (at L = 3 and finite m: a resultant, seconds)
            raise ValueError("then: the numeric optimum at depth minimises one loss; a second stage is not supported")
        if spec.general:   # whole matrices: the size of the descent, checked before the pretrained gamma_l
            from proofs.quantities.depth_descent import DESCENT_STEPS, check_descent
            steps = check_descent(spec.layers, setting.d, DESCENT_STEPS if steps is None else steps)
        gammas = start_gammas(spec.layers, setting.m, setting.d, setting.sigma2)
        if spec.general:   # outside the class: the point gradient descent reaches on the exact zero-shot loss
            from proofs.quantities.depth_descent import depth_descent
            return DepthDescentMinimum(spec, setting, label, depth_descent(spec, setting, gammas, steps=steps), why)
        from proofs.quantities.depth_numeric import depth_numeric_optimum
        return DepthNumericMinimum(spec, setting, label, depth_numeric_optimum(spec, setting, gammas), why)
    ft = derived_depth(spec)
    if setting.symbolic:
        gammas = None
        if setting.m == sp.oo or spec.layers <= 2:
            gammas = start_gammas(spec.layers, setting.m)
    else:
        if setting.sigma2 is None and setting.m != sp.oo:
            raise ValueError("sigma2: the pretrained gamma's at a finite m need a value of sigma^2")
        gammas = start_gammas(spec.layers, setting.m, setting.d, setting.sigma2)
    return DepthClosedForm(spec, setting, label, ft, gammas)
