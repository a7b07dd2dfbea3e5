"""Write the notebooks of this folder from the cells below and run them, saving their outputs.

    python docs/notebooks/make_notebooks.py            # rewrite and run every notebook
    python docs/notebooks/make_notebooks.py --check    # run them, compare with the saved outputs

The test suite runs the ``--check`` half (tests/test_notebooks.py): a notebook that raises,
or whose text output no longer matches what is saved here (times normalised), fails it.
Needs the ``test`` extra (nbclient, nbformat, ipykernel) and the ``plot`` extra (matplotlib).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

SETUP = """\
# run from docs/notebooks/ (or anywhere in a clone): the toolkit is imported from the clone
import sys, pathlib
root = next(p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "proofs" / "api.py").exists())
sys.path.insert(0, str(root))
import sympy
sympy.init_printing()   # SymPy results render as maths"""

NOTEBOOKS = {
    "01-paper-table-and-figure.ipynb": [
        ("md", """\
# The paper's table and figure, derived

*Fine-Tuning Without Forgetting In-Context Learning* (Lee, Sohn, Lee; arXiv 2602.23197) compares four
strategies on a linear attention model: (a) pretraining, (b) full fine-tuning, (c) fine-tuning the value
matrix, (d) the value matrix with an auxiliary few-shot loss. This notebook derives its summary table and
draws the theory curves of its figure. Nothing here is typed in: every formula comes out of the
toolkit's derivations (a few seconds)."""),
        ("code", SETUP),
        ("md", """\
## The summary table

Rows (a)-(d); columns: the zero-shot error on the target task $\\theta_0$, and the few-shot errors
(infinitely many examples) on $\\theta_0$ and on the opposite task $-\\theta_0$."""),
        ("code", """\
from proofs import api
rows = api.summary_table()
[r.strategy for r in rows]"""),
        ("code", """\
from symbolic import SIGMA, THETA0, Bilinear
k = Bilinear(THETA0, SIGMA, THETA0)   # the table's scalar theta0_Sigma_theta0, as the maths it stands for
sympy.Matrix([[e.subs(sympy.Symbol("theta0_Sigma_theta0"), k) for e in (r.zero_shot, r.few_shot_target,
                                                                      r.few_shot_opposite)] for r in rows])"""),
        ("md", """\
(b) reaches the noise level $\\sigma^2$ without examples but loses in-context learning; (c) keeps it
(within $\\theta_0^T\\Sigma\\theta_0/(d+4)^2$); (d) is exact on $\\theta_0$ and pays four times that on
$-\\theta_0$.

## One result, its statement and its check"""),
        ("code", """\
from proofs import get_result
thm = get_result("Theorem 4.6")
thm.statement[-1]"""),
        ("code", """\
thm.check().holds"""),
        ("md", """\
## The figure's theory curves

The exact $n$-shot error of each derived optimum at the poster's setting ($d = 5$, pretraining context
$m = 20$, $n_{ft} = 20$ shots in (d)'s loss, $\\sigma^2 = 0.1$, $\\theta_0 = e_1$). `icl-finetune figure`
draws the same curves beside models trained by gradient descent."""),
        ("code", """\
setting = dict(d=5, sigma2=0.1, m=20, n_ft=20, theta0=[1, 0, 0, 0, 0])
ns = list(range(21))
curves = {(s, t): api.curve(s, t, ns, **setting) for s in ("pretrain", "full", "value", "value-fewshot")
          for t in ("target", "opposite")}
{s: round(curves[s, "opposite"].limit, 4) for s in ("pretrain", "full", "value", "value-fewshot")}"""),
        ("code", """\
import matplotlib.pyplot as plt
from proofs.figures.draw import log_axis   # log ticks at 1, 2 and 5 x 10^k, written 0.1, 0.2, 0.5, 1, ...
fig, axes = plt.subplots(1, 2, figsize=(7.2, 3), sharey=True, constrained_layout=True)
for ax, task in zip(axes, ("target", "opposite")):
    for s in ("pretrain", "full", "value", "value-fewshot"):
        ax.plot(ns, curves[s, task].error, label=s)
    ax.set_yscale("log"); ax.set_title(task); ax.set_xlabel("shots n")
log_axis(axes[0].yaxis); axes[0].set_ylabel("test error"); axes[1].legend()
plt.show()"""),
    ],
    "02-your-own-question.ipynb": [
        ("md", """\
# Ask your own question with a spec

A *spec* says which blocks of $V$ and $Q$ are fine-tuned, on which losses, and on which tasks; the
toolkit derives the optimum and its errors in closed form, as it does for the paper's strategies. Here:
fine-tune only $v_x$ (the part of $V$'s last row that reads $x$) on the zero-shot loss plus $\\lambda$
times the few-shot loss. Spec files are the same thing as JSON (`icl-finetune derive --spec FILE`,
[docs/specs.md](../specs.md))."""),
        ("code", SETUP),
        ("code", """\
from sympy import Symbol, oo
from symbolic import derive, theta0, theta
lam = Symbol("lambda", positive=True)
mine = derive(train=["vx"], loss=[(1, 0, theta0), (lam, oo, theta0)], name="vx-mixed")
mine.parameters()["vx"]"""),
        ("code", """\
mine.zero_shot_error()"""),
        ("code", """\
mine.few_shot_limit(-theta0)"""),
        ("md", """\
The same question from a spec file shipped with the documentation
([docs/examples/specs/mixed.json](../examples/specs/mixed.json)):"""),
        ("code", """\
import json
from symbolic.spec import spec_from_json
from symbolic.general import derive_spec
spec = spec_from_json(json.loads((root / "docs" / "examples" / "specs" / "mixed.json").read_text()))
spec.train, spec.loss"""),
        ("code", """\
from symbolic import d
sympy.factor(derive_spec(spec).few_shot_limit(-theta0).subs(d, 5))   # n -> oo on -theta0, at d = 5"""),
    ],
    "03-tradeoff.ipynb": [
        ("md", """\
# The zero-shot / few-shot trade-off

Value fine-tuning on $\\mathcal{E}(0;\\theta_0) + \\lambda\\,\\mathcal{E}(n_{ft};\\theta_0)$: as the weight
$\\lambda$ of the few-shot loss grows, the $n_{ft}$-shot error on $\\theta_0$ falls, the zero-shot error
rises, and the error on the opposite task $-\\theta_0$ rises. $\\lambda \\to 0^+$ is strategy (d). Exact,
at $d = 5$, $n_{ft} = 5$, $\\sigma^2 = 1/10$ (`icl-finetune frontier`, `figure --frontier`)."""),
        ("code", SETUP),
        ("code", """\
from sympy import Rational, oo
from proofs import api
F = api.frontier([0, 1, 10, 100, oo], n_ft=5, n=5, d=5, sigma2=Rational(1, 10))
F.formulas["zero_shot"]"""),
        ("code", """\
[(row.label, [round(v, 4) for v in row.floats()]) for row in F.rows]"""),
        ("code", """\
F.monotone"""),
        ("code", """\
import numpy as np, matplotlib.pyplot as plt
from proofs.quantities.frontier import LAMBDA
grid = np.logspace(-2, 5, 200)
f = {c: sympy.lambdify(LAMBDA, F.formulas[c], "numpy") for c in F.formulas}
fig, ax = plt.subplots(figsize=(4.5, 3.2), constrained_layout=True)
ax.plot(f["zero_shot"](grid), f["few_shot_target"](grid), label="5-shot error on theta0")
ax.plot(f["zero_shot"](grid), f["few_shot_opposite"](grid), label="5-shot error on -theta0")
ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("zero-shot error on theta0")
from proofs.figures.draw import log_axis   # log ticks at 1, 2 and 5 x 10^k, written 0.1, 0.2, 0.5, 1, ...
log_axis(ax.xaxis); log_axis(ax.yaxis)
ax.set_ylabel("5-shot error"); ax.legend()
plt.show()"""),
    ],
    "04-transformer.ipynb": [
        ("md", """\
# The transformer experiment, from its result file

`icl-finetune transformer --out DIR` trains a small softmax transformer on in-context linear regression,
fine-tunes it with strategies (b)-(d), and judges each of the paper's claims against it. Training takes
minutes, so this notebook reads a result file committed beside it
([data/transformer-quick.json](data/transformer-quick.json), written by
`icl-finetune transformer --quick --out DIR`: few steps and seeds, so it judges less than the full run
reported in [docs/transformer.md](../transformer.md))."""),
        ("code", SETUP),
        ("code", """\
import json
result = json.loads((root / "docs" / "notebooks" / "data" / "transformer-quick.json").read_text())
sorted(result)"""),
        ("code", """\
from proofs.paper.transformer_claims import claims_table
print(claims_table(result))"""),
    ],
}


def build(name: str, cells: list) -> "object":
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, src in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src))
    return nb


def execute(nb: "object", timeout: int = 120) -> "object":
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


_TIME = re.compile(r"\b\d+(\.\d+)?\s*(s|ms|seconds)\b")
_ADDR = re.compile(r" at 0x[0-9a-f]+")


def text_outputs(nb: "object") -> list[list[str]]:
    """Per code cell, its text/plain outputs and stream text, times and addresses normalised."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                texts.append(o.get("text", ""))
            elif o.get("output_type") in ("execute_result", "display_data"):
                t = o.get("data", {}).get("text/plain")
                if t is not None and not str(t).startswith("<Figure"):
                    texts.append(t if isinstance(t, str) else "".join(t))
            elif o.get("output_type") == "error":
                texts.append(f"ERROR {o.get('ename')}: {o.get('evalue')}")
        out.append([_ADDR.sub(" at 0x...", _TIME.sub("... s", t)).rstrip() for t in texts])
    return out


def main(argv: list[str]) -> int:
    import nbformat
    check = "--check" in argv
    bad = 0
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        if check:
            saved = nbformat.read(path, as_version=4)
            fresh = execute(build(name, cells))
            if text_outputs(fresh) != text_outputs(saved):
                print(f"{name}: outputs differ from the saved ones")
                bad += 1
        else:
            nb = execute(build(name, cells))
            for cell in nb.cells:  # stable files: no execution timestamps
                cell.get("metadata", {}).pop("execution", None)
            nbformat.write(nb, path)
            print(f"wrote {path.relative_to(ROOT)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
