"""The message log's table on its own connection: opening the store and writing rows into it.

Used by the log's writer process (`store.log_writer`) and, for an in-memory database that no
other process can open, by a thread of the server itself (`store.message_log`).
"""

from __future__ import annotations

import logging
import marshal
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.pool import StaticPool

from chargeline.store.database import sqlite_pragmas, sync_url
from chargeline.store.driver import Shape, plain
from chargeline.store.schema import message_log

log = logging.getLogger(__name__)

# rows as Csms.log_frame builds them
FRAMES = Shape(message_log, ("station_id", "direction", "frame", "message_type", "message_id", "action", "at"))
AT = FRAMES.columns.index("at")
MOVE_CHUNK = 50_000
_COLUMNS = ", ".join(f'"{c.name}"' for c in message_log.columns)


def log_url(database_url: str) -> str:
    """Where the log of a database lives: a sibling SQLite file, or the same PostgreSQL database."""
    url = make_url(sync_url(database_url))
    if url.get_backend_name() != "sqlite":
        return url.render_as_string(hide_password=False)
    if not url.database or url.database == ":memory:":
        return "sqlite://"  # an in-memory database gets an in-memory log
    path = Path(url.database)
    return url.set(database=str(path.with_name(f"{path.stem}-messages{path.suffix or '.db'}"))).render_as_string(
        hide_password=False)


def in_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and (not parsed.database or parsed.database == ":memory:")


def log_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_size=1, max_overflow=1, pool_pre_ping=True)
    if in_memory(url):
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(parsed, pool_size=1, max_overflow=1)
    event.listen(engine, "connect", sqlite_pragmas)
    return engine


def refusals(engine: Engine) -> tuple[type[Exception], ...]:
    """Errors that say the store will never take a row (plain-SQL statements raise the driver's own)."""
    dbapi = engine.dialect.loaded_dbapi
    # text the driver cannot encode (a lone surrogate) is refused as well, row by row
    return IntegrityError, DataError, dbapi.IntegrityError, dbapi.DataError, UnicodeEncodeError


def open_log(conn: Connection, database_url: str, url: str) -> None:
    """On SQLite create the table and take over frames an earlier version logged in the main file."""
    if conn.dialect.name == "sqlite":
        with conn.begin():
            message_log.create(conn, checkfirst=True)
        _take_over_sqlite_frames(conn, database_url, url)


def write_rows(conn: Connection, rows: Sequence[Sequence[Any]], refused_by: tuple[type[Exception], ...]) -> int:
    """Insert `FRAMES` rows in one transaction; returns how many the store refused.

    A row the store refuses (it would fail every retry) is dropped, logged and counted, and the
    others are written one by one; any other error is raised with nothing written."""
    sql = plain(conn)
    try:
        with conn.begin():
            sql.insert_values(conn, FRAMES, rows)
        return 0
    except refused_by:
        pass
    refused = 0
    for row in rows:
        try:
            with conn.begin():
                sql.insert_values(conn, FRAMES, [row])
        except refused_by as exc:
            refused += 1
            log.error("message log: frame of %s refused by the store: %s", row[0], exc)
    return refused


def to_wire(rows: list[tuple[Any, ...]], dialect: str) -> tuple[bytes, int]:
    """`FRAMES` rows as the writer process reads them, and how many could not be encoded (dropped, logged).

    In `marshal`'s format: both ends are the same interpreter (the writer is started with
    `sys.executable`), and it encodes and decodes the rows in half and a third of the time JSON
    took, on the event loop and in the writer. PostgreSQL's times go as ISO text."""
    if dialect != "sqlite":
        rows = [(*row[:AT], row[AT].isoformat(), *row[AT + 1:]) if isinstance(row[AT], datetime) else row
                for row in rows]
    try:
        return marshal.dumps(rows), 0
    except ValueError:
        kept = []
        for row in rows:
            try:
                marshal.dumps(row)
                kept.append(row)
            except ValueError as exc:
                log.error("message log: frame of %s cannot be logged: %s", row[0], exc)
        return marshal.dumps(kept), len(rows) - len(kept)


def from_wire(body: bytes, dialect: str) -> list[tuple[Any, ...]]:
    """The rows of `to_wire`, with PostgreSQL's times made datetimes again."""
    rows: list[tuple[Any, ...]] = marshal.loads(body)
    if dialect != "sqlite":
        rows = [(*row[:AT], datetime.fromisoformat(row[AT]), *row[AT + 1:]) if isinstance(row[AT], str) else row
                for row in rows]
    return rows


def _take_over_sqlite_frames(conn: Connection, database_url: str, url: str) -> None:
    """Frames logged into the main SQLite file before the log had one of its own move here, ids kept.

    Idempotent: a move interrupted between its copy and its delete copies nothing twice."""
    main_url, log_path = make_url(sync_url(database_url)), make_url(url).database
    main = main_url.database
    if main_url.get_backend_name() != "sqlite" or not main or main == ":memory:" or not log_path or \
            log_path == ":memory:" or not Path(main).exists() or Path(main).resolve() == Path(log_path).resolve():
        return  # nothing of ours to take over (or the log was pointed at the main file itself)
    conn.exec_driver_sql("ATTACH DATABASE ? AS main_db", (main,))
    conn.commit()
    try:
        found = conn.exec_driver_sql("SELECT 1 FROM main_db.sqlite_master WHERE type = 'table' "
                                     "AND name = 'message_log'").first()
        conn.commit()
        moved = 0
        while found is not None:
            with conn.begin():
                ids = [r[0] for r in conn.exec_driver_sql(
                    f"SELECT id FROM main_db.message_log ORDER BY id LIMIT {MOVE_CHUNK}")]
                if not ids:
                    break
                conn.exec_driver_sql(f"INSERT OR IGNORE INTO main.message_log ({_COLUMNS}) SELECT "
                                     f"{_COLUMNS} FROM main_db.message_log WHERE id BETWEEN ? AND ?",
                                     (ids[0], ids[-1]))
            with conn.begin():
                conn.exec_driver_sql("DELETE FROM main_db.message_log WHERE id BETWEEN ? AND ?",
                                     (ids[0], ids[-1]))
            moved += len(ids)
        if moved:
            log.info("message log: moved %d earlier frames into %s", moved, url)
    finally:
        conn.exec_driver_sql("DETACH DATABASE main_db")
        conn.commit()
