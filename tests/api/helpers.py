"""Shared pieces of the command tests: boot a recording station, run an operation through the API."""

from __future__ import annotations

from typing import Any

import httpx
from ocpp.v16 import call as call16
from ocpp.v21 import call as call21
from ocpp.v201 import call as call201

PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2hhcmdlbGluZQ==\n-----END CERTIFICATE-----\n"
CERT_HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "a" * 64, "issuerKeyHash": "b" * 64, "serialNumber": "01"}
PROFILE_2X: dict[str, Any] = {"id": 5, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
              "chargingProfileKind": "Absolute",
              "chargingSchedule": [{"id": 1, "startSchedule": "2026-11-21T00:00:00Z", "chargingRateUnit": "A",
                                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}]}
TX_PROFILE_16 = {"chargingProfileId": 8, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
                 "chargingProfileKind": "Relative",
                 "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [
                     {"startPeriod": 0, "limit": 7400}]}}
ID = "$command_id"  # placeholder for "the command id" (our requestId) in expected payloads


async def boot(cp: Any, version: str) -> None:
    if version == "1.6":
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22"))
    else:
        calls = call201 if version == "2.0.1" else call21
        await cp.call(calls.BootNotification(charging_station={"model": "DC150", "vendor_name": "Acme"},
                                             reason="PowerUp"))


def expected(payload: Any, command_id: int) -> Any:
    if payload == ID:
        return command_id
    if isinstance(payload, dict):
        return {k: expected(v, command_id) for k, v in payload.items()}
    if isinstance(payload, list):
        return [expected(v, command_id) for v in payload]
    return payload


async def command(client: httpx.AsyncClient, station: str, operation: str, params: dict[str, Any],
                  **query: Any) -> httpx.Response:
    return await client.post(f"/api/v1/stations/{station}/commands/{operation}", json=params, params=query)
