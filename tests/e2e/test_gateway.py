"""The handshake: identity, credentials, subprotocols, duplicate connections (security brief §6)."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from ocpp.v16 import call
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.conftest import cli
from tests.e2e.stations import PASSWORD, basic, ocpp_station


@pytest.fixture
def server(start_server, sqlite_url):
    cli("stations", "add", "CP-1", "--password", PASSWORD, database=sqlite_url)
    cli("stations", "add", "RDAM 123", "--password", PASSWORD, database=sqlite_url)
    cli("stations", "add", "OPEN-1", "--security-profile", "0", database=sqlite_url)
    return start_server(sqlite_url)


async def status_of(url: str, headers: dict[str, str] | None = None, subprotocols: list[str] | None = None) -> int:
    try:
        async with websockets.connect(url, subprotocols=[Subprotocol(p) for p in subprotocols or ["ocpp1.6"]], additional_headers=headers):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_refusals_before_the_upgrade(server) -> None:
    base = server.url
    assert await status_of(base + "NOPE", basic("NOPE")) == 404
    assert await status_of(base, basic("CP-1")) == 400
    assert await status_of(base + "CP-1/x", basic("CP-1")) == 400
    assert await status_of(base + "X" * 49, basic("X" * 49)) == 400
    assert await status_of(base + "CP%2F1", basic("CP-1")) == 400
    assert await status_of(base + "CP%25411", basic("CP-1")) == 400  # double-encoded
    assert await status_of(base + "CP-1") == 401  # no credentials
    assert await status_of(base + "CP-1", basic("CP-1", "wrong-password-123456")) == 401
    assert await status_of(base + "CP-1", basic("CP-1invalid")) == 401  # username is not the identity
    assert await status_of(base + "CP-1", {"Authorization": "Basic !!!"}) == 401
    assert await status_of(base + "CP-1", {"Authorization": "Bearer abc"}) == 401
    assert "wrong-password" not in server.logs() and PASSWORD not in server.logs()


async def test_accepted_forms(server) -> None:
    assert await status_of(server.url + "CP-1", basic("CP-1")) == 101
    assert await status_of(server.url + "cp-1", basic("cp-1")) == 101  # identities are case-insensitive
    assert await status_of(server.url + "RDAM%20123", basic("RDAM 123")) == 101  # percent-decoded once
    assert await status_of(server.url + "OPEN-1") == 101  # profile 0, configured so


async def test_unauthorized_response_names_basic(server) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(server.url + "CP-1", subprotocols=[Subprotocol("ocpp1.6")]):
            pass
    assert info.value.response.headers["WWW-Authenticate"].startswith("Basic")


async def test_no_common_subprotocol_closes_with_1002(server) -> None:
    async with websockets.connect(server.url + "CP-1", subprotocols=[Subprotocol("ocpp9.9")],
                                  additional_headers=basic("CP-1")) as ws:
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1002


async def test_preferred_version_is_chosen(server) -> None:
    async with websockets.connect(server.url + "CP-1", subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1"), Subprotocol("ocpp2.1")],
                                  additional_headers=basic("CP-1")) as ws:
        assert ws.subprotocol == "ocpp2.1"


async def test_new_connection_supersedes_and_failed_attempt_does_not(server) -> None:
    async with ocpp_station(server.url, "CP-1") as first:
        await first.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        assert await status_of(server.url + "CP-1", basic("CP-1", "bad-password-0000000")) == 401
        assert (await first.call(call.Heartbeat())).current_time  # untouched by the failed attempt
        async with ocpp_station(server.url, "CP-1") as second:
            assert (await second.call(call.Heartbeat())).current_time
            await asyncio.sleep(0.5)
            assert first._connection.close_code == 1000


async def test_brute_force_is_throttled(server) -> None:
    codes = [await status_of(server.url + "CP-1", basic("CP-1", f"guess-{i:016d}")) for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429


async def test_oversized_message_closes_with_1009(server) -> None:
    async with websockets.connect(server.url + "OPEN-1", subprotocols=[Subprotocol("ocpp1.6")], max_size=None) as ws:
        await ws.send('[2, "x", "DataTransfer", {"vendorId": "v", "data": "' + "a" * (1 << 20) + '"}]')
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1009
    assert await status_of(server.url + "OPEN-1") == 101
