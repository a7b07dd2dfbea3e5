"""The poster's linear-regression figure: theory curves and trained models.

Test error ``E(V, Q, n; theta)`` against the number of shots ``n = 0..20``, one panel
for the fine-tuning task ``theta0`` and one for ``-theta0``. Lines: the exact errors of
the derived optima (``proofs.api.curve``, at the m and n_ft the training used, and for
strategy ``full`` at the scale the trained model reached). Points: the trained models'
Monte Carlo errors with error bars (two standard errors). One colour per strategy.

Strategy ``query-key`` (Q alone on the zero-shot loss; a result beyond the paper,
:mod:`proofs.paper.results.query_key_zero_shot`) is fine-tuned from the *derived* pretrained
parameters ``(V_hat, Q_hat)``, not from the trained pretrained model: at ``V_hat``,
``v_0 = 0`` and ``v_x = 0``, so the zero-shot prediction is 0 whatever Q is, every gradient
in Q vanishes and Q stays at ``Q_hat`` (the theory curve is (a)'s). From the trained
pretrained model, whose ``v_x`` is small but not 0 (about 1e-3), the zero-shot minimiser has
``Q_00 ~ 1/|v_x|`` (the result's last check): training drives Q far off and the few-shot
errors to hundreds or thousands, a property of the numerical start, not of the strategy.

:func:`make_figure` trains (or reloads checkpoints), evaluates and draws the figure in the
one file named; the closeness report (:mod:`proofs.figures.report`) and one checkpoint per
training stage are written only when asked for. matplotlib and tqdm are imported only when
it runs. The drawing is :mod:`proofs.figures.draw`, the theory :mod:`proofs.figures.theory`.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from dataclasses import replace

from numeric.training.checkpoint import load_checkpoint, save_checkpoint
from numeric.training.data import make_dataset
from numeric.training.evaluate import fast_error_curve
from numeric.training.protocol import TASKS, Protocol, ProtocolResult, run_protocol
from numeric.training.train import finetune
from proofs.figures import closeness as C
from proofs.figures.draw import THEORY_STRATEGIES, draw
from proofs.figures.report import FigureReport, closeness_report
from proofs.figures.theory import probe_theory, theory_for

__all__ = ["make_figure", "check_outputs", "FigureReport", "FIGURE_SUFFIXES"]


#: the figure formats ``out`` may name (matplotlib draws each)
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def check_outputs(out: Path, closeness: Path | None = None, checkpoints: Path | None = None) -> None:
    """Refuse, before any work, outputs that cannot be written: ``out`` must end in one of
    :data:`FIGURE_SUFFIXES` and its folder exist; ``closeness`` must end in ``.json``, its
    folder exist; ``checkpoints`` must be a folder or a new name in an existing folder.
    Raises ``ValueError`` naming the argument."""
    def folder_of(path: Path, name: str) -> None:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise ValueError(f"{name}: the directory {str(parent)!r} does not exist")

    if not str(out).strip():
        raise ValueError("out: expected a file name, got ''")
    if out.is_dir():
        raise ValueError(f"out: expected a file path, got the directory {str(out)!r}")
    if out.suffix.lower() not in FIGURE_SUFFIXES:
        got = f"the suffix {out.suffix!r}" if out.suffix else "no suffix"
        raise ValueError(f"out: expected a file name ending in {', '.join(FIGURE_SUFFIXES)}, "
                         f"got {str(out)!r} ({got})")
    folder_of(out, "out")
    if closeness is not None:
        if closeness.suffix.lower() != ".json" or closeness.is_dir():
            raise ValueError(f"closeness: expected a file name ending in .json, got {str(closeness)!r}")
        folder_of(closeness, "closeness")
    if checkpoints is not None:
        if checkpoints.exists() and not checkpoints.is_dir():
            raise ValueError(f"checkpoints: expected a folder, got the file {str(checkpoints)!r}")
        folder_of(checkpoints, "checkpoints")


def make_figure(out: Path, seed: int, quick: bool, progress: bool = True, *,
                closeness: Path | None = None, checkpoints: Path | None = None, reuse: bool = False,
                protocol: Protocol | None = None, echo: bool = True) -> FigureReport:
    """Train every strategy, evaluate, and draw the poster's figure at ``out`` (format from its
    suffix: .png, .pdf or .svg). Writes exactly: ``out``; the closeness report (JSON) at
    ``closeness`` if given; one ``<stage>.npz`` per training stage in the folder
    ``checkpoints`` if given (created if need be). Nothing else.

    ``quick``: :meth:`Protocol.quick` (CI size) instead of :meth:`Protocol.poster`;
    ``progress``: a tqdm bar over the training steps on stderr; ``reuse``: reload the
    checkpoints of an earlier run with the same settings and seed from ``checkpoints``
    instead of retraining; ``protocol``: any other :class:`Protocol`; ``echo``: print
    :meth:`FigureReport.summary` (the closeness numbers) to stderr at the end.

    Raises ``ValueError`` (before any work) for outputs that cannot be written (see
    :func:`check_outputs`), a bad seed, ``reuse`` without ``checkpoints``; and for a
    training run whose loss became non-finite (naming the step).
    """
    t0 = time.perf_counter()
    out = Path(out)
    closeness = None if closeness is None else Path(closeness)
    checkpoints = None if checkpoints is None else Path(checkpoints)
    check_outputs(out, closeness, checkpoints)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    if reuse and checkpoints is None:
        raise ValueError("reuse: needs checkpoints, the folder to reload them from")
    if protocol is None:
        protocol = Protocol.quick() if quick else Protocol.poster()
    import matplotlib  # noqa: F401  (fail before training if the plot extra is missing)
    from tqdm import tqdm

    warnings: list[str] = []
    why = probe_theory(protocol)
    if why:
        warnings.append(why)
    if checkpoints is not None:
        checkpoints.mkdir(exist_ok=True)
    qk = "query-key" in protocol.strategies
    if qk and why:
        warnings.append("query-key: not trained (it starts from the derived pretrained parameters, and there is "
                        "no theory)")
    first = replace(protocol, strategies=tuple(s for s in protocol.strategies if s != "query-key")) if qk \
        else protocol
    with tqdm(total=protocol.total_steps, desc="training", unit="step", disable=not progress,
              file=sys.stderr, dynamic_ncols=True, leave=False) as bar:
        result = run_protocol(first, int(seed), progress=bar.update, checkpoint_dir=checkpoints, reuse=reuse)
        if qk and not why:
            _query_key_from_derived(result, protocol, int(seed), bar.update, checkpoints, reuse)
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
    fig = draw(result, theory, [out])
    if closeness is not None:
        closeness.write_text(json.dumps(report, indent=1, allow_nan=True) + "\n", encoding="utf-8")
    rep = FigureReport([out], closeness, list(result.checkpoints.values()), report, time.perf_counter() - t0,
                       warnings, fig)
    if echo:
        sys.stderr.write(rep.summary() + "\n")
    return rep


def _query_key_from_derived(result: ProtocolResult, protocol: Protocol, seed: int, progress,
                            checkpoints: Path | None, reuse: bool) -> None:
    """Fine-tune Q alone on the zero-shot loss from the derived pretrained ``(V_hat, Q_hat)`` (at
    the protocol's m), evaluate it like the others, and add it to ``result`` (in place; its
    checkpoint ``query-key.npz`` is written or, with ``reuse``, reloaded when made from the same
    settings and seed). The streams are drawn from ``SeedSequence([seed, 1])``, apart from
    :func:`run_protocol`'s."""
    from proofs.figures.theory import theory_for
    pre = theory_for(protocol, "pretrain")["params"]
    V0 = np.array(np.asarray(pre.V.evalf()).tolist(), dtype=float)
    Q0 = np.array(np.asarray(pre.Q.evalf()).tolist(), dtype=float)
    cfg = protocol.finetune_config("query-key")
    key = json.dumps({"protocol": protocol.to_dict(), "seed": seed, "stage": "query-key from derived"},
                     sort_keys=True)
    path = None if checkpoints is None else checkpoints / "query-key.npz"
    s_data, s_train, s_eval = np.random.SeedSequence([seed, 1]).spawn(3)
    model = None
    if reuse and path is not None and path.is_file():
        try:
            old = load_checkpoint(path)
        except ValueError:
            old = None
        if old is not None and old.config.get("protocol_key") == key:
            model, seconds = old, 0.0
            progress(cfg.optim.steps)
    if model is None:
        t0 = time.perf_counter()
        data = make_dataset(np.random.default_rng(s_data), theta=protocol.theta0, size=protocol.dataset_size,
                            sigma2=protocol.sigma2, Sigma=protocol.Sigma)
        model = finetune(V0, Q0, cfg, np.random.default_rng(s_train), data=data, progress=progress)
        seconds = time.perf_counter() - t0
        model.config["protocol_key"] = key
        model.config["start"] = "derived pretrained parameters"
        if path is not None:
            result.checkpoints["query-key"] = save_checkpoint(path, model)
    elif path is not None:
        result.checkpoints["query-key"] = path
    result.models["query-key"] = model
    result.seconds["query-key"] = seconds
    for task, s in zip(TASKS, s_eval.spawn(len(TASKS))):
        result.errors[task]["query-key"] = fast_error_curve(
            model.V, model.Q, result.theta(task), protocol.ns, sigma2=protocol.sigma2, Sigma=protocol.Sigma,
            samples=protocol.eval_samples, seed=np.random.default_rng(s))
    result.protocol = protocol
