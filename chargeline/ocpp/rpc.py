"""RPC state of one OCPP-J connection, without I/O.

The owner feeds every received text to `receive` and sends whatever text the returned
event asks for. Outgoing CALLs go through `call`: at most one is outstanding per
direction, the rest wait in order. Time is passed in by the owner (`expire`), so the
state machine is testable without a clock or a socket.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chargeline.ocpp import frames
from chargeline.ocpp.errors import ErrorKind, OcppError, code_for
from chargeline.ocpp.schemas import SchemaRegistry
from chargeline.ocpp.versions import OcppVersion

log = logging.getLogger(__name__)


# --- events returned by RpcSession.receive ---------------------------------------------

@dataclass(slots=True)
class InboundCall:
    """A valid CALL (or 2.1 SEND) to hand to the application."""

    message_id: str
    action: str
    payload: dict[str, Any]
    is_send: bool = False


@dataclass(slots=True)
class Reply:
    """Text to send back at once: the CALLERROR for a bad frame."""

    text: str
    kind: ErrorKind | None = None


@dataclass(slots=True)
class CallCompleted:
    """An answer to our outstanding CALL; `next_frame` is the queued CALL to send now."""

    call: OutboundCall
    next_frame: str | None


@dataclass(slots=True)
class Ignored:
    reason: str


Event = InboundCall | Reply | CallCompleted | Ignored


@dataclass(slots=True)
class OutboundCall:
    message_id: str
    action: str
    payload: dict[str, Any]
    frame: str
    result: dict[str, Any] | None = None
    error: frames.CallError | None = None
    on_done: Callable[[OutboundCall], None] | None = field(default=None, repr=False)


class CallFailed(Exception):
    """The peer answered our CALL with a CALLERROR."""

    def __init__(self, error: frames.CallError):
        super().__init__(f"{error.error_code}: {error.description}")
        self.error = error


# --- the session -------------------------------------------------------------------------

class RpcSession:
    """Message ids, validation and the one-outstanding-CALL rule for one connection.

    `handled_actions` are the actions this side answers; a known action outside it gets
    NotSupported, an unknown one NotImplemented. Retried CALLs are not answered from a
    cache: the handlers are idempotent by business key, which also covers retries that
    carry a new message id.
    """

    def __init__(self, version: OcppVersion, registry: SchemaRegistry, handled_actions: frozenset[str],
                 lenient: bool = False):
        self.version = version
        self.registry = registry
        self.handled_actions = handled_actions
        self.lenient = lenient  # per-station: accept schema violations, but log and count each
        self.forgiven = 0
        self._outstanding: OutboundCall | None = None
        self._queue: deque[OutboundCall] = deque()

    # incoming ---------------------------------------------------------------------------
    def receive(self, text: str | bytes) -> Event:
        try:
            frame = frames.decode(text, self.version)
        except frames.FrameError as exc:
            if not exc.answerable:
                return Ignored(exc.description)
            return self._error_reply(exc.message_id, exc.kind, exc.description)
        if isinstance(frame, frames.Call | frames.Send):
            return self._inbound(frame)
        return self._answer(frame)

    def _inbound(self, frame: frames.Call | frames.Send) -> Event:
        is_send = isinstance(frame, frames.Send)
        try:
            self._validate_inbound(frame.action, frame.payload)
            if frame.action not in self.handled_actions:
                raise OcppError(ErrorKind.NOT_SUPPORTED, f"{frame.action} is not supported by this endpoint")
        except OcppError as exc:
            if is_send:
                return Ignored(f"invalid SEND {frame.action}: {exc.description}")
            return self._error_reply(frame.message_id, exc.kind, exc.description)
        return InboundCall(frame.message_id, frame.action, frame.payload, is_send)

    def _validate_inbound(self, action: str, payload: dict[str, Any]) -> None:
        try:
            self.registry.validate_request(action, payload)
        except OcppError as exc:
            if not self.lenient or exc.kind is ErrorKind.NOT_IMPLEMENTED:
                raise
            self.forgiven += 1
            log.warning("lenient: accepted %s despite %s (%s)", action, exc.kind.value, exc.description)

    def _error_reply(self, message_id: str, kind: ErrorKind, description: str) -> Reply:
        return Reply(frames.encode_error(message_id, code_for(kind, self.version), description), kind)

    # answering --------------------------------------------------------------------------
    def result(self, call: InboundCall, payload: dict[str, Any]) -> str:
        """Encode our answer, validated against the response schema."""
        try:
            self.registry.validate_response(call.action, payload)
        except OcppError as exc:
            log.error("our %s response failed its schema (%s): %s", call.action, exc.description, payload)
            return self.error(call, OcppError(ErrorKind.INTERNAL, "response failed validation"))
        return frames.encode_result(call.message_id, payload)

    def error(self, call: InboundCall, exc: OcppError) -> str:
        return frames.encode_error(call.message_id, code_for(exc.kind, self.version), exc.description,
                                   exc.details)

    # outgoing ---------------------------------------------------------------------------
    def call(self, action: str, payload: dict[str, Any], message_id: str | None = None) -> OutboundCall:
        """Queue a CALL. Returns it; `frame_to_send` says whether to send it now."""
        self.registry.validate_request(action, payload)
        message_id = message_id or str(uuid.uuid4())
        out = OutboundCall(message_id, action, payload, frames.encode_call(message_id, action, payload))
        if self._outstanding is None:
            self._outstanding = out
        else:
            self._queue.append(out)
        return out

    @property
    def outstanding(self) -> OutboundCall | None:
        return self._outstanding

    def is_outstanding(self, call: OutboundCall) -> bool:
        return self._outstanding is call

    def expire(self, call: OutboundCall) -> str | None:
        """Give up on `call` (timeout or cancel). Returns the next CALL frame to send, if any."""
        if self._outstanding is call:
            return self._advance()
        with contextlib.suppress(ValueError):
            self._queue.remove(call)
        return None

    def fail_all(self) -> list[OutboundCall]:
        """The connection is gone: every waiting call fails."""
        pending = ([self._outstanding] if self._outstanding else []) + list(self._queue)
        self._outstanding = None
        self._queue.clear()
        return pending

    def _advance(self) -> str | None:
        self._outstanding = self._queue.popleft() if self._queue else None
        return self._outstanding.frame if self._outstanding else None

    def _answer(self, frame: frames.CallResult | frames.CallError) -> Event:
        out = self._outstanding
        if out is None or out.message_id != frame.message_id:
            return Ignored(f"answer to unknown or expired message id {frame.message_id!r}")
        if isinstance(frame, frames.CallResult):
            try:
                self.registry.validate_response(out.action, frame.payload)
                out.result = frame.payload
            except OcppError as exc:
                out.error = frames.CallError(frame.message_id, code_for(exc.kind, self.version),
                                             f"invalid {out.action} response: {exc.description}")
        else:
            out.error = frame
        return CallCompleted(out, self._advance())
