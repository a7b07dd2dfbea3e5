"""A closed polynomial's value at an exact setting as a rational function of n, in polynomial rings.

:func:`symbolic.evaluation.evaluate_poly` evaluates ``E(V, Q, n; theta) = sum_k c_k(n, s) F_k``
(``c_k`` rational functions of n and of the scalar symbols s -- blocks, d, sigma --, ``F_k``
products of traces and bilinear forms) by substituting the numbers into every coefficient and
adding the resulting SymPy expressions: each coefficient rebuilt, one sum of rational functions
of n rebuilt per term.  :func:`rational_value` gives the same rational function of n as a
numerator and a denominator in QQ[n]: each coefficient is read once (per polynomial, remembered)
into QQ[n, s] as a numerator over a denominator (:func:`symbolic.ratfun.numer_denom`), then
evaluated at the setting's numbers monomial by monomial, the terms summed over the least common
multiple of their denominators.  The traces and bilinear forms are the same numbers as
:func:`evaluate_poly`'s (the same matrices, from :func:`symbolic.evaluation._exact_matrix`),
multiplied out over QQ (rows of rationals) rather than as SymPy matrices.

It applies where every value is rational -- or, for a symbol such as sigma = sqrt(sigma^2), its
square is rational and the symbol occurs in even powers only --, every coefficient is a rational
function of symbols with rational coefficients and no denominator vanishes at the setting; where
it does not, it returns None and the caller evaluates as before.  The caller puts the result in
``sympy.cancel``'s normal form (:func:`symbolic.ratfun.cancelled`), which depends on the rational
function only: the expression is then the one the SymPy route gives, term for term
(tests/test_rational_evaluation.py).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyRing

from . import ratfun
from .evaluation import Env, _dim, _exact_matrix, _normalise
from .forms import Poly, Tr

__all__ = ["rational_value", "rational_values"]


@lru_cache(maxsize=64)
def _compiled(items: tuple, n: sp.Symbol):
    """``(gens, R, [(factors, numerator, denominator)])`` of a polynomial's terms over
    ``R = QQ[gens]`` (n among the gens), or None where a coefficient is not a rational function
    of symbols or a term holds a noise."""
    syms: set = {n}
    for (_, noises), c in items:
        if noises:
            return None
        syms |= sp.sympify(c).free_symbols
    if any(not isinstance(s, sp.Symbol) for s in syms):
        return None
    gens = tuple(sorted(syms, key=sp.default_sort_key))
    R = PolyRing(gens, QQ)
    cache: dict = {}
    terms = []
    for (factors, _), c in items:
        try:
            num, den = ratfun.numer_denom(sp.sympify(c), R, cache)
        except (ratfun.NotRational, ZeroDivisionError):
            return None
        q = R.one
        for b, k in den.items():
            q = q * b ** k
        terms.append((factors, num, q))
    return gens, R, terms


def _values(gens: tuple, n: sp.Symbol, env: dict) -> list | None:
    """Per generator: ``("at", q)`` (its rational value), ``("square", q)`` (a value whose square
    q is rational) or ``None`` (n, left free); None where a value is missing or not of that form.
    A symbol takes its value as :func:`symbolic.evaluation.evaluate` gives it (by name; d from
    the matrices' size when not given)."""
    d = _dim(env)
    out: list = []
    for s in gens:
        if s.name in env and not isinstance(env[s.name], sp.MatrixBase):
            v = sp.sympify(env[s.name])
        elif s.name == "d" and d is not None:
            v = sp.Integer(d)
        elif s == n:
            out.append(None)
            continue
        else:
            return None
        if v.is_Rational:
            out.append(("at", QQ.from_sympy(v)))
            continue
        v2 = sp.expand(v ** 2)
        if not v2.is_Rational:
            return None
        out.append(("square", QQ.from_sympy(v2)))
    return out


def _univariate(P, values: list, i_n: int | None, S: PolyRing):
    """``P`` (in QQ[gens]) at the values, as an element of ``S = QQ[n]``; None where a symbol
    given by its square occurs in an odd power."""
    acc: dict = {}
    powers: dict = {}
    for m, c in P.items():
        for i, e in enumerate(m):
            if not e or i == i_n:
                continue
            kind, q = values[i]
            if kind == "square":
                if e % 2:
                    return None
                e //= 2
            key = (i, e)
            p = powers.get(key)
            if p is None:
                p = powers[key] = q ** e
            c = c * p
        k = (m[i_n],) if i_n is not None else (0,)
        acc[k] = acc.get(k, QQ.zero) + c
    return S.from_dict({k: v for k, v in acc.items() if v})


class _NotRationalHere(ValueError):
    """A matrix of the setting with an entry that is not rational."""


def _qq(M: sp.MatrixBase) -> list:
    """A SymPy matrix of rationals as rows of QQ elements (its entries read once, by ``tolist``, not
    entry by entry through the matrix's indexing)."""
    rows = M.tolist()
    if not all(x.is_Rational for row in rows for x in row):
        raise _NotRationalHere
    return [[QQ.from_sympy(x) for x in row] for row in rows]


def _matmul(A: list, B: list) -> list:
    cols = list(zip(*B))
    return [[sum((a * b for a, b in zip(row, col)), QQ.zero) for col in cols] for row in A]


def _word_qq(w: tuple, env: dict, cache: dict) -> list:
    """The word's matrix over QQ, each atom's matrix and each prefix's product remembered."""
    key = ("word", w)
    if key in cache:
        return cache[key]
    if not w:
        d = _dim(env)
        out = [[QQ.one if i == j else QQ.zero for j in range(d)] for i in range(d)]
    else:
        akey = ("atom", w[-1])
        if akey not in cache:
            cache[akey] = _qq(_exact_matrix(w[-1].matrix, env))
        out = cache[akey] if len(w) == 1 else _matmul(_word_qq(w[:-1], env, cache), cache[akey])
    cache[key] = out
    return out


def _vector_qq(v: sp.Basic, env: dict, cache: dict) -> list:
    key = ("vector", v)
    if key not in cache:
        cache[key] = [row[0] for row in _qq(_exact_matrix(v, env))]
    return cache[key]


def _factor_qq(f: Any, env: dict, cache: dict):
    """A trace or bilinear form at the setting, an element of QQ (the number
    :func:`symbolic.evaluation._factor_value` gives)."""
    if f in cache:
        return cache[f]
    W = _word_qq(f.word, env, cache)
    if isinstance(f, Tr):
        v = sum((W[i][i] for i in range(len(W))), QQ.zero)
    else:
        a, b = _vector_qq(f.left.obj, env, cache), _vector_qq(f.right.obj, env, cache)
        v = sum((a[i] * sum((W[i][j] * b[j] for j in range(len(b))), QQ.zero) for i in range(len(a))), QQ.zero)
    cache[f] = v
    return v


def rational_value(p: Poly, env: Env, n: sp.Symbol) -> tuple | None:
    """``(num, den)``, elements of QQ[n] (den nonzero), with ``num/den`` the value of the closed
    polynomial ``p`` at ``env`` (:func:`symbolic.evaluation.evaluate_poly`'s, as a rational
    function of n; n itself given in ``env`` is substituted like any symbol); None where the
    ring route does not apply (module docstring)."""
    compiled = _compiled(tuple(p.terms.items()), n)
    if compiled is None:
        return None
    gens, R, terms = compiled
    env = _normalise(env)
    values = _values(gens, n, env)
    if values is None:
        return None
    i_n = gens.index(n) if values[gens.index(n)] is None else None
    S = PolyRing((n,), QQ)
    cache: dict = {}
    groups: dict = {}
    for factors, num, den in terms:
        F = QQ.one
        try:
            for f in factors:
                F = F * _factor_qq(f, env, cache)
        except _NotRationalHere:
            return None
        if not F:
            continue
        top, bottom = _univariate(num, values, i_n, S), _univariate(den, values, i_n, S)
        if top is None or bottom is None or not bottom:
            return None
        groups[bottom] = groups.get(bottom, S.zero) + top.mul_ground(F)
    if not groups:
        return S.zero, S.one
    lcm = S.one
    for b in groups:
        lcm = lcm.lcm(b)
    total = S.zero
    for b, top in groups.items():
        total = total + top * lcm.exquo(b)
    return total, lcm


@lru_cache(maxsize=64)
def _letters(items: tuple, n: sp.Symbol) -> tuple:
    """The letters of the polynomial's words (each once, in the order of first occurrence)."""
    seen: dict = {}
    for (factors, _), _c in items:
        for f in factors:
            for a in f.word:
                seen.setdefault(a, None)
    return tuple(seen)


def _shareable(key: Any) -> bool:
    """A cache entry that depends on the setting's matrices only (a letter's matrix, a word's
    product, a trace), not on its vectors (a vector, a bilinear form)."""
    return isinstance(key, Tr) or (isinstance(key, tuple) and key[0] in ("atom", "word"))


def rational_values(p: Poly, envs: list, n: sp.Symbol) -> list:
    """``[rational_value(p, env, n) for env in envs]``: the same elements (the same exact sums and
    products, in the same order), the work that does not depend on the environment's vectors done
    once: a term's coefficient at the scalar values (where two environments give every generator
    the same value), the words' products and the traces (where every letter's matrix and the
    dimension are the same, compared as rows of rationals), the least common multiple of the
    same denominators.  An environment where a letter's matrix is not rows of rationals (or not
    given) goes :func:`rational_value`'s own way."""
    items = tuple(p.terms.items())
    compiled = _compiled(items, n)
    if compiled is None:
        return [None for _ in envs]
    gens, R, terms = compiled
    letters = _letters(items, n)
    S = PolyRing((n,), QQ)
    # compared by ==, not hashed (a FLINT rational's hash is Python's Fraction's: slow)
    shared: list = []       # [(letters' matrices and dimension, the matrix entries of a finished environment)]
    coeffs: list = []       # [(scalar values, {term index: its numerator and denominator in QQ[n]})]
    lcms: list = []         # [(the denominators, in order, their least common multiple)]
    out = []
    for env in envs:
        env = _normalise(env)
        try:
            atoms = [_qq(_exact_matrix(a.matrix, env)) for a in letters]
        except Exception:   # noqa: BLE001 -- rational_value decides (None, or the same error)
            out.append(rational_value(p, env, n))
            continue
        values = _values(gens, n, env)
        if values is None:
            out.append(None)
            continue
        sig = (_dim(env), atoms)
        seen = next((c for s, c in shared if s == sig), None)
        cache: dict = dict(seen or ())
        for a, M in zip(letters, atoms):
            cache.setdefault(("atom", a), M)
        i_n = gens.index(n) if values[gens.index(n)] is None else None
        memo = next((m for v, m in coeffs if v == values), None)
        if memo is None:
            memo = {}
            coeffs.append((values, memo))
        groups: dict = {}
        failed = False
        for idx, (factors, num, den) in enumerate(terms):
            F = QQ.one
            try:
                for f in factors:
                    F = F * _factor_qq(f, env, cache)
            except _NotRationalHere:
                failed = True
                break
            if not F:
                continue
            if idx not in memo:
                memo[idx] = (_univariate(num, values, i_n, S), _univariate(den, values, i_n, S))
            top, bottom = memo[idx]
            if top is None or bottom is None or not bottom:
                failed = True
                break
            groups[bottom] = groups.get(bottom, S.zero) + top.mul_ground(F)
        if seen is None:
            shared.append((sig, {k: v for k, v in cache.items() if _shareable(k)}))
        if failed:
            out.append(None)
            continue
        if not groups:
            out.append((S.zero, S.one))
            continue
        order = list(groups)
        lcm = next((m for o, m in lcms if o == order), None)
        if lcm is None:
            lcm = S.one
            for b in groups:
                lcm = lcm.lcm(b)
            lcms.append((order, lcm))
        total = S.zero
        for b, top in groups.items():
            total = total + top * lcm.exquo(b)
        out.append((total, lcm))
    return out


def value_expression(num: Any, den: Any) -> sp.Expr:
    """``num/den`` (elements of QQ[n]) in ``sympy.cancel``'s normal form (a Rational when constant)."""
    if not num:
        return sp.S.Zero
    if num.is_ground and den.is_ground:
        return QQ.to_sympy(num.LC / den.LC)
    return ratfun.cancelled(num.as_expr() / den.as_expr())
