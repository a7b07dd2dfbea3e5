"""The JSON printer: what a program reads (``--format json``; the schemas are in ``docs/cli.md``).

Its methods return plain data (dicts, lists, strings, numbers); :meth:`JsonPrinter.doprint` writes
it with :func:`~proofs.cli.printers.common.dump_json` (strict JSON: a non-finite float is
``null``; a list of scalars on one line). An expression is a string ``sympy.sympify`` parses
back (:func:`~proofs.cli.printers.common.expr_json`); a value of an arithmetic is ``arith.json(x)``.
"""
from __future__ import annotations

from typing import Any

from proofs.cli.printers.base import Printer
from proofs.cli.printers.common import (compare_settings, dump_json, exact_level, expr_json, level_float,
                                        lora_start, matrix_floats, matrix_json, overflowed, to_float)

__all__ = ["JsonPrinter"]


class JsonPrinter(Printer):
    """Strict JSON, one document per command (see the module docstring)."""

    format = "json"

    def doprint(self, obj: Any) -> str:
        return dump_json(self._print(obj))

    # ------------------------------------------------------------------------- prove
    def _print_ProvedResult(self, r: Any) -> dict[str, Any]:
        row = {"id": str(r.id), "title": str(r.title), "holds": bool(r.holds), "seconds": round(float(r.seconds), 6),
               "checks": [str(x) for x in r.checks]}
        if r.error:
            row["error"] = r.error
        return row

    def _print_ProveReport(self, report: Any) -> dict[str, Any]:
        return {"results": [self._print(r) for r in report.rows], "seconds": round(float(report.seconds), 6)}

    # ------------------------------------------------------------------------- table
    def _print_SummaryTable(self, table: Any) -> dict[str, Any]:
        from proofs.paper.notation import TABLE_COLUMNS, order_rows
        return {"symbols": dict(table.symbols),
                "rows": [{"strategy": r.strategy, **{c: expr_json(getattr(r, c)) for c in TABLE_COLUMNS}}
                         for r in order_rows(table.rows)]}

    # ------------------------------------------------------------------------- params
    def _print_ParamsReport(self, report: Any) -> dict[str, Any]:
        result, label = report.result, report.label
        arith = getattr(result, "arith", None)
        if arith is not None and not arith.exact:
            V, Q = (_floats(M) for M in (result.V, result.Q))
            out: dict[str, Any] = {"strategy": label, "V": V, "Q": Q, "V_float": V, "Q_float": Q}
            if arith.precision is not None:  # every digit the arithmetic holds
                out["V_digits"] = [[arith.json(x) for x in row] for row in result.V.tolist()]
                out["Q_digits"] = [[arith.json(x) for x in row] for row in result.Q.tolist()]
        else:
            out = {"strategy": label, "V": matrix_json(result.V), "Q": matrix_json(result.Q),
                   "V_float": matrix_floats(result.V), "Q_float": matrix_floats(result.Q)}
        out.update({
            "free": [str(f) for f in (getattr(result, "free", []) or [])],
            "convention": str(getattr(result, "convention", "") or ""),
            "symbols": dict(report.symbols or {}),
        })
        blocks = getattr(result, "blocks", None)
        solution = blocks.get("solution") if isinstance(blocks, dict) else None
        if solution is not None:  # a concrete minimiser: every free direction, for a program
            from proofs.quantities.concrete_minimiser import free_json
            out["free_directions"] = free_json(solution)
        if out["V_float"] is not None:  # a concrete setting: say how it was evaluated
            out["arithmetic"] = "exact" if arith is None else arith.name
            out["precision"] = None if arith is None else arith.precision
            cond = getattr(result, "condition", None)
            if arith is not None and not arith.exact:
                # how many significant digits the entries hold at least (relative error <= cond(Sigma) u)
                out["condition"] = cond
                out["digits_held"] = arith.digits_held(cond)
        return out

    # ------------------------------------------------------------------------- curve
    def _print_CurveReport(self, report: Any) -> dict[str, Any]:
        result = report.result
        arith = getattr(result, "arith", None)
        out = {
            "strategy": report.label,
            "task": report.task,
            "n": [int(n) for n in result.n],
            "error": [to_float(e) for e in result.error],
            "limit": to_float(result.limit),
            "settings": {**report.settings, "arithmetic": "exact" if arith is None else arith.label()},
            "arithmetic": "exact" if arith is None else arith.name,
            "precision": None if arith is None else arith.precision,
            **({"digits": [arith.json(v) for v in result.values], "limit_digits": arith.json(result.limit_value)}
               if arith is not None and arith.precision is not None else {}),
            **({"condition": result.condition} if getattr(result, "condition", None) is not None else {}),
        }
        exact = list(getattr(result, "exact", None) or [])
        limit = getattr(result, "exact_limit", None)
        if exact and overflowed(exact + ([limit] if limit is not None else [])):
            # a float beyond 1.8e308 is null in JSON: the exact values beside it, as expressions
            out["error_exact"] = [expr_json(e) for e in exact]
            out["limit_exact"] = expr_json(limit)
        return out

    # ------------------------------------------------------------------------- error
    def _print_ErrorReport(self, report: Any) -> dict[str, Any]:
        value, arith = report.value, report.arith
        out: dict[str, Any] = {"error": to_float(value)}
        if arith.exact:
            out["exact"] = expr_json(value)
        out.update({"arithmetic": arith.name, "precision": arith.precision})
        if arith.precision is not None:
            out["digits"] = arith.json(value)
        return out

    def _print_DepthErrorReport(self, report: Any) -> dict[str, Any]:
        r = report.result
        out: dict[str, Any] = {"error": to_float(r.value)}
        if r.exact and r.arith.exact:
            out["exact"] = expr_json(r.value)
        out.update({"stderr": r.stderr, "route": r.route, "exact_route": r.exact, "label": r.label, "layers": r.L,
                    "n": r.n, "samples": r.samples, "seed": r.seed,
                    "arithmetic": r.arith.name if r.exact else "float64",
                    "precision": r.arith.precision if r.exact else None})
        return out

    # ------------------------------------------------------------------------- verify
    def _print_VerifyRow(self, row: Any) -> dict[str, Any]:
        return {"formula": str(row.formula), "exact": to_float(row.exact), "estimate": to_float(row.estimate),
                "stderr": to_float(row.stderr), "z": to_float(row.z), "passed": bool(row.passed)}

    def _print_VerifyReport(self, report: Any) -> dict[str, Any]:
        return {"samples": report.samples, "seed": report.seed, "rows": [self._print(r) for r in report.rows],
                "passed": report.passed}

    # ------------------------------------------------------------------------- derive
    def _print_DeriveReport(self, report: Any) -> dict[str, Any]:
        return self._print(report.answer, report=report)

    def _print_ClosedForm(self, answer: Any, report: Any) -> dict[str, Any]:
        """The derivation at symbolic d; every expression over plain symbols, listed in ``symbols``."""
        import sympy as sp
        from symbolic.layout import block
        from proofs.quantities.spec_derivation import plain_scalars
        spec, result = answer.question, report.derivation
        s = result.strategy
        symbols = {"d": "dimension of x", "sigma": "noise standard deviation", "n": "shots",
                   "m": "pretraining context length"}

        def plain(e: Any) -> str:
            e2, meaning = plain_scalars(e)
            symbols.update(meaning)
            return expr_json(e2)
        return {
            "spec": str(spec), "name": s.name, "m": str(result.m),
            "parameters": {block(k).symbol: plain(v) for k, v in s.parameters().items()
                           if v != 0 and not getattr(v, "is_ZeroMatrix", False)},
            "definitions": {k: sp.sstr(v) for k, v in s.definitions().items()},
            "free": list(s.free), "convention": s.convention,
            "steps": [str(step) for step in s.steps],
            "errors": {k: plain(v) for k, v in result.errors.items()},
            "where": {str(k): plain(v) for k, v in result.where.items()},
            "symbols": {**symbols, **{str(k): f"the derived block {k} (its formula: where[{str(k)!r}])"
                                      for k in result.where}},
            "given": {k: ([str(x) for x in v] if v.shape[1] == 1 else [[str(x) for x in row] for row in v.tolist()])
                      for k, v in spec.bindings},
        }

    def _print_DepthClosedForm(self, answer: Any, report: Any) -> dict[str, Any]:
        """A depth spec's closed form; every expression over plain symbols, listed in ``symbols``."""
        import sympy as sp
        from proofs.quantities.spec_derivation import plain_scalars
        spec = answer.question
        symbols = {"d": "dimension of x", "sigma": "noise standard deviation",
                   **{f"gamma_{l}": f"layer {l}'s pretrained Gamma_{l} = gamma_{l} Sigma^-1" for l in range(1, spec.layers + 1)}}

        def plain(e: Any) -> str:
            e2, meaning = plain_scalars(e)
            symbols.update(meaning)
            return expr_json(e2)
        out = {"spec": str(spec), "name": spec.name, "layers": spec.layers, "train": list(spec.names),
               "m": str(answer.setting.m),
               "gammas": None if answer.gammas is None else {f"gamma_{l}": expr_json(g) for l, g in enumerate(answer.gammas, 1)},
               "parameters": {k: plain(v) for k, v in answer.formulas().items()},
               "free": list(answer.free), "convention": answer.convention,
               "steps": [what for what, _ in answer.finetune.steps],
               "errors": {k: plain(v) for k, v in report.derivation.items()},
               "given": {k: [str(x) for x in v] for k, v in spec.bindings}}
        if report.errors is not None:
            js = answer.setting.arith.json
            out["setting"] = {"d": answer.setting.d, "sigma2": str(answer.setting.sigma2), "Sigma": report.Sigma,
                              "theta0": report.theta0, "arithmetic": answer.setting.arith.label()}
            out["errors_at_setting"] = {k: js(v) for k, v in report.errors.items()}
        out["symbols"] = symbols
        return out

    def _print_DepthNumericMinimum(self, answer: Any, report: Any) -> dict[str, Any]:
        """A depth spec's numeric local minimiser, labelled so (floats)."""
        import sympy as sp
        r, where = answer.optimum, answer.setting
        return {"spec": str(answer.question), "name": answer.question.name, "layers": answer.question.layers,
                "closed_form": "numeric", "no_closed_form": answer.why,
                "setting": {"d": where.d, "sigma2": str(where.sigma2), "m": str(where.m), "Sigma": report.Sigma,
                            "theta0": report.theta0},
                "gammas": [expr_json(g) for g in r.gammas], "gamma_values": [float(sp.N(g, 17)) for g in r.gammas],
                "parameters": {k: float(v) for k, v in zip(r.names, r.u)},
                "loss": r.loss, "start_loss": r.start_loss, "converged": r.converged,
                "gradient_norm": r.gradient_norm, "iterations": r.iterations,
                "errors": {k: float(v) for k, v in r.errors.items()},
                "starts": [{"start": k, "loss": lo, "gradient_norm": g, "converged": c, "iterations": it}
                           for k, lo, g, c, it in r.starts], "seed": r.seed}

    def _print_DepthDescentMinimum(self, answer: Any, report: Any) -> dict[str, Any]:
        """Whole matrices at depth: the point gradient descent reached, labelled so (floats)."""
        import sympy as sp
        r, where = answer.optimum, answer.setting
        return {"spec": str(answer.question), "name": answer.question.name, "layers": answer.question.layers,
                "closed_form": "numeric", "route": "gradient descent", "no_closed_form": answer.why,
                "setting": {"d": where.d, "sigma2": str(where.sigma2), "m": str(where.m), "Sigma": report.Sigma,
                            "theta0": report.theta0},
                "gammas": [expr_json(g) for g in r.gammas], "gamma_values": [float(sp.N(g, 17)) for g in r.gammas],
                "train": list(r.trained),
                "parameters": {"layers": [{"V": V.tolist(), "Q": Q.tolist()} for V, Q in r.layers]},
                "loss": r.loss, "start_loss": r.start_loss, "steps": r.steps, "converged": r.converged,
                "moved": r.moved, "gradient_norm": r.gradient_norm,
                "errors": {k: float(v) for k, v in r.errors.items()},
                "checkpoints": [{"step": k, "loss": lo, "zero_shot": z, "few_shot_target": t, "few_shot_opposite": o}
                                for k, lo, z, t, o in r.checkpoints]}

    def _print_ConcreteMinimum(self, answer: Any, report: Any) -> dict[str, Any]:
        """The exact minimiser at this setting only; values in its arithmetic (``arith.json``)."""
        from proofs.quantities.concrete_minimiser import free_json
        spec, sol, where = answer.question, answer.minimum, answer.setting
        js = where.arith.json
        return {
            "spec": str(spec), "name": spec.name, "closed_form": "at this setting only",
            "no_symbolic_closed_form": answer.why, "arithmetic": where.arith.label(),
            "setting": {"d": where.d, "sigma2": str(where.sigma2), "m": str(where.m), "Sigma": report.Sigma,
                        "theta0": report.theta0},
            "V": [[js(x) for x in row] for row in sol.V.tolist()],
            "Q": [[js(x) for x in row] for row in sol.Q.tolist()],
            "unique": sol.unique, "free": answer.free, "free_directions": free_json(sol), "convention": sol.convention,
            "loss": js(sol.loss), "start_loss": js(sol.start_loss),
            "errors": {k: js(v) for k, v in report.errors.items()},
        }

    def _print_NumericMinimum(self, answer: Any, report: Any) -> dict[str, Any]:
        """A numeric local minimiser (floats), labelled ``numeric``, with the exact errors at it."""
        import sympy as sp
        spec, r, where = answer.question, answer.optimum, answer.setting
        return {
            "spec": str(spec), "name": spec.name, "numeric": True, "no_closed_form": answer.why,
            "setting": {"d": where.d, "sigma2": float(where.sigma2), "m": None if where.m == sp.oo else int(where.m),
                        "Sigma": report.Sigma, "theta0": report.theta0},
            "V": r.V.tolist(), "Q": r.Q.tolist(), "loss": r.loss, "start_loss": r.start_loss,
            "iterations": r.iterations, "gradient_norm": r.gradient_norm, "converged": bool(r.converged),
            "errors": {k: float(v) for k, v in r.errors.items()},
            "errors_exact": {k: expr_json(v) for k, v in r.errors.items()},
            "starts": [{"start": k, "loss": lo, "gradient_norm": g, "converged": c, "iterations": it}
                       for k, lo, g, c, it in r.starts],
            "spread": r.spread, "seed": r.seed,
        }

    # ------------------------------------------------------------------------- rank (LoRA)
    def _print_RankMinimum(self, answer: Any, report: Any) -> dict[str, Any]:
        """A spec with a constraining rank: the closed form at symbolic d (expressions as strings over
        the symbols listed), or the rank-r optimum at the setting (values in its arithmetic)."""
        if answer.setting.symbolic:
            return self._rank_closed(answer, report.derivation)
        return self._rank_concrete(answer, report)

    def _rank_closed(self, answer: Any, s: Any) -> dict[str, Any]:
        import sympy as sp
        D, spec = answer.derivation, answer.question
        params = answer.parameters()
        symbols = {"k": "theta_0^T Sigma theta_0", "d": "dimension of x", "sigma": "noise standard deviation",
                   "n": "shots", "m": "pretraining context length"}
        return {"spec": str(spec), "name": spec.name, "m": sp.sstr(D.m), "route": answer.route,
                "method": answer.method, "block": D.block, "rank": answer.rank, "steps": [str(x) for x in D.steps],
                "gains": {g: sp.sstr(v) for g, v in s.gains.items()}, "order": list(D.order),
                "allocation": {"theta": s.theta, "perp": sp.sstr(s.perp), "holds_for": s.holds_for,
                               "full_rank_from": sp.sstr(s.full_from)},
                "parameters": {"V": matrix_json(params.V), "Q": matrix_json(params.Q),
                               "definitions": {k: sp.sstr(v) for k, v in params.definitions.items()}},
                "free": list(params.free), "convention": params.convention,
                "loss": {k: sp.sstr(v) for k, v in s.loss.items()},
                "errors": {k: sp.sstr(v) for k, v in s.errors.items()},
                "errors_full": {k: sp.sstr(v) for k, v in s.errors_full.items()},
                "symbols": symbols}

    def _rank_concrete(self, answer: Any, report: Any) -> dict[str, Any]:
        st, o, params = answer.setting, answer.optimum, answer.parameters()
        arith = params.arith
        return {"spec": str(answer.question), "name": answer.question.name, "route": answer.route,
                "method": answer.method, "global": bool(o.is_global), "no_closed_form": answer.why or None,
                "arithmetic": arith.label(), "block": o.block, "rank": answer.rank,
                "setting": {"d": st.d, "sigma2": str(st.sigma2), "m": str(st.m), "Sigma": report.Sigma,
                            "theta0": report.theta0},
                "loss": {"start": arith.json(o.loss_start), "rank": arith.json(answer.loss()),
                         "full": arith.json(o.loss_full)},
                "gains": [[arith.json(v), mult] for v, mult in o.spectrum],
                "unique": bool(o.unique), "tie": list(o.tie) if o.tie else None, "notes": list(o.notes),
                "V": [[arith.json(x) for x in row] for row in params.V.tolist()],
                "Q": [[arith.json(x) for x in row] for row in params.Q.tolist()],
                "free": list(params.free), "convention": params.convention,
                "errors": {k: arith.json(v) for k, v in report.errors.items()}}

    def _print_RankTrajectoryReport(self, report: Any) -> dict[str, Any]:
        """LoRA's path: the rows, the start, the end against the rank-r optimum (floats, and the
        optimum's exact values as expressions)."""
        r = report.trajectory
        cols = list(r.values)
        return {
            "rows": [{"step": t, **{c: r.values[c][i] for c in cols}} for i, t in enumerate(r.steps)],
            "columns": cols, "route": r.route, "lora": lora_start(r), "block": r.block, "rank": r.rank,
            "init_scale": r.init_scale, "seed": r.seed,
            "end": r.end or None, "gradient_norm": r.gradient_norm,
            "optimum": {k: to_float(v) for k, v in r.optimum.items()},
            "optimum_exact": {k: expr_json(v) for k, v in r.optimum.items()},
            "optimum_method": r.optimum_method, "gap": r.gap,
            "diverged": None if r.diverged_at is None else {"step": r.diverged_at},
            "crossings": r.crossings, "formula": None if r.formula is None else expr_json(r.formula),
            "variables": [str(v) for v in r.variables], "perp_direction": r.perp_direction,
            "symbols": {"rk": "|theta_0|", "b_*, a_*": "the factors' coordinates on e_0, theta_0/|theta_0| (t), w (p), e_y"},
            "settings": report.settings}

    def _print_RankFrontierReport(self, report: Any) -> dict[str, Any]:
        """A row per rank and lambda (floats; exact values as expressions in an exact arithmetic), the
        formulas in lambda per rank, the routes, the checks."""
        import sympy as sp
        from proofs.quantities.frontier import LAMBDA
        result, arith = report.frontier, report.arith
        cols = ("zero_shot", "few_shot_target", "few_shot_opposite")
        plain = {LAMBDA: sp.Symbol("lamda")}

        def row(r: Any) -> dict:
            out: dict[str, Any] = {"rank": r.rank, "full": r.full, "lambda": "inf" if r.lam == sp.oo else sp.sstr(r.lam)}
            out.update({c: to_float(v) for c, v in zip(cols, r.values())})
            if arith.exact:
                out["exact"] = {c: expr_json(v) for c, v in zip(cols, r.values())}
            return out
        return {
            "rows": [row(r) for r in result.rows],
            "formulas": {str(k): {c: expr_json(sp.sympify(f).xreplace(plain)) for c, f in v.items()}
                         for k, v in result.formulas.items()},
            "degenerate": {str(k): v for k, v in result.degenerate.items()},
            "routes": {str(k): v for k, v in result.routes.items()},
            "symbols": {"lamda": "the weight lambda of the few-shot loss"},
            "checks": [{"check": w, "holds": ok} for w, ok in result.checks],
            "notes": result.notes, "settings": report.settings}

    # ------------------------------------------------------------------------- frontier
    def _print_FrontierReport(self, report: Any) -> dict[str, Any]:
        """Rows (``lambda`` or ``strategy``) with the three errors (floats; exact beside them in
        exact arithmetic), the columns as functions of ``lamda``, the checks and the settings."""
        import sympy as sp
        from proofs.quantities.frontier import LAMBDA, lambda_label
        result, arith = report.frontier, report.arith
        cols = ("zero_shot", "few_shot_target", "few_shot_opposite")
        plain = {LAMBDA: sp.Symbol("lamda")}  # "lambda" is a Python keyword: sympify cannot read it

        def row(r: Any) -> dict:
            out: dict[str, Any] = {"lambda": lambda_label(r.lam)} if r.lam is not None else {"strategy": r.label}
            for c, v in zip(cols, r.values()):
                out[c] = to_float(v)
            if arith.exact:
                out["exact"] = {c: expr_json(v) for c, v in zip(cols, r.values())}
            return out
        return {
            "rows": [row(r) for r in result.rows],
            "strategies": [row(r) for r in result.strategies],
            # null where the columns have no formula in lambda (float or mp at a finite m: one lambda at a time)
            "formulas": {c: expr_json(result.formulas[c].xreplace(plain)) for c in cols} if result.formulas else None,
            "symbols": {"lamda": "the weight lambda of the few-shot loss"},
            "monotone": result.monotone,
            "degenerate": result.degenerate,
            "checks": [{"check": what, "holds": ok} for what, ok in result.checks],
            "notes": list(getattr(result, "notes", [])),
            "settings": report.settings,
        }

    # ------------------------------------------------------------------------- trajectory
    def _print_TrajectoryReport(self, report: Any) -> dict[str, Any]:
        r = report.trajectory
        rows = []
        for row in r.rows:
            out = {"step": row.step}
            if len(r.eta_max) > 1:
                out["stage"] = row.stage
            out.update({c: row.values[c] for c in r.columns})
            rows.append(out)
        return {
            "rows": rows,
            "columns": list(r.columns),
            "end": r.end,
            "limit": {k: to_float(v) for k, v in r.limit.items()} if r.converges else None,
            "limit_exact": {k: expr_json(v) for k, v in r.limit.items()} if r.exact and r.converges else None,
            "stable": r.stable,
            "converges": r.converges,
            "path": r.construction,
            "eta": [to_float(e) for e in r.etas],
            "eta_exact": [expr_json(e) for e in r.etas],
            "eta_source": r.eta_source,
            "eta_max": [to_float(e) for e in r.eta_max],
            "eta_max_exact": [expr_json(e) for e in r.eta_max],
            "diverged": None if r.diverged_at is None else {"step": r.diverged_at, "bound": r.bound},
            "crossings": r.crossings,
            "formulas": {c: [expr_json(f) for f in fs] for c, fs in r.formulas.items()},
            "symbols": {"eta": "the step size (stage 1's)", "eta_2": "stage 2's step size (two stages)",
                        "t": "the step within the stage (the time tau with --flow)"},
            "exact": r.exact,
            "convention": report.convention,
            "notes": r.notes,
            "settings": report.settings,
        }

    def _print_NumericTrajectory(self, report: Any) -> dict[str, Any]:
        return {"rows": [{"step": t, **e} for t, e in report.rows], "columns": report.columns, "numeric": True,
                "end": {"V_last_row": [float(x) for x in report.V[-1]], "Q": report.Q.tolist()},
                "diverged": None if report.diverged is None else {"step": report.diverged},
                "convention": report.convention, "notes": [report.note], "settings": report.settings}

    # ------------------------------------------------------------------------- compare
    def _print_Comparison(self, result: Any) -> dict[str, Any]:
        """The comparison (docs/cli.md, ``compare``)."""
        cols = []
        for cc in result.columns:
            cols.append({
                "column": cc.column.key, "name": cc.column.name, "lower": cc.lower, "flips": cc.flips,
                "pieces": [{"from": level_float(a), "to": level_float(b), "from_exact": exact_level(a),
                            "to_exact": exact_level(b), "lower": who, "largest_gap": gap} for a, b, who, gap in cc.pieces],
                "ends": {"low": cc.ends[0], "high": cc.ends[1]},
                "crossings": [{"level": x.level, "exact": exact_level(x.exact), "kind": x.kind, "value": x.value,
                               "left": x.left, "right": x.right} for x in cc.crossings],
                "how": cc.how, "detail": cc.detail, "counts": cc.counts()})
        table = []
        for i, z in enumerate(result.table):
            table.append({"level": level_float(z), "level_exact": exact_level(z),
                          "values": {cc.column.key: {"left": cc.levels[i][0], "right": cc.levels[i][1],
                                                     "lower": cc.levels[i][2]} for cc in result.columns}})
        return {
            "left": _side(result, "left"),
            "right": _side(result, "right"),
            "match": result.match.key,
            "range": None if not result.common else [level_float(result.lo), level_float(result.hi)],
            "range_exact": None if not result.common else [exact_level(result.lo), exact_level(result.hi)],
            "arithmetic": result.arithmetic,
            "columns": cols,
            "levels": table,
            "settings": compare_settings(result),
            "notes": list(result.notes),
            "seconds": result.seconds,
        }


def _floats(M: Any) -> list[list[float]]:
    """A float64 or mpmath matrix as rows of floats."""
    import numpy as np
    return np.array(M.tolist(), dtype=np.float64).tolist()


def _side(result: Any, side: str) -> dict[str, Any]:
    info = result.sides[side]
    lo, hi = info["levels"]
    obj = result.left if side == "left" else result.right
    return {"side": info["key"], "label": info["label"], "param": info["param"], "point": info["point"],
            "levels": [level_float(lo), level_float(hi)], "levels_exact": [exact_level(lo), exact_level(hi)],
            **({"eta": str(obj.eta)} if getattr(obj, "eta", None) is not None else {})}
