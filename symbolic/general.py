"""The general derivation: any spec whose loss is quadratic in what it trains.

For a :class:`symbolic.spec.Spec`, the trained blocks become unknowns (scalars ``v_0, v_y,
Q_00, Q_y0``; d-vectors ``v_x, q_0x, q_x0, q_yx``; the matrix ``Q_xx``), every other block
keeps its start value (the pretrained parameters at context length m by default), and the
loss ``sum_k w_k E(V, Q, n_k; task_k)`` is derived by the Wick engine.  The prediction
``f = v^T (Z Z^T/(n+1)) Q q`` is linear in v for fixed Q and linear in Q for fixed v, so
when only V's last row or only Q's blocks are trained each term is the mean of a square of
an affine function of the unknowns: a convex quadratic, whose stationary points are exactly
its minimisers.  :func:`symbolic.quadratic.minimise_quadratic` solves the first-order
conditions by block elimination and returns the whole minimiser set.

* Unknowns the loss does not see are *free*.  Gradient descent from the start never moves
  them (their gradient is identically zero), so the reported point keeps them at their start
  values: that is the convention under which the paper's few-shot entries hold.
* Where the loss sees blocks only in a combination (``Q_00 u_0 + q_x0^T u_x + Q_y0 u_y`` at
  n -> oo), the minimisers form an affine family; gradient descent converges to the one
  nearest the start (its steps are orthogonal to the family), and that point is reported
  (:func:`_nearest`, distance over every trained entry).
* A second stage ``then`` minimises its loss over the free unknowns of the first stage and
  the parameters of its family (inside the first stage's minimiser set), as strategy (d)
  does; the point reported is again the one nearest the start.  Where the first stage fixes a
  vector only along some directions and the second would move it along others,
  :class:`symbolic.quadratic.NotClosedForm` is raised (that move is a projection, not a word).
* Training V and Q together makes the loss quartic: :class:`symbolic.quadratic.NotQuadratic`
  is raised, and the numeric layer's optimiser is the way to an answer.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .layout import block
from .convert import to_sympy
from .definitions import definition
from .forms import Form, Poly
from .model import Blocks
from .objective import expected_error, task_family_error
from .pretraining import derive_pretrain
from .matrix_unknown import reaches, structured_minimiser
from .quadratic import NotClosedForm, NotQuadratic, Solution, minimise_quadratic, nearest_point, nonzero_terms
from .spec import SILENT_BLOCKS, Spec, Term, make_spec
from .strategy import Step, Strategy, matexpr_to_sympy, tidy, vecexpr_to_sympy
from .validation import check_count
from .words import DIM, Atom

__all__ = ["derive_spec", "loss_poly", "UNKNOWNS", "NotQuadratic", "NotClosedForm"]

#: The unknown standing for each trainable block.
UNKNOWNS: dict[str, sp.Basic] = {
    "v0": sp.Symbol("v_0"), "vx": sp.MatrixSymbol("v_x", DIM, 1), "vy": sp.Symbol("v_y"),
    "Q00": sp.Symbol("Q_00"), "q0x": sp.MatrixSymbol("q_0x", DIM, 1), "qx0": sp.MatrixSymbol("q_x0", DIM, 1),
    "Qxx": sp.MatrixSymbol("Q_xx", DIM, DIM), "Qy0": sp.Symbol("Q_y0"), "qyx": sp.MatrixSymbol("q_yx", DIM, 1),
}
_LATEX = {"v0": "v_0", "vx": "v_x", "vy": "v_y", "Q00": "Q_{00}", "q0x": "Q_{0x}^{T}", "qx0": "Q_{x0}",
          "Qxx": "Q_{xx}", "Qy0": "Q_{y0}", "qyx": "Q_{yx}^{T}"}
_BLOCK_OF = {v: k for k, v in UNKNOWNS.items()}


def loss_poly(blocks: Blocks, terms: tuple[Term, ...], normalise: bool = True) -> Poly:
    """``sum_k w_k E(V, Q, n_k; task_k)`` as an engine polynomial (``n = oo``: the limit);
    ``normalise=False``: coefficients at finite n unreduced (see :func:`expected_error`)."""
    total = Poly()
    for t in terms:   # (n = oo: the limit, see expected_error)
        if t.task.is_fixed:
            p = expected_error(blocks, t.task.mean, t.n, normalise=normalise)
        else:
            p = task_family_error(blocks, t.task.mean, t.task.cov, t.n, normalise=normalise)
        total = total + p * t.weight
    return total


def _with_unknowns(start: Blocks, train: tuple[str, ...]) -> Blocks:
    kw = {}
    for b in train:
        if b in SILENT_BLOCKS:
            continue
        u = UNKNOWNS[b]
        if b == "Qxx":
            kw[b] = ((sp.S.One, (Atom(u),)),)
        elif isinstance(u, sp.MatrixSymbol):
            kw[b] = ((sp.S.One, (), u),)
        else:
            kw[b] = u
    return start.with_(**kw)


def _substitute(blocks: Blocks, values: dict) -> Blocks:
    """Replace unknowns by values: scalars inside coefficients, vectors ``u`` by ``sum c W a``,
    the matrix ``Q_xx`` by a ``MatExpr``."""
    scal = {k: v for k, v in values.items() if isinstance(k, sp.Symbol)}

    def s(x):
        return sp.sympify(x).xreplace(scal) if scal else x

    def vec(terms):
        out = []
        for c, w, a in terms:
            if a in values and isinstance(a, sp.MatrixSymbol) and a.shape[1] == 1:
                out.extend((s(c) * c2, tuple(w) + tuple(w2), a2) for c2, w2, a2 in values[a])
            else:
                out.append((s(c), w, a))
        return tuple(out)

    def mat(terms):
        out = []
        for c, w in terms:
            hit = [i for i, a in enumerate(w) if a.expr in values]
            if hit:
                i = hit[0]
                out.extend((s(c) * c2, w[:i] + tuple(w2) + w[i + 1:]) for c2, w2 in values[w[i].expr])
            else:
                out.append((s(c), w))
        return tuple(out)

    return Blocks(v0=s(blocks.v0), vx=vec(blocks.vx), vy=s(blocks.vy), Q00=s(blocks.Q00),
                  q0x=vec(blocks.q0x), qx0=vec(blocks.qx0), Qxx=mat(blocks.Qxx),
                  Qy0=s(blocks.Qy0), qyx=vec(blocks.qyx))


def _start_values(start: Blocks, free: list) -> dict:
    out = {}
    for u in free:
        b = _BLOCK_OF[u]
        out[u] = getattr(start, b)
    return out


def _value_expr(v) -> sp.Basic:
    if isinstance(v, (list, tuple)):
        if v and len(v[0]) == 3:
            return vecexpr_to_sympy(tuple(v))
        return matexpr_to_sympy(tuple(v)) if v else sp.S.Zero
    return v


def _stage(loss: tuple[Term, ...], blocks: Blocks, unknowns: list, naming, start: Blocks,
           origin: dict | None = None) -> tuple[Solution, Poly]:
    """Minimise one loss over ``unknowns`` (nothing picked: the affine family's parameters stay
    symbols, :func:`_nearest` picks them at the end).  ``origin``: start values of unknowns that
    are not blocks (the ``t_k`` of an earlier stage: 0)."""
    L = nonzero_terms(loss_poly(blocks, loss, normalise=False))   # (coefficients unreduced: read into rings)
    scalars = [u for u in unknowns if isinstance(u, sp.Symbol)]
    vectors = [u for u in unknowns if isinstance(u, sp.MatrixSymbol) and u.shape[1] == 1]
    matrices = [u for u in unknowns if isinstance(u, sp.MatrixSymbol) and u.shape[1] != 1]
    starts = {u: getattr(start, _BLOCK_OF[u]) for u in vectors}
    if matrices and reaches(L, matrices[0]):
        # Q_xx reaches the loss: a structured solution in a span of words, checked exactly
        sol, steps = structured_minimiser(lambda b, normalise=True: loss_poly(b, loss, normalise), blocks, matrices[0], scalars, vectors,
                                          start, _substitute, naming, starts,
                                          family=any(not t.task.is_fixed for t in loss), loss=L)
        sol.notes = list(sol.notes)
        setattr(sol, "steps", steps)
        return sol, L
    starts.update({u: sp.sympify(getattr(start, _BLOCK_OF[u])) if u in _BLOCK_OF else (origin or {}).get(u, sp.S.Zero)
                   for u in scalars})
    return minimise_quadratic(L, scalars, vectors, matrices, naming, starts, pick=False), L


def _nearest(blocks: Blocks, start: Blocks, trained: list[str], params: list) -> dict:
    """Values of the family's parameters (free scalar blocks, direction coefficients t_k) at the
    minimiser nearest the start over every trained entry: gradient descent's limit
    (:func:`symbolic.quadratic.nearest_point`).  Two stages give the same point: the first
    stage's limit p_1 is the projection of the start s_0 onto the first minimiser set M_1, the
    second's the projection of p_1 onto M_12 (inside M_1), and |s_0 - m|^2 = |s_0 - p_1|^2 +
    |p_1 - m|^2 for every m in M_1, so it is also the projection of s_0 onto M_12."""
    if not params:
        return {}
    values, starts = {}, {}
    inner = set(params)
    for b in trained:
        u = UNKNOWNS[b]
        if b == "Qxx":
            if any(sp.sympify(c).free_symbols & inner for c, _ in blocks.Qxx):
                raise NotClosedForm("Q_xx depends on the parameters of a flat family of minimisers: the point "
                                    "nearest the start would need its Frobenius distance to the start, not computed")
            continue
        values[u] = getattr(blocks, b)
        starts[u] = getattr(start, b)
    return nearest_point(values, starts, params)


def _moves_beyond(L: Poly, through: dict) -> list:
    """Vectors of ``through`` (seen by an earlier loss only through functionals, kept at their
    start along every other direction) that the loss ``L`` would move along another direction:
    a Hessian block or a coupling to another vector (``u^T W w``), or a functional whose
    direction ``W^T a`` is not one of the earlier loss's."""
    from .quadratic import _gradient_vector
    from .words import simplify_word
    vectors = {a.obj for fs, _ in L.terms for f in fs if isinstance(f, Form)
               for a in (f.left, f.right) if not a.is_gaussian and isinstance(a.obj, sp.MatrixSymbol)
               and a.obj in _BLOCK_OF}
    out = []
    for u, keys in through.items():
        for c, extra, w, a in _gradient_vector(L, u, vectors | {u}):
            if a in vectors or a == u or (simplify_word(w), a) not in keys:
                out.append(u)
                break
    return out


def derive_spec(spec: Spec, m: sp.Expr = sp.oo):
    """Derive a spec: the minimiser set of its loss(es), the point gradient descent from the
    start reaches, and the recorded steps.  Returns a :class:`symbolic.strategy.Strategy`.

    A rank that constrains a block (``Qxx`` or ``Q`` below full rank: the update set is not a
    linear space, so the loss is no longer a quadratic over it) raises
    :class:`symbolic.lowrank.RankConstrained`: :mod:`symbolic.lowrank` derives those.  Ranks
    that do not constrain (a vector's rank 1, V's rank at one layer) change nothing."""
    if getattr(spec, "constraining_ranks", None) and spec.constraining_ranks():
        from .spec import RankConstrained
        raise RankConstrained(
            f"train: {', '.join(map(str, spec.constraining_ranks()))} moves by a low-rank update, not over a "
            "linear space: derive it with symbolic.lowrank.derive_lowrank (symbolic d) or "
            "symbolic.lowrank.lowrank_optimum (a concrete setting)")
    return _named(spec, sp.sympify(m))


@lru_cache(maxsize=64)
def _named(spec: Spec, m: sp.Expr):
    """The derivation of ``spec`` under its own name.  The name labels the answer only (it never
    enters the derivation), so specs that differ by their name alone share one derivation."""
    from dataclasses import replace
    st = _derive_spec_cached(replace(spec, name="spec"), m)
    return st if spec.name == "spec" else replace(st, name=spec.name, spec=spec)


@lru_cache(maxsize=64)
def _derive_spec_cached(spec: Spec, m: sp.Expr):
    v_trained = [b for b in spec.train if b in ("v0", "vx", "vy")]
    q_trained = [b for b in spec.train if b in ("Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx")]
    if v_trained and q_trained:
        raise NotQuadratic(
            f"train: {', '.join(spec.train)} moves blocks of both V and Q; the prediction is then "
            "bilinear in them and the loss quartic, so there is no closed form: use the numeric "
            "optimiser (numeric.training) and evaluate its parameters exactly")
    from .spec import general_start, start_dimension
    from .quadratic import NotClosedForm
    if general_start(spec):
        raise NotClosedForm(
            f"start: an explicit Q_xx that is not a multiple of I keeps its traces opaque at symbolic d; "
            f"the start fixes d = {start_dimension(spec)}, where the minimiser is solved exactly")
    start = derive_pretrain(m).blocks if spec.start is None else spec.start
    tag = "m" if m == sp.Symbol("m", integer=True, nonnegative=True) else ("oo" if m == sp.oo else str(m))
    prefix = {"spec": "H"}.get(spec.name, "H")

    def naming(k: int) -> tuple[str, str]:
        suffix = "" if k == 0 else str(k + 1)
        return (f"{prefix}_{tag}_inv{suffix}", rf"{prefix}_{{{tag}}}^{{-1}}" if not suffix else rf"{prefix}_{{{tag},{suffix}}}^{{-1}}")

    trained = [b for b in spec.train if b not in SILENT_BLOCKS]
    unknowns = [UNKNOWNS[b] for b in trained]
    blocks = _with_unknowns(start, spec.train)
    steps = [Step(f"trained: {', '.join(block(b).symbol for b in trained)}; every other block at its "
                  + ("pretrained value (context length m = " + sp.sstr(m) + ")" if spec.start is None else "start value"))]
    silent = [b for b in spec.train if b in SILENT_BLOCKS]
    if silent:
        steps.append(Step(f"{', '.join(silent)} never reach the output: training them changes nothing"))
    steps.append(Step("the prediction is linear in the trained blocks: each loss term is a convex "
                      "quadratic, its stationary points are its minimisers"))
    before = blocks
    sol, L = _stage(spec.loss, blocks, unknowns, naming, start)
    steps.append(Step("loss " + " + ".join(map(str, spec.loss)),
                      later=lambda: tidy(to_sympy(loss_poly(before, spec.loss)))))   # (reduced, for the record)
    _record(steps, sol, "first-order conditions solved")
    blocks = _substitute(blocks, sol.values)
    free = list(sol.free)
    params = list(sol.params)
    notes = list(sol.notes)
    if spec.then:
        through = getattr(sol, "through", {})
        if through:
            # the first loss fixes a vector only along its gradient's directions (every vector
            # orthogonal to them is free, even where no block or coefficient is: at symbolic d
            # there are more dimensions than directions); the second may move it there, along
            # directions the word algebra cannot write
            held = _substitute(before, {k: v for k, v in sol.values.items() if k not in through})
            beyond = _moves_beyond(loss_poly(held, spec.then), through)
            if beyond:
                names = ", ".join(block(_BLOCK_OF[u]).symbol for u in beyond)
                raise NotClosedForm(
                    f"then: the first loss sees {names} only through linear functionals (an affine family of "
                    f"minimisers: the start plus any vector orthogonal to their directions), and the second loss "
                    f"moves {names} inside that family; its component orthogonal to the first loss's directions "
                    "is a projection (an outer product), outside the word algebra at symbolic d")
        if not free and not params:
            steps.append(Step("the first loss determines every trained block: the second stage has nothing to move"))
        else:
            movable = free + params
            sol2, L2 = _stage(spec.then, blocks, movable, lambda k: naming(k + 10), start,
                              origin={t: sp.S.Zero for t in params})
            steps.append(Step(f"second stage, over the minimisers of the first (free: "
                              f"{', '.join(sp.sstr(u) for u in free)}): " + " + ".join(map(str, spec.then)),
                              later=lambda b=blocks: tidy(to_sympy(loss_poly(b, spec.then)))))
            _record(steps, sol2, "second stage solved")
            blocks = _substitute(blocks, sol2.values)
            params = [u for u in sol2.free if u not in _BLOCK_OF] + list(sol2.params)
            free = [u for u in sol2.free if u in _BLOCK_OF]
            notes += sol2.notes
    # the affine family's parameters: free scalar blocks that other blocks depend on, and the
    # direction coefficients t_k; the point reported is the one nearest the start
    values_now = [_value_expr(getattr(blocks, b)) for b in trained if UNKNOWNS[b] not in free]
    mixed = [u for u in free if isinstance(u, sp.Symbol)
             and any(u in getattr(sp.sympify(v), "free_symbols", set()) for v in values_now)]
    absent = [u for u in free if u not in mixed]
    pick = _nearest(blocks, start, trained, mixed + params)
    if free:
        steps.append(Step("free (the loss does not determine them): " + ", ".join(sp.sstr(u) for u in free)
                          + ("; gradient descent from the start leaves them at their start values" if not mixed else
                             "; the point reported is the minimiser nearest the start (gradient descent's limit)")))
    for u in mixed:
        steps.append(Step(f"nearest the start: {block(_BLOCK_OF[u]).symbol}", pick[u]))
    blocks = _substitute(blocks, pick)
    blocks = _substitute(blocks, _start_values(start, absent))
    free_text = [f"{block(_BLOCK_OF[u]).symbol} (does not reach the loss; kept at its start value)" for u in absent]
    free_latex = [f"${_LATEX[_BLOCK_OF[u]]}$ (does not reach the loss; kept at its start value)" for u in absent]
    free_text.append("V[0:d+1, :] and Q[:, d+1] (never reach the output)")
    free_latex.append(r"$V_{0:d+1,\,:}$ and $Q_{:,\,d+1}$ (never reach the output)")
    convention = ("gradient descent from the " + ("pretrained parameters" if spec.start is None else "start")
                  + " leaves every free block at its start value (its gradient is identically zero)")
    if mixed:
        convention += ("; the minimiser family is affine in " + ", ".join(sp.sstr(u) for u in mixed)
                       + ", and the point reported is the one nearest the start (gradient descent's limit)")
    for note in notes:
        convention += "; " + note
    if spec.then:
        convention += "; the second loss is minimised inside the set of minimisers of the first"
    return Strategy(spec.name, blocks, m, free=free_text, convention=convention, steps=steps,
                    free_latex=free_latex, convention_latex=convention.replace("_", r"\_"), spec=spec)


def _record(steps: list, sol: Solution, what: str) -> None:
    for step in getattr(sol, "steps", ()):
        steps.append(Step(step))
    for note in sol.notes:
        steps.append(Step(note))
    for u, v in sol.values.items():
        name = block(_BLOCK_OF[u]).symbol if u in _BLOCK_OF else sp.sstr(u)
        value = _value_expr(v)   # built once: the step shows it, its atoms name the definitions
        steps.append(Step(f"{what}: {name}", value))
        for atom in sp.sympify(value).atoms(sp.MatrixSymbol):
            if definition(atom) is not None:
                steps.append(Step(f"where {atom.name}", sp.Eq(atom, definition(atom), evaluate=False)))


def derive_question(train, loss, then=(), start: Blocks | None = None, m: sp.Expr = sp.oo,
                    name: str = "spec"):
    """``derive(train=..., loss=..., then=..., start=...)``: validate the spec, derive it."""
    return derive_spec(make_spec(train, loss, then, start, name), check_count(m, "m", minimum=1))
