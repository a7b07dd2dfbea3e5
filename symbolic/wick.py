"""Gaussian expectations by Wick/Isserlis pairing, for symbolic d and symbolic covariance.

For a zero-mean Gaussian vector ``x ~ N(0, C)`` and a product of forms in which ``x``
occurs ``2k`` times (as *legs*), Isserlis' theorem gives

    E[prod] = sum over perfect matchings of the 2k legs of the product in which each
              matched pair (x, x) is replaced by the covariance C between the two ends.

Replacing a pair glues two forms into one: ``(a^T A x)(x^T B b) -> a^T A C B b``; a chain
that closes on itself becomes a trace ``x^T M x -> tr(M C)``.  So the result is again a sum
of forms in the remaining Gaussian vectors, traces and bilinear forms of constants: the
algebra is closed, and the dimension enters only through ``tr(I_d) = d``.

Scalar noise ``eps ~ N(0, s^2)`` has ``E[eps^{2k}] = s^{2k} (2k-1)!!`` and odd moments 0.
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import sympy as sp

from .forms import Form, Leg, Poly, Tr, _merge_noise, _sorted_factors, form, trace
from .words import DIM, Word, canonical_trace, transpose

__all__ = ["expect_gaussian", "expect_noise", "perfect_matchings"]


@lru_cache(maxsize=None)
def perfect_matchings(k: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """All perfect matchings of ``range(k)`` (``(k-1)!!`` of them; none for odd k)."""
    if k % 2:
        return ()
    if k == 0:
        return ((),)
    out = []
    for j in range(1, k):
        rest = [i for i in range(1, k) if i != j]
        for m in perfect_matchings(k - 2):
            out.append(((0, j),) + tuple((rest[a], rest[b]) for a, b in m))
    return tuple(out)


def _glue(forms: list[Form], name: str, cov: Word, matching, legs: list[int] | None = None,
          transposed: list[Word] | None = None) -> tuple[list[Form], list[Word]]:
    """Contract the legs of Gaussian ``name`` in ``forms`` according to ``matching``.

    Legs are numbered ``2*i`` (left end of form i) and ``2*i+1`` (right end); ``matching``
    pairs indices of the *Gaussian* legs listed in ``legs`` (computed here unless given, as
    ``transposed``, each form's word transposed).  Returns the new forms (chains ending in kept
    legs) and the words of the closed chains (traces).  Each new form is built once per process
    (:data:`_FORMS`, keyed by its two legs and the word read along its chain: ``form`` of equal
    arguments is an equal form).
    """
    if legs is None:
        legs = [2 * i + s for i, f in enumerate(forms) for s, leg in enumerate((f.left, f.right))
                if leg.is_gaussian and leg.obj == name]
    if transposed is None:
        transposed = [transpose(f.word) for f in forms]
    partner: dict[int, int] = {}
    for a, b in matching:
        partner[legs[a]] = legs[b]
        partner[legs[b]] = legs[a]

    def end(e: int) -> Leg:
        f = forms[e // 2]
        return f.left if e % 2 == 0 else f.right

    visited = [False] * len(forms)

    def walk(e: int) -> tuple[list, int | None]:
        """Follow the chain entering form ``e // 2`` at end ``e``: the word read along it, and
        the kept end it stops at (None when it closes back on ``e``)."""
        acc: list = []
        first = e
        while True:
            i = e // 2
            visited[i] = True
            enter_left = e % 2 == 0
            acc.extend(forms[i].word if enter_left else transposed[i])
            out_end = 2 * i + (1 if enter_left else 0)
            if out_end not in partner:
                return acc, out_end
            acc.extend(cov)
            e = partner[out_end]
            if e == first:
                return acc, None

    new_forms: list[Form] = []
    loops: list[Word] = []
    for start in range(2 * len(forms)):  # open chains start at a kept end
        if not visited[start // 2] and start not in partner:
            acc, stop = walk(start)
            key = (end(start), tuple(acc), end(stop))
            f = _FORMS.get(key)
            if f is None:
                if len(_FORMS) > _CONTRACT_CACHE_MAX:
                    _FORMS.clear()
                f = _FORMS[key] = form(*key)
            new_forms.append(f)
    for i0 in range(len(forms)):  # what is left closes into traces
        if not visited[i0]:
            loops.append(tuple(walk(2 * i0)[0]))
    return new_forms, loops


#: :func:`_glue`'s forms, by their legs and the word read along the chain
_FORMS: dict = {}


def _loop(w: Word):
    """``Tr(canonical_trace(w))`` for the word ``w`` read around a closed chain, None where it is
    the identity (``tr(I_d) = d``); each built once per process (:data:`_LOOPS`)."""
    try:
        return _LOOPS[w]
    except KeyError:
        pass
    cw = canonical_trace(w)
    out = Tr(cw) if cw else None
    if len(_LOOPS) > _CONTRACT_CACHE_MAX:
        _LOOPS.clear()
    _LOOPS[w] = out
    return out


#: :func:`_loop`'s traces, by the word read around the chain
_LOOPS: dict = {}


def _contract(involved: tuple, name: str, cov: Word) -> tuple:
    """E over the Gaussian ``name`` of the product of the forms ``involved`` (every other leg kept):
    ``((factors, coeff), ...)``, summed over the perfect matchings of its legs.  Each matching
    contributes coefficient 1 times d per closed identity loop; terms are collected in a dict
    (no intermediate polynomials)."""
    key = (involved, name, cov)
    hit = _CONTRACT_CACHE.get(key)
    if hit is not None:
        return hit
    nlegs = sum(f._gaussians.count(name) for f in involved)
    forms = list(involved)
    legs = [2 * i + s for i, f in enumerate(forms) for s, leg in enumerate((f.left, f.right))
            if leg.is_gaussian and leg.obj == name]
    transposed = [transpose(f.word) for f in forms]
    acc: dict = defaultdict(int)
    for matching in perfect_matchings(nlegs):
        new_forms, loops = _glue(forms, name, cov, matching, legs, transposed)
        factors = list(new_forms)
        dpow = 0
        for w in loops:
            t = _loop(w)
            if t is not None:
                factors.append(t)
            else:
                dpow += 1
        acc[(_sorted_factors(factors), dpow)] += 1
    out: dict = defaultdict(list)
    for (fs, dpow), k in acc.items():
        out[fs].append(sp.Integer(k) * DIM ** dpow)
    res = tuple((fs, sp.Add(*v) if len(v) > 1 else v[0]) for fs, v in out.items())
    if len(_CONTRACT_CACHE) > _CONTRACT_CACHE_MAX:
        _CONTRACT_CACHE.clear()
    _CONTRACT_CACHE[key] = res
    return res


#: contractions shared across calls (the depth derivation meets the same products at many index patterns)
_CONTRACT_CACHE: dict = {}
_CONTRACT_CACHE_MAX = 200_000


def expect_gaussian(p: Poly, name: str, cov: Word) -> Poly:
    """``E_x[p]`` for the Gaussian vector ``x = name`` with ``x ~ N(0, cov)``.

    ``cov`` is a word: ``()`` for the identity ``I_d``, ``(Sigma,)`` for ``Sigma``.
    """
    # each monomial's contributions are collected and added once (SymPy's Add is linear in
    # its arguments, repeated ``+=`` quadratic)
    out: dict = defaultdict(list)
    one = sp.S.One
    cov = tuple(cov)
    for (factors, noises), coeff in p.terms.items():
        expanded = _expect_factors(factors, name, cov)
        if expanded is None:
            out[(factors, noises)].append(coeff)
            continue
        for fs, c in expanded:
            out[(fs, noises)].append(coeff if c is one else coeff * c)
    return Poly._adopt({k: v[0] if len(v) == 1 else sp.Add(*v) for k, v in out.items()})


def _expect_factors(factors: tuple, name: str, cov: Word) -> tuple | None:
    """E over the Gaussian ``name`` of the product of the (sorted) ``factors``: ``((sorted
    factors, coeff), ...)``, the factors free of ``name`` kept beside each contraction
    (:func:`_contract`); None where no factor holds ``name``.  Remembered per arguments (the same
    products of forms recur across the monomials, which differ in their noise powers, and across
    calls)."""
    key = (factors, name, cov)
    try:
        return _FACTORS_CACHE[key]
    except KeyError:
        pass
    involved = tuple(f for f in factors if name in f._gaussians)
    if not involved:
        res = None
    else:
        rest = tuple(f for f in factors if name not in f._gaussians)
        res = tuple((_sorted_factors(rest + fs), c) for fs, c in _contract(involved, name, cov))
    if len(_FACTORS_CACHE) > _CONTRACT_CACHE_MAX:
        _FACTORS_CACHE.clear()
    _FACTORS_CACHE[key] = res
    return res


#: :func:`_expect_factors`' results, by its arguments
_FACTORS_CACHE: dict = {}


def expect_noise(p: Poly, name: str, variance: sp.Expr) -> Poly:
    """``E_eps[p]`` for scalar noise ``eps = name ~ N(0, variance)``."""
    out: dict = defaultdict(list)
    moments: dict = {}
    for (factors, noises), coeff in p.terms.items():
        power = 0
        for k, q in noises:
            if k == name:
                power = q
        if power % 2:
            continue
        if not power:
            out[(factors, noises)].append(coeff)
            continue
        if power not in moments:
            moments[power] = variance ** (power // 2) * sp.factorial2(power - 1)
        rest = tuple((k, q) for k, q in noises if k != name)
        out[(factors, rest)].append(coeff * moments[power])
    return Poly._adopt({k: v[0] if len(v) == 1 else sp.Add(*v) for k, v in out.items()})
