r"""A derived closed form compiled to a float function of concrete matrices (numpy or JAX).

:func:`compile_poly` turns an engine :class:`~symbolic.forms.Poly` (traces and bilinear forms of
words in named d x d matrices and d-vectors, SymPy coefficients in scalar symbols) into a
callable ``fn(env) -> float`` where ``env`` maps names (``"Gamma_1"``, ``"Sigma"``, ``"theta"``,
``"v_y_1"``, ``"n"``, ``"d"``...) to arrays and numbers. Each distinct trace or bilinear form is
evaluated once per call by dense products (O(d^3) per factor); with ``xp=jax.numpy`` the
function is differentiable (used to descend the class's exact loss in
``bench/bench_depth_pretraining.py`` and the pretraining checks). ``d`` is read from the
matrices. Inverse atoms ``Sigma^{-1}`` are evaluated by ``xp.linalg.inv``.

``fn.along(env, "n", ns)`` evaluates the polynomial along one scalar (a curve in n): the factors once,
the coefficients on the whole array.

Public API: :func:`compile_poly`.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from .forms import Poly, Tr
from .words import DIM

__all__ = ["compile_poly"]


def _atom_key(a) -> tuple[str, bool, bool]:
    e = a.expr
    if isinstance(e, sp.Inverse):
        return (e.arg.name, True, a.transposed)
    return (e.name, False, a.transposed)


def compile_poly(p: Poly, xp: Any = np) -> Callable[[Mapping[str, Any]], Any]:
    """``fn(env)``: the value of ``p`` at the matrices, vectors and scalars of ``env`` (keyed by name)."""
    factors: dict = {}
    rows = []
    scalars: set = set()
    for (fs, noises), c in p.terms.items():
        if noises:
            raise ValueError("p: noise variables are still present; take their expectation first")
        idx = []
        for f in fs:
            if f not in factors:
                factors[f] = len(factors)
            idx.append(factors[f])
        c = sp.sympify(c)
        scalars |= c.free_symbols
        rows.append((tuple(idx), c))
    syms = sorted(scalars, key=lambda s: s.name)
    # one function returning every coefficient (one lambdify of the list: a lambdify per coefficient
    # costs ~1 ms each, 9 s for the 7,220 coefficients of the L = 3 class closed form)
    all_coeffs = sp.lambdify(syms, [c for _, c in rows], modules="numpy")
    specs = []
    for f, _ in sorted(factors.items(), key=lambda kv: kv[1]):
        if isinstance(f, Tr):
            specs.append(("T", [_atom_key(a) for a in f.word], None, None))
        else:
            if f.left.is_gaussian or f.right.is_gaussian:
                raise ValueError("p: a factor still depends on a Gaussian vector")
            specs.append(("F", [_atom_key(a) for a in f.word], f.left.obj.name, f.right.obj.name))

    def bind(scalars: Mapping[str, Any], d: int) -> Callable[[Mapping[str, Any]], Any]:
        """The same with scalar symbols fixed (numpy only): when ``scalars`` fixes every one the
        coefficients are computed once; the polynomial is a vectorised sum of products of the
        factors' values (other scalars are read from ``env`` at each call)."""
        fixed = all(s == DIM or s.name in scalars for s in syms)
        if fixed:
            args = [d if s == DIM else scalars[s.name] for s in syms]
            coef = np.array([float(c) for c in all_coeffs(*args)])
        width = max((len(i) for i, _ in rows), default=0)
        idx = np.full((len(rows), max(width, 1)), len(specs), dtype=np.int64)
        for r, (i, _) in enumerate(rows):
            idx[r, :len(i)] = i

        def fast(env: Mapping[str, Any]) -> float:
            vals = np.append(np.asarray(_factor_values(env), dtype=float), 1.0)
            if fixed:
                c = coef
            else:       # scalars not fixed at bind time (e.g. trained values) are read from env
                a_ = [d if s == DIM else scalars[s.name] if s.name in scalars else env[s.name] for s in syms]
                c = np.array([float(x) for x in all_coeffs(*a_)])
            return float(np.prod(vals[idx], axis=1) @ c)
        return fast

    def _factor_values(env: Mapping[str, Any]) -> list:
        env = {(k if isinstance(k, str) else k.name): v for k, v in env.items()}
        prefix: dict = {}

        atom = _atoms(env, xp)

        def word(w):
            w = tuple(w)
            if w not in prefix:
                prefix[w] = atom(w[0]) if len(w) == 1 else word(w[:-1]) @ atom(w[-1])
            return prefix[w]

        applied: dict = {}

        def times(w, right):    # word(w) @ vector, right to left: matrix-vector products, shared suffixes
            w = tuple(w)
            if (w, right) not in applied:
                applied[(w, right)] = (xp.reshape(env[right], (-1,)) if not w else
                                       atom(w[0]) @ times(w[1:], right))
            return applied[(w, right)]

        vals = []
        for kind, w, left, right in specs:
            if kind == "T":         # tr(P A) = sum_ij P^T_ij A_ij: the last product never formed
                vals.append(xp.trace(word(w)) if len(w) == 1 else xp.sum(word(w[:-1]).T * atom(w[-1])))
            else:
                vals.append(xp.reshape(env[left], (-1,)) @ times(w, right))
        return vals

    def fn(env: Mapping[str, Any]) -> Any:
        env = {(k if isinstance(k, str) else k.name): v for k, v in env.items()}
        d = None
        for v in env.values():
            if getattr(v, "ndim", 0) == 2:
                d = v.shape[0]
                break
        if d is None:
            d = int(env["d"])

        atom = _atoms(env, xp)

        vals = []
        for kind, word, left, right in specs:
            if kind == "T":
                acc = atom(word[0])
                for k in word[1:]:
                    acc = acc @ atom(k)
                vals.append(xp.trace(acc))
            else:
                v = xp.reshape(env[right], (-1,))
                for k in reversed(word):
                    v = atom(k) @ v
                vals.append(xp.reshape(env[left], (-1,)) @ v)
        args = [d if s == DIM else env[s.name] for s in syms]
        total = 0.0
        for (idx, _), term in zip(rows, all_coeffs(*args)):
            for i in idx:
                term = term * vals[i]
            total = total + term
        return total

    def along(env: Mapping[str, Any], name: str, values: Sequence[float]) -> np.ndarray:
        """The polynomial at ``env`` for each value of the scalar ``name`` (e.g. ``"n"`` along a curve),
        numpy only: every trace and bilinear form computed once (words by shared prefixes), the
        coefficients (rational functions of ``name``) evaluated on the whole array at once."""
        env = {(k if isinstance(k, str) else k.name): v for k, v in env.items()}
        d = next((v.shape[0] for v in env.values() if getattr(v, "ndim", 0) == 2), None)
        d = int(env["d"]) if d is None else d
        xs = np.asarray(values, dtype=float)
        vals = np.asarray(_factor_values(env), dtype=float)
        args = [d if s == DIM else xs if s.name == name else env[s.name] for s in syms]
        total = np.zeros(xs.shape)
        for (idx, _), c in zip(rows, all_coeffs(*args)):
            total = total + np.asarray(c, dtype=float) * (np.prod(vals[list(idx)]) if idx else 1.0)
        return total

    fn.bind = bind
    fn.along = along
    return fn


def _atoms(env: Mapping[str, Any], xp: Any) -> Callable[[tuple], Any]:
    """``atom(key)``: the matrix of an atom of ``env`` for ``key = (name, inverse?, transpose?)``,
    each computed once per call of the compiled polynomial."""
    mats: dict = {}

    def atom(key: tuple) -> Any:
        if key not in mats:
            name, inv, tr = key
            M = env[name]
            if inv:
                M = xp.linalg.inv(M)
            mats[key] = M.T if tr else M
        return mats[key]
    return atom
