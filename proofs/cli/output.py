"""Output formats of the command line: text, markdown, LaTeX and JSON.

The functions take the backend's objects (see :mod:`proofs.api`) and return strings;
only :func:`write` prints. SymPy is imported inside the functions that need it, so importing
this module stays cheap.

JSON conventions (documented in ``docs/cli.md``):

- an expression is a string that ``sympy.sympify`` parses back to the same expression,
  over the symbols ``d``, ``sigma``, ``n``, ``m`` and ``theta0_Sigma_theta0``;
- a float that is not finite (an error that diverges) is written as ``null``;
- objects keep the key order given in ``docs/cli.md``.
"""
from __future__ import annotations

import errno
import json
import math
import os
import sys
from typing import Any, Sequence

from proofs.paper.notation import (STRATEGY_LABELS, TABLE_COLUMNS, as_forms,
                             TABLE_HEADERS_LATEX, TABLE_HEADERS_TEXT, expr_latex, order_rows)


# ----------------------------------------------------------------------------- basics

class StdoutError(OSError):
    """Standard output cannot be written (closed, a full disk, ``/dev/full``)."""


def write(text: str) -> None:
    """Write ``text`` to standard output at once (a subcommand's result).

    Raises :class:`StdoutError` (naming standard output and the OS error) when it cannot be
    written; a closed pipe stays ``BrokenPipeError`` (``icl-finetune table | head -1`` is fine).
    """
    stream = sys.stdout
    if stream is None:  # started with standard output closed (`>&-`)
        raise StdoutError(errno.EBADF, "it is closed", "standard output")
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:  # e.g. PYTHONIOENCODING=ascii and a file name in the output
            encoding = getattr(stream, "encoding", None) or "ascii"
            stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as err:
        raise StdoutError(err.errno, err.strerror or str(err), "standard output") from None
    except ValueError as err:  # a closed file object
        raise StdoutError(errno.EBADF, str(err), "standard output") from None


#: the longest line :func:`note` writes (an error message is one line of sensible length)
MAX_NOTE = 300


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks, tabs and other control characters shown
    escaped (``\\n``), so that a value from a file (a spec's name) cannot forge output rows."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def note(text: str) -> None:
    """One line for people on standard error (``wrote FILE``); nothing if it is closed. Control
    characters are escaped (:func:`one_line`) and a line longer than :data:`MAX_NOTE` loses its middle."""
    stream = sys.stderr
    if stream is None:
        return
    text = one_line(text)
    if len(text) > MAX_NOTE:  # the middle goes: a message starts with what and ends with what to do
        head, tail = MAX_NOTE // 2, MAX_NOTE // 2 - 45
        space = text.rfind(" ", head // 2, head)  # cut between words where there is a space to cut at
        head = space if space > 0 else head
        space = text.find(" ", len(text) - tail, len(text) - tail // 2)
        tail = len(text) - space - 1 if space > 0 else tail
        text = text[:head] + f" [... {len(text) - head - tail} characters ...] " + text[len(text) - tail:]
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def use_unicode() -> bool:
    """Whether stdout takes unicode (pretty-printed maths uses it when so, unless
    ``ICL_FINETUNE_ASCII`` is set)."""
    if os.environ.get("ICL_FINETUNE_ASCII"):
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def dump_json(obj: Any) -> str:
    """Strict JSON (non-finite floats become ``null``), indented, with a final newline.

    A list of scalars (a vector, a matrix row) stays on one line.
    """
    return _dump(_finite(obj), 0) + "\n"


def _dump(obj: Any, level: int) -> str:
    def flat(x: Any) -> str:
        return json.dumps(x, allow_nan=False, ensure_ascii=False)

    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{flat(str(k))}: {_dump(v, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(x, (list, dict)) for x in obj):
            return flat(obj)
        return "[\n" + ",\n".join(inner + _dump(x, level + 1) for x in obj) + "\n" + pad + "]"
    return flat(obj)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def to_float(x: Any) -> float:
    """A float from a Python or SymPy number (``oo`` -> inf)."""
    return float(x)


def fmt_float(x: Any) -> str:
    """A number for text output: 10 significant digits; an exact value beyond the float range
    (|x| > 1.8e308, e.g. an error quadratic in a theta0 near 1e300) in scientific notation
    from its exact value, never ``inf``."""
    f = float(x)
    if math.isfinite(f):
        return f"{f:.10g}"
    exact = _finite_exact(x)
    if exact is None:
        return str(f)
    import sympy
    mantissa, _, exponent = sympy.sstr(sympy.N(exact, 10)).partition("e")
    return f"{float(mantissa):.10g}e{int(exponent):+d}" if exponent else sympy.sstr(sympy.N(exact, 10))


def _finite_exact(x: Any) -> Any:
    """``x`` as a finite exact SymPy number, or None (a float, infinity, NaN, a symbol)."""
    import sympy
    if isinstance(x, float) or not isinstance(x, (int, sympy.Basic)) and not hasattr(x, "denominator"):
        return None
    try:
        e = sympy.sympify(x)
    except (sympy.SympifyError, TypeError):
        return None
    return e if e.is_number and e.is_finite and not e.is_Float else None


def overflowed(values: list[Any]) -> bool:
    """Whether a float of ``values`` overflows although its exact value is finite."""
    return any(not math.isfinite(float(v)) and _finite_exact(v) is not None for v in values)


def expr_json(expr: Any) -> str:
    """An expression as a string that ``sympy.sympify`` parses back."""
    import sympy
    return sympy.sstr(expr, order=None)


def expr_text(expr: Any, unicode: bool = True) -> str:
    """An expression as readable (possibly multi-line) text: SymPy's pretty printer."""
    return expr_text_form(expr, unicode)[0]


def expr_text_form(expr: Any, unicode: bool = True) -> tuple[str, int]:
    """(pretty text, index of its baseline row): for aligning cells of a table."""
    import sympy
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    expr = sympy.sympify(expr) if isinstance(expr, (int, float)) else expr
    expr = as_forms(expr)  # theta_0^T Sigma theta_0 as a form: bracketed under powers
    previous = pretty_use_unicode(unicode)
    try:
        form = PrettyPrinter({"use_unicode": unicode, "wrap_line": False})._print(expr)
        return form.render(wrap_line=False), form.baseline
    finally:
        pretty_use_unicode(previous)


def matrix_json(M: Any) -> Any:
    """An explicit matrix as rows of expression strings; anything else as one string."""
    if hasattr(M, "tolist") and getattr(M, "is_Matrix", False) and not getattr(M, "is_MatrixExpr", False):
        return [[expr_json(x) for x in row] for row in M.tolist()]
    return expr_json(M)


def matrix_floats(M: Any) -> list[list[float]] | None:
    """Rows of floats when the matrix is explicit and numeric, else None."""
    if not (hasattr(M, "tolist") and getattr(M, "is_Matrix", False)) or getattr(M, "is_MatrixExpr", False):
        return None
    if getattr(M, "free_symbols", set()):
        return None
    try:
        return [[float(x) for x in row] for row in M.tolist()]
    except (TypeError, ValueError):
        return None


def _grid(rows: Sequence[Sequence[str | tuple[str, int]]], header: bool = True) -> str:
    """Lay out cells in aligned columns; a cell is text or (multi-line text, baseline row)."""
    cells = [[c if isinstance(c, tuple) else (c, 0) for c in row] for row in rows]
    cells = [[(text.split("\n"), base) for text, base in row] for row in cells]
    ncols = max(len(r) for r in cells)
    widths = [max((max(len(line) for line in r[j][0]) for r in cells if j < len(r)), default=0)
              for j in range(ncols)]
    out: list[str] = []
    for i, row in enumerate(cells):
        above = max(base for _, base in row)
        below = max(len(lines) - base for lines, base in row)
        for k in range(above + below):
            parts = []
            for j, (lines, base) in enumerate(row):
                at = k - (above - base)  # baselines on one row
                parts.append((lines[at] if 0 <= at < len(lines) else "").ljust(widths[j]))
            out.append("  ".join(parts).rstrip())
        if header and i == 0:
            out.append("  ".join("-" * w for w in widths))
        elif i < len(cells) - 1 and any(len(lines) > 1 for lines, _ in row):
            out.append("")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- prove

def prove_line(rid: str, title: str, holds: bool, seconds: float) -> str:
    """``PASS  theorem-4.6        0.123 s  Theorem 4.6: ...``"""
    verdict = "PASS" if holds else "FAIL"
    return f"{verdict}  {rid:<19} {seconds:8.3f} s  {title}"


def prove_summary(n_pass: int, n_total: int, seconds: float) -> str:
    if n_total == 0:
        return f"no results to prove yet (the backend lists none) ({seconds:.3f} s)"
    word = "hold" if n_pass == n_total else "hold; FAILED: " + str(n_total - n_pass)
    return f"{n_pass} of {n_total} results {word} ({seconds:.3f} s)"


def prove_json(rows: list[dict], seconds: float) -> str:
    return dump_json({"results": rows, "seconds": seconds})


# ----------------------------------------------------------------------------- table

def table_text(rows: Sequence[Any], unicode: bool = True) -> str:
    grid = [list(TABLE_HEADERS_TEXT[unicode])]
    for r in order_rows(rows):
        grid.append([STRATEGY_LABELS.get(r.strategy, r.strategy)]
                    + [expr_text_form(getattr(r, c), unicode) for c in TABLE_COLUMNS])
    return _grid(grid)


def table_markdown(rows: Sequence[Any]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", r"\|")

    lines = ["| " + " | ".join(TABLE_HEADERS_LATEX) + " |",
             "|" + "---|" * len(TABLE_HEADERS_LATEX)]
    for r in order_rows(rows):
        cells = [STRATEGY_LABELS.get(r.strategy, r.strategy)]
        cells += [f"${cell(expr_latex(getattr(r, c)))}$" for c in TABLE_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_latex(rows: Sequence[Any]) -> str:
    """The summary table as a paper sets it (:func:`proofs.paper.latex_doc.table_latex`, amsmath only)."""
    from proofs.paper.latex_doc import table_latex as paper_table
    return paper_table(rows)


def table_json(rows: Sequence[Any], symbols: dict[str, str]) -> str:
    return dump_json({
        "symbols": dict(symbols),
        "rows": [{"strategy": r.strategy, **{c: expr_json(getattr(r, c)) for c in TABLE_COLUMNS}}
                 for r in order_rows(rows)],
    })


def latex_document(body: str, title: str | None = None) -> str:
    """Wrap a snippet in a minimal document that loads only amsmath."""
    head = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}"]
    if title:
        head.append(title)
    return "\n".join(head) + "\n" + body + r"\end{document}" + "\n"


# ----------------------------------------------------------------------------- params

def arithmetic_label(result: Any) -> str:
    """``exact``, ``float64`` or ``mpmath (50 digits)``: which arithmetic gave ``result``."""
    arith = getattr(result, "arith", None)
    return "exact" if arith is None else arith.label()


def warn(result: Any) -> None:
    """A result's one-line warning (an ill-conditioned Sigma), on standard error."""
    text = getattr(result, "warning", None)
    if text:
        note(text)


def _numeric(result: Any) -> bool:
    arith = getattr(result, "arith", None)
    return arith is not None and not arith.exact


def _rows(M: Any) -> list[list[Any]]:
    return M.tolist()


def numeric_matrix_text(M: Any) -> str:
    """A float64 or mpmath matrix as text: numpy's layout, summarised beyond 12 x 12."""
    import numpy as np
    a = np.array(_rows(M), dtype=np.float64)
    return np.array2string(a, precision=10, threshold=144, edgeitems=3, max_line_width=100)


def params_text(strategy: str, result: Any, unicode: bool = True) -> str:
    free = list(getattr(result, "free", []) or [])
    show = numeric_matrix_text if _numeric(result) else (lambda M: expr_text(M, unicode))
    parts = [f"strategy: {one_line(strategy)}", "", "V =", show(result.V), "",
             "Q =", show(result.Q), "",
             "free: " + (", ".join(free) if free else "none"),
             "convention: " + str(getattr(result, "convention", "") or "none")]
    if getattr(result, "arithmetic", None) is not None and getattr(result, "V", None) is not None \
            and not getattr(result.V, "is_MatrixExpr", False) and getattr(result.V, "shape", None):
        parts.append("arithmetic: " + arithmetic_label(result))
    return "\n".join(parts) + "\n"


def params_latex(strategy: str, result: Any) -> str:
    free = list(getattr(result, "free", []) or [])
    lines = [f"% icl-finetune params --strategy {strategy}",
             "% free: " + (", ".join(free) if free else "none")]
    convention = str(getattr(result, "convention", "") or "")
    lines += ["% convention: " + line for line in convention.splitlines()] if convention else []
    lines += [r"\begin{align*}",
              f"V &= {expr_latex(result.V)} \\\\",
              f"Q &= {expr_latex(result.Q)}",
              r"\end{align*}"]
    return "\n".join(lines) + "\n"


def params_json(strategy: str, result: Any, symbols: dict[str, str] | None) -> str:
    if _numeric(result):
        import numpy as np
        V, Q = (np.array(_rows(M), dtype=np.float64).tolist() for M in (result.V, result.Q))
        out: dict[str, Any] = {"strategy": strategy, "V": V, "Q": Q, "V_float": V, "Q_float": Q}
        if result.arith.precision is not None:  # every digit the arithmetic holds
            out["V_digits"] = [[result.arith.json(x) for x in row] for row in _rows(result.V)]
            out["Q_digits"] = [[result.arith.json(x) for x in row] for row in _rows(result.Q)]
    else:
        out = {"strategy": strategy, "V": matrix_json(result.V), "Q": matrix_json(result.Q),
               "V_float": matrix_floats(result.V), "Q_float": matrix_floats(result.Q)}
    out.update({
        "free": [str(f) for f in (getattr(result, "free", []) or [])],
        "convention": str(getattr(result, "convention", "") or ""),
        "symbols": dict(symbols or {}),
    })
    solution = (getattr(result, "blocks", None) or {}).get("solution") if isinstance(
        getattr(result, "blocks", None), dict) else None
    if solution is not None:  # a concrete minimiser: every free direction, for a program
        from proofs.quantities.concrete_minimiser import free_json
        out["free_directions"] = free_json(solution)
    if out["V_float"] is not None:  # a concrete setting: say how it was evaluated
        out["arithmetic"] = getattr(result, "arithmetic", "exact") or "exact"
        out["precision"] = getattr(result, "precision", None)
    return dump_json(out)


# ----------------------------------------------------------------------------- curve

def curve_text(strategy: str, task: str, result: Any, settings: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={'inf' if v is None else v}" for k, v in settings.items())
    theta = {"target": "theta0", "opposite": "-theta0"}.get(task, f"theta0 rotated by {settings.get('task_angle')}")
    lines = [one_line(f"# strategy {strategy}, task {task} (theta = {theta}); {shown}"),
             f"{'n':>6}  error"]
    arith = getattr(result, "arith", None)
    if arith is not None and arith.precision is not None:  # mpmath: every digit asked for
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


def curve_json(strategy: str, task: str, result: Any, settings: dict[str, Any]) -> str:
    out = {
        "strategy": strategy,
        "task": task,
        "n": [int(n) for n in result.n],
        "error": [to_float(e) for e in result.error],
        "limit": to_float(result.limit),
        "settings": settings,
        "arithmetic": getattr(result, "arithmetic", "exact") or "exact",
        "precision": getattr(result, "precision", None),
        **({"digits": [result.arith.json(v) for v in result.values],
            "limit_digits": result.arith.json(result.limit_value)}
           if getattr(result, "arith", None) is not None and result.arith.precision is not None else {}),
        **({"condition": result.condition} if getattr(result, "condition", None) is not None else {}),
    }
    exact = list(getattr(result, "exact", None) or [])
    limit = getattr(result, "exact_limit", None)
    if exact and overflowed(exact + ([limit] if limit is not None else [])):
        # a float beyond 1.8e308 is null in JSON: the exact values beside it, as expressions
        out["error_exact"] = [expr_json(e) for e in exact]
        out["limit_exact"] = expr_json(limit)
    return dump_json(out)


# ----------------------------------------------------------------------------- error

def error_text(value: Any, n: int, arith: Any = None, unicode: bool = True) -> str:
    from symbolic.arithmetic import EXACT
    arith = EXACT if arith is None else arith
    if arith.exact:
        return (f"exact error E(V, Q, n={n}; theta):\n{expr_text(value, unicode)}\n"
                f"= {fmt_float(value)}\n")
    shown = arith.text(value) if arith.precision is not None else fmt_float(value)
    return f"error E(V, Q, n={n}; theta) in {arith.label()}:\n= {shown}\n"


def error_json(value: Any, arith: Any = None) -> str:
    from symbolic.arithmetic import EXACT
    arith = EXACT if arith is None else arith
    out: dict[str, Any] = {"error": to_float(value)}
    if arith.exact:
        out["exact"] = expr_json(value)
    out.update({"arithmetic": arith.name, "precision": arith.precision})
    if arith.precision is not None:
        out["digits"] = arith.json(value)
    return dump_json(out)


# ----------------------------------------------------------------------------- verify

def verify_row(row: Any) -> dict[str, Any]:
    return {"formula": str(row.formula), "exact": to_float(row.exact),
            "estimate": to_float(row.estimate), "stderr": to_float(row.stderr),
            "z": to_float(row.z), "passed": bool(row.passed)}


def verify_text(rows: Sequence[dict[str, Any]], samples: int, seed: int) -> str:
    grid = [["", "formula", "exact", "estimate", "stderr", "z"]]
    for r in rows:
        grid.append(["PASS" if r["passed"] else "FAIL", r["formula"], fmt_float(r["exact"]),
                     fmt_float(r["estimate"]), fmt_float(r["stderr"]), f"{r['z']:+.2f}"])
    n_pass = sum(r["passed"] for r in rows)
    return (_grid(grid) + f"{n_pass} of {len(rows)} formulas agree with Monte Carlo "
            f"({samples} samples, seed {seed})\n")


def verify_json(rows: Sequence[dict[str, Any]], samples: int, seed: int) -> str:
    return dump_json({"samples": samples, "seed": seed, "rows": list(rows),
                      "passed": all(r["passed"] for r in rows)})
