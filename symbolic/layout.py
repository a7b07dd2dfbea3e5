r"""The block layout of V and Q: one table, one way to cut the matrices into blocks and back.

Tokens are ``z = (1, x, y)``: index 0 the constant, 1..d the input, d+1 the label. Only V's
last row ``v^T = V[-1, :]`` and Q's first d+1 columns reach the output (:mod:`symbolic.model`);
their blocks, in the toolkit's one spelling (the spec language's, and the fields of
:class:`symbolic.model.Blocks`):

    =======  =================  =======  ==============================
    block    entries            shape    engine symbol (printed maths)
    =======  =================  =======  ==============================
    ``v0``   V[d+1, 0]          scalar   ``v_0``
    ``vx``   V[d+1, 1:d+1]^T    d x 1    ``v_x``
    ``vy``   V[d+1, d+1]        scalar   ``v_y``
    ``Q00``  Q[0, 0]            scalar   ``Q_00``
    ``q0x``  Q[0, 1:d+1]^T      d x 1    ``q_0x``
    ``qx0``  Q[1:d+1, 0]        d x 1    ``q_x0``
    ``Qxx``  Q[1:d+1, 1:d+1]    d x d    ``Q_xx``
    ``Qy0``  Q[d+1, 0]          scalar   ``Q_y0``
    ``qyx``  Q[d+1, 1:d+1]^T    d x 1    ``q_yx``
    =======  =================  =======  ==============================

Every other entry (V's first d+1 rows, Q's last column) never reaches the output.

:func:`cut` reads the blocks off explicit matrices, :func:`assemble` writes them back (zeros
elsewhere), :func:`entries` lists the (matrix, row, column) of a block's entries, all in any
:class:`symbolic.arithmetic.Arithmetic`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["Block", "LAYOUT", "NAMES", "SCALARS", "VECTORS", "block", "cut", "assemble", "entries", "symbol_env",
           "size"]


@dataclass(frozen=True)
class Block:
    """One block: its ``name``, the ``matrix`` it lies in (``"V"`` or ``"Q"``), its ``kind``
    (``scalar``, ``vector`` d x 1, ``matrix`` d x d), where it lies (``rows``, ``cols``: ``"0"``
    the constant index, ``"x"`` the input block, ``"y"`` the label index), whether it is stored
    as the transpose of a row (``row``), the engine's ``symbol`` and its ``latex``."""

    name: str
    matrix: str
    kind: str
    rows: str
    cols: str
    row: bool
    symbol: str
    latex: str

    def index(self, d: int) -> tuple[slice, slice]:
        """Its (rows, columns) slices in the (d+2) x (d+2) matrix."""
        at = {"0": slice(0, 1), "x": slice(1, d + 1), "y": slice(d + 1, d + 2)}
        return at[self.rows], at[self.cols]


#: the blocks, in the toolkit's order (V's last row, then Q's blocks)
LAYOUT = (
    Block("v0", "V", "scalar", "y", "0", False, "v_0", "v_0"),
    Block("vx", "V", "vector", "y", "x", True, "v_x", "v_x"),
    Block("vy", "V", "scalar", "y", "y", False, "v_y", "v_y"),
    Block("Q00", "Q", "scalar", "0", "0", False, "Q_00", "Q_{00}"),
    Block("q0x", "Q", "vector", "0", "x", True, "q_0x", "q_{0x}"),
    Block("qx0", "Q", "vector", "x", "0", False, "q_x0", "q_{x0}"),
    Block("Qxx", "Q", "matrix", "x", "x", False, "Q_xx", "Q_{xx}"),
    Block("Qy0", "Q", "scalar", "y", "0", False, "Q_y0", "Q_{y0}"),
    Block("qyx", "Q", "vector", "y", "x", True, "q_yx", "q_{yx}"),
)
NAMES = tuple(b.name for b in LAYOUT)
SCALARS = tuple(b.name for b in LAYOUT if b.kind == "scalar")
VECTORS = tuple(b.name for b in LAYOUT if b.kind == "vector")
_BY_NAME = {b.name: b for b in LAYOUT}


def block(name: str) -> Block:
    """The block called ``name`` (a ValueError naming the blocks otherwise)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"block: expected one of {', '.join(NAMES)}, got {name!r}") from None


def size(name: str, d: int) -> int:
    """The number of entries of a block at dimension d."""
    kind = block(name).kind
    return 1 if kind == "scalar" else d if kind == "vector" else d * d


def cut(V: Any, Q: Any, d: int, arith: Any) -> dict[str, Any]:
    """The blocks of explicit (d+2) x (d+2) matrices V, Q (in ``arith``): scalars as numbers,
    vectors as d x 1 matrices, Q_xx as d x d."""
    out = {}
    for b in LAYOUT:
        rows, cols = b.index(d)
        M = arith.block(V if b.matrix == "V" else Q, rows, cols)
        if b.kind == "scalar":
            out[b.name] = arith.entry(M)
        else:
            out[b.name] = arith.transpose(M) if b.row else M
    return out


def assemble(blocks: dict[str, Any], d: int, arith: Any) -> tuple[Any, Any]:
    """(V, Q), (d+2) x (d+2) in ``arith``, with the given blocks in place (a name missing, or
    None, is 0) and every entry that never reaches the output 0. A block's value is a number,
    or a matrix of this arithmetic of its shape (a vector d x 1)."""
    V, Q = arith.zeros(d + 2, d + 2), arith.zeros(d + 2, d + 2)
    for name, value in blocks.items():
        if value is None:
            continue
        b = block(name)
        M = V if b.matrix == "V" else Q
        rows, cols = b.index(d)
        if b.kind == "scalar":
            M[rows.start, cols.start] = arith.number(value)
        else:
            value = arith.matrix(value)
            arith.put(M, rows.start, cols.start, arith.transpose(value) if b.row else value)
    return V, Q


def entries(names: Iterable[str], d: int) -> list[tuple[str, int, int]]:
    """(matrix, row, column) of every entry of the blocks ``names``, block by block in the
    order given, a vector's entries in order, Q_xx row by row."""
    out = []
    for name in names:
        b = block(name)
        rows, cols = b.index(d)
        out += [(b.matrix, i, j) for i in range(rows.start, rows.stop) for j in range(cols.start, cols.stop)]
    return out


def symbol_env(blocks: dict[str, Any]) -> dict[str, Any]:
    """The blocks keyed by their engine symbols (``v_x``, ``Q_xx``...): the environment in which
    the closed form with every block symbolic (:func:`symbolic.objective.expected_error`) is
    evaluated."""
    return {block(name).symbol: value for name, value in blocks.items()}
