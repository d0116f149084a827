"""Station and id-token records, shared by the CLI, the server and (later) the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from chargeline.domain.authorization import TOKEN_STATUSES, token_key
from chargeline.domain.clock import utcnow
from chargeline.gateway.credentials import hash_password
from chargeline.gateway.identity import identity_from_path, station_key
from chargeline.store.schema import id_token_groups, id_tokens, stations
from chargeline.store.sql import insert_ignore, insert_ignore_stmt, upsert

BOOT_POLICIES = ("Accepted", "Pending", "Rejected")  # the answer a station's BootNotification gets


async def add_station(conn: AsyncConnection, display_id: str, password: str | None, security_profile: int,
                      if_missing: bool = False, lenient: bool = False, boot_policy: str = "Accepted") -> None:
    """Create (or, unless `if_missing`, update) a station. Raises ValueError for a bad id or profile."""
    identity_from_path("/ocpp/" + display_id.replace("%", "%25").replace(" ", "%20"))  # same rules as the URL
    if security_profile not in (0, 1, 2, 3):
        raise ValueError("security profile must be 0, 1, 2 or 3")
    if boot_policy not in BOOT_POLICIES:
        raise ValueError(f"boot policy must be one of {', '.join(BOOT_POLICIES)}")
    if security_profile in (1, 2) and not password:
        raise ValueError(f"security profile {security_profile} needs a password (--password)")
    row: dict[str, Any] = {"id": station_key(display_id), "display_id": display_id,
                           "password_hash": hash_password(password) if password else None,
                           "security_profile": security_profile, "boot_policy": boot_policy, "lenient": lenient,
                           "created_at": utcnow()}
    if if_missing:
        await insert_ignore(conn, stations, [row])
    else:  # re-adding changes the settings, never the boot state or history
        await upsert(conn, stations, row, ("id",),
                     ("display_id", "password_hash", "security_profile", "lenient", "boot_policy"))


def add_unknown_station(conn: Connection, display_id: str) -> None:
    """--allow-unknown-stations: register a station on its first connection, without authentication."""
    row = {"id": station_key(display_id), "display_id": display_id, "password_hash": None, "security_profile": 0,
           "boot_policy": "Accepted", "lenient": False, "created_at": utcnow()}
    conn.execute(insert_ignore_stmt(conn, stations), [row])


async def list_stations(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(stations).order_by(stations.c.id))
    return [dict(r) for r in rows.mappings()]


async def add_token(conn: AsyncConnection, id_token: str, status: str = "Accepted", expires: datetime | None = None,
                    group: str | None = None, token_type: str | None = None) -> None:
    if status not in TOKEN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(TOKEN_STATUSES)}")
    if not id_token or len(id_token) > 255:
        raise ValueError("id token must be 1 to 255 characters")
    if expires is not None and expires.tzinfo is None:
        raise ValueError("expiry must carry a UTC offset, e.g. 2027-01-01T00:00:00Z")
    group_id = None
    if group:
        if len(group) > 36:
            raise ValueError("group id must be at most 36 characters")
        group_id = token_key(group)
        await insert_ignore(conn, id_token_groups, [{"id": group_id, "name": group, "status": "Accepted"}])
    await upsert(conn, id_tokens, {"key": token_key(id_token), "id_token": id_token, "token_type": token_type,
                                   "status": status, "expires_at": expires, "group_id": group_id,
                                   "created_at": utcnow()}, ("key",))


async def list_tokens(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(id_tokens).order_by(id_tokens.c.key))
    return [dict(r) for r in rows.mappings()]
