"""How the command line prints rank-constrained (LoRA) answers: ``derive --spec`` of a spec with
a constraining rank, ``trajectory --spec`` along LoRA's path, ``frontier --rank``.

Self-contained on purpose (its own small formatting, today's style: ``F.write`` of lines or of
``C.dump_json``), so that it can move into :mod:`proofs.cli.output`'s printers as they are
rewritten: :func:`derive` (from :mod:`proofs.cli.derive`), :func:`trajectory` (from
:mod:`proofs.cli.trajectory`), :func:`frontier_rows` (from :mod:`proofs.cli.frontier`).
"""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O


def _s(e: Any) -> str:
    import sympy as sp
    return sp.sstr(e)


# ----------------------------------------------------------------------------- derive

def derive(args: argparse.Namespace, answer: Any) -> int:
    """``derive --spec`` of a rank-constrained spec: the closed form at symbolic d, or the rank-r
    optimum at the setting the options give (:class:`proofs.quantities.lowrank.RankMinimum`)."""
    from proofs.cli import output as F
    from proofs.cli.printers import common as C
    if answer.setting.symbolic:
        out = _closed(answer)
    else:
        if args.format == "latex":
            raise O.UsageError("--format: latex is for closed forms at symbolic d; use text or json with --d")
        out = _concrete(args, answer)
    if args.format == "json":
        F.write(C.dump_json(out["json"]))
    elif args.format == "latex":
        F.write(out["latex"])
    else:
        F.write("\n".join(out["text"]) + "\n")
    return O.EXIT_OK


def _closed(answer: Any) -> dict:
    """The closed form at symbolic d: the derivation's steps, the gains and their order, the
    allocation of the rank, the parameters, the loss and the errors at rank r and at full rank."""
    import sympy as sp
    from symbolic.objective import N, THETA0
    from symbolic.printing import paper_latex
    from symbolic.words import DIM
    D, spec, r = answer.derivation, answer.question, answer.rank
    jA, jP = D.allocation(r, None)
    holds = f"d >= {sp.sstr(jP + 1)}" if D.perp_gain != 0 and jP != 0 else "every d"
    full = D.full_rank()
    gains = {"perp": D.perp_gain}
    gains.update({g: v for g, v in zip([g for g in D.order if g != "perp"], D.theta_gains)})
    errs = {"zero_shot": (THETA0, 0), "few_shot_target": (THETA0, sp.oo), "few_shot_opposite": (-THETA0, sp.oo),
            "n_shot_target": (THETA0, N), "n_shot_opposite": (-THETA0, N)}
    names = {"zero_shot": "zero-shot on theta0", "few_shot_target": "n -> oo on theta0",
             "few_shot_opposite": "n -> oo on -theta0", "n_shot_target": "n shots on theta0",
             "n_shot_opposite": "n shots on -theta0", "family": "n -> oo averaged over theta ~ N(0, I) (Sigma = I)"}
    at_r = {k: D.error(r, t, n) for k, (t, n) in errs.items()}
    nzA = sum(1 for g in D.theta_gains if g != 0)
    fullP = DIM - 1 if D.perp_gain != 0 else 0
    at_full = {k: D.error_at(nzA, fullP, t, n) for k, (t, n) in errs.items()}
    at_r["family"] = D.family_error(r, sp.oo)        # the family average: stated at Sigma = I
    at_full["family"] = D.family_error_at(nzA, fullP, sp.oo)
    loss = {"start (r = 0)": D.loss_start, f"rank {r}": D.loss(r), "full fine-tuning of the block": D.loss_full}
    params = answer.parameters()
    lines = [f"spec: {spec}", f"pretraining context m = {_s(D.m)}" + ("" if D.m == sp.oo else " (stated at Sigma = I)"),
             f"route: {answer.method}", "", "derivation:"]
    lines += [f"  {i}. {step}" for i, step in enumerate(D.steps, 1)]
    lines += ["", "gains (the training loss falls by each, per direction taken; k = theta0^T Sigma theta0):"]
    lines += [f"  {g}: {_s(v)}" + (" per direction, d - 1 of them (Q_xx on theta0's Sigma-complement)" if g == "perp"
                                   else "") for g, v in gains.items()]
    lines += [f"order: {' > '.join(D.order)}",
              f"rank r = {r}: {jA} theta-block direction(s), {_s(jP)} perp direction(s) (for {holds}; "
              f"full fine-tuning of the block from r = {_s(full)})", "",
              "V =", F_text(params.V), "", "Q =", F_text(params.Q), ""]
    lines += [f"  where P_U = {_s(v)}" for k, v in params.definitions.items() if k == "P_U"]
    lines += ["free: " + "; ".join(params.free), "", "training loss:"]
    lines += [f"  {k}: {_s(v)}" for k, v in loss.items()]
    lines += ["", f"errors at rank {r} (for {holds}):"]
    lines += [f"  {names[k]}: {_s(v)}" for k, v in at_r.items()]
    lines += ["", "errors after full fine-tuning of the block:"]
    lines += [f"  {names[k]}: {_s(v)}" for k, v in at_full.items()]
    symbols = {"k": "theta_0^T Sigma theta_0", "d": "dimension of x", "sigma": "noise standard deviation",
               "n": "shots", "m": "pretraining context length"}
    js = {"spec": str(spec), "name": spec.name, "m": _s(D.m), "route": answer.route, "method": answer.method,
          "block": D.block, "rank": r, "steps": [str(s) for s in D.steps],
          "gains": {g: _s(v) for g, v in gains.items()}, "order": list(D.order),
          "allocation": {"theta": jA, "perp": _s(jP), "holds_for": holds, "full_rank_from": _s(full)},
          "parameters": {"V": F_json(params.V), "Q": F_json(params.Q),
                         "definitions": {k: _s(v) for k, v in params.definitions.items()}},
          "free": list(params.free), "convention": params.convention,
          "loss": {k: _s(v) for k, v in loss.items()},
          "errors": {k: _s(v) for k, v in at_r.items()},
          "errors_full": {k: _s(v) for k, v in at_full.items()},
          "symbols": symbols}
    tex = {"zero_shot": r"\mathcal{E}(0;\theta_0)", "few_shot_target": r"\lim_{n\to\infty}\mathcal{E}(n;\theta_0)",
           "few_shot_opposite": r"\lim_{n\to\infty}\mathcal{E}(n;-\theta_0)", "n_shot_target": r"\mathcal{E}(n;\theta_0)",
           "n_shot_opposite": r"\mathcal{E}(n;-\theta_0)",
           "family": r"\lim_{n\to\infty}\mathbb{E}_{\theta\sim\mathcal{N}(0,I)}\mathcal{E}(n;\theta)\ (\Sigma = I)"}
    rows = [rf"{tex[k]} &= {paper_latex(v)}" for k, v in at_r.items()]
    latex = (f"% {spec}\n% rank {r} ({holds}); k = theta_0^T Sigma theta_0\n\\[\n\\begin{{aligned}}\n"
             + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n")
    return {"text": lines, "json": js, "latex": latex}


def F_text(M: Any) -> str:
    from proofs.cli.printers import common as C
    return C.expr_text(M, C.use_unicode())


def F_json(M: Any) -> Any:
    from proofs.cli.printers import common as C
    return C.matrix_json(M)


def _concrete(args: argparse.Namespace, answer: Any) -> dict:
    """The rank-r optimum at the setting: method (proven global or best of K starts), loss at the
    start, at rank r and at full rank, the gains, uniqueness, V and Q, the errors."""
    import sympy as sp
    from proofs.cli.printers import common as C
    st, o = answer.setting, answer.optimum
    params = answer.parameters()
    arith = params.arith
    show = arith.text if not arith.exact else (lambda x: sp.sstr(x))
    errs = answer.errors()
    place = (f"d = {st.d}, sigma2 = {st.sigma2}, m = {st.m}, Sigma = {getattr(args, 'Sigma', None) or 'identity'}, "
             f"theta0 = {getattr(args, 'theta0', None) or 'e_1'}")
    route = answer.route.upper() if answer.route != "closed form" else "closed form (evaluated at this setting)"
    spectrum = [(v, mult) for v, mult in o.spectrum]
    loss = answer.loss()
    lines = [f"spec: {answer.question}", f"{route}: {place}", f"  method: {answer.method}"]
    if answer.derivation is None:
        lines.append(f"  no closed form at symbolic d: {answer.why}")
    if not o.is_global:
        lines.append("  best of K starts, NOT proven global")
    lines += [f"  training loss: start {show(o.loss_start)}, rank {answer.rank}: {show(loss)}, full fine-tuning of "
              f"the block: {show(o.loss_full)}"]
    if spectrum:
        lines.append("  gains (eigenvalues of S Delta*^T H Delta*, with multiplicity, largest first): "
                     + ", ".join(f"{show(v)} x{mult}" for v, mult in spectrum))
    lines.append("  " + ("unique optimum" if o.unique else
                         f"not unique: {o.tie[1]} of {o.tie[0]} tied directions taken" if o.tie else
                         "uniqueness not established (a local search)"))
    lines += o.notes and [f"  note: {n}" for n in o.notes] or []
    matrix = (lambda M: C.expr_text(sp.Matrix(M), False)) if arith.exact else C.numeric_matrix_text
    lines += ["", "  V =", matrix(params.V), "", "  Q =", matrix(params.Q), "",
              "free: " + "; ".join(params.free), "convention: " + params.convention, "",
              "errors at this setting:",
              f"  zero-shot on theta0: {show(errs['zero_shot'])}",
              f"  n -> oo on theta0: {show(errs['few_shot_target'])}",
              f"  n -> oo on -theta0: {show(errs['few_shot_opposite'])}"]
    js = {"spec": str(answer.question), "name": answer.question.name, "route": answer.route,
          "method": answer.method, "global": bool(o.is_global), "no_closed_form": answer.why or None,
          "arithmetic": arith.label(), "block": o.block, "rank": answer.rank,
          "setting": {"d": st.d, "sigma2": str(st.sigma2), "m": str(st.m),
                      "Sigma": getattr(args, "Sigma", None) or "identity", "theta0": getattr(args, "theta0", None) or "e_1"},
          "loss": {"start": arith.json(o.loss_start), "rank": arith.json(loss), "full": arith.json(o.loss_full)},
          "gains": [[arith.json(v), mult] for v, mult in spectrum],
          "unique": bool(o.unique), "tie": list(o.tie) if o.tie else None, "notes": list(o.notes),
          "V": [[arith.json(x) for x in row] for row in _rows(params.V)],
          "Q": [[arith.json(x) for x in row] for row in _rows(params.Q)],
          "free": list(params.free), "convention": params.convention,
          "errors": {k: arith.json(v) for k, v in errs.items()}}
    return {"text": lines, "json": js, "latex": ""}


def _rows(M: Any) -> list:
    return M.tolist()


# ----------------------------------------------------------------------------- trajectory

def trajectory(args: argparse.Namespace, spec: Any, label: str, d: int, Sigma: Any, theta0: Any, every: int) -> int:
    """``trajectory --spec`` of a rank-constrained spec: LoRA's path
    (:mod:`proofs.quantities.lora_trajectory`), its rows and where it ends against the rank-r optimum."""
    from proofs import api
    from proofs.cli import output as F
    from proofs.cli.printers import common as C
    from proofs.quantities import limits as L
    if args.flow:
        raise O.UsageError("--flow: LoRA's path is gradient descent on the factors B, A; give no --flow")
    if args.task:
        raise O.UsageError("--task: LoRA's path reports the errors on theta0 and -theta0 only")
    if args.numeric:
        raise O.UsageError("--numeric: LoRA's path is followed step by step already (reduced to scalars where it can be)")
    if args.steps > L.MAX_NUMERIC_STEPS:
        raise O.UsageError(f"--steps: expected at most {O._bound(L.MAX_NUMERIC_STEPS)} on LoRA's path (each step is "
                           f"iterated), got {args.steps}")
    arithmetic = args.traj_arithmetic
    if arithmetic == "auto":
        arithmetic = None
    r = api.trajectory(spec, eta=O.exact(args.lr), steps=args.steps, every=every, n=args.n, d=d,
                       sigma2=O.exact(args.sigma2), m=args.m, Sigma=Sigma, theta0=theta0,
                       level=None if args.level is None else O.exact(args.level), arithmetic=arithmetic,
                       seed=args.seed)
    inf = lambda v: "inf" if v is None else v  # noqa: E731
    settings = {"spec": label, "lr": float(args.lr), "steps": args.steps, "every": every, "n": inf(args.n), "d": d,
                "sigma2": float(args.sigma2), "m": inf(args.m), "Sigma": args.Sigma or "identity",
                "theta0": args.theta0 or "e_1", "seed": args.seed, "level": None if args.level is None else float(args.level)}
    heads = {"loss": "loss", "zero_shot": "zero-shot", "few_shot_target": "target", "few_shot_opposite": "opposite"}
    cols = list(r.values)
    start = (f"LoRA: {r.block} = start + B A, rank {r.rank}, B = 0 and A ~ N(0, {r.init_scale:.6g}^2) entrywise "
             f"(seed {r.seed}); gradient descent on (B, A) with step eta on the loss as the spec defines it")
    if args.format == "json":
        F.write(C.dump_json({
            "rows": [{"step": t, **{c: r.values[c][i] for c in cols}} for i, t in enumerate(r.steps)],
            "columns": cols, "route": r.route, "lora": start, "block": r.block, "rank": r.rank,
            "init_scale": r.init_scale, "seed": r.seed,
            "end": r.end or None, "gradient_norm": r.gradient_norm,
            "optimum": {k: C.to_float(v) for k, v in r.optimum.items()},
            "optimum_exact": {k: C.expr_json(v) for k, v in r.optimum.items()},
            "optimum_method": r.optimum_method, "gap": r.gap,
            "diverged": None if r.diverged_at is None else {"step": r.diverged_at},
            "crossings": r.crossings, "formula": None if r.formula is None else C.expr_json(r.formula),
            "variables": [str(v) for v in r.variables], "perp_direction": r.perp_direction,
            "symbols": {"rk": "|theta_0|", "b_*, a_*": "the factors' coordinates on e_0, theta_0/|theta_0| (t), w (p), e_y"},
            "settings": settings}))
        return O.EXIT_OK
    if args.format == "latex":
        raise O.UsageError("--format: latex is for closed-form paths; use text or json for LoRA's path")
    n = "n->inf" if args.n is None else f"n={args.n}"
    lines = [f"# {start}; " + ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None),
             f"# route: {r.route}",
             f"# columns: training loss, zero-shot error on theta0, {n} errors on theta0, -theta0",
             f"{'step':>10}" + "".join(f"  {heads[c]:>13}" for c in cols)]
    for i, t in enumerate(r.steps):
        lines.append(f"{t:>10}" + "".join(f"  {C.fmt_float(r.values[c][i]):>13}" for c in cols))
    if r.diverged_at is not None:
        lines.append(f"diverges: the factors are not finite from step {r.diverged_at} (eta too large); rows stop there")
    else:
        lines.append("end (step T): " + ", ".join(f"{heads[c]}={C.fmt_float(v)}" for c, v in r.end.items())
                     + f"; gradient norm {r.gradient_norm:.3g}")
    lines.append("rank-r optimum: " + ", ".join(f"{heads[c]}={C.fmt_float(v)}" for c, v in r.optimum.items())
                 + f"  ({r.optimum_method.split(';')[0].split(':')[0]})")
    if r.gap is not None:
        lines.append(f"end minus optimum (training loss): {r.gap:.3g}")
    for c, t in r.crossings.items():
        lines.append(f"{heads[c]} crosses {settings['level']}: " + ("never (at the recorded steps)" if t is None
                                                                    else f"by recorded step {t}"))
    if r.formula is not None:
        lines.append(f"loss along the path (w = {_vec(r.perp_direction)}): {_s(r.formula)}")
    F.write("\n".join(lines) + "\n")
    return O.EXIT_OK


def _vec(v: Any) -> str:
    return "(" + ", ".join(f"{x:.4g}" for x in v) + ")"


# ----------------------------------------------------------------------------- frontier

def frontier(args: argparse.Namespace, lams: list, d: int, Sigma: Any, theta0: Any, arith: Any) -> int:
    """``frontier --rank``: a curve per rank (:mod:`proofs.quantities.frontier_rank`)."""
    import sympy as sp
    from proofs import api
    from proofs.cli import output as F
    from proofs.cli.printers import common as C
    from symbolic.spec import max_rank
    top = max_rank(args.block, d)
    bad = [r for r in args.ranks if r > top]
    if bad:
        raise O.UsageError(f"--rank: expected integers 1 <= rank <= {top} (the size of the {args.block} block at d = {d}), "
                           f"got {bad[0]}")
    result = api.frontier(lams, n_ft=args.n_ft, n=args.n, d=d, sigma2=O.exact(args.sigma2), m=args.m, Sigma=Sigma,
                          theta0=theta0, arithmetic=arith.name, precision=arith.precision, ranks=args.ranks,
                          block=args.block)
    F.warn(result)
    inf = lambda v: "inf" if v is None else v  # noqa: E731
    settings = {"block": args.block, "ranks": ",".join(map(str, result.ranks)), "n_ft": inf(args.n_ft),
                "n": inf(args.n), "d": d, "sigma2": float(args.sigma2), "m": inf(args.m),
                "Sigma": args.Sigma or "identity", "theta0": args.theta0 or "e_1", "arithmetic": arith.name}
    cols = ("zero_shot", "few_shot_target", "few_shot_opposite")
    label = lambda lam: "inf" if lam == sp.oo else sp.sstr(lam)  # noqa: E731
    if args.format == "json":
        plain = {}
        from proofs.quantities.frontier import LAMBDA
        plain[LAMBDA] = sp.Symbol("lamda")

        def row(r: Any) -> dict:
            out: dict[str, Any] = {"rank": r.rank, "full": r.full, "lambda": label(r.lam)}
            out.update({c: C.to_float(v) for c, v in zip(cols, r.values())})
            if arith.exact:
                out["exact"] = {c: C.expr_json(v) for c, v in zip(cols, r.values())}
            return out
        F.write(C.dump_json({
            "rows": [row(r) for r in result.rows],
            "formulas": {str(k): {c: C.expr_json(sp.sympify(f).xreplace(plain)) for c, f in v.items()}
                         for k, v in result.formulas.items()},
            "degenerate": {str(k): v for k, v in result.degenerate.items()},
            "routes": {str(k): v for k, v in result.routes.items()},
            "symbols": {"lamda": "the weight lambda of the few-shot loss"},
            "checks": [{"check": w, "holds": ok} for w, ok in result.checks],
            "notes": result.notes, "settings": settings}))
        return O.EXIT_OK if result.holds else O.EXIT_FAILED
    n = "n->inf" if args.n is None else f"n={args.n}"
    lines = [f"# {args.block} by its best rank-r update (LoRA) on E(0; theta0) + lambda E(n_ft; theta0); "
             + ", ".join(f"{k}={v}" for k, v in settings.items()),
             f"# columns: zero-shot error on theta0, {n} error on theta0, {n} error on -theta0",
             f"{'':>8}{'':>16}  {'zero-shot':>13}  {'target':>13}  {'opposite':>13}"]
    for r in result.rows:
        rank = f"r={r.rank}" + ("*" if r.full else "")
        lines.append(f"{rank:>8}{'lambda=' + label(r.lam):>16}  " + "  ".join(f"{C.fmt_float(v):>13}" for v in r.values()))
    lines.append("* full fine-tuning of the block")
    for k in result.ranks:
        lines.append(f"rank {k}: {result.routes[k]}" + ("; one point (no column depends on lambda)"
                                                         if result.degenerate.get(k) else ""))
    for what, ok in result.checks:
        lines.append(f"check: {what}: {'holds' if ok else 'DOES NOT HOLD'}")
    lines += [f"note: {x}" for x in result.notes]
    F.write("\n".join(lines) + "\n")
    return O.EXIT_OK if result.holds else O.EXIT_FAILED
