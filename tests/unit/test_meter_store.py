"""Meter values are unique per timestamp, station and sample identity (real SQLite file, real PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chargeline.csms.metering import parse_v16, store_samples
from chargeline.store.schema import meter_values, stations
from tests.unit.writers import started_writer, station_rows

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 10, 0, 5, tzinfo=UTC)


def _reading(timestamp: str, volts: str, phase: str | None = None) -> dict[str, object]:
    value: dict[str, object] = {"value": volts, "measurand": "Voltage", "unit": "V"}
    if phase:
        value["phase"] = phase
    return {"timestamp": timestamp, "sampledValue": [value]}


def _signed(timestamp: str, data: str) -> dict[str, object]:
    return {"timestamp": timestamp, "sampledValue": [{"value": data, "format": "SignedData",
                                                      "measurand": "Energy.Active.Import.Register"}]}


async def test_retries_are_stored_once_and_distinct_samples_all_kept(database_url: str) -> None:
    writer = await started_writer(database_url)
    try:
        await writer.insert(stations, station_rows("cp1", "cp2"))
        first = parse_v16([_reading("2026-11-21T10:00:00Z", "230"), _reading("2026-11-21T10:00:00Z", "231", "L2")])
        sends = [("cp1", 1, first), ("cp1", 1, first),  # a retry of the same message
                 ("cp2", 1, first),  # the same readings from another station
                 ("cp1", 2, parse_v16([_reading("2026-11-21T10:00:00Z", "230")])),  # another connector
                 ("cp1", 1, parse_v16([_reading("2026-11-21T10:00:10Z", "230")])),  # a later time
                 ("cp1", 1, parse_v16([_reading("2026-11-21T10:00:00.000+00:00", "230")])),  # same instant
                 # two signed readings differ only in their signed data: both are kept, each once
                 ("cp1", 3, parse_v16([_signed("2026-11-21T10:00:00Z", "OCMF|a")])),
                 ("cp1", 3, parse_v16([_signed("2026-11-21T10:00:00Z", "OCMF|b")])),
                 ("cp1", 3, parse_v16([_signed("2026-11-21T10:00:00Z", "OCMF|b")]))]
        for station, connector, samples in sends:
            await writer.run(partial(store_samples, station_id=station, tx_id=None, evse_id=None,
                                     connector_id=connector, samples=samples, received_at=NOW))

        def read(conn: Connection) -> list[tuple[object, ...]]:
            return [tuple(r) for r in conn.execute(
                select(meter_values.c.station_id, meter_values.c.connector_id, meter_values.c.timestamp,
                       meter_values.c.phase, meter_values.c.raw_value)
                .order_by(meter_values.c.station_id, meter_values.c.connector_id, meter_values.c.timestamp,
                          meter_values.c.phase))]

        rows = await writer.run(read)
        later = datetime(2026, 11, 21, 10, 0, 10, tzinfo=UTC)
        assert sorted(rows, key=repr) == sorted([
            ("cp1", 1, T0, None, "230"), ("cp1", 1, T0, "L2", "231"), ("cp1", 1, later, None, "230"),
            ("cp1", 2, T0, None, "230"), ("cp1", 3, T0, None, ""), ("cp1", 3, T0, None, ""),
            ("cp2", 1, T0, None, "230"), ("cp2", 1, T0, "L2", "231")], key=repr)
    finally:
        await writer.close()
        writer.engine.dispose()


async def test_rows_are_stored_value_for_value_and_a_bad_one_fails_alone(database_url: str) -> None:
    from chargeline.csms.metering import SAMPLES, sample_rows

    writer = await started_writer(database_url)
    sql = writer.sql
    try:
        await writer.insert(stations, station_rows("cp1"))
        readings = [{"timestamp": "2026-11-21T10:00:00Z", "sampledValue": [
            {"value": "12345.678", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
            {"value": "0.1", "measurand": "Current.Import", "unit": "A", "phase": "L1", "location": "Outlet"},
            {"value": "not a number ¿ñ€ \"quoted\" \\ back", "measurand": "Voltage"},
            {"value": "OCMF|{\"a\":1}|{\"SD\":\"3045\"}", "format": "SignedData"}]}]
        good = sample_rows(sql, "cp1", None, 1, 1, parse_v16(readings), NOW)
        bad = sample_rows(sql, "cp1", 987654, 1, 1, parse_v16([_reading("2026-11-21T10:00:01Z", "1")]), NOW)
        later = sample_rows(sql, "cp1", None, 1, 1, parse_v16([_reading("2026-11-21T10:00:02Z", "2")]), NOW)
        outcomes = await asyncio.gather(writer.insert(SAMPLES, good), writer.insert(SAMPLES, bad),  # no such tx
                                        writer.insert(SAMPLES, later), return_exceptions=True)
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], Exception)  # the foreign key refuses it, and only it

        columns = [getattr(meter_values.c, name) for name in SAMPLES.columns]

        def read(conn: Connection) -> list[tuple[object, ...]]:
            return [tuple(r) for r in conn.execute(select(*columns).order_by(meter_values.c.id))]

        stored = await writer.run(read)
        expected = [tuple(value if i not in (4, 5) else sql.read_time(value) for i, value in enumerate(row))
                    for row in good + later]
        assert sorted(stored, key=repr) == sorted(expected, key=repr)
    finally:
        await writer.close()
        writer.engine.dispose()


async def test_a_row_the_database_cannot_take_fails_alone(database_url: str) -> None:
    from chargeline.store.message_log import FRAMES
    from chargeline.store.schema import message_log

    writer = await started_writer(database_url)
    try:
        row = ("cp1", "in", "[2,\"1\",\"Heartbeat\",{}]", 2, "1", "Heartbeat", writer.sql.time(NOW))
        too_big = (*row[:3], 2**70, *row[4:])  # no 64-bit integer holds it
        outcomes = await asyncio.gather(writer.insert(FRAMES, [row]), writer.insert(FRAMES, [too_big]),
                                        return_exceptions=True)
        assert outcomes[0] is None and isinstance(outcomes[1], Exception)

        def count(conn: Connection) -> int:
            return len(conn.execute(select(message_log.c.id)).all())

        assert await writer.run(count) == 1
    finally:
        await writer.close()
        writer.engine.dispose()
