"""File transfers of firmware and logs: HTTP(S) GET / PUT / POST and FTP, off the event loop.

The standard library is enough for a charger's needs and runs in a worker thread, so one
slow server never stalls thousands of simulated stations.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import ssl
import urllib.request
from urllib.parse import unquote, urlsplit

MAX_DOWNLOAD = 256 * 1024 * 1024


class TransferError(Exception):
    pass


def _context(url: str, cafile: str | None) -> ssl.SSLContext | None:
    if not url.lower().startswith("https:"):
        return None
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _download(url: str, timeout: float, cafile: str | None) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ftp", "ftps"):
        raise TransferError(f"unsupported scheme {parts.scheme!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=_context(url, cafile)) as response:
            data = response.read(MAX_DOWNLOAD + 1)
    except OSError as exc:
        raise TransferError(str(exc)) from exc
    if len(data) > MAX_DOWNLOAD:
        raise TransferError("file too large")
    return bytes(data)


def _upload(url: str, filename: str, data: bytes, timeout: float, cafile: str | None) -> None:
    parts = urlsplit(url)
    if parts.scheme in ("ftp", "ftps"):
        ftp_cls = ftplib.FTP_TLS if parts.scheme == "ftps" else ftplib.FTP
        try:
            with ftp_cls() as ftp:
                ftp.connect(parts.hostname or "", parts.port or 21, timeout=timeout)
                ftp.login(unquote(parts.username or "anonymous"), unquote(parts.password or ""))
                if parts.path and parts.path not in ("", "/"):
                    ftp.cwd(parts.path)
                ftp.storbinary(f"STOR {filename}", io.BytesIO(data))
        except (OSError, ftplib.Error) as exc:
            raise TransferError(str(exc)) from exc
        return
    if parts.scheme not in ("http", "https"):
        raise TransferError(f"unsupported scheme {parts.scheme!r}")
    target = url if not url.endswith("/") else url + filename
    headers = {"Content-Type": "application/gzip", "Content-Disposition": f'attachment; filename="{filename}"'}
    last: Exception | None = None
    for method in ("PUT", "POST"):  # PUT to a (pre-signed) location; POST where the server wants that
        request = urllib.request.Request(target, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=_context(url, cafile)) as response:
                if 200 <= response.status < 300:
                    return
                last = TransferError(f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            last = TransferError(f"HTTP {exc.code}")
            if exc.code not in (405, 501):
                break
        except OSError as exc:
            last = TransferError(str(exc))
            break
    raise TransferError(str(last))


async def download(url: str, timeout: float = 60.0, cafile: str | None = None) -> bytes:
    return await asyncio.to_thread(_download, url, timeout, cafile)


async def upload(url: str, filename: str, data: bytes, timeout: float = 60.0, cafile: str | None = None) -> None:
    await asyncio.to_thread(_upload, url, filename, data, timeout, cafile)
