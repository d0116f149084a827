"""OcppPeer over a real WebSocket connection on loopback."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from chargeline.net.peer import ConnectionLost, OcppPeer
from chargeline.ocpp.rpc import InboundCall, RpcSession
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion


async def _unused(call: InboundCall) -> dict[str, object]:
    raise AssertionError("no CALL reaches this side")


async def test_a_call_on_a_connection_closed_meanwhile_raises_connection_lost() -> None:
    async def close_at_once(ws: ServerConnection) -> None:
        await ws.close()

    async with serve(close_at_once, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as ws:
            await ws.wait_closed()
            session = RpcSession(OcppVersion.V16, registry_for(OcppVersion.V16), frozenset())
            peer = OcppPeer(ws, session, _unused)
            with pytest.raises(ConnectionLost, match="before Reset was sent"):
                await peer.call("Reset", {"type": "Soft"})
            assert not peer._futures  # nothing left to fail, and no error nobody reads
