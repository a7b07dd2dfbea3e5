"""Benchmark: the two shortcuts of symbolic/objective.py against the routes they replace, on
the calls a whole ``prove`` run makes.

Run:  nice .venv/bin/python bench/bench_objective_routes.py

One ``prove`` run (every result's ``check()``) records the arguments of each pair moment
``E[T_1 T_2]`` and of each cached finite-n error; then, in this process (SymPy's cache as
``prove`` left it, the Wick contraction cache cleared before each timing), CPU seconds of

* ``E[T_1 T_2]`` by direct pairing over tokens 1, 2 and the query (the reference) against
  ``E_q[(E_1 T_1)^2]`` (``_pairs_by_token``), on every pair moment of the run;
* ``_tidy(_expected_error_raw(...))`` (the reference: the weighted sum as an expression, each
  coefficient then cancelled) against ``_error_in_ring`` (the weighted sum and the cancel in
  one polynomial ring), on every finite-n error of the run, moments computed beforehand;

and the ratios (shortcut / reference; no absolute thresholds: machines differ).  Each pair is
checked equal (the pair moments in value, the errors term for term).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sympy as sp  # noqa: E402

import symbolic.objective as O  # noqa: E402
import symbolic.wick as W  # noqa: E402
from proofs.paper.results import all_results  # noqa: E402
from symbolic import ratfun  # noqa: E402
from symbolic.model import prediction_terms  # noqa: E402


def _record():
    pairs, errors = [], []
    pairs_fn, err_fn = O._pairs_cached, O._expected_error_cached

    def pairs_rec(*a):
        pairs.append(a)
        return pairs_fn(*a)

    def err_rec(*a):
        errors.append(a)
        return err_fn(*a)

    O._pairs_cached, O._expected_error_cached = pairs_rec, err_rec
    try:
        for r in all_results():
            r.check()
    finally:
        O._pairs_cached, O._expected_error_cached = pairs_fn, err_fn
    return sorted(set(pairs), key=pairs.index), sorted(set(errors), key=errors.index)


def _cpu(fn, items) -> tuple[float, list]:
    W._CONTRACT_CACHE.clear()
    t = time.process_time()
    out = [fn(x) for x in items]
    return time.process_time() - t, out


def main() -> None:
    pairs, errors = _record()
    pts = [prediction_terms(*a[:3]) for a in pairs]
    t_ref, ref = _cpu(lambda pt: O._expect_data(pt.T1 * pt.T2, ("1", "2", "q")), pts)
    t_new, new = _cpu(O._pairs_by_token, pts)
    for a, b in zip(ref, new):
        assert set(a.terms) == set(b.terms) and all(ratfun.is_zero(a.terms[k] - b.terms[k]) for k in a.terms)
    print(f"E[T_1 T_2], {len(pts)} moments: three tokens {t_ref:.3f} s, by token {t_new:.3f} s, "
          f"ratio {t_new / t_ref:.2f}")
    rational = []
    for blocks, task, scale, n in errors:
        m = O._moments(blocks, task, scale, zero_shot=(n == 0), value_only=True)
        try:
            O._error_in_ring(m, n)
        except ratfun.NotRational:
            continue
        O._moments(blocks, task, scale, zero_shot=(n == 0))
        rational.append((blocks, task, scale, n, m))
    t_ref, ref = _cpu(lambda a: O._tidy(O._expected_error_raw(*a[:4])), rational)
    t_new, new = _cpu(lambda a: O._error_in_ring(a[4], a[3]), rational)
    for a, b in zip(ref, new):
        assert [(k, sp.srepr(c)) for k, c in a.terms.items()] == [(k, sp.srepr(c)) for k, c in b.terms.items()]
    print(f"finite-n error, {len(rational)} calls: expression + _tidy {t_ref:.3f} s, ring {t_new:.3f} s, "
          f"ratio {t_new / t_ref:.2f}")


if __name__ == "__main__":
    main()
