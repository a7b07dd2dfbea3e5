"""The notebooks of docs/notebooks run without error and print what is saved in them.

Each notebook is rebuilt from its cells in docs/notebooks/make_notebooks.py, executed in a
fresh kernel, and its text outputs (text/plain and streams, times and addresses normalised)
compared with those saved in the committed .ipynb; the committed notebook must also hold
those same cells (so the file a reader opens is the one tested).  Every figure a notebook shows
passes the layout checks of the project's own figures (proofs.figures.layout.layout_problems),
read in the kernel that drew it: a probe cell before the notebook's cells records each figure
``plt.show()`` shows, a report cell after them checks it; both are removed before the outputs
are compared.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="needs the test extra: pip install -e '.[test]'")
pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib", reason="needs the plot extra")

import json  # noqa: E402

import nbformat  # noqa: E402

HERE = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
_spec = importlib.util.spec_from_file_location("make_notebooks", HERE / "make_notebooks.py")
M = importlib.util.module_from_spec(_spec)
sys.modules["make_notebooks"] = M
_spec.loader.exec_module(M)


def test_gallery_has_the_four_notebooks():
    assert len(M.NOTEBOOKS) >= 4
    assert sorted(p.name for p in HERE.glob("*.ipynb")) == sorted(M.NOTEBOOKS)


#: run first: record every figure plt.show() shows (the notebooks' cells call plt.show())
PROBE = """\
import matplotlib.pyplot as _plt
_shown, _show = [], _plt.show
def _record(*args, **kwargs):
    _shown.extend(_plt.figure(k) for k in _plt.get_fignums())
    return _show(*args, **kwargs)
_plt.show = _record"""
#: run last: each shown figure's layout problems (and axes without an x or y label), as JSON
REPORT = """\
import json as _json
from proofs.figures.layout import labelled_ticks as _ticks, layout_problems as _problems
def _labels(fig):
    out = []
    for k, ax in enumerate(fig.axes):
        if not ax.get_xlabel():
            out.append(f"axes {k}: no x label")
        if not ax.get_ylabel() and _ticks(ax)["y"] > 0:   # a shared y axis shows no ticks and needs no label
            out.append(f"axes {k}: no y label")
    return out
print(_json.dumps([_problems(f) + _labels(f) for f in _shown]))"""


def with_layout_report(nb):
    """``nb`` with :data:`PROBE` first and :data:`REPORT` last (a copy)."""
    import copy
    out = copy.deepcopy(nb)
    out.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    out.cells.append(nbformat.v4.new_code_cell(REPORT))
    return out


def layout_report(fresh) -> list[list[str]]:
    """The report cell's problems per shown figure; removes the probe and report cells from ``fresh``."""
    probe, report = fresh.cells[0], fresh.cells[-1]
    assert probe.source == PROBE and report.source == REPORT
    streams = [o for o in report.outputs if o.get("output_type") == "stream"]
    errors = [o for o in probe.outputs + report.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    fresh.cells = fresh.cells[1:-1]
    return json.loads("".join(o["text"] for o in streams))


@pytest.mark.parametrize("name", sorted(M.NOTEBOOKS))
def test_notebook_runs_and_matches(name):
    saved = nbformat.read(HERE / name, as_version=4)
    built = M.build(name, M.NOTEBOOKS[name])
    assert [c.source for c in saved.cells] == [c.source for c in built.cells], \
        f"{name}: the committed cells differ from make_notebooks.py: run python docs/notebooks/make_notebooks.py"
    fresh = M.execute(with_layout_report(built))
    figures = layout_report(fresh)
    assert len(figures) == sum(c.source.count("plt.show()") for c in built.cells)  # every figure checked
    assert figures == [[]] * len(figures), f"{name}: the layout of its figures: {figures}"
    assert M.text_outputs(fresh) == M.text_outputs(saved), \
        f"{name}: outputs changed: run python docs/notebooks/make_notebooks.py and review the diff"
    if name.startswith("01"):  # results render as maths
        kinds = {k for c in fresh.cells for o in c.get("outputs", []) for k in o.get("data", {})}
        assert "text/latex" in kinds and "image/png" in kinds


def test_the_comparison_can_fail():
    """A changed number is caught, a changed time is not."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x"))
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "0.3222 took 1.5 s"})]
    other = nbformat.v4.new_notebook()
    other.cells.append(nbformat.v4.new_code_cell("x"))
    other.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "0.3222 took 2.25 s"})]
    assert M.text_outputs(nb) == M.text_outputs(other)
    other.cells[0].outputs[0]["data"]["text/plain"] = "0.3223 took 2.25 s"
    assert M.text_outputs(nb) != M.text_outputs(other)


def test_every_notebook_plot_labels_both_axes():
    """Each plot the notebooks draw (a cell of docs/notebooks/make_notebooks.py that makes a figure
    and shows it) names its x and y axes (notebook 03's trade-off plot once had no y label)."""
    from pathlib import Path
    source = (Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "make_notebooks.py").read_text()
    plots = [chunk for chunk in source.split("plt.show()") if "plt.subplots(" in chunk]
    assert plots
    for chunk in plots:
        cell = chunk[chunk.rindex("plt.subplots("):]
        assert "set_xlabel(" in cell and "set_ylabel(" in cell, cell[:200]
