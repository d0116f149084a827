"""An independent station for the smart-charging tests: the `ocpp` package's ChargePoint (1.6 or 2.0.1).

It keeps every CALL the CSMS sends (raw, as it went over the wire; the library validates each
against the official schemas), holds the profiles it accepted, and answers like a picky vendor
when told to: refuse a unit (2.x with reasonCode UnsupportedRateUnit, 1.6 with a bare Rejected),
refuse TxProfiles, refuse a limit of 0, or not support smart charging at all. Its composite
schedule is its own simple reading of what it holds (the TxProfile of the EVSE, else the
TxDefault), independent of Chargeline's composite code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.exceptions import NotSupportedError
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v201 import ChargePoint as ChargePoint201
from websockets.typing import Subprotocol

from tests.api.station import _answer
from tests.e2e.stations import PASSWORD, basic


@dataclass
class Policy:
    refuse_units: frozenset[str] = frozenset()
    refuse_tx_profiles: bool = False
    refuse_zero: bool = False
    refuse_below_a: float = 0.0  # refuse any A limit below this (some firmware refuses less than 6 A)
    no_smart_charging: bool = False
    composite_offset_a: float = 0.0  # report a composite this far from what is held (a lying station)


@dataclass
class Held:
    evse_id: int
    profile: dict[str, Any]  # as received (1.6 or 2.x shape)


@dataclass
class StationState:
    version: str
    policy: Policy
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    held: dict[int, Held] = field(default_factory=dict)
    inoperative: set[int] = field(default_factory=set)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def profile_id(self, profile: dict[str, Any]) -> int:
        return int(profile["chargingProfileId"] if self.version == "1.6" else profile["id"])

    def schedule(self, profile: dict[str, Any]) -> dict[str, Any]:
        s = profile["chargingSchedule"]
        return s if self.version == "1.6" else s[0]

    def sets(self) -> list[dict[str, Any]]:
        return [p for a, p in self.received if a == "SetChargingProfile"]

    def limit_of(self, evse_id: int) -> tuple[str, float] | None:
        """What this station applies on an EVSE: its TxProfile, else the EVSE TxDefault, else the station's."""
        ranked = []
        for item in self.held.values():
            purpose = item.profile["chargingProfilePurpose"]
            if item.evse_id == evse_id and purpose == "TxProfile":
                ranked.append((0, item))
            elif item.evse_id == evse_id and purpose == "TxDefaultProfile":
                ranked.append((1, item))
            elif item.evse_id == 0 and purpose == "TxDefaultProfile":
                ranked.append((2, item))
        if not ranked:
            return None
        best = min(ranked, key=lambda r: (r[0], -r[1].profile["stackLevel"]))[1]
        schedule = self.schedule(best.profile)
        return schedule["chargingRateUnit"], float(schedule["chargingSchedulePeriod"][0]["limit"])


def _rejected(version: str, reason: str) -> dict[str, Any]:
    if version == "1.6":
        return {"status": "Rejected"}
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason}}


def _handlers(state: StationState, cp: Any) -> dict[str, Callable[..., Any]]:
    v16 = state.version == "1.6"

    def payload(action: str) -> dict[str, Any]:
        return next(p for a, p in reversed(state.received) if a == action)

    def set_profile(**_: Any) -> Any:
        request = payload("SetChargingProfile")
        if state.policy.no_smart_charging:
            if v16:
                return _answer({"status": "NotSupported"})
            raise NotSupportedError("smart charging is not available")
        profile = request["csChargingProfiles" if v16 else "chargingProfile"]
        evse = int(request["connectorId" if v16 else "evseId"])
        schedule = state.schedule(profile)
        if schedule["chargingRateUnit"] in state.policy.refuse_units:
            return _answer(_rejected(state.version, "UnsupportedRateUnit"))
        if state.policy.refuse_tx_profiles and profile["chargingProfilePurpose"] == "TxProfile":
            return _answer(_rejected(state.version, "InvalidProfile"))
        limits = [p["limit"] for p in schedule["chargingSchedulePeriod"]]
        if state.policy.refuse_zero and 0 in limits:
            return _answer(_rejected(state.version, "InvalidSchedule"))
        if schedule["chargingRateUnit"] == "A" and min(limits) < state.policy.refuse_below_a:
            return _answer(_rejected(state.version, "InvalidSchedule"))
        state.held[state.profile_id(profile)] = Held(evse, profile)
        return _answer({"status": "Accepted"})

    def clear_profile(**_: Any) -> Any:
        request = payload("ClearChargingProfile")
        wanted = request.get("id") if v16 else request.get("chargingProfileId")
        before = len(state.held)
        if wanted is not None:
            state.held.pop(int(wanted), None)
        else:
            state.held.clear()
        return _answer({"status": "Accepted" if len(state.held) != before else "Unknown"})

    def composite(**_: Any) -> Any:
        request = payload("GetCompositeSchedule")
        evse = int(request["connectorId" if v16 else "evseId"])
        held = state.limit_of(evse)
        unit, limit = held if held is not None else (request.get("chargingRateUnit") or "A", 32.0)
        limit = round(limit + state.policy.composite_offset_a, 1)
        start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        periods = [{"startPeriod": 0, "limit": limit}]
        if v16:
            return _answer({"status": "Accepted", "connectorId": evse, "scheduleStart": start, "chargingSchedule": {
                "duration": request["duration"], "startSchedule": start, "chargingRateUnit": unit,
                "chargingSchedulePeriod": periods}})
        return _answer({"status": "Accepted", "schedule": {
            "evseId": evse, "duration": request["duration"], "scheduleStart": start, "chargingRateUnit": unit,
            "chargingSchedulePeriod": periods}})

    def get_profiles(**_: Any) -> Any:
        return _answer({"status": "Accepted" if state.held else "NoProfiles"})

    async def report_profiles(**_: Any) -> None:
        from ocpp.v201 import call

        request = payload("GetChargingProfiles")
        by_evse: dict[int, list[dict[str, Any]]] = {}
        for item in state.held.values():
            by_evse.setdefault(item.evse_id, []).append(item.profile)
        for n, (evse, profiles) in enumerate(sorted(by_evse.items())):
            await cp.call(call.ReportChargingProfiles(request_id=request["requestId"], charging_limit_source="CSO",
                                                      charging_profile=profiles, evse_id=evse,
                                                      tbc=n < len(by_evse) - 1))

    def availability(**_: Any) -> Any:
        request = payload("ChangeAvailability")
        evse = request.get("connectorId") if v16 else (request.get("evse") or {}).get("id", 0)
        operative = request["type" if v16 else "operationalStatus"] == "Operative"
        if operative:
            state.inoperative.discard(int(evse or 0))
        else:
            state.inoperative.add(int(evse or 0))
        return _answer({"status": "Accepted"})

    handlers: dict[str, Any] = {"SetChargingProfile": set_profile, "ClearChargingProfile": clear_profile,
                                "GetCompositeSchedule": composite, "ChangeAvailability": availability}
    if not v16:
        handlers["GetChargingProfiles"] = (get_profiles, report_profiles)
    return handlers


def _station_class(version: str) -> type:
    base = ChargePoint16 if version == "1.6" else ChargePoint201

    class Station(base):  # type: ignore[misc, valid-type]
        state: StationState

        async def route_message(self, raw_msg: str) -> None:
            frame = json.loads(raw_msg)
            if frame[0] == 2:
                self.state.received.append((frame[2], frame[3]))
                self.state.arrived.set()
            await super().route_message(raw_msg)

    return Station


@contextlib.asynccontextmanager
async def sc_station(url: str, station_id: str, version: str, policy: Policy | None = None) -> AsyncIterator[Any]:
    """A connected station; `cp.state` holds what it received and what it holds."""
    subprotocol = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}[version]
    async with websockets.connect(url + station_id, subprotocols=[Subprotocol(subprotocol)],
                                  additional_headers=basic(station_id, PASSWORD)) as ws:
        cp = _station_class(version)(station_id, ws, response_timeout=10)
        cp.state = StationState(version, policy or Policy())
        for action, handler in _handlers(cp.state, cp).items():
            on, after = handler if isinstance(handler, tuple) else (handler, None)
            cp.route_map[action] = {"_on_action": on, "_skip_schema_validation": False}
            if after is not None:
                cp.route_map[action]["_after_action"] = after
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
