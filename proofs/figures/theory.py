"""The theory side of the linear-model figure: the derivation's curves and parameters
(through :mod:`proofs.api`, looked up at call time so tests can replace it)."""
from __future__ import annotations

import numpy as np

from numeric.training.protocol import TASKS, Protocol

__all__ = ["theory_for", "probe_theory", "derivable"]


def _api():
    from proofs import api  # looked up at call time, so tests can monkeypatch its functions
    return api


def _kwargs(protocol: Protocol) -> dict:
    Sigma = None if np.array_equal(protocol.Sigma, np.eye(protocol.d)) else protocol.Sigma.tolist()
    return dict(d=protocol.d, sigma2=protocol.sigma2, m=protocol.m, n_ft=protocol.n_ft, Sigma=Sigma,
                theta0=protocol.theta0.tolist())


def derivable(strategy: str):
    """What :mod:`proofs.api` derives for a figure's strategy: its name, or for ``query-key``
    (not one of the paper's strategies) the spec of :mod:`proofs.paper.results._beyond`."""
    if strategy == "query-key":
        from proofs.paper.results._beyond import query_key_spec
        return query_key_spec()
    return strategy


def theory_for(protocol: Protocol, strategy: str, scale: float = 1.0) -> dict:
    """The derivation's curves (per task) and parameters for ``strategy``, via :mod:`proofs.api`.

    Returns ``{"curves": {task: CurveResult}, "params": ParamsResult}``.
    """
    api = _api()
    kw = _kwargs(protocol)
    strategy = derivable(strategy)
    curves = {task: api.curve(strategy, task, list(protocol.ns), scale=scale, **kw) for task in TASKS}
    params = api.params(strategy, scale=scale, **kw)
    return {"curves": curves, "params": params}


def probe_theory(protocol: Protocol) -> str | None:
    """None if ``proofs.api`` answers, else why not (checked before any training)."""
    try:
        _api().curve("pretrain", "target", [0], scale=1.0, **_kwargs(protocol))
    except NotImplementedError:
        return "theory curves unavailable: proofs.api.curve is not implemented yet; trained points only"
    return None
