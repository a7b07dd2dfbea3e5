"""A spec starting from a dense numeric V and Q (a trained model's parameters) at d = 3:
the start fixes d and the answer is the exact minimiser at that setting
(proofs/quantities/concrete_minimiser.py via symbolic.spec.general_start), checked against an independent
minimisation of symbolic/concrete.py's exact loss by linear algebra."""
from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp

from proofs.api import params
from symbolic.concrete import concrete_error
from symbolic.spec import general_start, spec_from_json

D = 3
SIGMA2 = sp.Rational(1, 10)


def _dense(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[str(Fraction(rng.randint(-9, 9), rng.randint(1, 7))) for _ in range(D + 2)] for _ in range(D + 2)]


V0, Q0 = _dense(1), _dense(2)
V0[D + 1][0] = "3/5"  # v_0 != 0
SPEC = {"train": ["v0", "vx", "vy"], "loss": [{"n": 0, "task": "target"}, {"weight": "1/2", "n": 2, "task": "target"}],
        "start": {"V": V0, "Q": Q0}}


def _independent(V: sp.Matrix, Q: sp.Matrix) -> sp.Matrix:
    """V's last row minimising E(0) + 1/2 E(2) on theta0 = e_1, Sigma = I: the exact loss of
    symbolic/concrete.py in the 5 symbols of the row, its gradient solved as a linear system."""
    u = sp.symbols("u0:%d" % (D + 2))
    V = V.copy()
    V[D + 1, :] = sp.Matrix([u])
    kw = dict(theta=[1] + [0] * (D - 1), Sigma=sp.eye(D), sigma2=SIGMA2)
    loss = concrete_error(V, Q, n=0, **kw) + sp.Rational(1, 2) * concrete_error(V, Q, n=2, **kw)
    A, b = sp.linear_eq_to_matrix([sp.diff(loss, x) for x in u], u)
    return A.LUsolve(b).T


def test_dense_start_matches_an_independent_minimisation():
    V, Q = (sp.Matrix(M).applyfunc(sp.Rational) for M in (V0, Q0))
    assert Q[1:D + 1, 1:D + 1] != Q[1:D + 1, 1:D + 1].T and Q[0, :] != Q[:, 0].T and V[D + 1, 0] != 0
    spec = spec_from_json(SPEC)
    assert general_start(spec)
    got = params(spec, sigma2=SIGMA2)  # d from the start
    assert "at this setting only" in got.convention
    want = _independent(V, Q)
    assert got.V[D + 1, :] == want
    # the start matters: the minimiser from the transposed Q differs
    assert _independent(V, Q.T) != want


def test_derive_params_curve_on_the_command_line(capsys, tmp_path):
    """``derive --spec`` needs no --d (the start fixes it) and says the answer holds at this
    setting only; its V's last row is the same exact point as ``params --spec``'s."""
    import json

    from test_cli_fakes import run
    path = tmp_path / "dense.json"
    path.write_text(json.dumps(SPEC))
    code, out, err = run(capsys, "derive", "--spec", str(path), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["closed_form"] == "at this setting only" and data["setting"]["d"] == D
    code, out2, err = run(capsys, "params", "--spec", str(path), "--sigma2", "0.1", "--format", "json")
    assert code == 0, err
    row = [sp.sympify(x) for x in data["V"][D + 1]]
    assert row == [sp.sympify(x) for x in json.loads(out2)["V"][D + 1]]
    code, out3, err = run(capsys, "curve", "--spec", str(path), "--task", "target", "--n", "0:2", "--format", "json")
    assert code == 0, err
