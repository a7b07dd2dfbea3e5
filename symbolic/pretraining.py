"""Strategy (a), pretraining, derived: ``argmin_{V,Q} E_{theta ~ N(0, I)} E(V, Q, m; theta)``.

With the ansatz ``v = (0, 0, 1)`` (the normalisation ``V[-1,-1] = 1``) and
``Q = blockdiag(0, Gamma, 0)``, the first-order condition in Gamma is a matrix equation
``L Gamma R = C`` of the word algebra, solved exactly; ``m -> oo`` is a limit taken inside the
derived matrix's definition.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .calculus import matrix_gradient, solve_matrix, taylor
from .convert import to_sympy
from .definitions import definition
from .model import Blocks, MatExpr, mat
from .objective import M, pretraining_error
from .scaling import scale
from .strategy import Step, Strategy, matexpr_to_sympy
from .words import DIM, Atom, word_expr

__all__ = ["derive_pretrain"]


def _limit_m_matexpr(M_: MatExpr) -> MatExpr:
    """``lim_{m -> oo}`` of a derived matrix: limits of the scalars, inside atoms too."""
    out = []
    for c, w in M_:
        atoms = []
        for a in w:
            e = definition(a.expr) if definition(a.expr) is not None else a.expr
            if isinstance(e, sp.Inverse) and isinstance(e.arg, sp.MatAdd):
                kept = []
                for term in e.arg.args:
                    coeff, mats = term.as_coeff_mmul()
                    scal = sp.Mul(*[x for x in term.args if not getattr(x, "is_Matrix", False)]) \
                        if isinstance(term, sp.MatMul) else sp.S.One
                    lim = sp.limit(scal, M, sp.oo)
                    if lim != 0:
                        kept.append(term if lim == scal else lim * sp.MatMul(*[x for x in term.args if getattr(x, "is_Matrix", False)]))
                inner = kept[0] if len(kept) == 1 else sp.MatAdd(*kept)
                a = Atom(sp.Inverse(inner), symmetric=a.symmetric, transposed=a.transposed)
            elif e is not a.expr:
                raise NotImplementedError(f"limit m -> oo of {a.expr}")
            atoms.append(a)
        out.append((sp.limit(c, M, sp.oo), tuple(atoms)))
    return tuple(out)



@lru_cache(maxsize=16)
def derive_pretrain(m: sp.Expr = sp.oo, task_covariance: sp.MatrixSymbol | None = None) -> Strategy:
    """Minimise the pretraining objective over ``v = (0, 0, 1)``, ``Q = blockdiag(0, Gamma, 0)``.

    The first-order condition in Gamma (a matrix equation ``L Gamma R = C``) is solved in the
    word algebra; for ``m -> oo`` the solution's limit is taken.  Stationarity of the full
    objective (every block of V's last row and of Q) at that point, and global optimality,
    are checked by the proof module (Corollary 4.1/4.2).

    ``task_covariance`` (a symmetric d x d ``MatrixSymbol`` Omega) re-derives the pretrained
    model for tasks ``theta ~ N(0, Omega)`` instead of ``N(0, I_d)``.
    """
    if m == sp.oo:
        # the objective, its gradient and Gamma_hat_m are those of finite m = M, step for step (the
        # same computation, the same name Gamma_hat_m): derived once, then the limit taken
        base = derive_pretrain(M, task_covariance)
        sol = _limit_m_matexpr(base.blocks.Qxx)
        return _pretrained(base.steps + [Step("limit m -> oo: Gamma_hat", matexpr_to_sympy(sol))], sol, m)
    m_fin = sp.sympify(m)
    gamma = Atom(sp.MatrixSymbol("Gamma", DIM, DIM))
    delta = sp.MatrixSymbol("Delta", DIM, DIM)
    steps = [Step("ansatz: v = (0, 0, 1) (normalisation v_y = 1), Q = blockdiag(0, Gamma, 0)")]
    b = Blocks(vy=sp.S.One, Qxx=mat(gamma))
    L0, L1 = taylor(lambda bb: pretraining_error(bb, m_fin, task_covariance), b,
                    Blocks(Qxx=mat(Atom(delta))), order=1)
    steps.append(Step("pretraining objective E_theta E(V, Q, m; theta)", to_sympy(L0)))
    grad = matrix_gradient(L1, delta)
    terms = tuple(grad)
    steps.append(Step("gradient in Gamma", later=lambda: sp.MatAdd(*[scale(c, word_expr(w)) for c, w in terms])))
    tag = ("m" if m_fin == M else str(m_fin)) + ("" if task_covariance is None else f"_{task_covariance.name}")
    sol = solve_matrix(grad, gamma, name=(f"Gamma_hat_{tag}", rf"\hat{{\Gamma}}_{{{tag}}}"))
    steps.append(Step("first-order condition solved: Gamma_hat", matexpr_to_sympy(sol)))
    for c, w in sol:
        for a in w:
            if definition(a.expr) is not None:
                steps.append(Step(f"where {a.expr.name}", sp.Eq(a.expr, definition(a.expr), evaluate=False)))
    return _pretrained(steps, sol, m)


def _pretrained(steps: list, sol: MatExpr, m: sp.Expr) -> Strategy:
    """The pretrained strategy: v = e_y, Q = blockdiag(0, sol, 0), with its free entries and convention."""
    blocks = Blocks(vy=sp.S.One, Qxx=sol)
    return Strategy(
        "pretrain", blocks, sp.sympify(m),
        free=["V[0:d+1, :] (rows that never reach the output)", "Q[:, d+1] (multiplies the query's zero label)",
              "the scale (V, Q) -> (aV, Q/a), fixed by V[-1,-1] = 1"],
        convention="representative with V[-1,-1] = 1; free entries set to 0",
        steps=steps,
        free_latex=[r"$V_{0:d+1,\,:}$ (rows that never reach the output)",
                    r"$Q_{:,\,d+1}$ (multiplies the query's zero label)",
                    r"the scale $(V, Q) \mapsto (aV, Q/a)$, fixed by $V_{-1,-1} = 1$"],
        convention_latex=r"the representative with $V_{-1,-1} = 1$; free entries set to $0$")
