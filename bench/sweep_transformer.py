"""The transformer experiment over a sweep of model shapes: prefix length k, or depth and width.

    python bench/sweep_transformer.py prefix --values 0 1 4 16 --seeds 3 --out docs/transformer-data/prefix.json
    python bench/sweep_transformer.py layers --values 1 2 4 --seeds 2 --out docs/transformer-data/depth.json
    python bench/sweep_transformer.py width --values 64 --seeds 2 --out docs/transformer-data/width.json

Each value runs :func:`proofs.paper.transformer_claims.run_experiment` on ``--base`` (``quick`` or ``full``,
default ``quick``; ``--eval-prompts N`` and ``--no-query-key`` make it cheaper) with the model's ``prefix``, ``layers`` or ``width`` set to it (the same as
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


#: the claims shown per swept value by :func:`markdown`
TABLE_CLAIMS = ("b-zero-shot", "b-few-shot-theta0", "b-few-shot-opposite", "c-comparable-gain",
                "c-keeps-few-shot-theta0", "c-keeps-few-shot-opposite", "d-zero-shot", "d-few-shot-theta0",
                "d-few-shot-opposite", "d-angle")


def mean_se(t: dict, digits: int = 2) -> str:
    """``mean ± SE`` over seeds, or ``mean (one seed: no SE)`` where the SE is undefined (one seed:
    it was printed as ``± nan``)."""
    se = t.get("se")
    if se is None or se != se:
        return f"{t['mean']:+.{digits}f} (one seed: no SE)"
    return f"{t['mean']:+.{digits}f} ± {se:.{digits}f}"


def markdown(done: dict) -> str:
    """One row per claim, one column per swept value: mean ± SE over seeds and the verdict's first
    letter (a agrees, d disagrees, i inconclusive, p partly); the linear theory last."""
    runs = done["runs"]
    head = ["claim (statistic as in the main table)"] + [f"{done['what']} = {r['value']}" for r in runs] + \
        ["linear theory"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cid in TABLE_CLAIMS:
        rows = [next(c for c in r["claims"] if c["id"] == cid) for r in runs]
        cells = []
        for c in rows:
            t = c["transformer"]
            cells.append(f"{mean_se(t)} ({c['verdict'][0]})")
        th = rows[0]["theory"]
        lines.append("| " + " | ".join([rows[0]["claim"]] + cells + ["-" if th is None else f"{th:+.2f}"]) + " |")
    secs = ["wall / CPU s"] + [f"{r['seconds']['wall']:.0f} / {r['seconds']['cpu']:.0f}" for r in runs] + [""]
    lines.append("| " + " | ".join(secs) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("prefix", "layers", "width"))
    ap.add_argument("--values", type=int, nargs="*", default=[])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--base", choices=("quick", "full"), default="quick")
    ap.add_argument("--eval-prompts", type=int, default=None,
                    help="evaluation prompts per model and task (default: the base's)")
    ap.add_argument("--no-query-key", action="store_true",
                    help="leave out the query-key contrast (it changes nothing without a prefix)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--figure", default=None, help="draw the key ratio against the value to this path")
    ap.add_argument("--markdown", action="store_true", help="print the claims per value as a Markdown table")
    args = ap.parse_args()
    out = Path(args.out)
    done = json.loads(out.read_text()) if out.exists() else {"what": args.what, "runs": []}
    if args.values:
        from numeric.transformer.experiment import ExperimentConfig
        from proofs.cli.transformer import _finite
        from proofs.paper.transformer_claims import run_experiment
        from dataclasses import replace
        base = getattr(ExperimentConfig, args.base)()
        if args.eval_prompts:
            base = replace(base, eval_prompts=args.eval_prompts)
        if args.no_query_key:
            base = replace(base, strategies=tuple(s for s in base.strategies if s != "query-key"))
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
                  f"{mean_se(ratio, 3)}", flush=True)
    if args.markdown:
        print(markdown(done))
    if args.figure:
        from proofs.figures.transformer import draw_sweep
        draw_sweep(done, [Path(args.figure)])
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
