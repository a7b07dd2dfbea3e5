"""The n-shot test error E(V, Q, n; theta) in closed form, derived by the Wick engine.

With ``f = (sum_{i<=n} T_i + U)/(n+1)`` (see :mod:`symbolic.model`), independence of the
tokens and exchangeability give, for an integer ``n >= 0``,

    E[f^2]     = ( n E[T_1^2] + n(n-1) E[T_1 T_2] + 2n E[T_1 U] + E[U^2] ) / (n+1)^2
    E[f y_q]   = ( n E[T_1 y_q] + E[U y_q] ) / (n+1)
    E(V,Q,n;theta) = E[f^2] - 2 E[f y_q] + E[y_q^2],

each expectation taken by Wick pairing over ``x_1, x_2, x_q ~ N(0, Sigma)`` and the noises.
At ``n = 0`` the prompt is the query alone (ncol = 1) and the formula reduces to
``E[(U - y_q)^2]``: the same closed form, no special case.

The pretraining objective averages over ``theta ~ N(0, I_d)``: theta is one more Gaussian
vector for the engine, paired with covariance ``I_d`` after the data are integrated out.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from . import ratfun
from .expansion import expand as _expand
from .forms import Leg, Poly, const, gauss
from .model import SIGMA_ATOM, Blocks, prediction_terms, symbolic_blocks
from .wick import expect_gaussian, expect_noise
from .words import DIM, N, Atom

__all__ = ["N", "M", "SIGMA_NOISE", "THETA", "THETA0", "expected_error", "pretraining_error",
           "task_family_error"]

#: Pretraining context length m.
M = sp.Symbol("m", integer=True, nonnegative=True)
#: Noise standard deviation sigma (so the noise variance is sigma**2).
SIGMA_NOISE = sp.Symbol("sigma", nonnegative=True)
#: A generic evaluation task theta, and the fine-tuning task theta_0.
THETA = sp.MatrixSymbol("theta", DIM, 1)
THETA0 = sp.MatrixSymbol("theta_0", DIM, 1)


def _expect_data(p: Poly, tokens: tuple[str, ...]) -> Poly:
    for t in tokens:
        p = expect_gaussian(p, f"x_{t}", (SIGMA_ATOM,))
        p = expect_noise(p, f"eps_{t}", SIGMA_NOISE ** 2)
    return p


def expected_error(blocks: Blocks | None = None, task: sp.Basic | Leg = THETA, n: sp.Expr | int = N,
                   *, normalise: bool = True) -> Poly:
    """``E(V, Q, n; theta)`` as a polynomial of traces and bilinear forms.

    ``blocks`` default to :func:`symbolic.model.symbolic_blocks` (every block a symbol);
    ``task`` is a constant d-vector (MatrixSymbol) or a Gaussian :class:`Leg`; ``n`` a symbol,
    an integer >= 0, or ``oo``: the limit n -> oo, coefficient by coefficient (each is rational
    in n), taken on the coefficients as the engine builds them: the same polynomial as
    ``limit_poly(expected_error(blocks, task, N))`` at about half the cost (the limit's own
    factoring makes each coefficient canonical, so reducing them first at symbolic n is wasted).
    ``normalise=False`` (finite n): the coefficients as the engine builds them, unreduced and not
    cached, as in :func:`task_family_error` (for perturbed blocks that are differentiated once).
    """
    blocks = symbolic_blocks() if blocks is None else blocks
    scale, task = _split_task(task)
    task_leg = task if isinstance(task, Leg) else const(task)
    n = _check_n(n, allow_oo=True)
    if n == sp.oo:
        return _limit_error_cached(blocks, task_leg, sp.sympify(scale))
    if not normalise:
        return _expected_error_raw(blocks, task_leg, sp.sympify(scale), n)
    return _expected_error_cached(blocks, task_leg, sp.sympify(scale), n)


def _split_task(task: sp.Basic | Leg) -> tuple[sp.Expr, sp.Basic | Leg]:
    """``c * theta`` -> ``(c, theta)`` for a d x 1 MatrixSymbol ``theta`` (or a Leg)."""
    scale = sp.S.One
    if isinstance(task, sp.MatMul):  # e.g. -theta_0
        scale, task = task.as_coeff_mmul()
        task = task.args[0] if isinstance(task, sp.MatMul) and len(task.args) == 1 else task
    if not isinstance(task, (Leg, sp.MatrixSymbol)):
        raise ValueError(f"task: expected a d x 1 MatrixSymbol (optionally times a number), got {task!r}")
    return sp.sympify(scale), task


def _check_n(n: sp.Expr | int, allow_oo: bool = False) -> sp.Expr:
    n = sp.sympify(n)
    if allow_oo and n == sp.oo:
        return n
    if n.is_number and not (n.is_integer and n >= 0):
        raise ValueError(f"n: expected an integer >= 0{', oo' if allow_oo else ''} or a symbol, got {n}")
    return n


def _limit(p: Poly) -> Poly:
    from .convert import limit_poly
    return limit_poly(p, N)


def task_family_error(blocks: Blocks | None, mean: sp.Basic | None, cov: sp.Basic,
                      n: sp.Expr | int = N, *, normalise: bool = True) -> Poly:
    """``E_{theta ~ N(mu, Omega)} E(V, Q, n; theta)``: the n-shot error averaged over a
    Gaussian family of tasks.

    ``mean`` is mu (a d x 1 MatrixSymbol, optionally times a number, e.g. ``-theta_0``; None
    for mu = 0); ``cov`` is Omega: a scalar c (meaning ``c I_d``, c >= 0) or a symmetric d x d
    MatrixSymbol.  The task is written ``theta = mu + xi`` with ``xi ~ N(0, Omega)``, one more
    Gaussian vector for the engine (``xi = sqrt(c) g``, ``g ~ N(0, I_d)``, when Omega = c I).
    ``normalise=False`` leaves each coefficient as the engine builds it (equal, unreduced),
    for callers that only differentiate it or test it for 0: reducing coefficients that carry
    a perturbation's symbols is most of the cost.  ``n = oo``: the limit, as in
    :func:`expected_error` (taken on the unreduced coefficients, then canonical by the limit's
    factoring, whatever ``normalise``).
    """
    blocks = symbolic_blocks() if blocks is None else blocks
    legs: list = []
    if mean is not None:
        scale, vec_ = _split_task(mean)
        legs.append((const(vec_) if not isinstance(vec_, Leg) else vec_, scale))
    if getattr(cov, "is_Matrix", False):
        legs.append((gauss("xi"), sp.S.One))
        cov_word: tuple = (Atom(cov, symmetric=True),)
    else:
        c = sp.sympify(cov)
        if c.is_number and c < 0:
            raise ValueError(f"cov: expected a number >= 0 or a symmetric matrix, got {cov}")
        if c != 0:
            legs.append((gauss("xi"), sp.sqrt(c)))
        cov_word = ()
    if not legs:
        raise ValueError("task family: the mean is 0 and the covariance is 0 (no task)")
    n = _check_n(n, allow_oo=True)
    p = _expected_error_raw(blocks, tuple(legs), sp.S.One, N if n == sp.oo else n)
    if n == sp.oo:
        return _limit(expect_gaussian(p, "xi", cov_word))
    if not normalise:
        return expect_gaussian(p, "xi", cov_word)
    # one normalisation at the end, by cancel (several times faster than together(expand())
    # on these coefficients, which carry the family's scale)
    return Poly({k: c for k, c in ((k, sp.cancel(c)) for k, c in
                                   expect_gaussian(p, "xi", cov_word).terms.items()) if c != 0})


@lru_cache(maxsize=256)
def _expected_error_cached(blocks: Blocks, task: Leg, scale: sp.Expr, n: sp.Expr) -> Poly:
    """``_tidy(_expected_error_raw(...))``, the same polynomial term for term, computed in a
    polynomial ring (:func:`_error_in_ring`) where every coefficient is a rational function of
    symbols; by the SymPy expressions otherwise."""
    moments = _moments(blocks, task, scale, zero_shot=(n == 0), value_only=True)
    try:
        return _error_in_ring(moments, n)
    except (ratfun.NotRational, ZeroDivisionError):
        return _tidy(_expected_error_raw(blocks, task, scale, n))


def _weights(n: sp.Expr) -> tuple[sp.Expr, ...]:
    """The weights of the seven moments in ``E(V, Q, n; theta)`` (module docstring), as
    :func:`_expected_error_raw` applies them; 0 for a moment it leaves out."""
    if n == 0:   # the token moments are not computed at n = 0 (weight 0)
        return (0, 0, 0, sp.S.One, 0, sp.S(-2), sp.S.One)
    return (n / (n + 1) ** 2, n * (n - 1) / (n + 1) ** 2, 2 * n / (n + 1) ** 2, 1 / (n + 1) ** 2,
            -2 * n / (n + 1), -2 / (n + 1), sp.S.One)


def _error_in_ring(moments: tuple[Poly, ...], n: sp.Expr) -> Poly:
    """``E(V, Q, n; task)`` from its moments, each coefficient ``sum_i w_i a_i`` (weights
    :func:`_weights`) put in ``sympy.cancel``'s normal form in the ring over QQ of every symbol
    (:func:`symbolic.ratfun.cancel`'s normal form does not depend on the generators that do not
    occur, so one ring serves every coefficient): the weighted sum is formed on numerators over
    a common denominator, never as an expression.  Terms in the order the expression route
    meets them (first occurrence along the moments), a coefficient equal to 0 dropped, as
    :func:`_tidy` drops it.  :class:`symbolic.ratfun.NotRational` where a coefficient is not a
    rational function of symbols (the caller then takes the expression route)."""
    weights = _weights(n)
    used = [(w, p) for w, p in zip(weights, moments) if w != 0 and p.terms]
    symbols: set = set(sp.sympify(n).free_symbols)
    for _, p in used:
        for c in p.terms.values():
            symbols |= sp.sympify(c).free_symbols
    if any(not isinstance(x, sp.Symbol) for x in symbols):
        raise ratfun.NotRational("a free symbol that is not a scalar Symbol")
    R = ratfun._ring(ratfun.ordered_gens(symbols) or (N,))
    cache: dict = {}
    parts: dict = {}
    for w, p in used:
        wn, wd = ratfun.numer_denom(w, R, cache)
        for k, c in p.terms.items():
            cn, cd = ratfun.numer_denom(c, R, cache)
            den = dict(wd)
            for b, j in cd.items():
                den[b] = den.get(b, 0) + j
            parts.setdefault(k, []).append((wn * cn, den))
    out = {}
    for k, terms in parts.items():
        num, den = ratfun.sum_over_common_denominator(terms, R)
        if not num:
            continue
        q = R.one
        for b, j in den.items():
            q = q * b ** j
        num, q = ratfun.cancel_polys(num, q)
        out[k] = num.as_expr() / q.as_expr()
    return Poly(out)


@lru_cache(maxsize=256)
def _limit_error_cached(blocks: Blocks, task: Leg, scale: sp.Expr) -> Poly:
    """``lim_{n -> oo} E(V, Q, n; task)``: with the moments of the module docstring free of n,
    ``E[f^2] -> E[T_1 T_2]`` (``n(n-1)/(n+1)^2 -> 1``, the other weights -> 0) and ``E[f y_q] ->
    E[T_1 y_q]``, so the limit is ``E[T_1 T_2] - 2 E[T_1 y_q] + E[y_q^2]`` coefficient by
    coefficient, each factored, as :func:`symbolic.convert.limit_n` factors the leading-coefficient
    ratio (the same polynomial, term for term, as the limit of the coefficients at symbolic n:
    tests/test_objective_limit.py; a coefficient free of n, from ``E[y_q^2]`` alone, is kept as
    it is there).  Blocks that hold n themselves: the limit of the coefficients at symbolic n."""
    m = _moments(blocks, task, scale, value_only=True)
    if any(N in sp.sympify(c).free_symbols for p in m for c in p.terms.values()):
        return _limit(_expected_error_raw(blocks, task, scale, N))
    one_token, two_tokens, with_query, query_only, cross_t, cross_u, label_sq = m
    with_n = (one_token, two_tokens, with_query, query_only, cross_t, cross_u)
    out = {}
    for k in set().union(*(p.terms for p in m)):
        if any(k in p.terms for p in with_n):
            c = ratfun.factored(two_tokens.terms.get(k, 0) - 2 * cross_t.terms.get(k, 0) + label_sq.terms.get(k, 0))
        else:
            c = label_sq.terms[k]
        if c != 0:
            out[k] = c
    return Poly(out)


def _moments(blocks: Blocks, task, scale: sp.Expr, zero_shot: bool = False,
             value_only: bool = False) -> tuple[Poly, ...]:
    """The moments (below), remembered per arguments: the finite-n error, its limit n -> oo and
    the unreduced error of the same blocks and task share them (the engine's Poly values are
    never changed in place).  Arguments that cannot be hashed are computed afresh.
    ``value_only``: ``E[T_1 T_2]`` by :func:`_pairs_by_token` (the same values, coefficients
    built otherwise), for callers that put every coefficient in a normal form."""
    try:
        hash((blocks, task, scale))
    except TypeError:  # unhashable blocks (a mutable matrix)
        return _moments_raw(blocks, task, scale, zero_shot, value_only)
    single = _single_cached(blocks, task, scale, zero_shot)
    pairs = Poly() if zero_shot else _pairs_cached(blocks, task, scale, value_only)
    return (single[0], pairs) + single[1:]


@lru_cache(maxsize=256)
def _terms_cached(blocks: Blocks, task, scale: sp.Expr):
    return prediction_terms(blocks, task, scale)


@lru_cache(maxsize=256)
def _single_cached(blocks: Blocks, task, scale: sp.Expr, zero_shot: bool) -> tuple[Poly, ...]:
    """:func:`_single`, its three moments of the query alone (``E[U^2], E[U y_q], E[y_q^2]``,
    the same at n = 0 and n > 0) remembered apart (:func:`_query_moment`): the zero-shot and the
    n-shot errors of the same blocks and task compute them once.  Each moment is computed as
    :func:`_single` computes it, in its order."""
    if zero_shot:
        return (Poly(), Poly(), _query_moment(blocks, task, scale, "UU"),
                Poly(), _query_moment(blocks, task, scale, "Uy"), _query_moment(blocks, task, scale, "yy"))
    pt = _terms_cached(blocks, task, scale)
    return (_expect_data(pt.T1 * pt.T1, ("1", "q")),
            _expect_data(pt.T1 * pt.U, ("1", "q")), _query_moment(blocks, task, scale, "UU"),
            _expect_data(pt.T1 * pt.yq, ("1", "q")), _query_moment(blocks, task, scale, "Uy"),
            _query_moment(blocks, task, scale, "yy"))


@lru_cache(maxsize=768)
def _query_moment(blocks: Blocks, task, scale: sp.Expr, which: str) -> Poly:
    """``E[U^2]`` (``which="UU"``), ``E[U y_q]`` (``"Uy"``) or ``E[y_q^2]`` (``"yy"``), as
    :func:`_single` computes them."""
    pt = _terms_cached(blocks, task, scale)
    a, b = {"UU": (pt.U, pt.U), "Uy": (pt.U, pt.yq), "yy": (pt.yq, pt.yq)}[which]
    return _expect_data(a * b, ("q",))


@lru_cache(maxsize=256)
def _pairs_cached(blocks: Blocks, task, scale: sp.Expr, value_only: bool) -> Poly:
    pt = _terms_cached(blocks, task, scale)
    return _pairs_by_token(pt) if value_only else _expect_data(pt.T1 * pt.T2, ("1", "2", "q"))


def _moments_raw(blocks: Blocks, task, scale: sp.Expr, zero_shot: bool = False,
                 value_only: bool = False) -> tuple[Poly, ...]:
    """``E[T_1^2], E[T_1 T_2], E[T_1 U], E[U^2], E[T_1 y_q], E[U y_q], E[y_q^2]`` (the module
    docstring), each by Wick pairing over the tokens it holds; ``zero_shot``: the four moments
    of context tokens, whose weights vanish at n = 0, left empty (not computed);
    ``value_only``: ``E[T_1 T_2]`` by :func:`_pairs_by_token`."""
    pt = prediction_terms(blocks, task, scale)
    single = _single(pt, zero_shot)
    if zero_shot:
        pairs = Poly()
    else:
        pairs = _pairs_by_token(pt) if value_only else _expect_data(pt.T1 * pt.T2, ("1", "2", "q"))
    return (single[0], pairs) + single[1:]


def _single(pt, zero_shot: bool) -> tuple[Poly, ...]:
    """The six moments other than ``E[T_1 T_2]``, in :func:`_moments_raw`'s order (the four of
    context tokens empty when ``zero_shot``)."""
    if zero_shot:
        return (Poly(), Poly(), _expect_data(pt.U * pt.U, ("q",)),
                Poly(), _expect_data(pt.U * pt.yq, ("q",)), _expect_data(pt.yq * pt.yq, ("q",)))
    return (_expect_data(pt.T1 * pt.T1, ("1", "q")),
            _expect_data(pt.T1 * pt.U, ("1", "q")), _expect_data(pt.U * pt.U, ("q",)),
            _expect_data(pt.T1 * pt.yq, ("1", "q")), _expect_data(pt.U * pt.yq, ("q",)),
            _expect_data(pt.yq * pt.yq, ("q",)))


def _pairs_by_token(pt) -> Poly:
    """``E[T_1 T_2] = E_q[ E_1[T_1] E_2[T_2] ]``: given the query (and the task, when it is a
    Gaussian), ``T_1`` and ``T_2`` are independent (each holds its own token ``x_i, eps_i``), and
    ``T_2`` is ``T_1`` with token 1 renamed 2, so ``E_2[T_2] = E_1[T_1] = g`` (a polynomial in the
    query alone) and ``E[T_1 T_2] = E_q[g^2]``: the expectation of a square of a short polynomial
    instead of one of the product ``T_1 T_2`` over three tokens.  The same value as
    ``_expect_data(T_1 T_2, ("1", "2", "q"))``, each coefficient built otherwise (a product of
    sums for a sum of products)."""
    g = _expect_data(pt.T1, ("1",))
    return _expect_data(g * g, ("q",))


def _expected_error_raw(blocks: Blocks, task, scale: sp.Expr, n: sp.Expr) -> Poly:
    """``E(V, Q, n; task)`` by exchangeability (the module docstring), coefficients unnormalised."""
    one_token, two_tokens, with_query, query_only, cross_t, cross_u, label_sq = _moments(
        blocks, task, scale, zero_shot=(n == 0))   # (at n = 0 the token moments have weight 0)
    f2 = (one_token * n + two_tokens * (n * (n - 1)) + with_query * (2 * n) + query_only) * (1 / (n + 1) ** 2)
    fy = (cross_t * n + cross_u) * (1 / (n + 1))
    return f2 - fy * 2 + label_sq


def _tidy(p: Poly) -> Poly:
    """Each coefficient in lowest terms: ``sympy.cancel``'s normal form (numerator and denominator
    expanded and coprime, :func:`symbolic.ratfun.cancel` in polynomial rings over QQ), so that
    cancelled terms vanish and a common factor such as ``m + 1`` in ``m (m + 1) / (m + 1)^2`` is
    divided out; a coefficient that is not a rational function of symbols (none the engine
    builds today) is expanded and put over a common denominator (``together``) instead."""
    out = {}
    for k, c in p.terms.items():
        try:
            c = ratfun.cancel(c)
        except ratfun.NotRational:
            c = ratfun.together(_expand(c))
        if c != 0:
            out[k] = c
    return Poly(out)


def pretraining_error(blocks: Blocks | None = None, m: sp.Expr | int = M,
                      task_covariance: sp.MatrixSymbol | None = None, *, normalise: bool = True) -> Poly:
    """``E_{theta ~ N(0, Omega)}[E(V, Q, m; theta)]``: the pretraining objective at context
    length m, for tasks ``theta ~ N(0, I_d)`` (the poster's choice) or, if ``task_covariance``
    (a symmetric d x d MatrixSymbol Omega) is given, ``theta ~ N(0, Omega)``.  ``normalise=False``
    (an integer m): the coefficients as the engine builds them, unreduced (equal; for callers
    that only evaluate the polynomial at numbers), as in :func:`expected_error`."""
    cov = () if task_covariance is None else (Atom(task_covariance, symmetric=True),)
    if not normalise and sp.sympify(m).is_Integer:
        return expect_gaussian(expected_error(blocks, gauss("theta"), m, normalise=False), "theta", cov)
    per_task = expected_error(blocks, gauss("theta"), m)
    return _tidy(expect_gaussian(per_task, "theta", cov))
