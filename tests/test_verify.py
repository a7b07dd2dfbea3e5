"""proofs.paper.verify: the backend of ``icl-finetune verify`` (issue 5, item 2).

Every derived error formula of every strategy against Monte Carlo; small sample sizes here
(the calibrated default run is ``python bench/calibrate_xcheck.py --only verify``).  A wrong
formula (one derived result with d+5 where the derivation gives d+4; one coefficient off by
1%) must be flagged.
"""
from __future__ import annotations

import math

import pytest
import sympy as sp

import symbolic
from symbolic import DIM, THETA0
from symbolic.evaluation import evaluate, evaluate_poly

from proofs.paper.verify import Formula, VerifyRow, Z_TOL, _settings, check_formula, formulas, strategy_env, verify

SMALL = 20_000
NON_IDENTITY = _settings()[0]


@pytest.fixture(scope="module")
def rows() -> list[VerifyRow]:
    return verify(SMALL, 0)


def _find(label_part: str, strategy: str = "value (m=oo)") -> Formula:
    hits = [f for f in formulas() if f.label.startswith(strategy) and label_part in f.label]
    assert hits, (strategy, label_part)
    return hits[0]


def test_every_strategy_and_setting_is_covered():
    labels = [f.label for f in formulas()]
    text = "\n".join(labels)
    for name in ("pretrain (m=oo)", "pretrain (m=10)", "full (C=1)", "full (C=3/2)", "value (m=oo)",
                 "value (m=10)", "value-fewshot (m=oo, n_ft=oo)", "value-fewshot (m=oo, n_ft=5)",
                 "value-fewshot (m=10, n_ft=5)"):
        assert f"{name} [d=3, Sigma!=I]" in text, name
    for part in ("E(0; theta0), zero-shot", "E(1; theta0)", "E(5; -theta0)", "E(20; -theta0)", "E(5; theta1)",
                 "lim n->oo E(n; theta0)", "lim n->oo E(n; -theta0)", "[d=5, Sigma=I]"):
        assert part in text, part
    methods = {f.method for f in formulas()}
    assert methods == {"reference", "fast"}
    assert len(set(labels)) == len(labels)


def test_every_formula_passes_with_small_samples(rows):
    assert len(rows) == len(formulas())
    failed = [r for r in rows if not r.passed]
    assert not failed, failed
    for r in rows:
        assert isinstance(r, VerifyRow)
        assert all(isinstance(getattr(r, k), float) for k in ("exact", "estimate", "stderr", "z"))
        if r.stderr > 0:     # docs/cli.md: z = (estimate - exact) / stderr
            assert r.z == pytest.approx((r.estimate - r.exact) / r.stderr)
            assert abs(r.z) <= Z_TOL
        else:                # exact estimates: zero-shot (moments) and n -> oo
            assert r.z == 0 and r.estimate == pytest.approx(r.exact, rel=1e-10)


def test_reproducible_from_seed(rows):
    some = formulas()[:20]
    a, b = verify(SMALL, 0, some), verify(SMALL, 0, some)
    assert a == b
    assert a == rows[:20]
    assert verify(SMALL, 1, some) != a


def test_table_values_are_checked():
    """The poster's table at d = 3, non-identity Sigma: the rows carry the table's exact values."""
    S = NON_IDENTITY
    t = (S.theta0.T * S.Sigma * S.theta0)[0, 0]      # theta0^T Sigma theta0
    s2, d = S.sigma2, 3
    expect = {
        "value (m=oo) [d=3, Sigma!=I]: E(0; theta0), zero-shot": s2 + 2 * t / (d + 4),
        "value (m=oo) [d=3, Sigma!=I]: lim n->oo E(n; -theta0)": s2 + t / (d + 4) ** 2,
        "value-fewshot (m=oo, n_ft=oo) [d=3, Sigma!=I]: E(0; theta0), zero-shot": s2 + 2 * t / (d + 4),
        "value-fewshot (m=oo, n_ft=oo) [d=3, Sigma!=I]: lim n->oo E(n; theta0)": s2,
        "value-fewshot (m=oo, n_ft=oo) [d=3, Sigma!=I]: lim n->oo E(n; -theta0)": s2 + 4 * t / (d + 4) ** 2,
        "full (C=1) [d=3, Sigma!=I]: E(0; theta0), zero-shot": s2,
        "full (C=1) [d=3, Sigma!=I]: lim n->oo E(n; -theta0)": s2 + t,
        "pretrain (m=oo) [d=3, Sigma!=I]: E(0; theta0), zero-shot": s2 + t,
        "pretrain (m=oo) [d=3, Sigma!=I]: lim n->oo E(n; theta0)": s2,
    }
    exact = {f.label: f.exact for f in formulas()}
    for label, value in expect.items():
        assert exact[label] == value, label


def test_wrong_derived_limit_is_flagged():
    """d+5 instead of d+4 in Proposition 4.10's limit sigma^2 + 4/(d+4)^2 theta0^T Sigma theta0."""
    f = _find("lim n->oo E(n; -theta0)", "value-fewshot (m=oo, n_ft=oo) [d=3")
    limit = symbolic.derive("value-fewshot").few_shot_limit(-THETA0)
    assert "d + 4" in str(limit)
    env = strategy_env(NON_IDENTITY.Sigma, NON_IDENTITY.theta0, NON_IDENTITY.sigma2)
    assert sp.expand(evaluate(limit, env)) == f.exact
    wrong = sp.expand(evaluate(limit.subs(DIM, DIM + 1), env))
    row = verify(SMALL, 0, [f.with_exact(wrong)])[0]
    assert not row.passed and math.isinf(row.z)
    assert verify(SMALL, 0, [f])[0].passed


def test_wrong_derived_parameters_are_flagged_at_finite_n():
    """The n-shot error of strategy (c) computed with v_x = theta0/(d+5) instead of theta0/(d+4):
    flagged by the Monte Carlo of the right V, Q (200,000 samples; a change of ~3%)."""
    for task in ("E(5; theta0)", "E(20; -theta0)"):
        f = _find(task, "value (m=oo) [d=3")
        strategy = symbolic.derive("value")
        (c, w, a), = strategy.blocks.vx
        assert c == 1 / (DIM + 4)
        wrong_blocks = strategy.blocks.with_(vx=((1 / (DIM + 5), w, a),))
        env = strategy_env(NON_IDENTITY.Sigma, NON_IDENTITY.theta0, NON_IDENTITY.sigma2)
        n = int(task[2:task.index(";")])
        env["theta"] = NON_IDENTITY.theta0 if "-" not in task else -NON_IDENTITY.theta0
        right = sp.expand(evaluate_poly(symbolic.expected_error(strategy.blocks, symbolic.THETA, n), env))
        assert right == f.exact
        wrong = sp.expand(evaluate_poly(symbolic.expected_error(wrong_blocks, symbolic.THETA, n), env))
        assert check_formula(f, 200_000, 0).passed
        row = check_formula(f.with_exact(wrong), 200_000, 0)
        assert not row.passed, row


def test_one_coefficient_off_by_one_percent_is_flagged():
    """The largest term's coefficient times 1.01: flagged in an exact row (any samples) and in a
    finite-n row at 1,000,000 samples."""
    f = _find("lim n->oo E(n; theta0)", "value (m=10) [d=3")
    assert not check_formula(f.with_exact(f.wrong()), SMALL, 0).passed
    g = _find("E(20; -theta0)", "value-fewshot (m=oo, n_ft=5) [d=3")
    assert check_formula(g, 1_000_000, 0).passed
    assert not check_formula(g.with_exact(g.wrong()), 1_000_000, 0).passed


@pytest.mark.parametrize("samples", [1, 0, -5, 2.5, True, "100"])
def test_bad_samples(samples):
    with pytest.raises(ValueError, match="samples"):
        verify(samples, 0, [])


@pytest.mark.parametrize("seed", [-1, 1.5, None, "0"])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        verify(10, seed, [])


def test_general_formula_with_scalar_blocks_held_as_symbols_is_the_derived_formula():
    """verify evaluates E(V*, Q*, n; theta) with derived scalar blocks (v_y at finite n_ft) held as
    symbols: the values equal ``Strategy.error_poly``'s, exactly."""
    strategy = symbolic.derive("value-fewshot", n_ft=5)
    S = NON_IDENTITY
    env = strategy_env(S.Sigma, S.theta0, S.sigma2)
    for task, theta in (("E(1; theta0)", S.theta0), ("E(20; -theta0)", -S.theta0), ("E(5; theta1)", S.theta1)):
        f = _find(task, "value-fewshot (m=oo, n_ft=5) [d=3")
        n = int(task[2:task.index(";")])
        direct = sp.expand(evaluate_poly(strategy.error_poly(symbolic.THETA, symbolic.N), dict(env, theta=theta, n=n)))
        assert direct == f.exact, task


def test_cli_default_sample_size_is_the_calibrated_one():
    """The CLI keeps its own constant (so ``--help`` stays free of numpy); it must equal verify's."""
    from proofs.paper import verify
    from proofs.cli import verify as verify_command
    assert verify_command.DEFAULT_SAMPLES == verify.DEFAULT_SAMPLES
