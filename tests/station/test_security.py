"""Client-side security: profile 1 (Basic) against `chargeline serve`, profiles 2 and 3 (TLS) against a TLS CSMS."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.typing import Subprotocol

from chargeline.ocpp.versions import OcppVersion
from chargeline.station import SimClock, StateDb, Station, StationConfig
from tests.conftest import cli
from tests.station.conftest import fast_settings, until
from tests.station.pki import Ca


async def test_profile_1_basic_auth(start_server: Any, sqlite_url: str, tmp_path: Path) -> None:
    cli("stations", "add", "SEC-1", "--password", "a-long-random-password", database=sqlite_url)
    server = start_server(sqlite_url, "--api-port", "0")
    cfg = StationConfig("SEC-1", url=server.url, version=OcppVersion.V201, password="a-long-random-password",
                        security_profile=1, settings=fast_settings("2.0.1"))
    station = Station(cfg, StateDb(tmp_path / "s.db"), SimClock())
    task = asyncio.create_task(station.run())
    await until(lambda: station.online, what="authenticated boot")
    await station.stop()
    await task
    wrong = Station(cfg.with_overrides(password="not-the-password-at-all"), StateDb(), SimClock())
    task = asyncio.create_task(wrong.run())
    await until(lambda: any("401" in text for _, kind, text in wrong.log.records if kind == "security"),
                what="HTTP 401")
    assert not wrong.online
    await wrong.stop()
    await task


def _server_cert(ca: Ca, tmp_path: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "server.pem", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


async def test_profiles_2_and_3_over_tls(tmp_path: Path) -> None:
    """wss:// with the CSMS certificate checked; profile 3 presents the certificate obtained by SignCertificate."""
    ca = Ca()
    ca_path = tmp_path / "ca.pem"
    ca_path.write_text(ca.pem)
    cert, key = _server_cert(ca, tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(cafile=str(ca_path))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    seen: list[tuple[str | None, str | None]] = []

    async def handler(ws: Any) -> None:
        peer = ws.transport.get_extra_info("ssl_object").getpeercert()
        subject = dict(x[0] for x in peer["subject"]) if peer else {}
        seen.append((ws.request.headers.get("Authorization"), subject.get("commonName")))
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in ws:
                msg = __import__("json").loads(message)
                if msg[0] == 2:
                    reply: dict[str, Any] = {}
                    if msg[2] == "BootNotification":
                        reply = {"status": "Accepted", "interval": 300,
                                 "currentTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
                    await ws.send(__import__("json").dumps([3, msg[1], reply]))

    async with websockets.serve(handler, "localhost", 0, ssl=ctx, subprotocols=[Subprotocol("ocpp1.6")]) as srv:
        url = f"wss://localhost:{srv.sockets[0].getsockname()[1]}/ocpp/"
        cfg = StationConfig("TLS-1", url=url, version=OcppVersion.V16, password="0123456789abcdef0123",
                            security_profile=2, ca_file=str(ca_path), settings=fast_settings("1.6"))
        db = StateDb(tmp_path / "tls.db")
        station = Station(cfg, db, SimClock())
        task = asyncio.create_task(station.run())
        await until(lambda: station.online, what="profile 2 boot")
        assert seen[-1][0] is not None and seen[-1][0].startswith("Basic ") and seen[-1][1] is None
        # obtain a client certificate the way a CSMS would hand it out, then switch to profile 3
        csr = station.certs.new_csr(cfg.serial, "Chargeline Test")
        assert station.certs.accept_signed(ca.sign_csr(csr), station.clock.now())[0]
        assert station.configuration is not None
        assert station.configuration.change("SecurityProfile", "3") == "Accepted"
        assert station.configuration.change("SecurityProfile", "1") == "Rejected"  # never downwards
        await station.stop()
        await task
        station = Station(cfg, db, SimClock())
        task = asyncio.create_task(station.run())
        await until(lambda: station.online, what="profile 3 boot")
        assert seen[-1] == (None, cfg.serial)
        await station.stop()
        await task
