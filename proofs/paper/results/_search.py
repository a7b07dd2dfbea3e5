"""Numeric backing for steps that the exact checks leave to numbers: gradient descent on an
objective derived by the engine, at a concrete dimension, from many random starts.

The objective is the engine's exact polynomial (:mod:`symbolic`) evaluated at a concrete d
and Sigma, a polynomial in the scalar entries of ``v = V[-1,:]`` and ``Q[:, :d+1]``; it is
compiled into a small numpy evaluator of the value and the gradient (monomials as index
lists, so no ``lambdify`` code generation: cheap to build, cheap to run).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symbolic.layout import LAYOUT
from symbolic.forms import Poly

__all__ = ["BLOCK_NAMES", "block_symbols", "CompiledPoly", "compile_objective", "descend"]

#: Order of the scalar unknowns: v_0, v_x, v_y, Q_00, q_0x, q_x0, Q_xx (row-major), Q_y0, q_yx
#: (the engine symbols of :data:`symbolic.layout.LAYOUT`).
BLOCK_NAMES = tuple(b.symbol for b in LAYOUT)
SCALAR_SYMBOLS = tuple(b.symbol for b in LAYOUT if b.kind == "scalar")
MATRIX_SYMBOL = next(b.symbol for b in LAYOUT if b.kind == "matrix")


def block_symbols(d: int) -> tuple[dict[str, object], list[sp.Symbol]]:
    """An environment with every block an explicit matrix of scalar symbols, and the symbols."""
    env: dict[str, object] = {}
    flat: list[sp.Symbol] = []
    for name in BLOCK_NAMES:
        if name in SCALAR_SYMBOLS:
            s = sp.Symbol(f"u_{name}")
            env[name] = s
            flat.append(s)
        elif name == MATRIX_SYMBOL:
            S = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"u_Qxx_{i}{j}"))
            env[name] = S
            flat += list(S)
        else:
            v = sp.Matrix([sp.Symbol(f"u_{name}_{i}") for i in range(d)])
            env[name] = v
            flat += list(v)
    return env, flat


@dataclass
class CompiledPoly:
    """``value(X)`` and ``grad(X)`` of a polynomial for a batch ``X`` of shape (nvars, K)."""

    idx: np.ndarray       # (T, deg) variable index per slot (nvars = the constant 1)
    coeff: np.ndarray     # (T,)
    scatter: list[np.ndarray]  # per slot, (nvars + 1, T) 0/1 matrices
    nvars: int
    #: X with a row of ones below (the constant slot), kept between calls: one copy of X per
    #: call instead of a new stacked array (the same values gathered, so the same arithmetic)
    _ext: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    #: ``idx`` transposed (one row per slot), the scatter matrices stacked and the coefficients as
    #: a column, made on first use (:meth:`_prepare`)
    _slots: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def _gather(self, X: np.ndarray) -> np.ndarray:
        if self._ext is None or self._ext.shape[1] != X.shape[1]:
            self._ext = np.ones((self.nvars + 1, X.shape[1]))
        self._ext[:-1] = X
        return self._ext[self.idx]  # (T, deg, K): a new array (fancy indexing copies)

    def value(self, X: np.ndarray) -> np.ndarray:
        return self.coeff @ np.prod(self._gather(X), axis=1)

    def value_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._ext is None or self._ext.shape[1] != X.shape[1]:
            self._ext = np.ones((self.nvars + 1, X.shape[1]))
        self._ext[:-1] = X
        idx_t, scatter, c = self._slots if self._slots is not None else self._prepare()
        G = self._ext[idx_t]        # (deg, T, K): slot s's values in G[s] (those of _gather's G[:, s])
        deg = G.shape[0]
        O = np.empty_like(G)        # O[s]: the product of the other slots
        if deg == 1:
            O[0] = 1.0
            val = self.coeff @ G[0]
        else:
            # prefix and suffix products (no division, so exact zeros are fine), not one product per slot
            pre: list = [None] * deg  # pre[s] = prod_{j < s}, suf[s] = prod_{j > s}
            suf: list = [None] * deg
            pre[1] = G[0]
            for s in range(2, deg):
                pre[s] = pre[s - 1] * G[s - 1]
            suf[deg - 2] = G[deg - 1]
            for s in range(deg - 3, -1, -1):
                suf[s] = suf[s + 1] * G[s + 1]
            val = self.coeff @ (G[0] * suf[0])
            O[0] = suf[0]
            for s in range(1, deg - 1):
                np.multiply(pre[s], suf[s], out=O[s])
            O[deg - 1] = pre[deg - 1]
        O *= c                       # times each term's coefficient
        parts = scatter @ O          # (deg, nvars + 1, K): slot s's contributions
        grad = parts[0] + 0.0        # (0 + x, as when summed onto zeros: -0.0 becomes 0.0)
        for s in range(1, deg):
            grad += parts[s]
        return val, grad[:-1]

    def _prepare(self) -> tuple:
        """``idx`` transposed (one row per slot), the scatter matrices stacked and the
        coefficients as a column, made once (kept in ``_slots``)."""
        self._slots = (np.ascontiguousarray(self.idx.T), np.stack(self.scatter), self.coeff[:, None])
        return self._slots


def compile_terms(terms: list[tuple[tuple[int, ...], object]], nv: int) -> CompiledPoly:
    """Compile ``[(exponents, coefficient)]`` for batched evaluation."""
    deg = max([1] + [sum(e) for e, _ in terms])
    idx = np.full((len(terms), deg), nv, dtype=int)
    coeff = np.empty(len(terms))
    for t, (exps, c) in enumerate(terms):
        slots = [i for i, e in enumerate(exps) for _ in range(e)]
        idx[t, :len(slots)] = slots
        coeff[t] = float(c)
    scatter = []
    for s in range(deg):
        S = np.zeros((nv + 1, len(terms)))
        S[idx[:, s], np.arange(len(terms))] = 1.0
        scatter.append(S)
    return CompiledPoly(idx, coeff, scatter, nv)


def ring_value(p: Poly, env: dict[str, object], flat: list[sp.Symbol]):
    """The engine polynomial ``p`` evaluated at ``env`` as a sparse polynomial over QQ in the
    symbols ``flat`` (``sympy.polys.rings``): the same value as
    :func:`symbolic.evaluation.evaluate_poly`, with fast polynomial arithmetic."""
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring

    from symbolic.evaluation import evaluate, evaluate_matrix
    from symbolic.forms import Tr

    R, *gens = ring([str(s) for s in flat], QQ)
    to_r = {s: g for s, g in zip(flat, gens)}

    def conv(e) -> object:
        e = sp.sympify(e)
        if e in to_r:   # a block entry (the most common value): its generator
            return to_r[e]
        if e.is_Rational:
            return R.ground_new(QQ.from_sympy(e))
        if e.free_symbols <= set(to_r):
            # a polynomial in the block entries: read into the ring as it is (the ring's
            # arithmetic expands it: the polynomial of R(expand(e))); anything else as below
            try:
                return R(e)
            except (sp.CoercionFailed, sp.PolynomialError, ValueError, TypeError):
                pass
        e = sp.expand(e)
        if e.free_symbols - set(to_r):
            raise ValueError(f"no value for {sorted(map(str, e.free_symbols - set(to_r)))}")
        if not e.free_symbols and not e.is_Rational:
            raise ValueError(f"expected an exact rational, got {e}")
        return R(e)

    def mat(m) -> list[list]:
        return [[conv(x) for x in row] for row in m.tolist()]

    def mul(A, B):
        return [[sum((A[i][k] * B[k][j] for k in range(len(B))), R.zero) for j in range(len(B[0]))]
                for i in range(len(A))]

    dim = int(env["Sigma"].shape[0])
    atoms: dict = {}
    words: dict = {(): [[R.one if i == j else R.zero for j in range(dim)] for i in range(dim)]}

    def word(w):
        # the product of a word's matrices, left to right; each prefix remembered (words share them)
        w = tuple(w)
        if w not in words:
            a = w[-1]
            if a not in atoms:
                atoms[a] = mat(evaluate_matrix(a.matrix, env))
            words[w] = atoms[a] if len(w) == 1 else mul(word(w[:-1]), atoms[a])
        return words[w]

    factors: dict = {}

    def factor(f):
        if f not in factors:
            if isinstance(f, Tr):
                W = word(f.word)
                factors[f] = sum((W[i][i] for i in range(dim)), R.zero)
            else:
                a = mat(evaluate_matrix(f.left.obj, env))
                b = mat(evaluate_matrix(f.right.obj, env))
                aT = [list(r) for r in zip(*a)]
                factors[f] = mul(mul(aT, word(f.word)), b)[0][0]
        return factors[f]

    coefficients: dict = {}   # a coefficient's value, once per distinct coefficient (terms share them)
    total = R.zero
    for (fs, noises), c in p.terms.items():
        if noises:
            raise ValueError("noise variables are still present")
        if c not in coefficients:
            coefficients[c] = conv(evaluate(c, env))
        term = coefficients[c]
        for f in fs:
            term = term * factor(f)
        total += term
    return total


def compile_objective(p: Poly, d: int, fixed: dict[str, object]) -> tuple[CompiledPoly, list[sp.Symbol], dict]:
    """The engine polynomial ``p`` (blocks symbolic) at concrete ``d`` and ``fixed`` values
    (``Sigma``, ``theta_0``, ``sigma``...), as a compiled polynomial in the block entries."""
    env, flat = block_symbols(d)
    env.update(fixed)
    value = ring_value(p, env, flat)
    return compile_terms(list(value.terms()), len(flat)), flat, env


def descend(obj: CompiledPoly, X0: np.ndarray, iterations: int, lr: float = 0.05,
            frozen: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent with a per-start step that grows by 1.2 on success and halves on
    failure (monotone).  ``frozen`` (bool mask over variables) are never moved.
    Returns the final points (nvars, K) and values (K,)."""
    X = np.array(X0, dtype=float)
    K = X.shape[1]
    steps = np.full(K, lr)
    F, G = obj.value_grad(X)
    if frozen is not None:
        G[frozen] = 0.0
    if K == 1:   # one start: the same iteration with the test and the choice as Python scalars
        return _descend_one(obj, X, F, G, steps, iterations, frozen)
    # (the accepted columns copied in place and the step scaled by 1.2 or 0.5: the same values as
    # choosing between the two arrays, with fewer array operations per iteration)
    for _ in range(iterations):
        Xt = X - steps * G
        Ft, Gt = obj.value_grad(Xt)
        if frozen is not None:
            Gt[frozen] = 0.0
        ok = Ft < F
        np.copyto(X, Xt, where=ok)
        np.copyto(F, Ft, where=ok)
        np.copyto(G, Gt, where=ok)
        steps *= np.where(ok, 1.2, 0.5)
    return X, F


def _descend_one(obj: CompiledPoly, X: np.ndarray, F: np.ndarray, G: np.ndarray, steps: np.ndarray,
                 iterations: int, frozen: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`descend`'s loop for one start (K = 1): the trial point is taken (the arrays rebound,
    nothing copied) when its value is below, and the step multiplied by 1.2 or 0.5: the same
    IEEE operations on the same numbers as the batched loop (``Ft[0] < F[0]`` is ``(Ft < F)[0]``,
    NaN included; ``steps * 1.2`` the product ``np.where`` would scale by), so the same points
    bit for bit, with fewer array operations per iteration."""
    for _ in range(iterations):
        Xt = X - steps * G
        Ft, Gt = obj.value_grad(Xt)
        if frozen is not None:
            Gt[frozen] = 0.0
        if Ft[0] < F[0]:
            X, F, G = Xt, Ft, Gt
            steps = steps * 1.2
        else:
            steps = steps * 0.5
    return X, F
