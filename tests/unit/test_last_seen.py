"""Last-seen times are written a slice at a time, the stations waiting longest first."""

from __future__ import annotations

from chargeline.csms.rounds import Rounds, take_first


def test_the_entries_waiting_longest_are_taken_first() -> None:
    seen = {"a": 1, "b": 2, "c": 3}
    seen["a"] = 4  # set again: still waiting since it was first set
    seen["d"] = 5
    assert take_first(seen, 2) == {"a": 4, "b": 2}
    assert list(seen) == ["c", "d"]
    assert take_first(seen, 10) == {"c": 3, "d": 5}
    assert seen == {}


def test_a_round_writes_what_waited_in_equal_slices_and_no_more() -> None:
    rounds: Rounds[int] = Rounds(slices=10)
    rounds.waiting.update({f"s{i}": i for i in range(10_001)})
    written: dict[str, int] = {}
    sizes = []
    for _ in range(10):
        part = rounds.next_slice()
        sizes.append(len(part))
        written.update(part)
        for i in range(2_000):  # stations seen again meanwhile wait for the next round
            rounds.waiting[f"s{i}"] = -i
    assert len(written) == 10_001 and max(sizes) == 1_001  # a tenth each, never all at once
    assert written["s5"] == 5  # the value of the round it was taken in
    assert len(rounds.waiting) == 2_000
    assert len(rounds.next_slice()) == 200  # the next round: the newer values, a tenth at a time
    assert len(rounds.take_all()) == 1_800  # shutdown: the rest of the round at once


def test_take_all_includes_what_waits_for_the_next_round() -> None:
    rounds: Rounds[int] = Rounds(slices=4)
    rounds.waiting.update({"a": 1, "b": 2})
    assert rounds.next_slice() == {"a": 1}
    rounds.waiting["a"] = 3
    assert rounds.take_all() == {"b": 2, "a": 3}
    assert rounds.next_slice() == {}
