"""A started batch writer on a migrated database, for tests that write through it."""

from __future__ import annotations

from datetime import UTC, datetime

from chargeline.store.database import create_engine, create_sync_engine, migrate
from chargeline.store.writer import BatchWriter


async def started_writer(database_url: str, max_batch: int = 50) -> BatchWriter:
    engine = create_engine(database_url)
    await migrate(engine)
    await engine.dispose()
    writer = BatchWriter(create_sync_engine(database_url), max_batch=max_batch)
    writer.start()
    return writer


def station_rows(*ids: str) -> list[dict[str, object]]:
    """`stations` rows with what a row needs and nothing else."""
    return [{"id": i, "display_id": i.upper(), "security_profile": 0, "boot_policy": "Accepted", "lenient": False,
             "created_at": datetime(2026, 11, 21, tzinfo=UTC)} for i in ids]
