"""Drives an `RpcSession` over a `websockets` connection (server or client side).

Inbound CALLs are handled one at a time, in order: OCPP allows one outstanding CALL per
direction, and handling in order is what keeps a station's queued messages in order.
Answers to our own CALLs resolve futures that `call` awaits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from chargeline.ocpp import frames
from chargeline.ocpp.errors import ErrorKind, OcppError, code_for
from chargeline.ocpp.rpc import CallCompleted, CallFailed, Ignored, InboundCall, OutboundCall, Reply, RpcSession

log = logging.getLogger(__name__)

Handler = Callable[[InboundCall], Awaitable[dict[str, Any]]]
# (direction "in" | "out", text, message type, message id, action); the ids are None when unknown
FrameObserver = Callable[[str, str, int | None, str | None, str | None], None]


class Socket(Protocol):
    """The part of a websockets connection we use."""

    async def send(self, message: str) -> None: ...

    def __aiter__(self) -> Any: ...


class ConnectionLost(Exception):
    """The connection closed before our CALL was answered."""


class OcppPeer:
    def __init__(self, socket: Socket, session: RpcSession, handler: Handler, *, call_timeout: float = 30.0,
                 observe: FrameObserver | None = None, label: str = ""):
        self.socket = socket
        self.session = session
        self.handler = handler
        self.call_timeout = call_timeout
        self.observe = observe
        self.label = label
        self.closed = False
        self._futures: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connection = socket if isinstance(socket, Connection) else None
        # the gateway's connections write a text frame themselves (gateway.connection)
        self._write_text_now: Callable[[str], bool] | None = getattr(socket, "write_text_now", None)

    async def serve(self) -> None:
        """Read and handle messages until the connection closes."""
        try:
            async for message in self.socket:
                await self.receive(message)
        finally:
            self.close()

    def close(self) -> None:
        """Fail every call still waiting for an answer."""
        self.closed = True
        for out in self.session.fail_all():
            fut = self._futures.pop(out.message_id, None)
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionLost(f"connection closed before {out.action} was answered"))

    async def receive(self, message: str | bytes) -> None:
        if self.closed:
            return  # a superseded connection's late frames have no effect
        if isinstance(message, bytes):
            text = frames.encode_error(frames.UNKNOWN_MESSAGE_ID,
                                       code_for(ErrorKind.RPC_FRAMEWORK, self.session.version),
                                       "binary frames are not part of OCPP-J")
            await self._send(text, 4, None, None)
            return
        event = self.session.receive(message)
        if isinstance(event, InboundCall):
            observe = self.observe  # inline: twice per call, a Python frame saved each time
            if observe is not None:
                observe("in", message, 6 if event.is_send else 2, event.message_id, event.action)
            reply = await self._dispatch(event)
            if reply is not None:
                await self._send(reply, 3 if reply.startswith("[3") else 4, event.message_id, event.action)
        elif isinstance(event, Reply):
            self._observe("in", message, None, None, None)
            log.info("%s: bad frame answered with %s", self.label, event.kind)
            await self._send(event.text, 4, None, None)
        elif isinstance(event, CallCompleted):
            call = event.call
            self._observe("in", message, 4 if call.error else 3, call.message_id, call.action)
            self._complete(call)
            await self._send_next(event.next_frame)
        elif isinstance(event, Ignored):
            self._observe("in", message, None, None, None)
            log.info("%s: ignored frame: %s", self.label, event.reason)

    async def _dispatch(self, call: InboundCall) -> str | None:
        try:
            payload = await self.handler(call)
            reply = self.session.result(call, payload)
        except OcppError as exc:
            reply = self.session.error(call, exc)
        except Exception:
            log.exception("%s: handler for %s failed", self.label, call.action)
            reply = self.session.error(call, OcppError(ErrorKind.INTERNAL, "internal error"))
        return None if call.is_send else reply

    def _complete(self, out: OutboundCall) -> None:
        fut = self._futures.pop(out.message_id, None)
        if fut is None or fut.done():
            return
        if out.error is not None:
            fut.set_exception(CallFailed(out.error))
        else:
            fut.set_result(out.result or {})

    async def call(self, action: str, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send a CALL and wait for its answer. Raises CallFailed, TimeoutError or ConnectionLost."""
        if self.closed:
            raise ConnectionLost("connection is closed")
        out = self.session.call(action, payload)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._futures[out.message_id] = fut
        try:
            if self.session.is_outstanding(out):
                await self._send(out.frame, 2, out.message_id, action)
        except ConnectionClosed as exc:  # closed while the CALL was being sent
            self._futures.pop(out.message_id, None)
            if fut.done():
                fut.exception()  # close() failed it already: the caller learns it from what is raised here
            else:
                fut.cancel()
            raise ConnectionLost(f"connection closed before {action} was sent") from exc
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # races with the answer (CPython gh-86296), and a cancelled caller must stay cancelled.
            async with asyncio.timeout(timeout if timeout is not None else self.call_timeout):
                return await fut
        except TimeoutError:
            self._futures.pop(out.message_id, None)
            await self._send_next(self.session.expire(out))
            raise

    async def _send_next(self, frame: str | None) -> None:
        """Send the CALL that became outstanding after the previous one ended."""
        out = self.session.outstanding
        if frame is not None and out is not None:
            await self._send(frame, 2, out.message_id, out.action)

    def _observe(self, direction: str, text: str, message_type: int | None, message_id: str | None,
                 action: str | None) -> None:
        if self.observe is not None:
            self.observe(direction, text, message_type, message_id, action)

    async def _send(self, text: str, message_type: int, message_id: str | None, action: str | None) -> None:
        observe = self.observe
        if observe is not None:
            observe("out", text, message_type, message_id, action)
        direct = self._write_text_now
        if not (direct(text) if direct is not None else self._write_now(text)):
            await self.socket.send(text)

    def _write_now(self, text: str) -> bool:
        """Write a frame straight to the transport when nothing can make `send` wait; False otherwise.

        The usual case: the connection is open, the socket's buffer is below its high-water mark
        and no fragmented message is half sent. `send` would then do exactly this, behind an
        asynchronous context manager and a drain that cost more than the write itself; in every
        other case (closing, a full buffer) `send` runs and does its waiting and raising."""
        conn = self._connection
        if conn is None or conn.protocol.state is not State.OPEN or conn.paused or \
                conn.send_in_progress is not None or conn.transport.is_closing():
            return False
        conn.protocol.send_text(text.encode())
        conn.send_data()
        return True
