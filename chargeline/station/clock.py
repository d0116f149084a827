"""Simulated time: a wall clock that can run faster than real time.

Physical behaviour (EVs, energy, meter sampling, reservations, scenario events) runs on this
clock so a day of a car park can be replayed in minutes. Network timers (heartbeat, reconnect
back-off, call timeouts, message retries) stay on real time: they protect the CSMS, whose
clock is not accelerated.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from chargeline.domain.clock import utcnow


class SimClock:
    """`now()` = start + real elapsed x factor. Always timezone-aware UTC."""

    def __init__(self, factor: float = 1.0, start: datetime | None = None):
        if factor <= 0:
            raise ValueError("time acceleration must be positive")
        self.factor = factor
        self._real0 = time.monotonic()
        self._sim0 = start or utcnow()

    def now(self) -> datetime:
        return self._sim0 + timedelta(seconds=(time.monotonic() - self._real0) * self.factor)

    def real_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.factor

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(max(0.0, sim_seconds) / self.factor)

    async def sleep_until(self, moment: datetime) -> None:
        await self.sleep((moment - self.now()).total_seconds())

    @classmethod
    def ending_now(cls, factor: float, sim_span: float) -> SimClock:
        """A clock that reaches the real present after `sim_span` simulated seconds.

        An accelerated replay then never sends timestamps from the future, which a CSMS
        rightly distrusts (FIELD-NOTES: Clocks).
        """
        real_span = sim_span / factor
        return cls(factor, utcnow() + timedelta(seconds=real_span) - timedelta(seconds=sim_span))
