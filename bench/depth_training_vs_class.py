r"""Does gradient descent on the unrestricted L-layer linear attention reach the class's pretraining minimum?

The check of pretraining at depth against training. The class (:mod:`symbolic.depth_pretraining`): V_l = e_y e_y^T and
Q_l = blockdiag(0, gamma_l I_d, 0), the pretraining loss E_{theta ~ N(0, I)} E_L(layers, m; theta)
at Sigma = I on m-shot prompts, minimised exactly over the gamma's (L = 2: every real stationary
point by a resultant, :func:`stationary_points`; L = 3: the real optimum on the boundary of the
real-rooted region, :func:`real_optimum_L3`).

Training: the JAX model (:mod:`numeric.transformer`, ``ModelConfig(kind="linear", layers=L)``,
every entry of every V_l, Q_l free, N(0, 0.1^2) at the start) pretrained by
:func:`numeric.transformer.train.pretrain` on the paper's m-shot objective (a) (``PretrainConfig.m``),
fresh prompts every step (so the objective is the population loss at m), Adam with a cosine decay.

Evaluation (float64, numpy, independent of JAX): the trained layers and the class minimiser on the
same prompts (theta ~ N(0, I) per prompt; :func:`numeric.depth.forward_depth`), in chunks of 200,000
prompts; the class minimiser's Monte Carlo loss is checked against its exact value (z). Reported per start:

- ``train``: the training loss averaged over the last 10% of steps (batches, float32);
- ``MC loss``: the trained layers' mean squared error over all prompts, with the smallest and largest
  chunk mean: the trained models' errors are polynomials of degree up to 3^L in the prompt, heavy
  tailed, and a wide chunk range (with the largest single squared error) says the mean is not
  estimated (the class minimiser's chunk means agree to about 1%);
- ``median squared error`` of the trained model and of the class minimiser (the typical prompt);
- ``fdist``: E[(f_trained - f_class)^2] (0 iff the trained model computes the class minimiser's prediction);
- the projection onto the class, per layer l: ``g = V_l[y,y] * tr(Q_l,xx) / d`` (the class's gamma_l,
  invariant under V -> c V, Q -> Q / c), ``Voff`` = ||V_l off its label entry|| / |V_l[y,y]|,
  ``Qoff`` = ||Q_l off its x block|| / ||Q_l,xx||, ``aniso`` = ||Q_l,xx - tr/d I|| / ||Q_l,xx||.

``--from-class JITTER`` starts every run at the class minimum plus N(0, JITTER^2) on every entry instead.
``--gradient PROMPTS`` estimates the gradient of the unrestricted population loss at the class minimum
(hand-written backpropagation in float64, checked against finite differences), every entry of every
V_l, Q_l, with z-scores: a critical point of the full model has every z within noise
(``--starts 0 --gradient 4000000`` prints only that).

Run (with nice; about 5 CPU minutes for the default):

    nice python bench/depth_training_vs_class.py                      # L = 2, 3; d = 2; m = 5; 4 starts
    nice python bench/depth_training_vs_class.py --L 2 --d 3 --starts 2
    nice python bench/depth_training_vs_class.py --L 2 --starts 2 --from-class 0.01 --show
    nice python bench/depth_training_vs_class.py --L 2 3 --starts 0 --gradient 4000000
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def class_minimum(L: int, d: int, m: int, sigma2: str) -> tuple[tuple[float, ...], float, list]:
    """(gammas, exact loss, every stationary point found) of the class at Sigma = I."""
    from symbolic.depth_pretraining import real_optimum_L3, stationary_points
    if L == 2:
        pts = [(tuple(float(g) for g in p), v) for p, v, _ in stationary_points(2, d, m, sigma2)]
    elif L == 3:
        pts = [(tuple(float(g) for g in p), v) for p, v in real_optimum_L3(d, m, sigma2)]
    else:
        raise ValueError(f"L: expected 2 or 3, got {L!r}")
    return pts[0][0], pts[0][1], pts


def class_layers(gammas, d: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The class model at Sigma = I: V_l = e_y e_y^T, Q_l = blockdiag(0, gamma_l I, 0)."""
    from numeric.depth import class_start
    return class_start(gammas, np.eye(d))


def draw_prompts(rng: np.random.Generator, k: int, d: int, m: int, sigma2: float) -> tuple[np.ndarray, np.ndarray]:
    """k prompts Z (k, d+2, m+1) with theta ~ N(0, I_d) each, and their query labels y (k,)."""
    theta = rng.standard_normal((k, d))
    x = rng.standard_normal((k, m + 1, d))
    y = np.einsum("knd,kd->kn", x, theta) + math.sqrt(sigma2) * rng.standard_normal((k, m + 1))
    Z = np.concatenate([np.ones((k, m + 1, 1)), x, y[..., None]], axis=-1).transpose(0, 2, 1).copy()
    Z[:, -1, -1] = 0.0
    return Z, y[:, -1]


def paired_losses(trained, reference, d: int, m: int, sigma2: float, samples: int, seed: int,
                  chunk: int = 200_000) -> dict:
    """Monte Carlo (float64) on the same prompts: for the trained and the reference layers, the mean
    squared error over all prompts, the smallest and largest mean over chunks of ``chunk`` prompts (a
    heavy tail shows as a wide range: the chunk means of a well-estimated loss agree to a few s.e.),
    the median per-prompt squared error (the typical prompt), and E[(f_t - f_r)^2]."""
    from numeric.depth import forward_depth
    rng = np.random.default_rng(seed)
    chunks = {"t": [], "r": [], "fdist": []}
    med = {"t": [], "r": []}
    top = 0.0
    done = 0
    while done < samples:
        k = min(chunk, samples - done)
        Z, y = draw_prompts(rng, k, d, m, sigma2)
        ft, fr = forward_depth(Z, trained), forward_depth(Z, reference)
        et, er = (ft - y) ** 2, (fr - y) ** 2
        for name, v in (("t", et), ("r", er), ("fdist", (ft - fr) ** 2)):
            chunks[name].append((v.mean(), k))
        med["t"].append(np.median(et))
        med["r"].append(np.median(er))
        top = max(top, float(et.max()))
        done += k
    out = {}
    for name, cs in chunks.items():
        means = np.array([c for c, _ in cs])
        w = np.array([k for _, k in cs], dtype=float)
        out[name] = {"mean": float(means @ w / w.sum()), "lo": float(means.min()), "hi": float(means.max()),
                     "se_chunks": float(means.std(ddof=1) / math.sqrt(len(means))) if len(means) > 1 else math.nan}
    out["median"] = {k: float(np.median(v)) for k, v in med.items()}
    out["max_t"] = top
    return out


def loss_and_gradient(layers, Z: np.ndarray, y: np.ndarray):
    """Per-prompt squared errors (f_L(Z) - y)^2 and their gradients in every V_l, Q_l (arrays (k, D, D)),
    by hand-written backpropagation through Z_l = Z_{l-1} + V_l Z Z^T Q_l Z / N (float64; checked against
    finite differences by :func:`gradient_check`)."""
    N = Z.shape[-1]
    T = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    Zs = [Z]
    for V, Q in layers:
        Zc = Zs[-1]
        Zs.append(Zc + V @ Zc @ T(Zc) @ Q @ Zc / N)
    r = Zs[-1][:, -1, -1] - y
    G = np.zeros_like(Zs[-1])
    G[:, -1, -1] = 2 * r
    grads = []
    for (V, Q), Zc in zip(reversed(layers), reversed(Zs[:-1])):
        A = Zc @ T(Zc)
        gV = G @ T(A @ Q @ Zc) / N
        gQ = T(V @ A) @ G @ T(Zc) / N
        G = G + (T(V @ A @ Q) @ G + T(V) @ G @ T(T(Zc) @ Q @ Zc) + Q @ Zc @ T(G) @ V @ Zc) / N
        grads.append((gV, gQ))
    return r ** 2, grads[::-1]


def gradient_check(layers, d: int, m: int, sigma2: float, seed: int = 0, h: float = 1e-6) -> float:
    """The largest relative gap between :func:`loss_and_gradient` and central finite differences, over
    every entry of every matrix, on 20 prompts."""
    rng = np.random.default_rng(seed)
    Z, y = draw_prompts(rng, 20, d, m, sigma2)
    _, g = loss_and_gradient(layers, Z, y)
    worst = 0.0
    for l in range(len(layers)):
        for w in range(2):
            for i, j in np.ndindex(layers[l][w].shape):
                vals = []
                for s in (h, -h):
                    P = [[V.copy(), Q.copy()] for V, Q in layers]
                    P[l][w][i, j] += s
                    vals.append(loss_and_gradient(P, Z, y)[0].sum())
                fd = (vals[0] - vals[1]) / (2 * h)
                an = g[l][w][:, i, j].sum()
                worst = max(worst, abs(fd - an) / max(1.0, abs(an)))
    return worst


def gradient_at(layers, d: int, m: int, sigma2: float, samples: int, seed: int) -> list:
    """Monte Carlo of the gradient of the population loss in every entry of every V_l, Q_l:
    ``[(mean_V, z_V, mean_Q, z_Q), ...]`` per layer (z = mean / standard error; nan where every sample is 0)."""
    rng = np.random.default_rng(seed)
    L, D = len(layers), d + 2
    s1 = np.zeros((L, 2, D, D))
    s2 = np.zeros((L, 2, D, D))
    done = 0
    while done < samples:
        k = min(100_000, samples - done)
        Z, y = draw_prompts(rng, k, d, m, sigma2)
        _, g = loss_and_gradient(layers, Z, y)
        for l in range(L):
            for w in range(2):
                s1[l, w] += g[l][w].sum(0)
                s2[l, w] += (g[l][w] ** 2).sum(0)
        done += k
    mean = s1 / samples
    se = np.sqrt(np.maximum(s2 / samples - mean ** 2, 0.0) / samples)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = mean / se
    return [(mean[l, 0], z[l, 0], mean[l, 1], z[l, 1]) for l in range(L)]


def projection(layers, d: int) -> list[dict]:
    """Per layer: the class's gamma_l read off the trained matrices and how far they are from the class."""
    rows = []
    for V, Q in layers:
        vyy = V[-1, -1]
        Vo = V.copy()
        Vo[-1, -1] = 0.0
        Qxx = Q[1:d + 1, 1:d + 1]
        Qo = Q.copy()
        Qo[1:d + 1, 1:d + 1] = 0.0
        iso = np.trace(Qxx) / d
        nq = np.linalg.norm(Qxx)
        rows.append({"g": vyy * iso, "Voff": np.linalg.norm(Vo) / abs(vyy) if vyy else math.inf,
                     "Qoff": np.linalg.norm(Qo) / nq if nq else math.inf,
                     "aniso": np.linalg.norm(Qxx - iso * np.eye(d)) / nq if nq else math.inf})
    return rows


def train(L: int, d: int, m: int, sigma2: float, seed: int, steps: int, batch: int, lr: float,
          start=None, jitter: float = 0.0):
    """Adam from the random initialisation, or from ``start`` (layers) plus N(0, jitter^2) on every entry."""
    from numeric.transformer.model import ModelConfig
    from numeric.transformer.train import OptimConfig, PretrainConfig, pretrain
    cfg = PretrainConfig(model=ModelConfig(d=d, layers=L, kind="linear"), max_shots=m, m=m, sigma2=sigma2,
                         optim=OptimConfig(steps=steps, batch=batch, lr=lr, warmup=steps // 20, lr_final=0.01))
    init = None
    if start is not None:
        rng = np.random.default_rng(seed)
        init = {}
        for i, (V, Q) in enumerate(start):
            init[f"layer{i}/attn/V"] = V + jitter * rng.standard_normal(V.shape)
            init[f"layer{i}/attn/Q"] = Q + jitter * rng.standard_normal(Q.shape)
    r = pretrain(cfg, seed, init=init)
    layers = [(np.asarray(r.params[f"layer{i}/attn/V"], float), np.asarray(r.params[f"layer{i}/attn/Q"], float))
              for i in range(L)]
    return layers, float(np.mean(r.loss[-max(1, steps // 10):]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--L", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--m", type=int, default=5, help="pretraining shots (the prompt length of objective (a))")
    ap.add_argument("--sigma2", default="1/10")
    ap.add_argument("--starts", type=int, default=4)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--samples", type=int, default=4_000_000, help="Monte Carlo prompts per evaluation (chunks of 200,000)")
    ap.add_argument("--show", action="store_true", help="print every trained V_l, Q_l")
    ap.add_argument("--gradient", type=int, default=0, metavar="PROMPTS",
                    help="also estimate the unrestricted loss's gradient at the class minimum over PROMPTS prompts")
    ap.add_argument("--from-class", type=float, default=None, metavar="JITTER",
                    help="start every run at the class minimum plus N(0, JITTER^2) on every entry (0: exactly there)")
    a = ap.parse_args(argv)
    from fractions import Fraction
    s2 = float(Fraction(a.sigma2))
    print(("random starts" if a.from_class is None else f"starts: the class minimum + N(0, {a.from_class}^2)") +
          f"; d = {a.d}, m = {a.m}, sigma^2 = {a.sigma2}, Sigma = I, theta ~ N(0, I); Adam {a.steps} steps x "
          f"{a.batch} prompts, lr {a.lr}; Monte Carlo {a.samples} prompts (float64)")
    for L in a.L:
        t0 = time.process_time()
        gam, exact, pts = class_minimum(L, a.d, a.m, a.sigma2)
        print(f"\nL = {L}: class stationary points (gammas: exact loss): " +
              "; ".join(f"({', '.join(f'{g:.4f}' for g in p)}): {v:.6f}" for p, v in pts))
        print(f"  class minimum: gammas ({', '.join(f'{g:.5f}' for g in gam)}), loss {exact:.6f} "
              f"[{time.process_time() - t0:.1f} s CPU]")
        ref = class_layers(gam, a.d)
        if a.gradient:
            t0 = time.process_time()
            fd = gradient_check([(V + 0.3, Q - 0.2) for V, Q in ref], a.d, a.m, s2)
            print(f"  gradient of the unrestricted loss at the class minimum ({a.gradient} prompts; backpropagation "
                  f"vs finite differences: largest relative gap {fd:.1e}); entries with |z| > 5:")
            names = "1" + "x" * a.d + "y"
            for l, (gV, zV, gQ, zQ) in enumerate(gradient_at(ref, a.d, a.m, s2, a.gradient, 7), 1):
                for nm, g, z in (("V", gV, zV), ("Q", gQ, zQ)):
                    big = [(i, j) for i, j in np.ndindex(g.shape) if np.isfinite(z[i, j]) and abs(z[i, j]) > 5]
                    print(f"      dE/d{nm}_{l}: " + (", ".join(f"[{names[i]}{i if names[i] == 'x' else ''},"
                                                            f"{names[j]}{j if names[j] == 'x' else ''}] "
                                                            f"{g[i, j]:+.4f} (z {z[i, j]:+.0f})" for i, j in big)
                                                  or "none"))
            print(f"  [{time.process_time() - t0:.0f} s CPU]")
            if a.starts == 0:
                continue
        for seed in range(a.first_seed, a.first_seed + a.starts):
            t0 = time.process_time()
            layers, tr = train(L, a.d, a.m, s2, seed, a.steps, a.batch, a.lr,
                               start=None if a.from_class is None else ref, jitter=a.from_class or 0.0)
            t1 = time.process_time()
            pl = paired_losses(layers, ref, a.d, a.m, s2, a.samples, 1000 + seed)
            t, r = pl["t"], pl["r"]
            z = (r["mean"] - exact) / r["se_chunks"]
            proj = projection(layers, a.d)
            print(f"  start {seed}: train {tr:.4f}; MC loss {t['mean']:.4f} (chunk means {t['lo']:.4f}..{t['hi']:.4f}, "
                  f"largest squared error {pl['max_t']:.3g}); class min by MC {r['mean']:.5f} (chunk means "
                  f"{r['lo']:.4f}..{r['hi']:.4f}, z vs exact {z:+.1f}); median squared error trained "
                  f"{pl['median']['t']:.4f} vs class {pl['median']['r']:.4f}; fdist {pl['fdist']['mean']:.3g} "
                  f"[train {t1 - t0:.0f} s, eval {time.process_time() - t1:.0f} s CPU]")
            for l, p in enumerate(proj, 1):
                print(f"      layer {l}: g = {p['g']:+.4f}  Voff = {p['Voff']:.3f}  Qoff = {p['Qoff']:.3f}  "
                      f"aniso = {p['aniso']:.3f}")
            if a.show:
                for l, (V, Q) in enumerate(layers, 1):
                    print(f"      V_{l} =\n{np.round(V, 3)}\n      Q_{l} =\n{np.round(Q, 3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
