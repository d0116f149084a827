"""Charging profiles on the station: store, validate, clear, report and enforce.

The rules are the shared smart-charging core's (`chargeline.domain.smart_charging`):
validation, replacement, clearing and the composite schedule are the same code the CSMS
uses to predict us. This module only keeps the profiles persistent and turns the composite
at "now" into the current and power the EVSE offers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chargeline.domain.smart_charging import (
    ActiveTransaction,
    ChargingRateUnit,
    ClearCriteria,
    ConversionError,
    InstalledProfile,
    StationCapabilities,
    StationConfig,
    StationState,
    clear,
    composite_schedule,
    composite_to_ocpp,
    end_transaction,
    install,
    profile_from_ocpp,
    profile_to_ocpp,
    validate_profile,
    validate_remote_start_profile,
)
from chargeline.domain.smart_charging import ChargingProfilePurpose as Purpose
from chargeline.domain.smart_charging import OcppVersion as ScVersion
from chargeline.station.connectors import Evse

if TYPE_CHECKING:
    from chargeline.station.runtime import Station
    from chargeline.station.transactions import Transaction

_STORAGE = ScVersion.V21  # the superset shape profiles are persisted in


class SmartCharging:
    def __init__(self, station: Station):
        self.station = station
        self.version = ScVersion(station.version.label)
        cfg = station.cfg
        self.config = StationConfig(
            n_evses=len(station.evses), supply_voltage=cfg.voltage, default_limit_a=cfg.max_current_a,
            default_limit_w=cfg.rated_power_w, default_number_phases=cfg.phases, ac=not cfg.dc,
            rate_units=(ChargingRateUnit.W, ChargingRateUnit.A) if cfg.dc else (ChargingRateUnit.A,
                                                                                ChargingRateUnit.W))
        self.installed: list[InstalledProfile] = []
        for _, item in station.state.items("profiles"):
            try:
                self.installed.append(InstalledProfile(item["evse"], profile_from_ocpp(item["profile"], _STORAGE)))
            except (ConversionError, KeyError, ValueError):
                continue

    # persistence -----------------------------------------------------------------------------
    def _save(self) -> None:
        state = self.station.state
        state.clear("profiles")
        for item in self.installed:
            state.put("profiles", str(item.profile.id),
                      {"evse": item.evse_id, "profile": profile_to_ocpp(item.profile, _STORAGE)})
        self.station.profiles_changed(len(self.installed))

    # inputs of the shared core -----------------------------------------------------------
    def capabilities(self) -> StationCapabilities:
        st = self.station
        s = st.settings
        units = {ChargingRateUnit(u) for u in s.items("rate_units") if u in ("A", "W")} or set(ChargingRateUnit)
        return StationCapabilities(
            evse_ids=frozenset(e.id for e in st.evses), dc_evse_ids=frozenset(e.id for e in st.evses) if st.cfg.dc
            else frozenset(), supply_phases=st.cfg.phases, rate_units=frozenset(units),
            max_stack_level=s.integer("max_stack_level", 10), max_periods=s.integer("max_periods", 48),
            max_profiles=s.integer("max_profiles", 20), smart_charging_enabled=s.flag("smart_charging_enabled", True))

    def tx_id(self, tx: Transaction) -> str:
        """The transaction id the CSMS uses in profiles (1.6: its integer id)."""
        if self.station.version.is_v2:
            return tx.local_id
        csms_id = self.station.csms_tx_id(tx.local_id)
        return str(csms_id) if csms_id is not None else tx.local_id

    def _running(self) -> list[ActiveTransaction]:
        return [ActiveTransaction(e.id, self.tx_id(e.tx), e.tx.started_at) for e in self.station.evses
                if e.tx is not None]

    # SetChargingProfile ----------------------------------------------------------------------
    def set_profile(self, payload: dict[str, Any]) -> dict[str, Any]:
        v16 = self.version is ScVersion.V16
        evse_id = payload["connectorId"] if v16 else payload["evseId"]
        raw = payload["csChargingProfiles"] if v16 else payload["chargingProfile"]
        try:
            profile = profile_from_ocpp(raw, self.version)
        except (ConversionError, ValueError) as exc:
            return {"status": "Rejected"} if v16 else {"status": "Rejected", "statusInfo": {
                "reasonCode": "InvalidProfile", "additionalInfo": str(exc)[:500]}}
        running = {a.evse_id: a.transaction_id for a in self._running()}
        result = validate_profile(evse_id, profile, version=self.version, capabilities=self.capabilities(),
                                  installed=self.installed, state=StationState(transactions=running),
                                  now=self.station.clock.now())
        if not result.accepted:
            self.station.log.event(f"SetChargingProfile {profile.id} rejected: {result.rule} {result.info}")
            return result.to_response(self.version)
        self.installed = install(self.installed, InstalledProfile(evse_id, profile), self.version)
        self._save()
        self.station.limits_changed()
        return {"status": "Accepted"}

    def accept_remote_start_profile(self, raw: dict[str, Any]) -> Any:
        """The profile of a RemoteStart/RequestStart, or None if it must be refused (V24)."""
        try:
            profile = profile_from_ocpp(raw, self.version)
        except (ConversionError, ValueError):
            return None
        if self.version is not ScVersion.V16 and profile.transaction_id is not None:
            from dataclasses import replace

            profile = replace(profile, transaction_id=None)
        return profile if validate_remote_start_profile(profile).accepted else None

    def install_for_transaction(self, evse_id: int, profile: Any, tx: Transaction) -> None:
        from dataclasses import replace

        bound = replace(profile, transaction_id=self.tx_id(tx) if self.station.version.is_v2 else None)
        self.installed = install(self.installed, InstalledProfile(evse_id, bound), self.version)
        self._save()
        self.station.limits_changed()

    # ClearChargingProfile --------------------------------------------------------------------
    def clear(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.version is ScVersion.V16:
            purpose = payload.get("chargingProfilePurpose")
            criteria = ClearCriteria(payload.get("id"), payload.get("connectorId"), _purpose(purpose),
                                     payload.get("stackLevel"))
        else:
            c = payload.get("chargingProfileCriteria") or {}
            criteria = ClearCriteria(payload.get("chargingProfileId"), c.get("evseId"),
                                     _purpose(c.get("chargingProfilePurpose")), c.get("stackLevel"))
        self.installed, removed = clear(self.installed, criteria)
        if removed:
            self._save()
            self.station.limits_changed()
        return {"status": "Accepted" if removed else "Unknown"}

    # GetCompositeSchedule --------------------------------------------------------------------
    def composite(self, evse_id: int, duration: int, unit: str | None) -> dict[str, Any]:
        if evse_id != 0 and evse_id not in {e.id for e in self.station.evses}:
            return {"status": "Rejected"}
        caps = self.capabilities()
        wanted = None
        if unit is not None:
            wanted = ChargingRateUnit("A" if unit in ("A", "Current") else "W")
            if wanted not in caps.rate_units:
                return {"status": "Rejected"}
        now = self.station.clock.now().replace(microsecond=0)
        schedule = composite_schedule(self.installed, evse_id, now, duration, wanted, self.config,
                                      self._running())
        return composite_to_ocpp(schedule, self.version)

    # GetChargingProfiles (2.x) -----------------------------------------------------------------
    def matching(self, payload: dict[str, Any]) -> list[InstalledProfile]:
        c = payload.get("chargingProfile") or {}
        evse = payload.get("evseId")
        ids = c.get("chargingProfileId")
        out = []
        for item in self.installed:
            p = item.profile
            if ids:
                if p.id in ids:
                    out.append(item)
                continue
            if evse is not None and item.evse_id != evse:
                continue
            if c.get("chargingProfilePurpose") and p.purpose.value != c["chargingProfilePurpose"]:
                continue
            if c.get("stackLevel") is not None and p.stack_level != c["stackLevel"]:
                continue
            sources = c.get("chargingLimitSource")
            if sources and "CSO" not in sources:
                continue
            out.append(item)
        return out

    def as_ocpp(self, item: InstalledProfile) -> dict[str, Any]:
        return profile_to_ocpp(item.profile, self.version)

    # enforcement ---------------------------------------------------------------------------
    def limit(self, evse: Evse, now: datetime) -> tuple[float, float, int | None]:
        """(amps per phase, watts, phases) the EVSE may offer now."""
        cfg = self.station.cfg
        rated_a, rated_w = cfg.max_current_a, cfg.rated_power_w
        if not self.installed or not self.station.settings.flag("smart_charging_enabled", True):
            return rated_a, rated_w, None
        unit = ChargingRateUnit.W if cfg.dc else ChargingRateUnit.A
        schedule = composite_schedule(self.installed, evse.id, now.replace(microsecond=0), 60, unit, self.config,
                                      self._running())
        period = schedule.period_at(0)
        phases = period.number_phases
        if cfg.dc:
            return rated_a, min(rated_w, period.limit), None
        amps = min(rated_a, period.limit)
        return amps, amps * cfg.voltage * (phases or cfg.phases), phases

    def transaction_ended(self, evse_id: int, tx: Transaction) -> None:
        before = len(self.installed)
        self.installed = end_transaction(self.installed, evse_id, self.tx_id(tx))
        if len(self.installed) != before:
            self._save()

    def next_change(self, now: datetime) -> datetime:
        return now + timedelta(seconds=60)


def _purpose(text: str | None) -> Purpose | None:
    if text is None:
        return None
    return Purpose.CHARGING_STATION_MAX if text == "ChargePointMaxProfile" else Purpose(text)
