"""Records gathered for a round, then written over the next round in equal slices.

Used for the stations' last-seen times: a large network sees thousands of stations every few
seconds, and one batch updating all of them held the event loop (and every answer waiting behind
it) for a tenth of a second; a slice every half second costs a few milliseconds.
"""

from __future__ import annotations

import itertools
import math
from typing import Generic, TypeVar

T = TypeVar("T")


class Rounds(Generic[T]):
    def __init__(self, slices: int):
        self.slices = slices
        self.waiting: dict[str, T] = {}  # set since the current round began (a newer value replaces an older)
        self._round: dict[str, T] = {}
        self._tick = 0
        self._size = 0

    def next_slice(self) -> dict[str, T]:
        """The next slice to write; every `slices` calls a new round takes what has been waiting."""
        if self._tick % self.slices == 0:
            self._round.update(self.waiting)  # what a previous round left, if anything, goes first
            self.waiting = {}
            self._size = math.ceil(len(self._round) / self.slices)
        self._tick += 1
        return take_first(self._round, self._size)

    def take_all(self) -> dict[str, T]:
        everything, self._round = self._round, {}
        everything.update(self.waiting)
        self.waiting = {}
        return everything


def take_first(entries: dict[str, T], count: int) -> dict[str, T]:
    """Remove and return the first `count` entries (a dict keeps its keys in first-set order)."""
    return {key: entries.pop(key) for key in list(itertools.islice(entries, count))}
