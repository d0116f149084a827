"""Small helpers for units of work that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dedupe_key(*parts: Any) -> str:
    """A stable content hash for idempotency keys."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


async def insert_ignore(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]],
                        keys: Sequence[str] | None = None) -> None:
    """INSERT … ON CONFLICT DO NOTHING: replays of already stored rows are no-ops."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=keys)
    await conn.execute(stmt, list(rows))


async def upsert(conn: AsyncConnection, table: Table, row: dict[str, Any], keys: Sequence[str],
                 update_columns: Sequence[str] | None = None) -> None:
    """Insert `row`, or update `update_columns` (default: all but the keys) of the existing one."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(row)
    columns = update_columns if update_columns is not None else [k for k in row if k not in keys]
    update = {k: stmt.excluded[k] for k in columns}
    await conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))
