"""The FastAPI application: routers under /api/v1, /metrics, OpenAPI at /openapi.json."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from chargeline import __version__
from chargeline.api import errors
from chargeline.api.audit import AuditMiddleware
from chargeline.api.context import ApiContext
from chargeline.api.metrics import FrameCounter, build_registry
from chargeline.api.routes import (
    api_keys,
    audit_log,
    charging_profiles,
    commands,
    events,
    health,
    messages,
    metrics,
    sites,
    stations,
    tokens,
    transactions,
    webhooks,
)
from chargeline.ui import mount_ui

DESCRIPTION = """Operate a Chargeline CSMS: stations, id tokens, transactions, remote commands for every
OCPP version, the message log, live events, webhooks and the audit log.

Authenticate with an API key (`Authorization: Bearer <key>`), created with
`chargeline api-keys create --role admin|operator|viewer`. Errors are
`{"error": <reason>, "message": ..., "details": ...}`.
"""


def create_app(ctx: ApiContext, frames: FrameCounter) -> FastAPI:
    app = FastAPI(title="Chargeline API", version=__version__, description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.ctx = ctx
    app.state.metrics = build_registry(ctx.csms, frames, ctx.webhooks)
    errors.install(app)
    app.add_middleware(AuditMiddleware)
    v1 = APIRouter(prefix="/api/v1")
    for module in (health, stations, tokens, transactions, commands, messages, events, webhooks, api_keys,
                   audit_log, sites, charging_profiles):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(metrics.router)
    mount_ui(app)  # the dashboard at /, its assets and login under /ui
    return app
