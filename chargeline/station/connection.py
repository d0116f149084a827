"""Opening the WebSocket to the CSMS: URL, subprotocol, Basic credentials, TLS (profiles 1-3).

Profile 1: ws:// with HTTP Basic (username = station id). Profile 2: wss:// with Basic, the
CSMS certificate checked against the configured CA file or the installed CSMS root
certificates, TLS 1.2 or newer. Profile 3: wss:// with the station's client certificate,
either the configured files or the key pair obtained through SignCertificate.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from typing import TYPE_CHECKING
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

if TYPE_CHECKING:
    from chargeline.station.runtime import Station

ROOT_TYPES = ("CSMSRootCertificate", "CentralSystemRootCertificate")


def station_url(base: str, station_id: str) -> str:
    return base.rstrip("/") + "/" + quote(station_id, safe="")


def basic_header(station_id: str, password: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(station_id.encode() + b":" + password).decode()}


def password_for(station: Station) -> bytes | None:
    if station.configuration is not None:
        return station.configuration.password_bytes()
    assert station.device_model is not None
    value = station.device_model.value(("SecurityCtrlr", None, None, None, "BasicAuthPassword", None))
    return value.encode() if value else None


def tls_context(station: Station, profile: int) -> ssl.SSLContext:
    cfg = station.cfg
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    installed = station.certs.trusted_pem(ROOT_TYPES)
    if cfg.ca_file:
        ctx.load_verify_locations(cafile=cfg.ca_file)
    if installed:
        ctx.load_verify_locations(cadata=installed)
    if not cfg.ca_file and not installed:
        ctx.load_default_certs()
    if profile >= 3:
        identity = station.certs.client_identity()
        if identity is not None:
            chain, key = identity
            with tempfile.TemporaryDirectory() as tmp:  # ssl loads keys from files only
                cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
                with open(cert_path, "w") as f:
                    f.write(chain)
                with open(key_path, "w") as f:
                    f.write(key)
                ctx.load_cert_chain(cert_path, key_path)
        elif cfg.client_cert and cfg.client_key:
            ctx.load_cert_chain(cfg.client_cert, cfg.client_key)
        else:
            raise ValueError("security profile 3 needs a client certificate")
    return ctx


async def open_connection(station: Station) -> ClientConnection:
    """The socket; its close_timeout is only a backstop, `Station.close_timeout` bounds our own closes."""
    cfg = station.cfg
    url = station_url(cfg.url, station.id)
    profile = station.settings.integer("security_profile", cfg.security_profile)
    headers: dict[str, str] = {}
    password = password_for(station)
    if profile in (1, 2) or (profile == 0 and password):
        if password is None:
            raise ValueError(f"security profile {profile} needs a password")
        headers.update(basic_header(station.id, password))
    secure = url.startswith("wss://")
    if profile >= 2 and not secure:
        raise ValueError(f"security profile {profile} needs a wss:// URL")
    ping = station.settings.integer("ping_interval", 30)
    return await connect(
        url, subprotocols=[Subprotocol(station.version.value)], additional_headers=headers or None,
        ssl=tls_context(station, profile) if secure else None, open_timeout=10, ping_interval=ping or None,
        ping_timeout=ping or None, close_timeout=10, max_size=1 << 20, compression=None,
        user_agent_header=f"{cfg.vendor}/{station.firmware_version} (chargeline station)")
