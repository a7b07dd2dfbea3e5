"""The LaTeX printer: snippets to paste into a paper (``--format latex``; amsmath only).

Expressions in the paper's notation (:func:`proofs.paper.notation.expr_latex`,
:func:`symbolic.printing.paper_latex`), numbers as the text printer writes them; a comment line
(``% ...``) says what the snippet is.
"""
from __future__ import annotations

from typing import Any

from proofs.cli.printers.base import Printer
from proofs.cli.printers.common import compare_settings, exact_level, fmt_float, level_text

__all__ = ["LatexPrinter"]

#: the error columns of ``trajectory``, as LaTeX names them
COLUMN_NAMES = {"zero_shot": r"\mathcal{E}(0;\theta_0)", "few_shot_target": r"\mathcal{E}(n;\theta_0)",
                "few_shot_opposite": r"\mathcal{E}(n;-\theta_0)", "task": r"\mathcal{E}(n;\theta)"}

#: the errors of a rank spec's closed form (:class:`proofs.quantities.lowrank.RankSummary`), as LaTeX names them
RANK_ERRORS = {"zero_shot": r"\mathcal{E}(0;\theta_0)", "few_shot_target": r"\lim_{n\to\infty}\mathcal{E}(n;\theta_0)",
               "few_shot_opposite": r"\lim_{n\to\infty}\mathcal{E}(n;-\theta_0)",
               "n_shot_target": r"\mathcal{E}(n;\theta_0)", "n_shot_opposite": r"\mathcal{E}(n;-\theta_0)",
               "family": r"\lim_{n\to\infty}\mathbb{E}_{\theta\sim\mathcal{N}(0,I)}\mathcal{E}(n;\theta)\ (\Sigma = I)"}


class LatexPrinter(Printer):
    """amsmath snippets (see the module docstring)."""

    format = "latex"

    # ------------------------------------------------------------------------- table
    def _print_SummaryTable(self, table: Any) -> str:
        """The summary table as a paper sets it (:func:`proofs.paper.latex_doc.table_latex`)."""
        from proofs.paper.latex_doc import table_latex
        return table_latex(table.rows)

    # ------------------------------------------------------------------------- params
    def _print_ParamsReport(self, report: Any) -> str:
        from proofs.paper.notation import expr_latex
        result = report.result
        free = [str(f) for f in (getattr(result, "free", []) or [])]
        lines = [f"% icl-finetune params --strategy {report.label}",
                 "% free: " + ("; ".join(free) if free else "none")]
        convention = str(getattr(result, "convention", "") or "")
        lines += ["% convention: " + line for line in convention.splitlines()] if convention else []
        lines += [r"\begin{align*}",
                  f"V &= {expr_latex(result.V)} \\\\",
                  f"Q &= {expr_latex(result.Q)}",
                  r"\end{align*}"]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------------- derive
    def _print_DeriveReport(self, report: Any) -> str:
        return self._print(report.answer, report=report)

    def _print_ClosedForm(self, answer: Any, report: Any) -> str:
        """The derived strategy and its three errors at symbolic d (a closed form only: the other
        answers hold at one setting, and ``derive`` refuses LaTeX for them)."""
        from symbolic.printing import latex, paper_latex
        result = report.derivation
        rows = [r"\text{zero-shot on } \theta_0 &= " + paper_latex(result.errors["zero_shot"]),
                r"\lim_{n\to\infty} \text{ on } \theta_0 &= " + paper_latex(result.errors["few_shot_target"]),
                r"\lim_{n\to\infty} \text{ on } -\theta_0 &= " + paper_latex(result.errors["few_shot_opposite"])]
        rows += [rf"\text{{where }} {latex(k)} &= {paper_latex(v)}" for k, v in result.where.items()]
        return ("% " + str(answer.question) + "\n\\[\n" + result.strategy.latex() + "\n\\]\n\\[\n\\begin{aligned}\n"
                + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n")

    def _print_DepthClosedForm(self, answer: Any, report: Any) -> str:
        """A depth spec's trained blocks and its three errors at symbolic d (in the gamma_l)."""
        from symbolic.printing import paper_latex
        rows = [rf"v^{{({k.split('.')[0][1:]})}}_{{{k.split('.')[1].split('_')[1]}}} &= {paper_latex(v)}"
                for k, v in answer.formulas().items()]
        names = {"zero_shot": r"\text{zero-shot on } \theta_0", "few_shot_target": r"\lim_{n\to\infty} \text{ on } \theta_0",
                 "few_shot_opposite": r"\lim_{n\to\infty} \text{ on } -\theta_0"}
        rows += [f"{names[k]} &= {paper_latex(v)}" for k, v in report.derivation.items()]
        return ("% " + str(answer.question) + "\n% v^{(l)}_b: block b of layer l's values; Gamma_l = gamma_l Sigma^{-1}\n"
                "\\[\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n")

    # ------------------------------------------------------------------------- rank (LoRA)
    def _print_RankMinimum(self, answer: Any, report: Any) -> str:
        """The errors at rank r of a rank spec's closed form at symbolic d (``derive`` refuses LaTeX
        for the rank-r optimum at one setting)."""
        from symbolic.printing import paper_latex
        s = report.derivation
        rows = [rf"{RANK_ERRORS[k]} &= {paper_latex(v)}" for k, v in s.errors.items()]
        return (f"% {answer.question}\n% rank {answer.rank} ({s.holds_for}); k = theta_0^T Sigma theta_0\n"
                "\\[\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n")

    # ------------------------------------------------------------------------- trajectory
    def _print_TrajectoryReport(self, report: Any) -> str:
        """Each column as a function of the step t (per stage), then the recorded rows."""
        import sympy as sp
        r = report.trajectory
        body = []
        if r.formulas:
            body.append(r"\begin{align*}")
            parts = []
            for c, fs in r.formulas.items():
                for k, f in enumerate(fs):
                    tag = rf"\quad\text{{(stage {k + 1})}}" if len(fs) > 1 else ""
                    parts.append(f"{COLUMN_NAMES[c]}(t) &= {sp.latex(f)}{tag}")
            body.append(" \\\\\n".join(parts))
            body.append(r"\end{align*}")
        body += _tabular(r.columns, [(row.step, row.values) for row in r.rows])
        return "\n".join(body) + "\n"

    def _print_NumericTrajectory(self, report: Any) -> str:
        """The recorded rows of the numeric path (no formula: it has none), said to be numeric."""
        return "\n".join(["% NUMERIC gradient descent (no closed form); " + report.note,
                          *_tabular(report.columns, report.rows)]) + "\n"

    # ------------------------------------------------------------------------- compare
    def _print_Comparison(self, result: Any) -> str:
        """A tabular: per column, which side is lower and where the order flips."""
        import sympy as sp
        from proofs.paper.result import latex_text
        s = compare_settings(result)
        lines = [f"% icl-finetune compare: left = {result.sides['left']['label']}; right = {result.sides['right']['label']}",
                 "% " + ", ".join(f"{k}={v}" for k, v in s.items() if v is not None),
                 r"\begin{tabular}{lll}",
                 rf"error at equal ${result.match.latex}$ & lower & the order flips at \\",
                 r"\hline"]
        names = {"left": latex_text(result.sides["left"]["label"]), "right": latex_text(result.sides["right"]["label"]),
                 "equal": "equal", None: "neither everywhere"}
        for cc in result.columns:
            flips = [x for x in cc.crossings if x.kind == "crossing"]
            where = ", ".join(f"${sp.latex(x.exact)}$" if exact_level(x.exact) is not None and len(sp.latex(x.exact)) < 60
                              else f"${x.level:.6g}$" for x in flips) or "---"
            lines.append(rf"${cc.column.latex}$ & {names[cc.lower]} & {where} \\")
        lines.append(r"\end{tabular}")
        if result.common:
            lines.append(rf"% common levels [{level_text(result.lo)}, {level_text(result.hi)}]")
        return "\n".join(lines) + "\n"


def _tabular(columns: Any, rows: Any) -> list[str]:
    """A tabular of (step, {column: error}) rows under the columns' names."""
    out = [r"\begin{tabular}{r" + "r" * len(columns) + "}",
           "$t$ & " + " & ".join(f"${COLUMN_NAMES[c]}$" for c in columns) + r" \\ \hline"]
    out += [f"{step} & " + " & ".join(fmt_float(values[c]) for c in columns) + r" \\" for step, values in rows]
    out.append(r"\end{tabular}")
    return out
