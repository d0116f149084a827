"""The OCPP-J WebSocket endpoint: everything that happens before and around a station session.

Order of checks (security brief §1.5): identity from the URL -> known station -> security
profile and credentials -> only then the duplicate-connection policy and the subprotocol.
A failed attempt never touches a live session.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import secrets
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from chargeline.csms.app import Csms
from chargeline.csms.context import StationSession
from chargeline.csms.directory import StationRecord
from chargeline.gateway.admission import AuthFailureLimiter
from chargeline.gateway.connection import StationConnection
from chargeline.gateway.credentials import BadAuthorizationHeader, candidates, parse_basic, verify_password
from chargeline.gateway.identity import BadIdentity, identity_from_path, station_key
from chargeline.net.peer import OcppPeer
from chargeline.ocpp.rpc import RpcSession
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import PREFERRED_ORDER, OcppVersion

log = logging.getLogger(__name__)

CLOSE_PROTOCOL_ERROR = 1002


def _remote(connection: ServerConnection) -> str:
    peer = connection.remote_address
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


class Gateway:
    def __init__(self, csms: Csms):
        self.csms = csms
        self.settings = csms.settings
        self.limiter = AuthFailureLimiter(self.settings.auth_failures_per_minute)
        self.server: Server | None = None
        # Remembers credentials verified before (keyed HMAC, never the password) so a reconnect
        # costs a hash lookup, not another slow scrypt.
        self._verified: dict[str, bytes] = {}
        self._cache_key = secrets.token_bytes(32)

    async def start(self, host: str, port: int) -> Server:
        s = self.settings
        self.server = await serve(
            self._session, host, port, process_request=self._admit, select_subprotocol=self._select,
            ping_interval=s.ping_interval or None, ping_timeout=s.ping_timeout or None,
            max_size=s.max_message_size, open_timeout=s.open_timeout, compression=None,
            server_header="Chargeline", backlog=4096, create_connection=StationConnection)
        return self.server

    async def close(self) -> None:
        """Stop accepting; close every session with 1001 so stations reconnect elsewhere."""
        if self.server is not None:
            self.server.close(close_connections=True)
            await self.server.wait_closed()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    # --- before the upgrade ----------------------------------------------------------------
    @staticmethod
    def _select(connection: ServerConnection, offered: Any) -> Subprotocol | None:
        for version in PREFERRED_ORDER:
            if version.value in offered:
                return Subprotocol(version.value)
        return None  # handshake completes without a subprotocol; the session closes with 1002

    async def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            identity = identity_from_path(request.path, self.settings.ocpp_path)
        except BadIdentity as exc:
            return connection.respond(HTTPStatus.BAD_REQUEST, f"{exc}\n")
        key = station_key(identity)
        station = await self.csms.lookup_station(key)
        if station is None:
            if not self.settings.allow_unknown_stations:
                log.warning("unknown station %r from %s refused; add it with: chargeline stations add %s "
                            "--password <password>", identity, _remote(connection), identity)
                return connection.respond(HTTPStatus.NOT_FOUND, "unknown charging station\n")
            station = await self.csms.register_unknown(identity)
        refusal = await self._authenticate(connection, request.headers, identity, station)
        if refusal is not None:
            return refusal
        connection.chargeline_station = station  # type: ignore[attr-defined]
        return None

    async def _authenticate(self, connection: ServerConnection, headers: Headers, identity: str,
                            station: StationRecord) -> Response | None:
        profile = station.security_profile
        if profile == 0:
            return None
        address = _remote(connection)
        if profile >= 2:
            log.warning("station %s needs security profile %d (TLS) but connected without TLS", identity, profile)
            return self._unauthorized(connection)
        if self.limiter.blocked(station.station_id, address):
            return connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "too many failed attempts; retry later\n")
        header = headers.get("Authorization")
        reason = None
        if header is None:
            reason = "no credentials"
        else:
            try:
                user, password = parse_basic(header)
            except BadAuthorizationHeader as exc:
                reason = str(exc)
            else:
                if station_key(user) != station.station_id:
                    reason = "username does not match the station identity"
                elif not await self._password_ok(station, password):
                    # the cached record may predate a password change: check the stored one too
                    current = await self.csms.lookup_station(station.station_id, fresh=True)
                    if current is None or current.password_hash == station.password_hash or \
                            not await self._password_ok(current, password):
                        reason = "wrong password"
        if reason is None:
            self.limiter.succeeded(station.station_id, address)
            return None
        self.limiter.failed(station.station_id, address)
        log.warning("station %s from %s failed authentication: %s", identity, address, reason)
        self.csms.events.publish("auth_failed", identity, remote=address, reason=reason)
        return self._unauthorized(connection)

    @staticmethod
    def _unauthorized(connection: ServerConnection) -> Response:
        response = connection.respond(HTTPStatus.UNAUTHORIZED, "authentication required\n")
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response

    async def _password_ok(self, station: StationRecord, password: bytes) -> bool:
        if station.password_hash is None:
            return False
        fingerprint = hmac.new(self._cache_key, station.password_hash.encode() + b"\0" + password,
                               hashlib.sha256).digest()
        cached = self._verified.get(station.station_id)
        if cached is not None and hmac.compare_digest(cached, fingerprint):
            return True
        stored = station.password_hash
        for candidate in candidates(password, self.settings.accept_hex_authorization_key):
            if await asyncio.to_thread(verify_password, candidate, stored):
                self._verified[station.station_id] = fingerprint
                return True
        return False

    # --- the session ---------------------------------------------------------------------
    async def _session(self, connection: ServerConnection) -> None:
        station: StationRecord = connection.chargeline_station  # type: ignore[attr-defined]
        if connection.subprotocol is None:
            offered = connection.request.headers.get("Sec-WebSocket-Protocol") if connection.request else None
            log.warning("station %s offered no supported subprotocol (%s)", station.display_id, offered)
            await connection.close(CLOSE_PROTOCOL_ERROR, "no supported OCPP subprotocol offered")
            return
        version = OcppVersion(connection.subprotocol)
        session = StationSession(station.station_id, station.display_id, version, _remote(connection),
                                 station.boot_status)
        rpc = RpcSession(version, registry_for(version), self.csms.handled_actions(version), station.lenient)

        # called for every message: partials, not closures (no Python frame, no extra coroutine)
        handle = functools.partial(self.csms.handle, session)
        observe = functools.partial(self.csms.log_frame, station.station_id)
        peer = OcppPeer(connection, rpc, handle, call_timeout=self.settings.call_timeout, observe=observe,
                        label=station.display_id)
        session.peer = peer
        self.csms.load_state(session)
        old = self.csms.connections.attach(session)
        if old is not None:
            self._supersede(old, session)
        self.csms.connected(session)
        log.info("station %s connected (%s) from %s", station.display_id, version.label, session.remote)
        try:
            await peer.serve()
        except ConnectionClosed:
            pass
        finally:
            if self.csms.connections.detach(session):
                self.csms.disconnected(session)
            log.info("station %s disconnected", station.display_id)

    def _supersede(self, old: StationSession, new: StationSession) -> None:
        """A newer authenticated connection wins; the old one's pending calls fail at once."""
        log.warning("station %s: new connection from %s supersedes the one from %s",
                    new.display_id, new.remote, old.remote)
        self.csms.events.publish("duplicate_connection", new.display_id, old_remote=old.remote,
                                 new_remote=new.remote)
        if old.peer is not None:
            old.peer.close()
            socket = old.peer.socket
            if isinstance(socket, ServerConnection):
                asyncio.get_running_loop().create_task(socket.close(1000, "superseded by a new connection"))
