"""The message log: raw OCPP-J frames in and out per station, searchable; payload secrets redacted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from chargeline.api.auth import Ctx, Operator
from chargeline.api.errors import ERROR_RESPONSES
from chargeline.api.paging import Page, PagingDep, fetch_page, page, utc
from chargeline.csms.commands.redact import redact_frame
from chargeline.gateway.identity import station_key
from chargeline.store.schema import message_log

router = APIRouter(tags=["message log"], responses=ERROR_RESPONSES)


class FrameOut(BaseModel):
    id: int
    station_id: str
    direction: str
    message_type: int | None
    message_id: str | None
    action: str | None
    at: datetime
    frame: str


async def _frames(ctx: Any, paging: Any, station_id: str | None, since: datetime | None, until: datetime | None,
                  action: str | None, message_id: str | None, direction: str | None) -> dict[str, Any]:
    query = select(message_log)
    if station_id:
        query = query.where(message_log.c.station_id == station_key(station_id))
    if since:
        query = query.where(message_log.c.at >= utc(since))
    if until:
        query = query.where(message_log.c.at < utc(until))
    if action:
        query = query.where(message_log.c.action == action)
    if message_id:
        query = query.where(message_log.c.message_id == message_id)
    if direction:
        query = query.where(message_log.c.direction == direction)
    # frames still waiting for the log's next write are included
    rows, total = await ctx.csms.message_log.read(
        lambda conn: fetch_page(conn, query, [message_log.c.at.desc(), message_log.c.id.desc()], paging))
    for row in rows:
        row["frame"] = redact_frame(row["frame"])
    return page(rows, total, paging)


@router.get("/messages", response_model=Page[FrameOut], summary="Search the message log (newest first)")
async def list_messages(ctx: Ctx, _: Operator, paging: PagingDep,
                        station_id: Annotated[str | None, Query(max_length=48)] = None,
                        since: datetime | None = None, until: datetime | None = None,
                        action: Annotated[str | None, Query(max_length=50)] = None,
                        message_id: Annotated[str | None, Query(max_length=36)] = None,
                        direction: Literal["in", "out"] | None = None) -> dict[str, Any]:
    return await _frames(ctx, paging, station_id, since, until, action, message_id, direction)


@router.get("/stations/{station_id}/messages", response_model=Page[FrameOut],
            summary="A station's frames (newest first)")
async def station_messages(ctx: Ctx, _: Operator, station_id: str, paging: PagingDep,
                           since: datetime | None = None, until: datetime | None = None,
                           action: Annotated[str | None, Query(max_length=50)] = None,
                           message_id: Annotated[str | None, Query(max_length=36)] = None,
                           direction: Literal["in", "out"] | None = None) -> dict[str, Any]:
    return await _frames(ctx, paging, station_id, since, until, action, message_id, direction)
