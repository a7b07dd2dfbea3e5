r"""Expectations of products of sums over tokens, by index-coincidence patterns.

A product of r sums over the tokens of one prompt,

    sum_{i_1} ... sum_{i_r} F(i_1, ..., i_r),

where slot j ranges over the n context tokens (``'n'``) or over the n context tokens and the
query (``'N'``, N = n + 1 columns), has an expectation that only depends on *which slots carry
the same token*: tokens are independent, the context tokens exchangeable. So

    E[sum ...] = sum over set partitions pi of the slots
                 sum over the choice c of the block that is the query (or none; a block may be
                     the query only if all its slots range over 'N')
                 n^{(k)} E[F at distinct tokens t_1 .. t_k for the k context blocks, q for c],

with the falling factorial n^{(k)} = n (n-1) ... (n-k+1) counting the injective assignments of
the k context blocks to context tokens (0 when k > n, so the formula holds at every n >= 0).

One layer's objective (:mod:`symbolic.objective`) is the case r <= 2:
n E[T_1^2] + n(n-1) E[T_1 T_2]. Depth needs r up to 2L (:mod:`symbolic.depth`).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

__all__ = ["falling", "set_partitions", "index_patterns", "Pattern"]

Pattern = tuple[tuple[int, ...], int | None, int]
"""(block of each slot (blocks numbered by first appearance), the query's block or None, number of context blocks)."""


def falling(n: sp.Expr, k: int) -> sp.Expr:
    """The falling factorial n (n-1) ... (n-k+1) (1 for k = 0)."""
    out = sp.S.One
    for j in range(k):
        out = out * (n - j)
    return out


@lru_cache(maxsize=None)
def set_partitions(r: int) -> tuple[tuple[int, ...], ...]:
    """All set partitions of ``range(r)`` as restricted growth strings (Bell(r) of them):
    entry j is the block of slot j, blocks numbered in order of first appearance."""
    if r == 0:
        return ((),)
    out = []
    for rest in set_partitions(r - 1):
        m = max(rest) + 1 if rest else 0
        for b in range(m + 1):
            out.append(rest + (b,))
    return tuple(out)


@lru_cache(maxsize=None)
def index_patterns(ranges: tuple[str, ...]) -> tuple[Pattern, ...]:
    """Every coincidence pattern of slots with the given ranges (``'n'`` or ``'N'`` each).

    Returns ``(blocks, query, k)`` triples: ``blocks[j]`` the block of slot j, ``query`` the block
    that is the query token (None: every block is a context token), ``k`` the number of
    context blocks (the falling factorial's order).
    """
    for r in ranges:
        if r not in ("n", "N"):
            raise ValueError(f"ranges: expected 'n' or 'N' for each slot, got {r!r}")
    out: list[Pattern] = []
    for blocks in set_partitions(len(ranges)):
        m = max(blocks) + 1 if blocks else 0
        out.append((blocks, None, m))
        for c in range(m):
            if all(ranges[j] == "N" for j in range(len(ranges)) if blocks[j] == c):
                out.append((blocks, c, m - 1))
    return tuple(out)
