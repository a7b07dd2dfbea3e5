r"""Low-rank (LoRA) fine-tuning of a block at symbolic d: the best rank-r update in closed form.

(The derivation is added below; this module also holds :class:`RankConstrained`, raised by
:func:`symbolic.general.derive_spec` for a spec whose rank constrains a block.)
"""
from __future__ import annotations

__all__ = ["RankConstrained"]


class RankConstrained(NotImplementedError):
    """A spec's rank constrains a block (a rank below the size of Qxx or Q): the updates form
    no linear space, so the quadratic derivation does not apply; :mod:`symbolic.lowrank` and
    :mod:`symbolic.lowrank_concrete` derive it."""
