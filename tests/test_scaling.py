"""``symbolic.scaling.scale(c, M)`` builds exactly the tree SymPy's ``c * M`` builds (same
``srepr``), for the coefficients derivations produce (rational functions of symbols, traces and
bilinear forms) and for the ones it hands back to SymPy (numbers, zeros, square roots), and it
asks no ``is_zero`` of a coefficient it decides itself."""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic import SIGMA, THETA0, Bilinear
from symbolic.scaling import scale
from symbolic.words import DIM

d = sp.Symbol("d", integer=True, positive=True)
n = sp.Symbol("n_ft", integer=True, positive=True)
s2 = sp.Symbol("sigma", nonnegative=True) ** 2
b = Bilinear(THETA0, SIGMA, THETA0)
A = sp.MatrixSymbol("A", DIM, DIM)
I = sp.Identity(DIM)

COEFFICIENTS = [
    (d + 2) * (n + 1) / ((d + 4) * (s2 + b)),
    -6 * (d - 1) * b / (d ** 3 * s2 + 21 * d * b + 7),
    (-(d ** 3) - 15 * d ** 2 + 1) / ((d + 4) ** 2 * (s2 + 2 * b) ** 3),
    -(s2 + b) / n,
    sp.Trace(SIGMA) / (d + 2),
    d,
    sp.Rational(-3, 5),
    sp.Integer(1),
    sp.sqrt(2) * (d + 1) / (d + 4),
    sp.Add(d, -d, evaluate=False),                 # zero, unevaluated: SymPy gives a ZeroMatrix
    (d + 1) ** 2 - d ** 2 - 2 * d - 1,             # zero as a polynomial, not as a tree
    sp.Mul(2, d + 1, evaluate=False),              # unevaluated: SymPy's product evaluates it (doit)
    sp.Add(d * n, -d * n, 1, evaluate=False) / (d + 4),   # nonzero, with a repeated monomial
    sp.Add(d * n, -d * n, evaluate=False) / (d + 4),      # zero, a monomial repeated
    sp.Add(sp.Mul(d, 1 / d, evaluate=False), -1, evaluate=False),   # zero, a generator repeated
    sp.Mul(0, d, evaluate=False),                                   # zero, a zero factor
    sp.Mul(n, sp.Pow(sp.Add(d, -d, evaluate=False), 2, evaluate=False), evaluate=False),  # zero power
    sp.Symbol("u", commutative=False) * (d + 1),   # a noncommutative scalar: SymPy's product (raises)
    sp.Float(0.5) * d,                             # a float coefficient: SymPy's product
    sp.Symbol("z", zero=True) * d,                 # a generator declared 0: SymPy gives a ZeroMatrix
    sp.Symbol("z", zero=True) * d * (d + 1) / (d + 2 * n),
]
MATRICES = [
    THETA0,
    SIGMA,
    I,
    sp.MatMul(SIGMA, A, SIGMA, evaluate=False),
    sp.MatMul(sp.MatMul(SIGMA, A, evaluate=False), THETA0),
    sp.MatMul(THETA0, THETA0.T, evaluate=False),
    sp.MatMul(-1, SIGMA, evaluate=False),
    sp.Transpose(A),
    sp.ZeroMatrix(DIM, 1),
]


@pytest.mark.parametrize("c", COEFFICIENTS, ids=range(len(COEFFICIENTS)))
def test_scale_builds_the_tree_of_c_times_m(c):
    for M in MATRICES:
        assert _outcome(scale, c, M) == _outcome(lambda a, b: a * b, c, M), (c, M)


def _outcome(f, c, M):
    """The ``srepr`` of ``f(c, M)``, or the type of the error it raises."""
    try:
        return sp.srepr(f(c, M))
    except Exception as e:  # noqa: BLE001 - the same failure is the same outcome
        return type(e)


def test_scale_asks_no_zero_query_of_a_derived_coefficient(monkeypatch):
    import sys
    assumptions = sys.modules["sympy.core.assumptions"]
    asked = []
    original = assumptions._ask
    monkeypatch.setattr(assumptions, "_ask", lambda fact, obj: asked.append((fact, obj)) or original(fact, obj))
    c = (d + 3) * (n + 2) / ((d + 5) * (s2 + 3 * b))
    M = sp.MatMul(SIGMA, THETA0)
    assert sp.srepr(scale(c, M)) == sp.srepr(c * M)
    zero = [o for f, o in asked if f == "zero" and o == c]
    assert len(zero) == 1                          # only SymPy's own product asked it
