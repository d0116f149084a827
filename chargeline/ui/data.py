"""Read-only aggregates for the dashboard (any role): the overview and the compact station table.

They exist because the public API pages through stations one resource at a time; a control room
watching hundreds of stations wants their summary in one request. Not part of the versioned API.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from chargeline.api.auth import Ctx, Viewer
from chargeline.api.paging import utc
from chargeline.domain.clock import utcnow
from chargeline.ui.fleet import station_rows
from chargeline.ui.overview import overview

router = APIRouter(prefix="/ui/api", tags=["dashboard"], include_in_schema=False)


@router.get("/overview")
async def get_overview(ctx: Ctx, _: Viewer, since: Annotated[datetime | None, Query(
        description="Start of the operator's day, for the energy of today (default: 24 h ago).")] = None
                       ) -> dict[str, Any]:
    now = utcnow()
    start = utc(since) or now - timedelta(hours=24)
    return await ctx.read(lambda conn: overview(conn, ctx.csms, start, now))


@router.get("/stations")
async def get_stations(ctx: Ctx, _: Viewer) -> dict[str, Any]:
    items = await ctx.read(lambda conn: station_rows(conn, ctx.csms))
    return {"items": items, "total": len(items), "at": utcnow()}
