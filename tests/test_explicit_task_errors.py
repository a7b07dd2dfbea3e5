"""curves.explicit_task_errors (each task's rational function of n evaluated by Horner in QQ, its
limit off the leading coefficients) against curves.explicit_errors per task (the rational function's
expression, cancelled, then evaluated): the same numbers, types and limits."""
import random

import sympy as sp

from proofs.quantities.curves import explicit_errors, explicit_task_errors
from proofs.quantities.setting import setting as make


def _case(seed: int, d: int):
    rnd = random.Random(seed)
    R = lambda: sp.Rational(rnd.randint(-5, 5), rnd.randint(1, 4))  # noqa: E731
    A = sp.Matrix(d, d, lambda i, j: R())
    where = make(d, Sigma=A * A.T + sp.eye(d), theta0=[R() for _ in range(d)],
                 sigma2=sp.Rational(rnd.randint(1, 9), 10), n_ft=2)
    V = sp.Matrix(d + 2, d + 2, lambda i, j: R() if rnd.random() < 0.6 else 0)
    Q = sp.Matrix(d + 2, d + 2, lambda i, j: R() if rnd.random() < 0.6 else 0)
    return V, Q, where


def test_both_tasks_equal_the_per_task_route():
    differ = 0
    for seed, d in ((1, 2), (2, 3), (3, 1)):
        V, Q, where = _case(seed, d)
        ns = [0, 1, 5]
        want = {t: explicit_errors(V, Q, where, t, ns) for t in ("target", "opposite")}
        for tasks in (("target", "opposite"), ("opposite",), ("target",)):
            got = explicit_task_errors(V, Q, where, tasks, ns)
            assert set(got) == set(tasks)
            for t in tasks:
                assert got[t] == want[t]
                assert [type(x) for x in got[t][0]] == [type(x) for x in want[t][0]]
        differ += want["target"] != want["opposite"]
    assert differ >= 1     # theta_0 and -theta_0 told apart (a dropped sign would fail)


def test_bad_task():
    V, Q, where = _case(4, 2)
    try:
        explicit_task_errors(V, Q, where, ("angle",), [0])
    except ValueError as exc:
        assert "task" in str(exc)
    else:
        raise AssertionError("a bad task was accepted")
