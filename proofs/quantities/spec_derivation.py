"""The derivation of a spec, as the command line and the REPL show it.

:func:`derivation` runs :func:`symbolic.general.derive_spec` and collects what a reader
wants: the derived blocks, the free parameters and the convention, the recorded steps, and
the errors the paper's table reports (zero-shot on theta_0, the limits n -> oo on theta_0
and -theta_0), plus the n-shot error on a generic task theta for symbolic n.

:func:`plain_scalars` rewrites the traces and bilinear forms of an expression as plain
symbols (``theta0_Sigma_theta0``, ``tr_Sigma``...) so that its string is one
``sympy.sympify`` parses back; the meaning of each symbol is returned alongside.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["Derivation", "derivation", "plain_scalars"]


@dataclass
class Derivation:
    """A derived spec: the :class:`symbolic.Strategy` and its headline errors."""

    strategy: Any
    m: Any
    errors: dict[str, sp.Expr] = field(default_factory=dict)
    #: long scalar blocks kept as symbols in ``errors`` (``v_y*`` -> its formula)
    where: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)


def derivation(spec: Any, m: Any = sp.oo) -> Derivation:
    """Derive ``spec`` at pretraining context length ``m`` (``oo`` by default) and its errors."""
    from symbolic import THETA, THETA0, N
    from proofs.quantities.derivations import strategy
    s = strategy(spec, sp.sympify(m))
    errors, where = {}, {}
    for key, task, n in (("zero_shot", THETA0, 0), ("few_shot_target", THETA0, sp.oo),
                         ("few_shot_opposite", -THETA0, sp.oo), ("n_shot", THETA, N)):
        # every block with a trace or a bilinear form in it stays a name (v_y...): the errors
        # read as the paper writes them, sigma^2 + (v_y - 1)^2 theta_0^T Sigma theta_0, not as
        # the same thing expanded over a common denominator
        e, subs = s.error_in_blocks(task, n, min_ops=0)
        names = {sym: sp.Symbol(sym.name.replace("_star", "")) for sym in subs}
        errors[key] = shortest_form(e.xreplace(names))
        where.update({names[sym]: tidy_ratio(v) for sym, v in subs.items() if names[sym] not in where})
    return Derivation(s, m, errors, where)


def shortest_form(e: sp.Expr) -> sp.Expr:
    """An error as short as it gets: the engine's collected form (by traces, bilinear forms and
    sigma), or the noise sigma^2 plus the rest factored (``sigma^2 + c^2 k (sigma^2 + k)^2``
    rather than three terms), whichever has fewer operations; a formula of more than 100
    operations is left as it is."""
    e = sp.sympify(e)
    if sp.count_ops(e) > 100:  # factoring a long formula (the n-shot error) costs seconds and rarely helps
        return e
    noise = [t for t in sp.Add.make_args(sp.expand(e))
             if t.free_symbols and all(getattr(x, "name", None) == "sigma" for x in t.free_symbols)]
    factored = sp.Add(*noise) + sp.factor(sp.expand(e - sp.Add(*noise)))
    return factored if sp.count_ops(factored) < sp.count_ops(e) else e


def tidy_ratio(e: sp.Expr) -> sp.Expr:
    """A rational function of the scalars with its numerator and denominator each collected by
    the traces, bilinear forms and sigma, every coefficient factored:
    ``21 k/(d sigma^2 + (d + 21) k)``, not ``21 k/(d sigma^2 + d k + 21 k)``."""
    from symbolic import tidy
    num, den = sp.fraction(sp.cancel(sp.together(sp.sympify(e))))
    return tidy(num) / tidy(den)


def _name_of(e: sp.Basic) -> str:
    text = sp.sstr(e)
    text = text.replace("**(-1)", "inv").replace(".T", "T").replace("theta_0", "theta0")
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")


def plain_scalars(expr: sp.Basic) -> tuple[sp.Expr, dict[str, str]]:
    """``expr`` with every trace and bilinear form replaced by a plain symbol, and a map
    symbol name -> meaning (e.g. ``'theta0_Sigma_theta0': 'theta_0.T*Sigma*theta_0'``).
    Assumption-carrying symbols become plain symbols of the same name."""
    from symbolic import Bilinear
    e = sp.sympify(expr)
    meaning: dict[str, str] = {}
    reps = {}
    for t in sorted(e.atoms(sp.Trace, Bilinear), key=sp.srepr):
        if isinstance(t, sp.Trace):
            name = "tr_" + _name_of(t.arg)
        else:
            name = "_".join([_name_of(t.left), _name_of(t.middle), _name_of(t.right)])
            if isinstance(t.middle, sp.Identity):
                name = f"{_name_of(t.left)}_{_name_of(t.right)}"
        name = name.replace("theta0_Sigma_theta0", "theta0_Sigma_theta0")
        reps[t] = sp.Symbol(name)
        meaning[name] = sp.sstr(t)
    e = e.xreplace(reps)
    e = e.xreplace({s: sp.Symbol(s.name) for s in e.free_symbols if isinstance(s, sp.Symbol)})
    return e, meaning
