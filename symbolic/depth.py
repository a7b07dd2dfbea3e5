r"""The n-shot error of L-layer linear attention in the class, in closed form at symbolic d.

Model, class and chains: :mod:`symbolic.depth_model` (f_L = x_q^T g_L, g_L a sum of chains
c x_q^T W_0 S W_1 ... S W_k src). The error

    E_L(layers, n; theta) = E[f_L^2] - 2 E[f_L y_q] + theta^T Sigma theta + sigma^2,
    E[f_L^2]   = sum_{chains t, t'} c_t c_t' E[chain_t chain_t'],
    E[f_L y_q] = sum_t c_t E[chain_t y_q],

where each chain is a product of sums over tokens (an S-factor is a sum over the N = n + 1
columns, the query included; the source s too; b over the n context tokens). Each product of
sums is expanded by index-coincidence patterns (:mod:`symbolic.exchangeable`: set partitions of
the slots, the query's block, falling-factorial counts n^{(k)}); at each pattern the tokens are
distinct, independent Gaussian vectors x_j ~ N(0, Sigma) with labels y_j = theta^T x_j + eps_j,
and the Wick engine (:mod:`symbolic.wick`) integrates them out, giving traces and bilinear
forms of words in Gamma_l, Sigma, theta, v_x. No d x d matrix of symbols is ever built; d enters
only through tr(I_d) = d.

A product of two chains with k and k' S-factors has k + k' + 2 slots (at most 2L for the pure
class), so L = 2 needs patterns of up to 4 slots (Bell(4) = 15 partitions) and L = 3 up to 6
(Bell(6) = 203).

Public API
----------
- :func:`depth_error` (``layers, task=theta, n=n``): E_L as an engine :class:`~symbolic.forms.Poly`
  (coefficients rational in n; n an integer >= 0 or the symbol n).
- :func:`depth_error_limit`: its limit n -> oo.
- :func:`depth_pretraining_error` (``layers, m``): E_{theta ~ N(0, I_d)} E_L(layers, m; theta).
- :func:`class_error` (``L, values_in=...``): the closed form at symbolic parameters (Gamma_l
  MatrixSymbols, v_y_l, v_0_L, v_x_L symbols), derived once and cached on disk
  (:mod:`symbolic.depth_cache`).

L = 1 through this path equals :func:`symbolic.objective.expected_error` exactly (tested).
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

from .depth_model import Chain, DepthLayer, chains, check_depth_layers, class_layer
from .exchangeable import falling, index_patterns
from .expansion import polynomial_expand as _expand
from .forms import Leg, Poly, const, form, gauss
from .model import SIGMA_ATOM, label
from .objective import N, SIGMA_NOISE, THETA, _check_n, _split_task
from .wick import expect_gaussian, expect_noise

__all__ = ["depth_error", "depth_error_limit", "depth_error_terms", "depth_pretraining_error", "class_layers", "class_error",
           "class_error_is_cached", "class_error_is_slow", "chain_pair_expectation"]


def _slots(ch: Chain) -> tuple[str, ...]:
    """Ranges of a chain's sums: one 'N' per S-factor, then the source's ('N' for s, 'n' for b)."""
    src = ch.src[0]
    return ("N",) * ch.k + (("N",) if src == "s" else ("n",) if src == "b" else ())


def _chain_poly(ch: Chain, names: Sequence[str], task: Leg, scale: sp.Expr) -> Poly:
    """x_q^T W_0 x_{i_1} x_{i_1}^T W_1 ... src at one pattern; ``names[j]`` the token of slot j
    ('q' or a context block number), the source's token last."""
    prev = gauss("x_q")
    p = Poly.scalar(1)
    for j in range(ch.k):
        leg = gauss(f"x_{names[j]}")
        p = p * Poly.factor(form(prev, ch.words[j], leg))
        prev = leg
    last = ch.words[ch.k]
    kind = ch.src[0]
    if kind == "c":
        return p * Poly.factor(form(prev, last, const(ch.src[1])))
    t = names[ch.k]
    leg = gauss(f"x_{t}")
    p = p * Poly.factor(form(prev, last, leg))
    if kind == "b":
        p = p * label(leg, task, f"eps_{t}", scale)
    return p


def _expect_tokens(p: Poly, tokens: Sequence[str]) -> Poly:
    for t in tokens:
        p = expect_gaussian(p, f"x_{t}", (SIGMA_ATOM,))
        p = expect_noise(p, f"eps_{t}", SIGMA_NOISE ** 2)
    return p


@lru_cache(maxsize=None)
def chain_pair_expectation(a: tuple, b: tuple | None, task: Leg, scale: sp.Expr, n: sp.Expr) -> Poly:
    """E[chain_a * chain_b] (``b`` None: E[chain_a * y_q]) with unit coefficients, summed over every
    index-coincidence pattern with its falling-factorial count (``a``, ``b``: (words, src))."""
    ca = Chain(sp.S.One, *a)
    cb = Chain(sp.S.One, *b) if b is not None else None
    sa = _slots(ca)
    ranges = sa + (_slots(cb) if cb is not None else ())
    acc: dict = defaultdict(list)
    for blocks, query, k in index_patterns(ranges):
        count = falling(n, k)
        if count == 0:          # more context blocks than context tokens (integer n < k): no such index tuple
            continue
        # context blocks get the names 1..k in order, the query's block 'q'
        names, ctx = [], {}
        for blk in blocks:
            if blk == query:
                names.append("q")
            else:
                names.append(ctx.setdefault(blk, str(len(ctx) + 1)))
        p = _chain_poly(ca, names[:len(sa)], task, scale)
        p = p * (_chain_poly(cb, names[len(sa):], task, scale) if cb is not None else label(gauss("x_q"), task, "eps_q", scale))
        e = _expect_tokens(p, [str(j) for j in range(1, k + 1)] + ["q"])
        for key, c in e.terms.items():
            acc[key].append(c * count)
    return Poly({key: sp.Add(*v) for key, v in acc.items()})


@lru_cache(maxsize=None)
def chain_pair_limit(a: tuple, b: tuple | None, task: Leg, scale: sp.Expr) -> Poly:
    """lim_{n -> oo} N^(-r) E[chain_a * chain_b] (``b`` None: chain_b = y_q), r the number of token slots of
    the two chains: of the patterns of :func:`chain_pair_expectation`, the one with every slot a distinct
    context token (count n^(r), n^(r) / N^r -> 1); any other has fewer context blocks (n^(k) / N^r -> 0)."""
    ca = Chain(sp.S.One, *a)
    cb = Chain(sp.S.One, *b) if b is not None else None
    sa = _slots(ca)
    r = len(sa) + (len(_slots(cb)) if cb is not None else 0)
    names = [str(j) for j in range(1, r + 1)]
    p = _chain_poly(ca, names[:len(sa)], task, scale)
    p = p * (_chain_poly(cb, names[len(sa):], task, scale) if cb is not None else label(gauss("x_q"), task, "eps_q", scale))
    return _expect_tokens(p, names + ["q"])


def _task_leg(task) -> tuple[sp.Expr, Leg]:
    scale, t = _split_task(task)
    return sp.sympify(scale), (t if isinstance(t, Leg) else const(t))


#: stands for 1/(n+1) inside the derivation: coefficients stay polynomials (fast exact arithmetic in a
#: sparse polynomial ring) until :func:`_finish` puts them over the common denominator (n+1)^p
NU = sp.Symbol("nu_N", positive=True)


class _RingSum:
    """Exact accumulation of polynomial coefficients per monomial key in a sparse ring QQ[gens].

    :meth:`poly` returns the collected Poly in one of three modes: ``'nu'`` (each coefficient an
    expanded polynomial in n, nu = 1/(n+1) and the parameters), ``'finish'`` (nu = 1/(n+1)
    substituted, the coefficient written (expanded numerator) / (n+1)^p with common factors n + 1
    cancelled) or ``'limit'`` (n -> oo: of each term n^i nu^j only i = j survives; i > j never
    occurs, as a product of r sums carries nu^r and at most r distinct tokens, and is refused).
    """

    def __init__(self) -> None:
        self.terms: dict = defaultdict(list)

    def add(self, key, c: sp.Expr) -> None:
        self.terms[key].append(c)

    def poly(self, mode: str = "nu", n: sp.Symbol = N) -> Poly:
        return self.ring(n).poly(mode)

    def ring(self, n: sp.Symbol = N) -> "_RingTerms":
        """The sums per key as elements of one sparse ring (chosen as :meth:`poly` describes)."""
        from sympy.polys.domains import QQ
        from sympy.polys.rings import ring
        free = set().union(*[sp.sympify(c).free_symbols for v in self.terms.values() for c in v]) - {NU, n}
        exprs = [sp.sympify(c) for v in self.terms.values() for c in v]
        rational = all(a.is_Rational for e in exprs for a in e.atoms(sp.Number)) and not any(
            p.base.is_number and not p.exp.is_Integer for e in exprs for p in e.atoms(sp.Pow))
        polynomial = rational and all(e.is_polynomial(*free, NU, n) for e in exprs)
        if polynomial:      # QQ[n, nu, parameters]: fastest
            gens = sorted(free | {NU, n}, key=sp.default_sort_key)
            R, *g = ring(gens, QQ)
        elif rational:      # coefficients rational in the parameters (e.g. 1/(d+4)): QQ(parameters)[n, nu]
            gens = [n, NU]
            R, *g = ring(gens, QQ.frac_field(*sorted(free, key=sp.default_sort_key)) if free else QQ)
        else:               # algebraic numbers (sqrt 2...): the domain SymPy constructs for them
            from sympy.polys.rings import sring
            gens = [n, NU]
            R = sring(exprs, *gens, extension=True)[0]
            g = list(R.gens)
        to_ring = _reader(R)

        out = {}
        for key, cs in self.terms.items():
            tot = R.zero
            for c in cs:
                tot += to_ring(c)
            if tot:
                out[key] = tot
        return _RingTerms(R, g, gens.index(n), gens.index(NU), n, out)


class _RingTerms:
    """Per-key sums in a sparse ring with generators n and nu among them (see :class:`_RingSum`); read out as
    a Poly in mode ``'nu'``, ``'finish'`` or ``'limit'`` (:meth:`poly`), or at an integer n (:meth:`at`)."""

    def __init__(self, R, g: list, i_n: int, inu: int, n: sp.Symbol, terms: dict) -> None:
        self.R, self.g, self.i_n, self.inu, self.n, self.terms = R, g, i_n, inu, n, terms

    def at(self, n: int) -> Poly:
        """The Poly at an integer n: the derivation's chains then carry the number 1/(n+1), never nu."""
        self.check_no_nu()
        return self.poly("nu")

    def check_no_nu(self) -> None:
        """At an integer n the derivation's chains carry the number 1/(n+1), never nu: checked."""
        if any(tot.degree(self.g[self.inu]) > 0 for tot in self.terms.values()):
            raise AssertionError("E_L at an integer n: expected no nu in the derivation")

    def substitute(self, symbol: sp.Symbol, value: sp.Expr) -> "_RingTerms | None":
        """The sums with ``symbol`` = ``value`` (a rational), in the same ring; None where ``symbol`` is not one of
        the ring's generators but is inside its domain (coefficients not polynomial: ask the derivation at the
        value instead). A generator the ring does not have means the sums do not depend on ``symbol``."""
        gens = [x.as_expr() for x in self.g]
        if symbol not in gens:
            return None if symbol in getattr(self.R.domain, "symbols", ()) else self
        x = self.g[gens.index(symbol)]
        v = self.R.domain.from_sympy(sp.sympify(value))
        out = {}
        for key, tot in self.terms.items():
            t = tot.subs(x, v) if tot.degree(x) > 0 else tot
            if t:
                out[key] = t
        return _RingTerms(self.R, self.g, self.i_n, self.inu, self.n, out)

    def poly(self, mode: str = "nu") -> Poly:
        R, g, i_n, inu, n = self.R, self.g, self.i_n, self.inu, self.n
        one_n = g[i_n] + 1
        powers = [R.one]
        out = {}
        for key, tot in self.terms.items():
            if mode == "nu":
                out[key] = tot.as_expr()
                continue
            if mode == "limit":
                lim = R.zero
                for mon, a in tot.items():
                    if mon[i_n] > mon[inu]:
                        raise ValueError("the expression diverges as n -> oo")
                    if mon[i_n] == mon[inu]:
                        mm = list(mon)
                        mm[i_n] = mm[inu] = 0
                        lim += R({tuple(mm): a})
                if lim:
                    out[key] = lim.as_expr()
                continue
            deg = max(mon[inu] for mon in tot)
            while len(powers) <= deg:
                powers.append(powers[-1] * one_n)
            num = R.zero
            for mon, a in tot.items():
                mm = list(mon)
                j = mm[inu]
                mm[inu] = 0
                num += R({tuple(mm): a}) * powers[deg - j]
            while deg > 0 and not num.subs(g[i_n], -1):
                num = num.exquo(one_n)
                deg -= 1
            if num:
                out[key] = num.as_expr() / (n + 1) ** deg
        return Poly(out)


def _finish(p: Poly, n: sp.Expr) -> Poly:
    """nu = 1/(n+1) substituted (integer n: a number; symbolic n: see :class:`_RingSum`)."""
    acc = _RingSum()
    if not isinstance(n, sp.Symbol):
        for k, c in p.terms.items():
            acc.add(k, sp.expand(c.subs(NU, sp.Rational(1, n + 1))))
        return acc.poly("nu")
    for k, c in p.terms.items():
        acc.add(k, c)
    return acc.poly("finish", n)


def _limit_nu(p: Poly, n: sp.Symbol) -> Poly:
    """lim_{n -> oo} of a Poly whose coefficients are polynomials in n and nu = 1/(n+1)."""
    acc = _RingSum()
    for k, c in p.terms.items():
        acc.add(k, c)
    return acc.poly("limit", n)


def depth_error(layers: Sequence[DepthLayer], task=THETA, n: sp.Expr | int = N) -> Poly:
    """E_L(layers, n; task) = E[(f_L - y_q)^2] as a polynomial of traces and bilinear forms.

    ``layers``: a non-empty list of :class:`DepthLayer` (at most ``MAX_DEPTH``); ``task`` a d x 1
    MatrixSymbol, optionally times a number (``-theta_0``), or a Gaussian Leg; ``n`` an integer
    >= 0 or a symbol. Each coefficient is (expanded polynomial) / (n+1)^p. Cached in memory.
    """
    layers = check_depth_layers(layers)
    scale, leg = _task_leg(task)
    n = _check_n(n)
    terms = _depth_error_nu(layers, leg, scale, n)
    return terms.poly("finish") if isinstance(n, sp.Symbol) else terms.at(n)


@lru_cache(maxsize=128)
def _depth_error_nu(layers: tuple, task: Leg, scale: sp.Expr, n: sp.Expr) -> _RingTerms:
    """E_L with 1/(n+1) written nu (coefficients polynomials in n, nu and the parameters), as elements of one
    sparse ring (``.poly()``: the engine Poly); every reading of E_L (finite n, n -> oo, the pretraining
    average) starts from it, with no round trip through expressions."""
    symbolic_n = isinstance(n, sp.Symbol)
    cs = chains(layers, 1 / NU if symbolic_n else n + 1)
    parts = []
    for i, ci in enumerate(cs):
        ki = (ci.words, ci.src)
        for j in range(i, len(cs)):
            cj = cs[j]
            parts.append((chain_pair_expectation(ki, (cj.words, cj.src), task, scale, n),
                          (1 if i == j else 2) * ci.coeff * cj.coeff))
        parts.append((chain_pair_expectation(ki, None, task, scale, n), -2 * ci.coeff))
    parts.append((_expect_tokens(label(gauss("x_q"), task, "eps_q", scale) ** 2, ["q"]), sp.S.One))
    return _accumulate(parts)


def _accumulate(parts: list) -> "_RingTerms":
    """sum over ``parts`` (Poly e, factor f) of f e, per key, as :class:`_RingSum` would collect the expanded
    products f c (c a coefficient of e) into one ring. Where every c and f is a polynomial with rational
    numbers in its symbols, n and nu, each c and f is read into the ring QQ[those symbols, n, nu] once and the
    products are taken there: the ring :meth:`_RingSum.ring` chooses for the expanded products (a product of
    non-zero polynomials holds every symbol of each factor, and is a polynomial over QQ), and the same elements
    (a ring element is the polynomial, whichever way it is formed), with no expansion of expressions. Otherwise
    the expanded products go through :class:`_RingSum` (sympy.expand's expression, then its ring)."""
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring
    items = [(key, c, f) for e, f in parts if f != 0 for key, c in e.terms.items() if c != 0]
    exprs = {x for _, c, f in items for x in (c, f)}
    free: set = set()
    for x in exprs:
        free |= x.free_symbols
    if not all(_rational_polynomial_in(x, free) for x in exprs):
        acc = _RingSum()
        for key, c, f in items:
            acc.add(key, _expand(c * f))   # sympy.expand's expression, in a ring where it is a polynomial
        return acc.ring()
    free -= {NU, N}
    gens = sorted(free | {NU, N}, key=sp.default_sort_key)
    R, *g = ring(gens, QQ)
    to_ring = _reader(R)
    out: dict = {}
    for key, c, f in items:
        t = to_ring(c) * to_ring(f)
        out[key] = out[key] + t if key in out else t
    out = {k: v for k, v in out.items() if v}
    return _RingTerms(R, g, gens.index(N), gens.index(NU), N, out)


def _reader(R: Any) -> Any:
    """``x -> x`` as an element of the ring ``R`` (a rational by ``R(x)``, else ``R.from_expr``),
    each expression read once per reader."""
    conv: dict = {}

    def to_ring(x: Any) -> Any:
        r = conv.get(x)
        if r is None:
            r = conv[x] = R(x) if x.is_Rational else R.from_expr(x)
        return r
    return to_ring


def _rational_polynomial_in(e: sp.Expr, gens: set) -> bool:
    """``e`` a polynomial in ``gens`` with rational numbers (:class:`_RingSum`'s test for its fastest ring)."""
    return (all(a.is_Rational for a in e.atoms(sp.Number))
            and not any(p.base.is_number and not p.exp.is_Integer for p in e.atoms(sp.Pow))
            and e.is_polynomial(*gens))


#: the task's number (theta, -theta, c theta) as a symbol: the limits at every number read from one derivation
TASK_SCALE = sp.Symbol("c_task")


def depth_error_limit(layers: Sequence[DepthLayer], task=THETA) -> Poly:
    """lim_{n -> oo} E_L(layers, n; task), coefficient by coefficient. Derived once per layers and task vector
    with the task's number c a symbol (E_L is a polynomial in c), then c put in where it is rational: the limits
    on theta_0 and -theta_0 share one derivation (any other number, e.g. sqrt(2) or a symbol: the derivation at
    it)."""
    return depth_error_terms(layers, task, sp.oo).poly("nu")


def depth_error_terms(layers: Sequence[DepthLayer], task=THETA, n=sp.oo) -> "_RingTerms":
    """E_L(layers, n; task) at an integer n >= 0 (:func:`depth_error`) or n = ``sympy.oo``
    (:func:`depth_error_limit`) before it is read out as a Poly: per key (a product of traces and bilinear
    forms), its coefficient as an element of the derivation's ring (``.R``; ``.terms``), for callers that go on
    in a ring (no expression in between). ``.poly("nu")`` is the Poly those functions return."""
    layers = check_depth_layers(layers)
    scale, leg = _task_leg(task)
    if n == sp.oo:
        terms = None
        if sp.sympify(scale).is_Rational and all(_rational_polynomial(sp.sympify(c)) for c in _layer_coefficients(layers)):
            terms = _depth_error_lim(layers, leg, TASK_SCALE).substitute(TASK_SCALE, scale)
        if terms is None:       # coefficients outside a polynomial ring: the derivation at the number itself
            terms = _depth_error_lim(layers, leg, scale)
        return terms
    n = _check_n(n)
    if isinstance(n, sp.Symbol):
        raise ValueError(f"n: expected an integer >= 0 or sympy.oo, got the symbol {n}")
    terms = _depth_error_nu(layers, leg, scale, n)
    terms.check_no_nu()
    return terms


@lru_cache(maxsize=128)
def _depth_error_lim(layers: tuple, task: Leg, scale: sp.Expr) -> _RingTerms:
    """lim_{n -> oo} E_L, term by term: each chain carries 1/N per token slot (one per S factor and one for
    its source; :func:`symbolic.depth_model.chains`), so a product of chains with r slots is N^(-r) times a
    sum over index patterns of n^(k) E[pattern], k <= r, whose limit is the all-distinct pattern's
    (:func:`chain_pair_limit`); the chains' coefficients without their 1/N are those at N = 1. The same
    limit as :func:`_depth_error_nu`'s coefficient by coefficient (tests/test_depth_symbolic.py)."""
    cs = chains(layers, sp.S.One)
    parts = []
    for i, ci in enumerate(cs):
        ki = (ci.words, ci.src)
        for j in range(i, len(cs)):
            cj = cs[j]
            parts.append((chain_pair_limit(ki, (cj.words, cj.src), task, scale), (1 if i == j else 2) * ci.coeff * cj.coeff))
        parts.append((chain_pair_limit(ki, None, task, scale), -2 * ci.coeff))
    parts.append((_expect_tokens(label(gauss("x_q"), task, "eps_q", scale) ** 2, ["q"]), sp.S.One))
    return _accumulate(parts)


def _layer_coefficients(layers: tuple) -> list:
    """Every scalar the layers hold (v_0, v_y, and the coefficients of v_x and Gamma)."""
    out = []
    for lay in layers:
        out += [lay.v0, lay.vy, *(c for c, *_ in lay.vx), *(c for c, *_ in lay.Gamma)]
    return out


def _rational_polynomial(e: sp.Expr) -> bool:
    """``e`` a polynomial in its symbols with rational numbers (then E_L's coefficients are polynomials in the
    layers' symbols, d, n and nu: :class:`_RingSum` takes the ring QQ[symbols], where a symbol can be put in)."""
    return (all(a.is_Rational for a in e.atoms(sp.Number))
            and not any(p.base.is_number and not p.exp.is_Integer for p in e.atoms(sp.Pow))
            and e.is_polynomial(*e.free_symbols))


def depth_pretraining_error(layers: Sequence[DepthLayer], m: sp.Expr | int) -> Poly:
    """E_{theta ~ N(0, I_d)} E_L(layers, m; theta): the pretraining objective at context length m
    (an integer >= 1, a symbol, or ``sympy.oo`` for the limit m -> oo)."""
    layers = check_depth_layers(layers)
    m = sp.sympify(m)
    inf = m == sp.oo
    mm = N if inf else _check_n(m)
    p = _depth_error_nu(layers, gauss("theta"), sp.S.One, mm).poly()
    acc = _RingSum()
    for key, c in expect_gaussian(p, "theta", ()).terms.items():
        acc.add(key, c)
    q = acc.poly()
    if inf:
        return _limit_nu(q, N)
    return _finish(q, mm)


def class_layers(L: int, *, values_in: Sequence[int] = (), symmetric: bool = False, normalise: bool = False
                 ) -> tuple[DepthLayer, ...]:
    """Symbolic layers 1..L of the class: Gamma_l, v_y_l (1 with ``normalise``), and v_0_l, v_x_l for
    the layers listed in ``values_in`` (e.g. ``(L,)``: what fine-tuning adds to the last layer)."""
    if isinstance(L, bool) or not isinstance(L, int) or L < 1:
        raise ValueError(f"L: expected a number of layers >= 1, got {L!r}")
    return tuple(class_layer(l, values=l in values_in, symmetric=symmetric, vy=1 if normalise else None)
                 for l in range(1, L + 1))


def class_error(L: int, *, values_in: Sequence[int] | None = None, symmetric: bool = False, task=THETA,
                n: sp.Expr | int = N, cache: bool = True) -> Poly:
    """The closed form E_L at symbolic parameters: Gamma_1..Gamma_L (MatrixSymbols), v_y_1..v_y_L, and
    v_0_l, v_x_l for l in ``values_in`` (default: the last layer), at symbolic d, Sigma, theta, sigma,
    n. Derived once and kept in the disk cache (:mod:`symbolic.depth_cache`) when ``cache``."""
    from .depth_cache import cached
    values_in = (L,) if values_in is None else tuple(values_in)
    layers = class_layers(L, values_in=values_in, symmetric=symmetric)
    if not cache:
        return depth_error(layers, task, n)
    return cached(_class_key(L, values_in, symmetric, task, n), lambda: depth_error(layers, task, n))


def _class_key(L: int, values_in: tuple, symmetric: bool, task, n) -> tuple:
    scale, leg = _task_leg(task)
    return ("class_error", L, values_in, symmetric, str(scale), leg.kind, str(leg.obj), str(n))


def class_error_is_cached(L: int, *, values_in: Sequence[int] | None = None, symmetric: bool = False,
                          task=THETA, n: sp.Expr | int = N) -> bool:
    """Whether :func:`class_error` with these arguments is answered from memory or the disk cache."""
    from .depth_cache import is_cached
    values_in = (L,) if values_in is None else tuple(values_in)
    return is_cached(_class_key(L, values_in, symmetric, task, n))


def class_error_is_slow(L: int, values_in: Sequence[int]) -> bool:
    """Whether deriving :func:`class_error` cold takes about a minute of CPU: L = 3 with values (v_0, v_x)
    in the first layer (measured cold, one core: values in layers (1,) 46 s, (1, 2) 53 s, (1, 2, 3)
    52 s; (3,) 7 s, (2,) and (2, 3) 8.5 s; every L = 2 case a few seconds; ``bench/bench_depth.py``).
    The first layer's values multiply every later layer's chains, so its products carry the most
    token slots (up to 2L + 2)."""
    return L >= 3 and 1 in tuple(values_in)
