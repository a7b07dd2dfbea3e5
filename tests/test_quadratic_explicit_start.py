"""The symbolic route from an explicit start, against the concrete minimiser, exactly.

A spec whose explicit ``start`` has ``Q_xx = c I`` is derived at symbolic d:
:func:`symbolic.general.derive_spec` -> :func:`symbolic.quadratic.minimise_quadratic` (block
elimination of the vector unknowns, a rank-one factor ``r = a^T W u`` eliminated as an auxiliary
scalar, a vector seen only through functionals moved from its start along the gradient's
directions ("through" vectors), the flat families and the point nearest the start).  From the
pretrained start most of that is invisible (``theta_0^T Sigma q_x0`` and every through vector's
start are 0 there); from an explicit start it is not.

Drawn (hypothesis with a fixed seed per combination, one example each, no shrinking):

* the start, as a JSON ``{"V", "Q"}`` (the command line's form, parsed by
  :func:`symbolic.spec.spec_from_json`): ``Q_xx = c I`` (c drawn, 0 included), the scalars
  ``v_0, v_y, Q_00, Q_y0`` (0 included), up to two of the vectors ``v_x, q_0x, q_x0, q_yx``
  non-zero (partial starts: any of them may be 0; in the flat-family test a trained ``q_x0``
  or ``v_x`` starts off 0);
* one or two loss terms, n in {0, 1, oo}, tasks theta_0 (target), -theta_0 (opposite) or a
  task at an angle from theta_0 (``cos(phi) theta_0 + sin(phi) w``, w the Sigma-orthogonal part
  of a coordinate vector, rational cos and sin); sometimes a second stage (``then``);
* two settings, d = 2 and d = 3: a random rational SPD Sigma, theta_0, sigma^2 > 0, and the
  start's vectors drawn at each d (the derivation is one, at symbolic d: it is evaluated at both).

The block combinations: every subset of V's last row and of Q's blocks other than Q_xx
(``COMBOS``, 38) but one (``DRAWN``), each with its own seed; the flat families (n -> oo and
n = 0 losses, starts off the family) on five (``FLAT``); the two specs quoted in the issue.

Checked, exactly: V's last row and Q[:, :d+1] of the derived point (``proofs.api.params`` at
d = 2, the derived strategy's blocks evaluated at d = 3) equal those of
:func:`proofs.quantities.concrete_minimiser.concrete_minimiser` (linear algebra on the explicit quadratic at the
setting: ``u_0 + R (R^T A R)^{-1} R^T (b - A u_0)``, gradient descent's limit), entry by entry,
trained and untrained; and the derived closed-form errors (zero-shot on theta_0, the limit
n -> oo on the error task) equal the concrete engine's (:mod:`symbolic.concrete`, the poster's
formula expanded literally) at the concrete minimiser.

What this found (the tests named fail on main as it was before this branch, checked on a copy):
a flat family coupling a through vector's directions with a scalar block (``Q_00``,
``Q_y0``, or v_x's directions with v_y: the n -> oo loss sees them only as one combination) was
reported with the direction coefficients at 0 or the scalar at its start, not at the point
nearest the start, which gradient descent reaches (``v0+vx+vy``, ``Q00+qx0``, ``Q00+qx0+Qy0``,
``q0x+qx0+Qy0`` in the flat test); a second stage that moves a first stage's through vector was
minimised as if the vector were fixed (``Q00+qx0+qyx``: now refused, see below); and two JSON
specs differing only in their start values compared equal and shared one cached derivation
(``test_two_starts_with_one_structure_are_two_questions``).  Fixed in symbolic/quadratic.py
(:func:`symbolic.quadratic.nearest_point`: the distance over every trained entry, vectors from
their start; ``pick=False`` leaves the family's parameters to the caller), symbolic/general.py
(``_nearest`` over both stages, ``_moves_beyond``) and symbolic/spec.py (``bindings`` part of a
spec's equality).

Routes of ``minimise_quadratic`` reached (from a line trace of these draws): a vector's own
Hessian inverted as one term and as a sum (a named inverse: ``vx``, ``v0+vx+vy``); the Schur
complement and back-substitution of coupled vectors (``Q00+q0x+qyx``, ``q0x+qx0+Qy0``,
``Q00+q0x+qx0+Qy0``, ...); a rank-one factor ``r = a^T W u`` eliminated as an auxiliary scalar
(21 combinations, and the first issue spec with Q_y0 = 1); scalars inside a vector's equation;
unknowns absent from the loss (free); a free scalar coupled to other blocks (``v0+vy``,
``Q00+qx0+Qy0``); a through vector with start 0 and with a non-zero start (the second issue
spec, and the flat test's ``q_x0``, ``v_x``); the family's parameters left to the caller
(``pick=False``) and the point nearest the start over scalars and vectors (normal equations);
second stages over free blocks; the refusal of a second stage that moves a through vector.

Not reached from here, and why:

* Q_xx trained: that is :mod:`symbolic.matrix_unknown` (a structured span), which from an
  explicit start almost always leaves a span coefficient free and refuses; the answer there is
  the concrete minimiser itself, so there is nothing independent to compare.
* sigma^2 = 0: some symbolic minimisers divide by sigma^2 (training v_x, v_y at n -> oo is
  flat along v_x + v_y theta_0 when there is no noise): the formula holds for sigma^2 > 0 only.
* two refusals, each checked to be one of these (``_REFUSALS``): q_0x with q_yx at n -> oo
  alone (the Schur complement of the vector block vanishes: a d-dimensional flat family of
  vectors, outside the elimination), and a second stage that moves a first stage's through
  vector orthogonally to its directions (a projection, not a word).  Draws are steered away
  from the first (a finite-n term joins q_0x with q_yx).
* V's blocks at finite n with two start vectors: each such derivation takes minutes at
  symbolic d (the Hessian's words grow with every start vector), so a V combination at
  finite n is drawn with at most one non-zero start vector.
* more directions than d: a vector seen through k > d functionals (q_x0 at n -> oo along
  Sigma theta_0, Sigma theta_1, Sigma v_x) has a Gram matrix that is singular at that d, and
  the symbolic formula (generic d) is 0/0 there; draws keep k <= 2.

Deliberate breaks (bench/mutate.py ids; the first test of this file to fail, with the issue's
specs run last): Q4, the rank-one elimination's sign (``vx``; the first issue spec alone kills it
too); Q7, a through vector's start dropped (flat ``v0+vx+vy``; the second issue spec too); Q16,
the free directions' basis ``a`` for ``W^T a`` (flat ``v0+vx+vy``; the second issue spec too);
Q15, Q17, Q18, Q19 (the nearest point: kept at the start, scalars left out of the distance,
cross terms counted once, a vector measured from 0; flat ``v0+vx+vy``); G9 (a second stage
moving a through vector not refused; flat ``Q00+qx0+qyx``); G10 (a coupled free scalar kept at
its start; ``Q00+qx0+Qy0``); S11 (bindings left out of a spec's equality; the two-starts test).
Q20 (one symbol per trace/bilinear form, ``Sigma*Sigma`` vs ``Sigma**2``) survives: no draw
here needs it.

Cost: about 20 s CPU on one core for the file.
"""
from __future__ import annotations

import itertools

import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, assume, given, seed, settings
from hypothesis import strategies as st

from proofs.api import params
from proofs.quantities.concrete_minimiser import concrete_minimiser
from proofs.quantities.setting import setting
from symbolic import THETA, THETA0
from symbolic.concrete import concrete_error
from symbolic.evaluation import evaluate, evaluate_poly
from symbolic.general import derive_spec
from symbolic.objective import N, expected_error
from symbolic.quadratic import NotClosedForm
from symbolic.spec import general_start, spec_from_json
from symbolic.strategy import limit_poly

from xcheck import strategy_env, strategy_params

V_BLOCKS = ("v0", "vx", "vy")
Q_BLOCKS = ("Q00", "q0x", "qx0", "Qy0", "qyx")
#: every block combination the route handles: V's last row, or Q's blocks other than Q_xx
COMBOS = tuple(c for blocks in (V_BLOCKS, Q_BLOCKS) for k in range(1, len(blocks) + 1)
               for c in itertools.combinations(blocks, k))
VECTORS = ("vx", "q0x", "qx0", "qyx")
SCALARS = ("v0", "vy", "Q00", "Qy0")
DS = (2, 3)
EXAMPLES = 1
#: the documented refusals (module docstring)
_REFUSALS = ("its Hessian block vanishes but it couples to another vector unknown",
             "the second loss moves")
R = sp.Rational


# ----------------------------------------------------------------------------- drawing

small = st.sampled_from([R(-2), R(-1), R(-1, 2), R(1, 3), R(1), R(3, 2), R(2)])
maybe_zero = st.one_of(st.just(R(0)), small)


def _vector(draw, d: int) -> list:
    v = [draw(st.sampled_from([R(0), R(1), R(-1), R(1, 2), R(-3, 2), R(2)])) for _ in range(d)]
    if all(x == 0 for x in v):
        v[draw(st.integers(0, d - 1))] = R(1)
    return v


def _setting(draw, d: int) -> tuple:
    L = sp.Matrix(d, d, lambda i, j: draw(st.integers(-2, 2)) if i >= j else 0)
    Sigma = L * L.T + sp.eye(d) * draw(st.sampled_from([R(1, 2), R(1), R(2)]))
    theta0 = [draw(st.integers(-2, 2)) for _ in range(d)]
    if all(t == 0 for t in theta0):
        theta0[0] = 1
    return Sigma, sp.Matrix(theta0), draw(st.sampled_from([R(1, 10), R(1, 2), R(2)]))


ANGLES = ((R(0), R(1)), (R(3, 5), R(4, 5)), (R(-5, 13), R(12, 13)), (R(-1), R(1)))


@st.composite
def cases(draw, train: tuple) -> dict:
    """One spec training ``train`` from a drawn explicit start, and its two settings.

    Cost shapes the draws (module docstring): n in {0, 1, oo} with at most one n = 1 term, and
    at most two constant vectors besides theta_0 (the angle task's and the start's non-zero
    vectors); one with an n = 1 term or V's blocks trained; none with an n = 1 term and V's
    blocks or three or more of Q's trained (and then c = 0 too), and no n = 1 term when all
    three of V's blocks are trained."""
    n_choice = st.sampled_from([0, 1, "inf", "inf"])
    task = st.sampled_from(["target", "opposite", "angle"])
    loss = [(draw(st.sampled_from([R(1), R(1, 2), R(3)])), draw(n_choice), draw(task))
            for _ in range(draw(st.integers(1, 2)))]
    then = [(R(1), draw(n_choice), draw(task))] if draw(st.integers(0, 3)) == 0 else []
    terms = loss + then
    ones = [k for k, t in enumerate(terms) if t[1] == 1]
    if len(train) == 3 and train[0] in V_BLOCKS:    # all of V's row at n = 1: minutes (module docstring)
        terms, ones = [(w, 0 if n == 1 else n, t) for w, n, t in terms], []
    if {"q0x", "qyx"} <= set(train) and not ones:   # q_0x, q_yx apart need labels: not the saddle
        ones = [0]
    terms = [(w, 1 if k == ones[0] else ("inf" if n == 1 else n), t) if ones else (w, n, t)
             for k, (w, n, t) in enumerate(terms)]          # at most one n = 1 term
    loss, then = terms[:len(loss)], terms[len(loss):]
    # constant vectors besides theta_0 (the angle task's, the start's): each adds symbols to the
    # derivation, whose time grows fast with them at finite n (module docstring)
    v_side = train[0] in V_BLOCKS
    most = 0 if ones and (v_side or len(train) >= 3) else 1 if ones or v_side else 2
    if most == 0:
        loss, then = ([(w, n, "opposite" if t == "angle" else t) for w, n, t in ts] for ts in (loss, then))
    angle = any(t == "angle" for _, _, t in loss + then)
    nonzero = draw(st.lists(st.sampled_from(VECTORS), max_size=max(most - angle, 0), unique=True))
    case = {"train": train, "loss": loss, "then": then,
            "c": R(0) if most == 0 and not v_side else draw(maybe_zero), "scalars": {b: draw(maybe_zero) for b in SCALARS},
            "angle": draw(st.sampled_from(ANGLES)), "error_task": draw(task), "fresh": draw(st.integers(0, 9))}
    for d in DS:
        case[d] = {"vectors": {b: _vector(draw, d) for b in nonzero}, "setting": _setting(draw, d)}
    return case


#: the combinations whose n -> oo loss has flat families that couple blocks: two or more of
#: Q_00, q_x0, Q_y0 (seen only as Q_00 u_0 + q_x0^T u_x + Q_y0 u_y, u = E[z z^T] v), and v_x
#: (seen through functionals of Q's start)
#: (not q_0x with q_yx: in the limit the loss sees only u_0 q_0x + u_y q_yx, a saddle refused)
_ALL_FLAT = tuple(c for c in COMBOS if (len({"Q00", "qx0", "Qy0"} & set(c)) >= 2 or "vx" in c)
                  and not {"q0x", "qyx"} <= set(c))
#: the ones drawn (CPU: the others repeat these routes, some at up to 36 s a derivation, or
#: draw a second stage that is refused after a long first stage): v_x's directions with v_0 and
#: v_y (a family coupling v_x's directions with v_y); q_x0's directions with Q_00, and with Q_00
#: and Q_y0; q_x0 with q_0x (a vector with a Hessian block beside a through vector); q_x0 with
#: Q_00 and q_yx (its draw: a second stage that would move q_x0 off its directions, refused).
#: Each combination keeps its seed from ``_ALL_FLAT``.
FLAT = (("v0", "vx", "vy"), ("Q00", "qx0"), ("Q00", "qx0", "Qy0"), ("q0x", "qx0", "Qy0"), ("Q00", "qx0", "qyx"))
assert set(FLAT) <= set(_ALL_FLAT)


@st.composite
def flat_cases(draw, train: tuple) -> dict:
    """A spec whose losses are at n -> oo (and n = 0): cheap to derive, and where the minimisers
    form affine families that couple a through vector's directions with scalar blocks; starts
    mostly non-zero on the coupled blocks (so the family's point nearest the start is not the
    start's own), v_0 and v_y non-zero when Q is trained (so that the n -> oo loss sees Q_00 and
    Q_y0 at all), sometimes a second stage inside the family."""
    n_choice = st.sampled_from(["inf", "inf", 0])
    task = st.sampled_from(["target", "opposite", "angle"])
    loss = [(draw(st.sampled_from([R(1), R(1, 2), R(3)])), draw(n_choice), draw(task))
            for _ in range(draw(st.integers(1, 2)))]
    then = [(R(1), draw(n_choice), draw(task))] if draw(st.integers(0, 2)) == 0 else []
    if {"q0x", "qx0"} <= set(train) and all(n == 0 for _, n, _ in loss):
        loss[0] = (loss[0][0], "inf", loss[0][2])   # at n = 0 alone, q_0x + q_x0: the saddle again
    v_side = train[0] in V_BLOCKS
    zero_n = any(n == 0 for _, n, _ in loss + then)
    angle = any(t == "angle" for _, _, t in loss + then)
    most = max((1 if v_side and zero_n else 2) - angle, 0)
    # a trained through vector (q_x0, v_x) starts off 0 (its start is kept along the directions
    # the loss does not see: a start dropped shows), unless the angle task took the budget
    through = [b for b in ("qx0", "vx") if b in train][:most]
    favoured = st.sampled_from(["qx0", "vx", "qx0", "vx", "q0x", "qyx"])
    drawn = draw(st.lists(favoured, min_size=max(min(1, most) - len(through), 0), max_size=most - len(through)))
    nonzero = list(dict.fromkeys(through + drawn))
    mostly = st.one_of(small, small, st.just(R(0)))
    scalars = {b: draw(small if b in ("v0", "vy") and not v_side else mostly) for b in SCALARS}
    case = {"train": train, "loss": loss, "then": then,
            "c": R(0) if v_side and draw(st.booleans()) else draw(maybe_zero),
            "scalars": scalars,
            "angle": draw(st.sampled_from(ANGLES)), "error_task": draw(task), "fresh": draw(st.integers(0, 9))}
    for d in DS:
        case[d] = {"vectors": {b: _vector(draw, d) for b in nonzero}, "setting": _setting(draw, d)}
    return case


# ----------------------------------------------------------------------------- the spec at d

def _angle_task(case: dict, d: int) -> sp.Matrix:
    """cos(phi) theta_0 + sin(phi) w, w the Sigma-orthogonal part of the first coordinate vector
    not parallel to theta_0 (so theta^T Sigma theta_0 = cos(phi) theta_0^T Sigma theta_0)."""
    Sigma, theta0, _ = case[d]["setting"]
    cos, sin = case["angle"]
    for j in range(d):
        e = sp.eye(d)[:, j]
        w = e - (e.T * Sigma * theta0)[0, 0] / (theta0.T * Sigma * theta0)[0, 0] * theta0
        if any(x != 0 for x in w):
            return cos * theta0 + sin * w
    raise AssertionError("d >= 2 has a direction Sigma-orthogonal to theta_0")


def _json_task(case: dict, d: int, task: str):
    return [str(x) for x in _angle_task(case, d)] if task == "angle" else task


def spec_json(case: dict, d: int) -> dict:
    """The spec as the command line reads it, the start as explicit (d+2) x (d+2) V and Q."""
    n = d + 2
    V = [[R(0)] * n for _ in range(n)]
    Q = [[R(0)] * n for _ in range(n)]
    s, vecs, y = case["scalars"], case[d]["vectors"], d + 1
    V[y][0], V[y][y], Q[0][0], Q[y][0] = s["v0"], s["vy"], s["Q00"], s["Qy0"]
    for i in range(d):
        Q[1 + i][1 + i] = case["c"]
        if "vx" in vecs:
            V[y][1 + i] = vecs["vx"][i]
        if "q0x" in vecs:
            Q[0][1 + i] = vecs["q0x"][i]
        if "qx0" in vecs:
            Q[1 + i][0] = vecs["qx0"][i]
        if "qyx" in vecs:
            Q[y][1 + i] = vecs["qyx"][i]

    def terms(ts):
        return [{"weight": str(w), "n": n_, "task": _json_task(case, d, t)} for w, n_, t in ts]
    out = {"train": list(case["train"]), "loss": terms(case["loss"]),
           "start": {"V": [[str(x) for x in r] for r in V], "Q": [[str(x) for x in r] for r in Q]}}
    if case["then"]:
        out["then"] = terms(case["then"])
    return out


# ----------------------------------------------------------------------------- the checks

def _limit(E) -> sp.Expr:
    """lim_{n -> oo} E(n): (n+1)^2 E(n) is a quadratic polynomial in n, so its leading
    coefficient is (9 E(2) - 8 E(1) + E(0)) / 2."""
    return sp.expand((9 * E(2) - 8 * E(1) + E(0)) / 2)


def check_errors(s, spec, case: dict, d: int, V: sp.Matrix, Q: sp.Matrix) -> None:
    """The derived closed-form errors equal the concrete engine's at the concrete minimiser V, Q:
    zero-shot on theta_0 and n -> oo on the error task.  Derived: the Wick engine's
    ``E(V*, Q*, n; task)`` on the derived blocks (long coefficients held as symbols, as
    ``derive`` prints the errors), evaluated at the setting."""
    Sigma, theta0, sigma2 = case[d]["setting"]
    theta = {"target": theta0, "opposite": -theta0, "angle": _angle_task(case, d)}[case["error_task"]]
    env = {**strategy_env(Sigma=Sigma, theta0=theta0, sigma2=sigma2, theta=theta), **dict(spec.bindings)}
    blocks, where = s.abstract_blocks(min_ops=0)
    env.update({k.name: evaluate(v, env) for k, v in where.items()})
    memo: dict = {}

    def E(k, want):
        key = (k, tuple(want))
        if key not in memo:
            memo[key] = concrete_error(V, Q, n=k, theta=list(want), Sigma=Sigma, sigma2=sigma2)
        return memo[key]
    for task, n, want in ((THETA0, 0, theta0), (THETA, sp.oo, theta)):
        p = expected_error(blocks, task, N if n == sp.oo else n)
        got = evaluate_poly(limit_poly(p, N) if n == sp.oo else p, env)
        expected = E(0, want) if n == 0 else _limit(lambda k: E(k, want))
        assert sp.simplify(got - expected) == 0, (f"error n={n}", got, expected)


def extra_vectors(case: dict) -> int:
    """Constant vectors of the loss besides theta_0: the angle task's and the start's."""
    return any(t == "angle" for _, _, t in case["loss"] + case["then"]) + len(case[2]["vectors"])


def _finite(x: sp.Expr) -> bool:
    return sp.sympify(x).is_finite is True


def check_case(case: dict) -> str:
    """Derive once (symbolic d), compare with the concrete minimiser at d = 2 and d = 3;
    returns "derived" or "refused" (a documented refusal).

    With three constant vectors (theta_0 and two more) at d = 2 they are linearly dependent and
    a formula derived for generic d may be 0/0 there (a Gram determinant of three vectors):
    there the derived entries must equal the concrete minimiser's or be undefined (nan, zoo),
    never a wrong number."""
    specs = {d: spec_from_json(spec_json(case, d)) for d in DS}
    assert not general_start(specs[2])          # Q_xx = c I: the symbolic route, not the concrete one
    try:
        s = derive_spec(specs[2])
    except NotClosedForm as exc:
        assert any(r in str(exc) for r in _REFUSALS), str(exc)
        return "refused"
    generic = {d: d > extra_vectors(case) for d in DS}
    for d in DS:
        Sigma, theta0, sigma2 = case[d]["setting"]
        if d == 2:   # the user's route: params evaluates the derivation
            got = params(specs[d], d=d, Sigma=Sigma, theta0=list(theta0), sigma2=sigma2)
            assert got.route == "closed form", ("params answered by another route", got.route)
            V, Q = got.V, got.Q
        else:        # the same derivation, evaluated with the d = 3 start's values
            env = {**strategy_env(Sigma=Sigma, theta0=theta0, sigma2=sigma2), **dict(specs[d].bindings)}
            V, Q = strategy_params(s, env)
        want = concrete_minimiser(specs[d], setting(d, Sigma=Sigma, theta0=list(theta0), sigma2=sigma2))
        pairs = list(zip(list(V[d + 1, :]) + list(Q[:, :d + 1]), list(want.V[d + 1, :]) + list(want.Q[:, :d + 1])))
        wrong = [(a, b) for a, b in pairs if (generic[d] or _finite(a)) and sp.simplify(a - b) != 0]
        assert not wrong, (f"d={d}: derived != concrete minimiser", spec_json(case, d), wrong)
        if generic[d] and d == min(x for x in DS if generic[x]):
            check_errors(s, specs[d], case, d, want.V, want.Q)
    return "derived"


def rich(case: dict) -> bool:
    """Not hypothesis's first, simplest draw (every choice its first: ``fresh`` is 0 there, and
    1..9 in a random draw), nor (nearly) the all-zero start: at least two of the start's
    scalars, c and vectors are non-zero."""
    return case["fresh"] != 0 and \
        sum(v != 0 for v in case["scalars"].values()) + (case["c"] != 0) + len(case[2]["vectors"]) >= 2


#: a fixed seed per combination (reproducible, no example database), no shrinking (a failure is
#: reported as drawn), the examples that pass ``rich`` only
_SETTINGS = dict(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None, phases=[Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
SEED = 27_000


#: the combinations drawn by the first test: all of COMBOS but Q_00, q_0x, q_x0, q_yx (2.6 s, the
#: routes of Q_00, q_0x, q_x0, Q_y0: three coupled vectors, a rank-one factor, a scalar)
DRAWN = tuple(c for c in COMBOS if c != ("Q00", "q0x", "qx0", "qyx"))


@pytest.mark.parametrize("k", [COMBOS.index(c) for c in DRAWN], ids=["+".join(c) for c in DRAWN])
def test_symbolic_route_equals_concrete_minimiser(k: int) -> None:
    @seed(SEED + k)
    @settings(**_SETTINGS)
    @given(cases(COMBOS[k]))
    def run(case):
        assume(rich(case))
        check_case(case)
    run()


def test_two_starts_with_one_structure_are_two_questions() -> None:
    """Two JSON specs that differ only in their start's values are two questions: each gets its
    own minimiser.  (Their bound values did not count in a spec's equality, so the second
    shared the first one's cached derivation, bindings included, and got the first one's start
    values and answer.)"""
    Sigma, theta0, sigma2 = sp.Matrix([[2, 1], [1, 3]]), [1, -1], R(1, 10)
    answers = []
    for vx in (["1", "2"], ["3", "-1"]):
        js = {"train": ["vy", "v0"], "loss": [{"n": 1, "task": "target"}],
              "start": {"V": [["0"] * 4] * 3 + [["1/2", *vx, "1"]],
                        "Q": [["0"] * 4, ["1", "2", "0", "0"], ["-1", "0", "2", "0"], ["1/3", "0", "0", "0"]]}}
        spec = spec_from_json(js)
        got = params(spec, d=2, Sigma=Sigma, theta0=theta0, sigma2=sigma2)
        want = concrete_minimiser(spec, setting(2, Sigma=Sigma, theta0=theta0, sigma2=sigma2))
        assert got.V[3, :] == want.V[3, :] and list(got.V[3, 1:3]) == [R(x) for x in vx]
        answers.append(got.V[3, :])
    assert answers[0] != answers[1]


@pytest.mark.parametrize("k", range(len(FLAT)), ids=["+".join(c) for c in FLAT])
def test_flat_families_reach_the_point_nearest_the_start(k: int) -> None:
    """n -> oo: the families that couple Q_00, q_x0's directions and Q_y0 (or v_x's directions
    with v_0, v_y), from starts that are not on them; derived point = concrete minimiser."""
    @seed(SEED + 100 + _ALL_FLAT.index(FLAT[k]))
    @settings(**_SETTINGS)
    @given(flat_cases(FLAT[k]))
    def run(case):
        assume(rich(case))
        check_case(case)
    run()


#: the two specs quoted in the report that found the gap, as the command line reads them (d = 2)
ISSUE_SPECS = (
    {"train": ["qx0"], "loss": [{"n": 1, "task": "target"}],
     "start": {"V": [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]],
               "Q": [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]}},
    {"train": ["qx0"], "loss": [{"n": "inf", "task": "target"}],
     "start": {"V": [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]],
               "Q": [[0, 0, 0, 0], [1, 1, 0, 0], [2, 0, 1, 0], [0, 0, 0, 0]]}},
)
_ISSUE_SETTINGS = {2: (sp.Matrix([[2, 1], [1, 3]]), sp.Matrix([1, -1]), R(1, 10)),
                   3: (sp.Matrix([[2, 1, 0], [1, 3, -1], [0, -1, 2]]), sp.Matrix([1, 0, -2]), R(1, 2))}


@pytest.mark.parametrize("k", range(len(ISSUE_SPECS)))
def test_the_issues_specs(k: int) -> None:
    """The issue's two specs (the first: Q_y0 = 1 in the start, so theta_0^T Sigma q_x0, a
    rank-one factor of the n = 1 loss, is eliminated beside a non-zero constant; the second: q_x0
    seen only through theta_0^T Sigma q_x0 at n -> oo, starting off the direction Sigma theta_0,
    so its start must be kept along the orthogonal directions), at d = 2 as quoted and at d = 3
    with the same blocks (q_x0's start extended by -1), against the concrete minimiser; errors on
    the opposite task and at an angle."""
    case = {"train": ("qx0",), "loss": [(R(1), 1 if k == 0 else "inf", "target")], "then": [], "c": R(1),
            "scalars": {"v0": R(0), "vy": R(1), "Q00": R(0), "Qy0": R(1 - k)},
            "angle": (R(3, 5), R(4, 5)), "error_task": ("opposite", "angle")[k], "fresh": 1}
    for d in DS:
        case[d] = {"vectors": {} if k == 0 else {"qx0": [R(1), R(2), R(-1)][:d]}, "setting": _ISSUE_SETTINGS[d]}
    assert spec_from_json(spec_json(case, 2)) == spec_from_json(ISSUE_SPECS[k])
    assert check_case(case) == "derived"
