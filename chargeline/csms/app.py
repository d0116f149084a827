"""The central system object: storage, connections, events and the inbound dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chargeline.config import Settings
from chargeline.csms.context import Ctx, StationSession
from chargeline.csms.data_transfer import DataTransferRegistry
from chargeline.csms.events import EventHub
from chargeline.csms.versions import HANDLERS, PRE_BOOT_ACTIONS
from chargeline.domain.clock import utcnow
from chargeline.gateway.registry import ConnectionRegistry
from chargeline.ocpp.errors import ErrorKind, OcppError
from chargeline.ocpp.rpc import InboundCall
from chargeline.ocpp.versions import OcppVersion
from chargeline.store.database import migrate
from chargeline.store.schema import message_log, stations
from chargeline.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)


@dataclass(slots=True, frozen=True)
class StationRecord:
    station_id: str
    display_id: str
    password_hash: str | None
    security_profile: int
    boot_status: str | None
    lenient: bool = False


class Csms:
    def __init__(self, settings: Settings, engine: AsyncEngine):
        self.settings = settings
        self.engine = engine
        self.writer = GroupCommitWriter(engine, settings.max_batch)
        self.events = EventHub()
        self.connections = ConnectionRegistry()
        self.data_transfers = DataTransferRegistry()
        self._last_seen: dict[str, datetime] = {}
        self._frames: list[dict[str, Any]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await migrate(self.engine)
        self.writer.start()
        self._flusher = asyncio.create_task(self._flush_last_seen_periodically(), name="last-seen")

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        self._flush_last_seen()
        await self.writer.close()
        await self.engine.dispose()

    # --- stations ----------------------------------------------------------------------
    async def lookup_station(self, station_id: str) -> StationRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(
                stations.c.id, stations.c.display_id, stations.c.password_hash, stations.c.security_profile,
                stations.c.boot_status, stations.c.lenient).where(stations.c.id == station_id))).first()
        return StationRecord(*row) if row else None

    async def register_unknown(self, display_id: str) -> StationRecord:
        """--allow-unknown-stations: a station seen for the first time is added with profile 0."""
        from chargeline.store.stations import add_station

        async def unit(conn: AsyncConnection) -> None:
            await add_station(conn, display_id, password=None, security_profile=0, if_missing=True)

        await self.writer.run(unit)
        record = await self.lookup_station(display_id.casefold())
        assert record is not None
        log.info("registered unknown station %s (profile 0)", display_id)
        return record

    # --- inbound -------------------------------------------------------------------------
    def handled_actions(self, version: OcppVersion) -> frozenset[str]:
        return frozenset(HANDLERS[version])

    async def handle(self, station: StationSession, call: InboundCall) -> dict[str, Any]:
        now = utcnow()
        self._last_seen[station.station_id] = now
        if station.boot_status != "Accepted" and call.action not in PRE_BOOT_ACTIONS:
            raise OcppError(ErrorKind.SECURITY, f"boot not accepted (status {station.boot_status or 'none'})")
        return await HANDLERS[station.version][call.action](Ctx(self, station, now), call.payload)

    def touch(self, station_id: str, at: datetime) -> None:
        self._last_seen[station_id] = at

    # --- connection lifecycle ----------------------------------------------------------
    def connected(self, session: StationSession) -> None:
        self._set_station(session.station_id, last_connected_at=session.connected_at, last_seen_at=session.connected_at)
        self.events.publish("connected", session.display_id, version=session.version.label, remote=session.remote)

    def disconnected(self, session: StationSession) -> None:
        self._set_station(session.station_id, last_disconnected_at=utcnow())
        self.events.publish("disconnected", session.display_id)

    def _set_station(self, station_id: str, **values: Any) -> None:
        async def unit(conn: AsyncConnection) -> None:
            await conn.execute(update(stations).where(stations.c.id == station_id).values(**values))

        self.writer.submit(unit)

    # --- message log -------------------------------------------------------------------
    def log_frame(self, station_id: str, direction: str, text: str, message_type: int | None,
                  message_id: str | None, action: str | None) -> None:
        """Keep the raw frame; frames are written in bulk with the next batch, never awaited."""
        if not self.settings.log_frames:
            return
        self._frames.append({"station_id": station_id, "direction": direction, "frame": text,
                             "message_type": message_type, "message_id": message_id, "action": action,
                             "at": utcnow()})
        if len(self._frames) == 1:
            self.writer.submit(self._write_frames)

    async def _write_frames(self, conn: AsyncConnection) -> None:
        rows, self._frames = self._frames, []
        if rows:
            await conn.execute(message_log.insert(), rows)

    # --- last seen ---------------------------------------------------------------------
    async def _flush_last_seen_periodically(self, every: float = 10.0) -> None:
        while True:
            await asyncio.sleep(every)
            self._flush_last_seen()

    def _flush_last_seen(self) -> None:
        seen, self._last_seen = self._last_seen, {}
        if not seen:
            return

        async def unit(conn: AsyncConnection) -> None:
            for station_id, at in seen.items():
                await conn.execute(update(stations).where(stations.c.id == station_id).values(last_seen_at=at))

        self.writer.submit(unit)
