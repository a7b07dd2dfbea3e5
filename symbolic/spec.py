"""Fine-tuning strategies as specs: what is trained, from where, on which losses.

A spec is three things (and a name):

* ``train``: the blocks that move.  Blocks that reach the output (see :mod:`symbolic.model`):
  V's last row ``v0, vx, vy`` and Q's ``Q00, q0x, qx0, Qxx, Qy0, qyx``.  Two more names,
  ``V_rows`` (V's first d+1 rows) and ``Q_col`` (Q's last column), are accepted and never
  reach the output: training them changes nothing.  Two group names stand for a whole
  matrix: ``Q`` (the part of Q that reaches the output, ``Q[:, :d+1]``, a (d+2) x (d+1)
  matrix: all six Q blocks) and ``V`` (V as a whole; at one layer only its last row
  ``v0, vx, vy`` reaches the output).
* a *rank* on a trained block (a :class:`Rank`, JSON ``{"block": "Qxx", "rank": 1}``): the
  block moves by a rank-r update ``B A`` from its start (B: rows x r, A: r x cols), the
  LoRA parameterisation.  Blocks with a rank: ``Qxx`` (d x d, r <= d), ``Q`` ((d+2) x (d+1),
  r <= d+1), ``V`` ((d+2) x (d+2), r <= d+2), and the vector blocks (``vx, q0x, qx0, qyx``,
  r = 1 only, which is their full rank).  A scalar block has no rank.  A rank equal to the
  block's size is full fine-tuning: the spec then means exactly what it means without the
  rank.  Derivations under a rank constraint are in :mod:`symbolic.lowrank`.
* ``start``: the value of everything else, and where gradient descent starts: the
  pretrained parameters at context length m (``None``, the default), or explicit
  :class:`symbolic.model.Blocks`.
* ``loss``: ``sum_k w_k E(V, Q, n_k; task_k)``, weights positive (numbers or symbols),
  ``n_k`` an integer >= 0, a symbol or ``oo`` (the limit n -> oo), and a task a d-vector
  (``theta_0``, ``-theta_0``, any d x 1 ``MatrixSymbol``) or a Gaussian family
  ``N(mu, Omega)`` (:class:`Task` with ``cov``), over which the error is averaged.
  Optionally ``then``: a second loss minimised within the minimisers of the first
  (strategy (d)).

The same spec is written in Python (:func:`make_spec`, or ``symbolic.derive(train=...,
loss=..., then=..., start=...)``) and as JSON (:func:`spec_from_json`, the command line's
``--spec FILE``); the JSON schema is in docs/cli.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

import sympy as sp

from .model import Blocks
from .objective import THETA0
from .arithmetic import is_psd
from .validation import MAX_SPEC_D, check_count, exact_number, in_range, shown
from .words import DIM

__all__ = ["Task", "Term", "Spec", "Rank", "RankConstrained", "BLOCKS", "GROUPS", "RANKED_BLOCKS", "max_rank", "check_ranks", "V_BLOCKS", "Q_BLOCKS", "SILENT_BLOCKS", "family",
           "make_spec", "make_term", "make_task", "spec_from_json", "MAX_TERMS", "MAX_TASKS", "MAX_NAME",
           "general_start", "start_dimension"]

V_BLOCKS = ("v0", "vx", "vy")
Q_BLOCKS = ("Q00", "q0x", "qx0", "Qxx", "Qy0", "qyx")
#: Blocks that never reach the output f (V's first d+1 rows, Q's last column).
SILENT_BLOCKS = ("V_rows", "Q_col")
BLOCKS = V_BLOCKS + Q_BLOCKS
#: Names of whole matrices: ``Q`` is Q[:, :d+1] (every Q block that reaches the output), ``V`` is V
#: as a whole (at one layer only its last row, ``v0, vx, vy``, reaches the output).
GROUPS = {"Q": Q_BLOCKS, "V": V_BLOCKS}
#: The shape of every block (and group) that can carry a rank, as (rows, cols) in d; a scalar
#: block has none.  Vectors are d x 1 (their only rank is 1).
RANKED_BLOCKS = {"Qxx": ("d", "d"), "Q": ("d+2", "d+1"), "V": ("d+2", "d+2"),
                 "vx": ("1", "d"), "q0x": ("1", "d"), "qx0": ("d", "1"), "qyx": ("1", "d")}
_SCALAR_BLOCKS = ("v0", "vy", "Q00", "Qy0")
#: At most this many terms in ``loss`` and in ``then`` (a spec is a question, not a data set).
MAX_TERMS = 16
#: At most this many distinct tasks besides theta_0 and -theta_0 (task vectors, families): each
#: adds symbols to every solve, and the derivation's time grows with them (measured on 2 busy
#: cores, ``derive`` of vx, vy: 1 new task 3 s, 3 tasks 11 s, 4 tasks 19 s, 16 tasks > 1 minute)
MAX_TASKS = 3
#: At most this many characters in a spec's name (printable, no line breaks: it is printed)
MAX_NAME = 80


@dataclass(frozen=True)
class Task:
    """A task ``theta = mean`` (``cov = 0``) or a Gaussian family ``theta ~ N(mean, cov)``.

    ``mean``: a d x 1 matrix expression (``theta_0``, ``-theta_0``, a ``MatrixSymbol``) or None
    for 0; ``cov``: a scalar c >= 0 (meaning ``c I_d``) or a symmetric d x d ``MatrixSymbol``.
    """

    mean: sp.Basic | None
    cov: sp.Basic = sp.S.Zero

    @property
    def is_fixed(self) -> bool:
        return not getattr(self.cov, "is_Matrix", False) and sp.sympify(self.cov) == 0

    def __str__(self) -> str:
        mean = "0" if self.mean is None else sp.sstr(self.mean)
        return mean if self.is_fixed else f"N({mean}, {sp.sstr(self.cov)}{'' if getattr(self.cov, 'is_Matrix', False) else '*I'})"

    def latex(self) -> str:
        mean = "0" if self.mean is None else sp.latex(self.mean)
        if self.is_fixed:
            return mean
        cov = sp.latex(self.cov) + ("" if getattr(self.cov, "is_Matrix", False) else r" I_d")
        return rf"\mathcal{{N}}({mean},\, {cov})"


@dataclass(frozen=True)
class Term:
    """One loss term ``weight * E(V, Q, n; task)`` (averaged over the task if it is a family)."""

    weight: sp.Expr
    n: sp.Expr
    task: Task

    def __str__(self) -> str:
        w = "" if self.weight == 1 else f"{sp.sstr(self.weight)}*"
        return f"{w}E(V, Q, {self.n}; {self.task})"

    def latex(self) -> str:
        w = "" if self.weight == 1 else sp.latex(self.weight) + r"\,"
        n = r"\infty" if self.n == sp.oo else sp.latex(self.n)
        return rf"{w}\mathcal{{E}}(V, Q, {n}; {self.task.latex()})"


class RankConstrained(NotImplementedError):
    """A spec's rank constrains a block (a rank below the size of Qxx or Q): the updates form
    no linear space, so the quadratic derivation (:mod:`symbolic.general`) does not apply;
    :mod:`symbolic.lowrank` (symbolic d) and :mod:`symbolic.lowrank_concrete` (a concrete
    setting) derive it."""


@dataclass(frozen=True)
class Rank:
    """A rank-r update of a block: ``block`` moves from its start ``X_0`` to ``X_0 + B A``
    with ``B`` (rows x r) and ``A`` (r x cols), i.e. to any ``X_0 + Delta`` with
    ``rank(Delta) <= r`` (LoRA's parameterisation, B started at 0).

    ``block`` is ``Qxx``, ``Q`` (Q[:, :d+1]), ``V`` or a vector block; ``rank`` an integer
    ``1 <= r <= min(rows, cols)`` (checked against d by :func:`check_ranks` once d is known).
    At depth, a ``layer`` field is the natural extension (``{"block": "V", "layer": 2,
    "rank": 1}``); at one layer there is none.
    """

    block: str
    rank: int
    #: where the rank was written (``train[0].rank``), for error messages
    where: str = field(default="train[0].rank", compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.block} (rank {self.rank})"


def max_rank(block: str, d: int) -> int:
    """``min(rows, cols)`` of a block that can carry a rank, at dimension d."""
    if block not in RANKED_BLOCKS:
        raise ValueError(f"block: {shown(block)} has no rank (expected one of {', '.join(RANKED_BLOCKS)})")
    rows, cols = (eval_size(x, d) for x in RANKED_BLOCKS[block])
    return min(rows, cols)


def eval_size(expr: str, d: int) -> int:
    """A size written in d (``"d"``, ``"d+1"``, ``"d+2"``, ``"1"``) at an integer d."""
    return {"1": 1, "d": d, "d+1": d + 1, "d+2": d + 2}[expr]


def _is_constraining(r: "Rank", d: int | None = None, layers: int = 1) -> bool:
    """Whether a rank constrains the block below what full training reaches: vectors have
    rank 1 only; V at one layer reaches the output through its last row only (a 1 x (d+2)
    matrix), which a rank-r update with r >= 1 moves freely; Qxx, Q below their size."""
    if r.block in ("vx", "q0x", "qx0", "qyx"):
        return False
    if r.block == "V" and layers == 1:
        return False
    return d is None or r.rank < max_rank(r.block, d)


def check_ranks(spec: "Spec", d: int) -> None:
    """Hold every rank of ``spec`` to its block's size at dimension ``d`` (a ValueError naming
    the field, one line), before any work."""
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d: expected an integer >= 1, got {shown(d)}")
    for r in spec.ranks:
        top = max_rank(r.block, d)
        if r.rank > top:
            rows, cols = RANKED_BLOCKS[r.block]
            raise ValueError(f"{r.where}: expected an integer 1 <= rank <= {top} (the size of the "
                             f"{rows} x {cols} block {r.block} at d = {d}), got {r.rank}")


@dataclass(frozen=True)
class Spec:
    """A fine-tuning question: train these blocks, from this start, on these losses.

    ``train`` lists every block that moves (a group such as ``Q`` expanded into its blocks);
    ``ranks`` the rank constraints on some of them (:class:`Rank`; empty: full fine-tuning).
    """

    train: tuple[str, ...]
    loss: tuple[Term, ...]
    then: tuple[Term, ...] = ()
    start: Blocks | None = None
    name: str = "spec"
    #: concrete values of the symbols a JSON spec introduced (task vectors, covariances, start blocks).
    #: Part of the spec's identity: two specs that differ only in these values are different
    #: questions, and every cache keyed by a spec (the derivation's, the frontier's) must tell
    #: them apart (they compared equal once, and the second of two JSON specs with the same
    #: structure got the first one's start values and answer)
    bindings: tuple[tuple[str, Any], ...] = ()
    ranks: tuple[Rank, ...] = ()

    def constraining_ranks(self, d: int | None = None) -> tuple[Rank, ...]:
        """The ranks that constrain the update below full fine-tuning (at dimension d, or at
        symbolic d when None: a rank on Qxx or Q then always constrains, since d may exceed it)."""
        return tuple(r for r in self.ranks if _is_constraining(r, d))

    def without_ranks(self) -> "Spec":
        """The same question with every block fully trained."""
        from dataclasses import replace as _replace
        return _replace(self, ranks=())

    def rank_of(self, block: str) -> int | None:
        """The rank on ``block`` (or a group containing it), None if it is fully trained."""
        for r in self.ranks:
            if r.block == block or block in GROUPS.get(r.block, ()):
                return r.rank
        return None

    def __str__(self) -> str:
        shown_train = [str(r) for r in self.ranks]
        covered = {b for r in self.ranks for b in GROUPS.get(r.block, (r.block,))}
        shown_train += [b for b in self.train if b not in covered]
        out = f"train {', '.join(shown_train)} on " + " + ".join(map(str, self.loss))
        if self.then:
            out += ", then within its minimisers on " + " + ".join(map(str, self.then))
        return out + (", from the pretrained parameters" if self.start is None else ", from a given start")


def family(mean: sp.Basic | str | None, cov: Any) -> Task:
    """The family of tasks ``N(mean, cov)`` (cov a number c meaning ``c I_d``, or a matrix)."""
    return Task(_mean(mean, "task.mean"), _cov(cov, "task.cov"))


def _mean(mean: Any, where: str) -> sp.Basic | None:
    if mean is None or (isinstance(mean, str) and mean.strip().lower() in ("zero", "0")):
        return None
    if isinstance(mean, str):
        key = mean.strip().lower()
        if key == "target":
            return THETA0
        if key == "opposite":
            return -THETA0
        raise ValueError(f"{where}: expected 'target', 'opposite', 'zero', a d x 1 MatrixSymbol or a list of d numbers, "
                         f"got {shown(mean)}")
    if isinstance(mean, sp.MatrixExpr) and mean.shape == (DIM, 1):
        return mean
    raise ValueError(f"{where}: expected 'target', 'opposite' or a d x 1 MatrixSymbol, got {shown(mean)}")


def _cov(cov: Any, where: str) -> sp.Basic:
    if isinstance(cov, sp.MatrixSymbol):
        if cov.shape != (DIM, DIM):
            raise ValueError(f"{where}: expected a d x d symmetric matrix symbol, got shape {cov.shape}")
        return cov
    c = _number(cov, where, symbols=True)
    if c.is_nonnegative is not True:
        raise ValueError(f"{where}: expected a number >= 0 (times the identity), an expression declared "
                         f"non-negative (sympy.Symbol('c', positive=True)) or a symmetric positive "
                         f"semi-definite matrix, got {shown(cov)}")
    return c


def _number(x: Any, where: str, *, symbols: bool) -> sp.Expr:
    """An exact number (int, '1/2', float read exactly) or, if allowed, a SymPy expression."""
    """Exact numbers are held to the real range (0, or a magnitude in [1e-300, 1e300])."""
    if isinstance(x, bool) or x is None:
        raise ValueError(f"{where}: expected a number, got {x!r}")
    if isinstance(x, sp.Basic):
        if not (x.is_number or symbols) or getattr(x, "is_Matrix", False):
            raise ValueError(f"{where}: expected a number, got {shown(x)}")
        if x.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"{where}: expected a finite number, got {shown(x)}")
        if x.is_extended_real is False or (x.is_number and x.as_real_imag()[1] != 0):
            raise ValueError(f"{where}: expected a real number, got {shown(x)}")
        if x.is_Rational and not in_range(Fraction(int(x.p), int(x.q))):
            raise ValueError(f"{where}: expected 0 or a magnitude between 1e-300 and 1e300, got {shown(x)}")
        return x
    if isinstance(x, int):
        value = Fraction(x)
    elif isinstance(x, Fraction):
        value = x
    elif isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"{where}: expected a finite number, got {x!r}")
        value = Fraction(x)
    elif isinstance(x, str):
        value = exact_number(x, where)
    else:
        raise ValueError(f"{where}: expected a number, got {type(x).__name__}")
    if not in_range(value):
        raise ValueError(f"{where}: expected 0 or a magnitude between 1e-300 and 1e300, got {shown(x)}")
    return sp.Rational(value.numerator, value.denominator)


def make_task(task: Any, where: str = "task") -> Task:
    """A :class:`Task` from ``Task``, 'target', 'opposite', ``theta_0``, ``-theta_0`` or a
    d x 1 MatrixSymbol."""
    if isinstance(task, Task):
        mean = None if task.mean is None else _mean(task.mean, f"{where}.mean")
        if task.is_fixed and mean is None:
            raise ValueError(f"{where}: the task theta = 0 is a family's mean only; write a family "
                             "{\"mean\": \"zero\", \"cov\": c} (c > 0) or a non-zero task")
        return Task(mean, _cov(task.cov, f"{where}.cov"))
    mean = _mean(task, where)
    if mean is None:
        raise ValueError(f"{where}: the task theta = 0 is a family's mean only; write a family "
                         "{\"mean\": \"zero\", \"cov\": c} (c > 0) or a non-zero task")
    return Task(mean)


def make_term(term: Any, where: str = "loss[0]") -> Term:
    """A :class:`Term` from ``Term``, ``(weight, n, task)`` or ``{"weight", "n", "task"}``."""
    if isinstance(term, Term):
        term = (term.weight, term.n, term.task)
    if isinstance(term, Mapping):
        unknown = set(term) - {"weight", "n", "task"}
        if unknown:
            raise ValueError(f"{where}: unknown key {shown(sorted(map(str, unknown))[0])} (expected weight, n, task)")
        if "n" not in term or "task" not in term:
            raise ValueError(f"{where}: expected the keys 'n' and 'task' (and optionally 'weight')")
        weight, n, task = term.get("weight", 1), term["n"], term["task"]
    elif isinstance(term, (tuple, list)) and len(term) == 3:
        weight, n, task = term
    else:
        raise ValueError(f"{where}: expected a loss term (weight, n, task) or {{'weight', 'n', 'task'}}, got {shown(term)}")
    w = _number(weight, f"{where}.weight", symbols=True)
    if w.is_positive is not True:  # a minimiser of a negative weight's term is its maximiser
        raise ValueError(f"{where}.weight: expected a positive number or an expression declared positive "
                         f"(sympy.Symbol('w', positive=True)), got {shown(weight)}")
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    try:
        n = check_count(n, f"{where}.n")
    except ValueError:
        raise ValueError(f"{where}.n: expected an integer 0 <= n <= 10^12 or 'inf', got {shown(n)}") from None
    return Term(w, n, make_task(task, f"{where}.task"))


def make_spec(train: Sequence[Any] | str, loss: Sequence[Any], then: Sequence[Any] = (),
              start: Blocks | None = None, name: str = "spec",
              bindings: tuple[tuple[str, Any], ...] = (), d: int | None = None) -> Spec:
    """Validate and build a :class:`Spec` (the REPL's form of a strategy question).

    ``train`` lists block names (``"Qxx"``, a group ``"Q"`` or ``"V"``), :class:`Rank` objects
    or ``{"block": name, "rank": r}`` mappings (a rank-r update of that block, see
    :class:`Rank`).  ``d``, when given, holds every rank to its block's size at that d
    (otherwise that check waits until d is known: :func:`check_ranks`)."""
    if isinstance(train, (str, Rank, Mapping)):
        train = [train]
    train = _bounded_list(train, "train", len(BLOCKS + SILENT_BLOCKS),
                          f"a list of block names ({', '.join(BLOCKS)})")
    if not train:
        raise ValueError(f"train: expected a non-empty list of block names ({', '.join(BLOCKS)})")
    names, ranks = [], []
    for i, entry in enumerate(train):
        block, rank = _train_entry(entry, f"train[{i}]")
        if rank is not None:
            ranks.append(Rank(block, rank, f"train[{i}].rank"))
        names.extend(GROUPS.get(block, (block,)))
    train = names
    if len(set(train)) != len(train):
        raise ValueError("train: a block is listed twice")
    if not any(b in BLOCKS for b in train):
        raise ValueError(f"train: {', '.join(train)} never reach the output; train some of {', '.join(BLOCKS)}")
    if isinstance(loss, (Mapping, Term)) or (isinstance(loss, tuple) and len(loss) == 3 and not isinstance(loss[0], (tuple, list, Mapping, Term))):
        loss = [loss]
    expected = "a list of terms (weight, n, task)"
    loss = _bounded_list(loss, "loss", MAX_TERMS, expected)
    then = _bounded_list(then, "then", MAX_TERMS, expected)
    if not loss:
        raise ValueError("loss: expected at least one term")
    if start is not None and not isinstance(start, Blocks):
        raise ValueError(f"start: expected None (the pretrained parameters) or symbolic.model.Blocks, got {type(start).__name__}")
    if start is not None:  # its scalar blocks: finite real numbers (or symbols) within the real range
        start = start.with_(**{k: _number(getattr(start, k), f"start.{k}", symbols=True)
                               for k in ("v0", "vy", "Q00", "Qy0")})
    name = _check_name(name)
    terms = (tuple(make_term(t, f"loss[{i}]") for i, t in enumerate(loss)),
             tuple(make_term(t, f"then[{i}]") for i, t in enumerate(then)))
    tasks = {(t.task.mean, t.task.cov) for t in terms[0] + terms[1]} - {(THETA0, 0), (-THETA0, 0)}
    if len(tasks) > MAX_TASKS:
        raise ValueError(f"loss, then: expected at most {MAX_TASKS} distinct tasks besides theta_0 and -theta_0 "
                         f"(the derivation's time grows with each: 4 take about 20 s), got {len(tasks)}")
    bindings = tuple((str(k), sp.ImmutableMatrix(v) if isinstance(v, (sp.MatrixBase, list, tuple)) else sp.sympify(v))
                     for k, v in bindings)   # hashable: the spec is a cache key
    spec = Spec(tuple(b for b in BLOCKS + SILENT_BLOCKS if b in train), terms[0], terms[1],
                start, name, bindings, tuple(ranks))
    if d is not None:
        check_ranks(spec, d)
    return spec


def _train_entry(entry: Any, where: str) -> tuple[str, int | None]:
    """``(block, rank or None)`` from a block name, a :class:`Rank` or ``{"block", "rank"}``."""
    every = BLOCKS + SILENT_BLOCKS + tuple(GROUPS)
    if isinstance(entry, Rank):
        block, rank, rwhere = entry.block, entry.rank, f"{where}.rank"
    elif isinstance(entry, Mapping):
        unknown = set(entry) - {"block", "rank"}
        if unknown:
            raise ValueError(f"{where}: unknown key {shown(sorted(map(str, unknown))[0])} (expected block, rank)")
        if "block" not in entry:
            raise ValueError(f"{where}: expected {{\"block\": name, \"rank\": r}}, the key 'block' is missing")
        block, rank, rwhere = entry["block"], entry.get("rank"), f"{where}.rank"
        if "rank" not in entry:
            raise ValueError(f"{where}.rank: expected an integer >= 1 (or write the block's name alone for full "
                             "fine-tuning), the key 'rank' is missing")
    else:
        block, rank, rwhere = entry, None, ""
    if not isinstance(block, str) or block not in every:
        if rwhere:   # written as {"block": ..., "rank": ...}
            raise ValueError(f"{where}: unknown block {shown(block)} (expected some of {', '.join(every)})")
        raise ValueError(f"train: unknown block {shown(block)} (expected some of {', '.join(BLOCKS + SILENT_BLOCKS)})")
    if rank is None:
        return block, None
    if block in _SCALAR_BLOCKS or block in SILENT_BLOCKS:
        raise ValueError(f"{rwhere}: the block {block} has no rank ({'a scalar' if block in _SCALAR_BLOCKS else 'it never reaches the output'}); "
                         f"ranks go on {', '.join(RANKED_BLOCKS)}")
    if isinstance(rank, bool) or not isinstance(rank, (int, sp.Integer)):
        raise ValueError(f"{rwhere}: expected an integer >= 1, got {shown(rank)}")
    rank = int(rank)
    if rank < 1:
        raise ValueError(f"{rwhere}: expected an integer >= 1 (rank 0 trains nothing: leave the block out), got {rank}")
    if RANKED_BLOCKS[block] in (("1", "d"), ("d", "1")) and rank > 1:
        raise ValueError(f"{rwhere}: expected 1 (the block {block} is a vector, its only rank is 1), got {rank}")
    if rank > 10**6:
        raise ValueError(f"{rwhere}: expected an integer 1 <= rank <= d + 2, got {shown(rank)}")
    return block, rank


def _bounded_list(items: Any, key: str, most: int, expected: str) -> list:
    """At most ``most`` items of a finite or infinite iterable, read no further than ``most + 1``."""
    from itertools import islice
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
        raise ValueError(f"{key}: expected {expected}, got {shown(items)}")
    out = list(islice(iter(items), most + 1))
    if len(out) > most:
        raise ValueError(f"{key}: expected at most {most} items, got more")
    return out


def _check_name(name: Any) -> str:
    """A spec's name: printable text (no line breaks or control characters: it is printed in
    the output), 1 to :data:`MAX_NAME` characters."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or not name.isprintable():
        raise ValueError(f"name: expected a non-empty printable string of at most {MAX_NAME} characters "
                         f"(no line breaks or control characters), got {shown(name)}")
    return name.strip()


# ----------------------------------------------------------------------------- JSON

def spec_from_json(obj: Any, d: int | None = None, max_d: int = MAX_SPEC_D) -> Spec:
    """A spec from its JSON form (see docs/cli.md), validated field by field.

    Task vectors (lists of d numbers) and covariance matrices become symbols ``theta_1``,
    ``Omega_1``, ... whose values are kept in ``Spec.bindings``; they need ``d`` (or fix it:
    the first one seen sets d when ``d`` is None).  ``start`` is ``"pretrained"`` (the default:
    the pretrained model at ``--m``) or ``{"V": [[...]], "Q": [[...]]}``, explicit (d+2) x (d+2)
    matrices: each block that reaches the output becomes a symbol (``v_x_start``,
    ``Q_xx_start``...) bound to its value, scalars are kept as numbers.

    Every field is held to the command line's limits before any derivation: numbers in the
    real range (strings too: ``"1e9999"`` is refused unread), ``n <= 10^12``, d <= ``max_d``,
    at most :data:`MAX_TERMS` terms and :data:`MAX_TASKS` distinct tasks, a printable name.

    A spec with the key ``layers`` is a spec at depth: :func:`symbolic.depth_spec.read_spec` reads
    both kinds (a :class:`symbolic.depth_spec.DepthSpec` for L >= 2; ``"layers": 1`` is this one-layer
    spec).
    """
    if not isinstance(obj, Mapping):
        raise ValueError("spec: expected a JSON object with keys train, loss (and optionally then, name)")
    if "layers" in obj:
        raise ValueError("spec: the key 'layers' makes a spec at depth; read it with symbolic.depth_spec.read_spec "
                         "(which reads one-layer specs too)")
    unknown = set(obj) - {"train", "loss", "then", "name", "start"}
    if unknown:
        raise ValueError(f"spec: unknown key {shown(sorted(map(str, unknown))[0])} (expected train, loss, then, name, start)")
    for key in ("train", "loss"):
        if key not in obj:
            raise ValueError(f"spec: missing key {key!r}")
    train = obj["train"]
    if not isinstance(train, list) or not all(isinstance(b, (str, Mapping)) for b in train):
        raise ValueError(f"train: expected a list of block names ({', '.join(BLOCKS)}) or "
                         "{\"block\": name, \"rank\": r} objects")
    name = obj.get("name", "spec")
    _check_name(name)
    state = {"d": d, "max_d": max_d, "bindings": [], "count": {"theta": 0, "Omega": 0}}

    def terms(key: str) -> list:
        raw = obj.get(key, [])
        if not isinstance(raw, list):
            raise ValueError(f"{key}: expected a list of terms {{\"weight\", \"n\", \"task\"}}")
        if len(raw) > MAX_TERMS:
            raise ValueError(f"{key}: expected at most {MAX_TERMS} terms, got {len(raw)}")
        out = []
        for i, t in enumerate(raw):
            where = f"{key}[{i}]"
            if not isinstance(t, Mapping):
                raise ValueError(f"{where}: expected an object {{\"weight\", \"n\", \"task\"}}")
            t = dict(t)
            if "task" in t:
                t["task"] = _json_task(t["task"], f"{where}.task", state)
            if isinstance(t.get("n"), str):
                t["n"] = t["n"].strip().lower()
                if t["n"] not in ("inf", "oo", "infinity"):
                    raise ValueError(f"{where}.n: expected an integer 0 <= n <= 10^12 or 'inf', got {shown(t['n'])}")
            elif isinstance(t.get("n"), (float, Fraction)) and not (isinstance(t["n"], Fraction) and t["n"].denominator == 1):
                raise ValueError(f"{where}.n: expected an integer 0 <= n <= 10^12 or 'inf', got {shown(t['n'])}")
            out.append(t)
        return out

    for i, entry in enumerate(train):   # ranks first: a bad rank is refused before any other work
        _train_entry(entry, f"train[{i}]")
    loss, then = terms("loss"), terms("then")
    start = _json_start(obj.get("start", "pretrained"), state)
    return make_spec(train, loss, then, start, name, tuple(state["bindings"]), d=state["d"])


def _json_start(start: Any, state: dict) -> Blocks | None:
    """``"pretrained"`` -> None; ``{"V", "Q"}`` -> Blocks of symbols bound to the given entries."""
    if start in ("pretrained", None):
        return None
    if not isinstance(start, Mapping) or set(start) != {"V", "Q"}:
        raise ValueError('start: expected "pretrained" or {"V": [[...]], "Q": [[...]]} ((d+2) x (d+2) matrices)')
    mats = {}
    for key in ("V", "Q"):
        rows = start[key]
        if (not isinstance(rows, list) or not rows or len(rows) > state["max_d"] + 2
                or not all(isinstance(r, list) and len(r) == len(rows) for r in rows)):
            raise ValueError(f"start.{key}: expected a square (d+2) x (d+2) matrix (a list of rows), d <= {state['max_d']}")
        if len(rows) < 3:
            raise ValueError(f"start.{key}: expected a (d+2) x (d+2) matrix with d >= 1, got {len(rows)} x {len(rows)}")
        _set_d(state, len(rows) - 2, f"start.{key}")
        mats[key] = sp.ImmutableMatrix([[_number(x, f"start.{key}[{i}][{j}]", symbols=False)
                                         for j, x in enumerate(r)] for i, r in enumerate(rows)])
    from .model import mat as mat_, vec as vec_
    from .words import Atom
    V, Q = mats["V"], mats["Q"]
    d = V.shape[0] - 2
    x = slice(1, d + 1)

    def bound_vec(name: str, values: sp.ImmutableMatrix):
        if all(v == 0 for v in values):
            return ()
        sym = sp.MatrixSymbol(name, DIM, 1)
        state["bindings"].append((name, sp.ImmutableMatrix(values)))
        return vec_(sym)
    Qxx = Q[x, x]
    if all(v == 0 for v in Qxx):
        qxx = ()
    else:
        sym = sp.MatrixSymbol("Q_xx_start", DIM, DIM)
        state["bindings"].append(("Q_xx_start", sp.ImmutableMatrix(Qxx)))
        qxx = mat_(Atom(sym, symmetric=Qxx == Qxx.T))
    return Blocks(v0=V[d + 1, 0], vx=bound_vec("v_x_start", V[d + 1, x].T), vy=V[d + 1, d + 1],
                  Q00=Q[0, 0], q0x=bound_vec("q_0x_start", Q[0, x].T), qx0=bound_vec("q_x0_start", Q[x, 0]),
                  Qxx=qxx, Qy0=Q[d + 1, 0], qyx=bound_vec("q_yx_start", Q[d + 1, x].T))


def _json_task(task: Any, where: str, state: dict) -> Task:
    if isinstance(task, str):
        return make_task(task, where)
    if isinstance(task, list):
        return make_task(Task(_json_vector(task, where, state)), where)
    if isinstance(task, Mapping):
        unknown = set(task) - {"mean", "cov"}
        if unknown or "mean" not in task:
            raise ValueError(f"{where}: expected {{\"mean\": ..., \"cov\": ...}} (mean 'target', 'opposite', "
                             "'zero' or d numbers; cov a number or a d x d matrix)")
        mean = task["mean"]
        mean = _json_vector(mean, f"{where}.mean", state) if isinstance(mean, list) else _mean(mean, f"{where}.mean")
        cov = task.get("cov", 0)
        if isinstance(cov, list):
            cov = _json_matrix(cov, f"{where}.cov", state)
        else:
            cov = _cov(cov, f"{where}.cov")
        return make_task(Task(mean, cov), where)
    raise ValueError(f"{where}: expected 'target', 'opposite', a list of d numbers or {{\"mean\", \"cov\"}}, got {shown(task)}")


def _set_d(state: dict, d: int, where: str) -> None:
    if state["d"] is None:
        state["d"] = d
    elif state["d"] != d:
        raise ValueError(f"{where}: expected length {state['d']} (the dimension d), got {d}")


def _json_vector(values: list, where: str, state: dict) -> sp.MatrixSymbol:
    if not values or len(values) > state["max_d"] or any(isinstance(x, (list, dict)) for x in values):
        raise ValueError(f"{where}: expected a list of d numbers (1 <= d <= {state['max_d']}), got {len(values)} entries")
    _set_d(state, len(values), where)
    vec = sp.ImmutableMatrix([[_number(x, f"{where}[{i}]", symbols=False)] for i, x in enumerate(values)])
    state["count"]["theta"] += 1
    sym = sp.MatrixSymbol(f"theta_{state['count']['theta']}", DIM, 1)
    state["bindings"].append((sym.name, vec))
    return sym


def _json_matrix(rows: list, where: str, state: dict) -> sp.MatrixSymbol:
    if not rows or len(rows) > state["max_d"] or not all(isinstance(r, list) and len(r) == len(rows) for r in rows):
        raise ValueError(f"{where}: expected a d x d matrix (a list of d rows of d numbers), 1 <= d <= {state['max_d']}")
    _set_d(state, len(rows), where)
    M = sp.ImmutableMatrix([[_number(x, f"{where}[{i}][{j}]", symbols=False) for j, x in enumerate(r)]
                            for i, r in enumerate(rows)])
    if M != M.T:
        raise ValueError(f"{where}: expected a symmetric matrix")
    if not is_psd(M.tolist()):
        raise ValueError(f"{where}: expected a positive semi-definite matrix")
    state["count"]["Omega"] += 1
    sym = sp.MatrixSymbol(f"Omega_{state['count']['Omega']}", DIM, DIM)
    state["bindings"].append((sym.name, M))
    return sym


def general_start(spec: Any) -> bool:
    """Whether ``spec`` starts from an explicit Q whose x block is not a multiple of I (a dense
    numeric start, e.g. a trained model's parameters).  Its traces tr(Q_xx_start^T Sigma ...)
    stay opaque at symbolic d, and the first-order system over them has no tractable closed
    form; but the start fixes d, so the question is concrete: it is answered at that d by the
    explicit quadratic (:func:`symbolic.explicit.explicit_quadratic`)."""
    start = dict(getattr(spec, "bindings", ()) or ()).get("Q_xx_start")
    if getattr(spec, "start", None) is None or start is None:
        return False
    M = sp.Matrix(start)
    return M != M[0, 0] * sp.eye(M.rows)


def start_dimension(spec: Any) -> int | None:
    """d as fixed by the spec's explicit start (None for the pretrained start)."""
    for name, value in getattr(spec, "bindings", ()) or ():
        if name.endswith("_start"):
            return int(sp.Matrix(value).shape[0])
    return None
