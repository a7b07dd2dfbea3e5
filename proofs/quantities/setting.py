"""The setting shared by :mod:`proofs.quantities.params` and :mod:`proofs.quantities.curves`: a validated exact
environment, the derived strategy for given m and n_ft, and the explicit values of the
derived matrices a strategy's blocks refer to.

Both modules import this one (and not each other).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["setting", "derived", "with_definitions", "resolve"]


def setting(d: int, Sigma: Any = None, theta0: Any = None, sigma2: Any = None) -> dict[str, Any]:
    """A validated exact environment: Sigma (identity by default), theta_0 (e_1), sigma."""
    from symbolic.validation import check_nonnegative, check_spd, check_vector
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d: expected an integer >= 1, got {d!r}")
    S = sp.Matrix(check_spd(Sigma if Sigma is not None else sp.eye(d), "Sigma", d))
    t0 = sp.Matrix(check_vector(theta0 if theta0 is not None else [1] + [0] * (d - 1), "theta0", d))
    env: dict[str, Any] = {"Sigma": S, "theta_0": t0}
    if sigma2 is not None:
        env["sigma"] = sp.sqrt(check_nonnegative(sigma2, "sigma2"))
    return env


def _count(value: Any, name: str) -> Any:
    from symbolic.validation import check_count
    if value is None:
        return sp.oo
    return check_count(value, name, allow_symbol=False, minimum=1 if name == "m" else 0)


def derived(strategy: str, m: Any = None, n_ft: Any = None):
    """The derived strategy for ``m`` / ``n_ft`` (None or oo: infinity; integers otherwise).

    A finite m is derived once with the symbol m (cached) and substituted when evaluating;
    returns (Strategy, env additions).
    """
    from symbolic import M
    from proofs.quantities.derivations import strategy as derive_cached
    name = resolve(strategy)
    mm, nn = _count(m, "m"), _count(n_ft, "n_ft")
    extra = {}
    if mm != sp.oo:
        extra["m"] = mm
        mm = M
    s = derive_cached(name, mm, nn if name == "value-fewshot" else sp.oo)
    extra.update(s.bindings)
    return s, extra


def resolve(strategy: Any) -> Any:
    """A strategy's canonical name (``'value'`` for ``'c'``...), or the spec itself when given a
    :class:`symbolic.spec.Spec`: what the derivation cache is keyed by."""
    from symbolic import canonical_strategy
    from symbolic.spec import Spec
    return strategy if isinstance(strategy, Spec) else canonical_strategy(strategy)


def with_definitions(env: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """``env`` plus the explicit value of every derived matrix (``Gamma_hat_m``, ``H_m_inv``...),
    evaluated once, inner definitions first, so evaluating a formula never re-inverts them."""
    from symbolic.definitions import definition
    from symbolic.evaluation import evaluate_matrix
    todo = dict(definitions)
    for name, expr in list(todo.items()):  # definitions referred to by definitions
        for sym in expr.atoms(sp.MatrixSymbol):
            if definition(sym) is not None and sym.name not in todo:
                todo[sym.name] = definition(sym)
    out = dict(env)
    while todo:
        ready = [k for k, e in todo.items()
                 if all(sym.name in out or definition(sym) is None for sym in e.atoms(sp.MatrixSymbol))]
        if not ready:
            raise ValueError(f"circular definitions: {sorted(todo)}")
        for k in ready:
            out[k] = sp.ImmutableMatrix(evaluate_matrix(todo.pop(k), out))
    return out
