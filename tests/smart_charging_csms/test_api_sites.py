"""The sites API: the tree, external limits, prices, load history, sessions, roles and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.station.conftest import until

SITE = {"id": "depot", "name": "Depot", "limit_w": 200_000, "margin": 0.02, "group_priorities": {"FLEET": 10},
        "nodes": [{"id": "feeder-a", "kind": "circuit", "limit_a": 160},
                  {"kind": "station", "station_id": "CP-A", "parent_id": "feeder-a", "evses": 2, "evse_limit_a": 32},
                  {"kind": "evse", "station_id": "CP-A", "evse_id": 2, "limit_a": 16, "phases": 1, "first_phase": 2},
                  {"kind": "station", "station_id": "CP-B", "limit_w": 50_000, "dc": True, "evse_limit_w": 50_000}]}


@pytest.fixture
async def client(plain_server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=plain_server.api + "/api/v1", headers=plain_server.headers("admin"),
                                 timeout=30) as c:
        yield c


async def test_site_lifecycle(client: httpx.AsyncClient, plain_server: ApiServer) -> None:
    created = await client.post("/sites", json=SITE)
    assert created.status_code == 201, created.text
    site = created.json()
    assert site["limit_w"] == 200_000 and site["station_count"] == 2 and site["group_priorities"] == {"fleet": 10}
    nodes = {n["id"]: n for n in site["nodes"]}
    assert nodes["grid"] == {"id": "grid", "parent_id": None, "kind": "grid", "name": "Depot", "limit_w": 200_000,
                             "limit_a": None, "phases": 3, "station_id": None, "evse_id": None, "evses": None,
                             "evse_limit_a": None, "evse_limit_w": None, "dc": False, "first_phase": 1}
    assert nodes["CP-A"]["parent_id"] == "feeder-a" and nodes["CP-A/2"]["parent_id"] == "CP-A"
    assert nodes["CP-B"]["dc"] is True

    listed = (await client.get("/sites")).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == "depot"
    assert set(listed["items"][0]) >= {"id", "name", "limit_w", "phases", "station_count", "planned_w", "measured_w"}
    # the loop runs for the site (no station is connected, so the offline ones are counted at their maximum)
    async def planned() -> bool:
        return (await client.get("/sites/depot")).json()["planned_w"] is not None
    await until(planned, 20, "a first round")
    load = (await client.get("/sites/depot/load")).json()
    assert set(load) == {"planned", "measured", "limit"} and load["limit"][0]["w"] == 200_000
    assert load["planned"][0]["w"] == 32 * 230 * 3 + 16 * 230 + 50_000  # two AC EVSEs and the DC charger

    changed = await client.patch("/sites/depot", json={"limit_w": 150_000, "name": "Depot East"})
    assert changed.status_code == 200 and changed.json()["limit_w"] == 150_000
    assert changed.json()["nodes"][0]["name"] == "Depot East" and len(changed.json()["nodes"]) == 5
    renodes = await client.patch("/sites/depot", json={"nodes": [{"kind": "station", "station_id": "CP-A"}]})
    assert [n["id"] for n in renodes.json()["nodes"]] == ["grid", "CP-A"]
    assert (await client.patch("/sites/depot", json={"name": None})).status_code == 422

    assert (await client.delete("/sites/depot")).status_code == 204
    assert (await client.get("/sites/depot")).status_code == 404
    assert "Traceback" not in plain_server.logs()


async def test_invalid_sites(client: httpx.AsyncClient) -> None:
    bad_parent = {"id": "bad", "name": "Bad", "nodes": [{"id": "c", "kind": "circuit", "parent_id": "nowhere"}]}
    response = await client.post("/sites", json=bad_parent)
    assert response.status_code == 422 and response.json()["error"] == "invalid_site"
    assert "does not exist" in response.json()["message"]
    assert (await client.post("/sites", json={"id": "x y", "name": "Bad"})).status_code == 422
    assert (await client.post("/sites", json={"id": "neg", "name": "N", "limit_w": -1})).status_code == 422
    first = await client.post("/sites", json={"id": "one", "name": "One",
                                              "nodes": [{"kind": "station", "station_id": "CP-C"}]})
    assert first.status_code == 201
    again = await client.post("/sites", json={"id": "one", "name": "One"})
    assert again.status_code == 409 and again.json()["error"] == "site_exists"
    other = await client.post("/sites", json={"id": "two", "name": "Two",
                                              "nodes": [{"kind": "station", "station_id": "cp-c"}]})
    assert other.status_code == 409 and other.json()["error"] == "station_in_other_site"
    assert (await client.delete("/sites/one")).status_code == 204
    assert (await client.delete("/sites/one")).status_code == 404


async def test_limits_and_prices(client: httpx.AsyncClient) -> None:
    assert (await client.post("/sites", json={"id": "lim", "name": "Lim", "limit_w": 100_000, "nodes": [
        {"id": "f1", "kind": "circuit", "limit_a": 100}]})).status_code == 201
    schedule = {"node_id": "grid", "limits": [{"start": "2026-01-01T00:00:00Z", "limit_w": 60_000},
                                              {"start": "2030-01-01T00:00:00Z"}]}
    response = await client.put("/sites/lim/limits", json=schedule)
    assert response.status_code == 200, response.text
    assert [(e["limit_w"], e["source"][:4]) for e in response.json()] == [(60_000, "api:"), (None, "api:")]
    detail = (await client.get("/sites/lim")).json()
    assert detail["limit_w"] == 100_000 and detail["current_limit_w"] == 60_000
    as_list = await client.put("/sites/lim/limits", params={"node_id": "f1"},
                               json=[{"start": "2026-02-01T10:00:00", "limit_a": 40}])
    assert as_list.status_code == 200 and as_list.json()[0]["node_id"] == "f1"
    assert as_list.json()[0]["start"] == "2026-02-01T10:00:00Z"  # no offset: UTC
    assert len((await client.get("/sites/lim/limits")).json()) == 3
    missing = await client.put("/sites/lim/limits", json={"node_id": "nope", "limits": []})
    assert missing.status_code == 404 and missing.json()["error"] == "node_not_found"

    prices = [{"start": "2026-06-01T00:00:00Z", "end": "2026-06-01T06:00:00Z", "price_per_kwh": 0.12},
              {"start": "2026-06-01T06:00:00Z", "end": "2026-06-01T22:00:00Z", "price_per_kwh": 0.31}]
    saved = await client.put("/sites/lim/prices", json=prices)
    assert saved.status_code == 200 and [p["price_per_kwh"] for p in saved.json()] == [0.12, 0.31]
    overlap = await client.put("/sites/lim/prices", json=[prices[1], {**prices[0], "end": "2026-06-01T07:00:00Z"}])
    assert overlap.status_code == 422 and overlap.json()["error"] == "invalid_prices"
    assert (await client.get("/sites/lim/prices")).json() == saved.json()
    assert (await client.get("/sites/lim/sessions")).json() == []
    unknown = await client.patch("/sites/lim/sessions/4711", json={"priority": 3})
    assert unknown.status_code == 404 and unknown.json()["error"] == "transaction_not_found"
    assert (await client.delete("/sites/lim")).status_code == 204


async def test_roles(plain_server: ApiServer) -> None:
    base = plain_server.api + "/api/v1"
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        site = {"id": "roles", "name": "Roles", "limit_w": 10_000}
        assert (await c.post("/sites", json=site)).status_code == 401
        viewer, operator = plain_server.headers("viewer"), plain_server.headers("operator")
        assert (await c.post("/sites", json=site, headers=operator)).status_code == 403
        assert (await c.post("/sites", json=site, headers=plain_server.headers("admin"))).status_code == 201
        assert (await c.get("/sites/roles", headers=viewer)).status_code == 200
        limits = [{"start": "2026-01-01T00:00:00Z", "limit_w": 5_000}]
        assert (await c.put("/sites/roles/limits", json=limits, headers=viewer)).status_code == 403
        assert (await c.put("/sites/roles/limits", json=limits, headers=operator)).status_code == 200
        assert (await c.delete("/sites/roles", headers=operator)).status_code == 403
        assert (await c.delete("/sites/roles", headers=plain_server.headers("admin"))).status_code == 204
        audit = await c.get("/audit-log", headers=plain_server.headers("admin"), params={"limit": 1000})
        actions = {e["action"] for e in audit.json()["items"]}
        assert {"sites.create", "sites.limits", "sites.delete"} <= actions
