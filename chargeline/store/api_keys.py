"""API keys: created once, shown once, stored only as a hash.

A key is `clk_<prefix>_<secret>`: the prefix (random, public) finds the row without a table
scan and names the key in lists and the audit log; the secret carries 256 bits of randomness,
so a plain SHA-256 is a sufficient verifier (no slow hash needed for machine-generated keys).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from chargeline.domain.clock import utcnow
from chargeline.store.api_schema import api_keys

ROLES: tuple[str, ...] = ("viewer", "operator", "admin")  # each role may do everything the one before it may
_KEY_START = "clk_"


@dataclass(slots=True, frozen=True)
class ApiKey:
    id: int
    name: str
    role: str
    prefix: str

    @property
    def actor(self) -> str:
        """How the key is named in the audit log and in command records."""
        return f"key:{self.id}:{self.name}"[:120]


def role_allows(role: str, required: str) -> bool:
    return ROLES.index(role) >= ROLES.index(required)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """(full key, prefix)."""
    prefix = secrets.token_hex(6)
    return f"{_KEY_START}{prefix}_{secrets.token_urlsafe(32)}", prefix


def create_api_key(conn: Connection, name: str, role: str, created_by: str | None = None
                         ) -> tuple[ApiKey, str]:
    """Store a new key; returns the record and the key, which is not recoverable afterwards."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("name must be 1 to 100 characters")
    key, prefix = new_key()
    result = conn.execute(api_keys.insert().values(
        name=name, role=role, prefix=prefix, key_hash=_digest(key), created_at=utcnow(), created_by=created_by))
    key_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return ApiKey(key_id, name, role, prefix), key


def parse_prefix(key: str) -> str | None:
    if not key.startswith(_KEY_START):
        return None
    prefix, sep, secret = key[len(_KEY_START):].partition("_")
    if not sep or len(prefix) != 12 or not secret:
        return None
    return prefix


def verify_api_key(conn: Connection, key: str) -> ApiKey | None:
    """The active key matching `key`, or None. Comparison is constant-time."""
    prefix = parse_prefix(key)
    if prefix is None:
        return None
    row = conn.execute(select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["key_hash"], _digest(key)):
        return None
    return ApiKey(row["id"], row["name"], row["role"], row["prefix"])


_PUBLIC = (api_keys.c.id, api_keys.c.name, api_keys.c.role, api_keys.c.prefix, api_keys.c.created_at,
           api_keys.c.created_by, api_keys.c.last_used_at, api_keys.c.revoked_at)


def list_api_keys(conn: Connection) -> list[dict[str, Any]]:
    """Key metadata only: the hash never leaves this module."""
    rows = conn.execute(select(*_PUBLIC).order_by(api_keys.c.id))
    return [dict(r) for r in rows.mappings()]


def get_api_key(conn: Connection, key_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(*_PUBLIC).where(api_keys.c.id == key_id)).mappings().first()
    return dict(row) if row else None


def revoke_api_key(conn: Connection, key_id: int) -> bool:
    """Revoke (never delete: the audit log keeps naming it). False if unknown or already revoked."""
    result = conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
    return bool(result.rowcount)


def touch_api_key(conn: Connection, key_id: int, at: datetime) -> None:
    conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at))
