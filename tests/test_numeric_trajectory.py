"""proofs.quantities.numeric_trajectory: full fine-tuning's quartic loss and gradient, and its numeric path.

The moment-tensor loss is checked against the derived closed form with every block free
(symbolic engine, evaluated in float64) at random (V, Q) and a non-identity Sigma; the gradient
against central differences; the path starts at the pretrained errors and its zero-shot error
decreases."""
from __future__ import annotations

import numpy as np
import sympy as sp

from proofs.quantities.numeric_trajectory import full_loss_and_grad, full_trajectory, general_error, moments


def test_loss_is_the_derived_zero_shot_error_and_the_gradient_its_derivative():
    S_exact = sp.Matrix([[2, 1], [1, 2]]) / 2
    S = np.array(S_exact.tolist(), dtype=float)
    M6, M4 = moments(tuple(tuple(r) for r in S_exact.tolist()))
    rng = np.random.default_rng(5)
    th = np.array([1.0, -0.5])
    for _ in range(3):
        V, Q = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
        v, Qk = V[3, :3], Q[:3, :3]
        loss, gv, gQ = full_loss_and_grad(v, Qk, th, M6, M4, float(th @ S @ th) + 0.2)
        assert abs(loss - general_error(V, Q, th, S, 0.2, 0)) < 1e-9 * max(1, abs(loss))
        h = 1e-6
        for i in range(3):
            e = np.zeros(3)
            e[i] = h
            fd = (full_loss_and_grad(v + e, Qk, th, M6, M4, 0)[0] - full_loss_and_grad(v - e, Qk, th, M6, M4, 0)[0]) / (2 * h)
            assert abs(fd - gv[i]) < 1e-5 * max(1, abs(fd))
        E = np.zeros((3, 3))
        E[1, 2] = h
        fd = (full_loss_and_grad(v, Qk + E, th, M6, M4, 0)[0] - full_loss_and_grad(v, Qk - E, th, M6, M4, 0)[0]) / (2 * h)
        assert abs(fd - gQ[1, 2]) < 1e-5 * max(1, abs(fd))


def test_path_starts_pretrained_and_descends():
    rows, _, diverged = full_trajectory(eta=0.002, steps=300, every=100, d=2, sigma2=0.1, n=None)
    assert diverged is None
    first = rows[0][1]
    assert abs(first["zero_shot"] - 1.1) < 1e-12 and abs(first["few_shot_opposite"] - 0.1) < 1e-12
    z = [e["zero_shot"] for _, e in rows]
    assert all(a > b for a, b in zip(z, z[1:]))


def test_paired_contraction_equals_the_plain_tensor_contraction():
    """The loss and gradient, contracted over the pairs m <= n of M6's symmetric last indices, equal
    the plain contraction over the full tensor (written here with einsum, independently) at a random
    non-symmetric Q and dense Sigma; and the gradient equals central differences of the loss."""
    import numpy as np
    from proofs.quantities.numeric_trajectory import full_loss_and_grad, moments
    S = ((2, 1, 0), (1, 3, 1), (0, 1, 2))
    M6, M4 = moments(S)
    rng = np.random.default_rng(3)
    v, Q, th = rng.standard_normal(4), rng.standard_normal((4, 4)), rng.standard_normal(3)
    quartic = np.einsum("ijklmn,i,jk,l,mn->", M6, v, Q, v, Q)
    lin = np.einsum("ijkp,i,jk,p->", M4, v, Q, th)
    loss, gv, gQ = full_loss_and_grad(v, Q, th, M6, M4, 0.7)
    assert abs(loss - (quartic - 2 * lin + 0.7)) <= 1e-12 * abs(loss)
    h = 1e-6
    for k in range(4):
        e = np.zeros(4)
        e[k] = h
        fd = (full_loss_and_grad(v + e, Q, th, M6, M4, 0.7)[0] - full_loss_and_grad(v - e, Q, th, M6, M4, 0.7)[0]) / (2 * h)
        assert abs(fd - gv[k]) <= 1e-6 * max(1.0, abs(gv[k]))
    for i, j in ((0, 1), (2, 3), (1, 1)):
        E = np.zeros((4, 4))
        E[i, j] = h
        fd = (full_loss_and_grad(v, Q + E, th, M6, M4, 0.7)[0] - full_loss_and_grad(v, Q - E, th, M6, M4, 0.7)[0]) / (2 * h)
        assert abs(fd - gQ[i, j]) <= 1e-6 * max(1.0, abs(gQ[i, j]))
