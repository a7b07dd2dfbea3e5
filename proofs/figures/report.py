"""What the linear-model figure found: the closeness of every trained model to its derived
optimum (:mod:`proofs.figures.closeness`) and the files written (:class:`FigureReport`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from numeric.training.evaluate import limit_error
from numeric.training.protocol import TASKS, ProtocolResult
from proofs.figures import closeness as C
from proofs.figures.draw import THEORY_STRATEGIES

__all__ = ["FigureReport", "closeness_report"]


@dataclass
class FigureReport:
    """What :func:`make_figure` wrote and found.

    ``paths``: the figure file(s) written; ``json_path``: the closeness JSON, or None when
    not asked for; ``checkpoints``: one ``.npz`` per stage (empty when not asked for);
    ``closeness``: the report's content; ``seconds``: wall time; ``warnings``: what could
    not be done (e.g. no theory).
    """

    paths: list[Path]
    json_path: Path | None
    checkpoints: list[Path]
    closeness: dict
    seconds: float
    warnings: list[str] = field(default_factory=list)
    #: the matplotlib figure drawn (for :func:`proofs.figures.layout.layout_problems`)
    figure: Any = field(default=None, repr=False)

    def summary(self) -> str:
        """A few lines for the terminal: per strategy the parameter distance and the error gaps."""
        lines = []
        for name, entry in self.closeness["models"].items():
            parts = [f"{name:>13}:"]
            if entry.get("parameters"):
                p = entry["parameters"]
                parts.append(f"param distance {p['distance']:.3g} (mod free {p['distance_modulo_free']:.3g})")
                if "update_distance" in p:
                    parts.append(f"update {p['update_distance']:.3g}")
            for task in TASKS:
                g = entry["errors"][task]
                if "max_abs_rel_gap_exact" in g:
                    parts.append(f"{task} error gap <= {g['max_abs_rel_gap_exact']:.2%}")
                elif "max_abs_rel_gap" in g:
                    parts.append(f"{task} error gap <= {g['max_abs_rel_gap']:.2%} (|z| <= {g['max_abs_z']:.1f})")
            if entry.get("theory") is not None and not entry.get("parameters"):
                parts.append(str(entry["theory"]))
            lines.append("  ".join(parts))
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)

    def written(self) -> list[Path]:
        """Every file written: the figure, the closeness JSON, the checkpoints."""
        return [*self.paths, *([self.json_path] if self.json_path else []), *self.checkpoints]


def _as_float_matrix(M: Any) -> np.ndarray:
    return np.array(np.asarray(M).tolist(), dtype=float)


def closeness_report(result: ProtocolResult, theory: dict[str, dict | None], scales: dict[str, float]) -> dict:
    """The JSON written next to the figure: protocol, and per model its parameter and error closeness."""
    p = result.protocol
    models = {}
    pre_th = theory.get("pretrain")
    pre_ref = None
    if pre_th is not None:
        pre_ref = (_as_float_matrix(pre_th["params"].V), _as_float_matrix(pre_th["params"].Q))
    pre = result.models["pretrain"]
    for name, model in result.models.items():
        th = theory.get(name)
        entry: dict[str, Any] = {"start": "derived pretrained parameters" if name == "query-key" else
                                 ("small random initialisation" if name == "pretrain" else "trained pretrain"),
                                 "seconds": model.seconds, "final_loss": model.final_loss,
                                 "V_last_row": model.V[-1].tolist(), "scale": scales.get(name)}
        errors = {}
        for task in TASKS:
            mc = result.errors[task][name]
            theta = result.theta(task)
            lim = limit_error(model.V, model.Q, theta, sigma2=p.sigma2, Sigma=p.Sigma)
            if th is None:
                errors[task] = {"n": mc.n, "trained": mc.mean.tolist(), "stderr": mc.stderr.tolist(),
                                "limit_trained": lim}
                if mc.exact is not None:
                    errors[task]["trained_exact"] = mc.exact.tolist()
            else:
                cv = th["curves"][task]
                errors[task] = C.error_gap(mc.n, mc.mean, mc.stderr, [float(e) for e in cv.error],
                                           exact=mc.exact, limit_trained=lim, limit_theory=float(cv.limit))
        entry["errors"] = errors
        if th is None:
            entry["theory"] = None if name in THEORY_STRATEGIES else "no derivation"
            entry["parameters"] = None
        else:
            prm = th["params"]
            Vr, Qr = _as_float_matrix(prm.V), _as_float_matrix(prm.Q)
            extra = {}
            if name != "pretrain" and pre_ref is not None:
                V_start, Q_start = pre_ref if name == "query-key" else (pre.V, pre.Q)
                extra = dict(V_start=V_start, Q_start=Q_start, V_ref_start=pre_ref[0], Q_ref_start=pre_ref[1])
            entry["parameters"] = C.parameter_distance(model.V, model.Q, Vr, Qr, free=list(prm.free), **extra)
            entry["parameters"]["derived_V_last_row"] = Vr[-1].tolist()
        models[name] = entry
    return {"protocol": p.to_dict(), "seed": result.seed, "seconds": result.seconds, "models": models}
