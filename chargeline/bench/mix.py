"""The realistic message mix of one station, as prebuilt frame templates (cheap to send).

Per 13 calls: 6 MeterValues with 4 sampled values, 2 Heartbeat, 2 StatusNotification, and one
Authorize + StartTransaction + StopTransaction. Every payload is unique (counters in values, and
each station's clock never shows the same time twice), so that the CSMS's idempotency keys never
merge two of them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

EPOCH = datetime.now(UTC)
_EPOCH_S = EPOCH.timestamp()
_EPOCH_TEXT_BASE = EPOCH.replace(tzinfo=None)  # formatted without an offset, then "Z": half strftime's cost
MIX = [
    "Authorize",
    "StartTransaction",
    "MeterValues",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
    "MeterValues",
    "MeterValues",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
    "MeterValues",
    "StopTransaction",
]


def _ts(ms: int) -> str:
    return (_EPOCH_TEXT_BASE + timedelta(milliseconds=ms)).isoformat(timespec="microseconds") + "Z"


class StationMix:
    """Builds the next CALL of one station; `answer` feeds back what the next call needs."""

    def __init__(self, station_id: str, version: str, seed: int):
        self.station_id = station_id
        self.v16 = version == "1.6"
        self.seed = seed
        self.n = 0  # increasing values and timestamps; unique per station
        self.index = 0
        self.tx: Any = None
        self.clock_ms = 0  # the station's clock, in milliseconds since EPOCH

    def now(self) -> str:
        """The station's clock: the wall clock to the millisecond, later at every call of this station.

        Real stations' clocks follow the wall clock, so the samples of a network arrive in time
        order; a clock that advanced per call from a common start would put every station's
        samples in the same fraction of a second, out of any order a store keys by time."""
        ms = max(int((time.time() - _EPOCH_S) * 1000), self.clock_ms + 1)
        self.clock_ms = ms
        return _ts(ms)

    def boot(self) -> tuple[str, dict[str, Any]]:
        if self.v16:
            return "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Load"}
        return "BootNotification", {"reason": "PowerUp", "chargingStation": {"vendorName": "Bench", "model": "Load"}}

    def next(self) -> tuple[str, dict[str, Any]]:
        action = MIX[self.index % len(MIX)]
        self.index += 1
        self.n += 1
        builder = getattr(self, ("v16_" if self.v16 else "v2_") + action)
        payload: dict[str, Any] = builder()
        return (
            "TransactionEvent" if not self.v16 and action in ("StartTransaction", "StopTransaction") else action
        ), payload

    def answer(self, action: str, payload: dict[str, Any]) -> None:
        if action == "StartTransaction":
            self.tx = payload.get("transactionId")

    # --- 1.6 -------------------------------------------------------------------------------
    def v16_Authorize(self) -> dict[str, Any]:
        return {"idTag": "BENCH"}

    def v16_StartTransaction(self) -> dict[str, Any]:
        return {"connectorId": 1, "idTag": "BENCH", "meterStart": self.n, "timestamp": self.now()}

    def v16_StopTransaction(self) -> dict[str, Any]:
        return {"transactionId": self.tx or 0, "meterStop": self.n, "timestamp": self.now()}

    def v16_MeterValues(self) -> dict[str, Any]:
        n = self.n
        values = [
            {"value": str(n), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": str(n % 7400), "measurand": "Power.Active.Import", "unit": "W"},
            {"value": str(n % 32), "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            {"value": "230", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
        ]
        body: dict[str, Any] = {"connectorId": 1, "meterValue": [{"timestamp": self.now(), "sampledValue": values}]}
        if self.tx is not None:
            body["transactionId"] = self.tx
        return body

    def v16_Heartbeat(self) -> dict[str, Any]:
        return {}

    def v16_StatusNotification(self) -> dict[str, Any]:
        return {
            "connectorId": 1,
            "errorCode": "NoError",
            "status": "Charging" if self.n % 2 else "SuspendedEV",
            "timestamp": self.now(),
        }

    # --- 2.0.1 / 2.1 -----------------------------------------------------------------------
    def v2_Authorize(self) -> dict[str, Any]:
        return {"idToken": {"idToken": "BENCH", "type": "ISO14443"}}

    def _event(self, kind: str, seq: int) -> dict[str, Any]:
        at = self.now()
        return {
            "eventType": kind,
            "timestamp": at,
            "triggerReason": "Authorized" if seq == 0 else "EVDeparted",
            "seqNo": seq,
            "transactionInfo": {"transactionId": f"{self.station_id}-{self.tx_counter}"},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": [{"timestamp": at, "sampledValue": [{"value": float(self.n)}]}],
        }

    tx_counter = 0

    def v2_StartTransaction(self) -> dict[str, Any]:
        self.tx_counter += 1
        return self._event("Started", 0)

    def v2_StopTransaction(self) -> dict[str, Any]:
        return self._event("Ended", 1)

    def v2_MeterValues(self) -> dict[str, Any]:
        n = self.n
        values = [
            {"value": float(n), "measurand": "Energy.Active.Import.Register"},
            {"value": float(n % 7400), "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
            {"value": float(n % 32), "measurand": "Current.Import", "phase": "L1", "unitOfMeasure": {"unit": "A"}},
            {"value": 230.0, "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": {"unit": "V"}},
        ]
        return {"evseId": 1, "meterValue": [{"timestamp": self.now(), "sampledValue": values}]}

    def v2_Heartbeat(self) -> dict[str, Any]:
        return {}

    def v2_StatusNotification(self) -> dict[str, Any]:
        return {
            "timestamp": self.now(),
            "connectorStatus": "Occupied" if self.n % 2 else "Available",
            "evseId": 1,
            "connectorId": 1,
        }


def frame(message_id: str, action: str, payload: dict[str, Any]) -> bytes:
    """The CALL as the UTF-8 text it is sent as."""
    return orjson.dumps([2, message_id, action, payload])
