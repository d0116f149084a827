"""Station notifications that are stored and answered now and acted on by their blocks.

Firmware, diagnostics and log status, device-model reports and events, display messages,
charging limits and needs, reservations, DER and the 2.1 additions: each is validated by
the core, stored (once, however often it is retried) and answered as its schema requires.
Where the answer is a decision this CSMS cannot make yet (a certificate to sign, an
ISO 15118 contract), the answer says so honestly (Rejected / Failed) instead of accepting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chargeline.csms.context import Ctx
from chargeline.domain.clock import format_utc
from chargeline.store.schema import station_notifications
from chargeline.store.sql import dedupe_key

_NO_CA = {"reasonCode": "NoCA", "additionalInfo": "no certificate authority is configured"}
_NOT_OFFERED = {"reasonCode": "NotSupported"}

Response = dict[str, Any] | Callable[[dict[str, Any], datetime], dict[str, Any]]


def _chain_status(p: dict[str, Any], now: datetime) -> dict[str, Any]:
    """2.1 GetCertificateChainStatus: no OCSP / CRL source is configured, so each status is Failed."""
    return {"certificateStatus": [{"certificateHashData": r["certificateHashData"], "source": r["source"],
                                   "status": "Failed", "nextUpdate": format_utc(now)}
                                  for r in p["certificateStatusRequests"]]}


def _vat_number(p: dict[str, Any], now: datetime) -> dict[str, Any]:
    """2.1 VatNumberValidation: no validation service is configured."""
    answer = {"vatNumber": p["vatNumber"], "status": "Rejected", "statusInfo": _NOT_OFFERED}
    if "evseId" in p:
        answer["evseId"] = p["evseId"]
    return answer


# action -> response, per version family. Empty dict: the schema's answer is an empty object.
RESPONSES_V16: dict[str, Response] = {
    "DiagnosticsStatusNotification": {},
    "FirmwareStatusNotification": {},
    "LogStatusNotification": {},
    "SignedFirmwareStatusNotification": {},
    "SignCertificate": {"status": "Rejected"},
}

RESPONSES_V201: dict[str, Response] = {
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

RESPONSES_V21: dict[str, Response] = {
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
    "GetCertificateChainStatus": _chain_status,
    "VatNumberValidation": _vat_number,
}


async def store_notification(ctx: Ctx, action: str, payload: dict[str, Any], response: dict[str, Any] | None,
                             unique: bool = True) -> None:
    """Store a received message once. `unique=False` keeps repeats (each is a new request)."""
    station_id, now = ctx.station.station_id, ctx.received_at
    key = dedupe_key(station_id, action, payload) if unique else dedupe_key(station_id, action, payload, now)
    row = {"station_id": station_id, "action": action, "payload": payload, "response": response,
           "request_id": payload.get("requestId"), "received_at": now, "dedupe_key": key}

    await ctx.csms.writer.insert(station_notifications, [row])


def notification_handler(responses: dict[str, Response]) -> Any:
    """A handler for every action of `responses`: store, publish, answer."""

    async def handle(ctx: Ctx, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        template = responses[action]
        response = template(payload, ctx.received_at) if callable(template) else dict(template)
        if action == "NotifyEVChargingNeeds":  # Accepted when smart charging will send the schedule
            response = ctx.csms.smart_charging.answer_ev_charging_needs(ctx.station.station_id, payload) or response
        await store_notification(ctx, action, payload, response)
        ctx.csms.events.publish("notification", ctx.station.display_id, action=action, payload=payload)
        return response

    return handle
