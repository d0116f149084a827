"""Station notifications that are stored and answered now and acted on by their blocks.

Firmware, diagnostics and log status, device-model reports and events, display messages,
charging limits and needs, reservations, DER and the 2.1 additions: each is validated by
the core, stored (once, however often it is retried) and answered as its schema requires.
Where the answer is a decision this CSMS cannot make yet (a certificate to sign, an
ISO 15118 contract), the answer says so honestly (Rejected / Failed) instead of accepting.
"""

from __future__ import annotations

from typing import Any

from chargeline.csms.context import Ctx
from chargeline.store.schema import station_notifications
from chargeline.store.sql import dedupe_key, insert_ignore

_NO_CA = {"reasonCode": "NoCA", "additionalInfo": "no certificate authority is configured"}
_NOT_OFFERED = {"reasonCode": "NotSupported"}

# action -> response, per version family. Empty dict: the schema's answer is an empty object.
RESPONSES_V16: dict[str, dict[str, Any]] = {
    "DiagnosticsStatusNotification": {},
    "FirmwareStatusNotification": {},
    "LogStatusNotification": {},
    "SignedFirmwareStatusNotification": {},
    "SignCertificate": {"status": "Rejected"},
}

RESPONSES_V201: dict[str, dict[str, Any]] = {
    "FirmwareStatusNotification": {},
    "LogStatusNotification": {},
    "NotifyEvent": {},
    "NotifyReport": {},
    "NotifyMonitoringReport": {},
    "NotifyCustomerInformation": {},
    "NotifyDisplayMessages": {},
    "NotifyChargingLimit": {},
    "ClearedChargingLimit": {},
    "ReportChargingProfiles": {},
    "ReservationStatusUpdate": {},
    "PublishFirmwareStatusNotification": {},
    "NotifyEVChargingSchedule": {"status": "Accepted"},
    "NotifyEVChargingNeeds": {"status": "Rejected", "statusInfo": {"reasonCode": "NoSchedule"}},
    "SignCertificate": {"status": "Rejected", "statusInfo": _NO_CA},
    "Get15118EVCertificate": {"status": "Failed", "exiResponse": "", "statusInfo": _NO_CA},
    "GetCertificateStatus": {"status": "Failed", "statusInfo": _NO_CA},
}

RESPONSES_V21: dict[str, dict[str, Any]] = {
    **RESPONSES_V201,
    "NotifyEVChargingNeeds": {"status": "NoChargingProfile"},
    "NotifyDERAlarm": {},
    "NotifyDERStartStop": {},
    "ReportDERControl": {},
    "NotifyPriorityCharging": {},
    "NotifySettlement": {},
    "NotifyWebPaymentStarted": {},
    "BatterySwap": {},
    "ClosePeriodicEventStream": {},
    "OpenPeriodicEventStream": {"status": "Rejected", "statusInfo": _NOT_OFFERED},
    "PullDynamicScheduleUpdate": {"status": "Rejected", "statusInfo": {"reasonCode": "NoSchedule"}},
    "NotifyPeriodicEventStream": {},  # a SEND: stored, never answered
}


async def store_notification(ctx: Ctx, action: str, payload: dict[str, Any], response: dict[str, Any] | None,
                             unique: bool = True) -> None:
    """Store a received message once. `unique=False` keeps repeats (each is a new request)."""
    station_id, now = ctx.station.station_id, ctx.received_at
    key = dedupe_key(station_id, action, payload) if unique else dedupe_key(station_id, action, payload, now)
    row = {"station_id": station_id, "action": action, "payload": payload, "response": response,
           "request_id": payload.get("requestId"), "received_at": now, "dedupe_key": key}

    async def unit(conn: Any) -> None:
        await insert_ignore(conn, station_notifications, [row])

    await ctx.csms.writer.run(unit)


def notification_handler(responses: dict[str, dict[str, Any]]) -> Any:
    """A handler for every action of `responses`: store, publish, answer."""

    async def handle(ctx: Ctx, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = responses[action]
        await store_notification(ctx, action, payload, response)
        ctx.csms.events.publish("notification", ctx.station.display_id, action=action, payload=payload)
        return dict(response)

    return handle
