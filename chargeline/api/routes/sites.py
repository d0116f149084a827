"""Sites: the load-management tree, external limits, prices, running sessions and the load over time.

A site is a grid connection (its limit is the site's) with circuits, stations and EVSEs below it.
Changing a site takes effect at once: the allocation loop re-reads it and sends new limits.
Creating, changing and deleting sites needs the admin role (the tree protects a grid
connection); limit schedules, prices and per-session needs are operator business (an energy
management system gets an operator key).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from chargeline.api.audit import note
from chargeline.api.auth import Admin, Ctx, Operator, Viewer
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.paging import Page, PagingDep, RecordId, page, utc
from chargeline.csms.smart_charging import store
from chargeline.csms.smart_charging.topology import GRID, LimitEntry, Node, PriceEntry, Site, TopologyError, validate
from chargeline.domain.clock import utcnow
from chargeline.gateway.identity import station_key
from chargeline.store.smart_charging_schema import sites

router = APIRouter(prefix="/sites", tags=["sites"], responses=ERROR_RESPONSES)

NODE_PATTERN = r"^[A-Za-z0-9._:/#-]{1,64}$"
SiteId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,48}$")]
NodeId = Annotated[str, Field(pattern=NODE_PATTERN)]
Watts = Annotated[float, Field(ge=0, le=1e9)]
Amps = Annotated[float, Field(ge=0, le=1e6)]
Moment = Annotated[datetime, Field(description="RFC 3339; without an offset: UTC.")]
_YEAR_RANGE = (datetime(2000, 1, 1), datetime(2200, 1, 1))


class NodeIn(BaseModel):
    """A node below the grid connection. `parent_id` null (or "grid") hangs it under the grid connection."""

    model_config = ConfigDict(extra="forbid")
    id: NodeId | None = Field(None, description="Default: the station id (station), `<station>/<evse>` (evse).")
    parent_id: NodeId | None = None
    kind: Literal["circuit", "station", "evse"]
    name: str | None = Field(None, max_length=100)
    limit_w: Watts | None = None
    limit_a: Amps | None = Field(None, description="Per phase.")
    phases: int = Field(3, ge=1, le=3)
    station_id: str | None = Field(None, min_length=1, max_length=48, description="Station and evse nodes.")
    evse_id: int | None = Field(None, ge=1, le=1000, description="Evse nodes.")
    evses: int | None = Field(None, ge=1, le=1000, description="Station nodes: EVSE count when no evse nodes.")
    evse_limit_a: Amps | None = Field(None, description="Station nodes: rating of each EVSE, A per phase.")
    evse_limit_w: Watts | None = None
    dc: bool = False
    first_phase: int = Field(1, ge=1, le=3, description="The site phase wired to the EVSE's L1.")


class NodeOut(BaseModel):
    id: str
    parent_id: str | None
    kind: str
    name: str | None
    limit_w: float | None
    limit_a: float | None
    phases: int
    station_id: str | None
    evse_id: int | None
    evses: int | None
    evse_limit_a: float | None
    evse_limit_w: float | None
    dc: bool
    first_phase: int


class SiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: SiteId
    name: str = Field(min_length=1, max_length=100)
    limit_w: Watts | None = Field(None, description="The grid connection, W total.")
    limit_a: Amps | None = Field(None, description="The grid connection, A per phase.")
    phases: int = Field(3, ge=1, le=3)
    voltage: float = Field(230.0, gt=0, le=1000, description="Nominal phase voltage for A <-> W.")
    margin: float = Field(0.0, ge=0, lt=1, description="Fraction of every limit kept free.")
    min_current_a: float = Field(6.0, ge=0, le=100, description="The EV minimum (IEC 61851: 6 A).")
    group_priorities: dict[Annotated[str, Field(min_length=1, max_length=36)], Annotated[int, Field(
        ge=-1000, le=1000)]] = Field(default_factory=dict, description="Id token group -> priority (higher first).")
    nodes: list[NodeIn] = Field(default_factory=list, max_length=5000)


class SiteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    limit_w: Watts | None = None
    limit_a: Amps | None = None
    phases: int | None = Field(None, ge=1, le=3)
    voltage: float | None = Field(None, gt=0, le=1000)
    margin: float | None = Field(None, ge=0, lt=1)
    min_current_a: float | None = Field(None, ge=0, le=100)
    group_priorities: dict[Annotated[str, Field(min_length=1, max_length=36)], Annotated[int, Field(
        ge=-1000, le=1000)]] | None = None
    nodes: list[NodeIn] | None = Field(None, max_length=5000, description="Replaces every node below the grid.")


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Moment
    limit_w: Watts | None = None
    limit_a: Amps | None = Field(None, description="Per phase. Both null: the external limit is released.")


class LimitSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    node_id: NodeId = GRID
    limits: list[LimitIn] = Field(max_length=10_000)


class LimitOut(BaseModel):
    node_id: str
    start: datetime
    limit_w: float | None
    limit_a: float | None
    source: str


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Moment
    end: Moment
    price_per_kwh: float = Field(ge=-1e6, le=1e6)


class PriceOut(BaseModel):
    start: datetime
    end: datetime
    price_per_kwh: float


class SiteOut(BaseModel):
    id: str
    name: str
    limit_w: float | None = Field(description="Static limit of the grid connection (W).")
    limit_a: float | None
    phases: int
    voltage: float
    station_count: int
    current_limit_w: float | None = Field(description="The limit in force now, external schedule included.")
    planned_w: float | None = Field(description="What the last round allows: limits sent plus load not steered.")
    measured_w: float | None = Field(description="Sum of the latest power readings of the site's sessions.")
    sessions: int
    updated_at: datetime


class SiteDetail(SiteOut):
    margin: float
    min_current_a: float
    group_priorities: dict[str, int]
    source: str
    created_at: datetime
    nodes: list[NodeOut]
    limits: list[LimitOut]


class Point(BaseModel):
    at: datetime
    w: float


class LoadOut(BaseModel):
    planned: list[Point]
    measured: list[Point]
    limit: list[Point]


class SessionOut(BaseModel):
    transaction_id: int
    station_id: str
    evse_id: int
    started_at: datetime | None
    group_id: str | None
    priority: int
    target_w: float | None
    target_a: float | None
    applied_w: float | None
    applied_a: float | None
    paused: bool
    via: str | None
    measured_w: float | None
    phases_in_use: int | None
    delivered_wh: float
    energy_wh: float | None
    remaining_wh: float | None
    departure_at: datetime | None
    needs_source: str | None


class SessionUpdate(BaseModel):
    """Per-session settings; only the fields given change (null clears)."""

    model_config = ConfigDict(extra="forbid")
    priority: int | None = Field(None, ge=-1000, le=1000)
    energy_wh: float | None = Field(None, ge=0, le=1e7, description="Energy still wanted, from the session start.")
    departure_at: Moment | None = None
    min_current_a: float | None = Field(None, ge=0, le=1000)
    max_current_a: float | None = Field(None, ge=0, le=1000)
    max_power_w: float | None = Field(None, ge=0, le=1e7)


# --- helpers ---------------------------------------------------------------------------------

def _bounded(moment: datetime, what: str) -> datetime:
    value = utc(moment)
    assert value is not None
    low, high = (m.replace(tzinfo=value.tzinfo) for m in _YEAR_RANGE)
    if not low <= value < high:
        raise ApiError(422, "validation_error", f"{what} must lie between 2000 and 2200")
    return value


def _nodes(body_nodes: list[NodeIn], limit_w: float | None, limit_a: float | None, phases: int,
           name: str) -> tuple[Node, ...]:
    nodes = [Node(GRID, "grid", None, name, limit_w, limit_a, phases)]
    for n in body_nodes:
        node_id = n.id
        if node_id is None:
            if n.kind == "station" and n.station_id:
                node_id = n.station_id
            elif n.kind == "evse" and n.station_id and n.evse_id:
                node_id = f"{n.station_id}/{n.evse_id}"
            else:
                raise ApiError(422, "invalid_site", f"a {n.kind} node needs an id")
        if n.kind == "evse" and n.parent_id is None and n.station_id:
            parent = next((m for m in nodes if m.kind == "station" and (m.station_id or "").casefold()
                           == n.station_id.casefold()), None)
            parent_id = parent.id if parent else None
        else:
            parent_id = n.parent_id or GRID
        nodes.append(Node(node_id, n.kind, parent_id, n.name, n.limit_w, n.limit_a, n.phases, n.station_id,
                          n.evse_id, n.evses, n.evse_limit_a, n.evse_limit_w, n.dc, n.first_phase))
    return tuple(nodes)


async def _check(ctx: Any, site: Site) -> None:
    try:
        validate(site)
    except TopologyError as exc:
        raise ApiError(422, "invalid_site", str(exc)) from None
    service = ctx.csms.smart_charging
    for station in site.station_nodes():
        other = service.station_site.get(station_key(station))
        if other is not None and other != site.id:
            raise ApiError(409, "station_in_other_site", f"station {station} already belongs to site {other!r}")


async def _load(ctx: Any, site_id: str) -> Site:
    now = utcnow()
    found = await ctx.read(lambda conn: store.load_sites(conn, now, keyed=False, site_id=site_id))
    if not found:
        raise ApiError(404, "site_not_found", f"no site {site_id!r}")
    return found[0]


async def _row(ctx: Any, site_id: str) -> dict[str, Any]:
    row = await ctx.read(lambda conn: conn.execute(select(sites).where(sites.c.id == site_id)).mappings().first())
    if row is None:
        raise ApiError(404, "site_not_found", f"no site {site_id!r}")
    return dict(row)


def _summary(ctx: Any, site: Site, row: dict[str, Any]) -> dict[str, Any]:
    service = ctx.csms.smart_charging
    live = service.live.get(site.id) or {}
    grid = site.grid
    keyed = {station_key(s) for s in site.station_nodes()}
    return {"id": site.id, "name": site.name, "limit_w": grid.limit_w, "limit_a": grid.limit_a, "phases": grid.phases,
            "voltage": site.voltage, "station_count": len(site.station_nodes()),
            "current_limit_w": site.site_limit_w(utcnow()), "planned_w": live.get("planned_w"),
            "measured_w": live.get("measured_w"),
            "sessions": sum(1 for s in service.sessions if s.station_id in keyed), "updated_at": row["updated_at"]}


def _detail(ctx: Any, site: Site, row: dict[str, Any]) -> dict[str, Any]:
    out = _summary(ctx, site, row)
    out.update(margin=site.margin, min_current_a=site.min_current_a, group_priorities=dict(site.group_priorities),
               source=site.source, created_at=row["created_at"],
               nodes=[{k: getattr(n, k) for k in NodeOut.model_fields} for n in site.nodes],
               limits=[{"node_id": e.node_id, "start": e.start, "limit_w": e.limit_w, "limit_a": e.limit_a,
                        "source": e.source} for e in site.limits])
    return out


async def _saved(ctx: Any, site: Site) -> None:
    now = utcnow()
    await ctx.write(lambda conn: store.save_site(conn, site, now))
    await ctx.csms.smart_charging.reload_sites()


# --- routes ----------------------------------------------------------------------------------

@router.get("", response_model=Page[SiteOut], summary="List sites with their current planned and measured load")
async def list_sites(ctx: Ctx, _: Viewer, paging: PagingDep) -> dict[str, Any]:
    now = utcnow()
    found = await ctx.read(lambda conn: store.load_sites(conn, now, keyed=False))
    rows = {r["id"]: r for r in await ctx.read(_site_rows)}
    chosen = found[paging.offset: paging.offset + paging.limit]
    return page([_summary(ctx, s, rows[s.id]) for s in chosen], len(found), paging)


def _site_rows(conn: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(sites)).mappings().all()]


@router.post("", status_code=201, response_model=SiteDetail, summary="Create a site", name="sites.create")
async def create_site(request: Request, ctx: Ctx, _: Admin, body: SiteCreate) -> dict[str, Any]:
    note(request, "sites.create", body.id, body.model_dump(mode="json"))
    site = Site(body.id, body.name, _nodes(body.nodes, body.limit_w, body.limit_a, body.phases, body.name),
                body.voltage, body.margin, body.min_current_a,
                {k.casefold(): v for k, v in body.group_priorities.items()})
    await _check(ctx, site)
    if await ctx.read(lambda conn: store.site_exists(conn, body.id)):
        raise ApiError(409, "site_exists", f"site {body.id!r} already exists")
    await _saved(ctx, site)
    return _detail(ctx, await _load(ctx, body.id), await _row(ctx, body.id))


@router.get("/{site_id}", response_model=SiteDetail, summary="Site detail with its nodes and limit schedules")
async def get_site(ctx: Ctx, _: Viewer, site_id: str) -> dict[str, Any]:
    return _detail(ctx, await _load(ctx, site_id), await _row(ctx, site_id))


@router.patch("/{site_id}", response_model=SiteDetail, summary="Change a site (nodes: replaces all of them)",
              name="sites.update")
async def update_site(request: Request, ctx: Ctx, _: Admin, site_id: str, body: SiteUpdate) -> dict[str, Any]:
    given = body.model_fields_set
    note(request, "sites.update", site_id, body.model_dump(mode="json", include=given))
    site = await _load(ctx, site_id)
    grid = site.grid
    for name in ("name", "phases", "voltage", "margin", "min_current_a", "group_priorities"):
        if name in given and getattr(body, name) is None:
            raise ApiError(422, "validation_error", f"{name} cannot be null")
    limit_w = body.limit_w if "limit_w" in given else grid.limit_w
    limit_a = body.limit_a if "limit_a" in given else grid.limit_a
    phases = body.phases if body.phases is not None else grid.phases
    name = body.name or site.name
    below = [n for n in site.nodes if n.kind != "grid"]
    if body.nodes is not None:
        nodes = _nodes(body.nodes, limit_w, limit_a, phases, name)
    else:
        nodes = (Node(GRID, "grid", None, name, limit_w, limit_a, phases), *below)
    updated = replace(site, name=name, nodes=nodes,
                      voltage=body.voltage if body.voltage is not None else site.voltage,
                      margin=body.margin if body.margin is not None else site.margin,
                      min_current_a=body.min_current_a if body.min_current_a is not None else site.min_current_a,
                      group_priorities={k.casefold(): v for k, v in body.group_priorities.items()}
                      if body.group_priorities is not None else site.group_priorities,
                      limits=tuple(e for e in site.limits if e.node_id in {n.id for n in nodes}))
    await _check(ctx, updated)
    await _saved(ctx, updated)
    return _detail(ctx, await _load(ctx, site_id), await _row(ctx, site_id))


@router.delete("/{site_id}", status_code=204, summary="Delete a site (its stations are no longer steered)",
               name="sites.delete")
async def delete_site(request: Request, ctx: Ctx, _: Admin, site_id: str) -> Response:
    note(request, "sites.delete", site_id)
    if not await ctx.write(lambda conn: store.delete_site(conn, site_id)):
        raise ApiError(404, "site_not_found", f"no site {site_id!r}")
    await ctx.csms.smart_charging.reload_sites()
    return Response(status_code=204)


@router.get("/{site_id}/limits", response_model=list[LimitOut], summary="External limit schedules of the site")
async def get_limits(ctx: Ctx, _: Viewer, site_id: str,
                     node_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    site = await _load(ctx, site_id)
    return [{"node_id": e.node_id, "start": e.start, "limit_w": e.limit_w, "limit_a": e.limit_a, "source": e.source}
            for e in site.limits if node_id is None or e.node_id == node_id]


@router.put("/{site_id}/limits", response_model=list[LimitOut], summary="Replace the external limit schedule of "
            "the site or of one node", name="sites.limits",
            description="Body: `{\"node_id\": \"grid\", \"limits\": [{\"start\", \"limit_w\" | \"limit_a\"}]}` or just "
                        "the list (for `?node_id=`, default the grid connection). From each `start` on, the node may "
                        "not exceed the value (the lower of it and the node's static limit applies); an entry "
                        "without values releases the limit. The loop acts at once and at every start.")
async def put_limits(request: Request, ctx: Ctx, principal: Operator, site_id: str,
                     body: LimitSchedule | list[LimitIn],
                     node_id: Annotated[str | None, Query(pattern=NODE_PATTERN)] = None) -> list[dict[str, Any]]:
    schedule = body if isinstance(body, LimitSchedule) else LimitSchedule(node_id=node_id or GRID, limits=body)
    note(request, "sites.limits", f"{site_id}/{schedule.node_id}", schedule.model_dump(mode="json"))
    site = await _load(ctx, site_id)
    if schedule.node_id not in {n.id for n in site.nodes}:
        raise ApiError(404, "node_not_found", f"site {site_id!r} has no node {schedule.node_id!r}")
    source = f"api:{principal.actor}"[:40]
    entries = [LimitEntry(schedule.node_id, _bounded(e.start, "start"), e.limit_w, e.limit_a, source)
               for e in schedule.limits]
    await ctx.write(lambda conn: store.replace_limits(conn, site_id, schedule.node_id, entries))
    await ctx.csms.smart_charging.reload_sites()
    return await get_limits(ctx, principal, site_id, schedule.node_id)


@router.get("/{site_id}/prices", response_model=list[PriceOut], summary="Price schedule of the site")
async def get_prices(ctx: Ctx, _: Viewer, site_id: str) -> list[dict[str, Any]]:
    site = await _load(ctx, site_id)
    return [{"start": p.start, "end": p.end, "price_per_kwh": p.price_per_kwh} for p in site.prices]


@router.put("/{site_id}/prices", response_model=list[PriceOut], summary="Replace the price schedule of the site",
            name="sites.prices",
            description="Slots `[{start, end, price_per_kwh}]`, not overlapping. Sessions with a known energy need "
                        "and departure are planned into the cheapest slots (time without a price is used last).")
async def put_prices(request: Request, ctx: Ctx, principal: Operator, site_id: str,
                     body: list[PriceIn]) -> list[dict[str, Any]]:
    note(request, "sites.prices", site_id, [p.model_dump(mode="json") for p in body][:100])
    if len(body) > 10_000:
        raise ApiError(422, "invalid_prices", "at most 10000 price slots")
    await _row(ctx, site_id)
    entries = sorted((PriceEntry(_bounded(p.start, "start"), _bounded(p.end, "end"), p.price_per_kwh) for p in body),
                     key=lambda p: p.start)
    for entry in entries:
        if entry.end <= entry.start:
            raise ApiError(422, "invalid_prices", "a price slot ends after it starts")
    for before, after in pairwise(entries):
        if after.start < before.end:
            raise ApiError(422, "invalid_prices", "price slots overlap")
    await ctx.write(lambda conn: store.replace_prices(conn, site_id, entries))
    await ctx.csms.smart_charging.reload_sites()
    return await get_prices(ctx, principal, site_id)


@router.get("/{site_id}/load", response_model=LoadOut, summary="Planned and measured load and the limit over time",
            description="Samples between `since` (default: 24 h ago) and `until` (default: now), at most "
                        "`max_points` (evenly thinned).")
async def get_load(ctx: Ctx, _: Viewer, site_id: str, since: datetime | None = None, until: datetime | None = None,
                   max_points: Annotated[int, Query(ge=2, le=100_000)] = 5000) -> dict[str, Any]:
    await _row(ctx, site_id)
    end = utc(until) or utcnow()
    start = utc(since) or end - timedelta(days=1)
    rows = await ctx.read(lambda conn: store.load_history(conn, site_id, start, end, max_points))
    return {"planned": [{"at": r.at, "w": r.planned_w} for r in rows if r.planned_w is not None],
            "measured": [{"at": r.at, "w": r.measured_w} for r in rows if r.measured_w is not None],
            "limit": [{"at": r.at, "w": r.limit_w} for r in rows if r.limit_w is not None]}


@router.get("/{site_id}/sessions", response_model=list[SessionOut], summary="Running sessions: limits, readings, "
            "needs")
async def get_sessions(ctx: Ctx, _: Viewer, site_id: str) -> list[dict[str, Any]]:
    await _row(ctx, site_id)
    return list(ctx.csms.smart_charging.sessions_of_site(site_id))


@router.patch("/{site_id}/sessions/{transaction_id}", response_model=SessionOut, name="sites.session",
              summary="Set a session's priority, energy need, departure or EV limits")
async def update_session(request: Request, ctx: Ctx, _: Operator, site_id: str, transaction_id: RecordId,
                         body: SessionUpdate) -> dict[str, Any]:
    given = body.model_fields_set
    note(request, "sites.session", f"{site_id}/{transaction_id}", body.model_dump(mode="json", include=given))
    await _row(ctx, site_id)
    service = ctx.csms.smart_charging
    session = service.sessions.by_transaction(transaction_id)
    site = service.sites.get(site_id)
    if session is None or site is None or session.station_id not in site.station_nodes():
        raise ApiError(404, "transaction_not_found", f"no running session {transaction_id} at site {site_id!r}")
    values = {name: getattr(body, name) for name in given}
    if values.get("departure_at") is not None:
        values["departure_at"] = _bounded(values["departure_at"], "departure_at")
    await service.set_needs(transaction_id, "api", values)
    found = [s for s in service.sessions_of_site(site_id) if s["transaction_id"] == transaction_id]
    return found[0]
