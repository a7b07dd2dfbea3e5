"""The best rank-r update of Q_xx and of Q: the closed form at symbolic d (symbolic.lowrank)
against the concrete exact optimum (symbolic.lowrank_concrete), today's full derivation, BFGS
over the factors (numeric.lora) and an independent float evaluation of the error
(numeric.fast.moment_error)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbolic.arithmetic import EXACT, FLOAT64, MP

from numeric.fast import moment_error
from numeric.lora import BlockQuadratic, bfgs_factors
from symbolic.lowrank import K, derive_lowrank
from symbolic.lowrank_concrete import NotKronecker, kronecker_quadratic, lowrank_optimum
from symbolic.model import Blocks, vec
from symbolic.objective import M, SIGMA_NOISE, THETA0
from symbolic.spec import Rank, make_spec
from symbolic.words import DIM

LOSSES = {
    "5-shot": [(1, 5, "target")],
    "mixed": [(1, 0, "target"), (1, 5, "target"), (sp.Rational(1, 2), 3, "opposite")],
    "limit": [(1, 2, "target"), (1, sp.oo, "target")],
}


def _f(M_) -> np.ndarray:
    return np.array(sp.Matrix(M_).tolist(), dtype=float)


def _setting(seed: int, d: int):
    """A random exact setting: Sigma = L L^T + I/2 (small rational L), theta_0, sigma^2."""
    rng = np.random.default_rng(seed)
    L = sp.Matrix(d, d, lambda i, j: sp.Rational(int(rng.integers(-2, 3)), 2))
    S = L * L.T + sp.eye(d) / 2
    t0 = sp.Matrix([sp.Rational(int(rng.integers(-3, 4)) or 1, int(rng.integers(1, 3))) for _ in range(d)])
    s2 = sp.Rational(int(rng.integers(1, 5)), 10)
    return S, t0, s2


@pytest.mark.parametrize("block, loss", [("Q", "5-shot"), ("Qxx", "mixed")])
def test_full_rank_equals_todays_derivation_exactly(block, loss):
    """At full rank the closed form's training loss and its errors on theta_0, -theta_0 (n = 0, n
    symbolic, n -> oo) equal derive_spec's unconstrained derivation, symbolically."""
    D = derive_lowrank(make_spec([Rank(block, 1)], LOSSES[loss]))
    rows = D.compare_with_full()
    assert len(rows) == 8 and all(ok for *_, ok in rows), [r[0] for r in rows if not r[3]]


def test_the_exact_comparison_of_rational_functions_tells_unequal_from_equal():
    """lowrank._equal (cross-multiplied numerators in QQ[symbols], no gcd) against cancel: equal
    functions in other forms are equal; a change of one coefficient, a power, a sign is not; a
    function that is not rational in symbols (sqrt 2) falls back to cancel."""
    from symbolic.lowrank import _equal
    x, y = sp.symbols("x y")
    f = (x ** 2 - y ** 2) / ((x + 1) * (x - y)) + 1 / (y + 2)
    g = sp.factor(sp.together(f))
    assert _equal(f, g) and _equal(sp.expand(f), g) and _equal(f - 1 / (y + 2), (x + y) / (x + 1))
    for wrong in (g + 1 / (x + 1) ** 2, g * (1 + sp.Rational(1, 10 ** 9)), -g, g.subs(y, 2 * y)):
        assert not _equal(f, wrong)
    assert _equal(sp.sqrt(2) * x + x, (1 + sp.sqrt(2)) * x) and not _equal(sp.sqrt(2) * x, x)


@pytest.mark.parametrize("block, d", [("Q", 3), ("Qxx", 3), ("Q", 2)])
def test_full_rank_equals_todays_concrete_minimiser(block, d):
    """At a concrete setting the full-rank update is today's exact minimiser (concrete_minimiser)."""
    from proofs.quantities.concrete_minimiser import concrete_minimiser
    from proofs.quantities.setting import setting
    S, t0, s2 = _setting(7, d)
    full = d if block == "Qxx" else d + 1
    spec = make_spec([Rank(block, full)], LOSSES["5-shot"])
    o = lowrank_optimum(spec, d=d, Sigma=S, theta0=t0, sigma2=s2)
    ref = concrete_minimiser(spec.without_ranks(), setting(d, Sigma=S, theta0=t0, sigma2=s2))
    assert o.Q == ref.Q and o.V == ref.V and o.loss == o.loss_full == ref.loss


@pytest.mark.parametrize("block", ["Q", "Qxx"])
@pytest.mark.parametrize("seed, d", [(0, 3), (1, 4), (2, 3)])
def test_closed_form_equals_the_concrete_optimum_at_random_settings(block, seed, d):
    """Loss (exact), spectrum (exact) and errors on +-theta_0 (an independent float evaluation of
    both the closed form's representative and the concrete optimum) agree, every rank."""
    S, t0, s2 = _setting(seed, d)
    loss = LOSSES["mixed"]
    D = derive_lowrank(make_spec([Rank(block, 1)], loss))
    k = (t0.T * S * t0)[0, 0]
    at = {K: k, DIM: d, SIGMA_NOISE: sp.sqrt(s2)}
    gains = sorted([g.xreplace(at) for g in D.theta_gains if g != 0] + [D.perp_gain.xreplace(at)] * (d - 1),
                   reverse=True)
    top = d if block == "Qxx" else d + 1
    for r in range(1, top + 1):
        o = lowrank_optimum(make_spec([Rank(block, r)], loss), d=d, Sigma=S, theta0=t0, sigma2=s2)
        assert o.is_global and o.arithmetic == EXACT and o.arithmetic.exact
        assert sp.simplify(o.loss - D.loss(r, d).xreplace(at)) == 0
        spectrum = sorted([v for v, mult in o.spectrum for _ in range(mult) if v != 0], reverse=True)
        assert spectrum == gains
        V, Q = D.parameters_at(r, d=d, Sigma=S, theta0=t0, sigma2=s2)
        for task in (1, -1):
            for n in (3, np.inf):
                mine = float(D.error(r, task * THETA0, sp.oo if n == np.inf else n, d).xreplace(at))
                kw = dict(n=n, theta=task * _f(t0).ravel(), Sigma=_f(S), sigma2=float(s2))
                assert moment_error(_f(o.V), _f(o.Q), **kw) == pytest.approx(mine, rel=1e-9, abs=1e-12)
                assert moment_error(_f(V), _f(Q), **kw) == pytest.approx(mine, rel=1e-9, abs=1e-12)


def test_finite_m_at_identity_both_orders():
    """Finite m (Sigma = I): the order of the gains depends on m; at m = 1 the theta direction
    comes first (rank 1 learns theta_0), at m = 50 the perp directions do.  Both against the
    concrete optimum."""
    D = derive_lowrank(make_spec([Rank("Qxx", 1)], LOSSES["5-shot"]), M)
    assert not D.decided
    d, s2 = 4, sp.Rational(1, 10)
    t0 = sp.Matrix([1, 2, 0, -1]) / 2
    k = (t0.T * t0)[0, 0]
    orders = {}
    for m in (1, 50):
        E = D.ordered({M: m, DIM: d, SIGMA_NOISE: sp.sqrt(s2), K: k})
        orders[m] = E.order[0]
        at = {K: k, DIM: d, SIGMA_NOISE: sp.sqrt(s2), M: m}
        for r in (1, 2, d):
            o = lowrank_optimum(make_spec([Rank("Qxx", r)], LOSSES["5-shot"]), d=d, theta0=t0, sigma2=s2, m=m)
            assert sp.simplify(o.loss - E.loss(r, d).xreplace(at)) == 0
            mine = float(E.error(r, -THETA0, sp.oo, d).xreplace(at))
            assert moment_error(_f(o.V), _f(o.Q), n=np.inf, theta=-_f(t0).ravel(), Sigma=np.eye(d),
                                sigma2=float(s2)) == pytest.approx(mine, rel=1e-9)
    assert orders == {1: "theta1", 50: "perp"}


@pytest.mark.parametrize("block, d", [("Q", 3), ("Qxx", 3), ("Q", 4), ("Qxx", 4)])
def test_optimum_is_at_least_as_low_as_the_best_of_20_bfgs_runs(block, d):
    """20 BFGS runs over the factors (B, A) from random starts never beat the rank-r optimum, and
    the best of them reaches it (the optimum is attained)."""
    S, t0, s2 = _setting(3 + d, d)
    spec = make_spec([Rank(block, 1)], LOSSES["mixed"])
    kq = kronecker_quadratic(spec, d=d, Sigma=S, theta0=t0, sigma2=s2, arithmetic=FLOAT64)
    q = BlockQuadratic.kronecker(kq.H, kq.S, kq.G, kq.L0)
    for r in (1, 2, d - 1):
        o = lowrank_optimum(spec, d=d, Sigma=S, theta0=t0, sigma2=s2, rank=r, arithmetic=FLOAT64)
        runs = bfgs_factors(q, r, starts=20, seed=r, max_iter=300, tol=1e-9)
        scale = max(1.0, abs(o.loss))
        assert runs.best >= o.loss - 1e-10 * scale
        assert runs.best <= o.loss + 1e-7 * scale


def test_float_at_d_64_agrees_with_the_closed_form():
    from symbolic.lowrank_concrete import eckart_young
    d, s2 = 64, 0.1
    spec = make_spec([Rank("Q", 1)], LOSSES["5-shot"])
    D = derive_lowrank(spec)
    at = {K: 1, DIM: d, SIGMA_NOISE: sp.sqrt(sp.Rational(1, 10))}
    kq = kronecker_quadratic(spec, d=d, sigma2=s2, arithmetic=FLOAT64)
    for r in (1, 40, 64, 65):
        o = eckart_young(kq, r)
        assert o.loss == pytest.approx(float(D.loss(r, d).xreplace(at)), rel=1e-10)
        assert o.unique == (r >= d)


def test_the_subspace_is_theta0s_complement_below_full_rank():
    """At the 5-shot loss (m -> oo) every rank r < d kills the pretrained Q_xx on r directions
    Sigma-orthogonal to theta_0 and leaves the theta_0 direction (and Q_yx) alone; the optimum is
    not unique (a tie); rank d is today's full optimum."""
    S, t0, s2 = _setting(11, 3)
    for block in ("Q", "Qxx"):
        for r in (1, 2):
            o = lowrank_optimum(make_spec([Rank(block, r)], LOSSES["5-shot"]), d=3, Sigma=S, theta0=t0, sigma2=s2)
            W = o.input_directions
            x = slice(1, 4) if block == "Q" else slice(0, 3)
            assert W.shape[1] == r
            assert all(v == 0 for v in (W[x, :].T * S * t0))          # inside the Sigma-complement of theta_0
            assert o.unique is (r == 2)
            assert o.Q[4, 1:4] == sp.zeros(1, 3)                      # Q_yx untouched
            assert (o.Q[1:4, 1:4] * S * t0) == t0                     # Q_xx Sigma theta_0 = theta_0 as pretrained


def test_without_the_kronecker_structure_the_answer_is_labelled_a_local_search():
    start = Blocks(vx=vec(THETA0, sp.Rational(1, 2)), vy=sp.S.One,
                   Qxx=((sp.S.One, ()),))
    spec = make_spec([Rank("Q", 1)], [(1, 0, "target"), (1, 3, "target")], start=start)
    with pytest.raises(NotKronecker):
        kronecker_quadratic(spec, d=2, sigma2=sp.Rational(1, 10))
    o = lowrank_optimum(spec, d=2, sigma2=sp.Rational(1, 10), starts=5)
    assert not o.is_global and o.method.startswith("best of 5 starts") and o.loss <= o.loss_start


@pytest.mark.parametrize("kwargs, message", [
    (dict(d=0), "d: expected an integer >= 1"),
    (dict(d=3, rank=4), r"rank: expected an integer 1 <= rank <= 3"),
    (dict(d=3, rank=0), r"rank: expected an integer 1 <= rank <= 3"),
    (dict(d=3, arithmetic="float"), "arithmetic: expected symbolic.arithmetic.EXACT or FLOAT64"),
    (dict(d=3, arithmetic=MP(30)), "arithmetic: expected symbolic.arithmetic.EXACT or FLOAT64"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lowrank_optimum(make_spec([Rank("Qxx", 1)], LOSSES["5-shot"]), **kwargs)
    with pytest.raises(ValueError, match=r"train\[0\]\.rank: expected an integer 1 <= rank <= 2"):
        lowrank_optimum(make_spec([Rank("Qxx", 3)], LOSSES["5-shot"]), d=2)


def test_an_irrational_boundary_is_answered_in_mp_and_labelled():
    """A dense start (V_hat's last row, a non-symmetric Q_xx): Kronecker still, but the singular
    values are conjugate irrationals; the exact path says so and answers at 50 digits, agreeing
    with float and never beaten by BFGS."""
    from symbolic.spec import spec_from_json
    V = [[0] * 5 for _ in range(5)]
    V[4][4] = 1
    Q = [[0, 0, 0, 0, 0], [0, 1, "1/2", 0, 0], [0, 0, 2, "-1/3", 0], [0, "1/4", 0, "3/2", 0], [0, 0, 0, 0, 0]]
    spec = spec_from_json({"train": [{"block": "Qxx", "rank": 1}], "loss": [{"n": 4, "task": "target"}],
                           "start": {"V": V, "Q": Q}})
    o = lowrank_optimum(spec, d=3, theta0=[1, 2, -1], sigma2=sp.Rational(1, 5))
    f = lowrank_optimum(spec, d=3, theta0=[1, 2, -1], sigma2=0.2, arithmetic=FLOAT64)
    assert o.arithmetic.precision == 50 and "no rational answer" in o.notes[0] and o.is_global
    assert float(o.loss) == pytest.approx(f.loss, rel=1e-12)
    kq = kronecker_quadratic(spec, d=3, theta0=[1, 2, -1], sigma2=0.2, arithmetic=FLOAT64)
    runs = bfgs_factors(BlockQuadratic.kronecker(kq.H, kq.S, kq.G, kq.L0), 1, starts=10, max_iter=300)
    assert runs.best >= f.loss - 1e-10 and runs.best == pytest.approx(f.loss, rel=1e-7)


def test_the_answer_table_against_the_concrete_optimum():
    """rank_answer's rows (symbolic d and r) at d = 4, Sigma = I, against the concrete optimum."""
    from symbolic.lowrank_answer import R, rank_answer
    A = rank_answer("Q", 5)
    d, s2, t0 = 4, sp.Rational(1, 10), sp.Matrix([1, 0, 2, 0]) / 3
    at = {K: (t0.T * t0)[0, 0], DIM: d, SIGMA_NOISE: sp.sqrt(s2)}
    assert [row.ranks for row in A.rows] == ["pretrained (r = 0)", "1 <= r <= d - 1",
                                            "r = d (full fine-tuning of the block)"]
    # the theta block's second direction has gain 0 (skipped): full fine-tuning takes one theta direction
    assert A.derivation.theta_gains[1] == 0 and [row.j_theta for row in A.rows] == [0, 0, 1]
    for row, r in ((A.rows[1], 2), (A.rows[2], 4)):
        o = lowrank_optimum(make_spec([Rank("Q", r)], LOSSES["5-shot"]), d=d, theta0=t0, sigma2=s2)
        vals = {q: v.xreplace(at | {R: r}) for q, v in row.values.items()}
        assert sp.simplify(vals["training loss"] - o.loss) == 0
        base = A.rows[0].values["training loss"].xreplace(at)      # the pretrained loss, r = 0
        gain = row.gain.xreplace(at | {R: r})
        assert gain > 0 and sp.simplify(base - o.loss - gain) == 0   # the optimum's gain, positive
        for name, sign, n in (("n_ft-shot on -theta_0", -1, 5), ("n -> oo on theta_0", 1, np.inf)):
            got = moment_error(_f(o.V), _f(o.Q), n=n, theta=sign * _f(t0).ravel(), Sigma=np.eye(d), sigma2=0.1)
            assert got == pytest.approx(float(vals[name]), rel=1e-9)
        fam = float(vals["n -> oo averaged over theta ~ N(0, I) (Sigma = I)"])
        # E over theta ~ N(0, I_d) of the n -> oo error (a polynomial of degree <= 4 in theta), by the
        # tensor Gauss-Hermite rule with 3 nodes per axis (exact to degree 5 in each coordinate)
        import itertools
        x, w = np.polynomial.hermite_e.hermegauss(3)
        w = w / w.sum()
        avg = sum(np.prod([w[i] for i in idx]) *
                  moment_error(_f(o.V), _f(o.Q), n=np.inf, theta=np.array([x[i] for i in idx]) + 1e-300,
                               Sigma=np.eye(d), sigma2=0.1)
                  for idx in itertools.product(range(3), repeat=d))
        assert avg == pytest.approx(fam, rel=1e-9)


def test_the_memo_of_kronecker_quadratics_tells_settings_apart():
    """kronecker_quadratic remembers one quadratic per setting and block (and the explicit quadratic it
    reads, per setting): at settings that differ only in theta_0, only in one entry of Sigma, or only
    in sigma^2 (each asked for after the first), it returns what a fresh build returns."""
    import symbolic.lowrank_concrete as LC
    spec = make_spec([Rank("Qxx", 1)], [(1, 2, "target")])
    S, t0, s2 = sp.Matrix([[2, 1], [1, 2]]), [1, -1], sp.Rational(1, 2)
    S2 = sp.Matrix([[2, 1], [1, 3]])
    settings = [(S, t0, s2), (S, [2, 1], s2), (S2, t0, s2), (S, t0, sp.Rational(1, 3))]
    LC._KQ.clear(), LC._EXPLICIT.clear()   # (the explicit quadratics are remembered by setting too)
    kept = [kronecker_quadratic(spec, d=2, Sigma=a, theta0=b, sigma2=c) for a, b, c in settings]
    for (a, b, c), kq in zip(settings, kept):
        LC._KQ.clear(), LC._EXPLICIT.clear()
        fresh = kronecker_quadratic(spec, d=2, Sigma=a, theta0=b, sigma2=c)
        assert all(np.array_equal(x, y) for x, y in ((kq.H, fresh.H), (kq.S, fresh.S), (kq.G, fresh.G)))
        assert kq.L0 == fresh.L0
    assert kronecker_quadratic(spec, d=2, Sigma=S, theta0=t0, sigma2=s2) is kronecker_quadratic(
        spec, d=2, Sigma=sp.ImmutableMatrix(S), theta0=sp.Matrix(t0), sigma2=s2)   # one setting, one quadratic
    with pytest.raises(ValueError, match="Sigma"):   # remembered or not, a flat list is no 2 x 2 Sigma
        kronecker_quadratic(spec, d=2, Sigma=[2, 1, 1, 2], theta0=t0, sigma2=s2)


def test_the_block_of_a_wider_question_has_its_own_kronecker_quadratic():
    """kronecker_quadratic of Q_xx read from the explicit quadratic of the same question with all of Q
    trained (built first, the Q_xx entries among its entries) equals the one built for Q_xx alone, H, S,
    G (with the coupling to the other entries' start: here nonzero), X_0 and L_0, exactly."""
    from symbolic import lowrank_concrete as LC
    from symbolic.spec import spec_from_json
    d, S, t0, s2 = 2, sp.Matrix([[2, 1], [1, 3]]), [1, -2], sp.Rational(1, 3)
    Q = [["1/2", "1", "-1", "0"], ["2", "1", "1/3", "0"], ["-1", "1/4", "2", "0"], ["1", "-2", "1/2", "0"]]
    V = [["0"] * 4, ["0"] * 4, ["0"] * 4, ["0", "0", "0", "1"]]
    base = {"loss": [{"n": 3, "task": "target"}, {"n": 1, "task": "opposite", "weight": "1/2"}],
            "start": {"V": V, "Q": Q}}
    wide, own = (spec_from_json(dict(base, train=[{"block": b, "rank": 1}])) for b in ("Q", "Qxx"))
    LC._KQ.clear(), LC._EXPLICIT.clear()
    alone = kronecker_quadratic(own, d=d, Sigma=S, theta0=t0, sigma2=s2)
    LC._KQ.clear(), LC._EXPLICIT.clear()
    kronecker_quadratic(wide, d=d, Sigma=S, theta0=t0, sigma2=s2)
    read = kronecker_quadratic(own, d=d, Sigma=S, theta0=t0, sigma2=s2)
    assert read.quadratic is not alone.quadratic and len(read.quadratic.start) > len(alone.quadratic.start)
    for a, b in ((read.H, alone.H), (read.S, alone.S), (read.G, alone.G), (read.X0, alone.X0)):
        assert sp.Matrix(a.tolist()) == sp.Matrix(b.tolist())
    assert read.L0 == alone.L0 and any(x != 0 for x in read.quadratic.start[~np.isin(
        np.arange(len(read.quadratic.start)), read.idx.reshape(-1))])
    LC._KQ.clear(), LC._EXPLICIT.clear()


def test_full_minimiser_of_a_singular_hessian_is_the_pseudo_inverse_solution():
    """KroneckerQuadratic.full_minimiser, exact: Delta* = H^+ G S^{-1} where det H = 0 (SymPy's inverse
    refused, the pseudo-inverse taken), H^{-1} G S^{-1} otherwise; the quadratic's value there is the
    minimum along H's range (checked against the value at Delta* plus a step there)."""
    from symbolic.lowrank_concrete import KroneckerQuadratic
    obj = lambda rows: np.array(rows, dtype=object)   # noqa: E731
    S = sp.Matrix([[1, sp.Rational(1, 2)], [sp.Rational(1, 2), 2]])
    G = sp.Matrix([[3, -1], [0, 0]])
    for H, Hp in ((sp.Matrix([[2, 0], [0, 0]]), sp.Matrix([[sp.Rational(1, 2), 0], [0, 0]])),
                  (sp.Matrix([[2, 1], [1, 3]]), sp.Matrix([[2, 1], [1, 3]]).inv())):
        kq = KroneckerQuadratic(obj(H.tolist()), obj(S.tolist()), obj(G.tolist()), obj([[0, 0], [0, 0]]), sp.S.Zero,
                                "Qxx", 2, ("x1", "x2"), ("x1", "x2"), EXACT)
        D = sp.Matrix(kq.full_minimiser().tolist())
        assert D == Hp * G * S.inv()
        E = obj([[sp.Rational(1, 3), -1], [0, 0]])
        assert kq.value(kq.full_minimiser()) < kq.value(obj((D + sp.Matrix(E.tolist())).tolist()))
