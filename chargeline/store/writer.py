"""Group commit on a dedicated writer thread: many messages share one database transaction.

A handler submits a unit of work (a plain function of a SQLAlchemy `Connection`) or rows to
insert, and awaits it. The writer thread takes everything waiting at that moment, runs it in one
transaction, commits, and only then resolves the futures. So a reply is sent only once its effect
is durable, a burst of messages costs one commit, and the event loop never waits for the
database: the whole batch is one hop to the thread, not one per statement. Row inserts of
consecutive jobs are merged into one executemany per table, in plain SQL (`store.driver`).

If a batch fails it is rolled back and each job is retried alone, so one bad job only fails
itself. Units must therefore touch nothing but the connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

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
    commit_from: float = 0.0
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
        self._jobs: list[_Job] = []
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timing = _BatchTiming()
        self.sql = plain(engine.dialect.name)  # the per-message units' statements

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="chargeline-writer", daemon=True)
        self._thread.start()

    # --- submitting ----------------------------------------------------------------------
    async def run(self, unit: Callable[[Connection], T]) -> T:
        """Run `unit` in the next batch; return its result once the batch is committed."""
        return await self._wait(_Job(unit, None, None))

    async def insert(self, table: Table | Shape, rows: Sequence[Any]) -> None:
        """INSERT … ON CONFLICT DO NOTHING, committed before this returns (replays are no-ops).

        Rows are dicts for a `Table`, or tuples of ready bind values for a `Shape`."""
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
        job.future = asyncio.get_running_loop().create_future()
        self._enqueue(job)
        return await job.future

    def _enqueue(self, job: _Job) -> None:
        if self._closing:
            return
        with self._lock:
            self._jobs.append(job)
        self._wakeup.set()

    async def close(self) -> None:
        """Commit everything already submitted, then stop the thread."""
        self._closing = True
        self._wakeup.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    # --- the writer thread ---------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wakeup.wait()
            self._wakeup.clear()
            while True:
                with self._lock:
                    batch, self._jobs = self._jobs[: self.max_batch], self._jobs[self.max_batch:]
                if not batch:
                    break
                self._commit(batch)
            if self._closing:
                with self._lock:
                    if not self._jobs:
                        return

    def _commit(self, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            results = self._execute(batch)
        except Exception:
            self.stats.failed_batches += 1
            log.warning("batch of %d failed; retrying each job alone", len(batch), exc_info=True)
            results = []
            for job in batch:
                try:
                    results.append(self._execute([job])[0])
                except Exception as exc:
                    results.append(exc)
        else:
            self._record(len(batch), time.perf_counter() - started)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(_resolve, batch, results)

    def _execute(self, batch: list[_Job]) -> list[Any]:
        results: list[Any] = []
        pending: dict[Table | Shape, list[Any]] = {}
        clock = time.perf_counter
        timing = self._timing = _BatchTiming()
        with self.engine.begin() as conn:
            for job in batch:
                if job.rows is not None:
                    table, rows = job.rows
                    pending.setdefault(table, []).extend(rows)
                    results.append(None)
                    continue
                self._flush(conn, pending)  # rows submitted before a unit are visible to it
                assert job.unit is not None
                started = clock()
                results.append(job.unit(conn))
                timing.unit(job.unit, clock() - started)
            self._flush(conn, pending)
            timing.commit_from = clock()
        timing.commit = clock() - timing.commit_from
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

    def insert_rows(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                    upsert_keys: tuple[str, ...] | None = None) -> None:
        """Inside a unit: insert rows on the fast path (ignore duplicates, or update on `upsert_keys`)."""
        self.sql.insert_rows(conn, table, rows, upsert_keys)

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
