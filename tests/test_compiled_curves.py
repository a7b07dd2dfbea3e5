"""Generated evaluators (proofs.quantities.compiled_curves, symbolic.codegen): derived, the same numbers.

A float64 curve of a strategy is answered from Python written once from the derivation (the
numeric evaluator run on placeholders). These tests hold it to that:

- the code is the derivation's: the file a run writes is what :func:`generate` writes again, in
  this process and in one with another hash seed (so shared caches agree);
- the same numbers: every field of the curve from the generated evaluator equals, bit for bit,
  the full route's (:func:`proofs.quantities.solve.solve`: SymPy, the derivation, the evaluator
  walking the expression trees), for the four strategies, m and n_ft finite or not, both tasks,
  sigma^2 and the scale given as int, float, Fraction, NumPy and SymPy numbers, at d = 1, 11, 40, 120;
- against an independent reference: at d = 3 the exact curve (rational arithmetic) to 1e-12
  relative;
- the tracer itself on matrix expressions the strategies do not use (powers, transposes,
  inverses, square roots), bit for bit against the evaluator;
- a stale file is never run: other sources, an edited coefficient, a truncated or foreign file
  are each detected and the file is regenerated;
- SymPy is never imported for a float curve once its evaluator exists (the point of it), and
  Sigma's condition number (a d x d inverse) is computed only where it is read (JSON, the API).
"""
from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from proofs import api
from proofs.quantities import compiled_curves as CC
from proofs.quantities.setting import setting
from proofs.quantities.solve import solve

ROOT = Path(__file__).resolve().parents[1]

#: every kind of key: the four strategies, m infinite or finite, value-fewshot's n_ft infinite or finite
KEYS = [("pretrain", None, None), ("pretrain", 7, None), ("full", None, None), ("full", 7, None),
        ("value", None, None), ("value", 7, None), ("value-fewshot", None, None), ("value-fewshot", None, 3),
        ("value-fewshot", 7, None), ("value-fewshot", 7, 3)]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """A fresh, empty cache directory for the test (and the in-process memo of loaded files cleared)."""
    monkeypatch.setenv(CC.CACHE_ENV, str(tmp_path / "cache"))
    CC._evaluator.cache_clear()
    yield tmp_path / "cache"
    CC._evaluator.cache_clear()


def _spd(d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    return A @ A.T / d + np.eye(d), rng.standard_normal(d)


def _full(name, task, ns, **kw):
    """The full route's curve (what api.curve answered before generated evaluators)."""
    return solve(name, setting(**kw)).curve(task, ns)


def _same(a, b) -> bool:
    """Every field equal, values and their types (float vs numpy.float64) included."""
    return (a.n == b.n and a.error == b.error and a.limit == b.limit and a.values == b.values
            and [type(x) for x in a.values] == [type(x) for x in b.values]
            and type(a.limit_value) is type(b.limit_value) and a.limit_value == b.limit_value
            and a.condition == b.condition and a.warning == b.warning and a.arith == b.arith
            and a.exact == b.exact and a.exact_limit is b.exact_limit and a.formula is b.formula and a.route == b.route)


# ----------------------------------------------------------------------------- derived

@pytest.mark.parametrize("key", [("value-fewshot", 7, 3), ("pretrain", None, None)])
def test_the_file_written_is_what_the_derivation_generates(cache, key):
    k = CC.key_of(*key)
    assert CC.evaluator(k) is not None
    written = CC.cache_path(k).read_text(encoding="utf-8")
    assert written == CC.generate(k)
    assert CC.check(written, k) is None
    assert "def curve(A, Sigma, theta_0, theta, sigma, C, m, n):" in written


def test_generation_does_not_depend_on_the_hash_seed_or_the_history():
    """Two processes sharing a cache must generate the same text for a key: the other process has
    another hash seed and derived a frontier at a finite m first, which takes the name ``H_m_inv``
    for its own matrix (names are first come, first served), so that its value-fewshot derivation
    calls its inverse ``H_m_inv_2``. The fingerprint names each derived matrix by its definition;
    before, this test failed whenever the suite had run a finite-m frontier in this process first."""
    k = CC.key_of("value-fewshot", 7, 3)
    code = ("import sys; from proofs import api; from proofs.quantities.compiled_curves import generate, key_of; "
            "api.frontier([1], n_ft=3, n=1, d=2, sigma2=0.1, m=7, arithmetic='exact'); "
            "sys.stdout.write(generate(key_of('value-fewshot', 7, 3)))")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    other = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert other.stdout == CC.generate(k)


# ----------------------------------------------------------------------------- the same numbers

@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{k[0]}-m{k[1]}-nft{k[2]}")
def test_generated_curve_equals_the_full_route_bit_for_bit(cache, key):
    name, m, n_ft = key
    ns = [0, 1, 2, 3, 5, 8, 13, 100, 10**6]
    for d, seed in ((1, 5), (11, 0), (40, 1)):  # d = 1: a matrix of one entry, traced as a d x d one
        S, t0 = _spd(d, seed)
        for task in ("target", "opposite"):
            for s2, sc in ((0.1, 1), (Fraction(2, 3), Fraction(3, 2)), (0, np.float64(2.5)), (sp.Rational(1, 7), -1)):
                kw = dict(d=d, sigma2=s2, m=m, n_ft=n_ft, scale=sc, Sigma=S, theta0=t0, arithmetic="float")
                fast = CC.float_curve(name, task, ns, **kw)
                assert fast is not None
                assert _same(fast, _full(name, task, ns, **kw)), (d, task, s2, sc)


def test_api_curve_takes_the_generated_route_at_large_d(cache):
    """d = 120 (float64 by default above d = 10): api.curve answers from the generated evaluator,
    with the full route's numbers."""
    S, t0 = _spd(120, 2)
    kw = dict(d=120, sigma2=Fraction(1, 10), m=9, n_ft=4, Sigma=S, theta0=t0)
    got = api.curve("d", "opposite", range(0, 60, 7), **kw)
    assert CC.cache_path(CC.key_of("value-fewshot", 9, 4)).exists()
    assert _same(got, _full("value-fewshot", "opposite", list(range(0, 60, 7)), **kw, arithmetic="float"))


def test_a_curve_computes_the_condition_number_only_where_it_is_read(cache, monkeypatch):
    """The text output prints only the warning: a well-conditioned Sigma's curve takes no d x d
    inverse (a shifted Cholesky proves it below the warning's limit); the number, read (JSON, the
    API), is computed then, once, and is FLOAT64.spd's (the full route's); an ill-conditioned Sigma still warns."""
    import symbolic.arithmetic as arithmetic
    S, t0 = _spd(40, 3)
    want = arithmetic.FLOAT64.spd(S)[1]
    calls = []
    real = arithmetic._condition
    monkeypatch.setattr(arithmetic, "_condition", lambda A: calls.append(1) or real(A))
    kw = dict(d=40, sigma2=0.1, Sigma=S, theta0=t0, arithmetic="float")
    fast = CC.float_curve("value-fewshot", "target", [0, 5], **kw)
    assert fast.warning is None and calls == []
    assert fast.condition == fast.condition == want and calls == [1]  # computed at the first read only
    bad = np.diag([1.0] * 39 + [1e-10])
    ill = CC.float_curve("value-fewshot", "target", [0, 5], **{**kw, "Sigma": bad})
    full = _full("value-fewshot", "target", [0, 5], **{**kw, "Sigma": bad})
    assert ill.warning is not None and ill.warning == full.warning and ill.condition == full.condition


@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{k[0]}-m{k[1]}-nft{k[2]}")
def test_generated_curve_equals_the_exact_curve_at_d3(cache, key):
    name, m, n_ft = key
    S = sp.Matrix([[2, 1, 0], [1, 3, sp.Rational(1, 2)], [0, sp.Rational(1, 2), 1]])
    t0 = [1, -2, sp.Rational(1, 3)]
    ns = [0, 1, 2, 7, 50]
    kw = dict(d=3, sigma2=sp.Rational(1, 5), m=m, n_ft=n_ft, scale=2, theta0=t0)
    exact = api.curve(name, "opposite", ns, Sigma=S, arithmetic="exact", **kw)
    fast = CC.float_curve(name, "opposite", ns, Sigma=np.array(S.tolist(), dtype=float), arithmetic="float", **kw)
    assert fast is not None
    for got, want in zip(fast.values + [fast.limit_value], exact.exact + [exact.exact_limit]):
        assert abs(got - float(want)) <= 1e-12 * abs(float(want))


def test_the_tracer_on_other_matrix_expressions():
    """Inverses, transposes, matrix powers (also negative), scaled identities, square roots and
    their reciprocals, traces and bilinear forms: the traced code equals the evaluator bit for bit."""
    from symbolic.arithmetic import FLOAT64
    from symbolic.codegen import Tracer
    from symbolic.evaluation import numeric_env
    from symbolic.printing import Bilinear
    d = sp.Symbol("d")
    S = sp.MatrixSymbol("Sigma", d, d)
    t = sp.MatrixSymbol("theta_0", d, 1)
    s, n = sp.Symbol("sigma"), sp.Symbol("n")
    M = S + (s**2 / 3) * sp.Identity(d)
    exprs = [sp.Trace(sp.Inverse(M) * S.T * S) / (n + d) + sp.sqrt(s) * n**2,
             Bilinear(t, sp.MatPow(M, -2) * S, t) * s ** sp.Rational(-1, 2) + sp.Trace(sp.MatPow(S, 3)),
             sp.Trace(sp.Transpose(sp.Inverse(S)) * M) * (n + 1) ** -3 - Bilinear(t, sp.Identity(d), t)]
    rng = np.random.default_rng(5)
    A = rng.standard_normal((6, 6))
    Sv, tv, sv, nv = A @ A.T + np.eye(6), rng.standard_normal((6, 1)), np.sqrt(0.3), np.arange(5.0)
    for e in exprs:
        want = numeric_env({"Sigma": Sv, "theta_0": tv, "sigma": sv}, FLOAT64).bind(n=nv).scalar(e)
        T = Tracer()
        env = {"Sigma": T.input("Sigma", "matrix"), "theta_0": T.input("theta_0", "vector"),
               "sigma": T.input("sigma", "scalar")}
        out = numeric_env(env, T).bind(n=T.input("n", "array")).scalar(e)
        scope: dict = {}
        exec(T.source("f", [out]), scope)
        got = scope["f"](FLOAT64, Sv, tv, sv, nv)
        assert np.array_equal(np.asarray(got), np.asarray(want)) and type(got) is type(want), e


def test_the_tracer_refuses_to_branch_on_a_run_time_value():
    from symbolic.codegen import NotTraceable, Tracer
    T = Tracer()
    x = T.input("x", "scalar")
    for act in (bool, int, float, lambda v: v < 1, lambda v: v == 1, abs):
        with pytest.raises(NotTraceable):
            act(x)


# ----------------------------------------------------------------------------- stale files

def _values(k):
    S, t0 = _spd(12, 3)
    from symbolic.arithmetic import FLOAT64 as A
    f = CC.evaluator(k)
    out, lim = f(A, S, t0.reshape(-1, 1), -t0.reshape(-1, 1), np.sqrt(0.1), 1, 7, A.batch([0, 1, 5]))
    return list(np.broadcast_to(out, (3,))) + [lim]


def test_a_stale_or_edited_file_is_detected_and_regenerated(cache):
    k = CC.key_of("value", 7, None)
    right = _values(k)
    path = CC.cache_path(k)
    good = path.read_text(encoding="utf-8")
    fields, body = CC._header(good)
    # a coefficient edited in the code, the header untouched
    literal = next(w for w in body.split() if w.replace(".", "").isdigit() and "." in w and float(w) not in (0.0, 1.0))
    edited = good.replace(f" {literal}", f" {float(literal) * (1 + 1e-9)!r}", 1)
    assert edited != good
    # another version of the sources; a truncated file; a foreign file; another key's file
    other_sources = good.replace(fields["sources"], "0" * 64)
    truncated = good[: len(good) // 2]
    foreign = "def curve(*args):\n    return 0.0, 0.0\n"
    other_key = CC.generate(CC.key_of("value", None, None))
    for text, why in ((edited, "edited"), (other_sources, "sources"), (truncated, "truncated"), (foreign, "key"),
                      (other_key, "key")):
        assert why in (CC.check(text, k) or ""), why
        path.write_text(text, encoding="utf-8")
        CC._evaluator.cache_clear()
        assert _values(k) == right, why
        assert path.read_text(encoding="utf-8") == good, why


def test_a_change_to_the_sources_changes_the_fingerprint(tmp_path, monkeypatch):
    extra = tmp_path / "derivation.py"
    extra.write_text("x = 1\n")
    files = CC._source_files() + [extra]
    monkeypatch.setattr(CC, "_source_files", lambda: files)
    CC.sources_fingerprint.cache_clear()
    try:
        before = CC.sources_fingerprint()
        extra.write_text("x = 2\n")
        CC.sources_fingerprint.cache_clear()
        assert CC.sources_fingerprint() != before
    finally:
        CC.sources_fingerprint.cache_clear()


def test_the_fingerprint_covers_every_module_generation_runs():
    """Every module of the toolkit that generating an evaluator loads (in a fresh process) is one
    whose source the fingerprint hashes: a change to any of them makes every cached file stale."""
    code = ("import sys\nfrom proofs.quantities import compiled_curves as CC\n"
            "for k in (('value-fewshot', True, 3), ('pretrain', False, None), ('full', True, None), "
            "('value', False, None)):\n    CC.generate(k)\n"
            "hashed = {str(f) for f in CC._source_files()}\n"
            "used = {m.__file__ for n, m in list(sys.modules.items()) if n.split('.')[0] in ('symbolic', 'proofs', "
            "'numeric') and getattr(m, '__file__', None) and n not in ('proofs', 'proofs.quantities')}\n"
            "sys.stdout.write('\\n'.join(sorted(used - hashed)))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout == "", "modules the generated code depends on but the fingerprint ignores:\n" + done.stdout


def test_an_unwritable_cache_still_answers(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(CC.CACHE_ENV, str(blocked / "cache"))
    CC._evaluator.cache_clear()
    try:
        S, t0 = _spd(11, 4)
        kw = dict(d=11, sigma2=0.1, Sigma=S, theta0=t0, arithmetic="float")
        assert _same(CC.float_curve("full", "target", [0, 3], **kw), _full("full", "target", [0, 3], **kw))
    finally:
        CC._evaluator.cache_clear()


# ----------------------------------------------------------------------------- the route

def test_what_the_generated_route_declines(cache):
    S, t0 = _spd(11, 6)
    kw = dict(d=11, sigma2=0.1, Sigma=S, theta0=t0)
    assert CC.float_curve("value", sp.pi / 3, [0], **kw, arithmetic="float") is None       # an angle
    assert CC.float_curve("value", "target", [0], **kw, arithmetic="mp") is None           # mp
    assert CC.float_curve("value", "target", [0], d=3, sigma2=0.1) is None                # exact (d <= 10)
    assert CC.float_curve("nope", "target", [0], **kw) is None                           # refused: the full route says why
    assert CC.float_curve("value", "target", [0], **{**kw, "sigma2": -1}) is None
    from symbolic.spec import Spec
    assert not isinstance("value", Spec)
    with pytest.raises(ValueError, match="sigma2"):
        api.curve("value", "target", [0], **{**kw, "sigma2": -1})
    # beyond float64's range: the generated route declines, the full route says so (and names mp)
    huge = {**kw, "theta0": t0 * 1e200, "arithmetic": "float"}
    assert CC.float_curve("value", "target", [0, 5], **huge) is None
    with pytest.raises(ValueError, match="exceeds float64's range"):
        api.curve("value", "target", [0, 5], **huge)


def test_icl_finetune_curve_in_float64_never_imports_sympy(cache, tmp_path):
    """Once the evaluator exists, a float curve loads neither SymPy nor the derivation (nor shutil,
    which only help's terminal width needs); it prints what the full route prints."""
    S, t0 = _spd(20, 7)
    np.save(tmp_path / "S.npy", S)
    np.save(tmp_path / "t.npy", t0)
    argv = ["curve", "--strategy", "value-fewshot", "--task", "opposite", "--n", "0:30", "--m", "5", "--n-ft", "2",
            "--Sigma", str(tmp_path / "S.npy"), "--theta0", str(tmp_path / "t.npy"), "--arithmetic", "float",
            "--format", "json"]
    assert CC.evaluator(CC.key_of("value-fewshot", 5, 2)) is not None
    code = ("import sys, io, contextlib\nfrom proofs.cli import main\nout = io.StringIO()\n"
            f"with contextlib.redirect_stdout(out):\n    assert main({argv!r}) == 0\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sympy', 'mpmath') or m in "
            "('symbolic.evaluation', 'symbolic.strategies', 'proofs.quantities.curves', 'shutil'))\n"
            "sys.stdout.write(repr(loaded) + '\\n' + out.getvalue())\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    loaded, _, printed = done.stdout.partition("\n")
    assert loaded == "[]"
    full = subprocess.run([sys.executable, "-m", "proofs.cli", *argv], env={**env, CC.CACHE_ENV: "off"}, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert printed == full.stdout
