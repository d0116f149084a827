"""Group commit: many units of work share one database transaction.

A handler submits a unit of work (an async function of a connection) and awaits it; the
writer runs every unit waiting at that moment in one transaction and resolves all their
futures only after the COMMIT. So a reply is sent only once its effect is durable, and a
burst of messages costs one commit, not one per message.

If a batch fails, it is rolled back and each unit is retried alone, so one bad unit only
fails itself. Units must therefore touch nothing but the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

T = TypeVar("T")
Unit = Callable[[AsyncConnection], Awaitable[Any]]


@dataclass(slots=True)
class _Job:
    unit: Unit
    future: asyncio.Future[Any] | None  # None: nobody waits (e.g. the message log)


@dataclass(slots=True)
class WriterStats:
    batches: int = 0
    units: int = 0
    largest_batch: int = 0
    failed_batches: int = 0
    last_batch_sizes: list[int] = field(default_factory=list)


class GroupCommitWriter:
    def __init__(self, engine: AsyncEngine, max_batch: int = 1000):
        self.engine = engine
        self.max_batch = max_batch
        self.stats = WriterStats()
        self._jobs: list[_Job] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit-writer")

    async def run(self, unit: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `unit` in the next batch; return its result once the batch is committed."""
        if self._closing:
            raise RuntimeError("writer is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.append(_Job(unit, future))
        self._wakeup.set()
        return await future

    def submit(self, unit: Unit) -> None:
        """Run `unit` in the next batch without waiting for it (best-effort records)."""
        if self._closing:
            return
        self._jobs.append(_Job(unit, None))
        self._wakeup.set()

    @property
    def queue_depth(self) -> int:
        return len(self._jobs)

    async def close(self) -> None:
        """Commit everything already submitted, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._jobs:
                batch, self._jobs = self._jobs[: self.max_batch], self._jobs[self.max_batch:]
                await self._commit(batch)
            if self._closing and not self._jobs:
                return

    async def _commit(self, batch: list[_Job]) -> None:
        try:
            results = await self._execute(batch)
        except Exception:
            self.stats.failed_batches += 1
            log.warning("batch of %d failed; retrying each unit alone", len(batch), exc_info=True)
            for job in batch:
                try:
                    (result,) = await self._execute([job])
                except Exception as exc:
                    result = exc
                self._resolve(job, result)
            return
        self._record(len(batch))
        for job, result in zip(batch, results, strict=True):
            self._resolve(job, result)

    async def _execute(self, batch: list[_Job]) -> list[Any]:
        results = []
        async with self.engine.begin() as connection:
            for job in batch:
                results.append(await job.unit(connection))
        return results

    def _record(self, size: int) -> None:
        stats = self.stats
        stats.batches += 1
        stats.units += size
        stats.largest_batch = max(stats.largest_batch, size)
        stats.last_batch_sizes = [*stats.last_batch_sizes[-99:], size]

    @staticmethod
    def _resolve(job: _Job, result: Any) -> None:
        if job.future is None:
            if isinstance(result, Exception):
                log.error("background unit failed: %r", result)
            return
        if job.future.done():
            return
        if isinstance(result, BaseException):
            job.future.set_exception(result)
        else:
            job.future.set_result(result)
