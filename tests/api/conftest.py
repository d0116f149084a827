"""A real `chargeline serve` with its API on a free port, API keys per role, and an HTTP client.

The server is started with `--api-port 0`; it prints `chargeline: api on http://HOST:PORT` on the
line after the OCPP `listening` line, which is where the fixture reads the API address.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, cli
from tests.e2e.stations import PASSWORD


def create_key(database: str, role: str, name: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "chargeline.api_cli", "create", "--role", role,
                             "--name", name or role, "--database", database],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    key = result.stdout.strip()
    assert key.startswith("clk_") and key not in result.stderr
    return key


@dataclass
class ApiServer:
    process: ServerProcess
    api: str
    database: str
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def logs(self) -> str:
        return self.process.logs()


def start_api_server(database: str, log_path: Path, *extra: str) -> ApiServer:
    process = ServerProcess(database, "--api-port", "0", *extra, log_path=log_path).start()
    assert process.proc is not None and process.proc.stdout is not None
    line = process.proc.stdout.readline()
    match = re.search(r"api on (http://\S+)", line)
    if not match:
        process.stop()
        raise RuntimeError(f"no API line: {line!r}; log:\n{log_path.read_text()}")
    return ApiServer(process, match.group(1), database)


def prepare(database: str, stations: tuple[str, ...] = ("CP-16", "CS-201", "CS-21")) -> dict[str, str]:
    for station in stations:
        cli("stations", "add", station, "--password", PASSWORD, database=database)
    cli("tokens", "add", "TAG-OK", "--group", "FLEET", database=database)
    cli("tokens", "add", "TAG-BLOCKED", "--status", "Blocked", database=database)
    return {role: create_key(database, role) for role in ("admin", "operator", "viewer")}


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """One server per test module (SQLite file), shared by its tests: they use distinct stations."""
    tmp = tmp_path_factory.mktemp("api")
    database = f"sqlite:///{tmp / 'chargeline.db'}"
    keys = prepare(database)
    server = start_api_server(database, tmp / "server.log", "--log-level", "debug")
    server.keys = keys
    yield server
    assert server.process.stop() == 0


@pytest.fixture
async def client(api_server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_server.api, headers=api_server.headers("admin"), timeout=30) as c:
        yield c
