"""The charging profiles the CSMS believes each station holds (brief §4.1 "shadow profile store").

Updated when a station accepts a SetChargingProfile or ClearChargingProfile (ours, or one an
operator sent through the command service), when a transaction ends (its TxProfiles die with it)
and when a station reports its profiles. The replacement and clearing rules are the shared
domain's, so the shadow store behaves exactly as a station does. Kept in memory and written
through to `believed_profiles`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from chargeline.domain.smart_charging import (
    ChargingProfile,
    ChargingProfilePurpose,
    ClearCriteria,
    InstalledProfile,
    OcppVersion,
    clear,
    end_transaction,
    install,
    profile_from_ocpp,
    profile_to_ocpp,
)
from chargeline.store.smart_charging_schema import believed_profiles

V21 = OcppVersion.V21


@dataclass(frozen=True, slots=True)
class Believed:
    evse_id: int
    profile: ChargingProfile
    source: str
    command_id: int | None
    installed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        p = self.profile
        return {"evse_id": self.evse_id, "id": p.id, "purpose": p.purpose.value, "stack_level": p.stack_level,
                "transaction_id": p.transaction_id, "source": self.source, "command_id": self.command_id,
                "installed_at": self.installed_at, "charging_profile": profile_to_ocpp(p, V21)}


class BeliefStore:
    def __init__(self, submit: Callable[[Callable[[Connection], Any]], Any]):
        self._submit = submit  # the CSMS writer's fire-and-forget submit
        self._stations: dict[str, dict[int, Believed]] = {}
        self._touched: dict[str, dict[int, float]] = {}  # when each id last changed (monotonic), removals too

    def touched_since(self, station_id: str, since: float) -> set[int]:
        """Ids installed, replaced or removed after `since` (a report asked for before may not show it yet)."""
        return {k for k, at in self._touched.get(station_id, {}).items() if at > since}

    def _touch(self, station_id: str, ids: Iterable[int]) -> None:
        now = time.monotonic()
        held = self._touched.setdefault(station_id, {})
        for profile_id in ids:
            held[profile_id] = now

    def load(self, rows: Iterable[Any]) -> None:
        for row in rows:
            try:
                profile = profile_from_ocpp(row.profile, V21)
            except (ValueError, KeyError, TypeError):
                continue
            self._stations.setdefault(row.station_id, {})[row.profile_id] = Believed(
                row.evse_id, profile, row.source, row.command_id, row.installed_at)

    def of(self, station_id: str) -> list[Believed]:
        return sorted(self._stations.get(station_id, {}).values(), key=lambda b: (b.evse_id, b.profile.id))

    def installed(self, station_id: str) -> list[InstalledProfile]:
        return [InstalledProfile(b.evse_id, b.profile) for b in self.of(station_id)]

    def get(self, station_id: str, profile_id: int) -> Believed | None:
        return self._stations.get(station_id, {}).get(profile_id)

    def install(self, station_id: str, evse_id: int, profile: ChargingProfile, version: OcppVersion, source: str,
                command_id: int | None, at: datetime) -> None:
        held = self._stations.get(station_id, {})
        kept = install([InstalledProfile(b.evse_id, b.profile) for b in held.values()],
                       InstalledProfile(evse_id, profile), version)
        new = Believed(evse_id, profile, source, command_id, at)
        self._stations[station_id] = {i.profile.id: held.get(i.profile.id, new) if i.profile.id != profile.id else new
                                      for i in kept}
        self._touch(station_id, set(held) - set(self._stations[station_id]) | {profile.id})
        self._persist(station_id)

    def clear(self, station_id: str, criteria: ClearCriteria) -> bool:
        held = self._stations.get(station_id, {})
        kept, removed = clear([InstalledProfile(b.evse_id, b.profile) for b in held.values()], criteria)
        if removed:
            ids = {i.profile.id for i in kept}
            self._stations[station_id] = {k: v for k, v in held.items() if k in ids}
            self._touch(station_id, set(held) - ids)
            self._persist(station_id)
        return removed

    def end_transaction(self, station_id: str, evse_id: int, transaction_id: str | None) -> None:
        held = self._stations.get(station_id, {})
        kept = end_transaction([InstalledProfile(b.evse_id, b.profile) for b in held.values()], evse_id,
                               transaction_id)
        if len(kept) != len(held):
            ids = {i.profile.id for i in kept}
            self._stations[station_id] = {k: v for k, v in held.items() if k in ids}
            self._touch(station_id, set(held) - ids)
            self._persist(station_id)

    def forget(self, station_id: str, keep: Callable[[Believed], bool]) -> None:
        held = self._stations.get(station_id, {})
        kept = {k: v for k, v in held.items() if keep(v)}
        if len(kept) != len(held):
            self._stations[station_id] = kept
            self._touch(station_id, set(held) - set(kept))
            self._persist(station_id)

    def replace(self, station_id: str, believed: Iterable[Believed]) -> None:
        """Adopt what the station reported (after a verification)."""
        self._stations[station_id] = {b.profile.id: b for b in believed}
        self._persist(station_id)

    def tx_profiles(self, station_id: str) -> list[Believed]:
        return [b for b in self.of(station_id) if b.profile.purpose is ChargingProfilePurpose.TX]

    def _persist(self, station_id: str) -> None:
        rows = [{"station_id": station_id, "profile_id": b.profile.id, "evse_id": b.evse_id,
                 "purpose": b.profile.purpose.value, "stack_level": b.profile.stack_level,
                 "transaction_id": b.profile.transaction_id, "profile": profile_to_ocpp(b.profile, V21),
                 "source": b.source[:40], "command_id": b.command_id, "installed_at": b.installed_at}
                for b in self.of(station_id)]

        def unit(conn: Connection) -> None:
            conn.execute(delete(believed_profiles).where(believed_profiles.c.station_id == station_id))
            if rows:
                conn.execute(believed_profiles.insert(), rows)

        self._submit(unit)
