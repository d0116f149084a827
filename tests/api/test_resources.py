"""Stations, id tokens, transactions and the message log through the API, with a real station."""

from __future__ import annotations

import csv
import io

import httpx
from ocpp.v16 import call

from tests.e2e.stations import PASSWORD, ocpp_station


async def test_station_lifecycle(api_server, client) -> None:
    created = await client.post("/api/v1/stations", json={"station_id": "NEW-1", "password": "p" * 20})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["has_password"] is True and "password" not in body and "password_hash" not in body
    assert (await client.post("/api/v1/stations", json={"station_id": "new-1", "password": "p" * 20})
            ).json()["error"] == "station_exists"
    assert (await client.post("/api/v1/stations", json={"station_id": "bad/id", "security_profile": 0})
            ).json()["error"] == "invalid_station_id"
    assert (await client.post("/api/v1/stations", json={"station_id": "NOPASS", "security_profile": 1})
            ).json()["error"] == "password_required"
    patched = await client.patch("/api/v1/stations/NEW-1", json={"boot_policy": "Pending", "security_profile": 0,
                                                                 "password": None})
    assert patched.status_code == 200 and patched.json()["boot_policy"] == "Pending"
    assert patched.json()["has_password"] is False
    listed = (await client.get("/api/v1/stations", params={"q": "new", "limit": 5})).json()
    assert [s["station_id"] for s in listed["items"]] == ["NEW-1"] and listed["total"] == 1
    assert (await client.delete("/api/v1/stations/NEW-1")).status_code == 204
    assert (await client.get("/api/v1/stations/NEW-1")).json()["error"] == "station_not_found"


async def test_connected_station_detail_history_and_soft_stop(api_server, client) -> None:
    async with ocpp_station(api_server.url, "CP-16", "1.6") as cp:
        await cp.call(call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22",
                                            firmware_version="1.0"))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
        started = await cp.call(call.StartTransaction(connector_id=1, id_tag="TAG-OK", meter_start=1000,
                                                      timestamp="2026-11-21T10:00:00Z"))
        await cp.call(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[{
            "timestamp": "2026-11-21T10:10:00Z", "sampledValue": [
                {"value": "2500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]))
        detail = (await client.get("/api/v1/stations/cp-16")).json()
        assert detail["connected"] is True and detail["connection"]["ocpp_version"] == "1.6"
        assert detail["vendor"] == "Acme" and detail["active_transactions"] == 1
        evse = detail["evses"][0]
        assert evse["connectors"][0]["status"] == "Charging" and evse["active_transaction_id"] == started.transaction_id
        connected = (await client.get("/api/v1/stations", params={"connected": "true"})).json()
        assert "CP-16" in [s["station_id"] for s in connected["items"]]
        history = (await client.get("/api/v1/stations/CP-16/status-history")).json()
        assert history["items"][0]["status"] == "Charging"
        assert (await client.get("/api/v1/stations/CP-16/boots")).json()["items"][0]["payload"]["firmwareVersion"] \
            == "1.0"
        # the station never stops this session: the operator closes it
        stopped = await client.post(f"/api/v1/transactions/{started.transaction_id}/soft-stop",
                                    json={"reason": "StationLost"})
        assert stopped.status_code == 200, stopped.text
        tx = stopped.json()
        assert (tx["status"], tx["meter_stop_wh"], tx["energy_wh"], tx["meter_stop_source"]) == (
            "ended", 2500, 1500, "last_sample")
        assert tx["stopped_by"].startswith("csms:operator:key:") and tx["stop_reason"] == "StationLost"
        assert tx["id_token"] == "****OK"
        again = await client.post(f"/api/v1/transactions/{started.transaction_id}/soft-stop", json={})
        assert again.status_code == 409 and again.json()["error"] == "transaction_not_active"

    detail = (await client.get(f"/api/v1/transactions/{started.transaction_id}")).json()
    assert [m["value"] for m in detail["meter_values"]] == [2500]
    listed = (await client.get("/api/v1/transactions", params={"station_id": "CP-16", "status": "ended"})).json()
    assert started.transaction_id in [t["id"] for t in listed["items"]]
    exported = await client.get("/api/v1/transactions/export", params={"station_id": "CP-16", "format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    row = next(r for r in rows if r["id"] == str(started.transaction_id))
    assert row["energy_wh"] == "1500.0" and row["id_token"] == "****OK" and row["started_at"].endswith("Z")
    as_json = (await client.get("/api/v1/transactions/export", params={"format": "json"})).json()
    assert any(t["id"] == started.transaction_id for t in as_json)

    frames = (await client.get("/api/v1/stations/CP-16/messages", params={"action": "StartTransaction"})).json()
    assert {f["direction"] for f in frames["items"]} == {"in", "out"}
    assert all("TAG-OK" not in f["frame"] for f in frames["items"])  # id tokens are masked in the log view
    message_id = frames["items"][0]["message_id"]
    by_id = (await client.get("/api/v1/messages", params={"message_id": message_id, "station_id": "CP-16"})).json()
    assert by_id["total"] == 2


async def test_id_tokens_and_groups(api_server, client) -> None:
    created = await client.post("/api/v1/id-tokens", json={"id_token": "04A2B3C4D5E6F7", "group_id": "STAFF",
                                                           "expires_at": "2030-01-01T00:00:00Z"})
    assert created.status_code == 201 and created.json()["group_id"] == "staff"
    assert (await client.post("/api/v1/id-tokens", json={"id_token": "04a2b3c4d5e6f7"})).status_code == 409
    listed = (await client.get("/api/v1/id-tokens", params={"group_id": "STAFF"})).json()
    assert [t["id_token"] for t in listed["items"]] == ["**********E6F7"]
    revealed = (await client.get("/api/v1/id-tokens", params={"group_id": "STAFF", "reveal": "true"})).json()
    assert revealed["items"][0]["id_token"] == "04A2B3C4D5E6F7"
    patched = await client.patch("/api/v1/id-tokens/04A2B3C4D5E6F7", json={"status": "Blocked", "group_id": None})
    assert patched.json()["status"] == "Blocked" and patched.json()["group_id"] is None
    group = await client.patch("/api/v1/id-token-groups/STAFF", json={"status": "Blocked"})
    assert group.json() == {"group_id": "staff", "name": "STAFF", "status": "Blocked", "expires_at": None}
    assert (await client.delete("/api/v1/id-tokens/04A2B3C4D5E6F7")).status_code == 204
    assert (await client.get("/api/v1/id-tokens/04A2B3C4D5E6F7")).status_code == 404

    good = "id_token,status,group_id,expires_at\nCARD-1,Accepted,IMPORTED,\nCARD-2,Blocked,,2031-01-01T00:00:00Z\n"
    imported = await client.post("/api/v1/id-tokens/import", content=good, headers={"Content-Type": "text/csv"})
    assert imported.json() == {"created": 2, "updated": 0}
    again = await client.post("/api/v1/id-tokens/import", content=good, headers={"Content-Type": "text/csv"})
    assert again.json() == {"created": 0, "updated": 2}
    bad = "id_token,status\nCARD-3,Accepted\n,Accepted\nCARD-4,Maybe\n"
    refused = await client.post("/api/v1/id-tokens/import", content=bad, headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422 and [e["line"] for e in refused.json()["details"]] == [3, 4]
    assert (await client.get("/api/v1/id-tokens/CARD-3")).status_code == 404  # all or nothing
    assert (await client.get("/api/v1/id-tokens/card-2")).json()["expires_at"] == "2031-01-01T00:00:00Z"


async def test_roles_and_authentication(api_server) -> None:
    async with httpx.AsyncClient(base_url=api_server.api, timeout=30) as anonymous:
        assert (await anonymous.get("/api/v1/health")).json() == {"status": "ok"}
        none = await anonymous.get("/api/v1/stations")
        assert none.status_code == 401 and none.json()["error"] == "unauthenticated"
        assert none.headers["www-authenticate"].startswith("Bearer")
        wrong = await anonymous.get("/api/v1/stations", headers={"Authorization": "Bearer clk_000000000000_nope"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_api_key"
        header = await anonymous.get("/api/v1/stations", headers={"X-API-Key": api_server.keys["viewer"]})
        assert header.status_code == 200
        assert (await anonymous.post("/api/v1/stations/CP-16/commands/reset", json={"type": "Hard"})).status_code == 401

    viewer, operator = api_server.headers("viewer"), api_server.headers("operator")
    async with httpx.AsyncClient(base_url=api_server.api, timeout=30) as c:
        assert (await c.get("/api/v1/transactions", headers=viewer)).status_code == 200
        denied = await c.post("/api/v1/stations/CP-16/commands/reset", json={"type": "Hard"}, headers=viewer)
        assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
        assert (await c.get("/api/v1/messages", headers=viewer)).status_code == 403
        assert (await c.post("/api/v1/stations", json={"station_id": "X", "security_profile": 0},
                             headers=operator)).status_code == 403
        firmware = await c.post("/api/v1/stations/CP-16/commands/update_firmware", headers=operator, json={
            "location": "https://x.example/f.bin", "retrieve_at": "2026-11-22T00:00:00Z"})
        assert firmware.status_code == 403  # admins only, checked before anything else
        key_change = await c.post("/api/v1/stations/CP-16/commands/change_configuration", headers=operator,
                                  json={"key": "AuthorizationKey", "value": "0" * 40})
        assert key_change.status_code == 403
        assert (await c.get("/api/v1/audit-log", headers=operator)).status_code == 403
        assert (await c.get("/api/v1/id-tokens", params={"reveal": "true"}, headers=operator)).status_code == 403

    async with httpx.AsyncClient(base_url=api_server.api, headers=api_server.headers("admin"), timeout=30) as admin:
        made = (await admin.post("/api/v1/api-keys", json={"name": "temp", "role": "viewer"})).json()
        assert made["key"].startswith("clk_")
        listed = (await admin.get("/api/v1/api-keys")).json()
        assert all("key" not in k and "key_hash" not in k for k in listed)
        temp = {"Authorization": f"Bearer {made['key']}"}
        assert (await admin.get("/api/v1/stations", headers=temp)).status_code == 200
        assert (await admin.delete(f"/api/v1/api-keys/{made['id']}")).json()["revoked_at"] is not None
        assert (await admin.get("/api/v1/stations", headers=temp)).status_code == 401

        audit = (await admin.get("/api/v1/audit-log", params={"action": "commands.change_configuration"})).json()
        entry = audit["items"][0]
        assert entry["status_code"] == 403 and entry["actor"].endswith(":operator")
        assert entry["params"] == {"key": "AuthorizationKey", "value": "***"} and entry["target"] == "CP-16"
        denied_reset = (await admin.get("/api/v1/audit-log", params={"action": "commands.reset"})).json()
        assert {e["status_code"] for e in denied_reset["items"]} >= {401, 403}
        assert (await admin.get("/api/v1/audit-log/verify")).json() == {"intact": True, "first_broken_id": None}


async def test_no_secret_in_server_logs(api_server, client) -> None:
    await client.post("/api/v1/stations", json={"station_id": "SECRET-1", "password": "s3cret-passw0rd-xyz"})
    await client.get("/api/v1/id-tokens/04SECRETTOKEN99")
    logs = api_server.logs()
    for secret in ("s3cret-passw0rd-xyz", PASSWORD, *api_server.keys.values(), "04SECRETTOKEN99", "TAG-OK"):
        assert secret not in logs
