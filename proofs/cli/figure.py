"""``icl-finetune figure``: the poster's linear-regression figure (needs the ``plot`` extra)."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from proofs.cli import options as O

DEFAULT_FIGURE = "figure.png"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``figure`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "figure", help="the poster's linear-regression figure (needs the plot extra)",
        description="The poster's linear-regression figure: theory curves and trained models,\n"
                    "n = 0..20, tasks theta0 and -theta0. Needs matplotlib: pip install '.[plot]'.",
        example="  icl-finetune figure --out figure.pdf --quick", run=run)
    sub.add_argument("--out", metavar="PATH", default=DEFAULT_FIGURE,
                     help=f"output file; its suffix picks the format (default: {DEFAULT_FIGURE})")
    O.seed_option(sub, help="random seed for the trained models (default: 0)")
    sub.add_argument("--quick", action="store_true", help="fewer training steps and samples")
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")
    return sub


def run(args: argparse.Namespace) -> int:
    """Check the output path, then train, evaluate and draw (:mod:`proofs.figures.linear`)."""
    from proofs.cli import files
    out = files.check_output_path(args.out)
    try:
        from proofs.figures.linear import make_figure
    except ModuleNotFoundError as exc:
        if exc.name in ("matplotlib", "tqdm") or (exc.name or "").startswith("matplotlib."):
            raise O.Unavailable(f"needs {exc.name}: pip install 'icl-finetune[plot]'") from None
        if exc.name == "proofs.figures.linear":
            raise NotImplementedError("proofs.figures.linear") from None
        raise
    make_figure(out, args.seed, args.quick, progress=not args.no_progress)
    sys.stderr.write(f"wrote {out}\n")
    return O.EXIT_OK
