"""The notebooks of docs/notebooks run without error and print what is saved in them.

Each notebook is rebuilt from its cells in docs/notebooks/make_notebooks.py, executed in a
fresh kernel, and its text outputs (text/plain and streams, times and addresses normalised)
compared with those saved in the committed .ipynb; the committed notebook must also hold
those same cells (so the file a reader opens is the one tested).
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

import nbformat  # noqa: E402

HERE = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
_spec = importlib.util.spec_from_file_location("make_notebooks", HERE / "make_notebooks.py")
M = importlib.util.module_from_spec(_spec)
sys.modules["make_notebooks"] = M
_spec.loader.exec_module(M)


def test_gallery_has_the_four_notebooks():
    assert len(M.NOTEBOOKS) >= 4
    assert sorted(p.name for p in HERE.glob("*.ipynb")) == sorted(M.NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(M.NOTEBOOKS))
def test_notebook_runs_and_matches(name):
    saved = nbformat.read(HERE / name, as_version=4)
    built = M.build(name, M.NOTEBOOKS[name])
    assert [c.source for c in saved.cells] == [c.source for c in built.cells], \
        f"{name}: the committed cells differ from make_notebooks.py: run python docs/notebooks/make_notebooks.py"
    fresh = M.execute(built)
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
