"""Firmware update: download over HTTP(S)/FTP, verify, install, restart with the new version.

Status flow (1.6 FirmwareStatusNotification; 1.6 security SignedFirmwareStatusNotification and
2.x FirmwareStatusNotification with requestId): Downloading -> Downloaded [-> SignatureVerified]
-> [InstallScheduled while transactions run] -> Installing [-> InstallRebooting] -> restart ->
Installed after the new BootNotification. A failed download reports DownloadFailed after
the retries, a bad signature InvalidSignature (and the InvalidFirmwareSignature security event).
The new version is read from the image's first line `CHARGELINE-FIRMWARE version=X.Y.Z`, else
from a version number in the file name, else from the image's hash.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from chargeline.domain.clock import parse_station_time
from chargeline.station.certificates import issued_by, load_chain
from chargeline.station.transfer import TransferError, download

if TYPE_CHECKING:
    from chargeline.station.runtime import Station

_HEADER = re.compile(rb"CHARGELINE-FIRMWARE\s+version=([\w.\-+]{1,40})")
_NAME_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?)")


def image_version(data: bytes, location: str) -> str:
    match = _HEADER.search(data[:200])
    if match:
        return match.group(1).decode()
    name = urlsplit(location).path.rsplit("/", 1)[-1]
    found = _NAME_VERSION.search(name)
    if found:
        return found.group(1).rstrip(".")
    return "sha-" + hashlib.sha256(data).hexdigest()[:10]


def verify_signature(data: bytes, signing_cert_pem: str, signature_b64: str) -> bool:
    """SHA-256 signature over the whole image with the signing certificate's key (L01.FR.04)."""
    cert = load_chain(signing_cert_pem)[0]
    key = cert.public_key()
    signature = base64.b64decode(signature_b64)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(signature, data, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO),
                           hashes.SHA256())
            except InvalidSignature:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


class FirmwareUpdates:
    def __init__(self, station: Station):
        self.station = station
        self.task: asyncio.Task[None] | None = None
        self.status = "Idle"
        self.request_id: int | None = None
        self.action = "FirmwareStatusNotification"

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def check_signing_certificate(self, pem: str | None) -> str | None:
        """None if acceptable, else the UpdateFirmware status to answer (InvalidCertificate)."""
        if pem is None:
            return None
        try:
            cert = load_chain(pem)[0]
        except (ValueError, IndexError):
            return "InvalidCertificate"
        now = self.station.clock.now()
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return "InvalidCertificate"
        roots = self.station.certs.trusted_pem(("ManufacturerRootCertificate",))
        if roots and not any(issued_by(cert, root) or root == cert for root in load_chain(roots)):
            return "InvalidCertificate"
        return None

    def start(self, location: str, retrieve: str, install: str | None, retries: int, interval: int,
              request_id: int | None, signing_cert: str | None, signature: str | None, action: str) -> bool:
        """Begin an update; True if a running one was canceled (2.x AcceptedCanceled)."""
        canceled = self.busy
        if self.task is not None and canceled:
            self.task.cancel()
        self.request_id, self.action = request_id, action
        self.task = self.station.spawn(self._run(location, parse_station_time(retrieve),
                                                 parse_station_time(install) if install else None, retries, interval,
                                                 signing_cert, signature))
        return canceled

    async def _notify(self, status: str) -> None:
        self.status = status
        payload: dict[str, Any] = {"status": status}
        if (self.request_id is not None and self.action != "FirmwareStatusNotification") or (
                self.request_id is not None and self.station.version.is_v2):
            payload["requestId"] = self.request_id
        self.station.log.event(f"firmware: {status}")
        await self.station.send(self.action, payload)

    async def _run(self, location: str, retrieve: datetime, install: datetime | None, retries: int, interval: int,
                   signing_cert: str | None, signature: str | None) -> None:
        st = self.station
        if retrieve > st.clock.now():
            if self.action != "FirmwareStatusNotification" or st.version.is_v2:
                await self._notify("DownloadScheduled")
            await st.clock.sleep_until(retrieve)
        await self._notify("Downloading")
        data: bytes | None = None
        for attempt in range(max(0, retries) + 1):
            try:
                data = await download(location, cafile=st.cfg.ca_file)
                break
            except TransferError as exc:
                st.log.event(f"firmware download attempt {attempt + 1} failed: {exc}")
                if attempt < retries:
                    await asyncio.sleep(max(0, interval))
        if data is None:
            await self._notify("DownloadFailed")
            self.status = "Idle"
            return
        await self._notify("Downloaded")
        if signing_cert and signature:
            if not verify_signature(data, signing_cert, signature):
                await self._notify("InvalidSignature")
                await st.security_event("InvalidFirmwareSignature", "firmware signature does not verify")
                self.status = "Idle"
                return
            await self._notify("SignatureVerified")
        if install is not None and install > st.clock.now():
            await self._notify("InstallScheduled")
            await st.clock.sleep_until(install)
        if st.busy_evses():
            if st.version.is_v2 or self.action != "FirmwareStatusNotification":
                await self._notify("InstallScheduled")
            await st.wait_idle()
        await self._notify("Installing")
        version = image_version(data, location)
        st.state.put("firmware", "installed", {"version": version, "request_id": self.request_id,
                                               "action": self.action})
        if st.version.is_v2 or self.action != "FirmwareStatusNotification":
            await self._notify("InstallRebooting")
        st.firmware_installed(version)
        st.request_reboot("FirmwareUpdate")

    async def after_boot(self) -> None:
        """Report Installed once the new firmware has booted (and raise FirmwareUpdated)."""
        st = self.station
        done = st.state.get("firmware", "installed")
        if done is None:
            return
        st.state.delete("firmware", "installed")
        self.request_id, self.action = done.get("request_id"), done.get("action", "FirmwareStatusNotification")
        await self._notify("Installed")
        self.status = "Idle"
        await st.security_event("FirmwareUpdated", f"firmware {done['version']} installed")

