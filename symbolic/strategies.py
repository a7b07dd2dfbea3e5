"""The four training strategies of the poster, derived from the objective.

(a) ``pretrain``: argmin_{V,Q} E_{theta~N(0,I)} E(V, Q, m; theta), context length m.
(b) ``full``: argmin_{V,Q} E(V, Q, 0; theta_0).
(c) ``value``: argmin_V E(V, Q_hat, 0; theta_0), Q_hat the pretrained query-key matrix.
(d) ``value-fewshot``: argmin_{V in S} E(V, Q_hat, n_ft; theta_0), S the minimisers of (c).

Each derivation runs on the Wick engine (:mod:`symbolic.objective`) and the calculus of
:mod:`symbolic.calculus`; nothing below is a typed-in result.  Every derivation records
its steps (:class:`Step`) so that a proof can print them.

Normalisation: the pretrained representative has ``V[-1,-1] = v_y = 1``; fine-tuning
inherits it.  ``m`` and ``n_ft`` accept a symbol, an integer or ``sympy.oo``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from .calculus import matrix_gradient, solve_matrix, taylor
from .convert import to_sympy
from .definitions import definition
from .printing import latex
from .validation import check_count
from .forms import Poly, const
from .model import Blocks, MatExpr, mat, prediction_terms, symbolic_blocks, vec
from .objective import M, N, THETA, THETA0, expected_error, pretraining_error
from .words import DIM, Atom, word_expr

__all__ = ["Step", "Strategy", "derive_pretrain", "derive_full", "derive_value",
           "derive_value_fewshot", "derive", "STRATEGIES", "V0", "VY", "SCALE", "N_FT",
           "limit_n", "matexpr_to_sympy", "vecexpr_to_sympy", "canonical_strategy"]

V0, VY = sp.Symbol("v_0"), sp.Symbol("v_y")
#: The free scale C of strategy (b): V's last row carries C theta_0, Q_00 = 1/C.
SCALE = sp.Symbol("C", nonzero=True)
#: Shots in the auxiliary few-shot loss of strategy (d).
N_FT = sp.Symbol("n_ft", integer=True, positive=True)

STRATEGIES = ("pretrain", "full", "value", "value-fewshot")
_LETTERS = {"a": "pretrain", "b": "full", "c": "value", "d": "value-fewshot"}


def canonical_strategy(name: str) -> str:
    """``'pretrain' | 'full' | 'value' | 'value-fewshot'`` (letters a-d accepted)."""
    key = str(name).strip().lower()
    key = _LETTERS.get(key, key)
    if key not in STRATEGIES:
        raise ValueError(f"strategy: expected one of {', '.join(STRATEGIES)} (or a-d), got {name!r}")
    return key


@dataclass(frozen=True)
class Step:
    """One step of a derivation: what was done, and the SymPy object it produced."""

    text: str
    expr: object = None

    def __str__(self) -> str:
        return self.text if self.expr is None else f"{self.text}: {sp.sstr(self.expr)}"


def matexpr_to_sympy(M_: MatExpr) -> sp.Basic:
    """A SymPy matrix expression for ``sum c W`` (``ZeroMatrix`` when empty)."""
    if not M_:
        return sp.ZeroMatrix(DIM, DIM)
    return sp.MatAdd(*[c * word_expr(w) for c, w in M_]) if len(M_) > 1 else M_[0][0] * word_expr(M_[0][1])


def vecexpr_to_sympy(v) -> sp.Basic:
    """A SymPy matrix expression for the vector ``sum c W a``."""
    if not v:
        return sp.ZeroMatrix(DIM, 1)
    parts = [c * (a if not w else sp.MatMul(word_expr(w), a)) for c, w, a in v]
    return sp.MatAdd(*parts) if len(parts) > 1 else parts[0]


def limit_n(expr: sp.Expr, n: sp.Symbol = N) -> sp.Expr:
    """``lim_{n -> oo}`` of an expression rational in ``n`` (traces, bilinears are constants)."""
    from .convert import rational_limit
    fast = rational_limit(expr, n)  # exact, in QQ(gens); None outside rational functions
    if fast is not None:
        return sp.factor(fast)
    num, den = sp.fraction(sp.together(expr))
    pn, pd = sp.Poly(sp.expand(num), n), sp.Poly(sp.expand(den), n)
    if pn.degree() > pd.degree():
        raise ValueError("the expression diverges as n -> oo")
    if pn.degree() < pd.degree():
        return sp.S.Zero
    return sp.factor(pn.LC() / pd.LC())


def limit_poly(p: Poly, n: sp.Symbol = N) -> Poly:
    """``lim_{n -> oo}`` of an engine polynomial, coefficient by coefficient (each is rational in n)."""
    out = {}
    for key, c in p.terms.items():
        lim = limit_n(c, n) if n in sp.sympify(c).free_symbols else c
        if lim != 0:
            out[key] = lim
    return Poly(out)


def _limit_m_matexpr(M_: MatExpr) -> MatExpr:
    """``lim_{m -> oo}`` of a derived matrix: limits of the scalars, inside atoms too."""
    out = []
    for c, w in M_:
        atoms = []
        for a in w:
            e = definition(a.expr) if definition(a.expr) is not None else a.expr
            if isinstance(e, sp.Inverse) and isinstance(e.arg, sp.MatAdd):
                kept = []
                for term in e.arg.args:
                    coeff, mats = term.as_coeff_mmul()
                    scal = sp.Mul(*[x for x in term.args if not getattr(x, "is_Matrix", False)]) \
                        if isinstance(term, sp.MatMul) else sp.S.One
                    lim = sp.limit(scal, M, sp.oo)
                    if lim != 0:
                        kept.append(term if lim == scal else lim * sp.MatMul(*[x for x in term.args if getattr(x, "is_Matrix", False)]))
                inner = kept[0] if len(kept) == 1 else sp.MatAdd(*kept)
                a = Atom(sp.Inverse(inner), symmetric=a.symmetric, transposed=a.transposed)
            elif e is not a.expr:
                raise NotImplementedError(f"limit m -> oo of {a.expr}")
            atoms.append(a)
        out.append((sp.limit(c, M, sp.oo), tuple(atoms)))
    return tuple(out)


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

    def abstract_blocks(self) -> tuple[Blocks, dict]:
        """The blocks with every long coefficient (a formula of traces and bilinear forms, e.g.
        v_y of a spec with a finite-n loss, or the scalar in front of theta_0 in v_x) replaced
        by a symbol (``v_y_star``, ``c_vx_star``...), and the map symbol -> formula: the engine
        then multiplies short coefficients."""
        from .printing import Bilinear
        subs: dict = {}

        def short(e, name):
            e = sp.sympify(e)
            if e.atoms(Bilinear, sp.Trace) and sp.count_ops(e) > 12:
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

    def error_in_blocks(self, task: sp.Basic = THETA, n: sp.Expr | int = N) -> tuple[sp.Expr, dict]:
        """``E(V*, Q*, n; task)`` written with the long scalar blocks as symbols (``v_y*``...),
        and the map symbol -> formula; ``n = oo`` gives the limit.  Fast where :meth:`error`
        expands everything."""
        b, subs = self.abstract_blocks()
        p = expected_error(b, task, N if n == sp.oo else n)
        if n == sp.oo:
            p = limit_poly(p, N)
        return tidy(to_sympy(p)), subs

    def error(self, task: sp.Basic = THETA, n: sp.Expr | int = N) -> sp.Expr:
        """``E(V*, Q*, n; task)``, exact, for any task vector and n (symbol or integer)."""
        return tidy(to_sympy(self.error_poly(task, n)))

    def zero_shot_error(self) -> sp.Expr:
        """``E(V*, Q*, 0; theta_0)``."""
        return self.error(THETA0, 0)

    def few_shot_limit(self, task: sp.Basic = THETA) -> sp.Expr:
        """``lim_{n -> oo} E(V*, Q*, n; task)``."""
        return tidy(to_sympy(limit_poly(self.error_poly(task, N))))

    def parameters(self) -> dict[str, sp.Basic]:
        """The derived blocks as SymPy objects: ``v_0, v_x, v_y`` (V's last row) and Q's blocks."""
        b = self.blocks
        return {"v_0": sp.sympify(b.v0), "v_x": vecexpr_to_sympy(b.vx), "v_y": sp.sympify(b.vy),
                "Q_00": sp.sympify(b.Q00), "Q_0x^T": vecexpr_to_sympy(b.q0x), "Q_x0": vecexpr_to_sympy(b.qx0),
                "Q_xx": matexpr_to_sympy(b.Qxx), "Q_y0": sp.sympify(b.Qy0), "Q_yx^T": vecexpr_to_sympy(b.qyx)}

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
                       values: dict | None = None):
        """``E(V*, Q*, n; theta)`` at an explicit setting: exact (rational inputs give a
        Rational), or an mpmath float with ``digits`` significant digits.

        ``theta`` defaults to ``theta0``; ``C`` is strategy (b)'s free scale; ``values`` gives
        other symbols of the derivation (a spec's task vectors ``theta_1``..., weights), on top of
        :attr:`bindings`.
        """
        from .evaluate import evaluate_poly
        from .validation import check_nonnegative, check_spd, check_vector
        n = check_count(n, "n", allow_inf=False, allow_symbol=False)
        Sigma = check_spd(Sigma, "Sigma")
        d = Sigma.shape[0]
        theta0 = check_vector(theta0, "theta0", d)
        theta = theta0 if theta is None else check_vector(theta, "theta", d)
        sigma2 = check_nonnegative(sigma2, "sigma2")
        C = sp.Rational(repr(C)) if isinstance(C, float) else sp.sympify(C, strict=True)
        if C == 0:
            raise ValueError("C: expected a nonzero scale")
        env = {**self.bindings, **{getattr(k, "name", str(k)): v for k, v in (values or {}).items()},
               "Sigma": Sigma, "theta_0": theta0, "theta": theta, "sigma": sp.sqrt(sigma2), "C": C, "n": n}
        value = evaluate_poly(self.error_poly(THETA, n), env)
        value = sp.simplify(value) if getattr(value, "free_symbols", None) else value
        return value if digits is None else sp.N(value, digits)

    def __str__(self) -> str:
        lines = [f"strategy {self.name!r} (m = {self.m}" + (f", n_ft = {self.n_ft})" if self.n_ft is not None else ")")]
        for k, v in self.parameters().items():
            if v != 0 and not getattr(v, "is_ZeroMatrix", False):
                lines.append(f"  {k} = {sp.sstr(v)}")
        for k, v in self.definitions().items():
            lines.append(f"  where {k} = {sp.sstr(v)}")
        lines.append("  every other block of V's last row and of Q[:, :d+1] is 0")
        lines.append("  free: " + "; ".join(self.free))
        lines.append("  convention: " + self.convention)
        return "\n".join(lines)

    __repr__ = __str__

    def latex(self) -> str:
        """The derived parameters as an amsmath ``aligned`` block."""
        rows = []
        names = {"v_0": "v_0", "v_x": "v_x", "v_y": "v_y", "Q_00": "Q_{00}", "Q_0x^T": "Q_{0x}^{T}",
                 "Q_x0": "Q_{x0}", "Q_xx": "Q_{xx}", "Q_y0": "Q_{y0}", "Q_yx^T": "Q_{yx}^{T}"}
        for k, v in self.parameters().items():
            if v != 0 and not getattr(v, "is_ZeroMatrix", False):
                rows.append(f"{names[k]} &= {latex(v)}")
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
    from .definitions import DEFINITIONS
    return DEFINITIONS[name][1] if name in DEFINITIONS else name


def tidy(e: sp.Expr) -> sp.Expr:
    """Collect an error formula by its matrix scalars and sigma, each coefficient factored."""
    from .printing import Bilinear
    e = sp.expand(e)
    keys = sorted(e.atoms(sp.Trace, Bilinear), key=sp.srepr) + [s for s in e.free_symbols if s.name == "sigma"]
    return sp.collect(e, keys, func=sp.factor)



# ---------------------------------------------------------------- (a) pretraining
@lru_cache(maxsize=16)
def derive_pretrain(m: sp.Expr = sp.oo, task_covariance: sp.MatrixSymbol | None = None) -> Strategy:
    """Minimise the pretraining objective over ``v = (0, 0, 1)``, ``Q = blockdiag(0, Gamma, 0)``.

    The first-order condition in Gamma (a matrix equation ``L Gamma R = C``) is solved in the
    word algebra; for ``m -> oo`` the solution's limit is taken.  Stationarity of the full
    objective (every block of V's last row and of Q) at that point, and global optimality,
    are checked by the proof module (Corollary 4.1/4.2).

    ``task_covariance`` (a symmetric d x d ``MatrixSymbol`` Omega) re-derives the pretrained
    model for tasks ``theta ~ N(0, Omega)`` instead of ``N(0, I_d)``.
    """
    m_fin = M if m == sp.oo else sp.sympify(m)
    gamma = Atom(sp.MatrixSymbol("Gamma", DIM, DIM))
    delta = sp.MatrixSymbol("Delta", DIM, DIM)
    steps = [Step("ansatz: v = (0, 0, 1) (normalisation v_y = 1), Q = blockdiag(0, Gamma, 0)")]
    b = Blocks(vy=sp.S.One, Qxx=mat(gamma))
    L0, L1 = taylor(lambda bb: pretraining_error(bb, m_fin, task_covariance), b,
                    Blocks(Qxx=mat(Atom(delta))), order=1)
    steps.append(Step("pretraining objective E_theta E(V, Q, m; theta)", to_sympy(L0)))
    grad = matrix_gradient(L1, delta)
    steps.append(Step("gradient in Gamma", sp.MatAdd(*[c * word_expr(w) for c, w in grad])))
    tag = ("m" if m_fin == M else str(m_fin)) + ("" if task_covariance is None else f"_{task_covariance.name}")
    sol = solve_matrix(grad, gamma, name=(f"Gamma_hat_{tag}", rf"\hat{{\Gamma}}_{{{tag}}}"))
    steps.append(Step("first-order condition solved: Gamma_hat", matexpr_to_sympy(sol)))
    for c, w in sol:
        for a in w:
            if definition(a.expr) is not None:
                steps.append(Step(f"where {a.expr.name}", sp.Eq(a.expr, definition(a.expr), evaluate=False)))
    if m == sp.oo:
        sol = _limit_m_matexpr(sol)
        steps.append(Step("limit m -> oo: Gamma_hat", matexpr_to_sympy(sol)))
    blocks = Blocks(vy=sp.S.One, Qxx=sol)
    return Strategy(
        "pretrain", blocks, sp.sympify(m),
        free=["V[0:d+1, :] (rows that never reach the output)", "Q[:, d+1] (multiplies the query's zero label)",
              "the scale (V, Q) -> (aV, Q/a), fixed by V[-1,-1] = 1"],
        convention="representative with V[-1,-1] = 1; free entries set to 0",
        steps=steps,
        free_latex=[r"$V_{0:d+1,\,:}$ (rows that never reach the output)",
                    r"$Q_{:,\,d+1}$ (multiplies the query's zero label)",
                    r"the scale $(V, Q) \mapsto (aV, Q/a)$, fixed by $V_{-1,-1} = 1$"],
        convention_latex=r"the representative with $V_{-1,-1} = 1$; free entries set to $0$")


# ---------------------------------------------------------------- (b) full fine-tuning
def zero_shot_prediction_coefficients() -> dict[int, sp.Expr]:
    """The zero-shot prediction ``f(q) = (v^T q)(q^T Q q)`` grouped by degree in ``x``.

    Read off the engine's polynomial of ``U`` (the query term) by counting x legs.
    """
    pt = prediction_terms(symbolic_blocks(), const(THETA0))
    by_degree: dict[int, list] = {}
    for (factors, noises), c in pt.U.terms.items():
        deg = sum(f.gaussians().count("x_q") for f in factors)
        by_degree.setdefault(deg, []).append(Poly({(factors, noises): c}))
    out = {}
    for deg, polys in sorted(by_degree.items()):
        total = Poly()
        for p in polys:
            total = total + p
        terms = []
        for (factors, _), c in total.terms.items():
            terms.append(sp.Mul(c, *[sp.Symbol(_form_str(f)) for f in factors]))
        out[deg] = sp.Add(*terms)
    return out


def _form_str(f) -> str:
    def leg(l):
        return "x" if l.is_gaussian else l.obj.name
    w = "".join(str(a.expr) + ("^T" if a.transposed else "") for a in f.word)
    return f"{leg(f.left)}^T{w}{leg(f.right)}" if w else f"{leg(f.left)}^T{leg(f.right)}"


@lru_cache(maxsize=4)
def derive_full(pretrained_m: sp.Expr = sp.oo) -> Strategy:
    """Minimisers of the zero-shot loss over V and Q, and the one gradient descent reaches.

    ``E(V, Q, 0; theta_0) = sigma^2 + E[(f(q) - theta_0^T x)^2] >= sigma^2``, with equality iff
    the cubic polynomial ``f(q) = (v_0 + v_x^T x)(Q_00 + w^T x + x^T Q_xx x)`` (``w = q_0x + q_x0``)
    equals ``theta_0^T x`` for all x (x has full support).  Matching coefficients (a product
    of polynomials has degree the sum of the degrees) leaves two families:

    * F1: ``Q_00 = 1/C``, ``v_x = C theta_0``, ``v_0 = 0``, ``w = 0``, ``sym(Q_xx) = 0``;
    * F2: ``v_0 = c``, ``v_x = 0``, ``Q_00 = 0``, ``w = theta_0 / c``, ``sym(Q_xx) = 0``;

    the other entries (``v_y``, ``Q_y0``, ``q_yx``, ``q_0x - q_x0``, the antisymmetric part of
    ``Q_xx``) are free.  Gradient descent from the pretrained point keeps the free entries at
    their pretrained values and stays in F1 (parity x -> -x), see Theorem 4.3's proof.
    """
    coeffs = zero_shot_prediction_coefficients()
    steps = [Step(f"zero-shot prediction, degree {k} in x", v) for k, v in coeffs.items()]
    steps.append(Step("E(V,Q,0;theta_0) = sigma^2 + E[(f - theta_0^T x)^2]: minimal iff f(q) = theta_0^T x identically"))
    steps.append(Step("coefficient matching: F1 (Q_00 = 1/C, v_x = C theta_0) or F2 (v_0 = c, q_0x + q_x0 = theta_0/c); sym(Q_xx) = 0 in both"))
    steps.append(Step("gradient descent from the pretrained point: v_0 = 0 and q_0x + q_x0 = 0 are invariant (parity), so F1; free entries keep pretrained values"))
    blocks = Blocks(vx=vec(THETA0, SCALE), vy=sp.S.One, Q00=1 / SCALE)
    return Strategy(
        "full", blocks, sp.sympify(pretrained_m),
        free=["C (scale: V[-1, x] = C theta_0, Q_00 = 1/C)", "v_y = V[-1,-1]", "Q[y, 0], Q[y, x] (last row of Q)",
              "Q[0, x] - Q[x, 0]^T", "the antisymmetric part of Q[x, x]"],
        convention=("gradient descent from the pretrained parameters leaves every free entry at its "
                    "pretrained value (v_y = 1, last row of Q = 0, Q[0,x] = Q[x,0]^T = 0, Q[x,x] symmetric) "
                    "and keeps v_0 = 0 (parity), so it converges into the family V[-1,:] = (0, C theta_0^T, 1), "
                    "Q = C^{-1} e_0 e_0^T"),
        steps=steps,
        free_latex=[r"$C$ (scale: $V_{-1,x} = C\theta_0^{T}$, $Q_{00} = 1/C$)", r"$v_y = V_{-1,-1}$",
                    r"$Q_{y0}$, $Q_{yx}$ (the last row of $Q$)", r"$Q_{0x} - Q_{x0}^{T}$",
                    r"the antisymmetric part of $Q_{xx}$"],
        convention_latex=(r"gradient descent from the pretrained parameters leaves every free entry at its "
                          r"pretrained value ($v_y = 1$, last row of $Q$ zero, $Q_{0x} = Q_{x0}^{T} = 0$, "
                          r"$Q_{xx}$ symmetric) and keeps $v_0 = 0$ (parity), so it converges into the family "
                          r"$V_{-1,:} = (0, C\theta_0^{T}, 1)$, $Q = C^{-1} e_0 e_0^{T}$"))


# ---------------------------------------------------------------- (c), (d): specs
def value_spec():
    """Strategy (c) as a spec: train V's last row on the zero-shot loss on theta_0."""
    from .spec import make_spec
    return make_spec(("v0", "vx", "vy"), [(1, 0, "target")], name="value")


def value_fewshot_spec(n_ft: sp.Expr = sp.oo):
    """Strategy (d) as a spec: (c), then the n_ft-shot loss on theta_0 inside (c)'s minimisers."""
    from .spec import make_spec
    return make_spec(("v0", "vx", "vy"), [(1, 0, "target")], then=[(1, n_ft, "target")], name="value-fewshot")


@lru_cache(maxsize=16)
def derive_value(m: sp.Expr = sp.oo) -> Strategy:
    """(c): ``argmin_V E(V, Q_hat, 0; theta_0)``, derived by the general derivation
    (:func:`symbolic.general.derive_spec`) of :func:`value_spec`."""
    from .general import derive_spec
    return derive_spec(value_spec(), m)


@lru_cache(maxsize=32)
def derive_value_fewshot(m: sp.Expr = sp.oo, n_ft: sp.Expr = sp.oo) -> Strategy:
    """(d): within S = argmin_V E(V, Q_hat, 0; theta_0) (strategy (c)'s minimisers), minimise the
    ``n_ft``-shot loss on theta_0; ``n_ft = oo`` minimises its limit.  Derived by the general
    derivation of :func:`value_fewshot_spec`."""
    from dataclasses import replace
    from .general import derive_spec
    return replace(derive_spec(value_fewshot_spec(n_ft), m), n_ft=sp.sympify(n_ft))


def derive(strategy: str | None = None, m: sp.Expr = sp.oo, n_ft: sp.Expr = sp.oo, *,
           train=None, loss=None, then=(), start: Blocks | None = None, name: str = "spec") -> Strategy:
    """A derived strategy: by name (``pretrain``, ``full``, ``value``, ``value-fewshot``; letters
    a-d accepted), or as a spec, ``derive(train=[...], loss=[...], then=[...], start=...)``
    (see :mod:`symbolic.spec`; e.g. ``derive(train=["vx"], loss=[(1, 0, "target"), (1, 20,
    "target")])``)."""
    if strategy is None or train is not None or loss is not None:
        if strategy is not None:
            raise ValueError("strategy: give a strategy name or a spec (train=..., loss=...), not both")
        if train is None or loss is None:
            raise ValueError("train, loss: a spec needs both (e.g. train=['vx'], loss=[(1, 0, 'target')])")
        from .general import derive_question
        return derive_question(train, loss, then, start, m, name)
    s = canonical_strategy(strategy)
    m = check_count(m, "m")
    n_ft = check_count(n_ft, "n_ft", minimum=1 if s == "value-fewshot" else 0)
    if s == "pretrain":
        return derive_pretrain(m)
    if s == "full":
        return derive_full(m)
    if s == "value":
        return derive_value(m)
    return derive_value_fewshot(m, n_ft)
