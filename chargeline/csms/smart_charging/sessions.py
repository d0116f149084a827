"""Live charging sessions: what the loop knows about each running transaction.

Fed by the CSMS events (transaction started/ended, meter values) and by the stored transaction
rows. Measured power drives demand estimation ("sticky limitation", brief §4.3.2), per-phase
currents reveal how many phases an EV actually uses (§4.3.6), and the energy register tells how
much of a price-planned session's need is still open (§4.8).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

POWER = "Power.Active.Import"
CURRENT = "Current.Import"
REGISTER = "Energy.Active.Import.Register"
_PHASE_ON_A = 0.5  # a phase carrying less than this is not in use


@dataclass(slots=True)
class Needs:
    """Energy need and departure of a session, and EV limits (NotifyEVChargingNeeds or the API)."""

    energy_wh: float | None = None
    departure_at: datetime | None = None
    min_current_a: float | None = None
    max_current_a: float | None = None
    max_power_w: float | None = None
    priority: int | None = None
    source: str = "api"


@dataclass(slots=True)
class Reading:
    received_at: datetime
    watts: float


@dataclass(slots=True)
class LiveSession:
    transaction_id: int  # our transactions.id
    station_id: str  # casefolded key
    evse_id: int
    ocpp_transaction_id: str  # what a TxProfile's transactionId carries (1.6: our id, 2.x: the station's)
    started_at: datetime | None = None
    group_id: str | None = None
    needs: Needs = field(default_factory=Needs)
    readings: deque[Reading] = field(default_factory=lambda: deque(maxlen=8))
    phases_in_use: int | None = None
    register_first_wh: float | None = None
    register_last_wh: float | None = None
    last_sample_row: int = 0  # meter_values.id already read for this session

    @property
    def key(self) -> tuple[str, int]:
        return (self.station_id, self.evse_id)

    @property
    def delivered_wh(self) -> float:
        if self.register_first_wh is None or self.register_last_wh is None:
            return 0.0
        return max(0.0, self.register_last_wh - self.register_first_wh)

    @property
    def remaining_wh(self) -> float | None:
        if self.needs.energy_wh is None:
            return None
        return max(0.0, self.needs.energy_wh - self.delivered_wh)

    def latest_watts(self, now: datetime, stale_s: float) -> float | None:
        if not self.readings:
            return None
        last = self.readings[-1]
        return last.watts if (now - last.received_at).total_seconds() <= stale_s else None

    def recent_watts(self, since: datetime | None) -> tuple[float, ...]:
        """Readings received after `since` (older ones describe a limit no longer in force)."""
        return tuple(r.watts for r in self.readings if since is None or r.received_at > since)

    def absorb(self, samples: Iterable[Mapping[str, Any]], received_at: datetime, voltage: float) -> bool:
        """Take one message's samples (dicts with measurand, value, phase). True when power was read."""
        power: float | None = None
        currents: dict[str, float] = {}
        for sample in samples:
            value = sample.get("value")
            if value is None:
                continue
            measurand, phase = sample.get("measurand"), sample.get("phase")
            if measurand == POWER and phase is None:
                power = float(value)
            elif measurand == CURRENT and phase in ("L1", "L2", "L3"):
                currents[phase] = float(value)
            elif measurand == REGISTER and phase is None:
                if self.register_first_wh is None:
                    self.register_first_wh = float(value)
                self.register_last_wh = float(value)
        if len(currents) >= 2:
            self.phases_in_use = max(1, sum(1 for v in currents.values() if v >= _PHASE_ON_A)) \
                if any(v >= _PHASE_ON_A for v in currents.values()) else self.phases_in_use
        if power is None and currents:
            power = sum(currents.values()) * voltage
        if power is None:
            return False
        self.readings.append(Reading(received_at, max(0.0, power)))
        return True


class SessionTracker:
    """Running sessions by (station key, EVSE) and by transaction id."""

    def __init__(self) -> None:
        self._by_evse: dict[tuple[str, int], LiveSession] = {}
        self._by_tx: dict[int, LiveSession] = {}

    def __iter__(self) -> Any:
        return iter(list(self._by_evse.values()))

    def __len__(self) -> int:
        return len(self._by_evse)

    def add(self, session: LiveSession) -> None:
        previous = self._by_evse.get(session.key)
        if previous is not None and previous.transaction_id != session.transaction_id:
            self._by_tx.pop(previous.transaction_id, None)
        old = self._by_tx.get(session.transaction_id)
        if old is not None and old.key != session.key:
            self._by_evse.pop(old.key, None)
        self._by_evse[session.key] = session
        self._by_tx[session.transaction_id] = session

    def remove(self, transaction_id: int) -> LiveSession | None:
        session = self._by_tx.pop(transaction_id, None)
        if session is not None and self._by_evse.get(session.key) is session:
            del self._by_evse[session.key]
        return session

    def at(self, station_id: str, evse_id: int) -> LiveSession | None:
        return self._by_evse.get((station_id, evse_id))

    def by_transaction(self, transaction_id: int) -> LiveSession | None:
        return self._by_tx.get(transaction_id)

    def of_station(self, station_id: str) -> list[LiveSession]:
        return [s for s in self._by_evse.values() if s.station_id == station_id]
