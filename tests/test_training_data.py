"""Prompt samplers, the prefetcher and checkpoints (numeric.training.data, .checkpoint)."""
from __future__ import annotations

import numpy as np
import pytest

from numeric.training.checkpoint import load_checkpoint, save_checkpoint
from numeric.training.data import DatasetPromptSampler, Prefetcher, TaskPromptSampler, make_dataset
from numeric.training.train import OptimConfig, PretrainConfig, pretrain


def test_task_sampler_layout_and_moments():
    rng = np.random.default_rng(0)
    d, n, sigma2 = 3, 4, 0.25
    s = TaskPromptSampler(d=d, n=n, sigma2=sigma2, batch=40000)
    b = s.fill(rng, s.new_buffer())
    assert b.X.shape == (40000, n + 1, d) and b.Y.shape == (40000, n + 1) and b.target.shape == (40000,)
    assert np.all(b.Y[:, -1] == 0)
    # y = theta^T x + eps with theta ~ N(0, I): E[y^2] = d + sigma2, E[x x^T] = I
    for values, expected in ((b.target ** 2, d + sigma2), (b.Y[:, 0] ** 2, d + sigma2),
                             (b.X[:, 1, 0] ** 2, 1.0), (b.X[:, 1, 0] * b.X[:, 1, 1], 0.0)):
        se = values.std() / np.sqrt(values.size)
        assert abs(values.mean() - expected) < 5 * se


def test_fixed_task_and_sphere_tasks():
    rng = np.random.default_rng(1)
    theta = np.array([1.0, -2.0])
    s = TaskPromptSampler(d=2, n=3, sigma2=0.0, batch=100, theta=theta, noiseless_target=True)
    b = s.fill(rng, s.new_buffer())
    np.testing.assert_allclose(b.Y[:, :-1], b.X[:, :-1] @ theta)
    np.testing.assert_allclose(b.target, b.X[:, -1] @ theta)
    s = TaskPromptSampler(d=2, n=30, sigma2=0.0, batch=50, tasks="sphere")
    b = s.fill(rng, s.new_buffer())
    # noiseless: y_i = theta^T x_i; recover theta per prompt by least squares, |theta| = 1
    th = np.array([np.linalg.lstsq(b.X[k, :-1], b.Y[k, :-1], rcond=None)[0] for k in range(50)])
    np.testing.assert_allclose(np.linalg.norm(th, axis=1), 1.0, rtol=1e-8)
    with pytest.raises(ValueError, match="^tasks: expected one of gaussian, sphere"):
        TaskPromptSampler(d=2, n=1, sigma2=0.1, batch=1, tasks="uniform")


def test_dataset_sampler_draws_examples_of_the_dataset():
    rng = np.random.default_rng(2)
    x, y = make_dataset(rng, theta=np.array([1.0, 0.5]), size=30, sigma2=0.1)
    s = DatasetPromptSampler(x, y, n=4, batch=200)
    b = s.fill(rng, s.new_buffer())
    rows = {tuple(r) for r in x}
    label = dict(zip(map(tuple, x), y))
    for k in range(200):
        for i in range(5):
            assert tuple(b.X[k, i]) in rows
        for i in range(4):
            assert b.Y[k, i] == label[tuple(b.X[k, i])]
        assert b.Y[k, -1] == 0 and b.target[k] == label[tuple(b.X[k, -1])]


@pytest.mark.parametrize("threaded", [False, True])
def test_prefetcher_gives_the_same_draws_with_or_without_thread(threaded):
    s = TaskPromptSampler(d=2, n=3, sigma2=0.1, batch=8)
    rng = np.random.default_rng(7)
    ref = [s.fill(rng, s.new_buffer()).X.copy() for _ in range(5)]
    with Prefetcher(s.fill, s.new_buffer, np.random.default_rng(7), threaded=threaded) as pf:
        got = [pf.next().X.copy() for _ in range(5)]
    for a, b in zip(ref, got):
        assert np.array_equal(a, b)


def test_pretraining_is_reproducible_and_thread_independent():
    cfg = PretrainConfig(d=2, m=4, optim=OptimConfig(steps=20, batch=64, lr=1e-2))
    a = pretrain(cfg, 3, threaded=True)
    b = pretrain(cfg, 3, threaded=False)
    assert np.array_equal(a.V, b.V) and np.array_equal(a.Q, b.Q)
    assert np.array_equal(a.log["loss"], b.log["loss"])
    assert a.V[-1, -1] == 1.0


def test_checkpoint_round_trip(tmp_path):
    cfg = PretrainConfig(d=2, m=4, optim=OptimConfig(steps=10, batch=32))
    r = pretrain(cfg, 0)
    path = save_checkpoint(tmp_path / "pre", r)
    assert path.name == "pre.npz"
    back = load_checkpoint(path)
    assert back.stage == "pretrain" and back.config == r.config and back.scale == r.scale
    assert np.array_equal(back.V, r.V) and np.array_equal(back.Q, r.Q)
    assert back.log.keys() == r.log.keys() and np.array_equal(back.log["loss"], r.log["loss"])
    with pytest.raises(ValueError, match="^path: expected a file in an existing folder"):
        save_checkpoint(tmp_path / "missing" / "x.npz", r)
    with pytest.raises(ValueError, match="^path: expected an existing checkpoint file"):
        load_checkpoint(tmp_path / "nothing.npz")
    np.savez(tmp_path / "other.npz", V=np.eye(4))
    with pytest.raises(ValueError, match="not an icl-finetune checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


def _hint_model(d=3, m=10, sigma2=0.1, vx=0.1):
    g = (m + 1) / (m + 1 + d + sigma2)
    V = np.zeros((d + 2, d + 2))
    V[-1, -1] = 1.0
    V[-1, 1] = vx
    Q = np.zeros((d + 2, d + 2))
    Q[1:d + 1, 1:d + 1] = g * np.eye(d)
    Q[0, 0] = 0.2
    return V, Q


def _z_scores(seed: int, factor: float = 1.0) -> list[float]:
    from numeric.fast import moment_error
    from numeric.training import evaluate_models
    V, Q = _hint_model()
    theta = np.array([1.0, -0.5, 0.0])
    ev = evaluate_models({"m": (V, Q)}, theta, [0, 3], sigma2=0.1, samples=200_000, seed=seed)["m"]
    exact = [moment_error(V, Q, n=n, theta=theta, Sigma=np.eye(3), sigma2=0.1) for n in (0, 3)]
    return [(mu - factor * ex) / se for mu, se, ex in zip(ev.mean, ev.stderr, exact)]


def test_direct_evaluator_agrees_with_exact_errors():
    """Monte Carlo of numeric.training.evaluate_models against numeric.fast.moment_error, |z| < 4.

    Measured over seeds 0..299 (``_z_scores``): no |z| >= 4 among the 600 checks, the
    largest 3.1 (false-alarm rate < 1/300 per run of this test); with the exact values off
    by 1% it fails for 71 of the seeds 0..99 (relative standard errors 0.2% at n = 0, 0.5% at n = 3).
    """
    assert max(abs(z) for z in _z_scores(12345)) < 4


def test_limit_error_is_the_infinitely_many_shot_error():
    from numeric.fast import moment_error
    from numeric.training import limit_error
    V, Q = _hint_model()
    Q[-1, 1] = 0.3                                  # y-row of Q reaches the output too
    for theta in (np.array([1.0, 0.0, 0.0]), np.array([-0.3, 2.0, 1.0])):
        assert limit_error(V, Q, theta, sigma2=0.1) == pytest.approx(
            moment_error(V, Q, n=np.inf, theta=theta, Sigma=np.eye(3), sigma2=0.1), rel=1e-10)


def test_evaluator_mean_and_standard_error_are_those_of_its_prompts():
    """evaluate_models on 40 prompts equals the textbook mean + sigma2 and sample standard error
    (Bessel's n - 1, over sqrt(n)) of the squared errors of the same prompts, redrawn here and pushed
    through the reference forward pass numeric.model.forward. Exact to rounding."""
    from numeric.model import forward
    from numeric.training import evaluate_models
    from numeric.training.lsa import tokens
    V, Q = _hint_model()
    theta, Sigma, s2 = np.array([1.0, -0.5, 0.2]), np.array([[1.0, 0.3, 0.0], [0.3, 2.0, 0.1], [0.0, 0.1, 0.5]]), 0.1
    ev = evaluate_models({"m": (V, Q)}, theta, [3], sigma2=s2, Sigma=Sigma, samples=40, seed=8, chunk=64)["m"]
    s = TaskPromptSampler(d=3, n=3, sigma2=s2, batch=64, Sigma=Sigma, theta=theta, noiseless_target=True)
    b = s.fill(np.random.default_rng(8), s.new_buffer())
    e2 = (forward(tokens(b.X[:40], b.Y[:40]), V, Q) - b.target[:40]) ** 2
    assert ev.mean[0] == pytest.approx(e2.mean() + s2, rel=1e-12)
    assert ev.stderr[0] == pytest.approx(e2.std(ddof=1) / np.sqrt(40), rel=1e-9)


def test_fewshot_weight_schedules():
    """w_t from fewshot_weight to fewshot_weight * fewshot_final (geometric: w r^(t/(T-1))), or to 0."""
    from numeric.training.train import FinetuneConfig
    cfg = dict(strategy="value-fewshot", theta0=[1.0, 0.0], fewshot_weight=2.0, fewshot_final=0.01,
               optim=OptimConfig(steps=5, batch=4))
    geo = FinetuneConfig(**cfg)
    assert [geo.fewshot_weight_at(t) for t in (0, 2, 4)] == pytest.approx([2.0, 0.2, 0.02], rel=1e-12)
    for decay in ("linear", "cosine"):
        c = FinetuneConfig(**cfg, fewshot_decay=decay)
        assert [c.fewshot_weight_at(t) for t in (0, 2, 4)] == pytest.approx([2.0, 1.0, 0.0], abs=1e-12)
    assert FinetuneConfig(**cfg, fewshot_decay="constant").fewshot_weight_at(4) == 2.0


def test_value_fewshot_step_is_zero_shot_plus_weighted_fewshot_gradient():
    """One plain SGD step of value-fewshot moves V by -lr (dL0/dV + w_0 dL_nft/dV) on the step's prompts
    (redrawn here: the prompt stream is the second child of the seed; zero-shot batch first), the
    gradients by the matrix-calculus reference lsa.naive_loss_and_grad. Exact to rounding."""
    from numeric.training.lsa import naive_loss_and_grad, tokens
    from numeric.training.train import FinetuneConfig, finetune
    rng = np.random.default_rng(3)
    x, y = make_dataset(rng, theta=np.array([1.0, 0.5]), size=50, sigma2=0.1)
    V, Q = (0.3 * rng.standard_normal((4, 4)) for _ in range(2))
    cfg = FinetuneConfig(strategy="value-fewshot", theta0=[1.0, 0.5], n_ft=3, fewshot_weight=3.0,
                         optim=OptimConfig(steps=1, batch=16, optimizer="sgd", momentum=0.0, lr=0.01,
                                           schedule="constant"))
    got = finetune(V, Q, cfg, 5, data=(x, y), threaded=False)
    _, prompts = np.random.default_rng(5).spawn(2)
    grads = []
    for n in (0, 3):
        s = DatasetPromptSampler(x, y, n=n, batch=16)
        b = s.fill(prompts, s.new_buffer())
        grads.append(naive_loss_and_grad(V, Q, tokens(b.X, b.Y), b.target)[1])
    np.testing.assert_allclose(got.V, V - 0.01 * (grads[0] + 3.0 * grads[1]), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(got.Q, Q)


def test_sampler_and_dataset_covariance_and_noise():
    """With a non-identity Sigma: the task sampler's inputs have E[x x^T] = Sigma, and make_dataset's
    labels y = theta^T x + eps have E[(y - theta^T x)^2] = sigma2. Each of the 6 distinct entries and
    the noise moment: |z| <= 4 (numeric.testing's rule), z = (sample mean - exact) / estimated stderr,
    seed 0.

    Measured over seeds 1000..1299 (7 z-scores each, 2,100 in all): no run with |z| > 4 (95% upper bound
    on a run's false-alarm rate 1.0%), largest 3.49, |z| > 3 in 0.19% and |z| > 2 in 6.2% of the z-scores.
    Power: x = L^T g (covariance L^T L) caught 50/50, noise of standard deviation sigma2 caught 50/50.
    """
    Sigma = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, 0.1], [0.0, 0.1, 0.5]])
    theta, s2 = np.array([1.0, -0.5, 0.2]), 0.25
    rng = np.random.default_rng(0)
    s = TaskPromptSampler(d=3, n=1, sigma2=s2, batch=10000, Sigma=Sigma)
    X = s.fill(rng, s.new_buffer()).X.reshape(-1, 3)
    P = X[:, :, None] * X[:, None, :]
    z = ((P.mean(0) - Sigma) / (P.std(0, ddof=1) / np.sqrt(len(X))))[np.triu_indices(3)]
    x, y = make_dataset(rng, theta=theta, size=20000, sigma2=s2, Sigma=Sigma)
    e2 = (y - x @ theta) ** 2
    z = np.append(z, (e2.mean() - s2) / (e2.std(ddof=1) / np.sqrt(e2.size)))
    assert np.all(np.abs(z) <= 4), z
