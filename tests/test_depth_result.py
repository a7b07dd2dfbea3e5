"""Extension 9 (proofs.paper.results.depth_value): the depth-2 value fine-tuning result.

- it holds (derived at prove time), and a statement off by d+2 for d+4 fails its check;
- evaluate at a setting (d = 2, non-identity Sigma) computes each side through another route, the
  general depth-2 class closed form (symbolic.depth.class_error, Gamma_1, Gamma_2 and V_2's values as
  symbols) at the derived parameters, and the two sides agree exactly;
- evaluate refuses a finite m, a task theta, a finite n, with the reason.
"""
import pytest
import sympy as sp

from broken_statement import assert_fails_exactly
from proofs.paper.results.depth_value import RESULT
from symbolic import SIGMA, SIGMA_NOISE, THETA0, Bilinear, DIM


def test_holds():
    v = RESULT.check()
    assert v.holds, "\n".join(v.lines)


def test_a_statement_off_by_d_plus_2_fails():
    assert_fails_exactly(RESULT, -1, SIGMA_NOISE ** 2 + 4 * Bilinear(THETA0, SIGMA, THETA0) / (DIM + 2) ** 2)


def test_evaluate_at_a_setting_agrees_through_the_general_class_closed_form():
    vals = RESULT.evaluate(Sigma=[[2, 1], [1, 3]], theta_0=[1, -1], sigma2=sp.Rational(1, 10))
    assert len(vals) == 8
    assert all(sp.expand(a - b) == 0 for a, b in vals.values())
    assert vals[RESULT.statement[-2].lhs][0] == sp.Rational(1, 10)        # (d) on theta_0: sigma^2


@pytest.mark.parametrize("bad, match", [
    (dict(m=10), r"^m: the statement is at m -> oo"),
    (dict(theta=[1, 0]), r"^theta: the statement is on theta_0 and -theta_0"),
    (dict(n=3), r"^n: "),
    (dict(lam=1), r"^lam: unknown setting"),
])
@pytest.mark.parametrize("result", ["depth-value-fine-tuning", "depth-layer-choice"])
def test_evaluate_refuses_with_the_reason(bad, match, result):
    """Extensions 9 and 10 (one setting check, depth_value.limit_setting) refuse before any work."""
    from proofs.paper.results.depth_layer_choice import RESULT as LAYER_CHOICE
    chosen = {"depth-value-fine-tuning": RESULT, "depth-layer-choice": LAYER_CHOICE}[result]
    with pytest.raises(ValueError, match=match):
        chosen.evaluate(Sigma=[[1, 0], [0, 1]], theta_0=[1, 0], sigma2=sp.Rational(1, 10), **bad)
