"""Specs at depth (symbolic.depth_spec; derived by symbolic.depth_finetune.derive_depth_spec; followed by
proofs.quantities.trajectories) against independent computations.

- One layer: ``"layers": 1`` is today's one-layer spec exactly, and the depth route at L = 1 (gamma = 1:
  the one-layer pretrained Q_xx = Sigma^-1 at m = oo) derives today's minimiser (symbolic.general).
- L = 2: the derived point of a spec training V_2's values, and of one training v_x of both layers (the
  loss is quadratic there too), is a stationary point of the loss built by the literal concrete engine
  (symbolic.concrete_depth, no code shared with the derivation) at d = 2, a non-identity Sigma, rational
  gamma's, sigma^2 = 1/5: every partial derivative is exactly 0 there; and the solve route's errors at
  that setting (0 and 1 shots on theta_0) are the engine's at that point, exactly (and in float64, from the
  closed form compiled once and read along n, to 1e-12).
- A spec with a quartic loss (V1.vx with V2.vy): the numeric optimum's gradient vanishes for the engine.
- The trajectory's rows (closed-form gradient descent) equal the concrete engine's errors at the iterates
  of plain gradient descent, iterated step by step in exact arithmetic.
- Bad input: one line before any work.
"""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from sympy import Rational as R

from symbolic.concrete_depth import class_start, concrete_depth_error
from symbolic.depth_finetune import derive_depth_spec
from symbolic.depth_spec import make_depth_spec, read_spec
from symbolic.objective import THETA0
from symbolic.quadratic import NotQuadratic
from symbolic.spec import make_spec, spec_from_json

D = 2
GAM = (R(1, 2), R(-1, 3))
SIGMA = sp.Matrix([[R(3, 2), R(1, 4)], [R(1, 4), 1]])
TH = [R(1, 2), R(-1)]
S2 = R(1, 5)
LOSS = [(1, 0, "target"), (R(1, 2), 1, "target")]


def _entries(spec):
    """Symbols for the trained entries, in the trajectory's order."""
    out = []
    for l, b in spec.train:
        out += [((l, b, i), sp.Symbol(f"u_{l}{b}{i}")) for i in range(D if b == "vx" else 1)]
    return out


def _layers(spec, u: dict, gam=GAM):
    """The pretrained class model at SIGMA, the trained entries ``u`` in their layers' last rows of V."""
    rows: dict = {}
    for (l, b, i), x in u.items():
        rows.setdefault(l, [0] * (D + 1) + [1])[{"v0": 0, "vx": 1 + i, "vy": D + 1}[b]] = x
    return class_start(gam, SIGMA, rows)


def _concrete_loss(spec, u, terms=LOSS, gam=GAM):
    return sum(w * concrete_depth_error(_layers(spec, u, gam), n=n, theta=TH if task == "target" else [-t for t in TH],
                                        Sigma=SIGMA, sigma2=S2) for w, n, task in terms)


def test_layers_one_is_todays_spec():
    obj = {"train": ["vx", "vy"], "loss": [{"n": 0, "task": "target"}]}
    assert read_spec({**obj, "layers": 1, "train": ["V1.vx", "V1.vy"]}) == read_spec(obj) == spec_from_json(obj)
    from symbolic.general import derive_spec
    loss = [(1, 0, "target"), (R(1, 2), 3, "target")]
    got = derive_depth_spec(make_depth_spec(1, ["V1"], loss), gammas=[1]).values
    s = derive_spec(make_spec(["v0", "vx", "vy"], loss)).blocks
    assert sp.simplify(got[1, "vy"] - s.vy) == 0 and got[1, "v0"] == s.v0 == 0
    (c1, w1, a1), = got[1, "vx"]
    (c2, w2, a2), = s.vx
    assert (w1, a1) == (w2, a2) and sp.simplify(c1 - c2) == 0


@pytest.mark.parametrize("train", [["V2"], ["V1.vx", "V2.vx"]])
def test_derived_point_is_a_stationary_point_of_the_concrete_loss(train, monkeypatch):
    from symbolic.evaluation import evaluate
    from symbolic.strategy import vecexpr_to_sympy
    from proofs.quantities.depth_solution import derived_depth
    spec = make_depth_spec(2, train, LOSS)
    # V2: at symbolic gamma's (the solve route's derivation, checked below too), evaluated at GAM; the two
    # layers' v_x: at GAM (at symbolic gamma's its Schur complement costs a second more)
    ft = derived_depth(spec) if train == ["V2"] else derive_depth_spec(spec, gammas=GAM)
    env = {"Sigma": SIGMA, "theta_0": sp.Matrix(TH), "sigma": sp.sqrt(S2), "d": D, "gamma_1": GAM[0], "gamma_2": GAM[1]}
    point = {}
    for (l, b), v in ft.values.items():
        if b == "vx":
            vals = list(evaluate(vecexpr_to_sympy(list(v)), env)) if v else [0] * D
        else:
            vals = [evaluate(sp.sympify(v), env)]
        point.update({(l, b, i): sp.nsimplify(x) for i, x in enumerate(vals)})
    u = dict(_entries(spec))
    Z = _concrete_loss(spec, u)
    grad = [sp.simplify(sp.diff(Z, x).subs({u[k]: point[k] for k in u})) for x in u.values()]
    assert grad == [0] * len(u), (point, grad)
    assert any(point[k] != (1 if k[1] == "vy" else 0) for k in u)   # it moved from the start
    if train == ["V2"]:   # the solve route's errors at this setting (gamma's replaced by GAM) are the engine's
        import symbolic.depth_finetune as F
        from proofs import api
        monkeypatch.setattr(F, "start_gammas", lambda *a, **k: GAM)
        answer = api.solve(spec, d=D, Sigma=SIGMA.tolist(), theta0=TH, sigma2=S2)
        at = {u[k]: point[k] for k in u}
        want = [_concrete_loss(spec, u, [(1, n, "target")]).subs(at) for n in (0, 1)]
        assert [answer._value(THETA0, sp.Integer(n)) for n in (0, 1)] == want
        # float64: the compiled closed form at symbolic n, read along n, gives the same numbers
        fl = api.solve(spec, d=D, Sigma=SIGMA.tolist(), theta0=TH, sigma2=S2, arithmetic="float").curve("target", [0, 1])
        assert np.allclose(fl.error, [float(x) for x in want], rtol=1e-12, atol=0), (fl.error, want)


def test_trajectory_rows_are_plain_gradient_descent(monkeypatch):
    import symbolic.depth_finetune as F
    from proofs import api
    monkeypatch.setattr(F, "start_gammas", lambda *a, **k: GAM)   # rational gamma's: the rows exact
    spec = make_depth_spec(2, ["V2"], LOSS)
    eta, T = R(1, 20), 3
    r = api.trajectory(spec, eta=eta, steps=T, every=1, n=1, d=D, Sigma=SIGMA.tolist(), theta0=TH, sigma2=S2,
                       arithmetic="exact")
    names = _entries(spec)
    u = dict(names)
    syms = [x for _, x in names]
    Z = _concrete_loss(spec, u)
    grad = [sp.diff(Z, x) for x in syms]
    cols = {"zero_shot": [(1, 0, "target")], "few_shot_target": [(1, 1, "target")],
            "few_shot_opposite": [(1, 1, "opposite")]}
    errs = {c: _concrete_loss(spec, u, t) for c, t in cols.items()}
    x = [sp.S.One if k[1] == "vy" else sp.S.Zero for k, _ in names]   # the pretrained start
    for t in range(T + 1):
        at = dict(zip(syms, x))
        row = r.rows[t]
        assert row.step == t
        for c, e in errs.items():
            assert np.isclose(row.values[c], float(e.subs(at)), rtol=1e-12, atol=1e-14), (t, c)
        x = [xi - eta * g.subs(at) for xi, g in zip(x, grad)]


@pytest.mark.parametrize("obj, message", [
    ({"layers": 2, "train": ["V3.vx"]}, "unknown layer 3"),
    ({"layers": 4, "train": ["vx"]}, "1 <= L <= 3"),
    ({"layers": 0, "train": ["vx"]}, "1 <= L <= 3"),
    ({"layers": 2, "train": ["Qxx"]}, "not supported at depth"),
    ({"layers": 2, "train": ["V2.Qxx"]}, "unknown block"),
    ({"layers": 2, "train": ["V\uff12.vx"]}, "unknown block"),  # a full-width digit is not layer 2
    ({"layers": 2, "train": ["V2.vx\n"]}, "unknown block"),
    ({"layers": Fraction(3, 2), "train": ["vx"]}, "got 3/2"),
    ({"layers": 2, "train": ["V" + "9" * 5000 + ".vx"]}, "train[0]: unknown layer in 'V999"),
    ({"layers": 2, "train": ["vx"], "then": [{"n": 0, "task": {"mean": "target", "cov": 1}}]}, "then: the task family"),
    ({"layers": 2, "train": [{"block": "vx", "rank": 1}]}, "rank"),
    ({"layers": 2, "train": ["V2.vx", "vx"]}, "listed twice"),
    ({"train": ["V2.vx"]}, '"layers": 2'),
    ({"layers": 2, "train": ["vx"], "start": {"V": [[0]], "Q": [[0]]}}, "explicit start"),
    ({"layers": 2, "train": ["vx"], "loss": [{"n": 0, "task": {"mean": "target", "cov": 1}}]}, "task family"),
])
def test_bad_depth_specs_are_refused_in_one_line(obj, message):
    obj = {"loss": [{"n": 0, "task": "target"}], **obj}
    with pytest.raises(ValueError) as err:
        read_spec(obj)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_layers_written_as_an_integral_float_is_read_as_n_is():
    """JSON's 2.0 arrives as the exact Fraction 2 (proofs.cli.files.load_json); a term's n of 2.0 is
    read as 2, so the layers are too (they were refused with the message "expected an integer ..., got 2")."""
    spec = read_spec({"layers": Fraction(2), "train": ["V2.vx"], "loss": [{"n": Fraction(2), "task": "target"}]})
    assert spec.layers == 2 and spec.train == ((2, "vx"),)


def test_numeric_optimum_above_the_exact_range_names_d_not_a_missing_d():
    """At d = 11 the arithmetic is float64 by default, and the numeric optimum reads its setting
    exactly: the refusal says d <= 10 (it used to ask to "give d", which was given)."""
    from proofs import api
    spec = read_spec({"layers": 2, "train": ["V1.vx", "V2.vy"], "loss": [{"n": 0, "task": "target"}]})
    with pytest.raises(ValueError, match="d <= 10; got d = 11"):
        api.solve(spec, numeric=True, d=11, sigma2=R(1, 10))


def test_params_of_a_depth_spec_is_refused_before_any_work_quadratic_or_not():
    """params refuses a depth spec (its parameters are per layer) with a ValueError (exit status 2);
    a quartic one used to reach the derivation first and exit 3 "not implemented yet"."""
    from proofs import api
    for train in (["V1.vx", "V2.vy"], ["V2.vx"]):
        spec = read_spec({"layers": 2, "train": train, "loss": [{"n": 0, "task": "target"}]})
        with pytest.raises(ValueError, match="parameters are per layer"):
            api.params(spec, d=2)


def test_exact_curve_reads_one_error_at_symbolic_n_and_equals_the_error_derived_at_each_n(monkeypatch):
    """Exact curve of a depth spec: the error at symbolic n is derived and evaluated at the setting once
    and read at every n (it was derived afresh at each n, ~0.15 s of CPU per n: n = 0:300 ran over the
    exact budget, exit 3); its values equal the error derived at that n (d = 2, gamma_l = 1 -+ sqrt 2)."""
    import symbolic.depth
    from proofs.quantities.setting import setting
    from proofs.quantities.solve import solve
    spec = read_spec({"layers": 2, "train": ["V2.vx"], "loss": [{"n": 0, "task": "target"}]})
    answer = solve(spec, setting(D, sigma2=S2))
    expected = {n: answer._value(-THETA0, sp.Integer(n)) for n in (0, 7)}
    calls = []
    real = symbolic.depth.depth_error
    monkeypatch.setattr(symbolic.depth, "depth_error", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    c = answer.curve("opposite", range(0, 12))
    assert len(calls) == 1, calls
    assert all(sp.radsimp(c.exact[n] - v) == 0 for n, v in expected.items()), (c.exact[:8], expected)


def test_a_product_of_trained_entries_is_refused_with_the_reason():
    spec = read_spec({"layers": 2, "train": ["V1.vx", "V2.vy"], "loss": [{"n": 0, "task": "target"}]})
    with pytest.raises(NotQuadratic, match="V2.vy and V1.vx.*quartic"):
        derive_depth_spec(spec)


def test_numeric_optimum_of_a_quartic_depth_loss_is_stationary_for_the_concrete_engine():
    """V1.vx with V2.vy (a product: no closed form): the numeric optimum's gradient, computed by the
    concrete engine at the point, is ~0 (BFGS's tolerance), and its loss is the engine's there. The
    gamma's are rationals near the pretrained 1 -+ sqrt 2 (at (1/2, -1/3) this loss appears to have no minimiser:
    BFGS runs off along v_x^(1) -> 0, v_y^(2) -> oo)."""
    from proofs.quantities.depth_numeric import depth_numeric_optimum
    from proofs.quantities.setting import setting
    spec = read_spec({"layers": 2, "train": ["V1.vx", "V2.vy"], "loss": [{"n": 0, "task": "target"}]})
    gam = (R(-2, 5), R(12, 5))
    r = depth_numeric_optimum(spec, setting(D, Sigma=SIGMA.tolist(), theta0=TH, sigma2=S2), gam, starts=1)
    assert r.converged and r.loss < r.start_loss
    u = dict(_entries(spec))
    Z = _concrete_loss(spec, u, [(1, 0, "target")], gam)
    at = {u[k]: float(x) for k, x in zip(u, r.u)}
    grad = np.array([float(sp.diff(Z, x).subs(at)) for x in u.values()])
    assert np.abs(grad).max() < 1e-7 and np.isclose(float(Z.subs(at)), r.loss, rtol=1e-10)


def test_train_given_as_a_tuple_of_names_and_a_duplicate_named_at_its_json_entry():
    """make_depth_spec reads a tuple of names as it reads a list (a tuple of names was wrapped as one
    entry and refused as "expected a block name"); a block listed twice is reported at the JSON entry
    that repeats it (["V2", "V2.vx"]: train[1], not train[3], the index among the expanded pairs)."""
    loss = [(1, 0, "target")]
    assert make_depth_spec(2, ("V2.vx", "V1.vx"), loss).train == ((1, "vx"), (2, "vx"))
    assert make_depth_spec(2, (2, "vx"), loss).train == ((2, "vx"),)
    with pytest.raises(ValueError, match=r"^train\[1\]: the block V2.vx is listed twice"):
        read_spec({"layers": 2, "train": ["V2", "V2.vx"], "loss": [{"n": 0, "task": "target"}]})


@pytest.mark.parametrize("kw, message", [
    ({"d": 2}, "^sigma2: "),   # was answered at sigma^2 = 0, a setting not asked for (the CLI's default is 1/10)
    ({"d": 2, "sigma2": R(1, 10), "arithmetic": "float"}, "^arithmetic: .*got float64"),   # said "d <= 10; got d = 2"
])
def test_numeric_optimum_at_depth_refuses_an_unset_sigma2_and_names_the_arithmetic(kw, message):
    """Refused before any work (start_gammas, the BFGS) with the argument that is wrong."""
    from proofs import api
    spec = read_spec({"layers": 2, "train": ["V1.vx", "V2.vy"], "loss": [{"n": 0, "task": "target"}]})
    with pytest.raises(ValueError, match=message):
        api.solve(spec, numeric=True, **kw)


def test_numeric_optimum_at_depth_refuses_a_second_stage_before_the_pretrained_gammas(monkeypatch):
    """A quartic spec with ``then`` is refused before start_gammas runs (it ran first: at L = 3 and a
    finite m that is a resultant, seconds of work before the refusal)."""
    import symbolic.depth_finetune as F
    from proofs import api
    monkeypatch.setattr(F, "start_gammas", lambda *a, **k: pytest.fail("start_gammas ran before the refusal"))
    spec = read_spec({"layers": 2, "train": ["V1.vx", "V2.vy"], "loss": [{"n": 0, "task": "target"}],
                      "then": [{"n": 1, "task": "target"}]})
    with pytest.raises(ValueError, match="^then: "):
        api.solve(spec, numeric=True, d=2, sigma2=R(1, 10))
