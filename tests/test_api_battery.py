"""The hostile battery of the Python API (issue 19): spec questions (``symbolic.derive(train=...,
loss=...)``, :func:`symbolic.spec.make_spec`), task angles, and evaluation at a setting.

The contract: bad input is a ``ValueError`` (or ``TypeError`` for a value of the wrong kind)
whose message names the argument or field, is one line of sensible length, and comes before
any work; no SymPy exception leaks; an infinite iterator is read no further than the bound;
nothing is silently computed at a wrong value (a NaN angle is not 0, a negative weight's
maximiser is not returned as a minimiser).

Every case is refused before a derivation starts, so each takes milliseconds (the module's
few derivations are cached and shared with the other tests).
"""
from __future__ import annotations

import itertools
import signal
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from proofs.quantities import limits as L
from symbolic import validation as V
from symbolic.spec import MAX_TASKS, family, make_spec, spec_from_json

W = sp.Symbol("w", positive=True)
TARGET = [(1, 0, "target")]


def _cases():
    import symbolic
    from proofs import api
    derive = symbolic.derive
    kw = dict(d=2, sigma2=0, m=None, n_ft=None)
    many = [(1, k, sp.MatrixSymbol(f"theta_{k + 1}", symbolic.DIM, 1)) for k in range(MAX_TASKS + 1)]
    return [
        # infinite iterators: read no further than the bound
        ("train repeat", lambda: derive(train=itertools.repeat("vx"), loss=TARGET), "train:"),
        ("loss repeat", lambda: derive(train=["vx"], loss=itertools.repeat((1, 0, "target"))), "loss:"),
        ("then repeat", lambda: derive(train=["vx"], loss=TARGET, then=itertools.repeat((1, 0, "target"))),
         "then:"),
        ("loss count", lambda: make_spec(["vx"], ((1, n, "target") for n in itertools.count())), "loss:"),
        # messages that name nothing
        ("loss int", lambda: derive(train=["vx"], loss=5), "loss:"),
        ("then int", lambda: derive(train=["vx"], loss=TARGET, then=7), "then:"),
        ("train of ints", lambda: derive(train=[1, 2], loss=TARGET), "train:"),
        ("weight I", lambda: derive(train=["vx"], loss=[(sp.I, 0, "target")]), "loss[0].weight:"),
        ("weight 1+I", lambda: derive(train=["vx"], loss=[(1 + sp.I, 0, "target")]), "loss[0].weight:"),
        ("weight complex", lambda: derive(train=["vx"], loss=[(1j, 0, "target")]), "loss[0].weight:"),
        ("task zero", lambda: derive(train=["vx", "vy"], loss=[(1, 0, "zero")]), "loss[0].task:"),
        ("task list", lambda: derive(train=["vx"], loss=[(1, 0, [1, 2])]), "loss[0].task:"),
        # silently wrong: a maximiser returned as a minimiser
        ("weight -w", lambda: derive(train=["vx", "vy"], loss=[(-W, 0, "target")]), "loss[0].weight:"),
        ("weight plain symbol", lambda: derive(train=["vx", "vy"], loss=[(sp.Symbol("u"), 0, "target")]),
         "loss[0].weight:"),
        ("weight -1/2", lambda: derive(train=["vx"], loss=[("-1/2", 0, "target")]), "loss[0].weight:"),
        ("family cov -w", lambda: derive(train=["vx", "vy"], loss=[(1, 0, family("target", -W))]), "task.cov:"),
        ("family cov plain", lambda: family("target", sp.Symbol("c")), "task.cov:"),
        # the limits: exponents, non-ASCII digits, n beyond 10^12, ranges
        ("weight 1e9999", lambda: derive(train=["vx"], loss=[("1e9999", 0, "target")]), "loss[0].weight:"),
        ("weight 1e-9999", lambda: derive(train=["vx"], loss=[("1e-9999", 0, "target")]), "loss[0].weight:"),
        ("weight 1e99999999999", lambda: derive(train=["vx"], loss=[("1e99999999999", 0, "target")]),
         "loss[0].weight:"),
        ("weight arabic digits", lambda: derive(train=["vx"], loss=[("١٢", 0, "target")]), "loss[0].weight:"),
        ("weight 10**400", lambda: derive(train=["vx"], loss=[(10**400, 0, "target")]), "loss[0].weight:"),
        ("weight Fraction tiny", lambda: derive(train=["vx"], loss=[(Fraction(1, 10**400), 0, "target")]),
         "loss[0].weight:"),
        ("weight nan", lambda: derive(train=["vx"], loss=[(float("nan"), 0, "target")]), "loss[0].weight:"),
        ("n 10**13", lambda: derive(train=["vx"], loss=[(1, 10**13, "target")]), "loss[0].n:"),
        ("n arabic", lambda: derive(train=["vx"], loss=[(1, "١٢", "target")]), "loss[0].n:"),
        ("n 2.5", lambda: derive(train=["vx"], loss=[(1, 2.5, "target")]), "loss[0].n:"),
        ("many tasks", lambda: derive(train=["vx"], loss=many), "loss, then:"),
        ("cov 1e400", lambda: family("target", "1e400"), "task.cov:"),
        # the pretraining context: at m = 0 the pretrained parameters are not determined
        ("derive m 0", lambda: derive("value", m=0), "m:"),
        ("spec m 0", lambda: derive(train=["vx"], loss=TARGET, m=0), "m:"),
        ("api params m 0", lambda: api.params("c", d=2, m=0), "m:"),
        ("api curve m 0", lambda: api.curve("c", "target", [0], **{**kw, "m": 0}), "m:"),
        # names that would forge output rows
        ("name newline", lambda: make_spec(["vx"], TARGET, name="a\n0  0.0"), "name:"),
        ("name escape", lambda: make_spec(["vx"], TARGET, name="\x1b[2J"), "name:"),
        ("name long", lambda: make_spec(["vx"], TARGET, name="x" * 81), "name:"),
        # angles: NaN and inf were read as 0; theta0 = 0 has no angle
        ("angle nan", lambda: api.curve("c", float("nan"), [0], **kw), "task:"),
        ("angle inf", lambda: api.curve("c", float("inf"), [0], **kw), "task:"),
        ("angle numpy nan", lambda: api.curve("c", np.float64("nan"), [0], **kw), "task:"),
        ("angle -inf", lambda: api.curve("c", -np.inf, [0], **kw), "task:"),
        ("angle theta0 zero", lambda: api.curve("c", 1, [0], **kw, theta0=[0, 0]), "theta0:"),
        # evaluation at a setting: a wrong length named, not a ShapeError
        ("values length", lambda: derive(train=["vx", "vy"], loss=[(1, 0, sp.MatrixSymbol("theta_1", symbolic.DIM, 1))])
         .evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0], values={"theta_1": [1, 2, 3]}), "values['theta_1']:"),
        ("values matrix", lambda: derive("value").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0],
                                                                  values={"Omega_1": np.eye(3)}), "values['Omega_1']:"),
        ("theta length", lambda: derive("value").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0], theta=[1, 0, 0]),
         "theta:"),
        # found by the issue-19 battery beyond the reported classes
        ("C string", lambda: derive("full").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0], C="x"), "C:"),
        ("C nan", lambda: derive("full").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0], C=float("nan")), "C:"),
        ("digits 10**9", lambda: derive("value").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0], digits=10**9),
         "digits:"),
        ("digits -1", lambda: derive("value").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0], digits=-1), "digits:"),
        ("values nan", lambda: derive("value").evaluate_error(1, Sigma=np.eye(2), theta0=[1, 0],
                                                               values={"w": float("nan")}), "values['w']:"),
        ("spec d vs d", lambda: api.params(spec_from_json({"train": ["vx"], "loss": [{"n": 0, "task": [1, 2, 3]}]}),
                                           d=2, sigma2=0), "strategy:"),
        ("spec d vs d curve", lambda: api.curve(spec_from_json({"train": ["vx"], "loss": [{"n": 0, "task": [1, 2, 3]}]}),
                                                "target", [0], **kw), "strategy:"),
        ("angle 10**400", lambda: api.curve("c", 10**400, [0], **kw), "task:"),
        ("frontier repeat", lambda: api.frontier(itertools.repeat(1), n_ft=3, d=2, sigma2=0), "lambdas:"),
        ("start nan", lambda: make_spec(["vx"], TARGET, start=__import__("symbolic").Blocks(vy=float("nan"))),
         "start.vy:"),
        ("n negative symbol", lambda: make_spec(["vx"], [(1, sp.Symbol("k", negative=True), "target")]), "loss[0].n:"),
    ]


CASES = _cases()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_api_refuses_naming_the_argument(index):
    _, call, prefix = CASES[index]
    old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("ran over 30 s")))
    signal.alarm(30)
    try:
        with pytest.raises((ValueError, TypeError)) as info:
            call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    message = str(info.value)
    assert type(info.value).__module__ == "builtins", (type(info.value), message)  # no SymPy ShapeError
    assert message.startswith(prefix), message
    assert "\n" not in message and len(message) < 400, message


def test_a_spec_gives_vectors_up_to_the_exact_range():
    """A JSON spec's vectors and matrices are read exactly, so their d is the exact range's."""
    assert V.MAX_SPEC_D == L.MAX_EXACT_D


def test_the_real_range_edges():
    """0 and magnitudes in [1e-300, 1e300] are in range; just outside, on either side, not."""
    for x, inside in ((0, True), (L.MAX_REAL, True), (L.MIN_REAL, True), (-L.MAX_REAL, True),
                      (L.MAX_REAL + 1, False), (L.MIN_REAL / 2, False)):
        assert L.in_range(x) is inside, x


@pytest.mark.parametrize("text, value", [("1e300", Fraction(10) ** 300), ("-1e-300", -Fraction(1, 10**300)),
                                         ("2/3", Fraction(2, 3)), (" 0.25 ", Fraction(1, 4)), ("0e99999", 0)])
def test_exact_number_reads_the_edges_exactly(text, value):
    assert V.exact_number(text, "x") == value


def test_is_psd_agrees_with_the_eigenvalues():
    from symbolic.arithmetic import is_psd
    rng = np.random.default_rng(19)
    for _ in range(60):
        d = int(rng.integers(1, 6))
        B = rng.integers(-3, 4, size=(d, int(rng.integers(1, d + 1))))
        M = B @ B.T - int(rng.integers(0, 2)) * np.diag(rng.integers(0, 2, size=d))
        expected = bool(np.linalg.eigvalsh(M.astype(float)).min() >= -1e-9)
        assert is_psd(M.tolist()) == expected, M


def test_positive_symbols_and_exact_weights_still_derive():
    """The refusals keep what is meaningful: a weight declared positive, a family's zero mean."""
    spec = make_spec(["vx", "vy"], [(1, 0, "target"), (W, 3, "target")])
    assert spec.loss[1].weight == W
    assert make_spec(["vx"], [(1, 0, family("zero", sp.Rational(1, 4)))]).loss[0].task.mean is None
    assert spec_from_json({"train": ["vx"], "loss": [{"weight": "1e300", "n": 10**12, "task": "target"}]}
                          ).loss[0].n == 10**12
