"""Evaluate derived expressions at explicit matrices and numbers, exactly.

An *environment* maps the symbols of a result to values: ``MatrixSymbol -> Matrix`` (for
``Sigma``, ``theta``, ``v_x``...), ``Symbol -> number`` (``sigma``, ``n``...).  The dimension
``d`` is read from the matrices.  With rational inputs the answer is an exact rational.
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from .forms import Form, Poly, Tr
from .printing import Bilinear
from .words import DIM, Word

__all__ = ["evaluate", "evaluate_matrix", "evaluate_poly", "Env"]

Env = Mapping[sp.Basic, object]


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


def evaluate_matrix(e: sp.Basic, env: Env) -> sp.ImmutableMatrix:
    """An explicit matrix for the matrix expression ``e``."""
    env = env if all(isinstance(k, str) for k in env) else _normalise(env)
    d = _dim(env)
    if isinstance(e, sp.MatrixSymbol):
        if e.name not in env:
            from .definitions import definition
            if definition(e) is not None:
                return evaluate_matrix(definition(e), env)
            raise ValueError(f"{e.name}: no value given for this matrix symbol")
        return sp.ImmutableMatrix(env[e.name])
    if isinstance(e, sp.Identity):
        return sp.ImmutableMatrix(sp.eye(d))
    if isinstance(e, sp.ZeroMatrix):
        return sp.ImmutableMatrix(sp.zeros(*[int(evaluate(s, env)) for s in e.shape]))
    if isinstance(e, sp.MatrixBase):
        return sp.ImmutableMatrix(e)
    if isinstance(e, sp.Inverse):
        return evaluate_matrix(e.arg, env).inv()
    if isinstance(e, sp.Transpose):
        return evaluate_matrix(e.arg, env).T
    if isinstance(e, sp.MatAdd):
        out = None
        for a in e.args:
            v = evaluate_matrix(a, env)
            out = v if out is None else out + v
        return sp.ImmutableMatrix(out)
    if isinstance(e, sp.MatMul):
        out = None
        scalar = sp.S.One
        for a in e.args:
            if getattr(a, "is_Matrix", False):
                v = evaluate_matrix(a, env)
                out = v if out is None else out * v
            else:
                scalar *= evaluate(a, env)
        return sp.ImmutableMatrix(out * scalar)
    if isinstance(e, sp.MatPow):
        return evaluate_matrix(e.base, env) ** int(e.exp)
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
            cache[akey] = evaluate_matrix(w[-1].matrix, env)
        out = cache[akey] if head is None else head * cache[akey]
    cache[key] = out
    return out


def _factor_value(f: Form | Tr, env: Env, cache: dict) -> sp.Expr:
    if f in cache:
        return cache[f]
    if isinstance(f, Tr):
        v = _word_matrix(f.word, env, cache).trace()
    else:
        a = evaluate_matrix(f.left.obj, env)
        b = evaluate_matrix(f.right.obj, env)
        v = (a.T * _word_matrix(f.word, env, cache) * b)[0, 0]
    cache[f] = v
    return v


def evaluate_poly(p: Poly, env: Env) -> sp.Expr:
    """The value of a closed polynomial (no Gaussian legs, no noise) in ``env``."""
    env = _normalise(env)
    cache: dict = {}
    total = sp.S.Zero
    for (factors, noises), c in p.terms.items():
        if noises:
            raise ValueError("noise variables are still present")
        term = evaluate(c, env)
        for f in factors:
            term *= _factor_value(f, env, cache)
        total += term
    return total


def evaluate(e: sp.Basic, env: Env) -> sp.Expr:
    """The value of a scalar SymPy expression with traces and bilinear forms in ``env``."""
    if isinstance(e, Poly):
        return evaluate_poly(e, env)
    e = sp.sympify(e)
    env = _normalise(env)
    if getattr(e, "is_Matrix", False):
        return evaluate_matrix(e, env)
    reps = {}
    for t in e.atoms(sp.Trace, Bilinear):
        if isinstance(t, sp.Trace):
            reps[t] = evaluate_matrix(t.arg, env).trace()
        else:
            reps[t] = (evaluate_matrix(t.left, env).T * evaluate_matrix(t.middle, env)
                       * evaluate_matrix(t.right, env))[0, 0]
    d = _dim(env)
    e = sp.sympify(e.xreplace(reps))
    subs = {}
    for s in e.free_symbols:
        if isinstance(s, sp.Symbol) and s.name in env and not isinstance(env[s.name], sp.MatrixBase):
            subs[s] = sp.sympify(env[s.name])
        elif s.name == "d" and d is not None:
            subs[s] = sp.Integer(d)
    return e.xreplace(subs)
