"""A derived strategy: the :class:`Strategy` and :class:`Step` types, and their helpers.

A :class:`Strategy` holds a derivation's optimal blocks (V's last row ``(v_0, v_x, v_y)`` and
the blocks of Q that reach the output), what the objective leaves free, the convention that
fixes the free entries, and the recorded steps.  Its methods give the errors
``E(V*, Q*, n; theta)`` exactly, for any task and any ``n`` (``n -> oo`` as a limit).

Every derivation (:mod:`symbolic.pretraining`, :mod:`symbolic.strategies`,
:mod:`symbolic.general`) returns one; this module knows none of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import sympy as sp

from . import ratfun
from .expansion import expand as _expand, polynomial_expand as _polynomial_expand
from .bilinear import Bilinear
from .convert import limit_n, limit_poly, to_sympy
from .definitions import DEFINITIONS, definition
from .forms import Poly
from .model import Blocks, MatExpr
from .objective import N, THETA, THETA0, expected_error
from .printing import latex
from .scaling import scale
from .validation import check_count
from .words import DIM, word_expr

__all__ = ["Step", "Strategy", "matexpr_to_sympy", "vecexpr_to_sympy", "limit_n", "limit_poly", "tidy"]


class Step:
    """One step of a derivation: what was done, and the SymPy object it produced.

    ``Step(text, expr)``, or ``Step(text, later=f)``: ``expr`` is ``f()``, computed on first
    access (a form for display, e.g. a whole loss collected and factored, that no check reads:
    ``prove`` then never pays for it).  Immutable, compared and hashed as ``(text, expr)``."""

    __slots__ = ("text", "_expr", "_later")

    def __init__(self, text: str, expr: object = None, *, later: Callable[[], object] | None = None) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "_expr", expr)
        object.__setattr__(self, "_later", later)

    @property
    def expr(self) -> object:
        if self._later is not None:
            object.__setattr__(self, "_expr", self._later())
            object.__setattr__(self, "_later", None)
        return self._expr

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Step is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Step) and (self.text, self.expr) == (other.text, other.expr)

    def __hash__(self) -> int:
        return hash((self.text, self.expr))

    def __repr__(self) -> str:
        return f"Step(text={self.text!r}, expr={self.expr!r})"

    def __reduce__(self):
        return (Step, (self.text, self.expr))

    def __str__(self) -> str:
        return self.text if self.expr is None else f"{self.text}: {sp.sstr(self.expr)}"


def matexpr_to_sympy(M_: MatExpr) -> sp.Basic:
    """A SymPy matrix expression for ``sum c W`` (``ZeroMatrix`` when empty)."""
    if not M_:
        return sp.ZeroMatrix(DIM, DIM)
    return sp.MatAdd(*[scale(c, word_expr(w)) for c, w in M_]) if len(M_) > 1 else scale(M_[0][0], word_expr(M_[0][1]))


def vecexpr_to_sympy(v) -> sp.Basic:
    """A SymPy matrix expression for the vector ``sum c W a``."""
    if not v:
        return sp.ZeroMatrix(DIM, 1)
    parts = [scale(c, a if not w else sp.MatMul(word_expr(w), a)) for c, w, a in v]
    return sp.MatAdd(*parts) if len(parts) > 1 else parts[0]


@dataclass
class Strategy:
    """A derived strategy: its optimal blocks, what is free, its convention, its steps."""

    name: str
    blocks: Blocks
    m: sp.Expr
    n_ft: sp.Expr | None = None
    free: list[str] = field(default_factory=list)
    convention: str = ""
    steps: list[Step] = field(default_factory=list)
    #: ``free`` and ``convention`` as LaTeX text (amsmath only), for documents.
    free_latex: list[str] = field(default_factory=list)
    convention_latex: str = ""
    #: the :class:`symbolic.spec.Spec` it was derived from (None for (a) and (b))
    spec: object = None

    @property
    def bindings(self) -> dict:
        """Concrete values of the symbols a JSON spec introduced (task vectors, covariances)."""
        return dict(getattr(self.spec, "bindings", ()) or ())

    def error_poly(self, task: sp.Basic = THETA, n: sp.Expr | int = N) -> Poly:
        """``E(V*, Q*, n; task)`` as an engine polynomial."""
        return expected_error(self.blocks, task, n)

    def abstract_blocks(self, min_ops: int = 12) -> tuple[Blocks, dict]:
        """The blocks with every long coefficient (a formula of traces and bilinear forms, e.g.
        v_y of a spec with a finite-n loss, or the scalar in front of theta_0 in v_x) replaced
        by a symbol (``v_y_star``, ``c_vx_star``...), and the map symbol -> formula: the engine
        then multiplies short coefficients.  Long: more than ``min_ops`` operations (0: every
        coefficient with a trace or a bilinear form in it, so that an error is written in the
        blocks' names).  Computed once per strategy and ``min_ops`` (each error of the strategy
        reads it; a copy of the map is returned)."""
        memo = self.__dict__.setdefault("_abstract_memo", {})
        hit = memo.get(min_ops)
        if hit is None or hit[0] is not self.blocks:
            hit = memo[min_ops] = (self.blocks, *self._abstract_blocks(min_ops))
        return hit[1], dict(hit[2])

    def _abstract_blocks(self, min_ops: int) -> tuple[Blocks, dict]:
        """:meth:`abstract_blocks`, computed."""
        subs: dict = {}

        def short(e, name):
            e = sp.sympify(e)
            if e.atoms(Bilinear, sp.Trace) and sp.count_ops(e) > min_ops:
                sym = sp.Symbol(name)
                subs[sym] = e
                return sym
            return e
        kw = {}
        for f, name in (("v0", "v_0"), ("vy", "v_y"), ("Q00", "Q_00"), ("Qy0", "Q_y0")):
            kw[f] = short(getattr(self.blocks, f), name + "_star")
        for f in ("vx", "q0x", "qx0", "qyx"):
            terms = getattr(self.blocks, f)
            kw[f] = tuple((short(c, f"c_{f}_star" + (str(k + 1) if len(terms) > 1 else "")), w, a)
                          for k, (c, w, a) in enumerate(terms))
        return self.blocks.with_(**kw), subs

    def error_in_blocks(self, task: sp.Basic = THETA, n: sp.Expr | int = N,
                        min_ops: int = 12, collect: bool = True) -> tuple[sp.Expr, dict]:
        """``E(V*, Q*, n; task)`` written with the long scalar blocks as symbols (``v_y*``...),
        and the map symbol -> formula; ``n = oo`` gives the limit.  Fast where :meth:`error`
        expands everything.  ``min_ops``: as in :meth:`abstract_blocks`; ``collect=False``
        skips :func:`tidy` (the same value, uncollected: for a caller that evaluates it)."""
        b, subs = self.abstract_blocks(min_ops)
        p = expected_error(b, task, n)   # n = oo: the limit
        return (tidy(to_sympy(p)) if collect else to_sympy(p)), subs

    def error(self, task: sp.Basic = THETA, n: sp.Expr | int = N) -> sp.Expr:
        """``E(V*, Q*, n; task)``, exact, for any task vector and n (symbol or integer)."""
        return tidy(to_sympy(self.error_poly(task, n)))

    def zero_shot_error(self) -> sp.Expr:
        """``E(V*, Q*, 0; theta_0)``."""
        return self.error(THETA0, 0)

    def few_shot_limit(self, task: sp.Basic = THETA) -> sp.Expr:
        """``lim_{n -> oo} E(V*, Q*, n; task)``."""
        return tidy(to_sympy(self.error_poly(task, sp.oo)))

    def parameters(self) -> dict[str, sp.Basic]:
        """The derived blocks as SymPy objects, keyed by block name (:mod:`symbolic.layout`):
        ``v0, vx, vy`` (V's last row) and Q's ``Q00, q0x, qx0, Qxx, Qy0, qyx``; scalars as
        expressions, vectors d x 1, Q_xx d x d."""
        from .layout import LAYOUT
        convert = {"scalar": sp.sympify, "vector": vecexpr_to_sympy, "matrix": matexpr_to_sympy}
        return {b.name: convert[b.kind](getattr(self.blocks, b.name)) for b in LAYOUT}

    def definitions(self) -> dict[str, sp.Basic]:
        """Derived matrices the parameters refer to (e.g. ``Gamma_hat_m``), with their definitions."""
        found = {}
        for e in self.parameters().values():
            for sym in sp.sympify(e).atoms(sp.MatrixSymbol):
                if definition(sym) is not None:
                    found[sym.name] = definition(sym)
        # a definition may refer to another derived matrix: list those it refers to first
        order = sorted(found, key=lambda k: (sum(k in str(v) for v in found.values()) == 0, k))
        return {k: found[k] for k in order}

    def evaluate_error(self, n: int, *, Sigma, theta0, theta=None, sigma2=0, C=1, digits: int | None = None,
                       values: dict | None = None, arithmetic: object = "exact", precision: int | None = None):
        """``E(V*, Q*, n; theta)`` at an explicit setting, in an arithmetic
        (:mod:`symbolic.arithmetic`, or its name): exact (rational inputs give a Rational; with
        ``digits``, an mpmath float of that many significant digits), ``"float"`` (numpy,
        O(d^3), any d) or ``"mp"`` with ``precision`` digits. Sigma is checked by the
        arithmetic's positive-definiteness rule.

        ``theta`` defaults to ``theta0``; ``C`` is strategy (b)'s free scale; ``values`` gives
        other symbols of the derivation (a spec's task vectors ``theta_1``..., weights), on top of
        :attr:`bindings`.
        """
        from .arithmetic import as_arithmetic
        from .evaluation import evaluate_poly, numeric_env
        from .validation import _exact, check_nonnegative
        n = check_count(n, "n", allow_inf=False, allow_symbol=False)
        arith = as_arithmetic(arithmetic, precision)
        S, _ = arith.spd(Sigma, "Sigma")
        d = arith.shape(S)[0]
        theta0 = arith.vector(theta0, "theta0", d)
        theta = theta0 if theta is None else arith.vector(theta, "theta", d)
        sigma2 = check_nonnegative(sigma2, "sigma2")
        C = _exact(C, "C")
        if C == 0:
            raise ValueError("C: expected a nonzero scale")
        if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 1000):
            raise ValueError(f"digits: expected None (exact) or an integer 1 <= digits <= 1000, got {digits!r}")
        env = {**self.bindings, **_checked_values(values, d),
               "Sigma": S, "theta_0": theta0, "theta": theta, "sigma": sp.sqrt(sigma2), "C": C, "n": n}
        if not arith.exact:
            ne = numeric_env(env, arith)
            for k, e in self.definitions().items():
                ne.values[k] = ne.matrix(e)
            return ne.poly(self.error_poly(THETA, n))
        value = evaluate_poly(self.error_poly(THETA, n), env)
        value = sp.simplify(value) if getattr(value, "free_symbols", None) else value
        return value if digits is None else sp.N(value, digits)

    def __str__(self) -> str:
        lines = [f"strategy {self.name!r} (m = {self.m}" + (f", n_ft = {self.n_ft})" if self.n_ft is not None else ")")]
        from .layout import block
        for k, v in self.parameters().items():
            if v != 0 and not getattr(v, "is_ZeroMatrix", False):
                lines.append(f"  {block(k).symbol} = {sp.sstr(v)}")
        for k, v in self.definitions().items():
            lines.append(f"  where {k} = {sp.sstr(v)}")
        lines.append("  every other block of V's last row and of Q[:, :d+1] is 0")
        lines.append("  free: " + "; ".join(self.free))
        lines.append("  convention: " + self.convention)
        return "\n".join(lines)

    __repr__ = __str__

    def latex(self) -> str:
        """The derived parameters as an amsmath ``aligned`` block."""
        from .layout import block
        rows = []
        for k, v in self.parameters().items():
            if v != 0 and not getattr(v, "is_ZeroMatrix", False):
                rows.append(f"{block(k).latex} &= {latex(v)}")
        for k, v in self.definitions().items():
            rows.append(f"{_latex_name(k)} &:= {latex(v)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$\\displaystyle " + self.latex() + "$"

    @property
    def Qxx(self) -> sp.Basic:
        return matexpr_to_sympy(self.blocks.Qxx)

    @property
    def vx(self) -> sp.Basic:
        return vecexpr_to_sympy(self.blocks.vx)


def _latex_name(name: str) -> str:
    return DEFINITIONS[name][1] if name in DEFINITIONS else name


def tidy(e: sp.Expr) -> sp.Expr:
    """Collect an error formula by its matrix scalars and sigma, each coefficient factored.

    The keys are the traces and bilinear forms (in ``srepr`` order), then sigma; each term of
    the expanded formula goes to the first key it holds, under that key's power, the terms
    with none under 1, and each group's coefficient is factored: what ``sympy.collect(e, keys,
    func=sympy.factor)`` returns, term for term, without its pattern matching (most of its cost).
    Remembered per formula (a function of the expression alone; two tasks or two n often give
    the same formula, e.g. theta_0 and -theta_0 where the prediction is odd in the labels)."""
    e = sp.sympify(e)
    try:
        hash(e)
    except TypeError:   # (not an expression SymPy can hash: computed afresh)
        return _tidy.__wrapped__(e)
    return _tidy(e)


@lru_cache(maxsize=1024)
def _tidy(e: sp.Expr) -> sp.Expr:
    e = _expand(e)
    # only a key that is the base of some term's factor decides a group: the keys are read off
    # those bases (not off every atom of the expanded formula, most of the cost), in the same order
    terms = [(term, sp.Mul.make_args(term)) for term in sp.Add.make_args(e)]
    bases = [[f.as_base_exp()[0] for f in factors] for _, factors in terms]
    mats, sigmas = set(), []
    for bs in bases:
        for b in bs:
            if isinstance(b, (sp.Trace, Bilinear)):
                mats.add(b)
            elif b.is_Symbol and b.name == "sigma" and b not in sigmas:
                sigmas.append(b)
    keys = sorted(mats, key=sp.srepr) + sigmas
    rank = {k: i for i, k in enumerate(keys)}
    groups: dict = {}
    for (term, factors), bs in zip(terms, bases):
        best, best_rank = None, len(keys)
        for i, b in enumerate(bs):
            r = rank.get(b)
            if r is not None and r < best_rank:
                best, best_rank = i, r
        if best is None:
            groups.setdefault(sp.S.One, []).append(term)
        else:
            groups.setdefault(factors[best], []).append(sp.Mul(*(factors[:best] + factors[best + 1:])))
    return sp.Add(*[k * factor_sum(rest) for k, rest in groups.items()])


def factor_sum(terms: list) -> sp.Expr:
    """``sympy.factor(Add(*terms))`` for terms that are products of powers (an expanded sum of
    fractions), with the terms put over one denominator first: the product of each base that
    divides a term to the largest power any term has, each numerator multiplied by the powers it
    lacks.  ``factor`` would find that denominator itself by gcds of every pair of terms' factors
    (most of its cost on these sums); its result depends only on the rational function (each
    irreducible factor normalised, the constant in front), so the two agree.  Terms holding a
    non-integer power or a function go to ``factor`` as they are."""
    dens: dict = {}
    split = []
    for t in terms:
        num, den = [], {}
        for f in sp.Mul.make_args(t):
            b, e = f.as_base_exp()
            if not e.is_Integer or isinstance(b, sp.Function):
                return ratfun.factored(sp.Add(*terms))
            if e.is_negative and not b.is_number:
                den[b] = den.get(b, 0) - int(e)
            else:
                num.append(f)
        split.append((num, den))
        for b, k in den.items():
            dens[b] = max(dens.get(b, 0), k)
    if not dens:
        return ratfun.factored(sp.Add(*terms))
    N = sp.Add(*[sp.Mul(*num, *[b ** (dens[b] - den.get(b, 0)) for b in dens]) for num, den in split])
    try:
        return _factor_over(N, dens)
    except (ratfun.NotRational, ZeroDivisionError):
        pass
    # each denominator base (an expanded product, the same in many groups and formulas) enters
    # factored, factored once per process: the same rational function, so the same result
    return ratfun.factored(_polynomial_expand(N) / sp.Mul(*[_factored_base(b) ** k for b, k in dens.items()]))


def _factor_over(N: sp.Expr, dens: dict) -> sp.Expr:
    """``sympy.factor(N / prod b^k)`` (``dens``: each base b -> k; N a polynomial expression) for
    a rational function of symbols, traces and bilinear forms, in a polynomial ring over QQ: each
    base's irreducible factors (remembered per base) are divided out of N's polynomial as often
    as they divide it (exact divisions), and only what is left of N is factored.  The
    factorisation into a constant and powers of irreducible polynomials, each primitive with a
    positive leading coefficient in the lex order of SymPy's ordering of the generators, is
    unique, so the constant and the powers are those :func:`symbolic.ratfun.factor` finds by
    factoring the whole numerator (most of its cost, on a numerator over the common
    denominator), and the expression built from them is the one it returns.
    :class:`symbolic.ratfun.NotRational` where N or a base is not such a polynomial."""
    from sympy.core.exprtools import _keep_coeff
    from sympy.polys.domains import QQ
    from sympy.polys.polyutils import _sort_gens
    gens: set = set()
    ratfun._generators(N, gens)
    for b in dens:
        ratfun._generators(b, gens)
    if not gens:
        raise ratfun.NotRational("no generators")
    R = ratfun._ring(_sort_gens(sorted(gens, key=sp.default_sort_key)))
    cache: dict = {}
    num, rest = ratfun.numer_denom(N, R, cache)
    if rest:
        raise ratfun.NotRational("a denominator in the numerator")
    if not num:
        return sp.S.Zero
    coeff, below = QQ.one, {}
    for b, k in dens.items():
        cb, factors = _base_factors(b)
        coeff = coeff / cb ** k
        for f, j in factors:
            f = ratfun.numer_denom(f, R, cache)[0]
            below[f] = below.get(f, 0) + j * k
    powers: dict = {}
    for f, j in below.items():
        while j:
            q, r = num.div(f)
            if r:
                break
            num, j = q, j - 1
        if j:
            powers[f] = -j
    c, found = ratfun.factor_list(num)
    coeff = coeff * c
    for f, k in found:
        powers[f] = powers.get(f, 0) + k
    return _keep_coeff(QQ.to_sympy(coeff), sp.Mul(*[f.as_expr() ** k for f, k in powers.items() if k]))


@lru_cache(maxsize=4096)
def _base_factors(b: sp.Expr) -> tuple:
    """``(c, ((f, j), ...))``: a denominator base of :func:`factor_sum` as ``c prod f^j`` (c in QQ, each
    f an irreducible polynomial, as an expression, primitive with a positive leading coefficient),
    in the ring of its own generators (each f has that normal form in any ring with more generators
    in SymPy's ordering), remembered."""
    gens: set = set()
    ratfun._generators(b, gens)
    if not gens:
        raise ratfun.NotRational("a number")
    from sympy.polys.polyutils import _sort_gens
    num, den = ratfun.numer_denom(b, ratfun._ring(_sort_gens(sorted(gens, key=sp.default_sort_key))))
    if den:
        raise ratfun.NotRational("a base with a denominator")
    c, found = ratfun.factor_list(num)
    return c, tuple((f.as_expr(), j) for f, j in found)


@lru_cache(maxsize=4096)
def _factored_base(b: sp.Expr) -> sp.Expr:
    """``sympy.factor(b)`` of a denominator base in :func:`factor_sum`, remembered."""
    return ratfun.factored(b)


def _checked_values(values: dict | None, d: int) -> dict:
    """``evaluate_error``'s ``values``: a name (or symbol) -> a number, a d-vector or a d x d
    matrix, each checked against d (a wrong length is a ValueError naming it, not a ShapeError)."""
    from .validation import _exact, check_matrix, check_vector
    if values is None:
        return {}
    if not hasattr(values, "items"):
        raise ValueError(f"values: expected a dict from symbol names to numbers or matrices, got {type(values).__name__}")
    out = {}
    for k, v in values.items():
        name = getattr(k, "name", str(k))
        shape = getattr(k, "shape", None)
        if isinstance(v, (list, tuple)) or getattr(v, "shape", ()) not in ((), None):
            rows = v.tolist() if hasattr(v, "tolist") else list(v)
            flat = bool(rows) and not any(isinstance(r, (list, tuple)) for r in rows)
            if flat or (shape is not None and shape[1] == 1):
                v = check_vector(v, f"values[{name!r}]", d)
            else:
                v = check_matrix(v, f"values[{name!r}]", (d, d))
        else:
            v = _exact(v, f"values[{name!r}]")
        out[name] = v
    return out
