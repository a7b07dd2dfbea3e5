"""Q_xx at symbolic d (issue 15, part 2): the structured solution of symbolic/matrix_unknown.py.

The closed form derived at symbolic d and Sigma, evaluated at a concrete setting, must equal the
concrete minimiser (proofs/quantities/concrete_minimiser.py: the explicit quadratic solved by linear algebra,
itself checked against the concrete engine in tests/test_qxx_concrete.py) at two settings of
different dimension; the exact check must reject a wrong candidate; the refusals say why.
"""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic.general import derive_spec
from symbolic.matrix_unknown import _gradient
from symbolic.quadratic import NotClosedForm
from symbolic.spec import make_spec
from proofs.quantities.concrete_minimiser import concrete_minimiser
from proofs.quantities.setting import setting
from proofs.api import params

Q_ALL = ("Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx")
S2 = sp.Rational(1, 10)
SETTINGS = (
    (2, sp.Matrix([[2, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]]), sp.Matrix([1, sp.Rational(-1, 2)])),
    (3, sp.Matrix([[1, 0, sp.Rational(1, 3)], [0, 2, 0], [sp.Rational(1, 3), 0, 1]]), sp.Matrix([0, 1, 2])),
)
SPECS = {
    "Qxx-n5": (("Qxx",), [(1, 5, "target")]),
    "Qxx-two-tasks": (("Qxx",), [(1, 3, "target"), (sp.Rational(1, 2), 1, "opposite")]),
    "all-Q-n2": (Q_ALL, [(1, 2, "target")]),
}


@pytest.mark.parametrize("key", list(SPECS))
def test_symbolic_closed_form_is_the_concrete_minimiser(key: str) -> None:
    train, loss = SPECS[key]
    spec = make_spec(train, loss, name=key)
    derive_spec(spec)          # derives at symbolic d (raises if it cannot)
    for d, Sigma, theta0 in SETTINGS:
        p = params(spec, d=d, sigma2=S2, Sigma=Sigma, theta0=theta0)
        sol = concrete_minimiser(spec, setting(d, Sigma=Sigma, theta0=theta0, sigma2=S2))
        assert sol.unique
        assert sp.Matrix(p.Q) == sol.Q and sp.Matrix(p.V) == sol.V, (key, d)


def test_finite_m_start() -> None:
    """From the pretrained parameters at finite m (Q_xx a derived matrix, not Sigma^{-1})."""
    m = sp.Symbol("m", integer=True, nonnegative=True)
    spec = make_spec(("Qxx",), [(1, 2, "target")], name="qxx-m")
    derive_spec(spec, m)
    d, Sigma, theta0 = SETTINGS[0]
    p = params(spec, d=d, sigma2=S2, Sigma=Sigma, theta0=theta0, m=4)
    sol = concrete_minimiser(spec, setting(d, Sigma=Sigma, theta0=theta0, sigma2=S2, m=4))
    assert sp.Matrix(p.Q) == sol.Q


def test_the_check_rejects_a_wrong_candidate() -> None:
    """The exact check of the full matrix equation can fail: at Q_xx = 1.01 x the derived one
    the gradient with respect to Q_xx has nonzero terms; at the derived one it has none."""
    from symbolic.general import UNKNOWNS, _with_unknowns, loss_poly
    from symbolic.matrix_unknown import _CHECK
    from symbolic.pretraining import derive_pretrain
    from symbolic.words import Atom
    spec = make_spec(("Qxx",), [(1, 5, "target")], name="qxx-check")
    s = derive_spec(spec)
    cand = s.blocks.Qxx
    start = derive_pretrain(sp.oo).blocks
    for factor, empty in ((1, True), (sp.Rational(101, 100), False)):
        b = start.with_(Qxx=tuple((c * factor, w) for c, w in cand) + ((sp.S.One, (Atom(_CHECK),)),))
        assert (not _gradient(loss_poly(b, spec.loss), {})) is empty


def test_refusals_say_why() -> None:
    with pytest.raises(NotClosedForm, match="affine family"):
        derive_spec(make_spec(("Qxx",), [(1, sp.oo, "target")], name="qxx-inf"))
    from symbolic.spec import family
    with pytest.raises(NotClosedForm, match="task family"):
        derive_spec(make_spec(("Qxx",), [(1, 2, family("target", sp.Rational(1, 4)))], name="qxx-fam"))


def test_gradient_of_a_transposed_unknown() -> None:
    """d/dE of a^T E^T b is b a^T (and of a^T E b, a b^T), whichever orientation the form is
    stored in; d/dE tr(E^T P) is P."""
    from symbolic.forms import Form, Poly, Tr, const
    from symbolic.matrix_unknown import _CHECK
    from symbolic.words import DIM, Atom
    a, b = sp.MatrixSymbol("a", DIM, 1), sp.MatrixSymbol("b", DIM, 1)
    P = Atom(sp.MatrixSymbol("P", DIM, DIM))
    E = Atom(_CHECK)
    g = _gradient(Poly.factor(Form(const(a), (E.T,), const(b))), {})
    assert g == {("o", (), b, (), a): 1}
    g = _gradient(Poly.factor(Form(const(b), (E,), const(a))), {})
    assert g == {("o", (), b, (), a): 1}
    assert _gradient(Poly.factor(Tr((E.T, P))), {}) == {("w", (P,)): 1}
    assert _gradient(Poly.factor(Tr((E, P))), {}) == {("w", (P.T,)): 1}
