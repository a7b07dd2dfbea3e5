"""``symbolic.calculus.first_order`` (d/dt at t = 0, unreduced) against ``taylor(...)[1]``
(expansion in t, reduced), and the first-order checks of the results built on it.

* In value: for the zero-shot and few-shot errors at the pretrained and at general blocks, in
  directions of V's last row and of Q's blocks, the two first-order coefficients differ by 0 in
  the field of fractions.
* The first-order lines of the results beyond the paper (``_beyond.first_order_coefficient``,
  which differentiates an n -> oo term at symbolic n and then takes the limit) hold at the
  derived points and fail one step away from them.

Breaks tried: ``first_order`` returning ``L(b)`` (no derivative) or the limit dropped from an
n -> oo term both fail here.
"""
from __future__ import annotations

import sympy as sp

from symbolic import N, THETA0, derive, expected_error, to_sympy
from symbolic.calculus import first_order, taylor
from symbolic.model import Blocks, symbolic_blocks, vec
from symbolic.words import DIM

from proofs.paper.results._beyond import (V_ROW, direction, family_spec, first_order_coefficient,
                                          query_key_fewshot_spec)
from proofs.paper.results._common import rational_is_zero, vanishes
from proofs.quantities.derivations import strategy


def _same_value(p, q) -> bool:
    return rational_is_zero(to_sympy(p) - to_sympy(q))


def test_first_order_equals_taylor():
    d = sp.MatrixSymbol("delta", DIM, 1)
    cases = [(derive("pretrain").blocks, Blocks(v0=sp.Symbol("delta_v0"), vx=vec(d)), 0),
             (derive("value").blocks, Blocks(vy=sp.Symbol("delta_vy"), qyx=vec(d)), 3),
             (symbolic_blocks(), Blocks(q0x=vec(d), qx0=vec(d, 2)), 0),
             (symbolic_blocks(), Blocks(Q00=sp.Symbol("delta_Q00")), N)]
    for b, delta, n in cases:
        fast = first_order(lambda bb: expected_error(bb, THETA0, n, normalise=False), b, delta)
        slow = taylor(lambda bb: expected_error(bb, THETA0, n), b, delta, order=1)[1]
        assert slow.terms, (b, delta)           # a non-trivial first-order coefficient
        assert _same_value(fast, slow), (b, delta, n)


def test_beyond_first_order_lines_hold_at_the_derived_points_only():
    fam = strategy(family_spec(), sp.oo)
    spec = family_spec()
    assert vanishes(first_order_coefficient(fam.blocks, spec.loss, V_ROW))
    assert vanishes(first_order_coefficient(fam.blocks, spec.then, ("vy",)))    # an n -> oo term
    off = fam.blocks.with_(vy=fam.blocks.vy + sp.Rational(1, 100))
    assert not vanishes(first_order_coefficient(off, spec.then, ("vy",)))
    from symbolic import N_FT
    fs = strategy(query_key_fewshot_spec(N_FT), sp.oo)
    loss = query_key_fewshot_spec(N_FT).loss
    assert vanishes(first_order_coefficient(fs.blocks, loss, ("Q00", "qyx")))
    assert not vanishes(first_order_coefficient(derive("pretrain").blocks, loss, ("qyx",)))
    assert direction(("Qxx",)).Qxx   # the matrix direction is a word, not empty
