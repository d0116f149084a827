"""The collector policy: young collections rarely, survivors frozen, cycles freed by the sweep."""

from __future__ import annotations

import gc
import weakref

from chargeline.gc_policy import THRESHOLDS, GcPolicy


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


async def test_policy_sets_thresholds_and_the_sweep_frees_frozen_cycles() -> None:
    before = gc.get_threshold()
    policy = GcPolicy(freeze_every=3600)
    try:
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        probe = weakref.ref(a)
        policy.start()
        assert gc.get_threshold() == THRESHOLDS
        del a, b
        gc.collect()
        assert probe() is not None  # frozen at start: ordinary collections no longer look at it
        assert policy.sweep() > 0
        assert probe() is None and policy.sweeps == 1 and policy.last_sweep_ms >= 0
    finally:
        await policy.stop()
        gc.unfreeze()
        gc.set_threshold(*before)
