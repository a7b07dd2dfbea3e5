"""The transformer experiment over a sweep of model shapes: prefix length k, or depth and width.

    python bench/sweep_transformer.py prefix --values 0 1 4 16 --seeds 3 --out docs/transformer-data/prefix.json
    python bench/sweep_transformer.py layers --values 1 2 4 --seeds 2 --out docs/transformer-data/depth.json
    python bench/sweep_transformer.py width --values 64 --seeds 2 --out docs/transformer-data/width.json

Each value runs :func:`proofs.transformer.run_experiment` on ``--base`` (``quick`` or ``full``,
default ``quick``) with the model's ``prefix``, ``layers`` or ``width`` set to it (the same as
``icl-finetune transformer --quick --prefix K`` and so on). After each value the output file is
rewritten (a run stopped by its timeout keeps what it finished): per value, the configuration,
the claims (mean, SE over seeds, per-seed values, theory, verdicts), the errors on theta0 and
-theta0 (mean and SE over seeds), and the wall and CPU seconds with the load average before
and after. ``--figure PATH`` draws the key ratio against the swept value
(:func:`proofs.figures.transformer.draw_sweep`) from the file, with or without running.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEEP_TASKS = ("theta0", "-theta0")


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def compact(result: dict, wall: float, cpu: float, load_before: list, load_after: list) -> dict:
    """What the docs need from one run: no checkpoints, no per-seed errors at every angle."""
    summary = {m: {t: result["summary"][m][t] for t in KEEP_TASKS} for m in result["summary"]}
    return {"config": result["config"], "seeds": result["seeds"], "claim_n": result["claim_n"],
            "claims": result["claims"], "summary": summary,
            "theory": {m: ({t: v[t] for t in KEEP_TASKS} if m != "setting" else v) for m, v in result["theory"].items()},
            "n_params": result["per_seed"][0]["n_params"],
            "seconds": {"wall": wall, "cpu": cpu, **result["seconds"]},
            "load_before": load_before, "load_after": load_after, "device": result["device"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("prefix", "layers", "width"))
    ap.add_argument("--values", type=int, nargs="*", default=[])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--base", choices=("quick", "full"), default="quick")
    ap.add_argument("--out", required=True)
    ap.add_argument("--figure", default=None, help="draw the key ratio against the value to this path")
    args = ap.parse_args()
    out = Path(args.out)
    done = json.loads(out.read_text()) if out.exists() else {"what": args.what, "runs": []}
    if args.values:
        from numeric.transformer.experiment import ExperimentConfig
        from proofs.cli.transformer import _finite
        from proofs.transformer import run_experiment
        base = getattr(ExperimentConfig, args.base)()
        for v in args.values:
            config = base.with_model(**{args.what: v}) if getattr(base.model, args.what) != v else base
            before, t0, c0 = _load(), time.perf_counter(), time.process_time()
            result = run_experiment(config, list(range(args.seeds)), progress=False,
                                    log=lambda s: print(f"  {args.what} {v}: {s}", flush=True))
            rec = compact(result, time.perf_counter() - t0, time.process_time() - c0, before, _load())
            rec["value"] = v
            done["runs"] = [r for r in done["runs"] if r["value"] != v] + [rec]
            done["runs"].sort(key=lambda r: r["value"])
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(_finite(done), indent=1) + "\n")
            ratio = next(c for c in rec["claims"] if c["id"] == "c-keeps-few-shot-theta0")["transformer"]
            print(f"{args.what} = {v}: wall {rec['seconds']['wall']:.0f} s, CPU {rec['seconds']['cpu']:.0f} s, "
                  f"load {before} -> {rec['load_after']}; (c)/(b) few-shot ratio on theta0 "
                  f"{ratio['mean']:+.3f} ± {ratio['se'] or float('nan'):.3f}", flush=True)
    if args.figure:
        from proofs.figures.transformer import draw_sweep
        draw_sweep(done, [Path(args.figure)])
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
