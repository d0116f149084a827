"""EVSE and connector state, and the status each version derives from it.

The station never sets a status by hand: it changes facts (plugged, authorized, transaction,
availability, fault, reservation) and derives the 1.6 ChargePointStatus or the 2.x
ConnectorStatus from them. Every difference from the last reported status becomes a
StatusNotification, so "a notification on every change" cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from chargeline.station.ev import Ev
from chargeline.station.meter import Meter

if TYPE_CHECKING:
    from chargeline.station.authorization import Token
    from chargeline.station.transactions import Transaction


@dataclass(slots=True)
class Reservation:
    id: int
    evse_id: int  # 0: any EVSE of the station
    id_token: str
    group: str | None
    expiry: datetime
    connector_type: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "evse": self.evse_id, "token": self.id_token, "group": self.group,
                "expiry": self.expiry.isoformat(), "type": self.connector_type}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Reservation:
        return cls(int(data["id"]), int(data["evse"]), str(data["token"]),  # type: ignore[call-overload]
                   None if data["group"] is None else str(data["group"]),
                   datetime.fromisoformat(str(data["expiry"])),
                   None if data.get("type") is None else str(data["type"]))


@dataclass(slots=True)
class Evse:
    id: int
    connectors: int
    meter: Meter
    operative: bool = True  # persisted availability (ChangeAvailability)
    scheduled_operative: bool | None = None  # applied when the running transaction ends
    fault: str | None = None  # 1.6 ChargePointErrorCode while Faulted
    ev: Ev | None = None
    plugged_connector: int | None = None
    authorization: Token | None = None  # who authorized the (coming) session
    auth_deadline: datetime | None = None  # ConnectionTimeOut for a token presented before plug-in
    remote_start_id: int | None = None
    tx: Transaction | None = None
    finishing: bool = False  # a transaction ended while the cable is still in
    blocked: set[str] = field(default_factory=set)  # start points that were true when the last tx ended
    reserved: Reservation | None = None
    reported: dict[int, str] = field(default_factory=dict)  # connector -> last status sent
    limit_a: float = 0.0
    limit_w: float = 0.0
    limit_phases: int | None = None
    locked: bool = False

    @property
    def plugged(self) -> bool:
        return self.ev is not None

    @property
    def available(self) -> bool:
        return self.operative and self.fault is None


def status_v16(evse: Evse, station_operative: bool) -> str:
    """ChargePointStatus of the connector (1.6 §4.9)."""
    if evse.fault is not None:
        return "Faulted"
    if evse.tx is not None:
        if not evse.plugged:
            return "SuspendedEV"
        if evse.meter.power_w > 0:
            return "Charging"
        if evse.limit_w <= 0 or (evse.limit_a < 6.0 and not evse.meter.dc):
            return "SuspendedEVSE"
        return "SuspendedEV"
    if not (evse.operative and station_operative):
        return "Unavailable"
    if evse.plugged:
        return "Finishing" if evse.finishing else "Preparing"
    if evse.authorization is not None:
        return "Preparing"
    if evse.reserved is not None:
        return "Reserved"
    return "Available"


def status_v2(evse: Evse, connector: int, station_operative: bool) -> str:
    """ConnectorStatusEnumType (2.x): Available, Occupied, Reserved, Unavailable, Faulted."""
    if evse.fault is not None:
        return "Faulted"
    occupied = evse.plugged and (evse.plugged_connector in (None, connector))
    if occupied or (evse.tx is not None and evse.plugged_connector in (None, connector)):
        return "Occupied"
    if evse.plugged:  # another connector of this EVSE is in use
        return "Unavailable"
    if not (evse.operative and station_operative):
        return "Unavailable"
    if evse.reserved is not None:
        return "Reserved"
    return "Available"


def charging_state(evse: Evse) -> str:
    """2.x ChargingStateEnumType of the EVSE's transaction."""
    if not evse.plugged:
        return "Idle"
    if evse.authorization is None or not evse.available:
        return "EVConnected"
    if evse.meter.power_w > 0:
        return "Charging"
    if evse.limit_w <= 0 or (not evse.meter.dc and evse.limit_a < 6.0):
        return "SuspendedEVSE"
    return "SuspendedEV"
