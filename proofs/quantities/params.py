"""The derived V and Q of a closed form at a setting: symbolic blocks, or explicit matrices.

Layout (:mod:`symbolic.layout`): token ``z = (1, x, y)``, index 0 the constant, 1..d the
input, d+1 the label. Only ``v = V[-1, :]`` and ``Q[:, :d+1]`` reach the output; the toolkit
sets every other entry to its pretrained value, 0 (the convention of the ``free`` list), and
V[-1, -1] carries the normalisation ``v_y`` (1 for the pretrained model).

:class:`ParamsResult` is what :meth:`proofs.quantities.solve.Solution.parameters` returns, for
every route (closed form, concrete minimiser, numeric optimum); :func:`closed_form_params` is
the closed form's: the derived blocks as a 3 x 3 block matrix at symbolic d, or evaluated at
the setting in its arithmetic and assembled (:func:`symbolic.layout.assemble`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from proofs.quantities.curve_result import InArithmetic

__all__ = ["ParamsResult", "Entry", "block_matrices", "closed_form_params"]


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
class ParamsResult(InArithmetic):
    """``V``, ``Q`` (SymPy matrices: a BlockMatrix when d is symbolic, explicit matrices of the
    setting's arithmetic otherwise), the parameters the objective leaves ``free``, the
    ``convention`` fixing them, the ``definitions`` of derived matrices the blocks refer to
    (e.g. ``Gamma_hat_m``), the symbolic ``blocks``, and the arithmetic ``arith`` with Sigma's
    ``condition`` number and the ``warning`` it calls for (or None)."""

    V: Any
    Q: Any
    free: list[str]
    convention: str
    strategy: str = ""
    definitions: dict[str, Any] = field(default_factory=dict)
    blocks: dict[str, Any] = field(default_factory=dict)
    arith: Any = None
    condition: float | None = None
    warning: str | None = None
    #: how the answer was found: ``closed form``, ``at this setting only`` (the concrete
    #: minimiser) or ``numeric``
    route: str = "closed form"



def _with_scale(p: dict[str, Any], scale: Any) -> dict[str, Any]:
    from symbolic import SCALE
    if scale is None:
        return p
    return {k: (v.xreplace({SCALE: sp.sympify(scale)}) if hasattr(v, "xreplace") else v) for k, v in p.items()}


def block_matrices(p: dict[str, Any]) -> tuple[sp.BlockMatrix, sp.BlockMatrix]:
    """V and Q as 3 x 3 block matrices over the layout (1, x, y), symbolic d; ``p`` keyed by the
    block names of :mod:`symbolic.layout`."""
    from symbolic.words import DIM
    d = DIM

    def zero(v: Any) -> bool:
        return getattr(v, "is_ZeroMatrix", False) or v == 0

    def row(v: Any) -> Any:
        return sp.ZeroMatrix(1, d) if zero(v) else v.T

    def col(v: Any) -> Any:
        return sp.ZeroMatrix(d, 1) if zero(v) else v

    def sq(M_: Any) -> Any:
        return sp.ZeroMatrix(d, d) if zero(M_) else M_

    z11, z1d, zd1, zdd = sp.ZeroMatrix(1, 1), sp.ZeroMatrix(1, d), sp.ZeroMatrix(d, 1), sp.ZeroMatrix(d, d)
    V = sp.BlockMatrix([[z11, z1d, z11], [zd1, zdd, zd1],
                        [Entry(p["v0"]), row(p["vx"]), Entry(p["vy"])]])
    Q = sp.BlockMatrix([[Entry(p["Q00"]), row(p["q0x"]), z11],
                        [col(p["qx0"]), sq(p["Qxx"]), zd1],
                        [Entry(p["Qy0"]), row(p["qyx"]), z11]])
    return V, Q


def closed_form_params(s: Any, extra: dict[str, Any], setting: Any, *, cancel: bool = False) -> ParamsResult:
    """The derived strategy ``s`` (with the values ``extra`` its derivation binds: a finite m, a
    spec's vectors) at the :class:`proofs.quantities.setting.Setting`: a BlockMatrix at symbolic
    d; explicit matrices in the setting's arithmetic otherwise (float and mp need sigma^2).  An
    exact entry that is not a number (a free parameter such as a loss weight lambda left in it) is
    simplified, or with ``cancel`` put over one denominator in lowest terms (``sympy.cancel``'s
    form: cheaper than ``simplify`` for rational functions of the parameter)."""
    from symbolic.layout import LAYOUT, assemble
    p = _with_scale(s.parameters(), setting.scale)
    if setting.symbolic:
        defs = s.definitions()
        if "m" in extra:
            from symbolic import M
            p = {k: (v.xreplace({M: extra["m"]}) if hasattr(v, "xreplace") else v) for k, v in p.items()}
            defs = {k: v.xreplace({M: extra["m"]}) for k, v in defs.items()}
        V, Q = block_matrices(p)
        return ParamsResult(V, Q, list(s.free), s.convention, s.name, defs, p, setting.arith)
    arith, d = setting.arith, setting.d

    def zero(e: Any) -> bool:
        return getattr(e, "is_ZeroMatrix", False) or (not getattr(e, "is_Matrix", False) and sp.sympify(e) == 0)

    if arith.exact:
        from symbolic.evaluation import evaluate, evaluate_matrix
        from proofs.quantities.setting import with_definitions
        env = with_definitions({**setting.env(), **extra}, s.definitions())

        from symbolic.ratfun import cancelled
        reduce = cancelled if cancel else sp.simplify

        def value(b: Any, e: Any) -> Any:
            if b.kind == "scalar":
                v = evaluate(sp.sympify(e), env)
                return v if v.is_number else reduce(v)
            return sp.Matrix(evaluate_matrix(e, env)).applyfunc(reduce)
    else:
        if setting.sigma2 is None:
            raise ValueError(f"sigma2: expected a number >= 0 with {arith.label()} arithmetic "
                             f"(symbolic sigma^2 needs exact arithmetic, d <= 10), got None")
        from symbolic.evaluation import numeric_env
        ne = numeric_env({**setting.env(), **extra}, arith)
        for k, e in s.definitions().items():
            ne.values[k] = ne.matrix(e)

        def value(b: Any, e: Any) -> Any:
            return ne.scalar(sp.sympify(e)) if b.kind == "scalar" else ne.matrix(e)
    blocks = {b.name: value(b, p[b.name]) for b in LAYOUT if not zero(p[b.name])}
    V, Q = assemble(blocks, d, arith)
    return ParamsResult(V, Q, list(s.free), s.convention, s.name, {}, p, arith, setting.condition, setting.warning)
