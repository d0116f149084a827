"""Transactions (E): 1.6 Start/StopTransaction and 2.x TransactionEvent, applied exactly once.

Retries and offline replays are answered from what was stored the first time (keys in
ARCHITECTURE.md §5). A Stop or Updated/Ended for a transaction we never saw starts is
reconciled into a transaction of its own: energy is never dropped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from chargeline.csms.authorization import authorize, tag_info, token_info
from chargeline.csms.context import Ctx
from chargeline.csms.metering import (
    energy_columns,
    energy_values,
    parse_v2,
    parse_v16,
    recompute_energy,
    register_readings,
    store_samples,
)
from chargeline.domain.authorization import token_key
from chargeline.domain.clock import parse_station_time, plausible_time
from chargeline.domain.meter import START_READING, RunningEnergy, is_session_register
from chargeline.store.driver import plain, read_json
from chargeline.store.schema import transaction_events, transactions
from chargeline.store.sql import dedupe_key

log = logging.getLogger(__name__)


def _when(station_time: datetime, received_at: datetime, flags: list[str]) -> datetime:
    at = plausible_time(station_time, received_at)
    if at is None:
        flags.append("station_clock_invalid")
        return received_at
    return at


def _insert(conn: Connection, **values: Any) -> int:
    return int(plain(conn).insert(conn, transactions, values))


# what the handlers need to know of a stored transaction
_TX_COLUMNS = ("id", "status", "stopped_by", "evse_id", "connector_id", "id_token", "started_at", "last_seq_no",
               "meter_start_wh", "energy_flags", "stop_key", "stop_response")
_TX_SELECT = f"SELECT {', '.join(_TX_COLUMNS)} FROM transactions WHERE station_id = ? AND "
# a StopTransaction's earlier answer (any transaction it was applied to) and its transaction, in one read
_STOP_SELECT = (f"SELECT {', '.join(_TX_COLUMNS)} FROM transactions WHERE stop_key = ? UNION ALL "
                f"{_TX_SELECT}id = ?")


def _find(conn: Connection, station_id: str, where: str, value: Any) -> dict[str, Any] | None:
    row = plain(conn).one(conn, _TX_SELECT + where, (station_id, value))
    return None if row is None else dict(zip(_TX_COLUMNS, row, strict=True))


def close_stale(conn: Connection, tx_id: int, now: datetime, reason: str, by: str) -> None:
    """Close a 1.6 session the station never stopped (it rebooted, or a new one started)."""
    plain(conn).update(conn, transactions, {"status": "ended", "stopped_at": now, "stop_received_at": now,
                                            "stop_reason": reason, "stopped_by": by},
                       "id = ? AND status = 'active'", (tx_id,))
    recompute_energy(conn, tx_id)


def _forget(ctx: Ctx, tx_id: int | None) -> None:
    """The session ended: meter values on its EVSE no longer belong to it."""
    active = ctx.station.active_tx
    for evse_id in [e for e, t in active.items() if t == tx_id]:
        del active[evse_id]
    if tx_id is not None:
        ctx.station.running_energy.pop(tx_id, None)


def _drop_ended_energy(ctx: Ctx) -> None:
    """The running energy of sessions no longer running here (closed by us, or never stopped)."""
    running, kept = set(ctx.station.active_tx.values()), ctx.station.running_energy
    for gone in [t for t in kept if t not in running]:
        del kept[gone]


# --- 1.6 ---------------------------------------------------------------------------------

async def start_v16(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    station_id, now = ctx.station.station_id, ctx.received_at
    connector, id_tag = p["connectorId"], p["idTag"]
    flags: list[str] = []
    started_at = _when(parse_station_time(p["timestamp"]), now, flags)
    key = dedupe_key("start", station_id, connector, token_key(id_tag), p["timestamp"], p["meterStart"])
    session = ctx.station
    stale = session.active_tx.get(connector) if ctx.csms.settings.auto_close_stale_transactions else None

    def unit(conn: Connection) -> tuple[int, dict[str, Any], bool]:
        row = plain(conn).one(conn, "SELECT id, start_response FROM transactions WHERE start_key = ?", (key,))
        if row is not None:
            return row[0], read_json(row[1]), False
        decision, _ = authorize(conn, id_tag, now)
        info = tag_info(decision)
        if stale is not None:  # the station lost that session (reboot) and never stopped it
            close_stale(conn, stale, started_at, "Superseded", "csms:new-start")
        tx_id = _insert(
            conn, station_id=station_id, evse_id=connector, connector_id=1, id_token=id_tag, status="active",
            started_at=started_at, start_received_at=now, meter_start_wh=float(p["meterStart"]),
            reservation_id=p.get("reservationId"), start_key=key, start_response=info,
            energy_flags=",".join(flags) or None, offline=(now - started_at).total_seconds() > 300)
        return tx_id, info, True

    tx_id, info, created = await ctx.csms.writer.run(unit)
    if created:
        session.active_tx[connector] = tx_id
        _drop_ended_energy(ctx)
        session.running_energy[tx_id] = RunningEnergy((started_at, float(p["meterStart"])))  # kept from here on
        ctx.csms.events.publish("transaction_started", ctx.station.display_id, transaction_id=tx_id,
                                evse_id=connector, id_token_status=info["status"])
    return {"transactionId": tx_id, "idTagInfo": info}


async def stop_v16(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    station_id, now = ctx.station.station_id, ctx.received_at
    tx_ref, id_tag, meter_stop = p["transactionId"], p.get("idTag"), float(p["meterStop"])
    flags: list[str] = []
    stopped_at = _when(parse_station_time(p["timestamp"]), now, flags)
    key = dedupe_key("stop", station_id, tx_ref, p["timestamp"], p["meterStop"])
    samples = parse_v16(p.get("transactionData") or [])
    # the session's energy so far, if every reading of it came through this connection and is stored
    known = ctx.station.running_energy.get(tx_ref)
    if known is not None and known.writing:
        known = None

    def unit(conn: Connection) -> tuple[dict[str, Any], int | None, bool]:
        sql = plain(conn)
        found = [dict(zip(_TX_COLUMNS, row, strict=True)) for row in sql.all(conn, _STOP_SELECT,
                                                                             (key, station_id, tx_ref))]
        for done in found:
            if done["stop_key"] == key:  # a retry: answered as the first time
                return read_json(done["stop_response"]) or {}, done["id"], False
        response: dict[str, Any] = {}
        if id_tag is not None:
            decision, _ = authorize(conn, id_tag, now)
            response["idTagInfo"] = tag_info(decision)
        tx = found[0] if found else _find(conn, station_id, "station_tx_id = ?", f"v16:{tx_ref}")
        stop = {"status": "ended", "stopped_at": stopped_at, "stop_received_at": now, "meter_stop_wh": meter_stop,
                "stop_reason": p.get("reason", "Local"), "stop_id_token": id_tag, "stopped_by": "station",
                "stop_key": key, "stop_response": response}
        if tx is None:
            tx_id = _reconcile_v16(conn, station_id, tx_ref, id_tag, samples, stop, now, flags)
            recompute_energy(conn, tx_id)
            return response, tx_id, True
        if tx["status"] == "ended" and not str(tx["stopped_by"] or "").startswith("csms:"):
            log.warning("station %s: a second Stop for ended transaction %s; acknowledged, not applied",
                        station_id, tx["id"])
            return response, tx["id"], False
        tx_id = tx["id"]
        rows = store_samples(conn, station_id, tx_id, tx["evse_id"], tx["connector_id"], samples, now)
        ended = known.ended(register_readings(samples, rows), (stopped_at, meter_stop)) \
            if known is not None and tx_id == tx_ref else None
        # the stop and the session's energy in one UPDATE
        stop.update(energy_columns(ended, tx["energy_flags"]) if ended is not None else energy_values(
            conn, tx_id, sql.read_time(tx["started_at"]), tx["meter_start_wh"], stopped_at, meter_stop,
            tx["energy_flags"]))
        sql.update(conn, transactions, stop, "id = ?", (tx_id,))
        return response, tx_id, True

    response, tx_id, applied = await ctx.csms.writer.run(unit)
    _forget(ctx, tx_id)
    if applied:
        ctx.csms.events.publish("transaction_ended", ctx.station.display_id, transaction_id=tx_id,
                                reason=p.get("reason", "Local"))
    return response


def _reconcile_v16(conn: Connection, station_id: str, tx_ref: int, id_tag: str | None,
                         samples: list[Any], stop: dict[str, Any], now: datetime, flags: list[str]) -> int:
    """A Stop for a Start we never saw: build the transaction from what the Stop carries."""
    register = sorted((s for s in samples if is_session_register(s)), key=lambda s: s.timestamp)
    first = register[0] if register else None
    flags = [*flags, "start_unknown"]
    tx_id = _insert(
        conn, station_id=station_id, station_tx_id=f"v16:{tx_ref}", id_token=id_tag,
        started_at=first.timestamp if first else None, meter_start_wh=first.value if first else None,
        reconciled=True, offline=True, energy_flags=",".join(flags), **stop)
    store_samples(conn, station_id, tx_id, None, None, samples, now)
    log.info("station %s: reconciled Stop of unknown transaction %s as %s", station_id, tx_ref, tx_id)
    return tx_id


# --- 2.0.1 / 2.1 -------------------------------------------------------------------------

async def transaction_event(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    station_id, now = ctx.station.station_id, ctx.received_at
    info, event_type, seq_no = p["transactionInfo"], p["eventType"], p["seqNo"]
    station_tx_id = info["transactionId"]
    flags: list[str] = []
    at = _when(parse_station_time(p["timestamp"]), now, flags)
    samples = parse_v2(p.get("meterValue") or [])
    evse = p.get("evse") or {}
    id_token = p.get("idToken")
    running_energy = ctx.station.running_energy

    def unit(conn: Connection) -> tuple[dict[str, Any], int | None, bool, _EnergyAfter | None]:
        sql = plain(conn)
        seen = sql.scalar(conn, "SELECT response FROM transaction_events WHERE station_id = ? AND station_tx_id = ? "
                                "AND seq_no = ?", (station_id, station_tx_id, seq_no))
        if seen is not None:
            return read_json(seen), None, False, None
        response: dict[str, Any] = {}
        if id_token is not None:
            decision, token = authorize(conn, id_token["idToken"], now, id_token["type"])
            response["idTokenInfo"] = token_info(decision, token)
        tx = _find(conn, station_id, "station_tx_id = ?", station_tx_id)
        tx_id = _apply_event(conn, station_id, tx, p, at, now, flags)
        sql.insert(conn, transaction_events, {
            "station_id": station_id, "station_tx_id": station_tx_id, "seq_no": seq_no, "event_type": event_type,
            "trigger_reason": p["triggerReason"], "timestamp": at, "received_at": now,
            "offline": p.get("offline", False), "payload": p, "response": response})
        rows = store_samples(conn, station_id, tx_id, evse.get("id"), evse.get("connectorId"), samples, now)
        base = running_energy.get(tx["id"]) if tx is not None else None
        after = _running_energy_after(tx, base, event_type, at, samples, rows)
        if after is None:
            recompute_energy(conn, tx_id)
        elif after.readings >= 2:  # the same as recomputing it from the stored samples
            row_flags = ",".join(flags) if flags else tx["energy_flags"] if tx is not None else None
            sql.update(conn, transactions, energy_columns(after.energy, row_flags), "id = ?", (tx_id,))
        return response, tx_id, True, _EnergyAfter(after, base, base.version if base is not None else 0)

    response, tx_id, applied, energy = await ctx.csms.writer.run(unit)
    if energy is not None and tx_id is not None:
        after, base, version = energy
        if after is not None and running_energy.get(tx_id) is base and (base is None or base.version == version):
            running_energy[tx_id] = after
        else:  # unknown here now (or MeterValues of the session were stored meanwhile)
            running_energy.pop(tx_id, None)
    if event_type == "Ended":
        _forget(ctx, tx_id)
    elif applied and tx_id is not None and evse.get("id"):
        ctx.station.active_tx[evse["id"]] = tx_id
        if event_type == "Started":
            _drop_ended_energy(ctx)
    if applied:
        kind = {"Started": "transaction_started", "Ended": "transaction_ended"}.get(event_type, "transaction_updated")
        ctx.csms.events.publish(kind, ctx.station.display_id, transaction_id=tx_id, station_tx_id=station_tx_id,
                                evse_id=evse.get("id"), trigger_reason=p["triggerReason"])
    return response


class _EnergyAfter(NamedTuple):
    """A TransactionEvent's running energy for its session, to keep once the event is committed."""

    after: RunningEnergy | None  # None: unknown here from now on
    base: RunningEnergy | None  # what it was computed from, which must still be the one kept
    version: int  # of `base` when it was read: MeterValues stored since make `after` stale


def _running_energy_after(tx: dict[str, Any] | None, base: RunningEnergy | None, event_type: str, at: datetime,
                          samples: list[Any], rows: list[tuple[Any, ...]]) -> RunningEnergy | None:
    """The session's running energy with this event's readings, or None where it must be recomputed.

    Known from a Started event that created the transaction here, and kept while every later
    event and MeterValues of it comes through this connection in time order; a second Started
    (it may change the meter start) or an event on an ended session is recomputed."""
    readings = register_readings(samples, rows)
    if tx is None:
        if event_type != "Started":
            return None  # reconciled from a later event: recomputed
        register = [s for s in samples if is_session_register(s)]
        # the meter start is the earliest register sample, at the event's time (see `_apply_event`)
        start = [(at, START_READING, min(register, key=lambda s: s.timestamp).value)] if register else []
        running = RunningEnergy.of(start + readings)
    elif base is None or base.writing or event_type == "Started" or tx["status"] != "active":
        return None
    else:
        running = base.copy()
        running.add(readings)
    return running if running.in_order else None


def _apply_event(conn: Connection, station_id: str, tx: dict[str, Any] | None, p: dict[str, Any],
                       at: datetime, now: datetime, flags: list[str]) -> int:
    """Fold one TransactionEvent into the transaction row, whatever order events arrive in."""
    info, event_type = p["transactionInfo"], p["eventType"]
    evse = p.get("evse") or {}
    id_token = (p.get("idToken") or {}).get("idToken")
    values: dict[str, Any] = {}
    if evse.get("id") is not None:
        values["evse_id"] = evse["id"]
    if evse.get("connectorId") is not None:
        values["connector_id"] = evse["connectorId"]
    for column, field in (("charging_state", "chargingState"), ("remote_start_id", "remoteStartId")):
        if info.get(field) is not None:
            values[column] = info[field]
    if p.get("reservationId") is not None:
        values["reservation_id"] = p["reservationId"]
    if p.get("offline"):
        values["offline"] = True
    if event_type == "Started":
        values.update(started_at=at, start_received_at=now, id_token=id_token,
                      id_token_type=(p.get("idToken") or {}).get("type"))
        register = [s for s in parse_v2(p.get("meterValue") or []) if is_session_register(s)]
        if register:
            values["meter_start_wh"] = min(register, key=lambda s: s.timestamp).value
    elif id_token is not None:
        if tx is None or tx["id_token"] is None:
            values["id_token"] = id_token
        elif event_type == "Ended":
            values["stop_id_token"] = id_token
    if event_type == "Ended":
        values.update(status="ended", stopped_at=at, stop_received_at=now,
                      stop_reason=info.get("stoppedReason", "Local"), stopped_by="station")
    if flags:
        values["energy_flags"] = ",".join(flags)
    if tx is None:
        reconciled = event_type != "Started"
        values.setdefault("status", "active")
        if reconciled:
            values["energy_flags"] = ",".join([*flags, "start_unknown"])
        return _insert(conn, station_id=station_id, station_tx_id=info["transactionId"],
                             reconciled=reconciled, last_seq_no=p["seqNo"], **values)
    if tx["status"] == "ended" and event_type != "Ended":
        values.pop("status", None)  # a late Updated never reopens a finished session
    if event_type == "Started" and tx["started_at"] is not None:
        values.pop("started_at", None)
    values["last_seq_no"] = max(tx["last_seq_no"] or 0, p["seqNo"])
    plain(conn).update(conn, transactions, values, "id = ?", (tx["id"],))
    return int(tx["id"])

