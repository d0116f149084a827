"""API keys and roles: `Authorization: Bearer <key>` (or `X-API-Key`), roles viewer < operator < admin.

Lookups are cached for a few seconds (a revoked key stops working within `key_cache_ttl`,
at once on the node that revoked it), so authentication costs no database read per request.
Without a key, the dashboard's session cookie is accepted (`chargeline.ui.sessions`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from chargeline.api.context import ApiContext, get_ctx
from chargeline.api.errors import ApiError
from chargeline.domain.clock import utcnow
from chargeline.store.api_keys import ApiKey, role_allows, touch_api_key, verify_api_key

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer clk_…`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key, as an alternative header.")


class Identity(Protocol):
    """An API key, or a dashboard user (`chargeline.ui.accounts.User`)."""

    @property
    def actor(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(slots=True, frozen=True)
class Principal:
    key: Identity
    remote: str | None

    @property
    def actor(self) -> str:
        return self.key.actor

    @property
    def role(self) -> str:
        return self.key.role

    def allows(self, role: str) -> bool:
        return role_allows(self.key.role, role)


class KeyCache:
    def __init__(self, ttl: float, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[ApiKey | None, float]] = {}
        self._touched: dict[int, float] = {}

    def clear(self) -> None:
        self._entries.clear()

    async def verify(self, ctx: ApiContext, key: str) -> ApiKey | None:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        cached = self._entries.get(digest)
        if cached is not None and cached[1] > now:
            found = cached[0]
        else:
            found = await ctx.read(lambda conn: verify_api_key(conn, key))
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = (found, now + self.ttl)
        if found is not None and self._touched.get(found.id, 0.0) + 60 < now:
            self._touched[found.id] = now  # last use, written at most once a minute per key
            key_id, at = found.id, utcnow()
            ctx.csms.writer.submit(lambda conn: touch_api_key(conn, key_id, at))
        return found


async def authenticate(request: Request, ctx: Annotated[ApiContext, Depends(get_ctx)],
                       bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                       header: Annotated[str | None, Depends(_header)]) -> Principal:
    key = bearer.credentials if bearer is not None else header
    challenge = {"WWW-Authenticate": 'Bearer realm="chargeline"'}
    if not key:
        from chargeline.ui.sessions import session_principal  # lazy: the dashboard imports this module

        session = await session_principal(request, ctx)
        if session is not None:
            request.state.principal = session
            return session
        raise ApiError(401, "unauthenticated", "an API key is required (Authorization: Bearer <key>)",
                       headers=challenge)
    found = await ctx.keys.verify(ctx, key.strip())
    if found is None:
        raise ApiError(401, "invalid_api_key", "the API key is unknown or revoked", headers=challenge)
    principal = Principal(found, request.client.host if request.client else None)
    request.state.principal = principal
    return principal


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: an authenticated caller with at least `role`."""

    async def dependency(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.allows(role):
            raise ApiError(403, "forbidden", f"this needs the {role} role (the key has {principal.role})")
        return principal

    return dependency


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Ctx = Annotated[ApiContext, Depends(get_ctx)]
