"""``params --format json`` in float or mp says how many significant digits the parameters hold
(with an ill-conditioned Sigma float64 loses digits; the warning said so, the JSON
did not).  Checked against the same parameters computed in mp at 40 digits: the float entries agree
with them to at least the digits claimed (norm-wise), and the claim is not vacuous (cond 1e10:
about 5 digits, not 15)."""
from __future__ import annotations

import json

import numpy as np

from proofs import api, cli


def _ill_sigma(path, d=12, decades=10):
    rng = np.random.default_rng(0)
    Qm, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = Qm @ np.diag(np.logspace(0, -decades, d)) @ Qm.T
    S = (S + S.T) / 2
    np.save(path, S)
    return S


def _json(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def test_float_parameters_hold_the_digits_json_claims(tmp_path, capsys):
    path = tmp_path / "sigma.npy"
    S = _ill_sigma(path)
    data = _json(capsys, "params", "--strategy", "value", "--d", "12", "--Sigma", str(path), "--sigma2", "0.1",
                 "--arithmetic", "float", "--format", "json")
    assert data["condition"] > 1e9 and 3 <= data["digits_held"] <= 7
    ref = api.params("value", d=12, Sigma=S, sigma2=0.1, arithmetic="mp", precision=40)
    for key, M in (("V", ref.V), ("Q", ref.Q)):
        want = np.array([[float(x) for x in row] for row in M.tolist()])
        got = np.array(data[key], dtype=float)
        assert np.linalg.norm(got - want) <= 10.0 ** -data["digits_held"] * np.linalg.norm(want), key
    well = _json(capsys, "params", "--strategy", "value", "--d", "3", "--sigma2", "0.1", "--arithmetic", "float",
                 "--format", "json")
    assert well["digits_held"] == 15
    mp = _json(capsys, "params", "--strategy", "value", "--d", "3", "--sigma2", "0.1", "--arithmetic", "mp",
               "--precision", "30", "--format", "json")
    assert mp["digits_held"] == 29
    exact = _json(capsys, "params", "--strategy", "value", "--d", "2", "--sigma2", "1/10", "--format", "json")
    assert "digits_held" not in exact
