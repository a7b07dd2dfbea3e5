"""The numeric optimum of a spec with V and Q trained: several starts, the
best reported with its gradient norm and the spread, and no false convergence under a large
weight (the loss is divided by its start value, so a weight changes nothing but the scale)."""
from __future__ import annotations

import math

import pytest
import sympy as sp

from symbolic.spec import spec_from_json
from proofs.quantities.setting import setting
from proofs.quantities.numeric_optimum import STARTS, numeric_optimum


def _spec(weight):
    return spec_from_json({"train": ["vx", "vy", "qyx", "Qy0"],
                           "loss": [{"weight": weight, "n": 3, "task": "target"}]}, 1)


def test_several_starts_agree_and_a_large_weight_changes_nothing_but_the_scale() -> None:
    base = numeric_optimum(_spec(1), setting(1, sigma2=sp.Rational(1, 10)))
    big = numeric_optimum(_spec(10**12), setting(1, sigma2=sp.Rational(1, 10)))
    assert len(base.starts) == STARTS and base.starts[0][0] == "pretrained"
    assert base.converged and big.converged and big.iterations > 1
    assert math.isclose(big.loss, 10**12 * base.loss, rel_tol=1e-9)
    for k in base.errors:
        assert math.isclose(float(big.errors[k]), float(base.errors[k]), rel_tol=1e-6)
    assert base.spread["loss"] <= 1e-9 * base.loss       # every start found the same minimum here
    assert base.loss < base.start_loss


def test_not_converged_is_reported() -> None:
    r = numeric_optimum(_spec(1), setting(1, sigma2=sp.Rational(1, 10)), max_iter=1, starts=1)
    assert not r.converged and r.iterations == 1 and len(r.starts) == 1


def test_bad_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="starts"):
        numeric_optimum(_spec(1), setting(1, sigma2=sp.Rational(1, 10)), starts=0)


def test_best_converged_start_is_reported_when_it_holds_the_lowest_loss(monkeypatch) -> None:
    """The pretrained start is made to stop without converging at the very point
    the others converge to (so its loss ties theirs to the last digits): the report is a converged
    start, not a false "did NOT converge"; when only unconverged starts reach the lowest loss, it
    says NOT converged."""
    import proofs.quantities.numeric_optimum as NO
    real = NO._bfgs
    calls = []

    def stops_early_first(f, x0, **kw):
        if not calls:
            calls.append(real(f, x0, **kw))
            x, iters, g, ok = calls[0]
            assert ok
            return x.copy(), iters, g, False      # the first start: the minimum, labelled not converged
        x, iters, g, ok = calls[0]
        return x.copy(), iters, g, True           # the others stop at the very same point, converged
    monkeypatch.setattr(NO, "_bfgs", stops_early_first)
    r = numeric_optimum(_spec(1), setting(1, sigma2=sp.Rational(1, 10)))
    assert not r.starts[0][3] and all(c for _, _, _, c, _ in r.starts[1:])
    assert len({lo for _, lo, *_ in r.starts}) == 1  # the same loss to the last digit: the lowest is the first
    assert r.converged

    def none_converge(f, x0, **kw):
        x, iters, g, ok = real(f, x0, **kw)
        return x, iters, g, False
    monkeypatch.setattr(NO, "_bfgs", none_converge)
    assert not numeric_optimum(_spec(1), setting(1, sigma2=sp.Rational(1, 10)), starts=2).converged
