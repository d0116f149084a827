"""SetChargingProfile validation as a station applies it (brief §2, rules V1-V30).

The station stack calls it to accept or reject; the CSMS calls it with its
shadow copy of the station's profiles before sending, so a rejection is a bug
caught at home. Checks run in libocpp's order and the first failure wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from chargeline.domain.smart_charging.profiles import (
    PURPOSES_BY_VERSION,
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    InstalledProfile,
    OcppVersion,
    OperationMode,
)

P, K, M = ChargingProfilePurpose, ChargingProfileKind, OperationMode
_PERSISTENT = frozenset({P.CHARGING_STATION_MAX, P.TX_DEFAULT, P.PRIORITY_CHARGING})

#: operationMode -> (required fields, optional fields) among limit/dischargeLimit/setpoint/setpointReactive (§5.2).
MODE_FIELDS: Mapping[OperationMode, tuple[frozenset[str], frozenset[str]]] = {
    M.CHARGING_ONLY: (frozenset({"limit"}), frozenset()),
    M.IDLE: (frozenset(), frozenset()),
    M.CENTRAL_SETPOINT: (frozenset({"setpoint"}), frozenset({"limit", "discharge_limit", "setpoint_reactive"})),
    M.EXTERNAL_SETPOINT: (frozenset(), frozenset({"limit", "discharge_limit"})),
    M.EXTERNAL_LIMITS: (frozenset(), frozenset()),
    M.CENTRAL_FREQUENCY: (frozenset({"setpoint"}), frozenset({"limit", "discharge_limit"})),
    M.LOCAL_FREQUENCY: (frozenset(), frozenset()),
    M.LOCAL_LOAD_BALANCING: (frozenset(), frozenset()),
}
_TX_LIKE = frozenset({P.TX, P.TX_DEFAULT})
#: Purposes allowed per operationMode (K01.FR.111-114); absent = Tx and TxDefault only.
MODE_PURPOSES: Mapping[OperationMode, frozenset[ChargingProfilePurpose]] = {
    M.CHARGING_ONLY: frozenset(P),
    M.EXTERNAL_SETPOINT: _TX_LIKE | {P.EXTERNAL_CONSTRAINTS},
    M.EXTERNAL_LIMITS: _TX_LIKE | {P.EXTERNAL_CONSTRAINTS, P.LOCAL_GENERATION},
}
_LIMIT_FIELDS = ("limit", "discharge_limit", "setpoint", "setpoint_reactive")


@dataclass(frozen=True, slots=True)
class StationCapabilities:
    """What the station reported (1.6 configuration keys / 2.x SmartChargingCtrlr & V2XChargingCtrlr).

    `None` limits mean "not reported": the check is skipped. `supply_phases` is the
    AC supply; EVSEs in `dc_evse_ids` are DC.
    """

    evse_ids: frozenset[int] = frozenset({1})
    dc_evse_ids: frozenset[int] = frozenset()
    supply_phases: int = 3
    rate_units: frozenset[ChargingRateUnit] = frozenset(ChargingRateUnit)
    max_stack_level: int | None = None
    max_periods: int | None = None
    max_profiles: int | None = None
    smart_charging_enabled: bool = True
    phase_switching: bool = False
    additional_purposes: frozenset[ChargingProfilePurpose] = frozenset()
    max_external_constraints_id: int | None = None
    dynamic_profiles: bool = False
    use_local_time: bool = False
    randomized_delay: bool = False
    limit_at_soc: bool = False
    evse_sleep: bool = False
    operation_modes: frozenset[OperationMode] = frozenset({M.CHARGING_ONLY})
    dc_input_phase_control: bool = False
    update_rate_limit_s: int | None = None


@dataclass(frozen=True, slots=True)
class StationState:
    """Run-time facts validation depends on: running transactions (evse -> transactionId) and 15118 state."""

    transactions: Mapping[int, str] = field(default_factory=dict)
    charging_needs: frozenset[str] = frozenset()
    per_phase_ev_limits: frozenset[str] = frozenset()
    seconds_since_last_update: float | None = None


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """`status` is Accepted, Rejected or NotSupported; `rule` names the brief's V-number."""

    status: str
    reason_code: str | None = None
    rule: str | None = None
    info: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"

    def to_response(self, version: OcppVersion) -> dict[str, Any]:
        """SetChargingProfile response (2.0.1 has no NotSupported status: the caller sends a CALLERROR instead)."""
        if version is OcppVersion.V16 or self.reason_code is None:
            return {"status": self.status}
        info: dict[str, Any] = {"reasonCode": self.reason_code}
        if self.info:
            info["additionalInfo"] = self.info[: 512 if version is OcppVersion.V201 else 1024]
        return {"status": self.status, "statusInfo": info}


ACCEPTED = ValidationResult("Accepted")


class _Reject(Exception):
    def __init__(self, rule: str, reason: str, info: str, status: str = "Rejected") -> None:
        super().__init__(info)
        self.result = ValidationResult(status, reason, rule, info)


def _fail(rule: str, reason: str, info: str) -> None:
    raise _Reject(rule, reason, info)


def validate_profile(
    evse_id: int,
    profile: ChargingProfile,
    *,
    version: OcppVersion,
    capabilities: StationCapabilities,
    installed: Iterable[InstalledProfile] = (),
    state: StationState | None = None,
    now: datetime | None = None,
    from_csms: bool = True,
) -> ValidationResult:
    """Accept or reject a SetChargingProfile for `evse_id` given what is installed and running.

    `from_csms=False` validates a profile set by an external actor (EMS/DSO),
    for which the ExternalConstraints/id-range rules do not apply.
    """
    try:
        _check_all(evse_id, profile, version, capabilities, list(installed), state or StationState(), now, from_csms)
    except _Reject as rejection:
        return rejection.result
    return ACCEPTED


def validate_remote_start_profile(profile: ChargingProfile) -> ValidationResult:
    """RemoteStart/RequestStartTransaction.chargingProfile must be a TxProfile without transactionId (V24)."""
    if profile.purpose is not P.TX:
        return ValidationResult("Rejected", "InvalidProfile", "V24", "remote start profile must be a TxProfile")
    if profile.transaction_id is not None:
        return ValidationResult(
            "Rejected", "InvalidProfile", "V24", "remote start profile must not carry a transactionId"
        )
    return ACCEPTED


def _check_all(
    evse_id: int,
    profile: ChargingProfile,
    version: OcppVersion,
    caps: StationCapabilities,
    installed: list[InstalledProfile],
    state: StationState,
    now: datetime | None,
    from_csms: bool,
) -> None:
    v2x = version is not OcppVersion.V16
    purpose = profile.purpose
    if not caps.smart_charging_enabled:
        raise _Reject("V1", "NotSupported", "smart charging is not available", status="NotSupported")
    if purpose not in PURPOSES_BY_VERSION[version]:
        _fail("V2", "UnsupportedPurpose", f"{purpose} does not exist in OCPP {version}")
    if profile.kind is K.DYNAMIC and version is not OcppVersion.V21:
        _fail("V2", "UnsupportedKind", f"kind Dynamic does not exist in OCPP {version}")
    if not 1 <= len(profile.schedules) <= (1 if version is OcppVersion.V16 else 3):
        _fail("V2", "InvalidSchedule", f"{len(profile.schedules)} chargingSchedules")
    if from_csms and purpose is P.EXTERNAL_CONSTRAINTS:
        _fail("V3", "InvalidValue", "ChargingStationExternalConstraints is set by external actors only")
    if purpose in (P.PRIORITY_CHARGING, P.LOCAL_GENERATION) and purpose not in caps.additional_purposes:
        _fail("V4", "UnsupportedPurpose", f"{purpose} is not in SupportedAdditionalPurposes")
    if v2x and now is not None and profile.valid_to is not None and profile.valid_to <= now:
        _fail("V23", "InvalidValue", "validTo lies in the past")
    if evse_id != 0 and evse_id not in caps.evse_ids:
        _fail("V5", "InvalidValue", f"EVSE {evse_id} does not exist")
    others = [i for i in installed if i.profile.id != profile.id]
    if v2x and from_csms:
        if any(i.profile.purpose is P.EXTERNAL_CONSTRAINTS for i in installed if i.profile.id == profile.id):
            _fail("V14", "DuplicateProfile", f"id {profile.id} belongs to an ExternalConstraints profile")
        limit = caps.max_external_constraints_id
        if version is OcppVersion.V21 and limit is not None and profile.id <= limit:
            _fail("V14", "InvalidProfileId", f"id must be greater than MaxExternalConstraintsId {limit}")
    if profile.stack_level < 0 or (caps.max_stack_level is not None and profile.stack_level > caps.max_stack_level):
        _fail("V17", "InvalidStackLevel", f"stackLevel {profile.stack_level} outside 0..{caps.max_stack_level}")
    _check_kind(profile, caps, version)
    dc = evse_id in caps.dc_evse_ids or (evse_id == 0 and bool(caps.evse_ids) and caps.evse_ids <= caps.dc_evse_ids)
    for schedule in profile.schedules:
        _check_schedule(schedule, profile, caps, version, dc)
    if v2x and purpose is not P.TX:
        _check_overlap(evse_id, profile, others)
    _check_purpose(evse_id, profile, version, caps, others, state)
    if caps.max_profiles is not None:
        kept = [i for i in others if not _replaced_16(version, i, evse_id, profile)]
        if len(kept) + 1 > caps.max_profiles:
            _fail("V17", "TooManyProfiles", f"at most {caps.max_profiles} profiles can be installed")
    rate = caps.update_rate_limit_s
    since = state.seconds_since_last_update
    if v2x and purpose in _PERSISTENT and rate is not None and since is not None and since < rate:
        _fail("V30", "RateLimitExceeded", f"{int(rate - since) + 1} seconds before retry")


def _replaced_16(version: OcppVersion, item: InstalledProfile, evse_id: int, profile: ChargingProfile) -> bool:
    """1.6 replaces an installed profile with the same (connector, purpose, stackLevel)."""
    return (
        version is OcppVersion.V16
        and item.evse_id == evse_id
        and item.profile.purpose is profile.purpose
        and item.profile.stack_level == profile.stack_level
    )


def _check_kind(profile: ChargingProfile, caps: StationCapabilities, version: OcppVersion) -> None:
    kind = profile.kind
    for schedule in profile.schedules:
        has_start = schedule.start_schedule is not None
        if kind in (K.ABSOLUTE, K.RECURRING) and not has_start:
            _fail("V18", "InvalidSchedule", f"{kind} profile needs startSchedule")
        if kind is K.RELATIVE and has_start:
            _fail("V18", "InvalidSchedule", "Relative profile must not have startSchedule")
    if kind is K.RECURRING and profile.recurrency_kind is None:
        _fail("V18", "InvalidSchedule", "Recurring profile needs recurrencyKind")
    if kind is K.DYNAMIC and not caps.dynamic_profiles:
        _fail("V25", "UnsupportedKind", "DynamicProfiles not supported")
    if kind is not K.DYNAMIC and (profile.dyn_update_interval is not None or profile.dyn_update_time is not None):
        _fail("V25", "InvalidProfile", "dynUpdateInterval/dynUpdateTime only for Dynamic profiles")


def _check_schedule(
    schedule: ChargingSchedule, profile: ChargingProfile, caps: StationCapabilities, version: OcppVersion, dc: bool
) -> None:
    periods = schedule.periods
    if schedule.charging_rate_unit not in caps.rate_units:
        _fail("V15", "UnsupportedRateUnit", f"unit {schedule.charging_rate_unit} not supported")
    if not periods or periods[0].start_period != 0:
        _fail("V16", "InvalidSchedule", "the first period must start at 0")
    if any(b.start_period <= a.start_period for a, b in pairwise(periods)):
        _fail("V16", "InvalidSchedule", "startPeriod values must increase strictly")
    if caps.max_periods is not None and len(periods) > caps.max_periods:
        _fail("V17", "InvalidSchedule", f"more than {caps.max_periods} periods")
    if version is OcppVersion.V21:
        _check_21_schedule(schedule, profile, caps)
    for period in periods:
        _check_period(period, schedule, profile, caps, version, dc)


def _check_21_schedule(schedule: ChargingSchedule, profile: ChargingProfile, caps: StationCapabilities) -> None:
    if schedule.use_local_time and not caps.use_local_time:
        _fail("V25", "InvalidSchedule", "UseLocalTime not supported")
    if schedule.randomized_delay:
        if profile.purpose not in _TX_LIKE:
            _fail("V25", "InvalidSchedule", "randomizedDelay only for TxProfile/TxDefaultProfile")
        if not caps.randomized_delay:
            _fail("V25", "InvalidSchedule", "RandomizedDelay not supported")
    if schedule.limit_at_soc is not None and not caps.limit_at_soc:
        _fail("V25", "InvalidSchedule", "LimitAtSoC not supported")
    if profile.purpose is P.PRIORITY_CHARGING and schedule.duration is not None:
        _fail("V26", "InvalidSchedule", "PriorityCharging profile must not have a duration")


def _check_period(
    period: ChargingSchedulePeriod,
    schedule: ChargingSchedule,
    profile: ChargingProfile,
    caps: StationCapabilities,
    version: OcppVersion,
    dc: bool,
) -> None:
    if version is OcppVersion.V16:
        if period.limit is None:
            _fail("V2", "InvalidSchedule", "limit is required")
        return
    if dc and (period.number_phases is not None or period.phase_to_use is not None):
        if version is OcppVersion.V201:
            _fail("V21", "InvalidSchedule", "numberPhases/phaseToUse on a DC EVSE")
        elif not caps.dc_input_phase_control:
            _fail("V21", "NoPhaseForDC", "numberPhases/phaseToUse on a DC EVSE")
    if period.phase_to_use is not None and (period.number_phases != 1 or not caps.phase_switching):
        _fail("V19", "InvalidSchedule", "phaseToUse needs numberPhases=1 and ACPhaseSwitchingSupported")
    if not dc and period.number_phases is not None and period.number_phases > caps.supply_phases:
        _fail("V20", "InvalidSchedule", f"numberPhases {period.number_phases} > supply phases {caps.supply_phases}")
    if version is OcppVersion.V201:
        if period.limit is None:
            _fail("V2", "InvalidSchedule", "limit is required")
        return
    _check_v2x_period(period, schedule, profile, caps)


def _check_v2x_period(
    period: ChargingSchedulePeriod, schedule: ChargingSchedule, profile: ChargingProfile, caps: StationCapabilities
) -> None:
    mode = period.mode
    if profile.purpose not in MODE_PURPOSES.get(mode, _TX_LIKE):
        _fail("V27", "InvalidOperationMode", f"{mode} not allowed for {profile.purpose}")
    if mode is not M.CHARGING_ONLY and mode not in caps.operation_modes:
        _fail("V27", "InvalidOperationMode", f"{mode} not in V2XSupportedOperationModes")
    required, optional = MODE_FIELDS[mode]
    for name in _LIMIT_FIELDS:
        present = getattr(period, name) is not None
        if name in required and not present:
            _fail("V28", "InvalidSchedule", f"{mode} requires {name}")
        if present and name not in required | optional:
            _fail("V28", "InvalidSchedule", f"{mode} does not allow {name}")
    if period.limit is not None and period.limit < 0:
        _fail("V28", "InvalidSchedule", "limit must not be negative")
    if any(
        v is not None and v > 0 for v in (period.discharge_limit, period.discharge_limit_l2, period.discharge_limit_l3)
    ):
        _fail("V28", "InvalidSchedule", "dischargeLimit must not be positive")
    signs = {v >= 0 for v in (period.setpoint, period.setpoint_l2, period.setpoint_l3) if v is not None}
    if len(signs) > 1:
        _fail("V28", "InvalidSchedule", "per-phase setpoints must share one sign")
    if mode is M.LOCAL_FREQUENCY:
        if schedule.charging_rate_unit is not ChargingRateUnit.W:
            _fail("V28", "InvalidSchedule", "LocalFrequency needs unit W")
        if period.v2x_baseline is None or len(period.v2x_freq_watt_curve or ()) < 2:
            _fail("V28", "NoFreqWattCurve", "LocalFrequency needs v2xBaseline and >= 2 freq-watt points")
    if period.evse_sleep and (mode is not M.IDLE or not caps.evse_sleep):
        _fail("V25", "InvalidSchedule", "evseSleep only in operationMode Idle with EvseSleep supported")
    if profile.purpose is P.PRIORITY_CHARGING and mode is not M.CHARGING_ONLY:
        _fail("V26", "InvalidOperationMode", "PriorityCharging allows ChargingOnly only")
    _check_phase_values(period, profile)


def _check_phase_values(period: ChargingSchedulePeriod, profile: ChargingProfile) -> None:
    """L2/L3 values: only with their base field, only in TxProfiles (V29, K01.FR.141-146)."""
    for base in _LIMIT_FIELDS:
        l2, l3 = getattr(period, base + "_l2"), getattr(period, base + "_l3")
        if l2 is None and l3 is None:
            continue
        if getattr(period, base) is None:
            _fail("V29", "PhaseConflict", f"{base}_L2/L3 without {base}")
        if profile.purpose is not P.TX:
            _fail("V29", "PhaseConflict", "per-phase values only in TxProfiles")


def _validity(profile: ChargingProfile) -> tuple[datetime | None, datetime | None]:
    return profile.valid_from, profile.valid_to


def _overlaps(a: ChargingProfile, b: ChargingProfile) -> bool:
    (a_from, a_to), (b_from, b_to) = _validity(a), _validity(b)
    starts_before_b_ends = b_to is None or a_from is None or a_from < b_to
    b_starts_before_a_ends = a_to is None or b_from is None or b_from < a_to
    return starts_before_b_ends and b_starts_before_a_ends


def _check_overlap(evse_id: int, profile: ChargingProfile, others: list[InstalledProfile]) -> None:
    """2.x: one profile per (evse, purpose, stackLevel) and validity window (K01.FR.06, 52/53)."""
    for item in others:
        other = item.profile
        if other.purpose is not profile.purpose or other.stack_level != profile.stack_level:
            continue
        same_place = item.evse_id == evse_id
        default_clash = profile.purpose is P.TX_DEFAULT and (item.evse_id == 0) != (evse_id == 0)
        if same_place and _overlaps(profile, other):
            _fail("V12", "DuplicateProfile", f"profile {other.id} has the same evse, purpose and stackLevel")
        if default_clash:
            _fail("V13", "DuplicateProfile", f"TxDefaultProfile {other.id} on evse {item.evse_id} uses this stackLevel")


def _check_purpose(
    evse_id: int,
    profile: ChargingProfile,
    version: OcppVersion,
    caps: StationCapabilities,
    others: list[InstalledProfile],
    state: StationState,
) -> None:
    purpose = profile.purpose
    v2x = version is not OcppVersion.V16
    if purpose is P.CHARGING_STATION_MAX and (evse_id != 0 or profile.kind is K.RELATIVE):
        _fail("V6", "InvalidValue", "station max profile must be on evse 0 and not Relative")
    if purpose is not P.TX:
        if v2x and profile.transaction_id is not None:
            _fail("V8", "InvalidValue", "transactionId is only allowed on a TxProfile")
        if len(profile.schedules) > 1:
            _fail("V22", "InvalidSchedule", "several chargingSchedules are only for ISO 15118 TxProfiles")
        return
    if evse_id == 0:
        _fail("V7", "InvalidValue", "TxProfile needs an EVSE > 0")
    if v2x and profile.transaction_id is None:
        _fail("V8", "MissingParam", "TxProfile needs a transactionId")
    running = state.transactions.get(evse_id)
    if running is None:
        _fail("V9", "TxNotFound", f"no transaction on EVSE {evse_id}")
    if profile.transaction_id is not None and profile.transaction_id != running:
        _fail("V10", "TxNotFound", f"transaction {profile.transaction_id} is not running on EVSE {evse_id}")
    if v2x:
        for item in others:
            other = item.profile
            if (
                other.purpose is P.TX
                and other.stack_level == profile.stack_level
                and other.transaction_id == profile.transaction_id
            ):
                _fail(
                    "V11", "InvalidStackLevel", f"profile {other.id} already uses this stackLevel for the transaction"
                )
    if len(profile.schedules) > 1 and running not in state.charging_needs:
        _fail("V22", "InvalidSchedule", "several chargingSchedules need a prior NotifyEVChargingNeeds")
    per_phase = any(
        getattr(p, f) is not None for s in profile.schedules for p in s.periods for f in ("limit_l2", "limit_l3")
    )
    if per_phase and running not in state.per_phase_ev_limits:
        _fail("V29", "PhaseConflict", "the EV did not report per-phase limits")
