"""Stations: list, detail, EVSEs/connectors, configuration snapshot, boots, connection state, CRUD."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from chargeline.api.audit import note
from chargeline.api.auth import Admin, Ctx, Viewer
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.paging import Page, PagingDep, SmallInt, fetch_page, page, utc
from chargeline.api.routes.configuration import configuration_snapshot
from chargeline.domain.clock import utcnow
from chargeline.gateway.credentials import hash_password
from chargeline.gateway.identity import BadIdentity, identity_from_path, station_key
from chargeline.store.schema import boots, connectors, security_events, stations, status_history, transactions

router = APIRouter(prefix="/stations", tags=["stations"], responses=ERROR_RESPONSES)

BootPolicy = Literal["Accepted", "Pending", "Rejected"]


class LiveConnection(BaseModel):
    ocpp_version: str
    remote: str
    connected_at: datetime
    boot_status: str | None
    queued_commands: int


class StationOut(BaseModel):
    station_id: str
    security_profile: int
    has_password: bool
    boot_policy: str
    boot_status: str | None
    lenient: bool
    ocpp_version: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    modem_iccid: str | None
    modem_imsi: str | None
    meter_type: str | None
    meter_serial: str | None
    heartbeat_interval: int | None
    last_boot_at: datetime | None
    last_seen_at: datetime | None
    last_connected_at: datetime | None
    last_disconnected_at: datetime | None
    clock_skew_s: float | None
    created_at: datetime
    connected: bool
    connection: LiveConnection | None


class ConnectorOut(BaseModel):
    connector_id: int
    status: str
    error_code: str | None
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    station_time: datetime | None
    received_at: datetime


class EvseOut(BaseModel):
    evse_id: int
    connectors: list[ConnectorOut]
    active_transaction_id: int | None


class StationDetail(StationOut):
    evses: list[EvseOut]
    active_transactions: int


class StationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    station_id: str = Field(min_length=1, max_length=48, description="The identity the station uses in its URL.")
    password: str | None = Field(None, min_length=16, max_length=40, description="HTTP Basic password "
                                 "(profiles 1 and 2). Stored as a salted hash, never returned.")
    security_profile: int = Field(1, ge=0, le=3)
    boot_policy: BootPolicy = "Accepted"
    lenient: bool = False


class StationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(None, min_length=16, max_length=40, description="New password; null removes it.")
    security_profile: int | None = Field(None, ge=0, le=3)
    boot_policy: BootPolicy | None = None
    lenient: bool | None = None


class StatusOut(BaseModel):
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None
    info: str | None
    station_time: datetime | None
    received_at: datetime


class BootOut(BaseModel):
    received_at: datetime
    reason: str | None
    status: str
    ocpp_version: str
    payload: dict[str, Any]


class SecurityEventOut(BaseModel):
    event_type: str
    timestamp: datetime
    received_at: datetime
    tech_info: str | None
    critical: bool


class ConnectionState(BaseModel):
    station_id: str
    connected: bool
    connection: LiveConnection | None
    last_connected_at: datetime | None
    last_disconnected_at: datetime | None
    last_seen_at: datetime | None


def _connection(ctx: Any, key: str) -> dict[str, Any] | None:
    session = ctx.csms.connections.get(key)
    if session is None:
        return None
    return {"ocpp_version": session.version.label, "remote": session.remote, "connected_at": session.connected_at,
            "boot_status": session.boot_status, "queued_commands": ctx.csms.commands.station_queue(key)}


def station_out(ctx: Any, row: dict[str, Any]) -> dict[str, Any]:
    connection = _connection(ctx, row["id"])
    out = {k: row[k] for k in StationOut.model_fields if k in row}
    out.update(station_id=row["display_id"], has_password=row["password_hash"] is not None,
               connected=connection is not None, connection=connection)
    return out


async def load_station(ctx: Any, station_id: str) -> dict[str, Any]:
    """The station row, or 404 `station_not_found`."""
    key = station_key(station_id)
    row = await ctx.read(lambda conn: conn.execute(select(stations).where(stations.c.id == key)).mappings().first())
    if row is None:
        raise ApiError(404, "station_not_found", f"no station {station_id!r}")
    return dict(row)


def _check_identity(station_id: str) -> None:
    try:
        identity_from_path("/ocpp/" + quote(station_id, safe=""))
    except BadIdentity as exc:
        raise ApiError(422, "invalid_station_id", str(exc)) from None


def _check_profile(profile: int, has_password: bool) -> None:
    if profile in (1, 2) and not has_password:
        raise ApiError(422, "password_required", f"security profile {profile} needs a password")


@router.get("", response_model=Page[StationOut], summary="List stations")
async def list_stations(ctx: Ctx, _: Viewer, paging: PagingDep,
                        connected: Annotated[bool | None, Query(description="Only (dis)connected stations.")] = None,
                        boot_status: Annotated[str | None, Query(max_length=10)] = None,
                        ocpp_version: Annotated[str | None, Query(max_length=12)] = None,
                        vendor: Annotated[str | None, Query(max_length=50)] = None,
                        model: Annotated[str | None, Query(max_length=50)] = None,
                        q: Annotated[str | None, Query(max_length=48, description="Part of the station id.")] = None,
                        ) -> dict[str, Any]:
    query = select(stations)
    if connected is not None:
        keys = [s.station_id for s in ctx.csms.connections]
        query = query.where(stations.c.id.in_(keys) if connected else stations.c.id.not_in(keys))
    for column, value in ((stations.c.boot_status, boot_status), (stations.c.ocpp_version, ocpp_version),
                          (stations.c.vendor, vendor), (stations.c.model, model)):
        if value is not None:
            query = query.where(column == value)
    if q:
        pattern = "%" + q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(stations.c.id.like(pattern, escape="\\"))
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, stations.c.id, paging))
    return page([station_out(ctx, r) for r in rows], total, paging)


@router.post("", status_code=201, response_model=StationOut, summary="Add a station", name="stations.create")
async def create_station(request: Request, ctx: Ctx, principal: Admin, body: StationCreate) -> dict[str, Any]:
    note(request, "stations.create", body.station_id, body.model_dump(exclude={"password"}))
    _check_identity(body.station_id)
    _check_profile(body.security_profile, body.password is not None)
    key = station_key(body.station_id)
    password_hash = await asyncio.to_thread(hash_password, body.password) if body.password else None
    row = {"id": key, "display_id": body.station_id, "security_profile": body.security_profile,
           "password_hash": password_hash,
           "boot_policy": body.boot_policy, "lenient": body.lenient, "created_at": utcnow()}

    def unit(conn: Connection) -> bool:
        if conn.execute(select(stations.c.id).where(stations.c.id == key)).first() is not None:
            return False
        conn.execute(insert(stations).values(**row))
        return True

    if not await ctx.write(unit):
        raise ApiError(409, "station_exists", f"station {body.station_id!r} already exists")
    return station_out(ctx, await load_station(ctx, body.station_id))


@router.get("/{station_id}", response_model=StationDetail, summary="Station detail with EVSEs and connectors")
async def get_station(ctx: Ctx, _: Viewer, station_id: str) -> dict[str, Any]:
    row = await load_station(ctx, station_id)
    evses = await _evses(ctx, row["id"])
    out = station_out(ctx, row)
    out.update(evses=evses, active_transactions=sum(1 for e in evses if e["active_transaction_id"]))
    return out


@router.patch("/{station_id}", response_model=StationOut, summary="Change credentials, profile or boot policy",
              name="stations.update")
async def update_station(request: Request, ctx: Ctx, principal: Admin, station_id: str,
                         body: StationUpdate) -> dict[str, Any]:
    given = body.model_fields_set
    note(request, "stations.update", station_id,
         {**body.model_dump(include=given - {"password"}), **({"password": "***"} if "password" in given else {})})
    row = await load_station(ctx, station_id)
    values: dict[str, Any] = {}
    if "password" in given:
        # scrypt is deliberately slow: never on the event loop
        values["password_hash"] = await asyncio.to_thread(hash_password, body.password) if body.password else None
    for name in ("security_profile", "boot_policy", "lenient"):
        if name in given:
            if getattr(body, name) is None:
                raise ApiError(422, "validation_error", f"{name} cannot be null")
            values[name] = getattr(body, name)
    has_password = values.get("password_hash", row["password_hash"]) is not None
    _check_profile(values.get("security_profile", row["security_profile"]), has_password)
    if values:
        key = row["id"]
        await ctx.write(lambda conn: conn.execute(update(stations).where(stations.c.id == key).values(**values)))
    return station_out(ctx, await load_station(ctx, station_id))


@router.delete("/{station_id}", status_code=204, summary="Remove a station (and disconnect it)", name="stations.delete")
async def delete_station(request: Request, ctx: Ctx, principal: Admin, station_id: str,
                         force: Annotated[bool, Query(description="Also delete its transactions and history.")] = False
                         ) -> Response:
    note(request, "stations.delete", station_id, {"force": force})
    key = (await load_station(ctx, station_id))["id"]

    def unit(conn: Connection) -> bool:
        has_history = conn.execute(select(func.count()).select_from(transactions)
                                   .where(transactions.c.station_id == key)).scalar_one() > 0
        if has_history and not force:
            return False
        conn.execute(delete(stations).where(stations.c.id == key))
        return True

    if not await ctx.write(unit):
        raise ApiError(409, "station_has_history", "the station has transactions; use force=true to delete them too")
    session = ctx.csms.connections.get(key)
    if session is not None and session.peer is not None:
        session.peer.close()
        close = getattr(session.peer.socket, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close(1008, "station removed")
    ctx.publish("station_deleted", station_id)
    return Response(status_code=204)


async def _evses(ctx: Any, key: str) -> list[dict[str, Any]]:
    def read(conn: Connection) -> tuple[list[Any], dict[int, int]]:
        rows = conn.execute(select(connectors).where(connectors.c.station_id == key)
                            .order_by(connectors.c.evse_id, connectors.c.connector_id)).mappings().all()
        active = conn.execute(select(transactions.c.evse_id, transactions.c.id).where(and_(
            transactions.c.station_id == key, transactions.c.status == "active",
            transactions.c.evse_id.is_not(None)))).all()
        return list(rows), {evse: tx for evse, tx in active}

    rows, active = await ctx.read(read)
    evses: dict[int, dict[str, Any]] = {}
    for r in rows:
        evse = evses.setdefault(r["evse_id"], {"evse_id": r["evse_id"], "connectors": [],
                                               "active_transaction_id": active.get(r["evse_id"])})
        evse["connectors"].append({k: r[k] for k in ConnectorOut.model_fields})
    for evse_id, tx in active.items():
        evses.setdefault(evse_id, {"evse_id": evse_id, "connectors": [], "active_transaction_id": tx})
    return [evses[k] for k in sorted(evses)]


@router.get("/{station_id}/evses", response_model=list[EvseOut], summary="EVSEs and connectors with their status")
async def get_evses(ctx: Ctx, _: Viewer, station_id: str) -> list[dict[str, Any]]:
    return await _evses(ctx, (await load_station(ctx, station_id))["id"])


@router.get("/{station_id}/connection", response_model=ConnectionState, summary="Connection state")
async def get_connection(ctx: Ctx, _: Viewer, station_id: str) -> dict[str, Any]:
    row = await load_station(ctx, station_id)
    connection = _connection(ctx, row["id"])
    return {"station_id": row["display_id"], "connected": connection is not None, "connection": connection,
            "last_connected_at": row["last_connected_at"], "last_disconnected_at": row["last_disconnected_at"],
            "last_seen_at": row["last_seen_at"]}


@router.get("/{station_id}/status-history", response_model=Page[StatusOut], summary="Connector status history")
async def get_status_history(ctx: Ctx, _: Viewer, station_id: str, paging: PagingDep,
                             since: datetime | None = None, until: datetime | None = None,
                             evse_id: SmallInt = None) -> dict[str, Any]:
    key = (await load_station(ctx, station_id))["id"]
    query = select(status_history).where(status_history.c.station_id == key)
    if since:
        query = query.where(status_history.c.received_at >= utc(since))
    if until:
        query = query.where(status_history.c.received_at < utc(until))
    if evse_id is not None:
        query = query.where(status_history.c.evse_id == evse_id)
    rows, total = await ctx.read(lambda conn: fetch_page(
        conn, query, [status_history.c.received_at.desc(), status_history.c.id.desc()], paging))
    return page(rows, total, paging)


@router.get("/{station_id}/boots", response_model=Page[BootOut], summary="BootNotifications received")
async def get_boots(ctx: Ctx, _: Viewer, station_id: str, paging: PagingDep) -> dict[str, Any]:
    key = (await load_station(ctx, station_id))["id"]
    query = select(boots).where(boots.c.station_id == key)
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, boots.c.id.desc(), paging))
    return page(rows, total, paging)


@router.get("/{station_id}/security-events", response_model=Page[SecurityEventOut],
            summary="Security events the station reported")
async def get_security_events(ctx: Ctx, _: Viewer, station_id: str, paging: PagingDep,
                              critical: bool | None = None) -> dict[str, Any]:
    key = (await load_station(ctx, station_id))["id"]
    query = select(security_events).where(security_events.c.station_id == key)
    if critical is not None:
        query = query.where(security_events.c.critical == critical)
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, security_events.c.id.desc(), paging))
    return page(rows, total, paging)


@router.get("/{station_id}/configuration", summary="Configuration (1.6) or device-model (2.x) snapshot",
            description="Built from the station's answers to get_configuration (1.6) or from its NotifyReport "
                        "parts after get_base_report / get_report (2.x), newest value first. Secret values are "
                        "never shown.")
async def get_configuration(ctx: Ctx, _: Viewer, station_id: str) -> dict[str, Any]:
    row = await load_station(ctx, station_id)
    return await ctx.read(lambda conn: configuration_snapshot(conn, row["id"], row["ocpp_version"]))

