"""The command service: every CSMS-initiated call to a station goes through here.

A caller (the API, the dashboard, smart charging, scheduled jobs) submits a version-neutral
request. The service checks it, translates it for the station's OCPP version, records it,
and sends it through the station's lane: one outstanding call per station, the rest
queued in order behind it. Each call has a timeout, and its result is committed before the
caller is told. The command id is also the OCPP requestId, so the station's asynchronous
reports can be attached to the command that asked for them (`reports.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy import update
from sqlalchemy.engine import Connection

from chargeline.csms.commands.convert import OcppCall, TranslateContext
from chargeline.csms.commands.errors import CommandRefused, InvalidRequest, NotSupported
from chargeline.csms.commands.operations import OPERATIONS, Operation
from chargeline.csms.commands.redact import json_safe, redact
from chargeline.domain.clock import utcnow
from chargeline.gateway.identity import station_key
from chargeline.net.peer import ConnectionLost
from chargeline.ocpp.errors import OcppError
from chargeline.ocpp.rpc import CallFailed
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion
from chargeline.store.api_schema import commands

if TYPE_CHECKING:
    from chargeline.csms.app import Csms

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(slots=True)
class Latency:
    """A cumulative histogram of station answer times for one action (read by /metrics)."""

    counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        self.count += 1
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1


@dataclass(slots=True)
class _Command:
    id: int
    station_id: str
    display_id: str
    operation: str
    call: OcppCall
    version: OcppVersion
    timeout: float
    actor: str
    record: dict[str, Any]
    done: asyncio.Future[dict[str, Any]]
    message_id: str | None = None
    cancelled: bool = False


@dataclass(slots=True)
class _Lane:
    """One station's queue: the lock is FIFO, so calls leave in the order they were submitted."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class CommandHandle:
    """What `submit` returns: the command id at once, the final record when it is done."""

    def __init__(self, command: _Command):
        self._command = command

    @property
    def id(self) -> int:
        return self._command.id

    @property
    def record(self) -> dict[str, Any]:
        return dict(self._command.record)

    async def wait(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The final record, or None if it is not done within `timeout` seconds (the call goes on)."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._command.done), timeout)
        except TimeoutError:
            return None


class CommandService:
    def __init__(self, csms: Csms, max_queue: int = 100):
        self.csms = csms
        self.max_queue = max_queue
        self._lanes: dict[str, _Lane] = {}
        self._pending: dict[int, _Command] = {}
        self._in_flight: dict[str, _Command] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (operation, status) -> count
        self.latency: dict[str, Latency] = {}  # action -> histogram

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Commands that were under way when the CSMS stopped will never be answered: say so."""
        now = utcnow()

        def unit(conn: Connection) -> int:
            result = conn.execute(update(commands).where(commands.c.status.in_(("queued", "sent"))).values(
                status="interrupted", completed_at=now, error_code="Interrupted",
                error_description="the CSMS stopped before the station answered"))
            return int(result.rowcount or 0)

        interrupted = await self.csms.writer.run(unit)
        if interrupted:
            log.warning("%d commands were interrupted by the last shutdown", interrupted)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def queue_depth(self) -> int:
        """Commands waiting behind another call to the same station."""
        return sum(lane.waiting for lane in self._lanes.values())

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def station_queue(self, station_id: str) -> int:
        lane = self._lanes.get(station_key(station_id))
        return lane.waiting if lane else 0

    # --- submitting ----------------------------------------------------------------------
    def prepare(self, station_id: str, operation: str, params: Any) -> tuple[Operation, BaseModel, OcppVersion,
                                                                                OcppCall]:
        """Check and translate without sending: raises CommandRefused with the HTTP status and reason."""
        op = OPERATIONS.get(operation)
        if op is None:
            raise CommandRefused(404, "unknown_operation", f"no operation {operation!r}")
        try:
            req = params if isinstance(params, op.model) else op.model.model_validate(params or {})
        except ValidationError as exc:
            raise CommandRefused(422, "invalid_request", "the request does not match the operation",
                                 exc.errors(include_url=False, include_context=False)) from None
        session = self.csms.connections.get(station_key(station_id))
        if session is None or session.peer is None or session.peer.closed:
            raise CommandRefused(409, "station_offline", f"station {station_id} is not connected")
        version = session.version
        call = self._translate(op, req, version, request_id=1)
        return op, req, version, call

    @staticmethod
    def _translate(op: Operation, req: BaseModel, version: OcppVersion, request_id: int) -> OcppCall:
        translator = op.translator(version)
        if translator is None:
            raise CommandRefused(409, "not_supported_by_version",
                                 f"{op.name} has no equivalent in OCPP {version.label} "
                                 f"(available in {', '.join(op.versions())})")
        try:
            call = translator(req, TranslateContext(version, request_id))
        except NotSupported as exc:
            raise CommandRefused(409, "not_supported_by_version", str(exc)) from None
        except InvalidRequest as exc:
            raise CommandRefused(422, "invalid_request", str(exc)) from None
        registry = registry_for(version)
        if not registry.knows(call.action) or call.action in OUTBOUND_EXCLUDED.get(version, ()):
            raise CommandRefused(409, "not_supported_by_version",
                                 f"{call.action} is not a CSMS-to-station action of OCPP {version.label}")
        try:
            registry.validate_request(call.action, call.payload)
            orjson.dumps(call.payload)
        except OcppError as exc:
            raise CommandRefused(422, "invalid_payload",
                                 f"{call.action} for OCPP {version.label}: {exc.description}") from None
        except TypeError as exc:  # e.g. an integer beyond 64 bits: JSON encoders refuse it
            raise CommandRefused(422, "invalid_payload", f"{call.action}: {exc}") from None
        return call

    async def submit(self, station_id: str, operation: str, params: Any, *, actor: str,
                     timeout: float | None = None) -> CommandHandle:
        """Record and queue a command; raises CommandRefused before anything is sent."""
        op, req, version, _ = self.prepare(station_id, operation, params)
        if op.name == "remote_start":
            await self._authorize_remote_start(req)
        key = station_key(station_id)
        lane = self._lanes.setdefault(key, _Lane())
        if lane.waiting >= self.max_queue:
            raise CommandRefused(409, "station_busy", f"{lane.waiting} commands are already queued for {station_id}")
        session = self.csms.connections.get(key)
        display_id = session.display_id if session else station_id
        timeout = float(timeout if timeout is not None else self.csms.settings.call_timeout)
        request = json_safe(redact(req.model_dump(mode="json", exclude_none=True)))
        now = utcnow()

        def unit(conn: Connection) -> tuple[int, OcppCall]:
            result = conn.execute(commands.insert().values(
                station_id=key, operation=op.name, action="", ocpp_version=version.label, actor=actor[:120],
                request=request, payload={}, status="queued", timeout_s=timeout, created_at=now))
            command_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            call = self._translate(op, req, version, command_id)
            conn.execute(update(commands).where(commands.c.id == command_id).values(
                action=call.action, payload=redact(call.payload)))
            return command_id, call

        command_id, call = await self.csms.writer.run(unit)
        record = {"id": command_id, "station_id": display_id, "operation": op.name, "action": call.action,
                  "ocpp_version": version.label, "actor": actor, "request": request,
                  "payload": redact(call.payload), "status": "queued", "outcome": None, "response": None,
                  "error_code": None, "error_description": None, "message_id": None, "timeout_s": timeout,
                  "created_at": now, "sent_at": None, "completed_at": None}
        command = _Command(command_id, key, display_id, op.name, call, version, timeout, actor, record,
                           asyncio.get_running_loop().create_future())
        lane.waiting += 1
        self._pending[command_id] = command
        task = asyncio.create_task(self._run(command, lane), name=f"command-{command_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return CommandHandle(command)

    async def execute(self, station_id: str, operation: str, params: Any, *, actor: str,
                      timeout: float | None = None) -> dict[str, Any]:
        """Submit and wait for the final record (for CSMS services such as smart charging)."""
        handle = await self.submit(station_id, operation, params, actor=actor, timeout=timeout)
        record = await handle.wait()
        assert record is not None
        return record

    def cancel(self, command_id: int) -> bool:
        """Cancel a command still waiting in its station's queue; a call already sent cannot be recalled."""
        command = self._pending.get(command_id)
        if command is None or command.record["status"] != "queued":
            return False
        command.cancelled = True
        return True

    async def _authorize_remote_start(self, req: Any) -> None:
        """The CSMS authorizes the token itself: stations may trust a remote start blindly (security §5.2)."""
        from chargeline.csms.authorization import authorize

        now = utcnow()
        decision, _ = await self.csms.writer.run(lambda conn: authorize(conn, req.id_token, now, req.id_token_type))
        if not decision.accepted:
            raise CommandRefused(409, "id_token_not_authorized", f"the id token is {decision.status}")

    # --- running -------------------------------------------------------------------------
    async def _run(self, command: _Command, lane: _Lane) -> None:
        record = command.record
        try:
            async with lane.lock:
                lane.waiting -= 1
                await self._call(command)
        except asyncio.CancelledError:
            record.update(status="interrupted", error_code="Interrupted", error_description="the CSMS is stopping")
            raise
        finally:
            self._pending.pop(command.id, None)
            if not lane.lock.locked() and lane.waiting == 0 and self._lanes.get(command.station_id) is lane:
                del self._lanes[command.station_id]
            record["completed_at"] = record["completed_at"] or utcnow()
            await self._finish(command)

    async def _call(self, command: _Command) -> None:
        record = command.record
        session = self.csms.connections.get(command.station_id)
        if command.cancelled:
            record.update(status="cancelled", error_code="Cancelled", error_description="cancelled while queued")
            return
        if session is None or session.peer is None or session.peer.closed:
            record.update(status="failed", error_code="StationOffline",
                          error_description="the station disconnected before the call was sent")
            return
        if session.version is not command.version:
            record.update(status="failed", error_code="VersionChanged",
                          error_description=f"the station reconnected with OCPP {session.version.label}")
            return
        sent_at = utcnow()
        record.update(status="sent", sent_at=sent_at)
        self._in_flight[command.station_id] = command
        self._mark_sent(command.id, sent_at)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            response = await session.peer.call(command.call.action, command.call.payload, command.timeout)
        except CallFailed as exc:
            record.update(status="failed", error_code=exc.error.error_code,
                          error_description=(exc.error.description or "")[:500])
        except TimeoutError:
            record.update(status="timeout", error_code="Timeout",
                          error_description=f"no answer within {command.timeout:g} s")
        except ConnectionLost as exc:
            record.update(status="connection_lost", error_code="ConnectionLost", error_description=str(exc)[:500])
        except (OcppError, ValueError, TypeError) as exc:  # refused by the protocol core before sending
            log.warning("command %d %s not sent: %s", command.id, command.call.action, exc)
            record.update(status="failed", error_code="NotSent", error_description=str(exc)[:500])
        else:
            outcome = response.get("status")
            record.update(status="completed", response=redact(response),
                          outcome=outcome if isinstance(outcome, str) else None)
            self.latency.setdefault(command.call.action, Latency()).observe(loop.time() - started)
        finally:
            self._in_flight.pop(command.station_id, None)
            record["message_id"] = command.message_id

    def _mark_sent(self, command_id: int, at: datetime) -> None:
        def unit(conn: Connection) -> None:
            conn.execute(update(commands).where(commands.c.id == command_id).values(status="sent", sent_at=at))

        self.csms.writer.submit(unit)

    async def _finish(self, command: _Command) -> None:
        record = command.record
        values = {k: record[k] for k in ("status", "outcome", "response", "error_code", "error_description",
                                         "message_id", "sent_at", "completed_at")}

        def unit(conn: Connection) -> None:
            conn.execute(update(commands).where(commands.c.id == command.id).values(**values))

        try:
            await self.csms.writer.run(unit)
        except Exception:  # the caller still learns the result; the row keeps its last state
            log.exception("command %d: result not recorded", command.id)
        self.outcomes[(command.operation, record["status"])] += 1
        if record["status"] != "completed":
            log.info("command %d %s to %s: %s (%s)", command.id, command.call.action, command.display_id,
                     record["status"], record["error_code"])
        self.csms.events.publish("command_result", command.display_id, command_id=command.id,
                                 operation=command.operation, action=command.call.action, status=record["status"],
                                 outcome=record["outcome"], error_code=record["error_code"], actor=command.actor)
        if not command.done.done():
            command.done.set_result(dict(record))

    # --- frames ---------------------------------------------------------------------------
    def observe_frame(self, station_id: str, direction: str, message_type: int | None, message_id: str | None,
                      action: str | None) -> None:
        """Remember the message id of our CALL, to find it in the message log."""
        if direction != "out" or message_type != 2:
            return
        command = self._in_flight.get(station_id)
        if command is not None and command.message_id is None and command.call.action == action:
            command.message_id = message_id


# Actions the schema registry knows but that only a station sends.
OUTBOUND_EXCLUDED: dict[OcppVersion, frozenset[str]] = {
    OcppVersion.V16: frozenset(),
    OcppVersion.V201: frozenset(),
    OcppVersion.V21: frozenset({"GetCertificateChainStatus", "VatNumberValidation"}),
}


def station_to_csms_actions(version: OcppVersion) -> frozenset[str]:
    """What the CSMS answers: never sent by the command service (the `raw` operation refuses them)."""
    from chargeline.csms.versions import HANDLERS

    return frozenset(a for a in HANDLERS[version] if a != "DataTransfer")


def _init_excluded() -> None:
    for version in OcppVersion:
        OUTBOUND_EXCLUDED[version] = OUTBOUND_EXCLUDED[version] | station_to_csms_actions(version)


_init_excluded()
