"""Group commit: many messages share one database transaction, committed off the event loop.

A handler submits a unit of work (a plain function of a SQLAlchemy `Connection`) or rows to
insert, and awaits it. The writer takes everything waiting at that moment, runs it in one
transaction and commits, and only then resolves the futures: a reply is sent only once its
effect is durable, and a burst of messages costs one commit.

On SQLite the statements of a batch run on the event loop itself, back to back, and only the
commit (the fsync) runs on a thread, which holds no GIL while it waits. An earlier design ran
whole batches on a writer thread: the thread gave up the GIL inside every statement and then
queued for it behind the busy event loop, so a batch of a thousand statements took seconds
of waiting for microseconds of work. On PostgreSQL every statement is a network round trip,
so there the whole batch runs on the thread. Row inserts of consecutive jobs
are merged into multi-row statements per table, in plain SQL (`store.driver`).

If a batch fails it is rolled back and each job is retried alone, so one bad job only fails
itself. Units must therefore touch nothing but the connection, and must be short: the event
loop waits for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine, RootTransaction

from chargeline.store.driver import Shape, plain

log = logging.getLogger(__name__)

T = TypeVar("T")
SLOW_BATCH_S = 0.5
Unit = Callable[[Connection], Any]


@dataclass(slots=True)
class _Job:
    unit: Unit | None
    rows: tuple[Table | Shape, Sequence[Any]] | None  # dicts for a Table, value tuples for a Shape
    future: asyncio.Future[Any] | None  # None: nobody waits (best-effort records)


@dataclass(slots=True)
class WriterStats:
    batches: int = 0
    jobs: int = 0
    largest_batch: int = 0
    failed_batches: int = 0
    seconds: float = 0.0  # time spent executing and committing batches
    slowest_batch_s: float = 0.0
    recent_batch_sizes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _BatchTiming:
    """Where the time of the last batch went (reported when a batch is slow)."""

    rows: int = 0
    inserts: float = 0.0
    units: float = 0.0
    slowest: float = 0.0
    slowest_name: str = ""
    commit: float = 0.0

    def unit(self, unit: Unit, seconds: float) -> None:
        self.units += seconds
        if seconds > self.slowest:
            self.slowest, self.slowest_name = seconds, getattr(unit, "__qualname__", repr(unit))


class BatchWriter:
    def __init__(self, engine: Engine, max_batch: int = 2000):
        self.engine = engine
        self.max_batch = max_batch
        self.stats = WriterStats()
        self.sql = plain(engine.dialect.name)  # the per-message units' statements
        self._jobs: list[_Job] = []
        self._closing = False
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chargeline-commit")
        # SQLite's statements are microseconds of work in this process: run them on the loop.
        # PostgreSQL's are network round trips: wait for them on the thread.
        self.execute_on_loop = engine.dialect.name == "sqlite"
        self._timing = _BatchTiming()
        self._after_units: set[Table | Shape] = set()

    def write_after_units(self, *targets: Table | Shape) -> None:
        """Write the rows of `targets` after the batch's units, not before the next unit.

        Rows are otherwise flushed before every unit, so that a unit sees what was submitted
        before it; with a unit every few messages that cut a batch's meter samples into
        statements of a few rows each. This is for records that no unit reads in the batch
        that writes them: a station's next message waits for the commit of its previous one,
        and everything else reads committed data."""
        self._after_units.update(targets)

    def start(self) -> None:
        self._wakeup = asyncio.Event()
        # kept: asyncio.get_running_loop() makes a getpid() system call each time on Python 3.11
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="chargeline-writer")

    # --- submitting ----------------------------------------------------------------------
    async def run(self, unit: Callable[[Connection], T]) -> T:
        """Run `unit` in the next batch; return its result once the batch is committed."""
        return await self._wait(_Job(unit, None, None))

    async def insert(self, table: Table | Shape, rows: Sequence[Any]) -> None:
        """INSERT … ON CONFLICT DO NOTHING, committed before this returns (replays are no-ops).

        Rows are dicts for a `Table`, or tuples of ready bind values for a `Shape` (whose
        `upsert_keys`, if it has them, update the existing row instead)."""
        if rows:
            await self._wait(_Job(None, (table, rows), None))

    def submit(self, unit: Unit) -> None:
        """Run `unit` with the next batch without waiting (best-effort records)."""
        self._enqueue(_Job(unit, None, None))

    def insert_nowait(self, table: Table | Shape, rows: Sequence[Any]) -> None:
        if rows:
            self._enqueue(_Job(None, (table, rows), None))

    @property
    def queue_depth(self) -> int:
        return len(self._jobs)

    async def _wait(self, job: _Job) -> Any:
        if self._closing:
            raise RuntimeError("writer is closed")
        job.future = (self._loop or asyncio.get_running_loop()).create_future()
        self._enqueue(job)
        return await job.future

    def _enqueue(self, job: _Job) -> None:
        if self._closing:
            return
        self._jobs.append(job)
        if self._wakeup is not None and not self._wakeup.is_set():
            self._wakeup.set()

    async def close(self) -> None:
        """Commit everything already submitted, then stop."""
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._task is not None:
            await self._task
        self._committer.shutdown(wait=True)

    # --- the batches ---------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wakeup is not None
        conn = self.engine.connect()  # one connection for the process: every write goes through it
        try:
            while True:
                if not self._jobs:
                    if self._closing:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                batch, self._jobs = self._jobs[: self.max_batch], self._jobs[self.max_batch:]
                _resolve(batch, await self._commit(conn, batch))
        finally:
            conn.close()

    async def _commit(self, conn: Connection, batch: list[_Job]) -> list[Any]:
        started = time.perf_counter()
        try:
            results = await self._transaction(conn, batch)
        except Exception:
            self.stats.failed_batches += 1
            log.warning("batch of %d failed; retrying each job alone", len(batch), exc_info=True)
            results = []
            for job in batch:
                try:
                    results.append((await self._transaction(conn, [job]))[0])
                except Exception as exc:
                    results.append(exc)
        else:
            self._record(len(batch), time.perf_counter() - started)
        return results

    async def _transaction(self, conn: Connection, batch: list[_Job]) -> list[Any]:
        """Execute `batch` and commit it: SQLite's statements here, PostgreSQL's on the thread."""
        loop = asyncio.get_running_loop()
        if not self.execute_on_loop:
            return await loop.run_in_executor(self._committer, self._execute_and_commit, conn, batch)
        transaction = conn.begin()
        try:
            results = self._execute(conn, batch)
        except BaseException:
            transaction.rollback()
            raise
        started = time.perf_counter()
        try:
            await loop.run_in_executor(self._committer, _commit, transaction)
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        self._timing.commit = time.perf_counter() - started
        return results

    def _execute_and_commit(self, conn: Connection, batch: list[_Job]) -> list[Any]:
        with conn.begin():
            results = self._execute(conn, batch)
            started = time.perf_counter()
        self._timing.commit = time.perf_counter() - started
        return results

    def _execute(self, conn: Connection, batch: list[_Job]) -> list[Any]:
        results: list[Any] = []
        pending: dict[Table | Shape, list[Any]] = {}
        last: dict[Table | Shape, list[Any]] = {}  # `write_after_units`
        after_units = self._after_units
        clock = time.perf_counter
        timing = self._timing = _BatchTiming()
        for job in batch:
            if job.rows is not None:
                table, rows = job.rows
                (last if table in after_units else pending).setdefault(table, []).extend(rows)
                results.append(None)
                continue
            self._flush(conn, pending)  # rows submitted before a unit are visible to it
            assert job.unit is not None
            started = clock()
            results.append(job.unit(conn))
            timing.unit(job.unit, clock() - started)
        self._flush(conn, pending)
        self._flush(conn, last)
        return results

    def _flush(self, conn: Connection, pending: dict[Table | Shape, list[Any]]) -> None:
        if not pending:
            return
        started = time.perf_counter()
        for target, rows in pending.items():
            if isinstance(target, Shape):
                self.sql.insert_values(conn, target, rows)
            else:
                self.sql.insert_rows(conn, target, rows)
            self._timing.rows += len(rows)
        pending.clear()
        self._timing.inserts += time.perf_counter() - started

    def _record(self, size: int, seconds: float) -> None:
        stats = self.stats
        stats.batches += 1
        stats.jobs += size
        stats.seconds += seconds
        stats.largest_batch = max(stats.largest_batch, size)
        stats.slowest_batch_s = max(stats.slowest_batch_s, seconds)
        stats.recent_batch_sizes = [*stats.recent_batch_sizes[-99:], size]
        if seconds > SLOW_BATCH_S:  # every answer of the batch waited this long
            t = self._timing
            log.warning("a batch of %d jobs took %.0f ms: %d rows inserted in %.0f ms, units %.0f ms (slowest %s, "
                        "%.0f ms), commit %.0f ms", size, seconds * 1000, t.rows, t.inserts * 1000, t.units * 1000,
                        t.slowest_name, t.slowest * 1000, t.commit * 1000)


def _commit(transaction: RootTransaction) -> None:
    transaction.commit()  # on the commit thread: the fsync (or round trip) holds no GIL


def _resolve(batch: list[_Job], results: list[Any]) -> None:
    for job, result in zip(batch, results, strict=True):
        future = job.future
        if future is None:
            if isinstance(result, Exception):
                log.error("background write failed: %r", result)
            continue
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
