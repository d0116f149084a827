"""Engines for SQLite (default) and PostgreSQL, and schema migration at start-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _as_null(value: None) -> None:
    return value


# The standard library's sqlite3 binds str, int, float and None, but only the first three
# directly: for None (and bool) it first searches for an adapter by attribute lookups that fail,
# which cost more than binding the value (0.17 µs a parameter; a message's rows have dozens of
# NULLs). An adapter found at once in its registry is six times cheaper. Values are unchanged:
# None is NULL, True and False are 1 and 0, as before.
sqlite3.register_adapter(type(None), _as_null)
sqlite3.register_adapter(bool, int)


def sync_url(url: str) -> str:
    """The blocking driver for the writer thread: stdlib sqlite3, or psycopg for PostgreSQL."""
    parsed = make_url(url)
    driver = {"sqlite+aiosqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
              "postgresql+asyncpg": "postgresql+psycopg", "postgresql+psycopg2": "postgresql+psycopg"}.get(
        parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """Accept plain SQLAlchemy URLs (`sqlite:///x.db`, `postgresql://…`) and pick the asyncio driver."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg", "postgresql+psycopg": "postgresql+asyncpg",
              "postgresql+psycopg2": "postgresql+asyncpg"}.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """The asyncio engine: reads (API, connection set-up) and migrations."""
    engine = create_async_engine(async_url(url), pool_pre_ping=False)
    if is_sqlite(engine):
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    return engine


def create_sync_engine(url: str) -> Engine:
    """The blocking engine of the writer (store/writer.py)."""
    parsed = make_url(sync_url(url))
    # the writer executes on the event loop and commits on its commit thread
    connect_args = {"check_same_thread": False} if parsed.get_backend_name() == "sqlite" else {}
    engine = sa_create_engine(parsed, pool_size=2, pool_pre_ping=False, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
        event.listen(engine, "connect", _driver_autocommit)
        event.listen(engine, "begin", _begin)
    return engine


def _driver_autocommit(dbapi_connection: object, _record: object) -> None:
    """Leave transactions to SQLAlchemy's `begin` (below), not to the driver's guesswork.

    The standard library's sqlite3 opens a transaction only before a statement that starts
    with INSERT, UPDATE, DELETE or REPLACE: a `WITH … UPDATE` ran outside the batch's
    transaction, as a transaction (and an fsync) of its own."""
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets readers run beside the writer; FULL makes every commit survive power loss.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # The indexes of the busiest tables take every station's rows in turn: with SQLite's default
    # 2 MB page cache, inserts spilled and re-read pages all the time.
    cursor.execute("PRAGMA cache_size=-65536")  # KiB: 64 MB per connection, allocated as used
    cursor.close()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database schema to the newest revision."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
