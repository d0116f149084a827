"""One outstanding call per station, the queue behind it, cancelling, timeouts, offline stations."""

from __future__ import annotations

import asyncio

from tests.api.helpers import boot, command
from tests.api.station import recording_station

STATION = "CP-16"


async def _until(client, command_id: int, *statuses: str) -> dict:
    """Poll a command until it reaches one of `statuses` (bounded; no timing is asserted)."""
    for _ in range(500):
        record = (await client.get(f"/api/v1/commands/{command_id}")).json()
        if record["status"] in statuses:
            return record
        await asyncio.sleep(0.02)
    raise AssertionError(f"command {command_id} stayed {record['status']}")


def _hold(cp, action: str) -> asyncio.Event:
    """Make the station answer `action` only once the returned event is set."""
    release = asyncio.Event()

    async def slow(**_):
        await release.wait()
        from tests.api.station import _answer
        return _answer({"status": "Accepted"})

    cp.route_map[action]["_on_action"] = slow
    return release


async def test_queue_behind_the_outstanding_call(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        release = _hold(cp, "Reset")
        first = await command(client, STATION, "reset", {"type": "Soft"}, wait="false")
        assert first.status_code == 202 and first.headers["location"].endswith(f"/commands/{first.json()['id']}")
        await _until(client, first.json()["id"], "sent")
        second = (await command(client, STATION, "clear_cache", {}, wait="false")).json()
        third = (await command(client, STATION, "clear_cache", {}, wait="false")).json()
        assert second["status"] == third["status"] == "queued"
        connection = (await client.get(f"/api/v1/stations/{STATION}/connection")).json()
        assert connection["connection"]["queued_commands"] == 2
        cancelled = await client.delete(f"/api/v1/commands/{third['id']}")
        assert cancelled.status_code == 200
        assert [a for a, _ in cp.received] == ["Reset"]  # nothing else while Reset is outstanding
        release.set()
        assert (await _until(client, first.json()["id"], "completed"))["outcome"] == "Accepted"
        assert (await _until(client, second["id"], "completed"))["outcome"] == "Accepted"
        assert (await _until(client, third["id"], "cancelled"))["error_code"] == "Cancelled"
        assert [a for a, _ in cp.received] == ["Reset", "ClearCache"]
        again = await client.delete(f"/api/v1/commands/{third['id']}")
        assert again.status_code == 409 and again.json()["error"] == "not_cancellable"


async def test_timeout_is_recorded_and_the_lane_moves_on(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        release = _hold(cp, "Reset")
        late = await command(client, STATION, "reset", {"type": "Hard"}, timeout=1)
        assert late.status_code == 504 and late.json()["error"] == "station_timeout"
        record = late.json()["details"]["command"]
        assert record["status"] == "timeout" and record["error_code"] == "Timeout"
        release.set()
        after = await command(client, STATION, "clear_cache", {})
        assert after.status_code == 200 and after.json()["outcome"] == "Accepted"
    listed = (await client.get("/api/v1/commands", params={"station_id": STATION, "status": "timeout"})).json()
    assert record["id"] in [c["id"] for c in listed["items"]]


async def test_offline_station_is_409(api_server, client) -> None:
    response = await command(client, STATION, "reset", {"type": "Soft"})
    assert response.status_code == 409 and response.json()["error"] == "station_offline"
    unknown = await command(client, "NO-SUCH-STATION", "reset", {"type": "Soft"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "station_not_found"


async def test_station_error_is_502_and_recorded(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        del cp.route_map["ClearCache"]  # the library answers NotImplemented
        response = await command(client, STATION, "clear_cache", {})
        assert response.status_code == 502 and response.json()["error"] == "station_error"
        record = response.json()["details"]["command"]
        assert record["status"] == "failed" and record["error_code"] == "NotImplemented"
