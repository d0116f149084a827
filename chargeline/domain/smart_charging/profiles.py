"""One charging-profile model for OCPP 1.6, 2.0.1 and 2.1.

The model is the union of the three versions (2.1 being the superset); version
differences live only in `conversion.py`, so validation and the composite
schedule are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class OcppVersion(StrEnum):
    V16 = "1.6"
    V201 = "2.0.1"
    V21 = "2.1"


class ChargingProfilePurpose(StrEnum):
    """2.x names; 1.6 `ChargePointMaxProfile` maps to CHARGING_STATION_MAX."""

    CHARGING_STATION_MAX = "ChargingStationMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"
    EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"
    PRIORITY_CHARGING = "PriorityCharging"
    LOCAL_GENERATION = "LocalGeneration"


class ChargingProfileKind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"
    DYNAMIC = "Dynamic"


class RecurrencyKind(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class ChargingRateUnit(StrEnum):
    A = "A"
    W = "W"


class OperationMode(StrEnum):
    IDLE = "Idle"
    CHARGING_ONLY = "ChargingOnly"
    CENTRAL_SETPOINT = "CentralSetpoint"
    EXTERNAL_SETPOINT = "ExternalSetpoint"
    EXTERNAL_LIMITS = "ExternalLimits"
    CENTRAL_FREQUENCY = "CentralFrequency"
    LOCAL_FREQUENCY = "LocalFrequency"
    LOCAL_LOAD_BALANCING = "LocalLoadBalancing"


RECURRENCE_SECONDS: Mapping[RecurrencyKind, int] = {RecurrencyKind.DAILY: 86_400, RecurrencyKind.WEEKLY: 604_800}

#: Purposes each version knows (others are a schema violation there).
PURPOSES_BY_VERSION: Mapping[OcppVersion, frozenset[ChargingProfilePurpose]] = {
    OcppVersion.V16: frozenset(
        {ChargingProfilePurpose.CHARGING_STATION_MAX, ChargingProfilePurpose.TX_DEFAULT, ChargingProfilePurpose.TX}
    ),
    OcppVersion.V201: frozenset(
        {
            ChargingProfilePurpose.CHARGING_STATION_MAX,
            ChargingProfilePurpose.TX_DEFAULT,
            ChargingProfilePurpose.TX,
            ChargingProfilePurpose.EXTERNAL_CONSTRAINTS,
        }
    ),
    OcppVersion.V21: frozenset(ChargingProfilePurpose),
}


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One point of a 2.1 v2xFreqWattCurve (x = Hz) or v2xSignalWattCurve (x = aFRR signal)."""

    x: float
    power: float


@dataclass(frozen=True, slots=True)
class LimitAtSoC:
    soc: int
    limit: float


@dataclass(frozen=True, slots=True)
class ChargingSchedulePeriod:
    """A period; only `start_period` and (before 2.1) `limit` are mandatory.

    For unit W, `limit` is the sum over phases unless `limit_l2`/`limit_l3` are
    present, in which case it is phase L1 (2.1). The same holds for setpoint and
    dischargeLimit.
    """

    start_period: int
    limit: float | None = None
    limit_l2: float | None = None
    limit_l3: float | None = None
    number_phases: int | None = None
    phase_to_use: int | None = None
    discharge_limit: float | None = None
    discharge_limit_l2: float | None = None
    discharge_limit_l3: float | None = None
    setpoint: float | None = None
    setpoint_l2: float | None = None
    setpoint_l3: float | None = None
    setpoint_reactive: float | None = None
    setpoint_reactive_l2: float | None = None
    setpoint_reactive_l3: float | None = None
    preconditioning_request: bool | None = None
    evse_sleep: bool | None = None
    v2x_baseline: float | None = None
    operation_mode: OperationMode | None = None
    v2x_freq_watt_curve: tuple[CurvePoint, ...] | None = None
    v2x_signal_watt_curve: tuple[CurvePoint, ...] | None = None

    @property
    def mode(self) -> OperationMode:
        """Absent operationMode means ChargingOnly (2.1 schema)."""
        return self.operation_mode or OperationMode.CHARGING_ONLY


@dataclass(frozen=True, slots=True)
class ChargingSchedule:
    """One schedule. `extra` keeps 2.x tariff/signature objects we pass through untouched."""

    charging_rate_unit: ChargingRateUnit
    periods: tuple[ChargingSchedulePeriod, ...]
    id: int | None = None
    start_schedule: datetime | None = None
    duration: int | None = None
    min_charging_rate: float | None = None
    use_local_time: bool | None = None
    randomized_delay: int | None = None
    limit_at_soc: LimitAtSoC | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class ChargingProfile:
    """Version-neutral charging profile (transactionId kept as text; 1.6 uses an int)."""

    id: int
    stack_level: int
    purpose: ChargingProfilePurpose
    kind: ChargingProfileKind
    schedules: tuple[ChargingSchedule, ...]
    recurrency_kind: RecurrencyKind | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None
    max_offline_duration: int | None = None
    invalid_after_offline_duration: bool | None = None
    dyn_update_interval: int | None = None
    dyn_update_time: datetime | None = None
    price_schedule_signature: str | None = None

    @property
    def schedule(self) -> ChargingSchedule:
        """The schedule stations evaluate (libocpp and our composite use only the first)."""
        return self.schedules[0]


@dataclass(frozen=True, slots=True)
class InstalledProfile:
    """A profile as installed on a station: evse 0 means station-wide."""

    evse_id: int
    profile: ChargingProfile
