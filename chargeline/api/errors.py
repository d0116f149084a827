"""Every error answer has the same shape: {"error": <machine-readable reason>, "message": ..., "details": ...}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from chargeline.csms.commands.errors import CommandRefused

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: str
    message: str
    details: Any = None


def error_response(status: int, reason: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": reason, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_REASONS = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
                 422: "validation_error"}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": reason} for code, reason in (
        (400, "bad request"), (401, "no or invalid API key"), (403, "role not allowed"), (404, "not found"),
        (409, "conflict with the current state"), (422, "invalid request"))}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.reason, exc.message, exc.details, exc.headers)

    @app.exception_handler(CommandRefused)
    async def refused(request: Request, exc: CommandRefused) -> JSONResponse:
        return error_response(exc.status, exc.reason, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                   for e in exc.errors()]
        return error_response(422, "validation_error", "the request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = _HTTP_REASONS.get(exc.status_code, "http_error")
        return error_response(exc.status_code, reason, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API %s %s failed", request.method, request.scope.get("route", request.url.path))
        return error_response(500, "internal_error", "internal error")
