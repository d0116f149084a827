"""Plain SQL on the writer connection's DBAPI cursor, for the units that run once per message.

SQLAlchemy Core builds a statement, derives its cache key and processes every bind value on
each execution; on the message path that cost more than the database's own work. The
per-message units therefore speak SQL written once, executed on the DBAPI connection of the
SQLAlchemy `Connection` they are given (same connection, same transaction), with values
converted here. Two drivers are supported: the standard library's `sqlite3` and `psycopg`,
the writer's drivers (`store.database.sync_url`). Statements are written with `?`
placeholders; for psycopg they become `%s` once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import orjson
from psycopg.types.json import Json
from sqlalchemy import JSON, Boolean, Float, Integer, String, Table, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from chargeline.store.schema import UtcDateTime

Row = tuple[Any, ...]


def sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME type writes and reads back: 2026-01-02 03:04:05.000000."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; Chargeline keeps UTC-aware times only")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def pg_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime stored; Chargeline keeps UTC-aware times only")
    return value


def _sqlite_read_time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _pg_read_time(value: Any) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else _dumps_text(value)


def _pg_json(value: Any) -> Json | None:
    return None if value is None else Json(value, dumps=_dumps_text)


def _dumps_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def read_json(value: Any) -> Any:
    """JSON columns come back as text from SQLite and already parsed from psycopg."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class DriverSql:
    """Statements and value conversion for one dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect: str):
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"no plain-SQL support for {dialect}")
        self.postgres = dialect == "postgresql"
        self.time = pg_time if self.postgres else sqlite_time  # a datetime as a bind value
        self.read_time = _pg_read_time if self.postgres else _sqlite_read_time
        self.json = _pg_json if self.postgres else _sqlite_json
        self._texts: dict[str, str] = {}
        self._inserts: dict[tuple[Shape, tuple[str, ...] | None], RowInsert] = {}
        self._dml: dict[tuple[str, str, tuple[str, ...], str], str] = {}
        self._converters: dict[str, dict[str, Callable[[Any], Any] | None]] = {}  # per table: column -> conversion

    # --- executing -----------------------------------------------------------------------
    def text(self, sql: str) -> str:
        text = self._texts.get(sql)
        if text is None:
            text = self._texts[sql] = sql.replace("?", "%s") if self.postgres else sql
        return text

    @staticmethod
    def cursor(conn: Connection) -> Any:
        return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def one(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = self.cursor(conn)
        cursor.execute(self.text(sql), params)
        row = cursor.fetchone()
        return None if row is None else tuple(row)

    def scalar(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(conn, sql, params)
        return None if row is None else row[0]

    def all(self, conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.cursor(conn)
        cursor.execute(self.text(sql), params)
        return [tuple(r) for r in cursor.fetchall()]

    # --- statements built from a dict of column values -------------------------------------
    def values(self, table: Table, values: dict[str, Any]) -> list[Any]:
        """Bind values for `values` of `table`: times and JSON converted for the driver."""
        converters = self._converters.get(table.name)
        if converters is None:
            converters = self._converters[table.name] = {
                c.name: self.time if isinstance(c.type, UtcDateTime) else self.json if isinstance(c.type, JSON)
                else None for c in table.columns}
        out = []
        for name, value in values.items():
            if value is not None:
                convert = converters[name]
                if convert is not None:
                    value = convert(value)
            out.append(value)
        return out

    def insert(self, conn: Connection, table: Table, values: dict[str, Any], returning: str = "id") -> Any:
        """INSERT one row (column defaults filled in); the value of its `returning` column."""
        values = {**_defaults(table), **values}
        key = ("insert", table.name, tuple(values), returning)
        sql = self._dml.get(key)
        if sql is None:
            names = ", ".join(f'"{n}"' for n in values)
            sql = self._dml[key] = self.text(
                f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(values))}) '
                f'RETURNING "{returning}"')
        cursor = self.cursor(conn)
        cursor.execute(sql, self.values(table, values))
        return cursor.fetchone()[0]

    def update(self, conn: Connection, table: Table, values: dict[str, Any], where: str,
               params: Sequence[Any]) -> int:
        """UPDATE `table` SET `values` WHERE `where` (with `?` placeholders); rows changed."""
        if not values:
            return 0
        key = ("update", table.name, tuple(values), where)
        sql = self._dml.get(key)
        if sql is None:
            sets = ", ".join(f'"{n}" = ?' for n in values)
            sql = self._dml[key] = self.text(f'UPDATE "{table.name}" SET {sets} WHERE {where}')
        cursor = self.cursor(conn)
        cursor.execute(sql, [*self.values(table, values), *params])
        return int(cursor.rowcount)

    def update_many(self, conn: Connection, table: Table, key: str, columns: tuple[str, ...],
                    rows: Sequence[Sequence[Any]]) -> None:
        """Set `columns` of many rows found by `key`; each row is (key, *values), ready bind values.

        A few statements of many rows each (a VALUES list joined to the table), for the same
        reason as `RowInsert.execute_values`."""
        done = 0
        cursor = self.cursor(conn)
        for size in (*MULTI_ROW_CHUNKS, 1):
            while len(rows) - done >= size:
                cursor.execute(self._update_sql(table, key, columns, size),
                               list(chain.from_iterable(rows[done:done + size])))
                done += size

    def _update_sql(self, table: Table, key: str, columns: tuple[str, ...], size: int) -> str:
        cache_key = ("update_many", table.name, (key, *columns), str(size))
        sql = self._dml.get(cache_key)
        if sql is None:
            names = ", ".join(f'"{n}"' for n in (key, *columns))
            row = f"({', '.join('?' * (len(columns) + 1))})"
            # PostgreSQL types a VALUES column from its parameters: say what each one is
            sets = ", ".join(f'"{c}" = CAST(v."{c}" AS {_pg_type(table, c)})' if self.postgres
                             else f'"{c}" = v."{c}"' for c in columns)
            sql = self._dml[cache_key] = self.text(
                f'WITH v({names}) AS (VALUES {", ".join([row] * size)}) '
                f'UPDATE "{table.name}" SET {sets} FROM v WHERE "{table.name}"."{key}" = v."{key}"')
        return sql

    def insert_rows(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                    upsert_keys: tuple[str, ...] | None = None) -> None:
        """Insert many rows in one executemany (ignore duplicates, or update on `upsert_keys`)."""
        if rows:
            self._row_insert(Shape.of(table), upsert_keys).execute_dicts(conn, rows)

    def insert_values(self, conn: Connection, shape: Shape, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows given as tuples of ready bind values (see `Shape`): duplicates ignored, or
        the existing rows updated for a shape with `upsert_keys`."""
        if rows:
            self._row_insert(shape, shape.upsert_keys).execute_values(conn, rows)

    def _row_insert(self, shape: Shape, upsert_keys: tuple[str, ...] | None) -> RowInsert:
        key = (shape, upsert_keys)
        insert = self._inserts.get(key)
        if insert is None:
            insert = self._inserts[key] = RowInsert(self, shape, upsert_keys)
        return insert


@dataclass(frozen=True, slots=True)
class Shape:
    """Rows of `table` as tuples of `columns`, in that order.

    Producers of many rows per message (meter values, the message log) build these tuples
    directly, with times and JSON already converted (`DriverSql.time` / `.json`); columns left
    out get the database's default. `Shape.of(table)` is every column but an autoincrement id.
    With `upsert_keys` a row whose keys exist updates that row (the last of a batch wins).
    """

    table: Table
    columns: tuple[str, ...]
    upsert_keys: tuple[str, ...] | None = None

    @staticmethod
    def of(table: Table) -> Shape:
        shape = _FULL_SHAPES.get(table.name)
        if shape is None:
            shape = _FULL_SHAPES[table.name] = Shape(table, tuple(
                c.name for c in table.columns if not (c.primary_key and c.autoincrement is True and c.name == "id")))
        return shape


_FULL_SHAPES: dict[str, Shape] = {}


class RowInsert:
    """INSERT … ON CONFLICT DO NOTHING (or DO UPDATE) of many rows as one executemany of tuples."""

    def __init__(self, sql: DriverSql, shape: Shape, upsert_keys: tuple[str, ...] | None = None):
        self.driver = sql
        table = shape.table
        self.table = table
        self.columns = [table.c[name] for name in shape.columns]
        self.names = list(shape.columns)
        names = ", ".join(f'"{c.name}"' for c in self.columns)
        conflict = "ON CONFLICT DO NOTHING"
        if upsert_keys:
            updates = ", ".join(f'"{c.name}" = excluded."{c.name}"' for c in self.columns if c.name not in upsert_keys)
            conflict = f"ON CONFLICT ({', '.join(upsert_keys)}) DO UPDATE SET {updates}"
        self.upsert = bool(upsert_keys)
        self.head = f'INSERT INTO "{table.name}" ({names}) VALUES '
        self.tuple = f"({', '.join('?' * len(self.columns))})"
        self.conflict = conflict
        self.sql = sql.text(f"{self.head}{self.tuple} {conflict}")
        self._multi: dict[int, str] = {}
        self.time_columns = [i for i, c in enumerate(self.columns) if isinstance(c.type, UtcDateTime)]
        self.json_columns = [i for i, c in enumerate(self.columns) if isinstance(c.type, JSON)]
        unsupported = [c.name for c in self.columns if not isinstance(c.type, (*_PLAIN_TYPES, UtcDateTime, JSON))]
        if unsupported:
            raise ValueError(f"{table.name}: no plain-SQL conversion for {unsupported}")

    def execute_values(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Rows in statements of up to `MULTI_ROW_CHUNKS[0]` rows each, the rest one by one.

        One statement of many rows is one step of the database for the lot: the writer thread
        gives up the GIL once, not once per row, and so does not queue behind the event loop
        for every row (an upsert keeps one row per statement: PostgreSQL refuses a statement
        that updates one row twice)."""
        cursor = self.driver.cursor(conn)
        done = 0
        if not self.upsert:
            for size in MULTI_ROW_CHUNKS:
                while len(rows) - done >= size:
                    cursor.execute(self._multi_sql(size), list(chain.from_iterable(rows[done:done + size])))
                    done += size
        if done < len(rows):
            cursor.executemany(self.sql, rows[done:])

    def _multi_sql(self, size: int) -> str:
        sql = self._multi.get(size)
        if sql is None:
            sql = self._multi[size] = self.driver.text(f"{self.head}{', '.join([self.tuple] * size)} {self.conflict}")
        return sql

    def execute_dicts(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        names, times, jsons = self.names, self.time_columns, self.json_columns
        to_time, to_json = self.driver.time, self.driver.json
        defaults = _defaults(self.table)
        params = []
        for row in rows:
            values: list[Any] = [row.get(name, defaults.get(name)) for name in names]
            for i in times:
                if values[i] is not None:
                    values[i] = to_time(values[i])
            for i in jsons:
                values[i] = to_json(values[i])
            params.append(values)
        self.execute_values(conn, params)


_PLAIN_TYPES = (String, Integer, Float, Text, Boolean)
MULTI_ROW_CHUNKS = (128, 32, 8)  # few distinct statements, each prepared once


def _pg_type(table: Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=postgresql.dialect()))


_DEFAULTS: dict[str, dict[str, Any]] = {}


def _defaults(table: Table) -> dict[str, Any]:
    """The scalar Python-side column defaults of `table` (what SQLAlchemy would fill in)."""
    found = _DEFAULTS.get(table.name)
    if found is None:
        found = _DEFAULTS[table.name] = {c.name: c.default.arg for c in table.columns  # type: ignore[attr-defined]
                                         if c.default is not None and c.default.is_scalar}
        callables = [c.name for c in table.columns if c.default is not None and not c.default.is_scalar]
        if callables:
            raise ValueError(f"{table.name}: callable defaults of {callables} are not filled in by plain SQL")
    return found


_BY_DIALECT: dict[str, DriverSql] = {}


def plain(conn_or_dialect: Connection | str) -> DriverSql:
    """The statements of a connection's dialect (the writer thread's connections)."""
    name = conn_or_dialect if isinstance(conn_or_dialect, str) else conn_or_dialect.dialect.name
    driver = _BY_DIALECT.get(name)
    if driver is None:
        driver = _BY_DIALECT[name] = DriverSql(name)
    return driver
