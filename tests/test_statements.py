"""Every printed statement is honest: its symbols are defined where it is stated, its label and
title are not ids, and the trade-off result (Extension 1) fails when its derivation is wrong."""
from __future__ import annotations

import pytest
import sympy as sp

from proofs import api
from proofs.paper.notation import STANDING_SYMBOLS
from proofs.paper.result import Result


@pytest.fixture(scope="module")
def results():
    return api.results()


def test_every_statement_symbol_is_defined(results):
    """A symbol of a statement is the setting's (d, sigma, Sigma, theta_0, V's and Q's blocks...)
    or the result defines it: in its printed definitions ("Here ..."), or in its own claim."""
    for r in results:
        own = {name for name, _, _ in r.definitions} | set(r.defined_in_claim)
        missing = r.statement_symbols() - STANDING_SYMBOLS - own
        assert not missing, f"{r.id}: {sorted(missing)} used in the statement and defined nowhere"
        unused = own - r.statement_symbols()
        assert not unused, f"{r.id}: {sorted(unused)} defined and never used in the statement"
        tex, text = r.latex(), str(r)
        for _, plain, latex in r.definitions:
            assert latex in tex and plain in text


def test_the_setting_defines_the_standing_symbols():
    from proofs.paper.latex_doc import _SETTING
    for spelled in (r"\theta_0", r"$d$", r"\Sigma", r"\sigma^{2}", r"Q_{00}", r"q_{0x}", r"q_{x0}",
                    r"Q_{xx}", r"q_{yx}", r"v_0", r"v_x", r"v_y", r"n_{\mathrm{ft}}", r"$m"):
        assert spelled in _SETTING, spelled


def test_labels_and_titles_are_not_ids(results):
    """The paper's results are labelled by their number ("Theorem 4.6" for theorem-4.6); the others
    carry a label of their own ("Extension 1"), never one made from the id ("Tradeoff value")."""
    for r in results:
        if not any(ch.isdigit() for ch in r.id):
            assert r.label_text and r.label.lower() != r.id.replace("-", " "), r.id
        assert r.title and r.title.lower() != r.id.replace("-", " "), r.id
        assert r.id not in r.latex().split("\n")[0]


def test_an_unnumbered_result_without_a_label_is_refused():
    class Unnamed(Result):
        id = "some-result"
        title = "something"
    with pytest.raises(ValueError, match="label_text"):
        Unnamed().label


def test_no_typed_in_number_of_shots(results):
    """The query-key statement holds for every n_ft (its 1/49 was 1/(n_ft + 2)^2 at n_ft = 5)."""
    from symbolic import N_FT
    r = next(x for x in results if x.id == "query-key-zero-shot")
    assert any(s.rhs.has(N_FT) for s in r.statement if isinstance(s, sp.Eq))
    assert "49" not in r.latex()


# --------------------------------------------------------------------- the trade-off's checks have power

def _tradeoff_with(weight):
    """Extension 1 whose derivation uses the few-shot weight ``weight(lambda)`` instead of lambda."""
    from proofs.paper.results._beyond import LAMBDA, V_ROW
    from proofs.paper.results.tradeoff_value import TradeoffValue
    from symbolic.spec import make_spec

    class Broken(TradeoffValue):
        def spec(self, n_ft):
            return make_spec(V_ROW, [(1, 0, "target"), (weight(LAMBDA), n_ft, "target")], name="broken-tradeoff")
    return Broken()


def test_the_tradeoff_result_holds(results):
    v = next(x for x in results if x.id == "tradeoff-value").check()
    assert v.holds, "\n".join(v.lines)


@pytest.mark.parametrize("weight", [lambda lam: lam ** 2, lambda lam: 1], ids=["weight-squared", "lambda-dropped"])
def test_a_wrong_tradeoff_derivation_fails(weight):
    v = _tradeoff_with(weight).check()
    assert not v.holds
    failed = [line for line in v.lines if line.startswith("[FAILED")]
    assert any("concrete-dimension engine" in line for line in failed), "\n".join(v.lines)

