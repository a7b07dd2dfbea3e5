"""The derived V and Q of a strategy: symbolic block layout, or explicit exact matrices.

Layout (docs/CONVENTIONS.md): token ``z = (1, x, y)``, index 0 the constant, 1..d the input,
d+1 the label.  Only ``v = V[-1, :]`` and ``Q[:, :d+1]`` reach the output; the toolkit sets
every other entry to its pretrained value, 0 (the convention of the ``free`` list), and
V[-1, -1] carries the normalisation ``v_y`` (1 for the pretrained model).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["ParamsResult", "Entry", "params", "block_matrices", "explicit_matrices"]


class Entry(sp.MatrixExpr):
    """A scalar as a 1 x 1 block of a :class:`sympy.BlockMatrix` (prints as the scalar)."""

    def __new__(cls, e: Any):
        return sp.Basic.__new__(cls, sp.sympify(e))

    @property
    def shape(self):
        return (sp.S.One, sp.S.One)

    def _entry(self, i, j, **kw):
        return self.args[0]

    def _latex(self, printer):
        return printer._print(self.args[0])

    def _sympystr(self, printer):
        return printer._print(self.args[0])

    def _pretty(self, printer):
        return printer._print(self.args[0])


@dataclass
class ParamsResult:
    """``V``, ``Q`` (SymPy matrices: a BlockMatrix when d is symbolic, explicit exact matrices
    otherwise), the parameters the objective leaves ``free``, the ``convention`` fixing them,
    and the ``definitions`` of derived matrices the blocks refer to (e.g. ``Gamma_hat_m``)."""

    V: Any
    Q: Any
    free: list[str]
    convention: str
    strategy: str = ""
    definitions: dict[str, Any] = field(default_factory=dict)
    blocks: dict[str, Any] = field(default_factory=dict)
    #: ``exact`` (V, Q SymPy), ``float`` (numpy float64 arrays) or ``mp`` (mpmath matrices)
    arithmetic: str = "exact"
    precision: int | None = None
    #: Sigma's condition number (float and mp) and the warning it calls for (or None)
    condition: float | None = None
    warning: str | None = None


def _blocks(strategy, scale: Any) -> dict[str, Any]:
    from symbolic import SCALE
    p = strategy.parameters()
    if scale is not None:
        p = {k: (v.xreplace({SCALE: sp.sympify(scale)}) if hasattr(v, "xreplace") else v) for k, v in p.items()}
    return p


def block_matrices(p: dict[str, Any]) -> tuple[sp.BlockMatrix, sp.BlockMatrix]:
    """V and Q as 3 x 3 block matrices over the layout (1, x, y), symbolic d."""
    from symbolic.words import DIM
    d = DIM

    def vec_T(v):
        return sp.ZeroMatrix(1, d) if getattr(v, "is_ZeroMatrix", False) or v == 0 else v.T

    def col(v):
        return sp.ZeroMatrix(d, 1) if getattr(v, "is_ZeroMatrix", False) or v == 0 else v

    def sq(M_):
        return sp.ZeroMatrix(d, d) if getattr(M_, "is_ZeroMatrix", False) or M_ == 0 else M_

    z11, z1d, zd1, zdd = sp.ZeroMatrix(1, 1), sp.ZeroMatrix(1, d), sp.ZeroMatrix(d, 1), sp.ZeroMatrix(d, d)
    V = sp.BlockMatrix([[z11, z1d, z11], [zd1, zdd, zd1],
                        [Entry(p["v_0"]), vec_T(p["v_x"]), Entry(p["v_y"])]])
    Q = sp.BlockMatrix([[Entry(p["Q_00"]), vec_T(p["Q_0x^T"]), z11],
                        [col(p["Q_x0"]), sq(p["Q_xx"]), zd1],
                        [Entry(p["Q_y0"]), vec_T(p["Q_yx^T"]), z11]])
    return V, Q


def explicit_matrices(p: dict[str, Any], env: dict[str, Any], d: int) -> tuple[sp.Matrix, sp.Matrix]:
    """V and Q as explicit (d+2) x (d+2) exact matrices at the setting ``env``."""
    from symbolic.evaluation import evaluate, evaluate_matrix

    def scal(e):
        v = evaluate(sp.sympify(e), env)
        return v if v.is_number else sp.simplify(v)

    def vecv(e):
        if getattr(e, "is_ZeroMatrix", False) or e == 0:
            return sp.zeros(d, 1)
        return sp.Matrix(evaluate_matrix(e, env)).applyfunc(sp.simplify)

    def mat(e):
        if getattr(e, "is_ZeroMatrix", False) or e == 0:
            return sp.zeros(d, d)
        return sp.Matrix(evaluate_matrix(e, env)).applyfunc(sp.simplify)

    V, Q = sp.zeros(d + 2, d + 2), sp.zeros(d + 2, d + 2)
    V[d + 1, 0] = scal(p["v_0"])
    V[d + 1, 1:d + 1] = vecv(p["v_x"]).T
    V[d + 1, d + 1] = scal(p["v_y"])
    Q[0, 0] = scal(p["Q_00"])
    Q[0, 1:d + 1] = vecv(p["Q_0x^T"]).T
    Q[1:d + 1, 0] = vecv(p["Q_x0"])
    Q[1:d + 1, 1:d + 1] = mat(p["Q_xx"])
    Q[d + 1, 0] = scal(p["Q_y0"])
    Q[d + 1, 1:d + 1] = vecv(p["Q_yx^T"]).T
    return V, Q


def numeric_matrices(p: dict[str, Any], ne: Any, d: int) -> tuple[Any, Any]:
    """V and Q as explicit (d+2) x (d+2) float64 arrays (or mpmath matrices) from the blocks,
    evaluated in the numeric environment ``ne`` (:func:`symbolic.evaluation.numeric_env`)."""
    num = ne.num

    def zero(e: Any) -> bool:
        return getattr(e, "is_ZeroMatrix", False) or (not getattr(e, "is_Matrix", False) and sp.sympify(e) == 0)

    V, Q = num.zeros(d + 2, d + 2), num.zeros(d + 2, d + 2)

    def put(M: Any, rows: Any, cols: Any, e: Any, transpose: bool = False) -> None:
        if zero(e):
            return
        if getattr(e, "is_Matrix", False):
            val = ne.matrix(e)
            val = num.transpose(val) if transpose else val
            if num.ctx is None:
                M[rows, cols] = val
            else:
                r0, c0 = rows.start if isinstance(rows, slice) else rows, cols.start if isinstance(cols, slice) else cols
                rr, cc = num.shape(val)
                for i in range(rr):
                    for j in range(cc):
                        M[r0 + i, c0 + j] = val[i, j]
        else:
            M[rows, cols] = ne.scalar(sp.sympify(e))

    x = slice(1, d + 1)
    put(V, d + 1, 0, p["v_0"])
    put(V, slice(d + 1, d + 2), x, p["v_x"], transpose=True)
    put(V, d + 1, d + 1, p["v_y"])
    put(Q, 0, 0, p["Q_00"])
    put(Q, slice(0, 1), x, p["Q_0x^T"], transpose=True)
    put(Q, x, slice(0, 1), p["Q_x0"])
    put(Q, x, x, p["Q_xx"])
    put(Q, d + 1, 0, p["Q_y0"])
    put(Q, slice(d + 1, d + 2), x, p["Q_yx^T"], transpose=True)
    return V, Q


def params(strategy: str, *, d: int | None = None, sigma2: Any = None, m: int | None = None,
           n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None,
           arithmetic: str | None = None, precision: int | None = None) -> ParamsResult:
    """Derived V and Q of a strategy; symbolic (block layout) when ``d`` is None.  At a concrete
    d: exact for d <= MAX_EXACT_D, float64 above (``arithmetic``/``precision`` choose, as in
    :func:`proofs.quantities.arithmetic.choose`; float and mp need a numeric ``sigma2``)."""
    from proofs.quantities.setting import derived, resolve, setting, with_definitions
    from symbolic.quadratic import NotClosedForm
    from symbolic.validation import _exact
    name = resolve(strategy)
    if scale is not None:
        scale = _exact(scale, "scale")
        if scale == 0:
            raise ValueError("scale: expected a nonzero number, got 0")
    if d is None and (Sigma is not None or theta0 is not None):
        d = (sp.Matrix(Sigma).shape[0] if Sigma is not None else len(list(theta0)))
    try:
        s, extra = derived(name, m, n_ft)
    except NotClosedForm as exc:
        from proofs.quantities.concrete_minimiser import needs_concrete
        if not needs_concrete(name):
            raise
        from symbolic.spec import general_start, start_dimension
        if d is None and general_start(name):  # the explicit start fixes d
            d = start_dimension(name)
        if d is None:
            raise NotClosedForm(f"{exc}; at a concrete setting the exact minimiser is one option away: "
                                "give --d D (and --sigma2, --Sigma, --theta0)") from None
        return concrete_params(name, d=d, sigma2=sigma2, m=m, Sigma=Sigma, theta0=theta0)
    p = _blocks(s, scale)
    if d is None:
        V, Q = block_matrices(p)
        if "m" in extra:
            from symbolic import M
            p = {k: (v.xreplace({M: extra["m"]}) if hasattr(v, "xreplace") else v) for k, v in p.items()}
            V, Q = V.xreplace({M: extra["m"]}), Q.xreplace({M: extra["m"]})
        defs = s.definitions()
        if "m" in extra:
            from symbolic import M
            defs = {k: v.xreplace({M: extra["m"]}) for k, v in defs.items()}
        return ParamsResult(V, Q, list(s.free), s.convention, s.name, defs, p)
    from proofs.quantities.arithmetic import choose, condition_warning, numeric_setting
    arithmetic, precision = choose(d, arithmetic, precision)
    if arithmetic != "exact":
        if sigma2 is None:
            raise ValueError(f"sigma2: expected a number >= 0 with {arithmetic} arithmetic "
                             f"(symbolic sigma^2 needs exact arithmetic, d <= 10), got None")
        from symbolic.evaluation import numeric_env
        env, cond = numeric_setting(d, Sigma, theta0, sigma2, exact_inputs=arithmetic == "mp")
        ne = numeric_env({**env, **extra}, arithmetic, precision)
        for k, e in s.definitions().items():
            ne.values[k] = ne.matrix(e)
        V, Q = numeric_matrices(p, ne, d)
        return ParamsResult(V, Q, list(s.free), s.convention, s.name, {}, p, arithmetic, precision, cond,
                            condition_warning(cond, arithmetic, precision))
    env = setting(d, Sigma, theta0, sigma2)
    env.update(extra)
    env = with_definitions(env, s.definitions())
    V, Q = explicit_matrices(p, env, d)
    return ParamsResult(V, Q, list(s.free), s.convention, s.name, {}, p)


def concrete_params(spec: Any, *, d: int, sigma2: Any = None, m: Any = None, Sigma: Any = None,
                    theta0: Any = None, arithmetic: str | None = None) -> ParamsResult:
    """V and Q of a spec without a closed form at symbolic d (Q_xx reaching its loss), at the
    concrete setting: :func:`proofs.quantities.concrete_minimiser.concrete_minimiser`, exact at small d
    (:func:`proofs.quantities.arithmetic.choose`), float64 above."""
    import numpy as np
    from proofs.quantities.arithmetic import choose
    from proofs.quantities.concrete_minimiser import concrete_minimiser, free_text
    if sigma2 is None:
        raise ValueError("sigma2: the minimiser at a concrete setting needs a value of sigma^2 (no closed "
                         "form at symbolic d: Q_xx trained, or a general explicit start); give one, e.g. --sigma2 0.1")
    arithmetic, _ = choose(d, arithmetic)
    if arithmetic == "mp":
        raise ValueError("arithmetic: the concrete minimiser is exact or float64, not mp")
    sol = concrete_minimiser(spec, d=d, Sigma=Sigma, theta0=theta0, sigma2=sigma2,
                             m=sp.oo if m is None else m, arithmetic=arithmetic)
    V, Q = sol.V, sol.Q
    if arithmetic != "exact":
        V, Q = np.asarray(V, dtype=float), np.asarray(Q, dtype=float)
    return ParamsResult(V, Q, free_text(sol), sol.convention, spec.name, {}, {"solution": sol}, arithmetic)
