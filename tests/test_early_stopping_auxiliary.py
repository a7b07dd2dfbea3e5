"""Extension 6 (early stopping against the auxiliary loss): the auxiliary side is the one the
statement names, checked by an independent computation of one of its numbers.

The statement compares early stopping with the auxiliary loss ``E(0; theta_0) + lambda
E(n_ft; theta_0)`` at n_ft = 5 (the poster's setting d = 5, sigma^2 = 1/10, Sigma = I,
theta_0 = e_1).  Its verdicts and the common range (29/90, 11/10] do not pin n_ft (the auxiliary
loss at 6 shots gives the same ones); the auxiliary side's own range of zero-shot levels does:
its lambda -> oo end is the few-shot loss alone, whose minimiser over V's last row is found here
by :mod:`proofs.quantities.concrete_minimiser` (the explicit quadratic at d = 5, exact) and its
zero-shot error by :func:`proofs.api.exact_error` -- no code shared with the comparison's
derivation beyond the Wick polynomial.  Measured: 8408171/734410 at n_ft = 5 (21797021/1451610 at 6).
"""
from __future__ import annotations

import sympy as sp

import proofs.quantities.concrete_minimiser as cs
from proofs.api import exact_error
from proofs.paper.results._beyond import N_FT_EXAMPLE
from proofs.paper.results.early_stopping import POSTER, comparisons
from proofs.quantities.setting import setting
from symbolic.spec import spec_from_json


def test_auxiliary_side_is_the_n_ft_shot_loss_of_the_statement() -> None:
    """The auxiliary side's zero-shot range is [29/90, E(0; theta_0) at argmin E(5; theta_0)], the
    upper end from the concrete minimiser of the 5-shot loss alone (exact)."""
    assert N_FT_EXAMPLE == 5
    d, s2 = POSTER["d"], POSTER["sigma2"]
    aux, _ = comparisons(N_FT_EXAMPLE, **POSTER)
    spec = spec_from_json({"train": ["v0", "vx", "vy"], "loss": [{"n": 5, "task": "target"}]}, d)
    alone = cs.concrete_minimiser(spec, setting(d, sigma2=s2))
    assert not alone.free_directions
    theta0 = [1] + [0] * (d - 1)
    top = exact_error(alone.V, alone.Q, theta0, sp.eye(d), s2, 0)
    assert aux.sides["right"]["levels"] == (sp.Rational(29, 90), top)
    assert aux.sides["left"]["levels"] == (sp.Rational(29, 90), sp.Rational(11, 10))
