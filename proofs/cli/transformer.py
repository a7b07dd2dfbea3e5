"""``icl-finetune transformer``: the poster's right panel on a softmax transformer trained here
(needs the ``transformer`` extra: JAX, optax, matplotlib, tqdm)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from proofs.cli import options as O

MAX_SEEDS = 20  # = proofs.paper.transformer_claims.MAX_SEEDS (kept light: this module imports no backend)
EXTRA = "pip install -e '.[transformer]'"


def _parse_seeds(text: str, option: str = "--seeds") -> int:
    k = O.parse_count(text, option, minimum=1)
    if k > MAX_SEEDS:
        raise O.UsageError(f"{option}: expected an integer from 1 to {MAX_SEEDS}, got {text!r}")
    return int(k)


#: bounds of --prefix, --layers, --width (= numeric.transformer.model.MAX_PREFIX for the prefix)
MAX_PREFIX, MAX_LAYERS, MAX_WIDTH = 256, 16, 512
#: --layers with --model linear (= numeric.transformer.experiment.LINEAR_LAYERS: the depths with a class theory)
MAX_LINEAR_LAYERS = 3
HEADS = 4  # the heads of every configuration: --width must be a multiple


def _parse_prefix(text: str, option: str = "--prefix") -> int:
    return int(O.parse_count(text, option, minimum=0, maximum=MAX_PREFIX,
                             why="each prefix vector is a position of every prompt"))


def _parse_layers(text: str, option: str = "--layers") -> int:
    return int(O.parse_count(text, option, minimum=1, maximum=MAX_LAYERS, why="CPU time grows with depth"))


def _parse_width(text: str, option: str = "--width") -> int:
    w = int(O.parse_count(text, option, minimum=HEADS, maximum=MAX_WIDTH, why="CPU time grows with width"))
    if w % HEADS:
        raise O.UsageError(f"{option}: expected a multiple of {HEADS} (the heads), got {text!r}")
    return w


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``transformer`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "transformer",
        help="the poster's right panel on a softmax transformer (needs the transformer extra)",
        description="Pretrain a small softmax transformer on in-context linear regression (d = 5,\n"
                    "sigma^2 = 0.1, n = 0..40 shots), fine-tune it on theta0 with the zero-shot loss\n"
                    "by (b) all parameters, (c) value and output projections, (d) (c) plus a few-shot\n"
                    "loss, and query-key only; measure zero-shot and few-shot errors with standard\n"
                    "errors over seeds, draw them beside the linear theory, and print the poster's\n"
                    "claims against the results. Writes DIR/transformer.json, .png and .pdf.\n"
                    "--model linear runs the same pipeline on the paper's linear model (a control\n"
                    "that must agree with the theory), with --layers 2 or 3 at depth (unmasked, (c) and (d)\n"
                    "training the last layer's V only); --prefix, --layers, --width vary the transformer.\n"
                    f"Needs JAX and optax: {EXTRA}. Uses a GPU if JAX finds one.",
        example="  icl-finetune transformer --out out/transformer --quick", run=run)
    sub.add_argument("--out", metavar="DIR", required=True, type=O.argtype(O.parse_file_name, "--out"),
                     help="output folder (created if missing): transformer.json, .png, .pdf, checkpoints/")
    sub.add_argument("--quick", action="store_true",
                     help="a smaller model and fewer steps (under 2 minutes on 2 CPU cores)")
    sub.add_argument("--seeds", metavar="K", type=O.argtype(_parse_seeds, "--seeds"), default=3,
                     help=f"number of seeds, 1 to {MAX_SEEDS} (default: 3): seeds S, S+1, ..., S+K-1")
    O.seed_option(sub, help="the first seed S (default: 0)", maximum=2**32 - 1 - MAX_SEEDS,
                  why="JAX's seeds are 32-bit, and S + K - 1 must be one")
    sub.add_argument("--model", metavar="{softmax,linear}", type=O.choice("--model", ("softmax", "linear")), default="softmax",
                     help="softmax: the transformer (default); linear: the control, the paper's linear "
                          "self-attention through the same pipeline, pretrained at m = 40")
    sub.add_argument("--prefix", metavar="K", type=O.argtype(_parse_prefix, "--prefix"), default=0,
                     help=f"K learned prefix vectors before every prompt, 0 to {MAX_PREFIX} (default 0; "
                          "softmax only): trained in pretraining and by (b), frozen for (c), (d)")
    sub.add_argument("--layers", metavar="L", type=O.argtype(_parse_layers, "--layers"), default=None,
                     help=f"transformer blocks, 1 to {MAX_LAYERS} (default: 2, --quick 1); with --model linear "
                          f"the linear model's depth, 1 to {MAX_LINEAR_LAYERS} (default 1; (c) and (d) train the "
                          "last layer's V)")
    sub.add_argument("--width", metavar="W", type=O.argtype(_parse_width, "--width"), default=None,
                     help=f"residual width, a multiple of {HEADS} up to {MAX_WIDTH} (default 32; softmax only)")
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")
    return sub


def _check_out(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise O.UsageError(f"--out: expected a folder, got the file {path!r}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise O.UsageError(f"--out: cannot write to {path!r} ({exc.strerror or exc})") from None
    return out


def _check_model_options(args: argparse.Namespace) -> None:
    """--prefix, --width shape the softmax transformer only: refused with --model linear; --layers with
    --model linear is the linear model's depth, 1 to MAX_LINEAR_LAYERS."""
    if args.model == "linear":
        for opt, value, default in (("--prefix", args.prefix, 0), ("--width", args.width, None)):
            if value != default:
                raise O.UsageError(f"{opt}: the linear control is the paper's linear model (no prefix, no width); "
                                   f"drop {opt} or use --model softmax")
        if args.layers is not None and args.layers > MAX_LINEAR_LAYERS:
            raise O.UsageError(f"--layers: expected 1 to {MAX_LINEAR_LAYERS} with --model linear (the depths with a "
                               f"class theory), got {args.layers}")


def run(args: argparse.Namespace) -> int:
    """Check the options, the extra and the output folder, then train, evaluate, draw, and print the claims."""
    _check_model_options(args)
    missing = []
    for mod in ("jax", "optax", "matplotlib", "tqdm"):
        try:
            __import__(mod)
        except ModuleNotFoundError:
            missing.append(mod)
    if missing:
        raise O.Unavailable(f"needs {', '.join(missing)} (the transformer extra): {EXTRA}")
    out = _check_out(args.out)
    from numeric.transformer.experiment import ExperimentConfig
    from proofs.figures.transformer import draw
    from proofs.paper.transformer_claims import claims_table, device_description, run_experiment

    if args.model == "linear":
        config = ExperimentConfig.linear(quick=args.quick, layers=args.layers or 1)
    else:
        config = ExperimentConfig.quick() if args.quick else ExperimentConfig.full()
        changes = {k: v for k, v in (("prefix", args.prefix), ("layers", args.layers), ("width", args.width))
                   if v is not None and v != getattr(config.model, k)}
        config = config.with_model(**changes)
    seeds = list(range(args.seed, args.seed + args.seeds))
    say = (lambda s: None) if args.no_progress else (lambda s: sys.stderr.write(s + "\n"))
    sys.stderr.write(f"device: {device_description()}\n")
    depth = config.model.layers if config.model.kind == "linear" else 1
    shape = ("the paper's linear self-attention" + (f", {depth} layers (unmasked; (c) and (d) train the last layer's "
                                                    f"V only, layer{depth - 1}/attn/V)" if depth > 1 else "")
             + ", pretrained at m = " + str(config.pretrain_m)
             if config.model.kind == "linear" else
             f"{config.model.layers} layers, width {config.model.width}, {config.model.heads} heads"
             + (f", prefix {config.model.prefix}" if config.model.prefix else ""))
    say(f"configuration {config.name}: {shape}; {config.pretrain_optim.steps} pretraining steps, "
        f"{config.finetune_optim.steps} fine-tuning steps per strategy; seeds {seeds[0]}..{seeds[-1]}")
    partial = out / "transformer.partial.json"

    from proofs.cli.printers.common import finite

    def save(path: Path, data: Any) -> None:  # a data file (read back by the figure), not the command's output
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(finite(data), indent=1) + "\n")
        os.replace(tmp, path)

    result = run_experiment(config, seeds, progress=not args.no_progress, checkpoint_dir=out / "checkpoints",
                            log=say, on_seed=lambda done: save(partial, {"config": config.to_dict(),
                                                                         "per_seed": done}))
    json_path = out / "transformer.json"
    save(json_path, result)
    partial.unlink(missing_ok=True)
    draw(result, [out / "transformer.png", out / "transformer.pdf"])
    sys.stdout.write(claims_table(result) + "\n")
    if "claims_exact" in result:
        sys.stdout.write("\nThe same claims from the exact errors of the trained parameters (no Monte Carlo "
                         "noise; SE over seeds = training's spread):\n" + claims_table(result, key="claims_exact") + "\n")
    sys.stderr.write(f"wrote {json_path}, {out / 'transformer.png'}, {out / 'transformer.pdf'} "
                     f"in {result['seconds']['total']:.0f} s\n")
    return O.EXIT_OK
