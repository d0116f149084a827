"""An independent station for the command tests: the `ocpp` package's ChargePoint, recording every CALL.

It answers each CSMS-initiated action with a canned, schema-valid response (the library validates
both our request and its answer against the official schemas), and keeps the raw payloads it
received so tests check exactly what went over the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import make_dataclass
from typing import Any

import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v201 import ChargePoint as ChargePoint201
from websockets.typing import Subprotocol

from tests.e2e.stations import PASSWORD, basic

_ACCEPTED = {"status": "Accepted"}
_HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "a" * 64, "issuerKeyHash": "b" * 64, "serialNumber": "01"}

RESPONSES_V16: dict[str, dict[str, Any]] = {
    **{a: _ACCEPTED for a in ("RemoteStartTransaction", "RemoteStopTransaction", "Reset", "ChangeAvailability",
                              "ChangeConfiguration", "ClearCache", "CancelReservation", "ReserveNow", "SendLocalList",
                              "SetChargingProfile", "ClearChargingProfile", "TriggerMessage",
                              "ExtendedTriggerMessage", "SignedUpdateFirmware", "InstallCertificate",
                              "DeleteCertificate", "CertificateSigned")},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
    "GetDiagnostics": {"fileName": "diagnostics.zip"},
    "GetLog": {"status": "Accepted", "filename": "security.log"},
    "DataTransfer": {"status": "Accepted", "data": "pong"},
    "GetLocalListVersion": {"listVersion": 7},
    "GetInstalledCertificateIds": {"status": "Accepted", "certificateHashData": [_HASH]},
    "GetConfiguration": {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                                              {"key": "AuthorizationKey", "readonly": False,
                                               "value": "0123456789abcdef0123"}],
                         "unknownKey": ["NoSuchKey"]},
    "GetCompositeSchedule": {"status": "Accepted", "connectorId": 1, "scheduleStart": "2026-11-21T10:00:00Z",
                             "chargingSchedule": {"chargingRateUnit": "A", "duration": 3600,
                                                  "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}},
}

RESPONSES_V2: dict[str, dict[str, Any]] = {
    **{a: _ACCEPTED for a in ("Reset", "ChangeAvailability", "ClearCache", "CancelReservation", "ReserveNow",
                              "SendLocalList", "SetChargingProfile", "ClearChargingProfile", "TriggerMessage",
                              "UpdateFirmware", "InstallCertificate", "DeleteCertificate", "CertificateSigned",
                              "SetDisplayMessage", "GetDisplayMessages", "ClearDisplayMessage", "CustomerInformation",
                              "SetMonitoringBase", "SetMonitoringLevel", "GetMonitoringReport", "SetNetworkProfile",
                              "GetBaseReport", "GetReport", "GetChargingProfiles", "PublishFirmware")},
    "RequestStartTransaction": {"status": "Accepted", "transactionId": "tx-remote-1"},
    "RequestStopTransaction": _ACCEPTED,
    "UnlockConnector": {"status": "Unlocked"},
    "GetLog": {"status": "Accepted", "filename": "log.tgz"},
    "DataTransfer": {"status": "Accepted", "data": {"pong": True}},
    "GetLocalListVersion": {"versionNumber": 7},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "UnpublishFirmware": {"status": "Unpublished"},
    "GetTransactionStatus": {"messagesInQueue": False, "ongoingIndicator": True},
    "CostUpdated": {},
    "GetVariables": {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                            "component": {"name": "OCPPCommCtrlr"},
                                            "variable": {"name": "HeartbeatInterval"}}]},
    "SetVariables": {"setVariableResult": [{"attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"},
                                            "variable": {"name": "HeartbeatInterval"}}]},
    "SetVariableMonitoring": {"setMonitoringResult": [{"status": "Accepted", "type": "Delta", "severity": 5,
                                                       "component": {"name": "EVSE"},
                                                       "variable": {"name": "Power"}, "id": 11}]},
    "ClearVariableMonitoring": {"clearMonitoringResult": [{"status": "Accepted", "id": 11}]},
    "GetCompositeSchedule": {"status": "Accepted", "schedule": {
        "evseId": 1, "duration": 3600, "scheduleStart": "2026-11-21T10:00:00Z", "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]}},
}

RESPONSES_V21: dict[str, dict[str, Any]] = {
    **RESPONSES_V2,
    "GetTariffs": {"status": "NoTariff"},
    "ClearTariffs": {"clearTariffsResult": [{"status": "NoTariff"}]},
    "UsePriorityCharging": {"status": "Accepted"},
}


def _answer(payload: dict[str, Any]) -> Any:
    cls = make_dataclass("Answer", [(k, Any) for k in payload])
    return cls(**payload)


def recording(base: type, responses: dict[str, dict[str, Any]]) -> type:
    class RecordingStation(base):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.received: list[tuple[str, dict[str, Any]]] = []
            self.arrived = asyncio.Event()
            for action, response in responses.items():
                self.route_map[action] = {"_on_action": self._handler(response), "_skip_schema_validation": False}

        @staticmethod
        def _handler(response: dict[str, Any]) -> Any:
            def handle(**_: Any) -> Any:
                return _answer(response)
            return handle

        async def route_message(self, raw_msg: str) -> None:
            frame = json.loads(raw_msg)
            if frame[0] == 2:
                self.received.append((frame[2], frame[3]))
                self.arrived.set()
            await super().route_message(raw_msg)

        def last(self, action: str) -> dict[str, Any]:
            found = [payload for name, payload in self.received if name == action]
            assert found, f"the station received no {action}; it got {[n for n, _ in self.received]}"
            return found[-1]

    return RecordingStation


STATIONS = {"1.6": (ChargePoint16, RESPONSES_V16, "ocpp1.6"), "2.0.1": (ChargePoint201, RESPONSES_V2, "ocpp2.0.1"),
            "2.1": (ChargePoint21, RESPONSES_V21, "ocpp2.1")}


@contextlib.asynccontextmanager
async def recording_station(url: str, station_id: str, version: str) -> AsyncIterator[Any]:
    base, responses, subprotocol = STATIONS[version]
    async with websockets.connect(url + station_id, subprotocols=[Subprotocol(subprotocol)],
                                  additional_headers=basic(station_id, PASSWORD)) as ws:
        cp = recording(base, responses)(station_id, ws, response_timeout=10)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
