"""Steps per second of the transformer's training step, against the linear model's step, same run.

    python bench/bench_transformer.py                # the full configuration's model (icl-finetune transformer)
    python bench/bench_transformer.py --config quick # ... or --quick's

Rows (compilation excluded: each runner is compiled, then timed over whole chunks of steps):
- ``pretrain step``: one step of :func:`numeric.transformer.pretrain` (fresh prompts with N = 40
  shots and N + 1 queries in one packed pass, loss, gradient, Adam), in its jitted chunks;
- ``zero-shot fine-tune step``, ``few-shot fine-tune step``: one step of strategies (b)/(c) and (d);
- ``evaluate``: prompts per second of the packed evaluation;
- reference: one step of the numpy linear model's pretraining (:func:`numeric.training.pretrain`,
  batch 5000, m = 20, d = 5: the poster's protocol), measured in the same run.

The ratio is the transformer step's time over the reference step's. The machine is shared:
compare ratios, not absolute times; ``uptime``'s load is printed with them.
"""
from __future__ import annotations

import argparse
import os
import time



def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _time_steps(run, steps: int, chunk: int) -> float:
    """Seconds per step of ``run(progress)``, from the progress callback's timestamps after the first
    chunk (which holds the compilation)."""
    stamps: list[float] = []
    run(lambda k: stamps.append(time.perf_counter()))
    done = steps - chunk
    return (stamps[-1] - stamps[0]) / done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=("full", "quick"), default="full")
    ap.add_argument("--steps", type=int, default=200, help="timed steps per row (default 200)")
    args = ap.parse_args()

    import jax
    from numeric.training import OptimConfig as LinearOptim
    from numeric.training import PretrainConfig as LinearPretrain
    from numeric.training import pretrain as linear_pretrain
    from numeric.transformer import evaluate, finetune, pretrain, seed_key
    from numeric.transformer.experiment import ExperimentConfig
    from numeric.transformer.model import count_params

    cfg = getattr(ExperimentConfig, args.config)()
    chunk = 25
    steps = max(2 * chunk, args.steps // chunk * chunk)
    print(f"device: {jax.devices()[0].platform}; load before: {_load()}")
    print(f"config {cfg.name}: {cfg.model.layers} layers, width {cfg.model.width}, {cfg.model.heads} heads, "
          f"batch {cfg.pretrain_optim.batch}, N = {cfg.max_shots} ({2 * cfg.max_shots + 1} tokens per prompt)")

    pcfg = cfg.pretrain_config()
    from dataclasses import replace
    pcfg = replace(pcfg, optim=replace(pcfg.optim, steps=steps, warmup=0))
    holder = {}

    def run_pre(progress):
        holder["pre"] = pretrain(pcfg, 0, progress=progress, chunk=chunk)
    s_pre = _time_steps(run_pre, steps, chunk)
    params = holder["pre"].params
    print(f"  parameters: {count_params(params)}")

    rows = [("pretrain step", s_pre)]
    for strategy, label in (("value", "zero-shot fine-tune step"), ("value-fewshot", "few-shot fine-tune step")):
        fcfg = cfg.finetune_config(strategy)
        fcfg = replace(fcfg, optim=replace(fcfg.optim, steps=steps))
        rows.append((label, _time_steps(lambda p: finetune(params, cfg.model, fcfg, 0, progress=p, chunk=chunk),
                                        steps, chunk)))

    key = seed_key(0, 9)
    evaluate(params, cfg.model, cfg.theta0, cfg.ns, sigma2=cfg.sigma2, prompts=1000, key=key)  # compile
    t0 = time.perf_counter()
    evaluate(params, cfg.model, cfg.theta0, cfg.ns, sigma2=cfg.sigma2, prompts=4000, key=key)
    eval_rate = 4000 / (time.perf_counter() - t0)

    lsteps = 40
    lcfg = LinearPretrain(d=5, m=20, sigma2=0.1, optim=LinearOptim(steps=lsteps, batch=5000, lr=1e-2))
    linear_pretrain(LinearPretrain(d=5, m=20, sigma2=0.1, optim=LinearOptim(steps=3, batch=5000)), 0)  # warm
    t0 = time.perf_counter()
    linear_pretrain(lcfg, 0)
    s_ref = (time.perf_counter() - t0) / lsteps

    print(f"reference: linear model pretraining step (numpy, batch 5000, m = 20): {1e3 * s_ref:7.2f} ms "
          f"({1 / s_ref:6.1f} steps/s)")
    for label, s in rows:
        print(f"  {label:26s} {1e3 * s:7.2f} ms  {1 / s:7.1f} steps/s   ratio to reference {s / s_ref:5.2f}x")
    print(f"  {'evaluate':26s} {eval_rate:7.0f} prompts/s")
    print(f"load after: {_load()}")


if __name__ == "__main__":
    main()
