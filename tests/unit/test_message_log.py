"""The message log's own store and writer process, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from chargeline.store.database import create_engine, migrate
from chargeline.store.message_log import MessageLog, log_url
from chargeline.store.schema import message_log

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def frames(log: MessageLog, n: int, station: str = "s1", start: int = 0) -> list[tuple[Any, ...]]:
    time = log.sql.time
    return [(station, "in", f'[2,"{i}","Heartbeat",{{}}]', 2, str(i), "Heartbeat", time(T0 + timedelta(seconds=i)))
            for i in range(start, start + n)]


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(message_log)).scalar_one())


async def written(log: MessageLog, n: int) -> bool:
    for _ in range(200):
        if log.written == n:
            return True
        await asyncio.sleep(0.02)
    return False


@asynccontextmanager
async def opened(url: str, interval: float = 3600, log_at: str | None = None) -> AsyncIterator[MessageLog]:
    """A started message log, closed (pending frames written) on the way out."""
    log = MessageLog(url, interval=interval, url=log_at)
    await log.start()
    try:
        yield log
    finally:
        await log.close()


async def migrated(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()


def test_the_log_of_a_sqlite_database_is_a_file_beside_it() -> None:
    assert log_url("sqlite:////var/lib/chargeline/chargeline.db") == \
        "sqlite:////var/lib/chargeline/chargeline-messages.db"
    assert log_url("sqlite+aiosqlite:///data/x.sqlite") == "sqlite:///data/x-messages.sqlite"
    assert log_url("sqlite://") == "sqlite://"
    assert log_url("postgresql://cl@db/chargeline") == "postgresql+psycopg://cl@db/chargeline"


async def test_frames_wait_for_the_interval_and_a_read_writes_them_first(database_url: str) -> None:
    await migrated(database_url)
    async with opened(database_url) as log:
        for row in frames(log, 301):
            log.append(row)
        await asyncio.sleep(0.05)
        assert (log.written, log.pending) == (0, 301)  # an hour's interval: nothing written yet
        assert await log.read(count) == 301  # the read wrote them first
        assert (log.written, log.pending, log.dropped) == (301, 0, 0)


async def test_the_interval_writes_without_being_asked(database_url: str) -> None:
    await migrated(database_url)
    async with opened(database_url, interval=0.05) as log:
        for row in frames(log, 10):
            log.append(row)
        assert await written(log, 10)
        for row in frames(log, 5, start=10):  # the next turn starts a new interval
            log.append(row)
        assert await written(log, 15)


async def test_frames_pending_at_close_are_written(database_url: str) -> None:
    await migrated(database_url)
    async with opened(database_url) as log:
        for row in frames(log, 7):
            log.append(row)
        assert log.pending == 7
    async with opened(database_url) as again:
        assert await again.read(count) == 7


async def test_a_log_pointed_at_the_main_sqlite_file_keeps_its_frames(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    for _ in range(2):  # the second start must not take the file's frames over from itself
        async with opened(url, log_at=url) as log:
            log.append(frames(log, 1)[0])
    async with opened(url, log_at=url) as log:
        assert await log.read(count) == 2


async def test_a_row_the_store_refuses_does_not_take_the_others_with_it(database_url: str) -> None:
    await migrated(database_url)
    async with opened(database_url) as log:
        rows = frames(log, 5)
        rows[2] = (*rows[2][:2], None, *rows[2][3:])  # frame is NOT NULL
        for row in rows:
            log.append(row)
        assert await log.read(count) == 4
        assert (log.written, log.dropped) == (4, 1)


async def test_sqlite_log_is_kept_apart_from_the_acknowledged_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    async with opened(url) as log:
        for row in frames(log, 3):
            log.append(row)
        assert await log.read(count) == 3
    with sqlite3.connect(tmp_path / "chargeline-messages.db") as db:
        assert db.execute("SELECT count(*) FROM message_log").fetchone()[0] == 3
    with sqlite3.connect(tmp_path / "chargeline.db") as db:
        assert db.execute("SELECT count(*) FROM message_log").fetchone()[0] == 0


async def test_frames_logged_in_the_main_sqlite_file_move_into_the_log_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    with sqlite3.connect(tmp_path / "chargeline.db") as db:  # frames of an earlier version, in the main file
        db.executemany("INSERT INTO message_log (id, station_id, direction, frame, at) VALUES (?, 's0', 'in', ?, ?)",
                       [(i, f"old {i}", f"2026-11-01T00:00:0{i}.000000+00:00") for i in (1, 2, 3)])
    for _ in range(2):  # a second start finds nothing more to move and doubles nothing
        async with opened(url) as log:
            rows = await log.read(lambda conn: conn.execute(text("SELECT id, frame FROM message_log")).all())
            assert [tuple(r) for r in rows] == [(1, "old 1"), (2, "old 2"), (3, "old 3")]
    with sqlite3.connect(tmp_path / "chargeline.db") as db:
        assert db.execute("SELECT count(*) FROM message_log").fetchone()[0] == 0
    async with opened(url) as log:
        log.append(frames(log, 1)[0])
        ids = await log.read(lambda conn: [r[0] for r in conn.execute(text("SELECT id FROM message_log ORDER BY id"))])
        assert ids == [1, 2, 3, 4]  # new frames continue after the moved ones


async def test_frames_survive_a_lost_postgresql_connection(postgres_url: str) -> None:
    await migrated(postgres_url)
    async with opened(postgres_url) as log:
        for row in frames(log, 3):
            log.append(row)
        assert await log.read(count) == 3
        admin = await asyncpg.connect(postgres_url.replace("postgresql://", "postgres://"))
        try:  # the server ends the log's connection, as a restart or a failover would
            ended = await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            assert ended >= 1
        finally:
            await admin.close()
        for row in frames(log, 4, start=3):
            log.append(row)
        await log.flush()  # fails on the dead connection: the frames are kept
        assert (log.written, log.pending) == (3, 4)
        assert await log.read(count) == 7  # the next attempt reconnects
        assert log.dropped == 0


@pytest.fixture(autouse=True)
def _quiet_expected_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL", logger="chargeline.store.message_log")
    caplog.set_level("CRITICAL", logger="chargeline.store.log_store")


async def test_the_log_is_written_by_a_process_of_its_own_that_stops_with_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    async with opened(url) as log:
        pid = log.writer_pid
        assert pid is not None and pid != os.getpid()
        for row in frames(log, 3):
            log.append(row)
        assert await log.read(count) == 3
    assert not _alive(pid)
    async with opened("sqlite://") as memory:
        assert memory.writer_pid is None  # nothing else can open a database in memory: a thread writes it


async def test_a_writer_process_that_dies_is_started_again_and_its_frames_kept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    async with opened(url, interval=0.05) as log:
        for row in frames(log, 2):
            log.append(row)
        assert await written(log, 2)
        first = log.writer_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        for row in frames(log, 3, start=2):
            log.append(row)
        assert await written(log, 5)  # after the failed attempt's back-off, by a new process
        assert log.writer_starts == 2 and log.writer_pid not in (None, first)
        assert (await log.read(count), log.pending, log.dropped) == (5, 0, 0)


async def test_interrupts_meant_for_the_server_leave_the_writer_to_finish(tmp_path: Path) -> None:
    """Ctrl-C and a service manager's SIGTERM reach the whole process group: the writer keeps going
    until the server has handed it the frames it still holds."""
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    async with opened(url) as log:
        pid = log.writer_pid
        assert pid is not None
        os.kill(pid, signal.SIGINT)
        os.kill(pid, signal.SIGTERM)
        await asyncio.sleep(0.2)
        for row in frames(log, 4):
            log.append(row)
    async with opened(url) as again:
        assert await again.read(count) == 4
        assert again.writer_starts == 1


async def test_a_frame_that_cannot_be_encoded_is_dropped_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chargeline.db'}"
    await migrated(url)
    async with opened(url) as log:
        rows = frames(log, 3)
        rows[1] = (*rows[1][:2], "[2,\"1\",\"DataTransfer\",{\"data\":\"\udc80\"}]", *rows[1][3:])  # lone surrogate
        for row in rows:
            log.append(row)
        assert await log.read(count) == 2
        assert (log.written, log.dropped) == (2, 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
