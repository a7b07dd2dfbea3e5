"""``expected_error`` at finite n (symbolic/objective.py) forms the weighted sum of the seven
moments in a polynomial ring over QQ (``_error_in_ring``) instead of as a SymPy expression that
``_tidy`` then cancels, and takes ``E[T_1 T_2]`` as ``E_q[E_1[T_1]^2]`` (``_pairs_by_token``,
``value_only``) instead of over the three tokens at once. It must give the very polynomial of
the expression route (``_tidy(_expected_error_raw(...))``, every moment by direct pairing): the
same monomials in the same order, each coefficient the same expression (``sympy.cancel``'s
normal form), for every block symbolic and for derived blocks, on theta, -theta_0 and a
Gaussian task, at symbolic n and at n = 0, 1, 3 (the token moments left out at 0, the pairs'
weight n(n-1) vanishing at 1). The expression route is the one checked against Monte Carlo
(tests/test_objective_vs_montecarlo.py) and the concrete engine
(tests/test_engine_vs_concrete.py).

Breaks tried: ``E_1[T_1]`` integrated over the query instead of token 1, or its noise left in
(``expect_gaussian`` alone); the pairs' weight ``n(n+1)`` for ``n(n-1)`` in ``_weights``, the
token-query weight ``n`` for ``2n``, a term not raised to the common denominator, and the
weights' denominators dropped, each fail here. (The common denominator taken with the sum of
the powers instead of their maximum passes, rightly: a multiple of a common denominator is one
too, and the cancel that follows gives the same normal form.)
"""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic import N, THETA, THETA0, derive
from symbolic.forms import gauss, const
from symbolic.model import symbolic_blocks
from symbolic.objective import _error_in_ring, _expected_error_raw, _moments, _tidy

N_ALL = (N, sp.S.Zero, sp.S.One, sp.Integer(3))
#: (blocks, task leg, scale, values of n): every block symbolic (the largest moments) on fewer
#: settings, the derived blocks of full fine-tuning on all of them
CASES = [("symbolic", symbolic_blocks(), const(THETA), sp.S.One, (N, sp.S.One)),
         ("symbolic", symbolic_blocks(), const(THETA0), sp.S(-1), (sp.S.Zero, sp.Integer(3))),
         ("full", derive("full").blocks, const(THETA), sp.S.One, N_ALL),
         ("full", derive("full").blocks, const(THETA0), sp.S(-1), N_ALL),
         ("full", derive("full").blocks, gauss("theta"), sp.S.One, N_ALL)]


def _terms(p):
    return [(k, sp.srepr(c)) for k, c in p.terms.items()]


@pytest.mark.parametrize("name,blocks,task,scale,ns", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_ring_route_is_the_expression_route(name, blocks, task, scale, ns):
    for n in ns:
        ring = _error_in_ring(_moments(blocks, task, scale, zero_shot=(n == 0), value_only=True), n)
        expr = _tidy(_expected_error_raw(blocks, task, scale, n))
        assert ring.terms, (name, task, n)
        assert _terms(ring) == _terms(expr), (name, task, scale, n)
