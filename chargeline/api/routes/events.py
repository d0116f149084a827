"""The live event stream (Server-Sent Events) of everything the CSMS publishes on its EventHub."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Collection
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from chargeline.api.auth import Ctx, Viewer
from chargeline.api.context import ApiContext
from chargeline.api.errors import ERROR_RESPONSES
from chargeline.csms.commands.redact import redact
from chargeline.csms.events import Event
from chargeline.gateway.identity import station_key

router = APIRouter(tags=["events"], responses=ERROR_RESPONSES)
_sequence = itertools.count(1)


def event_json(event: Event) -> dict[str, Any]:
    return {"type": event.type, "station_id": event.station_id, "at": event.at, "data": redact(event.data)}


def _split(values: list[str] | None) -> set[str]:
    return {v.strip() for value in values or [] for v in value.split(",") if v.strip()}


def matches(event: Event, types: Collection[str], station_keys: Collection[str]) -> bool:
    return wanted(event.type, event.station_id, types, station_keys)


def wanted(type_: str, station_id: str | None, types: Collection[str], station_keys: Collection[str]) -> bool:
    """An event of `type_` about `station_id` passes a filter of types and stations (empty: any)."""
    if types and type_ not in types:
        return False
    return not station_keys or (station_id is not None and station_key(station_id) in station_keys)


@router.get("/events", summary="Live events (Server-Sent Events)",
            description="Connections, boots, status changes, transactions, meter values, command results, "
                        "security events and station notifications as `text/event-stream`. Filter with "
                        "`station_id` and `type` (repeat or comma-separate). Each event: `event: <type>`, "
                        "`data: {type, station_id, at, data}`. An idle stream carries a comment every few seconds.",
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}})
async def events(request: Request, ctx: Ctx, _: Viewer,
                 station_id: Annotated[list[str] | None, Query(max_length=48)] = None,
                 type: Annotated[list[str] | None, Query(max_length=50)] = None) -> StreamingResponse:
    types, keys = _split(type), {station_key(s) for s in _split(station_id)}
    queue = ctx.csms.events.subscribe(wants=lambda type_, station: wanted(type_, station, types, keys))
    return StreamingResponse(_stream(request, ctx, queue, types, keys), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _stream(request: Request, ctx: ApiContext, queue: asyncio.Queue[Event], types: set[str],
                  keys: set[str]) -> AsyncIterator[bytes]:
    closing: asyncio.Future[Any] = asyncio.ensure_future(ctx.closing.wait())
    getter: asyncio.Future[Any] | None = None
    try:
        yield b"retry: 5000\n: connected\n\n"
        while not ctx.closing.is_set():
            getter = getter or asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, closing}, timeout=ctx.settings.sse_keepalive,
                                         return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                if await request.is_disconnected():
                    return
                if not closing.done():
                    yield b": keep-alive\n\n"
                continue
            event: Event = getter.result()
            getter = None
            if matches(event, types, keys):
                data = orjson.dumps(event_json(event), option=orjson.OPT_UTC_Z, default=str)
                yield b"id: %d\nevent: %s\ndata: %s\n\n" % (next(_sequence), event.type.encode(), data)
    finally:
        for task in (getter, closing):
            if task is not None:
                task.cancel()
        ctx.csms.events.unsubscribe(queue)
