"""An independent central system for interop tests: the `ocpp` package's ChargePoint on websockets.serve.

It answers every station-initiated message, records what the station sent, and sends the
CSMS-initiated requests through `ChargePoint.call`, which validates each request and each
answer against the official schemas (the `ocpp` package's own validator, not ours).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
import re
import tarfile
import threading
import uuid
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v21 import ChargePoint as Cp21
from ocpp.v21 import call as call21
from ocpp.v21 import call_result as result21
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}
BASE = {"1.6": Cp16, "2.0.1": Cp201, "2.1": Cp21}
CALLS = {"1.6": call16, "2.0.1": call201, "2.1": call21}
RESULTS = {"1.6": result16, "2.0.1": result201, "2.1": result21}
STATION_ACTIONS = {
    "1.6": ["Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
            "FirmwareStatusNotification", "Heartbeat", "LogStatusNotification", "MeterValues",
            "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification", "StartTransaction",
            "StatusNotification", "StopTransaction"],
    "2.0.1": ["Authorize", "BootNotification", "DataTransfer", "FirmwareStatusNotification", "Heartbeat",
              "LogStatusNotification", "MeterValues", "NotifyCustomerInformation", "NotifyDisplayMessages",
              "NotifyEvent", "NotifyMonitoringReport", "NotifyReport", "ReportChargingProfiles",
              "ReservationStatusUpdate", "SecurityEventNotification", "SignCertificate", "StatusNotification",
              "TransactionEvent"],
}
STATION_ACTIONS["2.1"] = STATION_ACTIONS["2.0.1"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _answer(version: str, action: str) -> Any:
    results = RESULTS[version]
    fields: Any = {
        "BootNotification": {"current_time": _now(), "interval": 300, "status": "Accepted"},
        "Heartbeat": {"current_time": _now()},
        "Authorize": ({"id_tag_info": {"status": "Accepted"}} if version == "1.6"
                      else {"id_token_info": {"status": "Accepted"}}),
        "StartTransaction": {"transaction_id": 0, "id_tag_info": {"status": "Accepted"}},
        "SignCertificate": {"status": "Accepted"},
        "DataTransfer": {"status": "Accepted"},
    }.get(action, {})
    return getattr(results, action)(**fields)


def central_system_class(version: str) -> type:
    """A ChargePoint subclass with a route for every station-initiated action of `version`."""
    attrs: dict[str, Any] = {}
    for action in STATION_ACTIONS[version]:
        def handler(self: Any, _action: str = action, **kwargs: Any) -> Any:
            response = _answer(version, _action)
            if _action == "StartTransaction":
                self.next_tx += 1
                response.transaction_id = self.next_tx
            return response
        handler.__name__ = f"on_{action}"
        attrs[handler.__name__] = on(action)(handler)

    async def route_message(self: Any, raw: str) -> None:
        msg = json.loads(raw)
        if msg[0] == 2:
            self.received.append((msg[2], msg[3]))
        elif msg[0] in (3, 4):
            self.answers[msg[1]] = msg
        await BASE[version].route_message(self, raw)

    attrs["route_message"] = route_message
    return type(f"IndependentCsms{version.replace('.', '')}", (BASE[version],), attrs)


class IndependentCsms:
    def __init__(self, version: str):
        self.version = version
        self.cp: Any = None
        self.sessions = 0
        self.connected = asyncio.Event()
        self._cls = central_system_class(version)

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        async with websockets.serve(self._handle, "127.0.0.1", 0, subprotocols=[Subprotocol(SUBPROTOCOL[self.version])]) as srv:
            port = srv.sockets[0].getsockname()[1]
            yield f"ws://127.0.0.1:{port}/ocpp/"

    async def _handle(self, ws: Any) -> None:
        cp = self._cls(ws.request.path.rsplit("/", 1)[-1], ws, response_timeout=15)
        cp.received, cp.answers, cp.next_tx = (self.cp.received, self.cp.answers, self.cp.next_tx) if self.cp \
            else ([], {}, 100)
        self.cp = cp
        self.sessions += 1
        self.connected.set()
        with contextlib.suppress(websockets.ConnectionClosed):
            await cp.start()

    @property
    def received(self) -> list[tuple[str, dict[str, Any]]]:
        return self.cp.received if self.cp else []

    def messages(self, action: str) -> list[dict[str, Any]]:
        return [p for a, p in self.received if a == action]

    async def ask(self, action: str, **payload: Any) -> dict[str, Any]:
        """Send a CSMS-initiated request (camelCase payload); returns the raw answer payload.

        `ChargePoint.call` validates the request and the answer against the official schemas
        and raises on a CALLERROR.
        """
        cls = getattr(CALLS[self.version], action)
        request = cls(**{_snake(k): v for k, v in payload.items()})
        unique_id = str(uuid.uuid4())
        await self.cp.call(request, suppress=False, unique_id=unique_id)
        return self.cp.answers[unique_id][2]


class FileServer:
    """HTTP on loopback: serves firmware images, accepts log uploads (PUT or POST)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.uploads: dict[str, bytes] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                data = owner.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                owner.uploads[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(201)
                self.end_headers()

            do_POST = do_PUT

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def archive_names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return archive.getnames()
