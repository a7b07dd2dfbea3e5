"""Strategy (d)'s trajectory: each stage its own step, the mixed-loss path, no
limit for a run that does not converge.

Independent checks: gradient descent iterated step by step in float64 on the explicit quadratics
(stage 2 projected on the null space of the first loss's Hessian; the mixed path on
grad E(0) + lambda grad E(n_ft), the two errors' quadratics built separately), the end point
against (d)'s derived point (:func:`symbolic.general.derive_spec`), the mixed path's limit
against the frontier's exact row at the same lambda (the mixed loss's derivation).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from proofs import api, cli
from proofs.quantities.trajectories import _nullspace_projector, derived_point, error_quadratics
from symbolic.explicit import explicit_quadratic
from symbolic.strategies import value_fewshot_spec

R = sp.Rational
SETTING = dict(d=2, sigma2=R(1, 10), n_ft=3)


def _gd(grad, u, etas_steps, projector=None):
    for eta, steps in etas_steps:
        for _ in range(steps):
            g = grad(u)
            u = u - eta * (g if projector is None else projector @ g)
    return u


def test_stage_two_gets_its_own_step_and_reaches_d():
    """At a step 1/10 of stage 1's stable range, T = 300 steps per stage reach (d)'s derived point;
    stage 2 runs at the same fraction of its own range (its curvature is far smaller: with one eta
    it would stop far short), and the rows equal projected descent iterated step by step."""
    spec = value_fewshot_spec(3)
    probe = api.trajectory("value-fewshot", eta=R(1, 10**9), steps=1, **SETTING)
    eta = probe.eta_max[0] / 10
    r = api.trajectory("value-fewshot", eta=eta, steps=300, every=300, **SETTING)
    assert r.etas[1] == eta * r.eta_max[1] / r.eta_max[0] and r.eta_source == "scaled"
    assert r.eta_max[1] > 5 * r.eta_max[0]            # the curvatures differ: one eta would not do
    q1 = explicit_quadratic(spec, d=2, sigma2=R(1, 10))
    q2 = explicit_quadratic(spec, d=2, sigma2=R(1, 10), stage="then")
    A2, b2 = np.asarray(q2.A, float), np.asarray(q2.b, float)
    P = _nullspace_projector(np.asarray(q1.A, float), False)
    u1 = np.asarray(q1.limit_point(), float)                       # the jump to stage 1's limit
    u2 = _gd(lambda u: 2 * (A2 @ u - b2), u1, [(float(r.etas[1]), 300)], P)
    assert np.allclose(list(r.end.values()), u2, rtol=1e-9, atol=1e-12)
    env = {"Sigma": sp.eye(2), "theta_0": sp.Matrix([1, 0]), "sigma": sp.sqrt(R(1, 10))}
    derived = np.asarray(derived_point(spec, q1, env), float)
    assert np.allclose(u2, derived, atol=1e-9)
    # with stage 1's eta in stage 2 (the old path) the same run stops short of (d)
    same = api.trajectory("value-fewshot", eta=eta, eta2=eta, steps=300, every=300, **SETTING)
    assert same.eta_source == "given" and np.abs(np.asarray(list(same.end.values())) - derived).max() > 1e-3


def test_mixed_path_is_plain_descent_on_the_mixed_loss():
    """--path mixed: rows equal gradient descent on grad E(0) + lambda grad E(n_ft) iterated step by
    step; far along, the errors equal the frontier's exact row at that lambda."""
    lam, n, T = R(2), 3, 40
    r = api.trajectory("value-fewshot", eta=R(1, 200), steps=T, every=T, path="mixed", lam=lam, n=n, **SETTING)
    assert len(r.eta_max) == 1 and r.path == "mixed" and "lambda = 2" in r.construction
    env = dict(d=2, Sigma=None, theta0=None, sigma2=R(1, 10), m=sp.oo, values={}, cache={})
    e0 = error_quadratics(value_fewshot_spec(3), n=0, env=env, arithmetic="exact")["zero_shot"]
    e3 = error_quadratics(value_fewshot_spec(3), n=3, env=env, arithmetic="exact")["few_shot_target"]
    A0, b0, A3, b3 = (np.asarray(x, float) for x in (e0.A, e0.b, e3.A, e3.b))
    u = _gd(lambda u: 2 * (A0 @ u - b0) + float(lam) * 2 * (A3 @ u - b3), np.asarray(e0.start, float),
            [(1 / 200, T)])
    assert np.allclose(list(r.end.values()), u, rtol=1e-9, atol=1e-12)
    assert r.rows[-1].values["zero_shot"] == pytest.approx(float(e0.value(u)), rel=1e-9)
    far = api.trajectory("value-fewshot", eta=r.eta_max[0] / 4, steps=10**6, every=10**6, path="mixed", lam=lam,
                         n=n, **SETTING)
    row = api.frontier([lam], n=n, **SETTING).rows[0]
    for c, v in zip(("zero_shot", "few_shot_target", "few_shot_opposite"), row.values()):
        assert far.rows[-1].values[c] == pytest.approx(float(v), rel=1e-9), c


def _cli(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_header_names_each_stage_step_and_unstable_run_has_no_limit(capsys):
    base = ["trajectory", "--strategy", "value-fewshot", "--d", "2", "--n-ft", "3", "--steps", "10", "--every", "5"]
    status, out, err = _cli(capsys, *base, "--lr", "1/1000", "--lr2", "1/7")
    assert status == 0, err
    path = next(line for line in out.splitlines() if line.startswith("# path:"))
    assert "eta = 1/1000" in path and "eta_2 = 1/7 (given)" in path
    status, out, err = _cli(capsys, *base, "--lr", "1/1000", "--format", "json")
    data = json.loads(out)
    assert data["eta_source"] == "scaled" and len(data["eta"]) == 2 and data["converges"]
    assert data["eta"][1] == pytest.approx(data["eta"][0] * data["eta_max"][1] / data["eta_max"][0])
    status, out, err = _cli(capsys, "trajectory", "--strategy", "value", "--d", "2", "--lr", "1", "--steps", "10")
    assert status == 0, err
    assert "limit t->inf" not in out and "no limit t -> inf" in out
    status, out, err = _cli(capsys, "trajectory", "--strategy", "value", "--d", "2", "--lr", "1", "--steps", "10",
                            "--format", "json")
    data = json.loads(out)
    assert data["limit"] is None and data["limit_exact"] is None and not data["converges"]


@pytest.mark.parametrize("argv, message", [
    (["--strategy", "value", "--path", "mixed", "--lambda", "1"], "--path"),
    (["--strategy", "value-fewshot", "--path", "mixed"], "--lambda"),
    (["--strategy", "value-fewshot", "--lambda", "1"], "--lambda"),
    (["--strategy", "value", "--lr2", "0.1"], "--lr2"),
    (["--strategy", "value-fewshot", "--lr2", "0"], "--lr2"),
    (["--strategy", "value-fewshot", "--path", "other"], "--path"),
])
def test_bad_options(capsys, argv, message):
    status, out, err = _cli(capsys, "trajectory", "--d", "2", "--lr", "0.001", "--steps", "10", *argv)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1, err
