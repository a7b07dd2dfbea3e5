r"""L layers of linear self-attention in the class where the critical points live, as chains.

The model (issue 25): Z_l = Z_{l-1} + V_l Z_{l-1} Z_{l-1}^T Q_l Z_{l-1} / (n+1), l = 1..L, the
prediction [Z_L]_{-1,-1}, no mask. **The class** (Ahn et al., arXiv 2306.00297, adapted to the
poster's tokens (1, x, y) with the query taking part):

* V_l acts on the label row only: its only non-zero row is the last, v^{(l)T} = V_l[-1, :] =
  (v_0^{(l)}, v_x^{(l)T}, v_y^{(l)}). The pure class of Ahn et al. has v_0 = 0, v_x = 0, so V_l =
  v_y^{(l)} e_y e_y^T reads and writes the label row only; fine-tuning adds v_0, v_x (any layer
  here; the issue's class adds them to the last layer).
* Q_l acts on the x block only: Q_l = blockdiag(0, Gamma_l, 0), Gamma_l a d x d matrix.

Which entries that is, precisely: V_l[-1, 0] = v_0, V_l[-1, 1:d+1] = v_x^T, V_l[-1, -1] = v_y,
Q_l[1:d+1, 1:d+1] = Gamma_l, every other entry 0.

**Why the prediction is a polynomial in the prompt's empirical moments.** With V_l writing the
label row only, the constant row and the x rows of Z never change; write X = [x_1 .. x_n x_q]
(d x N, N = n + 1, the query included) and the label row of Z_l as y^{(l)} (a row of N entries,
y^{(0)} = (y_1, .., y_n, 0)). Then Z_{l-1}^T Q_l Z_{l-1} = X^T Gamma_l X and

    y^{(l)} = y^{(l-1)} + (1/N) (v_0 1^T + v_x^T X + v_y y^{(l-1)}) X^T Gamma_l X.

By induction y^{(l)} = y^{(0)} + g_l^T X with g_0 = 0 and

    g_l = g_{l-1} + (1/N) Gamma_l^T ( v_0 s + S v_x + v_y (b + S g_{l-1}) ),

    s = sum_{i in [N]} x_i,   S = sum_{i in [N]} x_i x_i^T   (the query included),
    b = sum_{i in [n]} y_i x_i                                  (the context only),

and the prediction is f_L = y^{(L)}_{N} = g_L^T x_q (the query's label entry of y^{(0)} is 0).
In the pure class with v_y = 1 this is f = b^T F x_q, F = [prod_l (I + Gamma_l S / N) - I] S^{-1}
written as a sum over the non-empty subsets l_1 < .. < l_k of the layers of
(1/N^k) Gamma_{l_1} S Gamma_{l_2} ... S Gamma_{l_k} (transposed appropriately): L preconditioned
gradient steps whose Gram matrix S includes the query.

**Chains.** g_L is a sum of *chains* c * W_0 S W_1 S ... S W_k src with words W_j in the
Gamma_l^T (and the words of v_x), k S-factors and a source src in {s, b, a constant vector}; the
prediction is the sum of x_q^T W_0 S W_1 ... S W_k src. :func:`chains` builds them from the
recursion above (this module does no expectation: :mod:`symbolic.depth` does).

Public API: :class:`DepthLayer`, :func:`class_layer`, :func:`chains`, :class:`Chain`,
:func:`check_depth_layers`, ``MAX_DEPTH``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import sympy as sp

from .model import MatExpr, VecExpr, mat, vec
from .objective import N
from .words import DIM, Atom, Word, transpose

__all__ = ["DepthLayer", "Chain", "class_layer", "chains", "check_depth_layers", "MAX_DEPTH", "gamma_atom"]

#: deepest class model the symbolic derivations accept (L = 3 takes minutes cold; see bench/bench_depth.py)
MAX_DEPTH = 3


@dataclass(frozen=True)
class DepthLayer:
    """One layer of the class: V_l's last row (v_0, v_x^T, v_y) and Q_l's x block Gamma_l.

    ``v0``, ``vy``: SymPy scalars; ``vx``: a :data:`symbolic.model.VecExpr` (sum c W a);
    ``Gamma``: a :data:`symbolic.model.MatExpr` (sum c W; ``()`` is the zero matrix).
    """

    v0: sp.Expr = sp.S.Zero
    vx: VecExpr = ()
    vy: sp.Expr = sp.S.One
    Gamma: MatExpr = ()

    def with_(self, **kw) -> "DepthLayer":
        return replace(self, **kw)


def gamma_atom(l: int, symmetric: bool = False) -> Atom:
    """The atom Gamma_l (a d x d MatrixSymbol ``Gamma_l``)."""
    return Atom(sp.MatrixSymbol(f"Gamma_{l}", DIM, DIM), symmetric=symmetric)


def class_layer(l: int, *, values: bool = False, symmetric: bool = False, vy: sp.Expr | None = None) -> DepthLayer:
    """Layer l of the class with symbolic parameters.

    Gamma_l is the MatrixSymbol ``Gamma_l`` (symmetric if asked); v_y^{(l)} is the symbol
    ``v_y_l`` unless ``vy`` is given (e.g. 1, the normalisation). With ``values`` the layer also has
    the symbols ``v_0_l`` and the d-vector ``v_x_l`` (what fine-tuning adds); otherwise v_0 = 0 and
    v_x = 0 (the pure class).
    """
    if isinstance(l, bool) or not isinstance(l, int) or l < 1:
        raise ValueError(f"l: expected a layer number >= 1, got {l!r}")
    G = mat(gamma_atom(l, symmetric))
    y = sp.Symbol(f"v_y_{l}") if vy is None else sp.sympify(vy)
    if not values:
        return DepthLayer(vy=y, Gamma=G)
    return DepthLayer(v0=sp.Symbol(f"v_0_{l}"), vx=vec(sp.MatrixSymbol(f"v_x_{l}", DIM, 1)), vy=y, Gamma=G)


def check_depth_layers(layers: Sequence[DepthLayer], name: str = "layers", max_depth: int = MAX_DEPTH
                       ) -> tuple[DepthLayer, ...]:
    """The layers as a tuple, or a one-line ValueError naming the argument: not a list of
    :class:`DepthLayer`, empty, or deeper than ``max_depth``; a NaN or infinite coefficient."""
    if isinstance(layers, DepthLayer) or not isinstance(layers, (list, tuple)):
        raise ValueError(f"{name}: expected a non-empty list of DepthLayer, got {type(layers).__name__}")
    if not layers:
        raise ValueError(f"{name}: expected a non-empty list of DepthLayer, got an empty list")
    if len(layers) > max_depth:
        raise ValueError(f"{name}: expected at most {max_depth} layers (deeper than supported), got {len(layers)}")
    for i, lay in enumerate(layers):
        if not isinstance(lay, DepthLayer):
            raise ValueError(f"{name}[{i}]: expected a DepthLayer, got {type(lay).__name__}")
        scalars = [lay.v0, lay.vy] + [c for c, *_ in lay.vx] + [c for c, _ in lay.Gamma]
        for c in scalars:
            c = sp.sympify(c)
            if c.has(sp.nan, sp.oo, -sp.oo, sp.zoo):
                raise ValueError(f"{name}[{i}]: expected finite coefficients, got {c}")
    return tuple(layers)


@dataclass(frozen=True)
class Chain:
    """``coeff * x_q^T W_0 S W_1 S ... S W_k src`` (``words = (W_0, .., W_k)``).

    ``src`` is ``('s',)`` (s = sum over [N] of x_i), ``('b',)`` (b = sum over [n] of y_i x_i) or
    ``('c', a)`` with a a constant d x 1 MatrixSymbol.
    """

    coeff: sp.Expr
    words: tuple[Word, ...]
    src: tuple

    @property
    def k(self) -> int:
        """The number of S factors."""
        return len(self.words) - 1


def _collect(terms: list[Chain]) -> list[Chain]:
    acc: dict = {}
    for t in terms:
        key = (t.words, t.src)
        acc[key] = acc.get(key, sp.S.Zero) + t.coeff
    return [Chain(c, w, s) for (w, s), c in acc.items() if c != 0]


def chains(layers: Sequence[DepthLayer], n_cols: sp.Expr = N + 1) -> list[Chain]:
    """The chains of g_L (the prediction is f_L = x_q^T g_L), from the recursion

        g_l = g_{l-1} + (1/N) Gamma_l^T ( v_0 s + S v_x + v_y (b + S g_{l-1}) ),   g_0 = 0,

    with N = ``n_cols`` (n + 1; 1 for the zero-shot prompt). Like terms are collected.
    """
    g: list[Chain] = []
    inv = 1 / sp.sympify(n_cols)
    for lay in layers:
        new: list[Chain] = []
        for cG, wG in lay.Gamma:
            wt = transpose(wG)
            base = cG * inv
            if lay.v0 != 0:
                new.append(Chain(base * lay.v0, (wt,), ("s",)))
            for ca, wa, a in lay.vx:
                new.append(Chain(base * ca, (wt, tuple(wa)), ("c", a)))
            if lay.vy != 0:
                new.append(Chain(base * lay.vy, (wt,), ("b",)))
                for t in g:
                    new.append(Chain(base * lay.vy * t.coeff, (wt,) + t.words, t.src))
        g = _collect(g + new)
    return g
