"""proofs.quantities.trajectories: the closed-form gradient-descent path of quadratic strategies and specs.

Independent checks: the closed form against gradient descent iterated step by step in exact
arithmetic (u <- u - eta grad L, grad from the explicit quadratic), the limit t -> oo against the
derivation's minimiser (symbolic.general.derive_spec, free blocks at their start values), the
stable range against the iteration, the flow as the limit eta -> 0 with t eta = tau fixed.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.api import trajectory
from proofs.quantities.trajectories import Path, _nullspace_projector, limit_check, modes, stable_range
from symbolic.explicit import explicit_quadratic
from symbolic.spec import make_spec
from symbolic.strategies import value_fewshot_spec, value_spec

R = sp.Rational
SIGMA = sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 1]]) / 2
THETA0 = [1, -1, 2]
_SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("spec", [value_spec(), value_fewshot_spec(3), value_fewshot_spec(sp.oo)],
                         ids=["value", "value-fewshot n_ft=3", "value-fewshot n_ft=oo"])
def test_limit_is_the_derived_minimiser_for_every_strategy(spec):
    """The free-block convention as a consequence: t -> oo gives the derived point, exactly."""
    ok, limit, derived = limit_check(spec, d=3, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 5))
    assert ok, (limit, derived)


def _gd(q, u, eta, steps, projector=None):
    """Gradient descent, step by step, exact."""
    out = [u.copy()]
    for _ in range(steps):
        g = q.gradient(u)
        if projector is not None:
            g = projector.dot(g)
        u = u - eta * g
        out.append(u.copy())
    return out


def _closed(m, t, eta):
    return m.u_star + m.w.dot(np.array([(1 - eta * h) ** t for h in m.h], dtype=object)) if m.h else m.u_star


BLOCK_SETS = [("v0", "vx", "vy"), ("vx",), ("vy", "v0"), ("Q00", "qx0"), ("qx0", "qyx", "Qy0"), ("q0x", "Q00")]
TERMS = st.lists(st.tuples(st.sampled_from([1, 2, R(1, 2)]), st.sampled_from([0, 1, 3, sp.oo]),
                           st.sampled_from(["target", "opposite"])), min_size=1, max_size=2)


@settings(max_examples=5, **_SETTINGS)
@given(train=st.sampled_from(BLOCK_SETS), terms=TERMS, frac=st.sampled_from([R(1, 10), R(1, 2), R(9, 10)]))
def test_random_specs(train, terms, frac):
    """Random quadratic specs and a random step in the stable range: u_0 at t = 0, exact gradient
    descent at t = 1..4, the derived minimiser as t -> oo, the training loss decreasing."""
    spec = make_spec(list(train), list(terms))
    q = explicit_quadratic(spec, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 5))
    m = modes(q.A, q.b, q.start, exact=True)
    ok, limit, derived = limit_check(spec, d=3, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 5))
    assert ok and list(limit) == list(m.u_star)
    if m.h_max == 0:  # the loss does not see the trained blocks: nothing moves
        assert list(m.u_star) == list(q.start)
        return
    eta = frac * stable_range(m)
    if m.exact:
        for t, u in enumerate(_gd(q, q.start, eta, 4)):
            assert list(_closed(m, t, eta)) == list(u)
        f = Path.of(q, m).formula(m).subs(sp.Symbol("eta", positive=True), eta)
        values = [f.subs(sp.Symbol("t", integer=True, nonnegative=True), t) for t in range(6)]
        assert values[0] == q.value(q.start)
    else:  # irrational eigenvalues: the float path against float descent
        u = q.start.astype(float)
        values = []
        for t in range(6):
            closed = np.asarray(m.u_star, dtype=float) + m.w @ np.array([(1 - float(eta) * h) ** t for h in m.h])
            assert np.allclose(closed, u, rtol=1e-10, atol=1e-12)
            values.append(q.value(u))
            u = u - float(eta) * q.gradient(u).astype(float)
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_qxx_trajectory_against_exact_gradient_descent():
    """Q_xx trained (d = 2, random SPD Sigma): closed form = iterated exact descent; limit = the
    minimiser nearest the start (A^+)."""
    S = sp.Matrix([[2, 1], [1, 1]])
    spec = make_spec(["Qxx", "qx0"], [(1, 0, "target"), (1, 2, "opposite")])
    q = explicit_quadratic(spec, Sigma=S, theta0=[1, 2], sigma2=R(1, 10))
    m = modes(q.A, q.b, q.start, exact=False)  # irrational eigenvalues in general: float path
    eta = 0.5 * float(stable_range(m))
    qf = explicit_quadratic(spec, Sigma=S, theta0=[1, 2], sigma2=R(1, 10), arithmetic="float")
    u = qf.start
    for t in range(30):
        closed = m.u_star + m.w @ np.array([(1 - eta * h) ** t for h in m.h])
        assert np.allclose(closed, u, rtol=1e-10, atol=1e-12)
        u = u - eta * qf.gradient(u)
    assert np.allclose(m.u_star, q.limit_point().astype(float), rtol=1e-10, atol=1e-12)
    assert np.allclose(m.u_star, qf.limit_point(), rtol=1e-10, atol=1e-12)   # the float limit, start included


def test_two_stage_path_against_projected_descent():
    """(d): stage 2 is projected gradient descent from stage 1's limit, step by step, exact."""
    spec = value_fewshot_spec(2)
    q1 = explicit_quadratic(spec, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 5))
    q2 = explicit_quadratic(spec, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 5), stage="then")
    m1 = modes(q1.A, q1.b, q1.start, exact=True)
    P = _nullspace_projector(q1.A, True)
    m2 = modes(q2.A, q2.b, m1.u_star, projector=P, exact=True)
    eta = stable_range(m2) / 3
    for t, u in enumerate(_gd(q2, m1.u_star, eta, 3, P)):
        if m2.exact:
            assert list(_closed(m2, t, eta)) == list(u)
        else:
            closed = np.asarray(m2.u_star, dtype=float) + m2.w @ np.array([(1 - float(eta) * h) ** t for h in m2.h])
            assert np.allclose(closed, u.astype(float), rtol=1e-10, atol=1e-12)
        assert q1.value(u) == q1.value(m1.u_star)  # the first loss stays at its minimum


def test_flow_is_the_limit_of_small_steps():
    """GD at eta -> 0 with t eta = tau fixed approaches the flow exp(-tau H); the gap shrinks like eta."""
    tau = 0.004
    flow = trajectory("value", eta=R(1, 1000), steps=4, every=4, flow=True, d=3, sigma2=R(1, 10),
                      Sigma=SIGMA, theta0=THETA0).rows[-1].values["zero_shot"]
    gaps = []
    for k in (100, 1000):
        eta = R(tau).limit_denominator(10**9) / k if False else sp.nsimplify(tau) / k
        r = trajectory("value", eta=eta, steps=k, every=k, d=3, sigma2=R(1, 10), Sigma=SIGMA, theta0=THETA0)
        gaps.append(abs(r.rows[-1].values["zero_shot"] - flow))
    assert gaps[1] < gaps[0] / 5 and gaps[1] < 1e-3


def test_unstable_step_is_reported_not_a_column_of_inf():
    r = trajectory("value", eta=R(1, 10), steps=10000, every=10, d=5, sigma2=R(1, 10))
    assert not r.stable and r.eta_max == [R(1, 63)]
    assert r.diverged_at is not None and 0 < r.diverged_at <= 10
    assert all(np.isfinite(list(row.values.values())).all() for row in r.rows)
    big = trajectory("value", eta=10**300, steps=10**9, every=10**7, d=2, sigma2=R(1, 10))
    assert big.diverged_at == 1


@pytest.mark.parametrize("kw, message", [
    (dict(eta=0), "eta"), (dict(eta=-1), "eta"), (dict(eta=sp.nan), "eta"), (dict(eta=sp.oo), "eta"),
    (dict(steps=-1), "steps"), (dict(steps=1.5), "steps"), (dict(steps=10**12), "steps"),
    (dict(every=20), "every"), (dict(every=0), "every"),
])
def test_bad_input(kw, message):
    args = dict(eta=R(1, 1000), steps=10, every=1, d=2, sigma2=R(1, 10))
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=message):
        trajectory("value", **args)


def test_no_closed_form_for_full():
    with pytest.raises(NotImplementedError):
        trajectory("full", eta=R(1, 1000), steps=10, d=2, sigma2=R(1, 10))


def test_two_stage_trajectory_ends_at_the_derived_point():
    """The command's path for (d): its t -> oo point (the second stage's limit) is (d)'s derived point."""
    r = trajectory("value-fewshot", n_ft=3, eta=R(1, 10**6), steps=10, every=10, d=3, sigma2=R(1, 5),
                   Sigma=SIGMA, theta0=THETA0)
    ok, limit, derived = limit_check(value_fewshot_spec(3), d=3, Sigma=SIGMA, theta0=THETA0, sigma2=R(1, 5))
    assert ok
    assert [sp.nsimplify(x) for x in r.limit.values()] == list(derived)


@pytest.mark.parametrize("strategy, n_ft", [("value", None), ("value-fewshot", 3)])
def test_last_row_is_the_curve_commands_error(strategy, n_ft):
    """Far along the path the rows are the derived strategy's errors as `curve` gives them."""
    from proofs import api
    r = trajectory(strategy, n_ft=n_ft, eta=R(1, 200), steps=20000, every=20000, d=3, sigma2=R(1, 10), n=4)
    last = r.rows[-1].values
    for col, task in (("few_shot_target", "target"), ("few_shot_opposite", "opposite")):
        c = api.curve(strategy, task, [0, 4], d=3, sigma2=R(1, 10), m=None, n_ft=n_ft)
        assert abs(last[col] - c.error[1]) < 1e-12
        if task == "target":
            assert abs(last["zero_shot"] - c.error[0]) < 1e-12


def test_a_spec_with_an_explicit_dense_start_follows_its_path_to_the_derived_minimiser():
    """A spec whose start gives V and Q (its blocks bound as the spec's own symbols) has a path: its
    limit is the minimiser the derivation gives at the same setting (it once failed with
    "v_x_start: no value given": the path's quadratics did not receive the spec's bindings). The zero-shot
    loss (v_y free: the path and the derivation both keep its start value 1) catches that as the 1-shot
    loss did, in a tenth of the time."""
    import sympy as sp
    from proofs import api
    from symbolic.spec import spec_from_json
    spec = spec_from_json({"train": ["vx", "vy"], "loss": [{"n": 0, "task": "target"}],
                           "start": {"V": [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 2, 1]],
                                     "Q": [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]}})
    s2 = sp.Rational(1, 10)
    path = api.trajectory(spec, eta=sp.Rational(1, 100), steps=10, d=2, sigma2=s2)
    V = api.params(spec, d=2, sigma2=s2).V
    assert path.limit == {"v_x[1]": V[3, 1], "v_x[2]": V[3, 2], "v_y": V[3, 3]}
    assert path.rows[0].values != path.rows[-1].values          # it moves from the start


def test_printed_formulas_are_the_rows_in_both_stages():
    """The exact formulas ``trajectory`` prints (SymPy in eta and t, one per stage; the flow's in
    tau = eta t) give the recorded rows (checked against exact gradient descent above): a step count
    off by one or a wrong stage's formula is seen (the mutant T4)."""
    from proofs.quantities.trajectories import ETA, ETA2, STEP
    steps = 6
    for flow in (False, True):
        r = trajectory("value-fewshot", n_ft=3, eta=R(1, 50), steps=steps, every=3, flow=flow, d=3,
                       sigma2=R(1, 5), theta0=THETA0)
        assert r.exact and len(r.rows) == 6
        for row in r.rows:
            t = row.step - (row.stage - 1) * steps
            for col, per_stage in r.formulas.items():
                eta = r.etas[row.stage - 1]     # each stage its own step (stage 2's formulas are in eta_2)
                got = per_stage[row.stage - 1].subs({ETA: r.eta, ETA2: r.etas[-1], STEP: eta * t if flow else t})
                assert abs(float(got) - row.values[col]) <= 1e-12 * max(1.0, abs(row.values[col])), (flow, row, col)


def test_float_path_is_the_exact_path():
    """arithmetic="float" (numpy modes: Krylov or eigh, float mode weights, float beta and Gamma)
    against the exact path (rational modes) at Sigma = I, both stages, to 1e-10: the float branch
    is an independent computation of the same rows (the mutants T7, T9, T12)."""
    kw = dict(n_ft=3, eta=R(1, 50), steps=6, every=3, d=3, sigma2=R(1, 5), theta0=THETA0)
    exact = trajectory("value-fewshot", **kw)
    flt = trajectory("value-fewshot", arithmetic="float", **kw)
    assert exact.exact and not flt.exact
    assert [float(e) for e in exact.eta_max] == pytest.approx([float(e) for e in flt.eta_max], rel=1e-12)
    for a, b in zip(exact.rows, flt.rows, strict=True):
        assert (a.step, a.stage) == (b.step, b.stage)
        for col, v in a.values.items():
            assert b.values[col] == pytest.approx(v, rel=1e-10)


def test_divergence_in_the_second_stage_is_counted_from_the_start():
    """A step stable for the first loss (eta < 1/35) and not for the second (weight 100: eta_max
    4/3195): the run diverges in the second stage, and diverged_at counts the first stage's T steps
    (the mutant T10); with every = 1 the last row is the step before it."""
    spec = make_spec(("v0", "vx", "vy"), [(1, 0, "target")], then=[(100, 3, "target")], name="stiff-second")
    steps = 40
    r = trajectory(spec, eta=R(1, 100), eta2=R(1, 100), steps=steps, every=1, d=3, sigma2=R(1, 5), theta0=THETA0)
    assert r.eta_max == [R(1, 35), R(4, 3195)] and not r.stable
    assert steps < r.diverged_at <= 2 * steps
    assert r.rows[-1].step == r.diverged_at - 1 and r.rows[-1].stage == 2
    assert max(r.rows[-1].values.values()) <= r.bound
