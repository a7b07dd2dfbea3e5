"""``symbolic.strategy.tidy`` (grouping by first key, written out) against ``sympy.collect``,
and the lazy :class:`symbolic.strategy.Step`.

* ``tidy`` must return, term for term (structural ``==``), what ``sympy.collect(expand(e),
  keys, func=factor)`` returns, for the errors the derivations print: the four strategies'
  errors at symbolic n on theta_0, their limits on theta, and formulas whose
  denominators hold the keys themselves (sigma^2 + theta_0^T Sigma theta_0).
* A ``Step(text, later=f)`` computes ``f()`` once, on first access, and compares, hashes,
  prints and pickles as ``Step(text, f())``.

Breaks tried: grouping every term under its *last* key, or factoring the groups' sum instead
of each group, fail the comparison.
"""
from __future__ import annotations

import pickle

import sympy as sp

from symbolic import N, SIGMA, THETA, THETA0, Bilinear, derive, expected_error, to_sympy
from symbolic.strategy import Step, tidy
from symbolic.objective import SIGMA_NOISE


def _collect(e):
    e = sp.expand(e)
    keys = sorted(e.atoms(sp.Trace, Bilinear), key=sp.srepr) + [s for s in e.free_symbols if s.name == "sigma"]
    return sp.collect(e, keys, func=sp.factor)


def _formulas():
    for name in ("pretrain", "full", "value", "value-fewshot"):
        b = derive(name).blocks
        yield to_sympy(expected_error(b, THETA0, N))
        yield to_sympy(expected_error(b, THETA, sp.oo))
    k, s2 = Bilinear(THETA0, SIGMA, THETA0), SIGMA_NOISE ** 2
    yield s2 + 5 * k ** 3 / (7 * (s2 + k) ** 2) + k * (s2 - 3 * k) / (s2 + k) + 1
    yield (s2 * k + Bilinear(THETA, SIGMA, THETA0) * k ** 2) / (s2 + 7 * k) ** 2 - s2 / (N + 1)


def test_tidy_is_sympy_collect_term_for_term():
    for e in _formulas():
        assert tidy(e) == _collect(e), e


def test_step_later_is_computed_once_and_behaves_as_its_value():
    calls = []

    def make():
        calls.append(1)
        return sp.Symbol("x") + 1
    lazy, eager = Step("loss", later=make), Step("loss", sp.Symbol("x") + 1)
    assert not calls
    assert lazy == eager and hash(lazy) == hash(eager) and str(lazy) == str(eager) == "loss: x + 1"
    assert lazy.expr == eager.expr and len(calls) == 1
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert Step("x").expr is None and str(Step("x")) == "x"


def test_factor_sum_is_factor_of_the_sum():
    """``factor_sum`` (the terms over one denominator by hand, then ``factor``) returns what
    ``sympy.factor`` of their sum returns, structurally: bases at different powers in different
    terms (the largest first, last, in the middle), a denominator that is a key, a sum with no
    denominator, a term with a non-integer power (handed to ``factor`` as it is)."""
    from symbolic.strategy import factor_sum
    k, s2, n = Bilinear(THETA0, SIGMA, THETA0), SIGMA_NOISE ** 2, N
    cases = [
        [s2 / (s2 + k) ** 2, 3 * k / (s2 + k) ** 3, -k ** 2 / ((n + 2) * (s2 + k))],
        [k / (n + 2) ** 2, 5 * s2 ** 2 / ((n + 2) ** 3 * (s2 + k)), -2 / (n + 2), 7 * k ** 3 / (s2 + k) ** 2],
        [k / s2, -1 / k, s2 ** 2 / (k ** 2 * (n + 1))],
        [k ** 2 + 2 * k * s2, s2 ** 2, -(k + s2) ** 2],
        [sp.sqrt(n) * k / (n + 1), k / (n + 1) ** 2],
    ]
    for terms in cases:
        for order in (terms, terms[::-1]):
            assert factor_sum(list(order)) == sp.factor(sp.Add(*order))
