"""Every state-changing API call is written to the audit log before its answer is complete.

A pure ASGI middleware (streaming answers pass untouched): it holds back the last body chunk
of a POST/PUT/PATCH/DELETE until the entry (who, what, target, redacted parameters, result)
is committed. Routes describe what they did with `note()`; failures (401/403/422) are audited too.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chargeline.csms.commands.redact import json_safe, redact
from chargeline.store.audit import AuditEntry, append_audit

log = logging.getLogger(__name__)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/v1"


def note(request: Request, action: str, target: str | None = None, params: Any = None,
         result: str | None = None) -> None:
    """What the route did, for the audit entry (parameters are redacted here)."""
    request.state.audit = {"action": action, "target": target,
                           "params": json_safe(redact(params)) if params is not None else None, "result": result}


class AuditMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READ_METHODS:
            await self.app(scope, receive, send)
            return
        status = 500
        recorded = False

        async def capture(message: Message) -> None:
            nonlocal status, recorded
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False) and not recorded:
                recorded = True
                await self._record(scope, status)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not recorded:
                await self._record(scope, status)

    @staticmethod
    async def _record(scope: Scope, status: int) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        principal = state.get("principal")
        info: dict[str, Any] = state.get("audit") or {}
        route_obj = scope.get("route")
        route = getattr(route_obj, "path", None) or "(no route)"
        if scope["path"].startswith(API_PREFIX) and not route.startswith(API_PREFIX):
            route = API_PREFIX + route  # routers included under the prefix keep their own path
        client = scope.get("client")
        entry = AuditEntry(
            actor=principal.actor if principal else "anonymous", role=principal.role if principal else None,
            remote=client[0] if client else None, method=scope["method"], route=route,
            action=info.get("action") or getattr(route_obj, "name", None) or f"{scope['method']} {route}",
            target=info.get("target") or (scope.get("path_params") or {}).get("station_id"),
            params=info.get("params"), status_code=status,
            result=info.get("result") or ("ok" if status < 400 else f"http {status}"))
        try:
            ctx = scope["app"].state.ctx
            await ctx.write(lambda conn: append_audit(conn, entry))
        except Exception:
            log.exception("audit entry not written: %s %s by %s -> %d", entry.method, entry.route, entry.actor,
                          status)
