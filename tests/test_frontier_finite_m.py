"""``frontier`` at a finite pretraining length m in float64 and mp (every finite
--m was refused there with "lambda: no value given for this symbol").

Independent check: the mixed loss E(0; theta_0) + lambda E(n_ft; theta_0) at the setting as an
explicit quadratic in V's last row (:func:`symbolic.explicit.explicit_quadratic`, read off the Wick
polynomial, not the derivation's minimiser), minimised by linear algebra (the minimiser nearest the
pretrained start), and the three errors evaluated there as explicit quadratics; the mp rows
against the exact path's rows.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from proofs import api, cli
from proofs.quantities.frontier import tradeoff_spec
from proofs.quantities.trajectories import error_quadratics
from symbolic.explicit import explicit_quadratic

R = sp.Rational
SIGMA = [[2, 1, 0], [1, 3, 1], [0, 1, 1]]
THETA0 = [1, -1, 2]
M, N_FT, N = 7, 5, 4


def _explicit_row(lam):
    Sigma = sp.Matrix(SIGMA) / 2
    env = dict(d=3, Sigma=Sigma, theta0=THETA0, sigma2=R(1, 5), m=sp.Integer(M))
    q = explicit_quadratic(tradeoff_spec(sp.Integer(N_FT), lam), arithmetic="float", **env)
    u = np.asarray(q.limit_point(), float)
    errs = error_quadratics(tradeoff_spec(sp.Integer(N_FT), lam), n=N, env={**env, "values": {}, "cache": {}},
                            arithmetic="float")
    return [float(errs[c].value(u)) for c in ("zero_shot", "few_shot_target", "few_shot_opposite")]


def test_float_rows_at_finite_m_equal_the_explicit_minimiser():
    lams = [R(1, 2), 3]
    r = api.frontier([0, *lams, "inf"], n_ft=N_FT, n=N, d=3, sigma2=R(1, 5), m=M, Sigma=[[x / 2 for x in row] for row in SIGMA],
                     theta0=THETA0, arithmetic="float")
    assert r.holds, r.checks                      # lambda -> 0+ is (d), lambda -> oo the few-shot loss alone
    for row, lam in zip(r.rows[1:3], lams):
        want = _explicit_row(lam)
        assert [float(v) for v in row.values()] == pytest.approx(want, rel=1e-8), lam
    mp = api.frontier([0, 1, "inf"], n_ft=N_FT, n=N, d=2, sigma2=R(1, 10), m=M, arithmetic="mp", precision=30)
    exact = api.frontier([0, 1, "inf"], n_ft=N_FT, n=N, d=2, sigma2=R(1, 10), m=M, arithmetic="exact")
    assert mp.holds
    for a, b in zip(mp.rows, exact.rows):
        for x, y in zip(a.values(), b.values()):
            assert abs(sp.Float(x, 30) - y) < sp.Float(10) ** -20 * max(1, abs(y))


def test_command_line_at_finite_m_float(capsys):
    status = cli.main(["frontier", "--n-ft", "5", "--lambda", "0,1,inf", "--d", "11", "--n", "5", "--m", "7"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "DOES NOT HOLD" not in out and "lambda=inf" in out and "float64" in out
    status = cli.main(["frontier", "--n-ft", "5", "--lambda", "1", "--d", "11", "--n", "5", "--m", "7", "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data = json.loads(out)
    assert data["formulas"] is None and set(data["monotone"].values()) == {"unknown"}
