"""User accounts for the dashboard: a name, a role and a salted scrypt password hash.

Functions take a synchronous `Connection` (the CSMS writer thread, or the CLI's own engine).
Names are case-insensitive and unique; a user is disabled, never deleted (the audit log keeps
naming it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from chargeline.domain.clock import utcnow
from chargeline.gateway.credentials import hash_password, verify_password
from chargeline.store.api_keys import ROLES
from chargeline.store.users_schema import users

MIN_PASSWORD = 12
MAX_PASSWORD = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(slots=True, frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def actor(self) -> str:
        """How the user is named in the audit log and in command records."""
        return f"user:{self.id}:{self.name}"[:120]


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise ValueError("a user name is 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)")
    return name


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")


def create_user(conn: Connection, name: str, role: str, password_hash: str, created_by: str | None = None) -> User:
    """Store a new user; `password_hash` comes from `hash_password` (slow: hash outside the writer)."""
    name = check_name(name)
    check_role(role)
    if conn.execute(select(users.c.id).where(users.c.name_key == name.casefold())).first() is not None:
        raise ValueError(f"a user named {name!r} exists already")
    result = conn.execute(users.insert().values(name=name, name_key=name.casefold(), role=role,
                                                password_hash=password_hash, created_at=utcnow(),
                                                created_by=created_by))
    return User(int(result.inserted_primary_key[0]), name, role)  # type: ignore[index]


def set_password(conn: Connection, name: str, password_hash: str) -> bool:
    result = conn.execute(update(users).where(users.c.name_key == name.strip().casefold())
                          .values(password_hash=password_hash))
    return bool(result.rowcount)


def set_disabled(conn: Connection, name: str, disabled: bool) -> bool:
    result = conn.execute(update(users).where(users.c.name_key == name.strip().casefold())
                          .values(disabled_at=utcnow() if disabled else None))
    return bool(result.rowcount)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Everything but the password hash."""
    rows = conn.execute(select(users.c.id, users.c.name, users.c.role, users.c.created_at, users.c.created_by,
                               users.c.last_login_at, users.c.disabled_at).order_by(users.c.name_key))
    return [dict(r) for r in rows.mappings()]


def find_login(conn: Connection, name: str) -> tuple[User, str] | None:
    """The enabled user called `name` and its password hash."""
    row = conn.execute(select(users.c.id, users.c.name, users.c.role, users.c.password_hash).where(
        users.c.name_key == name.strip().casefold(), users.c.disabled_at.is_(None))).first()
    return (User(row.id, row.name, row.role), row.password_hash) if row else None


def password_matches(password: str, stored: str | None) -> bool:
    """Constant work whether or not the user exists (`stored` None: a dummy hash is checked)."""
    ok = verify_password(password.encode(), stored or _dummy_hash())
    return ok and stored is not None


@cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so that a wrong name costs as much as a wrong password."""
    return hash_password("chargeline-no-such-user")


def touch_login(conn: Connection, user_id: int) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(last_login_at=utcnow()))
