"""Helpers for the station tests: a real `chargeline serve`, its database, fast station settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from chargeline.ocpp.versions import OcppVersion
from tests.conftest import ServerProcess, cli

VERSIONS = ["1.6", "2.0.1", "2.1"]

# Reconnect and retry quickly: tests must not sit out production back-off timers.
FAST_V16 = {"ChargelineRetryBackOffWaitMinimum": "0", "ChargelineRetryBackOffRandomRange": "1",
            "TransactionMessageRetryInterval": "1", "MeterValueSampleInterval": "600"}
FAST_V2 = {"OCPPCommCtrlr.RetryBackOffWaitMinimum": "0", "OCPPCommCtrlr.RetryBackOffRandomRange": "1",
           "OCPPCommCtrlr.MessageAttemptInterval.TransactionEvent": "1", "SampledDataCtrlr.TxUpdatedInterval": "600"}


def fast_settings(version: str | OcppVersion, **extra: str) -> dict[str, str]:
    v = version if isinstance(version, OcppVersion) else OcppVersion.parse(version)
    return {**(FAST_V2 if v.is_v2 else FAST_V16), **extra}


@pytest.fixture
def csms(start_server: Callable[..., ServerProcess], sqlite_url: str) -> ServerProcess:
    """`chargeline serve --allow-unknown-stations` on SQLite, tokens TAG-A / TAG-B / TAG-C accepted."""
    for tag in ("TAG-A", "TAG-B", "TAG-C"):
        cli("tokens", "add", tag, database=sqlite_url)
    return start_server(sqlite_url, "--allow-unknown-stations", "--api-port", "0")


async def rows(database: str, table: Any, *where: Any) -> list[dict[str, Any]]:
    from chargeline.store.database import create_engine

    engine = create_engine(database)
    try:
        async with engine.connect() as conn:
            query = select(table)
            for clause in where:
                query = query.where(clause)
            return [dict(r) for r in (await conn.execute(query)).mappings().all()]
    finally:
        await engine.dispose()


async def until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 20.0, what: str = "") -> None:
    """Wait for a condition (never a timed assertion: the timeout only bounds a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.05)
