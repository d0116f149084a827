"""The operator tables on both databases: migration 0002, commands, reports, audit chain, soft-stop."""

from __future__ import annotations

import httpx
from ocpp.v201 import call

from tests.api.conftest import prepare, start_api_server
from tests.api.helpers import boot, command
from tests.api.station import recording_station


async def test_api_on_sqlite_and_postgres(database_url, tmp_path) -> None:
    keys = prepare(database_url, ("CS-201",))
    server = start_api_server(database_url, tmp_path / "server.log")
    server.keys = keys
    try:
        async with httpx.AsyncClient(base_url=server.api, headers=server.headers(), timeout=30) as client:
            assert (await client.post("/api/v1/stations", json={"station_id": "PG-1", "security_profile": 0})
                    ).status_code == 201
            async with recording_station(server.url, "CS-201", "2.0.1") as cp:
                await boot(cp, "2.0.1")
                record = (await command(client, "CS-201", "get_base_report", {})).json()
                await cp.call(call.NotifyReport(request_id=record["id"], generated_at="2026-11-21T10:00:00Z",
                                                seq_no=0, report_data=[{
                                                    "component": {"name": "OCPPCommCtrlr"},
                                                    "variable": {"name": "HeartbeatInterval"},
                                                    "variable_attribute": [{"value": "300"}]}]))
                await cp.call(call.TransactionEvent(
                    event_type="Started", timestamp="2026-11-21T10:00:00Z", trigger_reason="Authorized", seq_no=0,
                    transaction_info={"transaction_id": "pg-tx"}, evse={"id": 1, "connector_id": 1}))
            detail = (await client.get(f"/api/v1/commands/{record['id']}")).json()
            assert detail["reports"]["complete"] and len(detail["reports"]["items"]) == 1
            tx = (await client.get("/api/v1/transactions", params={"station_id": "CS-201"})).json()["items"][0]
            stopped = await client.post(f"/api/v1/transactions/{tx['id']}/soft-stop", json={"meter_stop_wh": 0})
            assert stopped.json()["meter_stop_source"] == "given"
            audit = (await client.get("/api/v1/audit-log")).json()
            assert audit["total"] >= 3
            assert (await client.get("/api/v1/audit-log/verify")).json()["intact"] is True
    finally:
        assert server.process.stop() == 0
