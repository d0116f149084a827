"""A station's WebSocket connection: websockets, with a short path for the frames OCPP is made of.

Nearly every frame a station sends is one complete, masked, unfragmented text frame of a few
hundred bytes, and nearly every frame we send is one unmasked text frame. For those, the
library's general machinery (a generator-based parser, an event list, frame objects serialised
through the extension chain) cost more per message than our decoding and validation together.

`StationConnection` therefore splits the bytes it receives into frames itself. A complete simple
text frame goes straight into the connection's message queue, where `recv` finds it as usual
(and still decodes it, failing the connection with 1007 on bad UTF-8). Every other complete
frame (ping, pong, close, a fragment, reserved bits, a frame that is too big or not masked)
goes to websockets unchanged, so the library decides everything the protocol says about it.
Websockets is never handed part of a frame, so its parser stays at a frame boundary between
frames; whenever that cannot be known (the handshake left bytes behind, the connection is
closing) the connection falls back to the library for good.
"""

from __future__ import annotations

from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import State

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the C extension ships with every wheel we pin
    from websockets.utils import apply_mask

_FIN_TEXT = 0x81  # FIN, no reserved bits, opcode 1
_MASKED = 0x80


class StationConnection(ServerConnection):
    """`ServerConnection` with the short receive and send paths described above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._partial = b""  # the start of a frame not yet complete
        self._short: bool | None = None  # None until the handshake is over
        self.short_frames = 0  # frames taken by the short path (tests and diagnostics)

    # --- receiving ---------------------------------------------------------------------
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
            if first == _FIN_TEXT and protocol.current_size is None:
                self.short_frames += 1
                self.recv_messages.put(Frame(Opcode.TEXT, apply_mask(data[head + 4:end], data[head:head + 4])))
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
