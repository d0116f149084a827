"""OCPP 1.6J sessions against `chargeline serve`, with the `ocpp` package's ChargePoint as the station."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.v16 import call
from sqlalchemy import and_, func, select

from chargeline.domain.meter import session_energy
from chargeline.store.schema import boots, connectors, meter_values, station_notifications, stations, transactions
from tests.conftest import cli
from tests.e2e.stations import PASSWORD, exchange, ocpp_station, raw_station


@pytest.fixture
def server(start_server, database_url):
    cli("stations", "add", "CP-1", "--password", PASSWORD, database=database_url)
    cli("tokens", "add", "TAG-OK", "--group", "FLEET", database=database_url)
    cli("tokens", "add", "TAG-BLOCKED", "--status", "Blocked", database=database_url)
    cli("tokens", "add", "TAG-OLD", "--expires", "2020-01-01T00:00:00Z", database=database_url)
    return start_server(database_url)


def boot() -> call.BootNotification:
    return call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22", charge_point_serial_number="S-1",
                                 firmware_version="1.2.3", iccid="8931", imsi="2620")


async def test_full_session(server, db) -> None:
    async with ocpp_station(server.url, "CP-1") as cp:
        booted = await cp.call(boot())
        assert booted.status == "Accepted" and booted.interval == 300
        assert booted.current_time.endswith("Z")
        beat = await cp.call(call.Heartbeat())
        assert beat.current_time.endswith("Z")
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing",
                                              timestamp="2026-11-21T10:00:00Z"))
        assert (await cp.call(call.Authorize(id_tag="tag-ok"))).id_tag_info == {
            "status": "Accepted", "parent_id_tag": "FLEET"}
        assert (await cp.call(call.Authorize(id_tag="TAG-BLOCKED"))).id_tag_info == {"status": "Blocked"}
        assert (await cp.call(call.Authorize(id_tag="TAG-OLD"))).id_tag_info == {"status": "Expired"}
        assert (await cp.call(call.Authorize(id_tag="NOBODY"))).id_tag_info == {"status": "Invalid"}

        start = call.StartTransaction(connector_id=1, id_tag="TAG-OK", meter_start=10_000,
                                      timestamp="2026-11-21T10:00:05Z")
        started = await cp.call(start)
        retried = await cp.call(start)  # the answer was "lost": same transaction, not a second one
        assert retried.transaction_id == started.transaction_id
        tx = started.transaction_id
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
            "timestamp": "2026-11-21T10:15:00Z", "sampledValue": [
                {"value": "12.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register",
                 "context": "Sample.Periodic"},
                {"value": "7200", "unit": "W", "measurand": "Power.Active.Import"},
                {"value": "16.1", "unit": "A", "measurand": "Current.Import", "phase": "L1"}]}]))
        stop = call.StopTransaction(meter_stop=15_000, timestamp="2026-11-21T10:30:00Z", transaction_id=tx,
                                    id_tag="TAG-OK", reason="Local")
        assert (await cp.call(stop)).id_tag_info["status"] == "Accepted"
        await cp.call(stop)  # retried Stop: counted once
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))

    async with db.connect() as conn:
        rows = (await conn.execute(select(transactions))).mappings().all()
        assert len(rows) == 1
        row = rows[0]
        assert (row["status"], row["meter_start_wh"], row["meter_stop_wh"], row["energy_wh"]) == (
            "ended", 10_000, 15_000, 5_000)
        assert row["stopped_by"] == "station" and row["stop_reason"] == "Local"
        samples = (await conn.execute(select(meter_values).where(meter_values.c.transaction_id == tx))).mappings().all()
        by_measurand = {s["measurand"]: s for s in samples}
        assert by_measurand["Energy.Active.Import.Register"]["value"] == 12_500
        assert by_measurand["Current.Import"]["phase"] == "L1"
        station = (await conn.execute(select(stations))).mappings().one()
        assert (station["vendor"], station["firmware_version"], station["modem_iccid"], station["boot_status"]) == (
            "Acme", "1.2.3", "8931", "Accepted")
        assert (await conn.execute(select(func.count()).select_from(boots))).scalar() == 1
        connector = (await conn.execute(select(connectors))).mappings().one()
        assert connector["status"] == "Available"


async def test_offline_transaction_replayed_later(server, db) -> None:
    """A Stop for a Start the CSMS never saw (offline, local id) is reconciled, once."""
    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        stop = call.StopTransaction(meter_stop=4_000, timestamp="2026-11-20T08:00:00Z", transaction_id=-1,
                                    id_tag="TAG-OK", reason="EVDisconnected", transaction_data=[
                                        {"timestamp": "2026-11-20T07:00:00Z", "sampledValue": [
                                            {"value": "1000", "context": "Transaction.Begin"}]},
                                        {"timestamp": "2026-11-20T08:00:00Z", "sampledValue": [
                                            {"value": "4000", "context": "Transaction.End"}]}])
        await cp.call(stop)
        await cp.call(stop)
    async with db.connect() as conn:
        rows = (await conn.execute(select(transactions))).mappings().all()
        assert len(rows) == 1
        assert rows[0]["reconciled"] and rows[0]["energy_wh"] == 3_000
        assert rows[0]["started_at"].isoformat() == "2026-11-20T07:00:00+00:00"


async def test_malformed_frames_keep_the_connection(server) -> None:
    async with raw_station(server.url, "CP-1") as ws:
        assert (await exchange(ws, "not json"))[:3] == [4, "-1", "FormationViolation"]
        assert (await exchange(ws, '[2, "b1", "BootNotification", {"chargePointVendor": "V"}]'))[:3] == [
            4, "b1", "OccurenceConstraintViolation"]
        assert (await exchange(ws, '[2, "f1", "FooBar", {}]'))[:3] == [4, "f1", "NotImplemented"]
        assert (await exchange(ws, '[2, "r1", "Reset", {"type": "Hard"}]'))[:3] == [4, "r1", "NotSupported"]
        assert (await exchange(ws, '[2, "h1", "Heartbeat", {}]'))[:3] == [4, "h1", "SecurityError"]  # before boot
        await ws.send(b"\x00binary")
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith('[4,"-1"')
        booted = await exchange(ws, '[2, "b2", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]')
        assert booted[0] == 3 and booted[2]["status"] == "Accepted"
        assert (await exchange(ws, '[2, "h2", "Heartbeat", {}]'))[0] == 3


async def test_data_transfer_and_notifications(server, db) -> None:
    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        result = await cp.call(call.DataTransfer(vendor_id="com.example", message_id="x", data="{}"))
        assert result.status == "UnknownVendorId"
        await cp.call(call.FirmwareStatusNotification(status="Downloading"))
        await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))
        await cp.call(call.SecurityEventNotification(type="TamperDetectionActivated",
                                                     timestamp="2026-11-21T10:00:00Z", tech_info="<lid>"))
    async with db.connect() as conn:
        actions = sorted((await conn.execute(select(station_notifications.c.action))).scalars())
        assert actions == ["DataTransfer", "DiagnosticsStatusNotification", "FirmwareStatusNotification"]


async def test_boot_accepted_survives_a_restart(start_server, sqlite_url) -> None:
    cli("stations", "add", "CP-1", "--password", PASSWORD, database=sqlite_url)
    first = start_server(sqlite_url)
    async with ocpp_station(first.url, "CP-1") as cp:
        await cp.call(boot())
    assert first.stop() == 0
    second = start_server(sqlite_url)
    async with ocpp_station(second.url, "CP-1") as cp:  # reconnects without a new BootNotification
        assert (await cp.call(call.Heartbeat())).current_time.endswith("Z")


async def test_session_that_never_ends_is_closed_and_a_late_stop_still_applies(server, db) -> None:
    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        started = await cp.call(call.StartTransaction(connector_id=2, id_tag="TAG-OK", meter_start=0,
                                                      timestamp="2026-11-21T09:00:00Z"))
        # the station rebooted mid-session and reports the connector free, with no Stop
        await cp.call(call.StatusNotification(connector_id=2, error_code="NoError", status="Available"))
        async with db.connect() as conn:
            row = (await conn.execute(select(transactions))).mappings().one()
            assert (row["status"], row["stopped_by"]) == ("ended", "csms:connector-available")
        await cp.call(call.StopTransaction(meter_stop=7_000, timestamp="2026-11-21T09:45:00Z",
                                           transaction_id=started.transaction_id, reason="PowerLoss"))
    async with db.connect() as conn:
        row = (await conn.execute(select(transactions))).mappings().one()
        assert (row["stopped_by"], row["energy_wh"], row["stop_reason"]) == ("station", 7_000, "PowerLoss")


async def test_a_1970_clock_never_makes_a_decades_long_session(server, db) -> None:
    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-OK", meter_start=0,
                                                      timestamp="1970-01-01T00:00:07Z"))
        await cp.call(call.StopTransaction(meter_stop=100, timestamp="1970-01-01T00:10:07Z",
                                           transaction_id=started.transaction_id))
    async with db.connect() as conn:
        row = (await conn.execute(select(transactions))).mappings().one()
        assert row["started_at"].year >= 2026 and row["stopped_at"] >= row["started_at"]
        assert "station_clock_invalid" in row["energy_flags"] and row["energy_wh"] == 100


def _register(timestamp: str, wh: str, context: str = "Sample.Periodic") -> dict[str, Any]:
    return {"timestamp": timestamp, "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": context},
        {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
        {"value": "99999", "measurand": "Energy.Active.Import.Register", "unit": "Wh", "phase": "L1"}]}


async def test_session_energy_at_stop_is_what_the_stored_samples_give(server, db) -> None:
    """The session's energy is kept by the connection that stored its readings and taken from there
    at the Stop; it is what the stored samples give, whatever the station's quirks."""
    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        tx = (await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-OK", meter_start=1_000,
                                                  timestamp="2026-11-21T10:00:00Z"))).transaction_id

        async def meter(*values: dict[str, Any]) -> None:
            await cp.call(call.MeterValues(connector_id=1, transaction_id=tx, meter_value=list(values)))

        await meter(_register("2026-11-21T10:05:00Z", "2000"))
        await meter(_register("2026-11-21T10:05:00Z", "2000"))  # its answer was lost: sent again
        await meter(_register("2026-11-21T10:10:00Z", "3000"), _register("2026-11-21T10:10:00Z", "3100", "Sample.Clock"))
        await meter(_register("2026-11-21T10:15:00Z", "400"))  # the meter restarted
        await meter(_register("2026-11-21T10:16:00Z", "90000000"))  # no charger delivers that in a minute
        await meter(_register("2026-11-21T10:20:00Z", "900"))
        await cp.call(call.StopTransaction(meter_stop=1_500, timestamp="2026-11-21T10:30:00Z", transaction_id=tx,
                                           reason="Local", transaction_data=[
                                               _register("2026-11-21T10:20:00Z", "900"),  # stored already
                                               _register("2026-11-21T10:25:00Z", "1200", "Transaction.End")]))
    async with db.connect() as conn:
        row = (await conn.execute(select(transactions).where(transactions.c.id == tx))).mappings().one()
        stored = (await conn.execute(
            select(meter_values.c.timestamp, meter_values.c.value)
            .where(meter_values.c.transaction_id == tx, meter_values.c.measurand == "Energy.Active.Import.Register",
                   meter_values.c.phase.is_(None))
            .order_by(meter_values.c.timestamp, meter_values.c.id))).all()
    from_samples = session_energy([(row["started_at"], row["meter_start_wh"]), *[tuple(r) for r in stored],
                                   (row["stopped_at"], row["meter_stop_wh"])])
    # 1000 + 1000 + 100, a reset (+400), the impossible step left out, a reset (+900), +300, +300
    assert (row["energy_wh"], row["energy_flags"]) == (4_000, "register_reset,implausible_step")
    assert (from_samples.wh, ",".join(from_samples.flags)) == (row["energy_wh"], row["energy_flags"])
    assert len(stored) == 7  # the repeated message and the Stop's copy of a stored reading counted once


async def test_stop_reads_the_samples_back_when_the_session_began_on_another_connection(server, db) -> None:
    """A session's energy is known only to the connection that stored all its readings: after a
    reconnect the Stop reads them from the database. (A reading removed behind the server's back
    shows which was used.)"""
    async def session(cp: Any, connector: int) -> int:
        tx: int = (await cp.call(call.StartTransaction(connector_id=connector, id_tag="TAG-OK", meter_start=0,
                                                       timestamp="2026-11-21T10:00:00Z"))).transaction_id
        for at, wh in (("10:10", "5000"), ("10:20", "100")):  # the meter restarted after 5 kWh
            await cp.call(call.MeterValues(connector_id=connector, transaction_id=tx,
                                           meter_value=[_register(f"2026-11-21T{at}:00Z", wh)]))
        async with db.begin() as conn:
            await conn.execute(meter_values.delete().where(and_(meter_values.c.transaction_id == tx,
                                                                meter_values.c.value == 5000)))
        return tx

    def stop(tx: int) -> call.StopTransaction:
        return call.StopTransaction(meter_stop=1_100, timestamp="2026-11-21T10:30:00Z", transaction_id=tx)

    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        same = await session(cp, 1)
        await cp.call(stop(same))
        other = await session(cp, 2)
    async with ocpp_station(server.url, "CP-1") as cp:
        await cp.call(boot())
        await cp.call(stop(other))
    async with db.connect() as conn:
        energy = dict((await conn.execute(select(transactions.c.id, transactions.c.energy_wh))).all())
    assert energy[same] == 5_000 + 100 + 1_000  # as this connection stored them
    assert energy[other] == 100 + 1_000  # as the database has them now
