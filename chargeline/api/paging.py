"""Offset paging and time filters shared by the list routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(slots=True, frozen=True)
class Paging:
    limit: int
    offset: int


def _paging(limit: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 100,
            offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(_paging)]

# Integers that reach a database column are bounded (a 64-bit column overflows on larger ones).
MAX_ID = 2**62
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
SmallInt = Annotated[int | None, Query(ge=0, le=2**31 - 1)]


def utc(value: datetime | None) -> datetime | None:
    """Query times without an offset are UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fetch_page(conn: Connection, query: Select[Any], order: Any, paging: Paging) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = conn.execute(query.order_by(*order if isinstance(order, list | tuple) else (order,))
                        .limit(paging.limit).offset(paging.offset)).mappings().all()
    return [dict(r) for r in rows], int(total)


def page(items: list[Any], total: int, paging: Paging) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset}
