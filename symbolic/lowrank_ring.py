r"""The symmetric ansatz's losses (:mod:`symbolic.lowrank`) as quadratics over QQ(parameters).

A loss or error on the ansatz, scalarised (traces and forms read as d and k), is a polynomial of
degree 2 in the unknowns ``y`` (the theta block), ``a`` (the coefficient of theta_0 theta_0^T in
Q_xx) and ``s`` (of Sigma^{-1}), whose coefficients are rational functions of the parameters
(d, k, sigma, the loss's n, m...).  It is read once into the polynomial ring QQ[y, a, s,
parameters] over one common denominator, a product of the bases its terms carry
(:func:`symbolic.ratfun.numer_denom`: no gcd), and the change of coordinates

    a = y_11 - s / k       (the theta block and the perp block decoupled)

is done there: with ``N = sum_j a^j N_j`` (degree j_max in a),

    N(y_11 - s/k) = k^{-j_max} sum_j N_j (k y_11 - s)^j k^{j_max - j},

so the numerator stays a polynomial and the denominator gains ``k^{j_max}``.  Its coefficient of
each monomial of (y, s) is then an element of the field ``QQ(parameters)`` (one cancel each),
and every value the derivation needs (the Hessian's entries, the errors at the rank-r update)
is computed there, exactly, and read back as an expression only at the end.  Equal rational
functions give equal expressions once put in ``cancel``'s or ``factor``'s normal form
(:mod:`symbolic.ratfun`), which is how :mod:`symbolic.lowrank` states every result.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.polyutils import _sort_gens
from sympy.polys.rings import PolyRing

from . import ratfun

__all__ = ["AnsatzQuadratic", "field_of", "to_field", "to_expr", "factored", "lift", "affine", "shifted_ratio", "new"]


@lru_cache(maxsize=64)
def field_of(params: tuple[sp.Symbol, ...]) -> Any:
    """The field ``QQ(params)`` (a SymPy domain; its elements are ``K.field``'s)."""
    return QQ.frac_field(*params)


def ordered(symbols: Any) -> tuple[sp.Symbol, ...]:
    """Symbols in SymPy's own order of generators (the order its polynomials take them in)."""
    return tuple(_sort_gens(sorted(symbols, key=sp.default_sort_key)))


def to_field(e: Any, K: Any) -> Any:
    """An expression (a rational function of K's generators) as an element of K."""
    e = sp.sympify(e)
    if e.is_Rational:
        return K.field.ground_new(QQ.from_sympy(e))
    return ratfun.field_element(e, K)


def to_expr(x: Any) -> sp.Expr:
    """An element of ``QQ(params)`` as an expression ``numerator / denominator``."""
    return x.as_expr()


def lift(xs: Sequence[Any], *exprs: Any) -> list:
    """Elements of fields ``QQ(params)`` and expressions (rational functions of symbols), all as
    elements of one field that holds every generator (its numerators and denominators renamed into
    its ring, still coprime: no gcd)."""
    gens: set = set()
    for x in xs:
        gens |= set(x.field.ring.symbols)
    exprs = [sp.sympify(e) for e in exprs]
    for e in exprs:
        gens |= e.free_symbols
    K = field_of(ordered(gens))
    F = K.field
    out = [x if x.field == F else F.raw_new(x.numer.set_ring(F.ring), x.denom.set_ring(F.ring)) for x in xs]
    return out + [to_field(e, K) for e in exprs]


def new(F: Any, num: Any, den: Any) -> Any:
    """``F.new(num, den)`` (num, den polynomials of the field F's ring over QQ, den nonzero): the same
    element, its cancel's gcd over ZZ taken by FLINT (:func:`symbolic.ratfun.cancel_polys`, which is
    ``PolyElement.cancel``'s pair: the fraction in lowest terms, unique up to the denominator's sign,
    so the same element)."""
    from .ratfun import cancel_polys
    return F.raw_new(*cancel_polys(num, den))


def div(x: Any, y: Any) -> Any:
    """``x / y`` for an element x of a field and y an element of the same field or a nonzero integer,
    cancelled once by FLINT (:func:`new`): the field's own quotient."""
    if isinstance(y, int):
        if not y:
            raise ZeroDivisionError("div: division by zero")
        return new(x.field, x.numer, x.denom * y) if x else x
    if not y:
        raise ZeroDivisionError("div: division by zero")
    return new(x.field, x.numer * y.denom, x.denom * y.numer) if x else x


def matmul(A: list, B: list, F: Any) -> list:
    """``A B`` for matrices (lists of rows) of elements of the field F, each entry ``sum_k a_ik b_kj``
    summed over one common denominator in F's ring (no gcd per product or sum) and cancelled once
    (:func:`new`): the entries of DomainMatrix's product, the same elements."""
    ring = F.ring
    out = []
    for row in A:
        line = []
        for j in range(len(B[0]) if B else 0):
            num, den = ring.zero, ring.one
            for a, brow in zip(row, B):
                b = brow[j]
                if not a or not b:
                    continue
                n, d = a.numer * b.numer, a.denom * b.denom
                if d == den:
                    num += n
                else:
                    num, den = num * d + n * den, den * d
            line.append(new(F, num, den) if num else F.zero)
        out.append(line)
    return out


def inverse(A: list, F: Any) -> list:
    """The inverse of a square matrix (list of rows, n <= 3) of elements of the field F: with
    ``A = N / c`` (c the product of its entries' distinct denominators, N polynomial),
    ``A^{-1} = c adj(N) / det(N)``, cofactors in F's ring, each entry cancelled once (:func:`new`):
    DomainMatrix's inverse, the same elements.  ``DMNonInvertibleMatrixError`` where det A = 0, as
    DomainMatrix.inv; larger n by DomainMatrix."""
    from sympy.polys.matrices import DomainMatrix
    from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError
    n = len(A)
    if n > 3 or any(len(row) != n for row in A):
        return DomainMatrix(A, (n, n), field_domain(F)).inv().to_list()
    ring = F.ring
    c = ring.one
    dens: list = []
    for row in A:
        for x in row:
            if x.denom != ring.one and x.denom not in dens:
                dens.append(x.denom)
                c = c * x.denom
    N = [[x.numer * (c.exquo(x.denom)) for x in row] for row in A]
    if n == 1:
        adj, det = [[ring.one]], N[0][0]
    elif n == 2:
        adj, det = [[N[1][1], -N[0][1]], [-N[1][0], N[0][0]]], N[0][0] * N[1][1] - N[0][1] * N[1][0]
    else:
        cof = [[(N[(i + 1) % 3][(j + 1) % 3] * N[(i + 2) % 3][(j + 2) % 3]
                 - N[(i + 1) % 3][(j + 2) % 3] * N[(i + 2) % 3][(j + 1) % 3]) for j in range(3)] for i in range(3)]
        adj = [[cof[j][i] for j in range(3)] for i in range(3)]
        det = N[0][0] * cof[0][0] + N[0][1] * cof[0][1] + N[0][2] * cof[0][2]
    if not det:
        raise DMNonInvertibleMatrixError("Matrix det == 0; not invertible.")
    return [[new(F, c * x, det) if x else F.zero for x in row] for row in adj]


def field_domain(F: Any) -> Any:
    """The domain QQ(gens) whose elements are F's (DomainMatrix's domain for them)."""
    return field_of(tuple(F.symbols))


def affine(x0: Any, x1: Any, w: Any) -> Any:
    """``x0 + w (x1 - x0)`` for elements of one field (x0, x1 possibly not cancelled), cancelled once:
    with ``x0 = a/b``, ``x1 = c/e``, ``w = p/q``, ``(a e q + p (c b - a e)) / (b e q)`` (``(a q + p (c - a)) /
    (b q)`` when b = e)."""
    a, b, c, e, p, q = x0.numer, x0.denom, x1.numer, x1.denom, w.numer, w.denom
    if b == e:
        return new(x0.field, a * q + p * (c - a), b * q)
    return new(x0.field, a * e * q + p * (c * b - a * e), b * e * q)


def shifted_ratio(x: Any, c: Any, y: Any) -> Any:
    """``(x - c) / y`` for elements of one field, cancelled once: ``(x_n c_d - c_n x_d) y_d / (x_d c_d y_n)``."""
    return new(x.field, (x.numer * c.denom - c.numer * x.denom) * y.denom, x.denom * c.denom * y.numer)


def factored(x: Any, symbols: Sequence[sp.Basic] | None = None) -> sp.Expr:
    """``ratfun.factored(to_expr(x))`` for an element x of ``QQ(params)``, the same expression,
    read off x's numerator and denominator without the expression in between: the factorisation
    of a rational function into a constant and powers of irreducible polynomials (each primitive
    over ZZ, positive leading coefficient in the lex order of the generators) is unique, so
    factoring x's numerator and denominator in the field's ring (whose generators are SymPy's
    order of generators, :func:`ordered`: any subset keeps their relative order, so the normal
    form is the one ``sympy.factor`` gives on the expression's own generators) and netting the
    powers is ``sympy.factor``'s product (``_keep_coeff(constant, product)``).  ``symbols``: the
    expressions the ring's generators are written as (one per generator, in the ring's order; a
    generator renamed keeps its place, e.g. k as theta_0^T Sigma theta_0: the same normal form
    when the new name sorts where the old one did)."""
    from sympy.core.exprtools import _keep_coeff
    num, den = x.numer, x.denom
    if not num:
        return sp.S.Zero
    syms = tuple(symbols) if symbols is not None else x.field.ring.symbols
    cn, found = factor_list(num)
    cd, below = factor_list(den)
    powers: dict = {}
    for sign, factors in ((1, found), (-1, below)):
        for f, k in factors:
            f0, k0 = powers.get(_key(f), (f, 0))
            powers[_key(f)] = (f0, k0 + sign * k)
    return _keep_coeff(QQ.to_sympy(cn / cd), sp.Mul(*[f.as_expr(*syms) ** k for f, k in powers.values() if k]))


_FACTORS: dict = {}


def factor_list(p: Any) -> tuple[Any, list]:
    """``p.factor_list()`` for a nonzero polynomial p over QQ: the same constant and the same factors
    (each primitive over ZZ with a positive leading coefficient in the ring's lex order, unique), by
    :func:`symbolic.ratfun.factor_list` (FLINT's factorisation), once per process and polynomial."""
    key = _key(p)
    hit = _FACTORS.get(key)
    if hit is None:
        hit = (p.LC, []) if p.is_ground else ratfun.factor_list(p)
        if len(_FACTORS) > 4096:
            _FACTORS.clear()
        _FACTORS[key] = hit
    return hit


def _key(p: Any) -> tuple:
    """A polynomial's key by its terms (a PolyElement's own hash is cached, and a copy that is then
    changed in place, as its arithmetic does, can keep a stale one)."""
    return p.ring, frozenset(p.items())


class AnsatzQuadratic:
    r"""``sum_m c_m y^m`` over the monomials m of degree <= 2 in the unknowns ``(y..., s)``, each
    ``c_m`` in the field ``K = QQ(params)``; built by :meth:`read` from a scalarised loss in the
    coordinates ``(y..., a, s)`` (module docstring)."""

    def __init__(self, K: Any, unknowns: tuple[sp.Symbol, ...], numerators: dict, denominator: Any):
        self.K = K
        self.unknowns = unknowns
        self._num = numerators          # monomial -> polynomial of K's ring
        self._den = denominator         # the common denominator, a polynomial of K's ring
        self._coeffs: dict = {}
        self._over: dict = {}

    @classmethod
    def read(cls, e: sp.Expr, ys: Sequence[sp.Symbol], a: sp.Symbol, s: sp.Symbol, k: sp.Symbol, y11: sp.Symbol,
             params: Sequence[sp.Symbol] = ()) -> "AnsatzQuadratic":
        """The scalarised loss ``e`` (in y, a, s) in the coordinates of the module docstring
        (``a = y_11 - s/k``); ``params``: parameters the field holds besides e's own symbols
        (those of the values it will be evaluated at).  ValueError (:class:`symbolic.ratfun.NotRational`)
        where ``e`` is not a rational function of its symbols; ``DegreeError`` past degree 2."""
        ys, e = tuple(ys), sp.sympify(e)
        unknowns = ys + (s,)
        pars = ordered((e.free_symbols | set(params) | {k}) - set(unknowns) - {a})
        R = PolyRing(unknowns + (a,) + pars, QQ)
        num, dens = ratfun.numer_denom(e, R)
        nu = len(unknowns)
        den = R.one
        for base, power in dens.items():
            if any(any(mon[:nu + 1]) for mon in base.monoms()):
                raise ratfun.NotRational("a denominator that holds the unknowns")
            den = den * base ** power
        # a = y_11 - s/k: N = sum_j a^j N_j -> sum_j N_j (k y_11 - s)^j k^(jmax - j), den * k^jmax
        ia = nu
        parts: dict = {}
        for mon, c in num.terms():
            j = mon[ia]
            parts[j] = parts.get(j, R.zero) + R({mon[:ia] + (0,) + mon[ia + 1:]: c})
        jmax = max(parts, default=0)
        kk, lin = R(k), R(k) * R(y11) - R(s)
        new = R.zero
        for j, Nj in parts.items():
            new += Nj * lin ** j * kk ** (jmax - j)
        den = den * kk ** jmax
        deg = max((sum(mon[:nu]) for mon in new.monoms()), default=0)
        if deg > 2:
            raise DegreeError(deg)
        K = field_of(pars)
        P = K.field.ring
        numerators: dict = {}
        for mon, c in new.terms():
            key = mon[:nu]
            numerators.setdefault(key, []).append((mon[nu + 1:], c))
        numerators = {key: P(dict(ts)) for key, ts in numerators.items()}
        numerators = {key: p for key, p in numerators.items() if p}
        return cls(K, unknowns, numerators, P(dict((m[nu + 1:], c) for m, c in den.terms())))

    def over(self, params: Sequence[sp.Symbol]) -> "AnsatzQuadratic":
        """The same quadratic over a field that also holds ``params`` (itself when K holds them)."""
        gens = self.K.field.ring.symbols
        if set(params) <= set(gens):
            return self
        key = tuple(params)
        if key not in self._over:
            K = field_of(ordered(set(gens) | set(params)))
            P = K.field.ring
            self._over[key] = AnsatzQuadratic(K, self.unknowns, {m: n.set_ring(P) for m, n in self._num.items()},
                                              self._den.set_ring(P))
        return self._over[key]

    def restricted(self, keep: Sequence[int]) -> "AnsatzQuadratic":
        """The quadratic with every unknown but those at the positions ``keep`` at 0 (its terms in the
        others dropped), in the unknowns kept (in that order): the same field and denominator."""
        keep = list(keep)
        drop = [i for i in range(len(self.unknowns)) if i not in keep]
        return AnsatzQuadratic(self.K, tuple(self.unknowns[i] for i in keep),
                               {tuple(mon[i] for i in keep): n for mon, n in self._num.items()
                                if not any(mon[i] for i in drop)}, self._den)

    def at(self, x: sp.Symbol, value: Any) -> "AnsatzQuadratic | None":
        """The quadratic with the parameter ``x`` at ``value``, coefficient by coefficient: 0 (each
        coefficient at x = 0), ``oo`` (each coefficient's limit x -> oo: the ratio of the x^deg(D)
        parts of numerator and denominator, deg the denominator's degree in x), or a symbol the
        field does not hold (x renamed).  None where that is not defined (the denominator 0 at
        x = 0, a coefficient that grows without bound)."""
        P = self.K.field.ring
        gens = P.symbols
        if x not in gens:
            return self
        i = gens.index(x)
        rest = gens[:i] + gens[i + 1:]
        value = sp.sympify(value)
        if value.is_Symbol:
            if value in gens:
                return None
            new = ordered(rest + (value,))
        elif value == 0 or value == sp.oo:
            new = ordered(rest)
        else:
            return None
        K = field_of(new)
        Q = K.field.ring
        where = [new.index(g) for g in rest]
        j = new.index(value) if value.is_Symbol else None

        def conv(p, power=None):
            out: dict = {}
            for mon, c in p.terms():
                e = mon[i]
                if power is not None and e != power:
                    continue
                m = [0] * len(new)
                for g, k in zip(where, mon[:i] + mon[i + 1:]):
                    m[g] = k
                if j is not None:
                    m[j] = e
                out[tuple(m)] = out.get(tuple(m), 0) + c
            return Q(out)

        if value.is_Symbol:
            num, den = {m: conv(n) for m, n in self._num.items()}, conv(self._den)
        elif value == 0:
            num, den = {m: conv(n, 0) for m, n in self._num.items()}, conv(self._den, 0)
        else:
            top = self._den.degree(i)
            if any(n.degree(i) > top for n in self._num.values()):
                return None
            num, den = {m: conv(n, top) for m, n in self._num.items()}, conv(self._den, top)
        if not den:
            return None
        return AnsatzQuadratic(K, self.unknowns, {m: n for m, n in num.items() if n}, den)

    # -- coefficients
    def coeff(self, mon: tuple[int, ...]) -> Any:
        """The coefficient of the monomial ``prod unknowns^mon`` (an element of K; 0 if absent)."""
        if mon not in self._coeffs:
            num = self._num.get(mon)
            self._coeffs[mon] = self.K.field.zero if num is None else new(self.K.field, num, self._den)
        return self._coeffs[mon]

    def is_zero(self, mon: tuple[int, ...]) -> bool:
        """Whether the coefficient of ``mon`` is 0 (its numerator over the common denominator)."""
        return mon not in self._num

    def monomial(self, *powers: tuple[int, int]) -> tuple[int, ...]:
        """The exponent tuple of ``prod unknowns[i]^e`` for ``(i, e)`` in ``powers``."""
        out = [0] * len(self.unknowns)
        for i, e in powers:
            out[i] += e
        return tuple(out)

    def expr(self) -> sp.Expr:
        """The quadratic as an expression in the unknowns and the parameters (for display)."""
        terms = [sp.Mul(*[u ** e for u, e in zip(self.unknowns, mon)]) * n.as_expr() for mon, n in self._num.items()]
        return sp.Add(*terms) / self._den.as_expr()

    def value(self, values: Sequence[Any], reduced: bool = True) -> Any:
        """The quadratic at ``unknowns = values`` (elements of K), an element of K: with
        ``values_i = a_i / b_i``, ``sum_m N_m prod a_i^{m_i} b_i^{M_i - m_i}`` over ``D prod b_i^{M_i}``
        (M_i: the highest power of unknown i), polynomials only, cancelled once (``reduced=False``:
        not cancelled, numerator and denominator possibly with a common factor, for a value that is
        computed with and cancelled later: :func:`affine`)."""
        F = self.K.field
        top = [max((mon[i] for mon in self._num), default=0) for i in range(len(self.unknowns))]
        zero = [not v for v in values]
        num = F.ring.zero
        for mon, N in self._num.items():
            if any(e and zero[i] for i, e in enumerate(mon)):
                continue    # a power of an unknown at 0: the term is 0 (an unknown at 0 has denominator 1)
            term = N
            for i, e in enumerate(mon):
                if e:
                    term = term * values[i].numer ** e
                if top[i] - e and not zero[i]:
                    term = term * values[i].denom ** (top[i] - e)
            num += term
        den = self._den
        for i, e in enumerate(top):
            if e and not zero[i]:
                den = den * values[i].denom ** e
        return new(F, num, den) if reduced else F.raw_new(num, den)


class DegreeError(ValueError):
    """The loss has degree above 2 in the update."""

    def __init__(self, degree: int):
        super().__init__(f"the loss has degree {degree} in the update")
        self.degree = degree
