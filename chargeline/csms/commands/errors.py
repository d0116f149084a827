"""Why a command was refused before anything reached the station (mapped to HTTP by the API)."""

from __future__ import annotations

from typing import Any


class CommandRefused(Exception):
    """`status` is the HTTP status the API answers with; `reason` is the machine-readable code."""

    def __init__(self, status: int, reason: str, message: str, details: Any = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details


class NotSupported(Exception):
    """The station's OCPP version cannot carry this request (or one of its fields): HTTP 409."""


class InvalidRequest(Exception):
    """The request is well-formed JSON but cannot be translated as given: HTTP 422."""
