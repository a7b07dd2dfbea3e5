r"""The rank route of :func:`proofs.quantities.solve.solve`: a spec whose block moves by a
rank-r update (LoRA's ``X_0 + B A``), answered at a setting like every other question.

A spec with a *constraining* rank (``Qxx`` or ``Q`` below its size at the setting's d, or at
symbolic d; :meth:`symbolic.spec.Spec.constraining_ranks`) has no linear space of updates, so
the quadratic derivation does not apply.  :func:`rank_minimum` answers it, in this order:

1. **closed form** (:func:`symbolic.lowrank.derive_lowrank`): the pretrained start, tasks
   +-theta_0, m -> oo at any Sigma or a finite m at Sigma = I; the best rank-r update at
   symbolic d by the symmetric ansatz and weighted Eckart-Young, its errors on +-theta_0 as
   rational functions of n evaluated at the setting (exact, or in the setting's arithmetic);
2. **the rank-r optimum at this setting** (:func:`symbolic.lowrank_concrete.lowrank_optimum`):
   weighted Eckart-Young on the Kronecker-structured Hessian, exact or float64, the global
   optimum (the argument is in that module), said to hold at this setting only;
3. where the Hessian is not a Kronecker product (V trained, a start with v_x != 0): the best
   of K alternating-least-squares starts over the factors, labelled **"best of K starts, not
   proven global"**.

Where the closed form applies at a concrete setting its errors are the closed form's and the
parameters printed are a representative of the optimal family found by route 2 (below full
rank the optimum is a family: any r-dimensional subspace of theta_0's Sigma-complement; the
errors on +-theta_0 are the same for every member).  The errors of a rank spec are reported
on theta_0 and -theta_0 only (a rotated task would depend on the member).

The :class:`RankMinimum` it returns answers ``parameters``, ``curve`` and ``errors`` as the
other :class:`proofs.quantities.solve.Solution` kinds do, and ``loss``/``optimum`` for the
trajectory's comparison (:mod:`proofs.quantities.lora_trajectory`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy as sp

from proofs.quantities.solve import Solution

__all__ = ["RankMinimum", "rank_minimum", "constrained", "rank_optimum", "closed_derivation", "STARTS",
           "setting_values"]

#: alternating-least-squares starts where the Hessian has no Kronecker structure
STARTS = 20


def constrained(question: Any, setting: Any) -> bool:
    """Whether ``question`` is a spec with a rank that constrains its block at the setting's d
    (at symbolic d: any rank on Qxx or Q)."""
    from symbolic.spec import Spec
    return isinstance(question, Spec) and bool(question.constraining_ranks(setting.d))


def _ranked(spec: Any, d: Any) -> Any:
    """The spec's one constraining rank; what the rank route cannot answer (two ranked blocks,
    other blocks trained beside it, a second stage) is :class:`symbolic.spec.RankConstrained`
    (exit status 3 on the command line), with the reason."""
    from symbolic.lowrank_concrete import ranked_block
    from symbolic.spec import RankConstrained
    try:
        # at a concrete d a rank at the block's size constrains nothing; the route still answers it
        # (full fine-tuning of the block, as its closed form or its optimum gives it)
        return ranked_block(spec, d if spec.constraining_ranks(d) else None)
    except ValueError as exc:
        raise RankConstrained(str(exc)) from None


def setting_values(setting: Any) -> dict:
    """The scalars the closed form is written in, at the setting, exact: ``k`` =
    theta_0^T Sigma theta_0 (floats read as the rationals they are), ``d``, ``sigma``, ``m``."""
    from symbolic.lowrank import K
    from symbolic.objective import M, SIGMA_NOISE
    from symbolic.words import DIM
    arith = setting.arith
    t0, S = setting.theta0, setting.Sigma
    k = arith.entry(arith.matmul(arith.transpose(t0), arith.matmul(S, t0)))
    k = k if arith.exact else sp.Rational(arith.to_sympy(k)) if arith.precision else sp.Rational(float(k))
    out = {K: k, DIM: setting.d}
    if setting.sigma2 is not None:
        out[SIGMA_NOISE] = sp.sqrt(setting.sigma2)
    if setting.m != sp.oo:
        out[M] = setting.m
    return out


def closed_derivation(spec: Any, setting: Any) -> tuple[Any, str]:
    """``(LowRankDerivation or None, why not)``: the closed form of :mod:`symbolic.lowrank` for
    the setting's m (ordered at the setting's values where the order of the gains depends on
    them, e.g. at finite m), or None and the reason it does not apply there."""
    from symbolic.lowrank import derive_lowrank
    from symbolic.objective import M
    from symbolic.quadratic import NotClosedForm
    m = setting.m
    try:
        D = derive_lowrank(spec, sp.oo if m == sp.oo else M)
    except NotClosedForm as exc:
        return None, str(exc)
    if D.identity and not setting.symbolic and not _is_identity(setting):
        return None, ("Sigma: at a finite m the closed form holds at Sigma = I only (the pretrained Gamma_hat_m is "
                      "then a multiple of I)")
    if not D.decided:
        if setting.symbolic:
            return None, (f"the order of the gains depends on the parameters at m = {sp.sstr(m)} (conditions "
                          f"{', '.join(f'{k}: {sp.sstr(v)}' for k, v in D.order_conditions.items())}); give d and sigma2")
        values = setting_values(setting)
        if len(values) < 3 + (m != sp.oo):
            return None, "sigma2: the order of the gains at finite m depends on sigma^2; give a value"
        D = D.ordered(values)
    return D, ""


def _is_identity(setting: Any) -> bool:
    S, d = setting.Sigma, setting.d
    return all((S[i, j] == (1 if i == j else 0)) for i in range(d) for j in range(d))


def rank_optimum(spec: Any, setting: Any, rank: int | None = None) -> Any:
    """:func:`symbolic.lowrank_concrete.lowrank_optimum` at a :class:`proofs.quantities.setting.Setting`
    (exact or float64; its arithmetic object passed down)."""
    from symbolic.arithmetic import FLOAT64
    if setting.symbolic:
        raise ValueError("d: the rank-r optimum at a setting needs a concrete d (or Sigma, theta0)")
    if setting.sigma2 is None:
        raise ValueError("sigma2: the rank-r optimum at a concrete setting needs a value of sigma^2; give one, "
                         "e.g. --sigma2 0.1")
    arith = setting.arith
    if not (arith.exact or arith == FLOAT64):
        raise ValueError(f"arithmetic: the rank-r optimum at a setting is exact or float64, not {arith.label()}; "
                         "give --arithmetic exact or float")
    return _optimum(spec, setting.key(), setting, rank)


_OPTIMA: dict = {}


def _optimum(spec: Any, key: tuple, setting: Any, rank: int | None) -> Any:
    from symbolic.lowrank_concrete import lowrank_optimum
    memo = (spec, key, rank)
    if memo not in _OPTIMA:
        if len(_OPTIMA) > 16:
            _OPTIMA.clear()
        _OPTIMA[memo] = lowrank_optimum(spec, d=setting.d, Sigma=setting.Sigma, theta0=setting.theta0,
                                        sigma2=setting.sigma2, m=setting.m, arithmetic=setting.arith, rank=rank,
                                        starts=STARTS)
    return _OPTIMA[memo]


@dataclass
class RankMinimum(Solution):
    """A rank-constrained spec at a setting (module docstring): ``derivation`` (the closed form,
    :class:`symbolic.lowrank.LowRankDerivation`, or None and ``why`` it does not apply), the
    constraining :class:`symbolic.spec.Rank` ``ranked``; ``optimum`` (the rank-r optimum at a
    concrete setting, :class:`symbolic.lowrank_concrete.RankOptimum`) computed on first use."""

    derivation: Any = None
    why: str = ""
    ranked: Any = None
    _optimum: Any = field(default=None, repr=False)

    @property
    def route(self) -> str:  # type: ignore[override]
        if self.derivation is not None:
            return "closed form"
        return "at this setting only" if self.optimum.is_global else "numeric"

    @property
    def rank(self) -> int:
        return self.ranked.rank

    @property
    def optimum(self) -> Any:
        if self._optimum is None:
            self._optimum = rank_optimum(self.question, self.setting)
        return self._optimum

    @property
    def method(self) -> str:
        """How the answer was found, in words (proven global or a local search)."""
        if self.derivation is not None:
            return ("closed form at symbolic d (symbolic.lowrank: the symmetric ansatz about theta_0, weighted "
                    "Eckart-Young on the Kronecker-structured Hessian: the global optimum over rank-r updates)")
        return self.optimum.method

    def allocation(self) -> tuple[Any, Any]:
        """``(j_theta, j_perp)``: the theta-block and perp directions the rank takes (closed form)."""
        return self.derivation.allocation(self.rank, self.setting.d)

    @property
    def free(self) -> list[str]:
        out = []
        if self.derivation is not None:
            jA, jP = self.allocation()
            top = self.setting.d - 1 if self.setting.d is not None else None
            if jP != 0 and (top is None or jP != top):
                out.append(f"the {sp.sstr(jP)} perp direction(s): any {sp.sstr(jP)}-dimensional subspace U of theta_0's "
                           f"Sigma-complement (U^T Sigma theta_0 = 0) gives Q_xx the same update {sp.sstr(self.derivation.perp_update)} U (U^T Sigma U)^(-1) "
                           "U^T, the same loss and the same errors on +-theta_0")
        elif not self.setting.symbolic and self.optimum.tie is not None:
            dim, take = self.optimum.tie
            out.append(f"a tie: {take} of {dim} directions with the same gain are taken; every choice is optimal")
        out.append("every block outside the ranked one stays at its start (it is not trained)")
        return out

    @property
    def convention(self) -> str:
        r = self.ranked
        text = (f"{r.block} moves from its start by an update of rank <= {r.rank} (LoRA's B A); the best such update: "
                + self.method)
        if self.derivation is not None and not self.setting.symbolic:
            text += ("; the parameters printed are the member of the optimal family found by weighted Eckart-Young "
                     "at this setting (" + self.optimum.method.split(":")[0] + ")")
        if self.derivation is None and not self.setting.symbolic and not self.optimum.is_global:
            text += "; best of K starts, NOT proven global"
        return text

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> Any:
        from proofs.quantities.params import ParamsResult
        st = self.setting
        if st.symbolic:
            V, Q, blocks, defs = self._symbolic_blocks()
            return ParamsResult(V, Q, self.free, self.convention, self.label, defs, blocks, st.arith,
                                route=self.route)
        o = self.optimum
        arith = st.arith
        if o.arithmetic.precision is not None or not o.arithmetic.exact and arith.exact:
            from symbolic.arithmetic import FLOAT64
            arith = FLOAT64   # the mp fallback, or the float local search: reported in float64
            V, Q = (FLOAT64.matrix(M) for M in (_floats(o.V), _floats(o.Q)))
        elif arith.exact:
            V, Q = sp.Matrix(o.V), sp.Matrix(o.Q)
        else:
            V, Q = arith.matrix(o.V), arith.matrix(o.Q)
        return ParamsResult(V, Q, self.free, self.convention, self.label, {}, {"rank_optimum": o}, arith,
                            st.condition, st.warning, self.route)

    def _symbolic_blocks(self) -> tuple:
        """V and Q at symbolic d (for d > r where perp directions come first): the pretrained
        start plus the theta block's top-j_theta update and ``s* P_U``, P_U = U (U^T Sigma U)^(-1) U^T."""
        from symbolic.model import SIGMA
        from symbolic.objective import THETA0
        from symbolic.strategy import matexpr_to_sympy
        from symbolic.words import DIM
        from proofs.quantities.params import block_matrices
        D = self.derivation
        if D is None:
            raise sp.SympifyError("no closed form")  # pragma: no cover - rank_minimum refuses first
        jA, jP = D.allocation(self.rank, None)
        Y = D.theta_truncations[jA]
        start = D.start
        p: dict[str, Any] = {"v0": start.v0, "vx": sp.ZeroMatrix(DIM, 1), "vy": start.vy}
        qxx = matexpr_to_sympy(start.Qxx)
        tt = sp.MatMul(THETA0, THETA0.T)
        defs = {}
        if D.block == "Qxx":
            y11 = Y[0, 0]
            p.update({"Q00": start.Q00, "q0x": sp.ZeroMatrix(DIM, 1), "qx0": sp.ZeroMatrix(DIM, 1),
                      "Qy0": start.Qy0, "qyx": sp.ZeroMatrix(DIM, 1)})
        else:
            y11 = Y[1, 1]
            p.update({"Q00": start.Q00 + Y[0, 0], "q0x": Y[0, 1] * THETA0 if Y[0, 1] != 0 else sp.ZeroMatrix(DIM, 1),
                      "qx0": Y[1, 0] * THETA0 if Y[1, 0] != 0 else sp.ZeroMatrix(DIM, 1),
                      "Qy0": start.Qy0 + Y[2, 0],
                      "qyx": Y[2, 1] * THETA0 if Y[2, 1] != 0 else sp.ZeroMatrix(DIM, 1)})
        terms = [qxx]
        if y11 != 0:
            terms.append(y11 * tt)
        if jP != 0 and D.perp_update != 0:
            U = sp.MatrixSymbol("U", DIM, jP)
            P = sp.MatrixSymbol("P_U", DIM, DIM)
            defs["P_U"] = U * (U.T * SIGMA * U).inv() * U.T
            terms.append(D.perp_update * P)
        p["Qxx"] = sp.MatAdd(*terms) if len(terms) > 1 else terms[0]
        for sym in sp.sympify(qxx).atoms(sp.MatrixSymbol):
            from symbolic.definitions import definition
            if definition(sym) is not None:
                defs[sym.name] = definition(sym)
        V, Q = block_matrices(p)
        return V, Q, p, defs

    # ------------------------------------------------------------------ errors
    def curve(self, task: Any, ns: Sequence[int]) -> Any:
        from proofs.quantities.curves import CurveResult, explicit_errors
        if not isinstance(task, str) or task not in ("target", "opposite"):
            raise ValueError("task: a rank-constrained spec is answered on 'target' or 'opposite' (below full rank the "
                             "optimum is a family whose errors on other tasks depend on the member), not an angle")
        st = self.setting
        if st.symbolic:
            raise ValueError("d: a curve is evaluated at a concrete setting; give d (or Sigma, theta0)")
        ns = list(ns)
        if self.derivation is not None:
            return self._closed_curve(task, ns)
        o = self.optimum
        V, Q = o.V, o.Q
        if st.arith.exact and not o.arithmetic.exact or o.arithmetic.precision is not None:
            V, Q = (sp.Matrix([[sp.Rational(float(x)) for x in row] for row in _floats(M).tolist()]) for M in (V, Q))
        elif not st.arith.exact:
            V, Q = st.arith.matrix(_floats(V) if not o.arithmetic.exact else V), st.arith.matrix(
                _floats(Q) if not o.arithmetic.exact else Q)
        vals, lim = explicit_errors(V, Q, st, task, ns)
        if st.arith.exact:
            return CurveResult(ns, [float(v) for v in vals], float(lim), list(vals), lim, sp.nan, arith=st.arith,
                               route=self.route)
        return CurveResult(ns, [float(v) for v in vals], float(lim), arith=st.arith, values=list(vals),
                           limit_value=lim, condition=st.condition, warning=st.warning, route=self.route)

    def formula(self, task: str, n: Any) -> sp.Expr:
        """The closed form's error on theta_0 (``target``) or -theta_0 after the best rank-r update,
        at the setting's d, sigma, k, m (n a number, the symbol n, or oo)."""
        from symbolic.objective import THETA0
        st = self.setting
        t = THETA0 if task == "target" else -THETA0
        e = self.derivation.error(self.rank, t, n, st.d)
        return sp.factor(e.xreplace(setting_values(st))) if not st.symbolic else e

    def _closed_curve(self, task: str, ns: list) -> Any:
        from symbolic import N
        from proofs.quantities.curves import CurveResult, _at_each_n
        st = self.setting
        f = sp.cancel(self.formula(task, N))
        lim = sp.cancel(self.formula(task, sp.oo))
        exact = _at_each_n(f, N, ns)
        if st.arith.exact:
            return CurveResult(ns, [float(v) for v in exact], float(lim), exact, lim, f, arith=st.arith,
                               route=self.route)
        vals = [st.arith.number(v) for v in exact]
        return CurveResult(ns, [float(v) for v in vals], float(st.arith.number(lim)), arith=st.arith, values=vals,
                           limit_value=st.arith.number(lim), condition=st.condition, warning=st.warning,
                           route=self.route)

    def loss(self) -> Any:
        """The training loss at the best rank-r update (exact where the closed form or the exact
        optimum gives it)."""
        if self.derivation is not None and not self.setting.symbolic:
            return sp.factor(self.derivation.loss(self.rank, self.setting.d).xreplace(setting_values(self.setting)))
        if self.derivation is not None:
            return self.derivation.loss(self.rank)
        return self.optimum.loss


def _floats(M: Any) -> Any:
    import numpy as np
    return np.array([[float(x) for x in row] for row in (M.tolist() if hasattr(M, "tolist") else M)], dtype=float)


def rank_minimum(spec: Any, setting: Any, label: str) -> RankMinimum:
    """The rank route (module docstring): closed form where :mod:`symbolic.lowrank` applies, else
    the rank-r optimum at a concrete setting; at symbolic d without a closed form,
    :class:`symbolic.quadratic.NotClosedForm` saying what to give."""
    from symbolic.quadratic import NotClosedForm
    from symbolic.spec import check_ranks
    r = _ranked(spec, setting.d)
    if not setting.symbolic:
        check_ranks(spec, setting.d)
    D, why = closed_derivation(spec, setting)
    if D is None and setting.symbolic:
        raise NotClosedForm(f"{why}; add --d D (and --sigma2, --Sigma, --theta0) for the rank-r optimum at that setting")
    return RankMinimum(spec, setting, label, D, why, r)
