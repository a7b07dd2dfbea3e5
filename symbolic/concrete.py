r"""Concrete-dimension exact engine: the n-shot error at explicit d, by Isserlis on monomials.

This is the toolkit's second source of truth (DESIGN.md, "Three independent sources of
truth").  It exists only to cross-check the symbolic-dimension engine, so it is written to be
small and obviously correct, not fast, and it shares no code with that engine.

Method, for explicit d in 1..4 and explicit n >= 0:

1. Every Gaussian quantity is a variable: the entries of x_1, ..., x_{n+1} (each
   N(0, Sigma), independent across tokens), the noises eps_1, ..., eps_{n+1} (each
   N(0, sigma2)) and, for the pretraining objective, the entries of theta ~ N(0, I_d).
2. The prompt is built exactly as in the poster, ``Z = [z_1 ... z_n q]`` with
   ``z_i = (1, x_i, y_i)``, ``y_i = theta^T x_i + eps_i`` and the query ``q = (1, x_{n+1}, 0)``,
   its entries sparse SymPy polynomials (``sympy.polys.rings``) whose generators are the Gaussian
   variables; the entries of V, Q, theta, Sigma and sigma2 (numbers or symbols) live in the
   coefficient domain (QQ, or QQ[symbols]).  The model output is
   ``f = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}``, ``ncol(Z) = n + 1``: the last entry of the last
   column ``q + V Z (Z^T (Q q)) / ncol`` (matrix products are associative), computed in the ring.
3. ``E[(f - y_{n+1})^2]``: the polynomial ``f - y_{n+1}`` is split by the parity of its monomials'
   degree in each independent block (one block per token's x, one per noise, one for a random
   theta).  A centred Gaussian block's moments of odd total degree vanish, so products of two
   classes with different parities have expectation 0, and the expectation is the sum over the
   classes of the expectation of each class's square.  f reads V only through its last row v,
   linearly: when v holds symbols and every other input is rational, f - y_{n+1} = sum_a v_a P_a
   + P_y with the P's over QQ, and E[(f - y_{n+1})^2] = sum v_a v_b E[P_a P_b] + 2 sum v_a
   E[P_a P_y] + E[P_y^2] (the same polynomial in v, from moments taken over QQ).
4. The expectation is linear, so it is taken monomial by monomial.  A monomial is a product of
   one monomial per independent block, so its expectation is the product of the blocks'
   moments.  A block's moment E[prod_k x_k^{a_k}] for x ~ N(0, C) follows from Isserlis/Stein,
   ``E[x_k m(x)] = sum_j C_kj E[d m / d x_j]``, memoised.

Everything is exact: inputs must be ints, ``fractions.Fraction``, SymPy Rationals or SymPy
expressions (symbols allowed in V, Q, theta and sigma2, not in Sigma); floats are refused.
"""
from __future__ import annotations

import numbers
from fractions import Fraction
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

__all__ = [
    "concrete_error",
    "concrete_pretraining_error",
    "gaussian_moment",
    "gaussian_expectation",
]

MAX_D = 4
"""Largest dimension d the engine accepts."""


# --------------------------------------------------------------------------- validation


def _exact_scalar(value: Any, name: str, *, allow_symbols: bool = True) -> sp.Expr:
    """One entry as an exact SymPy expression, or ValueError naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected an exact number, got the bool {value!r}")
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Expr) and not value.is_Matrix:
        if value.has(sp.Float):
            raise ValueError(
                f"{name}: expected exact numbers (this engine never uses floats), got {value}; "
                "use sympy.Rational or fractions.Fraction")
        if value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"{name}: expected finite numbers, got {value}")
        if value.is_number and value.is_extended_real is False:
            raise ValueError(f"{name}: expected real numbers, got {value}")
        if not allow_symbols and not value.is_Rational:
            raise ValueError(f"{name}: expected rational numbers (no symbols), got {value}")
        return value
    if isinstance(value, numbers.Real):
        raise ValueError(
            f"{name}: expected exact numbers (this engine never uses floats), got "
            f"{type(value).__name__} {value!r}; use sympy.Rational or fractions.Fraction")
    raise ValueError(
        f"{name}: expected int, fractions.Fraction or a SymPy expression, got "
        f"{type(value).__name__} {value!r}")


def _rows(value: Any, name: str) -> list[list[Any]]:
    """A matrix-like input (SymPy Matrix, nested sequence, array with .tolist()) as rows."""
    if isinstance(value, sp.MatrixBase):
        return value.tolist()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in value):
        raise ValueError(
            f"{name}: expected a matrix (SymPy Matrix or list of rows), got {type(value).__name__}")
    return [list(r) for r in value]


def _matrix(value: Any, name: str, size: int, what: str, *, allow_symbols: bool = True
            ) -> sp.Matrix:
    rows = _rows(value, name)
    shape = f"{len(rows)}x{len(rows[0]) if rows else 0}"
    if len(rows) != size or any(len(r) != size for r in rows):
        raise ValueError(f"{name}: expected a {size}x{size} matrix ({what}), got {shape}")
    return sp.Matrix([[_exact_scalar(v, name, allow_symbols=allow_symbols) for v in r]
                      for r in rows])


def _sigma(Sigma: Any) -> sp.Matrix:
    rows = _rows(Sigma, "Sigma")
    d = len(rows)
    if d == 0 or any(len(r) != d for r in rows):
        raise ValueError(
            f"Sigma: expected a square dxd matrix with d in 1..{MAX_D}, got "
            f"{d}x{len(rows[0]) if rows else 0}")
    if d > MAX_D:
        raise ValueError(f"Sigma: expected a dxd matrix with d in 1..{MAX_D} "
                         f"(this engine is for small explicit d), got {d}x{d}")
    S = sp.Matrix([[_exact_scalar(v, "Sigma", allow_symbols=False) for v in r] for r in rows])
    if S != S.T:
        raise ValueError(f"Sigma: expected a symmetric positive definite {d}x{d} matrix, "
                         "got a matrix that is not symmetric")
    # Sylvester's criterion, in exact arithmetic.
    for k in range(1, d + 1):
        minor = S[:k, :k].det()
        if not minor > 0:
            raise ValueError(
                f"Sigma: expected a symmetric positive definite {d}x{d} matrix, got a "
                f"matrix whose leading {k}x{k} principal minor is {minor}")
    return S


def _vector(value: Any, name: str, d: int) -> list[sp.Expr]:
    if isinstance(value, sp.MatrixBase):
        if 1 not in value.shape:
            raise ValueError(f"{name}: expected a vector of length {d}, got a "
                             f"{value.shape[0]}x{value.shape[1]} matrix")
        entries = list(value)
    else:
        if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name}: expected a vector of length {d}, got "
                             f"{type(value).__name__} {value!r}")
        entries = list(value)
    if len(entries) != d:
        raise ValueError(f"{name}: expected a vector of length {d} (d from Sigma), "
                         f"got length {len(entries)}")
    return [_exact_scalar(v, name) for v in entries]


def _n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (numbers.Integral, sp.Integer)):
        raise ValueError(f"n: expected an integer >= 0, got {type(n).__name__} {n!r}")
    if int(n) < 0:
        raise ValueError(f"n: expected an integer >= 0, got {n}")
    return int(n)


def _sigma2(sigma2: Any) -> sp.Expr:
    s2 = _exact_scalar(sigma2, "sigma2")
    if s2.is_negative:
        raise ValueError(f"sigma2: expected a number >= 0, got {s2}")
    return s2


def _validate(V: Any, Q: Any, n: Any, Sigma: Any, sigma2: Any, theta: Any, need_theta: bool):
    S = _sigma(Sigma)
    d = S.shape[0]
    what = f"(d+2)x(d+2) with d = {d} from Sigma"
    Vm = _matrix(V, "V", d + 2, what)
    Qm = _matrix(Q, "Q", d + 2, what)
    nn = _n(n)
    s2 = _sigma2(sigma2)
    th = _vector(theta, "theta", d) if need_theta else None
    return Vm, Qm, nn, S, s2, th


# --------------------------------------------------------------------------- moments


@lru_cache(maxsize=None)
def _moment(cov: tuple[tuple[sp.Expr, ...], ...], alpha: tuple[int, ...]) -> sp.Expr:
    """E[prod_k x_k^alpha_k] for x ~ N(0, cov), by E[x_k m] = sum_j cov_kj E[dm/dx_j]."""
    total = sum(alpha)
    if total == 0:
        return sp.Integer(1)
    if total % 2:
        return sp.Integer(0)
    k = next(i for i, a in enumerate(alpha) if a)
    rest = list(alpha)
    rest[k] -= 1                      # x^alpha = x_k * x^rest
    out = sp.Integer(0)
    for j, a in enumerate(rest):      # d/dx_j x^rest = rest_j x^(rest - e_j)
        if a and cov[k][j] != 0:
            lower = list(rest)
            lower[j] -= 1
            out += cov[k][j] * a * _moment(cov, tuple(lower))
    return sp.expand(out)


def gaussian_moment(alpha: Sequence[int], cov: Any) -> sp.Expr:
    r"""Exact :math:`\mathbb{E}[\prod_k x_k^{\alpha_k}]` for :math:`x \sim \mathcal{N}(0, C)`.

    ``cov`` is a square matrix of exact numbers or SymPy expressions (it is not checked to be
    positive definite: the moment formula is polynomial in its entries).
    E.g. ``gaussian_moment([4], [[s]]) == 3*s**2`` and
    ``gaussian_moment([2, 2], C) == C00*C11 + 2*C01**2``.
    """
    rows = _rows(cov, "cov")
    k = len(rows)
    if k == 0 or any(len(r) != k for r in rows):
        raise ValueError("cov: expected a non-empty square matrix")
    C = tuple(tuple(_exact_scalar(v, "cov") for v in r) for r in rows)
    if any(C[i][j] != C[j][i] for i in range(k) for j in range(k)):
        raise ValueError("cov: expected a symmetric matrix")
    a = list(alpha)
    if len(a) != k or any(isinstance(e, bool) or not isinstance(e, numbers.Integral) or e < 0
                          for e in a):
        raise ValueError(f"alpha: expected {k} integers >= 0, got {alpha!r}")
    return _moment(C, tuple(int(e) for e in a))


def gaussian_expectation(expr: Any, blocks: Sequence[tuple[Sequence[sp.Symbol], Any]]
                         ) -> sp.Expr:
    r"""Exact expectation of a polynomial in independent centred Gaussian vectors.

    ``blocks`` is a list of ``(variables, covariance)``: each block of variables is
    :math:`\mathcal{N}(0, \text{covariance})`, blocks are mutually independent.  Every other
    symbol in ``expr`` is a constant.  E.g. with ``blocks = [([x1, x2], Sigma), ([e], [[s2]])]``,
    ``gaussian_expectation((a1*x1 + a2*x2)**2 * e**2, blocks) == (a^T Sigma a) * s2``.
    """
    gens: list[sp.Symbol] = []
    layout: list[tuple[int, int, tuple]] = []   # (start, stop, covariance) into gens
    for variables, cov in blocks:
        vs = list(variables)
        rows = _rows(cov, "blocks")
        if len(rows) != len(vs) or any(len(r) != len(vs) for r in rows):
            raise ValueError(f"blocks: a block of {len(vs)} variables needs a "
                             f"{len(vs)}x{len(vs)} covariance")
        C = tuple(tuple(_exact_scalar(v, "blocks") for v in r) for r in rows)
        layout.append((len(gens), len(gens) + len(vs), C))
        gens.extend(vs)
    if not gens or not all(isinstance(g, sp.Symbol) for g in gens) or len(set(gens)) != len(gens):
        raise ValueError("blocks: expected distinct symbols, each in exactly one block")
    e = _exact_scalar(expr, "expr")
    try:
        coeffs = sp.Poly(e, *gens).coeffs()
    except sp.PolynomialError:
        raise ValueError(f"expr: expected a polynomial in the block variables, got {e}") from None
    constants = coeffs + [c for _, _, C in layout for r in C for c in r]
    return _expectation(e, gens, layout, constants)


def _expectation(expr: sp.Expr, gens: list[sp.Symbol], layout: list[tuple[int, int, tuple]],
                 constants: list[sp.Expr]) -> sp.Expr:
    """E[expr] for expr a polynomial in ``gens``, laid out in independent Gaussian blocks.

    ``expr`` is expanded into a sparse polynomial over ``gens`` whose coefficient domain K
    holds ``constants`` (the parameters: numbers or symbols); see :func:`_expect_poly`.
    """
    K = construct_domain([*constants, sp.Rational(1, 2)])[0]   # 1/2: coefficients over QQ
    poly = ring(gens, K)[0](expr)                               # expands expr, exactly
    return _expect_poly(poly, K, layout)


def _expect_poly(poly: Any, K: Any, layout: list[tuple[int, int, tuple]], *, squared: bool = False,
                 weights: Sequence[Any] | None = None) -> sp.Expr:
    """E[poly] (``squared``: E[poly^2]) for ``poly`` a sparse polynomial over K in the Gaussian
    variables of ``layout``; with ``weights`` (``squared`` only), ``poly`` is a list of polynomials
    P_k over a subdomain K_0 of K and ``weights`` their coefficients c_k in K, and the result is
    E[(sum_k c_k P_k)^2].

    E is linear, so E[poly] = sum over monomials of coefficient * E[monomial], and E[monomial]
    is the product over the independent blocks of that block's moment.

    E[poly^2]: a centred Gaussian block's moments of odd total degree vanish, so a product of two
    monomials whose degrees in some block have different parities has expectation 0.  Split poly
    by the parity of its monomials' degree in each block, poly = sum_P poly_P; the cross products
    of different classes vanish in expectation, so E[poly^2] = sum_P E[poly_P^2] (the same sum,
    without the products that are 0 in expectation).

    E[(sum_k c_k P_k)^2] = sum_{k,l} c_k c_l E[P_k P_l], E bilinear and the c_k constants, and
    E[P_k P_l] = sum_P E[P_k,P P_l,P] by the same parity split: the moments E[P_k P_l] are taken
    in K_0 (QQ when only V's last row holds symbols: the model is linear in it), and only the
    small matrix of moments is combined in K.
    """
    covs = list(dict.fromkeys(cov for _, _, cov in layout))     # distinct covariances
    blocks = [(start, stop, covs.index(cov)) for start, stop, cov in layout]
    # a block's moment is kept in QQ when it is a rational number (the usual case: Sigma is
    # rational), else in K; a monomial's rational moments are multiplied in QQ and its value
    # enters K once (the same product, fewer multiplications in K)
    moments: dict[Any, dict[tuple, tuple[bool, Any]]] = {}     # domain: (covariance #, exponents)

    monomials: dict[Any, dict[tuple, Any]] = {}                # domain: exponents -> E[monomial]

    def expect(p: Any) -> Any:
        K = p.ring.domain                                       # the polynomial's coefficients
        cache = moments.setdefault(K, {})
        seen = monomials.setdefault(K, {})
        total = K.zero
        for monom, coeff in p.items():
            value = seen.get(monom)
            if value is None:                                   # E[monomial], once per monomial
                rational, other = QQ.one, None
                for start, stop, c in blocks:
                    key = (c, monom[start:stop])
                    if key not in cache:
                        m = _moment(covs[c], key[1])
                        cache[key] = (True, QQ.from_sympy(m)) if m.is_Rational else (False, K.convert(m))
                    is_q, m = cache[key]
                    if is_q:
                        rational *= m
                    else:
                        other = m if other is None else other * m
                    if not m:
                        value = K.zero
                        break
                else:
                    value = rational if K is QQ else K.convert_from(rational, QQ)
                    value = value if other is None else value * other
                seen[monom] = value
            if value:
                total += coeff * value
        return total

    def classes(p: Any) -> dict[tuple[int, ...], Any]:          # p split by parity per block
        out: dict[tuple[int, ...], dict] = {}
        for monom, coeff in p.items():
            parity = tuple(sum(monom[start:stop]) % 2 for start, stop, _ in blocks)
            out.setdefault(parity, {})[monom] = coeff
        return {parity: p.ring.from_dict(terms) for parity, terms in out.items()}

    if not squared:
        return sp.expand(K.to_sympy(expect(poly)))
    total = K.zero
    if weights is None:
        for part in classes(poly).values():
            total += expect(part ** 2)
        return sp.expand(K.to_sympy(total))
    parts = [classes(p) for p in poly]
    for k, (ck, pk) in enumerate(zip(weights, parts)):
        for l in range(k, len(parts)):
            pl = parts[l]
            if not (ck and weights[l]):                         # c_k c_l = 0: no term
                continue
            both = [pk[c] * pl[c] for c in pk if c in pl]
            if both:
                m = expect(sum(both[1:], both[0]))                 # E[P_k P_l], in K_0
                total += K.convert_from(m, poly[k].ring.domain) * ck * weights[l] * (1 if k == l else 2)
    return sp.expand(K.to_sympy(total))


# --------------------------------------------------------------------------- the model


def _error(V: sp.Matrix, Q: sp.Matrix, n: int, S: sp.Matrix, s2: sp.Expr,
           theta: list[sp.Expr] | None) -> sp.Expr:
    d = S.shape[0]
    cov_x = tuple(tuple(r) for r in S.tolist())
    cov_eps = ((s2,),)
    # Gaussian variables: Dummy symbols, so they never clash with a user's symbols.
    x = [[sp.Dummy(f"x{i + 1}_{k + 1}") for k in range(d)] for i in range(n + 1)]
    eps = [sp.Dummy(f"eps{i + 1}") for i in range(n + 1)]
    blocks: list[tuple[list[sp.Symbol], tuple]] = [(xi, cov_x) for xi in x]
    blocks += [([e], cov_eps) for e in eps]
    random_theta = theta is None
    if random_theta:                                   # pretraining: theta ~ N(0, I_d)
        theta = [sp.Dummy(f"theta{k + 1}") for k in range(d)]
        blocks.append((theta, tuple(tuple(sp.Integer(int(i == j)) for j in range(d))
                                    for i in range(d))))
    gens = [g for variables, _ in blocks for g in variables]
    layout, start = [], 0
    for variables, cov in blocks:
        layout.append((start, start + len(variables), cov))
        start += len(variables)
    ncol = n + 1
    constants = [*V, *Q, *S, s2, sp.Rational(1, ncol)]
    if not random_theta:
        constants += theta
    # Everything below is a polynomial over K in the Gaussian variables (sympy.polys.rings):
    # the prompt is built there directly, so the model's output is expanded as it is built.
    K = construct_domain([*constants, sp.Rational(1, 2)])[0]   # 1/2: coefficients over QQ
    # f reads V only through its last row v, and linearly: f - y_{n+1} = sum_a v_a P_a + P_y.
    # When v holds symbols and every other constant is rational, the P's are built over QQ and
    # E[(f - y)^2] = sum v_a v_b E[P_a P_b] + ... from their moments (the same value in K).
    last = list(V.row(d + 1))
    K0 = K
    if K != QQ and all(sp.sympify(c).is_Rational for c in [*Q, *S, s2, *(() if random_theta else theta)]):
        K0 = QQ
    R = ring(gens, K0)[0]
    to_r = dict(zip(gens, R.gens))

    def el(e: Any) -> Any:                             # a Gaussian variable or a constant of K0
        return to_r[e] if e in to_r else R.ground_new(K0.convert(sp.sympify(e)))

    def dot(a: list, b: list) -> Any:
        return sum((p * q for p, q in zip(a, b) if p and q), R.zero)

    th = [el(t) for t in theta]
    X = [[el(g) for g in xi] for xi in x]

    def label(i: int) -> Any:                          # y_i = theta^T x_i + eps_i
        return dot(th, X[i]) + el(eps[i])

    columns = [[R.one, *X[i], label(i)] for i in range(n)]  # z_i = (1, x_i, y_i)
    columns.append([R.one, *X[n], R.zero])                  # query q = (1, x_{n+1}, 0)
    # the poster's model f = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}: its last column is
    # q + V Z (Z^T (Q q)) / ncol (matrix products are associative), and f its last entry
    q = columns[-1]
    Qq = [dot([el(c) for c in Q.row(a)], q) for a in range(d + 2)]
    ZtQq = [dot(z, Qq) for z in columns]                              # Z^T Q q, one per column
    ZZtQq = [dot([z[a] for z in columns], ZtQq) for a in range(d + 2)]  # Z Z^T Q q
    if K0 is not K:                                    # v in K, the P's over QQ
        scale = R.ground_new(K0.convert(sp.Rational(1, ncol)))
        weights = [K.convert(sp.sympify(c)) for c in last] + [K.one]
        return _expect_poly([p * scale for p in ZZtQq] + [q[-1] - label(n)], K, layout, squared=True,
                            weights=weights)
    last_row = [el(c) for c in V.row(d + 1)]
    f = q[-1] + dot(last_row, ZZtQq) * R.ground_new(K.convert(sp.Rational(1, ncol)))
    return _expect_poly(f - label(n), K, layout, squared=True)


def concrete_error(V: Any, Q: Any, *, n: int, theta: Any, Sigma: Any, sigma2: Any) -> sp.Expr:
    r"""Exact n-shot error :math:`\mathcal{E}(V, Q, n; \theta)` at an explicit dimension.

    .. math::
        \mathcal{E}(V, Q, n; \theta) = \mathbb{E}\big[(f([Z_{[n]}\ z_{n+1}]; V, Q)
            - y_{n+1})^2\big],\qquad
        f(Z; V, Q) = \Big[Z + \tfrac{1}{\mathrm{ncol}(Z)} V Z Z^T Q Z\Big]_{-1,-1},

    with :math:`x_i \sim \mathcal{N}(0, \Sigma)`, :math:`y_i = \theta^T x_i + \epsilon_i`,
    :math:`\epsilon_i \sim \mathcal{N}(0, \sigma^2)`, tokens :math:`(1, x_i, y_i)`, query
    :math:`(1, x_{n+1}, 0)` and :math:`\mathrm{ncol}(Z) = n + 1` (``n = 0``: zero-shot).

    Parameters: ``V``, ``Q`` are (d+2)x(d+2), ``theta`` has length d, ``Sigma`` is a dxd
    symmetric positive definite matrix of rationals with d in 1..4 (it fixes d), ``sigma2``
    >= 0, ``n`` an int >= 0.  Entries of V, Q, theta and sigma2 may be SymPy symbols; the
    result is then the expanded polynomial in them, otherwise a ``sympy.Rational``.
    Cost grows quickly with d and n: about 0.01 s at d = 2, n = 2 or d = 3, n = 1 with rational
    entries, about 0.15 s at d = 4, n = 3; meant for d <= 4 and n <= 3 or so.
    """
    Vm, Qm, nn, S, s2, th = _validate(V, Q, n, Sigma, sigma2, theta, need_theta=True)
    return _error(Vm, Qm, nn, S, s2, th)


def concrete_pretraining_error(V: Any, Q: Any, *, n: int, Sigma: Any, sigma2: Any) -> sp.Expr:
    r"""Exact pretraining objective :math:`\mathbb{E}_{\theta \sim \mathcal{N}(0, I_d)}
    [\mathcal{E}(V, Q, n; \theta)]` at an explicit dimension.

    Same model and data as :func:`concrete_error`; theta is one more Gaussian vector,
    independent of the x's and the noise, and is averaged out exactly.
    """
    Vm, Qm, nn, S, s2, _ = _validate(V, Q, n, Sigma, sigma2, None, need_theta=False)
    return _error(Vm, Qm, nn, S, s2, None)
