"""Text, JSON and LaTeX renderings of a comparison (:class:`proofs.quantities.compare.Comparison`),
in the style of :mod:`proofs.cli.output` (functions that return strings; SymPy imported inside).
The JSON schema is documented in docs/cli.md (``icl-finetune compare``)."""
from __future__ import annotations

from typing import Any

from proofs.cli.output import dump_json, expr_json

__all__ = ["compare_text", "compare_json", "compare_latex", "WHO"]

WHO = {"left": "left lower", "right": "right lower", "equal": "equal", None: "the order flips"}


def _num(x: Any) -> float | None:
    if x is None:
        return None
    import sympy as sp
    return float(sp.N(x, 20)) if isinstance(x, sp.Basic) else float(x)


def _exact(x: Any) -> str | None:
    import sympy as sp
    if x is None or not isinstance(x, sp.Basic) or x.is_Float:
        return None
    return expr_json(x)


def _g(x: Any) -> str:
    v = _num(x)
    return "-" if v is None else f"{v:.10g}"


def _level(x: Any) -> str:
    """A level for text: its value, and its exact form when that is short."""
    e = _exact(x)
    return _g(x) + (f" (= {e})" if e is not None and len(e) <= 40 and e != _g(x) else "")


def _settings(result: Any) -> dict:
    s = dict(result.setting)
    return {"d": s["d"], "sigma2": str(s["sigma2"]), "m": "inf" if s["m"] is None else s["m"], "Sigma": s["Sigma"],
            "theta0": s["theta0"], "eta": None if s.get("eta") is None else str(s["eta"]),
            "arithmetic": result.arithmetic}


def compare_text(result: Any) -> str:
    """Header, one verdict line per column, the crossings, and the table of levels."""
    s = _settings(result)
    lines = [f"# at equal {result.match.name}: left = {result.sides['left']['label']}; "
             f"right = {result.sides['right']['label']}",
             "# " + ", ".join(f"{k}={v}" for k, v in s.items() if v is not None)]
    for side in ("left", "right"):
        info = result.sides[side]
        lo, hi = info["levels"]
        lines.append(f"# {side}: {info['param']}; levels [{_g(lo)}, {_g(hi)}]")
    lines += [f"note: {n}" for n in result.notes]
    if not result.common:
        lines.append("the two sides reach no common level: nothing to compare")
        return "\n".join(lines) + "\n"
    lines.append(f"one common level: {_level(result.lo)}" if result.lo == result.hi else
                 f"common levels: [{_level(result.lo)}, {_level(result.hi)}]")
    for cc in result.columns:
        head = f"{cc.column.name}: {WHO[cc.lower]}"
        if cc.lower in ("left", "right") and result.lo != result.hi:
            head += " at every common level"
        gaps = [g for *_, g in cc.pieces if g is not None]
        if gaps and cc.lower in ("left", "right"):
            head += f", by up to {max(gaps):.4g}"
        lines.append(head + f"  [{cc.how}]")
        for a, b, who, gap in cc.pieces if cc.lower is None else []:
            lines.append(f"    on ({_g(a)}, {_g(b)}): {WHO[who]}" + (f", by up to {gap:.4g}" if gap is not None else ""))
        for x in cc.crossings:
            where = ", ".join(f"{k} = {v:.6g}" for side in ("left", "right") for k, v in getattr(x, side).items())
            exact = f" (exact: {expr_json(x.exact)})" if _exact(x.exact) is not None else ""
            lines.append(f"    {'flips' if x.kind == 'crossing' else 'touches'} at level {x.level:.10g}{exact}; "
                         f"value {x.value:.10g}; {where}")
        lines.append(f"    how: {cc.detail}")
    if result.table:
        w = 11
        top = " " * 12 + "".join(f"  {cc.column.name:^{2 * w + 7}}" for cc in result.columns)
        head = f"{'level':>12}" + "".join(f"  {'left':>{w}} {'right':>{w}} {'lower':>5}" for _ in result.columns)
        lines += ["", top.rstrip(), head]
        for i, z in enumerate(result.table):
            row = f"{_num(z):>12.6g}"
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


def _side_json(result: Any, side: str) -> dict:
    info = result.sides[side]
    lo, hi = info["levels"]
    obj = result.left if side == "left" else result.right
    return {"side": info["key"], "label": info["label"], "param": info["param"], "point": info["point"],
            "levels": [_num(lo), _num(hi)], "levels_exact": [_exact(lo), _exact(hi)],
            **({"eta": str(obj.eta)} if getattr(obj, "eta", None) is not None else {})}


def compare_json(result: Any) -> str:
    """The comparison as JSON (docs/cli.md, ``compare``)."""
    cols = []
    for cc in result.columns:
        cols.append({
            "column": cc.column.key, "name": cc.column.name, "lower": cc.lower, "flips": cc.flips,
            "pieces": [{"from": _num(a), "to": _num(b), "from_exact": _exact(a), "to_exact": _exact(b), "lower": who,
                        "largest_gap": gap} for a, b, who, gap in cc.pieces],
            "ends": {"low": cc.ends[0], "high": cc.ends[1]},
            "crossings": [{"level": x.level, "exact": _exact(x.exact), "kind": x.kind, "value": x.value,
                           "left": x.left, "right": x.right} for x in cc.crossings],
            "how": cc.how, "detail": cc.detail, "counts": cc.counts()})
    table = []
    for i, z in enumerate(result.table):
        table.append({"level": _num(z), "level_exact": _exact(z),
                      "values": {cc.column.key: {"left": cc.levels[i][0], "right": cc.levels[i][1],
                                                 "lower": cc.levels[i][2]} for cc in result.columns}})
    return dump_json({
        "left": _side_json(result, "left"),
        "right": _side_json(result, "right"),
        "match": result.match.key,
        "range": None if not result.common else [_num(result.lo), _num(result.hi)],
        "range_exact": None if not result.common else [_exact(result.lo), _exact(result.hi)],
        "arithmetic": result.arithmetic,
        "columns": cols,
        "levels": table,
        "settings": _settings(result),
        "notes": list(result.notes),
        "seconds": result.seconds,
    })


def compare_latex(result: Any) -> str:
    """A tabular: per column, which side is lower and where the order flips (amsmath only)."""
    import sympy as sp
    from proofs.paper.result import latex_text
    s = _settings(result)
    lines = [f"% icl-finetune compare: left = {result.sides['left']['label']}; right = {result.sides['right']['label']}",
             "% " + ", ".join(f"{k}={v}" for k, v in s.items() if v is not None),
             r"\begin{tabular}{lll}",
             rf"error at equal ${result.match.latex}$ & lower & the order flips at \\",
             r"\hline"]
    names = {"left": latex_text(result.sides["left"]["label"]), "right": latex_text(result.sides["right"]["label"]),
             "equal": "equal", None: "neither everywhere"}
    for cc in result.columns:
        flips = [x for x in cc.crossings if x.kind == "crossing"]
        where = ", ".join(f"${sp.latex(x.exact)}$" if _exact(x.exact) is not None and len(sp.latex(x.exact)) < 60
                          else f"${x.level:.6g}$" for x in flips) or "---"
        lines.append(rf"${cc.column.latex}$ & {names[cc.lower]} & {where} \\")
    lines.append(r"\end{tabular}")
    if result.common:
        lines.append(rf"% common levels [{_g(result.lo)}, {_g(result.hi)}]")
    return "\n".join(lines) + "\n"
