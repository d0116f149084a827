"""CALLERROR codes, spelled as each version's specification spells them."""

from __future__ import annotations

from enum import Enum
from typing import Any

from chargeline.ocpp.versions import OcppVersion


class ErrorKind(Enum):
    """Version-neutral reasons for a CALLERROR; `code_for` gives the wire spelling."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL = "InternalError"
    PROTOCOL = "ProtocolError"
    SECURITY = "SecurityError"
    FORMAT = "FormatViolation"
    PROPERTY_CONSTRAINT = "PropertyConstraintViolation"
    OCCURRENCE_CONSTRAINT = "OccurrenceConstraintViolation"
    TYPE_CONSTRAINT = "TypeConstraintViolation"
    GENERIC = "GenericError"
    RPC_FRAMEWORK = "RpcFrameworkError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"


# 1.6 spells two codes differently and lacks the 2.x framework codes.
_V16_SPELLING = {
    ErrorKind.FORMAT: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT: "OccurenceConstraintViolation",
    ErrorKind.RPC_FRAMEWORK: "ProtocolError",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
}


def code_for(kind: ErrorKind, version: OcppVersion) -> str:
    """The errorCode string this version's specification uses for `kind`."""
    if version is OcppVersion.V16:
        return _V16_SPELLING.get(kind, kind.value)
    return kind.value


class OcppError(Exception):
    """Raised by a handler (or the core) to answer a CALL with a CALLERROR."""

    def __init__(self, kind: ErrorKind, description: str = "", details: dict[str, Any] | None = None):
        super().__init__(description or kind.value)
        self.kind = kind
        self.description = description
        self.details = details or {}
