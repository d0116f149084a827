"""Shared fixtures: real databases (SQLite file, PostgreSQL) and a real `chargeline serve` process."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

PG_ADMIN = os.environ.get("CHARGELINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("postgresql://", "postgres://"), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test. In CI a missing server fails the test."""
    name = f"chargeline_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # connection refused, auth, ...
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_ADMIN}: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chargeline.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'chargeline.db'}"


def cli(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "chargeline", *args, "--database", database],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


class ServerProcess:
    """`chargeline serve` on a free loopback port, as an operator would start it."""

    def __init__(self, database: str, *extra: str, log_path: Path):
        self.database = database
        self.extra = extra
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> ServerProcess:
        env = {**os.environ, "CHARGELINE_HEARTBEAT_JITTER": "0"}
        self.log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chargeline", "serve", "--host", "127.0.0.1", "--port", "0", "--api-port", "0",
             "--database", self.database, *self.extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r":(\d+)/ocpp/", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}; log:\n{self.log_path.read_text()}")
        self.port = int(match.group(1))
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/"

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.log.close()
        return code

    def logs(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[object]:
    servers: list[ServerProcess] = []

    def start(database: str, *extra: str) -> ServerProcess:
        server = ServerProcess(database, *extra, log_path=tmp_path / "server.log").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.proc and server.proc.poll() is None:
            server.stop()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[object]:
    """An engine on the test database (the server migrates it; tests read what it stored)."""
    from chargeline.store.database import create_engine

    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
