"""The text printer: what a person reads in a terminal (``--format text``, every command's default).

Expressions are SymPy's pretty printing (unicode when standard output takes it, setting
``unicode``), numbers 10 significant digits (:func:`~proofs.cli.printers.common.fmt_float`) or
every digit of an mp arithmetic (``arith.text``), tables aligned (:func:`~proofs.cli.printers.common.grid`).
A value that comes from a file (a spec's name) is printed on one line (:func:`one_line`).
"""
from __future__ import annotations

from typing import Any

from proofs.cli.printers.base import Printer
from proofs.cli.printers.common import (RANK_ERROR_NAMES, compare_settings, exact_level, expr_json, expr_text,
                                        expr_text_form, fmt_float, grid, inf_or, level_float, level_text, lora_start,
                                        numeric_matrix_text, one_line, overflowed, rank_place, short_vector)

__all__ = ["TextPrinter"]

#: the error columns of ``frontier`` and ``trajectory``, as their headers say them
HEADS = {"zero_shot": "zero-shot", "few_shot_target": "target", "few_shot_opposite": "opposite", "task": "task"}
#: the three errors of a derived strategy, as ``derive`` says them
ERROR_NAMES = {"zero_shot": "zero-shot on theta0", "few_shot_target": "n -> oo on theta0",
               "few_shot_opposite": "n -> oo on -theta0", "n_shot": "n shots on theta"}
#: how ``compare`` says which side is lower
WHO = {"left": "left lower", "right": "right lower", "equal": "equal", None: "the order flips"}


def _arith(obj: Any) -> Any:
    """The arithmetic a result carries (exact when it carries none)."""
    from symbolic.arithmetic import EXACT
    arith = getattr(obj, "arith", None)
    return EXACT if arith is None else arith


def _depth_start(answer: Any) -> str:
    """The start of a depth spec, with the pretrained gamma_l where known."""
    import sympy as sp
    L, m = answer.question.layers, answer.setting.m
    text = f"start: the pretrained class model, V_l = e_y e_y^T, Gamma_l = gamma_l Sigma^-1 (l = 1..{L})"
    if answer.gammas is None:
        return text + f"; gamma_l at m = {m}: no closed form at symbolic d (give --d and --sigma2)"
    return text + f"; at m = {sp.sstr(m)}: " + ", ".join(f"gamma_{l} = {sp.sstr(g)}" for l, g in
                                                         enumerate(answer.gammas, 1)) + \
        " (the class's pretraining optimum at Sigma = I)"


def _depth_step_value(value: Any) -> str:
    """A step's value when it is short (a long formula, such as a loss, is left to the json output)."""
    import sympy as sp
    if value is None:
        return ""
    if isinstance(value, dict):
        return ""
    if sp.count_ops(value) > 40:
        return f" [a formula of {sp.count_ops(value)} operations]"
    return f": {sp.sstr(value)}"


def _free(items: Any) -> str:
    """A list of free parameters: each item may hold commas (``V[0:d+1, :]``), so ``; `` parts them."""
    items = [str(f) for f in (items or [])]
    return "; ".join(items) if items else "none"



#: the id column of ``prove``'s lines: the longest result id (``early-stopping-vs-auxiliary``, 27)
#: plus one, so that the time column stays aligned (tests/test_issue23_prove_column.py)
PROVE_ID_WIDTH = 28


def _gamma_values(gammas: Any) -> str:
    """The pretrained gamma_l's values, after their exact forms (at a finite m a root of a sextic)."""
    import sympy as sp
    return " (= " + ", ".join(f"{float(sp.N(g, 17)):.10g}" for g in gammas) + ")"

class TextPrinter(Printer):
    """Plain text, aligned for a terminal (see the module docstring)."""

    format = "text"
    streams = True

    # ------------------------------------------------------------------------- shared pieces
    def _matrix(self, M: Any, arith: Any) -> str:
        """A matrix: pretty (exact; a NumPy array of exact entries as a SymPy matrix), or numpy's layout
        (float64, mp; summarised beyond 12 x 12)."""
        if not arith.exact:
            return numeric_matrix_text(M)
        if hasattr(M, "dtype"):
            import sympy as sp
            M = sp.Matrix(M.tolist())
        return expr_text(M, self.unicode)

    # ------------------------------------------------------------------------- prove
    def _print_ProvedResult(self, r: Any) -> str:
        """``PASS  theorem-4.6        0.123 s  Theorem 4.6: ...``, the error a check raised, and
        (``verbose``) what it checked."""
        out = f"{'PASS' if r.holds else 'FAIL'}  {r.id:<{PROVE_ID_WIDTH}} {r.seconds:8.3f} s  {r.title}\n"
        if r.error:
            out += f"      raised {r.error}\n"
        if self.verbose:
            out += "".join(f"      {line}\n" for line in r.checks)
        return out

    def _print_ProveReport(self, report: Any) -> str:
        """The closing line of the log (each :class:`ProvedResult` is printed as it is checked:
        ``streams``)."""
        if report.unavailable:
            return f"no results yet: {report.unavailable}\n"
        n_pass, n_total, seconds = sum(r.holds for r in report.rows), len(report.rows), report.seconds
        if n_total == 0:
            return f"no results to prove yet (the backend lists none) ({seconds:.3f} s)\n"
        word = "hold" if n_pass == n_total else "hold; FAILED: " + str(n_total - n_pass)
        return f"{n_pass} of {n_total} results {word} ({seconds:.3f} s)\n"

    # ------------------------------------------------------------------------- table
    def _print_SummaryTable(self, table: Any) -> str:
        from proofs.paper.notation import STRATEGY_LABELS, TABLE_COLUMNS, TABLE_HEADERS_TEXT, order_rows
        unicode = self.unicode
        cells: list[list[Any]] = [list(TABLE_HEADERS_TEXT[unicode])]
        for r in order_rows(table.rows):
            cells.append([STRATEGY_LABELS.get(r.strategy, r.strategy)]
                         + [expr_text_form(getattr(r, c), unicode) for c in TABLE_COLUMNS])
        return grid(cells)

    # ------------------------------------------------------------------------- params
    def _print_ParamsReport(self, report: Any) -> str:
        result = report.result
        arith = getattr(result, "arith", None)
        shown = _arith(result)
        parts = [f"strategy: {one_line(report.label)}", "", "V =", self._matrix(result.V, shown), "",
                 "Q =", self._matrix(result.Q, shown), "",
                 "free: " + _free(getattr(result, "free", None)),
                 "convention: " + str(getattr(result, "convention", "") or "none")]
        if arith is not None and not getattr(result.V, "is_MatrixExpr", False) and getattr(result.V, "shape", None):
            parts.append("arithmetic: " + arith.label())
        return "\n".join(parts) + "\n"

    # ------------------------------------------------------------------------- curve
    def _print_CurveReport(self, report: Any) -> str:
        result, task = report.result, report.task
        arith = _arith(result)
        settings = {**report.settings, "arithmetic": arith.label()}
        shown = ", ".join(f"{k}={inf_or(v)}" for k, v in settings.items())
        theta = {"target": "theta0", "opposite": "-theta0"}.get(task, f"theta0 rotated by {settings.get('task_angle')}")
        lines = [one_line(f"# strategy {report.label}, task {task} (theta = {theta}); {shown}"),
                 f"{'n':>6}  error"]
        if arith.precision is not None:  # mpmath: every digit asked for
            lines += [f"{int(n):>6}  {arith.text(v)}" for n, v in zip(result.n, result.values)]
            lines.append(f"{'limit':>6}  {arith.text(result.limit_value)}   (n -> infinity)")
        else:  # beyond the float range (|x| > 1.8e308), from the exact values: never a false inf
            exact = list(getattr(result, "exact", None) or [])
            errors = exact if len(exact) == len(result.error) and overflowed(exact) else result.error
            limit = getattr(result, "exact_limit", None)
            limit = limit if limit is not None and overflowed([limit]) else result.limit
            lines += [f"{int(n):>6}  {fmt_float(e)}" for n, e in zip(result.n, errors)]
            lines.append(f"{'limit':>6}  {fmt_float(limit)}   (n -> infinity)")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------------- error
    def _print_ErrorReport(self, report: Any) -> str:
        value, arith = report.value, report.arith
        if arith.exact:
            return (f"exact error E(V, Q, n={report.n}; theta):\n{expr_text(value, self.unicode)}\n"
                    f"= {fmt_float(value)}\n")
        shown = arith.text(value) if arith.precision is not None else fmt_float(value)
        return f"error E(V, Q, n={report.n}; theta) in {arith.label()}:\n= {shown}\n"

    def _print_DepthErrorReport(self, report: Any) -> str:
        r = report.result
        head = f"E_L(layers, n={r.n}; theta), L = {r.L}"
        if not r.exact:
            return (f"Monte Carlo estimate of {head} (NOT EXACT):\n= {fmt_float(r.value)} +- {fmt_float(r.stderr)} "
                    f"(one standard error; {r.samples} prompts, seed {r.seed})\n{r.label}\n")
        if r.arith.exact:
            return f"exact error {head}:\n{expr_text(r.value, self.unicode)}\n= {fmt_float(r.value)}\n{r.label}\n"
        shown = r.arith.text(r.value) if r.arith.precision is not None else fmt_float(r.value)
        return f"error {head} in {r.arith.label()}:\n= {shown}\n{r.label}\n"

    # ------------------------------------------------------------------------- verify
    def _print_VerifyReport(self, report: Any) -> str:
        cells = [["", "formula", "exact", "estimate", "stderr", "z"]]
        for r in report.rows:
            cells.append(["PASS" if r.passed else "FAIL", str(r.formula), fmt_float(r.exact),
                          fmt_float(r.estimate), fmt_float(r.stderr), f"{float(r.z):+.2f}"])
        n_pass = sum(bool(r.passed) for r in report.rows)
        return (grid(cells) + f"{n_pass} of {len(report.rows)} formulas agree with Monte Carlo "
                f"({report.samples} samples, seed {report.seed})\n")

    # ------------------------------------------------------------------------- derive
    def _print_DeriveReport(self, report: Any) -> str:
        return self._print(report.answer, report=report)

    def _print_ClosedForm(self, answer: Any, report: Any) -> str:
        """The derivation: the spec, its steps, the strategy, its errors at symbolic d."""
        import sympy as sp
        spec, result = answer.question, report.derivation
        s, m = result.strategy, result.m
        lines = [f"spec: {spec}", f"pretraining context m = {m}"]
        lines += [f"given in the spec: {k} = {sp.sstr(list(v) if v.shape[1] == 1 else v.tolist())} "
                  f"(so d = {v.shape[0]} for params and curve)" for k, v in spec.bindings]
        lines += ["", "derivation:"]
        lines += [f"  {i}. {step}" for i, step in enumerate(s.steps, 1)]
        lines += ["", str(s), "", "errors:"]
        lines += [f"  {ERROR_NAMES[k]}: {sp.sstr(v)}" for k, v in result.errors.items()]
        lines += [f"  where {k} = {sp.sstr(v)} (derived above)" for k, v in result.where.items()]
        return "\n".join(lines) + "\n"

    def _print_DepthClosedForm(self, answer: Any, report: Any) -> str:
        """A depth spec's derivation: the start, the steps, the trained blocks' closed forms (in the
        gamma_l), the errors at symbolic d, and at the setting when one is given."""
        import sympy as sp
        spec, lines = answer.question, [f"spec: {answer.question}"]
        lines.append(_depth_start(answer))
        lines += [f"given in the spec: {k} = {sp.sstr(list(v))} (so d = {v.shape[0]} at a setting)"
                  for k, v in spec.bindings]
        lines += ["", "derivation:"]
        for i, (what, value) in enumerate(answer.finetune.steps, 1):
            lines.append(f"  {i}. {what}" + _depth_step_value(value))
        lines += ["", f"{spec.name} (closed form in d, Sigma, theta_0, sigma and the gamma_l):"]
        lines += [f"  {k} = {sp.sstr(v)}" for k, v in answer.formulas().items()]
        lines += ["free: " + _free(answer.free), "convention: " + answer.convention, "", "errors:"]
        lines += [f"  {ERROR_NAMES[k]}: {sp.sstr(v)}" for k, v in report.derivation.items()]
        if report.errors is not None:
            show = answer.setting.arith.text
            lines += ["", f"errors at d = {answer.setting.d}, sigma2 = {answer.setting.sigma2}, m = {answer.setting.m}, "
                      f"Sigma = {report.Sigma}, theta0 = {report.theta0}:"]
            lines += [f"  {ERROR_NAMES[k]}: {show(v)}" for k, v in report.errors.items()]
        return "\n".join(lines) + "\n"

    def _print_DepthNumericMinimum(self, answer: Any, report: Any) -> str:
        """A depth spec's numeric local minimiser, labelled so, with every start."""
        import sympy as sp
        r, where = answer.optimum, answer.setting
        status = ("converged (relative gradient norm <= 1e-9 when BFGS stopped)" if r.converged else
                  f"NOT converged after {r.iterations} iterations")
        lines = [f"spec: {answer.question}", f"no closed form: {answer.why}", "",
                 "NUMERIC (not derived): the best local minimum of the exact loss by BFGS from several starts (below),",
                 f"at d = {where.d}, sigma2 = {where.sigma2}, m = {where.m}, Sigma = {report.Sigma}, "
                 f"theta0 = {report.theta0}; the pretrained class model's gamma_l = "
                 + ", ".join(sp.sstr(g) for g in r.gammas) + _gamma_values(r.gammas),
                 f"  loss {r.loss:.10g} (start {r.start_loss:.10g}); {status}; gradient norm {r.gradient_norm:.2g}"]
        lines += [f"  {k} = {float(v):.10g}" for k, v in zip(r.names, r.u)]
        lines += ["", "exact errors at these (numeric) parameters:"]
        lines += [f"  {ERROR_NAMES[k]}: {float(v):.10g}" for k, v in r.errors.items()]
        lines += ["", f"starts ({len(r.starts)}: the pretrained class model and random perturbations of it, seed {r.seed}):"]
        lines += [f"  {k:<12} loss {lo:.10g}  gradient norm {g:.2g}  {'converged' if c else 'NOT converged'} "
                  f"({it} iterations)" for k, lo, g, c, it in r.starts]
        return "\n".join(lines) + "\n"

    def _print_DepthDescentMinimum(self, answer: Any, report: Any) -> str:
        """Whole matrices at depth: where gradient descent from the pretrained class model got, labelled so."""
        import sympy as sp
        from proofs.cli.printers.common import numeric_matrix_text
        r, where = answer.optimum, answer.setting
        if not r.moved and r.gradient_norm == 0:
            status = ("the gradient is exactly zero at the start: gradient descent does not move (the loss does not "
                      "see the trained entries there)")
        elif r.converged:
            status = (f"{'stationary at the start: gradient descent does not move' if not r.moved else 'stationary'} "
                      f"(gradient norm {r.gradient_norm:.2g} <= 1e-10 x the start loss less sigma^2)")
        else:
            status = (f"gradient norm {r.gradient_norm:.2g}: still moving (the checkpoints below show how the errors "
                      "change along the path)")
        lines = [f"spec: {answer.question}", f"no closed form: {answer.why}", "",
                 "NUMERIC (not derived): gradient descent (Armijo backtracking steps) from the pretrained class model "
                 "on the exact zero-shot loss (Gauss-Hermite quadrature, exact for its polynomial),",
                 f"at d = {where.d}, sigma2 = {where.sigma2}, m = {where.m}, Sigma = {report.Sigma}, "
                 f"theta0 = {report.theta0}; the pretrained class model's gamma_l = "
                 + ", ".join(sp.sstr(g) for g in r.gammas) + _gamma_values(r.gammas),
                 f"  {r.steps} step{'' if r.steps == 1 else 's'}; loss {r.loss:.10g} (start {r.start_loss:.10g}); {status}"]
        for l, (V, Q) in enumerate(r.layers, 1):
            lines += ["", f"  V{l} =", numeric_matrix_text(V), f"  Q{l} =", numeric_matrix_text(Q)]
        lines += ["", "exact errors at these (numeric) parameters:"]
        lines += [f"  {ERROR_NAMES[k]}: {float(v):.10g}" for k, v in r.errors.items()]
        lines += ["", "along the path (step: loss; zero-shot on theta0; n -> oo on theta0; n -> oo on -theta0):"]
        lines += [f"  {k:>7}: {lo:.10g}; {z:.10g}; {t:.10g}; {o:.10g}" for k, lo, z, t, o in r.checkpoints]
        return "\n".join(lines) + "\n"

    def _print_ConcreteMinimum(self, answer: Any, report: Any) -> str:
        """The exact minimiser at this setting only, said so."""
        spec, sol, where = answer.question, answer.minimum, answer.setting
        arith, errs, show = where.arith, report.errors, where.arith.text
        place = (f"d = {where.d}, sigma2 = {where.sigma2}, m = {where.m}, Sigma = {report.Sigma}, "
                 f"theta0 = {report.theta0}")
        lines = [f"spec: {spec}", f"no closed form at symbolic d: {answer.why}", "",
                 f"AT THIS SETTING ONLY ({arith.label()}): {place}",
                 "  the loss is an explicit quadratic u^T A u - 2 b^T u + c in the trained entries; its minimisers",
                 "  solve A u = b, and gradient descent from the start reaches start + A^+ (b - A start)",
                 f"  loss {show(sol.loss)} (start {show(sol.start_loss)}); "
                 + ("unique minimiser" if sol.unique else "uniqueness not counted" if sol.unique is None
                    else f"affine family, {sol.n_free} free direction(s)"),
                 "", "  V =", self._matrix(sol.V, arith), "", "  Q =", self._matrix(sol.Q, arith),
                 "", "free: " + _free(answer.free), "convention: " + sol.convention, "",
                 "errors at this setting:",
                 f"  zero-shot on theta0: {show(errs['zero_shot'])}",
                 f"  n -> oo on theta0: {show(errs['few_shot_target'])}",
                 f"  n -> oo on -theta0: {show(errs['few_shot_opposite'])}"]
        return "\n".join(lines) + "\n"

    def _print_NumericMinimum(self, answer: Any, report: Any) -> str:
        """A numeric local minimiser, labelled so, with every start and their spread."""
        from symbolic.layout import NAMES, entries
        spec, r, where = answer.question, answer.optimum, answer.setting
        d, sigma2, m = where.d, where.sigma2, where.m
        big = max(abs((r.V if w == "V" else r.Q)[i, j]) for w, i, j in entries([b for b in spec.train if b in NAMES], d))
        status = ("converged (relative gradient norm |grad L| / L(start) <= 1e-9 when BFGS stopped; the best "
                  "converged start, whose loss is the lowest of all starts within 1e-9 relative)" if r.converged else
                  f"NOT converged after {r.iterations} iterations (largest trained entry {big:.3g}; if it grows "
                  "with more iterations, the infimum is not attained: no minimiser)")

        def rows(M: Any) -> str:
            return "\n".join("    " + "  ".join(f"{x: .6g}" for x in row) for row in M)
        lines = [f"spec: {spec}", f"no closed form: {answer.why}", "",
                 "NUMERIC (not derived): the best local minimum of the exact loss by BFGS from several starts (below),",
                 f"at d = {d}, sigma2 = {sigma2}, m = {m}, Sigma = {report.Sigma}, theta0 = {report.theta0}",
                 f"  loss {r.loss:.10g} (start {r.start_loss:.10g}); {status}; gradient norm {r.gradient_norm:.2g}",
                 "  V =", rows(r.V), "  Q =", rows(r.Q), "",
                 "exact errors at these (numeric) parameters:",
                 f"  zero-shot on theta0: {float(r.errors['zero_shot']):.10g}",
                 f"  n -> oo on theta0: {float(r.errors['few_shot_target']):.10g}",
                 f"  n -> oo on -theta0: {float(r.errors['few_shot_opposite']):.10g}", "",
                 f"starts ({len(r.starts)}: the pretrained parameters and random perturbations of them, seed {r.seed}):"]
        lines += [f"  {k:<12} loss {lo:.10g}  gradient norm {g:.2g}  {'converged' if c else 'NOT converged'} "
                  f"({it} iterations)" for k, lo, g, c, it in r.starts]
        lines.append("  spread across " + ("the converged starts" if any(c for *_, c, _ in r.starts) else "all starts")
                     + ": " + ", ".join(f"{k} {v:.2g}" for k, v in r.spread.items()))
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------------- rank (LoRA)
    def _print_RankMinimum(self, answer: Any, report: Any) -> str:
        """A spec with a constraining rank: the closed form at symbolic d (``report.derivation``, a
        :class:`proofs.quantities.lowrank.RankSummary`), or the rank-r optimum at the setting."""
        if answer.setting.symbolic:
            return self._rank_closed(answer, report.derivation)
        return self._rank_concrete(answer, report)

    def _rank_closed(self, answer: Any, s: Any) -> str:
        """The derivation's steps, the gains and their order, the allocation of the rank, the
        parameters, the loss and the errors at rank r and at full rank."""
        import sympy as sp
        D, r = answer.derivation, answer.rank
        params = answer.parameters()
        lines = [f"spec: {answer.question}",
                 f"pretraining context m = {sp.sstr(D.m)}" + ("" if D.m == sp.oo else " (stated at Sigma = I)"),
                 f"route: {answer.method}", "", "derivation:"]
        lines += [f"  {i}. {step}" for i, step in enumerate(D.steps, 1)]
        lines += ["", "gains (the training loss falls by each, per direction taken; k = theta0^T Sigma theta0):"]
        lines += [f"  {g}: {sp.sstr(v)}" + (" per direction, d - 1 of them (Q_xx on theta0's Sigma-complement)"
                                            if g == "perp" else "") for g, v in s.gains.items()]
        lines += [f"order: {' > '.join(D.order)}",
                  f"rank r = {r}: {s.theta} theta-block direction(s), {sp.sstr(s.perp)} perp direction(s) (for "
                  f"{s.holds_for}; full fine-tuning of the block from r = {sp.sstr(s.full_from)})", "",
                  "V =", expr_text(params.V, self.unicode), "", "Q =", expr_text(params.Q, self.unicode), ""]
        lines += [f"  where P_U = {sp.sstr(v)}" for k, v in params.definitions.items() if k == "P_U"]
        lines += ["free: " + "; ".join(params.free), "", "training loss:"]
        lines += [f"  {k}: {sp.sstr(v)}" for k, v in s.loss.items()]
        lines += ["", f"errors at rank {r} (for {s.holds_for}):"]
        lines += [f"  {RANK_ERROR_NAMES[k]}: {sp.sstr(v)}" for k, v in s.errors.items()]
        lines += ["", "errors after full fine-tuning of the block:"]
        lines += [f"  {RANK_ERROR_NAMES[k]}: {sp.sstr(v)}" for k, v in s.errors_full.items()]
        return "\n".join(lines) + "\n"

    def _rank_concrete(self, answer: Any, report: Any) -> str:
        """The rank-r optimum at the setting: method (proven global or best of K starts), loss at the
        start, at rank r and at full rank, the gains, uniqueness, V and Q, the errors."""
        import sympy as sp
        o, params, errs = answer.optimum, answer.parameters(), report.errors
        arith = params.arith
        show = arith.text if not arith.exact else (lambda x: sp.sstr(x))
        route = answer.route.upper() if answer.route != "closed form" else "closed form (evaluated at this setting)"
        lines = [f"spec: {answer.question}", f"{route}: {rank_place(answer.setting, report.Sigma, report.theta0)}",
                 f"  method: {answer.method}"]
        if answer.derivation is None:
            lines.append(f"  no closed form at symbolic d: {answer.why}")
        if not o.is_global:
            lines.append("  best of K starts, NOT proven global")
        lines += [f"  training loss: start {show(o.loss_start)}, rank {answer.rank}: {show(answer.loss())}, full "
                  f"fine-tuning of the block: {show(o.loss_full)}"]
        spectrum = [(v, mult) for v, mult in o.spectrum]
        if spectrum:
            lines.append("  gains (eigenvalues of S Delta*^T H Delta*, with multiplicity, largest first): "
                         + ", ".join(f"{show(v)} x{mult}" for v, mult in spectrum))
        lines.append("  " + ("unique optimum" if o.unique else
                             f"not unique: {o.tie[1]} of {o.tie[0]} tied directions taken" if o.tie else
                             "uniqueness not established (a local search)"))
        lines += [f"  note: {n}" for n in o.notes]
        matrix = (lambda M: expr_text(sp.Matrix(M), False)) if arith.exact else numeric_matrix_text
        lines += ["", "  V =", matrix(params.V), "", "  Q =", matrix(params.Q), "",
                  "free: " + "; ".join(params.free), "convention: " + params.convention, "",
                  "errors at this setting:",
                  f"  zero-shot on theta0: {show(errs['zero_shot'])}",
                  f"  n -> oo on theta0: {show(errs['few_shot_target'])}",
                  f"  n -> oo on -theta0: {show(errs['few_shot_opposite'])}"]
        return "\n".join(lines) + "\n"

    def _print_RankTrajectoryReport(self, report: Any) -> str:
        """LoRA's path: a row per recorded step, where it ends, the rank-r optimum, the gap."""
        r, settings = report.trajectory, report.settings
        cols = list(r.values)
        heads = {"loss": "loss", **HEADS}
        n = "n->inf" if settings["n"] == "inf" else f"n={settings['n']}"
        lines = [f"# {lora_start(r)}; " + ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None),
                 f"# route: {r.route}",
                 f"# columns: training loss, zero-shot error on theta0, {n} errors on theta0, -theta0",
                 f"{'step':>10}" + "".join(f"  {heads[c]:>13}" for c in cols)]
        for i, t in enumerate(r.steps):
            lines.append(f"{t:>10}" + "".join(f"  {fmt_float(r.values[c][i]):>13}" for c in cols))
        if r.diverged_at is not None:
            lines.append(f"diverges: the factors are not finite from step {r.diverged_at} (eta too large); rows stop there")
        else:
            lines.append("end (step T): " + ", ".join(f"{heads[c]}={fmt_float(v)}" for c, v in r.end.items())
                         + f"; gradient norm {r.gradient_norm:.3g}")
        lines.append("rank-r optimum: " + ", ".join(f"{heads[c]}={fmt_float(v)}" for c, v in r.optimum.items())
                     + f"  ({r.optimum_method.split(';')[0].split(':')[0]})")
        if r.gap is not None:
            lines.append(f"end minus optimum (training loss): {r.gap:.3g}")
        for c, t in r.crossings.items():
            lines.append(f"{heads[c]} crosses {settings['level']}: " + ("never (at the recorded steps)" if t is None
                                                                        else f"by recorded step {t}"))
        if r.formula is not None:
            import sympy as sp
            lines.append(f"loss along the path (w = {short_vector(r.perp_direction)}): {sp.sstr(r.formula)}")
        return "\n".join(lines) + "\n"

    def _print_RankFrontierReport(self, report: Any) -> str:
        """A row per rank and lambda, the route per rank, the checks."""
        import sympy as sp
        result, settings = report.frontier, report.settings
        n = "n->inf" if settings["n"] == "inf" else f"n={settings['n']}"
        label = lambda lam: "inf" if lam == sp.oo else sp.sstr(lam)  # noqa: E731
        lines = [f"# {settings['block']} by its best rank-r update (LoRA) on E(0; theta0) + lambda E(n_ft; theta0); "
                 + ", ".join(f"{k}={v}" for k, v in settings.items()),
                 f"# columns: zero-shot error on theta0, {n} error on theta0, {n} error on -theta0",
                 f"{'':>8}{'':>16}  {'zero-shot':>13}  {'target':>13}  {'opposite':>13}"]
        for r in result.rows:
            rank = f"r={r.rank}" + ("*" if r.full else "")
            lines.append(f"{rank:>8}{'lambda=' + label(r.lam):>16}  "
                         + "  ".join(f"{fmt_float(v):>13}" for v in r.values()))
        lines.append("* full fine-tuning of the block")
        for k in result.ranks:
            lines.append(f"rank {k}: {result.routes[k]}" + ("; one point (no column depends on lambda)"
                                                             if result.degenerate.get(k) else ""))
        for what, ok in result.checks:
            lines.append(f"check: {what}: {'holds' if ok else 'DOES NOT HOLD'}")
        lines += [f"note: {x}" for x in result.notes]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------------- frontier
    def _print_FrontierReport(self, report: Any) -> str:
        from proofs.paper.notation import STRATEGY_LABELS
        from proofs.quantities.frontier import lambda_label
        result, settings = report.frontier, report.settings
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        n = "n->inf" if settings["n"] == "inf" else f"n={settings['n']}"
        lines = [f"# value fine-tuning on E(0; theta0) + lambda E(n_ft; theta0); {shown}",
                 f"# columns: zero-shot error on theta0, {n} error on theta0, {n} error on -theta0",
                 f"{'':>16}  {'zero-shot':>13}  {'target':>13}  {'opposite':>13}"]
        for r in result.rows:
            lines.append(f"{'lambda=' + lambda_label(r.lam):>16}  " + "  ".join(f"{fmt_float(v):>13}" for v in r.values()))
        for r in result.strategies:
            lines.append(f"{STRATEGY_LABELS.get(r.label, r.label):>16}  "
                         + "  ".join(f"{fmt_float(v):>13}" for v in r.values()))
        lines.append("in lambda on (0, inf): " + ", ".join(f"{c.replace('_', '-')} {m}" for c, m in result.monotone.items())
                     + ("  (degenerate: no column depends on lambda)" if result.degenerate else ""))
        for what, ok in result.checks:
            lines.append(f"check: {what}: {'holds' if ok else 'DOES NOT HOLD'}")
        lines += [f"note: {note}" for note in getattr(result, "notes", [])]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------------- trajectory
    def _print_TrajectoryReport(self, report: Any) -> str:
        import sympy as sp
        r, settings = report.trajectory, report.settings
        shown = ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None)
        staged = len(r.eta_max) > 1
        n = "n->inf" if settings["n"] == "inf" else f"n={settings['n']}"
        lines = [f"# {'gradient flow' if r.flow else 'gradient descent'} on the trained entries; {shown}",
                 f"# convention: {report.convention}",
                 f"# path: {r.construction}",
                 f"# columns: zero-shot error on theta0, {n} errors on theta0, -theta0" + (", task" if "task" in r.columns else ""),
                 "# stable range: " + ", then ".join(f"0 < {name} < {sp.sstr(e)} (= {fmt_float(e)})"
                                                     for name, e in zip(("eta", "eta_2"), r.eta_max))
                 + ("" if r.stable else "  [a step is OUTSIDE it]"),
                 f"{'step':>10}" + ("  stage" if staged else "") + "".join(f"  {HEADS[c]:>13}" for c in r.columns)]
        for row in r.rows:
            lines.append(f"{row.step:>10}" + (f"  {row.stage:>5}" if staged else "")
                         + "".join(f"  {fmt_float(row.values[c]):>13}" for c in r.columns))
        if r.diverged_at is not None:
            lines.append(f"diverges: from step {r.diverged_at} an error exceeds {fmt_float(r.bound)} "
                         f"(10^6 times the largest error at step 0); rows stop there")
        else:
            lines.append("end (step T): " + ", ".join(f"{k}={fmt_float(v)}" for k, v in r.end.items()))
        if r.converges:
            lines.append("limit t->inf: " + ", ".join(f"{k}={sp.sstr(v) if r.exact else fmt_float(v)}"
                                                      for k, v in r.limit.items()))
        for c, t in r.crossings.items():
            lines.append(f"{HEADS[c]} crosses {settings['level']}: " + ("never" if t is None else f"at step {t}"))
        for c, fs in r.formulas.items():
            for k, f in enumerate(fs):
                lines.append(f"{HEADS[c]}(t){' stage ' + str(k + 1) if len(fs) > 1 else ''} = {sp.sstr(f)}")
        lines += [f"note: {x}" for x in r.notes]
        return "\n".join(lines) + "\n"

    def _print_NumericTrajectory(self, report: Any) -> str:
        cols = report.columns
        lines = ["# NUMERIC gradient descent (no closed form); " + ", ".join(f"{k}={v}" for k, v in report.settings.items()),
                 f"# {report.note}", f"{'step':>10}" + "".join(f"  {HEADS[c]:>13}" for c in cols)]
        for t, e in report.rows:
            lines.append(f"{t:>10}" + "".join(f"  {fmt_float(e[c]):>13}" for c in cols))
        if report.diverged is not None:
            lines.append(f"diverges: from step {report.diverged} the loss or an error exceeds 10^6 times its start; "
                         "rows stop there")
        lines.append("end: V's last row = " + ", ".join(fmt_float(x) for x in report.V[-1]))
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------------- compare
    def _print_Comparison(self, result: Any) -> str:
        """Header, one verdict line per column, the crossings, and the table of levels."""
        s = compare_settings(result)
        lines = [f"# at equal {result.match.name}: left = {result.sides['left']['label']}; "
                 f"right = {result.sides['right']['label']}",
                 "# " + ", ".join(f"{k}={v}" for k, v in s.items() if v is not None)]
        for side in ("left", "right"):
            info = result.sides[side]
            lo, hi = info["levels"]
            lines.append(f"# {side}: {info['param']}; levels [{level_text(lo)}, {level_text(hi)}]")
        lines += [f"note: {n}" for n in result.notes]
        if not result.common:
            lines.append("the two sides reach no common level: nothing to compare")
            return "\n".join(lines) + "\n"
        lines.append(f"one common level: {_level_shown(result.lo)}" if result.lo == result.hi else
                     f"common levels: [{_level_shown(result.lo)}, {_level_shown(result.hi)}]")
        for cc in result.columns:
            head = f"{cc.column.name}: {WHO[cc.lower]}"
            if cc.lower in ("left", "right") and result.lo != result.hi:
                head += " at every common level"
            gaps = [g for *_, g in cc.pieces if g is not None]
            if gaps and cc.lower in ("left", "right"):
                head += f", by up to {max(gaps):.4g}"
            lines.append(head + f"  [{cc.how}]")
            for a, b, who, gap in cc.pieces if cc.lower is None else []:
                lines.append(f"    on ({level_text(a)}, {level_text(b)}): {WHO[who]}" + (f", by up to {gap:.4g}" if gap is not None else ""))
            for x in cc.crossings:
                where = ", ".join(f"{k} = {v:.6g}" for side in ("left", "right") for k, v in getattr(x, side).items())
                exact = f" (exact: {expr_json(x.exact)})" if exact_level(x.exact) is not None else ""
                lines.append(f"    {'flips' if x.kind == 'crossing' else 'touches'} at level {x.level:.10g}{exact}; "
                             f"value {x.value:.10g}; {where}")
            lines.append(f"    how: {cc.detail}")
        if result.table:
            w = 11
            top = " " * 12 + "".join(f"  {cc.column.name:^{2 * w + 7}}" for cc in result.columns)
            head = f"{'level':>12}" + "".join(f"  {'left':>{w}} {'right':>{w}} {'lower':>5}" for _ in result.columns)
            lines += ["", top.rstrip(), head]
            for i, z in enumerate(result.table):
                row = f"{level_float(z):>12.6g}"
                for cc in result.columns:
                    left, right, who = cc.levels[i]
                    row += f"  {left:>{w}.6g} {right:>{w}.6g} {who:>5}"
                lines.append(row)
            counts = "; ".join(f"{cc.column.name}: left lower at {cc.counts()['left']}, right at {cc.counts()['right']}"
                               + (f", equal at {cc.counts()['equal']}" if cc.counts()["equal"] else "")
                               for cc in result.columns)
            lines.append(f"at {'this level' if len(result.table) == 1 else f'these {len(result.table)} levels'}: {counts}")
        lines.append(f"cpu: {result.seconds:.2f} s")
        return "\n".join(lines) + "\n"


def _level_shown(x: Any) -> str:
    """A comparison's level for text: its value, and its exact form when that is short."""
    e = exact_level(x)
    return level_text(x) + (f" (= {e})" if e is not None and len(e) <= 40 and e != level_text(x) else "")
