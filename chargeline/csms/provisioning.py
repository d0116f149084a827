"""Provisioning (B): BootNotification, Heartbeat, and connector / EVSE status."""

from __future__ import annotations

import logging
import random
from typing import Any

from sqlalchemy.engine import Connection

from chargeline.csms.context import Ctx
from chargeline.csms.transactions import close_stale
from chargeline.domain.clock import format_utc, parse_station_time, skew_seconds
from chargeline.store.driver import Shape, plain
from chargeline.store.schema import boots, connectors, stations, status_history
from chargeline.store.sql import dedupe_key

log = logging.getLogger(__name__)

# a connector's latest status (one row per connector, replaced) and its history (a row per message)
CONNECTOR_STATE = Shape(connectors, ("station_id", "evse_id", "connector_id", "status", "error_code", "info",
                                     "vendor_id", "vendor_error_code", "station_time", "received_at"),
                        upsert_keys=("station_id", "evse_id", "connector_id"))
STATUS_HISTORY = Shape(status_history, ("station_id", "evse_id", "connector_id", "status", "error_code", "info",
                                        "station_time", "received_at", "dedupe_key"))

PENDING_RETRY_INTERVAL = 60  # seconds until a Pending station boots again
REJECTED_RETRY_INTERVAL = 300


def _interval(ctx: Ctx, status: str) -> int:
    settings = ctx.csms.settings
    if status == "Pending":
        return PENDING_RETRY_INTERVAL
    if status == "Rejected":
        return REJECTED_RETRY_INTERVAL
    base = settings.heartbeat_interval
    jitter = int(base * settings.heartbeat_jitter)
    return max(1, base + random.randint(-jitter, jitter)) if jitter else base


async def _record_boot(ctx: Ctx, fields: dict[str, Any], reason: str | None, payload: dict[str, Any]) -> str:
    station_id, version, now = ctx.station.station_id, ctx.station.version, ctx.received_at

    def unit(conn: Connection) -> str:
        sql = plain(conn)
        policy = sql.scalar(conn, "SELECT boot_policy FROM stations WHERE id = ?", (station_id,))
        if policy is None:
            raise LookupError(f"station {station_id} was removed")
        sql.update(conn, stations, {**fields, "boot_status": policy, "last_boot_at": now, "last_seen_at": now,
                                    "ocpp_version": version.label}, "id = ?", (station_id,))
        sql.insert(conn, boots, {"station_id": station_id, "received_at": now, "reason": reason, "status": policy,
                                 "ocpp_version": version.label, "payload": payload})
        return str(policy)

    status = await ctx.csms.writer.run(unit)
    ctx.station.boot_status = status
    ctx.csms.directory.set_boot_status(station_id, status)
    ctx.csms.events.publish("boot", ctx.station.display_id, status=status, **fields)
    return status


async def boot_v16(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    fields = {"vendor": p["chargePointVendor"], "model": p["chargePointModel"],
              "serial_number": p.get("chargePointSerialNumber"), "charge_box_serial": p.get("chargeBoxSerialNumber"),
              "firmware_version": p.get("firmwareVersion"), "modem_iccid": p.get("iccid"),
              "modem_imsi": p.get("imsi"), "meter_type": p.get("meterType"),
              "meter_serial": p.get("meterSerialNumber")}
    status = await _record_boot(ctx, fields, None, p)
    return {"status": status, "currentTime": format_utc(ctx.received_at), "interval": _interval(ctx, status)}


async def boot_v2(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    cs = p["chargingStation"]
    modem = cs.get("modem") or {}
    fields = {"vendor": cs["vendorName"], "model": cs["model"], "serial_number": cs.get("serialNumber"),
              "firmware_version": cs.get("firmwareVersion"), "modem_iccid": modem.get("iccid"),
              "modem_imsi": modem.get("imsi")}
    status = await _record_boot(ctx, fields, p["reason"], p)
    return {"status": status, "currentTime": format_utc(ctx.received_at), "interval": _interval(ctx, status)}


async def heartbeat(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": format_utc(ctx.received_at)}


async def _record_status(ctx: Ctx, evse_id: int, connector_id: int, status: str, station_time: str | None,
                         error_code: str | None = None, info: str | None = None, vendor_id: str | None = None,
                         vendor_error_code: str | None = None) -> None:
    session, now = ctx.station, ctx.received_at
    station_id = session.station_id
    at = parse_station_time(station_time) if station_time else None
    writer = ctx.csms.writer
    to_time = writer.sql.time
    at_value, now_value = (None if at is None else to_time(at)), to_time(now)
    key = dedupe_key(station_id, evse_id, connector_id, status, error_code, station_time,
                     None if station_time else now)
    writer.insert_nowait(STATUS_HISTORY, [(station_id, evse_id, connector_id, status, error_code, info, at_value,
                                           now_value, key)])
    state = (station_id, evse_id, connector_id, status, error_code, info, vendor_id, vendor_error_code, at_value,
             now_value)
    stale = session.active_tx.get(evse_id) if (
        status == "Available" and evse_id > 0 and not session.version.is_v2
        and ctx.csms.settings.auto_close_stale_transactions) else None
    await writer.insert(CONNECTOR_STATE, [state])  # after the batch's units, in the order received
    if stale is not None:
        await writer.run(lambda conn: close_stale(conn, stale, now, "ConnectorAvailable", "csms:connector-available"))
    if stale is not None:
        session.active_tx.pop(evse_id, None)
        ctx.csms.events.publish("transaction_ended", session.display_id, transaction_id=stale,
                                reason="ConnectorAvailable")
    if at is not None:
        skew = skew_seconds(at, now)
        ctx.csms.touch(station_id, now, skew)
        if abs(skew) > ctx.csms.settings.clock_skew_threshold:
            log.warning("station %s clock is %+.0f s off", session.display_id, skew)
            ctx.csms.events.publish("clock_skew", session.display_id, skew_s=skew)
    ctx.csms.events.publish("status", session.display_id, evse_id=evse_id, connector_id=connector_id,
                            status=status, error_code=error_code)


async def status_v16(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    connector = p["connectorId"]
    await _record_status(ctx, connector, 1 if connector else 0, p["status"], p.get("timestamp"), p["errorCode"],
                         p.get("info"), p.get("vendorId"), p.get("vendorErrorCode"))
    return {}


async def status_v2(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    await _record_status(ctx, p["evseId"], p["connectorId"], p["connectorStatus"], p["timestamp"])
    return {}
