"""Bad input to the trainer and the figure: ValueError naming the option, before any work."""
from __future__ import annotations

import numpy as np
import pytest

from numeric.training import (FinetuneConfig, OptimConfig, PretrainConfig, TrainingDivergedError, finetune,
                              pretrain)

THETA0 = [1.0, 0.0]


@pytest.mark.parametrize("kwargs,match", [
    ({"lr": 0}, r"^lr: expected a positive number, got 0"),
    ({"lr": -1e-3}, r"^lr: expected a positive number"),
    ({"lr": float("nan")}, r"^lr: expected a positive number"),
    ({"batch": 0}, r"^batch: expected an integer >= 1, got 0"),
    ({"batch": 2.5}, r"^batch: expected an integer >= 1"),
    ({"steps": -3}, r"^steps: expected an integer >= 1, got -3"),
    ({"optimizer": "lbfgs"}, r"^optimizer: expected one of sgd, adam, got 'lbfgs'"),
    ({"schedule": "step"}, r"^schedule: expected one of constant, cosine, linear"),
    ({"clip": 0.0}, r"^clip: expected a positive number"),
    ({"momentum": 1.2}, r"^momentum: expected a number in \[0, 1\)"),
])
def test_optim_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OptimConfig(**kwargs)


def test_pretrain_and_finetune_options():
    with pytest.raises(ValueError, match=r"^d: expected an integer >= 1"):
        PretrainConfig(d=0)
    with pytest.raises(ValueError, match=r"^m: expected an integer >= 1"):
        PretrainConfig(m=0)
    with pytest.raises(ValueError, match=r"^sigma2: expected a finite real number >= 0"):
        PretrainConfig(sigma2=-0.1)
    with pytest.raises(ValueError, match=r"^Sigma: expected a symmetric positive definite 2x2 matrix"):
        PretrainConfig(d=2, Sigma=[[1, 0], [0, -1]])
    with pytest.raises(ValueError, match=r"^tasks: expected one of gaussian, sphere"):
        PretrainConfig(tasks="laplace")
    with pytest.raises(ValueError, match=r"^strategy: expected one of full, value, value-fewshot, query-key"):
        FinetuneConfig(strategy="lora", theta0=THETA0)
    with pytest.raises(ValueError, match=r"^dataset_size: expected an integer >= 1, got 0"):
        FinetuneConfig(strategy="value", theta0=THETA0, dataset_size=0)
    with pytest.raises(ValueError, match=r"^n_ft: expected an integer >= 1"):
        FinetuneConfig(strategy="value-fewshot", theta0=THETA0, n_ft=0)
    with pytest.raises(ValueError, match=r"^theta0: expected a real vector"):
        FinetuneConfig(strategy="value", theta0=[[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"^fewshot_decay: expected one of"):
        FinetuneConfig(strategy="value-fewshot", theta0=THETA0, fewshot_decay="exp")
    assert FinetuneConfig(strategy="d", theta0=THETA0).strategy == "value-fewshot"
    with pytest.raises(ValueError, match=r"^seed: expected an integer >= 0"):
        pretrain(PretrainConfig(d=2, m=2, optim=OptimConfig(steps=1, batch=1)), -1)
    cfg = FinetuneConfig(strategy="value", theta0=THETA0, optim=OptimConfig(steps=1, batch=1))
    with pytest.raises(ValueError, match=r"^V: expected a 4x4 matrix"):
        finetune(np.eye(3), np.eye(4), cfg, 0)
    with pytest.raises(ValueError, match=r"^data: expected x of shape \(N, 2\)"):
        finetune(np.eye(4), np.eye(4), cfg, 0, data=(np.zeros((5, 3)), np.zeros(5)))


def test_divergence_names_the_step_and_suggests_a_smaller_learning_rate():
    cfg = PretrainConfig(d=2, m=4, optim=OptimConfig(steps=200, batch=32, lr=1e3, optimizer="sgd",
                                                     schedule="constant"))
    with pytest.raises(TrainingDivergedError) as info:
        pretrain(cfg, 0)
    msg = str(info.value)
    assert msg.startswith("pretrain: the training loss became non-finite at step ")
    assert "try a smaller learning rate" in msg and "\n" not in msg
    assert 0 <= info.value.step < 200
    assert isinstance(info.value, ValueError)


def test_figure_output_folder_must_exist(tmp_path):
    pytest.importorskip("matplotlib")
    from proofs.figures.linear import make_figure
    with pytest.raises(ValueError, match=r"^out: the directory .* does not exist"):
        make_figure(tmp_path / "missing" / "fig.png", 0, True, progress=False)
    with pytest.raises(ValueError, match=r"^out: expected a file path, got the directory"):
        make_figure(tmp_path, 0, True, progress=False)
    with pytest.raises(ValueError, match=r"^seed: expected an integer >= 0"):
        make_figure(tmp_path / "fig.png", -2, True, progress=False)
