"""Baseline for bench/bench_anyd.py: the value-fewshot n-shot error on theta_0 for n = 0..100 with a
plain numpy script of the closed form (m = n_ft = oo), typed in here as a reference (not a result):

    E(n) = [ (d^3 n + d^2 n^2 + 8 d^2 n + d^2 + 8 d n^2 + 25 d n + 8 d + 16 n^2 + 32 n + 16) sigma^2
           + (d^3 n + 9 d^2 n + 24 d n + 2 d + 16 n + 8) theta_0^T Sigma theta_0 ] / ((d+4)^2 (n+1)^2)

(``symbolic`` derives it: ``strategy('value-fewshot').error(THETA0, N)``).  Sigma is checked the
way a careful script would (finite, symmetric, Cholesky).

    python bench/baseline_value_fewshot.py SIGMA.npy [THETA0.npy] [--condition]

``--condition`` also computes Sigma's condition number as the toolkit does (one d x d inverse):
the number ``icl-finetune curve --format json`` reports (the text output does not print it and
decides its warning without it where a Cholesky factorisation proves it small).
"""
from __future__ import annotations

import sys

import numpy as np


def curve(S: np.ndarray, t0: np.ndarray, sigma2: float, ns: np.ndarray) -> tuple[np.ndarray, float]:
    d = S.shape[0]
    if not (np.all(np.isfinite(S)) and np.allclose(S, S.T)):
        raise SystemExit("Sigma: expected a finite symmetric matrix")
    np.linalg.cholesky(S)  # positive definite
    c = float(t0 @ S @ t0)
    n = ns.astype(float)
    s2 = (d**3 * n + d**2 * n**2 + 8 * d**2 * n + d**2 + 8 * d * n**2 + 25 * d * n + 8 * d
          + 16 * n**2 + 32 * n + 16)
    sc = d**3 * n + 9 * d**2 * n + 24 * d * n + 2 * d + 16 * n + 8
    err = (s2 * sigma2 + sc * c) / ((d + 4) ** 2 * (n + 1) ** 2)
    return err, sigma2


def condition(S: np.ndarray) -> float:
    """Sigma's condition number in the 1-norm, ||S||_1 ||S^-1||_1, as ``icl-finetune`` reports it
    (its JSON's ``condition``, and the number in its warning above 1e8): one d x d inverse."""
    return float(np.max(np.sum(np.abs(S), axis=0)) * np.max(np.sum(np.abs(np.linalg.inv(S)), axis=0)))


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--condition"]
    S = np.load(args[0], allow_pickle=False)
    t0 = np.load(args[1], allow_pickle=False) if len(args) > 1 else np.eye(S.shape[0])[0]
    err, lim = curve(S, t0, 0.1, np.arange(101))
    print("\n".join(f"{k:>6}  {e:.10g}" for k, e in enumerate(err)))
    print(f"{'limit':>6}  {lim:.10g}")
    if "--condition" in sys.argv[1:]:
        print(f"condition {condition(S):.6g}")


if __name__ == "__main__":
    main()
