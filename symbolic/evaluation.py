"""Evaluate derived expressions at explicit matrices and numbers: exactly, in float64, or in mpmath.

An *environment* maps the symbols of a result to values: ``MatrixSymbol -> Matrix`` (for
``Sigma``, ``theta``, ``v_x``...), ``Symbol -> number`` (``sigma``, ``n``...).  The dimension
``d`` is read from the matrices.

``arithmetic`` (an :class:`symbolic.arithmetic.Arithmetic`, or its name) chooses how:

- ``"exact"`` (the default, the reference): SymPy matrices; with rational inputs the answer is
  an exact rational.  Cost grows fast with d (rational entries grow), so it is for small d.
- ``"float"``: numpy float64.  The words are evaluated as what they are -- traces
  ``tr(A_1 ... A_k)``, bilinear forms ``a^T A_1 ... A_k b``, inverses of sums such as
  ``(Sigma + c I)^{-1}``, products of Sigma, Gamma, theta_0 -- with dense d x d arrays: each
  derived matrix is inverted once, a bilinear form is applied to its vector from the right
  (O(d^2) per factor), a trace folds its last factor in elementwise, so a closed form costs
  O(d^3) time and O(d^2) memory and no d x d symbolic matrix is ever built.
- ``"mp"``: the same in an mpmath context with ``precision`` significant decimal digits (its own
  context, the global ``mpmath.mp`` untouched), for ill-conditioned Sigma.

``numeric_env(env, arithmetic, precision)`` converts an environment once and carries a cache,
so that several evaluations at one setting (a curve's polynomial, its limit, the scalar blocks
it refers to) share every inverse, product, trace and bilinear form.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import sympy as sp

from .arithmetic import Arithmetic, as_arithmetic
from .forms import Form, Poly, Tr
from .printing import Bilinear
from .words import Word

__all__ = ["evaluate", "evaluate_matrix", "evaluate_poly", "Env", "numeric_env"]

Env = Mapping[Any, object]


def _name(k: object) -> str:
    return k if isinstance(k, str) else getattr(k, "name", str(k))


def _normalise(env: Env) -> dict[str, object]:
    """Key the environment by name, so ``"Sigma"``, ``MatrixSymbol("Sigma", d, d)`` and a
    MatrixSymbol with another dimension symbol all find the same value."""
    return {_name(k): v for k, v in env.items()}


def _dim(env: Env) -> int | None:
    for k, v in env.items():
        if isinstance(v, sp.MatrixBase) and v.shape[1] > 1:
            return v.shape[0]
    for k, v in env.items():
        if isinstance(v, sp.MatrixBase):
            return v.shape[0]
    return env.get("d")  # type: ignore[return-value]


def evaluate_matrix(e: sp.Basic, env: Env, *, arithmetic: Arithmetic | str = "exact",
                    precision: int | None = None) -> Any:
    """An explicit matrix for the matrix expression ``e``: an exact SymPy matrix, a float64
    ``numpy.ndarray`` (``arithmetic="float"``) or an ``mpmath.matrix`` (``"mp"``)."""
    ne = _numeric(env, arithmetic, precision)
    if ne is not None:
        return ne.matrix(e)
    return _exact_matrix(e, env)


def _exact_matrix(e: sp.Basic, env: Env) -> sp.ImmutableMatrix:
    env = env if all(isinstance(k, str) for k in env) else _normalise(env)
    d = _dim(env)
    if isinstance(e, sp.MatrixSymbol):
        if e.name not in env:
            from .definitions import definition
            if definition(e) is not None:
                return _exact_matrix(definition(e), env)
            raise ValueError(f"{e.name}: no value given for this matrix symbol")
        return sp.ImmutableMatrix(env[e.name])
    if isinstance(e, sp.Identity):
        return sp.ImmutableMatrix(sp.eye(d))
    if isinstance(e, sp.ZeroMatrix):
        return sp.ImmutableMatrix(sp.zeros(*[int(evaluate(s, env)) for s in e.shape]))
    if isinstance(e, sp.MatrixBase):
        return sp.ImmutableMatrix(e)
    if isinstance(e, sp.Inverse):
        return _exact_matrix(e.arg, env).inv()
    if isinstance(e, sp.Transpose):
        return _exact_matrix(e.arg, env).T
    if isinstance(e, sp.MatAdd):
        out = None
        for a in e.args:
            v = _exact_matrix(a, env)
            out = v if out is None else out + v
        return sp.ImmutableMatrix(out)
    if isinstance(e, sp.MatMul):
        out = None
        scalar = sp.S.One
        for a in e.args:
            if getattr(a, "is_Matrix", False):
                v = _exact_matrix(a, env)
                out = v if out is None else out * v
            else:
                scalar *= evaluate(a, env)
        return sp.ImmutableMatrix(out * scalar)
    if isinstance(e, sp.MatPow):
        return _exact_matrix(e.base, env) ** int(e.exp)
    raise TypeError(f"cannot evaluate matrix expression {e!r}")


def _word_matrix(w: Word, env: Env, cache: dict | None = None) -> sp.ImmutableMatrix:
    """The explicit matrix of a word; ``cache`` keeps each atom's matrix (an inverse of a derived
    matrix is computed once per environment, not once per factor) and each word's prefixes."""
    if cache is None:
        cache = {}
    key = ("word", w)
    if key in cache:
        return cache[key]
    if not w:
        out = sp.ImmutableMatrix(sp.eye(_dim(env)))
    else:
        head = _word_matrix(w[:-1], env, cache) if len(w) > 1 else None
        akey = ("atom", w[-1])
        if akey not in cache:
            cache[akey] = _exact_matrix(w[-1].matrix, env)
        out = cache[akey] if head is None else head * cache[akey]
    cache[key] = out
    return out


def _factor_value(f: Form | Tr, env: Env, cache: dict) -> sp.Expr:
    if f in cache:
        return cache[f]
    if isinstance(f, Tr):
        v = _word_matrix(f.word, env, cache).trace()
    else:
        a = _exact_matrix(f.left.obj, env)
        b = _exact_matrix(f.right.obj, env)
        v = (a.T * _word_matrix(f.word, env, cache) * b)[0, 0]
    cache[f] = v
    return v


def evaluate_poly(p: Poly, env: Env, *, arithmetic: Arithmetic | str = "exact",
                  precision: int | None = None, cache: dict | None = None) -> Any:
    """The value of a closed polynomial (no Gaussian legs, no noise) in ``env``: exact
    (a SymPy number or expression), a float, or an mpmath number (``arithmetic``).  ``cache``
    (exact only): a dict the caller keeps for several polynomials in the *same* ``env``, so that
    each atom's and word's matrix and each trace and bilinear form is computed once for all."""
    ne = _numeric(env, arithmetic, precision)
    if ne is not None:
        return ne.poly(p)
    env = _normalise(env)
    cache = {} if cache is None else cache
    total = sp.S.Zero
    for (factors, noises), c in p.terms.items():
        if noises:
            raise ValueError("noise variables are still present")
        term = evaluate(c, env)
        for f in factors:
            term *= _factor_value(f, env, cache)
        total += term
    return total


def evaluate(e: sp.Basic, env: Env, *, arithmetic: Arithmetic | str = "exact",
             precision: int | None = None) -> Any:
    """The value of a scalar SymPy expression with traces and bilinear forms in ``env`` (or of a
    matrix expression, or an engine :class:`Poly`), in the chosen ``arithmetic``."""
    ne = _numeric(env, arithmetic, precision)
    if ne is not None:
        if isinstance(e, Poly):
            return ne.poly(e)
        e = sp.sympify(e)
        return ne.matrix(e) if getattr(e, "is_Matrix", False) else ne.scalar(e)
    if isinstance(e, Poly):
        return evaluate_poly(e, env)
    e = sp.sympify(e)
    env = _normalise(env)
    if getattr(e, "is_Matrix", False):
        return _exact_matrix(e, env)
    reps = {}
    for t in e.atoms(sp.Trace, Bilinear):
        if isinstance(t, sp.Trace):
            reps[t] = _exact_matrix(t.arg, env).trace()
        else:
            reps[t] = (_exact_matrix(t.left, env).T * _exact_matrix(t.middle, env)
                       * _exact_matrix(t.right, env))[0, 0]
    d = _dim(env)
    e = sp.sympify(e.xreplace(reps))
    subs = {}
    for s in e.free_symbols:
        if isinstance(s, sp.Symbol) and s.name in env and not isinstance(env[s.name], sp.MatrixBase):
            subs[s] = sp.sympify(env[s.name])
        elif s.name == "d" and d is not None:
            subs[s] = sp.Integer(d)
    return e.xreplace(subs)

# ----------------------------------------------------------------------------- float and mpmath

class _NumEnv:
    """An environment in a float or mp :class:`~symbolic.arithmetic.Arithmetic`: values by name, converted once, and a
    cache of atoms, words and scalars (each derived matrix inverted once)."""

    def __init__(self, env: Env, num: Arithmetic) -> None:
        self.num = num
        self.values: dict[str, Any] = {}
        self.d: int | None = None
        for k, v in _normalise(env).items():
            if isinstance(v, (sp.MatrixBase, np.ndarray, list, tuple)) or type(v).__module__.startswith("mpmath") \
                    and hasattr(v, "rows"):
                m = num.matrix(v)
                self.values[k] = m
            else:
                self.values[k] = v
        for k, v in self.values.items():
            if num.is_matrix(v):
                r, c = num.shape(v)
                if c > 1 or self.d is None:
                    self.d = r
                if c > 1:
                    break
        if self.d is None and "d" in self.values:
            self.d = int(self.values["d"])
        self.cache: dict = {}
        self.scache: dict = {}

    def bind(self, **values: Any) -> "_NumEnv":
        """A copy with some scalar symbols (e.g. ``n``) bound to new values; it shares the
        cache of matrices, words, traces and bilinear forms, which do not depend on them."""
        out = object.__new__(_NumEnv)
        out.num, out.d, out.cache, out.scache = self.num, self.d, self.cache, {}
        out.values = {**self.values, **values}
        return out

    # scalars ---------------------------------------------------------------
    def scalar(self, e: Any) -> Any:
        """A scalar SymPy expression (with traces and bilinear forms) in this arithmetic; a
        symbol bound to a numpy array of values (``n``) evaluates elementwise."""
        num = self.num
        if not isinstance(e, sp.Basic):
            e = sp.sympify(e)
        if e.is_Number:
            return num.number(e)
        shared = isinstance(e, (sp.Trace, Bilinear))
        cache = self.cache if shared else self.scache
        key = ("s", e)
        if key in cache:
            return cache[key]
        if isinstance(e, sp.Symbol):
            if e.name in self.values and not num.is_matrix(self.values[e.name]):
                v = self.values[e.name]
                out = v if isinstance(v, np.ndarray) or type(v).__module__.startswith("mpmath") \
                    else num.number(v) if not isinstance(v, sp.Basic) or v.is_Rational else self.scalar(v)
            elif e.name == "d" and self.d is not None:
                out = num.number(self.d)
            else:
                raise ValueError(f"{e.name}: no value given for this symbol")
        elif isinstance(e, sp.Add):
            terms = [self.scalar(a) for a in e.args]
            out = terms[0]
            for t in terms[1:]:
                out = out + t
        elif isinstance(e, sp.Mul):
            out = None
            for a in e.args:
                v = self.scalar(a)
                out = v if out is None else out * v
        elif isinstance(e, sp.Pow):
            out = num.power(self.scalar(e.base), e.exp)
        elif isinstance(e, sp.Trace):
            out = self.trace(e.arg)
        elif isinstance(e, Bilinear):
            a = self.matrix(e.left)
            b = self.vector_through(e.middle, e.right)
            out = num.entry(num.matmul(num.transpose(a), b))
        elif e.is_number:
            out = num.number(sp.N(e, (num.precision or 15) + 10))
        else:
            raise TypeError(f"cannot evaluate {type(e).__name__} in arithmetic {num.label()}: {e}")
        if not isinstance(out, np.ndarray):
            cache[key] = out
        return out

    def trace(self, arg: sp.Basic) -> Any:
        """tr(arg): a product's last factor folded in elementwise (one d x d product fewer)."""
        num = self.num
        if isinstance(arg, sp.MatMul):
            coeff, mats = arg.as_coeff_matrices()
            if len(mats) >= 2:
                head = self.matrix(sp.MatMul(*mats[:-1]) if len(mats) > 2 else mats[0])
                return self.scalar(coeff) * num.trace_product(head, self.matrix(mats[-1]))
        if isinstance(arg, sp.MatAdd):
            out = None
            for a in arg.args:
                v = self.trace(a)
                out = v if out is None else out + v
            return out
        if isinstance(arg, sp.Identity):
            return num.number(self.d)
        return num.trace(self.matrix(arg))

    # matrices ---------------------------------------------------------------
    def matrix(self, e: sp.Basic) -> Any:
        """The explicit matrix of a matrix expression, cached."""
        num = self.num
        key = ("m", e)
        if key in self.cache:
            return self.cache[key]
        if isinstance(e, sp.MatrixSymbol):
            if e.name in self.values:
                out = self.values[e.name]
            else:
                from .definitions import definition
                if definition(e) is None:
                    raise ValueError(f"{e.name}: no value given for this matrix symbol")
                out = self.matrix(definition(e))
        elif isinstance(e, sp.Identity):
            out = num.eye(self.d)
        elif isinstance(e, sp.ZeroMatrix):
            out = num.zeros(int(self.scalar(e.shape[0])), int(self.scalar(e.shape[1])))
        elif isinstance(e, sp.MatrixBase):
            out = num.matrix(e)
        elif isinstance(e, sp.Inverse):
            out = num.inv(self.matrix(e.arg))
        elif isinstance(e, sp.Transpose):
            out = num.transpose(self.matrix(e.arg))
        elif isinstance(e, sp.MatAdd):
            out = None
            for a in e.args:
                v = self._scaled_identity(a)
                if v is None:
                    v = self.matrix(a)
                out = v if out is None else out + v
        elif isinstance(e, sp.MatMul):
            coeff, mats = e.as_coeff_matrices()
            out = None
            for a in mats:
                v = self.matrix(a)
                out = v if out is None else num.matmul(out, v)
            c = self.scalar(coeff)
            if not (isinstance(coeff, sp.Number) and coeff == 1):
                out = out * c
        elif isinstance(e, sp.MatPow):
            base, k = self.matrix(e.base), int(e.exp)
            if k < 0:
                base, k = num.inv(base), -k
            out = num.eye(self.d)
            for _ in range(k):
                out = num.matmul(out, base)
        else:
            raise TypeError(f"cannot evaluate matrix expression {e!r}")
        self.cache[key] = out
        return out

    def _scaled_identity(self, e: sp.Basic) -> Any:
        """``c * I`` as a matrix without multiplying a d x d identity by c (None otherwise)."""
        if isinstance(e, sp.MatMul):
            coeff, mats = e.as_coeff_matrices()
            if len(mats) == 1 and isinstance(mats[0], sp.Identity):
                return self.num.eye(self.d) * self.scalar(coeff)
        return None

    def vector_through(self, middle: sp.Basic, right: sp.Basic) -> Any:
        """``middle @ right`` for a d x 1 ``right``: a product applied factor by factor to the
        vector (O(d^2) each), an inverse as a solve where it is not cached already."""
        num = self.num
        key = ("v", middle, right)
        if key in self.cache:
            return self.cache[key]
        if isinstance(middle, sp.Identity):
            out = self.matrix(right)
        elif isinstance(middle, sp.MatMul):
            coeff, mats = middle.as_coeff_matrices()
            v = self.matrix(right)
            for a in reversed(mats):
                v = num.matmul(self.matrix(a), v)
            out = v if coeff == 1 else v * self.scalar(coeff)
        else:
            out = num.matmul(self.matrix(middle), self.matrix(right))
        self.cache[key] = out
        return out

    # engine factors -----------------------------------------------------------
    def word_vector(self, w: Word, right: sp.Basic) -> Any:
        """``W r`` for a word W and a constant vector r, atom by atom from the right."""
        key = ("wv", w, right)
        if key in self.cache:
            return self.cache[key]
        if not w:
            out = self.matrix(right)
        else:
            out = self.num.matmul(self.matrix(w[0].matrix), self.word_vector(w[1:], right))
        self.cache[key] = out
        return out

    def word_matrix(self, w: Word) -> Any:
        key = ("wm", w)
        if key in self.cache:
            return self.cache[key]
        if len(w) == 1:
            out = self.matrix(w[0].matrix)
        else:
            out = self.num.matmul(self.word_matrix(w[:-1]), self.matrix(w[-1].matrix))
        self.cache[key] = out
        return out

    def factor(self, f: Form | Tr) -> Any:
        key = ("f", f)
        if key in self.cache:
            return self.cache[key]
        num = self.num
        if isinstance(f, Tr):
            w = f.word
            if len(w) == 1:
                out = num.trace(self.matrix(w[0].matrix))
            else:
                out = num.trace_product(self.word_matrix(w[:-1]), self.matrix(w[-1].matrix))
        else:
            a = self.matrix(f.left.obj)
            out = num.entry(num.matmul(num.transpose(a), self.word_vector(f.word, f.right.obj)))
        self.cache[key] = out
        return out

    def poly_at(self, p: Poly, name: str, values: Any) -> list:
        """The closed polynomial ``p`` at each value of the scalar symbol ``name`` (e.g. ``n``):
        at all of them at once where the arithmetic broadcasts (float64), one by one otherwise."""
        values = list(values)
        batch = self.num.batch(values)
        if batch is not None:
            return self.num.unbatch(self.bind(**{name: batch}).poly(p), len(values))
        return [self.bind(**{name: self.num.number(v)}).poly(p) for v in values]

    def poly(self, p: Poly) -> Any:
        total = None
        for (factors, noises), c in p.terms.items():
            if noises:
                raise ValueError("noise variables are still present")
            term = self.scalar(c)
            for f in factors:
                term = term * self.factor(f)
            total = term if total is None else total + term
        return self.num.number(0) if total is None else total


def numeric_env(env: Env, arithmetic: Arithmetic | str, precision: int | None = None) -> _NumEnv:
    """``env`` converted once to float or mpmath values, with a cache shared by every
    :func:`evaluate` call given it (``env=numeric_env(...)``): each derived matrix, product
    and trace is computed once. ``arithmetic``: an :class:`~symbolic.arithmetic.Arithmetic`
    (or its name and ``precision``), not the exact one."""
    num = as_arithmetic(arithmetic, precision)
    if num.exact:
        raise ValueError("arithmetic: numeric_env evaluates in float64 or mp; exact values are SymPy's (evaluate)")
    return _NumEnv(env, num)


def _numeric(env: Any, arithmetic: Arithmetic | str, precision: int | None) -> _NumEnv | None:
    """The numeric environment to evaluate in, or None for exact evaluation."""
    if isinstance(env, _NumEnv):
        asked = as_arithmetic(arithmetic, precision)
        if asked != env.num and not (asked.exact and precision is None):
            raise ValueError(f"env: built for arithmetic {env.num.label()}, asked for {asked.label()}")
        return env
    num = as_arithmetic(arithmetic, precision)
    return None if num.exact else _NumEnv(env, num)
