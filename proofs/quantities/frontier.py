"""The zero-shot / few-shot trade-off of value-matrix fine-tuning, exactly.

Value fine-tuning (V's last row ``v0, vx, vy`` trained, Q fixed at the pretrained
``Q_hat``) on the mixed loss

    E(V, Q_hat, 0; theta_0) + lambda * E(V, Q_hat, n_ft; theta_0),     lambda > 0,

is derived once with lambda a symbol (:func:`tradeoff_spec` through the general
derivation, :func:`symbolic.derive`); at an explicit setting (d, sigma^2, m, Sigma,
theta_0) its three errors

- ``zero_shot(lambda)`` = E(V(lambda), Q_hat, 0; theta_0),
- ``few_shot_target(lambda)`` = E(V(lambda), Q_hat, n; theta_0),
- ``few_shot_opposite(lambda)`` = E(V(lambda), Q_hat, n; -theta_0)

(n given, or the limit n -> oo) are exact rational functions of lambda
(:func:`frontier_formulas`). ``lambda = 0`` stands for the limit lambda -> 0+ and
``lambda = oo`` for lambda -> oo; :func:`frontier` *checks*, exactly, that these limits
equal strategy (d) ``value-fewshot`` at the same n_ft and the spec "value fine-tuning on
the few-shot loss alone" (:func:`fewshot_spec`), each derived on its own, and says
whether each error is monotone in lambda on (0, oo) (an exact count of the roots of its
derivative's numerator there).

At n_ft = oo (and m = oo) the mixed-loss minimiser does not depend on lambda: every
lambda gives strategy (d) and the curve is a single point (:attr:`Frontier.degenerate`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import sympy as sp

from symbolic.ratfun import cancel_polys

__all__ = ["LAMBDA", "MU", "tradeoff_spec", "reciprocal_spec", "fewshot_spec", "mixed_values", "frontier_formulas", "frontier", "Frontier",
           "FrontierRow", "MAX_LAMBDAS", "COLUMNS"]

#: the weight of the few-shot loss
LAMBDA = sp.Symbol("lambda", positive=True)
#: at most this many values of lambda in one call (each row costs a substitution)
MAX_LAMBDAS = 1000
#: the three errors of a row, in order
COLUMNS = ("zero_shot", "few_shot_target", "few_shot_opposite")
TRAIN = ("v0", "vx", "vy")


def _key(n: Any) -> Any:
    return sp.oo if n is None or n == sp.oo else sp.Integer(int(n))


def tradeoff_spec(n_ft: Any, lam: Any = LAMBDA):
    """The spec: train V's last row on ``E(0; theta_0) + lambda E(n_ft; theta_0)`` (``n_ft`` an
    integer >= 1, or None / oo; ``lam`` the symbol lambda, or a number)."""
    from symbolic.spec import make_spec
    return make_spec(list(TRAIN), [(1, 0, "target"), (lam, _key(n_ft), "target")], name="tradeoff-value")


#: the weight of the zero-shot loss in :func:`reciprocal_spec` (mu = 1/lambda)
MU = sp.Symbol("mu", positive=True)


def reciprocal_spec(n_ft: Any):
    """The mixed loss with the weights the other way round: ``mu E(0; theta_0) + E(n_ft; theta_0)``,
    whose minimiser at mu is the tradeoff spec's at lambda = 1/mu (a loss scaled by 1/lambda has
    the same minimisers); lambda -> oo is mu -> 0+."""
    from symbolic.spec import make_spec
    return make_spec(list(TRAIN), [(MU, 0, "target"), (1, _key(n_ft), "target")], name="tradeoff-value-reciprocal")


def fewshot_spec(n_ft: Any):
    """The spec of the end lambda -> oo: train V's last row on ``E(n_ft; theta_0)`` alone."""
    from symbolic.spec import make_spec
    return make_spec(list(TRAIN), [(1, _key(n_ft), "target")], name="value-fewshot-only")


@lru_cache(maxsize=32)
def _errors_in_blocks(spec: Any, m_key: Any, n_key: Any):
    """The derived strategy of ``spec`` and, per task, its error in blocks at n = ``n_key``
    and at n = 0 (symbols for long coefficients, and their formulas)."""
    from symbolic import THETA0
    from proofs.quantities.derivations import strategy
    s = strategy(spec, m_key)
    out = {"zero_shot": s.error_in_blocks(THETA0, 0),
           "few_shot_target": s.error_in_blocks(THETA0, n_key),
           "few_shot_opposite": s.error_in_blocks(-THETA0, n_key)}
    return s, out


def _errors_to_evaluate(spec: Any, m_key: Any, n_key: Any, cols: tuple = COLUMNS):
    """:func:`_errors_in_blocks` uncollected (``collect=False``: the same values, without the
    grouping and factoring that printing wants), for evaluation at a setting; ``cols``: the
    columns wanted (of :data:`COLUMNS`), each read once per derivation and n
    (:func:`_column_to_evaluate`, whichever columns a caller asks for with it)."""
    from proofs.quantities.derivations import strategy
    s = strategy(spec, m_key)
    return s, {col: _column_to_evaluate(spec, m_key, n_key, col) for col in COLUMNS if col in cols}


@lru_cache(maxsize=96)
def _column_to_evaluate(spec: Any, m_key: Any, n_key: Any, col: str):
    """One column of :func:`_errors_to_evaluate`: the error in blocks, uncollected."""
    from symbolic import THETA0
    from proofs.quantities.derivations import strategy
    what = {"zero_shot": (THETA0, 0), "few_shot_target": (THETA0, n_key), "few_shot_opposite": (-THETA0, n_key)}
    return strategy(spec, m_key).error_in_blocks(*what[col], collect=False)


@lru_cache(maxsize=32)
def _definitions(spec: Any, m_key: Any) -> dict:
    """The derived matrices the strategy of ``spec`` at m refers to (``Strategy.definitions``),
    read once per derivation (every setting and n evaluates with them)."""
    from proofs.quantities.derivations import strategy
    return strategy(spec, m_key).definitions()


def _freeze(env: dict) -> tuple:
    return tuple(sorted((k, tuple(map(tuple, v.tolist())) if isinstance(v, sp.MatrixBase) else v)
                        for k, v in env.items()))


@lru_cache(maxsize=64)
def _spec_errors(spec: Any, m: Any, n: Any, env_key: tuple) -> dict[str, sp.Expr]:
    from symbolic.univariate import reduced
    return {col: sp.factor(reduced(None, LAMBDA, element=e) if e is not None else f)   # in QQ(lambda): field arithmetic
            for col, (e, f) in _spec_fractions(spec, m, n, env_key).items()}


def _spec_fractions(spec: Any, m: Any, n: Any, env_key: tuple, cols: tuple = COLUMNS) -> dict[str, tuple]:
    """``{column: (element of QQ(lambda) or None, the error as an expression)}`` at the setting:
    the element where the error lies in QQ(lambda), else None and the error reduced by
    ``cancel(together())``; each column computed once per (spec, m, n, setting)
    (:func:`_spec_fraction`), whichever columns a caller asks for with it.

    At m = oo the errors are first evaluated with sigma a symbol, once per (spec, n, Sigma,
    theta_0) (:func:`_in_sigma`: elements of QQ(lambda, sigma)), and read at each sigma^2 given
    (:func:`_at_sigma`): the same elements of QQ(lambda) as evaluating at that sigma, at a
    fraction of the cost when several sigma^2 share a Sigma and theta_0 (the map of
    ``early-stopping-vs-auxiliary``); where that does not apply (a column outside QQ(lambda,
    sigma), an odd power of sigma, a denominator that vanishes at the sigma^2), the setting is
    evaluated directly.  ``cols``: the columns wanted (of :data:`COLUMNS`)."""
    return {col: _spec_fraction(spec, m, n, env_key, col) for col in COLUMNS if col in cols}


@lru_cache(maxsize=192)
def _spec_fraction(spec: Any, m: Any, n: Any, env_key: tuple, col: str) -> tuple:
    """One column of :func:`_spec_fractions`."""
    env = dict(env_key)
    sigma = env.get("sigma")
    if m is None and sigma is not None and sigma.is_number:
        general = _in_sigma(spec, n, tuple((k, v) for k, v in env_key if k != "sigma"), (col,))
        if general is not None:
            out = _at_sigma(general, sigma ** 2)
            if out is not None:
                return out[col]
    return _evaluated(spec, m, n, env_key, cols=(col,))[col]


#: sigma as a symbol (the name the derivations use)
_SIGMA = sp.Symbol("sigma", nonnegative=True)


@lru_cache(maxsize=32)
def _in_sigma_field():
    return sp.QQ.frac_field(LAMBDA, _SIGMA)


def _in_sigma(spec: Any, n: Any, env_key: tuple, cols: tuple = COLUMNS) -> dict | None:
    """``{column: element of QQ(lambda, sigma)}`` at m = oo and the setting's Sigma, theta_0 with
    sigma a symbol; None where a column is not in that field.  ``cols``: the columns wanted
    (each computed once: :func:`_in_sigma_column`)."""
    out = {col: _in_sigma_column(spec, n, env_key, col) for col in COLUMNS if col in cols}
    return None if any(e is None for e in out.values()) else out


@lru_cache(maxsize=192)
def _in_sigma_column(spec: Any, n: Any, env_key: tuple, col: str) -> Any:
    """One column of :func:`_in_sigma` (None where it is not in QQ(lambda, sigma))."""
    K = _in_sigma_field()
    return _evaluated(spec, None, n, env_key + (("sigma", _SIGMA),), field=K, cols=(col,))[col][0]


def _at_sigma(general: dict, sigma2: Any) -> dict | None:
    """The elements of QQ(lambda, sigma) at sigma^2 = ``sigma2`` (rational), as elements of
    QQ(lambda) in :func:`_spec_fractions`' form; None when sigma2 is not rational, a power of
    sigma is odd or a denominator vanishes there."""
    from symbolic.univariate import _field
    sigma2 = sp.sympify(sigma2)
    if not sigma2.is_Rational:
        return None
    K1 = _field(LAMBDA)
    F, R, dom = K1.field, K1.field.ring, K1.dom
    s2 = dom.convert(sigma2)
    powers: dict = {}

    def at(poly) -> Any:
        acc: dict = {}
        for (i, j), c in poly.items():
            if j % 2:
                raise ValueError("odd power of sigma")
            if j not in powers:
                powers[j] = s2 ** (j // 2)
            acc[(i,)] = acc.get((i,), dom.zero) + c * powers[j]
        return R.from_dict({k: v for k, v in acc.items() if v})
    out = {}
    for col, e in general.items():
        try:
            num, den = at(e.numer), at(e.denom)
        except ValueError:
            return None
        if not den:
            return None
        out[col] = (F.raw_new(*cancel_polys(num, den)), None)   # F.new's cancel, its gcd in FLINT
    return out


#: the long blocks of a derivation evaluated at a setting: (spec, m, setting, field, name, formula) -> (value, element)
_BLOCK_VALUES: dict = {}


def _evaluated(spec: Any, m: Any, n: Any, env_key: tuple, field: Any = None,
               cols: tuple = COLUMNS) -> dict[str, tuple]:
    """:func:`_spec_fractions` by evaluating each error at the setting (``field``: the field the
    values are reduced in, QQ(lambda) unless given; ``cols``: the columns wanted)."""
    from symbolic import M
    from symbolic.evaluation import evaluate
    from symbolic.ratfun import from_sympy
    from symbolic.univariate import _field, in_field
    from proofs.quantities.setting import with_definitions

    def element(value: Any) -> Any:
        if field is None:
            return in_field(value, LAMBDA)
        try:
            return from_sympy(sp.sympify(value), field)   # field.from_sympy's element, read in the ring
        except (sp.CoercionFailed, sp.polys.polyerrors.PolynomialError, ValueError, TypeError):
            return None

    def reduce(value: Any, e: Any) -> Any:
        """``value`` reduced: its element ``e`` as an expression, else ``cancel(together())``."""
        if e is not None:
            return (_field(LAMBDA) if field is None else field).to_sympy(e)
        return sp.cancel(sp.together(value))
    env = {k: (sp.Matrix(v) if isinstance(v, tuple) else v) for k, v in env_key}
    m_key = sp.oo if m is None else M
    if m is not None:
        env["m"] = sp.Integer(m)
    s, parts = _errors_to_evaluate(spec, m_key, _key(n), cols)
    env.update(s.bindings)
    env = with_definitions(env, _definitions(spec, m_key))
    out = {}
    for col, (expr, where) in parts.items():
        blocks = {}
        for sym, e in where.items():
            # a block's formula at the setting: the same for every n and column (read once)
            key = (spec, m, env_key, field, sym.name, e)
            if key not in _BLOCK_VALUES:
                if len(_BLOCK_VALUES) >= 512:
                    _BLOCK_VALUES.clear()
                v = evaluate(e, env)
                _BLOCK_VALUES[key] = (v, element(v))
            blocks[sym] = _BLOCK_VALUES[key]
        e = _composed(evaluate(expr, env), blocks, element)
        if e is None:   # the error with the blocks' values put in, then reduced
            value = evaluate(expr, {**env, **{sym.name: reduce(v, el) for sym, (v, el) in blocks.items()}})
            e = element(value)
            out[col] = (e, None if e is not None else reduce(value, None))
        else:
            out[col] = (e, None)
    return out


def _composed(part: sp.Expr, blocks: dict, element: Any) -> Any:
    """The error's element of the field from ``part`` (the error evaluated at the setting with the
    long blocks left as symbols: a polynomial in them) and the blocks' elements (``blocks``:
    symbol -> (value at the setting, its element)): each coefficient's element times the blocks'
    elements to their powers, summed in the field -- the element of the error with the blocks'
    values put in (the same rational function, one canonical element), without building that
    expression.  None where a block or a coefficient is not in the field (then the caller puts
    the values in)."""
    syms = list(blocks)
    if any(el is None for _, el in blocks.values()):
        return None
    if not syms:
        return element(part)
    terms = _terms_over(part, syms, blocks[syms[0]][1].field)
    if terms is None:
        try:
            poly = sp.Poly(part, *syms)
        except sp.PolynomialError:
            return None
        terms = []
        for monom, coeff in poly.terms():
            c = element(coeff)
            if c is None:
                return None
            terms.append((monom, c.field, c.numer, c.denom))
    # the sum of the terms as one fraction in the field's ring, cancelled once at the end (the
    # terms' denominators are powers of the blocks' common one: mostly one divides another)
    field = None
    num = den = None
    for monom, field, tn, td in terms:
        for sym, k in zip(syms, monom):
            if k:
                b = blocks[sym][1]
                tn, td = tn * b.numer ** k, td * b.denom ** k
        if num is None:
            num, den = tn, td
        elif td == den:
            num += tn
        else:
            q, r = den.div(td)
            if not r:
                num += tn * q
            else:
                q, r = td.div(den)
                if not r:
                    num, den = num * q + tn, td
                else:
                    num, den = num * td + tn * den, den * td
    if num is None:
        return element(sp.S.Zero)
    return field.raw_new(*cancel_polys(num, den))   # field.new's cancel, its gcd in FLINT


def _terms_over(part: sp.Expr, syms: list, field: Any) -> list | None:
    """``[(exponents of syms, field, N, D)]``, ``part = sum N / D * syms^exponents`` with N, D in
    the ring of ``field`` (a field of rational functions over QQ): ``part`` read once as a fraction
    over QQ in ``syms`` and the field's symbols (:func:`symbolic.ratfun.numer_denom`, no expansion
    by SymPy), its numerator's terms grouped by their exponents of ``syms``, each group over the
    common denominator (not cancelled: the caller cancels the sum once).  The same terms as
    ``Poly(part, *syms)`` with each coefficient's element, up to each fraction's form.  None where
    ``part`` is not of that form (another symbol, an irrational number, a denominator holding a
    symbol of ``syms``): the caller reads it with ``Poly``."""
    from symbolic import ratfun
    gens = tuple(getattr(field, "symbols", ()))
    if not gens or set(gens) & set(syms):
        return None
    R = ratfun._ring(tuple(syms) + gens)
    try:
        num, den = ratfun.numer_denom(part, R)
    except (ratfun.NotRational, ZeroDivisionError):
        return None
    k = len(syms)
    ring = field.ring
    D = ring.one
    for b, j in den.items():
        if any(any(m[:k]) for m in b.itermonoms()):
            return None
        D = D * ring.from_dict({m[k:]: c for m, c in b.iterterms()}) ** j
    groups: dict = {}
    for m, c in num.iterterms():
        groups.setdefault(m[:k], {})[m[k:]] = c
    return [(monom, field, ring.from_dict(g), D) for monom, g in groups.items()]


def spec_errors(spec: Any, setting: Any, *, n: Any = None) -> dict[str, sp.Expr]:
    """The three errors (:data:`COLUMNS`) of a value fine-tuning spec at an exact setting (a
    :class:`proofs.quantities.setting.Setting`: its d, Sigma, theta_0, sigma^2, m); functions of
    lambda when the spec's weights hold :data:`LAMBDA`. ``n``: None for infinity."""
    return _spec_errors(spec, _count(setting.m), n, _env_key(setting))


def _env_key(setting: Any) -> tuple:
    env = setting.env(sigma=False)
    env["sigma"] = sp.sqrt(setting.sigma2 if setting.sigma2 is not None else 0)
    return _freeze(env)


def spec_pairs(spec: Any, setting: Any, *, n: Any = None, columns: Any = None) -> dict[str, tuple[sp.Poly, sp.Poly]]:
    """The three errors of :func:`spec_errors` (or those named in ``columns``) as pairs ``(N, D)``
    of polynomials in :data:`LAMBDA` over QQ, ``error = N / D``
    (:func:`symbolic.univariate.normal_pair`'s form): the same rational functions, not factored.
    ``columns``: names of :data:`COLUMNS` (a ValueError names any other)."""
    from symbolic.univariate import fraction_pair, pair_of
    if columns is not None and (isinstance(columns, str) or set(columns) - set(COLUMNS)):
        raise ValueError(f"columns: expected a collection of names among {', '.join(COLUMNS)}, got {columns!r}")
    cols = COLUMNS if columns is None else tuple(c for c in COLUMNS if c in columns)
    return {col: (pair_of(e, LAMBDA) if e is not None else fraction_pair(f, LAMBDA))
            for col, (e, f) in _spec_fractions(spec, _count(setting.m), n, _env_key(setting), cols).items()}


def frontier_formulas(setting: Any, *, n: Any = None) -> dict[str, sp.Expr]:
    """``{column: rational function of LAMBDA}`` for the columns :data:`COLUMNS` at an exact
    setting (its n_ft the auxiliary loss's shots)."""
    return spec_errors(tradeoff_spec(_count(setting.n_ft)), setting, n=n)


def _count(x: Any) -> Any:
    """A setting's m or n_ft as this module takes it: None for infinity, else an int."""
    return None if x is None or x == sp.oo else int(x)


def at_lambda(f: sp.Expr, lam: Any) -> sp.Expr:
    """A rational function of LAMBDA at ``lam`` > 0, or its limit at ``lam = 0`` (lambda -> 0+)
    or ``lam = oo`` (lambda -> oo), exactly."""
    if not f.has(LAMBDA):
        return f
    num, den = sp.fraction(sp.cancel(sp.together(f)))
    P, Q = sp.Poly(num, LAMBDA), sp.Poly(den, LAMBDA)
    if lam == sp.oo:
        if P.degree() < Q.degree():
            return sp.S.Zero
        if P.degree() > Q.degree():
            return sp.oo if P.LC() / Q.LC() > 0 else -sp.oo
        return sp.cancel(P.LC() / Q.LC())
    x = sp.sympify(lam)
    qx = Q.eval(x)
    if qx != 0:
        return sp.cancel(P.eval(x) / qx)
    return sp.limit(f, LAMBDA, x, "+")


def _monotone(f: sp.Expr) -> str:
    """``increasing``, ``decreasing``, ``constant`` or ``not monotone`` on lambda in (0, oo),
    exactly: f has no pole on (0, oo), so f' changes sign only where its numerator does, at
    a root of odd multiplicity in (0, oo); those are counted (``unknown`` for irrational
    coefficients), and the sign is read at a point."""
    if not f.has(LAMBDA):
        return "constant"
    num, den = sp.fraction(sp.cancel(sp.together(sp.diff(f, LAMBDA))))
    P, D = sp.Poly(num, LAMBDA), sp.Poly(den, LAMBDA)
    if P.is_zero:
        return "constant"
    # roots of odd multiplicity in (0, oo) change the sign; none of any kind: one sign
    try:  # a sign change needs a root of odd multiplicity in (0, oo)
        changes = [g for g, k in P.sqf_list()[1]
                   if k % 2 and g.count_roots(0, None) - (1 if g.eval(0) == 0 else 0) > 0]
    except (sp.PolynomialError, sp.polys.polyerrors.DomainError, NotImplementedError):
        return "unknown"  # coefficients outside QQ (irrational inputs)
    if changes:
        return "not monotone"
    # f has no pole on (0, oo), so D keeps one sign there: f' has the sign of P times that one
    probe = next(v for v in (P.eval(k) / D.eval(k) for k in range(1, P.degree() + 2)) if v != 0)
    return "increasing" if probe > 0 else "decreasing"


@dataclass
class FrontierRow:
    """One row: ``label`` ('lambda=...' or a strategy), ``lam`` (the weight; 0 and oo the
    limits; None for the strategies), and the exact errors ``zero_shot``,
    ``few_shot_target``, ``few_shot_opposite``."""

    label: str
    lam: Any
    zero_shot: sp.Expr
    few_shot_target: sp.Expr
    few_shot_opposite: sp.Expr

    def values(self) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        return self.zero_shot, self.few_shot_target, self.few_shot_opposite

    def floats(self) -> tuple[float, float, float]:
        return tuple(float(v) for v in self.values())  # type: ignore[return-value]


@dataclass
class Frontier:
    """The trade-off at one setting: ``rows`` (one per lambda, in the order given),
    ``strategies`` (rows for (a)-(d)), ``formulas`` (each column as a function of LAMBDA),
    ``checks`` (what was checked exactly, and whether it holds), ``monotone`` (per column:
    increasing / decreasing / constant / not monotone in lambda on (0, oo)), ``settings``,
    ``notes`` (why a check of the limit lambda -> oo fails, when one does)."""

    rows: list[FrontierRow]
    strategies: list[FrontierRow]
    formulas: dict[str, sp.Expr]
    checks: list[tuple[str, bool]]
    monotone: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the arithmetic, Sigma's condition number and the warning it calls for (or None)
    arith: Any = None
    condition: float | None = None
    warning: str | None = None

    #: False where the columns have no formula in lambda here (float or mp at a finite m, where the
    #: frontier is computed one lambda at a time): then ``formulas`` is empty and the curve is not
    #: claimed to be a point
    lambda_free: bool | None = None

    @property
    def degenerate(self) -> bool:
        """Whether no column depends on lambda (the curve is one point)."""
        if not self.formulas:
            return bool(self.lambda_free)
        return all(not f.has(LAMBDA) for f in self.formulas.values())

    @property
    def holds(self) -> bool:
        return all(ok for _, ok in self.checks)


def parse_lambda(x: Any, name: str = "lambdas") -> Any:
    """A weight: a number >= 0 (exact; floats read exactly) or ``inf`` / ``oo``."""
    from symbolic.validation import _exact
    if isinstance(x, str) and x.strip().lower() in ("inf", "oo", "infinity"):
        return sp.oo
    if x == sp.oo or (isinstance(x, float) and x == float("inf")):
        return sp.oo
    if isinstance(x, bool):
        raise ValueError(f"{name}: expected numbers >= 0 or inf, got {x!r}")
    try:
        v = _exact(x, name)
    except (ValueError, TypeError):
        raise ValueError(f"{name}: expected numbers >= 0 or inf, got {x!r}") from None
    if not v.is_Rational or v < 0:
        raise ValueError(f"{name}: expected numbers >= 0 or inf, got {x!r}")
    return v


def lambda_label(lam: Any) -> str:
    """``0``, ``inf``, ``1/2``, ``10``: how a weight is shown."""
    return "inf" if lam == sp.oo else str(lam)


def frontier(lambdas: Sequence[Any], setting: Any, *, n: Any = None, strategies: bool = True) -> Frontier:
    """One row per weight in ``lambdas`` (numbers >= 0; 0 the limit lambda -> 0+, ``oo`` the
    few-shot loss alone), with the exact zero-shot error on theta_0 and the n-shot errors
    (``n`` None: n -> oo) on theta_0 and -theta_0, at the setting (a
    :class:`proofs.quantities.setting.Setting`: its n_ft the auxiliary loss's shots);
    ``strategies``: rows for (a)-(d) too (strategy (d) at the same n_ft; (b) at scale 1).

    The checks, each exact: lim lambda -> 0+ equals (d) and lim lambda -> oo equals the
    few-shot-only spec, column by column (each derived on its own).

    In the setting's float or mp arithmetic the derivation is the same and the coefficients of
    each column's numerator and denominator in lambda are evaluated in that arithmetic, the
    limits and checks within :func:`proofs.quantities.frontier_numeric.tolerance`
    (:mod:`proofs.quantities.frontier_numeric`)."""
    from proofs.quantities.solve import solve
    lambdas = list(lambdas)
    if not lambdas:
        raise ValueError("lambdas: expected at least one value")
    if len(lambdas) > MAX_LAMBDAS:
        raise ValueError(f"lambdas: expected at most {MAX_LAMBDAS} values, got {len(lambdas)}")
    lams = [parse_lambda(x) for x in lambdas]
    if setting.sigma2 is None:
        raise ValueError("sigma2: the frontier is computed at a concrete setting; expected a number >= 0, got None")
    if not setting.arith.exact:
        return _numeric_frontier(lams, setting, n, strategies)
    n_ft, m = _count(setting.n_ft), _count(setting.m)
    forms = frontier_formulas(setting, n=n)
    rows = [FrontierRow(f"lambda={lambda_label(lam)}", lam, *(at_lambda(forms[c], lam) for c in COLUMNS))
            for lam in lams]

    def strategy_row(name: str) -> FrontierRow:
        answer = solve(name, setting)
        vals = []
        for task, at in (("target", 0), ("target", n), ("opposite", n)):
            r = answer.curve(task, [0 if at is None else at])
            vals.append(r.values[0] if at is not None else r.limit_value)
        return FrontierRow(name, None, *vals)

    d_row = strategy_row("value-fewshot")
    few = spec_errors(fewshot_spec(n_ft), setting, n=n)
    zero = [at_lambda(forms[c], 0) for c in COLUMNS]
    inf = [at_lambda(forms[c], sp.oo) for c in COLUMNS]
    checks = [(f"lim lambda->0+ of {c} = strategy (d) value-fewshot at n_ft", sp.simplify(z - dv) == 0)
              for c, z, dv in zip(COLUMNS, zero, d_row.values())]
    checks += [(f"lim lambda->oo of {c} = value fine-tuning on the few-shot loss alone", sp.simplify(z - few[c]) == 0)
               for c, z in zip(COLUMNS, inf)]
    strat_rows = ([strategy_row(s) for s in ("pretrain", "full", "value")] + [d_row]) if strategies else []
    monotone = {c: _monotone(forms[c]) for c in COLUMNS}
    settings = {"n_ft": n_ft, "n": n, "d": setting.d, "sigma2": setting.sigma2, "m": m}
    notes = []
    if not all(ok for what, ok in checks if "lambda->oo" in what):
        from symbolic import M
        from proofs.quantities.derivations import strategy
        notes.append(_few_shot_only_note(strategy(fewshot_spec(n_ft), sp.oo if m is None else M)))
    return Frontier(rows, strat_rows, forms, checks, monotone, settings, notes, setting.arith)


def _numeric_frontier(lams: list, setting: Any, n: Any, strategies: bool) -> Frontier:
    """:func:`frontier` in float64 or mp (:mod:`proofs.quantities.frontier_numeric`): the same rows,
    checks and notes, with values as SymPy Floats and the checks within the tolerance."""
    from symbolic import M
    from proofs.quantities import frontier_numeric as FN
    from proofs.quantities.solve import solve
    arith = setting.arith
    tol = FN.tolerance(arith)
    n_ft, m = _count(setting.n_ft), _count(setting.m)
    m_key = sp.oo if m is None else M
    mixed = _errors_in_blocks(tradeoff_spec(n_ft), m_key, _key(n))

    def num(x: Any) -> sp.Expr:
        if isinstance(x, float) and abs(x) == float("inf"):
            return sp.oo if x > 0 else -sp.oo
        return arith.to_sympy(x)

    if FN.depends_on(mixed[0], LAMBDA):
        return _one_lambda_at_a_time(lams, setting, n, strategies, num)
    cols = FN.numeric_columns(*mixed, LAMBDA, setting)
    few_cols = FN.numeric_columns(*_errors_in_blocks(fewshot_spec(n_ft), m_key, _key(n)), LAMBDA, setting)
    rows = [FrontierRow(f"lambda={lambda_label(lam)}", lam,
                        *(num(FN.at_lambda_numeric(cols[c], lam, tol)) for c in COLUMNS)) for lam in lams]

    def strategy_row(name: str) -> FrontierRow:
        answer = solve(name, setting)
        vals = []
        for task, at in (("target", 0), ("target", n), ("opposite", n)):
            r = answer.curve(task, [0 if at is None else at])
            vals.append(num(r.values[0] if at is not None else r.limit_value))
        return FrontierRow(name, None, *vals)

    d_row = strategy_row("value-fewshot")
    zero = [num(FN.at_lambda_numeric(cols[c], 0, tol)) for c in COLUMNS]
    inf = [num(FN.at_lambda_numeric(cols[c], sp.oo, tol)) for c in COLUMNS]
    few = [num(FN.at_lambda_numeric(few_cols[c], 1, tol)) for c in COLUMNS]
    checks = [(f"lim lambda->0+ of {c} = strategy (d) value-fewshot at n_ft (within {tol:g})",
               FN.close(z, dv, tol)) for c, z, dv in zip(COLUMNS, zero, d_row.values())]
    checks += [(f"lim lambda->oo of {c} = value fine-tuning on the few-shot loss alone (within {tol:g})",
                FN.close(z, f, tol)) for c, z, f in zip(COLUMNS, inf, few)]
    strat_rows = ([strategy_row(s) for s in ("pretrain", "full", "value")] + [d_row]) if strategies else []
    monotone = {c: FN.monotone_numeric(cols[c], tol) for c in COLUMNS}
    forms = {c: FN.as_expr(cols[c], tol, LAMBDA) for c in COLUMNS}
    settings = {"n_ft": n_ft, "n": n, "d": setting.d, "sigma2": setting.sigma2, "m": m, "arithmetic": arith.name}
    notes = []
    if not all(ok for what, ok in checks if "lambda->oo" in what):
        from symbolic import M
        from proofs.quantities.derivations import strategy
        notes.append(_few_shot_only_note(strategy(fewshot_spec(n_ft), sp.oo if m is None else M)))
    return Frontier(rows, strat_rows, forms, checks, monotone, settings, notes, arith, setting.condition,
                    setting.warning)


def mixed_values(setting: Any, n: Any = None):
    """``values(lam) -> {column: value}``: the mixed loss's three errors (:data:`COLUMNS`) at one
    lambda (a number >= 0 or oo; 0 and oo the limits) in the setting's float or mp arithmetic, the
    derived expression evaluated at that lambda
    (:class:`proofs.quantities.frontier_numeric.LambdaColumns`; lambda -> oo through
    :func:`reciprocal_spec` at mu = 0).  For settings where a derived matrix depends on lambda
    (finite m); raises :class:`proofs.quantities.frontier_numeric.Singular` at an end where the
    expression is not regular."""
    from symbolic import M
    from proofs.quantities import frontier_numeric as FN
    n_ft, m = _count(setting.n_ft), _count(setting.m)
    m_key = sp.oo if m is None else M
    here = FN.LambdaColumns(*_errors_in_blocks(tradeoff_spec(n_ft), m_key, _key(n)), LAMBDA, setting)
    far: list = []

    def values(lam: Any) -> dict:
        if lam == sp.oo:
            if not far:
                far.append(FN.LambdaColumns(*_errors_in_blocks(reciprocal_spec(n_ft), m_key, _key(n)), MU, setting))
            return far[0].values(0)
        return here.values(lam)
    return values


def _one_lambda_at_a_time(lams: list, setting: Any, n: Any, strategies: bool, num: Any) -> Frontier:
    """:func:`_numeric_frontier` where a derived matrix depends on lambda (a finite m): each row the
    derived expression evaluated at its lambda, the ends where the expression is regular there
    (:func:`mixed_values`); no formula in lambda, monotonicity not determined."""
    from proofs.quantities import frontier_numeric as FN
    from proofs.quantities.solve import solve
    arith = setting.arith
    tol = FN.tolerance(arith)
    n_ft, m = _count(setting.n_ft), _count(setting.m)
    values = mixed_values(setting, n)
    got: dict = {}

    def at(lam: Any) -> list:
        if lam not in got:
            v = values(lam)
            got[lam] = [num(v[c]) for c in COLUMNS]
        return got[lam]
    rows = [FrontierRow(f"lambda={lambda_label(lam)}", lam, *at(lam)) for lam in lams]

    def strategy_row(name: str) -> FrontierRow:
        answer = solve(name, setting)
        vals = []
        for task, t in (("target", 0), ("target", n), ("opposite", n)):
            r = answer.curve(task, [0 if t is None else t])
            vals.append(num(r.values[0] if t is not None else r.limit_value))
        return FrontierRow(name, None, *vals)

    d_row = strategy_row("value-fewshot")
    from symbolic import M
    few_values = FN.LambdaColumns(*_errors_in_blocks(fewshot_spec(n_ft), M, _key(n)), LAMBDA, setting).values(1)
    few = [num(few_values[c]) for c in COLUMNS]
    checks = [(f"lim lambda->0+ of {c} = strategy (d) value-fewshot at n_ft (within {tol:g})",
               FN.close(z, dv, tol)) for c, z, dv in zip(COLUMNS, at(sp.S.Zero), d_row.values())]
    checks += [(f"lim lambda->oo of {c} = value fine-tuning on the few-shot loss alone (within {tol:g})",
                FN.close(z, f, tol)) for c, z, f in zip(COLUMNS, at(sp.oo), few)]
    strat_rows = ([strategy_row(s) for s in ("pretrain", "full", "value")] + [d_row]) if strategies else []
    monotone = {c: "unknown" for c in COLUMNS}
    settings = {"n_ft": n_ft, "n": n, "d": setting.d, "sigma2": setting.sigma2, "m": m, "arithmetic": arith.name}
    notes = ["at a finite m a derived matrix (H_m_inv) depends on lambda: each row is the derivation evaluated at its "
             "lambda in " + arith.label() + "; the limits lambda -> 0+ and lambda -> oo are the derivation (and the "
             "one with weights (1/lambda, 1)) evaluated at the end, where no denominator vanishes and no inverted "
             "matrix is singular (checked); no formula in lambda and no monotonicity in this arithmetic "
             "(exact arithmetic, d <= 10, gives both)"]
    return Frontier(rows, strat_rows, {}, checks, monotone, settings, notes, arith, setting.condition,
                    setting.warning, lambda_free=False)


def _few_shot_only_note(few: Any) -> str:
    """Why lambda -> oo is not the few-shot loss alone: that loss has a family of minimisers (its
    free blocks, and the family the derivation's convention names), gradient descent from the
    pretrained parameters ends at the member nearest the start, lambda -> oo at the member the
    zero-shot loss prefers."""
    free = [f for f in few.free if "never reach" not in f]
    return ("the few-shot loss alone does not fix every trained block (" + "; ".join(free + [few.convention])
            + "); lambda -> oo picks the minimiser the zero-shot loss prefers")
