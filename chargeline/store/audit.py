"""The operator audit log: append-only and hash-chained (security brief §3.2).

Each row stores the hash of the row before it and its own hash over its content, so a row
edited or deleted afterwards breaks the chain, and `verify_chain` finds where.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from chargeline.domain.clock import utcnow
from chargeline.store.api_schema import audit_log

GENESIS = "0" * 64


@dataclass(slots=True)
class AuditEntry:
    actor: str
    method: str
    route: str
    action: str
    status_code: int
    role: str | None = None
    remote: str | None = None
    target: str | None = None
    params: dict[str, Any] | None = None
    result: str | None = None
    at: datetime = field(default_factory=utcnow)


def _row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    content = {k: v for k, v in row.items() if k not in ("id", "hash", "prev_hash")}
    content["at"] = row["at"].isoformat()
    blob = orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(prev_hash.encode() + blob).hexdigest()


def append_audit(conn: Connection, entry: AuditEntry) -> int:
    """Append one entry after the current last row. Runs inside the caller's transaction."""
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    row: dict[str, Any] = {
        "at": entry.at, "actor": entry.actor[:120], "role": entry.role, "remote": (entry.remote or None),
        "method": entry.method[:10], "route": entry.route[:200], "action": entry.action[:100],
        "target": entry.target[:200] if entry.target else None, "params": entry.params,
        "status_code": entry.status_code, "result": entry.result[:200] if entry.result else None,
    }
    prev_hash = prev or GENESIS
    row["prev_hash"] = prev_hash
    row["hash"] = _row_hash(prev_hash, row)
    result = conn.execute(audit_log.insert().values(**row))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def audit_query(actor: str | None = None, action: str | None = None, target: str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> Select[Any]:
    query = select(audit_log)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        query = query.where(audit_log.c.action == action)
    if target:
        query = query.where(audit_log.c.target == target)
    if since:
        query = query.where(audit_log.c.at >= since)
    if until:
        query = query.where(audit_log.c.at < until)
    return query


def list_audit(conn: Connection, query: Select[Any], limit: int, offset: int
                     ) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


def verify_chain(conn: Connection) -> int | None:
    """The id of the first row whose chain is broken, or None if the whole log verifies."""
    prev_hash = GENESIS
    rows = conn.execute(select(audit_log).order_by(audit_log.c.id))
    for row in rows.mappings():
        data = dict(row)
        if data["prev_hash"] != prev_hash or _row_hash(prev_hash, data) != data["hash"]:
            return int(data["id"])
        prev_hash = data["hash"]
    return None
