"""Mutation testing of the mathematics: does the suite (+ ``prove``) catch a plausible wrong formula?

Each entry of :data:`MUTATIONS` is one bug a tired developer could make in symbolic/,
proofs/paper/results/ or numeric/ (ids N*: sampling, the forward passes, the Monte Carlo
estimators, LoRA, the calibrated rule, training, the transformer's linear control) -- a sign, a
transpose, d+2 for d+4, n for n+1, 1/n for 1/(n-1), a weight squared or dropped, noise missing,
two stages merged, a start ignored, a criterion loosened -- and, beyond those, the rest of the
list: the gradient-descent paths (T*: step factors, mode weights, the stable range, divergence,
both stages), symbolic/evaluation.py in float and mp (E*), the explicit quadratic (X*), the
concrete minimiser (C*), frontier_numeric (FN*), the arithmetics, their condition threshold and
their choice (A*), the structured Q_xx solve (ST*), the results beyond the paper (RF*, RE*, RK*,
RL*), the rank table (LA*), the depth float compiler (DF*), the concrete engine (CE*), the numeric
search (SE*) and theorem 4.3's completeness (TC*) -- written as an exact source-text
replacement ``old -> new`` in one file.  tests/test_mutations_apply.py fails, naming the
mutation, when ``old`` no longer occurs as listed (the list cannot rot silently).  For each
mutation, one at a time:

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
    PYTHONPATH=$PWD python bench/mutate.py --only 'N*' --report bench/mutation-report-numeric.md
                                                           # numeric/ (about 15 min, 1 core)
    PYTHONPATH=$PWD python bench/mutate.py --only 'T*,E*,X*,C*,FN*,A*,ST*,R[FEKL]*,LA*,DF*' \
        --report bench/mutation-report-rest.md             # the rest of the list (about 40 min, 1 core)
    PYTHONPATH=$PWD python bench/mutate.py --list          # the list, and whether each applies
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPORT = ROOT / "bench" / "mutation-report.md"

# test selections (in the order they run: the cheapest killer first)
ROUTES = "tests/test_minimiser_routes.py"
QROUTE = "tests/test_quadratic_explicit_start.py"
WORDS = "tests/test_word_algebra.py"
GENERAL = "tests/test_general_derivation.py"
SPEC = ("tests/test_spec_semidefinite.py", "tests/test_spec_json.py", "tests/test_spec_start.py")
FRONTIER = "tests/test_frontier.py"
BEYOND = "tests/test_beyond_quantities.py"
BEYOND_IDS = ("tradeoff-value", "query-key-zero-shot", "task-family", "dissimilarity")

# numeric/: the modules and their test selections
NSAM, NMOD, NMC, NFAST, NDEP, NLORA, NTEST = ("numeric/sampling.py", "numeric/model.py", "numeric/montecarlo.py",
                                              "numeric/fast.py", "numeric/depth.py", "numeric/lora.py",
                                              "numeric/testing.py")
NLSA, NOPT, NEVAL, NDATA, NTRAIN = ("numeric/training/lsa.py", "numeric/training/optimizers.py",
                                    "numeric/training/evaluate.py", "numeric/training/data.py",
                                    "numeric/training/train.py")
NXMOD, NXDATA = "numeric/transformer/model.py", "numeric/transformer/data.py"
T_MODEL, T_MC, T_FAST = "tests/test_numeric_model.py", "tests/test_numeric_montecarlo.py", "tests/test_numeric_fast.py"
T_DEPTH, T_LORA, T_TESTING = "tests/test_depth_numeric.py", "tests/test_rank_lora.py", "tests/test_numeric_testing.py"
T_LSA, T_OPTIM, T_DATA = "tests/test_training_lsa.py", "tests/test_training_optim.py", "tests/test_training_data.py"
T_TRAIN = "tests/test_training_data.py"
T_XF_LIN = "tests/test_transformer.py::test_linear_model_at_depth_is_the_papers_depth_model"
T_XF_PACK = "tests/test_transformer.py::test_packed_output_is_the_n_shot_prediction"
T_XF_ANGLE = "tests/test_transformer.py::test_task_at_angle"
NSTRAT, NVAL = "numeric/strategies.py", "numeric/validation.py"
NXEVAL = "numeric/transformer/evaluate.py"
T_XF_EVAL = "tests/test_transformer.py::test_evaluate_is_the_mean_and_standard_error_of_its_prompts"
T_STRAT = "tests/test_numeric_testing.py::test_strategies_draw_valid_well_conditioned_cases"
T_VALID, T_RULES = "tests/test_numeric_validation.py", "tests/test_validation_rules.py"

# the rest of the list: modules and test selections
TRAJ, EVAL, EXPL = "proofs/quantities/trajectories.py", "symbolic/evaluation.py", "symbolic/explicit.py"
CMIN, FNUM = "proofs/quantities/concrete_minimiser.py", "proofs/quantities/frontier_numeric.py"
STR, SSOL = "symbolic/structured.py", "symbolic/structured_solve.py"
FRATE, ESTOP = "proofs/paper/results/forgetting_rate.py", "proofs/paper/results/early_stopping.py"
QKFS, LRANK = "proofs/paper/results/query_key_few_shot.py", "proofs/paper/results/low_rank.py"
T_TRAJ, T_FN, T_ARITH = "tests/test_trajectories.py", "tests/test_frontier_numeric.py", "tests/test_arithmetic.py"
T_TRAJ_FLOAT = "tests/test_trajectories.py::test_float_path_is_the_exact_path"   # first: a mutant may hang later tests
T_QXXS, T_QXXC = "tests/test_qxx_structured.py", "tests/test_qxx_concrete.py"
FN_T = ("tests/test_frontier_numeric.py::test_the_rules_on_small_rational_functions", T_FN)
EVAL_T = ("tests/test_arithmetic.py::test_float_and_mp_evaluate_products_that_do_not_commute", T_ARITH,
          "tests/test_explicit.py", "tests/test_engine_vs_concrete.py")
EXPL_T = ("tests/test_explicit.py", T_TRAJ)
CMIN_T = ("tests/test_qxx_concrete.py::test_second_stage_and_float_keep_the_start_and_the_first_stage", T_QXXC,
          "tests/test_spec_general_start.py", T_TRAJ)
CHOOSE_T = (T_ARITH,)
LANS, DFLT = "symbolic/lowrank_answer.py", "symbolic/depth_float.py"
T_RANK_TABLE = "tests/test_rank_optimum.py::test_the_answer_table_against_the_concrete_optimum"
T_DFLOAT = "tests/test_depth_montecarlo.py::test_compiled_closed_form_equals_exact_evaluation"


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
A = "symbolic/arithmetic.py"   # the one PSD rule: ldl_pivots
SYM = (WORDS, QROUTE, ROUTES, GENERAL, SPEC[2])

MUTATIONS: tuple[Mutation, ...] = (
    # ---------------------------------------------------------------- symbolic/quadratic.py
    # Within the spec language every word the elimination meets is a polynomial in Sigma (symmetric,
    # commuting: a start's Q_xx is c I at symbolic d), so a transpose dropped or a product reversed
    # (Q1-Q3, Q6, Q8, Q11, Q12) changes no derived formula there; tests/test_word_algebra.py drives
    # minimise_quadratic with non-symmetric words and kills each (the routes test, from general
    # explicit starts at d = 2, now reaches the concrete minimiser instead of this module).
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
       "Schur complement with the product in the wrong order", SYM),
    _m("Q7", Q, "u0 = list((start or {}).get(u, ()))", "u0 = []",
       "start value ignored for a vector seen only through functionals", SYM, BEYOND_IDS),
    _m("Q8", Q, 'through[u] = {"G": {t: [(sp.S.One, w, a)]', 'through[u] = {"G": {t: [(sp.S.One, transpose(w), a)]',
       "gradient direction of a vector seen through functionals transposed (W^T a for W a)", SYM),
    _m("Q9", Q, 'b = vec_add(b, mat_vec(Hj, final[j]["b"]))', "b = b",
       "back-substitution drops the constant part of the later vectors", SYM),
    _m("Q10", Q, "expr += s * _bilinear(a, mat_vec([(sp.S.One, w)], g))", "expr -= s * _bilinear(a, mat_vec([(sp.S.One, w)], g))",
       "functional of a substituted vector: scalar part with the wrong sign", SYM, BEYOND_IDS),
    _m("Q11", Q, "    return f.right.obj, transpose(f.word), f.left.obj", "    return f.right.obj, f.word, f.left.obj",
       "a functional u^T W a read as a^T W u (transpose dropped)", SYM),
    _m("Q12", Q, "_bilinear(ai, [(sp.S.One, transpose(wi) + wj, aj)])", "_bilinear(ai, [(sp.S.One, wi + wj, aj)])",
       "Gram matrix of the gradient's directions without the transpose", SYM),
    _m("Q13", Q, "        out.append((dc * rest_c, extra))", "        out.append((dc, extra))",
       "scalar gradient drops the constant factor of the monomial", SYM, BEYOND_IDS),
    _m("Q14", Q, "                    c0 = c0 - cs * x", "                    c0 = c0", "the scalar part left in the constant too (counted twice)",
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
       "theta_0^T Sigma*Sigma theta_0 and theta_0^T Sigma**2 theta_0 held as two symbols in a solve", (WORDS, QROUTE)),
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
    # (the PSD test of a spec's covariance: symbolic/arithmetic.ldl_pivots, LDL^T in exact fractions)
    _m("S1", A, "        if p < 0:\n            return pivots, False\n",
       "        if p < 0 and k + 1 < n:\n            return pivots, False\n",
       "PSD test leaves the last pivot's sign unchecked (the determinant's sign dropped)", SPEC),
    _m("S2", A, "            if any(A[k][j] != 0 for j in range(k + 1, n)):\n                return pivots, False",
       "            if False:\n                return pivots, False",
       "PSD test accepts a zero pivot whatever its row (a negative 2x2 minor missed)", SPEC),
    _m("S3", A, "                    row_i[j] -= f * row_k[j]", "                    row_i[j] += f * row_k[j]",
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
    # the same two weights where the finite-n error is formed in a polynomial ring (its cached route)
    _m("O6", O, "n * (n - 1) / (n + 1) ** 2,", "n * (n + 1) / (n + 1) ** 2,",
       "ring route: pairs of context tokens n(n+1) for n(n-1)", ("tests/test_objective_ring.py", ROUTES),
       BEYOND_IDS),
    _m("O7", O, "2 * n / (n + 1) ** 2, 1 / (n + 1) ** 2,", "n / (n + 1) ** 2, 1 / (n + 1) ** 2,",
       "ring route: cross term token-query counted once, not twice", ("tests/test_objective_ring.py", ROUTES),
       BEYOND_IDS),
    _m("O8", O, '    g = _expect_data(pt.T1, ("1",))', '    g = _expect_data(pt.T1, ("q",))',
       "E[T_1 T_2] as E_q[g^2]: g integrated over the query instead of token 1",
       ("tests/test_objective_ring.py", "tests/test_objective_limit.py"), BEYOND_IDS),
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
    _m("B8", "proofs/paper/results/_beyond.py",
       "            dn, dd = min(m[0] for m in num.monoms()), min(m[0] for m in den.monoms())",
       "            dn, dd = max(m[0] for m in num.monoms()), min(m[0] for m in den.monoms())",
       "limit x -> 0+ read from the numerator's highest coefficient, not its lowest", (), ("task-family",)),
    # ---------------------------------------------------------------- proofs/paper/results/*.py
    _m("R1", "proofs/paper/results/tradeoff_value.py", "    at0 = b.with_(v0=v0[0], vy=vy[0], vx=tuple((c[0], w, a) for c, w, a in vx))",
       "    at0 = b.with_(v0=v0[1], vy=vy[1], vx=tuple((c[1], w, a) for c, w, a in vx))",
       "lambda -> 0+ and lambda -> oo swapped (the 0+ blocks read from the oo limits)", (), ("tradeoff-value",)),
    _m("R10", "proofs/paper/results/tradeoff_value.py",
       "    atoo = b.with_(v0=v0[1], vy=vy[1], vx=tuple((c[1], w, a) for c, w, a in vx))",
       "    atoo = b.with_(v0=v0[1], vy=vy[0], vx=tuple((c[1], w, a) for c, w, a in vx))",
       "the lambda -> oo blocks with v_y's lambda -> 0+ limit", (), ("tradeoff-value",)),
    _m("R2", "proofs/paper/results/tradeoff_value.py", "(\"n -> oo on -theta_0\", None, \"few_shot_opposite\")",
       "(\"n -> oo on -theta_0\", None, \"few_shot_target\")",
       "trade-off's error on -theta_0 computed on theta_0 (in the monotonicity line)", (), ("tradeoff-value",),
       equivalent="at both settings of the line the n -> oo errors on theta_0 and on -theta_0 both rise with "
                  "lambda, so the mutant prints the same words (the line's verdict rests on the zero-shot and "
                  "n_ft-shot signs, as the statement does; the -theta_0 sign is reported, not claimed)"),
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
    # ---------------------------------------------------------------- symbolic/concrete.py (the independent
    # engine), proofs/paper/results/_search.py, theorem_4_3.py's completeness
    _m("CE1", "symbolic/concrete.py", "parity = tuple(sum(monom[start:stop]) % 2 for start, stop, _ in blocks)",
       "parity = tuple(monom[start] % 2 for start, stop, _ in blocks)",
       "E[p^2] split by the parity of a block's first coordinate (not its total degree): nonzero cross "
       "products dropped", ("tests/test_concrete.py",), ("tradeoff-value",)),
    _m("CE2", "symbolic/concrete.py", "    ZtQq = [dot(z, Qq) for z in columns]",
       "    ZtQq = [dot(z, Qq) for z in columns[:-1]]", "the query's own column left out of Z Z^T",
       ("tests/test_concrete.py",), ("tradeoff-value",)),
    _m("CE3", "symbolic/concrete.py", "                rational *= m", "                rational += m",
       "a monomial's rational moments added instead of multiplied", ("tests/test_concrete.py",), ("tradeoff-value",)),
    _m("CE4", "symbolic/concrete.py", "* ck * weights[l] * (1 if k == l else 2)", "* ck * weights[l] * (1 if k == l else 1)",
       "E[(sum_k c_k P_k)^2] from the moments with each cross moment E[P_k P_l], k != l, counted once",
       ("tests/test_concrete.py",), ("tradeoff-value",)),
    _m("SE1", "proofs/paper/results/_search.py", "                suf[s] = suf[s + 1] * G[s + 1]",
       "                suf[s] = suf[s + 1] * G[s]", "compiled gradient: a suffix product one slot off",
       ("tests/test_results.py::test_compiled_objective_matches_the_engine",), ("theorem-4.3", "corollary-4.1")),
    _m("SE2", "proofs/paper/results/_search.py", "        if Ft[0] < F[0]:", "        if Ft[0] <= F[0]:",
       "one-start descent: a trial of equal value taken (the batched loop refuses it)",
       ("tests/test_results.py::test_one_start_descent_is_the_batched_loop_bit_for_bit",), ("theorem-4.3",)),
    _m("SE3", "proofs/paper/results/_search.py", "            steps = steps * 1.2", "            steps = steps * 1.25",
       "one-start descent: the step grown by another factor than the batched loop's",
       ("tests/test_results.py::test_one_start_descent_is_the_batched_loop_bit_for_bit",), ("theorem-4.3",)),
    _m("TC1", "proofs/paper/results/theorem_4_3.py",
       "        quad = sum((val(S[i, j]) * X[i] * X[j] for i in range(d) for j in range(d)), Rx.zero)",
       "        quad = sum((val(S[i, j]) * X[i] * X[i] for i in range(d) for j in range(d)), Rx.zero)",
       "completeness: x^T S x read as sum_ij S_ij x_i^2", ("tests/test_results.py::test_completeness_check_solves_both_cases",),
       ("theorem-4.3",)),
    _m("TC2", "proofs/paper/results/theorem_4_3.py", "            rest = sp.expand(rest)", "            pass",
       "lower bound: sigma left in E0 - sigma^2 as it stands taken as the verdict (not expanded)",
       ("tests/test_results.py::test_theorem_4_3_lower_bound_line_decides_on_the_expansion",), ("theorem-4.3",)),
    # ================================================================ numeric/ (every module that
    # computes a number).  Each mutant is killed by numeric tests alone (no prove); the selection is the
    # module's own test file(s), cheapest first.
    # ---------------------------------------------------------------- numeric/sampling.py
    _m("NS1", NSAM, "X = G[..., :d] @ L.T ", "X = G[..., :d] @ L ",
       "x = L^T g instead of L g: x ~ N(0, L^T L), not N(0, Sigma)", (T_MODEL,)),
    _m("NS2", NSAM, "Y = X @ theta + sigma * G[..., d]", "Y = X @ theta",
       "label noise missing (y = theta^T x)", (T_MODEL,)),
    _m("NS3", NSAM, "Y = X @ theta + sigma * G[..., d]", "Y = X @ theta + sigma ** 2 * G[..., d]",
       "noise scaled by sigma^2 instead of sigma", (T_MODEL,)),
    _m("NS4", NSAM, "    Z[:, d + 1, n] = 0.0 ", "    pass ",
       "the query's label left in the prompt", (T_MODEL,)),
    _m("NS5", NSAM, "y_query = Y[:, n].copy()", "y_query = Y[:, n - 1].copy()",
       "hidden label off by one (the last context token's label)", (T_MODEL, T_MC)),
    _m("NS6", NSAM, "return _draw_prompts(as_generator(rng), n, L, theta, float(np.sqrt(sigma2)), size)",
       "return _draw_prompts(as_generator(rng), n, L, theta, float(sigma2), size)",
       "sample_prompts passes the variance sigma2 as the noise's standard deviation", (T_MODEL,)),
    # ---------------------------------------------------------------- numeric/model.py
    _m("NM1", NMOD, "return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]",
       "return (Z + V @ Z @ ZT @ Q @ Z / (ncol + 1))[..., -1, -1]", "1/(n+2) for 1/ncol = 1/(n+1)", (T_MODEL,)),
    _m("NM2", NMOD, "return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]",
       "return (Z + V @ Z @ ZT @ np.swapaxes(Q, -1, -2) @ Z / ncol)[..., -1, -1]", "Q transposed", (T_MODEL,)),
    _m("NM3", NMOD, "return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]",
       "return (Z + Q @ Z @ ZT @ V @ Z / ncol)[..., -1, -1]", "V and Q swapped", (T_MODEL,)),
    _m("NM4", NMOD, "return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]",
       "return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, 0]", "prediction read at the first column", (T_MODEL,)),
    _m("NM5", NMOD, "return (Z + V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]",
       "return (V @ Z @ ZT @ Q @ Z / ncol)[..., -1, -1]", "residual Z dropped", (T_MODEL,),
       equivalent="[Z]_{-1,-1} is the query's hidden label, 0 in every prompt of the model (docs/CONVENTIONS.md): "
                  "the residual adds 0 to the one entry read (at depth 1; numeric/depth.py's residual is mutated "
                  "in ND2 and killed)"),
    # ---------------------------------------------------------------- numeric/montecarlo.py
    _m("NC1", NMC, "self.m2 += m2 + delta * delta * self.count * k / total", "self.m2 += m2",
       "Chan's merge of two chunks without the between-chunk term", (T_MC,)),
    _m("NC2", NMC, "self.mean += delta * k / total", "self.mean += delta * self.count / total",
       "merged mean weighted by the old count", (T_MC,)),
    _m("NC3", NMC, "var = self.m2 / (self.count - 1) if", "var = self.m2 / self.count if",
       "sample variance with 1/n for 1/(n-1)", (T_MC,)),
    _m("NC4", NMC, "stderr=float(math.sqrt(var / self.count))", "stderr=float(math.sqrt(var))",
       "standard error without the 1/sqrt(samples)", (T_MC,)),
    _m("NC5", NMC, "        diff = value - self.mean\n", "        diff = self.mean - value\n",
       "z-score with the sign flipped", (T_MC,)),
    _m("NC6", NMC, "EXACT_RTOL = 1e-10", "EXACT_RTOL = 1e-3",
       "an exact estimate agrees with a value 0.1% away (criterion loosened)", (T_MC, T_TESTING)),
    _m("NC7", NMC, "acc.add((forward(Z, V, Q) - y) ** 2)", "acc.add(np.abs(forward(Z, V, Q) - y))",
       "absolute error averaged instead of the squared error", (T_MC,)),
    _m("NC8", NMC, "    sigma = math.sqrt(sigma2)\n    acc = _Accumulator()\n    for k in _chunks(samples, chunk):\n"
       "        Z, y = _draw_prompts(rng, n, L, theta, sigma, k)\n        acc.add((forward",
       "    sigma = sigma2\n    acc = _Accumulator()\n    for k in _chunks(samples, chunk):\n"
       "        Z, y = _draw_prompts(rng, n, L, theta, sigma, k)\n        acc.add((forward",
       "reference estimator draws noise of standard deviation sigma2", (T_MC,)),
    _m("NC9", NMC, "        acc.add(draw(k), shift)", "        acc.add(draw(k))",
       "run_chunked drops the exact shift (the fast estimator's constant)", (T_FAST,)),
    # ---------------------------------------------------------------- numeric/fast.py
    _m("NF1", NFAST, "p = inv_N * (alpha0 * beta + beta0 * alpha) - tau", "p = inv_N * (alpha0 * beta + beta0 * alpha) + tau",
       "query moments: the target's linear term with the wrong sign", (T_FAST,)),
    _m("NF2", NFAST, "mean_g = p + k * (trB * alpha + 2 * Ba)", "mean_g = p + k * (trB * alpha + Ba)",
       "E[P g]: Stein's 2 B alpha as B alpha", (T_FAST,)),
    _m("NF3", NFAST, "+ 2 * float(np.sum(Mq * Mq))", "+ float(np.sum(Mq * Mq))",
       "E[P^2]: Var of g^T M g taken as tr M^2, not 2 tr M^2", (T_FAST,)),
    _m("NF4", NFAST, "+ 8 * float(Ba @ Ba)", "+ 6 * float(Ba @ Ba)", "sixth moment: 8 |B alpha|^2 as 6", (T_FAST,)),
    _m("NF5", NFAST, "B = L.T @ _sym(Q[1:d + 1, 1:d + 1]) @ L", "B = L @ _sym(Q[1:d + 1, 1:d + 1]) @ L.T",
       "query's quadratic form whitened on the wrong side (L Q L^T for L^T Q L)", (T_FAST,)),
    _m("NF6", NFAST, "beta = L.T @ (Q[0, 1:d + 1] + Q[1:d + 1, 0])", "beta = L.T @ Q[0, 1:d + 1]",
       "q^T Q q: one of the two cross terms 1-x dropped", (T_FAST,)),
    _m("NF7", NFAST, "n / (n + 1), n / (n + 1) ** 2", "n / (n + 1), (n + 1) / (n + 1) ** 2",
       "Cov(s_hat) = (n+1)/N^2 Cov1 for n/N^2 (off by one in n)", (T_FAST,)),
    _m("NF8", NFAST, "inv_N, frac, cov_factor = 1.0 / (n + 1), n / (n + 1)", "inv_N, frac, cov_factor = 1.0 / (n + 1), 1.0",
       "E[s_hat] = E[z z^T v] for (n/N) E[z z^T v] (the query's share forgotten)", (T_FAST,)),
    _m("NF9", NFAST, "second[1:, 1:] = q2 * C + 2 * np.outer(Ca, Ca)", "second[1:, 1:] = q2 * C + np.outer(Ca, Ca)",
       "Isserlis: E[(w^T a)^2 w w^T] = |a|_C^2 C + C a a^T C (factor 2 dropped)", (T_FAST,)),
    _m("NF10", NFAST, "second[0, 1:] = second[1:, 0] = 2 * v0 * Ca", "second[0, 1:] = second[1:, 0] = v0 * Ca",
       "E[(z^T v)^2 w]: 2 v0 C a as v0 C a", (T_FAST,)),
    _m("NF11", NFAST, "    M[d, d] = sigma\n", "    M[d, d] = sigma2\n",
       "token factor M: the noise's variance for its standard deviation", (T_FAST,)),
    _m("NF12", NFAST, "    M[d, :d] = theta @ L\n", "    M[d, :d] = L @ theta\n",
       "token factor M: y's row L theta for L^T theta (a transpose)", (T_FAST,)),
    _m("NF13", NFAST, "const = sigma2 + c0 + 2 * float(k @ mean_shat)", "const = c0 + 2 * float(k @ mean_shat)",
       "the query's label noise sigma^2 missing from the error", (T_FAST,)),
    _m("NF14", NFAST, "            O = -(np.eye(p) - 2 * np.outer(u, u) / (u @ u))",
       "            O = np.eye(p) - 2 * np.outer(u, u) / (u @ u)",
       "Householder rotation onto -e_1 instead of e_1 (sign of the Bartlett coordinates)", (T_FAST,)),
    _m("NF15", NFAST, "K = plan.G.T @ plan.H @ plan.G / N ** 2", "K = plan.G.T @ plan.H @ plan.G / N",
       "quadratic form in S v scaled by 1/N for 1/N^2", (T_FAST,)),
    _m("NF16", NFAST, "x1 = coef * g1 + rho * (chi2 - n)", "x1 = coef * g1 + rho * (chi2 - (n - 1))",
       "delta t'_1 centred at n - 1 (no antithetic pairs)", (T_FAST,)),
    _m("NF17", NFAST, "e = rho * (g2 + chi2 - n)", "e = rho * (g2 + chi2 - (n - 1))",
       "antithetic pair: delta t'_1's even part centred at n - 1", (T_FAST,)),
    _m("NF18", NFAST, "chi2 = rng_chi2.chisquare(n - 1, size=k)", "chi2 = rng_chi2.chisquare(n, size=k)",
       "Bartlett corner chi^2 with n degrees of freedom for n - 1", (T_FAST,)),
    _m("NF19", NFAST, "c0_even = tr_rest * c * c", "c0_even = 0.0",
       "the orthogonal directions' n a0^2 share dropped", (T_FAST,)),
    _m("NF20", NFAST, "out = (K00 * x0 + 2 * K01 * x1) * x0 + K11 * x1 * x1 + tr_rest * (coef * coef + rho * rho * chi2)",
       "out = (K00 * x0 + K01 * x1) * x0 + K11 * x1 * x1 + tr_rest * (coef * coef + rho * rho * chi2)",
       "quadratic form: the cross term 2 K01 x0 x1 counted once (no antithetic pairs)", (T_FAST,)),
    _m("NF21", NFAST, "return float(plan.const + plan.cov_factor * np.sum(plan.H * plan.cov1))",
       "return float(plan.const + plan.cov_factor * np.sum(plan.H @ plan.cov1))",
       "moment_error: tr(H Cov) as the sum of the entries of H Cov", (T_FAST,)),
    # ---------------------------------------------------------------- numeric/depth.py
    _m("ND1", NDEP, "        Z = Z + V @ Z @ ZT @ Q @ Z / ncol", "        Z = Z + V @ Z @ ZT @ Q @ Z / (ncol + 1)",
       "depth: 1/(n+2) for 1/ncol", (T_DEPTH,)),
    _m("ND2", NDEP, "        Z = Z + V @ Z @ ZT @ Q @ Z / ncol", "        Z = V @ Z @ ZT @ Q @ Z / ncol",
       "depth: residual dropped", (T_DEPTH,)),
    _m("ND3", NDEP, "    for V, Q in layers:\n        ZT", "    for V, Q in layers[::-1]:\n        ZT",
       "depth: layers applied in reverse order", (T_DEPTH,)),
    _m("ND4", NDEP, "    ncol = Z.shape[-1]\n    for V, Q in layers:\n        ZT = np.swapaxes(Z, -1, -2)\n",
       "    ncol = Z.shape[-1]\n    ZT = np.swapaxes(Z, -1, -2)\n    for V, Q in layers:\n",
       "depth: Z_0^T reused at every layer (stale transpose)", (T_DEPTH,)),
    _m("ND5", NDEP, "    return Z[..., -1, -1]", "    return Z[..., -1, -2]",
       "depth: prediction read at the last context token", (T_DEPTH,)),
    _m("ND6", NDEP, "    sigma = math.sqrt(sigma2)\n    acc = _Accumulator()", "    sigma = sigma2\n    acc = _Accumulator()",
       "depth Monte Carlo: noise standard deviation sigma2", (T_DEPTH,)),
    # ---------------------------------------------------------------- numeric/lora.py
    _m("NL1", NLORA, "            return 2 * (self.H @ D @ self.S - self.G)", "            return self.H @ D @ self.S - self.G",
       "LoRA: dL/dDelta without its factor 2", (T_LORA,)),
    _m("NL2", NLORA, "            return self.L0 + float(np.sum((self.H @ D @ self.S) * D)) - 2 * float(np.sum(self.G * D))",
       "            return self.L0 + float(np.sum((self.H @ D @ self.S) * D)) - float(np.sum(self.G * D))",
       "LoRA: the loss's linear term -2 tr(Delta^T G) as -tr(Delta^T G)", (T_LORA,)),
    _m("NL3", NLORA, "    scale = 1.0 / np.sqrt(cols) if init_scale is None", "    scale = 1.0 / cols if init_scale is None",
       "LoRA start: A ~ N(0, 1/cols^2) for N(0, 1/cols)", (T_LORA,)),
    _m("NL4", NLORA, "rec_b.append(float(np.sum(A * A) - np.sum(B * B)))", "rec_b.append(float(np.sum(A * A) + np.sum(B * B)))",
       "balance |A|^2 + |B|^2 for |A|^2 - |B|^2", (T_LORA,)),
    _m("NL5", NLORA, "        gB, gA = Gd @ A.T, B.T @ Gd", "        gB, gA = Gd @ A.T, B.T @ Gd.T",
       "LoRA: grad_A = B^T (dL/dDelta)^T (a transpose; the blocks tested are square)", (T_LORA,)),
    _m("NL6", NLORA, "        return (2 * (self.A @ D.reshape(-1) - self.g)).reshape(self.shape)",
       "        return (2 * (self.A @ D.reshape(-1) + self.g)).reshape(self.shape)",
       "dense quadratic: gradient's linear term with the wrong sign", (T_LORA,)),
    _m("NL7", NLORA, "        return 2 * float(np.linalg.eigvalsh(self.H)[-1] * np.linalg.eigvalsh(self.S)[-1])",
       "        return 2 * float(np.linalg.eigvalsh(self.H)[-1] + np.linalg.eigvalsh(self.S)[-1])",
       "curvature of a Kronecker Hessian: lambda(H) + lambda(S) for lambda(H) lambda(S)", (T_LORA,)),
    _m("NL8", NLORA, "                2 * (HDS - self.G))", "                HDS - self.G)",
       "LoRA: value_grad's dL/dDelta without its factor 2 (BFGS's gradient)", (T_LORA,)),
    _m("NL9", NLORA, "        return (self.L0 + float((HDS * D).sum()) - 2 * float((self.G * D).sum()),",
       "        return (self.L0 + float((HDS * D).sum()) - float((self.G * D).sum()),",
       "LoRA: value_grad's linear term -2 tr(Delta^T G) as -tr(Delta^T G) (BFGS's value)", (T_LORA,)),
    # ---------------------------------------------------------------- numeric/testing.py
    _m("NT1", NTEST, "        passed = abs(z) <= z_tol\n", "        passed = abs(z) <= 2 * z_tol\n",
       "calibrated rule: |z| <= 2 z_tol accepted", (T_TESTING,)),
    _m("NT2", NTEST, "for i in range(k + 1))", "for i in range(k))",
       "Clopper-Pearson: P[X < k] for P[X <= k]", (T_TESTING,)),
    _m("NT3", NTEST, "        if cdf(mid) > alpha:", "        if cdf(mid) > 1 - alpha:",
       "Clopper-Pearson: the 5% bound for the 95% one", (T_TESTING,)),
    # ---------------------------------------------------------------- numeric/training/lsa.py
    _m("NA1", NLSA, "    r = res * (2.0 / (B * N))", "    r = res * (2.0 / B)", "gradient without the 1/(n+1) of G",
       (T_LSA,)),
    _m("NA2", NLSA, "    f /= N\n", "    f /= N + 1\n", "fast loss: f / (n+2) for f / (n+1)", (T_LSA,)),
    _m("NA3", NLSA, "    c += w[:, d + 1:] * Y\n", "", "c_i = z_i . Q q without the label entry", (T_LSA,)),
    _m("NA4", NLSA, "    a += v[d + 1] * Y\n", "", "a_i = z_i . v without v_y y_i", (T_LSA,)),
    _m("NA5", NLSA, "    w += Q[:, 0]\n", "    w += Q[0, :]\n", "Q q: the constant column read as a row", (T_LSA,)),
    _m("NA6", NLSA, 'gV[-1, d + 1] = np.einsum("bi,bi->", s, Y)', 'gV[-1, d + 1] = np.einsum("bi,bi->", t, Y)',
       "dL/dv_y from t (G v) instead of s (G Q q)", (T_LSA,)),
    _m("NA7", NLSA, 'gQ[:, 1:d + 1] = np.einsum("bi,bj->ij", p, xq)', 'gQ[:, 1:d + 1] = np.einsum("bi,bj->ij", p[:, ::-1], xq)',
       "dL/dQ_x: rows of p reversed", (T_LSA,)),
    _m("NA8", NLSA, '    gQ = np.einsum("b,bi,bk->ik", r, right, zq)', '    gQ = np.einsum("b,bi,bk->ki", r, right, zq)',
       "naive dL/dQ transposed", (T_LSA,)),
    # ---------------------------------------------------------------- numeric/training/optimizers.py
    _m("NO1", NOPT, "        step = lr * math.sqrt(c2) / c1", "        step = lr / c1",
       "Adam: second-moment bias correction dropped", (T_OPTIM,)),
    _m("NO2", NOPT, "            s += (1.0 - b2) * (g * g)", "            s += (1.0 - b2) * np.abs(g)",
       "Adam: |g| for g^2 in the second moment", (T_OPTIM,)),
    _m("NO3", NOPT, "            p -= step * m / (np.sqrt(s) + self.eps * math.sqrt(c2))",
       "            p -= step * m / (np.sqrt(s) + self.eps)", "Adam: eps added before the bias correction", (T_OPTIM,)),
    _m("NO4", NOPT, "                p -= lr * (g + mu * u)", "                p -= lr * (g + u)",
       "Nesterov step without the momentum factor", (T_OPTIM,)),
    _m("NO5", NOPT, "            u *= mu\n", "", "SGD momentum buffer never decays", (T_OPTIM,)),
    _m("NO6", NOPT, "        scale = max_norm / norm", "        scale = norm / max_norm", "clipping scale inverted",
       (T_OPTIM,)),
    _m("NO7", NOPT, "        frac = step / max(steps - 1, 1)", "        frac = step / max(steps, 1)",
       "schedule: last step at frac (steps-1)/steps (off by one)", (T_OPTIM,)),
    _m("NO8", NOPT, "            shape = 0.5 * (1.0 + math.cos(math.pi * frac))", "            shape = math.cos(math.pi * frac / 2)",
       "cosine schedule: a quarter cosine", (T_OPTIM,)),
    _m("NO9", NOPT, "        factor *= (step + 1) / warmup", "        factor *= step / warmup",
       "warm-up starts at 0 (off by one)", (T_OPTIM,)),
    _m("NO10", NOPT, "            m += (1.0 - b1) * g", "            m += g", "Adam: first moment without (1 - beta1)",
       (T_OPTIM,)),
    # ---------------------------------------------------------------- numeric/training/evaluate.py
    _m("NE1", NEVAL, "    M[d + 1, d + 1] = theta @ St + sigma2", "    M[d + 1, d + 1] = theta @ St",
       "limit_error: E[y^2] without the noise", (T_DATA,)),
    _m("NE2", NEVAL, "    a = Q.T @ (M @ V[-1])", "    a = Q @ (M @ V[-1])", "limit_error: Q for Q^T", (T_DATA,)),
    _m("NE3", NEVAL, "    return float(sigma2 + a[0] ** 2 + r @ Sigma @ r)", "    return float(a[0] ** 2 + r @ Sigma @ r)",
       "limit_error: the query's noise sigma^2 dropped", (T_DATA,)),
    _m("NE4", NEVAL, "ErrorCurve(ns, mean + sigma2, np.sqrt(var / samples), samples)",
       "ErrorCurve(ns, mean, np.sqrt(var / samples), samples)",
       "evaluate_models: the noise sigma^2 not added back", (T_DATA,)),
    _m("NE5", NEVAL, "ErrorCurve(ns, mean + sigma2, np.sqrt(var / samples), samples)",
       "ErrorCurve(ns, mean + sigma2, np.sqrt(var), samples)",
       "evaluate_models: standard deviation reported as the standard error", (T_DATA,)),
    _m("NE6", NEVAL, "* samples / (samples - 1)", "* 1.0", "evaluate_models: 1/n variance for 1/(n-1)",
       (T_DATA,)),
    # ---------------------------------------------------------------- numeric/training/data.py
    _m("NB1", NDATA, "np.matmul(self._tmp, self.L.T, out=X)", "np.matmul(self._tmp, self.L, out=X)",
       "task sampler: x = L^T g (covariance L^T L, not Sigma)", (T_DATA,)),
    _m("NB2", NDATA, "                self._th /= np.linalg.norm(self._th, axis=1, keepdims=True)",
       "                self._th /= np.linalg.norm(self._th, axis=1, keepdims=True) ** 2",
       "sphere tasks divided by |theta|^2", (T_DATA,)),
    _m("NB3", NDATA, "                self._eps *= self.sigma\n                Y += self._eps\n            out.target[:] = Y[:, -1]",
       "                Y += self._eps\n            out.target[:] = Y[:, -1]",
       "task sampler: unit noise for N(0, sigma2)", (T_DATA,)),
    _m("NB4", NDATA, "    y = x @ theta + np.sqrt(sigma2) * rng.standard_normal(size)", "    y = x @ theta + sigma2 * rng.standard_normal(size)",
       "dataset: noise of standard deviation sigma2", (T_DATA,)),
    _m("NB5", NDATA, "        out.target[:] = out.Y[:, -1]\n        out.Y[:, -1] = 0.0",
       "        out.Y[:, -1] = 0.0\n        out.target[:] = out.Y[:, -1]",
       "dataset sampler: target read after the query's label is hidden", (T_DATA,)),
    # ---------------------------------------------------------------- numeric/training/train.py
    _m("NR1", NTRAIN, "    return V / a, Q * a, a", "    return V * a, Q / a, a",
       "normalise_scale: (V a, Q / a), not the output-preserving (V / a, a Q)", (T_TRAIN,)),
    _m("NR2", NTRAIN, "            return self.fewshot_weight * self.fewshot_final ** frac",
       "            return self.fewshot_weight * self.fewshot_final * frac",
       "geometric decay as a linear ramp", (T_TRAIN,)),
    _m("NR3", NTRAIN, "            g0 += w * g1", "            g0 += g1",
       "value-fewshot: the auxiliary gradient without its weight w_t", (T_TRAIN,)),
    # ---------------------------------------------------------------- numeric/strategies.py, validation.py
    _m("NG1", NSTRAT, "        S = (O * lam) @ O.T\n", "        S = (O * lam) @ O\n",
       "hypothesis Sigma: O diag(lambda) O for O diag(lambda) O^T (not the drawn spectrum)", (T_STRAT,)),
    _m("NG2", NSTRAT, "        O = O * np.sign(np.where(np.diag(R) == 0, 1.0, np.diag(R)))\n", "",
       "hypothesis Sigma: Q's column signs not fixed by R's diagonal", (T_STRAT,),
       equivalent="(O D) diag(lambda) (O D)^T = O diag(lambda) O^T for any diagonal D of signs: the drawn Sigma "
                  "is the same matrix"),
    _m("NV1", NVAL, "    if asym > SYMMETRY_RTOL * scale:", "    if asym > SYMMETRY_RTOL:",
       "symmetry tolerance absolute instead of relative to the largest entry", (T_VALID, T_RULES)),
    _m("NV2", NVAL, "        if float(np.min(np.diag(S))) <= 0:", "        if float(np.min(np.diag(S))) < 0:",
       "a zero diagonal entry let through to the Cholesky factorisation", (T_VALID, T_RULES),
       equivalent="a symmetric matrix with a zero diagonal entry is not positive definite, and the Cholesky "
                  "factorisation that follows meets a pivot <= 0 there and raises the same LinAlgError, "
                  "answered by the same message"),
    _m("NV3", NVAL, "    S = (S + S.T) / 2\n    try:", "    try:",
       "covariance returned unsymmetrised (asymmetry up to the tolerance kept)", (T_VALID, T_RULES)),
    _m("NB6", NDATA, "            if self.sigma > 0 and self.n > 0:", "            if self.sigma > 0:",
       "noiseless target: noise also drawn at n = 0", (T_DATA,),
       equivalent="at n = 0 the only label is the query's, which is replaced by 0 after the noise is added: the "
                  "prompts have the same law (the stream of draws differs, so the numbers do, not their law)"),
    # ---------------------------------------------------------------- numeric/transformer/
    _m("NX1", NXMOD, "    cols = m.sum(-1)[:, None]  # |S_i|", "    cols = m.sum(-1)[:, None] + 1  # |S_i|",
       "linear control model: 1/(|S_i| + 1) for 1/|S_i|", (T_XF_LIN,)),
    _m("NX2", NXMOD, 's = jnp.einsum("bjd,bid->bij", h, h @ Q.T) * m', 's = jnp.einsum("bjd,bid->bij", h, h @ Q) * m',
       "linear control model: Q transposed", (T_XF_LIN,)),
    _m("NX3", NXMOD, "        m[N + n, :n] = True", "        m[N + n, :n + 1] = True",
       "packed mask: q_n sees z_1 .. z_{n+1} (its own label)", (T_XF_PACK,)),
    _m("NX4", NXMOD, "    ys = y.at[:, -1].set(0.0)", "    ys = y", "prompt: the query's label shown", (T_XF_LIN,)),
    _m("NX5", NXDATA, "    return r * (math.cos(angle) * u + math.sin(angle) * w)",
       "    return r * (math.cos(angle) * u + math.sin(angle / 2) * w)", "task at angle: sin(a/2) for sin(a)",
       (T_XF_ANGLE,)),
    _m("NX6", NXEVAL, "    se = np.sqrt(var / prompts)", "    se = np.sqrt(var)",
       "transformer evaluate: standard deviation reported as the standard error", (T_XF_EVAL,)),
    _m("NX7", NXEVAL, " * prompts / (prompts - 1)", " * 1.0", "transformer evaluate: 1/n variance for 1/(n-1)",
       (T_XF_EVAL,)),
    _m("NX8", NXEVAL, "        e = e[:prompts - done]\n", "",
       "transformer evaluate: the last chunk not cut to the prompts asked (more prompts summed than divided by)",
       (T_XF_EVAL,)),
    # ================================================================ the rest of the list: trajectories,
    # evaluation, explicit, the concrete minimiser, frontier_numeric, arithmetic, the structured Q_xx solve,
    # the results beyond the paper.  Each runs its module's own test file(s) (and prove where a result says).
    # ---------------------------------------------------------------- proofs/quantities/trajectories.py
    _m("T1", TRAJ, "                    ws.append(v / h)", "                    ws.append(v * h)",
       "exact modes: mode weight P_h g_0 * h for P_h g_0 / h", (T_TRAJ,)),
    _m("T2", TRAJ, "    return sp.S(2) / m.h_max if m.h_max != 0 else sp.oo", "    return sp.S(1) / m.h_max if m.h_max != 0 else sp.oo",
       "stable range 1/h_max for 2/h_max", (T_TRAJ,)),
    _m("T3", TRAJ, "    r = 1.0 - eta * h\n", "    r = 1.0 - eta * h / 2\n", "step factor 1 - eta h/2 (a loss with a factor 1/2)",
       (T_TRAJ,)),
    _m("T4", TRAJ, "        r = [sp.exp(-t * h) if flow else (1 - eta * h) ** t for h in m.h]",
       "        r = [sp.exp(-t * h) if flow else (1 - eta * h) ** (t + 1) for h in m.h]",
       "the exact formula's step count off by one ((1 - eta h)^(t+1))", (T_TRAJ,)),
    _m("T5", TRAJ, "m2 = modes(q2.A, q2.b, m1.u_star, projector=P", "m2 = modes(q2.A, q2.b, train_q.start, projector=P",
       "second stage started at the first stage's start, not its limit", (T_TRAJ,)),
    _m("T6", TRAJ, "m2 = modes(q2.A, q2.b, m1.u_star, projector=P", "m2 = modes(q2.A, q2.b, m1.u_star, projector=None",
       "second stage not projected on the first loss's flat directions", (T_TRAJ,)),
    _m("T7", TRAJ, "    H = 2 * A\n", "    H = A\n", "float modes: Hessian A for 2A", (T_TRAJ_FLOAT,)),  # the whole file runs past 300 s
    _m("T8", TRAJ, "        return np.exp(-np.outer(steps * eta, h))", "        return np.exp(-np.outer(steps, h))",
       "gradient flow at tau = t, not eta t", (T_TRAJ,)),
    _m("T9", TRAJ, "        return Path(alpha, list(W.T @ grad), W.T @ A @ W)", "        return Path(alpha, list(W.T @ grad), W.T @ W)",
       "float path: Gamma = W^T W (the error's curvature dropped)", (T_TRAJ_FLOAT, T_TRAJ)),
    _m("T10", TRAJ, "diverged_at = offset + _first_exceeding(", "diverged_at = _first_exceeding(",
       "divergence in the second stage reported at the step within the stage", (T_TRAJ,)),
    _m("T11", TRAJ, "    return int(ts[hit[0]]) if len(hit) else hi", "    return int(ts[hit[0]]) + 1 if len(hit) else hi",
       "first step of an event one late", (T_TRAJ,)),
    _m("T12", TRAJ, "        grad = 2 * (A @ us - np.asarray(q.b, dtype=float))", "        grad = (A @ us - np.asarray(q.b, dtype=float))",
       "float path: the error's gradient at u_* halved (beta)", (T_TRAJ_FLOAT, T_TRAJ)),
    # ---------------------------------------------------------------- symbolic/evaluation.py (float and mp)
    _m("E1", EVAL, "            out = num.inv(self.matrix(e.arg))", "            out = self.matrix(e.arg)",
       "float/mp: an inverse dropped", EVAL_T),
    _m("E2", EVAL, "                return self.scalar(coeff) * num.trace_product(head, self.matrix(mats[-1]))",
       "                return num.trace_product(head, self.matrix(mats[-1]))", "float/mp: a trace's coefficient dropped", EVAL_T),
    _m("E3", EVAL, "            for a in reversed(mats):\n                v = num.matmul(self.matrix(a), v)",
       "            for a in mats:\n                v = num.matmul(self.matrix(a), v)",
       "float/mp: a bilinear form's product applied in the wrong order", EVAL_T),
    _m("E4", EVAL, "            out = v if coeff == 1 else v * self.scalar(coeff)", "            out = v",
       "float/mp: a bilinear form's coefficient dropped", EVAL_T),
    _m("E5", EVAL, "                out = num.trace_product(self.word_matrix(w[:-1]), self.matrix(w[-1].matrix))",
       "                out = num.trace(self.word_matrix(w[:-1]))", "float/mp: an engine trace drops its last factor", EVAL_T),
    _m("E6", EVAL, "                base, k = num.inv(base), -k", "                base, k = base, -k",
       "float/mp: M^-k as M^k", EVAL_T),
    _m("E7", EVAL, "            out = self.num.matmul(self.matrix(w[0].matrix), self.word_vector(w[1:], right))",
       "            out = self.num.matmul(self.num.transpose(self.matrix(w[0].matrix)), self.word_vector(w[1:], right))",
       "float/mp: an engine bilinear form with its atoms transposed", EVAL_T),
    _m("E8", EVAL, "                return self.num.eye(self.d) * self.scalar(coeff)", "                return self.num.eye(self.d)",
       "float/mp: c I as I", EVAL_T),
    _m("E9", EVAL, "        return _exact_matrix(e.arg, env).inv()", "        return _exact_matrix(e.arg, env)",
       "exact: an inverse dropped", EVAL_T),
    # ---------------------------------------------------------------- symbolic/explicit.py
    _m("X1", EXPL, "            g = R.T if not w[0].transposed else R", "            g = R if not w[0].transposed else R.T",
       "tr(X R): the coefficient of X_ij read as R_ij (transpose dropped)", EXPL_T),
    _m("X2", EXPL, "            T = T.transpose(3, 0, 1, 2)            # T[a, b, c, e]",
       "            T = T.transpose(0, 3, 1, 2)            # T[a, b, c, e]",
       "Kronecker block of tr(X P Y R) with X's indices swapped", EXPL_T),
    _m("X3", EXPL, "    b = -lin / 2 if not exact else lin * sp.Rational(-1, 2)", "    b = -lin if not exact else lin * sp.Rational(-1, 2)",
       "float: b = -lin (the 1/2 of L = u^T A u - 2 b^T u dropped)", EXPL_T),
    _m("X4", EXPL, "        return _Quad(1, {ru: mats.apply_left(mats.vector(left), w)})",
       "        return _Quad(1, {ru: mats.apply(w, mats.vector(left))})", "a^T W u: gradient W a for W^T a", EXPL_T),
    _m("X5", EXPL, "        return (np.multiply.outer(p, q) if not X.transposed else np.multiply.outer(q, p)).reshape(-1)",
       "        return (np.multiply.outer(q, p) if not X.transposed else np.multiply.outer(p, q)).reshape(-1)",
       "p^T X q: coefficients of X transposed", EXPL_T),
    _m("X6", EXPL, "        return self.start + np.linalg.pinv(self.A.astype(float), hermitian=True) @ r",
       "        return np.linalg.pinv(self.A.astype(float), hermitian=True) @ self.b",
       "gradient-descent limit in float: the start ignored (A^+ b)", ("tests/test_explicit.py::test_limit_point_is_the_derived_minimiser_for_value_fine_tuning",) + EXPL_T),
    _m("X7", EXPL, "    Q0[x, x] = mat(blocks.Qxx)\n", "    Q0[x, x] = mat(blocks.Qxx).T\n", "the start's Q_xx transposed", EXPL_T),
    _m("X8", EXPL, "            T = np.multiply.outer(M1, q)     # coefficient of u_i (X^T)_ac, i.e. X_ca\n"
       "            T = T.transpose(0, 2, 1)\n", "            T = np.multiply.outer(M1, q)     # coefficient of u_i (X^T)_ac, i.e. X_ca\n",
       "b^T W2^T X^T W1^T u: the transpose of X dropped", EXPL_T),
    # ---------------------------------------------------------------- proofs/quantities/concrete_minimiser.py
    _m("C1", CMIN, "        u = u0m + R * y\n", "        u = R * y\n", "exact: the start's free component dropped", CMIN_T),
    _m("C2", CMIN, "    r = bm - Am * u0m\n", "    r = bm\n", "exact: the residual at 0, not at the start", CMIN_T),
    _m("C3", CMIN, "        u = u0 + R @ ((R.T @ r) / w[keep])", "        u = R @ ((R.T @ b) / w[keep])",
       "float: the start ignored (A^+ b)", CMIN_T),
    _m("C4", CMIN, "                br = N.T @ (b2 - A2 @ u)", "                br = N.T @ b2",
       "float second stage: its gradient at 0, not at the first stage's point", CMIN_T),
    _m("C5", CMIN, "                br = Nm.T * (sp.Matrix(list(b2)) - A2m * sp.Matrix(list(u)))",
       "                br = Nm.T * sp.Matrix(list(b2))", "exact second stage: its gradient at 0", CMIN_T),
    _m("C6", CMIN, '            q2 = explicit_quadratic(spec, stage="then", **kw)', "            q2 = explicit_quadratic(spec, **kw)",
       "the second stage minimises the first stage's loss again", CMIN_T),
    _m("C7", CMIN, "                u = u + N @ t\n", "                u = N @ t\n", "float second stage: the first stage's point dropped",
       CMIN_T),
    # ---------------------------------------------------------------- proofs/quantities/frontier_numeric.py
    _m("FN1", FNUM, "        i, j = (pz, qz) if lam == sp.oo else (pa, qa)", "        i, j = (pa, qa) if lam == sp.oo else (pz, qz)",
       "lambda -> 0 and lambda -> oo read from the wrong ends", FN_T),
    _m("FN2", FNUM, '        return float("inf") if ratio > 0 else float("-inf")', '        return float("inf")',
       "a divergent limit always +oo", FN_T),
    _m("FN3", FNUM, "    D = P.deriv() * Q - P * Q.deriv()", "    D = P.deriv() * Q + P * Q.deriv()",
       "derivative of P/Q with the wrong sign of PQ'", FN_T),
    _m("FN4", FNUM, '    return "increasing" if probe > 0 else "decreasing"', '    return "increasing" if probe < 0 else "decreasing"',
       "monotonicity read with the wrong sign (float)", FN_T),
    _m("FN5", FNUM, "    for a in reversed(c):\n        out = out * x + a", "    for a in c:\n        out = out * x + a",
       "Horner with the coefficients in the wrong order", FN_T),
    _m("FN6", FNUM, "    return [x if abs(x) > tol * big else 0 * x for x in c]", "    return [x if abs(x) > tol else 0 * x for x in c]",
       "zero coefficients by an absolute, not relative, tolerance", FN_T),
    _m("FN7", FNUM, "    p = sp.Poly(sp.expand(num), lam).all_coeffs()[::-1]", "    p = sp.Poly(sp.expand(num), lam).all_coeffs()",
       "numerator's coefficients highest order first", FN_T),
    # ---------------------------------------------------------------- symbolic/arithmetic.py, proofs/quantities/arithmetic.py
    _m("A1", A, "        return COND_WARN\n", "        return 10 * COND_WARN\n", "float: the condition threshold 1e9 for 1e8",
       (T_ARITH,)),
    _m("A2", A, "        if cond is None or cond <= limit:", "        if cond is None or cond >= limit:",
       "condition warning given below the threshold, not above", (T_ARITH,)),
    _m("A3", A, "        return 10.0 ** min(self.precision / 2, 300)", "        return 10.0 ** min(self.precision, 300)",
       "mp: the condition threshold 10^p for 10^(p/2)", (T_ARITH,)),
    _m("A4", A, '        return float(np.einsum("ij,ji->", A, B))', '        return float(np.einsum("ij,ij->", A, B))',
       "float: tr(A B) as sum A_ij B_ij (tr(A B^T))", EVAL_T),
    _m("A5", A, "        return self.ctx.fsum(A[i, j] * B[j, i] for i in range(A.rows) for j in range(A.cols))",
       "        return self.ctx.fsum(A[i, j] * B[i, j] for i in range(A.rows) for j in range(A.cols))",
       "mp: tr(A B) as sum A_ij B_ij", EVAL_T),
    _m("A6", A, "            cond = float(np.max(np.sum(np.abs(A), axis=0)) * np.max(np.sum(np.abs(inv, out=inv), axis=0)))",
       "            cond = float(np.max(np.sum(np.abs(A), axis=0)) / np.max(np.sum(np.abs(inv, out=inv), axis=0)))",
       "condition number ||A|| / ||A^-1||", (T_ARITH,)),
    _m("A7", "proofs/quantities/arithmetic.py", "            return EXACT if d <= L.MAX_EXACT_D else FLOAT64",
       "            return EXACT if d < L.MAX_EXACT_D else FLOAT64", "default arithmetic: float already at d = MAX_EXACT_D",
       CHOOSE_T),
    _m("A8", "proofs/quantities/arithmetic.py", "    if arith.precision is not None and d > L.MAX_MP_D:",
       "    if arith.precision is not None and d > L.MAX_MP_D + 1:", "mp accepted one dimension above its bound", CHOOSE_T),
    _m("A9", "proofs/quantities/arithmetic.py", '        arithmetic = "mp"\n', '        arithmetic = "float"\n',
       "a precision without an arithmetic read as float, not mp", CHOOSE_T),
    # ---------------------------------------------------------------- symbolic/structured.py, structured_solve.py (Q_xx at any d)
    _m("ST1", STR, "            alpha += k * (np.multiply.outer(p, r) if tX else np.multiply.outer(r, p))",
       "            alpha += k * (np.multiply.outer(r, p) if tX else np.multiply.outer(p, r))",
       "entrywise Kronecker: alpha's factors swapped", (T_QXXS,)),
    _m("ST2", STR, "            beta += (k / 2) * (", "            beta += k * (", "entrywise Kronecker: beta without its 1/2", (T_QXXS,)),
    _m("ST3", STR, "            return st.alpha * D + st.beta * D.T", "            return st.alpha * D + st.beta * D",
       "K D = alpha o D + beta o D (D^T dropped)", (T_QXXS,)),
    _m("ST4", STR, "            D += F @ Z.T\n", "            D += Z @ F.T\n", "Psi^T: the D^T p features' adjoint transposed",
       (T_QXXS,)),
    _m("ST5", STR, "            D += y[at + t] * G.T", "            D += y[at + t] * G", "Psi^T: tr(G D)'s adjoint G for G^T",
       (T_QXXS,)),
    _m("ST6", STR, "        return float(s @ As + np.sum(D * AD) - 2 * (s @ bs + np.sum(D * bD)) + self.stages[stage].c)",
       "        return float(s @ As + np.sum(D * AD) - (s @ bs + np.sum(D * bD)) + self.stages[stage].c)",
       "structured loss value: -b^T u for -2 b^T u", (T_QXXS,)),
    _m("ST7", SSOL, "    b = -beta / det\n", "    b = beta / det\n", "K^-1 pair by pair: the off-diagonal part's sign", (T_QXXS,)),
    _m("ST8", SSOL, "    a = alpha.T / det\n", "    a = alpha / det\n", "K^-1 pair by pair: alpha for alpha^T", (T_QXXS,)),
    _m("ST9", SSOL, "        s, D = s0 + zs, D0 + zD\n", "        s, D = zs, zD\n", "structured solve (no Kronecker part): the start ignored",
       (T_QXXS,)),
    _m("ST10", SSOL, "    g = (b2s - A2s, b2D - A2D)", "    g = (b2s, b2D)", "structured second stage: its gradient at 0",
       (T_QXXS,)),
    _m("ST11", SSOL, "        return _Entrywise(self.a * other.a + self.b * other.b.T, self.a * other.b + self.b * other.a.T,",
       "        return _Entrywise(self.a * other.a + self.b * other.b.T, self.a * other.b + self.b * other.a,",
       "composition of entrywise maps: a transpose dropped", (T_QXXS,)),
    _m("ST12", SSOL, "    s, D = s + k1.s_coef * zs, D + k1(zD)", "    s, D = s + k1.s_coef * zs, D + zD",
       "structured second stage along the first's free span: K1^-1 not applied to the step", (T_QXXS,)),
    # ---------------------------------------------------------------- proofs/paper/results/ beyond the paper (the rest)
    _m("RF1", FRATE, "        rate = ratfun.factored(-rational_derivative(Fo, S) / rational_derivative(Z, S))",
       "        rate = ratfun.factored(rational_derivative(Fo, S) / rational_derivative(Z, S))",
       "forgetting rate -dF/dZ with the sign flipped", (), ("forgetting-rate",)),
    _m("RF2", FRATE, "        ratio_c = ratfun.factored((Fo.subs(S, 0) - Fo.subs(S, 1)) / (Z.subs(S, 1) - Z.subs(S, 0)))",
       "        ratio_c = ratfun.factored((Fo.subs(S, 0) - Fo.subs(S, 1)) / (Z.subs(S, 1) - Z.subs(S, 0.5)))",
       "end-to-end ratio over half the segment", (), ("forgetting-rate",)),
    _m("RF8", "proofs/paper/results/_beyond.py", "        top = top - part\n", "        top = top + part\n",
       "the quotient rule of rational_derivative with the sign of the denominator's term flipped", (),
       ("forgetting-rate", "task-family")),
    _m("RF9", "proofs/paper/results/_beyond.py", "sp.Mul(*[b.as_expr() ** (j + 1) for b, j in bases])",
       "sp.Mul(*[b.as_expr() ** j for b, j in bases])",
       "rational_derivative's denominator one power short (prod D_k^j_k for prod D_k^(j_k + 1))", (),
       ("forgetting-rate", "task-family")),
    _m("RF3", FRATE, '        fa, fb = few_shot_limit("pretrain", "opposite"), few_shot_limit("full", "opposite")',
       '        fa, fb = few_shot_limit("pretrain", "target"), few_shot_limit("full", "opposite")',
       "(b)'s ratio: the pretrained error on theta_0 for -theta_0", (), ("forgetting-rate",),
       equivalent="the pretrained (V_hat, Q_hat) does not depend on theta_0 and predicts linearly in the labels "
                  "(v_0 = 0, no bias), so its n -> oo error is even in the task: the errors on theta_0 and "
                  "-theta_0 are the same number, and so is (b)'s ratio"),
    _m("RE1", ESTOP, '    aux = compare("path:value", f"mixed:{n_ft}", columns=_columns(n_ft), levels=0, **setting)',
       '    aux = compare("path:value", f"mixed:{n_ft + 1}", columns=_columns(n_ft), levels=0, **setting)',
       "early stopping against the auxiliary loss at n_ft + 1", ("tests/test_early_stopping_auxiliary.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("RE2", ESTOP, '    return [Column(n_ft, "target"), Column(n_ft, "opposite"), Column(None, "target"), Column(None, "opposite")]',
       '    return [Column(n_ft, "target"), Column(n_ft, "target"), Column(None, "target"), Column(None, "opposite")]',
       "the n_ft-shot error on -theta_0 compared on theta_0", (), ("early-stopping-vs-auxiliary",)),
    _m("RE3", ESTOP, "        values[D_OPPOSITE] = _verdict(dpt.columns[1].lower, DPOINT)",
       "        values[D_OPPOSITE] = _verdict(dpt.columns[0].lower, DPOINT)",
       "(d)'s verdict on -theta_0 read from the theta_0 column", (), ("early-stopping-vs-auxiliary",)),
    # ---------------------------------------------------------------- proofs/quantities/compare*.py (the exact route)
    _m("CP1", "proofs/quantities/compare_exact.py", "            nxt[i + 1] += x * w\n", "            nxt[i + 1] += x * fa\n",
       "a resultant's root narrowed on R carried to [0, 1] with the wrong scale (x = a + a t)",
       ("tests/test_compare.py",), ("early-stopping-vs-auxiliary",)),
    _m("CP2", "proofs/quantities/compare_exact.py", "        if changes == 1:\n", "        if changes >= 1:\n",
       "Descartes' rule read as: any sign variation, one root in (0, 1)", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("CP3", "proofs/quantities/compare_exact.py", "dup_mul_ground(rd, ck, QQ)", "dup_mul_ground(rd, bk, QQ)",
       "the equation a(p) b(q) - c(q) d(p) with b in place of c", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("CP4", "proofs/quantities/compare_curves.py", "    s2 = QQ.convert(sp.Rational(s.sigma2))\n",
       "    s2 = QQ.convert(sp.Rational(s.sigma2) / 2)\n",
       "the exact path read at sigma^2 / 2 from its coefficients in sigma^2", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("CP5", "proofs/quantities/compare.py", "            _gaps(self._columns, self._value)\n", "",
       "the lazily computed grid leaves the pieces' largest gaps unfilled", ("tests/test_compare.py",)),
    _m("CP6", "symbolic/univariate.py", "                    out[top - k - i] += c * b\n",
       "                    out[top - k - i] += c\n",
       "moebius: (1 - y)^j's binomial coefficients dropped", ("tests/test_univariate.py", "tests/test_compare.py"),
       ("early-stopping-vs-auxiliary",)),
    _m("CP7", "proofs/quantities/compare_exact.py", 'terms = {m[1]: c for m, c in a.resultant(b, "q").to_dict().items()}',
       'terms = {m[1]: c for m, c in a.resultant(b, "p").to_dict().items()}',
       "the crossings' resultant (FLINT) eliminates p, not q", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("CP8", "proofs/quantities/compare_exact.py", "            if den < 0:\n                num, den = -num, -den\n", "",
       "a quotient of enclosure bounds with a negative denominator not flipped (integer form)",
       ("tests/test_compare.py",), ("early-stopping-vs-auxiliary",)),
    _m("CP9", "proofs/quantities/compare_exact.py", "    if dnum.degree() >= 1 and _descartes_01(_integer_coeffs(dnum)[0]) == 0:",
       "    if dnum.degree() >= 1 and _descartes_01(_integer_coeffs(dnum)[0]) <= 1:",
       "monotone read off Descartes' rule with one sign variation allowed", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("CP10", "proofs/quantities/compare_curves.py", "    grad = [2 * (Au[i] - b[i]) for i in range(n)]",
       "    grad = [(Au[i] - b[i]) for i in range(n)]",
       "the sigma^2-free path's beta from half the error's gradient at u_*", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("CP11", "proofs/quantities/compare_curves.py", '        expr = few_shot_limit(answer.question, c.task, s.m, n_ft)',
       '        expr = few_shot_limit(answer.question, "target", s.m, n_ft)',
       "a point side's n -> oo error on -theta_0 read on theta_0", ("tests/test_compare.py",),
       ("early-stopping-vs-auxiliary",)),
    _m("R11", "proofs/paper/results/tradeoff_value.py",
       "    psd = is_psd(H0.tolist()) and is_psd(H1.tolist())",
       "    psd = is_psd((-H0).tolist()) and is_psd(H1.tolist())",
       "the zero-shot Hessian's PSD test on -H0 (the sign of the curvature flipped)",
       (), ("tradeoff-value",)),
    _m("RK1", QKFS, '    return make_spec(("Qxx",), [(1, n_ft, "target")], name="query-xx-fewshot")',
       '    return make_spec(("Qxx",), [(1, n_ft + 1, "target")], name="query-xx-fewshot")',
       "Q_xx fine-tuned on the (n_ft + 1)-shot loss", (), ("query-key-few-shot",)),
    _m("RK2", QKFS, '    return make_spec(Q_ALL, [(1, n_ft, "target")], name="query-all-fewshot")',
       '    return make_spec(Q_ALL, [(1, n_ft, "opposite")], name="query-all-fewshot")',
       "all of Q fine-tuned on -theta_0", (), ("query-key-few-shot",)),
    _m("RL1", LRANK, '           "few_o": _k(D.error(R, -THETA0, N_FT, factored=shown)),',
       '           "few_o": _k(D.error(R, THETA0, N_FT, factored=shown)),',
       "low rank: the few-shot error on -theta_0 computed on theta_0", (), ("low-rank-fine-tuning",),
       equivalent="at the rank-r optimum E(n_ft; theta_0) = E(n_ft; -theta_0) (the statement's own claim: both "
                  "are `few`), so the value does not change; as R4, the equality then rests on the theta_0 line"),
    _m("RL2", LRANK, "    gain_full = D.gain_element(jA, jP)\n", "    gain_full = D.gain_element(jAr, jPr)\n",
       "low rank: full fine-tuning's gain taken at rank r", (), ("low-rank-fine-tuning",)),
    _m("RL3", LRANK, '    return make_spec([Rank(block, rank)], [(1, n_ft, "target")], name=f"lora-{block}")',
       '    return make_spec([Rank(block, rank)], [(1, n_ft, "opposite")], name=f"lora-{block}")',
       "low rank: the update fitted on -theta_0", (), ("low-rank-fine-tuning",)),
    _m("RL4", "proofs/quantities/curves.py",
       '    thetas = [env["theta_0"] if t == "target" else -env["theta_0"] for t in tasks]\n',
       '    thetas = [env["theta_0"] for t in tasks]\n',
       "an explicit V, Q's error on -theta_0 (explicit_task_errors) evaluated on theta_0",
       ("tests/test_explicit_task_errors.py",), ("low-rank-fine-tuning",)),
    _m("RL5", "proofs/quantities/curves.py", "        out.append(QQ.to_sympy(num(k) / bottom))",
       "        out.append(QQ.to_sympy(num(k) / den(k + 1)))",
       "an explicit V, Q's error at n (explicit_task_errors' ring route) over the denominator at n + 1",
       ("tests/test_explicit_task_errors.py",), ("low-rank-fine-tuning",)),
    # ---------------------------------------------------------------- symbolic/lowrank_answer.py (the rank table;
    # lowrank.py, lowrank_concrete.py, lowrank_path.py: bench/mutate_rank.py)
    _m("LA1", LANS, '            "n_ft-shot on -theta_0": D.error_at(jA, jP, -THETA0, n_ft),',
       '            "n_ft-shot on -theta_0": D.error_at(jA, jP, THETA0, n_ft),',
       "rank table: the n_ft-shot error on -theta_0 computed on theta_0", (T_RANK_TABLE,)),
    _m("LA2", LANS, "            piece_jP = R - used\n", "            piece_jP = R - used - 1\n",
       "rank table: the perp piece's rank count off by one", (T_RANK_TABLE,)),
    _m("LA3", LANS, '            "n -> oo on theta_0": D.error_at(jA, jP, THETA0, sp.oo),',
       '            "n -> oo on theta_0": D.error_at(jA, jP, THETA0, n_ft),',
       "rank table: the n -> oo error on theta_0 taken at n_ft shots", (T_RANK_TABLE,)),
    _m("LA4", LANS, '    gain = sp.factor(base["training loss"] - vals["training loss"])',
       '    gain = sp.factor(vals["training loss"] - base["training loss"])',
       "rank table: the gain with its sign flipped", (T_RANK_TABLE,)),
    _m("LA5", LANS, '            jA += 1\n', '            jA += 2\n', "rank table: a theta-block rank counted twice",
       (T_RANK_TABLE,)),
    # ---------------------------------------------------------------- symbolic/depth_float.py (the float compiler;
    # the other depth modules: bench/mutate_depth.py)
    _m("DF1", DFLT, "                for k in reversed(word):\n                    v = atom(k) @ v",
       "                for k in word:\n                    v = atom(k) @ v", "compiled bilinear form: the word applied in the wrong order",
       (T_DFLOAT,)),
    _m("DF2", DFLT, "            mats[key] = M.T if tr else M", "            mats[key] = M", "compiled atoms: a transpose dropped",
       (T_DFLOAT,)),
    _m("DF3", DFLT, "prefix[w] = atom(w[0]) if len(w) == 1 else word(w[:-1]) @ atom(w[-1])",
       "prefix[w] = atom(w[0]) if len(w) == 1 else atom(w[-1]) @ word(w[:-1])",
       "bound (fast) compile: a word's last atom multiplied on the wrong side", (T_DFLOAT,)),
    _m("DF4", DFLT, "        idx = np.full((len(rows), max(width, 1)), len(specs), dtype=np.int64)",
       "        idx = np.full((len(rows), max(width, 1)), len(specs) - 1, dtype=np.int64)",
       "bound (fast) compile: a short term padded with the last factor, not 1", (T_DFLOAT,)),
    _m("DF5", DFLT, "                    acc = acc @ atom(k)", "                    acc = atom(k) @ acc",
       "compiled trace: the word's atoms in reverse order", (T_DFLOAT,)),
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


def report(rows: list[dict], seconds: float, baseline: float, note: str = "",
           command: str = "") -> str:
    mods: dict[str, list[dict]] = {}
    for r in rows:
        mods.setdefault(r["module"], []).append(r)
    lines = ["# Mutation testing report (bench/mutate.py)", "",
             "Each mutant is one plausible mathematical bug, applied alone in a scratch copy; it is *killed* when "
             "its tight test selection or `prove` of the results named fails (a run past the per-mutant timeout "
             "counts as killed and is marked). Equivalent mutants change no mathematical output and are left out "
             "of the rate.", "",
             f"Command: `PYTHONPATH=$PWD nice python bench/mutate.py{command}` — {len(rows)} mutants, "
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
    ap.add_argument("--only", default="", help="comma-separated mutation ids or shell patterns (N* = numeric/)")
    ap.add_argument("--list", action="store_true", help="list the mutations and check that each applies")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant (tests + prove)")
    ap.add_argument("--report", default=None, help="where the report goes (default bench/mutation-report.md "
                    "for a run of every mutation; with --only, none unless given)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--from-log", default="", help="comma-separated logs of runs: write the report "
                    "from the mutants they show finished (an interrupted run, or disjoint --only runs)")
    args = ap.parse_args(argv)
    if args.from_log:
        return _report_from_log([Path(x) for x in args.from_log.split(",")], Path(args.report or DEFAULT_REPORT))
    pats = [p for p in args.only.split(",") if p]
    chosen = [m for m in MUTATIONS if not pats or any(fnmatch.fnmatchcase(m.id, p) for p in pats)]
    if not chosen:
        raise SystemExit(f"--only {args.only!r}: no mutation has such an id")
    report_path = args.report or (None if pats else str(DEFAULT_REPORT))
    cmd = "".join(" " + (a if a.replace("-", "").replace(",", "").replace("=", "").isalnum() else repr(a))
                  for a in (argv if argv is not None else sys.argv[1:]))
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
            if report_path:   # a stopped run still leaves the mutants it finished
                Path(report_path).write_text(report(rows, time.perf_counter() - t0, baseline, command=cmd))
        text = report(rows, time.perf_counter() - t0, baseline, command=cmd)
        if report_path:
            Path(report_path).write_text(text)
        print(text)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
