"""API keys through the API (admins): created keys are shown once; lists show metadata only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from chargeline.api.audit import note
from chargeline.api.auth import Admin, Ctx
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.paging import RecordId
from chargeline.store.api_keys import create_api_key, get_api_key, list_api_keys, revoke_api_key

router = APIRouter(prefix="/api-keys", tags=["api keys"], responses=ERROR_RESPONSES)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown only now, store it safely.")


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: Literal["viewer", "operator", "admin"]


@router.get("", response_model=list[ApiKeyOut], summary="List API keys (never the keys themselves)")
async def list_keys(ctx: Ctx, _: Admin) -> list[dict[str, Any]]:
    return await ctx.read(list_api_keys)


@router.post("", status_code=201, response_model=ApiKeyCreated, summary="Create an API key", name="api_keys.create")
async def create_key(request: Request, ctx: Ctx, principal: Admin, body: ApiKeyCreate) -> dict[str, Any]:
    note(request, "api_keys.create", body.name, body.model_dump())
    if not body.name.strip():
        raise ApiError(422, "validation_error", "name must not be blank")
    record, key = await ctx.write(lambda conn: create_api_key(conn, body.name, body.role, principal.actor))
    note(request, "api_keys.create", f"key:{record.id}:{record.name}", body.model_dump())
    row = await ctx.read(lambda conn: get_api_key(conn, record.id))
    return {**(row or {}), "key": key}


@router.delete("/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key", name="api_keys.revoke")
async def revoke_key(request: Request, ctx: Ctx, principal: Admin, key_id: RecordId) -> dict[str, Any]:
    note(request, "api_keys.revoke", str(key_id))
    row = await ctx.read(lambda conn: get_api_key(conn, key_id))
    if row is None:
        raise ApiError(404, "api_key_not_found", f"no API key {key_id}")
    if not await ctx.write(lambda conn: revoke_api_key(conn, key_id)):
        raise ApiError(409, "already_revoked", f"API key {key_id} is revoked already")
    ctx.keys.clear()
    revoked = await ctx.read(lambda conn: get_api_key(conn, key_id))
    return revoked or row
