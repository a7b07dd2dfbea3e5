"""The derivation cache: each strategy or spec derived once per process, and its errors.

Every quantity at a setting (curves, params, the frontier) and every statement of the paper
reads derivations through here, so ``icl-finetune prove`` derives each strategy once.
Everything runs through :mod:`symbolic`; nothing is a typed-in result.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from symbolic import N, THETA, THETA0, derive, tidy, to_sympy
from symbolic.forms import Form, Poly, const, form

__all__ = ["strategy", "error_poly", "limit_poly_theta", "at_task", "TASKS", "few_shot_limit",
           "finite_n_error", "zero_shot"]

OO = sp.oo


@lru_cache(maxsize=None)
def strategy(name: Any, m: Any = OO, n_ft: Any = OO):
    """``symbolic.derive`` (cached there too; here keyed by plain arguments); ``name`` may also
    be a :class:`symbolic.spec.Spec` (derived by the general derivation at m; n_ft unused)."""
    from symbolic.spec import Spec
    if isinstance(name, Spec):
        from symbolic.general import derive_spec
        return derive_spec(name, m)
    return derive(name, m=m, n_ft=n_ft)


@lru_cache(maxsize=None)
def error_poly(name: str, m: Any = OO, n_ft: Any = OO, n: Any = N) -> Poly:
    """``E(V*, Q*, n; theta)`` of a strategy on a generic task theta, as an engine polynomial."""
    return strategy(name, m, n_ft).error_poly(THETA, n)


@lru_cache(maxsize=None)
def limit_poly_theta(name: str, m: Any = OO, n_ft: Any = OO) -> Poly:
    """``lim_{n -> oo} E(V*, Q*, n; theta)`` on a generic theta (engine polynomial; n = oo in
    the engine: the limit of the unreduced coefficients, the same polynomial, faster)."""
    return strategy(name, m, n_ft).error_poly(THETA, OO)


def at_task(p: Poly, scale: Any = 1, target: sp.Basic = THETA0, source: sp.Basic = THETA) -> Poly:
    """The polynomial ``p`` with the task vector ``source`` replaced by ``scale * target``.

    ``E`` is a polynomial in the task vector, so a formula derived for a generic theta holds
    at ``theta = theta_0`` or ``theta = -theta_0`` by substitution; the factors are rebuilt
    in the engine's canonical form, so equal scalars merge.
    """
    scale = sp.sympify(scale)
    out = Poly()
    for (factors, noises), c in p.terms.items():
        term = Poly({((), noises): c})
        for f in factors:
            if isinstance(f, Form) and source in (f.left.obj, f.right.obj):
                k = sp.S.One
                left, right = f.left, f.right
                if left.obj == source:
                    left, k = const(target), k * scale
                if right.obj == source:
                    right, k = const(target), k * scale
                term = term * (Poly.factor(form(left, f.word, right)) * k)
            else:
                term = term * Poly.factor(f)
        out = out + term
    return Poly({k: sp.together(sp.expand(c)) for k, c in out.terms.items() if sp.expand(c) != 0})


TASKS = {"theta": None, "target": 1, "opposite": -1}


@lru_cache(maxsize=None)
def few_shot_limit(name: str, task: str = "theta", m: Any = OO, n_ft: Any = OO) -> sp.Expr:
    """``lim_{n->oo} E`` on ``theta`` (generic), ``target`` (theta_0) or ``opposite`` (-theta_0)."""
    p = limit_poly_theta(name, m, n_ft)
    if TASKS[task] is not None:
        p = at_task(p, TASKS[task])
    return tidy(to_sympy(p))


@lru_cache(maxsize=None)
def finite_n_error(name: str, task: str = "theta", m: Any = OO, n_ft: Any = OO) -> sp.Expr:
    """``E(V*, Q*, n; task)`` at symbolic n."""
    p = error_poly(name, m, n_ft)
    if TASKS[task] is not None:
        p = at_task(p, TASKS[task])
    return tidy(to_sympy(p))


@lru_cache(maxsize=None)
def zero_shot(name: str, m: Any = OO, n_ft: Any = OO) -> sp.Expr:
    """``E(V*, Q*, 0; theta_0)``."""
    return strategy(name, m, n_ft).zero_shot_error()
