"""The station's logs and GetDiagnostics / GetLog: build a real archive and upload it.

The station keeps a bounded in-memory log of its events, the OCPP frames it exchanged and
its security events. A request packs the records of the asked time window, the station's
configuration and its identity into a tar.gz and uploads it to the given location, with
DiagnosticsStatusNotification (1.6) or LogStatusNotification (1.6 security, 2.x).
"""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
import time
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.domain.clock import format_utc, parse_station_time
from chargeline.station.transfer import TransferError, upload

if TYPE_CHECKING:
    from chargeline.station.runtime import Station


class LogBuffer:
    """Bounded records (time, kind, text); kinds: event, frame, security."""

    def __init__(self, clock: Any, maxlen: int):
        self.clock = clock
        self.records: deque[tuple[datetime, str, str]] = deque(maxlen=max(10, maxlen))

    def add(self, kind: str, text: str) -> None:
        self.records.append((self.clock(), kind, text[:1000]))

    def event(self, text: str) -> None:
        self.add("event", text)

    def security(self, text: str) -> None:
        self.add("security", text)

    def frame(self, direction: str, text: str) -> None:
        self.add("frame", f"{direction} {text[:500]}")

    def select(self, kinds: set[str], oldest: datetime | None, latest: datetime | None) -> list[str]:
        return [f"{format_utc(t)} {k:8} {text}" for t, k, text in self.records
                if k in kinds and (oldest is None or t >= oldest) and (latest is None or t <= latest)]


def build_archive(station: Station, kinds: set[str], oldest: datetime | None, latest: datetime | None) -> bytes:
    """A tar.gz with the log lines of the window, the configuration and the station identity."""
    files = {
        "station.json": json.dumps({"id": station.id, "vendor": station.cfg.vendor, "model": station.cfg.model,
                                    "serial": station.cfg.serial, "firmware": station.firmware_version,
                                    "ocpp": station.version.label, "generated": format_utc(station.clock.now())},
                                   indent=2),
        "configuration.json": json.dumps(station.configuration_dump(), indent=2),
    }
    if "security" in kinds:
        files["security.log"] = "\n".join(station.log.select({"security"}, oldest, latest)) + "\n"
    if kinds - {"security"}:
        files["station.log"] = "\n".join(station.log.select(kinds - {"security"}, oldest, latest)) + "\n"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


class LogUploads:
    """One upload at a time, as firmware does; a new request cancels the running one."""

    def __init__(self, station: Station):
        self.station = station
        self.task: asyncio.Task[None] | None = None
        self.status = "Idle"
        self.request_id: int | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, location: str, kinds: set[str], oldest: str | None, latest: str | None, retries: int,
              interval: int, request_id: int | None, diagnostics: bool) -> str:
        """Begin an upload; returns the file name."""
        if self.task is not None and self.busy:
            self.task.cancel()
        st = self.station
        stamp = st.clock.now().strftime("%Y%m%dT%H%M%SZ")
        filename = f"{st.id}-{'diagnostics' if diagnostics else 'log'}-{stamp}.tar.gz"
        window = (parse_station_time(oldest) if oldest else None, parse_station_time(latest) if latest else None)
        self.request_id = request_id
        self.task = st.spawn(self._run(location, filename, kinds, window, retries, interval, request_id,
                                       diagnostics))
        return filename

    async def _run(self, location: str, filename: str, kinds: set[str], window: tuple[Any, Any], retries: int,
                   interval: int, request_id: int | None, diagnostics: bool) -> None:
        st = self.station
        data = build_archive(st, kinds, *window)
        await self._notify("Uploading", request_id, diagnostics)
        for attempt in range(max(0, retries) + 1):
            try:
                await upload(location, filename, data, cafile=st.cfg.ca_file)
            except TransferError as exc:
                st.log.event(f"log upload attempt {attempt + 1} to {location} failed: {exc}")
                if attempt < retries:
                    await asyncio.sleep(max(0, interval))
                continue
            st.log.event(f"uploaded {filename} ({len(data)} bytes)")
            await self._notify("Uploaded", request_id, diagnostics)
            return
        await self._notify("UploadFailed" if diagnostics else "UploadFailure", request_id, diagnostics)

    async def _notify(self, status: str, request_id: int | None, diagnostics: bool) -> None:
        self.status = status
        st = self.station
        if diagnostics:
            await st.send("DiagnosticsStatusNotification", {"status": status})
        else:
            payload: dict[str, Any] = {"status": status}
            if request_id is not None:
                payload["requestId"] = request_id
            await st.send("LogStatusNotification", payload)
        if status in ("Uploaded", "UploadFailed", "UploadFailure"):
            self.status = "Idle"
