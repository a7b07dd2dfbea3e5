"""Q_xx at large d without d^4 memory: the structured Hessian and its solve.

:mod:`symbolic.structured` writes a spec's loss in the trained entries as Kronecker terms plus
a dense part over features of Q_xx; :mod:`symbolic.structured_solve` finds the point gradient
descent reaches from it in O(d^3).  Each is checked here against an *independent* computation:

* the operator ``u -> A u`` (the Kronecker terms applied as products, and entrywise in Sigma's
  eigen-frame) against :func:`symbolic.explicit.explicit_quadratic`'s dense A, b, c (its own
  index bookkeeping, no shared code beyond the Wick polynomial), in the original frame;
* the capacity matrices ``Psi Kc Psi^T`` against the same product of dense matrices;
* the point, the number of free directions and the free space against the dense path of
  :mod:`proofs.quantities.concrete_minimiser` (eigen-decomposition of the dense A) at d <= 16, and against exact
  rational arithmetic at d = 3 for a second stage (where the dense float path used to keep noise
  eigenvalues: fixed with this file);
* at d = 34, where the command line takes the structured route, the point against the dense A:
  A u = b, and u - u_0 has no component along null(A) (the start's free part is kept).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import proofs.quantities.concrete_minimiser as cs
from proofs.quantities.setting import setting
from symbolic.explicit import explicit_quadratic
from symbolic.spec import spec_from_json
from symbolic.structured import structured_quadratic
from symbolic.structured_solve import FreeSpace, Unstructured, _Entrywise, _inverse, capacity, solve_structured

ROOT = Path(__file__).resolve().parent.parent
START = {"V": [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0.2, 0.5, -0.3, 0.25, 1]],
         "Q": [[0.1, 0, 0, 0, 0], [0, 1, 0.2, 0, 0], [0.3, 0, 1, 0, 0], [0, 0.1, 0, 0.5, 0], [0, 0.2, 0, 0, 0]]}
#: V's last row (0, 0, 0, 0, 1) (as pretrained), Q with nonzero Q_0x, Q_yx: their free parts must be kept
START_VY = {"V": [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]],
            "Q": [[0.1, 0.4, -0.2, 0.3, 0], [0, 1, 0.2, 0, 0], [0.3, 0, 1, 0, 0], [0, 0.1, 0, 0.5, 0],
                  [0, 0.2, -0.7, 0.5, 0]]}
FAM = {"mean": "target", "cov": "1/2"}
#: every route of the solver: K = 0 (families), K invertible (unique, or families in the vector
#: blocks), second stages of each kind, features on both sides of Q_xx, traces, transposed pairs
SPECS = {
    "query-xx-limit": {"train": ["Qxx"], "loss": [{"n": "inf", "task": "target"}]},
    "query-xx": {"train": ["Qxx"], "loss": [{"n": 5, "task": "target"}]},
    "mixed-limit": {"train": ["Qxx", "qx0"], "loss": [{"n": "inf", "task": "target"}, {"n": "inf", "task": "opposite"}]},
    "mixed-vectors": {"train": ["Qxx", "q0x", "qx0"], "loss": [{"n": "inf", "task": "target"}]},
    "family-unique": {"train": ["Qxx"], "loss": [{"n": "inf", "task": FAM}]},
    "family-free": {"train": ["Qxx", "q0x", "qyx"], "loss": [{"n": "inf", "task": FAM}]},
    "traces": {"train": ["Q00", "Qxx", "qyx"], "loss": [{"n": 3, "task": {"mean": "target", "cov": "1/4"}},
                                                     {"n": "inf", "task": "opposite"}]},
    "then-limit-limit": {"train": ["Qxx"], "loss": [{"n": "inf", "task": "target"}],
                         "then": [{"n": "inf", "task": "opposite"}]},
    "then-limit-finite": {"train": ["Qxx", "qx0"], "loss": [{"n": "inf", "task": "target"}],
                          "then": [{"n": 3, "task": "opposite"}]},
    "then-free-free": {"train": ["Qxx", "q0x", "Q00"], "loss": [{"n": "inf", "task": FAM}],
                       "then": [{"n": "inf", "task": {"mean": "opposite", "cov": "1/3"}}]},
    "then-free-finite": {"train": ["Qxx", "q0x"], "loss": [{"n": "inf", "task": FAM}],
                         "then": [{"n": 3, "task": "opposite"}]},
    "start-both-sides": {"train": ["Qxx", "qyx"], "loss": [{"n": 2, "task": "target"}], "start": START},
    "start-limit": {"train": ["Qxx", "q0x"], "loss": [{"n": "inf", "task": "target"}], "start": START},
    "start-then": {"train": ["Qxx"], "loss": [{"n": "inf", "task": "target"}],
                   "then": [{"n": "inf", "task": {"mean": "opposite", "cov": "1/2"}}], "start": START},
    "start-family-free": {"train": ["Qxx", "q0x", "qyx"], "loss": [{"n": "inf", "task": FAM}], "start": START_VY},
}


def _setting(d: int, dense: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed + d)
    if not dense:
        return dict(d=d, Sigma=np.diag(rng.uniform(0.5, 2.0, d)), theta0=rng.normal(size=d), sigma2=0.1)
    B = rng.normal(size=(d, d))
    return dict(d=d, Sigma=B @ B.T / d + 0.5 * np.eye(d), theta0=rng.normal(size=d), sigma2=0.1)


def _spec(name: str, d: int):
    return spec_from_json(SPECS[name], d)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(np.asarray(b)).max(), 1e-300))


@pytest.mark.parametrize("dense", [False, True], ids=["diagonal-Sigma", "dense-Sigma"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_operator_equals_the_dense_hessian(name: str, dense: bool) -> None:
    """A, b, c of each stage from the structure (Kronecker terms as products, and entrywise in
    the frame) equal explicit_quadratic's dense ones; the entry names agree."""
    d = 3
    spec, kw = _spec(name, d), _setting(d, dense)
    sq = structured_quadratic(spec, **kw)
    assert list(sq.names) == list(explicit_quadratic(spec, arithmetic="float", **kw).names)
    for stage, label in enumerate(["loss", "then"][:len(sq.stages)]):
        q = explicit_quadratic(spec, arithmetic="float", stage=label, **kw)
        for general in (True, False):
            if not general and not sq.stages[stage].diagonal:
                continue
            A, b, c = sq.dense(stage, general=general)
            assert _rel(A, q.A) < 1e-12, (label, general)
            assert np.abs(b - q.b).max() < 1e-12 * max(np.abs(q.A).max(), 1.0)
            assert abs(c - q.c) < 1e-12 * max(abs(q.c), 1.0)
        s0, D0 = sq.to_original(sq.s0, sq.D0)
        assert _rel(sq.join(s0, D0), q.start) < 1e-12


@pytest.mark.parametrize("name", ["start-both-sides", "traces", "mixed-vectors"])
def test_capacity_equals_dense_products(name: str) -> None:
    """``Psi Kc Psi^T`` built block by block equals the product of the dense matrices, for Kc
    the identity, K^-1 and K^-2 (features on both sides of Q_xx, traces, a transposed pair)."""
    d = 3
    sq = structured_quadratic(_spec(name, d), **_setting(d, True))
    n, p = sq.n_coords, sq.ps + d * d
    Psi = np.zeros((n, p))
    for i in range(p):
        e = np.zeros(p)
        e[i] = 1.0
        Psi[:, i] = sq.psi(e[:sq.ps], e[sq.ps:].reshape(d, d))
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 2.0, (d, d))
    bb = rng.uniform(-0.2, 0.2, (d, d))
    k = _inverse(a, (bb + bb.T) / 2)
    for kc in (_Entrywise(np.ones((d, d)), np.zeros((d, d))), k, k.then(k)):
        Kd = np.zeros((p, p))
        Kd[:sq.ps, :sq.ps] = kc.s_coef * np.eye(sq.ps)
        for i in range(d * d):
            E = np.zeros(d * d)
            E[i] = 1.0
            Kd[sq.ps:, sq.ps + i] = kc(E.reshape(d, d)).reshape(-1)
        assert _rel(capacity(sq, kc), Psi @ Kd @ Psi.T) < 1e-12
    # and K^-1 is the inverse of K: X -> a o X + b o X^T
    X = rng.normal(size=(d, d))
    Kx = a * X + (bb + bb.T) / 2 * X.T
    assert np.abs(k(Kx) - X).max() < 1e-12


@pytest.mark.parametrize("name", ["start-both-sides", "traces"])
def test_features_and_their_adjoint(name: str) -> None:
    """``Psi u = (s, D q_j, D^T p_k, tr(G_t D))`` from its definition (matrix products), and
    ``Psi^T`` its adjoint: ``<Psi u, y> = <u, Psi^T y>`` for random u, y.  The specs' trace
    factors G are words in Sigma and the task's covariances, symmetric at every setting tested,
    where ``G`` and ``G^T`` are the same map; a non-symmetric G is appended (the contract of
    psi/psi_T holds for any G) so that a transpose lost in either shows."""
    d = 3
    sq = structured_quadratic(_spec(name, d), **_setting(d, True))
    rng = np.random.default_rng(7)
    sq.traces.append(rng.normal(size=(d, d)))
    s, D = rng.normal(size=sq.ps), rng.normal(size=(d, d))
    E, F = sq.right.matrix, sq.left.matrix
    want = np.concatenate([s] + [D @ E[:, j] for j in range(E.shape[1])] + [D.T @ F[:, k] for k in range(F.shape[1])]
                          + [np.array([np.trace(G @ D) for G in sq.traces])])
    assert np.abs(sq.psi(s, D) - want).max() < 1e-12 * max(1.0, np.abs(want).max())
    y = rng.normal(size=sq.n_coords)
    ys, yD = sq.psi_T(y)
    assert abs(float(sq.psi(s, D) @ y) - (float(s @ ys) + float(np.sum(D * yD)))) < 1e-12 * float(np.abs(y).sum()) * 10


def _factor_value(f, mats, D: np.ndarray, vecs: dict) -> float:
    """A factor's value from its definition: the word's matrices multiplied (Q_xx = D)."""
    from symbolic.forms import Tr
    from symbolic.general import UNKNOWNS

    def mat(a):
        M = D if a.expr == UNKNOWNS["Qxx"] else mats.atom(type(a)(a.expr, a.symmetric, False))
        return M.T if a.transposed else M
    W = np.eye(D.shape[0])
    for a in f.word:
        W = W @ mat(a)
    if isinstance(f, Tr):
        return float(np.trace(W))
    def vec(o):
        return vecs[o] if o in vecs else mats.vector(o)
    return float(vec(f.left.obj) @ W @ vec(f.right.obj))


def _structured_value(val: tuple, D: np.ndarray, vecs: dict) -> float:
    """A factor's value from the builder's structured reading of it."""
    kind, v = val

    def handle(h):
        if h[0] == "s":
            return vecs[h[1]]
        if h[0] == "T":
            return np.array([np.trace(h[1] @ D)])
        return D @ h[1] if h[0] == "R" else D.T @ h[1]
    if kind == "num":
        return v
    if kind == "kron":
        P, R, tX, tY = v
        X, Y = (D.T if tX else D), (D.T if tY else D)
        return float(np.trace(X @ P @ Y @ R))
    if kind == "quad":
        return float(sum(handle(h1) @ np.asarray(M).reshape(len(handle(h1)), -1) @ handle(h2) for h1, M, h2 in v))
    total = 0.0
    for comp in v:
        if comp[0] == "flex":
            total += comp[1] @ D @ comp[2]
        else:
            total += float(handle(comp[0]) @ np.atleast_1d(comp[1]))
    return total


def test_factors_read_as_their_definition() -> None:
    """Every shape of factor (one or two Q_xx atoms, transposed or not, in traces and forms,
    with trained vectors on either side), with *non-symmetric* matrices around Q_xx: the
    structured reading (feature, trace, Kronecker term, bilinear block) has the value of the
    factor's definition at a random Q_xx."""
    import sympy as sp
    from symbolic.arithmetic import FLOAT64
    from symbolic.explicit import _Matrices
    from symbolic.forms import Form, Leg, Tr
    from symbolic.general import UNKNOWNS
    from symbolic.structured import _Builder
    from symbolic.words import DIM, Atom
    d = 4
    rng = np.random.default_rng(5)
    M1, M2, a, b, u = rng.normal(size=(d, d)), rng.normal(size=(d, d)), rng.normal(size=d), rng.normal(size=d), \
        rng.normal(size=d)
    env = {"Sigma": np.eye(d), "theta_0": np.ones((d, 1)), "sigma": 0, "d": d, "M": M1, "N": M2,
           "a": a.reshape(-1, 1), "b": b.reshape(-1, 1)}
    mats = _Matrices(env, d, FLOAT64)
    qxx = UNKNOWNS["Qxx"]
    usym = UNKNOWNS["qyx"]
    builder = _Builder(mats, d, {usym: "qyx"}, qxx)
    X, M, N = Atom(qxx), Atom(sp.MatrixSymbol("M", DIM, DIM)), Atom(sp.MatrixSymbol("N", DIM, DIM))
    A_, B_ = Leg("c", sp.MatrixSymbol("a", DIM, 1)), Leg("c", sp.MatrixSymbol("b", DIM, 1))
    U_ = Leg("c", usym)
    factors = [Tr((X, M)), Tr((X.T, M)), Tr((M, X.T, N)), Tr((X, M, X.T, N)), Tr((X.T, M, X, N)), Tr((X, M, X, N)),
               Tr((X.T, M, X.T, N)), Tr((M, X, N, X.T)), Tr((N, X.T, M, X.T)),
               Form(A_, (X,), B_), Form(A_, (M, X.T, N), B_), Form(A_, (M, X, N, X.T), B_),
               Form(A_, (X.T, M, X), B_), Form(A_, (M, X.T, N, X.T, M), B_), Form(U_, (M, X, N), B_),
               Form(A_, (M, X.T, N), U_), Form(U_, (X.T,), B_), Form(A_, (X, M), U_)]
    vecs = {usym: u, "qyx": u}
    for f in factors:
        D = rng.normal(size=(d, d))
        assert abs(_structured_value(builder.factor(f), D, vecs) - _factor_value(f, mats, D, vecs)) \
            < 1e-10 * max(1.0, abs(_factor_value(f, mats, D, vecs))), f


def test_kronecker_operator_is_the_half_gradient() -> None:
    """``kron_apply_general`` for ``k tr(X P Y R)`` with non-symmetric P, R and each (X, Y) in
    {D, D^T}^2: symmetric, ``<D, K D>`` the term's value; with diagonal P, R the entrywise
    ``alpha o D + beta o D^T`` is the same operator."""
    from symbolic.structured import Stage, StructuredQuadratic, _entrywise
    d = 4
    rng = np.random.default_rng(6)
    for tX in (False, True):
        for tY in (False, True):
            for diagonal in (False, True):
                P, R = rng.normal(size=(d, d)), rng.normal(size=(d, d))
                if diagonal:
                    P, R = np.diag(np.diagonal(P)), np.diag(np.diagonal(R))
                kron = [(0.7, P, R, tX, tY)]
                alpha, beta = _entrywise(kron, d)
                st = Stage(np.zeros((0, 0)), np.zeros(0), 0.0, kron, alpha, beta)
                stub = type("S", (), {"stages": [st]})()
                K = lambda Z: StructuredQuadratic.kron_apply_general(stub, 0, Z)  # noqa: E731
                D, E = rng.normal(size=(d, d)), rng.normal(size=(d, d))
                X, Y = (D.T if tX else D), (D.T if tY else D)
                assert abs(np.sum(D * K(D)) - 0.7 * np.trace(X @ P @ Y @ R)) < 1e-10
                assert abs(np.sum(E * K(D)) - np.sum(D * K(E))) < 1e-10
                if diagonal:
                    assert np.abs(alpha * D + beta * D.T - K(D)).max() < 1e-12
                else:
                    assert alpha is None


def test_refinement_keeps_every_digit() -> None:
    """Features on both sides of Q_xx, a transposed Kronecker pair, a dense Sigma (the setting of
    the tests above, read as exact rationals): the refined point matches exact rational
    arithmetic to 1e-13 (measured 1.8e-14; unrefined 7.6e-12, the dense float path 1.4e-12)."""
    d = 3
    kw = _setting(d, True)
    S = sp.Matrix([[sp.Rational(x) for x in row] for row in kw["Sigma"]])
    S = (S + S.T) / 2
    t = sp.Matrix([sp.Rational(x) for x in kw["theta0"]])
    spec = _spec("start-both-sides", d)
    exact = _minimise(spec, d=d, Sigma=S, theta0=t, sigma2=sp.Rational(1, 10))
    kw = dict(d=d, Sigma=np.array(S.tolist(), dtype=float), theta0=np.array(t.tolist(), dtype=float).ravel(),
              sigma2=0.1)
    assert _rel(solve_structured(structured_quadratic(spec, **kw)).u, np.array(exact.u.tolist(), dtype=float)) < 1e-13


def _dense(spec, kw):
    return _minimise(spec, arithmetic="float", **kw)


@pytest.mark.parametrize("dense", [False, True], ids=["diagonal-Sigma", "dense-Sigma"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_point_equals_the_dense_path(name: str, dense: bool) -> None:
    """At d = 3 every spec: the point, (V, Q), uniqueness, the number of free directions and the
    free space (as a projector) equal the dense path's (eigen-decomposition of the dense A)."""
    d = 3
    spec, kw = _spec(name, d), _setting(d, dense)
    sol = solve_structured(structured_quadratic(spec, **kw))
    ref = _dense(spec, kw)
    assert _rel(sol.u, ref.u) < 1e-10
    assert _rel(sol.Q, ref.Q) < 1e-10 and _rel(sol.V, ref.V) < 1e-10
    assert sol.unique == ref.unique and sol.free.count == ref.n_free
    N = np.asarray(ref.free_basis, dtype=float)
    P = N @ N.T
    basis = sol.free.basis(10**6)
    B = np.column_stack(basis) if basis else np.zeros((len(ref.u), 0))
    assert B.shape[1] == N.shape[1] and np.abs(B @ B.T - P).max() < 1e-9
    v = np.random.default_rng(2).normal(size=len(ref.u))
    assert np.abs(sol.free.project(v) - P @ v).max() < 1e-9
    assert abs(sol.loss - ref.loss) < 1e-10 * max(1.0, abs(ref.loss))


@pytest.mark.parametrize("name", ["query-xx-limit", "mixed-limit", "family-free", "then-free-finite", "traces"])
def test_point_equals_the_dense_path_at_d16(name: str) -> None:
    """At d = 16 (256 entries of Q_xx), a dense Sigma: equal to the dense path to 1e-10."""
    d = 16
    spec, kw = _spec(name, d) if "start" not in SPECS[name] else None, _setting(d, True)
    sol = solve_structured(structured_quadratic(spec, **kw))
    ref = _dense(spec, kw)
    assert _rel(sol.u, ref.u) < 1e-10
    assert sol.free.count == ref.n_free


def test_second_stage_equals_exact_arithmetic() -> None:
    """A second stage flat on the first's minimisers (both losses at n -> oo): nothing moves.
    Exact rationals, the structure and the (fixed) dense float path agree; before the fix the
    dense float path kept noise eigenvalues of the zero reduced Hessian and moved Q_xx by ~1."""
    d = 3
    S = sp.Matrix([[2, sp.Rational(1, 2), 0], [sp.Rational(1, 2), 1, sp.Rational(1, 3)], [0, sp.Rational(1, 3), 3]])
    t = sp.Matrix([1, -sp.Rational(1, 2), 2])
    spec = _spec("then-limit-limit", d)
    exact = _minimise(spec, d=d, Sigma=S, theta0=t, sigma2=sp.Rational(1, 10))
    kw = dict(d=d, Sigma=np.array(S.tolist(), dtype=float), theta0=np.array(t.tolist(), dtype=float).ravel(),
              sigma2=0.1)
    E = np.array(exact.u.tolist(), dtype=float)
    assert _rel(solve_structured(structured_quadratic(spec, **kw)).u, E) < 1e-12
    assert _rel(_dense(spec, kw).u, E) < 1e-12
    assert _dense(spec, kw).n_free == len(exact.free_directions) == 6


def test_second_stage_along_free_directions_with_a_qxx_part() -> None:
    """A first loss with an invertible Kronecker part whose free directions move Q_xx: noiseless
    (sigma^2 = 0), V's last row e_y, Q_xx and q_yx trained on the 2-shot loss, the prediction's
    x_q-coefficient is ``Q_xx^T a + mean(y^2) q_yx`` with ``a = mean(x y) = mean(x x^T) theta_0``
    and ``mean(y^2) = theta_0^T a``: ``(Q_xx, q_yx) = (-theta_0 w^T, w)`` changes nothing, d free
    directions each with a Q_xx part.  The second loss (3-shot on -theta_0) moves along them.
    Against exact rational arithmetic (the dense exact path): the first stage (d free
    directions, the point) and the second stage's point.  Before the fix of the refinement's
    check (a residual's rounding along null(S) read as "no solution") the first stage raised."""
    d = 3
    S = sp.Matrix([[2, sp.Rational(1, 2), 0], [sp.Rational(1, 2), 1, sp.Rational(1, 3)], [0, sp.Rational(1, 3), 3]])
    t = sp.Matrix([1, -sp.Rational(1, 2), 2])
    kw = dict(d=d, Sigma=np.array(S.tolist(), dtype=float), theta0=np.array(t.tolist(), dtype=float).ravel(),
              sigma2=0.0)
    one = {"train": ["Qxx", "qyx"], "loss": [{"n": 2, "task": "target"}], "start": START_VY}
    two = {**one, "then": [{"n": 3, "task": "opposite"}]}
    for js, n_free in ((one, d), (two, 0)):
        spec = spec_from_json(js, d)
        exact = _minimise(spec, d=d, Sigma=S, theta0=t, sigma2=0)
        assert len(exact.free_directions) == n_free
        sq = structured_quadratic(spec, **kw)
        sol = solve_structured(sq)
        assert sol.free.count == n_free
        assert _rel(sol.u, np.array(exact.u.tolist(), dtype=float).ravel()) < 1e-12
        if n_free:      # the free directions move Q_xx (what makes the second stage's step need K^-1)
            B = np.column_stack(sol.free.basis(10**6))
            assert np.abs(B[[i for i, nm in enumerate(sq.names) if nm.startswith("Q_xx")]]).max() > 0.1


@pytest.mark.parametrize("name", ["mixed-limit", "family-free"])
def test_structured_route_at_d33_against_the_dense_hessian(name: str) -> None:
    """d = 33 (1,089 entries of Q_xx, 1,122 trained: above EIGH_MAX): concrete_minimiser takes
    the structured route; its point solves A u = b for the dense A and keeps the start's
    component along null(A); the count of free directions is that of the dense A's zero
    eigenvalues."""
    d = 33
    if True:
        spec, kw = _spec(name, d), _setting(d, True)
        sol = _minimise(spec, arithmetic="float", **kw)
        assert sol.structure == "structured"
        q = explicit_quadratic(spec, arithmetic="float", **kw)
        w, U = np.linalg.eigh(q.A)
        null = U[:, w <= 1e-10 * w.max()]
        assert np.abs(q.A @ sol.u - q.b).max() < 1e-10 * np.abs(q.A).max() * max(1.0, np.abs(sol.u).max())
        assert np.abs(null.T @ (sol.u - q.start)).max() < 1e-9
        assert sol.n_free == null.shape[1]
        assert abs(sol.loss - q.value(sol.u)) < 1e-10 * max(1.0, abs(q.value(sol.u)))


def test_size_bound_refused_before_any_work(monkeypatch) -> None:
    """Above STRUCTURED_MAX_D: a ValueError naming the bound, nothing built."""
    import symbolic.explicit
    import symbolic.structured

    def boom(*a, **k):
        raise AssertionError("built before the refusal")
    monkeypatch.setattr(symbolic.structured, "structured_quadratic", boom)
    monkeypatch.setattr(symbolic.explicit, "explicit_quadratic", boom)
    spec = spec_from_json(SPECS["query-xx-limit"])
    with pytest.raises(ValueError, match=rf"up to d = {cs.STRUCTURED_MAX_D} .*got d = {cs.STRUCTURED_MAX_D + 1}"):
        _minimise(spec, d=cs.STRUCTURED_MAX_D + 1, sigma2=0.1, arithmetic="float")


def test_size_bound_on_the_command_line() -> None:
    """The command line: one line naming the bound, exit status 2."""
    d = cs.STRUCTURED_MAX_D + 1
    r = subprocess.run([sys.executable, "-m", "proofs.cli", "derive", "--spec",
                        str(ROOT / "docs/examples/specs/query-xx-limit.json"), "--d", str(d)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and str(cs.STRUCTURED_MAX_D) in r.stderr


def test_unstructured_spec_falls_back_or_is_refused(monkeypatch) -> None:
    """A task covariance that is not a function of Sigma: the structure refuses (Unstructured);
    concrete_minimiser then uses the dense A up to DENSE_MAX_D and refuses above it, naming it."""
    d = 3
    spec = spec_from_json({"train": ["Qxx"], "loss": [{"n": 3, "task": {
        "mean": "target", "cov": [[1, 0.5, 0], [0.5, 2, 0], [0, 0, 1]]}}]}, d)
    kw = _setting(d, False)
    with pytest.raises(Unstructured, match="not diagonal"):
        solve_structured(structured_quadratic(spec, **kw))
    ref = _dense(spec, kw)
    monkeypatch.setattr(cs, "EIGH_MAX", 5)      # the structured route, at d = 3
    sol = _dense(spec, kw)
    assert sol.structure == "dense" and _rel(sol.u, ref.u) < 1e-10
    monkeypatch.setattr(cs, "DENSE_MAX_D", 2)
    with pytest.raises(ValueError, match="up to d = 2, got d = 3"):
        _dense(spec, kw)


def test_free_directions_for_a_program() -> None:
    """free_json: all free directions at full precision while small (exact: strings, an exact
    basis of null(A)); above the cap, the count and what they are, no list."""
    d = 3
    spec = _spec("query-xx-limit", d)
    exact = _minimise(spec, d=d, sigma2=sp.Rational(1, 10))
    out = cs.free_json(exact)
    assert out["count"] == 6 and len(out["basis"]) == 6
    q = explicit_quadratic(spec, d=d, sigma2=sp.Rational(1, 10))
    A = sp.Matrix(q.A.tolist())
    for direction in out["basis"]:
        v = sp.Matrix([sp.Rational(direction.get(n, "0")) for n in q.names])
        assert A * v == sp.zeros(len(q.names), 1)
    json.dumps(out)
    big = _minimise(_spec("query-xx-limit", 34), d=34, sigma2=0.1, arithmetic="float")
    out = cs.free_json(big)
    assert big.structure == "structured"
    assert out["count"] == 34 * 34 - 34 and out["basis"] is None
    assert "Q_xx^T p for p in span{Sigma theta_0}" in out["described"]
    assert any("free directions" in line for line in cs.free_text(big))


def test_free_space_span_basis_is_null() -> None:
    """The explicit free directions of a family in the vector blocks (K invertible) are null
    vectors of the dense A."""
    d = 3
    spec, kw = _spec("family-free", d), _setting(d, True)
    sol = solve_structured(structured_quadratic(spec, **kw))
    assert sol.free.kind == "span" and sol.free.count > 0
    q = explicit_quadratic(spec, arithmetic="float", **kw)
    for v in sol.free.basis(10**6):
        assert np.abs(q.A @ v).max() < 1e-10 * np.abs(q.A).max()
    assert isinstance(sol.free, FreeSpace)


def _minimise(spec, *, d=None, Sigma=None, theta0=None, sigma2=0, m=None, arithmetic=None):
    """The concrete minimiser at the setting these arguments describe."""
    return cs.concrete_minimiser(spec, setting(d, Sigma=Sigma, theta0=theta0, sigma2=sigma2,
                                               m=None if m == sp.oo else m, arithmetic=arithmetic))
