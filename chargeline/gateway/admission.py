"""Failed-authentication back-off per (station, address) (security brief §5.2)."""

from __future__ import annotations

import time
from collections import deque


class AuthFailureLimiter:
    """After `limit` failures within `window` seconds, further attempts get 429 until they age out.

    Keyed on (station, address) so that an attacker elsewhere cannot lock out the real station.
    """

    def __init__(self, limit: int = 5, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def blocked(self, station_id: str, address: str) -> bool:
        failures = self._failures.get((station_id, address))
        if not failures:
            return False
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            del self._failures[(station_id, address)]
        return len(failures) >= self.limit

    def failed(self, station_id: str, address: str) -> None:
        self._failures.setdefault((station_id, address), deque()).append(time.monotonic())
        if len(self._failures) > 100_000:  # bounded memory under a flood of distinct keys
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, station_id: str, address: str) -> None:
        self._failures.pop((station_id, address), None)
