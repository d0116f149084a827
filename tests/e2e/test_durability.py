"""What was acknowledged survives a SIGKILL of the server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal

from ocpp.v16 import call
from sqlalchemy import func, select

from chargeline.store.schema import meter_values, transactions
from tests.conftest import cli
from tests.e2e.stations import PASSWORD, ocpp_station

STATIONS = 10
SESSIONS = 5


async def drive(url: str, station: str, acked: list[tuple[str, int]]) -> None:
    async with ocpp_station(url, station) as cp:
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        for n in range(SESSIONS):
            started = await cp.call(call.StartTransaction(connector_id=1, id_tag="T", meter_start=n * 1000,
                                                          timestamp=f"2026-11-21T10:{n:02d}:00Z"))
            await cp.call(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[
                {"timestamp": f"2026-11-21T10:{n:02d}:30Z", "sampledValue": [{"value": str(n * 1000 + 500)}]}]))
            await cp.call(call.StopTransaction(meter_stop=n * 1000 + 900, timestamp=f"2026-11-21T10:{n:02d}:59Z",
                                               transaction_id=started.transaction_id))
            acked.append((station, started.transaction_id))


async def test_acknowledged_messages_survive_sigkill(start_server, database_url, db) -> None:
    cli("tokens", "add", "T", database=database_url)
    for i in range(STATIONS):
        cli("stations", "add", f"K{i}", "--password", PASSWORD, database=database_url)
    server = start_server(database_url)
    acked: list[tuple[str, int]] = []
    await asyncio.gather(*(drive(server.url, f"K{i}", acked) for i in range(STATIONS)))
    server.stop(signal.SIGKILL)  # no shutdown work at all: only what was committed remains

    async with db.connect() as conn:
        rows = (await conn.execute(select(transactions.c.id, transactions.c.status,
                                          transactions.c.energy_wh))).all()
        assert sorted(r.id for r in rows) == sorted(tx for _, tx in acked)
        assert all(r.status == "ended" and r.energy_wh == 900 for r in rows)
        assert (await conn.execute(select(func.count()).select_from(meter_values))).scalar() == len(acked)

    restarted = start_server(database_url)  # and the data is served again after the crash
    async with ocpp_station(restarted.url, "K0") as cp:
        assert (await cp.call(call.Heartbeat())).current_time
