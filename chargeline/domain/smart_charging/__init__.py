"""Version-neutral smart-charging core: profile model and conversion, validation, composite schedule,
site allocation and time-of-use planning. Pure functions, no I/O; used by the CSMS and the station stack.
"""

from chargeline.domain.smart_charging.allocation import (
    AllocationSettings,
    ChargingSession,
    EvseAllocation,
    SiteNode,
    allocate,
)
from chargeline.domain.smart_charging.composite import (
    ActiveTransaction,
    CompositePeriod,
    CompositeSchedule,
    StationConfig,
    composite_schedule,
)
from chargeline.domain.smart_charging.conversion import (
    ConversionError,
    composite_from_ocpp,
    composite_to_ocpp,
    parse_set_charging_profile,
    profile_from_ocpp,
    profile_to_ocpp,
    set_charging_profile_request,
)
from chargeline.domain.smart_charging.installation import ClearCriteria, clear, end_transaction, install
from chargeline.domain.smart_charging.profiles import (
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    InstalledProfile,
    OcppVersion,
    OperationMode,
    RecurrencyKind,
)
from chargeline.domain.smart_charging.tou import ChargingPlan, EnergyRequest, PriceSlot, plan_charging, plan_sessions
from chargeline.domain.smart_charging.validation import (
    StationCapabilities,
    StationState,
    ValidationResult,
    validate_profile,
    validate_remote_start_profile,
)

__all__ = [
    "ActiveTransaction",
    "AllocationSettings",
    "ChargingPlan",
    "ChargingProfile",
    "ChargingProfileKind",
    "ChargingProfilePurpose",
    "ChargingRateUnit",
    "ChargingSchedule",
    "ChargingSchedulePeriod",
    "ChargingSession",
    "ClearCriteria",
    "CompositePeriod",
    "CompositeSchedule",
    "ConversionError",
    "EnergyRequest",
    "EvseAllocation",
    "InstalledProfile",
    "OcppVersion",
    "OperationMode",
    "PriceSlot",
    "RecurrencyKind",
    "SiteNode",
    "StationCapabilities",
    "StationConfig",
    "StationState",
    "ValidationResult",
    "allocate",
    "clear",
    "composite_from_ocpp",
    "composite_schedule",
    "composite_to_ocpp",
    "end_transaction",
    "install",
    "parse_set_charging_profile",
    "plan_charging",
    "plan_sessions",
    "profile_from_ocpp",
    "profile_to_ocpp",
    "set_charging_profile_request",
    "validate_profile",
    "validate_remote_start_profile",
]
