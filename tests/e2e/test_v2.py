"""OCPP 2.0.1 and 2.1 sessions against `chargeline serve`, with the `ocpp` package's ChargePoint."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from sqlalchemy import func, select

from chargeline.domain.meter import session_energy
from chargeline.store.schema import (
    meter_values,
    security_events,
    station_notifications,
    transaction_events,
    transactions,
)
from tests.conftest import cli
from tests.e2e.stations import PASSWORD, ocpp_station

VERSIONS = ["2.0.1", "2.1"]


@pytest.fixture
def server(start_server, database_url):
    cli("stations", "add", "EVSE-7", "--password", PASSWORD, database=database_url)
    cli("tokens", "add", "RFID-1", "--group", "STAFF", database=database_url)
    return start_server(database_url)


def calls(version: str):
    return importlib.import_module({"2.0.1": "ocpp.v201.call", "2.1": "ocpp.v21.call"}[version])


def energy(ts: str, wh: float, context: str) -> dict:
    return {"timestamp": ts, "sampledValue": [{"value": wh, "context": context,
                                               "measurand": "Energy.Active.Import.Register",
                                               "unitOfMeasure": {"unit": "kWh", "multiplier": 0}}]}


def event(c, event_type: str, seq: int, ts: str, trigger: str, tx: str = "tx-1", **extra):
    return c.TransactionEvent(event_type=event_type, timestamp=ts, trigger_reason=trigger, seq_no=seq,
                              transaction_info={"transaction_id": tx, **extra.pop("info", {})}, **extra)


@pytest.mark.parametrize("version", VERSIONS)
async def test_full_session(server, db, version) -> None:
    c = calls(version)
    async with ocpp_station(server.url, "EVSE-7", version) as cp:
        booted = await cp.call(c.BootNotification(
            charging_station={"model": "DC150", "vendor_name": "Acme", "firmware_version": "4.2",
                              "modem": {"iccid": "8931"}}, reason="PowerUp"))
        assert booted.status == "Accepted" and booted.current_time.endswith("Z")
        await cp.call(c.Heartbeat())
        await cp.call(c.StatusNotification(timestamp="2026-11-21T10:00:00Z", connector_status="Occupied",
                                           evse_id=1, connector_id=1))
        auth = await cp.call(c.Authorize(id_token={"id_token": "rfid-1", "type": "ISO14443"}))
        assert auth.id_token_info["status"] == "Accepted"
        assert auth.id_token_info["group_id_token"] == {"id_token": "STAFF", "type": "Central"}
        unknown = await cp.call(c.Authorize(id_token={"id_token": "nobody", "type": "ISO14443"}))
        assert unknown.id_token_info == {"status": "Invalid"}

        started = event(c, "Started", 0, "2026-11-21T10:00:01Z", "Authorized", evse={"id": 1, "connector_id": 1},
                        id_token={"id_token": "RFID-1", "type": "ISO14443"},
                        meter_value=[energy("2026-11-21T10:00:01Z", 100.0, "Transaction.Begin")],
                        info={"charging_state": "Charging"})
        first = await cp.call(started)
        assert first.id_token_info["status"] == "Accepted"
        again = await cp.call(started)  # retried: same answer, applied once
        assert again.id_token_info == first.id_token_info
        await cp.call(event(c, "Updated", 1, "2026-11-21T10:15:00Z", "MeterValuePeriodic",
                            meter_value=[energy("2026-11-21T10:15:00Z", 110.0, "Sample.Periodic")]))
        await cp.call(c.MeterValues(evse_id=1, meter_value=[{"timestamp": "2026-11-21T10:20:00Z", "sampled_value": [
            {"value": 230.1, "measurand": "Voltage", "phase": "L1-N", "unit_of_measure": {"unit": "V"}}]}]))
        ended = event(c, "Ended", 2, "2026-11-21T10:30:00Z", "EVCommunicationLost",
                      meter_value=[energy("2026-11-21T10:30:00Z", 125.5, "Transaction.End")],
                      info={"stopped_reason": "EVDisconnected"})
        await cp.call(ended)
        await cp.call(ended)
        await cp.call(c.SecurityEventNotification(type="StartupOfTheDevice", timestamp="2026-11-21T09:59:00Z"))
        await cp.call(c.NotifyEvent(generated_at="2026-11-21T10:31:00Z", seq_no=0, event_data=[{
            "event_id": 1, "timestamp": "2026-11-21T10:31:00Z", "trigger": "Delta", "actual_value": "Faulted",
            "event_notification_type": "HardWiredNotification", "component": {"name": "Connector"},
            "variable": {"name": "AvailabilityState"}}]))

    async with db.connect() as conn:
        tx = (await conn.execute(select(transactions))).mappings().one()
        assert tx["station_tx_id"] == "tx-1" and tx["status"] == "ended"
        assert tx["energy_wh"] == pytest.approx(25_500)
        assert tx["stop_reason"] == "EVDisconnected" and tx["id_token"] == "RFID-1"
        assert (await conn.execute(select(func.count()).select_from(transaction_events))).scalar() == 3
        assert (await conn.execute(select(security_events.c.critical))).scalar() is True
        assert (await conn.execute(select(station_notifications.c.action))).scalar() == "NotifyEvent"


@pytest.mark.parametrize("version", VERSIONS)
async def test_offline_events_without_started_are_reconciled(server, db, version) -> None:
    c = calls(version)
    async with ocpp_station(server.url, "EVSE-7", version) as cp:
        await cp.call(c.BootNotification(charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"))
        for seq, (kind, ts, wh) in enumerate([("Updated", "2026-11-20T07:00:00Z", 5.0),
                                              ("Ended", "2026-11-20T09:00:00Z", 20.0)], start=3):
            await cp.call(event(c, kind, seq, ts, "EVDeparted" if kind == "Ended" else "MeterValuePeriodic",
                                tx="offline-9", offline=True, evse={"id": 2},
                                meter_value=[energy(ts, wh, "Sample.Periodic")]))
    async with db.connect() as conn:
        tx = (await conn.execute(select(transactions))).mappings().one()
        assert tx["reconciled"] and tx["offline"] and tx["status"] == "ended"
        assert tx["energy_wh"] == pytest.approx(15_000)
        assert "start_unknown" in tx["energy_flags"]


async def _energy_and_samples(db, station_tx_id: str) -> tuple[Any, Any, float, str | None]:
    """The transaction's stored energy, and what `session_energy` gives for its stored samples."""
    async with db.connect() as conn:
        tx = (await conn.execute(select(transactions).where(transactions.c.station_tx_id == station_tx_id))
              ).mappings().one()
        stored = (await conn.execute(
            select(meter_values.c.timestamp, meter_values.c.value)
            .where(meter_values.c.transaction_id == tx["id"], meter_values.c.phase.is_(None),
                   meter_values.c.measurand == "Energy.Active.Import.Register")
            .order_by(meter_values.c.timestamp, meter_values.c.id))).all()
    expected = session_energy([(tx["started_at"], tx["meter_start_wh"]), *[tuple(r) for r in stored]])
    return tx["energy_wh"], tx["energy_flags"], expected.wh, ",".join(expected.flags) or None


@pytest.mark.parametrize("version", VERSIONS)
async def test_energy_after_every_event_is_what_the_stored_samples_give(server, db, version) -> None:
    """Kept as a running sum on the connection (repeats, readings of one instant, MeterValues
    between events, a reset) and recomputed once a reading comes out of order."""
    c = calls(version)
    evse = {"id": 1, "connector_id": 1}
    steps = [
        ("Started", "10:00:00", [("09:59:58", 100.0, "Transaction.Begin")]),
        ("Updated", "10:05:00", [("10:05:00", 101.0, "Sample.Periodic")]),
        ("Updated", "10:05:01", [("10:05:00", 101.0, "Sample.Periodic")]),  # the same sample again
        ("MeterValues", "10:10:00", [("10:10:00", 102.0, "Sample.Periodic")]),
        ("Updated", "10:10:00", [("10:10:00", 102.2, "Sample.Clock")]),  # the same instant
        ("Updated", "10:15:00", [("10:15:00", 0.5, "Sample.Periodic")]),  # the meter restarted
        ("Updated", "10:16:00", [("10:12:00", 102.1, "Sample.Periodic")]),  # an older reading, late
        ("Updated", "10:20:00", [("10:20:00", 1.0, "Sample.Periodic")]),
        ("Ended", "10:30:00", [("10:30:00", 1.5, "Transaction.End")]),
    ]
    async with ocpp_station(server.url, "EVSE-7", version) as cp:
        await cp.call(c.BootNotification(charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"))
        for seq, (kind, at, readings) in enumerate(steps):
            values = [energy(f"2026-11-21T{when}Z", wh, context) for when, wh, context in readings]
            if kind == "MeterValues":  # stored now, counted in the energy at the next event
                await cp.call(c.MeterValues(evse_id=1, meter_value=values))
                continue
            extra: dict[str, Any] = {"evse": evse, "id_token": {"id_token": "RFID-1", "type": "ISO14443"}} if seq == 0 else {}
            await cp.call(event(c, kind, seq, f"2026-11-21T{at}Z", "MeterValuePeriodic", meter_value=values,
                                **extra))
            wh, flags, expected_wh, expected_flags = await _energy_and_samples(db, "tx-1")
            assert (wh, flags) == (expected_wh, expected_flags), (seq, kind)
    # +1000 +1000 +200; the late 102.1 kWh sorts before the restart: a reset too big to be real, left
    # out; then +500 (the restart) +500 +500
    assert (wh, flags) == (3_700, "register_reset,implausible_step")


async def test_a_2x_session_s_energy_is_kept_by_its_connection(server, db) -> None:
    """The running sum is used: a reading removed behind the server's back still counts."""
    c = calls("2.0.1")
    async with ocpp_station(server.url, "EVSE-7", "2.0.1") as cp:
        await cp.call(c.BootNotification(charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"))
        await cp.call(event(c, "Started", 0, "2026-11-21T10:00:00Z", "Authorized", evse={"id": 1},
                            meter_value=[energy("2026-11-21T10:00:00Z", 0.0, "Transaction.Begin")]))
        for seq, (at, kwh) in enumerate([("10:10:00", 5.0), ("10:20:00", 0.1)], start=1):
            await cp.call(event(c, "Updated", seq, f"2026-11-21T{at}Z", "MeterValuePeriodic",
                                meter_value=[energy(f"2026-11-21T{at}Z", kwh, "Sample.Periodic")]))
        async with db.begin() as conn:
            await conn.execute(meter_values.delete().where(meter_values.c.value == 5_000))
        await cp.call(event(c, "Ended", 3, "2026-11-21T10:30:00Z", "EVDeparted",
                            meter_value=[energy("2026-11-21T10:30:00Z", 1.1, "Transaction.End")]))
    wh, _, from_samples, _ = await _energy_and_samples(db, "tx-1")
    assert (wh, from_samples) == (5_000 + 100 + 1_000, 100 + 1_000)
