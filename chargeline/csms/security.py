"""Security events (A04): stored once each, critical ones raised as alerts."""

from __future__ import annotations

import logging
from typing import Any

from chargeline.csms.context import Ctx
from chargeline.domain.clock import parse_station_time
from chargeline.store.schema import security_events
from chargeline.store.sql import dedupe_key

log = logging.getLogger(__name__)

# 2.0.1 appendix: critical security events (1.6 spellings included).
CRITICAL_EVENTS = frozenset({
    "FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot", "SecurityLogWasCleared",
    "MemoryExhaustion", "TamperDetectionActivated", "InvalidFirmwareSignature", "InvalidFirmwareSigningCertificate",
    "InvalidCsmsCertificate", "InvalidCentralSystemCertificate", "InvalidChargingStationCertificate",
    "InvalidChargePointCertificate", "InvalidTLSVersion", "InvalidTLSCipherSuite", "MaintenanceLoginAccepted",
    "MaintenanceLoginFailed",
})


async def security_event(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    station_id, now = ctx.station.station_id, ctx.received_at
    event_type, tech_info = p["type"], p.get("techInfo")
    critical = event_type in CRITICAL_EVENTS
    row = {"station_id": station_id, "event_type": event_type, "timestamp": parse_station_time(p["timestamp"]),
           "received_at": now, "tech_info": tech_info, "critical": critical,
           "dedupe_key": dedupe_key(station_id, event_type, p["timestamp"], tech_info)}

    await ctx.csms.writer.insert(security_events, [row])
    if critical:
        log.warning("security event %s from station %s", event_type, ctx.station.display_id)
    ctx.csms.events.publish("security_event", ctx.station.display_id, type=event_type, critical=critical)
    return {}
