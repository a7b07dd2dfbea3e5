"""LoRA's path: gradient descent on the factors (numeric.lora) against the reduced rank-1
dynamics (symbolic.lowrank_path), the rank-r optimum it ends at (symbolic.lowrank_concrete), the
subspace it picks, and the symmetric start's closed-form flow time."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from numeric.lora import BlockQuadratic, lora_descent, lora_start
from symbolic.arithmetic import FLOAT64
from symbolic.lowrank_concrete import eckart_young, kronecker_quadratic
from symbolic.lowrank_path import RK, reduce_rank1, start_coordinates, symmetric_flow_time
from symbolic.objective import M, SIGMA_NOISE
from symbolic.spec import Rank, make_spec
from symbolic.words import DIM

LOSS = [(1, 5, "target")]
THETA0 = [sp.Rational(1, 2), 1, 0, sp.Rational(-1, 2)]


def _quadratic(block: str, d: int = 4, m=sp.oo, theta0=THETA0, Sigma=None, loss=LOSS):
    kq = kronecker_quadratic(make_spec([Rank(block, 1)], loss), d=d, theta0=theta0, Sigma=Sigma,
                             sigma2=sp.Rational(1, 10), m=m, arithmetic=FLOAT64)
    return kq, BlockQuadratic.kronecker(kq.H, kq.S, kq.G, kq.L0)


@pytest.mark.parametrize("block, m", [("Q", sp.oo), ("Qxx", sp.oo), ("Q", 5)])
def test_rank1_descent_is_the_reduced_scalar_dynamics(block, m):
    """Full gradient descent on (B, A) from LoRA's start and gradient descent on the reduced
    loss in 7 (Q) or 4 (Q_xx) scalars give the same path, step by step."""
    kq, q = _quadratic(block, m=m)
    _, A0 = lora_start(q.shape, 1, seed=4)
    path = lora_descent(q, 1, lr=0.05, steps=300, A0=A0, every=30)
    R = reduce_rank1(make_spec([Rank(block, 1)], LOSS), M if m != sp.oo else sp.oo)
    t0 = np.array(THETA0, dtype=float)
    z0, w = start_coordinates(block, A0[0], t0)
    values = {RK: float(np.linalg.norm(t0)), DIM: 4, SIGMA_NOISE: np.sqrt(0.1)} | ({M: m} if m != sp.oo else {})
    steps, Z = R.descent(z0, 0.05, 300, values, every=30)
    assert list(steps) == list(path.steps)
    worst = max(np.abs(R.delta(z, t0, w) - D).max() for z, D in zip(Z, path.deltas))
    assert worst < 1e-10
    f, _ = R.numeric(R.loss, values)
    assert [f(z) for z in Z] == pytest.approx(list(path.loss), rel=1e-12)


@pytest.mark.parametrize("block", ["Q", "Qxx"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_lora_ends_at_the_rank_r_optimum_on_the_subspace_of_its_start(block, rank):
    """From B = 0 and A ~ N(0, 1/cols), LoRA converges to the optimum over rank-r updates (its
    loss), and the perp directions it prunes are the projection of A's start rows onto theta_0's
    complement (Sigma = I, d = 4; below full rank the optimum is a family and LoRA picks this one)."""
    kq, q = _quadratic(block)
    opt = eckart_young(kq, rank)
    path = lora_descent(q, rank, lr=0.1, steps=5000, seed=rank, every=5000, tol=1e-10)
    assert path.loss[-1] == pytest.approx(opt.loss, rel=1e-8)
    t = np.array(THETA0, dtype=float)
    t /= np.linalg.norm(t)
    x = slice(1, 5) if block == "Q" else slice(0, 4)
    Ax = path.A0[:, x]
    Pstart = Ax - np.outer(Ax @ t, t)                      # A's start rows, theta_0's complement
    rows = path.Delta[:, x]                                # the update's input side
    # the update's row space (inputs) is the projected start's row space
    U, s, Vt = np.linalg.svd(Pstart)
    proj = Vt[:rank].T @ Vt[:rank]
    assert np.abs(rows @ proj - rows).max() < 1e-6
    assert np.abs(rows @ t).max() < 1e-6                   # theta_0's direction untouched


def test_balance_is_conserved_up_to_the_step():
    kq, q = _quadratic("Q")
    for lr in (0.02, 0.005):
        path = lora_descent(q, 2, lr=lr, steps=int(4 / lr), seed=1, every=50)
        drift = np.abs(path.balance - path.balance[0]).max()
        assert drift < 0.5 * lr                            # O(eta^2) per step, O(eta) over a fixed time


def test_symmetric_start_flow_time_in_closed_form():
    """A's start orthogonal to e_0 and theta_0: p = b_p a_p follows dp/dt = 2 q (p* - p)
    sqrt(c^2 + 4 p^2); gradient descent with a small step reaches p at time ~ t(p)."""
    spec = make_spec([Rank("Q", 1)], LOSS)
    R = reduce_rank1(spec)
    F = symmetric_flow_time(R)
    d, s2, t0 = 4, 0.1, np.array(THETA0, dtype=float)
    values = {RK: float(np.linalg.norm(t0)), DIM: d, SIGMA_NOISE: np.sqrt(s2)}
    a_p = 0.3
    z0 = np.array([0, 0, 0, 0, 0, 0, a_p])
    eta = 1e-3
    steps, Z = R.descent(z0, eta, 6000, values, every=500)
    sym = F["symbols"]
    T = F["time"].xreplace({sp.sympify(k): v for k, v in values.items()} | {sym["c"]: a_p ** 2})
    for s, z in zip(steps[1:], Z[1:]):
        p = z[2] * z[6]
        assert float(T.xreplace({sym["p"]: p})) == pytest.approx(eta * s, rel=0.02)
    assert F["p_star"] == -1                               # the perp direction's Q_xx entry is killed


def test_lora_start_is_b_zero_and_a_at_the_documented_scale():
    B, A = lora_start((5, 4), 2, seed=0)
    assert not B.any() and A.shape == (2, 4)
    many = lora_start((400, 400), 400, seed=1)[1]
    assert np.std(many) == pytest.approx(1 / np.sqrt(400), rel=0.01)


@pytest.mark.parametrize("kwargs, message", [
    (dict(rank=0), "rank: expected an integer 1 <= rank <= 4"),
    (dict(rank=5), "rank: expected an integer 1 <= rank <= 4"),
    (dict(rank=1, lr=-1.0), "lr: expected a positive finite step size"),
    (dict(rank=1, steps=-1), "steps: expected an integer"),
    (dict(rank=1, A0=np.zeros((2, 4))), r"A0: expected shape \(1, 4\)"),
])
def test_bad_input(kwargs, message):
    q = BlockQuadratic.kronecker(np.eye(4), np.eye(4), np.ones((4, 4)))
    with pytest.raises(ValueError, match=message):
        lora_descent(q, **kwargs)


def test_dense_form_is_the_kronecker_form():
    """L0 + tr(D S D^T H) - 2 tr(D^T G) = L0 + vec(D)^T (H (x) S) vec(D) - 2 vec(G)^T vec(D) (row-major vec):
    the two forms give the same value and gradient at random D, and the curvature is the largest
    eigenvalue of the Hessian 2 (H (x) S), computed densely. Exact to rounding. value_grad gives
    value and grad bit for bit."""
    r = np.random.default_rng(6)
    a, b = r.standard_normal((3, 3)), r.standard_normal((4, 4))
    H, S, G = a @ a.T + 0.1 * np.eye(3), b @ b.T + 0.1 * np.eye(4), r.standard_normal((3, 4))
    kron = BlockQuadratic.kronecker(H, S, G, 0.7)
    dense = BlockQuadratic.dense(np.kron(H, S), G.reshape(-1), (3, 4), 0.7)
    for _ in range(3):
        D = r.standard_normal((3, 4))
        assert kron.value(D) == pytest.approx(dense.value(D), rel=1e-12)
        np.testing.assert_allclose(kron.grad(D), dense.grad(D), rtol=1e-11, atol=1e-12)
        for q in (kron, dense):   # value_grad (BFGS's one call) is value and grad, to the bit
            v, g = q.value_grad(D)
            assert v == q.value(D) and np.array_equal(g, q.grad(D))
    top = float(np.linalg.eigvalsh(2 * np.kron(H, S))[-1])
    assert kron.curvature() == pytest.approx(top, rel=1e-12) and dense.curvature() == pytest.approx(top, rel=1e-12)


def test_bfgs_factors_is_the_textbook_bfgs_to_the_bit():
    """bfgs_factors' runs (its products by ndarray.dot, its update's outer products by broadcasting)
    are the textbook BFGS written with @ and np.outer (below) to the bit: final losses, the best
    run's update, the converged flags, on a random Kronecker quadratic, ranks 1 and 2."""
    from numeric.lora import bfgs_factors

    def textbook(q, rank, starts, seed, max_iter, tol):
        rows, cols = q.shape
        nb = rows * rank
        rng = np.random.default_rng(seed)

        def f(x):
            B, A = x[:nb].reshape(rows, rank), x[nb:].reshape(rank, cols)
            D = B @ A
            val = q.L0 + float(np.sum((q.H @ D @ q.S) * D)) - 2 * float(np.sum(q.G * D))
            Gd = 2 * (q.H @ D @ q.S - q.G)
            return val, np.concatenate([(Gd @ A.T).reshape(-1), (B.T @ Gd).reshape(-1)])
        out = []
        for _ in range(starts):
            x = rng.normal(0.0, 1.0 / np.sqrt(cols), size=nb + rank * cols)
            fx, g = f(x)
            Hinv = np.eye(x.size)
            ok = False
            for _ in range(max_iter):
                if np.sqrt(g @ g) <= tol * max(1.0, abs(fx)):
                    ok = True
                    break
                p = -Hinv @ g
                if g @ p >= 0:
                    Hinv, p = np.eye(x.size), -g
                gp, step = g @ p, 1.0
                while True:
                    x_new = x + step * p
                    f_new, g_new = f(x_new)
                    if f_new <= fx + 1e-4 * step * gp or step < 1e-20:
                        break
                    step /= 2
                if step < 1e-20:
                    break
                s, y = x_new - x, g_new - g
                if s @ y > 1e-16 * max(1.0, np.sqrt(s @ s) * np.sqrt(y @ y)):
                    rho, Hy = 1.0 / (s @ y), Hinv @ y
                    Hinv = Hinv - rho * (np.outer(s, Hy) + np.outer(Hy, s)) + (rho * rho * (y @ Hy) + rho) * np.outer(s, s)
                x, fx, g = x_new, f_new, g_new
            else:
                ok = bool(np.sqrt(g @ g) <= tol * max(1.0, abs(fx)))
            out.append((fx, x[:nb].reshape(rows, rank) @ x[nb:].reshape(rank, cols), ok))
        return out
    r = np.random.default_rng(11)
    a, b = r.standard_normal((4, 4)), r.standard_normal((3, 3))
    q = BlockQuadratic.kronecker(a @ a.T + 0.1 * np.eye(4), b @ b.T + 0.1 * np.eye(3), r.standard_normal((4, 3)), 1.3)
    for rank in (1, 2):
        runs = bfgs_factors(q, rank, starts=2, seed=rank, max_iter=40, tol=1e-9)
        ref = textbook(q, rank, 2, rank, 40, 1e-9)
        assert runs.losses.tolist() == [fx for fx, _, _ in ref]
        assert runs.converged.tolist() == [ok for _, _, ok in ref]
        best = min(range(2), key=lambda i: ref[i][0])
        assert runs.best == ref[best][0] and np.array_equal(runs.Delta, ref[best][1])
