"""Revision 0003 creates exactly the tables of `smart_charging_schema.py`, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import chargeline.store.smart_charging_schema as schema
from chargeline.store.database import create_engine, migrate
from chargeline.store.schema import metadata

OURS = {t.name for t in vars(schema).values() if hasattr(t, "columns") and hasattr(t, "name")}


def _differences(conn: Any) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    diffs = compare_metadata(context, metadata)

    def table_of(diff: Any) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return str(table.name)
            if name in OURS:
                return str(name)
            if isinstance(part, str) and part in OURS:
                return part
        return None

    return [d for d in diffs if table_of(d) in OURS]


async def test_migration_matches_the_schema(database_url: str) -> None:
    assert {"sites", "site_nodes", "site_limits", "site_prices", "site_load", "believed_profiles",
                    "profile_checks", "station_support", "charging_needs"} <= OURS
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []  # a missing table would be an "add_table" difference
    finally:
        await engine.dispose()
