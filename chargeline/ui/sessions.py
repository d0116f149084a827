"""Browser sessions: a random token in an HttpOnly, SameSite=Strict cookie, exchanged for an API key or a
user's name and password at login.

Only the token's SHA-256 is stored. A session carries no role of its own: each check reads the role
of the user or API key behind it (cached for a few seconds), so a revoked key, a disabled user or a
changed role takes effect at once on this node and within `CACHE_TTL` elsewhere. Requests that change
state must also carry `X-CSRF-Token`, derived from the session token, which a page of another origin
cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from fastapi import Request
from sqlalchemy import and_, delete, insert, select
from sqlalchemy.engine import Connection

from chargeline.api.errors import ApiError
from chargeline.domain.clock import utcnow
from chargeline.store.api_keys import ApiKey
from chargeline.store.api_schema import api_keys
from chargeline.store.users_schema import ui_sessions, users
from chargeline.ui.accounts import User

if TYPE_CHECKING:
    from chargeline.api.auth import Principal
    from chargeline.api.context import ApiContext

SESSION_COOKIE = "chargeline_session"
CSRF_HEADER = "X-CSRF-Token"
LIFETIME = timedelta(hours=12)  # one shift; then log in again
CACHE_TTL = 5.0
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN_START = "cls_"


@dataclass(slots=True, frozen=True)
class Session:
    id: int
    identity: ApiKey | User
    expires_at: datetime

    @property
    def kind(self) -> Literal["user", "api_key"]:
        return "user" if isinstance(self.identity, User) else "api_key"


def new_token() -> str:
    return _TOKEN_START + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """What the page must send back in X-CSRF-Token: derived from the cookie it cannot read itself."""
    return hashlib.sha256(b"chargeline-csrf:" + token.encode()).hexdigest()


def create_session(conn: Connection, *, user_id: int | None = None, api_key_id: int | None = None,
                   remote: str | None = None) -> tuple[str, datetime]:
    """A new session for a user or an API key: (token for the cookie, expiry). Expired ones are purged."""
    if (user_id is None) == (api_key_id is None):
        raise ValueError("a session belongs to a user or to an API key")
    now = utcnow()
    conn.execute(delete(ui_sessions).where(ui_sessions.c.expires_at < now))
    token, expires = new_token(), now + LIFETIME
    conn.execute(insert(ui_sessions).values(token_hash=digest(token), user_id=user_id, api_key_id=api_key_id,
                                            created_at=now, expires_at=expires, remote=(remote or "")[:64] or None))
    return token, expires


def load_session(conn: Connection, token: str) -> Session | None:
    """The live session for `token`: not expired, its user enabled or its key not revoked."""
    if not token.startswith(_TOKEN_START) or len(token) > 100:
        return None
    row = conn.execute(
        select(ui_sessions.c.id, ui_sessions.c.expires_at, users.c.id.label("uid"), users.c.name.label("uname"),
               users.c.role.label("urole"), users.c.disabled_at, api_keys.c.id.label("kid"),
               api_keys.c.name.label("kname"), api_keys.c.role.label("krole"), api_keys.c.prefix,
               api_keys.c.revoked_at)
        .select_from(ui_sessions.outerjoin(users, users.c.id == ui_sessions.c.user_id)
                     .outerjoin(api_keys, api_keys.c.id == ui_sessions.c.api_key_id))
        .where(and_(ui_sessions.c.token_hash == digest(token), ui_sessions.c.expires_at > utcnow()))).first()
    if row is None:
        return None
    identity: ApiKey | User
    if row.uid is not None and row.disabled_at is None:
        identity = User(row.uid, row.uname, row.urole)
    elif row.kid is not None and row.revoked_at is None:
        identity = ApiKey(row.kid, row.kname, row.krole, row.prefix)
    else:
        return None
    return Session(row.id, identity, row.expires_at)


def delete_session(conn: Connection, token: str) -> None:
    conn.execute(delete(ui_sessions).where(ui_sessions.c.token_hash == digest(token)))


class SessionCache:
    """Session checks without a database read per request (entries live `ttl` seconds)."""

    def __init__(self, ttl: float = CACHE_TTL, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Session | None, float]] = {}

    def forget(self, token: str) -> None:
        self._entries.pop(digest(token), None)

    async def get(self, ctx: ApiContext, token: str) -> Session | None:
        key, now = digest(token), time.monotonic()
        cached = self._entries.get(key)
        if cached is not None and cached[1] > now:
            found = cached[0]
        else:
            found = await ctx.read(lambda conn: load_session(conn, token))
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (found, now + self.ttl)
        if found is not None and found.expires_at <= utcnow():
            return None
        return found


def session_cache(request: Request) -> SessionCache | None:
    cache: SessionCache | None = getattr(request.app.state, "ui_sessions", None)
    return cache


async def session_principal(request: Request, ctx: ApiContext) -> Principal | None:
    """The caller behind the session cookie, None without a cookie; 401 for a dead session, 403 without CSRF."""
    from chargeline.api.auth import Principal

    token = request.cookies.get(SESSION_COOKIE)
    cache = session_cache(request)
    if not token or cache is None:
        return None
    session = await cache.get(ctx, token)
    if session is None:
        raise ApiError(401, "unauthenticated", "the session has ended; log in again")
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
            raise ApiError(403, "forbidden", f"a request that changes state needs the {CSRF_HEADER} header")
    return Principal(session.identity, request.client.host if request.client else None)
