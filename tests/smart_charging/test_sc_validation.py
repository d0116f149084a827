"""SetChargingProfile validation rules (brief §2)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chargeline.domain.smart_charging import (
    ChargingProfile,
    ChargingSchedulePeriod,
    InstalledProfile,
    OcppVersion,
    OperationMode,
    RecurrencyKind,
    StationCapabilities,
    StationState,
    ValidationResult,
    validate_profile,
    validate_remote_start_profile,
)
from chargeline.domain.smart_charging.profiles import LimitAtSoC
from tests.smart_charging.helpers import K, P, W, at, on, profile

V16, V201, V21 = OcppVersion.V16, OcppVersion.V201, OcppVersion.V21
CAPS = StationCapabilities(evse_ids=frozenset({1, 2}), max_stack_level=8, max_periods=24)
CAPS_21 = replace(
    CAPS,
    additional_purposes=frozenset({P.PRIORITY_CHARGING}),
    operation_modes=frozenset(OperationMode),
    dynamic_profiles=True,
)
RUNNING = StationState(transactions={1: "tx-1"})
NOW = at("2025-06-10T12:00:00")
START = at("2025-06-10T00:00:00")


def check(
    evse: int,
    cp: ChargingProfile,
    version: OcppVersion = V201,
    caps: StationCapabilities = CAPS,
    installed: tuple[InstalledProfile, ...] = (),
    state: StationState = RUNNING,
    **kwargs: Any,
) -> ValidationResult:
    return validate_profile(
        evse, cp, version=version, capabilities=caps, installed=installed, state=state, now=NOW, **kwargs
    )


def rule(result: ValidationResult) -> tuple[str | None, str | None]:
    return result.rule, result.reason_code


def tx(pid: int = 1, stack: int = 0, periods: Any = ((0, 16),), **kw: Any) -> ChargingProfile:
    return profile(pid, P.TX, periods, kind=K.RELATIVE, stack=stack, tx=kw.pop("tx", "tx-1"), **kw)


def tx_default(pid: int = 2, stack: int = 0, **kw: Any) -> ChargingProfile:
    return profile(pid, P.TX_DEFAULT, kw.pop("periods", [(0, 16)]), kind=K.RELATIVE, stack=stack, **kw)


def v2x(*periods: ChargingSchedulePeriod, purpose: P = P.TX, **kw: Any) -> ChargingProfile:
    return profile(9, purpose, list(periods), kind=K.RELATIVE, tx="tx-1" if purpose is P.TX else None, unit=W, **kw)


# ------------------------------------------------------------------------------------------- accepted


@pytest.mark.parametrize("version", [V16, V201, V21])
def test_plain_profiles_are_accepted(version: OcppVersion) -> None:
    assert check(1, tx(), version).accepted
    assert check(0, tx_default(), version).accepted
    station_max = profile(3, P.CHARGING_STATION_MAX, [(0, 32)], start=START)
    assert check(0, station_max, version).accepted


def test_response_shape_per_version() -> None:
    rejected = check(0, tx())
    assert rejected.to_response(V16) == {"status": "Rejected"}
    assert rejected.to_response(V201) == {
        "status": "Rejected",
        "statusInfo": {"reasonCode": "InvalidValue", "additionalInfo": rejected.info},
    }
    assert check(1, tx()).to_response(V201) == {"status": "Accepted"}


# ------------------------------------------------------------------------------------ general checks


def test_v1_smart_charging_unavailable() -> None:
    result = check(1, tx(), caps=replace(CAPS, smart_charging_enabled=False))
    assert result.status == "NotSupported" and result.rule == "V1"


def test_v2_purpose_or_kind_unknown_in_version() -> None:
    assert rule(check(1, profile(1, P.EXTERNAL_CONSTRAINTS, [(0, 1)], kind=K.RELATIVE), V16)) == (
        "V2",
        "UnsupportedPurpose",
    )
    dynamic = profile(1, P.TX, [(0, 16)], kind=K.DYNAMIC, tx="tx-1")
    assert rule(check(1, dynamic, V201)) == ("V2", "UnsupportedKind")


def test_v3_csms_cannot_set_external_constraints() -> None:
    external = profile(-1, P.EXTERNAL_CONSTRAINTS, [(0, 10)], kind=K.RELATIVE)
    assert rule(check(0, external)) == ("V3", "InvalidValue")
    assert check(0, external, from_csms=False).accepted


def test_v4_additional_purpose_must_be_supported() -> None:
    priority = profile(5, P.PRIORITY_CHARGING, [(0, 32)], kind=K.RELATIVE)
    assert rule(check(1, priority, V21)) == ("V4", "UnsupportedPurpose")
    assert check(1, priority, V21, caps=CAPS_21).accepted


def test_v5_unknown_evse() -> None:
    assert rule(check(3, tx_default())) == ("V5", "InvalidValue")


def test_v6_station_max_only_on_evse_0_and_not_relative() -> None:
    assert rule(check(1, profile(3, P.CHARGING_STATION_MAX, [(0, 32)], start=START))) == ("V6", "InvalidValue")
    relative_max = profile(3, P.CHARGING_STATION_MAX, [(0, 32)], kind=K.RELATIVE)
    assert rule(check(0, relative_max, V16)) == ("V6", "InvalidValue")


def test_v7_to_v10_tx_profile_needs_its_transaction() -> None:
    assert rule(check(0, tx())) == ("V7", "InvalidValue")
    assert rule(check(1, tx(tx=None))) == ("V8", "MissingParam")
    assert check(1, tx(tx=None), V16).accepted  # 1.6: transactionId optional
    assert rule(check(2, tx())) == ("V9", "TxNotFound")
    assert rule(check(1, tx(tx="other"))) == ("V10", "TxNotFound")
    assert rule(check(1, tx(tx="41"), V16, state=StationState({1: "42"}))) == ("V10", "TxNotFound")


def test_v8_transaction_id_only_on_tx_profiles_in_2x() -> None:
    assert rule(check(1, tx_default(tx="tx-1"))) == ("V8", "InvalidValue")


def test_v11_same_stack_level_for_the_transaction() -> None:
    installed = (on(1, tx(pid=1, stack=2)),)
    assert rule(check(1, tx(pid=2, stack=2), installed=installed)) == ("V11", "InvalidStackLevel")
    assert check(1, tx(pid=1, stack=2), installed=installed).accepted  # same id: replacement


def test_v12_duplicate_stack_level_with_overlapping_validity() -> None:
    installed = (on(1, tx_default(pid=2, stack=1, valid_to=at("2025-07-01T00:00:00"))),)
    same = tx_default(pid=3, stack=1)
    assert rule(check(1, same, installed=installed)) == ("V12", "DuplicateProfile")
    later = tx_default(pid=3, stack=1, valid_from=at("2025-07-01T00:00:00"))
    assert check(1, later, installed=installed).accepted
    assert check(1, same, V16, installed=installed).accepted  # 1.6 replaces instead


def test_v13_station_wide_and_evse_tx_default_share_a_stack_level() -> None:
    assert rule(check(1, tx_default(pid=3, stack=4), installed=(on(0, tx_default(pid=2, stack=4)),))) == (
        "V13",
        "DuplicateProfile",
    )
    assert rule(check(0, tx_default(pid=3, stack=4), installed=(on(1, tx_default(pid=2, stack=4)),))) == (
        "V13",
        "DuplicateProfile",
    )


def test_v14_ids_of_external_constraints() -> None:
    external = on(0, profile(-3, P.EXTERNAL_CONSTRAINTS, [(0, 10)], kind=K.RELATIVE))
    assert rule(check(0, tx_default(pid=-3), installed=(external,))) == ("V14", "DuplicateProfile")
    caps = replace(CAPS, max_external_constraints_id=100)
    assert rule(check(0, tx_default(pid=100), V21, caps=caps)) == ("V14", "InvalidProfileId")
    assert check(0, tx_default(pid=101), V21, caps=caps).accepted


def test_v15_unsupported_unit() -> None:
    caps = replace(CAPS, rate_units=frozenset({W}))
    assert rule(check(1, tx(), caps=caps)) == ("V15", "UnsupportedRateUnit")


@pytest.mark.parametrize(
    "periods",
    [[(10, 16)], [(0, 16), (600, 10), (600, 8)], [(0, 16), (600, 10), (300, 8)]],
)
def test_v16_period_order(periods: list[tuple[int, float]]) -> None:
    assert rule(check(1, tx(periods=periods))) == ("V16", "InvalidSchedule")


def test_v17_configured_maxima() -> None:
    assert rule(check(1, tx(stack=9))) == ("V17", "InvalidStackLevel")
    assert rule(check(1, tx(periods=[(60 * i, 16) for i in range(25)]))) == ("V17", "InvalidSchedule")
    caps = replace(CAPS, max_profiles=1)
    installed = (on(0, tx_default(pid=2, stack=1)),)
    assert rule(check(1, tx(), caps=caps, installed=installed)) == ("V17", "TooManyProfiles")
    assert check(0, tx_default(pid=2, stack=1), caps=caps, installed=installed).accepted  # replaces


def test_v18_kind_and_start_schedule() -> None:
    assert rule(check(1, profile(1, P.TX, [(0, 16)], tx="tx-1"))) == ("V18", "InvalidSchedule")
    relative_with_start = profile(1, P.TX, [(0, 16)], kind=K.RELATIVE, start=START, tx="tx-1")
    assert rule(check(1, relative_with_start)) == ("V18", "InvalidSchedule")
    recurring = profile(2, P.TX_DEFAULT, [(0, 16)], kind=K.RECURRING, start=START)
    assert rule(check(0, recurring)) == ("V18", "InvalidSchedule")
    assert check(0, replace(recurring, recurrency_kind=RecurrencyKind.WEEKLY)).accepted


def test_v19_phase_to_use() -> None:
    period = ChargingSchedulePeriod(0, 16, number_phases=1, phase_to_use=2)
    assert rule(check(1, tx(periods=[period]))) == ("V19", "InvalidSchedule")
    assert check(1, tx(periods=[period]), caps=replace(CAPS, phase_switching=True)).accepted
    three = ChargingSchedulePeriod(0, 16, number_phases=3, phase_to_use=2)
    assert rule(check(1, tx(periods=[three]), caps=replace(CAPS, phase_switching=True))) == ("V19", "InvalidSchedule")


def test_v20_more_phases_than_supply() -> None:
    caps = replace(CAPS, supply_phases=1)
    assert rule(check(1, tx(periods=[ChargingSchedulePeriod(0, 16, number_phases=3)]), caps=caps)) == (
        "V20",
        "InvalidSchedule",
    )


def test_v21_phases_on_dc() -> None:
    caps = replace(CAPS, dc_evse_ids=frozenset({1}))
    phased = tx(periods=[ChargingSchedulePeriod(0, 16, number_phases=3)])
    assert rule(check(1, phased, caps=caps)) == ("V21", "InvalidSchedule")
    assert rule(check(1, phased, V21, caps=caps)) == ("V21", "NoPhaseForDC")
    assert check(1, phased, V21, caps=replace(caps, dc_input_phase_control=True)).accepted
    assert check(1, tx(), caps=caps).accepted


def test_v22_several_schedules_need_charging_needs() -> None:
    single = tx()
    double = replace(single, schedules=single.schedules * 2)
    assert rule(check(1, double)) == ("V22", "InvalidSchedule")
    assert check(1, double, state=StationState({1: "tx-1"}, charging_needs=frozenset({"tx-1"}))).accepted
    assert rule(check(0, replace(tx_default(), schedules=single.schedules * 2))) == ("V22", "InvalidSchedule")


def test_v23_valid_to_in_the_past() -> None:
    assert rule(check(0, tx_default(valid_to=at("2025-06-10T11:00:00")))) == ("V23", "InvalidValue")
    assert check(0, tx_default(valid_to=at("2025-06-10T11:00:00")), V16).accepted


def test_v24_remote_start_profile() -> None:
    assert validate_remote_start_profile(tx(tx=None)).accepted
    assert validate_remote_start_profile(tx()).rule == "V24"
    assert validate_remote_start_profile(tx_default()).rule == "V24"


def test_v25_optional_21_features() -> None:
    dynamic = profile(1, P.TX, [(0, 16)], kind=K.DYNAMIC, tx="tx-1")
    assert rule(check(1, dynamic, V21)) == ("V25", "UnsupportedKind")
    assert check(1, dynamic, V21, caps=CAPS_21).accepted
    assert rule(check(1, tx(dyn_update_interval=60), V21, caps=CAPS_21)) == ("V25", "InvalidProfile")
    delayed = tx()
    delayed = replace(delayed, schedules=(replace(delayed.schedule, randomized_delay=30),))
    assert rule(check(1, delayed, V21, caps=CAPS_21)) == ("V25", "InvalidSchedule")
    assert check(1, delayed, V21, caps=replace(CAPS_21, randomized_delay=True)).accepted
    max_delayed = profile(3, P.CHARGING_STATION_MAX, [(0, 32)], start=START)
    max_delayed = replace(max_delayed, schedules=(replace(max_delayed.schedule, randomized_delay=30),))
    assert rule(check(0, max_delayed, V21, caps=replace(CAPS_21, randomized_delay=True))) == ("V25", "InvalidSchedule")
    soc = replace(delayed, schedules=(replace(tx().schedule, limit_at_soc=LimitAtSoC(80, 10.0)),))
    assert rule(check(1, soc, V21, caps=CAPS_21)) == ("V25", "InvalidSchedule")
    sleep = v2x(ChargingSchedulePeriod(0, None, evse_sleep=True, operation_mode=OperationMode.IDLE))
    assert rule(check(1, sleep, V21, caps=CAPS_21)) == ("V25", "InvalidSchedule")
    assert check(1, sleep, V21, caps=replace(CAPS_21, evse_sleep=True)).accepted


def test_v26_priority_charging_shape() -> None:
    caps = CAPS_21
    with_duration = profile(5, P.PRIORITY_CHARGING, [(0, 32)], kind=K.RELATIVE, duration=600)
    assert rule(check(1, with_duration, V21, caps=caps)) == ("V26", "InvalidSchedule")
    setpoint = ChargingSchedulePeriod(0, None, setpoint=1000, operation_mode=OperationMode.CENTRAL_SETPOINT)
    assert rule(check(1, v2x(setpoint, purpose=P.PRIORITY_CHARGING), V21, caps=caps)) == ("V27", "InvalidOperationMode")


def test_v27_operation_mode_per_purpose_and_support() -> None:
    central = ChargingSchedulePeriod(0, None, setpoint=-2000, operation_mode=OperationMode.CENTRAL_SETPOINT)
    assert rule(check(1, v2x(central), V21)) == ("V27", "InvalidOperationMode")  # not in supported modes
    assert check(1, v2x(central), V21, caps=CAPS_21).accepted
    station_max = profile(3, P.CHARGING_STATION_MAX, [central], start=START, unit=W)
    assert rule(check(0, station_max, V21, caps=CAPS_21)) == ("V27", "InvalidOperationMode")


@pytest.mark.parametrize(
    ("period", "reason"),
    [
        (ChargingSchedulePeriod(0, 1000, operation_mode=OperationMode.CENTRAL_SETPOINT), "InvalidSchedule"),
        (ChargingSchedulePeriod(0, 1000, setpoint=500), "InvalidSchedule"),
        (ChargingSchedulePeriod(0, None), "InvalidSchedule"),
        (ChargingSchedulePeriod(0, -5.0), "InvalidSchedule"),
        (
            ChargingSchedulePeriod(
                0, None, setpoint=100, discharge_limit=50, operation_mode=OperationMode.CENTRAL_SETPOINT
            ),
            "InvalidSchedule",
        ),
        (ChargingSchedulePeriod(0, None, operation_mode=OperationMode.LOCAL_FREQUENCY), "NoFreqWattCurve"),
    ],
)
def test_v28_fields_per_operation_mode(period: ChargingSchedulePeriod, reason: str) -> None:
    assert rule(check(1, v2x(period), V21, caps=CAPS_21)) == ("V28", reason)


def test_v28_per_phase_setpoints_share_sign() -> None:
    mixed = ChargingSchedulePeriod(
        0, None, setpoint=100, setpoint_l2=-100, setpoint_l3=100, operation_mode=OperationMode.CENTRAL_SETPOINT
    )
    assert rule(check(1, v2x(mixed), V21, caps=CAPS_21)) == ("V28", "InvalidSchedule")


def test_v29_per_phase_limits() -> None:
    per_phase = ChargingSchedulePeriod(0, 7000, limit_l2=2000, limit_l3=2000)
    state = StationState({1: "tx-1"}, per_phase_ev_limits=frozenset({"tx-1"}))
    assert rule(check(1, v2x(per_phase), V21, caps=CAPS_21)) == ("V29", "PhaseConflict")
    assert check(1, v2x(per_phase), V21, caps=CAPS_21, state=state).accepted
    default = v2x(per_phase, purpose=P.TX_DEFAULT)
    assert rule(check(1, default, V21, caps=CAPS_21, state=state)) == ("V29", "PhaseConflict")


def test_v30_rate_limit_on_persistent_profiles() -> None:
    caps = replace(CAPS, update_rate_limit_s=60)
    result = check(0, tx_default(), caps=caps, state=StationState(seconds_since_last_update=15))
    assert rule(result) == ("V30", "RateLimitExceeded") and result.info == "46 seconds before retry"
    assert check(1, tx(), caps=caps, state=StationState({1: "tx-1"}, seconds_since_last_update=15)).accepted
