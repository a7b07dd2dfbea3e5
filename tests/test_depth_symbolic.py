"""symbolic.depth: the class's n-shot error at depth in closed form.

Checks: L = 1 through the depth path equals today's derivations exactly; the closed forms at
L = 2 and 3 equal the independent concrete engine (symbolic.concrete_depth, the literal model
expanded monomial by monomial) exactly at random rational settings; the n -> oo limit equals the
coefficientwise limit of the finite-n form; the pattern counts add up to the number of index tuples.
"""
import random

import pytest
import sympy as sp
from sympy import Rational as R

from symbolic.concrete_depth import concrete_depth_error
from symbolic.depth import class_layers, depth_error, depth_error_limit, depth_pretraining_error
from symbolic.depth_model import DepthLayer, check_depth_layers
from symbolic.evaluation import evaluate_poly
from symbolic.exchangeable import falling, index_patterns
from symbolic.model import Blocks
from symbolic.objective import M, N, THETA, THETA0, expected_error, pretraining_error
from symbolic.strategies import derive
from symbolic.strategy import limit_poly


def _same(p, q):
    assert set(p.terms) == set(q.terms)
    assert all(sp.cancel(p.terms[k] - q.terms[k]) == 0 for k in p.terms)


@pytest.mark.parametrize("task, n", [(THETA, N), (-THETA0, N), (THETA, 0), (THETA0, 3)])
def test_one_layer_equals_todays_objective(task, n):
    lay = class_layers(1, values_in=(1,))[0]
    blocks = Blocks(v0=lay.v0, vx=lay.vx, vy=lay.vy, Qxx=lay.Gamma)
    _same(depth_error([lay], task, n), expected_error(blocks, task, n))


def test_one_layer_pretraining_equals_todays():
    lay = class_layers(1)[0]
    _same(depth_pretraining_error([lay], M), pretraining_error(Blocks(vy=lay.vy, Qxx=lay.Gamma), M))


@pytest.mark.parametrize("name", ["pretrain", "value", "value-fewshot"])
def test_one_layer_strategies_through_depth(name):
    """Today's derived strategies (a), (c), (d) live in the class (Q = blockdiag(0, Gamma, 0)):
    their errors through the depth path are today's, on theta, theta_0, -theta_0, finite n and n -> oo."""
    s = derive(name)
    b = s.blocks
    assert (b.Q00, b.q0x, b.qx0, b.Qy0, b.qyx) == (0, (), (), 0, ())
    lay = DepthLayer(v0=b.v0, vx=b.vx, vy=b.vy, Gamma=b.Qxx)
    for task in (THETA, THETA0, -THETA0):
        _same(depth_error([lay], task, N), s.error_poly(task, N))
        _same(depth_error_limit([lay], task), limit_poly(s.error_poly(task, N)))
    _same(depth_error([lay], THETA0, 0), s.error_poly(THETA0, 0))


def _r(rng):
    return R(rng.randint(-4, 4), 4)


def _setting(L, d, values_in, seed):
    rng = random.Random(seed)
    Sigma = sp.Matrix([[R(3, 2), R(1, 4), 0], [R(1, 4), 1, R(-1, 4)], [0, R(-1, 4), R(5, 4)]])[:d, :d]
    theta = sp.Matrix([_r(rng) for _ in range(d)])
    env = {"Sigma": Sigma, "theta": theta, "sigma": sp.sqrt(R(1, 3))}
    layers = []
    for l in range(1, L + 1):
        G = sp.Matrix(d, d, lambda i, j: _r(rng))
        V, Q = sp.zeros(d + 2), sp.zeros(d + 2)
        V[-1, -1] = env[f"v_y_{l}"] = _r(rng)
        if l in values_in:
            V[-1, 0] = env[f"v_0_{l}"] = _r(rng)
            vx = sp.Matrix([_r(rng) for _ in range(d)])
            env[f"v_x_{l}"] = vx
            V[-1, 1:d + 1] = vx.T
        Q[1:d + 1, 1:d + 1] = env[f"Gamma_{l}"] = G
        layers.append((V, Q))
    return env, layers, theta, Sigma


#: L = 2 at symbolic n (evaluated at n afterwards), n = 0 included (the zero-shot prompt, where the
#: falling factorials vanish). More settings, and L = 3 at symbolic n (a 7 s derivation): bench/depth_sweeps.py.
CONCRETE_SETTINGS = [
    (2, 2, 2, (2,), 0), (2, 1, 3, (2,), 1), (2, 2, 1, (1, 2), 2), (2, 3, 1, (2,), 3), (2, 2, 0, (2,), 6),
]


@pytest.mark.parametrize("L, d, n, values_in, seed", CONCRETE_SETTINGS)
def test_closed_form_equals_concrete_engine(L, d, n, values_in, seed, symbolic_n=True):
    env, layers, theta, Sigma = _setting(L, d, values_in, seed)
    closed = depth_error(class_layers(L, values_in=values_in), THETA, N if symbolic_n else n)
    got = evaluate_poly(closed, {**env, "n": n})
    want = concrete_depth_error(layers, n=n, theta=list(theta), Sigma=Sigma, sigma2=R(1, 3))
    assert sp.simplify(got - want) == 0


def test_three_layers_equal_concrete_engine():
    """L = 3 (patterns of up to 6 slots, chains through three layers, values in the last layer), the
    most general small setting (d = 2, non-diagonal Sigma, n = 1), derived at n = 1 (2 s; the symbolic-n
    route, shared with L = 2 above, costs 7 s at L = 3 and runs in bench/depth_sweeps.py)."""
    test_closed_form_equals_concrete_engine(3, 2, 1, (3,), 4, symbolic_n=False)


def test_task_minus_theta0_and_integer_n_agree_with_symbolic_n():
    lays = class_layers(2, values_in=(2,))
    env, *_ = _setting(2, 2, (2,), 7)
    env = {**env, "theta_0": env["theta"]}
    a = evaluate_poly(depth_error(lays, -THETA0, N), {**env, "n": 4})
    b = evaluate_poly(depth_error(lays, -THETA0, 4), env)
    c = evaluate_poly(depth_error(lays, THETA, N), {**env, "theta": -env["theta"], "n": 4})
    assert sp.simplify(a - b) == 0 and sp.simplify(a - c) == 0


@pytest.mark.parametrize("L", [1, 2])
def test_limit_equals_coefficientwise_limit(L):
    lays = class_layers(L, values_in=(L,))
    _same(depth_error_limit(lays, THETA), limit_poly(depth_error(lays, THETA, N)))


def test_limit_on_a_task_scaled_by_an_irrational_or_a_symbol():
    """The task's number is put into the derivation's ring only where it is rational; sqrt(2) theta_0
    and c theta_0 (c a symbol) are derived at the number and equal the coefficientwise limit."""
    lays = class_layers(1, values_in=(1,))
    for task in (sp.sqrt(2) * THETA0, sp.Symbol("c") * THETA0):
        _same(depth_error_limit(lays, task), limit_poly(depth_error(lays, task, N)))


@pytest.mark.parametrize("ranges", [("N",), ("n", "N"), ("N", "N", "n"), ("n", "N", "N", "N", "n")])
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_patterns_count_every_index_tuple(ranges, n):
    """sum over patterns of n^(k) = N^(#'N' slots) n^(#'n' slots), the number of index tuples."""
    total = sum(falling(sp.Integer(n), k) for _, _, k in index_patterns(ranges))
    assert total == (n + 1) ** ranges.count("N") * n ** ranges.count("n")


def test_bad_layers_one_line():
    for bad, match in [([], "^layers: expected a non-empty"), ("x", "^layers: expected"),
                       ([DepthLayer()] * 4, "^layers: .*deeper than supported"),
                       ([DepthLayer(), 3], r"^layers\[1\]: expected a DepthLayer"),
                       ([DepthLayer(vy=sp.nan)], r"^layers\[0\]: expected finite")]:
        with pytest.raises(ValueError, match=match) as e:
            check_depth_layers(bad)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="^n: "):
        depth_error([DepthLayer()], THETA, -1)


def test_class_start_is_the_pretrained_class_model():
    """symbolic.concrete_depth.class_start, the start the depth checks build for the concrete engine:
    V_l = e_y e_y^T and Q_l = blockdiag(0, gamma_l Sigma^-1, 0) at a rational Sigma (Q_l's block times
    Sigma is gamma_l I, every other entry 0), a layer's given last row of V in place of e_y^T, symbols
    kept; bad input refused naming the argument."""
    from symbolic.concrete_depth import class_start
    d, g = 2, sp.Symbol("g")
    Sigma = sp.Matrix([[R(3, 2), R(1, 4)], [R(1, 4), 1]])
    (V1, Q1), (V2, Q2) = class_start([R(1, 2), g], Sigma, {2: [1, 2, 3, g]})
    ey = sp.Matrix([0] * (d + 1) + [1])
    assert V1 == ey * ey.T and V2 == sp.zeros(d + 1, d + 2).col_join(sp.Matrix([[1, 2, 3, g]]))
    for Q, gam in ((Q1, R(1, 2)), (Q2, g)):
        assert (Q[1:d + 1, 1:d + 1] * Sigma - gam * sp.eye(d)).expand() == sp.zeros(d)
        Q[1:d + 1, 1:d + 1] = sp.zeros(d)
        assert Q == sp.zeros(d + 2)
    for kw, match in ((dict(gammas=[]), "gammas"), (dict(gammas=[0.5]), r"gammas\[0\]"),
                      (dict(rows={3: [0, 0, 0, 1]}), "rows"), (dict(rows={1: [0, 1]}), r"rows\[1\]"),
                      (dict(Sigma=[[1, 2], [2, 1]]), "Sigma")):
        with pytest.raises(ValueError, match=match):
            class_start(**{"gammas": [1, 2], "Sigma": Sigma, **kw})
