"""Station records and running sessions, held in memory.

Admitting a connection needs the station's record, and its handlers need its running sessions.
Reading them from the database per connection made reconnect storms slow, so the directory
loads everything at start and re-reads one station only when its record is older than `ttl`
(so that changes made by `chargeline stations add` or the API are seen soon) or missing.
The running-session map of a station is shared with its connection and kept up to date by the
transaction handlers, so it survives reconnects without a database read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chargeline.store.schema import stations, transactions


@dataclass(slots=True, frozen=True)
class StationRecord:
    station_id: str
    display_id: str
    password_hash: str | None
    security_profile: int
    boot_status: str | None
    lenient: bool = False


@dataclass(slots=True)
class _Entry:
    record: StationRecord
    loaded_at: float
    active_tx: dict[int, int] = field(default_factory=dict)


_RECORD = select(stations.c.id, stations.c.display_id, stations.c.password_hash, stations.c.security_profile,
                 stations.c.boot_status, stations.c.lenient)
_ACTIVE = (select(transactions.c.station_id, transactions.c.evse_id, transactions.c.id)
           .where(transactions.c.status == "active", transactions.c.evse_id.is_not(None))
           .order_by(transactions.c.id))


class StationDirectory:
    def __init__(self, engine: AsyncEngine, ttl: float = 30.0):
        self.engine = engine
        self.ttl = ttl
        self._entries: dict[str, _Entry] = {}

    async def load(self) -> None:
        now = time.monotonic()
        async with self.engine.connect() as conn:
            entries = {row.id: _Entry(StationRecord(*row), now) for row in await conn.execute(_RECORD)}
            for station_id, evse_id, tx_id in await conn.execute(_ACTIVE):
                if station_id in entries:
                    entries[station_id].active_tx[evse_id] = tx_id
        self._entries = entries

    async def get(self, station_id: str, fresh: bool = False) -> StationRecord | None:
        entry = self._entries.get(station_id)
        if entry is not None and not fresh and time.monotonic() - entry.loaded_at < self.ttl:
            return entry.record
        async with self.engine.connect() as conn:
            return await self._reload(conn, station_id)

    async def _reload(self, conn: AsyncConnection, station_id: str) -> StationRecord | None:
        row = (await conn.execute(_RECORD.where(stations.c.id == station_id))).first()
        if row is None:
            self._entries.pop(station_id, None)
            return None
        record = StationRecord(*row)
        entry = self._entries.get(station_id)
        if entry is None:
            active = await conn.execute(_ACTIVE.where(transactions.c.station_id == station_id))
            self._entries[station_id] = _Entry(record, time.monotonic(), {e: t for _, e, t in active})
        else:
            entry.record, entry.loaded_at = record, time.monotonic()
        return record

    def active_tx(self, station_id: str) -> dict[int, int]:
        """The live map of EVSE -> running transaction id (shared, updated in place)."""
        entry = self._entries.get(station_id)
        return entry.active_tx if entry is not None else {}

    def set_boot_status(self, station_id: str, status: str) -> None:
        entry = self._entries.get(station_id)
        if entry is not None:
            r = entry.record
            entry.record = StationRecord(r.station_id, r.display_id, r.password_hash, r.security_profile, status,
                                         r.lenient)

    def forget_transaction(self, station_id: str, tx_id: int) -> None:
        """A session was closed outside its station's connection (e.g. an operator soft-stop)."""
        active = self.active_tx(station_id)
        for evse_id in [e for e, t in active.items() if t == tx_id]:
            del active[evse_id]
