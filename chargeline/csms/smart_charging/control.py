"""Getting limits onto stations: every call goes through the command service, every answer is recorded.

An accepted profile updates the believed profile store and what the EVSE is taken to apply; a
rejection is recorded per station and may move its strategy down the fallback ladder
(`support.py`), after which the same limit is tried again in the new way at once. A call that
got no answer (timeout, lost connection) says nothing about the station: nothing is concluded,
the next round tries again (same profile id, so a repeat is harmless).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.csms.commands.errors import CommandRefused
from chargeline.csms.smart_charging.decisions import Applied, Change, plan_signature
from chargeline.csms.smart_charging.failsafe import Failsafe
from chargeline.csms.smart_charging.profiles import Limit, failsafe_profile, live_profile, pause_limit
from chargeline.csms.smart_charging.rounds import Target
from chargeline.csms.smart_charging.support import StationSupport
from chargeline.domain.clock import utcnow
from chargeline.domain.smart_charging import ChargingProfile, ClearCriteria, OcppVersion, profile_to_ocpp

if TYPE_CHECKING:
    from chargeline.csms.smart_charging.service import SmartChargingService

log = logging.getLogger(__name__)

ACTOR = "smart-charging"
NOT_SUPPORTED_ERRORS = frozenset({"NotSupported", "NotImplemented"})


@dataclass(slots=True)
class Control:
    """What one EVSE with a running session is taken to apply because of us."""

    transaction_id: int
    applied: Applied
    via: str  # TxProfile | TxDefaultProfile | availability
    at: datetime  # when it was accepted: readings before describe an older limit


@dataclass(frozen=True, slots=True)
class Answer:
    status: str  # the station's status (Accepted, Rejected, Scheduled, Unknown...), NotSupported, or NoAnswer
    reason: str | None = None
    command_id: int | None = None


def answer_of(record: dict[str, Any]) -> Answer:
    """A command record as the ladder sees it."""
    command_id = record.get("id")
    if record.get("status") == "completed":
        response = record.get("response") or {}
        info = response.get("statusInfo") or {}
        return Answer(str(record.get("outcome") or "NoAnswer"), info.get("reasonCode"), command_id)
    if record.get("status") == "failed" and record.get("error_code") in NOT_SUPPORTED_ERRORS:
        return Answer("NotSupported", record.get("error_code"), command_id)
    if record.get("status") == "failed" and record.get("error_code") not in (None, "StationOffline",
                                                                            "VersionChanged", "NotSent"):
        return Answer("Rejected", record.get("error_code"), command_id)  # a CALLERROR about our payload
    return Answer("NoAnswer", record.get("error_code"), command_id)


class Sender:
    def __init__(self, service: SmartChargingService):
        self.service = service
        self.silent: set[str] = set()  # stations that did not answer in time during the current round

    @property
    def cfg(self) -> Any:
        return self.service.cfg

    async def call(self, station_id: str, operation: str, params: dict[str, Any]) -> tuple[Answer, dict[str, Any]]:
        timeout = self.cfg.command_timeout_s or None
        try:
            record = await self.service.csms.commands.execute(station_id, operation, params, actor=ACTOR,
                                                              timeout=timeout)
        except CommandRefused as exc:
            if exc.reason not in ("station_offline", "station_busy"):
                log.warning("smart charging: %s to %s refused before sending: %s", operation, station_id, exc.message)
            return Answer("NoAnswer", exc.reason), {}
        answer = answer_of(record)
        if answer.status == "NoAnswer" and record.get("status") == "timeout":
            self.silent.add(station_id)
        return answer, record

    async def set_profile(self, station_id: str, evse_id: int, profile: ChargingProfile,
                          source: str = ACTOR) -> Answer:
        version = self.service.version_of(station_id)
        if version is None:
            return Answer("NoAnswer", "station_offline")
        params = {"evse_id": evse_id, "charging_profile": profile_to_ocpp(profile, OcppVersion.V21)}
        answer, _ = await self.call(station_id, "set_charging_profile", params)
        if answer.status == "Accepted":
            self.service.belief.install(station_id, evse_id, profile, version, source, answer.command_id, utcnow())
        return answer

    # --- the failsafe ------------------------------------------------------------------------
    async def send_failsafe(self, station_id: str, failsafe: Failsafe, voltage: float) -> bool:
        support = self.service.support_of(station_id)
        for _ in range(2):
            unit = support.failsafe_unit()
            if unit is None or not support.strategy.controllable:
                return False
            limit = Limit(failsafe.watts, failsafe.amps, failsafe.phases, failsafe.dc)
            profile = failsafe_profile(self.cfg, limit, unit, voltage)
            answer = await self.set_profile(station_id, 0, profile)
            changed = support.record(f"failsafe:{unit}", answer.status, answer.reason, utcnow())
            self.service.save_support(station_id)
            if answer.status == "Accepted":
                return True
            if not changed:
                return False
        return False

    # --- live limits --------------------------------------------------------------------------
    async def send_limit(self, change: Change, voltage: float) -> bool:
        """Put one target in force; False when it is not (the caller withholds increases)."""
        target = change.target
        station_id, evse_id = target.key
        session = self.service.sessions.by_transaction(target.transaction_id)
        if session is None or session.key != target.key:
            return True  # the session ended meanwhile: nothing to hold back for
        support = self.service.support_of(station_id)
        control = self.service.controls.get(target.key)
        for _ in range(6):
            strategy = support.strategy
            if not strategy.controllable:
                return False
            with_plan = target.plan is not None and strategy.pause in ("zero", "small")
            if target.paused and not with_plan:
                if strategy.pause == "none":
                    return False
                if strategy.pause == "availability":
                    paused = await self._pause_by_availability(station_id, evse_id, target, support)
                    if paused is not None:
                        return paused
                    continue
            if control is not None and control.via == "availability" and not target.paused:
                done = await self._availability(station_id, evse_id, True)
                if done.status not in ("Accepted", "Scheduled"):
                    return False
            if target.paused:
                limit = pause_limit(self.cfg, strategy.pause, target.phases, target.dc, voltage)
                variant = support.pause_variant()
            else:
                limit = Limit(target.watts, target.amps, target.phases, target.dc)
                variant = support.limit_variant()
            plan = self._plan(target, limit, strategy.pause, voltage) if with_plan else None
            profile = live_profile(self.cfg, strategy.purpose, strategy.unit, voltage, evse_id,
                                   session.ocpp_transaction_id, limit, plan)
            answer = await self.set_profile(station_id, evse_id, profile)
            changed = support.record(variant, answer.status, answer.reason, utcnow())
            self.service.save_support(station_id)
            if answer.status == "Accepted":
                amps = 0.0 if target.paused and not target.dc else target.amps
                self._applied(target.key, target.transaction_id,
                              Applied(0.0 if target.paused else target.watts, amps, target.paused, True,
                                      plan_signature(target)), strategy.purpose)
                return True
            if answer.status == "NoAnswer" or not changed:
                return False
            log.info("smart charging: %s falls back to %s (%s %s)", station_id, support.strategy.to_dict(),
                     answer.status, answer.reason or "")
        return False  # not in force: the round withholds its increases, the next round tries again

    def _plan(self, target: Target, now: Limit, pause: str, voltage: float) -> list[tuple[datetime, Limit]]:
        """The price plan as limits: the current slot carries `now`; empty slots are pauses in the station's way."""
        assert target.plan is not None
        per_watt = (target.amps / target.watts) if target.amps and target.watts else 1.0 / (voltage * target.phases)
        out = []
        for moment, watts in target.plan[1:]:
            if watts <= 0:
                out.append((moment, pause_limit(self.cfg, pause, target.phases, target.dc, voltage)))
            else:
                out.append((moment, Limit(watts, None if target.dc else watts * per_watt, target.phases, target.dc)))
        return [(target.plan[0][0], now), *out]

    async def _pause_by_availability(self, station_id: str, evse_id: int, target: Target,
                                     support: StationSupport) -> bool | None:
        """True: paused; False: no answer; None: refused (the strategy moved on)."""
        done = await self._availability(station_id, evse_id, False)
        support.record("pause:availability", done.status, done.reason, utcnow())
        self.service.save_support(station_id)
        if done.status == "Accepted":
            self._applied(target.key, target.transaction_id, Applied(0.0, 0.0, True), "availability")
            return True
        if done.status == "NoAnswer":
            return False
        if done.status == "Scheduled":  # it would take the EVSE out of service after the session: undo that
            await self._availability(station_id, evse_id, True)
        support.strategy.pause = "none"
        return None

    def _applied(self, key: tuple[str, int], transaction_id: int, applied: Applied, via: str) -> None:
        self.service.controls[key] = Control(transaction_id, applied, via, utcnow())

    async def _availability(self, station_id: str, evse_id: int, operational: bool) -> Answer:
        answer, _ = await self.call(station_id, "change_availability", {"operational": operational,
                                                                        "evse_id": evse_id})
        return answer

    async def release(self, station_id: str, evse_id: int, via: str) -> None:
        """After a session: take back what outlives it (an EVSE TxDefault, an Inoperative EVSE)."""
        if via == "TxDefaultProfile":
            profile_id = self.cfg.evse_default_id(evse_id)
            answer, _ = await self.call(station_id, "clear_charging_profile", {"profile_id": profile_id})
            if answer.status in ("Accepted", "Unknown"):  # Unknown: the station no longer has it either
                self.service.belief.clear(station_id, ClearCriteria(profile_id=profile_id))
        elif via == "availability":
            await self._availability(station_id, evse_id, True)
