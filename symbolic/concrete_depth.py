r"""Concrete-dimension exact engine at depth: E_L(layers, n; theta) at explicit d, by Isserlis on monomials.

The depth analogue of :mod:`symbolic.concrete` (the toolkit's second source of truth), written
to be obviously correct, not fast, and sharing no code with the symbolic-dimension derivation
(:mod:`symbolic.depth`): it builds the prompt as a matrix of polynomials in the Gaussian
variables and runs the model literally,

    Z_0 = [z_1 ... z_n q],   Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1} / ncol(Z),   f = [Z_L]_{-1,-1},

for any (d+2) x (d+2) matrices V_l, Q_l (not only the class), expands (f - y_{n+1})^2 exactly as a
sparse polynomial (``sympy.polys.rings``) and takes the expectation monomial by monomial with
the Gaussian moments of :mod:`symbolic.concrete` (Isserlis/Stein recursion).

Cost: the prediction has degree 3^L in the prompt for general layers (9 at L = 2) and 2L + 1 in
the class, in (n+1)(d+1) variables, so this is for tiny settings: see
``bench/bench_depth_concrete.py`` for measured times (the L = 2 arbitrary-parameter case at
d = 2, n = 5 is out of its reach, which is why :mod:`numeric.depth` gives Monte Carlo there).

Public API: :func:`concrete_depth_error`, :func:`concrete_depth_limit` (n -> oo, by the law of large numbers),
and :func:`class_start`: the pretrained class model's layers as the matrices these take.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.fields import sfield
from sympy.polys.rings import ring

from .concrete import MAX_D, _exact_scalar, _matrix, _moment, _n, _rows, _sigma, _sigma2, _vector
from .ratfun import cancel_polys

__all__ = ["concrete_depth_error", "concrete_depth_error_element", "same_value", "concrete_depth_limit", "class_start",
           "MAX_CONCRETE_LAYERS"]

#: deepest model this engine accepts
MAX_CONCRETE_LAYERS = 3


def _layers(layers: Any, d: int) -> list[tuple[sp.Matrix, sp.Matrix]]:
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, (list, tuple)):
        raise ValueError(f"layers: expected a non-empty list of (V, Q) pairs, got {type(layers).__name__}")
    if not layers:
        raise ValueError("layers: expected a non-empty list of (V, Q) pairs, got an empty list")
    if len(layers) > MAX_CONCRETE_LAYERS:
        raise ValueError(f"layers: expected at most {MAX_CONCRETE_LAYERS} layers (deeper than supported), "
                         f"got {len(layers)}")
    out = []
    what = f"(d+2)x(d+2) with d = {d} from Sigma"
    for i, lay in enumerate(layers):
        if isinstance(lay, dict):
            if "V" not in lay or "Q" not in lay:
                raise ValueError(f"layers[{i}]: expected a mapping with keys V and Q")
            lay = (lay["V"], lay["Q"])
        if not isinstance(lay, (list, tuple)) or len(lay) != 2:
            raise ValueError(f"layers[{i}]: expected a pair (V, Q), got {type(lay).__name__}")
        out.append((_matrix(lay[0], f"layers[{i}].V", d + 2, what), _matrix(lay[1], f"layers[{i}].Q", d + 2, what)))
    return out


def _covariance(Sigma: Any) -> sp.Matrix:
    """Sigma: rational and positive definite (:func:`symbolic.concrete._sigma`), or, when an entry holds a
    symbol, a symmetric d x d matrix of exact expressions taken as given (positive definiteness is then the
    caller's assumption: a statement derived for every Sigma)."""
    rows = _rows(Sigma, "Sigma")
    entries = [[_exact_scalar(v, "Sigma") for v in r] for r in rows]
    if not any(e.free_symbols for r in entries for e in r):
        return _sigma(Sigma)
    d = len(entries)
    if not 1 <= d <= MAX_D or any(len(r) != d for r in entries):
        raise ValueError(f"Sigma: expected a square dxd matrix with d in 1..{MAX_D}")
    S = sp.Matrix(entries)
    if S != S.T:
        raise ValueError("Sigma: expected a symmetric matrix, got a matrix that is not symmetric")
    return S


def class_start(gammas: Sequence[Any], Sigma: Any, rows: Mapping[int, Sequence[Any]] | None = None
                ) -> list[tuple[sp.Matrix, sp.Matrix]]:
    r"""The pretrained depth-L class model as (V_l, Q_l) matrices at a concrete Sigma (d x d, exact,
    symmetric positive definite), l = 1..L = ``len(gammas)``:

        V_l = e_y e_y^T,        Q_l = blockdiag(0, gamma_l Sigma^{-1}, 0),

    Sigma^{-1} exact (SymPy's inverse). ``rows``: layer l (from 1) -> V_l's last row (v_0, v_x^T,
    v_y), d + 2 entries, in place of e_y^T (a fine-tuned layer). Entries exact: integers, Fractions,
    SymPy numbers or expressions with symbols (never floats); Sigma may hold symbols (then symmetric,
    assumed positive definite). The numeric twin, in float64, is :func:`numeric.depth.class_start`."""
    S = _covariance(Sigma)
    d = S.shape[0]
    if isinstance(gammas, (str, bytes)) or not isinstance(gammas, Sequence) or not gammas:
        raise ValueError(f"gammas: expected a non-empty sequence of numbers (gamma_1..gamma_L), got {gammas!r}")
    gs = [_exact_scalar(g, f"gammas[{i}]") for i, g in enumerate(gammas)]
    rows = dict(rows or {})
    for l, row in rows.items():
        if isinstance(l, bool) or not isinstance(l, int) or not 1 <= l <= len(gs):
            raise ValueError(f"rows: expected layers 1..{len(gs)} as keys, got {l!r}")
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != d + 2:
            raise ValueError(f"rows[{l}]: expected V_{l}'s last row, {d + 2} entries (v_0, v_x, v_y), got {row!r}")
    Sinv = S.inv()
    out = []
    for l, g in enumerate(gs, start=1):
        V, Q = sp.zeros(d + 2), sp.zeros(d + 2)
        V[d + 1, d + 1] = 1
        if l in rows:
            V[d + 1, :] = sp.Matrix([[_exact_scalar(x, f"rows[{l}]") for x in rows[l]]])
        Q[1:d + 1, 1:d + 1] = g * Sinv
        out.append((V, Q))
    return out


def _transpose(A: list[list]) -> list[list]:
    return [list(r) for r in zip(*A)]


def _matmul(A: list[list], B: list[list], zero) -> list[list]:
    return [[sum((A[i][k] * B[k][j] for k in range(len(B)) if A[i][k] and B[k][j]), zero)
             for j in range(len(B[0]))] for i in range(len(A))]


def _fmatmul(A: list[list], B: list[list], K) -> list[list]:
    """A B over the field of fractions K (``sympy.polys.fields``), each entry's sum of products put over one
    denominator with no gcd (a product of numerators over the product of denominators; terms over the same
    denominator add their numerators) and reduced once by K, where K's own arithmetic reduces after every
    product and sum: the same element (K's normal form is unique), one gcd per entry instead of two per term."""
    R = K.ring
    out = []
    for i in range(len(A)):
        row = []
        for j in range(len(B[0])):
            num, den = R.zero, R.one
            for k in range(len(B)):
                a, b = A[i][k], B[k][j]
                if a and b:
                    n, q = a.numer * b.numer, a.denom * b.denom
                    if q == den:
                        num += n
                    else:
                        num, den = num * q + n * den, den * q
            row.append(K.raw_new(*cancel_polys(num, den)))   # K.new's cancel, its gcd in FLINT
        out.append(row)
    return out


def concrete_depth_error(layers: Sequence[Any], *, n: int, theta: Any, Sigma: Any, sigma2: Any) -> sp.Expr:
    r"""Exact E_L(layers, n; theta) = E[(f_L([Z_[n] z_{n+1}]) - y_{n+1})^2] at explicit d (1..4).

    ``layers``: a non-empty list of (V_l, Q_l) pairs (or {"V", "Q"} mappings) of exact entries
    (ints, Fractions, SymPy Rationals or symbols), each (d+2) x (d+2); ``Sigma``: d x d SPD of
    rationals, or symmetric with symbols (then assumed positive definite; fixes d); ``theta``: length d; ``sigma2`` >= 0; ``n`` an int >= 0.
    Returns a SymPy Rational (or a polynomial in the symbols used).
    """
    K, total = concrete_depth_error_element(layers, n=n, theta=theta, Sigma=Sigma, sigma2=sigma2)
    out = K.to_sympy(total)
    # a polynomial ring over the rationals writes its elements expanded already; a field of fractions does not
    return out if (K.is_ZZ or K.is_QQ or (K.is_PolynomialRing and (K.domain.is_ZZ or K.domain.is_QQ))) \
        else sp.expand(out)


def concrete_depth_error_element(layers: Sequence[Any], *, n: int, theta: Any, Sigma: Any, sigma2: Any) -> tuple:
    """:func:`concrete_depth_error` as ``(K, value)``: the value an element of the domain K that SymPy constructs
    for the entries (the rationals, or a polynomial ring or field over them in the symbols used), before any
    conversion to an expression. Two such values are equal exactly when they are equal in the unified domain
    (:func:`same_value`)."""
    S = _covariance(Sigma)
    d = S.shape[0]
    lays = _layers(layers, d)
    nn = _n(n)
    s2 = _sigma2(sigma2)
    th = _vector(theta, "theta", d)
    ncol = nn + 1
    names = [f"x{i}_{k}" for i in range(ncol) for k in range(d)] + [f"e{i}" for i in range(ncol)]
    consts = [c for V, Q in lays for M in (V, Q) for c in M] + list(S) + th + [s2, sp.Rational(1, ncol)]
    # the domain of the distinct entries (a repeated entry adds nothing to it; most entries are 0)
    K = construct_domain(list(dict.fromkeys([*consts, sp.Rational(1, 2)])))[0]
    R, *gens = ring(names, K)
    x = [[gens[i * d + k] for k in range(d)] for i in range(ncol)]
    eps = gens[ncol * d:]
    Kth = [K.convert(t) for t in th]

    def y(i: int):                                  # y_i = theta^T x_i + eps_i
        return sum((Kth[k] * x[i][k] for k in range(d)), R.zero) + eps[i]

    cols = [[R.one, *x[i], y(i)] for i in range(nn)] + [[R.one, *x[nn], R.zero]]
    Z = [[cols[j][r] for j in range(ncol)] for r in range(d + 2)]          # (d+2) x ncol
    inv = K.convert(sp.Rational(1, ncol))
    for V, Q in lays:                               # Z <- Z + V Z Z^T Q Z / ncol, literally
        Vr = [[R(K.convert(V[i, j])) for j in range(d + 2)] for i in range(d + 2)]
        Qr = [[R(K.convert(Q[i, j])) for j in range(d + 2)] for i in range(d + 2)]
        ZT = [list(r) for r in zip(*Z)]
        upd = _matmul(_matmul(_matmul(_matmul(Vr, Z, R.zero), ZT, R.zero), Qr, R.zero), Z, R.zero)
        Z = [[Z[i][j] + upd[i][j] * inv for j in range(ncol)] for i in range(d + 2)]
    err = (Z[-1][-1] - y(nn)) ** 2
    # E term by term: each token's x block ~ N(0, Sigma), each eps ~ N(0, sigma2), independent
    cov_x = tuple(tuple(r) for r in S.tolist())
    cov_e = ((s2,),)
    moments: dict = {}
    total = K.zero
    for monom, coeff in err.items():
        value = K.one
        for i in range(ncol):
            key = ("x", monom[i * d:(i + 1) * d])
            if key not in moments:
                moments[key] = K.convert(_moment(cov_x, key[1]))
            value *= moments[key]
            if not value:
                break
            p = monom[ncol * d + i]
            if p:
                ke = ("e", p)
                if ke not in moments:
                    moments[ke] = K.convert(_moment(cov_e, (p,)))
                value *= moments[ke]
                if not value:
                    break
        total += coeff * value
    return K, total


def same_value(a: tuple, b: tuple) -> bool:
    """Whether two ``(K, value)`` of :func:`concrete_depth_error_element` are the same exact value: both converted
    into the unified domain of their K's (SymPy's: the union of the symbols over the larger ground domain) and
    compared there."""
    (Ka, x), (Kb, y) = a, b
    K = Ka.unify(Kb)
    return K.convert_from(x, Ka) == K.convert_from(y, Kb)


def _raw_fractions(exprs: list) -> dict:
    """``{expr: N / D}`` in the field ``sympy.polys.fields.sfield(exprs)`` gives (the same generators and domain:
    those of the numerators and denominators, which ``sfield`` reads), each element N / D without the gcd that
    ``sfield`` cancels it by: every use in :func:`concrete_depth_limit` goes through the field's arithmetic
    (:func:`_fmatmul`'s ``K.new``, a sum, a difference), which cancels, so the result is the same element."""
    nd = [x for e in exprs for x in sp.sympify(e).as_numer_denom()]
    K, polys = sfield(nd)       # polynomials over one denominator 1: no gcd to take
    return {e: K.raw_new(polys[2 * i].numer, polys[2 * i + 1].numer) for i, e in enumerate(exprs)}


def concrete_depth_limit(layers: Sequence[Any], *, theta: Any, Sigma: Any, sigma2: Any) -> sp.Expr:
    r"""Exact lim_{n -> oo} E_L(layers, n; theta) at explicit d, by the law of large numbers (no moments).

    As n -> oo the Gram matrix of the prompt, Z Z^T / ncol(Z), tends to its mean over context tokens,
    so every column moves by the same matrix: z^{(l)} = A_l z^{(l-1)}, A_l = I + V_l M_{l-1} Q_l, with
    M_0 = E[z z^T] for a context token z = (1, x, y) and M_l = A_l M_{l-1} A_l^T (the query's column
    carries weight 1/ncol and drops out). The prediction tends to a^T (1, x_q, 0), a^T the last row of
    A_L ... A_1, and the error to a_0^2 + (a_x - theta)^T Sigma (a_x - theta) + sigma^2. Any layers
    (not only the class); entries exact (symbols and radicals allowed). Shares nothing with the
    symbolic-dimension derivation (:func:`symbolic.depth.depth_error_limit`) nor with
    :func:`concrete_depth_error`'s moments. Checked (tests/test_depth_layer_choice.py) against the literal engine's
    exact errors at one layer with arbitrary V, Q, against the symbolic limit at two layers of the class, and at two
    arbitrary layers against a literal pass of a context whose Gram matrix is M exactly (the only one of the three
    that sees M_l's update: the class's Q_l read only the x block, which A_l leaves alone).
    """
    S = _covariance(Sigma)
    d = S.shape[0]
    lays = _layers(layers, d)
    s2 = _sigma2(sigma2)
    th = sp.Matrix(_vector(theta, "theta", d))
    M = sp.zeros(d + 2)
    M[0, 0] = 1
    M[1:d + 1, 1:d + 1] = S
    M[1:d + 1, d + 1] = S * th
    M[d + 1, 1:d + 1] = (S * th).T
    M[d + 1, d + 1] = (th.T * S * th)[0, 0] + s2
    # exact arithmetic in the field of rational functions of every symbol and every non-rational number
    # (sqrt 2, ...) taken as an indeterminate (sympy.polys.fields.sfield): evaluating those back at the end
    # is a ring homomorphism, and a denominator here divides a product of the entries' denominators
    # (each distinct entry converted once: the field is that of the entries' symbols and numbers, as for the list)
    mats = [M, S, th, *(X for lay in lays for X in lay)]
    entries = [e for X in mats for e in X]
    distinct = list(dict.fromkeys(entries))
    of = _raw_fractions(distinct)
    K = next(iter(of.values())).field
    it = iter(entries)
    M, S, th, *rest = [[[of[next(it)] for _ in range(X.shape[1])] for _ in range(X.shape[0])] for X in mats]
    eye = [[K.one if i == j else K.zero for j in range(d + 2)] for i in range(d + 2)]
    # only a^T = e_y^T A_L ... A_1 is read: the steps A_1 .. A_{L-1} in full (they move M), the last one's last row
    # alone (M_L is never read), then a^T multiplied from the left, a row vector through A_{L-1}, .., A_1
    steps = []
    pairs = list(zip(rest[::2], rest[1::2]))
    for V, Q in pairs[:-1]:
        VMQ = _fmatmul(_fmatmul(V, M, K), Q, K)
        step = [[eye[i][j] + VMQ[i][j] for j in range(d + 2)] for i in range(d + 2)]
        M = _fmatmul(_fmatmul(step, M, K), _transpose(step), K)
        steps.append(step)
    V, Q = pairs[-1]
    row = _fmatmul(_fmatmul([V[d + 1]], M, K), Q, K)[0]
    a = [eye[d + 1][j] + row[j] for j in range(d + 2)]
    for step in reversed(steps):
        a = _fmatmul([a], step, K)[0]
    r = [[a[1 + i] - th[i][0]] for i in range(d)]
    err = a[0] ** 2 + _fmatmul(_fmatmul(_transpose(r), S, K), r, K)[0][0] + K(s2)
    return sp.expand(err.as_expr())
