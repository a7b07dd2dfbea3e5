"""The general derivation (symbolic/general.py) against an independent minimisation.

For random quadratic specs (a random non-empty set of V's last-row blocks, or of Q's blocks
other than Q_xx; one to three loss terms with random positive weights, n in {0, 1, 3, oo},
tasks theta_0, -theta_0, a given vector or the family N(theta_0, I/4); sometimes a second
stage), at d = 1 or 2 with a random SPD Sigma, random theta_0 and sigma^2:

* the independent side writes V and Q with one SymPy symbol per trained entry (the other
  entries at the pretrained values V[-1,:] = (0, 0, 1), Q = blockdiag(0, Sigma^{-1}, 0)),
  takes the loss from the concrete engine (symbolic/concrete.py: the poster's formula
  expanded literally, Isserlis on monomials; n -> oo from three values of n, because
  (n+1)^2 E(n) is a quadratic polynomial in n), and minimises it by linear algebra
  (its gradient is linear: sympy.linsolve), stage after stage;
* the derived strategy, evaluated at the same setting, must be a minimiser (the gradient of
  the concrete loss vanishes there, exactly), reach the same minimum (exactly), equal the
  minimiser where it is unique, keep every untrained and every free entry at its start
  value, and its closed-form error must equal the concrete engine's, exactly.

Measured: 30 hypothesis examples (``pytest --hypothesis-show-statistics``), about 25 s on one
core; a wrong derivation (v_x scaled by 1 + 1/100, or the inverse of a product taken in the
wrong order) fails it (``test_the_check_catches_a_wrong_minimiser``).
"""
from __future__ import annotations

from functools import lru_cache

import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from symbolic import DIM, THETA0
from symbolic.concrete import concrete_error, gaussian_expectation
from symbolic.general import derive_spec
from symbolic.spec import Task, make_spec

from xcheck import strategy_env, strategy_params

THETA1 = sp.MatrixSymbol("theta_1", DIM, 1)
TASKS = ("target", "opposite", "given", "family")
V_CHOICES = ("v0", "vx", "vy")
Q_CHOICES = ("Q00", "q0x", "qx0", "Qy0", "qyx")


def _task(name: str) -> Task:
    return {"target": Task(THETA0), "opposite": Task(-THETA0), "given": Task(THETA1),
            "family": Task(THETA0, sp.Rational(1, 4))}[name]


@lru_cache(maxsize=None)
def _derived(train: tuple, loss: tuple, then: tuple):
    spec = make_spec(train, [(w, n, _task(t)) for w, n, t in loss], [(w, n, _task(t)) for w, n, t in then])
    return derive_spec(spec)


@st.composite
def settings_and_specs(draw):
    d = draw(st.integers(1, 2))
    entries = st.integers(-2, 2)
    L = sp.Matrix(d, d, lambda i, j: draw(entries) if i >= j else 0)
    Sigma = L * L.T + sp.eye(d) * draw(st.sampled_from([sp.Rational(1, 2), 1, 2]))
    theta0 = sp.Matrix([draw(st.integers(-2, 2)) for _ in range(d)])
    if theta0 == sp.zeros(d, 1):
        theta0[0] = 1
    theta1 = sp.Matrix([draw(st.integers(-2, 2)) for _ in range(d)])
    if theta1 == sp.zeros(d, 1):  # a zero task makes generic entries free: a degenerate setting
        theta1[-1] = -1
    sigma2 = draw(st.sampled_from([0, sp.Rational(1, 10), sp.Rational(1, 2)]))
    pool = draw(st.sampled_from([V_CHOICES, Q_CHOICES]))
    train = tuple(b for b in pool if draw(st.booleans())) or (draw(st.sampled_from(pool)),)
    term = st.tuples(st.sampled_from([1, sp.Rational(1, 2), 2, sp.Rational(3, 7)]),
                     st.sampled_from([0, 1, 3, sp.oo]), st.sampled_from(TASKS))
    loss = tuple(draw(st.lists(term, min_size=1, max_size=3)))
    then = tuple(draw(st.lists(term, min_size=0, max_size=1)))
    return d, Sigma, theta0, theta1, sigma2, train, loss, then


def _entries(train: tuple, Sigma: sp.Matrix):
    """V, Q at the pretrained start with one symbol per trained entry, and those symbols."""
    d = Sigma.shape[0]
    V, Q = sp.zeros(d + 2, d + 2), sp.zeros(d + 2, d + 2)
    V[d + 1, d + 1] = 1
    Q[1:d + 1, 1:d + 1] = Sigma.inv()
    syms = []

    def fresh(name):
        s = sp.Symbol(name)
        syms.append(s)
        return s
    x = range(1, d + 1)
    for b in train:
        if b == "v0":
            V[d + 1, 0] = fresh("v0")
        elif b == "vy":
            V[d + 1, d + 1] = fresh("vy")
        elif b == "vx":
            for i in x:
                V[d + 1, i] = fresh(f"vx{i}")
        elif b == "Q00":
            Q[0, 0] = fresh("Q00")
        elif b == "Qy0":
            Q[d + 1, 0] = fresh("Qy0")
        elif b == "q0x":
            for i in x:
                Q[0, i] = fresh(f"q0x{i}")
        elif b == "qx0":
            for i in x:
                Q[i, 0] = fresh(f"qx0{i}")
        elif b == "qyx":
            for i in x:
                Q[d + 1, i] = fresh(f"qyx{i}")
    return V, Q, syms


def _loss(V, Q, terms, Sigma, theta0, theta1, sigma2):
    """sum w E(V, Q, n; task), exact, from the concrete engine (n = oo by extrapolation)."""
    d = Sigma.shape[0]
    total = sp.S.Zero
    for w, n, task in terms:
        g = sp.symbols(f"g0:{d}")
        theta = {"target": theta0, "opposite": -theta0, "given": theta1,
                 "family": theta0 + sp.Matrix(g) / 2}[task]

        def E(k):
            e = concrete_error(V, Q, n=k, theta=list(theta), Sigma=Sigma, sigma2=sigma2)
            if task == "family":
                e = gaussian_expectation(sp.expand(e), [(g, sp.eye(d))])
            return sp.expand(e)
        if n == sp.oo:
            e0, e1, e2 = E(0), E(1), E(2)
            value = sp.expand((9 * e2 - 8 * e1 + e0) / 2)   # leading coefficient of (n+1)^2 E(n)
        else:
            value = E(n)
        total += w * value
    return sp.expand(total)


def _minimise(L, syms, constraints):
    """The affine set argmin L subject to the affine constraints {s: value}; and the minimum."""
    L = sp.expand(L.xreplace(constraints))
    free = [s for s in syms if s not in constraints]
    sol = sp.linsolve([sp.diff(L, s) for s in free], free) if free else sp.FiniteSet(())
    (point,) = list(sol)
    new = dict(constraints)
    for s, v in zip(free, point):
        new[s] = v
    # a substitution may refer to parameters solved later: resolve to a fixed point
    new = {s: sp.expand(v.xreplace(new).xreplace(new)) for s, v in new.items()}
    return new


def _check(d, Sigma, theta0, theta1, sigma2, train, loss, then, derived):
    env = strategy_env(Sigma=Sigma, theta0=theta0, sigma2=sigma2)
    env["theta_1"] = sp.ImmutableMatrix(theta1)
    V_star, Q_star = strategy_params(derived, env)
    V, Q, syms = _entries(train, Sigma)
    # untrained entries stay at the start
    for i in range(d + 2):
        for j in range(d + 2):
            if not V[i, j].free_symbols and i == d + 1:
                assert V_star[i, j] == V[i, j], ("untrained V entry moved", i, j)
            if not Q[i, j].free_symbols and j <= d:
                assert Q_star[i, j] == Q[i, j], ("untrained Q entry moved", i, j)
    at = {s: (V_star if s in V.free_symbols else Q_star)[_where(V, Q, s)] for s in syms}
    L1 = _loss(V, Q, loss, Sigma, theta0, theta1, sigma2)
    stage = _minimise(L1, syms, {})
    grad1 = [sp.simplify(sp.diff(L1, s).xreplace(at)) for s in syms]
    assert all(g == 0 for g in grad1), ("the derived point is not stationary", grad1)
    assert sp.simplify(L1.xreplace(at) - L1.xreplace(stage)) == 0
    if then:
        L2 = _loss(V, Q, then, Sigma, theta0, theta1, sigma2)
        params = sorted(set().union(*[sp.sympify(v).free_symbols for v in stage.values()]) & set(syms), key=str)
        L2_on_S = sp.expand(L2.xreplace(stage))
        inner = _minimise(L2_on_S, params, {})
        assert sp.simplify(L2.xreplace(at) - L2_on_S.xreplace(inner)) == 0, "second stage not minimal"
        stage = {s: sp.expand(v.xreplace(inner)) for s, v in stage.items()}
    # where the minimiser is unique it is the derived one; a free entry stays at its start value
    start = {s: 0 if s.name != "vy" else 1 for s in syms}
    for s, v in stage.items():
        if not (sp.sympify(v).free_symbols & set(syms)):
            assert sp.simplify(at[s] - v) == 0, (s, at[s], v)
        elif v == s:
            assert at[s] == start[s], (s, "a free entry moved")
    # the closed form's error at the derived point is the concrete engine's
    n = 1
    got = derived.evaluate_error(n, Sigma=Sigma, theta0=theta0, sigma2=sigma2, values={THETA1: theta1})
    want = concrete_error(V_star, Q_star, n=n, theta=list(theta0), Sigma=Sigma, sigma2=sigma2)
    assert sp.simplify(got - want) == 0


def _where(V, Q, s):
    M = V if s in V.free_symbols else Q
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            if M[i, j] == s:
                return (i, j)
    raise KeyError(s)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.generate], derandomize=True)
@given(settings_and_specs())
def test_derived_minimiser_equals_independent_minimisation(case):
    d, Sigma, theta0, theta1, sigma2, train, loss, then = case
    derived = _derived(train, loss, then)
    _check(d, Sigma, theta0, theta1, sigma2, train, loss, then, derived)


def test_the_check_catches_a_wrong_minimiser():
    """Power: the same check fails for v_x off by 1% and for a wrong vector value."""
    from dataclasses import replace
    Sigma, theta0, theta1 = sp.Matrix([[2, 1], [1, 3]]), sp.Matrix([1, -1]), sp.Matrix([0, 1])
    train, loss = ("v0", "vx", "vy"), ((1, 0, "target"), (sp.Rational(1, 2), 3, "opposite"))
    good = _derived(train, loss, ())
    _check(2, Sigma, theta0, theta1, sp.Rational(1, 10), train, loss, (), good)
    off = replace(good, blocks=good.blocks.with_(
        vx=tuple((c * sp.Rational(101, 100), w, a) for c, w, a in good.blocks.vx)))
    with pytest.raises(AssertionError):
        _check(2, Sigma, theta0, theta1, sp.Rational(1, 10), train, loss, (), off)
