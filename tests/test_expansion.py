"""symbolic/expansion.py against SymPy: ``laurent_expand`` and ``sympy_expand`` return
``sympy.expand``'s expression term for term (``==`` and ``srepr``) on the engine's own
coefficients (with 1/(n+1)^2 and other sums in denominators for ``sympy_expand``) and on Laurent
polynomials of its generators; ``laurent_expand`` refuses a sum in a denominator, a float or a
function, and ``polynomial_expand`` then gives SymPy's result."""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic import expansion
from symbolic.convert import to_sympy
from symbolic.bilinear import Bilinear
from symbolic.objective import N, THETA, THETA0, expected_error

x, y, n, d = sp.symbols("x y n d")
sigma = sp.Symbol("sigma", nonnegative=True)


def _same(got: sp.Expr, want: sp.Expr) -> bool:
    return got == want and sp.srepr(got) == sp.srepr(want)


@pytest.fixture(scope="module")
def engine_error() -> sp.Expr:
    """E(V, Q, 2; theta) at symbolic blocks, coefficients as the engine builds them (unexpanded
    products of the blocks' symbols, d and sigma; traces and bilinear forms as generators)."""
    return to_sympy(expected_error(None, THETA, 2, normalise=False))


def test_engine_expressions_are_sympys(engine_error):
    gens = sorted(engine_error.atoms(sp.Trace) | engine_error.free_symbols, key=sp.default_sort_key)
    v = [g for g in gens if isinstance(g, sp.Symbol) and g.name.startswith("v")]
    part = sp.Add(*engine_error.args[:30])
    cases = [engine_error,
             part * (d + 2) - part * d,                                   # terms that cancel
             part * v[0] ** -2 * sigma ** -1 + sp.Rational(3, 7) * v[0] ** -1,   # negative powers
             (sp.Add(*engine_error.args[:12]) + 1) * (d + sigma ** 2 + v[1]) ** 2 / 5]   # a product of sums
    for e in cases:
        assert _same(expansion.laurent_expand(e), sp.expand(e))


@pytest.mark.parametrize("e", [
    (x + 1) ** 2 - (x ** 2 + 2 * x + 1),           # 0
    x * (x ** -1 + y) - x * y,                      # 1
    sp.Rational(1, 2) * (x - y) ** 3 / x ** 2,
    sp.Trace(sp.MatrixSymbol("S", d, d)) ** -1 * (x + sp.Trace(sp.MatrixSymbol("S", d, d))),
    sp.Integer(4), x,
], ids=range(6))
def test_small_cases_are_sympys(e):
    assert _same(expansion.laurent_expand(e), sp.expand(e))


@pytest.mark.parametrize("e", [x / (n + 1), (x + y) ** -2, sp.sqrt(x) * (x + 1), sp.Float(0.5) * (x + 1),
                               sp.exp(x) * (x + 1), sp.Trace(sp.MatrixSymbol("A", d, d) * (sp.MatrixSymbol("B", d, d)
                                                                                       + sp.MatrixSymbol("C", d, d)))],
                         ids=range(6))
def test_not_laurent_is_refused_and_left_to_sympy(e):
    with pytest.raises(expansion.NotLaurent):
        expansion.laurent_expand(e)
    assert _same(expansion.polynomial_expand(e), sp.expand(e))
    assert _same(expansion.expand(e), sp.expand(e))


def test_sympy_expand_is_sympys_on_the_engines_coefficients():
    """E(V, Q, n; theta) at symbolic n and blocks: each coefficient a sum over (n + 1)^2 (SymPy
    writes each term over its denominators multiplied out); then sums of two coefficients over
    other denominators (d + 2, sigma^2 + v_y), some terms shared with what is remembered."""
    cs = list(expected_error(None, THETA, N, normalise=False).terms.values())
    v_y = sp.Symbol("v_y")
    cases = cs + [c / (2 * (d + 2)) - cs[0] * n / ((sigma ** 2 + v_y) * (d + 2)) for c in cs[1:12]]
    assert all(_same(expansion.sympy_expand(c), sp.expand(c)) for c in cases)
    # a coefficient of query-key-few-shot's error (k = theta_0^T Sigma theta_0): SymPy's hints in
    # its order (multinomial before mul) matter here
    k = Bilinear(THETA0, sp.MatrixSymbol("Sigma", d, d), THETA0)
    w = (n * (n - 1) * (n + 1) ** 2 / ((n + 2) ** 2 * (sigma ** 2 + k) ** 2)
         + 3 * n * (n + 1) ** 2 / ((n + 2) ** 2 * (sigma ** 2 + k) ** 2)) / (n + 1) ** 2
    assert _same(expansion.sympy_expand(w), sp.expand(w))
    assert _same(expansion.sympy_expand(sp.Matrix([[x / (n + 1)]])), sp.expand(sp.Matrix([[x / (n + 1)]])))
