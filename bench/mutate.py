"""Mutation testing of the mathematics: does the suite (+ ``prove``) catch a plausible wrong formula?

Each entry of :data:`MUTATIONS` is one bug a tired developer could make in symbolic/ or
proofs/paper/results/ (a sign, a transpose, d+2 for d+4, n for n+1, a weight squared or dropped,
two stages merged, a start ignored, a criterion loosened), written as an exact source-text
replacement ``old -> new`` in one file.  For each mutation, one at a time:

1. a scratch copy of the working tree (``/tmp/icl-mutate-<pid>``; never the live tree) gets
   the replacement; ``old`` must occur exactly ``count`` times (default once), or the run
   stops: a mutation that does not apply is a bug of this list, not a kill;
2. the mutation's own tight selection of tests runs (``pytest -x -n 0 -p no:cacheprovider``,
   under ``nice``), then, if they all pass, ``prove`` of the results named (each result's
   ``check()``; exit status 1 if one FAILS);
3. a failing test or result *kills* the mutant (the first killer is recorded); a run past
   the per-mutant timeout counts as a kill and is reported as ``timeout``; otherwise it
   *survives*.  The file is restored before the next mutant.

Before the mutants, a baseline run of every selected test file and result on the unmutated
copy must pass (otherwise every kill would be meaningless).

The report (``--report``, default bench/mutation-report.md) gives the kill rate per module
and overall, the survivors, and mutations listed as ``equivalent`` with the reason (they
change no mathematical output and are left out of the rate).

Usage (CPU heavy: run it alone, niced; about 20-40 min on one core)::

    PYTHONPATH=$PWD python bench/mutate.py                 # every mutation, writes the report
    PYTHONPATH=$PWD python bench/mutate.py --only Q4,S2    # a few
    PYTHONPATH=$PWD python bench/mutate.py --list          # the list, and whether each applies
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# test selections (in the order they run: the cheapest killer first)
ROUTES = "tests/test_minimiser_routes.py"
QROUTE = "tests/test_quadratic_explicit_start.py"
GENERAL = "tests/test_general_derivation.py"
SPEC = ("tests/test_spec_semidefinite.py", "tests/test_spec_json.py", "tests/test_spec_start.py")
FRONTIER = "tests/test_frontier.py"
BEYOND = "tests/test_beyond_quantities.py"
BEYOND_IDS = ("tradeoff-value", "query-key-zero-shot", "task-family", "dissimilarity")


@dataclass(frozen=True)
class Mutation:
    id: str
    path: str
    old: str
    new: str
    what: str
    tests: tuple[str, ...] = ()
    prove: tuple[str, ...] = ()
    count: int = 1
    #: why the mutant changes no mathematical output ("" if it should be killed)
    equivalent: str = ""


def _m(id_, path, old, new, what, tests=(), prove=(), **kw) -> Mutation:
    return Mutation(id_, path, old, new, what, tuple(tests), tuple(prove), **kw)


Q, G, S, O = "symbolic/quadratic.py", "symbolic/general.py", "symbolic/spec.py", "symbolic/objective.py"
V = "symbolic/arithmetic.py"   # the one PSD rule: ldl_pivots
SYM = (QROUTE, ROUTES, GENERAL, SPEC[2])

MUTATIONS: tuple[Mutation, ...] = (
    # ---------------------------------------------------------------- symbolic/quadratic.py
    _m("Q1", Q, "out.append((c * rest_c, extra, transpose(f.word), u))", "out.append((c * rest_c, extra, f.word, u))",
       "gradient of u^T W u: W u + W u instead of W u + W^T u (transpose dropped)", SYM),
    _m("Q2", Q, "out.append((c * rest_c, extra, f.word, f.right.obj))",
       "out.append((c * rest_c, extra, transpose(f.word), f.right.obj))",
       "gradient of u^T W r taken as W^T r (a spurious transpose)", SYM),
    _m("Q3", Q, "out.append((c * rest_c, extra, transpose(f.word), f.left.obj))",
       "out.append((c * rest_c, extra, f.word, f.left.obj))", "gradient of l^T W u taken as W l (transpose dropped)", SYM),
    _m("Q4", Q, "equations.append(r - functional(f))", "equations.append(r + functional(f))",
       "rank-one term eliminated with the wrong sign (r + a^T W u = 0)", SYM, BEYOND_IDS),
    _m("Q5", Q, "Hinv = [(-ci, winv)]", "Hinv = [(ci, winv)]", "block elimination: +H^{-1} for -H^{-1}", SYM, BEYOND_IDS),
    _m("Q6", Q, "ev.H[j] = _collect_mat(ev.H.get(j, []) + mat_mul(Hvu, Hj))",
       "ev.H[j] = _collect_mat(ev.H.get(j, []) + mat_mul(Hj, Hvu))",
       "Schur complement with the product in the wrong order", SYM,
       equivalent="within the spec language: two vector unknowns with Hessian blocks occur only when Q's "
                  "vectors are trained, and their Hessian blocks are polynomials in Sigma (v and theta enter "
                  "as rank-one terms, eliminated separately), which commute; checked on q0x, qyx at n = 1 "
                  "from a dense explicit start (the mutant gives the same point)"),
    _m("Q7", Q, "u0 = list((start or {}).get(u, ()))", "u0 = []",
       "start value ignored for a vector seen only through functionals", SYM, BEYOND_IDS),
    _m("Q8", Q, 'through[u] = {"G": {t: [(sp.S.One, w, a)]', 'through[u] = {"G": {t: [(sp.S.One, transpose(w), a)]',
       "gradient direction of a vector seen through functionals transposed (W^T a for W a)", SYM,
       equivalent="within the spec language the only such vector is q_x0 at n -> oo, seen through "
                  "a^T Sigma q_x0 (a = theta_0, v_x, a family's mean): the word Sigma is symmetric"),
    _m("Q9", Q, 'b = vec_add(b, mat_vec(Hj, final[j]["b"]))', "b = b",
       "back-substitution drops the constant part of the later vectors", SYM),
    _m("Q10", Q, "expr += s * _bilinear(a, mat_vec([(sp.S.One, w)], g))", "expr -= s * _bilinear(a, mat_vec([(sp.S.One, w)], g))",
       "functional of a substituted vector: scalar part with the wrong sign", SYM, BEYOND_IDS),
    _m("Q11", Q, "    return f.right.obj, transpose(f.word), f.left.obj", "    return f.right.obj, f.word, f.left.obj",
       "a functional u^T W a read as a^T W u (transpose dropped)", SYM),
    _m("Q12", Q, "_bilinear(ai, [(sp.S.One, transpose(wi) + wj, aj)])", "_bilinear(ai, [(sp.S.One, wi + wj, aj)])",
       "Gram matrix of the gradient's directions without the transpose", SYM,
       equivalent="as Q8: the directions are Sigma a, and (Sigma a)^T (Sigma b) = a^T Sigma Sigma b either way"),
    _m("Q13", Q, "        out.append((dc * rest_c, extra))", "        out.append((dc, extra))",
       "scalar gradient drops the constant factor of the monomial", SYM, BEYOND_IDS),
    _m("Q14", Q, "                    c0 = c0 - cs * s", "                    c0 = c0", "the scalar part left in the constant too (counted twice)",
       SYM, BEYOND_IDS),
    _m("Q15", Q, "    if obj == 0:\n        return zero", "    if True:\n        return zero",
       "a flat family's coefficients kept at the start value, not the minimiser nearest the start", SYM),
    _m("Q16", Q, 'through[u] = {"G": {t: [(sp.S.One, w, a)]', 'through[u] = {"G": {t: [(sp.S.One, (), a)]',
       "free directions' basis: a vector seen through functionals a^T W u moved along a, not W^T a", (QROUTE,)),
    _m("Q17", Q, "                obj += (v - sp.sympify(s0 if s0 is not None else 0)) ** 2",
       "                obj += (v - sp.sympify(s0 if s0 is not None else 0)) ** 2 * 0",
       "nearest point: the scalar blocks left out of the distance (only the vectors' moves count)", (QROUTE,)),
    _m("Q18", Q, "k = 1 if i == j else 2", "k = 1",
       "nearest point: |sum c_i W_i a_i|^2 with each cross term counted once, not twice", (QROUTE,)),
    _m("Q19", Q, "diff = _collect_vec(list(v) + vec_scale(list(s0 or ()), sp.S.NegativeOne))",
       "diff = _collect_vec(list(v))", "nearest point: a vector's distance measured from 0, not from its start", (QROUTE,)),
    _m("Q20", Q, "        key = _canonical(t)", "        key = t",
       "theta_0^T Sigma*Sigma theta_0 and theta_0^T Sigma**2 theta_0 held as two symbols in a solve", (QROUTE,)),
    # ---------------------------------------------------------------- symbolic/general.py
    _m("G1", G, "total = total + p * t.weight", "total = total + p * t.weight ** 2", "loss weights squared",
       SYM, BEYOND_IDS),
    _m("G2", G, "total = total + p * t.weight", "total = total + p", "loss weights dropped", SYM, BEYOND_IDS),
    _m("G3", G, "p = task_family_error(blocks, t.task.mean, t.task.cov, t.n, normalise=normalise)", "p = expected_error(blocks, t.task.mean, t.n)",
       "a family's covariance ignored (its mean taken as the task)", SYM, BEYOND_IDS),
    _m("G4", G, "out.extend((s(c) * c2, tuple(w) + tuple(w2), a2) for c2, w2, a2 in values[a])",
       "out.extend((s(c) * c2, tuple(w2) + tuple(w), a2) for c2, w2, a2 in values[a])",
       "substitution of a vector value: words multiplied in the wrong order", SYM, BEYOND_IDS,
       equivalent="a trained vector u sits in the blocks only as the bare term (1, (), u) "
                  "(symbolic.general._with_unknowns), so the word in front of it is empty and the order of "
                  "the product cannot matter"),
    _m("G5", G, "sol, L = _stage(spec.loss, blocks, unknowns, naming, start)",
       "sol, L = _stage(spec.loss + spec.then, blocks, unknowns, naming, start)",
       "two stages merged into one loss", SYM, BEYOND_IDS),
    _m("G6", G, "starts = {u: getattr(start, _BLOCK_OF[u]) for u in vectors}", "starts = {}",
       "the start of the vector unknowns not passed to the minimisation", SYM, BEYOND_IDS),
    _m("G7", G, "        out[u] = getattr(start, b)", "        out[u] = getattr(Blocks(), b)",
       "free blocks put at 0 instead of their start values", SYM, BEYOND_IDS),
    _m("G8", G, "sol2, L2 = _stage(spec.then, blocks, movable,", "sol2, L2 = _stage(spec.loss, blocks, movable,",
       "second stage minimises the first loss again", SYM, BEYOND_IDS),
    _m("G9", G, "            if beyond:\n", "            if False:\n",
       "a second stage that moves a first stage's through vector off its directions not refused "
       "(the vector kept in the first stage's span)", (QROUTE,)),
    _m("G10", G, "pick = _nearest(blocks, start, trained, mixed + params)",
       "pick = _nearest(_substitute(blocks, {u: sp.sympify(getattr(start, _BLOCK_OF[u])) for u in mixed}), start, "
       "trained, params) | {u: sp.sympify(getattr(start, _BLOCK_OF[u])) for u in mixed}",
       "a free scalar coupled to other blocks kept at its start value (the family's point then nearest that)",
       (QROUTE,)),
    # ---------------------------------------------------------------- symbolic/spec.py
    # (the PSD test of a spec's covariance moved to symbolic/validation.is_psd: LDL^T in exact fractions)
    _m("S1", V, "        if p < 0:\n            return pivots, False\n",
       "        if p < 0 and k + 1 < n:\n            return pivots, False\n",
       "PSD test leaves the last pivot's sign unchecked (the determinant's sign dropped)", SPEC),
    _m("S2", V, "            if any(A[k][j] != 0 for j in range(k + 1, n)):\n                return pivots, False",
       "            if False:\n                return pivots, False",
       "PSD test accepts a zero pivot whatever its row (a negative 2x2 minor missed)", SPEC),
    _m("S3", V, "                    row_i[j] -= f * row_k[j]", "                    row_i[j] += f * row_k[j]",
       "PSD test: Schur complement with the wrong sign", SPEC),
    _m("S4", S, "    Qxx = Q[x, x]\n", "    Qxx = Q[x, x].T\n", "explicit start: Q_xx transposed", SPEC + (ROUTES,)),
    _m("S5", S, "symmetric=Qxx == Qxx.T", "symmetric=True", "explicit start: Q_xx taken as symmetric",
       SPEC + (ROUTES,)),
    _m("S6", S, 'q0x=bound_vec("q_0x_start", Q[0, x].T)', 'q0x=bound_vec("q_0x_start", Q[x, 0])',
       "explicit start: Q's first row read from its first column", SPEC + (ROUTES,)),
    _m("S7", S, 'vx=bound_vec("v_x_start", V[d + 1, x].T)', 'vx=bound_vec("v_x_start", V[x, d + 1])',
       "explicit start: v_x read from V's last column", SPEC + (ROUTES,)),
    _m("S8", S, 'qyx=bound_vec("q_yx_start", Q[d + 1, x].T)', 'qyx=bound_vec("q_yx_start", Q[x, d + 1])',
       "explicit start: q_yx read from Q's last column (which never reaches the output)", SPEC + (ROUTES,)),
    _m("S9", S, "Qy0=Q[d + 1, 0]", "Qy0=Q[0, d + 1]", "explicit start: Q_y0 read from Q[0, d+1]", SPEC + (ROUTES,)),
    _m("S10", S, "            return -THETA0", "            return THETA0", "task 'opposite' read as theta_0",
       SPEC + (ROUTES,), BEYOND_IDS),
    _m("S11", S, "    bindings: tuple[tuple[str, Any], ...] = ()\n",
       '    bindings: tuple[tuple[str, Any], ...] = __import__("dataclasses").field(default=(), compare=False)\n',
       "a spec's bound values (JSON start, task vectors) left out of its identity: two starts share one cached "
       "derivation", (QROUTE,)),
    # ---------------------------------------------------------------- symbolic/objective.py (task families)
    _m("O1", O, 'legs.append((gauss("xi"), sp.sqrt(c)))', 'legs.append((gauss("xi"), c))',
       "family N(mu, c I): the spread scaled by c instead of sqrt(c)", (ROUTES, GENERAL), ("task-family",)),
    _m("O2", O, "cov_word: tuple = (Atom(cov, symmetric=True),)", "cov_word: tuple = ()",
       "family N(mu, Omega): the matrix covariance replaced by I", (ROUTES,), ("task-family",)),
    _m("O3", O, "legs.append((const(vec_) if not isinstance(vec_, Leg) else vec_, scale))",
       "legs.append((const(vec_) if not isinstance(vec_, Leg) else vec_, sp.S.One))",
       "family mean: its sign/scale dropped (N(-theta_0, .) as N(theta_0, .))", (ROUTES,), ("task-family",)),
    _m("O4", O, "two_tokens * (n * (n - 1))", "two_tokens * (n * (n + 1))", "pairs of context tokens n(n+1) for n(n-1)",
       (ROUTES, GENERAL), BEYOND_IDS),
    _m("O5", O, "with_query * (2 * n)", "with_query * n", "cross term token-query counted once, not twice",
       (ROUTES, GENERAL), BEYOND_IDS),
    # ---------------------------------------------------------------- proofs/paper/results/_beyond.py
    # (the trade-off's specs are the frontier's: proofs/quantities/frontier.py, used by _beyond)
    _m("B1", "proofs/quantities/frontier.py", '[(1, 0, "target"), (lam, _key(n_ft), "target")]',
       '[(1, 0, "target"), (lam, _key(n_ft), "opposite")]', "trade-off's few-shot loss on -theta_0",
       (), ("tradeoff-value", "dissimilarity")),
    _m("B2", "proofs/quantities/frontier.py", '[(1, _key(n_ft), "target")], name="value-fewshot-only")',
       '[(1, 0, "target")], name="value-fewshot-only")',
       "the lambda -> oo end: the zero-shot loss for the few-shot one", (), ("tradeoff-value",)),
    _m("B3", "proofs/paper/results/_beyond.py", 'fam = family("target", tau ** 2)', 'fam = family("target", tau)',
       "task family N(theta_0, tau I) for N(theta_0, tau^2 I)", (), ("task-family",)),
    _m("B4", "proofs/paper/results/_beyond.py", "then=[(1, sp.oo, fam)]", 'then=[(1, sp.oo, "target")]',
       "task family dropped from the second stage", (), ("task-family",)),
    _m("B5", "proofs/paper/results/_beyond.py", "reps[b] = RHO * sp.cos(PHI) * K", "reps[b] = RHO ** 2 * sp.cos(PHI) * K",
       "theta^T Sigma theta_0 = rho^2 cos(phi) k", (), ("dissimilarity",)),
    _m("B6", "proofs/paper/results/_beyond.py", "return make_spec(Q_NO_QXX, [(1, n_ft, \"target\")]",
       "return make_spec(Q_NO_QXX, [(1, n_ft + 1, \"target\")]", "Q-only few-shot loss at n_ft + 1 shots",
       (), ("query-key-zero-shot",)),
    _m("B7", "proofs/paper/results/_beyond.py", 'return make_spec(V_ROW, [(1, 0, fam)], then=', 'return make_spec(V_ROW, [(1, 0, "target")], then=',
       "task family dropped from the first (zero-shot) stage", (), ("task-family",),
       equivalent="at n = 0 the prediction does not depend on theta, so E_theta E(V, Q_hat, 0; theta) = "
                  "E(V, Q_hat, 0; theta_0) + tau^2 tr(Sigma): the same minimisers"),
    # ---------------------------------------------------------------- proofs/paper/results/*.py
    _m("R1", "proofs/paper/results/tradeoff_value.py", 'rational_limit_at(e, LAMBDA, 0 if at == "0" else sp.oo)',
       'rational_limit_at(e, LAMBDA, sp.oo if at == "0" else 0)', "lambda -> 0+ and lambda -> oo swapped", (), ("tradeoff-value",)),
    _m("R2", "proofs/paper/results/tradeoff_value.py", "(\"n -> oo on -theta_0\", -THETA0, sp.oo)",
       "(\"n -> oo on -theta_0\", THETA0, sp.oo)",
       "trade-off's error on -theta_0 computed on theta_0 (in the monotonicity line)", (), ("tradeoff-value",)),
    _m("R3", "proofs/paper/results/query_key_zero_shot.py", "start = Blocks(vx=vec(THETA0, EPS), vy=sp.S.One, Qxx=pre.Qxx)",
       "start = Blocks(vx=vec(THETA0, EPS), vy=sp.S.One)", "near-pretrained start without Q_xx = Sigma^{-1}",
       (BEYOND,), ("query-key-zero-shot",)),
    _m("R4", "proofs/paper/results/query_key_zero_shot.py", "lhs[4]: error_at(fs, -THETA0, sp.oo)}", "lhs[4]: error_at(fs, THETA0, sp.oo)}",
       "Q-only few-shot error on -theta_0 computed on theta_0", (), ("query-key-zero-shot",),
       equivalent="the two errors are equal (the claim itself), so the value does not change; the new "
                  "check line derives both from the error on a generic theta, so the equality no longer "
                  "rests on this line"),
    _m("R5", "proofs/paper/results/query_key_zero_shot.py", "start = Blocks(vx=vec(THETA0, EPS), vy=sp.S.One, Qxx=pre.Qxx)",
       "start = Blocks(vx=vec(THETA0, EPS), Qxx=pre.Qxx)", "near-pretrained start with v_y = 0",
       (BEYOND,), ("query-key-zero-shot",),
       equivalent="the zero-shot prompt is the query alone, whose label entry is 0: v_y never reaches "
                  "the zero-shot loss"),
    _m("R6", "proofs/paper/results/task_family.py", "lhs[3]: error_at(s, -THETA0, sp.oo)}", "lhs[3]: error_at(s, THETA0, sp.oo)}",
       "task family's error on -theta_0 computed on theta_0", (), ("task-family",)),
    _m("R7", "proofs/paper/results/dissimilarity.py", "gap = sp.factor(values[lhs[3]] - values[lhs[2]])",
       "gap = sp.factor(values[lhs[2]] - values[lhs[3]])", "dissimilarity's gap (d) - (c) with the sign flipped",
       (), ("dissimilarity",)),
    _m("R8", "proofs/paper/results/dissimilarity.py", "values[lhs[5]] = min(crossing,", "values[lhs[5]] = max(crossing,",
       "crossing angle: the other root (2 pi - acos)", (), ("dissimilarity",)),
    _m("R9", "proofs/paper/results/dissimilarity.py", 'generic = {n: few_shot_limit(n, "theta") for n in NAMES[:4]}',
       'generic = {n: few_shot_limit(n, "target") for n in NAMES[:4]}', "errors on theta_0 for the generic task",
       (), ("dissimilarity",)),
    # ---------------------------------------------------------------- proofs/quantities/frontier.py
    _m("F1", "proofs/quantities/frontier.py", "return sp.cancel(P.LC() / Q.LC())", "return sp.cancel(Q.LC() / P.LC())",
       "lambda -> oo: ratio of leading coefficients inverted", (FRONTIER,)),
    _m("F2", "proofs/quantities/frontier.py", 'return "increasing" if probe > 0 else "decreasing"',
       'return "increasing" if probe < 0 else "decreasing"', "monotonicity read with the wrong sign", (FRONTIER,)),
    _m("F3", "proofs/quantities/frontier.py", "if k % 2 and g.count_roots(0, None)", "if g.count_roots(0, None)",
       "roots of even multiplicity counted as sign changes", (FRONTIER,)),
)


# ----------------------------------------------------------------------------- running

def _module_of(m: Mutation) -> str:
    return m.path


def _copy_tree(dest: Path) -> None:
    """Tracked and untracked-not-ignored files of the working tree (so new tests come along)."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                         capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, out):
        src = ROOT / rel
        if not src.is_file():
            continue
        dst = dest / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


_CHILD: list[subprocess.Popen] = []


def _on_term(signum, frame) -> None:
    """Stopped (SIGTERM): end the running check's process group; ``finally`` removes the scratch copy."""
    for p in _CHILD:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    raise SystemExit(143)


def _run(cmd: list[str], cwd: Path, timeout: float) -> tuple[str, float, str]:
    """('pass' | 'fail' | 'timeout', seconds, tail of output)."""
    env = dict(os.environ, PYTHONPATH=str(cwd), PYTHONDONTWRITEBYTECODE="1")
    t0 = time.perf_counter()
    p = subprocess.Popen(["nice", "-n", "15", *cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    _CHILD[:] = [p]
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return "timeout", time.perf_counter() - t0, ""
    tail = out.decode(errors="replace").strip().splitlines()[-3:]
    return ("pass" if p.returncode == 0 else "fail"), time.perf_counter() - t0, " | ".join(tail)


PROVE = ("import sys\nfrom proofs.paper.results import get\nbad = []\nfor rid in sys.argv[1:]:\n"
         "    v = get(rid).check()\n    if not v.holds:\n        bad.append(rid)\n"
         "        print(rid, [l for l in v.lines if l.startswith('[FAILED')][:2])\n"
         "sys.exit(1 if bad else 0)\n")


def run_checks(tests: tuple[str, ...], prove: tuple[str, ...], cwd: Path, timeout: float) -> tuple[str, str, float]:
    """(outcome, killer, seconds): outcome 'killed' | 'survived' | 'timeout'."""
    spent = 0.0
    if tests:
        status, sec, tail = _run([sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider",
                                  *tests], cwd, timeout)
        spent += sec
        if status == "timeout":
            return "timeout", "tests (timeout)", spent
        if status == "fail":
            return "killed", "tests: " + tail[-200:], spent
    if prove:
        status, sec, tail = _run([sys.executable, "-c", PROVE, *prove], cwd, max(30.0, timeout - spent))
        spent += sec
        if status == "timeout":
            return "timeout", "prove (timeout)", spent
        if status == "fail":
            return "killed", "prove: " + tail[-200:], spent
    return "survived", "", spent


def apply(m: Mutation, text: str) -> str:
    found = text.count(m.old)
    want = m.count or 1
    if found != want:
        raise SystemExit(f"{m.id}: expected {want} occurrence(s) of {m.old!r} in {m.path}, found {found}")
    out = text.replace(m.old, m.new)
    if out == text:
        raise SystemExit(f"{m.id}: the replacement changes nothing")
    return out


def report(rows: list[dict], seconds: float, baseline: float, note: str = "") -> str:
    mods: dict[str, list[dict]] = {}
    for r in rows:
        mods.setdefault(r["module"], []).append(r)
    lines = ["# Mutation testing report (bench/mutate.py)", "",
             "Each mutant is one plausible mathematical bug, applied alone in a scratch copy; it is *killed* when "
             "its tight test selection or `prove` of the results named fails (a run past the per-mutant timeout "
             "counts as killed and is marked). Equivalent mutants change no mathematical output and are left out "
             "of the rate.", "",
             f"Command: `PYTHONPATH=$PWD nice python bench/mutate.py` — {len(rows)} mutants, "
             f"{seconds / 60:.1f} min of mutant runs (baseline {baseline:.0f} s) on a shared 2-core machine"
             + (f"; {note}" if note else "") + ".", "",
             "| module | mutants | killed | survived | equivalent | kill rate |", "|---|---|---|---|---|---|"]
    tot_k = tot_n = 0
    for mod, rs in sorted(mods.items()):
        eq = [r for r in rs if r["equivalent"]]
        live = [r for r in rs if not r["equivalent"]]
        k = sum(r["outcome"] in ("killed", "timeout") for r in live)
        tot_k, tot_n = tot_k + k, tot_n + len(live)
        rate = f"{100 * k / len(live):.0f}%" if live else "-"
        lines.append(f"| {mod} | {len(rs)} | {k} | {len(live) - k} | {len(eq)} | {rate} |")
    lines.append(f"| **all** | {len(rows)} | {tot_k} | {tot_n - tot_k} | "
                 f"{sum(bool(r['equivalent']) for r in rows)} | **{100 * tot_k / max(tot_n, 1):.1f}%** |")
    surv = [r for r in rows if r["outcome"] == "survived" and not r["equivalent"]]
    lines += ["", "## Survivors", ""]
    lines += [f"- {r['id']} ({r['module']}): {r['what']}" for r in surv] or ["none"]
    lines += ["", "## Equivalent mutants", ""]
    lines += [f"- {r['id']} ({r['module']}): {r['what']} — {r['equivalent']} (outcome: {r['outcome']})"
              for r in rows if r["equivalent"]] or ["none"]
    lines += ["", "## Every mutant", "", "| id | module | mutation | outcome | seconds | first killer |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        killer = r["killer"].replace("|", "/")[:160]
        lines.append(f"| {r['id']} | {r['module']} | {r['what']} | {r['outcome']} | {r['seconds']:.0f} | {killer} |")
    return "\n".join(lines) + "\n"


def _report_from_log(logs: list[Path], dest: Path) -> int:
    """The report of the mutants that runs' logs show finished (lines ``ID outcome seconds s what
    killer``; several logs: runs of disjoint ``--only`` lists side by side; the first line of an id wins)."""
    by_id = {m.id: m for m in MUTATIONS}
    rows, baseline = [], 0.0
    lines = [line for log in logs for line in log.read_text().splitlines()]
    for line in lines:
        parts = line.split()
        if line.startswith("baseline:"):
            baseline = float(line.rsplit("(", 1)[1].split()[0])
        if len(parts) < 4 or parts[0] not in by_id or parts[3] != "s":
            continue
        m = by_id[parts[0]]
        if any(r["id"] == m.id for r in rows):
            continue
        killer = line.split(m.what, 1)[1].strip() if m.what in line else ""
        rows.append({"id": m.id, "module": _module_of(m), "what": m.what, "outcome": parts[1], "killer": killer,
                     "seconds": float(parts[2]), "equivalent": m.equivalent})
    order = [m.id for m in MUTATIONS]
    rows.sort(key=lambda r: order.index(r["id"]))
    text = report(rows, sum(r["seconds"] for r in rows) + baseline, baseline,
                  note=f"assembled with --from-log from {len(logs)} niced runs of disjoint --only lists, side by side")
    if len(rows) < len(MUTATIONS):
        missing = [m.id for m in MUTATIONS if m.id not in {r["id"] for r in rows}]
        text += f"\nNot run (the run was stopped): {', '.join(missing)}\n"
    dest.write_text(text)
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated mutation ids")
    ap.add_argument("--list", action="store_true", help="list the mutations and check that each applies")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant (tests + prove)")
    ap.add_argument("--report", default=str(ROOT / "bench" / "mutation-report.md"))
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--from-log", default="", help="comma-separated logs of runs: write the report "
                    "from the mutants they show finished (an interrupted run, or disjoint --only runs)")
    args = ap.parse_args(argv)
    if args.from_log:
        return _report_from_log([Path(x) for x in args.from_log.split(",")], Path(args.report))
    chosen = [m for m in MUTATIONS if not args.only or m.id in args.only.split(",")]
    ids = [m.id for m in MUTATIONS]
    assert len(set(ids)) == len(ids), "duplicate mutation ids"
    for m in chosen:
        apply(m, (ROOT / m.path).read_text())
    if args.list:
        for m in chosen:
            print(f"{m.id:4} {m.path:40} {m.what}" + ("  [equivalent]" if m.equivalent else ""))
        print(f"{len(chosen)} mutations, all apply")
        return 0
    signal.signal(signal.SIGTERM, _on_term)
    scratch = Path(f"/tmp/icl-mutate-{os.getpid()}")
    if scratch.exists():
        shutil.rmtree(scratch)
    _copy_tree(scratch)
    t0 = time.perf_counter()
    baseline = 0.0
    try:
        if not args.no_baseline:
            tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
            prove = tuple(dict.fromkeys(p for m in chosen for p in m.prove))
            outcome, killer, baseline = run_checks(tests, prove, scratch, 3 * args.timeout)
            print(f"baseline: {outcome} {killer} ({baseline:.0f} s)", flush=True)
            if outcome != "survived":
                print("the unmutated tree fails its own checks: fix that first", file=sys.stderr)
                return 1
        rows = []
        for m in chosen:
            f = scratch / m.path
            original = f.read_text()
            f.write_text(apply(m, original))
            try:
                outcome, killer, sec = run_checks(m.tests, m.prove, scratch, args.timeout)
            finally:
                f.write_text(original)
            rows.append({"id": m.id, "module": _module_of(m), "what": m.what, "outcome": outcome,
                         "killer": killer, "seconds": sec, "equivalent": m.equivalent})
            print(f"{m.id:4} {outcome:8} {sec:6.0f} s  {m.what}  {killer[:120]}", flush=True)
            if not args.only:   # a stopped run still leaves the mutants it finished
                Path(args.report).write_text(report(rows, time.perf_counter() - t0, baseline))
        text = report(rows, time.perf_counter() - t0, baseline)
        if not args.only:
            Path(args.report).write_text(text)
        print(text)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
