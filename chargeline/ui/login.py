"""Login and logout: an API key, or a user's name and password, exchanged for a session cookie.

The body must be JSON (a page of another origin cannot send that without a CORS preflight, which
is never granted). Failed logins are counted per address and name, and per address; past the
CSMS's `auth_failures_per_minute` (per name; five times that per address) the answer is 429 for a
minute. Every attempt is in the audit log, never with the key or the password.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from chargeline.api.audit import note
from chargeline.api.auth import Ctx, Principal, Viewer
from chargeline.api.errors import ApiError
from chargeline.store.api_keys import ApiKey
from chargeline.ui.accounts import User, find_login, password_matches, touch_login
from chargeline.ui.sessions import (
    CSRF_HEADER,
    LIFETIME,
    SESSION_COOKIE,
    create_session,
    csrf_token,
    delete_session,
    session_cache,
)

router = APIRouter(prefix="/ui", tags=["dashboard"], include_in_schema=False)
WINDOW = 60.0


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_key: str | None = Field(None, min_length=1, max_length=200)
    username: str | None = Field(None, min_length=1, max_length=64)
    password: str | None = Field(None, min_length=1, max_length=200)


class Throttle:
    """Failed logins per (address, name) in the last minute."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        now, times = time.monotonic(), self._failures[key]
        while times and times[0] < now - WINDOW:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def blocked(self, key: tuple[str, str], limit: int) -> bool:
        return len(self._recent(key)) >= limit > 0

    def failed(self, key: tuple[str, str]) -> None:
        self._failures[key].append(time.monotonic())

    def clear(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


_throttle = Throttle()


def session_info(identity: Any, token: str | None, expires_at: datetime | None = None) -> dict[str, Any]:
    """Who is logged in (never a secret but the CSRF token, which is useless without the cookie)."""
    return {"name": getattr(identity, "name", identity.actor), "role": identity.role, "actor": identity.actor,
            "kind": "user" if isinstance(identity, User) else "api_key",
            "csrf_token": csrf_token(token) if token else None, "csrf_header": CSRF_HEADER,
            "expires_at": expires_at}


async def _identify(ctx: Any, body: LoginBody) -> ApiKey | User | None:
    if body.api_key:
        return await ctx.keys.verify(ctx, body.api_key.strip())
    assert body.username is not None and body.password is not None
    found = await ctx.read(lambda conn: find_login(conn, body.username or ""))
    ok = await asyncio.to_thread(password_matches, body.password, found[1] if found else None)  # scrypt: slow
    return found[0] if ok and found else None


@router.post("/login")
async def login(request: Request, response: Response, ctx: Ctx, body: LoginBody) -> dict[str, Any]:
    by_key = body.api_key is not None
    if by_key == (body.username is not None or body.password is not None) or (
            not by_key and not (body.username and body.password)):
        raise ApiError(422, "validation_error", "give either api_key, or username and password")
    name = f"key:{body.api_key[4:16]}" if body.api_key else f"user:{(body.username or '').casefold()}"
    note(request, "ui.login", name, {"method": "api_key" if by_key else "password"})
    remote = request.client.host if request.client else "?"
    throttle_key, address_key = (remote, name), (remote, "*")
    limit = ctx.csms.settings.auth_failures_per_minute
    if _throttle.blocked(throttle_key, limit) or _throttle.blocked(address_key, 5 * limit):
        raise ApiError(429, "too_many_attempts", "too many failed logins; wait a minute",
                       headers={"Retry-After": str(int(WINDOW))})
    identity = await _identify(ctx, body)
    if identity is None:
        _throttle.failed(throttle_key)
        _throttle.failed(address_key)
        raise ApiError(401, "invalid_credentials", "the API key, or the name and password, are not valid")
    _throttle.clear(throttle_key)
    user_id = identity.id if isinstance(identity, User) else None
    key_id = identity.id if isinstance(identity, ApiKey) else None

    def unit(conn: Any) -> tuple[str, datetime]:
        if user_id is not None:
            touch_login(conn, user_id)
        return create_session(conn, user_id=user_id, api_key_id=key_id, remote=remote)

    token, expires = await ctx.write(unit)
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(SESSION_COOKIE, token, max_age=int(LIFETIME.total_seconds()), path="/", secure=secure,
                        httponly=True, samesite="strict")
    note(request, "ui.login", identity.actor, {"method": "api_key" if by_key else "password"}, result="ok")
    return session_info(identity, token, expires)


@router.post("/logout", status_code=204)
async def logout(request: Request, ctx: Ctx) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    note(request, "ui.logout")
    cache = session_cache(request)
    if token and cache is not None:
        session = await cache.get(ctx, token)
        if session is not None:  # the audit entry names who logged out
            request.state.principal = Principal(session.identity, request.client.host if request.client else None)
        await ctx.write(lambda conn: delete_session(conn, token))
        cache.forget(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/session")
async def session(request: Request, principal: Viewer) -> dict[str, Any]:
    """Who is logged in, the role, and the CSRF token for requests that change state."""
    return session_info(principal.key, request.cookies.get(SESSION_COOKIE))
