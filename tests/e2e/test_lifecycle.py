"""Boot policies, lenient stations and graceful shutdown."""

from __future__ import annotations

import asyncio
import signal

import pytest
from ocpp.v16 import call

from tests.conftest import cli
from tests.e2e.stations import PASSWORD, exchange, ocpp_station, raw_station

BOOT = '[2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]'


async def test_pending_and_rejected_boots(start_server, sqlite_url) -> None:
    cli("stations", "add", "P-1", "--password", PASSWORD, "--boot", "Pending", database=sqlite_url)
    cli("stations", "add", "R-1", "--password", PASSWORD, "--boot", "Rejected", database=sqlite_url)
    server = start_server(sqlite_url)
    async with raw_station(server.url, "P-1") as ws:
        booted = await exchange(ws, BOOT)
        assert booted[2]["status"] == "Pending" and booted[2]["interval"] > 0
        assert (await exchange(ws, '[2, "h", "Heartbeat", {}]'))[2] == "SecurityError"
    async with raw_station(server.url, "R-1") as ws:
        assert (await exchange(ws, BOOT))[2]["status"] == "Rejected"
        assert (await exchange(ws, '[2, "h", "Heartbeat", {}]'))[2] == "SecurityError"
    cli("stations", "add", "P-1", "--password", PASSWORD, "--boot", "Accepted", database=sqlite_url)
    async with raw_station(server.url, "P-1") as ws:  # the operator accepted it: the next boot is Accepted
        assert (await exchange(ws, BOOT))[2]["status"] == "Accepted"


async def test_lenient_station_is_forgiven(start_server, sqlite_url) -> None:
    cli("stations", "add", "L-1", "--password", PASSWORD, "--lenient", database=sqlite_url)
    cli("stations", "add", "S-1", "--password", PASSWORD, database=sqlite_url)
    server = start_server(sqlite_url)
    sloppy = '[2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M", "extra": 1}]'
    async with raw_station(server.url, "S-1") as ws:
        assert (await exchange(ws, sloppy))[2] == "FormationViolation"
    async with raw_station(server.url, "L-1") as ws:
        assert (await exchange(ws, sloppy))[2]["status"] == "Accepted"
    assert "lenient: accepted BootNotification" in server.logs()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_graceful_shutdown_closes_sessions_with_1001(start_server, sqlite_url, sig) -> None:
    cli("stations", "add", "G-1", "--password", PASSWORD, database=sqlite_url)
    server = start_server(sqlite_url)
    async with ocpp_station(server.url, "G-1") as cp:
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        server.proc.send_signal(sig)
        await asyncio.wait_for(cp._connection.wait_closed(), 10)
        assert cp._connection.close_code == 1001
    assert server.stop() == 0


async def test_connection_times_and_clock_skew_are_stored(start_server, sqlite_url) -> None:
    """Connect, last seen (with the station clock's offset) and disconnect times reach the stations table."""
    import sqlite3

    cli("stations", "add", "T-1", "--password", PASSWORD, database=sqlite_url)
    server = start_server(sqlite_url)
    async with raw_station(server.url, "T-1") as ws:
        await exchange(ws, BOOT)
        status = ('[2, "s", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available", '
                  '"timestamp": "2020-01-01T00:00:00Z"}]')  # a clock years behind
        await exchange(ws, status)
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    assert server.stop() == 0  # the graceful stop writes the last-seen times still held in memory
    path = sqlite_url.removeprefix("sqlite:///")
    row = sqlite3.connect(path).execute(
        "SELECT last_connected_at, last_seen_at, last_disconnected_at, clock_skew_s FROM stations WHERE id = 't-1'"
    ).fetchone()
    connected, seen, disconnected, skew = row
    assert connected and seen and disconnected
    assert seen >= connected and disconnected >= connected
    assert skew < -3600 * 24 * 300  # recorded as seconds behind
