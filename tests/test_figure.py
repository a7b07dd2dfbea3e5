"""The figure and the closeness report (proofs.figures), with a fake theory backend."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

import proofs.api as api
from numeric.training import OptimConfig, Protocol, limit_error
from proofs.figures import closeness as C

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from proofs.figures.linear import make_figure  # noqa: E402

FULL_FREE = ["C (scale: V[-1, x] = C theta_0, Q_00 = 1/C)", "v_y = V[-1,-1]", "Q[y, 0], Q[y, x] (last row of Q)",
             "Q[0, x] - Q[x, 0]^T", "the antisymmetric part of Q[x, x]"]


def fake_params(strategy, *, d=None, sigma2=None, m=None, n_ft=None, scale=1, Sigma=None, theta0=None):
    """Hint-level parameters (a test double: the real ones are derived); query-key's are (a)'s."""
    if getattr(strategy, "name", None) == "query-key":
        strategy = "pretrain"
    if strategy not in ("pretrain", "full", "value", "value-fewshot"):
        raise ValueError(f"strategy: unknown {strategy!r}")
    th = np.asarray(theta0, dtype=float)
    g = (m + 1) / (m + 1 + d + sigma2)
    V = np.zeros((d + 2, d + 2))
    V[-1, -1] = 1.0
    Q = np.zeros((d + 2, d + 2))
    Q[1:d + 1, 1:d + 1] = g * np.eye(d)
    free = ["V[0:d+1, :]"]
    if strategy == "full":
        V[-1, 1:d + 1] = scale * th
        Q = np.zeros_like(Q)
        Q[0, 0] = 1 / scale
        free = FULL_FREE
    elif strategy in ("value", "value-fewshot"):
        V[-1, 1:d + 1] = th / (g * (d + 4))
        free = ["v_y = V[-1,-1] (absent from the zero-shot loss)"] if strategy == "value" else free
    return SimpleNamespace(V=sp.Matrix(V), Q=sp.Matrix(Q), free=free, convention="test double")


def fake_curve(strategy, task, ns, *, d, sigma2, m, n_ft, scale=1.0, Sigma=None, theta0=None):
    p = fake_params(strategy, d=d, sigma2=sigma2, m=m, n_ft=n_ft, scale=scale, theta0=theta0)
    th = np.asarray(theta0, dtype=float) * (1 if task == "target" else -1)
    lim = limit_error(np.array(p.V, dtype=float), np.array(p.Q, dtype=float), th, sigma2=sigma2)
    return SimpleNamespace(n=list(ns), error=[lim * (1 + 1 / (n + 1)) for n in ns], limit=lim)


@pytest.fixture
def fake_api(monkeypatch):
    monkeypatch.setattr(api, "params", fake_params)
    monkeypatch.setattr(api, "curve", fake_curve)


def tiny_protocol(**kw) -> Protocol:
    steps = {s: OptimConfig(steps=30, batch=200, lr=1e-2) for s in ("full", "value", "value-fewshot", "query-key")}
    base = dict(name="tiny", d=3, m=6, n_ft=6, pretrain_optim=OptimConfig(steps=60, batch=300, lr=2e-2),
                finetune_optim=steps, dataset_size=500, eval_samples=400, ns=tuple(range(6)))
    base.update(kw)
    return Protocol(**base)


def test_figure_files_json_and_checkpoints(tmp_path, fake_api):
    out = tmp_path / "fig.png"
    ckpt = tmp_path / "ckpt"
    rep = make_figure(out, 1, True, progress=False, protocol=tiny_protocol(), closeness=tmp_path / "close.json",
                      checkpoints=ckpt)
    assert [p.name for p in rep.paths] == ["fig.png"]
    assert out.stat().st_size > 1000
    assert rep.json_path == tmp_path / "close.json"
    # exactly the files asked for: the figure, the JSON, the checkpoint folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt", "close.json", "fig.png"]
    data = json.loads(rep.json_path.read_text())
    assert list(data["models"]) == ["pretrain", "full", "value", "value-fewshot", "query-key"]
    assert data["seed"] == 1 and data["protocol"]["name"] == "tiny"
    for name in ("pretrain", "full", "value", "value-fewshot"):
        entry = data["models"][name]
        assert set(entry["parameters"]) >= {"distance", "distance_modulo_free", "free", "free_unparsed"}
        assert entry["parameters"]["free_unparsed"] == []
        for task in ("target", "opposite"):
            g = entry["errors"][task]
            assert g["n"] == list(range(6)) and len(g["theory"]) == 6 and "limit_rel_gap" in g
    assert "update_distance" in data["models"]["value"]["parameters"]
    assert data["models"]["full"]["scale"] > 0
    # query-key has a derivation, and starts from the derived pretrained parameters: it stays there
    assert data["models"]["query-key"]["parameters"]["update_distance"] < 1e-12
    assert {p.name for p in rep.checkpoints} == {"pretrain.npz", "full.npz", "value.npz", "value-fewshot.npz",
                                                 "query-key.npz"}
    assert {p.parent for p in rep.checkpoints} == {ckpt}
    text = rep.summary()
    assert "value-fewshot" in text and "param distance" in text and "wrote" not in text
    assert rep.written() == [out, tmp_path / "close.json", *rep.checkpoints]
    # replot from the checkpoints: no training, same models
    again = make_figure(out, 1, True, progress=False, protocol=tiny_protocol(), reuse=True, checkpoints=ckpt,
                        closeness=tmp_path / "close.json")
    assert all(again.closeness["seconds"][s] == 0.0 for s in ("pretrain", "full", "value"))
    assert again.closeness["models"]["value"]["V_last_row"] == data["models"]["value"]["V_last_row"]
    # another seed retrains
    other = make_figure(out, 2, True, progress=False, protocol=tiny_protocol(), reuse=True, checkpoints=ckpt)
    assert other.closeness["seconds"]["pretrain"] > 0


def test_pdf_out_and_missing_theory(tmp_path, capsys, monkeypatch):
    """Without a theory backend the figure draws the trained points and says why there are no curves."""
    def not_yet(*args, **kwargs):
        raise NotImplementedError("proofs.api.curve")

    monkeypatch.setattr(api, "curve", not_yet)
    monkeypatch.setattr(api, "params", not_yet)
    rep = make_figure(tmp_path / "f.pdf", 0, True, progress=True, protocol=tiny_protocol(d=2))
    assert [p.name for p in rep.paths] == ["f.pdf"] and rep.json_path is None and rep.checkpoints == []
    assert [p.name for p in tmp_path.iterdir()] == ["f.pdf"]  # no JSON, no checkpoints unless asked
    assert any("not implemented" in w for w in rep.warnings)
    assert rep.closeness["models"]["value"]["parameters"] is None
    err = capsys.readouterr().err
    assert "training" in err                                 # the progress bar
    assert "warning: theory curves unavailable" in err        # the summary, echoed with progress


def test_quick_protocol_runs(tmp_path, fake_api):
    """The CI-size run (make_figure with quick=True), end to end."""
    rep = make_figure(tmp_path / "q.png", 0, True, progress=False)
    models = rep.closeness["models"]
    assert rep.closeness["protocol"]["name"] == "quick"
    # the fake theory is the hint-level optimum: trained parameters must be near it
    assert models["pretrain"]["parameters"]["distance"] < 0.05
    assert models["value"]["parameters"]["distance"] < 0.05
    assert models["full"]["parameters"]["distance_modulo_free"] < 0.1


PRETRAIN_FREE = ["V[0:d+1, :] (rows that never reach the output)", "Q[:, d+1] (multiplies the query's zero label)",
                 "the scale (V, Q) -> (aV, Q/a), fixed by V[-1,-1] = 1"]
VALUE_FREE = ["v_y = V[-1,-1] (absent from the zero-shot loss)", "V[0:d+1, :]"]


def test_free_directions_read_the_derivation_names():
    basis, unparsed = C.free_directions(PRETRAIN_FREE, 3)
    assert basis.shape[0] == 0 and unparsed == []          # nothing effective is free in pretraining
    basis, unparsed = C.free_directions(VALUE_FREE, 3)
    assert basis.shape[0] == 1 and unparsed == [] and abs(basis[0, 4]) == 1.0   # v_y
    basis, unparsed = C.free_directions(FULL_FREE + ["V[0:d+1, :] (rows)", "Q[:, d+1] (query label)", "mystery"], 2)
    assert unparsed == ["mystery"]
    # v_y (1) + Q's last row on columns 0..d (3) + Q[0,x]-Q[x,0] (2) + antisym Q_xx (1)
    assert basis.shape == (7, 4 + 4 * 3)
    np.testing.assert_allclose(basis @ basis.T, np.eye(7), atol=1e-12)


def test_parameter_distance_modulo_free():
    V = np.zeros((4, 4))
    V[-1] = [0, 0.5, 0, 1]
    Q = np.zeros((4, 4))
    Q[0, 0] = 2.0
    assert C.parameter_distance(V, Q, V, Q)["distance"] == 0
    V2, Q2 = V.copy(), Q.copy()
    V2[-1, -1] = 3.0                       # free under the names below
    Q2[1, 2], Q2[2, 1] = 0.4, -0.4         # antisymmetric part of Q_xx: free
    Q2[:, -1] = 7.0                        # never reaches the output
    V2[0] = 5.0                            # never reaches the output
    r = C.parameter_distance(V2, Q2, V, Q, free=FULL_FREE)
    assert r["distance"] > 0.5
    assert r["distance_modulo_free"] == pytest.approx(0.0, abs=1e-12)
    Q2[1, 2] = 0.5                         # a symmetric part is not free
    assert C.parameter_distance(V2, Q2, V, Q, free=FULL_FREE)["distance_modulo_free"] > 0
    r = C.parameter_distance(V, Q, V, Q, V_start=V * 0, Q_start=Q * 0, V_ref_start=V * 0, Q_ref_start=Q * 0)
    assert r["update_distance"] == 0


def test_fit_full_scale_and_error_gap():
    V = np.zeros((4, 4))
    Q = np.zeros((4, 4))
    V[-1, 1:3] = [0.3, 0.0]
    Q[0, 0] = 1 / 0.3
    assert C.fit_full_scale(V, Q, [1.0, 0.0]) == pytest.approx(0.3)
    g = C.error_gap([0, 1], [1.1, 2.0], [0.05, 0.0], [1.0, 2.0], limit_trained=1.0, limit_theory=0.5)
    assert g["rel_gap"] == pytest.approx([0.1, 0.0]) and g["z"] == pytest.approx([2.0, 0.0])
    assert g["max_abs_rel_gap"] == pytest.approx(0.1) and g["limit_rel_gap"] == pytest.approx(1.0)


@pytest.mark.parametrize("out, message", [
    ("noext", r"^out: expected a file name ending in \.png, \.pdf, \.svg, got '.*noext' \(no suffix\)"),
    ("x.xyz", r"^out: expected a file name ending in .*\(the suffix '\.xyz'\)"),
])
def test_figure_suffix_is_checked_before_any_work(tmp_path, monkeypatch, out, message):
    def no_training(*args, **kwargs):
        raise AssertionError("trained although the output name is bad")

    monkeypatch.setattr("proofs.figures.linear.run_protocol", no_training)
    with pytest.raises(ValueError, match=message):
        make_figure(tmp_path / out, 0, True, progress=False)
    with pytest.raises(ValueError, match=r"^reuse: needs checkpoints"):
        make_figure(tmp_path / "f.png", 0, True, progress=False, reuse=True)
    assert list(tmp_path.iterdir()) == []


def test_cli_figure_suffixes_match_the_module():
    from proofs.cli import figure as command
    from proofs.figures import linear
    assert command.FIGURE_SUFFIXES == linear.FIGURE_SUFFIXES
