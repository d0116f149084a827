"""The migrations build exactly the tables, keys and indexes the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import chargeline.store.api_schema
import chargeline.store.smart_charging_schema
import chargeline.store.users_schema  # noqa: F401  (their tables join the shared metadata)
from chargeline.store.database import create_engine, migrate
from chargeline.store.schema import metadata


def _differences(conn: Any) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata))


async def test_migrations_match_every_declared_table(database_url: str) -> None:
    assert {"meter_values", "message_log", "users", "api_keys", "sites"} <= set(metadata.tables)
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()
