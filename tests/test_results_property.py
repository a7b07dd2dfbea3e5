"""The results' property test: settings drawn within the paper's results' stated assumptions
(d, Sigma symmetric positive definite, theta_0 != 0, any task theta, sigma^2 >= 0; m -> oo and
n_ft -> oo as the paper's statements assume), and every error a result's ``evaluate`` gives there
equals an independent computation, or ``evaluate`` refuses with its reason.

The independent computation: the strategy's parameters at the setting, and their n-shot error
(n = 0, or the limit n -> oo) from :func:`numeric.moment_error`, the Gaussian-moment formula in
float64 that shares no code with ``symbolic/`` (it is checked against the reference Monte Carlo
elsewhere).  Scope: the error statements of the paper's nine results (a parameter statement such
as v_x^c is checked against the explicit minimiser in tests/test_evaluate_vectors.py); the
results beyond the paper are drawn over their own settings in tests/test_beyond_any_setting.py.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numeric import moment_error
from proofs import api
from proofs.paper.results import get

R = sp.Rational
PAPER = ("corollary-4.1", "corollary-4.2", "theorem-4.3", "corollary-4.4", "theorem-4.6", "proposition-4.7",
         "corollary-4.8", "theorem-4.9", "proposition-4.10")
STRATEGY = {"V_hat": "pretrain", "V_b": "full", "V_c": "value", "V_d": "value-fewshot"}
#: E(V_x, Q_y, n; task), possibly under lim_(n->oo)
ERROR = re.compile(r"^(lim_\(n->oo\) )?E\((V_\w+), Q_\w+, (0|n); (-?theta_0|theta)\)$")


@st.composite
def paper_settings(draw):
    d = draw(st.integers(2, 3))
    L = sp.Matrix(d, d, draw(st.lists(st.integers(-2, 2), min_size=d * d, max_size=d * d)))
    Sigma = (L * L.T + sp.eye(d)) / draw(st.sampled_from([1, 2]))        # symmetric positive definite
    theta0 = draw(st.lists(st.integers(-2, 2), min_size=d, max_size=d).filter(any))
    theta = draw(st.lists(st.integers(-2, 2), min_size=d, max_size=d))
    sigma2 = draw(st.sampled_from([R(0), R(1, 10), R(1), R(5)]))
    return Sigma, theta0, theta, sigma2


def _independent(strategy, n, task, Sigma, theta0, theta, sigma2, cache):
    if strategy not in cache:
        p = api.params(strategy, Sigma=Sigma, theta0=theta0, sigma2=sigma2)
        cache[strategy] = tuple(np.array(sp.Matrix(M).tolist(), dtype=float) for M in (p.V, p.Q))
    V, Q = cache[strategy]
    vec = {"theta_0": theta0, "-theta_0": [-x for x in theta0], "theta": theta}[task]
    return moment_error(V, Q, n=math.inf if n == "n" else 0, theta=np.array(vec, dtype=float),
                        Sigma=np.array(Sigma.tolist(), dtype=float), sigma2=float(sigma2))


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(paper_settings())
def test_every_paper_error_equals_an_independent_computation_or_is_refused(setting):
    Sigma, theta0, theta, sigma2 = setting
    cache: dict = {}
    checked = 0
    for rid in PAPER:
        r = get(rid)
        try:
            out = r.evaluate(Sigma=Sigma, theta_0=theta0, theta=theta, sigma2=sigma2)
        except ValueError as err:                       # a refusal names what it lacks
            assert str(err).split(":")[0].strip() in {"theta", "Sigma", "theta_0", "sigma2", "n", "m", "n_ft"}, err
            continue
        for lhs, (derived, stated) in out.items():
            m = ERROR.match(str(lhs))
            if m is None:
                continue
            lim, v, n, task = m.groups()
            assert (lim is not None) == (n == "n"), lhs
            want = _independent(STRATEGY[v], n, task, Sigma, theta0, theta, sigma2, cache)
            assert float(derived) == pytest.approx(want, rel=1e-9, abs=1e-12), (rid, str(lhs))
            assert sp.simplify(derived - stated) == 0, (rid, str(lhs))
            checked += 1
    assert checked >= 10
