"""Transactions: list, detail with meter values, CSV/JSON export, operator soft-stop."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, select, update
from sqlalchemy.engine import Connection

from chargeline.api.audit import note
from chargeline.api.auth import Ctx, Operator, Viewer
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.paging import Page, PagingDep, RecordId, SmallInt, fetch_page, page, utc
from chargeline.csms.commands.redact import mask_token
from chargeline.csms.metering import recompute_energy
from chargeline.domain.clock import utcnow
from chargeline.domain.meter import ENERGY_REGISTER
from chargeline.gateway.identity import station_key
from chargeline.store.schema import meter_values, stations, transaction_events, transactions

router = APIRouter(prefix="/transactions", tags=["transactions"], responses=ERROR_RESPONSES)

EXPORT_LIMIT = 1_000_000
_COLUMNS = ("id", "station_id", "station_transaction_id", "evse_id", "connector_id", "id_token", "id_token_type",
            "status", "started_at", "stopped_at", "meter_start_wh", "meter_stop_wh", "energy_wh", "energy_flags",
            "stop_reason", "stopped_by", "charging_state", "reservation_id", "remote_start_id", "offline",
            "reconciled")


class TransactionOut(BaseModel):
    id: int
    station_id: str
    station_transaction_id: str = Field(description="The id the station knows (1.6: an integer as text).")
    evse_id: int | None
    connector_id: int | None
    id_token: str | None = Field(description="Masked.")
    id_token_type: str | None
    status: str
    started_at: datetime | None
    stopped_at: datetime | None
    meter_start_wh: float | None
    meter_stop_wh: float | None
    energy_wh: float | None
    energy_flags: list[str]
    stop_reason: str | None
    stopped_by: str | None
    charging_state: str | None
    reservation_id: int | None
    remote_start_id: int | None
    offline: bool
    reconciled: bool


class MeterValueOut(BaseModel):
    timestamp: datetime
    measurand: str
    phase: str | None
    location: str | None
    context: str | None
    unit: str | None
    value: float | None
    raw_value: str
    evse_id: int | None
    connector_id: int | None


class TransactionEventOut(BaseModel):
    seq_no: int
    event_type: str
    trigger_reason: str
    timestamp: datetime
    received_at: datetime
    offline: bool


class TransactionDetail(TransactionOut):
    meter_values: list[MeterValueOut]
    events: list[TransactionEventOut]


class SoftStop(BaseModel):
    model_config = ConfigDict(extra="forbid")
    meter_stop_wh: float | None = Field(None, ge=0, description="Default: the last energy register reading, "
                                                                "else the meter start.")
    reason: str = Field("SoftStop", min_length=1, max_length=40)
    stopped_at: datetime | None = Field(None, description="Default: now.")


class SoftStopOut(TransactionOut):
    meter_stop_source: Literal["given", "last_sample", "meter_start", "none"]


_SELECT = select(transactions, stations.c.display_id).select_from(
    transactions.outerjoin(stations, transactions.c.station_id == stations.c.id))


def transaction_out(row: Any) -> dict[str, Any]:
    out = {k: row[k] for k in _COLUMNS if k in row and k not in ("station_id", "id_token", "energy_flags")}
    station_tx = row["station_tx_id"]
    out.update(station_id=row["display_id"] or row["station_id"],
               station_transaction_id=(station_tx.removeprefix("v16:") if station_tx else str(row["id"])),
               id_token=mask_token(row["id_token"]) if row["id_token"] else None,
               energy_flags=[f for f in (row["energy_flags"] or "").split(",") if f])
    return out


def _filtered(station_id: str | None, status: str | None, id_token: str | None, evse_id: int | None,
              since: datetime | None, until: datetime | None, reconciled: bool | None) -> Select[Any]:
    query = _SELECT
    if station_id:
        query = query.where(transactions.c.station_id == station_key(station_id))
    if status:
        query = query.where(transactions.c.status == status)
    if id_token:
        query = query.where(transactions.c.id_token == id_token)
    if evse_id is not None:
        query = query.where(transactions.c.evse_id == evse_id)
    if since:
        query = query.where(transactions.c.started_at >= utc(since))
    if until:
        query = query.where(transactions.c.started_at < utc(until))
    if reconciled is not None:
        query = query.where(transactions.c.reconciled == reconciled)
    return query


def _filters(station_id: Annotated[str | None, Query(max_length=48)] = None,
             status: Literal["active", "ended"] | None = None,
             id_token: Annotated[str | None, Query(max_length=255, description="Exact token value.")] = None,
             evse_id: SmallInt = None,
             since: Annotated[datetime | None, Query(description="Started at or after.")] = None,
             until: Annotated[datetime | None, Query(description="Started before.")] = None,
             reconciled: bool | None = None) -> Select[Any]:
    return _filtered(station_id, status, id_token, evse_id, since, until, reconciled)


Filters = Annotated[Select[Any], Depends(_filters)]


@router.get("", response_model=Page[TransactionOut], summary="List transactions")
async def list_transactions(ctx: Ctx, _: Viewer, paging: PagingDep, query: Filters) -> dict[str, Any]:
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, transactions.c.id.desc(), paging))
    return page([transaction_out(r) for r in rows], total, paging)


@router.get("/export", summary="Export transactions as CSV or JSON (same filters as the list)",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/json": {"schema": {"type": "array",
                                                                         "items": {"type": "object"}}}}}})
async def export_transactions(ctx: Ctx, _: Viewer, query: Filters,
                              format: Literal["csv", "json"] = "csv") -> StreamingResponse:
    rows = await ctx.read(lambda conn: [transaction_out(r) for r in conn.execute(
        query.order_by(transactions.c.id).limit(EXPORT_LIMIT)).mappings()])
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    if format == "json":
        body: Iterator[bytes] = iter([orjson.dumps(rows, option=orjson.OPT_UTC_Z)])
        media, name = "application/json", f"transactions-{stamp}.json"
    else:
        body, media, name = _csv(rows), "text/csv; charset=utf-8", f"transactions-{stamp}.csv"
    return StreamingResponse(body, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(rows: list[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_COLUMNS)
    for i, row in enumerate(rows):
        writer.writerow([_cell(row.get(c)) for c in _COLUMNS])
        if i % 1000 == 999:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # no formula injection in spreadsheets
    return value


async def _load(ctx: Any, tx_id: int) -> dict[str, Any]:
    row = await ctx.read(lambda conn: conn.execute(_SELECT.where(transactions.c.id == tx_id)).mappings().first())
    if row is None:
        raise ApiError(404, "transaction_not_found", f"no transaction {tx_id}")
    return dict(row)


@router.get("/{transaction_id}", response_model=TransactionDetail, summary="Transaction with meter values")
async def get_transaction(ctx: Ctx, _: Viewer, transaction_id: RecordId,
                          measurand: Annotated[str | None, Query(max_length=50)] = None) -> dict[str, Any]:
    row = await _load(ctx, transaction_id)

    def read(conn: Connection) -> tuple[list[Any], list[Any]]:
        samples = select(meter_values).where(meter_values.c.transaction_id == transaction_id)
        if measurand:
            samples = samples.where(meter_values.c.measurand == measurand)
        mv = conn.execute(samples.order_by(meter_values.c.timestamp, meter_values.c.id).limit(100_000)).mappings()
        events: Any = conn.execute(select(transaction_events).where(and_(
            transaction_events.c.station_id == row["station_id"],
            transaction_events.c.station_tx_id == row["station_tx_id"])).order_by(transaction_events.c.seq_no)
        ).mappings() if row["station_tx_id"] else []
        return [dict(m) for m in mv], [dict(e) for e in events]

    samples, events = await ctx.read(read)
    return {**transaction_out(row), "meter_values": samples, "events": events}


@router.post("/{transaction_id}/soft-stop", response_model=SoftStopOut,
             summary="Close a transaction the station never stopped",
             description="Records who closed it (`stopped_by` = csms:operator:<key>) and the meter reading used. "
                         "Nothing is sent to the station; a later real Stop from the station still applies.",
                         name="transactions.soft_stop")
async def soft_stop(request: Request, ctx: Ctx, principal: Operator, transaction_id: RecordId,
                    body: SoftStop) -> dict[str, Any]:
    note(request, "transactions.soft_stop", str(transaction_id), body.model_dump(mode="json"))
    row = await _load(ctx, transaction_id)
    if row["status"] != "active":
        raise ApiError(409, "transaction_not_active", f"transaction {transaction_id} is {row['status']}")
    stopped_at, now = utc(body.stopped_at) or utcnow(), utcnow()
    by = f"csms:operator:{principal.actor}"[:100]

    def unit(conn: Connection) -> tuple[bool, str]:
        meter, source = body.meter_stop_wh, "given"
        if meter is None:
            meter = conn.execute(select(meter_values.c.value).where(and_(
                meter_values.c.transaction_id == transaction_id, meter_values.c.measurand == ENERGY_REGISTER,
                meter_values.c.phase.is_(None), meter_values.c.value.is_not(None)))
                .order_by(meter_values.c.timestamp.desc(), meter_values.c.id.desc()).limit(1)).scalar()
            source = "last_sample"
        if meter is None:
            meter, source = row["meter_start_wh"], "meter_start" if row["meter_start_wh"] is not None else "none"
        result = conn.execute(update(transactions).where(and_(
            transactions.c.id == transaction_id, transactions.c.status == "active")).values(
            status="ended", stopped_at=stopped_at, stop_received_at=now, meter_stop_wh=meter,
            stop_reason=body.reason, stopped_by=by))
        if not result.rowcount:
            return False, source
        recompute_energy(conn, transaction_id)
        return True, source

    applied, source = await ctx.write(unit)
    if not applied:
        raise ApiError(409, "transaction_not_active", f"transaction {transaction_id} ended meanwhile")
    session = ctx.csms.connections.get(row["station_id"])
    if session is not None:  # meter values on that EVSE no longer belong to it
        for evse_id in [e for e, t in session.active_tx.items() if t == transaction_id]:
            del session.active_tx[evse_id]
    ctx.publish("transaction_ended", row["display_id"] or row["station_id"], transaction_id=transaction_id,
                reason=body.reason, stopped_by=by, soft_stop=True)
    note(request, "transactions.soft_stop", str(transaction_id), {**body.model_dump(mode="json"),
                                                                   "meter_stop_source": source})
    return {**transaction_out(await _load(ctx, transaction_id)), "meter_stop_source": source}
