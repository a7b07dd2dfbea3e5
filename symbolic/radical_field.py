r"""Exact arithmetic in QQ(sqrt a)(x_1, .., x_m): fractions whose numbers are a + b sqrt a, fast.

SymPy's generic ``together``/``factor``/``radsimp`` on rational functions with sqrt 2 in them cost
about 0.2 s each on the depth-2 errors (degree 10 in d); the same arithmetic in a sparse polynomial
ring is milliseconds. :class:`RadicalField` works in QQ[x_1, .., x_m, r] with r^2 = a (every product
reduced modulo r^2 - a) and keeps each element as a fraction N / D with D free of r (denominators
rationalised by the conjugate, D0^2 - a D1^2) and gcd(N, D) = 1 (over QQ[x]: N = N0 + N1 r is cancelled
by gcd(N0, N1, D)). Equality is then exact: N D' - N' D = 0 in the ring.

Public API: :class:`RadicalField` (``field.element(expr)``, ``field.compose``, ``field.subs``),
:class:`RadicalFraction` (``+ - * /``, ``is_zero``, ``conjugate``, ``expr``, ``sign_for_positive``),
:func:`factored_fraction` (``sympy.factor`` of N / D given as polynomials over QQ, in the ring).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

try:    # FLINT's gcds and divisions where python-flint is installed (a dependency)
    import flint as _flint
except ImportError:     # pragma: no cover
    _flint = None

__all__ = ["RadicalField", "RadicalFraction", "factored_fraction"]


def factored_fraction(num, den=None, sort_as: dict | None = None) -> sp.Expr:
    """``sympy.factor(N / D)`` for N, D polynomials of a sparse ring over QQ (``sympy.polys.rings``), read off
    the ring: the factorisation of a rational function into a rational constant and integer powers of
    irreducible polynomials, each primitive over ZZ with a positive leading coefficient in the lex order of
    SymPy's ordering of the symbols that occur, is unique, and ``sympy.factor`` (like
    :func:`symbolic.ratfun.factor`, whose steps these are) returns that product, ``_keep_coeff(constant,
    product)``, whatever the form of its input. So N and D are moved into the ring of the symbols that occur,
    in SymPy's order, factored there (:func:`symbolic.ratfun.factor_list`: FLINT's factors where python-flint
    is installed, in that form), and the factors of D subtracted from those of N: no expression is read.
    ``sort_as``: a ring symbol -> the SymPy object it stands for (a bilinear form written as a symbol in the ring),
    ordered as that object would be (the result keeps the ring's symbol: replace it afterwards)."""
    from sympy.core.exprtools import _keep_coeff
    from sympy.polys.polyutils import _sort_gens
    from sympy.polys.rings import PolyRing
    R0 = num.ring
    den = R0.one if den is None else den
    if not den:
        raise ZeroDivisionError("factored_fraction: a denominator 0")
    if not num:
        return sp.S.Zero
    used = {i for p in (num, den) for m in p.itermonoms() for i, e in enumerate(m) if e}
    syms = [R0.symbols[i] for i in used]
    if not syms:
        return QQ.to_sympy(num.LC / den.LC)
    if sort_as:
        back = {sort_as.get(x, x): x for x in syms}
        order = [back[g] for g in _sort_gens(sorted(back, key=sp.default_sort_key))]
    else:
        order = _sort_gens(sorted(syms, key=sp.default_sort_key))
    from .ratfun import factor_list     # FLINT's factorisation where installed: SymPy's constant and factors
    R = PolyRing(tuple(order), QQ)
    coeff, found = factor_list(num.set_ring(R))
    powers: dict = {}
    for f, k in found:
        powers[f] = powers.get(f, 0) + k
    cb, fb = factor_list(den.set_ring(R))
    coeff = coeff / cb
    for f, k in fb:
        powers[f] = powers.get(f, 0) - k
    return _keep_coeff(QQ.to_sympy(coeff), sp.Mul(*[f.as_expr() ** k for f, k in powers.items() if k]))


class _NotRational(Exception):
    """An expression outside QQ(sqrt a)(symbols) met by :meth:`RadicalField._read`."""


class RadicalField:
    """QQ(sqrt a)(symbols) (``a`` a positive non-square integer; ``symbols`` SymPy symbols)."""

    def __init__(self, symbols: Sequence[sp.Symbol], a: int = 2) -> None:
        given = a
        a = sp.sympify(a, strict=True) if isinstance(a, (int, sp.Basic)) else None
        if a is None or not a.is_Integer or a <= 1 or sp.sqrt(a).is_Integer:
            raise ValueError(f"a: expected a positive non-square integer, got {given!r}")
        self.a, self.root, self.symbols = a, sp.sqrt(a), tuple(symbols)
        self._r = sp.Dummy("r")
        self.ring, *gens = ring(list(self.symbols) + [self._r], QQ)
        self.gens, self.r = dict(zip(self.symbols, gens)), gens[-1]
        self._modulus = self.r ** 2 - int(a)
        self._factored: dict = {}
        self._elements: dict = {}

    def factored(self, den) -> sp.Expr:
        """A denominator (free of r) as a factored SymPy expression (memoised: shown often)."""
        out = self._factored.get(den)
        if out is None:     # sympy.factor(den.as_expr()), read off the ring (factored_fraction)
            out = self._factored[den] = factored_fraction(den)
        return out

    # ------------------------------------------------------------------ building
    def reduce(self, p):
        """``p`` modulo r^2 - a: each r^e written a^(e // 2) r^(e mod 2). The remainder of the division by r^2 - a
        (``p.rem``) is the unique polynomial congruent to ``p`` with no term divisible by r^2 (one polynomial is a
        Groebner basis of the ideal it generates), and this one is congruent with no such term: the same element,
        in one pass over the terms instead of a polynomial division."""
        i = len(self.symbols)
        if all(m[i] < 2 for m in p):
            return p
        a = self.ring.domain.convert(int(self.a))
        out = self.ring.zero
        for m, c in p.items():
            e = m[i]
            if e >= 2:
                m = m[:i] + (e & 1,) + m[i + 1:]
                c = c * a ** (e >> 1)
            v = out.get(m)
            if v is None:
                out[m] = c
            else:
                v += c
                if v:
                    out[m] = v
                else:
                    del out[m]
        return out

    def split(self, p):
        """(N0, N1) with p = N0 + N1 r (p reduced)."""
        i = len(self.symbols)
        d0, d1 = {}, {}
        for mon, c in p.items():
            if mon[i] == 0:
                d0[mon] = c
            else:
                d1[mon[:i] + (0,)] = c
        return self.ring.from_dict(d0), self.ring.from_dict(d1)

    def fraction(self, num, den) -> "RadicalFraction":
        """N / D normalised: reduced, denominator rationalised and free of r, common factors cancelled,
        the denominator's leading coefficient 1."""
        num, den = self.reduce(num), self.reduce(den)
        if not den:
            raise ZeroDivisionError("a RadicalFraction with denominator 0")
        d0, d1 = self.split(den)
        if d1:
            conj = d0 - d1 * self.r
            num, den = self.reduce(num * conj), self.reduce(den * conj)
            if self.split(den)[1]:
                raise ArithmeticError(f"a denominator kept sqrt {self.a} after rationalising: {den}")
        if not num:
            return RadicalFraction(self, self.ring.zero, self.ring.one)
        num, den = self._cancel(num, den)
        lc = den.LC
        if lc != 1:
            num, den = num.quo_ground(lc), den.quo_ground(lc)
        return RadicalFraction(self, num, den)

    def _common_factor(self, num, den):
        """gcd(N0, N1, D) for N = N0 + N1 r (the common factor of a fraction), as gcd(D, every coefficient of N as a
        polynomial in the variables D does not hold): a common divisor of D is a polynomial in D's variables only,
        and such a polynomial divides N exactly when it divides each of those coefficients. The gcds are then of
        small polynomials (denominators here are in d alone), stopped at the first constant."""
        if den.is_ground:
            return self.ring.one
        held = [i for i, e in enumerate(den.degrees()) if e]
        if _flint is not None and len(held) > 1:
            return self._common_factor_mpoly(num, den, held)
        groups: dict = {}
        for mon, c in num.terms():
            key = tuple(e for i, e in enumerate(mon) if i not in held)
            sub = tuple(e if i in held else 0 for i, e in enumerate(mon))
            groups.setdefault(key, []).append((sub, c))
        if len(held) > 1:
            g = den
            for terms in sorted(groups.values(), key=len):
                g = g.gcd(self.ring(dict(terms)))
                if g.is_ground:
                    return self.ring.one
            return g
        return self._common_factor_dense(den, groups, held[0])

    def _cancel(self, num, den) -> tuple:
        """(N / g, D / g) for g = gcd(N0, N1, D), the common factor (:meth:`_common_factor`)."""
        if den.is_ground:
            return num, den
        held = [i for i, e in enumerate(den.degrees()) if e]
        if len(held) == 1 and _flint is not None:
            return self._cancel_flint(num, den, held[0])
        g = self._common_factor(num, den)
        if g != 1:
            num, den = num.exquo(g), den.exquo(g)
        return num, den

    def _cancel_flint(self, num, den, i: int) -> tuple:
        """:meth:`_cancel` where D is a polynomial in one variable x_i (the usual case: d): the coefficients of N as
        polynomials in x_i (one per monomial in the other variables), their gcd with D by FLINT's univariate gcds
        over QQ (``fmpq_poly``: the monic gcd, stopped at the first constant), and each divided by it there. The
        gcd is unique up to a rational factor, which the normalisation (D's leading coefficient 1) removes."""
        fq = _flint.fmpq
        native = QQ.dtype is fq     # SymPy's rationals are FLINT's: no conversion either way
        groups: dict = {}
        for mon, c in num.items():
            key = mon[:i] + mon[i + 1:]
            v = groups.get(key)
            if v is None:
                v = groups[key] = {}
            v[mon[i]] = c if native else fq(int(c.numerator), int(c.denominator))

        def dense(powers: dict):
            top = max(powers)
            out = [0] * (top + 1)
            for e, c in powers.items():
                out[e] = c          # FLINT's coefficients from the constant term up
            return _flint.fmpq_poly(out)
        D = dense({m[i]: (c if native else fq(int(c.numerator), int(c.denominator))) for m, c in den.items()})
        polys = {key: dense(powers) for key, powers in groups.items()}
        g = D
        for key in sorted(polys, key=lambda k: len(groups[k])):
            g = g.gcd(polys[key])
            if g.degree() < 1:
                return num, den

        def back(pieces) -> object:
            out = {}
            for key, p in pieces:
                q, rem = divmod(p, g)
                if rem:
                    raise ArithmeticError("a common factor that does not divide")
                for k, c in enumerate(q.coeffs()):
                    if c:
                        out[key[:i] + (k,) + key[i:]] = c if native else QQ(int(c.p), int(c.q))
            return self.ring.dtype(out) if native else self.ring.from_dict(out)
        zero = (0,) * (self.ring.ngens - 1)
        return back(polys.items()), back([(zero, D)])

    def _common_factor_mpoly(self, num, den, held: list):
        """:meth:`_common_factor` where D holds several variables: the coefficients of N as polynomials in D's
        variables, multivariate gcds over QQ in FLINT (``fmpq_mpoly``; unique up to a rational factor)."""
        fq = _flint.fmpq
        ctx = _flint.fmpq_mpoly_ctx.get(tuple(f"x{j}" for j in held), "lex")
        others = [j for j in range(self.ring.ngens) if j not in held]
        groups: dict = {}
        for mon, c in num.items():
            key = tuple(mon[j] for j in others)
            v = groups.get(key)
            if v is None:
                v = groups[key] = {}
            v[tuple(mon[j] for j in held)] = fq(int(c.numerator), int(c.denominator))
        g = ctx.from_dict({tuple(m[j] for j in held): fq(int(c.numerator), int(c.denominator)) for m, c in den.items()})
        for terms in sorted(groups.values(), key=len):
            g = g.gcd(ctx.from_dict(terms))
            if g.is_constant():
                return self.ring.one
        zero = [0] * self.ring.ngens
        out = {}
        for sub, c in g.to_dict().items():
            m = list(zero)
            for j, e in zip(held, sub):
                m[j] = int(e)
            out[tuple(m)] = QQ(int(c.p), int(c.q))
        return self.ring(out)

    def _common_factor_dense(self, den, groups: dict, i: int):
        """:meth:`_common_factor`'s one-variable case by SymPy's dense gcds over QQ (python-flint absent)."""
        from sympy.polys.euclidtools import dup_gcd

        def dense(terms) -> list:
            top = max(m[i] for m, _ in terms)
            out = [QQ(0)] * (top + 1)
            for m, c in terms:
                out[top - m[i]] += c
            return out
        g = dense(list(den.terms()))
        for terms in sorted(groups.values(), key=len):
            g = dup_gcd(g, dense(terms), QQ)
            if len(g) == 1:
                return self.ring.one
        n = len(g) - 1
        return self.ring({tuple(n - k if j == i else 0 for j in range(self.ring.ngens)): c
                          for k, c in enumerate(g) if c})

    def element(self, expr: sp.Expr) -> "RadicalFraction":
        """A SymPy expression rational in the symbols, numbers in QQ(sqrt a), as an element (each expression read
        once per field: elements are immutable)."""
        expr = sp.sympify(expr)
        hit = self._elements.get(expr)
        if hit is None:
            hit = self._elements[expr] = self._element(expr)
        return hit

    def _element(self, expr: sp.Expr) -> "RadicalFraction":
        e = expr.xreplace({self.root: self._r})
        if e.has(sp.sqrt(self.a)) or e.atoms(sp.Float) or any(p.exp.is_Rational and not p.exp.is_Integer and
                                                              p.base.is_number for p in e.atoms(sp.Pow)):
            raise ValueError(f"expr: expected exact numbers in QQ(sqrt {self.a}), got {expr}")
        try:
            num, den = self._read(e)
        except _NotRational:
            raise ValueError(f"expr: expected a rational function of {', '.join(map(str, self.symbols))} with "
                             f"numbers in QQ(sqrt {self.a}), got {expr}") from None
        return self.fraction(num, den)

    def _read(self, e: sp.Expr) -> tuple:
        """``e`` (sqrt a written as the ring's r) as (N, D), polynomials of the ring, by its tree: sums and products
        of fractions, integer powers (a negative one swaps N and D), the ring's generators and rationals. Not
        normalised: :meth:`fraction` then gives the one normal form of N / D (unique: the same element whichever
        way the expression is read, as ``together`` then the ring would)."""
        R = self.ring
        if e.is_Rational:
            return R.ground_new(R.domain.from_sympy(e)), R.one
        if e.is_Symbol:
            g = self.gens.get(e)
            if g is None:
                if e != self._r:
                    raise _NotRational(e)
                g = self.r
            return g, R.one
        if e.is_Add:
            num, den = R.zero, R.one
            for a in e.args:
                n, d = self._read(a)
                num, den = (num + n, den) if d == den else (num * d + n * den, den * d)
            return num, den
        if e.is_Mul:
            num, den = R.one, R.one
            for a in e.args:
                n, d = self._read(a)
                num, den = num * n, den * d
            return num, den
        if e.is_Pow and e.exp.is_Integer:
            n, d = self._read(e.base)
            k = int(e.exp)
            return (n ** k, d ** k) if k >= 0 else (d ** -k, n ** -k)
        raise _NotRational(e)

    def one(self) -> "RadicalFraction":
        return RadicalFraction(self, self.ring.one, self.ring.one)

    def coeff(self, x: "RadicalFraction", symbol: sp.Symbol, k: int) -> "RadicalFraction":
        """The coefficient of symbol^k in ``x`` (its denominator free of ``symbol``)."""
        i = list(self.symbols).index(symbol)
        if any(mon[i] for mon in x.den.monoms()):
            raise ValueError(f"coeff: expected a denominator free of {symbol}")
        num = {mon[:i] + (0,) + mon[i + 1:]: c for mon, c in x.num.items() if mon[i] == k}
        return self.fraction(self.ring.from_dict(num), x.den)

    # ------------------------------------------------------------------ substitution
    def subs(self, x: "RadicalFraction", symbol: sp.Symbol, value: "RadicalFraction") -> "RadicalFraction":
        """``x`` with ``symbol`` replaced by ``value`` (both numerator and denominator of ``x``): N(v) / D(v) with
        v = a / b, each written P(a, b) / b^deg, normalised once (one gcd)."""
        pn, qn = self._subs_poly(x.num, symbol, value)
        pd, qd = self._subs_poly(x.den, symbol, value)
        if not pd:
            raise ZeroDivisionError("a RadicalFraction with denominator 0")
        return self.fraction(pn * qd, qn * pd)

    def subs_many(self, x: "RadicalFraction", pairs) -> "RadicalFraction":
        """``x`` with each ``(symbol, value)`` of ``pairs`` put in, in order (as repeated :meth:`subs`), the
        numerator and denominator carried unnormalised between them and normalised once at the end."""
        num, den = x.num, x.den
        for symbol, value in pairs:
            pn, qn = self._subs_poly(num, symbol, value)
            pd, qd = self._subs_poly(den, symbol, value)
            num, den = pn * qd, qn * pd
        if not self.reduce(den):
            raise ZeroDivisionError("a RadicalFraction with denominator 0")
        return self.fraction(num, den)

    def _subs_poly(self, p, symbol: sp.Symbol, value: "RadicalFraction") -> tuple:
        """p(a / b) as (P, b^top), P = sum_k c_k a^k b^(top - k) reduced (not normalised), top = deg p."""
        if not p:
            return self.ring.zero, self.ring.one
        i = self.symbols.index(symbol)
        by_power: dict = {}
        for mon, c in p.items():       # distinct monomials stay distinct with x's power set to 0 within a power
            by_power.setdefault(mon[i], {})[mon[:i] + (0,) + mon[i + 1:]] = c
        top = max(by_power)
        num = self.ring.zero
        pow_n, pow_d = [self.ring.one], [self.ring.one]
        for _ in range(top):
            pow_n.append(self.reduce(pow_n[-1] * value.num))
            pow_d.append(pow_d[-1] * value.den)
        for k, c in by_power.items():      # the small factors first: c is the long one
            num += self.ring.from_dict(c) * (pow_n[k] * pow_d[top - k])
        return self.reduce(num), pow_d[top]


@dataclass(frozen=True)
class RadicalFraction:
    """N / D in a :class:`RadicalField` (normalised by :meth:`RadicalField.fraction`)."""

    field: RadicalField
    num: object
    den: object

    def _other(self, o) -> "RadicalFraction":
        return o if isinstance(o, RadicalFraction) else self.field.element(o)

    def __add__(self, o):
        o = self._other(o)
        return self.field.fraction(self.num * o.den + o.num * self.den, self.den * o.den)

    __radd__ = __add__

    def __neg__(self):
        return RadicalFraction(self.field, -self.num, self.den)

    def __sub__(self, o):
        return self + (-self._other(o))

    def __rsub__(self, o):
        return self._other(o) - self

    def __mul__(self, o):
        o = self._other(o)
        return self.field.fraction(self.num * o.num, self.den * o.den)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = self._other(o)
        return self.field.fraction(self.num * o.den, self.den * o.num)

    def __rtruediv__(self, o):
        return self._other(o) / self

    def is_zero(self) -> bool:
        return not self.num

    def __eq__(self, o) -> bool:
        """Equal values: equal normal forms (:meth:`RadicalField.fraction`'s N / D is unique: D monic and free of r,
        gcd(N0, N1, D) = 1), so the parts are compared, no arithmetic."""
        if not isinstance(o, RadicalFraction):
            try:
                o = self._other(o)
            except (ValueError, TypeError, sp.SympifyError):
                return NotImplemented
        if o.field is not self.field:
            return (self - o).is_zero()
        return self.num == o.num and self.den == o.den

    def __hash__(self) -> int:
        return hash((self.num, self.den))

    def conjugate(self) -> "RadicalFraction":
        """sqrt a -> -sqrt a (the field's automorphism over QQ(symbols))."""
        n0, n1 = self.field.split(self.num)
        return self.field.fraction(n0 - n1 * self.field.r, self.den)

    def parts(self) -> tuple:
        """(N0, N1, D): self = (N0 + N1 sqrt a) / D."""
        n0, n1 = self.field.split(self.num)
        return n0, n1, self.den

    def expr(self) -> sp.Expr:
        """As a SymPy expression: (N0 + N1 sqrt a) / D, the numerator collected, the denominator factored."""
        n0, n1 = self.field.split(self.num)
        num = n0.as_expr() + n1.as_expr() * self.field.root
        return num / self.field.factored(self.den)

    def value(self, point: dict) -> float:
        """The float value at ``point`` (symbol -> number, every symbol that occurs)."""
        occurs = {s for p in (self.num, self.den) for mon in p.monoms() for s, e in zip(self.field.symbols, mon) if e}
        missing = [str(s) for s in self.field.symbols if s in occurs and s not in point]
        if missing:
            raise ValueError(f"point: expected a value for {', '.join(missing)} (every symbol that occurs)")
        xs = [float(point.get(s, 0.0)) for s in self.field.symbols] + [float(self.field.root)]

        def ev(p) -> float:
            tot = 0.0
            for mon, c in p.terms():
                t = float(c)
                for x, e in zip(xs, mon):
                    if e:
                        t *= x ** e
                tot += t
            return tot
        return ev(self.num) / ev(self.den)

    def positive_for(self, symbol: sp.Symbol) -> bool | None:
        """True when self > 0 for every value > 0 of ``symbol`` (the only symbol left), proved by the signs of the
        coefficients of numerator and denominator (each coefficient a + b sqrt a, its sign decided exactly);
        False when every coefficient of the numerator has the denominator's opposite sign (self < 0 there);
        None when the signs do not decide."""
        signs = []
        for p in (self.num, self.den):
            coeffs: dict = {}
            n0, n1 = self.field.split(p)
            for part, j in ((n0, 0), (n1, 1)):
                for mon, c in part.terms():
                    if any(e for s, e in zip(self.field.symbols, mon) if s != symbol):
                        raise ValueError(f"positive_for: expected a function of {symbol} only, got {self.expr()}")
                    k = mon[self.field.symbols.index(symbol)]
                    coeffs.setdefault(k, [QQ(0), QQ(0)])[j] += c
            signs.append({self.field_sign(a, b) for a, b in coeffs.values()} - {0})
        if len(signs[0]) == 1 and len(signs[1]) == 1:
            return signs[0] == signs[1]
        return None

    def field_sign(self, a, b) -> int:
        """sign(a + b sqrt(field.a)) for rationals a, b, exactly."""
        a, b = (QQ.from_sympy(x) if isinstance(x, sp.Basic) else x for x in (a, b))
        sa, sb = (a > 0) - (a < 0), (b > 0) - (b < 0)
        if sa == sb or sb == 0:
            return sa
        if sa == 0:
            return sb
        return sa if a * a > int(self.field.a) * b * b else -sa
