"""The specs behind the results beyond the paper, and helpers they share.

Every strategy here is a :class:`symbolic.spec.Spec` derived by the general derivation
(:mod:`symbolic.general`): nothing is derived by hand.

* ``tradeoff-value``: V's last row on ``E(V, Q_hat, 0; theta_0) + lambda E(V, Q_hat, n_ft; theta_0)``;
* ``query-key``: Q (all of its blocks) on the zero-shot loss; ``query-key-fewshot``: Q's
  blocks other than Q_xx on the n_ft-shot loss;
* ``task-family``: V's last row on the zero-shot loss over tasks ``N(theta_0, tau^2 I)``, then
  (inside its minimisers) on the n -> oo loss over the same family, as strategy (d) does for
  theta_0 alone.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from symbolic import ratfun
from symbolic import SIGMA, THETA, THETA0, Bilinear
from symbolic.spec import family, make_spec
from symbolic.words import DIM

from proofs.quantities import frontier
from proofs.quantities.frontier import LAMBDA  # the frontier's lambda > 0: one symbol for both
from proofs.paper.result import PARAMS

#: the spread of the task family N(theta_0, tau^2 I)
TAU = sp.Symbol("tau", positive=True)
#: the finite number of shots of the auxiliary loss used where n_ft -> oo is degenerate
N_FT_EXAMPLE = 5
#: the Sigma-norm ratio |theta|_Sigma / |theta_0|_Sigma and the Sigma-angle between theta and theta_0
RHO = sp.Symbol("rho", positive=True)
PHI = sp.Symbol("phi", real=True)
K = Bilinear(THETA0, SIGMA, THETA0)
V_ROW = ("v0", "vx", "vy")
Q_ALL = ("Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx")
Q_NO_QXX = ("Q00", "q0x", "qx0", "Qy0", "qyx")

PARAMS.update({
    "tradeoff-value": ("V_lambda, Q_hat", r"V_{\lambda}, \hat{Q}"),
    "value-fewshot-only": ("V_fs, Q_hat", r"V_{\mathrm{fs}}, \hat{Q}"),
    "query-key": ("V_hat, Q_qk", r"\hat{V}, Q_{\mathrm{qk}}"),
    "query-key-fewshot": ("V_hat, Q_qk,fs", r"\hat{V}, Q_{\mathrm{qk,fs}}"),
    "task-family": ("V_tau, Q_hat", r"V_{\tau}, \hat{Q}"),
})


@lru_cache(maxsize=None)
def tradeoff_spec(n_ft: Any = sp.oo, lam: Any = LAMBDA):
    """The mixed loss E(0; theta_0) + lambda E(n_ft; theta_0) on V's last row: the frontier's spec."""
    return frontier.tradeoff_spec(n_ft, lam)


@lru_cache(maxsize=None)
def fewshot_only_spec(n_ft: Any = N_FT_EXAMPLE):
    """The few-shot loss alone on V's last row (the frontier's end lambda -> oo)."""
    return frontier.fewshot_spec(n_ft)


@lru_cache(maxsize=None)
def query_key_spec():
    return make_spec(Q_ALL, [(1, 0, "target")], name="query-key")


@lru_cache(maxsize=None)
def query_key_fewshot_spec(n_ft: Any = N_FT_EXAMPLE):
    return make_spec(Q_NO_QXX, [(1, n_ft, "target")], name="query-key-fewshot")


@lru_cache(maxsize=None)
def family_spec(tau: Any = TAU):
    fam = family("target", tau ** 2)
    return make_spec(V_ROW, [(1, 0, fam)], then=[(1, sp.oo, fam)], name="task-family")


def at_rho_phi(e: sp.Expr) -> sp.Expr:
    """A formula in theta^T Sigma theta, theta^T Sigma theta_0 written with the Sigma-norm ratio rho
    and the Sigma-angle phi: theta^T Sigma theta = rho^2 k, theta^T Sigma theta_0 = rho k cos(phi),
    k = theta_0^T Sigma theta_0."""
    reps = {}
    for b in sp.sympify(e).atoms(Bilinear):
        if b.middle != SIGMA:
            raise ValueError(f"unexpected bilinear form {b}")
        pair = (b.left, b.right)
        if pair == (THETA, THETA):
            reps[b] = RHO ** 2 * K
        elif set(pair) == {THETA, THETA0}:
            reps[b] = RHO * sp.cos(PHI) * K
    return sp.collect(sp.expand(sp.sympify(e).xreplace(reps)), [K], func=ratfun.factored)


def error_at(s: Any, task: sp.Basic, n: Any) -> sp.Expr:
    """``E(V*, Q*, n; task)`` of a derived spec (n = oo: the limit), the long coefficients
    substituted back (fast: the engine multiplies symbols, see Strategy.error_in_blocks)."""
    e, where = s.error_in_blocks(task, n)
    if not where:
        return e
    e = e.xreplace(where)
    if sp.count_ops(e) < 400:   # short enough to tidy: the sigma^2 term first, the rest factored
        # the sigma-only terms of expand(e), expanding only the terms of e that hold sigma (the
        # others, long, give none)
        sigma = sp.Symbol("sigma", nonnegative=True)
        sig2 = [t for a in sp.Add.make_args(e) if sigma in a.free_symbols
                for t in sp.Add.make_args(sp.expand(a)) if t.free_symbols == {sigma}]
        rest = ratfun.factored(e - sp.Add(*sig2))   # factor: the same form whatever its input
        return sp.Add(*sig2) + rest
    return e


POSTER_SETTING = {"d": 5, "sigma2": sp.Rational(1, 10)}


def poster_env() -> dict:
    """The poster's setting: d = 5, Sigma = I, theta_0 = e_1, sigma^2 = 1/10."""
    d = POSTER_SETTING["d"]
    return {"Sigma": sp.eye(d), "theta_0": sp.Matrix([1] + [0] * (d - 1)),
            "sigma": sp.sqrt(POSTER_SETTING["sigma2"]), "d": sp.Integer(d)}


def rational_limit_at(e: Any, x: sp.Symbol, at: Any, factor: bool = True) -> sp.Expr:
    """``lim e`` as ``x -> 0+`` (``at = 0``) or ``x -> oo`` (``at = oo``) of a rational function of
    ``x``, exactly, by the lowest / leading coefficients in ``x`` of its numerator and denominator
    (:func:`symbolic.convert.rational_limit`, in QQ(gens): no series), factored as
    :func:`symbolic.strategy.limit_n` factors its limits (``factor=False``: the leading-coefficient
    ratio as it comes, the same rational function, for a caller that only compares it);
    ``sympy.limit`` where ``e`` is not such a rational function."""
    from symbolic.convert import rational_limit
    e = sp.sympify(e)
    if x not in e.free_symbols:
        return e
    if at not in (0, sp.oo):
        raise ValueError(f"at: expected 0 or oo, got {at}")
    try:
        if at == 0:
            mu = sp.Dummy("mu", positive=True)
            fast = rational_limit(e.xreplace({x: 1 / mu}), mu)
        else:
            fast = rational_limit(e, x)
    except ValueError:  # it diverges: sympy.limit says how
        fast = None
    if fast is not None:
        return ratfun.factored(fast) if factor else fast
    return sp.limit(sp.cancel(sp.together(e)), x, at)


def rational_limits(e: Any, x: sp.Symbol, factor: tuple[bool, bool] = (False, False)) -> tuple[sp.Expr, sp.Expr]:
    """``(lim_{x -> 0+} e, lim_{x -> oo} e)`` of a rational function of ``x``: what
    :func:`rational_limit_at` gives at each end (``factor``: whether each is factored), with
    ``e = num/den`` read once (:func:`symbolic.convert.rational_parts`, over QQ): at 0+ the ratio of
    the lowest coefficients in x of num and den (0 when num's lowest degree is higher), at oo that of
    the leading ones (0 when den's degree is higher), each reduced by their gcd (the same rational
    functions as :func:`rational_limit_at`'s).  Where ``e`` is free of x it is both limits; where it is
    not such a function or a limit diverges, :func:`rational_limit_at` says it."""
    from symbolic.convert import rational_parts
    e = sp.sympify(e)
    if x not in e.free_symbols:
        return e, e
    parts = rational_parts(e, x)
    if parts is None or parts[2][0] != x:
        return rational_limit_at(e, x, 0, factor=factor[0]), rational_limit_at(e, x, sp.oo, factor=factor[1])
    num, den, _, back = parts

    def ratio(a, b) -> sp.Expr:
        _, top, bottom = a.cofactors(b)
        lc = top.as_expr() / bottom.as_expr()
        return lc.xreplace(back) if back else lc

    out = []
    for at, fac in zip((0, sp.oo), factor):
        if not num:
            lim = sp.S.Zero
        else:
            if at == 0:
                dn, dd = min(m[0] for m in num.monoms()), min(m[0] for m in den.monoms())
            else:
                dn, dd = num.degree(0), den.degree(0)
            if (dn < dd) if at == 0 else (dn > dd):   # diverges: sympy.limit says how
                out.append(rational_limit_at(e, x, at, factor=fac))
                continue
            lim = ratio(num.coeff_wrt(0, dn), den.coeff_wrt(0, dd)) if dn == dd else sp.S.Zero
        out.append(ratfun.factored(lim) if fac else lim)
    return out[0], out[1]


def rational_derivative(e: Any, x: sp.Symbol) -> sp.Expr:
    """``d e / dx`` of a rational function ``e`` of symbols, traces and bilinear forms with rational
    coefficients, read once into ``QQ[gens]`` as ``N / prod_k D_k^j_k`` (:func:`symbolic.ratfun.numer_denom`)
    and differentiated there by the quotient rule:
    ``(N' prod_k D_k - N sum_k j_k D_k' prod_(l != k) D_l) / prod_k D_k^(j_k + 1)``, unreduced (an
    expression equal to ``sympy.diff(e, x)`` as a rational function, for a caller that factors it with
    :func:`symbolic.ratfun.factored` or tests it for 0); ``sympy.diff`` where ``e`` is not such a function."""
    e = sp.sympify(e)
    gens: set = set()
    try:
        ratfun._generators(e, gens)
        if x not in gens:
            return sp.diff(e, x)
        R = ratfun._ring(ratfun.ordered_gens(gens))
        num, den = ratfun.numer_denom(e, R)
    except (ratfun.NotRational, ZeroDivisionError):
        return sp.diff(e, x)
    X = R.gens[R.symbols.index(x)]
    bases = list(den.items())
    top = num.diff(X)
    for b, _ in bases:
        top = top * b
    for i, (b, j) in enumerate(bases):
        part = num * b.diff(X) * j
        for l, (c, _) in enumerate(bases):
            if l != i:
                part = part * c
        top = top - part
    return top.as_expr() / sp.Mul(*[b.as_expr() ** (j + 1) for b, j in bases])


# ----------------------------------------------------------------------------- first-order conditions
_DIRECTIONS = {
    "v0": sp.Symbol("delta_v0"), "vx": sp.MatrixSymbol("delta_vx", DIM, 1), "vy": sp.Symbol("delta_vy"),
    "Q00": sp.Symbol("delta_Q00"), "q0x": sp.MatrixSymbol("delta_q0x", DIM, 1),
    "qx0": sp.MatrixSymbol("delta_qx0", DIM, 1), "Qxx": sp.MatrixSymbol("Delta_xx", DIM, DIM),
    "Qy0": sp.Symbol("delta_Qy0"), "qyx": sp.MatrixSymbol("delta_qyx", DIM, 1),
}


def direction(blocks: tuple[str, ...]):
    """A generic direction in the given blocks (0 in the others): scalars ``delta_*``, vectors
    ``delta_*`` (d x 1), the matrix ``Delta_xx`` (d x d, not symmetric)."""
    from symbolic.model import Blocks, mat, vec
    from symbolic.words import Atom
    kw = {}
    for b in blocks:
        u = _DIRECTIONS[b]
        if b == "Qxx":
            kw[b] = mat(Atom(u))
        elif isinstance(u, sp.MatrixSymbol):
            kw[b] = vec(u)
        else:
            kw[b] = u
    return Blocks(**kw)


def first_order_coefficient(blocks, terms, along: tuple[str, ...]):
    """``d/dt L(blocks + t delta)`` at t = 0 for the loss ``L = sum_k w_k E(V, Q, n_k; task_k)``
    (the spec's terms; n = oo the limit) and a generic direction delta in the blocks ``along``:
    an engine polynomial, identically 0 exactly when ``blocks`` satisfies the first-order
    conditions of L in those blocks (for a convex quadratic: when it is a minimiser)."""
    from dataclasses import replace
    from symbolic.calculus import first_order
    from symbolic.forms import Poly
    from symbolic.general import loss_poly
    from symbolic.objective import N
    from symbolic.strategy import limit_poly
    # d/dt at t = 0 of the unreduced loss (the zero test of ``vanishes`` works in the field of
    # fractions, where reducing the coefficients first is wasted); an n -> oo term is
    # differentiated at symbolic n, then taken to the limit: each coefficient of the loss is a
    # polynomial in t whose coefficients converge as n -> oo, so the limit of the t-coefficient
    # is the t-coefficient of the limit (limit_poly raises if one diverged)
    delta, total = direction(along), Poly()
    for term in terms:
        if term.n == sp.oo:
            finite = (replace(term, n=N),)
            # (the limits unfactored: the caller tests the sum for 0, in the field of fractions)
            total = total + limit_poly(first_order(lambda bb: loss_poly(bb, finite, normalise=False), blocks, delta), N,
                                       factor=False)
        else:
            total = total + first_order(lambda bb: loss_poly(bb, (term,), normalise=False), blocks, delta)
    return total


def first_order_line(what: str, blocks, terms, along: tuple[str, ...]) -> "Line":
    """``exact`` line: the first-order coefficient of the loss at the derived point, in every
    direction of ``along``, is identically 0 (the derived point is a stationary point, hence a
    minimiser of the convex quadratic loss, over those blocks)."""
    from proofs.paper.result import Line
    from proofs.paper.results._common import vanishes
    p = first_order_coefficient(blocks, terms, along)
    return Line("exact", f"first-order conditions: d/dt of {what} at (derived point + t delta), delta any "
                f"direction in ({', '.join(along)}), is identically 0 at t = 0: the derived point minimises it",
                vanishes(p))


def on_task(e: sp.Expr, scale: int) -> sp.Expr:
    """A formula in theta^T Sigma theta and theta^T Sigma theta_0 at theta = scale * theta_0 (another
    route to the error on theta_0 or -theta_0 than deriving it there)."""
    reps = {}
    for b in sp.sympify(e).atoms(Bilinear):
        pair = (b.left, b.right)
        if b.middle == SIGMA and pair == (THETA, THETA):
            reps[b] = scale ** 2 * K
        elif b.middle == SIGMA and set(pair) == {THETA, THETA0}:
            reps[b] = scale * K
    return sp.sympify(e).xreplace(reps)
