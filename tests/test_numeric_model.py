"""The reference forward pass and prompt sampling follow docs/CONVENTIONS.md."""
import numpy as np
import pytest

from numeric import forward, sample_prompts


def _setting(d=3, seed=0):
    r = np.random.default_rng(seed)
    A = r.standard_normal((d, d))
    return dict(theta=r.standard_normal(d), Sigma=A @ A.T + np.eye(d), sigma2=0.3), r


@pytest.mark.parametrize("n", [0, 1, 7])
def test_forward_equals_token_sum(n):
    s, r = _setting()
    V, Q = r.standard_normal((2, 5, 5))
    Z, _ = sample_prompts(r, n=n, size=6, **s)
    got = forward(Z, V, Q)
    assert got.shape == (6,)
    for z, f in zip(Z, got):
        q = z[:, -1]
        # f = v^T (sum_i z_i z_i^T + q q^T) Q q / (n+1), v^T = V[-1, :]
        M = sum(np.outer(z[:, i], z[:, i]) for i in range(n + 1))
        assert f == pytest.approx(V[-1] @ M @ Q @ q / (n + 1), rel=1e-12, abs=1e-12)
    assert forward(Z[0], V, Q).shape == ()


def test_forward_broadcasts_batched_parameters():
    s, r = _setting(d=2)
    Z, _ = sample_prompts(r, n=4, size=3, **s)
    V, Q = r.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(forward(Z, V, Q), [forward(Z[i], V[i], Q[i]) for i in range(3)], rtol=1e-12)


def test_forward_rejects_bad_shapes():
    Z = np.zeros((2, 4, 3))
    with pytest.raises(ValueError, match="^V: expected a real 4x4"):
        forward(Z, np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="^Q: .*finite"):
        forward(Z, np.eye(4), np.full((4, 4), np.inf))
    with pytest.raises(ValueError, match="^Z: expected"):
        forward(np.zeros(3), np.eye(3), np.eye(3))


def test_prompt_layout():
    s, r = _setting(d=2)
    Z, y = sample_prompts(r, n=3, size=5, **s)
    assert Z.shape == (5, 4, 4) and y.shape == (5,)
    assert np.all(Z[:, 0, :] == 1) and np.all(Z[:, -1, -1] == 0)
    Z0, y0 = sample_prompts(r, n=0, size=2, **s)
    assert Z0.shape == (2, 4, 1) and np.all(Z0[:, -1, 0] == 0)


def test_prompts_do_not_depend_on_chunking():
    s, _ = _setting(d=2)
    Za, ya = sample_prompts(np.random.default_rng(9), n=4, size=10, **s)
    g = np.random.default_rng(9)
    parts = [sample_prompts(g, n=4, size=k, **s) for k in (3, 0, 7)]
    np.testing.assert_array_equal(Za, np.concatenate([p[0] for p in parts]))
    np.testing.assert_array_equal(ya, np.concatenate([p[1] for p in parts]))


def test_prompt_moments():
    """Sample moments of (x, y): E[x x^T] = Sigma, E[x y] = Sigma theta, Var y = theta^T Sigma theta + sigma2.

    Tolerance: 5 estimated standard errors per entry (entries are averages of 60000 products
    of jointly Gaussian pairs; 9 entries at |z| < 5: a false alarm has probability < 1e-4 even
    with the mildly heavy tails of products).
    """
    s, _ = _setting(d=2, seed=3)
    Z, y = sample_prompts(7, n=2, size=20000, **s)
    Y = np.concatenate([Z[:, 3, :2].reshape(-1), y])
    Xq = np.concatenate([Z[:, 1:3, :2].transpose(0, 2, 1).reshape(-1, 2), Z[:, 1:3, 2]])
    W = np.column_stack([Xq, Y])
    C = np.block([[s["Sigma"], (s["Sigma"] @ s["theta"])[:, None]],
                  [(s["Sigma"] @ s["theta"])[None, :], np.array([[s["theta"] @ s["Sigma"] @ s["theta"] + s["sigma2"]]])]])
    prods = W[:, :, None] * W[:, None, :]
    se = prods.std(0) / np.sqrt(len(W))
    assert np.all(np.abs(prods.mean(0) - C) < 5 * se)


def test_numeric_does_not_import_symbolic():
    import subprocess
    import sys

    code = ("import sys, numeric, numeric.fast, numeric.montecarlo, numeric.testing, numeric.strategies; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('symbolic', 'proofs')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
