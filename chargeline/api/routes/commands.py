"""Commands: one POST per operation, plus reading, polling and cancelling commands.

`POST /stations/{id}/commands/<operation>` waits for the station's answer (up to `timeout`
seconds) and returns the command record; with `wait=false`, or when the call is still queued
behind others when the wait ends, it answers 202 with the record to poll at `/commands/{id}`.

(No `from __future__ import annotations` here: the routes are built per operation at import time
and FastAPI must see each request model as a real class.)
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from chargeline.api.audit import note
from chargeline.api.auth import Ctx, Operator, Viewer
from chargeline.api.errors import ERROR_RESPONSES, ApiError, error_response
from chargeline.api.paging import Page, PagingDep, RecordId, fetch_page, page, utc
from chargeline.api.routes.stations import load_station
from chargeline.csms.commands import OPERATIONS, Operation, required_role
from chargeline.csms.commands.reports import command_reports, started_transaction
from chargeline.gateway.identity import station_key
from chargeline.store.api_schema import commands
from chargeline.store.schema import stations

router = APIRouter(tags=["commands"], responses=ERROR_RESPONSES)


class CommandOut(BaseModel):
    id: int
    station_id: str
    operation: str
    action: str
    ocpp_version: str
    actor: str
    request: dict[str, Any]
    payload: dict[str, Any]
    status: str
    outcome: str | None
    response: dict[str, Any] | None
    error_code: str | None
    error_description: str | None
    message_id: str | None
    timeout_s: float
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None


class Reports(BaseModel):
    items: list[dict[str, Any]]
    complete: bool


class CommandDetail(CommandOut):
    reports: Reports
    transaction_id: int | None


class OperationOut(BaseModel):
    name: str
    summary: str
    role: str
    versions: list[str]
    reports: dict[str, list[str]]
    request_schema: dict[str, Any]


# --- the final answer of a synchronous command -------------------------------------------------

def _answer(record: dict[str, Any], waited: bool) -> Response:
    body = CommandOut.model_validate(record).model_dump(mode="json")
    status = record["status"]
    if not waited or status in ("queued", "sent"):
        return JSONResponse(body, status_code=202, headers={"Location": f"/api/v1/commands/{record['id']}"})
    if status == "completed":
        return JSONResponse(body)
    if status == "timeout":
        return error_response(504, "station_timeout", record["error_description"] or "no answer", {"command": body})
    if status == "failed" and record["error_code"] == "StationOffline":
        return error_response(409, "station_offline", record["error_description"], {"command": body})
    if status == "failed" and record["error_code"] == "VersionChanged":
        return error_response(409, "version_changed", record["error_description"], {"command": body})
    if status == "cancelled":
        return error_response(409, "cancelled", "the command was cancelled before it was sent", {"command": body})
    if status == "connection_lost":
        return error_response(502, "connection_lost", record["error_description"] or "", {"command": body})
    return error_response(502, "station_error", f"the station answered {record['error_code']}: "
                          f"{record['error_description'] or ''}", {"command": body})


def _command_route(op: Operation) -> None:
    model = op.model

    async def endpoint(request: Request, ctx: Ctx, principal: Viewer, station_id: str,
                       body: Annotated[model, Body()],  # type: ignore[valid-type]
                       wait: Annotated[bool, Query(description="Wait for the station's answer.")] = True,
                       timeout: Annotated[float | None, Query(ge=1, le=300, description="Seconds to wait for the "
                                                              "answer (default: the CSMS call timeout).")] = None,
                       ) -> Response:
        params = body.model_dump(mode="json", exclude_none=True)  # type: ignore[attr-defined]
        note(request, f"commands.{op.name}", station_id, params)
        role = required_role(op, body)
        if not principal.allows(role):
            raise ApiError(403, "forbidden", f"{op.name} needs the {role} role (the key has {principal.role})")
        await load_station(ctx, station_id)
        handle = await ctx.csms.commands.submit(station_id, op.name, body, actor=principal.actor, timeout=timeout)
        note(request, f"commands.{op.name}", station_id, params, result=f"command {handle.id}")
        if not wait:
            return _answer(handle.record, waited=False)
        record = await handle.wait(handle.record["timeout_s"] + 2.0)
        answer = _answer(record if record is not None else handle.record, waited=record is not None)
        if record is not None:
            note(request, f"commands.{op.name}", station_id, params,
                 result=f"command {handle.id}: {record['status']} {record['outcome'] or record['error_code'] or ''}")
        return answer

    endpoint.__name__ = f"command_{op.name}"
    versions = ", ".join(op.versions())
    reports = sorted(set(op.reports_v16) | set(op.reports_v2))
    description = (f"{op.summary}\n\nOCPP versions: {versions}. Role: {op.role}."
                   + (f" Asynchronous reports ({', '.join(reports)}) are attached to the command." if reports else ""))
    router.add_api_route(
        f"/stations/{{station_id}}/commands/{op.name}", endpoint, methods=["POST"], summary=op.summary,
        description=description, response_model=CommandOut, operation_id=f"command_{op.name}",
        name=f"commands.{op.name}",
        responses={202: {"model": CommandOut, "description": "queued or still waiting for the station"},
                   502: {"description": "the station answered with a CALLERROR or the connection was lost"},
                   504: {"description": "the station did not answer in time"}})


for _op in OPERATIONS.values():
    _command_route(_op)


# --- reading ------------------------------------------------------------------------------

_SELECT = select(commands, stations.c.display_id).select_from(
    commands.outerjoin(stations, commands.c.station_id == stations.c.id))


def _out(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["station_key"] = out["station_id"]
    out["station_id"] = out.pop("display_id") or out["station_key"]
    return out


@router.get("/operations", response_model=list[OperationOut], summary="The operations and their OCPP versions")
async def list_operations(_: Viewer) -> list[dict[str, Any]]:
    return [{"name": op.name, "summary": op.summary, "role": op.role, "versions": op.versions(),
             "reports": {"1.6": list(op.reports_v16), "2.x": list(op.reports_v2)},
             "request_schema": op.model.model_json_schema()} for op in OPERATIONS.values()]


def _filtered(station_id: str | None, operation: str | None, status: str | None, since: datetime | None,
              until: datetime | None) -> Select[Any]:
    query = _SELECT
    if station_id:
        query = query.where(commands.c.station_id == station_key(station_id))
    if operation:
        query = query.where(commands.c.operation == operation)
    if status:
        query = query.where(commands.c.status == status)
    if since:
        query = query.where(commands.c.created_at >= utc(since))
    if until:
        query = query.where(commands.c.created_at < utc(until))
    return query


@router.get("/commands", response_model=Page[CommandOut], summary="Commands sent (newest first)")
async def list_commands(ctx: Ctx, _: Viewer, paging: PagingDep,
                        station_id: Annotated[str | None, Query(max_length=48)] = None,
                        operation: Annotated[str | None, Query(max_length=50)] = None,
                        status: Annotated[str | None, Query(max_length=20)] = None,
                        since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    query = _filtered(station_id, operation, status, since, until)
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, commands.c.id.desc(), paging))
    return page([_out(r) for r in rows], total, paging)


async def _load(ctx: Any, command_id: int) -> dict[str, Any]:
    def read(conn: Connection) -> dict[str, Any] | None:
        row = conn.execute(_SELECT.where(commands.c.id == command_id)).mappings().first()
        if row is None:
            return None
        out = _out(row)
        out["reports"] = command_reports(conn, out)
        out["transaction_id"] = started_transaction(conn, out)
        return out

    found = await ctx.read(read)
    if found is None:
        raise ApiError(404, "command_not_found", f"no command {command_id}")
    return found


@router.get("/commands/{command_id}", response_model=CommandDetail,
            summary="A command with its result and the reports it caused")
async def get_command(ctx: Ctx, _: Viewer, command_id: RecordId) -> dict[str, Any]:
    return await _load(ctx, command_id)


@router.delete("/commands/{command_id}", response_model=CommandOut, summary="Cancel a command still queued",
               name="commands.cancel")
async def cancel_command(request: Request, ctx: Ctx, principal: Operator, command_id: RecordId) -> dict[str, Any]:
    note(request, "commands.cancel", str(command_id))
    await _load(ctx, command_id)
    if not ctx.csms.commands.cancel(command_id):
        raise ApiError(409, "not_cancellable", "only a command still waiting in its station's queue can be cancelled")
    return await _load(ctx, command_id)

