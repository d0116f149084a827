"""The raw frame log, kept in a store of its own and written by a thread of its own.

Every frame in and out is kept for support and disputes. Writing it with the acknowledged work
made it the largest part of that work: two rows per call, each placed in its station's part of
the (station, time) index, one 4 KB page per station per commit. Here the frames collect in
memory for `log_frames_interval` and are inserted by the log's thread on its own connection,
in multi-row statements (the index work is SQLite's or PostgreSQL's, with the GIL released),
so an acknowledgment never waits for the log and the event loop does not do its indexing.

On SQLite the log is a file of its own beside the database (`chargeline.db` ->
`chargeline-messages.db`), because a second writer on the same file would wait for the
acknowledged work's lock and make it wait in turn; on PostgreSQL it is the `message_log` table
of the main database, written on a connection of its own. Reads of the log (the messages API)
go through the same thread and connection, after the frames still pending.

A crash loses at most the frames of the last interval; nothing a station was answered for is
kept here only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.pool import StaticPool

from chargeline.store.database import sqlite_pragmas, sync_url
from chargeline.store.driver import Shape, plain
from chargeline.store.schema import message_log

log = logging.getLogger(__name__)

T = TypeVar("T")

# rows as Csms.log_frame builds them
FRAMES = Shape(message_log, ("station_id", "direction", "frame", "message_type", "message_id", "action", "at"))
MAX_PENDING_FRAMES = 500_000  # beyond this (the store has stopped taking writes) the oldest go, counted
MAX_BACKOFF_S = 30.0  # a store that refuses writes is tried again at most this far apart
MOVE_CHUNK = 50_000


def log_url(database_url: str) -> str:
    """Where the log of a database lives: a sibling SQLite file, or the same PostgreSQL database."""
    url = make_url(sync_url(database_url))
    if url.get_backend_name() != "sqlite":
        return url.render_as_string(hide_password=False)
    if not url.database or url.database == ":memory:":
        return "sqlite://"  # an in-memory database gets an in-memory log
    path = Path(url.database)
    return url.set(database=str(path.with_name(f"{path.stem}-messages{path.suffix or '.db'}"))).render_as_string(
        hide_password=False)


class MessageLog:
    def __init__(self, database_url: str, interval: float, url: str | None = None):
        self.database_url = database_url
        self.url = url or log_url(database_url)
        self.interval = interval
        self.engine = _engine(self.url)
        self.sql = plain(self.engine.dialect.name)
        dbapi = self.engine.dialect.loaded_dbapi  # plain-SQL statements raise the driver's own errors
        self._refusals: tuple[type[Exception], ...] = (IntegrityError, DataError, dbapi.IntegrityError,
                                                       dbapi.DataError)
        self.dropped = 0  # frames given up because the store did not take them
        self.written = 0
        self._pending: list[tuple[Any, ...]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Future[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chargeline-message-log")
        self._conn: Connection | None = None  # the thread's
        self._backoff = 0.0  # seconds before the next attempt after failed writes

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        """Open the store on its thread; on SQLite create the table and take over older frames."""
        self._loop = asyncio.get_running_loop()
        await self._loop.run_in_executor(self._thread, self._open)

    def append(self, row: tuple[Any, ...]) -> None:
        """One `FRAMES` row; written with the others at the end of the interval."""
        pending = self._pending
        if not pending and self._timer is None and self._loop is not None:
            self._timer = self._loop.call_later(self.interval, self._submit)
        pending.append(row)
        if len(pending) > MAX_PENDING_FRAMES:
            self._keep_newest(pending)

    async def flush(self) -> None:
        """Write everything appended so far, and wait for it (a failed write is logged, not raised)."""
        while self._writing is not None:
            await asyncio.wait([self._writing])
        self._submit()
        if self._writing is not None:
            await asyncio.wait([self._writing])

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run a read of the log on its connection, after every frame appended before the call."""
        await self.flush()
        assert self._loop is not None
        return await self._loop.run_in_executor(self._thread, self._read, fn)

    async def close(self) -> None:
        if self._loop is not None:
            await self.flush()
            await self._loop.run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=True)
        self.engine.dispose()

    # --- on the loop -----------------------------------------------------------------------
    def _submit(self) -> None:
        """Hand the pending frames to the thread; while it writes, new frames wait for the next turn."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None or not self._pending or self._loop is None:
            return
        rows, self._pending = self._pending, []
        self._writing = self._loop.run_in_executor(self._thread, self._write, rows)
        self._writing.add_done_callback(self._written)

    def _written(self, future: asyncio.Future[int]) -> None:
        self._writing = None
        if future.cancelled():
            return
        if future.exception() is not None:
            self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
            log.error("message log: write failed; %d frames kept, next attempt in %.0f s: %r",
                      len(self._pending), self._backoff, future.exception())
            delay = self._backoff
        else:
            self.dropped += future.result()
            self._backoff = 0.0
            # frames that came in while the thread wrote: at once if many, else after the interval
            delay = 0 if len(self._pending) >= 10_000 else self.interval
        if self._pending and self._timer is None and self._loop is not None:
            self._timer = self._loop.call_later(delay, self._submit)

    # --- on the thread ---------------------------------------------------------------------
    def _open(self) -> None:
        conn = self._connection()
        if self.engine.dialect.name == "sqlite":
            with conn.begin():
                message_log.create(conn, checkfirst=True)
            self._take_over_sqlite_frames(conn)

    def _connection(self) -> Connection:
        """The thread's connection, opened again after a failure (a restarted PostgreSQL, say)."""
        if self._conn is None:
            self._conn = self.engine.connect()
        return self._conn

    def _take_over_sqlite_frames(self, conn: Connection) -> None:
        """Frames logged into the main SQLite file before the log had one of its own move here, ids kept.

        Idempotent: a move interrupted between its copy and its delete copies nothing twice."""
        main_url, log_path = make_url(sync_url(self.database_url)), make_url(self.url).database
        main = main_url.database
        if main_url.get_backend_name() != "sqlite" or not main or main == ":memory:" or not log_path or \
                log_path == ":memory:" or not Path(main).exists() or Path(main).resolve() == Path(log_path).resolve():
            return  # nothing of ours to take over (or the log was pointed at the main file itself)
        conn.exec_driver_sql("ATTACH DATABASE ? AS main_db", (main,))
        conn.commit()
        try:
            found = conn.exec_driver_sql("SELECT 1 FROM main_db.sqlite_master WHERE type = 'table' "
                                         "AND name = 'message_log'").first()
            conn.commit()
            moved = 0
            while found is not None:
                with conn.begin():
                    ids = [r[0] for r in conn.exec_driver_sql(
                        f"SELECT id FROM main_db.message_log ORDER BY id LIMIT {MOVE_CHUNK}")]
                    if not ids:
                        break
                    conn.exec_driver_sql(f"INSERT OR IGNORE INTO main.message_log ({_COLUMNS}) SELECT "
                                         f"{_COLUMNS} FROM main_db.message_log WHERE id BETWEEN ? AND ?",
                                         (ids[0], ids[-1]))
                with conn.begin():
                    conn.exec_driver_sql("DELETE FROM main_db.message_log WHERE id BETWEEN ? AND ?",
                                         (ids[0], ids[-1]))
                moved += len(ids)
            if moved:
                log.info("message log: moved %d earlier frames into %s", moved, self.url)
        finally:
            conn.exec_driver_sql("DETACH DATABASE main_db")
            conn.commit()

    def _write(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert `rows`; returns how many the store refused."""
        refused = 0
        try:
            conn = self._connection()
            with conn.begin():
                self.sql.insert_values(conn, FRAMES, rows)
        except self._refusals:
            refused = self._write_each(rows)  # the store refused a row: keep the others
        except Exception:
            self._reset()
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._requeue, rows)  # before the next turn's frames
            raise
        self.written += len(rows) - refused
        return refused

    def _write_each(self, rows: list[tuple[Any, ...]]) -> int:
        """Rows one by one; a row the store refuses (it would fail every retry) is dropped and counted."""
        conn = self._connection()
        refused = 0
        for row in rows:
            try:
                with conn.begin():
                    self.sql.insert_values(conn, FRAMES, [row])
            except self._refusals as exc:
                refused += 1
                log.error("message log: frame of %s refused by the store: %s", row[0], exc)
        return refused

    def _reset(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
            except Exception:
                log.debug("message log: closing a failed connection", exc_info=True)

    def _give_back(self, rows: list[tuple[Any, ...]]) -> None:
        """A failed write's frames go before the ones pending, up to the cap (loop thread does the merge)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._requeue, rows)

    def _requeue(self, rows: list[tuple[Any, ...]]) -> None:
        self._pending = rows + self._pending
        if len(self._pending) > MAX_PENDING_FRAMES:
            self._keep_newest(self._pending)

    def _keep_newest(self, pending: list[tuple[Any, ...]]) -> None:
        """The store has not taken frames for a long time: give up the oldest tenth, counted and logged."""
        excess = len(pending) - MAX_PENDING_FRAMES + MAX_PENDING_FRAMES // 10
        del pending[:excess]
        self.dropped += excess
        log.error("message log: the store is not taking frames; %d oldest dropped (%d in all)", excess, self.dropped)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        conn = self._connection()
        try:
            found = fn(conn)
            conn.rollback()  # a read leaves no transaction open on the writing connection
        except Exception:
            self._reset()
            raise
        return found

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


_COLUMNS = ", ".join(f'"{c.name}"' for c in message_log.columns)


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_size=1, max_overflow=1, pool_pre_ping=True)
    if not parsed.database or parsed.database == ":memory:":
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(parsed, pool_size=1, max_overflow=1)
    event.listen(engine, "connect", sqlite_pragmas)
    return engine
