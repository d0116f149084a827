"""The message log is written in bulk once per `log_frames_interval`, into a file of its own beside a
SQLite database; a search first writes what is pending."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ocpp.v16 import call

from tests.api.conftest import ApiServer, prepare, start_api_server
from tests.e2e.stations import ocpp_station


@pytest.fixture(scope="module")
def slow_log_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, Path]]:
    tmp = tmp_path_factory.mktemp("message-log")
    path = tmp / "chargeline.db"
    database = f"sqlite:///{path}"
    keys = prepare(database, ("CP-LOG",))
    config = tmp / "chargeline.toml"
    config.write_text("log_frames_interval = 3600\n")  # pending frames wait for the hour unless searched
    server = start_api_server(database, tmp / "server.log", "--config", str(config))
    server.keys = keys
    yield server, tmp / "chargeline-messages.db"
    assert server.process.stop() == 0


def _logged(path: Path, action: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM message_log WHERE action = ?", (action,)).fetchone()[0])


async def test_search_sees_frames_still_waiting_for_the_bulk_write(slow_log_server) -> None:
    server, path = slow_log_server
    async with ocpp_station(server.url, "CP-LOG", "1.6") as cp:
        await cp.call(call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22"))
        await cp.call(call.DataTransfer(vendor_id="Acme", message_id="probe", data="x"))
        assert _logged(path, "DataTransfer") == 0  # acknowledged, but the raw log is written later
        async with httpx.AsyncClient(base_url=server.api, headers=server.headers("operator"), timeout=30) as client:
            found = (await client.get("/api/v1/stations/CP-LOG/messages", params={"action": "DataTransfer"})).json()
        assert sorted(f["direction"] for f in found["items"]) == ["in", "out"]
        assert _logged(path, "DataTransfer") == 2


async def test_pending_frames_are_written_on_shutdown(slow_log_server) -> None:
    server, path = slow_log_server
    async with ocpp_station(server.url, "CP-LOG", "1.6") as cp:
        await cp.call(call.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22"))
        await cp.call(call.DataTransfer(vendor_id="Acme", message_id="late", data="y"))
    before = _logged(path, "DataTransfer")  # the frames of this session are still pending
    assert server.process.stop() == 0  # SIGTERM: the server writes what is pending before it exits
    assert _logged(path, "DataTransfer") == before + 2
