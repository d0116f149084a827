"""A station's WebSocket connection: websockets, with a short path for the frames OCPP is made of.

Nearly every frame a station sends is one complete, masked, unfragmented text frame of a few
hundred bytes, and nearly every frame we send is one unmasked text frame. For those, the
library's general machinery (a generator-based parser, an event list, frame objects serialised
through the extension chain) cost more per message than our decoding and validation together.

`StationConnection` therefore splits the bytes it receives into frames itself. A complete simple
text frame in valid UTF-8 is decoded and queued for `recv` at once. Every other complete frame
(ping, pong, close, a fragment, reserved bits, bad UTF-8, a frame that is too big or not
masked) goes to websockets unchanged, so the library decides everything the protocol says
about it, and the messages it assembles are read through its own `recv`, in order.
Websockets is never handed part of a frame, so its parser stays at a frame boundary between
frames; whenever that cannot be known (the handshake left bytes behind, the connection is
closing) the connection falls back to the library for good.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConcurrencyError
from websockets.frames import Frame
from websockets.protocol import Event, State
from websockets.typing import Data

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the C extension ships with every wheel we pin
    from websockets.utils import apply_mask

_FIN_TEXT = 0x81  # FIN, no reserved bits, opcode 1
_MASKED = 0x80
# messages queued for `recv` before reading pauses, and when it resumes (a station sends one
# call at a time; only a misbehaving one gets here)
QUEUE_HIGH, QUEUE_LOW = 16, 4


class StationConnection(ServerConnection):
    """`ServerConnection` with the short receive and send paths described above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._partial = b""  # the start of a frame not yet complete
        self._short: bool | None = None  # None until the handshake is over
        self.short_frames = 0  # frames taken by the short path (tests and diagnostics)
        # short-path messages; those before `_read` have been read (a list and an index: an
        # empty deque costs 600 bytes for each of ten thousand connections)
        self._texts: list[str] = []
        self._read = 0
        self._library_messages = 0  # complete messages websockets has queued (in its Assembler)
        self._waiter: asyncio.Future[None] | None = None
        self._paused_reading = False
        self.paused_reading_times = 0  # how often a flood of messages paused reading (diagnostics)
        self._lost = False

    # --- reading -----------------------------------------------------------------------
    async def recv(self, decode: bool | None = None) -> Data:  # type: ignore[override]
        """The next message: a short-path one, or one websockets assembled, in arrival order.

        Short-path messages are queued only while websockets holds no message of its own, so
        everything in `_texts` arrived before anything in its queue."""
        while True:
            texts = self._texts
            if texts:
                text = texts[self._read]
                self._read += 1
                if self._read == len(texts):
                    texts.clear()
                    self._read = 0
                if self._paused_reading and len(texts) - self._read <= QUEUE_LOW:
                    self._paused_reading = False
                    if not self.recv_messages.paused:  # else websockets resumes when its queue drains
                        self.transport.resume_reading()
                return text.encode() if decode is False else text
            if self._library_messages or self._lost:
                if self._library_messages:
                    self._library_messages -= 1
                return await super().recv(decode)  # raises ConnectionClosed once the connection is gone
            if self._waiter is not None:
                raise ConcurrencyError("cannot call recv while another coroutine is already running recv")
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _queue(self, text: str) -> None:
        self._texts.append(text)
        self._wake()
        if len(self._texts) - self._read > QUEUE_HIGH and not self._paused_reading:
            self._paused_reading = True
            self.paused_reading_times += 1
            self.transport.pause_reading()

    def process_event(self, event: Event) -> None:
        super().process_event(event)
        if isinstance(event, Frame) and event.fin and event.opcode.value <= 2:  # the end of a data message
            self._library_messages += 1
            self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._lost = True
        self._wake()

    # --- splitting ----------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._short is None:
            if self.protocol.state is not State.OPEN:
                super().data_received(data)
                return
            self._short = _at_frame_boundary(self.protocol)
        if not self._short:
            super().data_received(data)
            return
        if self._partial:
            data, self._partial = self._partial + data, b""
        size = len(data)
        protocol = self.protocol
        limit = protocol.max_message_size
        pos = 0
        while size - pos >= 2:
            first, second = data[pos], data[pos + 1]
            if not second & _MASKED or protocol.state is not State.OPEN:
                break  # websockets fails an unmasked client frame; a closing connection is its business
            length = second & 0x7F
            head = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(data[head:head + 2], "big"), head + 2
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(data[head:head + 8], "big"), head + 8
            if limit is not None and length > limit:
                break  # websockets closes with 1009 once it has read the header
            end = head + 4 + length
            if end > size:
                self._partial = data[pos:]
                return
            text = None
            if first == _FIN_TEXT and protocol.current_size is None and not self._library_messages:
                try:
                    text = apply_mask(data[head + 4:end], data[head:head + 4]).decode()
                except UnicodeDecodeError:
                    pass  # websockets fails the connection with 1007 when it is read
            if text is not None:
                self.short_frames += 1
                self._queue(text)
            else:
                super().data_received(data[pos:end])
            pos = end
        else:
            if pos < size:
                self._partial = data[pos:]
            return
        # what is left goes to websockets, and so does everything after it
        self._short = False
        super().data_received(data[pos:])

    # --- sending -----------------------------------------------------------------------
    def write_text_now(self, text: str) -> bool:
        """Write one text frame straight to the transport if nothing could make `send` wait.

        That is the usual case: the connection is open, nothing of websockets' is waiting to be
        written (a pong, say), the socket's buffer is below its high-water mark and no
        fragmented message is half sent. In every other case return False: `send` then does its
        waiting and raising."""
        protocol = self.protocol
        if protocol.state is not State.OPEN or self.paused or self.send_in_progress is not None or \
                protocol.writes or protocol.expect_continuation_frame or self.transport.is_closing():
            return False
        payload = text.encode()
        length = len(payload)
        if length < 126:
            head = bytes((_FIN_TEXT, length))
        elif length < 65536:
            head = bytes((_FIN_TEXT, 126)) + length.to_bytes(2, "big")
        else:
            head = bytes((_FIN_TEXT, 127)) + length.to_bytes(8, "big")
        self.transport.write(head + payload)
        return True


def _at_frame_boundary(protocol: Any) -> bool:
    """Whether websockets' parser waits for the first byte of a frame with nothing buffered.

    Its parser is a chain of generators that, between frames, rests in the stream reader's
    `at_eof`; anywhere else (bytes sent behind the handshake, a future version of the library
    that parses differently) the short path stays off for the connection."""
    if protocol.reader.buffer or protocol.current_size is not None:
        return False
    generator = protocol.parser
    while getattr(generator, "gi_yieldfrom", None) is not None:
        generator = generator.gi_yieldfrom
    code = getattr(generator, "gi_code", None)
    return code is not None and code.co_name == "at_eof"
