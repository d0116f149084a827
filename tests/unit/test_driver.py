"""Plain-SQL statements and the batch writer on both databases (real SQLite file, real PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from chargeline.csms.provisioning import CONNECTOR_STATE
from chargeline.store.driver import plain
from chargeline.store.message_log import FRAMES
from chargeline.store.schema import connectors, message_log, stations, transactions
from tests.unit.writers import started_writer, station_rows

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


async def test_rows_in_multi_row_statements_are_each_stored_once(database_url: str) -> None:
    writer = await started_writer(database_url)
    time = writer.sql.time
    try:
        rows = [("S1", "in", f"[2,\"{i}\",\"Heartbeat\",{{}}]", 2, str(i), "Heartbeat", time(T0 + timedelta(seconds=i)))
                for i in range(301)]  # 128 + 128 + 32 + 8 + 5 single rows
        await asyncio.gather(*(writer.insert(FRAMES, rows[i:i + 7]) for i in range(0, len(rows), 7)))

        def count(conn: Connection) -> int:
            return int(conn.execute(select(func.count()).select_from(message_log)).scalar_one())

        assert await writer.run(count) == 301
        assert writer.stats.batches >= 1
    finally:
        await writer.close()
        writer.engine.dispose()


async def test_update_many_sets_each_row_by_key(database_url: str) -> None:
    writer = await started_writer(database_url)
    sql = writer.sql
    try:
        await writer.insert(stations, station_rows(*(f"s{i}" for i in range(140))))
        rows = [(f"s{i}", sql.time(T0 + timedelta(minutes=i)), float(i)) for i in range(139)]  # 128 + 8 + 3

        await writer.run(lambda conn: sql.update_many(conn, stations, "id", ("last_seen_at", "clock_skew_s"), rows))

        def read(conn: Connection) -> list[tuple[str, object, object]]:
            return [tuple(r) for r in conn.execute(
                select(stations.c.id, stations.c.last_seen_at, stations.c.clock_skew_s))]

        stored = {r[0]: (r[1], r[2]) for r in await writer.run(read)}
        assert stored["s5"] == (T0 + timedelta(minutes=5), 5.0)
        assert stored["s138"] == (T0 + timedelta(minutes=138), 138.0)
        assert stored["s139"] == (None, None)  # not in the update
    finally:
        await writer.close()
        writer.engine.dispose()


async def test_a_failing_job_fails_alone_and_the_batch_commits(database_url: str) -> None:
    writer = await started_writer(database_url)
    try:
        await writer.insert(stations, station_rows("s1"))

        def good(conn: Connection) -> int:
            return int(plain(conn).insert(conn, transactions, {"station_id": "s1", "status": "active"}))

        def bad(conn: Connection) -> int:  # no such station: the foreign key refuses it
            return int(plain(conn).insert(conn, transactions, {"station_id": "nobody", "status": "active"}))

        results = await asyncio.gather(writer.run(good), writer.run(bad), writer.run(good), return_exceptions=True)
        assert isinstance(results[0], int) and isinstance(results[2], int)
        assert isinstance(results[1], Exception)

        def count(conn: Connection) -> int:
            return int(conn.execute(select(func.count()).select_from(transactions)).scalar_one())

        assert await writer.run(count) == 2
    finally:
        await writer.close()
        writer.engine.dispose()



async def test_every_statement_of_a_failed_job_is_rolled_back(database_url: str) -> None:
    """`WITH … UPDATE` included: the driver's own transaction handling would have committed it alone."""
    writer = await started_writer(database_url)
    sql = writer.sql
    try:
        await writer.insert(stations, station_rows(*(f"s{i}" for i in range(3))))

        def update_then_fail(conn: Connection) -> None:
            sql.update_many(conn, stations, "id", ("clock_skew_s",), [(f"s{i}", 9.0) for i in range(3)])
            raise RuntimeError("the job fails after its update")

        with pytest.raises(RuntimeError):
            await writer.run(update_then_fail)

        def skews(conn: Connection) -> list[object]:
            return [r[0] for r in conn.execute(select(stations.c.clock_skew_s))]

        assert await writer.run(skews) == [None, None, None]
    finally:
        await writer.close()
        writer.engine.dispose()

def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        plain("sqlite").time(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        plain("postgresql").time(datetime(2026, 1, 1))


async def test_rows_written_after_units_are_written_with_the_batch(database_url: str) -> None:
    writer = await started_writer(database_url)
    writer.write_after_units(FRAMES)
    time = writer.sql.time

    def counts(conn: Connection) -> tuple[int, int]:
        return (int(conn.execute(select(func.count()).select_from(stations)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(message_log)).scalar_one()))

    try:
        writer.insert_nowait(stations, station_rows("s1", "s2"))
        writer.insert_nowait(FRAMES, [("S1", "in", "[]", 2, "1", "Heartbeat", time(T0))])
        seen = await writer.run(counts)  # the same batch as both inserts
        assert writer.stats.batches == 1
        assert seen == (2, 0)  # other rows before the unit; these after it
        assert await writer.run(counts) == (2, 1)  # and committed with it
    finally:
        await writer.close()
        writer.engine.dispose()


async def test_upsert_rows_of_one_batch_leave_the_last_status_per_connector(database_url: str) -> None:
    writer = await started_writer(database_url)
    writer.write_after_units(CONNECTOR_STATE)
    now = writer.sql.time(T0)

    def state(status: str, connector: int = 1) -> tuple[object, ...]:
        return ("s1", 1, connector, status, "NoError", None, None, None, None, now)

    def statuses(conn: Connection) -> list[tuple[int, str]]:
        return [(r.connector_id, r.status) for r in conn.execute(
            select(connectors.c.connector_id, connectors.c.status).order_by(connectors.c.connector_id))]

    try:
        await writer.insert(stations, station_rows("s1"))
        await asyncio.gather(writer.insert(CONNECTOR_STATE, [state("Preparing")]),
                             writer.insert(CONNECTOR_STATE, [state("Available", 2)]),
                             writer.insert(CONNECTOR_STATE, [state("Charging")]))  # one batch, in this order
        assert await writer.run(statuses) == [(1, "Charging"), (2, "Available")]
        await writer.insert(CONNECTOR_STATE, [state("Finishing")])  # a later batch replaces it
        assert await writer.run(statuses) == [(1, "Finishing"), (2, "Available")]
    finally:
        await writer.close()
        writer.engine.dispose()
