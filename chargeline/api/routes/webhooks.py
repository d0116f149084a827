"""Webhook subscriptions and their deliveries (every attempt visible). Admins only: a webhook sees all events."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from chargeline.api.audit import note
from chargeline.api.auth import Admin, Ctx
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.paging import Page, PagingDep, RecordId, fetch_page, page
from chargeline.csms.events import Event
from chargeline.domain.clock import utcnow
from chargeline.gateway.identity import station_key
from chargeline.store.api_schema import webhook_attempts, webhook_deliveries, webhooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("url must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise ValueError("url must not carry credentials")
    return url


def _without_query(url: str) -> str:
    """Receivers often put a token in the query string: the audit log keeps only the address."""
    return urlsplit(url)._replace(query="", fragment="").geturl()


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str | None
    event_types: list[str]
    station_ids: list[str]
    active: bool
    max_attempts: int
    created_at: datetime
    created_by: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The HMAC key; shown only now.")


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000)
    description: str | None = Field(None, max_length=200)
    event_types: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=100, description="Empty: every event type.")
    station_ids: list[Annotated[str, Field(min_length=1, max_length=48)]] = Field(
        default_factory=list, max_length=10_000, description="Empty: every station.")
    active: bool = True
    max_attempts: int = Field(8, ge=1, le=20)

    _url = field_validator("url")(lambda cls, v: _check_url(v))


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, min_length=8, max_length=2000)
    description: str | None = Field(None, max_length=200)
    event_types: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(None, max_length=100)
    station_ids: list[Annotated[str, Field(min_length=1, max_length=48)]] | None = Field(None, max_length=10_000)
    active: bool | None = None
    max_attempts: int | None = Field(None, ge=1, le=20)

    _url = field_validator("url")(lambda cls, v: v if v is None else _check_url(v))


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_type: str
    station_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryOut):
    body: str
    attempt_log: list[AttemptOut]


def _out(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in WebhookOut.model_fields}


async def _load(ctx: Any, webhook_id: int) -> dict[str, Any]:
    row = await ctx.read(lambda conn: conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))
                         .mappings().first())
    if row is None:
        raise ApiError(404, "webhook_not_found", f"no webhook {webhook_id}")
    return dict(row)


@router.get("", response_model=Page[WebhookOut], summary="List webhooks")
async def list_webhooks(ctx: Ctx, _: Admin, paging: PagingDep) -> dict[str, Any]:
    rows, total = await ctx.read(lambda conn: fetch_page(conn, select(webhooks), webhooks.c.id, paging))
    return page([_out(r) for r in rows], total, paging)


@router.post("", status_code=201, response_model=WebhookCreated, summary="Subscribe a URL to events",
             name="webhooks.create")
async def create_webhook(request: Request, ctx: Ctx, principal: Admin, body: WebhookCreate) -> dict[str, Any]:
    note(request, "webhooks.create", _without_query(body.url), {**body.model_dump(), "url": _without_query(body.url)})
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = {**body.model_dump(), "station_ids": sorted({station_key(s) for s in body.station_ids}),
           "secret": secret, "created_at": utcnow(), "created_by": principal.actor}
    webhook_id = await ctx.write(lambda conn: int(conn.execute(insert(webhooks).values(**row))
                                                  .inserted_primary_key[0]))  # type: ignore[index]
    await ctx.webhooks.reload()
    return {**_out(await _load(ctx, webhook_id)), "secret": secret}


@router.get("/{webhook_id}", response_model=WebhookOut, summary="Read a webhook (never its secret)")
async def get_webhook(ctx: Ctx, _: Admin, webhook_id: RecordId) -> dict[str, Any]:
    return _out(await _load(ctx, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change a webhook", name="webhooks.update")
async def update_webhook(request: Request, ctx: Ctx, _: Admin, webhook_id: RecordId, body: WebhookUpdate
                         ) -> dict[str, Any]:
    given = body.model_fields_set
    params = body.model_dump(include=given)
    if params.get("url"):
        params["url"] = _without_query(params["url"])
    note(request, "webhooks.update", str(webhook_id), params)
    await _load(ctx, webhook_id)
    values = body.model_dump(include=given)
    for name in ("url", "event_types", "station_ids", "active", "max_attempts"):
        if name in values and values[name] is None:
            raise ApiError(422, "validation_error", f"{name} cannot be null")
    if "station_ids" in values:
        values["station_ids"] = sorted({station_key(s) for s in values["station_ids"]})
    if values:
        await ctx.write(lambda conn: conn.execute(update(webhooks).where(webhooks.c.id == webhook_id)
                                                  .values(**values)))
        await ctx.webhooks.reload()
    return _out(await _load(ctx, webhook_id))


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated, summary="Replace the signing secret",
             name="webhooks.rotate_secret")
async def rotate_secret(request: Request, ctx: Ctx, _: Admin, webhook_id: RecordId) -> dict[str, Any]:
    note(request, "webhooks.rotate_secret", str(webhook_id))
    await _load(ctx, webhook_id)
    secret = "whsec_" + secrets.token_urlsafe(32)
    await ctx.write(lambda conn: conn.execute(update(webhooks).where(webhooks.c.id == webhook_id)
                                              .values(secret=secret)))
    await ctx.webhooks.reload()
    return {**_out(await _load(ctx, webhook_id)), "secret": secret}


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook and its delivery history",
               name="webhooks.delete")
async def delete_webhook(request: Request, ctx: Ctx, _: Admin, webhook_id: RecordId) -> Response:
    note(request, "webhooks.delete", str(webhook_id))
    await _load(ctx, webhook_id)

    def unit(conn: Connection) -> None:
        ids = select(webhook_deliveries.c.id).where(webhook_deliveries.c.webhook_id == webhook_id)
        conn.execute(delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids)))
        conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
        conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))

    await ctx.write(unit)
    await ctx.webhooks.reload()
    return Response(status_code=204)


@router.post("/{webhook_id}/ping", status_code=202, response_model=DeliveryOut, summary="Send a test event",
             name="webhooks.ping")
async def ping(request: Request, ctx: Ctx, _: Admin, webhook_id: RecordId) -> dict[str, Any]:
    note(request, "webhooks.ping", str(webhook_id))
    row = await _load(ctx, webhook_id)
    if not row["active"]:
        raise ApiError(409, "webhook_inactive", "the webhook is not active")
    ids = await ctx.webhooks.enqueue(Event("ping", None, {"webhook_id": webhook_id}), only=webhook_id)
    return await _delivery(ctx, webhook_id, ids[0])


async def _delivery(ctx: Any, webhook_id: int, delivery_id: int) -> dict[str, Any]:
    def read(conn: Connection) -> dict[str, Any] | None:
        row = conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id,
                                                            webhook_deliveries.c.webhook_id == webhook_id)
                           ).mappings().first()
        if row is None:
            return None
        attempts = conn.execute(select(webhook_attempts).where(webhook_attempts.c.delivery_id == delivery_id)
                                .order_by(webhook_attempts.c.attempt, webhook_attempts.c.id)).mappings().all()
        return {**dict(row), "attempt_log": [dict(a) for a in attempts]}

    found = await ctx.read(read)
    if found is None:
        raise ApiError(404, "delivery_not_found", f"no delivery {delivery_id} for webhook {webhook_id}")
    return found


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut], summary="Deliveries (newest first)")
async def list_deliveries(ctx: Ctx, _: Admin, webhook_id: RecordId, paging: PagingDep,
                          status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None
                          ) -> dict[str, Any]:
    await _load(ctx, webhook_id)
    query = select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
    if status:
        query = query.where(webhook_deliveries.c.status == status)
    rows, total = await ctx.read(lambda conn: fetch_page(conn, query, webhook_deliveries.c.id.desc(), paging))
    return page(rows, total, paging)


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetail,
            summary="A delivery with its body and every attempt")
async def get_delivery(ctx: Ctx, _: Admin, webhook_id: RecordId, delivery_id: RecordId) -> dict[str, Any]:
    return await _delivery(ctx, webhook_id, delivery_id)
