"""The linear control's bookkeeping, without training: fed the derived parameters as if trained,
the control must find the theory exactly (needs JAX for the configuration; a few CPU-seconds).

The derived V and Q at m = 40 (Sigma = I, theta0 = e_1, sigma^2 = 0.1) are built from
:func:`proofs.paper.transformer_control.derived_blocks`; their errors are computed by
:func:`numeric.fast.moment_error` (float64 moments, independent of ``symbolic``) and set against
:func:`proofs.paper.transformer_claims.theory` (the symbolic derivation evaluated at the same m and C). A
wrong m (the poster's m = oo instead of the control's 40), a lost scale C, or a claim whose
theory is computed from the wrong models shows as a mismatch.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("jax", reason="needs the transformer extra: pip install -e '.[transformer]'")
pytest.importorskip("optax", reason="needs the transformer extra: pip install -e '.[transformer]'")

from numeric.transformer.experiment import ExperimentConfig  # noqa: E402
from proofs.paper.transformer_claims import agreement, claims, theory  # noqa: E402
from proofs.paper.transformer_control import control_report, derived_blocks, exact_per_seed, scale_of_full  # noqa: E402


def _derived_params(config, C: float, a: float) -> dict:
    """V and Q of each strategy as derived, in the representative scaled by ``a`` (V -> aV, Q -> Q/a)."""
    d = config.model.d
    b = derived_blocks(config.pretrain_m, config.n_ft, d, config.sigma2)
    th0 = np.asarray(config.theta0)

    def vq(v0x, vy, Q):
        V = np.zeros((d + 2, d + 2))
        V[-1, 1:d + 1] = v0x * th0
        V[-1, -1] = vy
        return {"V": (a * V).tolist(), "Q": (Q / a).tolist()}
    Qpre = np.zeros((d + 2, d + 2))
    Qpre[1:d + 1, 1:d + 1] = b["Gamma"] * np.eye(d)
    Qfull = np.zeros((d + 2, d + 2))
    Qfull[0, 0] = 1 / C
    return {"pretrain": vq(0.0, 1.0, Qpre), "full": vq(C, 1.0, Qfull), "value": vq(b["value_vx"], 1.0, Qpre),
            "value-fewshot": vq(b["value_fewshot_vx"], b["value_fewshot_vy"], Qpre)}


def test_derived_parameters_reproduce_the_theory():
    config = ExperimentConfig.linear(strategies=("full", "value", "value-fewshot"))
    assert config.pretrain_m == 40
    C, a = 0.5, -0.8  # a scale the training might have reached, a negative representative
    params = _derived_params(config, C, a)
    assert math.isclose(scale_of_full(params["full"], config.theta0), C, rel_tol=1e-12)
    per_seed = [{"seed": 0, "linear_params": params}]
    report = control_report(per_seed, config, [C])
    th = theory(config, C=C)
    assert th["setting"]["m"] == "40" and th["setting"]["scale_C"] == C
    for model in ("pretrain", "full", "value", "value-fewshot"):
        for task in ("theta0", "pi/3", "-theta0"):
            exact = report["per_seed"][0]["exact_errors"][model][task]
            np.testing.assert_allclose(exact["mean"], th[model][task]["error"], rtol=1e-9, err_msg=f"{model} {task}")
            if th[model][task]["limit"] is not None:
                assert math.isclose(exact["limit"], th[model][task]["limit"], rel_tol=1e-9)
    seed = report["per_seed"][0]
    assert math.isclose(seed["pretrain_Gamma_max_abs_error"], 0.0, abs_tol=1e-12)
    assert math.isclose(seed["value_fewshot_vy"], report["derived"]["value_fewshot_vy"], rel_tol=1e-12)
    result = {"per_seed": exact_per_seed(report), "claim_n": 20, "theory": th}
    rows = claims(result)
    for r in rows:
        if r["theory"] is not None:
            assert math.isclose(r["transformer"]["mean"], r["theory"], rel_tol=1e-9, abs_tol=1e-12), r["id"]
    agree = agreement(rows)
    assert agree["verdicts_differing_from_theory"] == [] and agree["claims"] == 0  # one seed: no SE, no z


def test_claims_at_depth_use_the_class_theory_where_it_exists():
    """At depth the theory has (a), (c), (d) on theta0 and -theta0 only (the depth-L class): every claim
    reading (b) or another angle gets no theory (None, '-' in the table), the others the class's
    differences, from the right models and tasks (distinct made-up numbers: a swap shows)."""
    from numeric.transformer.experiment import ANGLE_NAMES
    from proofs.paper.transformer_claims import claims_table
    ns = [0, 20]
    val = {"pretrain": 10.0, "full": 20.0, "value": 30.0, "value-fewshot": 40.0}
    task_off = {t: 100.0 * i for i, t in enumerate(ANGLE_NAMES)}
    errors = {m: {t: {"ns": ns, "mean": [v + task_off[t], v + task_off[t] + 1 + 2 * (m == "value-fewshot")],
                      "se": [0.1, 0.1]} for t in ANGLE_NAMES} for m, v in val.items()}
    th = {"setting": {"layers": 2, "m": "40"},
          **{m: {t: {"ns": ns, "error": [v + 0.5 * (t == "-theta0"), v + 7.0 * (t == "-theta0") + 3 * (m == "value")
                                           + 0.25 * (m == "value-fewshot" and t == "-theta0")],
                     "limit": None} for t in ("theta0", "-theta0")}
             for m, v in (("pretrain", 1.0), ("value", 2.0), ("value-fewshot", 4.0))}}
    result = {"per_seed": [{"seed": 0, "errors": errors}], "claim_n": 20, "theory": th, "seeds": [0],
              "config": {"model": {"kind": "linear", "layers": 2}}}
    rows = {r["id"]: r for r in claims(result)}
    assert all(rows[k]["theory"] is None for k in ("b-zero-shot", "b-few-shot-theta0", "b-few-shot-opposite",
                                                     "c-comparable-gain", "c-keeps-few-shot-theta0"))
    assert rows["c-zero-shot"]["theory"] == 2.0 - 1.0            # E0(c) - E0(pre) on theta0
    assert rows["d-few-shot-theta0"]["theory"] == 4.0 - 5.0      # E20(d) - E20(c) on theta0
    assert rows["d-few-shot-opposite"]["theory"] == 11.25 - 12.0  # on -theta0
    assert rows["d-zero-shot"]["theory"] == (4.0 - 2.0) / (2.0 - 1.0)
    assert [b["theory"] for b in rows["d-angle"]["transformer"]["by_angle"]] == [-1.0, None, None, None, -0.75]
    assert rows["d-angle"]["theory"] == 0.25 and rows["d-angle"]["theory_verdict"] == "agrees (0 and pi only)"
    result["claims"] = list(rows.values())
    text = claims_table(result)
    assert "(theory -)" in text and "the linear model at depth L = 2" in text and "no (b)" in text
