"""Independent stations for the end-to-end tests: the `ocpp` package's ChargePoint, and raw sockets."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v201 import ChargePoint as ChargePoint201
from websockets.typing import Subprotocol

PASSWORD = "correct-horse-battery-staple"


def basic(station_id: str, password: str | bytes = PASSWORD) -> dict[str, str]:
    secret = password if isinstance(password, bytes) else password.encode()
    return {"Authorization": "Basic " + base64.b64encode(station_id.encode() + b":" + secret).decode()}


@contextlib.asynccontextmanager
async def ocpp_station(url: str, station_id: str, version: str = "1.6", password: str | bytes = PASSWORD
                       ) -> AsyncIterator[Any]:
    """A ChargePoint of the `ocpp` package connected to `url`, reading in the background."""
    subprotocol = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}[version]
    cls = {"1.6": ChargePoint16, "2.0.1": ChargePoint201, "2.1": ChargePoint21}[version]
    async with websockets.connect(url + station_id, subprotocols=[Subprotocol(subprotocol)],
                                  additional_headers=basic(station_id, password)) as ws:
        cp = cls(station_id, ws, response_timeout=10)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@contextlib.asynccontextmanager
async def raw_station(url: str, station_id: str, subprotocol: str = "ocpp1.6", password: str | bytes = PASSWORD
                      ) -> AsyncIterator[Any]:
    async with websockets.connect(url + station_id, subprotocols=[Subprotocol(subprotocol)],
                                  additional_headers=basic(station_id, password)) as ws:
        yield ws


async def exchange(ws: Any, text: str) -> list[Any]:
    import orjson

    await ws.send(text)
    return orjson.loads(await asyncio.wait_for(ws.recv(), 10))
