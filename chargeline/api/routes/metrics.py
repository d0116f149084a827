"""`GET /metrics` in the Prometheus text format (any role: scrape with a viewer key as bearer token)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from chargeline.api.auth import Viewer
from chargeline.api.errors import ERROR_RESPONSES
from chargeline.api.metrics import render

router = APIRouter(tags=["metrics"], responses=ERROR_RESPONSES)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(request: Request, _: Viewer) -> Response:
    return Response(render(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
