"""Garbage collection for a process that holds many long-lived connections.

CPython's cyclic collector scans every tracked object of a generation when that generation is
collected. With ten thousand stations connected, the objects of their connections are most of
the heap, and each full collection stopped the event loop for hundreds of milliseconds while it
found them all alive again. So objects that have lived a while are frozen (moved out of the
collector's sight, which costs nothing), and the heap is swept in full on a slow schedule:
unfreeze, collect, freeze again. That sweep is the one pause left, and it is logged with its
duration. Reference counting still frees every object that is not part of a cycle at once;
only cyclic garbage from closed connections waits for the next sweep.

The youngest generation is collected every 50,000 net new objects instead of 700: at thousands
of messages a second the default ran a collection thousands of times a second, each one walking
the in-flight messages' objects again (17 % of the event loop's time at 9,000 calls/s).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time

log = logging.getLogger(__name__)


# net new objects before a young collection; young collections before a middle one; middle
# collections before an old one (the old generation is mostly frozen; the sweep covers it)
THRESHOLDS = (50_000, 20, 100)


class GcPolicy:
    def __init__(self, freeze_every: float = 10.0, sweep_every: float = 600.0,
                 thresholds: tuple[int, int, int] = THRESHOLDS):
        self.thresholds = thresholds
        self.freeze_every = freeze_every
        self.sweep_every = sweep_every
        self.last_sweep_ms = 0.0
        self.sweeps = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Collect and freeze what start-up built, then keep freezing survivors in the background."""
        gc.collect()
        gc.freeze()
        gc.set_threshold(*self.thresholds)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gc-policy")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        next_sweep = time.monotonic() + self.sweep_every
        while True:
            await asyncio.sleep(self.freeze_every)
            if time.monotonic() >= next_sweep:
                self.sweep()
                next_sweep = time.monotonic() + self.sweep_every
            else:
                gc.freeze()  # what survived until now is most likely a connection's: stop scanning it

    def sweep(self) -> int:
        """A full collection of the whole heap (the frozen part included); returns objects freed."""
        started = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.last_sweep_ms = (time.perf_counter() - started) * 1000
        self.sweeps += 1
        log.info("garbage collection sweep: %d objects freed in %.0f ms", freed, self.last_sweep_ms)
        return freed
