"""Meter values are unique per timestamp, station and sample identity (real SQLite file, real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chargeline.csms.metering import parse_v16, store_samples
from chargeline.store.schema import meter_values, stations
from tests.unit.writers import started_writer

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
        await writer.insert(stations, [{"id": s, "display_id": s.upper(), "security_profile": 0,
                                        "boot_policy": "Accepted", "lenient": False, "created_at": T0}
                                       for s in ("cp1", "cp2")])
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
