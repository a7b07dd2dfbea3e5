"""Quick training runs land where training should: the poster's claims as sanity references.

Setting: d = 3, m = n_ft = 10, sigma2 = 0.1, Sigma = I, theta0 = e_1; pretraining 1000
steps of batch 2000 (Adam), each fine-tuning 600 steps of batch 2000 on a dataset of
20000 pairs (few-shot weight decaying linearly). Reference values (the paper's claims, used here only as sanity checks;
the lead's derivations are compared in the figure's closeness report):

- pretrained, zero-shot on theta0: ``sigma2 + theta0^T Sigma theta0`` (the model ignores x alone);
- pretrained, n -> inf on +-theta0 (exact limit of the trained parameters): at finite m the
  optimum's x-block is ``gamma I`` with ``gamma = (m+1)/(m+1+d+sigma2)`` (Sigma = I), whose
  limit error is ``sigma2 + (1 - gamma)^2 |theta0|^2`` (-> sigma2 as m -> inf);
- ``full``, zero-shot: ``sigma2``;
- ``value`` and ``value-fewshot``, zero-shot: ``sigma2 + 2/(d+4) theta0^T Sigma theta0``;
- ``value-fewshot`` has a smaller n_ft-shot error on theta0 than ``value``.

A check passes when ``|estimate - reference| <= 4 stderr + allowance * reference``; the
allowance covers what a short training run cannot reach (finite steps, batch and dataset).
Each reference is also shown *not* to be met by the models of the other strategies.

Measured with ``python tests/test_training_quick.py --record 0:200 runs.jsonl`` then
``python tests/test_training_quick.py --analyse runs.jsonl`` (training seeds 0..199; the
allowances were set beforehand from the largest deviations on seeds 1000..1099):
false-alarm rate 1/200 (seed 1: the pretrained limit on -theta0 is 3.2% off, allowance
3%); no other strategy's model met a reference on any seed. Power, as the fraction of
(seed, check) pairs failing when the references are scaled: x1.01: 0.9%, x0.99: 17%,
x1.05: 66%, x0.95: 77%, x1.1: 98.9%, x0.9: 99.8%; the few-shot gain of ``value-fewshot``
over ``value`` had z >= 10 on every seed. Training error, not Monte Carlo noise, sets
the allowances (largest relative deviations: pretrained zero-shot 5.3%, value 2.4%,
full 0.3%), so a 1% error in a formula is beyond what this test can see; the figure's
closeness report compares against the derivations.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from numeric.training import FinetuneConfig, OptimConfig, PretrainConfig, evaluate_models, finetune, limit_error, pretrain
from numeric.training.data import make_dataset

D, M, SIGMA2 = 3, 10, 0.1
THETA0 = np.eye(D)[0]
GAMMA = (M + 1) / (M + 1 + D + SIGMA2)
SAMPLES_ZERO = 200_000   # zero-shot prompts are cheap
SAMPLES_FEW = 40_000

#: claim -> (reference, allowance, models that should meet it)
REFERENCES = {
    "zero_shot": {
        "pretrain": (SIGMA2 + THETA0 @ THETA0, 0.06),
        "full": (SIGMA2, 0.01),
        "value": (SIGMA2 + 2 / (D + 4) * THETA0 @ THETA0, 0.025),
        "value-fewshot": (SIGMA2 + 2 / (D + 4) * THETA0 @ THETA0, 0.025),
    },
    "limit": {
        "pretrain": (SIGMA2 + (1 - GAMMA) ** 2 * THETA0 @ THETA0, 0.03),
    },
}


def train_all(seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    ss = np.random.SeedSequence(seed).spawn(3)
    pre = pretrain(PretrainConfig(d=D, m=M, sigma2=SIGMA2, optim=OptimConfig(steps=1000, batch=2000, lr=1e-2)),
                   np.random.default_rng(ss[0]))
    data = make_dataset(np.random.default_rng(ss[1]), theta=THETA0, size=20000, sigma2=SIGMA2)
    models = {"pretrain": (pre.V, pre.Q)}
    ft_seeds = ss[2].spawn(4)
    for k, s in enumerate(("full", "value", "value-fewshot", "query-key")):
        cfg = FinetuneConfig(strategy=s, theta0=THETA0, sigma2=SIGMA2, n_ft=M, fewshot_decay="linear",
                             optim=OptimConfig(steps=600, batch=2000, lr=1e-2))
        r = finetune(pre.V, pre.Q, cfg, np.random.default_rng(ft_seeds[k]), data=data)
        models[s] = (r.V, r.Q)
    return models


def measure(models, seed: int) -> dict:
    """Estimates per claim and model: (value, stderr)."""
    zero = evaluate_models(models, THETA0, [0], sigma2=SIGMA2, samples=SAMPLES_ZERO, seed=seed + 10_000)
    few = evaluate_models({k: models[k] for k in ("value", "value-fewshot")}, THETA0, [M], sigma2=SIGMA2,
                          samples=SAMPLES_FEW, seed=seed + 20_000)
    out = {"zero_shot": {k: (float(e.mean[0]), float(e.stderr[0])) for k, e in zero.items()},
           "limit": {k: (limit_error(V, Q, THETA0, sigma2=SIGMA2), 0.0) for k, (V, Q) in models.items()},
           "limit_opposite": {k: (limit_error(V, Q, -THETA0, sigma2=SIGMA2), 0.0) for k, (V, Q) in models.items()},
           "few": {k: (float(e.mean[0]), float(e.stderr[0])) for k, e in few.items()}}
    return out


def meets(estimate: tuple[float, float], reference: float, allowance: float) -> bool:
    value, se = estimate
    return abs(value - reference) <= 4 * se + allowance * reference


def verdicts(est: dict, factor: float = 1.0) -> dict[str, bool]:
    """Every check with the references multiplied by ``factor`` (1: the real test)."""
    out = {}
    for claim, refs in REFERENCES.items():
        for owner, (ref, allow) in refs.items():
            out[f"{claim}/{owner}"] = meets(est[claim][owner], factor * ref, allow)
    ref, allow = REFERENCES["limit"]["pretrain"]
    out["limit_opposite/pretrain"] = meets(est["limit_opposite"]["pretrain"], factor * ref, allow)
    # few-shot gain of the auxiliary loss, as a one-sided z-test on common prompts
    (a, sa), (b, sb) = est["few"]["value"], est["few"]["value-fewshot"]
    out["few/value-fewshot<value"] = a - b > 4 * np.hypot(sa, sb)
    return out


@pytest.fixture(scope="module")
def trained():
    models = train_all(seed=0)
    return models, measure(models, seed=0)


def test_trained_models_meet_their_references(trained):
    _, est = trained
    bad = {k: v for k, v in verdicts(est).items() if not v}
    assert not bad, f"failed: {bad}; estimates {est}"


def wrong_strategy_passes(est: dict) -> list[tuple]:
    """(claim, owner, other model) where another strategy's model meets the owner's reference.

    ``query-key`` is left out: from the pretrained optimum (``v = e_y``) its zero-shot
    gradient vanishes, so in theory it does not move, and trained it often stays at the
    pretrained zero-shot error (it meets that reference in ~10% of seeds).
    """
    out = []
    for claim, refs in REFERENCES.items():
        for owner, (ref, allow) in refs.items():
            owners = {o for o, (r, _) in refs.items() if np.isclose(r, ref)}
            for name in est[claim]:
                if name not in owners and name != "query-key" and meets(est[claim][name], ref, allow):
                    out.append((claim, owner, name))
    return out


def test_other_strategies_do_not_meet_the_references(trained):
    _, est = trained
    assert not wrong_strategy_passes(est), est


def test_references_off_by_ten_percent_are_caught(trained):
    _, est = trained
    for factor in (0.9, 1.1):
        v = verdicts(est, factor)
        caught = [k for k, ok in v.items() if not ok and not k.startswith("few/")]
        assert len(caught) == len([k for k in v if not k.startswith("few/")]), (factor, v)


def test_parameters_near_the_hinted_optima(trained):
    models, _ = trained
    V, Q = models["pretrain"]
    np.testing.assert_allclose(V[-1], np.r_[np.zeros(D + 1), 1.0], atol=0.02)
    np.testing.assert_allclose(Q[1:D + 1, 1:D + 1], GAMMA * np.eye(D), atol=0.02)
    V, _ = models["value"]
    np.testing.assert_allclose(V[-1, 1:D + 1], THETA0 / (GAMMA * (D + 4)), rtol=0.05, atol=0.01)
    assert V[-1, -1] == 1.0                       # v_y: no gradient under the zero-shot loss
    V, Q = models["full"]
    c = V[-1, 1:D + 1] @ THETA0
    assert Q[0, 0] == pytest.approx(1 / c, rel=0.05)
    assert np.abs((Q + Q.T)[1:D + 1, 1:D + 1]).max() < 0.05   # sym(Q_xx) -> 0
    _, Qv = models["value-fewshot"]
    assert np.array_equal(Qv, models["pretrain"][1])          # V only


def _record(first: int, last: int, path: str) -> None:  # pragma: no cover - run by hand
    """Train seeds first..last-1 and append their estimates to ``path`` (JSON lines)."""
    import json
    import time
    t0 = time.time()
    with open(path, "a") as fh:
        for seed in range(first, last):
            est = measure(train_all(seed), seed)
            fh.write(json.dumps({"seed": seed, "est": est}) + "\n")
            fh.flush()
            print(f"seed {seed} done, {time.time() - t0:.0f} s", flush=True)


def _analyse(path: str) -> None:  # pragma: no cover - run by hand
    """False-alarm rate and power (references scaled by 0.9 .. 1.1) of the recorded seeds."""
    import json
    rows = [json.loads(line) for line in open(path)]
    alarms = [r["seed"] for r in rows if not all(verdicts(r["est"]).values())]
    print(f"{len(rows)} seeds; false alarms: {len(alarms)} {alarms}")
    wrong = [(r["seed"], w) for r in rows for w in wrong_strategy_passes(r["est"])]
    print(f"  a wrong strategy met a reference: {len(wrong)} times {wrong[:10]}")
    for claim, refs in REFERENCES.items():
        for owner, (ref, allow) in refs.items():
            dev = [abs(r["est"][claim][owner][0] / ref - 1) for r in rows]
            print(f"  {claim}/{owner}: |relative deviation| max {max(dev):.4f}, 99th pct {np.quantile(dev, 0.99):.4f}"
                  f" (allowance {allow})")
    for f in (0.9, 0.95, 0.99, 1.01, 1.05, 1.1):
        caught = total = 0
        for r in rows:
            v = verdicts(r["est"], f)
            keys = [k for k in v if not k.startswith("few/")]
            caught += sum(not v[k] for k in keys)
            total += len(keys)
        print(f"  power with references x {f}: {caught}/{total} = {caught / total:.3f}")


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1] == "--record":
        a, b = map(int, sys.argv[2].split(":"))
        _record(a, b, sys.argv[3])
    else:
        _analyse(sys.argv[2])
