"""A fake backend for testing the command line without the derivations.

``install(monkeypatch)`` replaces every function of :mod:`proofs.api` with a fake
that records its call and returns small objects of the documented types. The fake
table holds the poster's entries (typed in here only because this is a test double;
the real table is derived). The tests in this file keep the fakes honest: each fake
takes the same parameters as the function of :mod:`proofs.api` it replaces.
"""
from __future__ import annotations

import inspect
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest
import sympy as sp

import proofs.api as api
from proofs import cli

d, sigma, n, m, t0st0 = sp.symbols("d sigma n m theta0_Sigma_theta0")
SYMBOLS = {
    "d": "dimension of x",
    "sigma": "noise standard deviation (sigma**2 is the noise variance)",
    "n": "number of in-context examples (shots)",
    "m": "pretraining context length",
    "theta0_Sigma_theta0": "theta0^T Sigma theta0 (signal of the target task)",
}


@dataclass
class Verdict:
    holds: bool
    lines: list[str] = field(default_factory=list)


@dataclass
class Result:
    id: str
    title: str
    holds: bool = True
    raises: BaseException | None = None
    statement: Any = None

    def check(self) -> Verdict:
        if self.raises is not None:
            raise self.raises
        return Verdict(self.holds, [f"{self.id}: first-order conditions", "exact equality"])

    def latex(self) -> str:
        return r"\mathcal{E} = \sigma^{2}"


@dataclass
class TableRow:
    strategy: str
    zero_shot: Any
    few_shot_target: Any
    few_shot_opposite: Any


@dataclass
class ParamsResult:
    V: Any
    Q: Any
    free: list[str]
    convention: str


@dataclass
class CurveResult:
    n: list[int]
    error: list[float]
    limit: float


@dataclass
class VerifyRow:
    formula: str
    exact: float
    estimate: float
    stderr: float
    z: float
    passed: bool


RESULT_IDS = ["corollary-4.1", "corollary-4.2", "theorem-4.3", "corollary-4.4", "theorem-4.6",
              "proposition-4.7", "corollary-4.8", "theorem-4.9", "proposition-4.10"]


def poster_table() -> list[TableRow]:
    s2, c = sigma**2, t0st0
    return [
        TableRow("value", s2 + 2 * c / (d + 4), s2 + c / (d + 4) ** 2, s2 + c / (d + 4) ** 2),
        TableRow("pretrain", s2 + c, s2, s2),
        TableRow("full", s2, s2 + c, s2 + c),
        TableRow("value-fewshot", s2 + 2 * c / (d + 4), s2, s2 + 4 * c / (d + 4) ** 2),
    ]


def _arith(arithmetic: Any, precision: Any) -> dict[str, Any]:
    """The arithmetic keywords worth recording: none for the exact default."""
    return {} if arithmetic in (None, "exact") and precision is None else {"arithmetic": arithmetic,
                                                                           "precision": precision}


class Fake:
    """The fake backend: ``calls`` records (function name, args, kwargs)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.results_list = [Result(i, i.replace("-", " ").capitalize() + ": a statement") for i in RESULT_IDS]
        self.verify_rows = [VerifyRow("E_c(n=0; theta0)", 0.5, 0.501, 0.002, 0.5, True),
                            VerifyRow("E_d(n=5; -theta0)", 0.3, 0.2991, 0.001, -0.9, True)]

    def _record(self, name: str, *args: Any, **kw: Any) -> None:
        self.calls.append((name, args, kw))

    def called(self, name: str) -> list[tuple[tuple, dict]]:
        return [(a, k) for nm, a, k in self.calls if nm == name]

    # --- the api ------------------------------------------------------------
    def results(self) -> list[Any]:
        self._record("results")
        return list(self.results_list)

    def summary_table(self) -> list[Any]:
        self._record("summary_table")
        return poster_table()

    def table_symbols(self) -> dict[str, str]:
        self._record("table_symbols")
        return dict(SYMBOLS)

    def params(self, strategy: str, *, d: int | None = None, sigma2: Any = None, m: int | None = None,
               n_ft: int | None = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None,
               arithmetic: str | None = None, precision: int | None = None, theta_0: Any = None) -> Any:
        self._record("params", strategy, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale,
                     Sigma=Sigma, theta0=theta0, **_arith(arithmetic, precision))
        if d is None:
            D = sp.Symbol("d") + 2
            return ParamsResult(sp.MatrixSymbol("V", D, D), sp.MatrixSymbol("Q", D, D) / (sp.Symbol("d") + 4),
                                ["V[0, :]", "Q[:, d+1]"], "gradient descent from the pretrained parameters")
        V = sp.zeros(d + 2, d + 2)
        V[d + 1, d + 1] = 1
        Q = sp.zeros(d + 2, d + 2)
        for i in range(1, d + 1):
            Q[i, i] = sp.Rational(1, d + 4)
        return ParamsResult(V, Q, ["V[0, :]"], "V[-1,-1] = 1")

    def curve(self, strategy: str, task: str, ns: Any, *, d: int, sigma2: float, m: int | None,
              n_ft: int | None, scale: float = 1.0, Sigma: Any = None, theta0: Any = None,
              arithmetic: str | None = None, precision: int | None = None, theta_0: Any = None) -> Any:
        self._record("curve", strategy, task, ns, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale,
                     Sigma=Sigma, theta0=theta0, **_arith(arithmetic, precision))
        ns = list(ns)
        return CurveResult(ns, [sigma2 + 1.0 / (k + 1) for k in ns], sigma2)

    def frontier(self, lambdas: Any, *, n_ft: int | None, n: int | None = None, d: int, sigma2: Any,
                 m: int | None = None, Sigma: Any = None, theta0: Any = None, theta_0: Any = None,
                 arithmetic: str | None = None, precision: int | None = None, ranks: Any = None,
                 block: str = "Q") -> Any:
        self._record("frontier", lambdas, n_ft=n_ft, n=n, d=d, sigma2=sigma2, m=m, Sigma=Sigma, theta0=theta0)
        lam = sp.Symbol("lambda", positive=True)
        forms = {"zero_shot": sigma2 + lam / (lam + 1), "few_shot_target": sigma2 + 1 / (lam + 1),
                 "few_shot_opposite": sigma2 + lam / (lam + 2)}

        def row(label: str, x: Any, vals: tuple) -> Any:
            return types.SimpleNamespace(label=label, lam=x, values=lambda: vals)
        at = lambda f, x: sp.limit(f, lam, x) if x in (0, sp.oo) else f.subs(lam, x)  # noqa: E731
        rows = [row(f"lambda={x}", x, tuple(at(f, x) for f in forms.values())) for x in lambdas]
        strategies = [row(s, None, (sigma2, sigma2, sigma2)) for s in ("pretrain", "full", "value", "value-fewshot")]
        return types.SimpleNamespace(rows=rows, strategies=strategies, formulas=forms,
                                     checks=[("lim lambda->0+ = (d)", True)],
                                     monotone={k: "increasing" for k in forms}, degenerate=False)

    def exact_error(self, V: Any, Q: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, *,
                    arithmetic: str | None = None, precision: int | None = None) -> Any:
        self._record("exact_error", V, Q, theta, Sigma, sigma2, n, **_arith(arithmetic, precision))
        return sigma2 + (theta.T * Sigma * theta)[0, 0] / (n + 1)

    def depth_error(self, layers: Any, theta: Any, Sigma: Any, sigma2: Any, n: int, *, arithmetic: str | None = None,
                    precision: int | None = None, samples: int = 200_000, seed: int = 0, derive: bool = True) -> Any:
        """Records the call; answers sigma2 + theta' Sigma theta / (n + 1) on the class route (a real
        DepthError, so the printers run), or Monte Carlo (stderr 1/100) when some layer's V[0][0] is 1."""
        from proofs.quantities.arithmetic import choose
        from proofs.quantities.depth_error import DepthError
        self._record("depth_error", layers, theta, Sigma, sigma2, n, samples=samples, seed=seed, derive=derive,
                     **_arith(arithmetic, precision))
        value = sigma2 + (theta.T * Sigma * theta)[0, 0] / (n + 1)
        arith = choose(Sigma.shape[0], arithmetic, precision)
        if any(sp.Matrix(V)[0, 0] == 1 for V, _ in layers):
            return DepthError(float(value), 0.01, "monte-carlo", "Monte Carlo, not exact (fake)", len(layers), n,
                              samples, seed, arith)
        return DepthError(value, None, "class", "exact: the class closed form (fake)", len(layers), n, None, None,
                          arith)

    def solve(self, strategy: Any, *, numeric: bool = False, steps: int | None = None, **setting_args: Any) -> Any:
        """Records the call and answers as the real API does (the derive command prints each
        route's answer, which a fake would have to imitate whole)."""
        self._record("solve", strategy, numeric=numeric, steps=steps, **setting_args)
        return REAL["solve"](strategy, numeric=numeric, steps=steps, **setting_args)

    def trajectory(self, strategy: Any, *, eta: Any, steps: int, every: int = 1, flow: bool = False,
                   n: int | None = None, task: Any = None, level: Any = None, d: int, sigma2: Any = 0,
                   m: int | None = None, n_ft: int | None = None, Sigma: Any = None, theta0: Any = None,
                   theta_0: Any = None, arithmetic: str | None = None, seed: int = 0, eta2: Any = None,
                   path: str = "staged", lam: Any = None) -> Any:
        self._record("trajectory", strategy, eta=eta, steps=steps, every=every, flow=flow, n=n, d=d,
                     sigma2=sigma2, m=m, n_ft=n_ft, arithmetic=arithmetic, eta2=eta2, path=path, lam=lam)
        return REAL["trajectory"](strategy, eta=eta, steps=steps, every=every, flow=flow, n=n, task=task,
                                  level=level, d=d, sigma2=sigma2, m=m, n_ft=n_ft, Sigma=Sigma, theta0=theta0,
                                  theta_0=theta_0, arithmetic=arithmetic, seed=seed, eta2=eta2, path=path, lam=lam)

    def latex_document(self) -> str:
        self._record("latex_document")
        from proofs.cli.printers import printer
        from proofs.cli.reports import SummaryTable
        from test_latex_compile import standalone
        return standalone(printer("latex").doprint(SummaryTable(poster_table())))

    def verify(self, samples: int, seed: int) -> list[Any]:
        self._record("verify", samples, seed)
        return list(self.verify_rows)


API_FUNCTIONS = ["results", "summary_table", "table_symbols", "params", "curve", "exact_error", "depth_error",
                 "latex_document", "verify", "frontier", "solve", "trajectory"]
#: the real functions the fakes of solve and trajectory pass their calls on to
REAL = {name: getattr(api, name) for name in ("solve", "trajectory")}


def install(monkeypatch: pytest.MonkeyPatch) -> Fake:
    """Replace proofs.api's functions with a fresh :class:`Fake`'s; return it."""
    fake = Fake()
    for name in API_FUNCTIONS:
        monkeypatch.setattr(api, name, getattr(fake, name))
    return fake


def install_figure(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """A fake ``proofs.figures.linear`` module; returns the list its make_figure appends calls to."""
    calls: list[tuple] = []
    module = types.ModuleType("proofs.figures.linear")

    def make_figure(out: Any, seed: int, quick: bool, progress: bool = True, *, closeness: Any = None,
                    checkpoints: Any = None, reuse: bool = False) -> Any:
        calls.append((out, seed, quick, progress))
        out.write_bytes(b"%PDF-fake\n")
        saved = []
        if closeness is not None:
            closeness.write_text("{}\n")
        if checkpoints is not None:
            checkpoints.mkdir(exist_ok=True)
            saved = [checkpoints / "pretrain.npz"]
            saved[0].write_bytes(b"fake")
        return types.SimpleNamespace(checkpoints=saved)

    module.make_figure = make_figure  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "proofs.figures.linear", module)
    return calls


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``icl-finetune *argv`` in-process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# ----------------------------------------------------------------------------- the fakes' own tests

@pytest.mark.parametrize("name", API_FUNCTIONS)
def test_fake_takes_the_same_parameters_as_the_api(name: str) -> None:
    real = inspect.signature(getattr(api, name))
    fake = inspect.signature(getattr(Fake(), name))
    assert [(p.name, p.kind) for p in fake.parameters.values()] == \
           [(p.name, p.kind) for p in real.parameters.values()]


def test_every_function_the_cli_calls_is_faked() -> None:
    import re
    from pathlib import Path
    source = "".join(p.read_text() for p in Path(cli.__file__).parent.glob("*.py"))
    used = set(re.findall(r"api\(\)\.(\w+)\(|\bapi\.(\w+)\(", source))
    used_names = {a or b for a, b in used}
    assert used_names and used_names <= set(API_FUNCTIONS)
