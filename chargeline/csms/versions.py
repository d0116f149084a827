"""Which handler answers each station-initiated action, per OCPP version (the version adapters)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chargeline.csms import authorization, metering, provisioning, security, transactions
from chargeline.csms.context import Ctx
from chargeline.csms.data_transfer import data_transfer
from chargeline.csms.notifications import (
    RESPONSES_V16,
    RESPONSES_V21,
    RESPONSES_V201,
    Response,
    notification_handler,
)
from chargeline.ocpp.versions import OcppVersion

Handler = Callable[[Ctx, dict[str, Any]], Awaitable[dict[str, Any]]]


def _notifications(responses: dict[str, Response]) -> dict[str, Handler]:
    handle = notification_handler(responses)

    def bind(action: str) -> Handler:
        async def handler(ctx: Ctx, payload: dict[str, Any]) -> dict[str, Any]:
            return await handle(ctx, action, payload)
        return handler

    return {action: bind(action) for action in responses}


_V16: dict[str, Handler] = {
    **_notifications(RESPONSES_V16),
    "BootNotification": provisioning.boot_v16,
    "Heartbeat": provisioning.heartbeat,
    "StatusNotification": provisioning.status_v16,
    "Authorize": authorization.authorize_v16,
    "StartTransaction": transactions.start_v16,
    "StopTransaction": transactions.stop_v16,
    "MeterValues": metering.meter_values_v16,
    "DataTransfer": data_transfer,
    "SecurityEventNotification": security.security_event,
}

_V2_CORE: dict[str, Handler] = {
    "BootNotification": provisioning.boot_v2,
    "Heartbeat": provisioning.heartbeat,
    "StatusNotification": provisioning.status_v2,
    "Authorize": authorization.authorize_v2,
    "TransactionEvent": transactions.transaction_event,
    "MeterValues": metering.meter_values_v2,
    "DataTransfer": data_transfer,
    "SecurityEventNotification": security.security_event,
}

HANDLERS: dict[OcppVersion, dict[str, Handler]] = {
    OcppVersion.V16: _V16,
    OcppVersion.V201: {**_notifications(RESPONSES_V201), **_V2_CORE},
    OcppVersion.V21: {**_notifications(RESPONSES_V21), **_V2_CORE},
}

# Accepted before the station's boot was accepted (B02.FR.09 / B03.FR.07).
PRE_BOOT_ACTIONS = frozenset({"BootNotification"})
