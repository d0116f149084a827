"""Small helpers for units of work that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection


def dedupe_key(*parts: Any) -> str:
    """A stable content hash for idempotency keys."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def insert_ignore_stmt(conn: Connection | AsyncConnection, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: replays of already stored rows are no-ops."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert_stmt(conn: Connection | AsyncConnection, table: Table, row: dict[str, Any], keys: Sequence[str],
                update_columns: Sequence[str] | None = None) -> Any:
    """Insert `row`, or update `update_columns` (default: all but the keys) of the existing one."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(row)
    columns = update_columns if update_columns is not None else [k for k in row if k not in keys]
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={k: stmt.excluded[k] for k in columns})


async def insert_ignore(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert_ignore_stmt(conn, table), list(rows))


async def upsert(conn: AsyncConnection, table: Table, row: dict[str, Any], keys: Sequence[str],
                 update_columns: Sequence[str] | None = None) -> None:
    await conn.execute(upsert_stmt(conn, table, row, keys, update_columns))
