"""OCPP-J frames: one JSON decode, a shape check, and encoders.

`decode` turns the text of one WebSocket message into a frame object or raises
`FrameError` that says which CALLERROR (if any) the peer must get back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import orjson

from chargeline.ocpp.errors import ErrorKind
from chargeline.ocpp.versions import OcppVersion

MAX_MESSAGE_ID_LENGTH = 36
MAX_ERROR_DESCRIPTION = 255
UNKNOWN_MESSAGE_ID = "-1"


class MessageType(IntEnum):
    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4
    CALLRESULTERROR = 5  # 2.1 only
    SEND = 6  # 2.1 only


# plain ints: membership of an int in a set of IntEnum members is slower
_BASIC_TYPES = frozenset((2, 3, 4))
_V21_TYPES = frozenset(int(t) for t in MessageType)


def message_types(version: OcppVersion) -> frozenset[int]:
    return _V21_TYPES if version is OcppVersion.V21 else _BASIC_TYPES


@dataclass(slots=True, frozen=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class Send:
    """2.1 SEND: like a CALL, but never answered."""

    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class CallError:
    message_id: str
    error_code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    result_error: bool = False  # True for a 2.1 CALLRESULTERROR


Frame = Call | Send | CallResult | CallError


class FrameError(Exception):
    """A frame we cannot accept. `answerable` is False where the spec forbids a reply."""

    def __init__(self, kind: ErrorKind, description: str, message_id: str = UNKNOWN_MESSAGE_ID,
                 answerable: bool = True):
        super().__init__(description)
        self.kind = kind
        self.description = description
        self.message_id = message_id
        self.answerable = answerable


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID_LENGTH


def decode(text: str | bytes, version: OcppVersion) -> Frame:
    """Parse one message. Raises FrameError with the CALLERROR kind to answer with."""
    try:
        msg = orjson.loads(text)
    except (orjson.JSONDecodeError, ValueError, RecursionError):
        # 1.6 has no framework error; its closest code is FormationViolation.
        kind = ErrorKind.FORMAT if version is OcppVersion.V16 else ErrorKind.RPC_FRAMEWORK
        raise FrameError(kind, "message is not valid JSON") from None
    if not isinstance(msg, list) or not msg:
        raise FrameError(ErrorKind.RPC_FRAMEWORK, "message is not a non-empty JSON array")
    type_id = msg[0]
    message_id = msg[1] if len(msg) > 1 and _valid_id(msg[1]) else UNKNOWN_MESSAGE_ID
    if not isinstance(type_id, int) or isinstance(type_id, bool):
        raise FrameError(ErrorKind.RPC_FRAMEWORK, "MessageTypeId is not an integer", message_id)
    if len(msg) < 2 or not _valid_id(msg[1]):
        raise FrameError(ErrorKind.RPC_FRAMEWORK, "MessageId is missing or not a string of 1 to 36 characters",
                         answerable=type_id == MessageType.CALL or type_id not in message_types(version))
    if type_id not in message_types(version):
        raise FrameError(ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
                         f"MessageTypeId {type_id} is not supported by OCPP {version.label}", message_id)
    if type_id == MessageType.CALL or type_id == MessageType.SEND:
        return _decode_call(msg, message_id, type_id == MessageType.SEND)
    if type_id == MessageType.CALLRESULT:
        if len(msg) != 3 or not isinstance(msg[2], dict):
            raise FrameError(ErrorKind.RPC_FRAMEWORK, "CALLRESULT must be [3, id, {payload}]", message_id,
                             answerable=False)
        return CallResult(message_id, msg[2])
    # CALLERROR or CALLRESULTERROR
    if (len(msg) != 5 or not isinstance(msg[2], str) or not isinstance(msg[3], str)
            or not isinstance(msg[4], dict)):
        raise FrameError(ErrorKind.RPC_FRAMEWORK, "CALLERROR must be [4, id, code, description, {details}]",
                         message_id, answerable=False)
    return CallError(message_id, msg[2], msg[3], msg[4], result_error=type_id == MessageType.CALLRESULTERROR)


def _decode_call(msg: list[Any], message_id: str, is_send: bool) -> Call | Send:
    answerable = not is_send
    if len(msg) != 4:
        raise FrameError(ErrorKind.RPC_FRAMEWORK, "CALL must be [2, id, action, {payload}]", message_id,
                         answerable)
    action = msg[2]
    if not isinstance(action, str) or not action:
        raise FrameError(ErrorKind.RPC_FRAMEWORK, "Action is not a string", message_id, answerable)
    if not isinstance(msg[3], dict):
        raise FrameError(ErrorKind.FORMAT, "payload is not a JSON object", message_id, answerable)
    return Send(message_id, action, msg[3]) if is_send else Call(message_id, action, msg[3])


def _dumps(value: list[Any]) -> str:
    return orjson.dumps(value).decode()


def encode_call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return _dumps([MessageType.CALL, message_id, action, payload])


def encode_send(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return _dumps([MessageType.SEND, message_id, action, payload])


def encode_result(message_id: str, payload: dict[str, Any]) -> str:
    return _dumps([MessageType.CALLRESULT, message_id, payload])


def encode_error(message_id: str, code: str, description: str = "", details: dict[str, Any] | None = None,
                 result_error: bool = False) -> str:
    type_id = MessageType.CALLRESULTERROR if result_error else MessageType.CALLERROR
    return _dumps([type_id, message_id, code, description[:MAX_ERROR_DESCRIPTION], details or {}])
