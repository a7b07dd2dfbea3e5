"""The left panel at depth (``figure --layers``): its curves, its drawing, its options.

- The curves (:func:`symbolic.depth_curves.depth_curves`: the class closed form evaluated in float64 at
  parameters from :mod:`symbolic.depth_finetune`) equal the concrete-dimension exact engine
  (:mod:`symbolic.concrete_depth`, which runs the model literally on polynomials and shares no code with
  the closed form) at the same parameters, for (a), (c), (d), n = 0, 1, 2, theta0 and -theta0.
- The parameters are what they claim: (c)'s last-layer values are stationary for the zero-shot loss and
  (d)'s v_y for the n_ft-shot loss (exact engine, symmetric differences); the gamma's are in the stated
  order (the largest in the last layer).
- The drawing passes the layout checker; bad options exit 2 before any work.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symbolic.concrete_depth import class_start, concrete_depth_error
from symbolic.depth_curves import depth_curves

D, M, NFT, S2, TH = 2, 5, 3, sp.Rational(1, 10), (1, 0)


@pytest.fixture(scope="module")
def curves():
    return depth_curves(2, d=D, m=M, n_ft=NFT, sigma2="1/10", theta0=TH, ns=(0, 1, 2))


def _layers(c, name, v0=0.0, dvx=0.0, dvy=0.0):
    """The class layers of ``name`` as exact matrices (floats read exactly), last layer's values shifted."""
    R = sp.Rational
    a0, vx, vy = c.values[name]
    last = [R(a0) + R(v0), *(R(vx[i]) + (R(dvx) if i == 0 else 0) for i in range(D)), R(vy) + R(dvy)]
    return class_start([R(g) for g in c.gammas], sp.eye(D), {c.L: last})  # depth_curves is at Sigma = I


def _exact(layers, n, sign=1):
    return float(concrete_depth_error(layers, n=n, theta=[sign * t for t in TH], Sigma=np.eye(D).astype(int).tolist(),
                                      sigma2=S2))


def test_curves_equal_the_concrete_engine(curves):
    """Every curve value equals the literal model's exact error (to 1e-12 relative; they agree to 1e-15)."""
    for name in ("pretrain", "value", "value-fewshot"):
        lay = _layers(curves, name)
        for task, sign in (("target", 1), ("opposite", -1)):
            for i, n in enumerate(curves.ns):
                want = _exact(lay, n, sign)
                assert curves.errors[name][task][i] == pytest.approx(want, rel=1e-12), (name, task, n)


def test_the_parameters_are_the_minimisers_they_claim(curves):
    """(c): v_0 and v_x[0] of the last layer stationary for the zero-shot loss on theta0 (E(+h) = E(-h)),
    and a minimum (E(+-h) > E(0)); (d): v_y stationary for the n_ft-shot loss; the gamma's increasing;
    the pretrained last layer is e_y e_y^T; (d) moved v_y off 1 (else the test of (d) would be (c)'s)."""
    h = 0.05
    e0 = _exact(_layers(curves, "value"), 0)
    for kw in ({"v0": h}, {"dvx": h}):
        plus = _exact(_layers(curves, "value", **kw), 0)
        minus = _exact(_layers(curves, "value", **{k: -v for k, v in kw.items()}), 0)
        assert plus == pytest.approx(minus, rel=1e-9) and plus > e0 + 1e-4, kw
    f0 = _exact(_layers(curves, "value-fewshot"), NFT)
    plus, minus = (_exact(_layers(curves, "value-fewshot", dvy=s * h), NFT) for s in (1, -1))
    assert plus == pytest.approx(minus, rel=1e-9) and plus > f0 + 1e-5
    assert list(curves.gammas) == sorted(curves.gammas)
    assert curves.values["pretrain"] == (0.0, [0.0, 0.0], 1.0)
    assert abs(curves.values["value-fewshot"][2] - 1.0) > 0.1


@pytest.mark.parametrize("kw, name", [({"L": 1}, "L"), ({"L": 4}, "L"), ({"d": 0}, "d"), ({"m": 0}, "m"),
                                      ({"theta0": (1, 0, 0)}, "theta0"), ({"ns": ()}, "ns"),
                                      ({"sigma2": "-1"}, "sigma2"), ({"sigma2": "__import__('os')"}, "sigma2"),
                                      ({"sigma2": float("nan")}, "sigma2"), ({"theta0": (float("nan"), 0)}, "theta0")])
def test_bad_input_names_the_argument(kw, name):
    args = {"L": 2, "d": D, "m": M, "n_ft": NFT, "sigma2": "1/10", "theta0": TH, "ns": (0,)}
    args.update(kw)
    L = args.pop("L")
    with pytest.raises(ValueError, match=f"^{name}: expected"):
        depth_curves(L, **args)


def test_depth_figure_layout(tmp_path):
    """The figure at the real setting (d = 5, m = n_ft = 20, n = 0..20, L = 2) with trained points on the
    lines, and one far off scale (as training at depth gives: 1e7 at L = 2, 1e19 at L = 3, zero-shot), passes
    the layout checker; without the cap the off-scale point leaves the y axis with no labelled tick."""
    pytest.importorskip("matplotlib")
    from types import SimpleNamespace
    from proofs.figures.depth import MODELS, DepthFigureConfig, depth_theory, draw_depth
    from proofs.figures.layout import layout_problems
    cfg = DepthFigureConfig.quick(2)
    th = depth_theory(cfg)
    errors = {task: {k: SimpleNamespace(n=list(cfg.ns), mean=np.array(th.errors[k][task]),
                                        stderr=0.01 * np.array(th.errors[k][task])) for k in MODELS}
              for task in ("target", "opposite")}
    errors["target"]["pretrain"].mean[0] = 1e18  # an off-scale point: not drawn, counted in the title
    fig = draw_depth(cfg, th, errors, [tmp_path / "d.png"])
    assert layout_problems(fig) == []
    assert "1 trained point off scale" in fig._suptitle.get_text()
    assert (tmp_path / "d.png").stat().st_size > 10_000


@pytest.mark.parametrize("argv, says", [
    (["--layers", "4"], "--layers: expected an integer at most 3"),
    (["--layers", "0"], "--layers: expected an integer >= 1"),
    (["--layers", "2.5"], "--layers: expected an integer >= 1"),
    (["--layers", "2", "--frontier"], "--frontier: not available with --layers 2"),
    (["--layers", "3", "--trajectory"], "--trajectory: not available with --layers 3"),
])
def test_figure_layers_refused(argv, says, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from proofs.cli import main
    code = main(["figure", "--out", str(tmp_path / "f.png"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "f.png").exists()
