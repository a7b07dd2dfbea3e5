r"""Shared derivations of the results about fine-tuning paths (``forgetting-rate``,
``early-stopping-vs-auxiliary``).

Strategy (c) starts at the pretrained ``v_0 = (0, 0, 1)`` and converges to the derived
``v_* = V_c``'s last row.  On the segment ``v(s) = v_* + s (v_0 - v_*)`` (s = 1 the start, s = 0
the end) every error is a quadratic in s, derived here by the Wick engine at symbolic d and Sigma
(:func:`segment_errors`).  Gradient descent stays on that segment exactly when
``Delta = v_0 - v_*`` is an eigenvector of the Hessian H: then ``v_t = v(s_t)`` with
``s_t = (1 - eta h)^t`` and ``h = 2 c_2 / |Delta|^2`` (c_2 the coefficient of s^2 in the training
loss).  That is checked, exactly, by the closed-form trajectory's modes at Sigma = I
(:func:`single_mode_at_identity`).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symbolic import THETA0, expected_error
from symbolic.model import Blocks
from symbolic.strategy import tidy
from symbolic.convert import to_sympy

from proofs.paper.result import Param
from proofs.quantities.derivations import strategy

S = sp.Symbol("s", nonnegative=True)


def _mix(a, b, s):
    """``a + s (b - a)`` for two blocks (scalars or vector term lists)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return tuple((c * (1 - s), w, v) for c, w, v in a) + tuple((c * s, w, v) for c, w, v in b)
    return sp.expand(a + s * (b - a))


@lru_cache(maxsize=None)
def segment_blocks() -> Blocks:
    """The blocks at ``v(s) = v_* + s (v_0 - v_*)``: V's last row on the segment from (c)'s point
    (s = 0) to the pretrained one (s = 1), Q at the pretrained Q_hat (m = oo)."""
    vc = strategy("value", sp.oo).blocks
    v0 = strategy("pretrain", sp.oo).blocks
    return vc.with_(v0=_mix(vc.v0, v0.v0, S), vx=_mix(vc.vx, v0.vx, S), vy=_mix(vc.vy, v0.vy, S))


@lru_cache(maxsize=None)
def segment_errors() -> dict[str, sp.Expr]:
    """Errors on the segment, quadratics in s at symbolic d and Sigma: ``zero_shot`` (the
    training loss of (c)), ``limit_target``, ``limit_opposite`` (n -> oo)."""
    b = segment_blocks()
    out = {"zero_shot": expected_error(b, THETA0, 0)}
    for name, task in (("target", THETA0), ("opposite", -THETA0)):
        out[f"limit_{name}"] = expected_error(b, task, sp.oo)  # the limit n -> oo
    return {k: tidy(to_sympy(v)) for k, v in out.items()}


class Label(Param):
    """A named quantity of a statement with its own LaTeX (``label(name, latex)``)."""

    LATEX: dict = {}

    def _latex(self, printer) -> str:
        return Label.LATEX.get(self.name, self.name)


def label(name: str, latex: str) -> Label:
    Label.LATEX[name] = latex
    return Label(name)
