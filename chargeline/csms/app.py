"""The central system object: storage, connections, events and the inbound dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from chargeline.config import Settings
from chargeline.csms.commands.redact import redact_frame
from chargeline.csms.commands.service import CommandService
from chargeline.csms.context import Ctx, StationSession
from chargeline.csms.data_transfer import DataTransferRegistry
from chargeline.csms.directory import StationDirectory, StationRecord
from chargeline.csms.events import EventHub
from chargeline.csms.metering import SAMPLES
from chargeline.csms.provisioning import CONNECTOR_STATE, STATUS_HISTORY
from chargeline.csms.rounds import Rounds
from chargeline.csms.smart_charging import SmartChargingService
from chargeline.csms.versions import HANDLERS, PRE_BOOT_ACTIONS
from chargeline.domain.clock import utcnow
from chargeline.gateway.registry import ConnectionRegistry
from chargeline.ocpp.errors import ErrorKind, OcppError
from chargeline.ocpp.rpc import InboundCall
from chargeline.ocpp.versions import OcppVersion
from chargeline.store.database import migrate
from chargeline.store.driver import plain
from chargeline.store.message_log import MessageLog
from chargeline.store.schema import stations
from chargeline.store.writer import BatchWriter

log = logging.getLogger(__name__)

# Frames of these actions (requests and answers) may carry passwords or keys.
SECRET_BEARING_ACTIONS = frozenset({"ChangeConfiguration", "GetConfiguration", "SetVariables", "GetVariables",
                                    "NotifyReport", "SetNetworkProfile", "DataTransfer"})

# A station's last-seen time reaches the database at most this late, a slice at a time (csms/rounds.py)
LAST_SEEN_EVERY_S = 10.0
LAST_SEEN_SLICES = 10


class Csms:
    def __init__(self, settings: Settings, engine: AsyncEngine, sync_engine: Engine):
        self.settings = settings
        self.engine = engine  # asyncio engine: reads
        self.writer = BatchWriter(sync_engine, settings.max_batch)  # every write, group-committed
        # rows no unit of the batch writing them reads
        self.writer.write_after_units(SAMPLES, STATUS_HISTORY, CONNECTOR_STATE)
        self.events = EventHub()
        self.connections = ConnectionRegistry()
        self.directory = StationDirectory(engine)
        self.data_transfers = DataTransferRegistry()
        self.commands = CommandService(self)  # every CSMS-initiated call goes through it
        self.smart_charging = SmartChargingService(self)  # sites, allocation loops, stations' profiles
        # frames by (direction, message type, action), for the metrics; counted here, twice per call
        self.frame_counts: Counter[tuple[str, int | None, str | None]] = Counter()
        self._last_seen: Rounds[tuple[datetime, float | None]] = Rounds(LAST_SEEN_SLICES)
        self.message_log = MessageLog(settings.database, settings.log_frames_interval,
                                      settings.message_log_database or None)
        self._log_ms = 0
        self._log_at: Any = None
        self._station_updates: dict[str, dict[str, Any]] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await migrate(self.engine)
        await self.directory.load()
        await self.message_log.start()
        self.writer.start()
        await self.commands.start()
        await self.smart_charging.start()
        self._flusher = asyncio.create_task(self._flush_last_seen_periodically(), name="last-seen")

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        self._flush_last_seen()
        self._submit_station_updates()
        await self.smart_charging.stop()
        await self.commands.stop()
        await self.writer.close()
        await self.message_log.close()
        await self.engine.dispose()
        self.writer.engine.dispose()

    # --- stations ----------------------------------------------------------------------
    async def lookup_station(self, station_id: str, fresh: bool = False) -> StationRecord | None:
        return await self.directory.get(station_id, fresh)

    async def register_unknown(self, display_id: str) -> StationRecord:
        """--allow-unknown-stations: a station seen for the first time is added with profile 0."""
        from chargeline.store.stations import add_unknown_station

        await self.writer.run(lambda conn: add_unknown_station(conn, display_id))
        record = await self.lookup_station(display_id.casefold(), fresh=True)
        assert record is not None
        log.info("registered unknown station %s (profile 0)", display_id)
        return record

    # --- inbound -------------------------------------------------------------------------
    def handled_actions(self, version: OcppVersion) -> frozenset[str]:
        return frozenset(HANDLERS[version])

    def load_state(self, session: StationSession) -> None:
        """What the handlers keep in memory for a connected station: its running sessions."""
        session.active_tx = self.directory.active_tx(session.station_id)

    def handle(self, station: StationSession, call: InboundCall) -> Awaitable[dict[str, Any]]:
        """The handler's coroutine for `call` (returned, not awaited here: one coroutine less per message)."""
        now = utcnow()
        self.touch(station.station_id, now)
        if station.boot_status != "Accepted" and call.action not in PRE_BOOT_ACTIONS:
            raise OcppError(ErrorKind.SECURITY, f"boot not accepted (status {station.boot_status or 'none'})")
        return HANDLERS[station.version][call.action](Ctx(self, station, now), call.payload)

    def touch(self, station_id: str, at: datetime, clock_skew: float | None = None) -> None:
        """Last seen (and the station clock's offset, when known); written every few seconds."""
        waiting = self._last_seen.waiting
        if clock_skew is None:
            previous = waiting.get(station_id)
            clock_skew = previous[1] if previous else None
        waiting[station_id] = (at, clock_skew)

    # --- connection lifecycle ----------------------------------------------------------
    def connected(self, session: StationSession) -> None:
        self._set_station(session.station_id, last_connected_at=session.connected_at, last_seen_at=session.connected_at)
        self.events.publish("connected", session.display_id, version=session.version.label, remote=session.remote)

    def disconnected(self, session: StationSession) -> None:
        self._set_station(session.station_id, last_disconnected_at=utcnow())
        self.events.publish("disconnected", session.display_id)

    def _set_station(self, station_id: str, **values: Any) -> None:
        """Connection times of a station: written with the next batch, many stations per statement."""
        if not self._station_updates:
            asyncio.get_running_loop().call_soon(self._submit_station_updates)
        self._station_updates.setdefault(station_id, {}).update(values)

    def _submit_station_updates(self) -> None:
        updates, self._station_updates = self._station_updates, {}
        if not updates:
            return
        self.writer.submit(lambda conn: self._write_station_updates(conn, updates))

    @staticmethod
    def _write_station_updates(conn: Connection, updates: dict[str, dict[str, Any]]) -> None:
        sql = plain(conn)
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for station_id, values in updates.items():
            columns = tuple(sorted(values))
            by_columns.setdefault(columns, []).append(
                (station_id, *sql.values(stations, {c: values[c] for c in columns})))
        for columns, rows in by_columns.items():
            sql.update_many(conn, stations, "id", columns, rows)

    # --- message log -------------------------------------------------------------------
    def log_frame(self, station_id: str, direction: str, text: str, message_type: int | None,
                  message_id: str | None, action: str | None) -> None:
        """Count the frame and keep it (store/message_log.py writes it in bulk, never awaited)."""
        self.frame_counts[(direction, message_type, action)] += 1
        if message_type == 2 and direction == "out":
            self.commands.observe_frame(station_id, direction, message_type, message_id, action)
        if not self.settings.log_frames:
            return
        if action in SECRET_BEARING_ACTIONS:
            text = redact_frame(text)  # passwords and keys are never stored, not even in the raw log
        self.message_log.append((station_id, direction, text, message_type, message_id, action, self._log_time()))

    def _log_time(self) -> Any:
        """Now, as the database stores it; converted once per millisecond, not once per frame."""
        ms = time.time_ns() // 1_000_000
        if ms != self._log_ms:
            self._log_ms, self._log_at = ms, self.message_log.sql.time(utcnow())
        return self._log_at

    # --- last seen ---------------------------------------------------------------------
    async def _flush_last_seen_periodically(self) -> None:
        """A sighting waits at most one round and is written during the next: at most `LAST_SEEN_EVERY_S` late."""
        step = LAST_SEEN_EVERY_S / 2 / LAST_SEEN_SLICES
        while True:
            await asyncio.sleep(step)
            self._write_last_seen(self._last_seen.next_slice())

    def _flush_last_seen(self) -> None:
        self._write_last_seen(self._last_seen.take_all())

    def _write_last_seen(self, seen: dict[str, tuple[datetime, float | None]]) -> None:
        for station_id, (at, skew) in seen.items():
            if skew is None:
                self._set_station(station_id, last_seen_at=at)
            else:
                self._set_station(station_id, last_seen_at=at, clock_skew_s=skew)
