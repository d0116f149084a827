"""The station connection's short paths (gateway.connection), byte by byte on a real socket.

A websockets server with `StationConnection` echoes every message; the client side is raw
bytes, so frames can be split, joined, fragmented and malformed at will.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from websockets.asyncio.server import ServerConnection, serve

from chargeline.gateway.connection import StationConnection

TEXT, CONT, CLOSE, PING, PONG = 1, 0, 8, 9, 10
MAX_SIZE = 4096


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0,
          claimed_length: int | None = None) -> bytes:
    """A client frame as RFC 6455 §5.2 lays it out."""
    length = len(payload) if claimed_length is None else claimed_length
    masked = 0x80 if mask else 0
    head = bytes(((0x80 if fin else 0) | rsv | opcode,))
    if length < 126:
        head += bytes((masked | length,))
    elif length < 65536:
        head += bytes((masked | 126,)) + length.to_bytes(2, "big")
    else:
        head += bytes((masked | 127,)) + length.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@dataclass
class Echo:
    port: int = 0
    connections: list[StationConnection] = field(default_factory=list)


@pytest.fixture
async def echo() -> AsyncIterator[Echo]:
    state = Echo()

    async def handler(connection: ServerConnection) -> None:
        assert isinstance(connection, StationConnection)
        state.connections.append(connection)
        async for message in connection:
            assert isinstance(message, str)
            if not connection.write_text_now(message):
                await connection.send(message)

    async with serve(handler, "127.0.0.1", 0, create_connection=StationConnection, max_size=MAX_SIZE,
                     ping_interval=None, compression=None) as server:
        state.port = server.sockets[0].getsockname()[1]
        yield state


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, behind_handshake: bytes = b"") -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode() + behind_handshake)
        response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert response.startswith(b"HTTP/1.1 101")
        return cls(reader, writer)

    async def send(self, *chunks: bytes) -> None:
        for chunk in chunks:
            self.writer.write(chunk)
            await self.writer.drain()

    async def receive(self) -> tuple[int, bytes]:
        """The next server frame: (opcode, payload); server frames are never masked."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), 5)
        assert not second & 0x80
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(await self.reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await self.reader.readexactly(8), "big")
        return first & 0x0F, await self.reader.readexactly(length)

    async def close_code(self) -> int:
        while True:
            opcode, payload = await self.receive()
            if opcode == CLOSE:
                return int.from_bytes(payload[:2], "big")

    def close(self) -> None:
        self.writer.write(frame(CLOSE, (1000).to_bytes(2, "big")))
        self.writer.close()


async def test_text_frames_take_the_short_path_however_they_are_split(echo: Echo) -> None:
    client = await RawClient.open(echo.port)
    joined = b"".join(frame(TEXT, f'[2,"{i}","Heartbeat",{{}}]'.encode()) for i in range(3))
    split = frame(TEXT, b'[2,"3","Heartbeat",{}]')
    medium = frame(TEXT, b"m" * 300)  # a 16-bit length
    await client.send(joined, *(split[i:i + 1] for i in range(len(split))), medium[:5], medium[5:])
    received = [await client.receive() for _ in range(5)]
    assert received[:4] == [(TEXT, f'[2,"{i}","Heartbeat",{{}}]'.encode()) for i in range(4)]
    assert received[4] == (TEXT, b"m" * 300)
    assert echo.connections[0].short_frames == 5
    client.close()


async def test_other_frames_are_websockets_business(echo: Echo) -> None:
    client = await RawClient.open(echo.port)
    await client.send(frame(PING, b"are you there"))
    assert await client.receive() == (PONG, b"are you there")
    await client.send(frame(TEXT, b"frag", fin=False) + frame(CONT, b"mented"))
    assert await client.receive() == (TEXT, b"fragmented")
    await client.send(frame(TEXT, b"after"))
    assert await client.receive() == (TEXT, b"after")
    assert echo.connections[0].short_frames == 1  # only the last one
    client.close()


async def test_messages_keep_their_order_whichever_path_they_take(echo: Echo) -> None:
    client = await RawClient.open(echo.port)
    await client.send(frame(TEXT, b"A") + frame(TEXT, b"B1", fin=False) + frame(CONT, b"B2") + frame(TEXT, b"C")
                      + frame(PING, b"p") + frame(TEXT, b"D"))
    received = [await client.receive() for _ in range(5)]
    assert (PONG, b"p") in received  # websockets answers as it reads the bytes
    assert [r for r in received if r[0] == TEXT] == [(TEXT, b"A"), (TEXT, b"B1B2"), (TEXT, b"C"), (TEXT, b"D")]
    await client.send(frame(TEXT, b"E"))
    assert await client.receive() == (TEXT, b"E")
    assert echo.connections[0].short_frames == 2  # A and E: C and D queued behind B, in websockets' queue
    client.close()


async def test_a_flood_pauses_reading_and_loses_nothing(echo: Echo) -> None:
    client = await RawClient.open(echo.port)
    await client.send(b"".join(frame(TEXT, str(i).encode()) for i in range(500)))
    assert [await client.receive() for _ in range(500)] == [(TEXT, str(i).encode()) for i in range(500)]
    connection = echo.connections[0]
    assert connection.paused_reading_times > 0 and connection.transport.is_reading()
    client.close()


async def test_a_whole_frame_behind_the_handshake_is_fine(echo: Echo) -> None:
    client = await RawClient.open(echo.port, behind_handshake=frame(TEXT, b"early"))
    assert await client.receive() == (TEXT, b"early")
    await client.send(frame(TEXT, b"later"))
    assert await client.receive() == (TEXT, b"later")
    assert echo.connections[0].short_frames == 1  # websockets read "early" whole: back at a frame boundary
    client.close()


async def test_part_of_a_frame_behind_the_handshake_turns_the_short_path_off(echo: Echo) -> None:
    early = frame(TEXT, b"early")
    client = await RawClient.open(echo.port, behind_handshake=early[:3])
    await asyncio.sleep(0.05)  # websockets has read the first bytes of the frame
    await client.send(early[3:] + frame(TEXT, b"later"))
    assert [await client.receive() for _ in range(2)] == [(TEXT, b"early"), (TEXT, b"later")]
    assert echo.connections[0].short_frames == 0
    client.close()


@pytest.mark.parametrize(("bad", "code"), [
    (frame(TEXT, b"\xff\xfe not utf-8"), 1007),
    (frame(TEXT, b"unmasked", mask=False), 1002),
    (frame(TEXT, b"reserved bit", rsv=0x40), 1002),
    (frame(CONT, b"continuation of nothing"), 1002),
    (frame(TEXT, b"", claimed_length=1 << 40), 1009),  # closed on the header, nothing buffered
    (frame(TEXT, b"x" * (MAX_SIZE + 1)), 1009),
])
async def test_bad_frames_close_as_websockets_says(echo: Echo, bad: bytes, code: int) -> None:
    client = await RawClient.open(echo.port)
    await client.send(frame(TEXT, b"fine"))
    assert await client.receive() == (TEXT, b"fine")
    await client.send(bad)
    assert await client.close_code() == code
    client.close()
