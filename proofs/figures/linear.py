"""The poster's linear-regression figure: theory curves and trained models.

Test error ``E(V, Q, n; theta)`` against the number of shots ``n = 0..20``, one panel
for the fine-tuning task ``theta0`` and one for ``-theta0``. Lines: the exact errors of
the derived optima (``proofs.api.curve``, at the m and n_ft the training used, and for
strategy ``full`` at the scale the trained model reached). Points: the trained models'
Monte Carlo errors with error bars (two standard errors). One colour per strategy.

:func:`make_figure` trains (or reloads checkpoints), evaluates, draws PNG and PDF, and
writes next to the figure ``<stem>.closeness.json`` (:mod:`proofs.figures.report`) and one
checkpoint per stage in ``<stem>_checkpoints/``. matplotlib and tqdm are imported only when
it runs. The drawing is :mod:`proofs.figures.draw`, the theory :mod:`proofs.figures.theory`.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from numeric.training.protocol import Protocol, run_protocol
from proofs.figures import closeness as C
from proofs.figures.draw import THEORY_STRATEGIES, draw
from proofs.figures.report import FigureReport, closeness_report
from proofs.figures.theory import probe_theory, theory_for

__all__ = ["make_figure", "FigureReport"]


def _outputs(out: Path) -> tuple[list[Path], Path, Path]:
    """Figure files, the JSON and the checkpoint folder for ``out``."""
    suffix = out.suffix.lower()
    base = out.with_suffix("") if suffix else out
    figs = [out] if suffix else []
    for ext in (".png", ".pdf"):
        p = base.with_name(base.name + ext)
        if p not in figs and (not suffix or suffix != ext):
            figs.append(p)
    return figs, base.with_name(base.name + ".closeness.json"), base.with_name(base.name + "_checkpoints")


def make_figure(out: Path, seed: int, quick: bool, progress: bool = True, *, reuse: bool = False,
                protocol: Protocol | None = None, echo: bool = True) -> FigureReport:
    """Train every strategy, evaluate, and draw the poster's figure at ``out`` (plus PNG and PDF).

    ``quick``: :meth:`Protocol.quick` (CI size) instead of :meth:`Protocol.poster`;
    ``progress``: a tqdm bar over the training steps on stderr; ``reuse``: reload the
    checkpoints of an earlier run with the same settings and seed instead of retraining;
    ``protocol``: any other :class:`Protocol`; ``echo``: print :meth:`FigureReport.summary`
    (the closeness numbers and the files written) to stderr at the end.

    Raises ``ValueError`` for an output folder that does not exist, a bad seed, or a
    training run whose loss became non-finite (naming the step).
    """
    t0 = time.perf_counter()
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise ValueError(f"out: expected a file path, got the directory {str(out)!r}")
    if not parent.is_dir():
        raise ValueError(f"out: the directory {str(parent)!r} does not exist")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    if protocol is None:
        protocol = Protocol.quick() if quick else Protocol.poster()
    figs, json_path, ckpt_dir = _outputs(out)
    import matplotlib  # noqa: F401  (fail before training if the plot extra is missing)
    from tqdm import tqdm

    warnings: list[str] = []
    why = probe_theory(protocol)
    if why:
        warnings.append(why)
    ckpt_dir.mkdir(exist_ok=True)
    with tqdm(total=protocol.total_steps, desc="training", unit="step", disable=not progress,
              file=sys.stderr, dynamic_ncols=True, leave=False) as bar:
        result = run_protocol(protocol, int(seed), progress=bar.update, checkpoint_dir=ckpt_dir, reuse=reuse)
    for model in result.models.values():
        warnings.extend(model.warnings)
    scales = {"full": C.fit_full_scale(result.models["full"].V, result.models["full"].Q, protocol.theta0)} \
        if "full" in result.models else {}
    theory: dict[str, dict | None] = {}
    for name in result.models:
        if why or name not in THEORY_STRATEGIES:
            theory[name] = None
            continue
        theory[name] = theory_for(protocol, name, scales.get(name, 1.0))
    report = closeness_report(result, theory, scales)
    report["warnings"] = warnings
    draw(result, theory, figs)
    json_path.write_text(json.dumps(report, indent=1, allow_nan=True) + "\n", encoding="utf-8")
    rep = FigureReport(figs, json_path, list(result.checkpoints.values()), report, time.perf_counter() - t0,
                       warnings)
    if echo:
        sys.stderr.write(rep.summary() + "\n")
    return rep
