"""Metering (J): every sampled value is kept; session energy is derived from the register."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from chargeline.csms.context import Ctx
from chargeline.domain.clock import parse_station_time
from chargeline.domain.meter import (
    ENERGY_FLAGS,
    ENERGY_REGISTER,
    Energy,
    Sample,
    is_session_register,
    samples_v2,
    samples_v16,
    session_energy,
)
from chargeline.store.driver import DriverSql, Shape, plain
from chargeline.store.schema import meter_values, transactions


def parse_v16(values: list[dict[str, Any]]) -> list[Sample]:
    return [s for mv in values for s in samples_v16(mv, parse_station_time(mv["timestamp"]))]


def parse_v2(values: list[dict[str, Any]]) -> list[Sample]:
    return [s for mv in values for s in samples_v2(mv, parse_station_time(mv["timestamp"]))]


# meter_values rows as built below: one tuple of bind values per sample
SAMPLES = Shape(meter_values, ("station_id", "transaction_id", "evse_id", "connector_id", "timestamp", "received_at",
                               "measurand", "phase", "location", "context", "unit", "raw_value", "value",
                               "signed_data", "dedupe_key"))


def sample_rows(sql: DriverSql, station_id: str, tx_id: int | None, evse_id: int | None, connector_id: int | None,
                samples: list[Sample], received_at: datetime) -> list[tuple[Any, ...]]:
    """`SAMPLES` rows; a sample seen before (a retry, or repeated in transactionData) is stored once."""
    to_time = sql.time
    received = to_time(received_at)
    rows = []
    last: datetime | None = None
    at: Any = None
    where = f"{'' if evse_id is None else evse_id}|{'' if connector_id is None else connector_id}"
    for timestamp, measurand, value, raw, unit, phase, location, context, signed in samples:
        if timestamp is not last:  # the samples of one meterValue share their timestamp
            last, at = timestamp, to_time(timestamp)
        # what the sample is within its station and timestamp (the unique key is time, station, this);
        # signed data (kilobytes of it, and the only value a signed-only sample has) enters as a digest
        key = f"{where}|{measurand}|{phase or ''}|{location or ''}|{context or ''}|{raw}"
        if signed:
            key += "|" + hashlib.sha256(signed.encode()).hexdigest()[:32]
        rows.append((station_id, tx_id, evse_id, connector_id, at, received, measurand, phase, location, context,
                     unit, raw, value, signed, key))
    return rows


def register_readings(samples: list[Sample], rows: list[tuple[Any, ...]]) -> list[tuple[datetime, str, float]]:
    """The session register's readings among `samples` (their `sample_rows` beside them), as
    (time, the sample's unique key, Wh) for `RunningEnergy`."""
    return [(s.timestamp, row[-1], s.value) for s, row in zip(samples, rows, strict=True)
            if s.value is not None and is_session_register(s)]


def store_samples(conn: Connection, station_id: str, tx_id: int | None, evse_id: int | None,
                  connector_id: int | None, samples: list[Sample], received_at: datetime) -> list[tuple[Any, ...]]:
    """Insert `samples` now (within a unit); returns their rows."""
    sql = plain(conn)
    rows = sample_rows(sql, station_id, tx_id, evse_id, connector_id, samples, received_at)
    sql.insert_values(conn, SAMPLES, rows)
    return rows


def recompute_energy(conn: Connection, tx_id: int) -> float | None:
    """Session energy from meter start/stop and every register sample of the transaction."""
    sql = plain(conn)
    tx = sql.one(conn, "SELECT started_at, meter_start_wh, stopped_at, meter_stop_wh, energy_flags "
                       "FROM transactions WHERE id = ?", (tx_id,))
    if tx is None:
        raise LookupError(f"transaction {tx_id} does not exist")
    started_at, meter_start, stopped_at, meter_stop, flags = tx
    values = energy_values(conn, tx_id, sql.read_time(started_at), meter_start, sql.read_time(stopped_at), meter_stop,
                           flags)
    if values:
        sql.update(conn, transactions, values, "id = ?", (tx_id,))
    return values.get("energy_wh")


def energy_values(conn: Connection, tx_id: int, started_at: datetime | None, meter_start: float | None,
                  stopped_at: datetime | None, meter_stop: float | None, flags: str | None) -> dict[str, Any]:
    """The `energy_wh` and `energy_flags` columns of a transaction with these start and stop values,
    from every stored register reading of it.

    Empty while fewer than two readings are known. The caller writes them, in the same UPDATE as
    its own changes where it has some (StopTransaction)."""
    sql = plain(conn)
    readings: list[tuple[datetime, float]] = []
    if started_at is not None and meter_start is not None:
        readings.append((started_at, meter_start))
    rows = sql.all(conn, _REGISTER_SAMPLES, (tx_id, ENERGY_REGISTER))
    read_time = sql.read_time
    readings += [(read_time(at), value) for at, value in rows]  # type: ignore[misc]
    if stopped_at is not None and meter_stop is not None:
        readings.append((stopped_at, meter_stop))
    if len(readings) < 2:
        return {}
    return energy_columns(session_energy(readings), flags)


def energy_columns(energy: Energy, flags: str | None) -> dict[str, Any]:
    """`energy` as the transaction's columns, keeping its flags that are not about energy."""
    kept = [f for f in (flags or "").split(",") if f and f not in ENERGY_FLAGS]  # e.g. start_unknown
    return {"energy_wh": energy.wh, "energy_flags": ",".join(kept + energy.flags) or None}


# the session register: no phase, at the outlet (or where unspecified)
_REGISTER_SAMPLES = ('SELECT "timestamp", value FROM meter_values WHERE transaction_id = ? AND measurand = ? '
                     "AND phase IS NULL AND value IS NOT NULL AND (location IS NULL OR location = 'Outlet')")


def owned_transaction(conn: Connection, station_id: str, tx_id: int) -> int | None:
    return plain(conn).scalar(conn, "SELECT id FROM transactions WHERE id = ? AND station_id = ?", (tx_id, station_id))


async def _store(ctx: Ctx, evse_id: int, connector_id: int | None, tx_ref: int | None,
                 samples: list[Sample]) -> None:
    """Link samples to the running session (known in memory) and insert them in the next batch."""
    session, now = ctx.station, ctx.received_at
    tx_id = session.active_tx.get(evse_id) if evse_id > 0 else None
    if tx_ref is not None and tx_ref != tx_id:
        station_id = session.station_id
        # a 1.6 transactionId we do not hold as running here: accept it only if it is this station's
        tx_id = await ctx.csms.writer.run(lambda conn: owned_transaction(conn, station_id, tx_ref))
    writer = ctx.csms.writer
    rows = sample_rows(writer.sql, session.station_id, tx_id, evse_id, connector_id, samples, now)
    known = session.running_energy.get(tx_id) if tx_id is not None else None
    if known is None or tx_id is None:
        await writer.insert(SAMPLES, rows)
    else:
        known.writing += 1
        try:
            await writer.insert(SAMPLES, rows)
        except BaseException:
            session.running_energy.pop(tx_id, None)  # stored or not: no longer known here
            raise
        finally:
            known.writing -= 1
        if session.running_energy.get(tx_id) is known:
            known.add(register_readings(samples, rows))
        else:  # a TransactionEvent replaced it meanwhile, without these readings
            session.running_energy.pop(tx_id, None)
    if ctx.csms.events.wants("meter_values", session.display_id):
        ctx.csms.events.publish("meter_values", session.display_id, evse_id=evse_id, transaction_id=tx_id,
                                samples=[{"measurand": s.measurand, "value": s.value, "unit": s.unit,
                                          "phase": s.phase, "timestamp": s.timestamp.isoformat()} for s in samples])


async def meter_values_v16(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    connector = p["connectorId"]
    await _store(ctx, connector, 1 if connector else 0, p.get("transactionId"), parse_v16(p["meterValue"]))
    return {}


async def meter_values_v2(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    await _store(ctx, p["evseId"], None, None, parse_v2(p["meterValue"]))
    return {}
