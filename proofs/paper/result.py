r"""A result of the paper: its statement, its derivation through :mod:`symbolic`, its checks.

A :class:`Result` holds

* ``statement``: the claim as the paper states it, SymPy objects (mostly ``Eq``) whose left
  sides are :class:`TestError` objects such as :math:`\mathcal{E}(V_c, \hat{Q}, 0; \theta_0)`;
  typing the claim is fine, it is what is being checked;
* ``derive()``: the derivation, run through :mod:`symbolic` (cached): the derived value of
  every left side of the statement, the derivation's steps, and what the derivation adds
  (finite m, finite n, other tasks, the parameters left free);
* ``check()``: the exact checks (first-order conditions, second-order conditions or the
  convexity that makes a minimiser global, completeness of a minimiser set, equality with
  the statement) and, where a step is not proved symbolically, a numeric search that backs
  it, said so in its line.  Returns a :class:`Verdict`.

Results print as maths: ``str(result)`` is SymPy's pretty printer, ``result.latex()`` an
amsmath snippet and ``_repr_latex_`` renders it in Jupyter.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable

import sympy as sp

__all__ = ["Result", "Verdict", "Line", "Derivation", "lazy", "TestError", "Param", "ParamVector", "PARAMS",
           "latex_text", "Conditions", "claim"]

#: How each strategy's parameters print in E(V, Q, n; theta): (str, LaTeX).
PARAMS = {
    "pretrain": ("V_hat, Q_hat", r"\hat{V}, \hat{Q}"),
    "full": ("V_b, Q_b", r"V_{b}, Q_{b}"),
    "value": ("V_c, Q_hat", r"V_{c}, \hat{Q}"),
    "value-fewshot": ("V_d, Q_hat", r"V_{d}, \hat{Q}"),
}


def claim(lhs: Any, rhs: Any) -> sp.Eq:
    """One equation of a statement, ``lhs = rhs``, as ``sympy.Eq(lhs, rhs, evaluate=False)``.

    Evaluated, ``sympy.Eq`` first asks whether the two sides are equal (``is_eq``: assumptions
    queried over the whole right-hand side, tens of milliseconds a claim) and, where it cannot
    tell, returns this same unevaluated ``Eq``; for a statement it cannot tell (a
    :class:`TestError` or a named quantity on the left, a formula on the right), so the question
    is skipped.  tests/test_claims.py checks that every statement is what ``sympy.Eq`` gives."""
    return sp.Eq(lhs, rhs, evaluate=False)


#: how a symbolic number of shots prints in E(V, Q, n; theta)
_N_LATEX = {"n_ft": r"n_{\mathrm{ft}}"}


class TestError(sp.Expr):
    r"""The scalar :math:`\mathcal{E}(V, Q, n; \theta)` of a strategy's parameters.

    ``TestError("value", 0, THETA0)`` is the zero-shot error of strategy (c) on theta_0;
    ``n = sympy.oo`` stands for the limit :math:`\lim_{n\to\infty}`.
    """

    __test__ = False  # not a pytest class
    is_commutative = True

    def __new__(cls, strategy: str, n: Any, task: sp.Basic):
        return sp.Expr.__new__(cls, sp.Symbol(strategy), sp.sympify(n), task)

    @property
    def strategy(self) -> str:
        return self.args[0].name

    @property
    def n(self) -> sp.Expr:
        return self.args[1]

    @property
    def task(self) -> sp.Basic:
        return self.args[2]

    def _params(self, i: int) -> str:
        return PARAMS.get(self.strategy, (self.strategy, self.strategy))[i]

    def _sympystr(self, printer) -> str:
        n = "n" if self.n == sp.oo else printer._print(self.n)
        core = f"E({self._params(0)}, {n}; {printer._print(self.task)})"
        return f"lim_(n->oo) {core}" if self.n == sp.oo else core

    def latex_core(self, printer=None) -> str:
        r"""The LaTeX of :math:`\mathcal{E}(\dots)` without the limit in front."""
        if printer is None:
            from sympy.printing.latex import LatexPrinter
            printer = LatexPrinter()
        n = "n" if self.n == sp.oo else _N_LATEX.get(str(self.n)) or printer._print(self.n)
        return rf"\mathcal{{E}}({self._params(1)}, {n}; {printer._print(self.task)})"

    def _latex(self, printer) -> str:
        core = self.latex_core(printer)
        return rf"\lim_{{n \to \infty}} {core}" if self.n == sp.oo else core

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        uni = printer._use_unicode
        n = "n" if self.n == sp.oo else str(self.n)
        task = printer._print(self.task)
        head = prettyForm(f"ℰ({self._params(0).replace('_hat', '̂')}, {n}; " if uni
                          else f"E({self._params(0)}, {n}; ")
        out = prettyForm(*head.right(task))
        out = prettyForm(*out.right(")"))
        if self.n == sp.oo:
            lim = prettyForm(*prettyForm(" lim ").below(prettyForm("n→∞ " if uni else "n->oo ")))
            lim.baseline = 0
            out = prettyForm(*lim.right(out))
        return out


class Param(sp.Symbol):
    """A scalar parameter of a statement, e.g. ``v_0^c``; pretty-prints as its name."""

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        return prettyForm(self.name)


class ParamVector(sp.MatrixSymbol):
    """A vector parameter of a statement, e.g. ``v_x^c``; pretty-prints as its name."""

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        return prettyForm(self.name)


class Conditions(sp.Basic):
    r"""Conditions that hold together, in the order given, e.g. a family of minimisers
    ``F_1: v_0 = 0, v_x = C theta_0, ...``; prints with commas, as a paper writes it (SymPy's
    ``And`` reorders its arguments and prints logical-and signs).

    ``Conditions("F_1", Eq(...), Eq(...))``: the first argument is the family's label (LaTeX
    ``F_{1}``), or ``None``.
    """

    def __new__(cls, label: str | None, *conditions: sp.Basic):
        return sp.Basic.__new__(cls, sp.Symbol(label) if label else sp.S.Zero, *map(sp.sympify, conditions))

    @property
    def label(self) -> str | None:
        return self.args[0].name if isinstance(self.args[0], sp.Symbol) else None

    @property
    def conditions(self) -> tuple[sp.Basic, ...]:
        return tuple(self.args[1:])

    def label_latex(self) -> str:
        if not self.label:
            return ""
        head, _, sub = self.label.partition("_")
        return f"{head}_{{{sub}}}" if sub else head

    def _latex(self, printer) -> str:
        body = r",\quad ".join(_eq_latex(c) for c in self.conditions)
        return body

    def _sympystr(self, printer) -> str:
        body = ", ".join(printer._print(c) for c in self.conditions)
        return f"{self.label}: {body}" if self.label else body

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        out = prettyForm(f"{self.label}: ") if self.label else prettyForm("")
        for i, c in enumerate(self.conditions):
            if i:
                out = prettyForm(*out.right(",  "))
            if isinstance(c, sp.Eq) and getattr(c.rhs, "is_ZeroMatrix", False):  # 0, as a paper writes it
                part = prettyForm(*printer._print(c.lhs).right(" = 0"))
            else:
                part = printer._print(c)
            out = prettyForm(*out.right(part))
        return out


def _eq_latex(e: sp.Basic) -> str:
    """``lhs = rhs`` with the right side as a paper writes it."""
    from symbolic.printing import latex as _latex, paper_latex
    if isinstance(e, sp.Eq):
        return f"{_latex(e.lhs)} = {paper_latex(e.rhs)}"
    return _latex(e)


@dataclass(frozen=True)
class Line:
    """One checked fact. ``kind``: ``exact`` (proved by exact computation), ``numeric``
    (backed by a numeric computation, not a proof), ``note`` (information, proves nothing);
    ``ok``: whether it held (``None`` for notes)."""

    kind: str
    text: str
    ok: bool | None = True

    def __post_init__(self) -> None:
        # a check's outcome as Python's bool: numpy's False_ or SymPy's false would otherwise pass
        # as "not False" (a value whose truth is undecided raises here, so the check fails loudly)
        if self.ok is not None and not isinstance(self.ok, bool):
            object.__setattr__(self, "ok", bool(self.ok))

    def __str__(self) -> str:
        tag = {"exact": "exact", "numeric": "numeric", "note": "note"}[self.kind]
        if self.ok is False:
            tag = "FAILED " + tag
        return f"[{tag}] {self.text}"


@dataclass
class Verdict:
    """The outcome of :meth:`Result.check`: ``holds``, the ``lines`` that were checked (str),
    the wall time in ``seconds``, and the structured ``checks``."""

    holds: bool
    lines: list[str]
    seconds: float
    checks: list[Line] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{'holds' if self.holds else 'FAILS'} ({self.seconds:.3f} s)"
        return "\n".join([head] + ["  " + line for line in self.lines])


class lazy:
    """A value of :attr:`Derivation.extra` computed on first access (costly refinements that
    ``prove`` does not need, e.g. the n-shot error at symbolic n)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class Extras(dict):
    """A dict whose :class:`lazy` values are computed (and stored) on first access."""

    def __getitem__(self, key):
        v = super().__getitem__(key)
        if isinstance(v, lazy):
            v = v.fn()
            super().__setitem__(key, v)
        return v

    def get(self, key, default=None):
        return self[key] if key in self else default

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        return [self[k] for k in self.keys()]


@dataclass
class Derivation:
    """What :meth:`Result.derive` returns.

    ``values``: left side of each statement -> derived right side; ``steps``: the
    derivation's steps (:class:`symbolic.strategy.Step`, or strings); ``extra``: named
    derived objects that refine the statement (finite m, finite n, other tasks, conventions
    dropped); ``data``: anything the checks reuse.
    """

    values: dict[sp.Basic, Any] = field(default_factory=dict)
    steps: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.extra = Extras(self.extra)


def latex_text(s: str) -> str:
    """Plain text made safe for LaTeX text mode (only base LaTeX commands)."""
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
           "<": r"$<$", ">": r"$>$", "|": r"$|$"}
    s = s.replace("->", "\x00")
    return "".join(rep.get(c, c) for c in s).replace("\x00", r"$\to$")


class Result:
    """Base class of the paper's results (one subclass per module of :mod:`proofs.paper.results`).

    Subclasses set ``id``, ``title``, ``strategy``, ``assumptions`` and implement
    :meth:`_statement`, :meth:`_derive` and :meth:`_checks`.
    """

    id: str = ""
    title: str = ""
    #: the title with maths in LaTeX (defaults to ``title`` escaped)
    title_latex: str = ""
    strategy: str = ""
    #: (plain text, LaTeX text) pairs
    assumption_pairs: tuple[tuple[str, str], ...] = ()
    #: how the result is named in documents (default: from the id, "theorem-4.6" -> "Theorem 4.6")
    label_text: str = ""
    #: what the claim is about, shown before the statement: (plain text, LaTeX text)
    claim: tuple[str, str] = ("", "")
    #: the symbols the statement introduces (beyond the setting's, :data:`proofs.paper.notation.STANDING_SYMBOLS`),
    #: each ``(name, plain text, LaTeX text)``, printed after the assumptions: "Here ..."; a symbol
    #: defined in another's sentence has empty texts
    definitions: tuple[tuple[str, str, str], ...] = ()
    #: symbols the claim's own text defines (no separate definition printed), by name
    defined_in_claim: tuple[str, ...] = ()
    #: a remark printed after the statement: (plain text, LaTeX text)
    remark: tuple[str, str] = ("", "")

    # -------------------------------------------------------------- to implement
    def _statement(self) -> tuple[sp.Basic, ...]:
        raise NotImplementedError

    def _derive(self) -> Derivation:
        raise NotImplementedError

    def _checks(self, der: Derivation) -> Iterable[Line]:
        raise NotImplementedError

    # -------------------------------------------------------------- public
    @cached_property
    def statement(self) -> tuple[sp.Basic, ...]:
        """The claim as the paper states it (SymPy objects)."""
        return tuple(self._statement())

    def derive(self) -> Derivation:
        """Run the derivation through :mod:`symbolic` (cached per process)."""
        cached = self.__dict__.get("_derivation")
        if cached is None:
            cached = self._derive()
            self.__dict__["_derivation"] = cached
        return cached

    @property
    def assumptions(self) -> list[str]:
        """The assumptions and conventions the statement holds under (plain text)."""
        return [a for a, _ in self.assumption_pairs]

    @property
    def assumptions_latex(self) -> list[str]:
        """The same, as LaTeX text (inline maths in ``$...$``)."""
        return [b for _, b in self.assumption_pairs]

    @property
    def steps(self) -> list[Any]:
        """The derivation's steps, in order."""
        return list(self.derive().steps)

    @property
    def derived(self) -> dict[sp.Basic, Any]:
        """Left side of each statement -> its derived value."""
        return dict(self.derive().values)

    @property
    def extra(self) -> dict[str, Any]:
        """What the derivation adds to the statement (finite m, finite n, other tasks...);
        computed on access where costly."""
        return dict(self.derive().extra.items())

    def check(self) -> Verdict:
        """Derive, then run every check; a check that raises counts as failed."""
        t0 = time.perf_counter()
        lines: list[Line] = []
        try:
            der = self.derive()
            for line in self._checks(der):
                lines.append(line)
        except Exception as exc:  # a derivation or check that raises has failed
            lines.append(Line("exact", f"raised {type(exc).__name__}: {exc}", False))
        holds = bool(lines) and all(l.ok is not False for l in lines) and any(
            l.kind == "exact" and l.ok for l in lines)
        return Verdict(holds, [str(l) for l in lines], time.perf_counter() - t0, lines)

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """Each statement's two sides at an explicit setting, exactly (or to ``digits`` digits).

        ``setting`` keys: ``Sigma`` (d x d), ``theta_0``, ``theta`` (vectors), ``sigma2``,
        ``C``, ``m``, ``n``...  Returns ``{lhs: (derived value, stated value)}``.
        """
        from symbolic.evaluation import evaluate, evaluate_matrix
        from symbolic.validation import check_count, check_nonnegative, check_spd, check_vector
        allowed = {"Sigma", "theta_0", "theta", "sigma2", "C", "m", "n", "n_ft", "d"}
        for eq in self.statement:
            allowed |= {getattr(x, "name", str(x)) for x in sp.sympify(eq).free_symbols}
        unknown = sorted(set(setting) - allowed)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown setting; expected some of {', '.join(sorted(allowed))}")
        env = dict(setting)
        if "Sigma" in env:
            env["Sigma"] = check_spd(env["Sigma"], "Sigma")
        d = env["Sigma"].shape[0] if "Sigma" in env else None
        for k in ("theta_0", "theta"):
            if k in env:
                env[k] = check_vector(env[k], k, d)
        if "sigma2" in env:
            env["sigma"] = sp.sqrt(check_nonnegative(env.pop("sigma2"), "sigma2"))
        for k in ("m", "n", "n_ft"):
            if k in env:
                env[k] = check_count(env[k], k, allow_inf=False, allow_symbol=False)
        pairs = [(eq.lhs, (self.derived[eq.lhs], eq.rhs)) for eq in self.statement
                 if isinstance(eq, sp.Eq) and eq.lhs in self.derived]
        # every scalar side in one call of evaluate (each trace and bilinear form of the setting computed
        # once for all sides: the same substitution side by side, so the same values); where that call
        # raises, side by side as before (the same error as before)
        scalar = [e for _, sides in pairs for e in sides if isinstance(e, sp.Expr) and not e.is_Matrix]
        try:
            done = dict(zip(scalar, evaluate(sp.Tuple(*scalar), env))) if len(scalar) > 1 else {}
        except Exception:
            done = {}
        out = {}
        for lhs, sides in pairs:
            vals = []
            for e in sides:
                if getattr(e, "is_Matrix", False):   # a vector or matrix statement (v_x^c...): its entries
                    v = sp.ImmutableMatrix(evaluate_matrix(e, env))
                    vals.append(v.evalf(digits) if digits else v)
                    continue
                v = done[e] if e in done else evaluate(e, env)
                vals.append(sp.N(v, digits) if digits else v)
            out[lhs] = tuple(vals)
        return out

    # -------------------------------------------------------------- printing
    def latex(self, standing: Iterable[str] = ()) -> str:
        r"""The statement as an amsmath snippet: a paragraph (label, title, assumptions, claim)
        and a display (``alignat*``: the limits, the left sides and the equals signs aligned;
        families of conditions on lines of their own).  ``standing``: assumptions (LaTeX, as
        in :attr:`assumptions_latex`) stated once elsewhere and not repeated here."""
        title = self.title_latex or latex_text(self.title)
        head = rf"\noindent\textbf{{{latex_text(self.label)}}} ({title})."
        skip = set(standing)
        assume = [a for a in self.assumptions_latex if a not in skip]
        if assume:
            head += " Assume " + "; ".join(assume) + "."
        if any(t for _, _, t in self.definitions):
            head += " Here " + "; ".join(t for _, _, t in self.definitions if t) + "."
        if self.claim[1]:
            head += " " + self.claim[1]
        out = head + "\n" + self.latex_display() + "\n"
        if self.remark[1]:
            out += r"\noindent\emph{Remark.} " + self.remark[1] + "\n"
        return out

    def latex_display(self) -> str:
        r"""The statement alone as displays (``alignat*``), no text."""
        from symbolic.printing import latex as _latex, paper_latex
        blocks: list[tuple[str, list[str]]] = []  # (kind, rows)

        def add(kind: str, row: str) -> None:
            if not blocks or blocks[-1][0] != kind:
                blocks.append((kind, []))
            blocks[-1][1].append(row)

        for s in self.statement:
            if isinstance(s, Conditions):
                label = s.label_latex()
                add("cond", (rf"{label}\colon\ " if label else "") + "& " + _latex(s))
            elif isinstance(s, sp.Eq):
                lhs = s.lhs
                if isinstance(lhs, TestError) and lhs.n == sp.oo:
                    left = r"\lim_{n \to \infty} \; & " + lhs.latex_core()
                else:
                    left = "& " + _latex(lhs)
                add("eq", left + " && = " + _broken_fraction(s.rhs, paper_latex))
            else:
                add("cond", "& " + _latex(s))
        # a lone equation next to families of conditions joins their display (one display,
        # not two stacked ones); it is left-aligned with the conditions
        for i, (kind, rows) in enumerate(blocks):
            near = [blocks[j][0] for j in (i - 1, i + 1) if 0 <= j < len(blocks)]
            if kind == "eq" and len(rows) == 1 and "cond" in near and r"\lim" not in rows[0]:
                blocks[i] = ("cond", [rows[0].replace(" && = ", " = ")])
        merged: list[tuple[str, list[str]]] = []
        for kind, rows in blocks:
            if merged and merged[-1][0] == kind:
                merged[-1][1].extend(rows)
            else:
                merged.append((kind, list(rows)))
        out = []
        for kind, rows in merged:
            cols = 1 if kind == "cond" else 2
            out.append(f"\\begin{{alignat*}}{{{cols}}}\n" + " \\\\\n".join(rows) + "\n\\end{alignat*}")
        return "\n".join(out)

    def _repr_latex_(self) -> str:
        from symbolic.printing import latex as _latex, paper_latex
        rows = []
        for s in self.statement:
            if isinstance(s, sp.Eq):
                rows.append(f"{_latex(s.lhs)} &= {paper_latex(s.rhs)}")
            elif isinstance(s, Conditions) and s.label:
                rows.append(f"{s.label_latex()}\\colon\\ & {_latex(s)}")
            else:
                rows.append(f"& {_latex(s)}")
        return "$\\displaystyle \\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$"

    @property
    def label(self) -> str:
        """``"Theorem 4.6"`` from the id ``"theorem-4.6"``; a result whose id is not numbered
        (one beyond the paper) sets :attr:`label_text`, e.g. ``"Extension 1"``: a label is
        never made from an id."""
        if getattr(self, "label_text", ""):
            return self.label_text
        kind, _, num = self.id.partition("-")
        if num and num.replace(".", "").isdigit():
            return f"{kind.capitalize()} {num}"
        raise ValueError(f"{self.id}: a result whose id is not numbered needs a label_text")

    def statement_symbols(self) -> set[str]:
        """The names of the symbols the statement uses (its tasks, parameters, dimensions...),
        not counting the strategy names inside :class:`TestError` nor families' labels."""
        out: set[str] = set()

        def walk(e: Any) -> None:
            if isinstance(e, TestError):
                walk(e.task)
                walk(e.n)
            elif isinstance(e, Conditions):
                for c in e.conditions:
                    walk(c)
            elif isinstance(e, sp.Limit):  # its last argument is the direction, '+' or '-'
                for a in e.args[:3]:
                    walk(a)
            elif isinstance(e, (sp.Symbol, sp.MatrixSymbol)):
                shown = getattr(type(e), "LATEX", {}).get(e.name, "")
                if not shown.startswith(r"\text"):  # a label in words (\text{early stopping}) defines itself
                    out.add(e.name)
            else:
                for a in getattr(e, "args", ()):
                    if isinstance(a, sp.Basic):
                        walk(a)
        for s in self.statement:
            walk(s)
        return out

    def __str__(self) -> str:
        parts = [f"{self.label}: {self.title}"]
        if self.assumptions:
            parts.append("Assume " + "; ".join(self.assumptions) + ".")
        if any(t for _, t, _ in self.definitions):
            parts.append("Here " + "; ".join(t for _, t, _ in self.definitions if t) + ".")
        if self.claim[0]:
            parts.append(self.claim[0])
        for s in self.statement:
            parts.append(sp.pretty(s, use_unicode=True, wrap_line=False))
        if self.remark[0]:
            parts.append("Remark. " + self.remark[0])
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<{self.label}: {self.title}>"


#: a quotient whose numerator or denominator is longer than this (LaTeX characters) is set on several lines
LONG_LATEX = 170


def _broken_fraction(rhs: sp.Basic, paper_latex: Any) -> str:
    r"""``paper_latex(rhs)``, or, where ``rhs`` is a quotient ``P/Q`` (not a sum) whose ``P`` or
    ``Q`` is too long for a line (a fraction is as wide as the wider of the two), ``(P)`` on one
    row and ``/ (Q)`` on the next, ``Q``'s factors spread over as many rows as they need (rows of
    the ``alignat*``), so that no display overflows the page."""
    text = paper_latex(rhs)
    if isinstance(rhs, sp.Add):   # a sum prints term by term (paper_latex)
        return text
    num, den = sp.fraction(rhs)
    if den == 1 or max(len(paper_latex(num)), len(paper_latex(den))) <= LONG_LATEX:
        return text
    rows, row = [], ""
    for f in sp.Mul.make_args(den):
        from symbolic.printing import latex as plain_latex
        piece = plain_latex(f) if not isinstance(f, sp.Add) else r"\left(" + plain_latex(f) + r"\right)"
        if row and len(row) + len(piece) > LONG_LATEX:
            rows.append(row)
            row = ""
        row = (row + r" \, " if row else "") + piece
    rows.append(row)
    out = r"\bigl(" + paper_latex(num) + r"\bigr) \\" + "\n" + r"& && \quad \Big/ \bigl(" + rows[0]
    for r in rows[1:]:
        out += r" \\" + "\n" + r"& && \qquad " + r
    return out + r"\bigr)"
