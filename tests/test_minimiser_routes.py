"""The general derivation from random explicit starts, on task families with matrix
covariances, against two independent routes.

tests/test_general_derivation.py starts every case at the pretrained parameters, where
symmetry makes several terms vanish at the optimum, and tests task families only as
N(theta_0, c I).  Here every case is a JSON spec (``spec_from_json``, so the parsing of
``start`` is tested too) with

* an explicit start ``{"V", "Q"}`` with random integer entries: v_0, v_x != 0, Q_xx not
  symmetric, Q's first row different from its first column, Q_y0, q_yx != 0;
* one or two loss terms with n in {0, 1, 2, oo} and tasks theta_0, -theta_0, a given vector,
  or a family N(mu, Omega) with mu in {theta_0, -theta_0, a given vector, 0} and Omega a number
  times I or a (possibly singular) positive semi-definite matrix;

and the parameters ``proofs.api.params`` returns (exact, d = 2) are checked against

1. the concrete engine's exact loss (symbolic/concrete.py: the poster's formula expanded
   literally; n -> oo from n = 0, 1, 2 because (n+1)^2 E(n) is quadratic in n; a family's
   average by Isserlis on theta = mu + g, g ~ N(0, Omega)), written with one symbol per
   trained entry: its gradient vanishes at the derived point, exactly (a minimiser: the loss
   is a convex quadratic in the trained entries);
2. gradient descent's limit from the given start: for a convex quadratic, gradient descent
   with a small step from p_0 stays in p_0 + range(H) and converges to the minimiser nearest
   p_0 (the Euclidean projection of p_0 onto the affine minimiser set).  Computed here by
   linear algebra (sympy.linsolve, then the nearest point) and compared entry by entry with
   the derived point (one-stage specs; a two-stage spec is checked for minimality of its
   second loss inside the first loss's minimiser set);
3. every untrained entry stays at its start value.

Which route answers: a start with a dense, non-symmetric Q_xx fixes d and has no closed form at
symbolic d, so every case here is answered by the concrete minimiser
(:mod:`proofs.quantities.concrete_minimiser`, labelled "at this setting only"), not by
:mod:`symbolic.quadratic`'s block elimination: this file checks the spec's reading of an explicit
start and of task families and the concrete minimiser's point (the minimiser nearest the start):
it is the first to fail for bench/mutate.py's S4-S6 and S8-S10 (an explicit start read wrongly: Q_xx
transposed or symmetrised, Q's first row for its first column, q_yx, Q_y0; 'opposite' read as
theta_0) and O2-O3 (a family's matrix covariance replaced by I, its mean's sign dropped).
The elimination's own slips (a transpose dropped, a sign of a rank-one term, a start ignored) are
killed by tests/test_word_algebra.py and tests/test_quadratic_explicit_start.py
(bench/mutation-report.md).  Cost: about 25 s on one core (14 cases).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
import sympy as sp

from proofs.api import params
from symbolic.concrete import concrete_error, gaussian_expectation
from symbolic.spec import spec_from_json

D = 2
R = sp.Rational
V_BLOCKS = ("v0", "vx", "vy")
Q_BLOCKS = ("Q00", "q0x", "qx0", "Qy0", "qyx")


def _ints(rng, k, lo=-2, hi=2, nonzero=False):
    out = [int(x) for x in rng.integers(lo, hi + 1, size=k)]
    if nonzero and all(x == 0 for x in out):
        out[0] = 1
    return out


def _start(rng) -> tuple[list, list]:
    """Random (d+2) x (d+2) V, Q with asymmetries (Q_xx not symmetric, Q[0, x] != Q[x, 0])."""
    n = D + 2
    V = [[0] * n for _ in range(n)]
    Q = [[0] * n for _ in range(n)]
    for i in range(n - 1):       # V's first rows never reach the output: anything
        V[i] = _ints(rng, n)
    V[n - 1] = [_ints(rng, 1, nonzero=True)[0], *_ints(rng, D, nonzero=True), _ints(rng, 1, 1, 2)[0]]
    Q[0][0] = _ints(rng, 1)[0]
    row, col = _ints(rng, D, nonzero=True), _ints(rng, D, nonzero=True)
    if row == col:
        col[0] += 1
    Q[0][1:D + 1] = row
    for i in range(D):
        Q[i + 1][0] = col[i]
    Qxx = [_ints(rng, D) for _ in range(D)]
    if Qxx[0][1] == Qxx[1][0]:
        Qxx[0][1] += 1
    for i in range(D):
        Q[i + 1][1:D + 1] = Qxx[i]
    Q[n - 1][0] = _ints(rng, 1, nonzero=True)[0]
    Q[n - 1][1:D + 1] = _ints(rng, D, nonzero=True)
    for i in range(n):           # Q's last column never reaches the output
        Q[i][n - 1] = _ints(rng, 1)[0]
    return V, Q


OMEGA = [[2, 1], [1, 3]]          # a positive definite covariance
SINGULAR = [[1, -2], [-2, 4]]     # positive semi-definite, rank 1
#: (train, loss, then): V's last row from a dense start (every Q block of the start reaches the
#: loss), and Q's blocks (Q_xx fixed at a non-symmetric start) on zero-shot, few-shot and n -> oo
#: losses; tasks theta_0, -theta_0, given vectors, families with scalar, matrix and singular
#: covariances and means theta_0, -theta_0, a given vector, 0.  Each derives in 0.5-2.5 s.
CASES = (
    (["v0", "vy"], [{"n": 0, "task": {"mean": "opposite", "cov": OMEGA}},
                    {"weight": "1/2", "n": "inf", "task": "target"}], []),
    (["vx"], [{"n": "inf", "task": "opposite"}, {"weight": 3, "n": "inf", "task": "target"}], []),
    (["vy"], [{"n": 1, "task": "target"}], [{"n": "inf", "task": {"mean": "target", "cov": "1/2"}}]),
    (["vx", "vy"], [{"n": 0, "task": [0, 2]}], []),
    (["v0"], [{"n": 1, "task": {"mean": "target", "cov": SINGULAR}}], []),
    (["vy"], [{"n": 2, "task": {"mean": [1, -1], "cov": OMEGA}}], []),
    (["vy"], [{"n": "inf", "task": {"mean": "zero", "cov": OMEGA}}], []),
    (["Q00", "qx0"], [{"n": 0, "task": "target"}], []),
    (["qyx"], [{"n": 1, "task": {"mean": "opposite", "cov": OMEGA}}], []),
    (["q0x"], [{"n": "inf", "task": "target"}], []),
    (["Qy0", "qyx"], [{"n": "inf", "task": {"mean": [1, 2], "cov": SINGULAR}}], []),
    (["Q00"], [{"n": 1, "task": {"mean": "target", "cov": "1/4"}}], []),
    (["qx0"], [{"n": "inf", "task": "target"}], []),
    (["q0x", "qyx"], [{"n": 1, "task": "target"}], []),   # two coupled vectors: block elimination
)


def make_case(seed: int) -> dict:
    """Case ``seed``: the spec CASES[seed] from a random explicit start, at a random setting."""
    rng = np.random.default_rng(seed)
    A = sp.Matrix(D, D, _ints(rng, D * D))
    Sigma = A * A.T + sp.eye(D) * R(int(rng.integers(1, 3)), 2)
    theta0 = _ints(rng, D, nonzero=True)
    sigma2 = [0, R(1, 10), R(1, 2)][int(rng.integers(0, 3))]
    train, loss, then = CASES[seed]
    V, Q = _start(rng)
    spec = {"train": train, "loss": loss, "start": {"V": V, "Q": Q}}
    if then:
        spec["then"] = then
    return {"spec": spec, "Sigma": Sigma, "theta0": sp.Matrix(theta0), "sigma2": sigma2}


def _symbolic_start(spec: dict, train: tuple) -> tuple[sp.Matrix, sp.Matrix, list]:
    """V, Q at the start with one symbol per trained entry (Q_xx is not trained here)."""
    V = sp.Matrix(spec["start"]["V"]).applyfunc(sp.Rational)
    Q = sp.Matrix(spec["start"]["Q"]).applyfunc(sp.Rational)
    last, x = D + 1, range(1, D + 1)
    where = {"v0": [("V", last, 0)], "vx": [("V", last, i) for i in x], "vy": [("V", last, last)],
             "Q00": [("Q", 0, 0)], "q0x": [("Q", 0, i) for i in x], "qx0": [("Q", i, 0) for i in x],
             "Qy0": [("Q", last, 0)], "qyx": [("Q", last, i) for i in x]}
    syms, starts = [], {}
    for b in train:
        for which, i, j in where[b]:
            M = V if which == "V" else Q
            s = sp.Symbol(f"{which}_{i}{j}")
            starts[s] = M[i, j]
            M[i, j] = s
            syms.append((s, which, i, j))
    return V, Q, syms


def _concrete_task(task, theta0: sp.Matrix):
    """(theta as a list of expressions, extra Gaussian block or None)."""
    def mean(m):
        if m == "target":
            return list(theta0)
        if m == "opposite":
            return list(-theta0)
        if m == "zero":
            return [0] * D
        return [sp.Rational(v) for v in m]
    if not isinstance(task, dict):
        return mean(task), None
    g = sp.symbols(f"g0:{D}")
    cov = task["cov"]
    Omega = sp.eye(D) * sp.Rational(cov) if isinstance(cov, str) else sp.Matrix(cov)
    mu = mean(task["mean"])
    return [mu[i] + g[i] for i in range(D)], (list(g), Omega)


def concrete_loss(V, Q, terms: list, Sigma, theta0, sigma2) -> sp.Expr:
    """sum_k w_k E(V, Q, n_k; task_k), exact, by the concrete engine (independent of symbolic/)."""
    total = sp.S.Zero
    for t in terms:
        theta, block = _concrete_task(t["task"], theta0)

        def E(k):
            e = sp.expand(concrete_error(V, Q, n=k, theta=theta, Sigma=Sigma, sigma2=sigma2))
            return sp.expand(gaussian_expectation(e, [block])) if block else e
        if t["n"] == "inf":
            e0, e1, e2 = E(0), E(1), E(2)
            value = sp.expand((9 * e2 - 8 * e1 + e0) / 2)   # leading coefficient of (n+1)^2 E(n)
        else:
            value = E(t["n"])
        total += sp.Rational(t.get("weight", 1)) * value
    return sp.expand(total)


def _affine_minimisers(L: sp.Expr, syms: list) -> dict:
    """argmin L (a convex quadratic) as {symbol: affine expression in the free symbols}."""
    (point,) = list(sp.linsolve([sp.diff(L, s) for s in syms], syms))
    return dict(zip(syms, point))


def nearest(family: dict, p0: dict) -> dict:
    """The point of the affine set ``family`` nearest ``p0`` (Euclidean): gradient descent's
    limit on a convex quadratic from ``p0``."""
    params_ = sorted(set().union(*[sp.sympify(v).free_symbols for v in family.values()]) & set(family), key=str)
    if not params_:
        return family
    dist = sp.expand(sum((v - p0[s]) ** 2 for s, v in family.items()))
    (best,) = list(sp.linsolve([sp.diff(dist, t) for t in params_], params_))
    sub = dict(zip(params_, best))
    return {s: sp.expand(sp.sympify(v).xreplace(sub)) for s, v in family.items()}


@lru_cache(maxsize=None)
def _derived(seed: int):
    case = make_case(seed)
    spec = spec_from_json(case["spec"])
    got = params(spec, d=D, sigma2=case["sigma2"], Sigma=case["Sigma"], theta0=list(case["theta0"]))
    return case, spec, got


def check_case(case: dict, V_star: sp.Matrix, Q_star: sp.Matrix) -> None:
    spec = case["spec"]
    Sigma, theta0, sigma2 = case["Sigma"], case["theta0"], case["sigma2"]
    train = tuple(spec["train"])
    V, Q, syms = _symbolic_start(spec, train)
    V0 = sp.Matrix(spec["start"]["V"]).applyfunc(sp.Rational)
    Q0 = sp.Matrix(spec["start"]["Q"]).applyfunc(sp.Rational)
    last = D + 1
    for j in range(D + 2):       # untrained entries that reach the output stay at the start
        if not V[last, j].free_symbols:
            assert V_star[last, j] == V0[last, j], ("untrained V entry moved", j)
    for i in range(D + 2):
        for j in range(D + 1):
            if not Q[i, j].free_symbols:
                assert Q_star[i, j] == Q0[i, j], ("untrained Q entry moved", i, j)
    at = {s: (V_star if w == "V" else Q_star)[i, j] for s, w, i, j in syms}
    start = {s: (V0 if w == "V" else Q0)[i, j] for s, w, i, j in syms}
    symbols = [s for s, *_ in syms]
    L1 = concrete_loss(V, Q, spec["loss"], Sigma, theta0, sigma2)
    grad = [sp.expand(sp.diff(L1, s).xreplace(at)) for s in symbols]
    assert all(g == 0 for g in grad), ("the derived point is not a minimiser of the loss", grad)
    fam = _affine_minimisers(L1, symbols)
    if not spec.get("then"):
        limit = nearest(fam, start)
        assert all(sp.expand(limit[s] - at[s]) == 0 for s in symbols), (
            "not gradient descent's limit from the start", {s: (at[s], limit[s], start[s]) for s in symbols})
        return
    L2 = concrete_loss(V, Q, spec["then"], Sigma, theta0, sigma2)
    params_ = sorted(set().union(*[sp.sympify(v).free_symbols for v in fam.values()]) & set(symbols), key=str)
    L2_on = sp.expand(L2.xreplace(fam))
    inner = _affine_minimisers(L2_on, params_) if params_ else {}
    best = sp.expand(L2_on.xreplace(inner))
    assert sp.expand(L2.xreplace(at) - best) == 0, "the second loss is not minimal inside the first's minimisers"


SEEDS = tuple(range(len(CASES)))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_start_and_families_against_concrete_minimisation(seed: int) -> None:
    case, spec, got = _derived(seed)
    check_case(case, got.V, got.Q)


def test_cases_cover_the_starts_covariances_and_families() -> None:
    """The seeds cover: explicit starts with non-symmetric Q_xx and Q[0, x] != Q[x, 0]; matrix,
    singular and scalar covariances; family means theta_0, -theta_0, a given vector; n = oo
    (a vector seen only through a functional); a second stage; V and Q training."""
    seen = set()
    for seed in SEEDS:
        c = make_case(seed)["spec"]
        Q = sp.Matrix(c["start"]["Q"])
        assert Q[1:D + 1, 1:D + 1] != Q[1:D + 1, 1:D + 1].T and Q[0, 1:D + 1] != Q[1:D + 1, 0].T
        seen |= {"then"} if c.get("then") else set()
        seen |= {b for b in c["train"]}
        for t in c["loss"] + c.get("then", []):
            task = t["task"]
            seen.add(f"n={t['n']}")
            if isinstance(task, dict):
                seen.add("cov:" + ("scalar" if isinstance(task["cov"], str) else
                                   "singular" if sp.Matrix(task["cov"]).det() == 0 else "matrix"))
                seen.add("mean:" + (task["mean"] if isinstance(task["mean"], str) else "vector"))
    want = {"then", "qx0", "vx", "n=inf", "cov:scalar", "cov:matrix", "cov:singular",
            "mean:target", "mean:opposite", "mean:vector"}
    assert want <= seen, want - seen


def test_the_routes_catch_a_wrong_point() -> None:
    """Power: the same checks fail for a derived point moved by 1/100 in one trained entry."""
    case, spec, got = _derived(2)
    check_case(case, got.V, got.Q)
    s, which, i, j = _symbolic_start(case["spec"], tuple(case["spec"]["train"]))[2][0]
    V, Q = got.V.copy(), got.Q.copy()
    (V if which == "V" else Q)[i, j] += R(1, 100)
    with pytest.raises(AssertionError):
        check_case(case, V, Q)
