"""The raw frame log, kept in a store of its own and written by a process of its own.

Every frame in and out is kept for support and disputes. Writing it with the acknowledged work
made it the largest part of that work: two rows per call, each placed in its station's part of
the (station, time) index, one 4 KB page per station per commit. Here the frames collect in
memory for `log_frames_interval` and go, in one request (`log_store.to_wire`), to the log's
writer process (`store.log_writer`), which inserts them in multi-row statements on its own connection. An
acknowledgment never waits for the log, and neither the index work nor the binding of rows
takes the event loop's GIL or core. (A database in memory, which no other process can open,
is written by a thread of this process instead.)

On SQLite the log is a file of its own beside the database (`chargeline.db` ->
`chargeline-messages.db`), because a second writer on the same file would wait for the
acknowledged work's lock and make it wait in turn; on PostgreSQL it is the `message_log` table
of the main database. Reads of the log (the messages API) run on a connection of this process,
on a thread, after the frames still pending have been written.

A crash loses at most the frames of the last interval; nothing a station was answered for is
kept here only. A writer process that ends unexpectedly is started again at the next attempt
and its frames are kept for it; one that ends between its commit and its answer leaves that
write's frames to be written a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
from sqlalchemy.engine import Connection

from chargeline.store.driver import plain
from chargeline.store.log_store import FRAMES, in_memory, log_engine, log_url, open_log, refusals, to_wire, write_rows
from chargeline.store.log_writer import request_head

__all__ = ["FRAMES", "LogWriterFailed", "MessageLog", "log_url"]

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_PENDING_FRAMES = 500_000  # beyond this (the store has stopped taking writes) the oldest go, counted
MAX_BACKOFF_S = 30.0  # a store that refuses writes is tried again at most this far apart
STOP_TIMEOUT_S = 30.0  # a writer process still busy this long after its input ended is killed


class LogWriterFailed(Exception):
    """The writer process could not write (its store failed, or the process ended)."""


class MessageLog:
    def __init__(self, database_url: str, interval: float, url: str | None = None):
        self.database_url = database_url
        self.url = url or log_url(database_url)
        self.interval = interval
        self.engine = log_engine(self.url)
        self.sql = plain(self.engine.dialect.name)
        self._refusals = refusals(self.engine)
        self.dropped = 0  # frames given up because the store did not take them
        self.written = 0
        self._pending: list[tuple[Any, ...]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        dialect = self.engine.dialect.name
        self._process = None if in_memory(self.url) else _WriterProcess(database_url, self.url, dialect)
        # reads; writes too for a database in memory
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chargeline-message-log")
        self._backoff = 0.0  # seconds before the next attempt after failed writes

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def writer_starts(self) -> int:
        """Starts of the writer process (more than one: it ended and was started again)."""
        return self._process.starts if self._process is not None else 0

    @property
    def writer_pid(self) -> int | None:
        """The writer process's id while it runs (None for a database in memory)."""
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Open the store (the writer process creates the table and takes over older frames)."""
        self._loop = asyncio.get_running_loop()
        if self._process is not None:
            await self._process.start()
        else:
            await self._loop.run_in_executor(self._thread, self._open_here)

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
        """Run a read of the log on this process's connection, after every frame appended before the call."""
        await self.flush()
        assert self._loop is not None
        return await self._loop.run_in_executor(self._thread, self._read, fn)

    async def close(self) -> None:
        if self._loop is not None:
            await self.flush()
            if self._process is not None:
                await self._process.stop()
        self._thread.shutdown(wait=True)
        self.engine.dispose()

    # --- on the loop -----------------------------------------------------------------------
    def _submit(self) -> None:
        """Hand the pending frames to the writer; while it writes, new frames wait for the next turn."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None or not self._pending or self._loop is None:
            return
        rows, self._pending = self._pending, []
        self._writing = self._loop.create_task(self._write(rows), name="chargeline-message-log")
        self._writing.add_done_callback(self._written)

    async def _write(self, rows: list[tuple[Any, ...]]) -> int:
        """Write `rows`; returns how many the store refused. On failure they go back before newer frames."""
        try:
            if self._process is not None:
                if not self._process.running:
                    log.warning("message log: starting the writer process again")
                    await self._process.start()
                refused = await self._process.write(rows)
            else:
                assert self._loop is not None
                refused = await self._loop.run_in_executor(self._thread, self._write_here, rows)
        except BaseException:
            self._requeue(rows)
            raise
        self.written += len(rows) - refused
        return refused

    def _written(self, task: asyncio.Task[int]) -> None:
        self._writing = None
        if task.cancelled():
            return
        if task.exception() is not None:
            self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
            log.error("message log: write failed; %d frames kept, next attempt in %.0f s: %s",
                      len(self._pending), self._backoff, task.exception())
            delay = self._backoff
        else:
            self.dropped += task.result()
            self._backoff = 0.0
            # frames that came in while the writer wrote: at once if many, else after the interval
            delay = 0 if len(self._pending) >= 10_000 else self.interval
        if self._pending and self._timer is None and self._loop is not None:
            self._timer = self._loop.call_later(delay, self._submit)

    def _requeue(self, rows: list[tuple[Any, ...]]) -> None:
        """A failed write's frames go before the ones pending, up to the cap."""
        self._pending = rows + self._pending
        if len(self._pending) > MAX_PENDING_FRAMES:
            self._keep_newest(self._pending)

    def _keep_newest(self, pending: list[tuple[Any, ...]]) -> None:
        """The store has not taken frames for a long time: give up the oldest tenth, counted and logged."""
        excess = len(pending) - MAX_PENDING_FRAMES + MAX_PENDING_FRAMES // 10
        del pending[:excess]
        self.dropped += excess
        log.error("message log: the store is not taking frames; %d oldest dropped (%d in all)", excess, self.dropped)

    # --- on the thread ---------------------------------------------------------------------
    # A connection per use, from a pool that checks it first: a restarted PostgreSQL costs no read.
    def _open_here(self) -> None:
        with self.engine.connect() as conn:
            open_log(conn, self.database_url, self.url)

    def _write_here(self, rows: list[tuple[Any, ...]]) -> int:
        with self.engine.connect() as conn:
            return write_rows(conn, rows, self._refusals)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:  # closing it ends the read's transaction
            return fn(conn)


class _WriterProcess:
    """The `store.log_writer` process: one request at a time, each answered before the next."""

    def __init__(self, database_url: str, url: str, dialect: str):
        self.database_url = database_url
        self.url = url
        self.dialect = dialect
        self._proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        # the stores' addresses (and passwords) go through the pipe, not the command line
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chargeline.store.log_writer", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        self.starts += 1
        await self._ask(orjson.dumps({"database": self.database_url, "log": self.url,
                                      "log_level": logging.getLogger("chargeline").getEffectiveLevel()}))

    async def write(self, rows: list[tuple[Any, ...]]) -> int:
        body, unencodable = to_wire(rows, self.dialect)
        answer = await self._ask(body)
        return int(answer["refused"]) + unencodable

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()  # the end of its input: it finishes and exits
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            log.error("message log: the writer process did not stop within %.0f s; killed", STOP_TIMEOUT_S)
            proc.kill()
            await proc.wait()

    async def _ask(self, body: bytes) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request_head(body))
            proc.stdin.write(body)  # megabytes: not copied behind its head
            await proc.stdin.drain()
            line = await proc.stdout.readline()
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        except BaseException:  # cancelled halfway: the pipe's next answer would belong to this request
            await self._abandon(proc)
            raise
        if not line:
            await self._abandon(proc)
            raise LogWriterFailed(f"the writer process ended (exit status {proc.returncode})")
        answer: dict[str, Any] = orjson.loads(line)
        if "error" in answer:
            raise LogWriterFailed(answer["error"])
        return answer

    async def _abandon(self, proc: asyncio.subprocess.Process) -> None:
        if self._proc is proc:
            self._proc = None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
