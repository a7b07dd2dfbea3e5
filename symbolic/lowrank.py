r"""Low-rank (LoRA) fine-tuning of Q_xx or Q at symbolic d: the best rank-r update in closed form.

The question.  From the pretrained model (V_hat: ``v = (0, 0, 1)``; Q_hat with ``Q_xx = Q_0``,
``Sigma^{-1}`` for m -> oo, ``Gamma_hat_m`` at finite m; every other block 0) one block X, Q_xx
(d x d) or Q = Q[:, :d+1] ((d+2) x (d+1)), moves by an update of rank <= r (LoRA's
``X_0 + B A``), on a loss ``sum_k w_k E(V_hat, Q, n_k; +-theta_0)``.  (At V_hat the zero-shot
prediction is 0 whatever Q is, so zero-shot terms are constants here: the interesting losses
for Q are few-shot ones.)

The structure (:mod:`symbolic.lowrank_concrete`).  At V_hat the prediction is
``f = h^T X q'`` with the context statistic ``h`` independent of the query ``q' = (1, x_q)``,
so the loss in the update Delta is ``L_* + ||L_H^T (Delta - Delta*) L_S||_F^2`` with a
Kronecker-structured Hessian H (x) S; the best rank-r update keeps the top r singular
directions of the whitened ``R = L_H^T Delta* L_S`` (weighted Eckart-Young: exact and global),
and the loss falls by ``sigma_i^2`` for each direction i taken.

The symmetry that makes it a closed form.  Whiten x: ``x = Sigma^{1/2} x~``, ``theta~ =
Sigma^{1/2} theta_0``.  For m -> oo (any Sigma), or at Sigma = I (any m), the start
``Sigma^{1/2} Q_0 Sigma^{1/2}`` is a multiple of I, so the whole problem is invariant under the
orthogonal maps of x~ that fix theta~.  Then R splits into

* a *theta block*: rows (e_0, theta~, e_y) x columns (e_0, theta~) of X (Q_00, Q_0x, Q_x0, the
  theta~ theta~^T part of Q_xx, Q_y0, Q_yx along theta_0), a 3 x 2 matrix (1 x 1 for Q_xx),
  with at most two singular values ``lambda_1 >= lambda_2`` (as gains sigma^2), and
* a *perp block*: Q_xx on the (d-1)-dimensional complement of theta~, where R is a multiple
  of the identity (the only invariant matrices there), so it has one singular value of
  multiplicity d - 1, whose gain per direction is ``lambda_perp``;

everything else in R is 0 (an invariant vector of the complement vanishes).  The loss is
derived by the Wick engine on the ansatz

    Q_00 = y_00,  Q_0x^T = y_01 theta_0,  Q_x0 = y_10 theta_0,  Q_y0 = y_20,  Q_yx^T = y_21 theta_0,
    Q_xx = Q_0 + y_11 theta_0 theta_0^T + s (Sigma^{-1} - theta_0 theta_0^T / k),   k = theta_0^T Sigma theta_0,

(Sigma^{-1} - theta_0 theta_0^T / k is Sigma^{-1/2} times the projector onto theta~'s complement
times Sigma^{-1/2}), a quadratic in the seven scalars (read once into the ring QQ[scalars, parameters], every value
computed in QQ(parameters) and put in SymPy's normal forms at the end: :mod:`symbolic.lowrank_ring`);
the derivation *checks* what the
symmetry says: no term couples s to the y's, and the y-Hessian is a Kronecker product
H_A (x) S_A.  From it: the theta block's optimum Delta_A* and its gains (the eigenvalues of
``S_A Delta_A*^T H_A Delta_A*``), the perp block's optimum s* and its gain per direction
``lambda_perp = (loss(0) - loss(s*)) / (d - 1)``.

The best rank-r update takes the r largest gains in
``{lambda_1, lambda_2, lambda_perp x (d-1)}``: ``j_A`` theta-block directions (the top j_A of
Delta_A*) and ``j_perp`` perp directions, ``j_A + j_perp = r``: Q_xx moves by
``s* U (U^T Sigma U)^{-1} U^T`` for *any* j_perp-dimensional U with ``U^T Sigma theta_0 = 0`` (the
optimum is not unique when ``0 < j_perp < d - 1``: every such subspace is optimal), and

    loss(r) = loss_full + (sum of the gains not taken).

Errors after the update.  On the tasks +-theta_0 (invariant under the symmetry), every error
E(n) is a quadratic in the update whose perp part is isotropic and uncoupled from the theta
block (checked), so it does not depend on which U was taken and is affine in j_perp:

    E(j_A, j_perp) = E(Delta_A^(j_A)) + (j_perp / (d - 1)) [E(Delta_A^(j_A) + s* P_perp) - E(Delta_A^(j_A))].

At Sigma = I the same holds for the error averaged over the pretraining family theta ~ N(0, I)
(:meth:`LowRankDerivation.family_error`): in-context learning on tasks the fine-tuning never saw.

Refused (:class:`symbolic.quadratic.NotClosedForm`, with the reason): a start other than the
pretrained one, tasks other than +-theta_0, a second stage, finite m with Sigma not I (the
start Gamma_hat_m is then not a multiple of Sigma^{-1}), a derived loss that breaks the
symmetry checks.  :func:`symbolic.lowrank_concrete.lowrank_optimum` answers those at a
concrete setting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.polys.fields import FracElement
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError

from . import ratfun
from .forms import Form, Poly, Tr
from .model import SIGMA, SIGMA_INV_ATOM, Blocks, vec
from .objective import N, SIGMA_NOISE, THETA0
from .outer import outer_atom
from .quadratic import NotClosedForm
from .lowrank_ring import AnsatzQuadratic, DegreeError, to_expr, to_field
from .lowrank_ring import affine, factored as field_factored, lift, new as field_new
from .lowrank_ring import div as field_div, inverse as field_inverse, matmul as field_matmul
from .ratfun import cancelled
from .spec import RankConstrained, Spec, Task, Term
from .strategy import Step
from .words import DIM, Atom

__all__ = ["RankConstrained", "LowRankDerivation", "derive_lowrank", "K", "THETA_ROWS", "THETA_COLS"]

#: theta_0^T Sigma theta_0 (theta_0^T theta_0 at Sigma = I), positive, as the formulas here write it
K = sp.Symbol("k", positive=True)
#: the theta block's rows and columns (Q: e_0, theta direction, e_y; Q_xx: the theta direction)
THETA_ROWS = {"Q": ("0", "theta", "y"), "Qxx": ("theta",)}
THETA_COLS = {"Q": ("0", "theta"), "Qxx": ("theta",)}


# ----------------------------------------------------------------------------- scalars at the symmetric setting

def _atom_scalar(expr: sp.Basic) -> sp.Expr:
    """The scalar c with ``expr = c I`` at Sigma = I (Sigma, its inverse, the derived Gamma_hat)."""
    from .definitions import definition
    if expr == SIGMA or isinstance(expr, sp.Identity):
        return sp.S.One
    if isinstance(expr, sp.Inverse):
        return 1 / _atom_scalar(expr.arg)
    if isinstance(expr, sp.MatPow):
        return _atom_scalar(expr.base) ** expr.exp
    if isinstance(expr, sp.Transpose):
        return _atom_scalar(expr.arg)
    if isinstance(expr, sp.MatAdd):
        return sp.Add(*[_atom_scalar(a) for a in expr.args])
    if isinstance(expr, sp.MatMul):
        out = sp.S.One
        for a in expr.args:
            out *= _atom_scalar(a) if getattr(a, "is_Matrix", False) else _coeff_at_identity(a)
        return out
    if isinstance(expr, sp.MatrixSymbol) and definition(expr) is not None:
        return _atom_scalar(definition(expr))
    raise NotClosedForm(f"{expr}: not a multiple of I at Sigma = I")


def _coeff_at_identity(c: sp.Expr) -> sp.Expr:
    return _coeff(sp.sympify(c).xreplace({sp.Trace(SIGMA): DIM}), True)


@lru_cache(maxsize=1024)
def _coeff(c: sp.Expr, identity: bool) -> sp.Expr:
    """A coefficient with ``theta_0^T Sigma theta_0`` (a :class:`symbolic.printing.Bilinear`) as k
    (once per coefficient: the losses a check scalarises share many)."""
    from .printing import Bilinear
    reps = {}
    for b in sp.sympify(c).atoms(Bilinear):
        if b.left == THETA0 and b.right == THETA0 and (b.middle == SIGMA or identity):
            reps[b] = K * (_atom_scalar(b.middle) if identity else 1)
        else:
            raise NotClosedForm(f"{b}: a coefficient that is not a function of theta_0^T Sigma theta_0")
    return sp.sympify(c).xreplace(reps) if reps else sp.sympify(c)


def scalarise(p: Poly, identity: bool, gram: dict | None = None) -> sp.Expr:
    """An engine polynomial whose forms are all ``theta_0^T W theta_0`` and traces, as a scalar in
    ``k = theta_0^T Sigma theta_0`` and d.  ``identity``: at Sigma = I (every atom a multiple of I);
    otherwise the words must have simplified to ``Sigma`` (forms) and ``I`` (traces), as they do
    when the problem is invariant under whitening.  ``gram`` (at Sigma = I only): inner products
    of further constant vectors, ``{(a, b): a^T b}`` (e.g. a unit vector w orthogonal to theta_0)."""
    vecs = {(THETA0, THETA0): K}
    if gram:
        if not identity:
            raise ValueError("gram: further vectors are handled at Sigma = I only")
        for (a, b), v in gram.items():
            vecs[(a, b)] = vecs[(b, a)] = sp.sympify(v)
    total = sp.S.Zero
    for (factors, noises), c in p.terms.items():
        if noises:
            raise NotClosedForm("the loss still has noise variables")
        term = _coeff_at_identity(c) if identity else _coeff(c, False)
        for f in factors:
            if isinstance(f, Form):
                pair = (f.left.obj, f.right.obj)
                if f.left.is_gaussian or f.right.is_gaussian or pair not in vecs:
                    raise NotClosedForm(f"a form {f.left.obj}^T ... {f.right.obj} other than theta_0^T W theta_0")
                if identity:
                    term *= vecs[pair] * sp.Mul(*[_atom_scalar(a.expr) for a in f.word])
                elif tuple(a.expr for a in f.word) == (SIGMA,):
                    term *= K
                else:
                    raise NotClosedForm(f"theta_0^T {' '.join(str(a.expr) for a in f.word)} theta_0 is not "
                                        "theta_0^T Sigma theta_0: the loss is not invariant under whitening")
            elif isinstance(f, Tr):
                if identity:
                    term *= DIM * sp.Mul(*[_atom_scalar(a.expr) for a in f.word])
                elif not f.word:
                    term *= DIM
                else:
                    raise NotClosedForm(f"tr({' '.join(str(a.expr) for a in f.word)}) does not reduce to d")
            else:  # pragma: no cover - the engine has only these factors
                raise NotClosedForm(f"unexpected factor {f!r}")
        total += term
    return total


# ----------------------------------------------------------------------------- the ansatz

_Y = {(i, j): sp.Symbol(f"y_{i}{j}") for i in range(3) for j in range(2)}
_S = sp.Symbol("s_perp")
_A = sp.Symbol("a_tt")   # coefficient of theta_0 theta_0^T before the change of variables


def _ansatz(start: Blocks, block: str) -> tuple[Blocks, list[sp.Symbol]]:
    """The start plus the symmetric update (module docstring); the theta block's unknowns row by row."""
    qxx = tuple(start.Qxx) + ((_A, (outer_atom(THETA0, THETA0),)), (_S, (SIGMA_INV_ATOM,)))
    if block == "Qxx":
        return start.with_(Qxx=qxx), [_Y[1, 1]]
    b = start.with_(Q00=start.Q00 + _Y[0, 0], q0x=tuple(start.q0x) + vec(THETA0, _Y[0, 1]),
                    qx0=tuple(start.qx0) + vec(THETA0, _Y[1, 0]), Qxx=qxx, Qy0=start.Qy0 + _Y[2, 0],
                    qyx=tuple(start.qyx) + vec(THETA0, _Y[2, 1]))
    return b, [_Y[i, j] for i in range(3) for j in range(2)]


def _read(e: sp.Expr, ys: list[sp.Symbol]) -> AnsatzQuadratic:
    """A scalarised loss on the ansatz as a quadratic over QQ(parameters), in the coordinates where
    Q_xx's update a theta_0 theta_0^T + s Sigma^{-1} = y_11 theta_0 theta_0^T + s (Sigma^{-1} - theta_0
    theta_0^T/k): a = y_11 - s/k, so that y_11 (theta block) and s (perp block) are decoupled
    (:mod:`symbolic.lowrank_ring`); NotClosedForm past degree 2 or where it is not rational."""
    try:
        return AnsatzQuadratic.read(e, ys, _A, _S, K, _Y[1, 1], (DIM,))
    except DegreeError as exc:
        raise NotClosedForm(str(exc)) from None
    except ratfun.NotRational as exc:
        raise NotClosedForm(f"the loss on the ansatz is not a rational function of its parameters: {exc}") from None


@lru_cache(maxsize=64)
def _ansatz_loss(start: Blocks, block: str, terms: tuple, identity: bool) -> AnsatzQuadratic:
    """``sum_k w_k E(n_k; task_k)`` on the ansatz (:func:`_read`), the engine's coefficients taken as
    it builds them (read into the ring, where equal rational functions are equal); where one of
    them is a form the scalars do not hold, the engine's normal form (whose cancelled coefficients
    are gone) decides."""
    from .general import loss_poly
    if len(terms) == 1 and terms[0].weight == 1 and terms[0].task.is_fixed and sp.sympify(terms[0].n).is_Symbol \
            and terms[0].n != N:    # one error at a symbolic n: the one at the engine's n, renamed
        E = _ansatz_loss(start, block, (Term(sp.S.One, N, terms[0].task),), identity).at(N, terms[0].n)
        if E is not None:
            return E
    wide = _BUILT.get((start, "Q", terms, identity)) if block == "Qxx" else None
    if wide is not None:    # Q_xx's ansatz is Q's at y = 0 off the Q_xx entry: Q's quadratic restricted
        ys = _unknowns("Q")
        return wide.restricted([ys.index(_Y[1, 1]), len(ys)])
    b, ys = _ansatz(start, block)
    try:
        e = scalarise(loss_poly(b, terms, normalise=False), identity)
    except NotClosedForm:
        e = scalarise(loss_poly(b, terms), identity)
    out = _read(e, ys)
    if len(_BUILT) > 64:
        _BUILT.clear()
    _BUILT[(start, block, terms, identity)] = out
    return out


#: the ansatz losses derived in this process (:func:`_ansatz_loss`), by (start, block, terms, identity): Q's
#: holds Q_xx's (its restriction), which is then not derived again
_BUILT: dict = {}


def _parts(Lq: AnsatzQuadratic, n: int) -> tuple:
    """``L = c + y^T Q y - 2 g^T y + q_s s^2 - 2 g_s s + s * (cross . y)``: the pieces, in QQ(parameters)."""
    m = Lq.monomial
    c = Lq.coeff(m())
    Qm = [[Lq.coeff(m((i, 2))) if i == j else field_div(Lq.coeff(m((i, 1), (j, 1))), 2) for j in range(n)]
          for i in range(n)]
    g = [field_div(-Lq.coeff(m((i, 1))), 2) for i in range(n)]
    q_s, g_s = Lq.coeff(m((n, 2))), field_div(-Lq.coeff(m((n, 1))), 2)
    cross = [not Lq.is_zero(m((i, 1), (n, 1))) for i in range(n)]
    return c, Qm, g, q_s, g_s, cross


# ----------------------------------------------------------------------------- the result

@dataclass
class LowRankDerivation:
    r"""The best rank-r update of Q_xx or Q from the pretrained model, at symbolic d.

    Symbols: ``k`` = theta_0^T Sigma theta_0 (:data:`K`), ``d``, ``sigma``, ``m``, the loss's n's.

    * ``theta_update``: Delta_A* (rows :data:`THETA_ROWS`, cols :data:`THETA_COLS`): Q_00 and
      Q_y0 are entries, Q_0x^T, Q_x0, Q_yx^T are multiples of theta_0, Q_xx's entry multiplies
      theta_0 theta_0^T; ``theta_gains``: its gains (sigma_i^2), largest first;
    * ``perp_update`` s*: a perp direction u (u^T Sigma theta_0 = 0) moves Q_xx by
      ``s* u u^T / (u^T Sigma u)``; ``perp_gain``: the loss's fall per such direction
      (multiplicity d - 1);
    * ``loss_start``, ``loss_full``; ``order``: the groups ("perp", "theta1", "theta2") by
      decreasing gain, and ``order_conditions``: the differences of gains it rests on (each
      proven positive, or left as a condition when the sign is not decided);
    * ``steps``: the derivation, for printing.
    """

    spec: Spec
    block: str
    rank: int
    m: sp.Expr
    identity: bool
    theta_update: sp.Matrix
    theta_gains: list[sp.Expr]
    theta_truncations: list[sp.Matrix]
    perp_update: sp.Expr
    perp_gain: sp.Expr
    loss_start: sp.Expr
    loss_full: sp.Expr
    order: tuple[str, ...]
    order_conditions: dict[str, sp.Expr]
    decided: bool
    start: Blocks
    steps: list[Step] = field(default_factory=list)
    #: the theta block's Kronecker factors (H_A, S_A)
    _factors: tuple = ()
    #: the training loss's pieces in QQ(parameters) (``loss_start``, ``loss_full``, ``perp_gain``, ``gains``:
    #: each theta-block gain by its expression), empty where the gains are not rational functions
    _elements: dict = field(default_factory=dict, repr=False, compare=False)
    #: errors already computed, by (j_A, j_perp, task, n, identity) (not copied by ``replace``)
    _errors: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def ordered(self, values: dict) -> "LowRankDerivation":
        """A copy with the order of the gains decided at parameter values (e.g. ``{m: 10, d: 5,
        sigma: 1/3}`` at finite m, where it depends on them); k > 0 may stay symbolic."""
        from dataclasses import replace
        vals = {sp.Symbol(k) if isinstance(k, str) else k: sp.sympify(v) for k, v in values.items()}
        groups = {f"theta{i + 1}": g for i, g in enumerate(self._gains_by_name())}
        conds = {name: ratfun.factored(c.xreplace(vals)) for name, c in self.order_conditions.items()}
        order, decided = _order(groups, conds, {})
        if not decided:
            raise ValueError(f"values: the order of the gains is still not decided at {values} (conditions {conds})")
        truncs = _truncations(self.theta_update, *self._factors, [groups[g] for g in order if g != "perp"])
        return replace(self, order=order, decided=True, theta_gains=[groups[g] for g in order if g != "perp"],
                       theta_truncations=truncs)

    def _gains_by_name(self) -> list[sp.Expr]:
        names = [g for g in self.order if g != "perp"]
        by = dict(zip(names, self.theta_gains))
        return [by[f"theta{i + 1}"] for i in range(len(names))]

    # -- the allocation of the rank
    def allocation(self, r: int | sp.Expr, d: int | None = None) -> tuple[int, sp.Expr]:
        """``(j_A, j_perp)``: how many theta-block and perp directions the best rank-r update takes.

        With ``d`` an integer the perp block holds d - 1 directions; with ``d = None`` (symbolic
        d) the allocation is the one for d large enough that the perp block is never full
        (``r <= d - 1`` when perp comes first), and ``r`` may be a symbol (r >= 1).  Gains of 0
        are never taken: above the number of nonzero gains the update is the full optimum."""
        if not self.decided:
            raise NotClosedForm("the order of the gains is not decided at symbolic parameters: "
                                f"conditions {self.order_conditions}; evaluate them at a setting")
        if isinstance(r, bool) or (isinstance(r, int) and r < 0):
            raise ValueError(f"r: expected an integer >= 0 or a symbol, got {r!r}")
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1):
            raise ValueError(f"d: expected an integer >= 1 or None, got {d!r}")
        left = sp.sympify(r)
        jA, jP = 0, sp.S.Zero
        for g in self.order:
            if g == "perp":
                cap = 0 if self.perp_gain == 0 else (None if d is None else d - 1)
            else:
                cap = 0 if self.theta_gains[int(g[-1]) - 1] == 0 else 1
            if left.is_number:
                take = int(left) if cap is None else min(int(left), cap)
            else:
                take = left if cap is None else cap   # symbolic r: r >= 1 and d large
            if g == "perp":
                jP += take
            else:
                jA += int(take)
            left = left - take
        return jA, jP

    # -- values
    def loss(self, r: int | sp.Expr, d: int | None = None) -> sp.Expr:
        """The training loss after the best rank-r update: ``loss_start - gains taken``
        (= ``loss_full + gains not taken``); d as in :meth:`allocation`."""
        jA, jP = self.allocation(r, d)
        return self.loss_at(jA, jP)

    def loss_at(self, jA: Any, jP: Any) -> sp.Expr:
        """The training loss with j_A theta-block and j_perp perp directions taken."""
        taken = sum((self.theta_gains[i] for i in range(jA)), sp.S.Zero) + jP * self.perp_gain
        return ratfun.factored(self.loss_start - taken)

    def gain_element(self, jA: Any, jP: Any) -> Any:
        """The training loss's fall with j_A theta-block and j_perp perp directions taken (the gains taken),
        as an element of ``QQ(parameters)`` (with j_perp's symbols); None where the gains are not rational."""
        el = self._elements
        if not el or any(g not in el["gains"] for g in self.theta_gains[:jA]):
            return None
        perp, *gains, jp = lift([el["perp_gain"]] + [el["gains"][g] for g in self.theta_gains[:jA]], jP)
        return sum(gains, perp.field.zero) + jp * perp

    def loss_element(self, jA: Any, jP: Any) -> Any:
        """:meth:`loss_at` as an element of ``QQ(parameters)`` (with j_perp's symbols), from the
        derivation's own field elements; None where the gains are not rational functions."""
        el = self._elements
        if not el or any(g not in el["gains"] for g in self.theta_gains[:jA]):
            return None
        start, perp, *gains, jp = lift([el["loss_start"], el["perp_gain"]] + [el["gains"][g] for g in
                                                                              self.theta_gains[:jA]], jP)
        return start - sum(gains, start.field.zero) - jp * perp

    def error(self, r: int | sp.Expr, task: sp.Basic = THETA0, n: Any = N, d: int | None = None, *,
              factored: bool = True) -> sp.Expr:
        """``E(V_hat, Q_r, n; task)`` after the best rank-r update, task theta_0 or -theta_0, n an
        integer, a symbol or oo (the limit); d as in :meth:`allocation` (the formula keeps d
        symbolic: substitute it).  ``factored=False``: the same value unfactored (cheaper, for a
        value that is compared or computed with, not shown)."""
        jA, jP = self.allocation(r, d)
        return self.error_at(jA, jP, task, n, factored=factored)

    def error_at(self, jA: Any, jP: Any, task: sp.Basic = THETA0, n: Any = N, *, factored: bool = True) -> sp.Expr:
        """The error with j_A theta-block and j_perp perp directions taken (any U)."""
        return self._error(jA, jP, ("task", task), n, factored=factored)

    def family_error(self, r: int | sp.Expr, n: Any = N, d: int | None = None, *, factored: bool = True) -> sp.Expr:
        """At Sigma = I: the error averaged over the pretraining tasks theta ~ N(0, I_d), the
        in-context learning of tasks the fine-tuning never saw."""
        jA, jP = self.allocation(r, d)
        return self.family_error_at(jA, jP, n, factored=factored)

    def family_error_at(self, jA: Any, jP: Any, n: Any = N, *, factored: bool = True) -> sp.Expr:
        """:meth:`family_error` with j_A theta-block and j_perp perp directions taken (at Sigma = I,
        where the family N(0, I) is invariant under the symmetry; k = theta_0^T theta_0)."""
        return self._error(jA, jP, ("family", None), n, identity=True, factored=factored)

    def _error(self, jA, jP, what, n, identity: bool | None = None, factored: bool = True) -> sp.Expr:
        """The error (:meth:`error_element`) as an expression, factored unless ``factored`` is False
        (for a comparison, where the form does not matter: then numerator over denominator); each
        computed once per derivation."""
        key = (jA, jP, what, sp.sympify(n), identity, factored)
        if key not in self._errors:
            x = self.error_element(jA, jP, what, n, identity)
            self._errors[key] = field_factored(x) if factored else to_expr(x)
        return self._errors[key]

    def error_element(self, jA, jP, what, n, identity: bool | None = None) -> Any:
        """The error with j_A theta-block and j_perp perp directions taken, ``what`` = ("task", theta) or
        ("family", None), as an element of ``QQ(parameters)`` (the field of the error's quadratic, with
        j_perp's symbols when it has any): the error at the theta block's update alone and with the perp
        update on every perp direction, both evaluated in the field, combined affinely in j_perp; once per
        derivation and argument (the checks ask for some twice: as an expression and as an element)."""
        key = ("element", jA, sp.sympify(jP), what, sp.sympify(n), identity)
        hit = self._errors.get(key)
        if hit is not None:
            return hit
        at0 = self._end(jA, what, n, identity, False)
        if jP == 0:
            out = field_new(at0.field, at0.numer, at0.denom)
        else:
            atp = self._end(jA, what, n, identity, True)
            at0, atp, w = lift((at0, atp), sp.sympify(jP) / (DIM - 1))   # with j_perp's symbols (the rank r)
            out = affine(at0, atp, w)
        self._errors[key] = out
        return out

    def _end(self, jA, what, n, identity: bool | None, perp: bool) -> Any:
        """The error's quadratic (:func:`_evaluation`) at the theta block's top-j_A update, with the perp
        coordinate at 0 or at s*: an element of its field (not cancelled), once per derivation."""
        key = ("end", jA, what, sp.sympify(n), identity, perp)
        if key not in self._errors:
            E = _evaluation(self.start, self.block, what, sp.sympify(n), self.identity if identity is None else identity,
                            self._symbols())
            tkey = ("truncation", jA, E.K)   # the theta block's update in E's field, once per field
            if tkey not in self._errors:
                self._errors[tkey] = [to_field(y, E.K) for y in self.theta_truncations[jA]]
            vals = self._errors[tkey]
            self._errors[key] = E.value(vals + [to_field(self.perp_update, E.K) if perp else E.K.field.zero],
                                        reduced=False)
        return self._errors[key]

    def _symbols(self) -> tuple:
        """The parameters the update's values hold (the field the errors are evaluated in holds them);
        once per derivation (``replace`` starts a new memo)."""
        from .lowrank_ring import ordered
        hit = self._errors.get("symbols")
        if hit is None:
            syms = set(sp.sympify(self.perp_update).free_symbols)
            for Y in self.theta_truncations:
                for y in Y:
                    syms |= sp.sympify(y).free_symbols
            hit = self._errors["symbols"] = ordered(syms)
        return hit

    def full_rank(self) -> int | sp.Expr:
        """The rank from which the update is the unconstrained optimum (gains of 0 excluded)."""
        nz = sum(1 for g in self.theta_gains if g != 0)
        return nz + (DIM - 1 if self.perp_gain != 0 else 0)

    def parameters_at(self, r: int, *, d: int, Sigma: Any = None, theta0: Any = None, sigma2: Any = 0,
                      U: Any = None, n_ft: Any = None) -> tuple[sp.Matrix, sp.Matrix]:
        """A best rank-r update's full ``(V, Q)`` at a concrete setting, exact: the pretrained
        start plus the theta block's top-j_A update and the perp update on U (d x j_perp with
        ``U^T Sigma theta_0 = 0``; by default the first j_perp vectors of a rational basis of that
        space).  Sigma = I and theta_0 = e_1 by default; at finite m Sigma must be I.  ``n_ft``: the
        shots of a derivation at symbolic n_ft, substituted (the order of the gains, decided for
        every n_ft >= 1, holds there)."""
        from .evaluation import evaluate, evaluate_matrix
        from .strategy import matexpr_to_sympy
        S = sp.eye(d) if Sigma is None else sp.Matrix(Sigma)
        t0 = sp.Matrix([1] + [0] * (d - 1)) if theta0 is None else sp.Matrix(theta0).reshape(d, 1)
        if S.shape != (d, d) or t0.shape != (d, 1):
            raise ValueError(f"Sigma, theta0: expected a {d} x {d} matrix and {d} numbers")
        if self.identity and S != sp.eye(d):
            raise ValueError("Sigma: this derivation (finite m) holds at Sigma = I only")
        jA, jP = self.allocation(r, d)
        env = {"Sigma": S, "theta_0": t0, "sigma": sp.sqrt(sp.sympify(sigma2)), "d": d}
        if n_ft is not None:
            env["n_ft"] = sp.Integer(n_ft)
        if self.m != sp.oo:
            env["m"] = self.m
        k = (t0.T * S * t0)[0, 0]
        val = lambda e: evaluate(sp.sympify(e).xreplace({K: k}), env)   # noqa: E731
        Y = self.theta_truncations[jA].applyfunc(val)
        Q = sp.zeros(d + 2, d + 2)
        Q[1:d + 1, 1:d + 1] = evaluate_matrix(matexpr_to_sympy(self.start.Qxx), env)
        if U is None:
            U = sp.Matrix.hstack(*((S * t0).T.nullspace()[:int(jP)])) if jP else sp.zeros(d, 0)
        U = sp.Matrix(U)
        if U.cols != jP or any(x != 0 for x in U.T * S * t0):
            raise ValueError(f"U: expected {jP} columns with U^T Sigma theta_0 = 0")
        Q[1:d + 1, 1:d + 1] += self.perp_matrix(U, S).applyfunc(val)
        if self.block == "Qxx":
            Q[1:d + 1, 1:d + 1] += Y[0, 0] * t0 * t0.T
        else:
            Q[0, 0] += Y[0, 0]
            Q[0, 1:d + 1] += Y[0, 1] * t0.T
            Q[1:d + 1, 0] += Y[1, 0] * t0
            Q[1:d + 1, 1:d + 1] += Y[1, 1] * t0 * t0.T
            Q[d + 1, 0] += Y[2, 0]
            Q[d + 1, 1:d + 1] += Y[2, 1] * t0.T
        V = sp.zeros(d + 2, d + 2)
        V[d + 1, d + 1] = 1
        return V, Q

    def compare_with_full(self, ns: tuple = (0, N, sp.oo)) -> list[tuple[str, sp.Expr, sp.Expr, bool]]:
        """Full rank against today's unconstrained derivation (:func:`symbolic.general.derive_spec`
        of the spec without its rank): the training loss and the errors on theta_0, -theta_0 at
        each n, as ``(what, this derivation's, derive_spec's, equal)``; the other side is
        scalarised the same way (k, d; Sigma = I at finite m)."""
        from .general import derive_spec, loss_poly
        st = derive_spec(self.spec.without_ranks(), self.m)
        nz = sum(1 for g in self.theta_gains if g != 0)
        out = []
        # mine: the field elements where the derivation has them (the value loss_at and loss_full factor)
        jP = DIM - 1 if self.perp_gain != 0 else 0
        mine = self.loss_element(nz, jP)
        mine = self.loss_at(nz, jP) if mine is None else mine
        full = self._elements.get("loss_full", self.loss_full)
        # theirs: a rational function, compared by cross-multiplying (no factoring, no gcd needed); each
        # loss scalarised once (a one-term training loss is also one of the errors below)
        seen: dict = {}

        def scalarised(terms: tuple) -> sp.Expr:
            if terms not in seen:
                seen[terms] = scalarise(loss_poly(st.blocks, terms), self.identity)
            return seen[terms]
        theirs = scalarised(tuple(self.spec.loss))
        out.append(("training loss", _shown(mine), theirs, _equal(mine, theirs)))
        out.append(("training loss (loss_full)", _shown(full), theirs, _equal(full, theirs)))
        for task in (THETA0, -THETA0):
            for n in ns:
                mine = self.error_element(nz, jP, ("task", task), n)
                theirs = scalarised((Term(sp.S.One, sp.sympify(n), Task(task)),))
                out.append((f"E(n = {sp.sstr(n)}; {sp.sstr(task)})", _shown(mine), theirs, _equal(mine, theirs)))
        return out

    def perp_matrix(self, U: Any, Sigma: Any) -> sp.Matrix:
        """Q_xx's perp update at a concrete setting: ``s* U (U^T Sigma U)^{-1} U^T`` (U: d x j with
        ``U^T Sigma theta_0 = 0``; any such U is optimal)."""
        U, S = sp.Matrix(U), sp.Matrix(Sigma)
        if U.cols == 0:
            return sp.zeros(S.rows, S.rows)
        return self.perp_update * U * (U.T * S * U).inv() * U.T


def ring_fraction(e: sp.Expr, R: Any) -> tuple:
    """``e`` as ``(p, q)`` with p, q in the polynomial ring R and ``e = p/q``, no gcd taken
    (:func:`symbolic.ratfun.numer_denom`, its denominator's factors multiplied out); ValueError when
    ``e`` is not a rational function of R's generators."""
    num, dens = ratfun.numer_denom(e, R)
    den = R.one
    for base, power in dens.items():
        den = den * base ** power
    return num, den


def _shown(x: Any) -> sp.Expr:
    """A field element as an expression (numerator over denominator); an expression as it is."""
    return to_expr(x) if isinstance(x, FracElement) else x


def _equal(a: Any, b: sp.Expr) -> bool:
    """Whether two rational functions of scalar symbols are identically equal, exactly: written
    ``a = p/q``, ``b = r/s`` (:func:`ring_fraction`), they are equal iff the polynomial ``p s - r q``
    is 0 in QQ[symbols] (what ``cancel(a - b) == 0`` decides, without a gcd); by ``cancel`` when
    they are not such functions.  ``a`` may be an element of a field ``QQ(symbols)`` (its numerator
    and denominator are p and q)."""
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring
    element = a if isinstance(a, FracElement) else None
    b = sp.sympify(b)
    if element is None:
        a = sp.sympify(a)
    syms = set(element.field.ring.symbols) if element is not None else a.free_symbols
    gens = sorted(syms | b.free_symbols, key=sp.default_sort_key)
    if gens:
        R = ring(gens, QQ)[0]
        try:
            (p, q) = ((element.numer.set_ring(R), element.denom.set_ring(R)) if element is not None
                      else ring_fraction(a, R))
            (r, s) = ring_fraction(b, R)
        except ValueError:
            pass
        else:
            if q and s:
                return p * s - r * q == 0
    if element is not None:   # (its expression only here: the ring route above reads numerator and denominator)
        a = to_expr(element)
    return cancelled(a - b) == 0


def _unknowns(block: str) -> list[sp.Symbol]:
    return [_Y[1, 1]] if block == "Qxx" else [_Y[i, j] for i in range(3) for j in range(2)]


@lru_cache(maxsize=64)
def _evaluation(start: Blocks, block: str, what: tuple, n: sp.Expr, identity: bool,
                params: tuple = ()) -> AnsatzQuadratic:
    """E(n; task) (or the family average) on the ansatz, a quadratic in the unknowns over
    QQ(parameters, ``params``), checked: no term couples the perp coordinate to the theta block.
    At n = 0, n -> oo and a symbolic n it is the error at the engine's symbolic n taken there
    (:meth:`symbolic.lowrank_ring.AnsatzQuadratic.at`: the engine's own n = 0 and n -> oo are the
    same polynomials, its weights at n = 0 and their limit)."""
    task = Task(what[1]) if what[0] == "task" else Task(None, sp.S.One)
    E = None
    if n != N and (n == 0 or n == sp.oo or n.is_Symbol):
        # derived once at symbolic n, then at n = 0, n -> oo (coefficient by coefficient) or another symbol
        E = _ansatz_loss(start, block, (Term(sp.S.One, N, task),), identity).at(N, n)
    if E is None:
        E = _ansatz_loss(start, block, (Term(sp.S.One, n, task),), identity)
    E = E.over(params)
    ny = len(_unknowns(block))
    if any(not E.is_zero(E.monomial((i, 1), (ny, 1))) for i in range(ny)):
        raise NotClosedForm(f"the error on {what} couples the perp block to the theta block: the symmetry fails")
    return E


def _sign(e: sp.Expr, assumptions: dict) -> bool | None:
    """Whether e > 0 for every admissible parameter (True / False), or None if undecided."""
    e = ratfun.factored(sp.sympify(e).xreplace(assumptions))
    if e.is_positive:
        return True
    if e.is_negative or e.is_zero:
        return False
    return None


def derive_lowrank(spec: Spec, m: Any = sp.oo) -> LowRankDerivation:
    """Derive the best rank-r update of the spec's ranked block (Q_xx or Q) at symbolic d
    (module docstring); m -> oo at any Sigma, finite m at Sigma = I."""
    from .lowrank_concrete import ranked_block
    r = ranked_block(spec)
    return _derive(spec, r.block, r.rank, sp.sympify(m))


@lru_cache(maxsize=32)
def _derive(spec: Spec, block: str, rank: int, m: sp.Expr) -> LowRankDerivation:
    from .general import loss_poly
    from .pretraining import derive_pretrain
    if spec.start is not None:
        raise NotClosedForm("start: the closed form is derived from the pretrained parameters; an explicit start "
                            "is answered at a concrete setting (symbolic.lowrank_concrete.lowrank_optimum)")
    for t in spec.loss:
        if not t.task.is_fixed or t.task.mean not in (THETA0, -THETA0):
            raise NotClosedForm(f"loss: the task {t.task} breaks the symmetry about theta_0 (tasks theta_0 and "
                                "-theta_0 only); answer it at a concrete setting")
    identity = m != sp.oo
    start = derive_pretrain(m).blocks
    steps = [Step(f"start: the pretrained parameters (m = {sp.sstr(m)}); {block} moves by an update of rank <= {rank}"
                  + ("; finite m: stated at Sigma = I (Gamma_hat_m is a multiple of I there)" if identity else
                     "; m -> oo: any Sigma (Q_xx = Sigma^{-1}, a multiple of I after whitening)"))]
    ys = _unknowns(block)
    Lq = _ansatz_loss(start, block, tuple(spec.loss), identity)
    F, fac = Lq.K.field, field_factored
    c, Qm, g, q_s, g_s, cross = _parts(Lq, len(ys))
    steps.append(Step("the loss on the symmetric ansatz (theta block y, perp coordinate s_perp)",
                      later=lambda: ratfun.factored(Lq.expr())))   # for display only: factored when shown
    if any(cross):
        raise NotClosedForm("the loss couples the perp block to the theta block: the symmetry fails")
    steps.append(Step("checked: no term couples s_perp to the theta block"))
    rows, cols = len(THETA_ROWS[block]), len(THETA_COLS[block])
    Hf, Sf = _kronecker(Qm, rows, cols)
    HA = sp.Matrix(rows, rows, lambda i, j: fac(Hf[i][j]))
    SA = sp.Matrix(cols, cols, lambda i, j: cancelled(to_expr(Sf[i][j])))
    steps.append(Step("the theta block's Hessian is H_A (x) S_A (checked): H_A", HA))
    steps.append(Step("S_A", SA))
    # Qm = H_A (x) S_A (checked above), so Qm^{-1} = H_A^{-1} (x) S_A^{-1}: two small inverses (in the
    # field's ring, one cancel per entry: lowrank_ring.inverse, matmul)
    try:    # (the inverse of a singular matrix is refused: no determinant needed first)
        Hi, Si = field_inverse(Hf, F), field_inverse(Sf, F)
    except DMNonInvertibleMatrixError:
        raise NotClosedForm("the theta block's Hessian is singular at symbolic parameters") from None
    gm = [g[i * cols:(i + 1) * cols] for i in range(rows)]
    # Delta_A* = (H^{-1} (x) S^{-1}) vec(G) (row-major vec) = H_A^{-1} G S_A^{-T}: two matrix products
    Df = field_matmul(field_matmul(Hi, gm, F), [list(c) for c in zip(*Si)], F)
    DA = sp.Matrix(rows, cols, lambda i, p: fac(Df[i][p]))
    theta_total = sum((gm[i][p] * Df[i][p] for i in range(rows) for p in range(cols)), F.zero)
    eig, eig_f, KA = _gains(Df, Hf, Sf, Lq.K)
    if eig_f is not None and sum(eig_f, F.zero) != theta_total or eig_f is None and not (
            _equal(sum(eig), fac(theta_total)) or sp.simplify(sum(eig) - fac(theta_total)) == 0):
        raise NotClosedForm("the theta block's gains do not add up to its total gain")
    steps.append(Step("the theta block's optimum Delta_A* (rows " + ", ".join(THETA_ROWS[block]) + "; cols "
                      + ", ".join(THETA_COLS[block]) + ")", DA))
    dm1 = to_field(DIM - 1, Lq.K)
    if not q_s:
        s_star, perp_gain = F.zero, F.zero
    else:
        s_star = g_s / q_s
        perp_gain = g_s ** 2 / q_s / dm1
    loss_full_f = c - theta_total - dm1 * perp_gain
    loss_start, loss_full = fac(c), fac(loss_full_f)
    # the pieces as field elements too (values computed with later, without reading expressions back)
    elements = {} if eig_f is None else {"loss_start": c, "loss_full": loss_full_f, "perp_gain": perp_gain,
                                         "gains": dict(zip(eig, eig_f))}
    s_star, perp_gain = fac(s_star), fac(perp_gain)
    steps.append(Step("the perp block's optimum s* (Q_xx moves by s* (Sigma^{-1} - theta_0 theta_0^T/k) at full rank)",
                      s_star))
    steps.append(Step("its gain per direction (multiplicity d - 1)", perp_gain))
    # order of the gains
    assume = _assumptions(spec, m)
    eig = sorted(eig, key=lambda e: 0 if e == 0 else -1)   # zero last
    if len(eig) == 2 and eig[0] != 0 and eig[1] != 0:
        s = _sign(eig[0] - eig[1], assume)
        if s is False:
            eig = eig[::-1]
    groups = {"theta1": eig[0]} | ({"theta2": eig[1]} if len(eig) > 1 else {})
    if elements:
        conditions = {f"perp - {name}": fac(elements["perp_gain"] - elements["gains"][val]) for name, val in groups.items()}
    else:
        conditions = {f"perp - {name}": ratfun.factored(perp_gain - val) for name, val in groups.items()}
    order, decided = _order(groups, conditions, assume)
    ranked = [groups[g] for g in order if g != "perp"]
    truncs = _truncations(DA, HA, SA, ranked, None if not elements else
                          (Df, Hf, Sf, [elements["gains"][x] for x in ranked], Lq.K),
                          (KA, DomainMatrix(Si, (cols, cols), Lq.K)))
    steps.append(Step("gains by size: " + " > ".join(order) + ("" if decided else " (not decided: see conditions)")))
    out = LowRankDerivation(spec, block, rank, m, identity, DA, [groups[g] for g in order if g != "perp"], truncs,
                            s_star, perp_gain, loss_start, loss_full, order, conditions, decided, start, steps,
                            (HA, SA), elements)
    return out


def _order(groups: dict, conditions: dict, assume: dict) -> tuple[tuple[str, ...], bool]:
    """The groups by decreasing gain; decided False if a comparison with perp is not decided
    (then perp is put first, provisionally)."""
    order, decided, after = ["perp"], True, []
    for name in groups:
        sgn = _sign(conditions[f"perp - {name}"], assume)
        if sgn is None:
            decided = False
            after.append(name)
        elif sgn is False:
            order.insert(order.index("perp"), name)
        else:
            after.append(name)
    return tuple(order + after), decided


def _assumptions(spec: Spec, m: sp.Expr) -> dict:
    """Substitutions under which a sign is decided: sigma^2 > 0, d >= 2 (d = 2 + e, e >= 0), the
    loss's symbolic n >= 1, m >= 1."""
    sub = {SIGMA_NOISE: sp.Symbol("sigma_p", positive=True), DIM: 2 + sp.Symbol("e_d", nonnegative=True)}
    for t in spec.loss:
        for x in sp.sympify(t.n).free_symbols | sp.sympify(t.weight).free_symbols:
            if x.is_integer:
                sub[x] = 1 + sp.Symbol(f"{x.name}_e", nonnegative=True, integer=True)
            else:
                sub[x] = sp.Symbol(f"{x.name}_p", positive=True)
    for x in sp.sympify(m).free_symbols:
        sub[x] = 1 + sp.Symbol("m_e", nonnegative=True)
    return sub


def _tidy_gain(e: sp.Expr) -> sp.Expr:
    """An eigenvalue of the theta block, factored: a rational function of the symbols directly (its
    factored form is canonical), one with radicals after ``simplify``."""
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring
    syms = sorted(e.free_symbols, key=sp.default_sort_key)
    try:
        if syms:
            ring_fraction(e, ring(syms, QQ)[0])
        elif not e.is_Rational:
            raise ValueError("a number with radicals")
        return ratfun.factored(e)
    except ValueError:
        return ratfun.factored(sp.simplify(e))


def _kronecker(Qm: list, rows: int, cols: int) -> tuple[list, list]:
    """``Qm = H (x) S`` (row-major unknowns; entries in a field), S normalised to S_11 = 1;
    NotClosedForm if not (checked entry by entry, exactly)."""
    H = [[Qm[i * cols][j * cols] for j in range(rows)] for i in range(rows)]
    piv = next((i for i in range(rows) if H[i][i]), None)
    if piv is None:
        raise NotClosedForm("the theta block's Hessian vanishes on its first column")
    S = [[field_div(Qm[piv * cols + p][piv * cols + q], H[piv][piv]) for q in range(cols)] for p in range(cols)]
    # H_ij S_pq = Qm: a/b * c/e = f/g iff a c g = f b e (cross-multiplied in the ring: no gcd per product)
    if any(H[i][j].numer * S[p][q].numer * Qm[i * cols + p][j * cols + q].denom
           != Qm[i * cols + p][j * cols + q].numer * H[i][j].denom * S[p][q].denom
           for i in range(rows) for j in range(rows) for p in range(cols) for q in range(cols)):
        raise NotClosedForm("the theta block's Hessian is not a Kronecker product H (x) S")
    return H, S


def _gains(D: list, H: list, S: list, Kf: Any) -> tuple[list[sp.Expr], list | None, DomainMatrix]:
    """The theta block's gains, the eigenvalues of ``K_A = S D^T H D`` with multiplicity (zero last),
    tidied (:func:`_tidy_gain`), and as elements of the field when they are rational: K_A's
    eigenvalues are its entry (1 x 1) or, at det K_A = 0, its trace and 0 (2 x 2); otherwise
    SymPy's eigenvalues (radicals possible; no field values).  Third: K_A itself (a DomainMatrix
    over Kf), for :func:`_truncations`."""
    F = Kf.field
    KA = field_matmul(field_matmul(field_matmul(S, [list(c) for c in zip(*D)], F), H, F), D, F)
    M = DomainMatrix(KA, (len(S), len(S)), Kf)
    if len(KA) == 1:
        vals = [KA[0][0]]
    elif len(KA) == 2 and M.det() == 0:
        vals = [KA[0][0] + KA[1][1], F.zero]
    else:
        E = sp.Matrix(len(KA), len(KA), lambda i, j: cancelled(to_expr(KA[i][j])))
        return [_tidy_gain(e) for e, mult in E.eigenvals().items() for _ in range(mult)], None, M
    vals = sorted(vals, key=lambda e: 0 if not e else -1)   # zero last
    return [field_factored(v) for v in vals], vals, M


def _truncations(DA: sp.Matrix, HA: sp.Matrix, SA: sp.Matrix, gains: list[sp.Expr],
                 elements: tuple | None = None, products: tuple | None = None) -> list[sp.Matrix]:
    """Delta_A^(j) for j = 0, 1, 2...: the theta block's update keeping its top j gains:
    ``Delta_A* W (W^T S^{-1} W)^{-1} W^T S^{-1}``, W the eigenvectors of S Delta^T H Delta.
    Computed in QQ(parameters) where the gains are rational functions, by SymPy otherwise.
    ``elements``: ``(D, H, S, gains, K)``, the same matrices (lists of rows) and gains as elements of
    the field K, where the caller has them (nothing read back from the expressions); ``products``
    (with ``elements`` only): ``(K_A, S^{-1})``, ``S D^T H D`` and S's inverse as DomainMatrices over
    K, where the caller computed them (:func:`_gains`, the Hessian's inverse)."""
    from .lowrank_ring import field_of, ordered
    if elements is not None:
        *f, gf, Kf = elements
    else:
        syms: set = set()
        for X in (DA, HA, SA, gains):
            for x in X:
                syms |= sp.sympify(x).free_symbols
        try:
            Kf = field_of(ordered(syms))
            f = [[[to_field(x, Kf) for x in X.row(i)] for i in range(X.rows)] for X in (DA, HA, SA)]
            gf = [to_field(x, Kf) for x in gains]
        except (ratfun.NotRational, ValueError, TypeError):
            return _truncations_sympy(DA, HA, SA, gains)
    D, H, S = (DomainMatrix(X, (len(X), len(X[0])), Kf) for X in f)
    rows, cols = DA.shape
    out = [sp.zeros(rows, cols)]
    KA, Sinv = products if elements is not None and products is not None else (S * D.transpose() * H * D, S.inv())
    I = DomainMatrix.eye(cols, Kf)
    vecs = []
    for j, gval in enumerate(gf):
        if not gval:
            out.append(DA)
            continue
        ns = (KA - I * gval).nullspace()
        if ns.shape[0] == 0:
            raise NotClosedForm("an eigenvector of the theta block was not found")
        vecs.append(ns[0, :].transpose())
        # Pi = W (W^T S^-1 W)^-1 W^T S^-1, D Pi: in the field's ring, one cancel per entry
        F = Kf.field
        W = DomainMatrix.hstack(*vecs).to_list()
        WT, Si = [list(c) for c in zip(*W)], Sinv.to_list()
        WTSi = field_matmul(WT, Si, F)
        Pi = field_matmul(field_matmul(W, field_inverse(field_matmul(WTSi, W, F), F), F), WTSi, F)
        P = field_matmul(D.to_list(), Pi, F)
        out.append(sp.Matrix(rows, cols, lambda i, p: field_factored(P[i][p])))
    return out


def _truncations_sympy(DA: sp.Matrix, HA: sp.Matrix, SA: sp.Matrix, gains: list[sp.Expr]) -> list[sp.Matrix]:
    """:func:`_truncations` by SymPy's matrices (gains with radicals)."""
    rows, cols = DA.shape
    out = [sp.zeros(rows, cols)]
    KA = (SA * DA.T * HA * DA).applyfunc(cancelled)
    Sinv = SA.inv()
    vecs = []
    for j, gval in enumerate(gains):
        if gval == 0:
            out.append(DA)
            continue
        ns = (KA - gval * sp.eye(cols)).applyfunc(cancelled).nullspace(simplify=True)
        if not ns:
            raise NotClosedForm("an eigenvector of the theta block was not found")
        vecs.append(ns[0])
        W = sp.Matrix.hstack(*vecs)
        Pi = W * (W.T * Sinv * W).inv() * W.T * Sinv
        out.append((DA * Pi).applyfunc(lambda x: ratfun.factored(cancelled(x))))
    return out
