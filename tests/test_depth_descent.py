"""Whole matrices fine-tuned at depth (proofs.quantities.depth_descent): gradient descent on the exact zero-shot loss.

Independent references: at one layer, the toolkit's derivation of full fine-tuning (Theorem 4.3 and
Corollary 4.4 through :func:`proofs.quantities.solve.solve`); the exact Isserlis engine and exact law of
large numbers of :mod:`symbolic.concrete_depth` at the parameters the descent reaches (their float
entries read as exact rationals). Breaks tried on purpose, each failing a test here: the mask ignored
(every entry moves), the loss weight ignored, the opposite task's sign dropped, the start's Sigma^{-1}
replaced by I, the Armijo test inverted.
"""
from __future__ import annotations

import json
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

from proofs import cli
from proofs.quantities.depth_descent import check_descent, depth_descent
from proofs.quantities.setting import setting
from proofs.quantities.solve import solve
from symbolic.concrete_depth import concrete_depth_error, concrete_depth_limit
from symbolic.depth_spec import depth_spec_from_json

SIGMA = [[Fraction(3, 2), Fraction(1, 2)], [Fraction(1, 2), Fraction(1)]]
THETA0 = [Fraction(1), Fraction(-1, 2)]


def _spec(L: int, train: list, loss: list | None = None):
    return depth_spec_from_json({"layers": L, "train": train, "loss": loss or [{"n": 0, "task": "target"}]})


def _exact(M: np.ndarray) -> list:
    return [[sp.Rational(float(v)) for v in row] for row in M]


def test_one_layer_reaches_theorem_4_3_and_its_errors():
    """At L = 1 (a spec-like object: depth specs with whole matrices start at L = 2) the descent reaches
    the zero-shot error sigma^2 and the n -> oo errors of Corollary 4.4, as the toolkit derives them."""
    from symbolic.spec import Task, Term
    from symbolic.objective import THETA0 as T0
    where = setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=Fraction(1, 10))
    one = SimpleNamespace(layers=1, train=((1, "V"), (1, "Q")), loss=(Term(sp.S.One, sp.S.Zero, Task(T0)),),
                          bindings=(), names=("V1.all", "Q1"))
    r = depth_descent(one, where, (sp.S.One,), steps=4000)
    derived = solve("full", where).errors()
    assert r.errors["zero_shot"] == pytest.approx(float(derived["zero_shot"]), abs=1e-9)
    for k in ("few_shot_target", "few_shot_opposite"):
        assert r.errors[k] == pytest.approx(float(derived[k]), rel=1e-6), k


def test_query_key_matrices_alone_do_not_move_and_keep_the_pretrained_errors():
    where = setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=Fraction(1, 10))
    ans = solve(_spec(2, ["Q"]), where, numeric=True)
    r = ans.optimum
    assert not r.moved and r.steps == 0 and r.gradient_norm == 0.0
    # the pretrained class model built here exactly: V_l = e_y e_y^T, Q_l = blockdiag(0, gamma_l Sigma^-1, 0)
    from symbolic.depth_finetune import start_gammas
    inv = sp.Matrix(SIGMA).inv()
    start = []
    for g in start_gammas(2):
        V, Q = sp.zeros(4), sp.zeros(4)
        V[3, 3] = 1
        Q[1:3, 1:3] = g * inv
        start.append((V, Q))
    assert all(np.allclose(np.array(V, dtype=float), a) and np.allclose(np.array(Q, dtype=float), b)
               for (V, Q), (a, b) in zip(start, r.start))
    k = float((sp.Matrix(THETA0).T * sp.Matrix(SIGMA) * sp.Matrix(THETA0))[0, 0])
    assert r.errors["zero_shot"] == pytest.approx(0.1 + k, rel=1e-12)
    for key, th in (("few_shot_target", THETA0), ("few_shot_opposite", [-t for t in THETA0])):
        exact = float(concrete_depth_limit(start, theta=th, Sigma=SIGMA, sigma2=Fraction(1, 10)))
        assert r.errors[key] == pytest.approx(exact, rel=1e-9)


def test_full_fine_tuning_descends_and_its_errors_are_the_exact_engines():
    where = setting(1, sigma2=Fraction(1, 10))
    spec = _spec(2, ["all"], [{"n": 0, "task": "target"}, {"weight": "1/2", "n": 0, "task": "opposite"}])
    r = solve(spec, where, numeric=True, steps=300).optimum
    losses = [row[1] for row in r.checkpoints]
    assert r.moved and losses == sorted(losses, reverse=True) and r.loss < r.start_loss
    ex = [(_exact(V), _exact(Q)) for V, Q in r.layers]
    z = concrete_depth_error(ex, n=0, theta=[1], Sigma=[[1]], sigma2=Fraction(1, 10))
    zo = concrete_depth_error(ex, n=0, theta=[-1], Sigma=[[1]], sigma2=Fraction(1, 10))
    assert r.errors["zero_shot"] == pytest.approx(float(z), rel=1e-10)
    assert r.loss == pytest.approx(float(z + zo / 2), rel=1e-10)
    lim = concrete_depth_limit(ex, theta=[-1], Sigma=[[1]], sigma2=Fraction(1, 10))
    assert r.errors["few_shot_opposite"] == pytest.approx(float(lim), rel=1e-10)


def test_only_the_trained_entries_move():
    where = setting(1, sigma2=Fraction(1, 10))
    r = solve(_spec(2, ["Q2", "V1.vx"]), where, numeric=True, steps=50).optimum
    (V1, Q1), (V2, Q2) = r.layers
    (S1, R1), (S2, R2) = r.start
    assert np.array_equal(Q1, R1) and np.array_equal(V2, S2)
    moved = V1 != S1
    assert moved[-1, 1] and moved.sum() == 1      # V1's v_x only (d = 1)
    assert r.moved


def test_the_size_of_a_descent_is_checked_before_any_work():
    with pytest.raises(ValueError, match="steps: expected an integer"):
        check_descent(2, 2, 0)
    with pytest.raises(ValueError, match=r"steps: at L = 2, d = 4 .* expected steps <= "):
        check_descent(2, 4, 50_000)
    with pytest.raises(ValueError, match="^d: gradient descent at depth L = 3"):
        check_descent(3, 6, 1)
    with pytest.raises(ValueError, match="steps: only for a depth spec training whole matrices"):
        solve(_spec(2, ["V2"]), setting(1, sigma2=Fraction(1, 10)), steps=10)
    with pytest.raises(ValueError, match=r"loss\[0\]: a spec training whole matrices"):
        _spec(2, ["all"], [{"n": 3, "task": "target"}])
    with pytest.raises(ValueError, match="whole matrices .* are for depth"):
        _spec(1, ["Q1"])


def test_command_line_json_and_refusals(capsys, tmp_path):
    path = tmp_path / "full.json"
    path.write_text(json.dumps({"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]}))
    status = cli.main(["derive", "--spec", str(path), "--numeric", "--d", "1", "--steps", "100", "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data = json.loads(out)
    assert data["route"] == "gradient descent" and data["steps"] == 100 and data["train"] == ["V1.all", "Q1", "V2.all",
                                                                                             "Q2"]
    assert len(data["parameters"]["layers"]) == 2 and data["loss"] < data["start_loss"]
    assert cli.main(["derive", "--spec", str(path), "--steps", "10"]) == 2
    assert cli.main(["derive", "--spec", str(path), "--numeric", "--d", "4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("icl-finetune derive: error: --steps: only with --numeric")
    assert err[-1].startswith("icl-finetune derive: error: --steps: at L = 2, d = 4")


def test_hostile_sizes_are_refused_before_any_work():
    """A d whose quadrature exceeds the rule's node bound is named as d (not Sigma) by the size check the
    command line runs before announcing the descent; a number of layers whose 3^L would never finish (or
    whose Gauss-Hermite weights overflow) is refused at once."""
    from numeric.depth_exact import zero_shot_nodes
    with pytest.raises(ValueError, match=r"^d: .*10\^7 quadrature nodes.*expected d <= 5 at this depth .*got d = 7"):
        check_descent(2, 7, 1)
    with pytest.raises(ValueError, match=r"^d: .*expected d <= 3 at this depth .*got d = 4"):
        check_descent(3, 4, 1)
    for L in (6, 10 ** 100):
        with pytest.raises(ValueError, match=r"^layers: .*expected L <= 5"):
            zero_shot_nodes(np.eye(1), L)


def test_latex_is_refused_before_the_descent_runs(capsys, tmp_path, monkeypatch):
    import proofs.quantities.depth_descent as dd

    def never(*args, **kwargs):
        raise AssertionError("the descent ran before --format latex was refused")
    monkeypatch.setattr(dd, "depth_descent", never)
    path = tmp_path / "full.json"
    path.write_text(json.dumps({"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]}))
    assert cli.main(["derive", "--spec", str(path), "--numeric", "--d", "1", "--steps", "5", "--format", "latex"]) == 2
    assert capsys.readouterr().err.strip() == ("icl-finetune derive: error: --format: latex is for closed forms; "
                                               "use text or json with --numeric")


def test_overflowing_scales_are_refused_in_one_line_and_a_huge_sigma2_does_not_stop_the_descent():
    """Sigma = (1e300) or a loss weight 1e300: the start's gradient overflows float64; a ValueError naming
    Sigma, theta0, loss weights, no RuntimeWarning (a traceback before). sigma^2 = 1e300 is a constant of
    the loss: the path is the one at sigma^2 = 0 (the pretrained gamma_l at m = oo do not depend on
    sigma^2), not a stop at the start."""
    import warnings
    spec = _spec(2, ["all"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^Sigma, theta0, loss weights: .*overflows"):
            solve(spec, setting(1, Sigma=[[Fraction(10 ** 300)]], sigma2=Fraction(1, 10)), numeric=True, steps=3)
        heavy = _spec(2, ["all"], [{"n": 0, "task": "target", "weight": "1e300"}])
        with pytest.raises(ValueError, match=r"^Sigma, theta0, loss weights: .*overflows"):
            solve(heavy, setting(1, sigma2=Fraction(1, 10)), numeric=True, steps=3)
    huge = solve(spec, setting(1, sigma2=Fraction(10 ** 300)), numeric=True, steps=3).optimum
    zero = solve(spec, setting(1, sigma2=Fraction(0)), numeric=True, steps=3).optimum
    assert huge.moved and huge.steps == 3 and huge.loss == pytest.approx(1e300)
    for (V, Q), (V0, Q0) in zip(huge.layers, zero.layers):
        assert np.allclose(V, V0, rtol=1e-12, atol=0) and np.allclose(Q, Q0, rtol=1e-12, atol=0)


def test_the_pretrained_gammas_at_a_finite_m_are_printed_with_their_values(capsys, tmp_path):
    """At m = 5 the gamma_l are roots (radicals at L = 2, sextic roots at L = 3): text and JSON give their
    floats too, equal to the exact forms evaluated independently here."""
    path = tmp_path / "full.json"
    path.write_text(json.dumps({"layers": 2, "train": ["all"], "loss": [{"n": 0, "task": "target"}]}))
    assert cli.main(["derive", "--spec", str(path), "--numeric", "--d", "1", "--m", "5", "--steps", "1",
                     "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    exact = [float(sp.sympify(g)) for g in data["gammas"]]
    assert data["gamma_values"] == pytest.approx(exact, rel=1e-15) and exact[0] < 0 < exact[1]
    assert cli.main(["derive", "--spec", str(path), "--numeric", "--d", "1", "--m", "5", "--steps", "1"]) == 0
    assert f"(= {exact[0]:.10g}, {exact[1]:.10g})" in capsys.readouterr().out


def test_an_ill_conditioned_sigma_is_warned_about():
    """cond(Sigma) = 2e9: the float64 descent from Q_l = gamma_l Sigma^-1 stalls (its loss did not change
    over 200 steps); the answer carries a one-line warning (printed by derive on standard error), none for
    a well-conditioned Sigma."""
    rho = 1 - Fraction(1, 10 ** 9)
    bad = solve(_spec(2, ["all"]), setting(2, Sigma=[[1, rho], [rho, 1]], sigma2=Fraction(1, 10)), numeric=True,
                steps=1).optimum
    assert bad.warning.startswith("warning: Sigma's condition number is 2e+09") and "\n" not in bad.warning
    good = solve(_spec(2, ["all"]), setting(2, Sigma=SIGMA, sigma2=Fraction(1, 10)), numeric=True, steps=1).optimum
    assert good.warning is None
