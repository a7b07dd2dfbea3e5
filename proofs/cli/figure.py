"""``icl-finetune figure``: the poster's linear-regression figure (needs the ``plot`` extra).

Writes exactly the files named: ``--out`` (the figure), ``--closeness`` (the closeness
report, JSON) and ``--checkpoints`` (a folder of one ``.npz`` per training stage) when
given; every name is checked before any work, and one line at the end lists what was written.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from proofs.cli import options as O

DEFAULT_FIGURE = "figure.png"
#: = proofs.figures.linear.FIGURE_SUFFIXES (a test keeps them equal; that module loads NumPy)
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
#: the optional dependencies of ``figure`` (the ``plot`` extra)
EXTRAS = ("matplotlib", "tqdm")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``figure`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "figure", help="the poster's linear-regression figure (needs the plot extra)",
        description="The poster's linear-regression figure: theory curves and trained models,\n"
                    "n = 0..20, tasks theta0 and -theta0, for (a)-(d) and query-key (Q alone, trained\n"
                    "from the derived pretrained parameters). Writes only the files named below.\n"
                    "Needs matplotlib and tqdm: pip install '.[plot]'.",
        example="  icl-finetune figure --out figure.pdf --quick\n"
                "  icl-finetune figure --frontier --out frontier.png --closeness frontier.json\n"
                "  icl-finetune figure --out fig.png --closeness fig.json --checkpoints ckpt/ --reuse",
        run=run)
    sub.add_argument("--out", metavar="PATH", default=DEFAULT_FIGURE,
                     type=O.argtype(O.parse_file_name, "--out"),
                     help=f"the figure; its suffix ({', '.join(FIGURE_SUFFIXES)}) picks the format "
                          f"(default: {DEFAULT_FIGURE})")
    sub.add_argument("--closeness", metavar="FILE", default=None,
                     type=O.argtype(O.parse_file_name, "--closeness"),
                     help="also write the closeness of trained and derived models, JSON (.json)")
    sub.add_argument("--checkpoints", metavar="DIR", default=None,
                     type=O.argtype(O.parse_file_name, "--checkpoints"),
                     help="also save each trained model in this folder (created if need be)")
    sub.add_argument("--reuse", action="store_true",
                     help="reload the models saved in --checkpoints by a run with the same settings "
                          "and seed instead of retraining")
    O.seed_option(sub, help="random seed for the trained models (default: 0)")
    sub.add_argument("--quick", action="store_true", help="fewer training steps and samples")
    sub.add_argument("--frontier", action="store_true",
                     help="the zero-shot / few-shot trade-off instead (the poster's right panel, linear "
                          "model): the lambda curve of value fine-tuning on E(0; theta0) + lambda E(5; theta0), "
                          "(a)-(d), and models trained on that loss; --closeness gets the trained-vs-theory "
                          "distances (--quick: under a minute)")
    sub.add_argument("--trajectory", action="store_true",
                     help="the forgetting curves instead: value fine-tuning's errors along its gradient-descent "
                          "path in closed form (and full fine-tuning's, numeric) against the step, the paths beside "
                          "the lambda-frontier, and models trained by SGD at the same step (PNG and PDF; --quick: "
                          "under a minute)")
    sub.add_argument("--rank", metavar="LIST", dest="ranks", default=None,
                     type=O.argtype(lambda t, o: __import__("proofs.cli.frontier", fromlist=["parse_ranks"]).parse_ranks(t, o),
                                    "--rank"),
                     help="with --frontier: a curve per rank, Q by its best rank-r update (LoRA) on the same mixed "
                          "loss, for each r of the comma-separated list (1 <= r <= 6 at the figure's d = 5)")
    sub.add_argument("--layers", metavar="L", type=O.argtype(_parse_layers, "--layers"), default=1,
                     help="depth of the linear attention, 1 to 3 (default 1: the poster's figure). With 2 or 3: "
                          "the depth-L class's exact errors of (a) the pretrained class minimiser, (c) the last "
                          "layer's values and (d) with the few-shot loss, against the JAX linear model with L layers "
                          "trained by each (needs the transformer extra; --quick: about a minute); "
                          "not with --frontier, --trajectory, --closeness, --checkpoints, --reuse")
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")
    return sub


#: the depths ``--layers`` accepts (= proofs.figures.depth.LAYERS plus 1)
MAX_FIGURE_LAYERS = 3


def _parse_layers(text: str, option: str = "--layers") -> int:
    return int(O.parse_count(text, option, minimum=1, maximum=MAX_FIGURE_LAYERS,
                             why="the class's closed forms are derived for L = 1, 2, 3"))


def _check_extras() -> None:
    """The plot extra is installed, else :class:`options.Unavailable` naming it (exit 3)."""
    import importlib
    for name in EXTRAS:
        try:
            importlib.import_module(name)
        except ImportError:
            raise O.Unavailable(f"needs {name}, which is not installed: "
                                f"pip install 'icl-finetune[plot]'") from None


def run(args: argparse.Namespace) -> int:
    """Check every output name and the extra, then train, evaluate and draw
    (:func:`proofs.figures.linear.make_figure`); one line lists the files written."""
    from proofs.cli import files
    from proofs.cli import output as F
    out = files.check_output_path(args.out, "--out", FIGURE_SUFFIXES)
    closeness = files.check_output_path(args.closeness, "--closeness", (".json",)) \
        if args.closeness is not None else None
    checkpoints = None
    if args.checkpoints is not None:
        checkpoints = Path(args.checkpoints)
        parent = checkpoints.parent if str(checkpoints.parent) else Path(".")
        if checkpoints.exists() and not checkpoints.is_dir():
            raise O.UsageError(f"--checkpoints: expected a folder, got the file {args.checkpoints!r}")
        if not parent.is_dir():
            raise O.UsageError(f"--checkpoints: the directory {str(parent)!r} does not exist")
    if args.reuse and checkpoints is None:
        raise O.UsageError("--reuse: needs --checkpoints DIR, the folder to reload the models from")
    if closeness is not None and closeness.resolve() == out.resolve():
        raise O.UsageError("--closeness: expected a file other than --out")
    _check_extras()
    if args.layers > 1:
        return _run_depth(args, out, closeness, checkpoints)
    if args.ranks is not None and not args.frontier:
        raise O.UsageError("--rank: goes with --frontier (a curve per rank on the trade-off figure)")
    if args.trajectory:
        if args.frontier or checkpoints is not None or args.reuse:
            raise O.UsageError("--trajectory: not available with --frontier, --checkpoints or --reuse")
        from proofs.figures.save import with_twin
        for twin in with_twin(out)[1:]:  # every file the figure writes, checked before any work
            files.check_output_path(str(twin), "--out", FIGURE_SUFFIXES)
        from proofs.figures.trajectory import make_trajectory_figure
        report = make_trajectory_figure(out, args.seed, args.quick, progress=not args.no_progress, closeness=closeness)
        F.note("wrote " + ", ".join(report["figure"] + ([str(closeness)] if closeness is not None else [])))
        return O.EXIT_OK
    if args.frontier:
        if checkpoints is not None or args.reuse:
            raise O.UsageError(f"--{'reuse' if args.reuse and checkpoints is None else 'checkpoints'}: "
                               f"not available with --frontier (its models are not saved)")
        from proofs.figures.frontier import FrontierFigureConfig, make_frontier_figure
        from symbolic.spec import max_rank
        top = max_rank("Q", FrontierFigureConfig().d)
        if args.ranks and max(args.ranks) > top:
            raise O.UsageError(f"--rank: expected integers 1 <= rank <= {top} (the size of Q at the figure's d), "
                               f"got {max(args.ranks)}")
        make_frontier_figure(out, args.seed, args.quick, progress=not args.no_progress, closeness=closeness,
                             ranks=tuple(args.ranks or ()))
        F.note("wrote " + ", ".join([str(out)] + ([str(closeness)] if closeness is not None else [])))
        return O.EXIT_OK
    try:
        from proofs.figures.linear import make_figure
    except ModuleNotFoundError as exc:
        if exc.name in EXTRAS or (exc.name or "").startswith("matplotlib."):
            raise O.Unavailable(f"needs {exc.name}, which is not installed: "
                                f"pip install 'icl-finetune[plot]'") from None
        if exc.name == "proofs.figures.linear":
            raise NotImplementedError("proofs.figures.linear") from None
        raise
    report = make_figure(out, args.seed, args.quick, progress=not args.no_progress,
                         closeness=closeness, checkpoints=checkpoints, reuse=args.reuse)
    written = [str(out)] + ([str(closeness)] if closeness is not None else [])
    saved = len(getattr(report, "checkpoints", []) or [])
    if checkpoints is not None:
        written.append(f"{checkpoints}{'' if str(checkpoints).endswith('/') else '/'} "
                       f"({saved} checkpoint file{'s' if saved != 1 else ''})")
    F.note("wrote " + ", ".join(written))
    return O.EXIT_OK


def _run_depth(args: argparse.Namespace, out: Path, closeness, checkpoints) -> int:
    """``--layers 2`` or ``3``: :func:`proofs.figures.depth.make_depth_figure`."""
    from proofs.cli import output as F
    for flag, given in (("--frontier", args.frontier), ("--trajectory", args.trajectory),
                        ("--closeness", closeness is not None), ("--checkpoints", checkpoints is not None),
                        ("--reuse", args.reuse), ("--rank", args.ranks is not None)):
        if given:
            raise O.UsageError(f"{flag}: not available with --layers {args.layers} (the depth figure is the "
                               f"left panel only)")
    for mod in ("jax", "optax"):
        try:
            __import__(mod)
        except ModuleNotFoundError:
            raise O.Unavailable(f"--layers {args.layers}: needs {mod} (the transformer extra): "
                                f"pip install -e '.[transformer]'") from None
    from proofs.figures.depth import make_depth_figure
    report = make_depth_figure(out, args.seed, args.quick, args.layers, progress=not args.no_progress)
    F.note("wrote " + ", ".join(report["figure"]))
    return O.EXIT_OK
