"""What every printer shares: strict JSON with one-line lists, finite floats, numbers for text,
expressions as strings and as pretty text, matrices, and the aligned grid of the text tables.

SymPy and NumPy are imported inside the functions that need them, so importing a printer stays
cheap. JSON conventions (documented in ``docs/cli.md``):

- an expression is a string that ``sympy.sympify`` parses back to the same expression, over the
  symbols ``d``, ``sigma``, ``n``, ``m`` and ``theta0_Sigma_theta0``;
- a float that is not finite (an error that diverges) is written as ``null``;
- objects keep the key order given in ``docs/cli.md``.
"""
from __future__ import annotations

import math
import os
import sys
from typing import Any, Sequence

__all__ = ["dump_json", "finite", "to_float", "fmt_float", "overflowed", "expr_json", "expr_text",
           "expr_text_form", "matrix_json", "matrix_floats", "numeric_matrix_text", "grid", "use_unicode",
           "inf_or", "one_line", "level_float", "level_text", "exact_level", "compare_settings",
           "RANK_ERROR_NAMES", "lora_start", "rank_place", "short_vector"]


# ----------------------------------------------------------------------------- JSON

def dump_json(obj: Any) -> str:
    """Strict JSON (non-finite floats become ``null``), indented, with a final newline.

    A list of scalars (a vector, a matrix row) stays on one line.
    """
    return _dump(finite(obj), 0) + "\n"


def _dump(obj: Any, level: int) -> str:
    import json  # here: text output never loads the JSON encoder

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


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float (in dicts, lists, tuples) replaced by None: strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


# ----------------------------------------------------------------------------- numbers

def to_float(x: Any) -> float:
    """A float from a Python or SymPy number (``oo`` -> inf)."""
    return float(x)


def inf_or(x: Any) -> Any:
    """``"inf"`` for None (an infinite count: m, n, n_ft), else ``x``."""
    return "inf" if x is None else x


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


def level_float(x: Any) -> float | None:
    """A level of ``compare`` as a float (an exact one through 20 digits), None for None."""
    if x is None:
        return None
    import sympy
    return float(sympy.N(x, 20)) if isinstance(x, sympy.Basic) else float(x)


def level_text(x: Any) -> str:
    """A level of ``compare`` for text: 10 significant digits, ``-`` for None."""
    v = level_float(x)
    return "-" if v is None else f"{v:.10g}"


def exact_level(x: Any) -> str | None:
    """A level of ``compare`` as a JSON expression when it is exact, else None."""
    import sympy
    if x is None or not isinstance(x, sympy.Basic) or x.is_Float:
        return None
    return expr_json(x)


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


# ----------------------------------------------------------------------------- expressions

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
    from proofs.paper.notation import as_forms

    expr = sympy.sympify(expr) if isinstance(expr, (int, float)) else expr
    expr = as_forms(expr)  # theta_0^T Sigma theta_0 as a form: bracketed under powers
    previous = pretty_use_unicode(unicode)
    try:
        form = PrettyPrinter({"use_unicode": unicode, "wrap_line": False})._print(expr)
        return form.render(wrap_line=False), form.baseline
    finally:
        pretty_use_unicode(previous)


def use_unicode() -> bool:
    """Whether stdout takes unicode (pretty-printed maths uses it when so, unless
    ``ICL_FINETUNE_ASCII`` is set)."""
    if os.environ.get("ICL_FINETUNE_ASCII"):
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks, tabs and other control characters shown
    escaped (``\\n``), so that a value from a file (a spec's name) cannot forge output rows."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


# ----------------------------------------------------------------------------- matrices

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


def numeric_matrix_text(M: Any) -> str:
    """A float64 or mpmath matrix as text: numpy's layout, summarised beyond 12 x 12."""
    import numpy as np
    a = np.array(M.tolist(), dtype=np.float64)
    return np.array2string(a, precision=10, threshold=144, edgeitems=3, max_line_width=100)


def compare_settings(result: Any) -> dict[str, Any]:
    """The setting of a comparison (:class:`proofs.quantities.compare.Comparison`) as its outputs show it."""
    s = dict(result.setting)
    return {"d": s["d"], "sigma2": str(s["sigma2"]), "m": "inf" if s["m"] is None else s["m"], "Sigma": s["Sigma"],
            "theta0": s["theta0"], "eta": None if s.get("eta") is None else str(s["eta"]),
            "arithmetic": result.arithmetic}


# ----------------------------------------------------------------------------- rank (LoRA) answers

#: the errors of a rank spec's closed form (:class:`proofs.quantities.lowrank.RankSummary`), in words
RANK_ERROR_NAMES = {"zero_shot": "zero-shot on theta0", "few_shot_target": "n -> oo on theta0",
                    "few_shot_opposite": "n -> oo on -theta0", "n_shot_target": "n shots on theta0",
                    "n_shot_opposite": "n shots on -theta0",
                    "family": "n -> oo averaged over theta ~ N(0, I) (Sigma = I)"}


def lora_start(r: Any) -> str:
    """LoRA's start and update rule, as ``trajectory`` states them for a
    :class:`proofs.quantities.lora_trajectory.LoraTrajectory`."""
    return (f"LoRA: {r.block} = start + B A, rank {r.rank}, B = 0 and A ~ N(0, {r.init_scale:.6g}^2) entrywise "
            f"(seed {r.seed}); gradient descent on (B, A) with step eta on the loss as the spec defines it")


def rank_place(where: Any, Sigma: str, theta0: str) -> str:
    """The concrete setting of a rank answer, in words (``Sigma``, ``theta0``: where they came from)."""
    return f"d = {where.d}, sigma2 = {where.sigma2}, m = {where.m}, Sigma = {Sigma}, theta0 = {theta0}"


def short_vector(v: Any) -> str:
    """``(x, y, ...)`` with 4 significant digits."""
    return "(" + ", ".join(f"{x:.4g}" for x in v) + ")"


# ----------------------------------------------------------------------------- the text grid

def grid(rows: Sequence[Sequence[str | tuple[str, int]]], header: bool = True) -> str:
    """Lay out cells in aligned columns; a cell is text or (multi-line text, baseline row).
    The first row is a header, underlined, when ``header``; rows with a multi-line cell are
    separated by a blank line."""
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
