"""Limits set on a station by someone else (an EMS, the grid operator), reported over OCPP 2.x.

NotifyChargingLimit tells us a limit applies (with its schedule when the station sends it),
ClearedChargingLimit that it no longer does, and ReportChargingProfiles shows the
ChargingStationExternalConstraints profiles themselves. The CSMS never sets or clears them
(K01.FR.22, K10); it treats them as hard caps (brief §4.6): on the EVSE, or for EVSE 0 on the
whole station. Allocating above them would waste capacity another EV could use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chargeline.domain.smart_charging import ChargingSchedule
from chargeline.domain.smart_charging.conversion import schedule_from_ocpp

UNKNOWN = "unknown"  # a limit was notified without its schedule: fetched with GetChargingProfiles


@dataclass(frozen=True, slots=True)
class ExternalLimit:
    station_id: str
    evse_id: int  # 0: the whole station
    source: str
    schedules: tuple[ChargingSchedule, ...]
    received_at: datetime
    grid_critical: bool = False

    def watts_at(self, now: datetime, voltage: float, phases: int) -> float | None:
        """The lowest limit of its schedules in force at `now`, in W (None: nothing in force)."""
        values = [v for v in (_schedule_watts(s, self.received_at, now, voltage, phases) for s in self.schedules)
                  if v is not None]
        return min(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        from chargeline.domain.smart_charging.conversion import schedule_to_ocpp
        from chargeline.domain.smart_charging.profiles import OcppVersion

        return {"evse_id": self.evse_id, "source": self.source, "grid_critical": self.grid_critical,
                "received_at": self.received_at,
                "schedules": [schedule_to_ocpp(s, OcppVersion.V21) for s in self.schedules]}


def _schedule_watts(schedule: ChargingSchedule, anchor: datetime, now: datetime, voltage: float,
                    phases: int) -> float | None:
    start = schedule.start_schedule or anchor
    offset = (now - start).total_seconds()
    if offset < 0 or (schedule.duration is not None and offset >= schedule.duration):
        return None
    current = None
    for period in schedule.periods:
        if period.start_period <= offset:
            current = period
    if current is None or current.limit is None:
        return None
    if schedule.charging_rate_unit.value == "W":
        return current.limit
    return current.limit * voltage * (current.number_phases or phases)


class ExternalLimits:
    """Per station: (evse, source) -> the limit in force."""

    def __init__(self) -> None:
        self._limits: dict[str, dict[tuple[int, str], ExternalLimit]] = {}

    def notified(self, station_id: str, payload: Mapping[str, Any], at: datetime) -> bool:
        """NotifyChargingLimit. Returns True when no schedule came with it (the caller fetches the profiles)."""
        limit = payload.get("chargingLimit") or {}
        source = str(limit.get("chargingLimitSource", "Other"))
        evse = int(payload.get("evseId") or 0)
        raw = payload.get("chargingSchedule") or []
        schedules = tuple(schedule_from_ocpp(s) for s in raw)
        entry = ExternalLimit(station_id, evse, source, schedules, at, bool(limit.get("isGridCritical", False)))
        self._limits.setdefault(station_id, {})[(evse, source)] = entry
        return not schedules

    def cleared(self, station_id: str, payload: Mapping[str, Any]) -> None:
        source = str(payload.get("chargingLimitSource", ""))
        evse = payload.get("evseId")
        held = self._limits.get(station_id, {})
        for key in [k for k in held if k[1] == source and (evse is None or k[0] == int(evse))]:
            del held[key]

    def reported(self, station_id: str, evse_id: int, source: str, schedules: Iterable[ChargingSchedule],
                 at: datetime) -> None:
        """An ExternalConstraints profile seen in ReportChargingProfiles (replaces what a notification said)."""
        held = self._limits.setdefault(station_id, {})
        previous = held.get((evse_id, source))
        merged = tuple(schedules)
        if previous is not None and previous.received_at == at:
            merged = previous.schedules + merged  # several profiles of one source in one report
        held[(evse_id, source)] = ExternalLimit(station_id, evse_id, source, merged, at,
                                                previous.grid_critical if previous else False)

    def forget_station(self, station_id: str) -> None:
        self._limits.pop(station_id, None)

    def cap_w(self, station_id: str, evse_id: int, now: datetime, voltage: float, phases: int) -> float | None:
        values = [v for (evse, _), limit in self._limits.get(station_id, {}).items() if evse == evse_id
                  for v in (limit.watts_at(now, voltage, phases),) if v is not None]
        return min(values) if values else None

    def of_station(self, station_id: str) -> list[ExternalLimit]:
        return list(self._limits.get(station_id, {}).values())
