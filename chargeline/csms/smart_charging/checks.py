"""Asking stations what they hold and apply, and comparing it with what we believe.

GetChargingProfiles (2.x) is answered asynchronously: the command id is the requestId, the
ReportChargingProfiles parts are stored by the inbound side and the service is told when the
last part (tbc false) arrived. The believed store then adopts the station's answer (the station
is the truth) and the differences found are recorded. GetCompositeSchedule is compared with
the domain composite of the believed profiles for the same start (`verification.py`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select

from chargeline.csms.commands.errors import CommandRefused
from chargeline.csms.smart_charging import store
from chargeline.csms.smart_charging.belief import Believed
from chargeline.csms.smart_charging.control import answer_of
from chargeline.csms.smart_charging.verification import (
    NO_LIMIT_A,
    NO_LIMIT_W,
    ReportedProfile,
    compare_composite,
    compare_profiles,
)
from chargeline.domain.clock import utcnow
from chargeline.domain.smart_charging import (
    ActiveTransaction,
    ChargingProfilePurpose,
    ChargingRateUnit,
    CompositeSchedule,
    OcppVersion,
    StationConfig,
    composite_from_ocpp,
    composite_schedule,
    profile_from_ocpp,
)
from chargeline.store.schema import station_notifications

if TYPE_CHECKING:
    from chargeline.csms.smart_charging.service import SmartChargingService

log = logging.getLogger(__name__)


class Checks:
    def __init__(self, service: SmartChargingService):
        self.service = service
        self.waiters: dict[int, asyncio.Future[None]] = {}

    def report_arrived(self, payload: dict[str, Any]) -> None:
        """A ReportChargingProfiles part: wake whoever asked once the last part is in."""
        request_id = payload.get("requestId")
        if isinstance(request_id, int) and not payload.get("tbc", False):
            waiter = self.waiters.get(request_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def fetch(self, station_id: str, params: dict[str, Any]) -> tuple[str, list[ReportedProfile], int | None]:
        """(status, reported profiles, command id): NoProfiles, Accepted (with the report), or why not."""
        service = self.service
        version = service.version_of(station_id)
        if version is None:
            return "offline", [], None
        try:
            handle = await service.csms.commands.submit(station_id, "get_charging_profiles", params,
                                                        actor="smart-charging")
        except CommandRefused as exc:
            return exc.reason, [], None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters[handle.id] = waiter
        try:
            record = await handle.wait()
            assert record is not None
            outcome = record.get("outcome") if record.get("status") == "completed" else record.get("status")
            if outcome != "Accepted":
                return str(outcome or "failed"), [], handle.id
            try:
                await asyncio.wait_for(asyncio.shield(waiter), service.cfg.report_timeout_s)
            except TimeoutError:
                log.warning("smart charging: %s sent no complete ReportChargingProfiles for %d", station_id,
                            handle.id)
        finally:
            self.waiters.pop(handle.id, None)
        return "Accepted", await self._reports(station_id, handle.id, version), handle.id

    async def _reports(self, station_id: str, request_id: int, version: OcppVersion) -> list[ReportedProfile]:
        sn = station_notifications.c
        query = select(sn.payload).where(and_(sn.station_id == station_id, sn.action == "ReportChargingProfiles",
                                              sn.request_id == request_id)).order_by(sn.id)
        async with self.service.csms.engine.connect() as conn:
            payloads = [row.payload for row in await conn.execute(query)]
        out = []
        for payload in payloads:
            source = str(payload.get("chargingLimitSource", "CSO"))
            for raw in payload.get("chargingProfile", []):
                try:
                    out.append(ReportedProfile(int(payload.get("evseId", 0)), profile_from_ocpp(raw, version), source))
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("smart charging: %s reported an unreadable profile: %s", station_id, exc)
        return out

    async def verify_profiles(self, station_id: str) -> dict[str, Any]:
        """GetChargingProfiles, compare, adopt the answer, record the check."""
        service = self.service
        version = service.version_of(station_id)
        if version is None:
            return {"kind": "profiles", "ok": False, "error": "station_offline"}
        if version is OcppVersion.V16:
            return {"kind": "profiles", "ok": None, "error": "OCPP 1.6 cannot report its profiles"}
        asked = time.monotonic()
        status, reported, command_id = await self.fetch(station_id, {})
        if status not in ("Accepted", "NoProfiles"):
            return {"kind": "profiles", "ok": False, "error": status, "command_id": command_id}
        # What changed since we asked may or may not be in the report: neither compared nor adopted.
        moving = service.belief.touched_since(station_id, asked)
        believed = service.belief.of(station_id)
        settled = [r for r in reported if r.profile.id not in moving]
        differences = compare_profiles([i for i in service.belief.installed(station_id)
                                        if i.profile.id not in moving], settled)
        now = utcnow()
        adopted = [b for b in believed if b.profile.id in moving]
        for item in settled:
            if item.source == "CSO":
                held = service.belief.get(station_id, item.profile.id)
                adopted.append(Believed(item.evse_id, item.profile, held.source if held else "station-report",
                                        held.command_id if held else command_id, held.installed_at if held else now))
        service.belief.replace(station_id, adopted)
        externals: dict[tuple[int, str], list[Any]] = {}
        for item in reported:
            if item.source != "CSO" or item.profile.purpose is ChargingProfilePurpose.EXTERNAL_CONSTRAINTS:
                externals.setdefault((item.evse_id, item.source), []).extend(item.profile.schedules)
        for (evse_id, source), schedules in externals.items():
            service.external.reported(station_id, evse_id, source, schedules, now)
        row = {"station_id": station_id, "kind": "profiles", "evse_id": None, "at": now, "command_id": command_id,
               "ok": not differences, "expected": [b.to_dict() for b in believed],
               "reported": [{"evse_id": r.evse_id, "source": r.source, "id": r.profile.id,
                             "purpose": r.profile.purpose.value} for r in reported],
               "differences": differences}
        row = _json_row(row)
        await service.csms.writer.run(lambda conn: store.record_check(conn, row))
        service.verified(station_id)
        service.poke_station(station_id)
        return row

    def expected_composites(self, station_id: str, evse_id: int, start: Any, duration: int,
                            unit: ChargingRateUnit) -> list[CompositeSchedule]:
        """Our prediction; with an idle EVSE also one simulating a transaction (stations differ on that)."""
        service = self.service
        site = service.site_of(station_id)
        voltage = site.voltage if site is not None else 230.0
        slots = service.slots_of_station(station_id)
        dc = any(s.dc for s in slots)
        config = StationConfig(n_evses=max([s.evse_id for s in slots] + [1]), supply_voltage=voltage,
                               default_limit_a=NO_LIMIT_A, default_limit_w=NO_LIMIT_W,
                               default_number_phases=max([s.phases for s in slots] + [1]) if not dc else 3, ac=not dc)
        running = []
        for session in service.sessions.of_station(station_id):
            if session.started_at is not None:
                running.append(ActiveTransaction(session.evse_id, session.ocpp_transaction_id, session.started_at))
        installed = service.belief.installed(station_id)
        out = [composite_schedule(installed, evse_id, start, duration, unit, config, running)]
        if not any(t.evse_id == evse_id for t in running):
            out.append(composite_schedule(installed, evse_id, start, duration, unit,
                                          replace(config, simulate_tx_if_none=True), running))
        return out

    async def verify_composite(self, station_id: str, evse_id: int, duration: int,
                               unit: ChargingRateUnit | None) -> dict[str, Any]:
        service = self.service
        version = service.version_of(station_id)
        if version is None:
            return {"kind": "composite", "evse_id": evse_id, "ok": False, "error": "station_offline"}
        if unit is None:
            unit = ChargingRateUnit.W if any(s.dc for s in service.slots_of_station(station_id)) else ChargingRateUnit.A
        answer, record = await service.sender.call(station_id, "get_composite_schedule",
                                                   {"evse_id": evse_id, "duration": duration,
                                                    "charging_rate_unit": unit.value})
        now = utcnow()
        if answer.status != "Accepted":
            return {"kind": "composite", "evse_id": evse_id, "ok": False, "error": answer.status,
                    "reason": answer.reason, "command_id": answer.command_id or answer_of(record).command_id}
        try:
            reported = composite_from_ocpp(record["response"], version)
        except (ValueError, KeyError, TypeError) as exc:
            return {"kind": "composite", "evse_id": evse_id, "ok": False, "error": f"unreadable answer: {exc}"}
        expected = self.expected_composites(station_id, evse_id, reported.schedule_start, reported.duration
                                            or duration, reported.charging_rate_unit)
        differences = compare_composite(expected, reported)
        row = {"station_id": station_id, "kind": "composite", "evse_id": evse_id, "at": now,
               "command_id": answer.command_id, "ok": not differences, "expected": schedule_view(expected[0]),
               "reported": schedule_view(reported), "differences": differences}
        row = _json_row(row)
        await service.csms.writer.run(lambda conn: store.record_check(conn, row))
        return row


def schedule_view(schedule: CompositeSchedule) -> dict[str, Any]:
    data = schedule.to_dict()
    for period in data["chargingSchedulePeriod"]:
        if period["limit"] >= NO_LIMIT_A * 0.99:
            period["limit"] = None  # nothing applies by our profiles
    return data


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON columns made JSON (times as RFC 3339 text); the row's own columns stay as they are."""
    return {k: _jsonable(v) if k in ("expected", "reported", "differences") else v for k, v in row.items()}


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, list | tuple):
        return [_jsonable(item) for item in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    return obj
