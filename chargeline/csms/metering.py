"""Metering (J): every sampled value is kept; session energy is derived from the register."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection

from chargeline.csms.context import Ctx
from chargeline.domain.clock import parse_station_time
from chargeline.domain.meter import ENERGY_FLAGS, ENERGY_REGISTER, Sample, samples_v2, samples_v16, session_energy
from chargeline.store.schema import meter_values, transactions
from chargeline.store.sql import dedupe_key, insert_ignore_stmt


def parse_v16(values: list[dict[str, Any]]) -> list[Sample]:
    return [s for mv in values for s in samples_v16(mv, parse_station_time(mv["timestamp"]))]


def parse_v2(values: list[dict[str, Any]]) -> list[Sample]:
    return [s for mv in values for s in samples_v2(mv, parse_station_time(mv["timestamp"]))]


def sample_rows(station_id: str, tx_id: int | None, evse_id: int | None, connector_id: int | None,
                samples: list[Sample], received_at: datetime) -> list[dict[str, Any]]:
    """Rows for `meter_values`; a sample seen before (a retry, or repeated in transactionData) is stored once."""
    return [{"station_id": station_id, "transaction_id": tx_id, "evse_id": evse_id, "connector_id": connector_id,
             "timestamp": s.timestamp, "received_at": received_at, "measurand": s.measurand, "phase": s.phase,
             "location": s.location, "context": s.context, "unit": s.unit, "raw_value": s.raw_value,
             "value": s.value, "signed_data": s.signed_data,
             "dedupe_key": dedupe_key(station_id, evse_id, s.timestamp.isoformat(), s.measurand, s.phase,
                                      s.location, s.context, s.raw_value, s.signed_data)}
            for s in samples]


def store_samples(conn: Connection, station_id: str, tx_id: int | None, evse_id: int | None,
                  connector_id: int | None, samples: list[Sample], received_at: datetime) -> None:
    rows = sample_rows(station_id, tx_id, evse_id, connector_id, samples, received_at)
    if rows:
        conn.execute(insert_ignore_stmt(conn, meter_values), rows)


def recompute_energy(conn: Connection, tx_id: int) -> float | None:
    """Session energy from meter start/stop and every register sample of the transaction."""
    tx = conn.execute(select(transactions.c.started_at, transactions.c.meter_start_wh, transactions.c.stopped_at,
                             transactions.c.meter_stop_wh, transactions.c.energy_flags)
                      .where(transactions.c.id == tx_id)).one()
    readings: list[tuple[datetime, float]] = []
    if tx.started_at is not None and tx.meter_start_wh is not None:
        readings.append((tx.started_at, tx.meter_start_wh))
    rows = conn.execute(select(meter_values.c.timestamp, meter_values.c.value).where(and_(
        meter_values.c.transaction_id == tx_id, meter_values.c.measurand == ENERGY_REGISTER,
        meter_values.c.phase.is_(None), meter_values.c.value.is_not(None),
        or_(meter_values.c.location.is_(None), meter_values.c.location == "Outlet"))))
    readings += [(r.timestamp, r.value) for r in rows]
    if tx.stopped_at is not None and tx.meter_stop_wh is not None:
        readings.append((tx.stopped_at, tx.meter_stop_wh))
    if len(readings) < 2:
        return None
    energy = session_energy(readings)
    kept = [f for f in (tx.energy_flags or "").split(",") if f and f not in ENERGY_FLAGS]  # e.g. start_unknown
    conn.execute(update(transactions).where(transactions.c.id == tx_id).values(
        energy_wh=energy.wh, energy_flags=",".join(kept + energy.flags) or None))
    return energy.wh


def owned_transaction(conn: Connection, station_id: str, tx_id: int) -> int | None:
    return conn.execute(select(transactions.c.id).where(and_(
        transactions.c.id == tx_id, transactions.c.station_id == station_id))).scalar()


async def _store(ctx: Ctx, evse_id: int, connector_id: int | None, tx_ref: int | None,
                 samples: list[Sample]) -> None:
    """Link samples to the running session (known in memory) and insert them in the next batch."""
    session, now = ctx.station, ctx.received_at
    tx_id = session.active_tx.get(evse_id) if evse_id > 0 else None
    if tx_ref is not None and tx_ref != tx_id:
        station_id = session.station_id
        # a 1.6 transactionId we do not hold as running here: accept it only if it is this station's
        tx_id = await ctx.csms.writer.run(lambda conn: owned_transaction(conn, station_id, tx_ref))
    await ctx.csms.writer.insert(meter_values, sample_rows(session.station_id, tx_id, evse_id, connector_id,
                                                            samples, now))
    if ctx.csms.events.active:
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
