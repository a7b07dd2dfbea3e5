"""symbolic.explicit: a quadratic spec's loss as u^T A u - 2 b^T u + c at a concrete setting.

Checked against the concrete-dimension engine (symbolic/concrete.py, Isserlis on monomials,
no shared code): at d = 1, 2, random SPD rational Sigma, random theta_0, random explicit
starts (Q_xx not symmetric), Q_xx trained, the explicit quadratic's value at random points
equals the concrete engine's weighted loss exactly; float arithmetic agrees with exact.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbolic.concrete import concrete_error
from symbolic.explicit import explicit_quadratic
from symbolic.quadratic import NotQuadratic
from symbolic.spec import make_spec, spec_from_json

R = sp.Rational


def _rq(rng) -> sp.Rational:
    return R(int(rng.integers(-4, 5)), int(rng.integers(1, 4)))


def _setting(rng, d):
    L = sp.Matrix([[_rq(rng) for _ in range(d)] for _ in range(d)])
    return L * L.T + sp.eye(d), [_rq(rng) or R(1) for _ in range(d)]


def _concrete_loss(spec, V, Q, Sigma, theta0, sigma2):
    total = 0
    for t in spec.loss:
        sign = -1 if isinstance(t.task.mean, sp.MatMul) else 1
        total += t.weight * concrete_error(sp.Matrix(V.tolist()), sp.Matrix(Q.tolist()), n=int(t.n),
                                           theta=[sign * x for x in theta0], Sigma=Sigma, sigma2=sigma2)
    return total


def _json_start(rng, d):
    def m():
        return [[str(_rq(rng)) for _ in range(d + 2)] for _ in range(d + 2)]
    return {"V": m(), "Q": m()}


CASES = [
    (1, ["Qxx"], [{"n": 0, "task": "target"}, {"weight": "1/2", "n": 2, "task": "opposite"}]),
    (2, ["Qxx"], [{"n": 0, "task": "target"}, {"weight": 2, "n": 1, "task": "target"}]),
    (2, ["Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx"], [{"n": 1, "task": "target"}, {"n": 0, "task": "opposite"}]),
    (2, ["v0", "vx", "vy"], [{"n": 0, "task": "target"}, {"weight": 3, "n": 2, "task": "opposite"}]),
    (1, ["vx", "Qxx"][1:], [{"n": 3, "task": "target"}]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("start", ["pretrained", "random"])
def test_explicit_quadratic_equals_the_concrete_engine(case, start):
    d, train, loss = CASES[case]
    rng = np.random.default_rng(100 + 10 * case + (start == "random"))
    Sigma, theta0 = _setting(rng, d)
    sigma2 = R(1, 5)
    obj = {"train": train, "loss": loss}
    if start == "random":
        obj["start"] = _json_start(rng, d)
    spec = spec_from_json(obj, d)
    q = explicit_quadratic(spec, Sigma=Sigma, theta0=theta0, sigma2=sigma2)
    assert q.size == sum(1 if b in ("v0", "vy", "Q00", "Qy0") else d * d if b == "Qxx" else d for b in train)
    assert (q.A == q.A.T).all()
    points = [q.start] + [np.array([_rq(rng) for _ in range(q.size)], dtype=object) for _ in range(2)]
    for u in points:
        V, Q = q.matrices(u)
        assert q.value(u) == _concrete_loss(spec, V, Q, Sigma, theta0, sigma2)
    if start == "random":  # the start matrices are the given ones on every block that reaches the output
        V0 = sp.Matrix([[sp.Rational(x) for x in r] for r in obj["start"]["V"]])
        assert list(q.V0[d + 1, :]) == list(V0[d + 1, :])
        Q0 = sp.Matrix([[sp.Rational(x) for x in r] for r in obj["start"]["Q"]])
        assert sp.Matrix(q.Q0[:, :d + 1].tolist()) == Q0[:, :d + 1]
    f = explicit_quadratic(spec, Sigma=Sigma, theta0=theta0, sigma2=sigma2, arithmetic="float")
    assert np.allclose(f.A, q.A.astype(float), rtol=1e-12, atol=1e-12)
    assert np.allclose(f.b, q.b.astype(float), rtol=1e-12, atol=1e-12)
    assert abs(f.c - float(q.c)) <= 1e-12 * max(1, abs(float(q.c)))


def test_scalar_parts_are_sympy_poly_terms():
    """``_scalar_parts`` (a loss coefficient's parts in the scalar unknowns, read off QQ[gens]) lists
    the monomials ``sympy.Poly(expand(c), *unknowns).terms()`` lists, each with the same rational
    function of the other symbols: denominators in d and sigma, a part that cancels, a constant."""
    from symbolic.explicit import _scalar_parts
    a, b, d, s = sp.symbols("Q_00 Q_y0 d sigma")
    for c in [(a ** 2 * d + b * s ** 2) / (d + 2) + 3 * a / (d + 1) - 5,
              a * b * (d - 1) / s ** 2 + a / (d + 1) - a / (d + 1), R(7, 3)]:
        got = dict(_scalar_parts(c, [a, b]))
        want = dict(sp.Poly(sp.expand(c), a, b).terms())
        assert set(got) == set(want) and all(sp.cancel(got[m] - want[m]) == 0 for m in got), c


def test_gradient_is_the_derivative():
    rng = np.random.default_rng(7)
    Sigma, theta0 = _setting(rng, 2)
    spec = make_spec(["Qxx", "qx0"], [(1, 0, "target"), (1, 1, "opposite")])
    q = explicit_quadratic(spec, Sigma=Sigma, theta0=theta0, sigma2=R(1, 10))
    syms = sp.symbols(f"u0:{q.size}")
    L = sp.expand(q.value(np.array(syms, dtype=object)))
    u = np.array([_rq(rng) for _ in syms], dtype=object)
    at = dict(zip(syms, u))
    assert list(q.gradient(u)) == [sp.diff(L, s).xreplace(at) for s in syms]


def test_limit_point_is_the_derived_minimiser_for_value_fine_tuning():
    from symbolic.general import derive_spec
    rng = np.random.default_rng(3)
    Sigma, theta0 = _setting(rng, 2)
    spec = make_spec(["v0", "vx", "vy"], [(1, 0, "target")])
    q = explicit_quadratic(spec, Sigma=Sigma, theta0=theta0, sigma2=R(1, 10))
    V, _ = q.matrices(q.limit_point())
    # v_y never reaches the zero-shot loss: the limit keeps its start value 1, in float too
    qf = explicit_quadratic(spec, Sigma=Sigma, theta0=theta0, sigma2=R(1, 10), arithmetic="float")
    assert np.allclose(qf.limit_point(), q.limit_point().astype(float), rtol=1e-10, atol=1e-12)
    s = derive_spec(spec)
    from symbolic.evaluation import evaluate, evaluate_matrix
    from symbolic.strategy import vecexpr_to_sympy
    env = {"Sigma": Sigma, "theta_0": sp.Matrix(theta0), "sigma": sp.sqrt(R(1, 10))}
    assert V[3, 3] == evaluate(s.blocks.vy, env)
    assert list(V[3, 1:3]) == list(evaluate_matrix(vecexpr_to_sympy(s.blocks.vx), env))


def test_bad_input():
    spec = make_spec(["vx", "Qxx"], [(1, 0, "target")])
    with pytest.raises(NotQuadratic):
        explicit_quadratic(spec, d=2)
    with pytest.raises(ValueError, match="arithmetic"):
        explicit_quadratic(make_spec(["vx"], [(1, 0, "target")]), d=2, arithmetic="double")
    with pytest.raises(ValueError, match="Sigma"):
        explicit_quadratic(make_spec(["vx"], [(1, 0, "target")]), Sigma=[[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="train"):
        explicit_quadratic([(1, 0, "target")], d=2)


def _quad_value(q, u_blocks):
    """A _Quad's value at explicit block values."""
    if q.deg == 0:
        return q.val
    if q.deg == 1:
        return sum(sum(g[i] * u_blocks[b][i] for i in range(len(g))) for b, g in q.val.items())
    total = 0
    for (b1, b2), M in q.val.items():
        x, y = u_blocks[b1], u_blocks[b2]
        total += sum(x[i] * M[i, j] * y[j] for i in range(M.shape[0]) for j in range(M.shape[1]))
    return total


def test_every_factor_shape_against_direct_evaluation():
    """Traces and forms with Q_xx (or its transpose) once or twice, next to non-symmetric
    constant matrices, and unknown vector legs: the factor's homogeneous polynomial equals the
    word multiplied out with symbolic entries (the shapes specs produce are a subset)."""
    from symbolic.arithmetic import EXACT
    from symbolic.explicit import _factor, _Matrices
    from symbolic.forms import Tr, const, form
    from symbolic.general import UNKNOWNS
    from symbolic.words import DIM, Atom
    d = 2
    rng = np.random.default_rng(11)
    Bsym, Csym = sp.MatrixSymbol("B", DIM, DIM), sp.MatrixSymbol("C", DIM, DIM)
    a_sym, c_sym = sp.MatrixSymbol("a", DIM, 1), sp.MatrixSymbol("c", DIM, 1)
    env = {"B": sp.Matrix(2, 2, [_rq(rng) for _ in range(4)]), "C": sp.Matrix(2, 2, [_rq(rng) for _ in range(4)]),
           "a": sp.Matrix([_rq(rng), _rq(rng)]), "c": sp.Matrix([_rq(rng), _rq(rng)]), "d": d}
    mats = _Matrices(env, d, EXACT)
    D = sp.Matrix(2, 2, sp.symbols("D0:4"))
    u = sp.Matrix(sp.symbols("u0:2"))
    vals = {"Qxx": list(D), "qx0": list(u)}
    X, B, C = Atom(UNKNOWNS["Qxx"]), Atom(Bsym), Atom(Csym)
    mat = {X: D, X.T: D.T, B: env["B"], B.T: env["B"].T, C: env["C"], C.T: env["C"].T}
    legs = {a_sym: env["a"], c_sym: env["c"], UNKNOWNS["qx0"]: u}
    words = [(X, B), (X.T, B), (X, B, X, C), (X, B, X.T, C), (X.T, B, X.T), (B, X, C, X.T), (X,), (X.T, X)]
    checked = 0
    for w in words:
        prod = sp.eye(d)
        for at in w:
            prod = prod * mat[at]
        q = _factor(Tr(w), mats, {UNKNOWNS["qx0"]: "qx0"}, UNKNOWNS["Qxx"])
        assert sp.expand(_quad_value(q, vals) - prod.trace()) == 0, w
        for left, right in [(a_sym, c_sym), (UNKNOWNS["qx0"], c_sym), (a_sym, UNKNOWNS["qx0"])]:
            if sum(at.expr == UNKNOWNS["Qxx"] for at in w) + (left == UNKNOWNS["qx0"]) + (right == UNKNOWNS["qx0"]) > 2:
                continue
            f = form(const(left), w, const(right))
            q = _factor(f, mats, {UNKNOWNS["qx0"]: "qx0"}, UNKNOWNS["Qxx"])
            want = (legs[left].T * prod * legs[right])[0, 0]
            assert sp.expand(_quad_value(q, vals) - want) == 0, (w, left, right)
            checked += 1
    assert checked >= 14
