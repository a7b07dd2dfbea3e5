"""Q_xx in the strategy language at a concrete setting.

:func:`proofs.quantities.concrete_minimiser.concrete_minimiser` minimises a spec's explicit quadratic
(:mod:`symbolic.explicit`, built from the Wick derivation).  Here it is checked against an
*independent* minimisation: the loss of the concrete-dimension engine (``symbolic/concrete.py``:
the poster's formula expanded and Isserlis on monomials, no shared code) with the trained
entries as symbols, its gradient and Hessian by SymPy, and the point gradient descent reaches
from the start, ``u_0 - H^+ grad L(u_0)``, by SymPy's pseudo-inverse.  Monte Carlo for the
example specs ``query-xx.json`` and ``query-all.json`` is in tests/test_specs_montecarlo.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbolic.concrete import concrete_error
from symbolic.spec import spec_from_json
from proofs.quantities.concrete_minimiser import concrete_minimiser
from proofs.quantities.curves import explicit_errors
from proofs.quantities.setting import setting

ROOT = Path(__file__).resolve().parent.parent
S2 = sp.Rational(1, 10)
SIGMA = sp.Matrix([[2, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
THETA0 = sp.Matrix([1, sp.Rational(-1, 2)])
Q_BLOCKS = ["Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx"]


def _entries(train: list[str], d: int) -> list[tuple[int, int]]:
    x = range(1, d + 1)
    y = d + 1
    where = {"Q00": [(0, 0)], "q0x": [(0, j) for j in x], "qx0": [(i, 0) for i in x],
             "Qxx": [(i, j) for i in x for j in x], "Qy0": [(y, 0)], "qyx": [(y, j) for j in x]}
    return [e for b in Q_BLOCKS if b in train for e in where[b]]


def independent(train: list[str], n: int, V0: sp.Matrix, Q0: sp.Matrix) -> sp.Matrix:
    """The gradient-descent limit from (V0, Q0) on E(V, Q, n; theta_0), from the concrete engine."""
    d = SIGMA.shape[0]
    ents = _entries(train, d)
    u = sp.symbols(f"u0:{len(ents)}")
    Q = sp.Matrix(Q0)
    for (i, j), s in zip(ents, u):
        Q[i, j] = s
    L = sp.expand(concrete_error(V0, Q, n=n, theta=THETA0, Sigma=SIGMA, sigma2=S2))
    H = sp.hessian(L, u)
    u0 = sp.Matrix([Q0[i, j] for i, j in ents])
    g0 = sp.Matrix([sp.diff(L, s) for s in u]).subs(dict(zip(u, u0)))
    star = u0 - H.pinv() * g0
    out = sp.Matrix(Q0)
    for (i, j), v in zip(ents, star):
        out[i, j] = sp.nsimplify(v)
    return out


def _pretrained(d: int) -> tuple[sp.Matrix, sp.Matrix]:
    from proofs.api import params
    p = params("pretrain", d=d, sigma2=S2, Sigma=SIGMA, theta0=THETA0)
    return sp.Matrix(p.V), sp.Matrix(p.Q)


def _spec(train: list[str], n: int, start: dict | None = None):
    obj = {"train": train, "loss": [{"n": n, "task": "target"}]}
    if start:
        obj["start"] = start
    return spec_from_json(obj, 2)


@pytest.mark.parametrize("train,n", [(["Qxx"], 2), (Q_BLOCKS, 1)], ids=["Qxx-n2", "all-Q-n1"])
def test_unique_minimiser_matches_the_concrete_engine(train: list[str], n: int) -> None:
    sol = concrete_minimiser(_spec(train, n), setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2))
    assert sol.unique
    V0, Q0 = _pretrained(2)
    assert sol.V == V0
    assert sol.Q == independent(train, n, V0, Q0)
    # its loss is the concrete engine's at that point
    assert sol.loss == concrete_error(sol.V, sol.Q, n=n, theta=THETA0, Sigma=SIGMA, sigma2=S2)


def _family_start() -> tuple[sp.Matrix, sp.Matrix, dict]:
    V0 = sp.zeros(4, 4)
    V0[3, 1], V0[3, 2], V0[3, 3] = 1, sp.Rational(1, 3), 1
    Q0 = sp.zeros(4, 4)
    Q0[1, 1], Q0[1, 2], Q0[2, 1], Q0[2, 2] = 1, 2, -1, sp.Rational(1, 2)
    start = {"V": [[str(x) for x in row] for row in V0.tolist()], "Q": [[str(x) for x in row] for row in Q0.tolist()]}
    return V0, Q0, start


def test_affine_family_keeps_the_start_component() -> None:
    """From a start with v_x != 0 the zero-shot loss sees only Q_xx's symmetric part: a family
    (the antisymmetric direction free); gradient descent keeps the start's antisymmetric part."""
    V0, Q0, start = _family_start()
    sol = concrete_minimiser(_spec(["Qxx"], 0, start), setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2))
    assert sol.unique is False and len(sol.free_directions) == 1
    (direction,) = sol.free_directions
    assert set(direction) == {"Q_xx[1,2]", "Q_xx[2,1]"} and direction["Q_xx[1,2]"] == -direction["Q_xx[2,1]"]
    assert sol.Q == independent(["Qxx"], 0, V0, Q0)
    D, D0 = sol.Q[1:3, 1:3], Q0[1:3, 1:3]
    assert D - D.T == D0 - D0.T            # the start's antisymmetric part never moves
    assert D != D0


def test_float_agrees_with_exact() -> None:
    spec = _spec(Q_BLOCKS, 3)
    ex = concrete_minimiser(spec, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2))
    fl = concrete_minimiser(spec, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2, arithmetic="float"))
    assert np.allclose(np.array(ex.Q.evalf(20).tolist(), dtype=float), fl.Q, rtol=1e-10, atol=1e-12)
    for task in ("target", "opposite"):
        e_vals, e_lim = explicit_errors(ex.V, ex.Q, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2), task, [0, 1, 4])
        f_vals, f_lim = explicit_errors(fl.V, fl.Q, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2, arithmetic="float"), task, [0, 1, 4])
        assert np.allclose([float(v) for v in e_vals], f_vals, rtol=1e-10) and abs(float(e_lim) - f_lim) < 1e-10


def test_errors_are_the_concrete_engines() -> None:
    """At a non-symmetric Q_xx (the family's point), so that a transpose would show."""
    _, _, start = _family_start()
    sol = concrete_minimiser(_spec(["Qxx"], 0, start), setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2))
    assert sol.Q[1, 2] != sol.Q[2, 1]
    vals, _ = explicit_errors(sol.V, sol.Q, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2), "opposite", [0, 1, 2])
    assert vals == [concrete_error(sol.V, sol.Q, n=k, theta=-THETA0, Sigma=SIGMA, sigma2=S2) for k in (0, 1, 2)]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proofs.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_symbolic_d_says_which_option(tmp_path: Path) -> None:
    spec = tmp_path / "s.json"
    # n -> oo: the minimisers form a family at symbolic d (no closed form there)
    spec.write_text(json.dumps({"train": ["Qxx"], "loss": [{"weight": 1, "n": "inf", "task": "target"}]}))
    r = _cli("derive", "--spec", str(spec))
    assert r.returncode == 3 and "--d" in r.stderr and "Traceback" not in r.stderr
    r = _cli("derive", "--spec", str(spec), "--d", "2", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["closed_form"] == "at this setting only" and out["unique"] is False
    assert out["Q"][1][1] == "1" and out["Q"][2][2] == "1"     # the pretrained Sigma^{-1} is already optimal


def test_second_stage_and_float_keep_the_start_and_the_first_stage() -> None:
    """Two stages from the family start (the mutants C3-C7): the zero-shot loss leaves Q_xx's
    antisymmetric direction free, the 1-shot loss on -theta_0 is then minimised along it from the
    first stage's point.  Independently, from the concrete engine: u_1 = u_0 - H_1^+ g_1(u_0), N a
    basis of null(H_1), u = u_1 - N (N^T H_2 N)^+ N^T g_2(u_1) (both losses quadratic, so exact).
    Exact and float agree with it; the one-stage family in float keeps the start's component."""
    V0, Q0, start = _family_start()
    ents = _entries(["Qxx"], 2)
    u = sp.symbols(f"u0:{len(ents)}")
    Q = sp.Matrix(Q0)
    for (i, j), s in zip(ents, u):
        Q[i, j] = s
    L1, L2 = (sp.expand(concrete_error(V0, Q, n=n, theta=t, Sigma=SIGMA, sigma2=S2)) for n, t in ((0, THETA0), (1, -THETA0)))
    grad = lambda L, at: sp.Matrix([sp.diff(L, s) for s in u]).subs(dict(zip(u, at)))  # noqa: E731
    H1, H2 = sp.hessian(L1, u), sp.hessian(L2, u)
    u0 = sp.Matrix([Q0[i, j] for i, j in ents])
    u1 = u0 - H1.pinv() * grad(L1, u0)
    N = sp.Matrix.hstack(*H1.nullspace())
    want = u1 - N * (N.T * H2 * N).pinv() * N.T * grad(L2, u1)
    spec = spec_from_json({"train": ["Qxx"], "loss": [{"n": 0, "task": "target"}],
                           "then": [{"n": 1, "task": "opposite"}], "start": start}, 2)
    for arith in ("exact", "float"):
        sol = concrete_minimiser(spec, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2, arithmetic=arith))
        got = [sol.Q[i, j] for i, j in ents]
        if arith == "exact":
            assert sp.Matrix(got) == sp.simplify(want)
        else:
            assert np.allclose(got, [float(x) for x in want], rtol=1e-10, atol=1e-12)
    one = _spec(["Qxx"], 0, start)
    ex = concrete_minimiser(one, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2))
    fl = concrete_minimiser(one, setting(2, Sigma=SIGMA, theta0=THETA0, sigma2=S2, arithmetic="float"))
    assert np.allclose(np.array(ex.Q.evalf(20).tolist(), dtype=float), fl.Q, rtol=1e-10, atol=1e-12)
