"""Reading the audit log (admins), and checking that its hash chain is intact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from chargeline.api.auth import Admin, Ctx
from chargeline.api.errors import ERROR_RESPONSES
from chargeline.api.paging import Page, PagingDep, page, utc
from chargeline.store.audit import audit_query, list_audit, verify_chain

router = APIRouter(prefix="/audit-log", tags=["audit"], responses=ERROR_RESPONSES)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str | None
    remote: str | None
    method: str
    route: str
    action: str
    target: str | None
    params: Any
    status_code: int
    result: str | None
    hash: str


class ChainState(BaseModel):
    intact: bool
    first_broken_id: int | None


@router.get("", response_model=Page[AuditOut], summary="Audit entries (newest first)")
async def list_entries(ctx: Ctx, _: Admin, paging: PagingDep,
                       actor: Annotated[str | None, Query(max_length=120)] = None,
                       action: Annotated[str | None, Query(max_length=100)] = None,
                       target: Annotated[str | None, Query(max_length=200)] = None,
                       since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    query = audit_query(actor, action, target, utc(since), utc(until))
    rows, total = await ctx.read(lambda conn: list_audit(conn, query, paging.limit, paging.offset))
    return page(rows, total, paging)


@router.get("/verify", response_model=ChainState, summary="Check the hash chain")
async def verify(ctx: Ctx, _: Admin) -> dict[str, Any]:
    broken = await ctx.read(verify_chain)
    return {"intact": broken is None, "first_broken_id": broken}
