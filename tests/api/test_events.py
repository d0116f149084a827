"""The live event stream, webhooks (signature, retries, every attempt recorded) and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from ocpp.v16 import call

from chargeline.api.webhooks import verify
from tests.api.conftest import ApiServer, prepare, start_api_server
from tests.api.helpers import boot, command
from tests.api.station import recording_station


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """A server whose webhook retries come after 0.1 s, 0.4 s, … (instead of 5 s, 20 s, …)."""
    tmp = tmp_path_factory.mktemp("events")
    database = f"sqlite:///{tmp / 'chargeline.db'}"
    keys = prepare(database)
    os.environ["CHARGELINE_WEBHOOK_RETRY_BASE"] = "0.1"
    try:
        server = start_api_server(database, tmp / "server.log")
    finally:
        del os.environ["CHARGELINE_WEBHOOK_RETRY_BASE"]
    server.keys = keys
    yield server
    assert server.process.stop() == 0


class Receiver:
    """A real HTTP endpoint on loopback that answers with the next status of `statuses`."""

    def __init__(self, statuses: list[int]):
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.received = asyncio.Condition()
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status = self.statuses.pop(0) if self.statuses else 200
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()
        async with self.received:
            self.requests.append((headers, body))
            self.received.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self.received:
            await asyncio.wait_for(self.received.wait_for(lambda: len(self.requests) >= count), 30)


@contextlib.asynccontextmanager
async def receiver(statuses: list[int]) -> AsyncIterator[Receiver]:
    r = Receiver(statuses)
    r.server = await asyncio.start_server(r._handle, "127.0.0.1", 0)
    try:
        yield r
    finally:
        r.server.close()
        await r.server.wait_closed()


async def test_event_stream_filters_by_station_and_type(api_server, client) -> None:
    params = {"station_id": "CP-16", "type": ["boot,status", "command_result"]}
    async with client.stream("GET", "/api/v1/events", params=params) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 5000"
        async with recording_station(api_server.url, "CS-201", "2.0.1") as other:
            await boot(other, "2.0.1")  # another station: filtered out
        async with recording_station(api_server.url, "CP-16", "1.6") as cp:
            await boot(cp, "1.6")
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
            await cp.call(call.Heartbeat())
            assert (await command(client, "CP-16", "clear_cache", {})).status_code == 200
        events = []
        async for line in lines:
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == 3:
                    break
    assert [e["type"] for e in events] == ["boot", "status", "command_result"]
    assert {e["station_id"] for e in events} == {"CP-16"}
    assert events[1]["data"]["status"] == "Available"
    assert events[2]["data"]["operation"] == "clear_cache" and events[2]["data"]["outcome"] == "Accepted"


async def test_webhook_signed_retried_and_every_attempt_recorded(api_server, client) -> None:
    async with receiver([500, 503, 200]) as hook:
        created = await client.post("/api/v1/webhooks", json={"url": hook.url, "event_types": ["status"],
                                                               "station_ids": ["cp-16"], "max_attempts": 5})
        assert created.status_code == 201, created.text
        webhook = created.json()
        secret = webhook["secret"]
        assert secret.startswith("whsec_")
        assert "secret" not in (await client.get(f"/api/v1/webhooks/{webhook['id']}")).json()
        async with recording_station(api_server.url, "CP-16", "1.6") as cp:
            await boot(cp, "1.6")
            await cp.call(call.StatusNotification(connector_id=2, error_code="NoError", status="Faulted"))
        await hook.wait_for(3)
    bodies = {body for _, body in hook.requests}
    assert len(bodies) == 1  # the same delivery, retried
    headers, body = hook.requests[-1]
    assert verify(secret, headers["x-chargeline-signature"], body)
    assert not verify("whsec_wrong", headers["x-chargeline-signature"], body)
    assert not verify(secret, headers["x-chargeline-signature"], body + b" ")
    event = json.loads(body)
    assert event["type"] == "status" and event["station_id"] == "CP-16" and event["data"]["status"] == "Faulted"
    assert headers["x-chargeline-event"] == "status" and headers["content-type"] == "application/json"

    deliveries = await _eventually(client, f"/api/v1/webhooks/{webhook['id']}/deliveries",
                                   lambda page: page["items"] and page["items"][0]["status"] == "delivered")
    delivery = (await client.get(f"/api/v1/webhooks/{webhook['id']}/deliveries/"
                                 f"{deliveries['items'][0]['id']}")).json()
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]
    assert [a["attempt"] for a in delivery["attempt_log"]] == [1, 2, 3]
    assert delivery["attempts"] == 3 and delivery["body"] == body.decode()


async def test_webhook_gives_up_after_max_attempts(api_server, client) -> None:
    async with receiver([500, 500, 500, 500]) as hook:
        webhook = (await client.post("/api/v1/webhooks", json={"url": hook.url, "max_attempts": 2,
                                                               "event_types": ["ping"]})).json()
        ping = await client.post(f"/api/v1/webhooks/{webhook['id']}/ping")
        assert ping.status_code == 202
        await hook.wait_for(2)
    path = f"/api/v1/webhooks/{webhook['id']}/deliveries/{ping.json()['id']}"
    failed = await _eventually(client, path, lambda d: d["status"] == "failed")
    assert [a["status_code"] for a in failed["attempt_log"]] == [500, 500]
    assert (await client.delete(f"/api/v1/webhooks/{webhook['id']}")).status_code == 204


async def test_metrics(api_server, client) -> None:
    async with recording_station(api_server.url, "CP-16", "1.6") as cp:
        await boot(cp, "1.6")
        assert (await command(client, "CP-16", "clear_cache", {})).status_code == 200
        text = (await client.get("/metrics")).text
    assert 'chargeline_stations_connected{ocpp_version="1.6"} 1.0' in text
    assert 'chargeline_ocpp_messages_total{action="BootNotification",direction="in",type="call"}' in text
    assert 'chargeline_commands_total{operation="clear_cache",status="completed"}' in text
    assert 'chargeline_command_latency_seconds_count{action="ClearCache"}' in text
    for name in ("chargeline_db_batches_total", "chargeline_db_writer_queue_depth", "chargeline_commands_queued",
                 "chargeline_webhook_deliveries_pending", "chargeline_message_log_pending",
                 "chargeline_message_log_dropped_total 0.0", "chargeline_message_log_writer_starts_total"):
        assert name in text
    async with httpx.AsyncClient(base_url=api_server.api) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 401


async def _eventually(client: httpx.AsyncClient, path: str, done) -> dict:
    """Poll until the recorded state catches up with what the receiver saw (bounded)."""
    for _ in range(500):
        body = (await client.get(path)).json()
        if done(body):
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} never reached the expected state: {body}")
