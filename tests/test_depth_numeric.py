"""numeric.depth: the L-layer reference forward pass and Monte Carlo."""
import numpy as np
import pytest

from numeric import estimate_error, forward, sample_prompts
from numeric.depth import MAX_LAYERS, check_layers, estimate_error_depth, forward_depth


def _setting(d=2, seed=0):
    r = np.random.default_rng(seed)
    A = r.standard_normal((d, d))
    return dict(theta=r.standard_normal(d), Sigma=A @ A.T / d + 0.5 * np.eye(d), sigma2=0.2), r


@pytest.mark.parametrize("n", [0, 1, 6])
def test_one_layer_is_todays_forward_bit_for_bit(n):
    s, r = _setting(d=3)
    V, Q = r.standard_normal((2, 5, 5))
    Z, _ = sample_prompts(r, n=n, size=9, **s)
    assert np.array_equal(forward_depth(Z, [(V, Q)]), forward(Z, V, Q))
    assert np.array_equal(forward_depth(Z, [{"V": V, "Q": Q}]), forward(Z, V, Q))


def test_one_layer_estimate_is_todays_estimate():
    s, r = _setting()
    V, Q = 0.5 * r.standard_normal((2, 4, 4))
    a = estimate_error(V, Q, n=4, samples=3000, seed=7, **s)
    b = estimate_error_depth([(V, Q)], n=4, samples=3000, seed=7, **s)
    assert (a.mean, a.stderr, a.samples) == (b.mean, b.stderr, b.samples)


@pytest.mark.parametrize("n", [0, 3])
def test_two_layers_follow_the_residual_stream(n):
    """Z_1 = Z + V_1 Z Z^T Q_1 Z / N, then the second layer on Z_1: written out token by token."""
    s, r = _setting(d=2, seed=3)
    layers = [tuple(0.4 * r.standard_normal((2, 4, 4))) for _ in range(2)]
    Z, _ = sample_prompts(r, n=n, size=4, **s)
    got = forward_depth(Z, layers)
    for z, f in zip(Z, got):
        N = z.shape[1]
        cur = z.copy()
        for V, Q in layers:
            nxt = cur.copy()
            for j in range(N):          # column j gains sum_i V z_i (z_i^T Q z_j) / N
                nxt[:, j] += sum(V @ cur[:, i] * (cur[:, i] @ Q @ cur[:, j]) for i in range(N)) / N
            cur = nxt
        assert f == pytest.approx(cur[-1, -1], rel=1e-10, abs=1e-12)


def test_query_takes_part_and_its_label_moves():
    """No mask: after layer 1 the query's label entry is non-zero and feeds layer 2."""
    s, r = _setting(d=2, seed=4)
    V = np.zeros((4, 4))
    V[-1, -1] = 1.0
    Q = np.zeros((4, 4))
    Q[1:3, 1:3] = np.eye(2)
    Z, _ = sample_prompts(r, n=3, size=1, **s)
    Z1 = Z[0] + V @ Z[0] @ Z[0].T @ Q @ Z[0] / 4
    assert Z1[-1, -1] != 0
    two = forward_depth(Z, [(V, Q), (V, Q)])[0]
    assert two == pytest.approx(Z1[-1, -1] + (Z1[-1] @ Z1.T @ Q @ Z1[:, -1]) / 4, rel=1e-12)


def test_chunking_does_not_change_the_draws():
    s, r = _setting()
    layers = [tuple(0.3 * r.standard_normal((2, 4, 4))) for _ in range(2)]
    a = estimate_error_depth(layers, n=3, samples=1000, seed=2, **s)
    b = estimate_error_depth(layers, n=3, samples=1000, seed=2, chunk=77, **s)
    assert a.mean == pytest.approx(b.mean, rel=1e-12) and a.stderr == pytest.approx(b.stderr, rel=1e-9)


@pytest.mark.parametrize("layers, match", [
    ([], r"^layers: expected a non-empty list"),
    ("VQ", r"^layers: expected a non-empty list"),
    ([(np.eye(4),)], r"^layers\[0\]: expected a pair"),
    ([(np.eye(4), np.eye(4)), (np.eye(5), np.eye(5))], r"^layers\[1\]\.V: .*mixed d"),
    ([(np.eye(4), [[1, 2, 3, 4], [1, 2], [1, 2, 3, 4], [1, 2, 3, 4]])], r"^layers\[0\]\.Q: expected"),
    ([(np.eye(4), np.full((4, 4), np.nan))], r"^layers\[0\]\.Q: .*NaN"),
    ([(np.eye(4), np.eye(4))] * (MAX_LAYERS + 1), r"^layers: .*deeper than supported"),
    ([{"V": np.eye(4)}], r"^layers\[0\]: expected a mapping with keys V and Q"),
])
def test_bad_layers_one_line_value_error(layers, match):
    with pytest.raises(ValueError, match=match) as e:
        check_layers(layers)
    assert "\n" not in str(e.value)


def test_bad_input_before_any_work():
    s, _ = _setting()
    with pytest.raises(ValueError, match=r"^layers\[0\]\.V: .*with d = 2"):
        estimate_error_depth([(np.eye(5), np.eye(5))], n=2, **s)
    with pytest.raises(ValueError, match=r"^n: "):
        estimate_error_depth([(np.eye(4), np.eye(4))], n=-1, **s)
    with pytest.raises(ValueError, match=r"^layers: "):
        forward_depth(np.zeros((4, 3)), [])
    assert check_layers({"layers": [{"V": np.eye(3), "Q": np.eye(3)}]})[0][0].shape == (3, 3)


def test_class_start_is_the_pretrained_class_model_in_float64():
    """numeric.depth.class_start: V_l = e_y e_y^T, Q_l = blockdiag(0, gamma_l Sigma^-1, 0) (the block
    times Sigma is gamma_l I to rounding, every other entry 0), a layer's given last row of V in
    place of e_y^T; bad input refused naming the argument."""
    from numeric.depth import class_start
    s, _ = _setting(d=3, seed=5)
    d, gam, row = 3, [0.5, -1.25, 2.0], [0.1, 0.2, -0.3, 0.4, 0.9]
    layers = class_start(gam, s["Sigma"], {3: row})
    ey = np.eye(d + 2)[d + 1]
    for l, ((V, Q), g) in enumerate(zip(layers, gam), start=1):
        assert np.array_equal(V, np.outer(ey, row if l == 3 else ey))
        assert Q[1:d + 1, 1:d + 1] @ s["Sigma"] == pytest.approx(g * np.eye(d), abs=1e-12)
        Q[1:d + 1, 1:d + 1] = 0
        assert not Q.any()
    for kw, match in ((dict(gammas=[]), "gammas"), (dict(gammas=[np.nan]), "gammas"), (dict(rows={0: row}), "rows"),
                      (dict(rows={1: row[:3]}), r"rows\[1\]"), (dict(Sigma=[[1, 2], [2, 1]]), "Sigma")):
        with pytest.raises(ValueError, match=match):
            class_start(**{"gammas": gam, "Sigma": s["Sigma"], **kw})
