r"""A quadratic spec's loss as an explicit quadratic in the trained entries, at a concrete setting.

For a spec that trains V's last row or Q's blocks (``Q_xx`` included), the loss

    L = sum_k w_k E(V, Q, n_k; task_k)

is quadratic in the trained entries ``u`` (the prediction is linear in them).  At a concrete
setting (d, Sigma, theta_0, sigma^2, m, the spec's bound values) it is

    L(u) = u^T A u - 2 b^T u + c,           A symmetric positive semi-definite,

with ``u`` the trained blocks' entries in the order of :data:`symbolic.spec.BLOCKS` (scalars
as one entry, vectors as d entries, ``Q_xx`` as d^2 entries ``D_11, D_12, ..., D_dd``, row
by row).  Gradient ``2 (A u - b)``, Hessian ``2 A``.

*How it is built*: from the engine polynomial :func:`symbolic.general.loss_poly` (the Wick
derivation, symbolic d), not by sampling and not by evaluating L at many points.  Each monomial
of that polynomial is a coefficient (polynomial in the scalar unknowns) times factors
``a^T W b`` and ``tr(W)``; every factor is *homogeneous* in the unknowns: its degree is the
number of its legs that are unknown vectors plus the number of ``Q_xx`` atoms in its word.  So
each factor's value is a number, a gradient (degree 1), or a bilinear form (degree 2), read
off the word at the concrete matrices:

* ``a^T W u = (W^T a)^T u``;  ``u^T W w``: the block ``W`` between u and w;
* ``a^T W_1 D W_2 b = sum_ij (W_1^T a)_i D_ij (W_2 b)_j`` (``D^T``: i and j swapped);
* ``tr(P D R D) = sum P_ab D_bc R_ce D_ea`` (with ``D^T`` where the word has it), the
  d^2 x d^2 Kronecker-structured block of the Hessian, and likewise ``(a^T D b)(c^T D e)``
  as the outer product of two degree-1 factors.

Explicit matrices of the words' atoms (Sigma, the pretrained Gamma_hat, ...) come from
:func:`symbolic.evaluation.evaluate_matrix` (the toolkit's one evaluator of words), once per atom.
``arithmetic``: the exact arithmetic (:data:`symbolic.arithmetic.EXACT`, SymPy Rationals in numpy
object arrays) or float64 (:data:`symbolic.arithmetic.FLOAT64`), or their names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import sympy as sp

from .layout import SCALARS, VECTORS, block, size
from .evaluation import evaluate, evaluate_matrix
from .forms import Form, Tr
from .model import Blocks
from .spec import BLOCKS, SILENT_BLOCKS, Spec, Term, make_term
from .words import Atom

__all__ = ["ExplicitQuadratic", "explicit_quadratic", "block_sizes", "assemble"]


def block_sizes(train: Sequence[str], d: int) -> dict[str, int]:
    """The number of entries of each trained block that reaches the output, in BLOCKS order."""
    return {b: size(b, d) for b in BLOCKS if b in train}


@dataclass(frozen=True)
class ExplicitQuadratic:
    r"""``L(u) = u^T A u - 2 b^T u + c`` over the trained entries ``u`` (see the module docstring).

    ``names[i]`` names entry i (``v_x[2]``, ``Q_xx[1,2]``, 1-based); ``slices`` maps each
    trained block to its entries; ``start`` is u at the start of training (the pretrained
    parameters unless the spec gives a start); ``V0``, ``Q0`` the full (d+2) x (d+2) start
    matrices (V's first d+1 rows and Q's last column 0: they never reach the output).
    ``A``, ``b``, ``start`` are numpy arrays: dtype object holding SymPy numbers when
    ``arith`` is exact, float64 otherwise.
    """

    names: tuple[str, ...]
    A: np.ndarray
    b: np.ndarray
    c: Any
    start: np.ndarray
    d: int
    slices: dict = field(default_factory=dict)
    arith: Any = None
    V0: np.ndarray | None = None
    Q0: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.names)

    def value(self, u: Any) -> Any:
        """``L(u)``."""
        u = self._vec(u)
        return _dot(u, _matvec(self.A, u)) - 2 * _dot(self.b, u) + self.c

    def gradient(self, u: Any) -> np.ndarray:
        """``grad L(u) = 2 (A u - b)``."""
        u = self._vec(u)
        return 2 * (_matvec(self.A, u) - self.b)

    def hessian(self) -> np.ndarray:
        """``2 A``."""
        return 2 * self.A

    def matrices(self, u: Any) -> tuple[np.ndarray, np.ndarray]:
        """The full ``(V, Q)`` with the trained entries set to ``u`` and the others at the start."""
        u = self._vec(u)
        V, Q = self.V0.copy(), self.Q0.copy()
        d = self.d
        x = slice(1, d + 1)
        for blk, sl in self.slices.items():
            val = u[sl]
            if blk == "v0":
                V[d + 1, 0] = val[0]
            elif blk == "vx":
                V[d + 1, x] = val
            elif blk == "vy":
                V[d + 1, d + 1] = val[0]
            elif blk == "Q00":
                Q[0, 0] = val[0]
            elif blk == "q0x":
                Q[0, x] = val
            elif blk == "qx0":
                Q[x, 0] = val
            elif blk == "Qxx":
                Q[x, x] = val.reshape(d, d)
            elif blk == "Qy0":
                Q[d + 1, 0] = val[0]
            elif blk == "qyx":
                Q[d + 1, x] = val
        return V, Q

    def limit_point(self) -> np.ndarray:
        """The minimiser gradient descent from ``start`` converges to (any stable step):
        ``u_0 + A^+ (b - A u_0)``, the minimiser nearest the start (the start's component in
        the null space of A never moves)."""
        r = self.b - _matvec(self.A, self.start)
        if self.arith.exact:
            step = sp.Matrix(self.A.tolist()).pinv() * sp.Matrix(list(r))
            return self.start + np.array([sp.nsimplify(x) if x.is_Float else x for x in step], dtype=object)
        return self.start + np.linalg.pinv(self.A.astype(float), hermitian=True) @ r

    def _vec(self, u: Any) -> np.ndarray:
        dtype = object if self.arith.exact else float
        arr = np.asarray(u, dtype=dtype).reshape(-1)
        if arr.shape != (self.size,):
            raise ValueError(f"u: expected {self.size} entries ({', '.join(self.names[:4])}...), got {arr.size}")
        return arr


def _dot(a: np.ndarray, b: np.ndarray) -> Any:
    return sum((x * y for x, y in zip(a, b)), sp.S.Zero) if a.dtype == object else float(a @ b)


def _matvec(A: np.ndarray, u: np.ndarray) -> np.ndarray:
    return A.dot(u)


# ----------------------------------------------------------------------------- the environment

def _environment(d: int | None, Sigma: Any, theta0: Any, sigma2: Any, m: Any, values: dict,
                 arith: Any) -> tuple[dict, int]:
    """Sigma checked by the arithmetic's positive-definiteness rule, theta_0 by its vector check,
    sigma^2 >= 0: the environment of the words (in ``arith``) and d."""
    from .validation import check_nonnegative
    if Sigma is None:
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ValueError(f"d: expected an integer >= 1 (or a Sigma), got {d!r}")
        Sigma = arith.eye(d)
    S = arith.spd(Sigma, "Sigma", d)[0]
    dd = arith.shape(S)[0]
    t0 = arith.vector(theta0 if theta0 is not None else [1] + [0] * (dd - 1), "theta0", dd)
    s2 = check_nonnegative(sigma2, "sigma2")
    if not arith.exact:
        s2 = sp.Float(float(s2))
    env: dict[str, Any] = {"Sigma": S, "theta_0": t0, "sigma": sp.sqrt(s2), "d": dd}
    m = sp.sympify(m)
    if m != sp.oo:
        env["m"] = m
    for k, v in values.items():
        env[getattr(k, "name", str(k))] = v
    return env, dd


class _Matrices:
    """Explicit matrices of atoms, constant vectors and words at one environment (cached)."""

    def __init__(self, env: dict, d: int, arith: Any):
        self.env, self.d, self.arith = env, d, arith
        self.num = None
        if not arith.exact:
            from .evaluation import numeric_env
            self.num = numeric_env(env, arith)   # one cache: each derived matrix inverted once
        self.atoms: dict = {}
        self.vectors: dict = {}
        self.words: dict = {}

    def _conv(self, M: Any) -> np.ndarray:
        if self.arith.exact:
            return np.array(sp.Matrix(M).tolist(), dtype=object)
        if isinstance(M, np.ndarray):
            return M.astype(float)
        return np.array(sp.Matrix(M).evalf().tolist(), dtype=float)

    def atom(self, a: Atom) -> np.ndarray:
        if a not in self.atoms:
            if a.transposed and Atom(a.expr, a.symmetric, False) in self.atoms:
                self.atoms[a] = self.atoms[Atom(a.expr, a.symmetric, False)].T
            elif self.num is not None:
                self.atoms[a] = self._conv(evaluate_matrix(a.matrix, self.num, arithmetic=self.arith))
            else:
                self.atoms[a] = self._conv(evaluate_matrix(a.matrix, self.env))
        return self.atoms[a]

    def vector(self, sym: sp.Basic) -> np.ndarray:
        if sym not in self.vectors:
            name = getattr(sym, "name", None)
            if name not in self.env:
                raise ValueError(f"{name}: no value given for this vector (pass it in values)")
            self.vectors[sym] = self._conv(self.env[name]).reshape(-1)
        return self.vectors[sym]

    def word(self, w: tuple) -> np.ndarray:
        if w not in self.words:
            if not w:
                self.words[w] = np.eye(self.d, dtype=object if self.arith.exact else float)
                if self.arith.exact:
                    self.words[w] = np.vectorize(sp.Integer, otypes=[object])(np.eye(self.d, dtype=int))
            elif len(w) == 1:
                self.words[w] = self.atom(w[0])
            else:
                self.words[w] = self.word(w[:-1]).dot(self.atom(w[-1]))
        return self.words[w]

    def apply(self, w: tuple, v: np.ndarray) -> np.ndarray:
        """``W v`` by mat-vec products, right to left (no word matrix formed)."""
        for a in reversed(w):
            v = self.atom(a).dot(v)
        return v

    def apply_left(self, v: np.ndarray, w: tuple) -> np.ndarray:
        """``W^T v`` (the row vector ``v^T W`` as a column)."""
        for a in w:
            v = self.atom(a).T.dot(v)
        return v

    def scalar(self, c: sp.Basic) -> Any:
        if self.num is not None:
            return float(evaluate(c, self.num, arithmetic=self.arith))
        out = evaluate(c, self.env)
        return sp.nsimplify(out) if isinstance(out, sp.Float) else out


# ----------------------------------------------------------------------------- factors

class _Quad:
    """A homogeneous piece of a polynomial in u: degree 0 (a number), 1 (``{block: vector}``) or
    2 (``{(block, block): matrix}``, the value ``sum u_B^T M u_B'``)."""

    __slots__ = ("deg", "val")

    def __init__(self, deg: int, val: Any):
        self.deg, self.val = deg, val


def _outer(g: dict, h: dict) -> dict:
    return {(p, q): np.multiply.outer(x, y) for p, x in g.items() for q, y in h.items()}


def _factor(f: Form | Tr, mats: _Matrices, vec_unknowns: dict, qxx: sp.Basic | None) -> _Quad:
    """The value of one factor as a homogeneous polynomial in the unknowns."""
    if isinstance(f, Tr):
        w = f.word
        pos = [i for i, a in enumerate(w) if a.expr == qxx]
        if not pos:
            return _Quad(0, _trace(mats.word(w)))
        i = pos[0]
        w = w[i:] + w[:i]              # rotate: tr(X_1 W_1 X_2 W_2 ...), X_1 the first unknown
        pos = [k for k, a in enumerate(w) if a.expr == qxx]
        if len(pos) == 1:              # tr(X R) = sum_ij X_ij R_ji
            R = mats.word(w[1:])
            g = R.T if not w[0].transposed else R   # X = D: coefficient of D_ij is R_ji
            return _Quad(1, {"Qxx": g.reshape(-1)})
        if len(pos) == 2:              # tr(X P Y R) = sum X_ab P_bc Y_ce R_ea
            k = pos[1]
            P, R = mats.word(w[1:k]), mats.word(w[k + 1:])
            T = np.multiply.outer(P, R)            # T[b, c, e, a] = P_bc R_ea
            T = T.transpose(3, 0, 1, 2)            # T[a, b, c, e]: X_ab, Y_ce
            if w[0].transposed:
                T = T.transpose(1, 0, 2, 3)        # D_ba
            if w[k].transposed:
                T = T.transpose(0, 1, 3, 2)        # D_ec
            d = mats.d
            return _Quad(2, {("Qxx", "Qxx"): T.reshape(d * d, d * d)})
        raise _Degree(len(pos))
    # a Form l^T W r
    left, right, w = f.left.obj, f.right.obj, f.word
    lu = vec_unknowns.get(left)
    ru = vec_unknowns.get(right)
    pos = [k for k, a in enumerate(w) if a.expr == qxx]
    deg = (lu is not None) + (ru is not None) + len(pos)
    if deg > 2:
        raise _Degree(deg)
    if not pos:
        if lu is None and ru is None:
            return _Quad(0, _dot(mats.vector(left), mats.apply(w, mats.vector(right))))
        if lu is not None and ru is not None:
            return _Quad(2, {(lu, ru): mats.word(w)})
        if lu is not None:
            return _Quad(1, {lu: mats.apply(w, mats.vector(right))})
        return _Quad(1, {ru: mats.apply_left(mats.vector(left), w)})
    d = mats.d

    def dmat(X: Atom, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Coefficients of D in ``p^T X q`` (X = D or D^T), flattened row by row."""
        return (np.multiply.outer(p, q) if not X.transposed else np.multiply.outer(q, p)).reshape(-1)

    if len(pos) == 1:
        k = pos[0]
        W1, W2 = w[:k], w[k + 1:]
        if lu is None and ru is None:
            p = mats.apply_left(mats.vector(left), W1)
            q = mats.apply(W2, mats.vector(right))
            return _Quad(1, {"Qxx": dmat(w[k], p, q)})
        # u^T W1 X W2 b (or a^T W1 X W2 u): sum_i u_i (W1 X W2 b)_i
        if lu is not None:
            M1 = mats.word(W1)               # u^T M1 X q
            q = mats.apply(W2, mats.vector(right))
            T = np.multiply.outer(M1, q)     # T[i, a, c] = M1_ia q_c: coefficient of u_i X_ac
            block = lu
        else:
            M1 = mats.word(tuple(a.T for a in reversed(W2)))   # (W2)^T: b^T ... written as u^T W2^T X^T W1^T a
            q = mats.apply_left(mats.vector(left), W1)         # W1^T a
            T = np.multiply.outer(M1, q)     # coefficient of u_i (X^T)_ac, i.e. X_ca
            T = T.transpose(0, 2, 1)
            block = ru
        if w[k].transposed:
            T = T.transpose(0, 2, 1)
        return _Quad(2, {(block, "Qxx"): T.reshape(d, d * d)})
    k1, k2 = pos
    p = mats.apply_left(mats.vector(left), w[:k1])
    q = mats.apply(w[k2 + 1:], mats.vector(right))
    R = mats.word(w[k1 + 1:k2])
    A = np.multiply.outer(p, R)                      # A[a, b, c] = p_a R_bc : X_ab, Y_ce
    T = np.multiply.outer(A, q)                      # T[a, b, c, e]
    if w[k1].transposed:
        T = T.transpose(1, 0, 2, 3)
    if w[k2].transposed:
        T = T.transpose(0, 1, 3, 2)
    # T[a, b, c, e] is the coefficient of X_ab Y_ce: X = D_ab, Y = D_ce (after the swaps)
    T = T.transpose(0, 1, 2, 3)
    return _Quad(2, {("Qxx", "Qxx"): T.reshape(d * d, d * d)})


def _trace(M: np.ndarray) -> Any:
    return sum(M.diagonal(), sp.S.Zero) if M.dtype == object else float(np.trace(M))


class _Degree(Exception):
    def __init__(self, deg: int):
        self.deg = deg


# ----------------------------------------------------------------------------- assembly

def _terms_and_start(spec_or_terms: Any, train: Sequence[str] | None, start: Blocks | None, stage: str):
    if isinstance(spec_or_terms, Spec):
        spec = spec_or_terms
        if stage not in ("loss", "then"):
            raise ValueError(f"stage: expected 'loss' or 'then', got {stage!r}")
        terms = spec.loss if stage == "loss" else spec.then
        if not terms:
            raise ValueError("stage: the spec has no second loss ('then')")
        return terms, tuple(train or spec.train), (spec.start if start is None else start), dict(spec.bindings)
    if train is None:
        raise ValueError("train: expected the trained blocks when terms (not a spec) are given")
    if isinstance(spec_or_terms, (Term, dict)) or (isinstance(spec_or_terms, tuple) and len(spec_or_terms) == 3
                                                   and not isinstance(spec_or_terms[0], (tuple, list, dict, Term))):
        spec_or_terms = [spec_or_terms]
    terms = tuple(make_term(t, f"terms[{i}]") for i, t in enumerate(spec_or_terms))
    if not terms:
        raise ValueError("terms: expected at least one loss term")
    train = (train,) if isinstance(train, str) else tuple(train)
    for b in train:
        if b not in BLOCKS + SILENT_BLOCKS:
            raise ValueError(f"train: unknown block {b!r} (expected some of {', '.join(BLOCKS)})")
    return terms, train, start, {}


def explicit_quadratic(spec_or_terms: Any, train: Sequence[str] | None = None, *, d: int | None = None,
                       Sigma: Any = None, theta0: Any = None, sigma2: Any = 0, m: Any = sp.oo,
                       start: Blocks | None = None, values: dict | None = None,
                       arithmetic: Any = "exact", stage: str = "loss", cache: dict | None = None) -> ExplicitQuadratic:
    r"""The loss of a spec (or of loss terms with ``train``) as ``u^T A u - 2 b^T u + c``.

    ``spec_or_terms``: a :class:`symbolic.spec.Spec` (its first loss, or its second with
    ``stage="then"``) or loss terms (:class:`Term`, ``(weight, n, task)``); ``train`` overrides
    or gives the trained blocks.  Setting: ``Sigma`` (d x d SPD; identity of size ``d`` when
    None), ``theta0`` (e_1 when None), ``sigma2``, ``m`` (pretraining context length, oo by
    default), ``start`` (Blocks; the spec's or the pretrained parameters at m when None),
    ``values`` (numbers or matrices for other symbols: weights such as lambda, task vectors).
    ``arithmetic``: exact (SymPy numbers) or float64 (any d), an
    :class:`symbolic.arithmetic.Arithmetic` or its name.  ``cache``: a dict
    the caller keeps for several quadratics at the *same* setting (the validated setting and the
    atoms' matrices are then computed once).

    Raises :class:`symbolic.quadratic.NotQuadratic` when V and Q are both trained (the loss is
    quartic) and ValueError on bad input.
    """
    from .general import UNKNOWNS, _with_unknowns, loss_poly
    from .pretraining import derive_pretrain
    from .quadratic import NotQuadratic
    from .arithmetic import EXACT, FLOAT64, as_arithmetic
    arith = as_arithmetic(arithmetic)
    if arith not in (EXACT, FLOAT64):
        raise ValueError(f"arithmetic: expected exact or float64, got {arith.label()}")
    terms, train, start, bindings = _terms_and_start(spec_or_terms, train, start, stage)
    trained = [b for b in BLOCKS if b in train]
    if any(b in ("v0", "vx", "vy") for b in trained) and any(b not in ("v0", "vx", "vy") for b in trained):
        raise NotQuadratic(f"train: {', '.join(trained)} moves blocks of both V and Q; the loss is quartic")
    m = sp.sympify(m)
    key = ("setting", arith, tuple(sorted(bindings)))
    if cache is not None and key in cache:
        env, d, mats = cache[key]
    else:
        env, d = _environment(d, Sigma, theta0, sigma2, m, {**bindings, **(values or {})}, arith)
        mats = _Matrices(env, d, arith)
        if cache is not None:
            cache[key] = (env, d, mats)
    start_blocks = derive_pretrain(sp.oo if m == sp.oo else sp.Symbol("m", integer=True, nonnegative=True)).blocks \
        if start is None else start
    blocks = _with_unknowns(start_blocks, tuple(trained))
    L = loss_poly(blocks, terms)
    sizes = block_sizes(trained, d)
    slices, names, at = {}, [], 0
    for blk, k in sizes.items():
        slices[blk] = slice(at, at + k)
        at += k
        if k == 1:
            names.append(block(blk).symbol)
        elif blk == "Qxx":
            names += [f"Q_xx[{i + 1},{j + 1}]" for i in range(d) for j in range(d)]
        else:
            names += [f"{block(blk).symbol}[{i + 1}]" for i in range(d)]
    p = at
    scal = {UNKNOWNS[b]: b for b in trained if b in SCALARS}
    vec_unknowns = {UNKNOWNS[b]: b for b in trained if b in VECTORS}
    qxx = UNKNOWNS["Qxx"] if "Qxx" in trained else None
    exact = arith.exact
    zero = sp.S.Zero if exact else 0.0
    dtype = object if exact else float
    A, b, const = assemble(L, slices, scal, vec_unknowns, qxx, mats, p, exact)
    u0, V0, Q0 = _start(start_blocks, trained, slices, p, mats, dtype, zero)
    return ExplicitQuadratic(tuple(names), A, b, const, u0, d, slices, arith, V0, Q0)


def assemble(L: Any, slices: dict, scal: dict, vec_unknowns: dict, qxx: sp.Basic | None, mats: "_Matrices",
             p: int, exact: bool) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(A, b, c)`` of an engine polynomial ``L`` quadratic in its unknowns: ``scal`` maps each scalar
    unknown (a symbol in the coefficients) to its key in ``slices``, ``vec_unknowns`` each vector
    unknown (a constant leg) to its key, ``qxx`` the matrix unknown Q_xx (or None); ``slices`` maps
    each key to its entries among the ``p``. :class:`symbolic.quadratic.NotQuadratic` if ``L`` has a
    term of degree > 2 in the unknowns."""
    from .quadratic import NotQuadratic
    zero = sp.S.Zero if exact else 0.0
    dtype = object if exact else float
    A = np.full((p, p), zero, dtype=dtype)
    lin = np.full(p, zero, dtype=dtype)
    const = zero
    scalar_syms = list(scal)
    for (factors, noises), coeff in L.terms.items():
        if noises:
            raise ValueError("the loss still has noise variables")
        parts = _scalar_parts(coeff, scalar_syms) if scalar_syms else [((), coeff)]
        try:
            fvals = [_factor(f, mats, vec_unknowns, qxx) for f in factors]
        except _Degree as e:
            raise NotQuadratic(f"the loss has degree {e.deg} in the trained parameters") from None
        fdeg = sum(q.deg for q in fvals)
        for monom, c in parts:
            sdeg = sum(monom)
            if sdeg + fdeg > 2:
                raise NotQuadratic(f"the loss has degree {sdeg + fdeg} in the trained parameters")
            k = mats.scalar(c)
            if k == 0:
                continue
            pieces = [q for q in fvals if q.deg > 0]
            for s, e in zip(scalar_syms, monom):
                for _ in range(e):
                    pieces.append(_Quad(1, {scal[s]: np.array([sp.S.One if exact else 1.0], dtype=dtype)}))
            for q in fvals:
                if q.deg == 0:
                    k = k * q.val
            if not pieces:
                const = const + k
            elif len(pieces) == 1 and pieces[0].deg == 1:
                for blk, g in pieces[0].val.items():
                    lin[slices[blk]] = lin[slices[blk]] + k * g
            else:
                quad = pieces[0].val if len(pieces) == 1 else _outer(pieces[0].val, pieces[1].val)
                for (b1, b2), M in quad.items():
                    A[slices[b1], slices[b2]] = A[slices[b1], slices[b2]] + k * M
    A = (A + A.T) / 2 if not exact else (A + A.T) * sp.Rational(1, 2)
    b = -lin / 2 if not exact else lin * sp.Rational(-1, 2)
    return A, b, const


def _scalar_parts(coeff: sp.Expr, scalar_syms: list) -> list:
    """``[(monomial exponents, coefficient)]`` of a loss coefficient as a polynomial in the scalar
    unknowns, what ``sympy.Poly(sympy.expand(coeff), *scalar_syms).terms()`` lists up to the form of
    each coefficient (the same rational function of the other symbols, so the same number at the
    setting): read into QQ[gens] as ``N / D`` (:func:`symbolic.ratfun.numer_denom`, D free of the
    unknowns), N's terms grouped by their exponents of the unknowns, each group over D.  A
    coefficient outside that form goes to ``sympy.Poly``."""
    coeff = sp.sympify(coeff)
    key = (coeff, tuple(scalar_syms))
    hit = _SCALAR_PARTS.get(key)
    if hit is None:
        if len(_SCALAR_PARTS) >= 4096:
            _SCALAR_PARTS.clear()
        hit = _SCALAR_PARTS[key] = tuple(_scalar_parts_of(coeff, scalar_syms))
    return list(hit)


#: :func:`_scalar_parts` per (coefficient, unknowns): the same loss coefficient is read at every
#: setting and for every task of the same loss (in-process only)
_SCALAR_PARTS: dict = {}


def _scalar_parts_of(coeff: sp.Expr, scalar_syms: list) -> list:
    """:func:`_scalar_parts`, computed."""
    from . import ratfun
    gens: set = set()
    try:
        ratfun._generators(coeff, gens)
        gens |= set(scalar_syms)
        R = ratfun._ring(list(scalar_syms) + sorted(gens - set(scalar_syms), key=sp.default_sort_key))
        num, den = ratfun.numer_denom(coeff, R)
    except (ratfun.NotRational, ZeroDivisionError):
        return sp.Poly(sp.expand(coeff), *scalar_syms).terms()
    k = len(scalar_syms)
    if any(any(m[:k]) for b in den for m in b.itermonoms()):
        return sp.Poly(sp.expand(coeff), *scalar_syms).terms()
    groups: dict = {}
    for m, c in num.iterterms():
        groups.setdefault(m[:k], {})[(0,) * k + m[k:]] = c
    inv = sp.Mul(*[b.as_expr() ** -j for b, j in den.items()])
    return [(m, R.from_dict(g).as_expr() * inv) for m, g in groups.items()]


def _start(blocks: Blocks, trained: list, slices: dict, p: int, mats: _Matrices, dtype, zero):
    """u at the start and the full start matrices V0, Q0 (silent entries 0)."""
    d = mats.d

    def vec(terms) -> np.ndarray:
        out = np.full(d, zero, dtype=dtype)
        for c, w, a in terms:
            out = out + mats.scalar(c) * mats.apply(w, mats.vector(a))
        return out

    def mat(terms) -> np.ndarray:
        out = np.full((d, d), zero, dtype=dtype)
        for c, w in terms:
            out = out + mats.scalar(c) * mats.word(tuple(w))
        return out
    V0 = np.full((d + 2, d + 2), zero, dtype=dtype)
    Q0 = np.full((d + 2, d + 2), zero, dtype=dtype)
    x = slice(1, d + 1)
    V0[d + 1, 0] = mats.scalar(blocks.v0)
    V0[d + 1, x] = vec(blocks.vx)
    V0[d + 1, d + 1] = mats.scalar(blocks.vy)
    Q0[0, 0] = mats.scalar(blocks.Q00)
    Q0[0, x] = vec(blocks.q0x)
    Q0[x, 0] = vec(blocks.qx0)
    Q0[x, x] = mat(blocks.Qxx)
    Q0[d + 1, 0] = mats.scalar(blocks.Qy0)
    Q0[d + 1, x] = vec(blocks.qyx)
    where = {"v0": V0[d + 1, 0:1], "vx": V0[d + 1, x], "vy": V0[d + 1, d + 1:d + 2], "Q00": Q0[0, 0:1],
             "q0x": Q0[0, x], "qx0": Q0[x, 0], "Qxx": Q0[x, x].reshape(-1), "Qy0": Q0[d + 1, 0:1],
             "qyx": Q0[d + 1, x]}
    u0 = np.full(p, zero, dtype=dtype)
    for blk in trained:
        u0[slices[blk]] = where[blk]
    return u0, V0, Q0
