"""The poster's right panel on a softmax transformer: run the experiment, set the theory beside it, judge the claims.

:func:`run_experiment` trains (:mod:`numeric.transformer`) over several seeds and returns a
JSON-ready dict; :func:`theory` evaluates the linear model's derived errors
(:func:`symbolic.derive`, :meth:`symbolic.Strategy.evaluate_error`) at the same d, sigma^2,
theta0, tasks and shots; :func:`claims` sets each of the poster's qualitative claims against
what the transformer did; :func:`claims_table` prints them. The figure is
:mod:`proofs.figures.transformer`.

Statistics. Within a seed every model is evaluated on the same prompts, so a difference
between two models is paired; a claim's statistic is computed per seed and summarised by
its mean over seeds and the standard error of that mean (the spread over seeds, which
includes the prompt noise). A claim **agrees** when the mean is on the claimed side by more
than ``t`` standard errors, ``t`` the two-sided 95% Student quantile with K - 1 degrees of
freedom (4.30 for 3 seeds), **disagrees** when it is that far on the other side, and is
**inconclusive** otherwise. With one seed the standard error is the prompts' alone
(``sqrt(se_1^2 + se_2^2)``, conservative for paired prompts) and ``t = 1.96``. Claims about
sizes ("comparable", "keeps") compare a ratio of mean differences with a stated threshold.
"""
from __future__ import annotations

import math
import platform
import time
from typing import Any, Callable, Sequence

__all__ = ["run_experiment", "theory", "claims", "claims_table", "summarise", "MAX_SEEDS", "FORMAT",
           "CLAIM_N", "device_description", "agreement"]

FORMAT = "icl-finetune-transformer-1"
#: the largest ``--seeds`` accepted (each seed is a full pretraining)
MAX_SEEDS = 20
#: the shots at which the few-shot claims and the figure are read
CLAIM_N = 20
#: theory strategies (the linear model has a derivation for these)
THEORY_MODELS = ("pretrain", "full", "value", "value-fewshot")
#: two-sided 95% Student t quantiles by degrees of freedom
_T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23,
        12: 2.18, 15: 2.13, 19: 2.09}


def _t95(df: int) -> float:
    if df <= 0:
        return 1.96
    keys = [k for k in sorted(_T95) if k <= df]
    return _T95[keys[-1]]


def device_description() -> str:
    """Which device JAX computes on, in words (``cpu`` unless a GPU or TPU is present)."""
    import jax
    devs = jax.devices()
    kind = devs[0].platform
    if kind == "cpu":
        import os
        return f"cpu ({os.cpu_count()} cores visible; JAX found no GPU)"
    return f"{kind}: {devs[0].device_kind} (x{len(devs)})"


# ----------------------------------------------------------------------------- running

def run_experiment(config: Any, seeds: Sequence[int], *, progress: bool = True,
                   checkpoint_dir: Any = None, log: Callable[[str], None] | None = None,
                   on_seed: Callable[[list[dict]], None] | None = None) -> dict:
    """Run :func:`numeric.transformer.experiment.run_seed` for each seed, summarise, add the
    theory and the claims. ``config``: an :class:`numeric.transformer.experiment.ExperimentConfig`.

    The theory is computed first (a failure there costs no training); ``on_seed(per_seed)`` is
    called after each seed with the results so far (e.g. to save them)."""
    import jax
    from numeric.transformer.experiment import run_seed
    t0 = time.perf_counter()
    seeds = [int(s) for s in seeds]
    th = theory(config)
    theory_seconds = time.perf_counter() - t0
    total = len(seeds) * config.steps_per_seed
    bar = None
    if progress:
        import sys
        from tqdm import tqdm
        bar = tqdm(total=total, desc="transformer", unit="step", file=sys.stderr, dynamic_ncols=True,
                   mininterval=0.5)
    per_seed = []
    try:
        for s in seeds:
            if bar is not None:
                bar.set_description(f"transformer seed {s}")
            ckpt = None if checkpoint_dir is None else f"{checkpoint_dir}/seed{s}"
            per_seed.append(run_seed(config, s, progress=None if bar is None else bar.update,
                                     checkpoint_dir=ckpt))
            if log is not None:
                e = per_seed[-1]["errors"]["pretrain"]["theta0"]
                log(f"seed {s}: pretrained zero-shot {e['mean'][0]:.3f}, "
                    f"{config.ns[-1]}-shot {e['mean'][-1]:.3f} on theta0")
            if on_seed is not None:
                on_seed(per_seed)
    finally:
        if bar is not None:
            bar.close()
    train_seconds = time.perf_counter() - t0 - theory_seconds
    out = {
        "format": FORMAT,
        "config": config.to_dict(),
        "seeds": seeds,
        "device": device_description(),
        "versions": {"jax": jax.__version__, "python": platform.python_version()},
        "claim_n": CLAIM_N if CLAIM_N in config.ns else config.ns[-1],
        "per_seed": per_seed,
        "summary": summarise(per_seed),
        "theory": th,
    }
    depth = config.model.kind == "linear" and config.model.layers > 1  # no one-layer control at depth
    if config.model.kind == "linear" and not depth:  # (b)'s free scale C as trained; the theory at it; exact errors
        from proofs.paper.transformer_control import control_report, exact_per_seed, scale_of_full
        Cs = [scale_of_full(r["linear_params"]["full"], config.theta0) for r in per_seed]
        out["theory"] = theory(config, C=sum(Cs) / len(Cs))
        out["linear"] = control_report(per_seed, config, Cs)
    out["claims"] = claims(out)
    if config.model.kind == "linear" and not depth:  # the claims again from the trained parameters' exact errors
        out["claims_exact"] = claims({**out, "per_seed": exact_per_seed(out["linear"])})
        out["linear"]["agreement"] = {"monte_carlo": agreement(out["claims"]),
                                      "exact": agreement(out["claims_exact"])}
    out["seconds"] = {"total": time.perf_counter() - t0, "train_and_evaluate": train_seconds,
                      "theory": theory_seconds}
    return out


def summarise(per_seed: list[dict]) -> dict:
    """``summary[model][task] = {ns, mean, se, se_prompts}``: the mean over seeds of each error,
    the standard error of that mean over seeds (``None`` for one seed), and the prompts' part
    ``sqrt(sum_k se_k^2) / K``."""
    K = len(per_seed)
    first = per_seed[0]["errors"]
    out: dict[str, dict] = {}
    for model, tasks in first.items():
        out[model] = {}
        for task, e in tasks.items():
            ns = e["ns"]
            means, ses, sep = [], [], []
            for i in range(len(ns)):
                vals = [r["errors"][model][task]["mean"][i] for r in per_seed]
                m = sum(vals) / K
                means.append(m)
                ses.append(None if K < 2 else math.sqrt(sum((v - m) ** 2 for v in vals) / (K - 1) / K))
                sep.append(math.sqrt(sum(r["errors"][model][task]["se"][i] ** 2 for r in per_seed)) / K)
            out[model][task] = {"ns": ns, "mean": means, "se": ses, "se_prompts": sep}
    return out


# ----------------------------------------------------------------------------- theory

def theory(config: Any, C: float = 1) -> dict:
    """The linear model's derived errors at the experiment's setting: ``theory[model][task]`` =
    ``{ns, error, limit}`` for pretrain, full, value, value-fewshot, with Sigma = I, pretraining
    context m = the experiment's ``pretrain_m`` (m = oo, the poster's table, when pretraining
    averages over n), strategy (d)'s auxiliary loss at ``n_ft`` = the experiment's, strategy
    (b)'s free scale ``C`` (default 1), tasks at the experiment's angles from theta0 (exactly: cos
    and sin of the angle). Also ``setting``, the values used. The linear model at depth L >= 2:
    :func:`depth_theory`."""
    if getattr(config.model, "kind", None) == "linear" and config.model.layers > 1:
        return depth_theory(config)
    import sympy as sp
    from fractions import Fraction
    from symbolic import derive
    from numeric.transformer.experiment import ANGLE_NAMES

    d = config.model.d
    sigma2 = sp.Rational(Fraction(repr(float(config.sigma2))))
    th0 = config.theta0
    if not (abs(th0[0] - 1) < 1e-12 and all(abs(v) < 1e-12 for v in th0[1:])):
        raise ValueError("theta0: the theory panel is computed for theta0 = e_1 only")
    Sigma = sp.eye(d)
    theta0 = sp.Matrix([1] + [0] * (d - 1))
    angles = {"theta0": 0, "pi/6": sp.pi / 6, "pi/3": sp.pi / 3, "pi/2": sp.pi / 2, "-theta0": sp.pi}
    m = sp.oo if getattr(config, "pretrain_m", None) is None else int(config.pretrain_m)
    C = sp.Rational(Fraction(repr(float(C)))) if not isinstance(C, int) else sp.Integer(C)
    out: dict[str, Any] = {"setting": {"d": d, "sigma2": float(sigma2), "Sigma": "identity", "m": str(m),
                                       "n_ft": config.n_ft, "scale_C": float(C), "theta0": "e_1"}}
    from symbolic import THETA, N
    from symbolic.evaluation import evaluate_poly
    for model in THEORY_MODELS:
        s = derive(model, m, config.n_ft) if model == "value-fewshot" else derive(model, m)
        poly = s.error_poly(THETA, N)  # E(V*, Q*, n; theta), n symbolic: evaluated once per task
        lim = _limit_poly(poly)
        out[model] = {}
        for task in ANGLE_NAMES:
            a = angles[task]
            theta = sp.Matrix([sp.cos(a), sp.sin(a)] + [0] * (d - 2))
            env = {"Sigma": Sigma, "theta_0": theta0, "theta": theta, "sigma": sp.sqrt(sigma2), "C": C}
            of_n = evaluate_poly(poly, env)
            errs = [float(of_n.subs(N, k)) if getattr(of_n, "free_symbols", None) else float(of_n)
                    for k in config.ns]
            limit = None if lim is None else float(evaluate_poly(lim, env))
            out[model][task] = {"ns": list(config.ns), "error": errs, "limit": limit}
    return out


def depth_theory(config: Any) -> dict:
    """The theory beside the linear model at depth L = 2, 3: the depth-L class's errors
    (:func:`symbolic.depth_curves.depth_curves`: (a) the class's pretraining minimiser at m = the
    experiment's ``pretrain_m``, (c) and (d) the last layer's values from it) on theta0 and -theta0
    only (``limit`` None); no (b), no other angles (no derivation at depth). The trained model is not
    in the class (``bench/depth_training_vs_class.py``): this is the class's value, not a prediction
    the training must meet."""
    from fractions import Fraction
    from symbolic.depth_curves import depth_curves
    L, d = config.model.layers, config.model.d
    if config.pretrain_m is None:
        raise ValueError("config: the depth theory needs pretraining at one m (pretrain_m), got None")
    s2 = Fraction(repr(float(config.sigma2)))
    c = depth_curves(L, d=d, m=int(config.pretrain_m), n_ft=int(config.n_ft), sigma2=str(s2),
                     theta0=[float(t) for t in config.theta0], ns=config.ns)
    out: dict[str, Any] = {"setting": {"d": d, "sigma2": float(s2), "Sigma": "identity", "m": str(config.pretrain_m),
                                       "n_ft": config.n_ft, "theta0": [float(t) for t in config.theta0],
                                       "layers": L, "gammas": list(c.gammas),
                                       "source": f"the depth-{L} class's minimiser and its last layer's values "
                                                 "(symbolic.depth_curves); theta0 and -theta0 only"}}
    for model, errs in c.errors.items():
        out[model] = {task: {"ns": list(config.ns), "error": list(errs[key]), "limit": None}
                      for task, key in (("theta0", "target"), ("-theta0", "opposite"))}
    return out


def _limit_poly(poly: Any) -> Any:
    """``lim_{n -> oo}`` of an engine polynomial (None where this symbolic version has no such helper:
    the limit is a convenience, the figure reads finite n)."""
    try:
        from symbolic.strategy import limit_poly
    except ImportError:
        return None
    return limit_poly(poly)


# ----------------------------------------------------------------------------- claims

def _stat(per_seed: list[dict], f: Callable[[Callable], float], g: Callable[[Callable], float] | None = None
          ) -> tuple[float, float, list[float]]:
    """Mean over seeds of ``f(err)`` (``err(model, task, n)`` reads a seed's estimate) and its SE.
    With one seed the SE is ``g(se)`` (the prompts' part)."""
    vals = []
    for r in per_seed:
        def err(model: str, task: str, n: int, _r=r) -> float:
            e = _r["errors"][model][task]
            return e["mean"][e["ns"].index(n)]
        vals.append(f(err))
    K = len(vals)
    m = sum(vals) / K
    if K >= 2:
        se = math.sqrt(sum((v - m) ** 2 for v in vals) / (K - 1) / K)
    elif g is not None:
        r = per_seed[0]

        def sd(model: str, task: str, n: int) -> float:
            e = r["errors"][model][task]
            return e["se"][e["ns"].index(n)]
        se = g(sd)
    else:
        se = float("nan")
    return m, se, vals


def _verdict(mean: float, se: float, sign: int, K: int) -> str:
    """``agrees`` if ``sign * mean > t * se``; ``disagrees`` if ``-sign * mean > t * se``."""
    t = _t95(K - 1)
    if not math.isfinite(se):
        return "inconclusive"
    if sign * mean > t * se:
        return "agrees"
    if -sign * mean > t * se:
        return "disagrees"
    return "inconclusive"


def claims(result: dict) -> list[dict]:
    """Each of the poster's qualitative claims against the transformer: a list of rows
    ``{id, claim, statistic, transformer: {mean, se, per_seed}, theory, rule, verdict}``."""
    per_seed = result["per_seed"]
    K = len(per_seed)
    n = result["claim_n"]
    th = result["theory"]

    def th_err(model: str, task: str, k: int) -> float | None:
        e = th.get(model, {}).get(task)  # None where there is no derivation (at depth: (b), the angles)
        return None if e is None else e["error"][e["ns"].index(k)]

    def minus(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    rows: list[dict] = []

    def diff(claim_id: str, claim: str, statistic: str, a: tuple, b: tuple, sign: int) -> None:
        m, se, vals = _stat(per_seed, lambda e: e(*a) - e(*b), lambda s: math.hypot(s(*a), s(*b)))
        t = minus(th_err(*a), th_err(*b))
        rows.append({"id": claim_id, "claim": claim, "statistic": statistic,
                     "transformer": {"mean": m, "se": se, "per_seed": vals}, "theory": t,
                     "rule": f"{'<' if sign < 0 else '>'} 0 by more than t*SE (t = {_t95(K - 1):.2f})",
                     "verdict": _verdict(m, se, sign, K),
                     "theory_verdict": None if t is None else _verdict(t, 0.0, sign, K)})

    def ratio(claim_id: str, claim: str, statistic: str, num: tuple, den: tuple, test: Callable[[float], bool],
              rule: str) -> None:
        def f(e):
            dn = e(*den[0]) - e(*den[1])
            return (e(*num[0]) - e(*num[1])) / dn if dn != 0 else float("nan")
        m_num, _, v_num = _stat(per_seed, lambda e: e(*num[0]) - e(*num[1]))
        m_den, _, v_den = _stat(per_seed, lambda e: e(*den[0]) - e(*den[1]))
        point = m_num / m_den if m_den != 0 else float("nan")
        per = [a / b if b != 0 else float("nan") for a, b in zip(v_num, v_den)]
        se = (math.sqrt(sum((v - sum(per) / K) ** 2 for v in per) / (K - 1) / K) if K >= 2 else float("nan"))
        t_num = minus(th_err(*num[0]), th_err(*num[1]))
        t_den = minus(th_err(*den[0]), th_err(*den[1]))
        if t_num is None:
            t_den = None
        rows.append({"id": claim_id, "claim": claim, "statistic": statistic,
                     "transformer": {"mean": point, "se": se, "per_seed": per},
                     "theory": t_num / t_den if t_den else None, "rule": rule,
                     "verdict": "agrees" if math.isfinite(point) and test(point) else "disagrees",
                     "theory_verdict": ("agrees" if test(t_num / t_den) else "disagrees") if t_den else None})

    T0, OPP = "theta0", "-theta0"
    diff("b-zero-shot", "(b) improves zero-shot error on theta0",
         "E0(b) - E0(pre) on theta0", ("full", T0, 0), ("pretrain", T0, 0), -1)
    diff("b-few-shot-theta0", "(b) degrades few-shot error on theta0",
         f"E{n}(b) - E{n}(pre) on theta0", ("full", T0, n), ("pretrain", T0, n), +1)
    diff("b-few-shot-opposite", "(b) degrades few-shot error on -theta0",
         f"E{n}(b) - E{n}(pre) on -theta0", ("full", OPP, n), ("pretrain", OPP, n), +1)
    diff("c-zero-shot", "(c) improves zero-shot error on theta0",
         "E0(c) - E0(pre) on theta0", ("value", T0, 0), ("pretrain", T0, 0), -1)
    ratio("c-comparable-gain", "(c)'s zero-shot gain is comparable to (b)'s",
          "[E0(c) - E0(pre)] / [E0(b) - E0(pre)]", (("value", T0, 0), ("pretrain", T0, 0)),
          (("full", T0, 0), ("pretrain", T0, 0)), lambda r: r >= 0.5, ">= 0.5")
    for task, label in ((T0, "theta0"), (OPP, "-theta0")):
        ratio(f"c-keeps-few-shot-{'theta0' if task == T0 else 'opposite'}",
              f"(c) keeps few-shot error on {label} (far less change than (b))",
              f"[E{n}(c) - E{n}(pre)] / [E{n}(b) - E{n}(pre)] on {label}",
              (("value", task, n), ("pretrain", task, n)), (("full", task, n), ("pretrain", task, n)),
              lambda r: abs(r) <= 0.25, "|ratio| <= 0.25")
    ratio("d-zero-shot", "(d) keeps (c)'s zero-shot error",
          "[E0(d) - E0(c)] / [E0(c) - E0(pre)] on theta0", (("value-fewshot", T0, 0), ("value", T0, 0)),
          (("value", T0, 0), ("pretrain", T0, 0)), lambda r: abs(r) <= 0.25, "|ratio| <= 0.25")
    diff("d-few-shot-theta0", "(d) improves few-shot error on theta0 (against (c))",
         f"E{n}(d) - E{n}(c) on theta0", ("value-fewshot", T0, n), ("value", T0, n), -1)
    diff("d-few-shot-opposite", "(d) degrades few-shot error on -theta0 (against (c))",
         f"E{n}(d) - E{n}(c) on -theta0", ("value-fewshot", OPP, n), ("value", OPP, n), +1)
    # the angle claim: (d) - (c) grows with the angle from theta0
    from numeric.transformer.experiment import ANGLE_NAMES
    by_angle = []
    for task in ANGLE_NAMES:
        m, se, _ = _stat(per_seed, lambda e, t=task: e("value-fewshot", t, n) - e("value", t, n),
                         lambda s, t=task: math.hypot(s("value-fewshot", t, n), s("value", t, n)))
        by_angle.append({"task": task, "mean": m, "se": se,
                         "theory": minus(th_err("value-fewshot", task, n), th_err("value", task, n))})
    monotone = all(b["mean"] > a["mean"] for a, b in zip(by_angle, by_angle[1:]))
    m, se, vals = _stat(per_seed, lambda e: (e("value-fewshot", OPP, n) - e("value", OPP, n))
                        - (e("value-fewshot", T0, n) - e("value", T0, n)))
    verdict = _verdict(m, se, +1, K) if K >= 2 else ("agrees" if m > 0 else "disagrees")
    if verdict == "agrees" and not monotone:
        verdict = "partly (not monotone in the angle)"
    t_diff = minus(by_angle[-1]["theory"], by_angle[0]["theory"])
    every = all(b["theory"] is not None for b in by_angle)  # at depth: theta0 and -theta0 only
    t_mono = every and all(b["theory"] > a["theory"] for a, b in zip(by_angle, by_angle[1:]))
    rows.append({"id": "d-angle", "claim": "(d)'s few-shot change against (c) grows with the angle from theta0",
                 "statistic": f"E{n}(d) - E{n}(c) at angles 0, pi/6, pi/3, pi/2, pi (mean ± SE)",
                 "transformer": {"mean": m, "se": se, "per_seed": vals, "by_angle": by_angle,
                                 "monotone": monotone},
                 "theory": t_diff,
                 "rule": "the pi - 0 difference > 0 by more than t*SE, and the means increase with the angle",
                 "verdict": verdict,
                 "theory_verdict": None if t_diff is None else "disagrees" if t_diff <= 0 else
                 ("agrees" if t_mono else "partly (not monotone in the angle)") if every else "agrees (0 and pi only)"})
    if "query-key" in per_seed[0]["errors"]:
        for cid, stat, a, b in (("qk-zero-shot", "E0(qk) - E0(pre) on theta0", ("query-key", T0, 0),
                                 ("pretrain", T0, 0)),
                                ("qk-few-shot-theta0", f"E{n}(qk) - E{n}(pre) on theta0", ("query-key", T0, n),
                                 ("pretrain", T0, n))):
            mm, ss, vv = _stat(per_seed, lambda e, a=a, b=b: e(*a) - e(*b), lambda s, a=a, b=b: math.hypot(s(*a), s(*b)))
            rows.append({"id": cid, "claim": "query-key only (contrast; the poster makes no claim)",
                         "statistic": stat, "transformer": {"mean": mm, "se": ss, "per_seed": vv},
                         "theory": None, "rule": "reported only", "verdict": "-", "theory_verdict": None})
    for r in rows:  # how far the statistic is from the derived value, in standard errors
        t, se = r["theory"], r["transformer"]["se"]
        r["z"] = (r["transformer"]["mean"] - t) / se if t is not None and se and math.isfinite(se) else None
    return rows


def agreement(rows: list[dict]) -> dict:
    """How the claims' statistics sit against the derived values: the |z| of each claim with a
    theory, how many are within 1 and 2 standard errors, and whether every verdict equals the theory's."""
    zs = {r["id"]: r["z"] for r in rows if r.get("z") is not None}
    same = [r["id"] for r in rows if r.get("theory_verdict") is not None and r["verdict"] != r["theory_verdict"]]
    return {"z": zs, "within_1_se": sum(abs(z) <= 1 for z in zs.values()),
            "within_2_se": sum(abs(z) <= 2 for z in zs.values()), "claims": len(zs),
            "max_abs_z": max((abs(z) for z in zs.values()), default=None),
            "verdicts_differing_from_theory": same}


def ratio_thresholds(claims: list) -> str:
    """The thresholds the ratio claims are judged by, each once with the claims it judges (one
    threshold per claim, the same in the table and the prose: "keeps" means |ratio| <= 0.25, so a
    ratio of 0.228 agrees)."""
    by: dict[str, list[str]] = {}
    for r in claims:
        rule = r.get("rule", "")
        if rule and "t*SE" not in rule and r["id"] != "d-angle":
            by.setdefault(rule if "ratio" in rule else f"ratio {rule}", []).append(r["id"])
    return "; ".join(f"{rule} ({', '.join(ids)})" for rule, ids in by.items())


def claims_table(result: dict, *, markdown: bool = False, key: str = "claims") -> str:
    """The claims as a table: claim, statistic, transformer mean ± SE, linear theory, verdict, the
    theory's own verdict (and, for the linear control, z) (plain text, or a Markdown table with
    ``markdown``). ``key``: ``claims`` or, for the control, ``claims_exact``."""
    linear = result["config"]["model"].get("kind") == "linear"
    rows = [("claim", "statistic", "linear model (trained)" if linear else "transformer", "linear theory",
             "verdict", "theory's verdict") + (("z",) if linear else ())]
    for r in result[key]:
        t = r["transformer"]
        se = t["se"]
        ok = se is not None and math.isfinite(se)
        tr = f"{t['mean']:+.3f} ± {se:.3f}" if ok else f"{t['mean']:+.3f}"
        th = "-" if r["theory"] is None else f"{r['theory']:+.3f}"
        z = () if not linear else ("-" if r.get("z") is None else f"{r['z']:+.1f}",)
        rows.append((r["claim"], r["statistic"], tr, th, r["verdict"], r.get("theory_verdict") or "-") + z)
    K = len(result["seeds"])
    notes = [f"n = {result['claim_n']} shots for the few-shot errors; mean ± SE over {K} seed(s) "
             f"(SE over seeds{'' if K > 1 else ': one seed, prompts only'}); "
             "'agrees' = on the claimed side by more than the 95% t quantile times SE; "
             "ratios are judged by their stated threshold: " + ratio_thresholds(result[key]) + "."]
    by = next((r for r in result[key] if r["id"] == "d-angle"), None)
    if by is not None:
        cells = ", ".join(f"{b['task']}: {b['mean']:+.3f} ± {b['se']:.3f} (theory "
                          f"{'-' if b['theory'] is None else format(b['theory'], '+.3f')})"
                          for b in by["transformer"]["by_angle"])
        notes.append(f"(d) - (c) by angle: {cells}")
    setting = result.get("theory", {}).get("setting", {}) if linear else {}
    if linear and setting.get("layers", 1) > 1:
        L = setting["layers"]
        notes.append(f"the linear model at depth L = {L} (unmasked, every V_l, Q_l pretrained; (b) trains every "
                     f"layer, (c) and (d) the last layer's V only); theory = the depth-{L} class at m = {setting['m']} "
                     "(its minimiser, (c) and (d) on its last layer's values), on theta0 and -theta0 only, no (b): "
                     "not a prediction for the trained model, which is not in the class; "
                     "z = (statistic - theory) / SE")
    elif linear:
        notes.append("z = (statistic - theory) / SE; theory at m = "
                     f"{result['theory']['setting']['m']}, (b)'s scale C = {result['theory']['setting']['scale_C']:.3f}"
                     " (the trained models' mean)")
    ncol = len(rows[0])
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * ncol]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows[1:]]
        return "\n".join(lines + [""] + notes)
    widths = [max(len(row[i]) for row in rows) for i in range(ncol)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + [""] + notes)
