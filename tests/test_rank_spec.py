"""Ranks in the strategy language (symbolic.spec): syntax, bad input, and full rank = today's."""
from __future__ import annotations

import pytest
import sympy as sp

from symbolic.general import derive_spec
from symbolic.lowrank import RankConstrained
from symbolic.spec import GROUPS, Q_BLOCKS, Rank, check_ranks, make_spec, max_rank, spec_from_json

LOSS = [(1, 5, "target")]


def test_rank_syntax_python_and_json_agree():
    a = make_spec([{"block": "Qxx", "rank": 1}], LOSS)
    b = make_spec([Rank("Qxx", 1)], LOSS)
    c = spec_from_json({"train": [{"block": "Qxx", "rank": 1}], "loss": [{"n": 5, "task": "target"}]})
    assert a == b == c
    assert a.train == ("Qxx",) and a.ranks == (Rank("Qxx", 1),)
    assert "Qxx (rank 1)" in str(a)


def test_group_Q_is_every_block_of_Q_that_reaches_the_output():
    assert make_spec(["Q"], LOSS) == make_spec(list(Q_BLOCKS), LOSS)
    s = make_spec([{"block": "Q", "rank": 2}], LOSS)
    assert s.train == Q_BLOCKS and s.rank_of("Qxx") == 2 and s.rank_of("qyx") == 2
    assert GROUPS["V"] == ("v0", "vx", "vy")
    with pytest.raises(ValueError, match="listed twice"):
        make_spec(["Q", "Qxx"], LOSS)


def test_max_rank_is_the_blocks_smaller_side():
    assert [max_rank(b, 3) for b in ("Qxx", "Q", "V", "qyx", "qx0")] == [3, 4, 5, 1, 1]


@pytest.mark.parametrize("entry, message", [
    ({"block": "Qxx", "rank": 0}, r"train\[0\]\.rank: expected an integer >= 1"),
    ({"block": "Qxx", "rank": -2}, r"train\[0\]\.rank: expected an integer >= 1"),
    ({"block": "Qxx", "rank": 1.5}, r"train\[0\]\.rank: expected an integer >= 1, got 1\.5"),
    ({"block": "Qxx", "rank": 1.0}, r"train\[0\]\.rank: expected an integer"),
    ({"block": "Qxx", "rank": "1"}, r"train\[0\]\.rank: expected an integer"),
    ({"block": "Qxx", "rank": True}, r"train\[0\]\.rank: expected an integer"),
    ({"block": "Q00", "rank": 1}, r"train\[0\]\.rank: the block Q00 has no rank \(a scalar\)"),
    ({"block": "vy", "rank": 1}, r"train\[0\]\.rank: the block vy has no rank"),
    ({"block": "qyx", "rank": 2}, r"train\[0\]\.rank: expected 1 \(the block qyx is a vector"),
    ({"block": "Qxx"}, r"train\[0\]\.rank: expected an integer >= 1 \(or write the block's name alone"),
    ({"block": "Qzz", "rank": 1}, r"train\[0\]: unknown block"),
    ({"block": "Qxx", "rank": 1, "layer": 2}, r"train\[0\]: unknown key 'layer'"),
])
def test_bad_rank_is_one_line_naming_the_field(entry, message):
    for build in (lambda: make_spec([entry], LOSS),
                  lambda: spec_from_json({"train": [entry], "loss": [{"n": 5, "task": "target"}]})):
        with pytest.raises(ValueError, match=message) as err:
            build()
        assert "\n" not in str(err.value)


def test_rank_above_the_blocks_size_once_d_is_known():
    with pytest.raises(ValueError, match=r"train\[0\]\.rank: expected an integer 1 <= rank <= 3 .*Qxx at d = 3\), got 4"):
        spec_from_json({"train": [{"block": "Qxx", "rank": 4}], "loss": [{"n": 5, "task": "target"}]}, d=3)
    with pytest.raises(ValueError, match=r"rank <= 4 .*Q at d = 3\), got 5"):   # d fixed by a task vector
        spec_from_json({"train": [{"block": "Q", "rank": 5}], "loss": [{"n": 5, "task": [1, 0, 0]}]})
    s = make_spec([{"block": "Q", "rank": 5}], LOSS)           # symbolic d: checked later
    with pytest.raises(ValueError, match=r"train\[0\]\.rank: .*got 5"):
        check_ranks(s, 3)
    check_ranks(s, 4)


def test_constraining_ranks():
    s = make_spec([{"block": "Qxx", "rank": 2}], LOSS)
    assert s.constraining_ranks() == (Rank("Qxx", 2),)       # symbolic d: d may exceed 2
    assert s.constraining_ranks(3) == (Rank("Qxx", 2),)
    assert s.constraining_ranks(2) == ()                     # full rank at d = 2
    assert make_spec([{"block": "qyx", "rank": 1}], LOSS).constraining_ranks() == ()
    assert make_spec([{"block": "V", "rank": 1}], LOSS).constraining_ranks() == ()   # one layer: V's last row


def test_a_constraining_rank_is_refused_by_the_quadratic_derivation():
    with pytest.raises(RankConstrained, match="low-rank update"):
        derive_spec(make_spec([{"block": "Qxx", "rank": 1}], LOSS), sp.oo)


@pytest.mark.parametrize("ranked, plain", [
    ([{"block": "qyx", "rank": 1}], ["qyx"]),
    ([{"block": "V", "rank": 2}], ["v0", "vx", "vy"]),
    ([{"block": "vx", "rank": 1}, "vy"], ["vx", "vy"]),
])
def test_full_rank_is_todays_derivation_exactly(ranked, plain):
    loss = [(1, 0, "target"), (1, 5, "target")]
    a = derive_spec(make_spec(ranked, loss), sp.oo)
    b = derive_spec(make_spec(plain, loss), sp.oo)
    assert a.blocks == b.blocks
    assert a.parameters() == b.parameters()
