"""Strategy.abstract_blocks is computed once per strategy and ``min_ops``: a later call with another
``min_ops`` must not get the first call's answer, and a caller changing the returned map must not
change what the next caller gets."""
import sympy as sp

from symbolic import M
from symbolic.bilinear import Bilinear
from proofs.quantities.derivations import strategy


def _long_atoms(blocks) -> bool:
    """Whether a scalar block (or a vector block's coefficient) still holds a trace or a bilinear form."""
    scalars = [blocks.v0, blocks.vy, blocks.Q00, blocks.Qy0]
    scalars += [c for f in ("vx", "q0x", "qx0", "qyx") for c, _, _ in getattr(blocks, f)]
    return any(sp.sympify(c).atoms(Bilinear, sp.Trace) for c in scalars)


def test_each_min_ops_gets_its_own_abstraction():
    s = strategy("value-fewshot", M)              # at a finite m: one long coefficient, one short
    b12, subs12 = s.abstract_blocks()             # long coefficients only
    b0, subs0 = s.abstract_blocks(0)              # every coefficient with a trace or a form
    assert not s.abstract_blocks(200)[1]          # none is that long
    assert not _long_atoms(b0)                    # min_ops = 0 leaves none behind
    assert _long_atoms(b12)
    assert set(subs12) < set(subs0) and subs12
    subs0.clear()
    assert s.abstract_blocks(0)[1]                # the memo is not the caller's dict
    assert s.abstract_blocks()[0] == b12
