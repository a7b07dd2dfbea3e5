"""Where a question is asked: the :class:`Setting`, validated once, and its derived strategy.

A setting is everything a fine-tuning question is evaluated at besides the question itself:
the dimension d (None: symbolic d, general Sigma and theta_0), the covariance Sigma and the
target task theta_0 (identity and e_1 by default), the noise variance sigma^2 (None:
symbolic), the pretraining context m and the auxiliary shots n_ft (infinity by default),
strategy (b)'s free scale C, and the arithmetic (:mod:`symbolic.arithmetic`) that evaluates
there. :func:`setting` builds one from what a caller gives (the API's arguments, the command
line's options), checking each value by the rules of :mod:`proofs.quantities.validation` and
Sigma by its arithmetic's one positive-definiteness rule, before any work.

:func:`derived` is the derived strategy of a question for the setting's m and n_ft (from the
derivation cache, :mod:`proofs.quantities.derivations`); :func:`with_definitions` the explicit
values of the derived matrices (``Gamma_hat_m``...) a strategy's blocks refer to.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["Setting", "setting", "derived", "with_definitions", "resolve"]


@dataclass(frozen=True, eq=False)
class Setting:
    """A validated setting (module docstring). ``Sigma`` and ``theta0`` are matrices of
    ``arith`` (None at symbolic d); ``sigma2`` and ``scale`` are exact SymPy numbers (``sigma2``
    None: symbolic); ``m`` and ``n_ft`` are ``sympy.oo`` or SymPy integers; ``condition`` is
    Sigma's condition number where the arithmetic measures it."""

    d: int | None = None
    Sigma: Any = None
    theta0: Any = None
    sigma2: Any = None
    m: Any = sp.oo
    n_ft: Any = sp.oo
    scale: Any = sp.S.One
    arith: Any = None
    condition: float | None = None
    #: what the caller gave, for labels: {"Sigma": bool, "theta0": bool}
    given: dict = field(default_factory=dict)

    @property
    def symbolic(self) -> bool:
        """Whether d (and so Sigma, theta_0) is symbolic."""
        return self.d is None

    @property
    def warning(self) -> str | None:
        """The one-line warning an ill-conditioned Sigma calls for in this arithmetic, or None."""
        return None if self.arith is None else self.arith.condition_warning(self.condition)

    def env(self, sigma: bool = True) -> dict[str, Any]:
        """The evaluation environment: ``Sigma``, ``theta_0`` and (when sigma^2 is given) ``sigma``."""
        if self.symbolic:
            raise ValueError("d: a symbolic setting has no explicit environment; give d (or Sigma, theta0)")
        env: dict[str, Any] = {"Sigma": self.Sigma, "theta_0": self.theta0}
        if sigma and self.sigma2 is not None:
            env["sigma"] = sp.sqrt(self.sigma2)
        return env

    def key(self) -> tuple:
        """A hashable summary (for caches of exact evaluations)."""
        def freeze(M: Any) -> Any:
            if M is None:
                return None
            if isinstance(M, sp.MatrixBase):
                return tuple(tuple(r) for r in M.tolist())
            return tuple(map(tuple, M.tolist())) if hasattr(M, "tolist") else M
        return (self.d, freeze(self.Sigma), freeze(self.theta0), self.sigma2, self.m, self.n_ft, self.scale,
                self.arith)


def setting(d: Any = None, *, Sigma: Any = None, theta0: Any = None, sigma2: Any = None, m: Any = None,
            n_ft: Any = None, scale: Any = 1, arithmetic: Any = None, precision: Any = None) -> Setting:
    """A validated :class:`Setting`. ``d`` None with neither Sigma nor theta0 given is symbolic;
    otherwise d is read off Sigma or theta0 when not given. ``m``, ``n_ft``: None (or oo,
    ``inf``) for infinity, else integers (m >= 1, n_ft >= 1); ``scale`` a non-zero number;
    ``arithmetic``/``precision`` as :func:`proofs.quantities.arithmetic.choose` takes them.
    Refuses what it cannot use with a ValueError or TypeError naming the argument."""
    from symbolic.arithmetic import EXACT
    from proofs.quantities import validation as V
    from proofs.quantities.arithmetic import choose
    d = V.dimension(d, optional=True)
    Sigma = V.matrix_like(Sigma, "Sigma")
    theta0 = V.matrix_like(theta0, "theta0", vector=True)
    mm = V.count(m, "m", allow_inf=True, minimum=1)
    nn = V.count(n_ft, "n_ft", allow_inf=True, minimum=1)
    s2 = None if sigma2 is None else EXACT.number(V.real(sigma2, "sigma2", nonnegative=True))
    C = EXACT.number(V.real(scale, "scale", nonzero=True))
    m_, n_ = (sp.oo if mm is None else sp.Integer(mm)), (sp.oo if nn is None else sp.Integer(nn))
    if d is None:
        d = V.size_of(Sigma, theta0)
    if d is None:
        if arithmetic not in (None, "exact") or precision is not None:
            raise ValueError("arithmetic: float and mp need a concrete setting (d, Sigma or theta0)")
        return Setting(None, None, None, s2, m_, n_, C, EXACT)
    arith = choose(d, arithmetic, precision)
    if Sigma is None:
        S, cond = arith.eye(d), (None if arith.exact else 1.0)
    else:
        S, cond = arith.spd(Sigma, "Sigma", d)
    t0 = arith.vector(theta0 if theta0 is not None else [1] + [0] * (d - 1), "theta0", d)
    return Setting(d, S, t0, s2, m_, n_, C, arith, cond, {"Sigma": Sigma is not None, "theta0": theta0 is not None})


def derived(question: Any, m: Any = sp.oo, n_ft: Any = sp.oo):
    """The derived strategy of a question (a strategy name, or a :class:`symbolic.spec.Spec`) for
    pretraining context ``m`` and auxiliary shots ``n_ft`` (SymPy integers or oo; None is oo).

    A finite m is derived once with the symbol m (cached) and substituted when evaluating;
    returns (Strategy, env additions)."""
    from symbolic import M
    from proofs.quantities.derivations import strategy as derive_cached
    name = resolve(question)
    mm = sp.oo if m is None else sp.sympify(m)
    nn = sp.oo if n_ft is None else sp.sympify(n_ft)
    extra = {}
    if mm != sp.oo:
        extra["m"] = mm
        mm = M
    s = derive_cached(name, mm, nn if name == "value-fewshot" else sp.oo)
    extra.update(s.bindings)
    return s, extra


def resolve(question: Any) -> Any:
    """A strategy's canonical name (``'value'`` for ``'c'``...), or the spec itself when given a
    :class:`symbolic.spec.Spec`: what the derivation cache is keyed by."""
    from symbolic import canonical_strategy
    from symbolic.spec import Spec
    return question if isinstance(question, Spec) else canonical_strategy(question)


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
