r"""Pretraining at depth in the class: the optimal Gamma_l for L = 1, 2, 3 (Sigma = I).

Objective (strategy (a) at depth): E_{theta ~ N(0, I_d)} E_L(layers, m; theta) over the class
(V_l = v_y^{(l)} e_y e_y^T, Q_l = blockdiag(0, Gamma_l, 0); v_0 = v_x = 0 in pretraining). Only
v_y^{(l)} Gamma_l enters the prediction, so v_y^{(l)} = 1 (the normalisation V_l[-1,-1] = 1).

**Isotropic ansatz at Sigma = I.** Gamma_l = gamma_l I_d. The scalar Gamma's commute, so the
prediction f = b^T [prod_l (I + gamma_l S/N) - I] S^{-1} x_q and the loss are symmetric under
permutations of the layers. Derived here (:func:`isotropic_pretraining_loss`):

* the loss, a polynomial in gamma_1..gamma_L of degree 2 in each, coefficients rational in d, m,
  sigma (closed form at symbolic d, m);
* its expansion in 1/m (:func:`limit_terms`), in t_l = 1 + gamma_l:
  E_0 = d (2 - prod_l t_l)^2 + sigma^2 (so at m = oo the minimisers are the whole hypersurface
  prod t_l = 2, loss sigma^2, not a point), and E_1, E_2 the 1/m, 1/m^2 coefficients;
* the limit m -> oo of the finite-m minimiser (:func:`pretrained_limit`): on prod t = 2 the
  first-order excess is E_1 = d sigma^2 + (a sum of squares) and is minimal (= d sigma^2, the
  least-squares excess) iff sum_l 1/t_l = L. For L = 2 that fixes {t_1, t_2} = {2 - sqrt 2, 2 + sqrt 2}:
  gamma = (1 - sqrt 2, 1 + sqrt 2) in either order. For L = 3 it leaves a curve; E_2 restricted to
  it is minimised (on a fine grid of the curve's real branches, then checked exactly as a
  Lagrange point) at {t} = {sqrt3 - 1, sqrt3 - 1, 2 + sqrt3}: gamma = (sqrt3 - 2, sqrt3 - 2, 1 + sqrt3)
  in any order.

Finite m at a concrete setting: :func:`stationary_points` (L = 2 exactly, by the resultant of
the two first-order conditions; the loss is coercive, so the smallest stationary value is the
global minimum).

Public API: :func:`isotropic_layers`, :func:`isotropic_pretraining_loss`, :func:`limit_terms`,
:func:`pretrained_limit`, :func:`stationary_points`, ``GAMMA`` (the symbols gamma_1..gamma_3),
``T`` (t_1..t_3).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.polys.domains import QQ

from . import ratfun
from .convert import to_sympy
from .depth import NU, _depth_error_nu, _RingSum, depth_pretraining_error
from .depth_model import DepthLayer, check_depth_layers
from .forms import Poly, Tr, gauss
from .model import SIGMA
from .objective import M
from .radical_field import factored_fraction
from .substitute import substitute
from .wick import expect_gaussian

__all__ = ["GAMMA", "T", "E_SYM", "symmetric_form", "symmetric_optimum", "pretrained_gammas", "discriminant", "real_optimum_L3", "isotropic_layers", "isotropic_pretraining_loss", "limit_terms", "pretrained_limit",
           "PretrainedLimit", "stationary_points"]

GAMMA = sp.symbols("gamma_1:4", real=True)
T = sp.symbols("t_1:4", real=True)


def _check_L(L) -> int:
    if isinstance(L, bool) or not isinstance(L, int) or not 1 <= L <= 3:
        raise ValueError(f"L: expected a number of layers in 1..3, got {L!r}")
    return L


def isotropic_layers(L: int, gammas=None) -> tuple[DepthLayer, ...]:
    """Layers with v_y = 1 and Gamma_l = gamma_l I_d (symbols gamma_l unless ``gammas`` given)."""
    L = _check_L(L)
    gs = GAMMA[:L] if gammas is None else tuple(sp.sympify(g) for g in gammas)
    if len(gs) != L:
        raise ValueError(f"gammas: expected {L} values, got {len(gs)}")
    return check_depth_layers([DepthLayer(vy=sp.S.One, Gamma=((g, ()),)) for g in gs])


def _at_identity(p: Poly) -> sp.Expr:
    return sp.expand(to_sympy(substitute(p, {SIGMA: ((sp.S.One, ()),)})))


@lru_cache(maxsize=16)
def isotropic_pretraining_loss(L: int, m=M) -> sp.Expr:
    """E_theta E_L(m; theta) at Sigma = I, Gamma_l = gamma_l I, v_y = 1: a SymPy expression in gamma_l,
    d, m (or an integer m, or ``sympy.oo``), sigma."""
    return ratfun.factored(_at_identity(depth_pretraining_error(isotropic_layers(L), m)))


#: the elementary symmetric polynomials e_1..e_3 of the gamma's
E_SYM = sp.symbols("e_1:4", real=True)


@lru_cache(maxsize=16)
def symmetric_form(L: int, m=M) -> sp.Expr:
    """The isotropic pretraining loss written in e_k = e_k(gamma_1, .., gamma_L) (``sympy.polys.
    polyfuncs.symmetrize``, remainder checked 0): a quadratic in (e_1, .., e_L), because the
    Gamma's commute and prod_l (I + gamma_l S/N) = I + sum_k e_k (S/N)^k, so the prediction
    f = b^T [sum_k e_k S^{k-1} / N^k] x_q is linear in e."""
    from sympy.polys.polyfuncs import symmetrize
    L = _check_L(L)
    loss = sp.together(isotropic_pretraining_loss(L, m))
    num, den = sp.fraction(loss)
    sym, rem, defs = symmetrize(sp.expand(num), *GAMMA[:L], formal=True)
    if rem != 0:
        raise AssertionError("the isotropic loss is not symmetric in the layers")
    q = sym.subs({s_: E_SYM[k] for k, (s_, _) in enumerate(defs)})
    if sp.Poly(q, *E_SYM[:L]).total_degree() > 2:
        raise AssertionError("the loss is not quadratic in the elementary symmetric polynomials")
    return q / den


@lru_cache(maxsize=16)
def symmetric_optimum(L: int, m=M) -> dict:
    """argmin over e in R^L of :func:`symmetric_form` (its normal equations, solved exactly): the optimal
    polynomial prod_l (1 + gamma_l z) = 1 + sum_k e_k z^k; the gamma's are real, and then the class
    optimum, only when z^L - e_1 z^(L-1) + e_2 z^(L-2) - .. has real roots."""
    q = symmetric_form(L, m)
    es = E_SYM[:L]
    sol = sp.solve([sp.diff(sp.numer(sp.together(q)), e) for e in es], es, dict=True)
    if len(sol) != 1:
        raise AssertionError(f"expected one solution of the normal equations, got {len(sol)}")
    return {k: ratfun.factored(v) for k, v in sol[0].items()}


def pretrained_gammas(L: int, m=M):
    """The class's isotropic pretraining optimum at Sigma = I as the roots of
    z^L - e_1 z^(L-1) + e_2 z^(L-2) - e_3 (e = :func:`symmetric_optimum`): for L = 1 gamma = e_1; for
    L = 2 the pair (e_1 -+ sqrt(e_1^2 - 4 e_2)) / 2 (real: the discriminant is positive, see
    :func:`discriminant`). For L = 3 the cubic's roots are complex at every m checked, so the
    real isotropic optimum is not there (see :func:`real_optimum_L3`)."""
    L = _check_L(L)
    e = symmetric_optimum(L, m)
    if L == 1:
        return (e[E_SYM[0]],)
    if L == 2:
        e1, e2 = e[E_SYM[0]], e[E_SYM[1]]
        r = sp.sqrt(e1 ** 2 - 4 * e2)
        return ((e1 - r) / 2, (e1 + r) / 2)
    raise ValueError("L: the roots for L = 3 are complex; use real_optimum_L3 at a concrete setting")


def discriminant(L: int, m=M, values: dict | None = None) -> sp.Expr:
    """The discriminant of z^L - e_1 z^(L-1) + .. at the optimum e (> 0: L distinct real roots).

    ``values`` (for example ``{DIM: 2, SIGMA_NOISE: sqrt(1/10)}``) are substituted into e first: the
    discriminant at a concrete setting then costs milliseconds, where the symbolic one is minutes."""
    e = symmetric_optimum(L, m)
    if values:
        e = {k: sp.nsimplify(sp.simplify(v.subs(values))) for k, v in e.items()}
    z = sp.Symbol("z")
    poly = sum((-1) ** k * (e[E_SYM[k - 1]] if k else 1) * z ** (L - k) for k in range(L + 1))
    return ratfun.factored(sp.discriminant(sp.numer(sp.together(poly)), z) / sp.Poly(sp.denom(sp.together(poly)), z).LC() ** (2 * L - 2))


def real_optimum_L3(d: int, m: int, sigma2) -> list:
    """The isotropic L = 3 pretraining optimum at a concrete setting (Sigma = I), exactly: the unconstrained
    quadratic optimum in e has complex gamma's, the loss is convex in e, so the real optimum lies on the
    boundary of the real-rooted region, where two gamma's coincide: the stationary points of the loss
    on gamma = (g, g, h): g a real root of the resultant of its two first-order conditions in h, h one of
    the resultant in g (both exact, CRootOf where needed), paired where both conditions vanish (checked at
    50 digits to 1e-30: an identification of exact numbers, not an approximation). Returns
    ``[((g, g, h), loss), ...]`` sorted by loss (the loss a float, for the ordering)."""
    from .objective import SIGMA_NOISE
    from .words import DIM
    g, h = sp.symbols("g h", real=True)
    E = sp.nsimplify(sp.expand(isotropic_pretraining_loss(3, M).subs(
        {DIM: d, M: m, SIGMA_NOISE: sp.sqrt(sp.nsimplify(sigma2))})))
    E = sp.expand(E.subs({GAMMA[0]: g, GAMMA[1]: g, GAMMA[2]: h}))
    f1, f2 = sp.diff(E, g), sp.diff(E, h)
    gs = sp.Poly(sp.resultant(f1, f2, h), g).real_roots()
    hs = sp.Poly(sp.resultant(f1, f2, g), h).real_roots()
    pts = []
    for r in gs:
        for r2 in hs:
            at = {g: r, h: r2}
            if abs(sp.N(f1.subs(at), 50)) < 1e-30 and abs(sp.N(f2.subs(at), 50)) < 1e-30:
                pts.append(((r, r, r2), float(sp.N(E.subs(at), 30))))
    return sorted(pts, key=lambda pv: pv[1])


def limit_terms(L: int, order: int = 1) -> tuple[sp.Expr, ...]:
    """(E_0, .., E_order): the pretraining loss at Sigma = I as E_0 + E_1/m + E_2/m^2 + ..., in t_l = 1 + gamma_l.

    From the derivation's form (coefficients polynomial in m and nu = 1/(m+1)): with eps = 1/m,
    m^i nu^j = eps^(j-i) (1 + eps)^(-j), expanded exactly.  ValueError for an ``order`` that is not an
    integer >= 0."""
    L = _check_L(L)
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ValueError(f"order: expected an integer >= 0, got {order!r}")
    return _limit_terms(L, order)


@lru_cache(maxsize=8)
def _limit_terms(L: int, order: int) -> tuple[sp.Expr, ...]:
    """:func:`limit_terms` once the arguments are checked (remembered per L and order)."""
    return tuple(factored_fraction(e) for e in _limit_polys(L, order))


@lru_cache(maxsize=8)
def _limit_polys(L: int, order: int):
    """:func:`limit_terms` as polynomials over QQ in d, t_1..t_L and sigma (:func:`_at_identity_ring`): the
    theta-averaged isotropic loss's keys are products of traces of powers of Sigma with coefficients over QQ
    (an AssertionError should the derivation ever give another form)."""
    sers, R = _limit_series(L, order)
    if not (R.domain == QQ and all(not noises and all(isinstance(f, Tr) for f in factors) for factors, noises in sers)):
        raise AssertionError(f"limit_terms: the isotropic loss at L = {L} is not a sum of traces over QQ")
    return tuple(_at_identity_ring(sers, R, L, order))


def _limit_series(L: int, order: int) -> tuple[dict, object]:
    """Per key of the theta-averaged loss, its coefficients of eps^0 .. eps^order (eps = 1/m) as elements of the
    derivation's ring (polynomials in gamma_l, sigma), and that ring."""
    # the same derivation as isotropic_pretraining_loss(L, M) (shared through _depth_error_nu's cache)
    R, i_m, inu, terms = _theta_average(_depth_error_nu(isotropic_layers(L), gauss("theta"), sp.S.One, M))
    sers = {}
    for key, c in terms.items():
        ser = [R.zero] * (order + 1)      # the coefficients of eps^0 .. eps^order
        for mon, a in c.items():
            i, j = mon[i_m], mon[inu]
            if j < i:   # m^i nu^j = eps^(j-i) (1+eps)^-j: a term growing with m has no limit as m -> oo
                raise ValueError(f"the pretraining loss grows like m^{i - j} as m -> oo: no expansion in 1/m")
            if j - i <= order:
                mm = list(mon)
                mm[i_m] = mm[inu] = 0
                rest = R({tuple(mm): a})
                for s, b in enumerate(_binomial_series(-j, order + 1 - (j - i))):
                    ser[j - i + s] += rest * b
        sers[key] = ser
    return sers, R


def _theta_average(q0) -> tuple:
    """E over theta ~ N(0, I_d) of the sums of ``q0`` (:func:`symbolic.depth._depth_error_nu`'s, polynomials over QQ
    in m, nu and the parameters): ``(R, index of m, index of nu, {key: sum})``, R the ring and the sums the elements
    that :class:`symbolic.depth._RingSum` gives for ``expect_gaussian(q0.poly(), "theta", ())`` read with m
    (``acc.ring(M)``), taken in the ring with no expression written. The expectation is linear in the coefficients:
    each key's contraction over theta (:func:`symbolic.wick._expect_factors`, the one ``expect_gaussian`` uses) gives
    keys with weights (integers times powers of d, polynomials over QQ), and each key's sum is sum_j c_j w_j with
    c_j q0's coefficients, the same polynomial however formed; the ring is the one ``_RingSum.ring`` chooses for
    those sums (the polynomial one: QQ[the symbols that occur, m, nu] in SymPy's order: a symbol that occurs in a
    coefficient or a weight occurs in some sum, checked). Where q0's ring is not over QQ, the expression route."""
    from sympy.polys.rings import PolyRing
    from .wick import _expect_factors
    R0 = q0.R
    if R0.domain != QQ or NU not in R0.symbols or M not in R0.symbols:
        return _theta_average_expr(q0)
    parts: list = []             # (new key, weight expression, q0's coefficient)
    for (factors, noises), c in q0.terms.items():
        expanded = _expect_factors(factors, "theta", ())
        if expanded is None:
            parts.append(((factors, noises), sp.S.One, c))
        else:
            parts.extend(((fs, noises), w, c) for fs, w in expanded)
    weights = {w for _, w, _ in parts}
    wsyms = set().union(*(w.free_symbols for w in weights))
    if not all(w.is_polynomial(*wsyms) and all(a.is_Rational for a in w.atoms(sp.Number)) for w in weights):
        raise AssertionError("theta average: expected weights polynomial over QQ")
    big = PolyRing(tuple(sorted(set(R0.symbols) | wsyms, key=sp.default_sort_key)), QQ)
    wring = {w: big.from_expr(w) for w in weights}
    sums: dict = {}
    for key, w, c in parts:
        sums[key] = sums.get(key, big.zero) + c.set_ring(big) * wring[w]
    sums = {k: v for k, v in sums.items() if v}
    used = {big.symbols[i] for v in sums.values() for mon in v.itermonoms() for i, e in enumerate(mon) if e}
    occurs = {x for w in weights for x in w.free_symbols} | {
        R0.symbols[i] for _, _, c in parts for mon in c.itermonoms() for i, e in enumerate(mon) if e}
    if occurs - {M, NU} != used - {M, NU}:    # a symbol cancelled out of every sum: the ring may differ
        return _theta_average_expr(q0)
    R = PolyRing(tuple(sorted(used | {M, NU}, key=sp.default_sort_key)), QQ)
    return R, R.symbols.index(M), R.symbols.index(NU), {k: v.set_ring(R) for k, v in sums.items()}


def _theta_average_expr(q0) -> tuple:
    """:func:`_theta_average` through expressions: ``expect_gaussian`` of ``q0.poly()``, each sum read into the
    ring :class:`symbolic.depth._RingSum` chooses."""
    acc = _RingSum()
    for k, c in expect_gaussian(q0.poly(), "theta", ()).terms.items():
        acc.add(k, c)
    q = acc.ring(M)
    return q.R, q.i_n, q.inu, q.terms


def _at_identity_ring(sers: dict, R, L: int, order: int) -> list:
    """For k = 0..order, sum over keys of ser[k] * (the key's product of traces) at Sigma = I, gamma_l = t_l - 1,
    as polynomials over QQ in d, t_1..t_L and the ring's other symbols: each factor tr(Sigma^j) is d at Sigma = I
    (tr(I_d^j) = d), so a key is d^(its number of factors), and gamma_l
    is put in by composition (each power of t_l - 1 once): exactly (checked against the series of the exact
    loss in tests/test_depth_pretraining.py)."""
    from sympy.polys.rings import PolyRing
    from .words import DIM
    keep = [x for x in R.symbols if x not in GAMMA[:L] and x not in (M, NU)]
    S = PolyRing(tuple([DIM, *T[:L], *keep]), QQ)
    images = [S.gens[1 + GAMMA.index(x)] - 1 if x in GAMMA[:L] else S(x) if x in keep else None for x in R.symbols]
    powers: dict = {}

    def move(p):
        out = S.zero
        for mon, c in p.items():
            term = S.ground_new(c)
            for i, e in enumerate(mon):
                if e:
                    if images[i] is None:
                        raise AssertionError(f"limit_terms: {R.symbols[i]} left in a coefficient of the 1/m series")
                    pw = powers.get((i, e))
                    if pw is None:
                        pw = powers[i, e] = images[i] ** e
                    term = term * pw
            out += term
        return out
    out = [S.zero] * (order + 1)
    for (factors, _), ser in sers.items():
        dk = S.gens[0] ** len(factors)
        for k in range(order + 1):
            if ser[k]:
                out[k] += move(ser[k]) * dk
    return out


def _binomial_series(a: int, k: int) -> list[int]:
    """(1 + eps)^a up to eps^(k-1) as its coefficients binomial(a, i), i < k (the Taylor polynomial, exactly)."""
    return [int(sp.binomial(a, i)) for i in range(k)]


@dataclass
class PretrainedLimit:
    """The limit m -> oo of the pretrained class minimiser at Sigma = I (up to a permutation of layers)."""

    L: int
    gammas: tuple
    steps: list = field(default_factory=list)
    label: str = "exact"


def pretrained_limit(L: int) -> PretrainedLimit:
    """gamma* = lim_{m -> oo} argmin of the isotropic pretraining loss (see the module docstring). Derived once
    per process and L (the answer is shared: read it, do not change it)."""
    return _pretrained_limit(_check_L(L))


@lru_cache(maxsize=4)
def _pretrained_limit(L: int) -> PretrainedLimit:
    t = T[:L]
    polys = _limit_polys(L, 1)
    # limit_terms' E_0; E_1 factored only where it is read as an expression (L = 3)
    E0 = factored_fraction(polys[0])
    steps = [("E_0 (m = oo)", E0)]
    if L == 1:
        sol = sp.solve(sp.diff(E0, t[0]), t[0])
        return PretrainedLimit(1, (sol[0] - 1,), steps + [("argmin E_0", sol)])
    prod = sp.Mul(*t)
    on, on_nd = _on_constraint(polys[1], L)
    steps.append(("E_1 on prod t = 2", on))
    if L == 2:
        # each value in Q(sqrt 2)(d, sigma), exactly (radicals out of the denominator); compared at a setting
        from .radical_field import RadicalField
        F = RadicalField(sorted(on.free_symbols, key=sp.default_sort_key), 2)
        on_f = _in_field(F, on, on_nd)
        crit = _real_roots(_derivative_numerator(F, on_f, t[0]), t[0])
        vals = [(c, F.subs(on_f, t[0], F.element(c))) for c in crit]
        at = {x: v for x, v in _some_setting().items() if x in F.symbols}
        best = min(vals, key=lambda cv: cv[1].value(at))
        # the minimisers of E_1 on the set (both orders): the value d sigma^2 at both
        t1 = F.element(best[0])
        pair = (t1, F.element(2) / t1)
        steps.append(("stationary points of E_1 on the set, with values", [(c, v.expr()) for c, v in vals]))
        return PretrainedLimit(2, tuple(sp.expand((x - 1).expr()) for x in pair), steps)
    # L = 3: E_1 is minimal on the curve prod t = 2, sum 1/t = 3; E_2 selects the point
    E1 = limit_terms(L, 1)[1]
    E2 = limit_terms(3, 2)[2]
    cand = (sp.sqrt(3) - 1, sp.sqrt(3) - 1, 2 + sp.sqrt(3))
    steps.append(("E_1 minimal (= d sigma^2) on prod t = 2, sum 1/t = 3", sp.simplify(E1.subs(dict(zip(t, cand))))))
    # Lagrange condition of E_2 with the two constraints at the candidate, exactly
    g = [sp.diff(E2, v) for v in t]
    c1 = [sp.diff(prod, v) for v in t]
    c2 = [sp.diff(sum(1 / v for v in t), v) for v in t]
    Mx = sp.Matrix([g, c1, c2]).subs(dict(zip(t, cand)))
    steps.append(("Lagrange: det[grad E_2; grad prod t; grad sum 1/t] at the candidate", sp.simplify(Mx.det())))
    return PretrainedLimit(3, tuple(sp.simplify(x - 1) for x in cand), steps,
                           label="exact first two orders; E_2's minimiser on the curve located on a grid, "
                                 "Lagrange condition checked exactly")


def _on_constraint(E1, L: int) -> tuple:
    """E_1 (a polynomial of :func:`_limit_polys`' ring) on the set prod_l t_l = 2, with t_L = -b / a from that
    equation's coefficients in t_L (a t_L + b = 0): sum_j c_j t_L^j = sum_j c_j (-b)^j a^(k-j) / a^k, k the
    degree in t_L. Returns the factored expression (:func:`symbolic.radical_field.factored_fraction`: the one
    ``sympy.factor`` gives for E_1 with t_L put in) and (numerator, denominator)."""
    S = E1.ring
    ts = [S.gens[S.symbols.index(x)] for x in T[:L]]
    i = S.symbols.index(T[L - 1])
    cons = _by_power(S.mul(ts) - 2, i)
    if set(cons) - {0, 1} or 1 not in cons:
        raise AssertionError("prod t = 2: expected an equation linear in the last t")
    a, b = cons[1], cons.get(0, S.zero)
    cs = _by_power(E1, i)
    k = max(cs)
    num = S.zero
    for j, c in cs.items():
        num += c * (-b) ** j * a ** (k - j)
    den = a ** k
    return factored_fraction(num, den), (num, den)


def _by_power(p, i: int) -> dict:
    """The polynomial ``p`` as {k: its coefficient of x^k}, x the ring's generator ``i`` (each free of x)."""
    out: dict = {}
    R = p.ring
    for mon, c in p.items():
        mm = mon[:i] + (0,) + mon[i + 1:]
        out[mon[i]] = out.get(mon[i], R.zero) + R({mm: c})
    return out


def _in_field(F, e: sp.Expr, nd):
    """``e`` as an element of the RadicalField F: from its (numerator, denominator) polynomials where given and
    every symbol they hold is one of F's (moved into F's ring by name), else read from the expression."""
    if nd is not None:
        used = {nd[0].ring.symbols[i] for p in nd for m in p.itermonoms() for i, x in enumerate(m) if x}
        if used <= set(F.symbols):
            return F.fraction(nd[0].set_ring(F.ring), nd[1].set_ring(F.ring))
    return F.element(e)


def _derivative_numerator(F, x, symbol: sp.Symbol) -> sp.Expr:
    """The numerator of d x / d symbol for a field element x = N / D (free of sqrt a), (N' D - N D') / D^2 with
    common factors cancelled, then divided by its content as a polynomial in ``symbol`` (a non-zero factor free
    of it): a polynomial whose roots in ``symbol`` are the stationary points of x, as an expression."""
    g = F.ring.gens[F.symbols.index(symbol)]
    num, den = x.num, x.den
    top, _ = (num.diff(g) * den - num * den.diff(g)).cancel(den ** 2)
    if not top:
        return sp.S.Zero
    i = F.symbols.index(symbol)
    content = None
    for c in _by_power(top, i).values():
        content = c if content is None else content.gcd(c)
    return top.exquo(content).as_expr()


def _real_roots(p: sp.Expr, x: sp.Symbol) -> list:
    """The distinct real roots in radicals of the polynomial ``p`` in ``x`` (coefficients in the other symbols),
    in SymPy's canonical order (``sympy.solve``'s for a polynomial); every root, or a ValueError."""
    P = sp.Poly(p, x)
    found = sp.roots(P)
    if sum(found.values()) != P.degree():
        raise ValueError(f"p: expected a polynomial in {x} solvable in radicals, got {p}")
    return sorted((r for r in found if r.is_real), key=sp.default_sort_key)


def _some_setting() -> dict:
    from .objective import SIGMA_NOISE
    from .words import DIM
    return {DIM: 3, SIGMA_NOISE: sp.Rational(1, 2)}


def stationary_points(L: int, d: int, m: int, sigma2) -> list[tuple[tuple, float, bool]]:
    """Every real stationary point of the isotropic pretraining loss at Sigma = I (L = 1, 2), exactly:
    ``[(gammas, loss, is_global_min), ...]`` sorted by loss (gammas as SymPy algebraic numbers:
    CRootOf where no radical exists)."""
    L = _check_L(L)
    if L == 3:
        raise ValueError("L: exact stationary points are implemented for L = 1, 2 (L = 3: see bench/bench_depth_pretraining.py)")
    from .objective import SIGMA_NOISE
    from .words import DIM
    E = sp.expand(isotropic_pretraining_loss(L, M).subs({DIM: d, M: m, SIGMA_NOISE: sp.sqrt(sp.nsimplify(sigma2))}))
    E = sp.nsimplify(E)
    g = GAMMA[:L]
    pts = []
    if L == 1:
        for r in sp.Poly(sp.diff(E, g[0]), g[0]).real_roots():
            pts.append(((r,), E.subs(g[0], r)))
    else:
        f1, f2 = (sp.Poly(sp.together(sp.diff(E, v)), *g) for v in g)
        res = sp.Poly(sp.resultant(f1.as_expr(), f2.as_expr(), g[1]), g[0])
        for r in res.real_roots():
            # gamma_2: common real roots of both conditions at gamma_1 = r
            h = sp.Poly(f1.as_expr().subs(g[0], r), g[1])
            for r2 in sp.Poly(sp.N(h.as_expr(), 60), g[1]).nroots(n=40):
                if abs(sp.im(r2)) > 1e-20:
                    continue
                r2 = sp.re(r2)
                if abs(sp.N(f2.as_expr().subs({g[0]: r, g[1]: r2}), 40)) < 1e-15:
                    pts.append(((r, r2), E.subs({g[0]: r, g[1]: r2})))
    pts = sorted(((p, float(sp.N(v, 30))) for p, v in pts), key=lambda pv: pv[1])
    best = pts[0][1]
    return [(p, v, abs(v - best) <= 1e-12 * max(1.0, abs(best))) for p, v in pts]
