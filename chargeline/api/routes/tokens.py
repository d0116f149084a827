"""Id tokens and groups: CRUD and CSV bulk import.

Token values are bearer credentials (an RFID UID can be cloned from its number), so lists show
them masked; an admin may ask for them in full with `reveal=true`. A token is addressed by its
value (case-insensitive), which the caller therefore already knows.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from chargeline.api.audit import note
from chargeline.api.auth import Admin, Ctx, Operator, Viewer
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.paging import Page, PagingDep, fetch_page, page, utc
from chargeline.csms.commands.redact import mask_token
from chargeline.domain.authorization import TOKEN_STATUSES, token_key
from chargeline.domain.clock import parse_station_time, utcnow
from chargeline.store.schema import id_token_groups, id_tokens

router = APIRouter(tags=["id tokens"], responses=ERROR_RESPONSES)

Status = Literal["Accepted", "Blocked", "Expired", "Invalid"]
MAX_IMPORT_BYTES = 16 << 20


class TokenOut(BaseModel):
    id_token: str = Field(description="Masked unless an admin asks with reveal=true.")
    token_type: str | None
    status: str
    expires_at: datetime | None
    group_id: str | None
    language: str | None
    created_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_token: str = Field(min_length=1, max_length=255)
    token_type: str | None = Field(None, max_length=20, description="2.x IdTokenEnumType; null = any type.")
    status: Status = "Accepted"
    expires_at: datetime | None = None
    group_id: str | None = Field(None, min_length=1, max_length=36, description="Created if it does not exist.")
    language: str | None = Field(None, max_length=8)


class TokenUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token_type: str | None = Field(None, max_length=20)
    status: Status | None = None
    expires_at: datetime | None = None
    group_id: str | None = Field(None, min_length=1, max_length=36)
    language: str | None = Field(None, max_length=8)


class GroupOut(BaseModel):
    group_id: str
    name: str
    status: str
    expires_at: datetime | None


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_id: str = Field(min_length=1, max_length=36)
    status: Status = "Accepted"
    expires_at: datetime | None = None


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    expires_at: datetime | None = None


class ImportResult(BaseModel):
    created: int
    updated: int


def _out(row: Any, reveal: bool) -> dict[str, Any]:
    return {"id_token": row["id_token"] if reveal else mask_token(row["id_token"]),
            **{k: row[k] for k in ("token_type", "status", "expires_at", "group_id", "language", "created_at")}}


def _ensure_group(conn: Connection, group: str | None) -> str | None:
    if group is None:
        return None
    key = token_key(group)
    if conn.execute(select(id_token_groups.c.id).where(id_token_groups.c.id == key)).first() is None:
        conn.execute(insert(id_token_groups).values(id=key, name=group, status="Accepted"))
    return key


async def _load(ctx: Any, value: str) -> dict[str, Any]:
    key = token_key(value)
    row = await ctx.read(lambda conn: conn.execute(select(id_tokens).where(id_tokens.c.key == key)).mappings().first())
    if row is None:
        raise ApiError(404, "id_token_not_found", "no such id token")
    return dict(row)


@router.get("/id-tokens", response_model=Page[TokenOut], summary="List id tokens (masked)")
async def list_tokens(ctx: Ctx, principal: Viewer, paging: PagingDep,
                      status: Status | None = None, group_id: Annotated[str | None, Query(max_length=36)] = None,
                      token_type: Annotated[str | None, Query(max_length=20)] = None,
                      reveal: Annotated[bool, Query(description="Full values (admins only).")] = False,
                      ) -> dict[str, Any]:
    if reveal and not principal.allows("admin"):
        raise ApiError(403, "forbidden", "only admins may reveal id tokens")
    query = select(id_tokens)
    if status:
        query = query.where(id_tokens.c.status == status)
    if group_id:
        query = query.where(id_tokens.c.group_id == token_key(group_id))
    if token_type:
        query = query.where(id_tokens.c.token_type == token_type)
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, id_tokens.c.key, paging))
    return page([_out(r, reveal) for r in rows], total, paging)


@router.post("/id-tokens", status_code=201, response_model=TokenOut, summary="Add an id token", name="id_tokens.create")
async def create_token(request: Request, ctx: Ctx, principal: Operator, body: TokenCreate) -> dict[str, Any]:
    note(request, "id_tokens.create", mask_token(body.id_token), body.model_dump(mode="json"))
    row = {"key": token_key(body.id_token), "id_token": body.id_token, "token_type": body.token_type,
           "status": body.status, "expires_at": utc(body.expires_at), "language": body.language,
           "created_at": utcnow()}

    def unit(conn: Connection) -> bool:
        if conn.execute(select(id_tokens.c.key).where(id_tokens.c.key == row["key"])).first() is not None:
            return False
        conn.execute(insert(id_tokens).values(**row, group_id=_ensure_group(conn, body.group_id)))
        return True

    if not await ctx.write(unit):
        raise ApiError(409, "id_token_exists", "this id token exists already")
    return _out(await _load(ctx, body.id_token), reveal=True)


@router.post("/id-tokens/import", response_model=ImportResult, summary="Bulk import id tokens from CSV",
             description="Header row with `id_token` and any of `status, expires_at, group_id, token_type, "
                         "language`. Existing tokens are updated. All or nothing: one bad line rejects the import "
                         "with every error listed (422).",
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
             name="id_tokens.import")
async def import_tokens(request: Request, ctx: Ctx, principal: Operator) -> dict[str, Any]:
    raw = await request.body()
    note(request, "id_tokens.import", None, {"bytes": len(raw)})
    if len(raw) > MAX_IMPORT_BYTES:
        raise ApiError(413, "payload_too_large", f"at most {MAX_IMPORT_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_csv", "the CSV is not UTF-8") from None
    rows, errors = _parse_csv(text)
    if errors:
        raise ApiError(422, "invalid_csv", f"{len(errors)} lines are invalid; nothing was imported", errors[:1000])

    def unit(conn: Connection) -> tuple[int, int]:
        keys = [r["key"] for r in rows]
        existing: set[str] = set()
        for i in range(0, len(keys), 500):
            existing |= set(conn.execute(select(id_tokens.c.key).where(id_tokens.c.key.in_(keys[i:i + 500])))
                            .scalars())
        now, created = utcnow(), 0
        for r in rows:
            values = {k: v for k, v in r.items() if k != "group"}
            values["group_id"] = _ensure_group(conn, r["group"])
            if r["key"] in existing:
                conn.execute(update(id_tokens).where(id_tokens.c.key == r["key"]).values(**values))
            else:
                conn.execute(insert(id_tokens).values(**values, created_at=now))
                created += 1
        return created, len(rows) - created

    created, updated = await ctx.write(unit)
    note(request, "id_tokens.import", None, {"bytes": len(raw), "created": created, "updated": updated})
    return {"created": created, "updated": updated}


def _parse_csv(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in reader.fieldnames or []]
    if "id_token" not in fields:
        return [], [{"line": 1, "error": "the header row must name an id_token column"}]
    unknown = set(fields) - {"id_token", "status", "expires_at", "group_id", "token_type", "language"}
    if unknown:
        return [], [{"line": 1, "error": f"unknown columns: {', '.join(sorted(unknown))}"}]
    rows: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for line, raw in enumerate(reader, start=2):
        r = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        value, status = r.get("id_token", ""), r.get("status") or "Accepted"
        try:
            if not value or len(value) > 255:
                raise ValueError("id_token must be 1 to 255 characters")
            if status not in TOKEN_STATUSES:
                raise ValueError(f"status must be one of {', '.join(TOKEN_STATUSES)}")
            expires = parse_station_time(r["expires_at"]) if r.get("expires_at") else None
            group = r.get("group_id") or None
            if group and len(group) > 36:
                raise ValueError("group_id is at most 36 characters")
            if len(r.get("token_type") or "") > 20 or len(r.get("language") or "") > 8:
                raise ValueError("token_type is at most 20 and language at most 8 characters")
        except ValueError as exc:
            errors.append({"line": line, "error": str(exc)})
            continue
        rows[token_key(value)] = {"key": token_key(value), "id_token": value, "status": status,
                                  "expires_at": expires, "group": group, "token_type": r.get("token_type") or None,
                                  "language": r.get("language") or None}
    if len(rows) > 1_000_000:
        errors.append({"line": 0, "error": "at most 1,000,000 tokens per import"})
    return list(rows.values()), errors


@router.get("/id-tokens/{id_token}", response_model=TokenOut, summary="Read an id token")
async def get_token(ctx: Ctx, _: Viewer, id_token: str) -> dict[str, Any]:
    return _out(await _load(ctx, id_token), reveal=True)


@router.patch("/id-tokens/{id_token}", response_model=TokenOut, summary="Change an id token", name="id_tokens.update")
async def update_token(request: Request, ctx: Ctx, principal: Operator, id_token: str,
                       body: TokenUpdate) -> dict[str, Any]:
    given = body.model_fields_set
    note(request, "id_tokens.update", mask_token(id_token), body.model_dump(mode="json", include=given))
    row = await _load(ctx, id_token)
    if "status" in given and body.status is None:
        raise ApiError(422, "validation_error", "status cannot be null")
    values = {k: getattr(body, k) for k in given if k != "group_id"}
    if "expires_at" in values:
        values["expires_at"] = utc(values["expires_at"])

    def unit(conn: Connection) -> None:
        if "group_id" in given:
            values["group_id"] = _ensure_group(conn, body.group_id)
        if values:
            conn.execute(update(id_tokens).where(id_tokens.c.key == row["key"]).values(**values))

    await ctx.write(unit)
    return _out(await _load(ctx, id_token), reveal=True)


@router.delete("/id-tokens/{id_token}", status_code=204, summary="Delete an id token", name="id_tokens.delete")
async def delete_token(request: Request, ctx: Ctx, principal: Operator, id_token: str) -> Response:
    note(request, "id_tokens.delete", mask_token(id_token))
    key = (await _load(ctx, id_token))["key"]
    await ctx.write(lambda conn: conn.execute(delete(id_tokens).where(id_tokens.c.key == key)))
    return Response(status_code=204)


# --- groups ------------------------------------------------------------------------------

def _group_out(row: Any) -> dict[str, Any]:
    return {"group_id": row["id"], "name": row["name"], "status": row["status"], "expires_at": row["expires_at"]}


async def _load_group(ctx: Any, group_id: str) -> dict[str, Any]:
    key = token_key(group_id)
    row = await ctx.read(lambda conn: conn.execute(select(id_token_groups).where(id_token_groups.c.id == key))
                         .mappings().first())
    if row is None:
        raise ApiError(404, "group_not_found", f"no group {group_id!r}")
    return dict(row)


@router.get("/id-token-groups", response_model=Page[GroupOut], summary="List groups")
async def list_groups(ctx: Ctx, _: Viewer, paging: PagingDep) -> dict[str, Any]:
    rows, total = await ctx.read(lambda conn: fetch_page(conn, select(id_token_groups), id_token_groups.c.id, paging))
    return page([_group_out(r) for r in rows], total, paging)


@router.post("/id-token-groups", status_code=201, response_model=GroupOut, summary="Add a group",
             name="id_token_groups.create")
async def create_group(request: Request, ctx: Ctx, principal: Operator, body: GroupCreate) -> dict[str, Any]:
    note(request, "id_token_groups.create", body.group_id, body.model_dump(mode="json"))
    key = token_key(body.group_id)

    def unit(conn: Connection) -> bool:
        if conn.execute(select(id_token_groups.c.id).where(id_token_groups.c.id == key)).first() is not None:
            return False
        conn.execute(insert(id_token_groups).values(id=key, name=body.group_id, status=body.status,
                                                    expires_at=utc(body.expires_at)))
        return True

    if not await ctx.write(unit):
        raise ApiError(409, "group_exists", f"group {body.group_id!r} exists already")
    return _group_out(await _load_group(ctx, body.group_id))


@router.get("/id-token-groups/{group_id}", response_model=GroupOut, summary="Read a group")
async def get_group(ctx: Ctx, _: Viewer, group_id: str) -> dict[str, Any]:
    return _group_out(await _load_group(ctx, group_id))


@router.patch("/id-token-groups/{group_id}", response_model=GroupOut, summary="Change a group",
              name="id_token_groups.update")
async def update_group(request: Request, ctx: Ctx, principal: Operator, group_id: str,
                       body: GroupUpdate) -> dict[str, Any]:
    given = body.model_fields_set
    note(request, "id_token_groups.update", group_id, body.model_dump(mode="json", include=given))
    key = (await _load_group(ctx, group_id))["id"]
    if "status" in given and body.status is None:
        raise ApiError(422, "validation_error", "status cannot be null")
    values = {k: (utc(v) if k == "expires_at" else v) for k, v in body.model_dump(include=given).items()}
    if values:
        await ctx.write(lambda conn: conn.execute(update(id_token_groups).where(id_token_groups.c.id == key)
                                                  .values(**values)))
    return _group_out(await _load_group(ctx, group_id))


@router.delete("/id-token-groups/{group_id}", status_code=204, summary="Delete a group (its tokens stay)",
               name="id_token_groups.delete")
async def delete_group(request: Request, ctx: Ctx, principal: Admin, group_id: str) -> Response:
    note(request, "id_token_groups.delete", group_id)
    key = (await _load_group(ctx, group_id))["id"]

    def unit(conn: Connection) -> None:
        conn.execute(update(id_tokens).where(id_tokens.c.group_id == key).values(group_id=None))
        conn.execute(delete(id_token_groups).where(id_token_groups.c.id == key))

    await ctx.write(unit)
    return Response(status_code=204)

