"""Profile model <-> OCPP 1.6 / 2.0.1 / 2.1 messages."""

from __future__ import annotations

from typing import Any

import pytest

from chargeline.domain.smart_charging import (
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedulePeriod,
    ConversionError,
    OcppVersion,
    OperationMode,
    StationConfig,
    composite_from_ocpp,
    composite_schedule,
    composite_to_ocpp,
    parse_set_charging_profile,
    profile_from_ocpp,
    profile_to_ocpp,
    set_charging_profile_request,
)
from tests.smart_charging.helpers import A, K, P, W, at, on, profile

V16, V201, V21 = OcppVersion.V16, OcppVersion.V201, OcppVersion.V21

SET_16: dict[str, Any] = {
    "connectorId": 0,
    "csChargingProfiles": {
        "chargingProfileId": 7,
        "stackLevel": 2,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Recurring",
        "recurrencyKind": "Daily",
        "validFrom": "2025-01-01T00:00:00Z",
        "chargingSchedule": {
            "duration": 86400,
            "startSchedule": "2025-01-01T00:00:00Z",
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 32.0},
                {"startPeriod": 25200, "limit": 16.5, "numberPhases": 1},
            ],
            "minChargingRate": 6.0,
        },
    },
}

SET_201: dict[str, Any] = {
    "evseId": 1,
    "chargingProfile": {
        "id": 12,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "transactionId": "tx-abc",
        "chargingSchedule": [
            {
                "id": 3,
                "chargingRateUnit": "W",
                "duration": 3600,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0, "numberPhases": 3, "phaseToUse": 1}],
                "salesTariff": {
                    "id": 1,
                    "salesTariffEntry": [{"relativeTimeInterval": {"start": 0}, "ePriceLevel": 1}],
                },
            }
        ],
    },
}

SET_21: dict[str, Any] = {
    "evseId": 2,
    "chargingProfile": {
        "id": 40,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Dynamic",
        "transactionId": "tx-21",
        "maxOfflineDuration": 300,
        "invalidAfterOfflineDuration": True,
        "dynUpdateInterval": 60,
        "dynUpdateTime": "2025-06-10T12:00:00Z",
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "W",
                "duration": 600,
                "randomizedDelay": 30,
                "limitAtSoC": {"soc": 80, "limit": 3000.0},
                "chargingSchedulePeriod": [
                    {
                        "startPeriod": 0,
                        "operationMode": "CentralSetpoint",
                        "limit": 7000.0,
                        "limit_L2": 2000.0,
                        "limit_L3": 2000.0,
                        "dischargeLimit": -5000.0,
                        "setpoint": -3000.0,
                        "setpointReactive": 100.0,
                    },
                    {
                        "startPeriod": 300,
                        "operationMode": "LocalFrequency",
                        "v2xBaseline": 0.0,
                        "v2xFreqWattCurve": [
                            {"frequency": 49.8, "power": 3000.0},
                            {"frequency": 50.2, "power": -3000.0},
                        ],
                        "v2xSignalWattCurve": [{"signal": 1.0, "power": 1000.0}],
                        "preconditioningRequest": True,
                    },
                ],
            }
        ],
    },
}


def test_16_round_trip_maps_names() -> None:
    item = parse_set_charging_profile(SET_16, V16)
    assert item.evse_id == 0
    cp = item.profile
    assert cp.id == 7 and cp.purpose is ChargingProfilePurpose.CHARGING_STATION_MAX
    assert cp.kind is ChargingProfileKind.RECURRING and cp.schedule.start_schedule == at("2025-01-01T00:00:00")
    assert cp.schedule.periods[1] == ChargingSchedulePeriod(25200, 16.5, number_phases=1)
    assert set_charging_profile_request(0, cp, V16) == SET_16


def test_16_to_2x_uses_2x_names_and_lists() -> None:
    cp = parse_set_charging_profile(SET_16, V16).profile
    out = set_charging_profile_request(0, cp, V201)
    assert set(out) == {"evseId", "chargingProfile"}
    body = out["chargingProfile"]
    assert body["id"] == 7 and body["chargingProfilePurpose"] == "ChargingStationMaxProfile"
    assert isinstance(body["chargingSchedule"], list) and body["chargingSchedule"][0]["id"] == 1


def test_201_round_trip_keeps_sales_tariff() -> None:
    item = parse_set_charging_profile(SET_201, V201)
    assert item.profile.transaction_id == "tx-abc"
    assert item.profile.schedule.periods[0].phase_to_use == 1
    assert set_charging_profile_request(1, item.profile, V201) == SET_201


def test_21_round_trip_with_v2x_fields() -> None:
    item = parse_set_charging_profile(SET_21, V21)
    cp = item.profile
    first, second = cp.schedule.periods
    assert cp.kind is ChargingProfileKind.DYNAMIC and cp.dyn_update_time == at("2025-06-10T12:00:00")
    assert first.mode is OperationMode.CENTRAL_SETPOINT and first.setpoint == -3000.0 and first.limit_l2 == 2000.0
    assert second.v2x_freq_watt_curve is not None and second.v2x_freq_watt_curve[1].x == 50.2
    assert set_charging_profile_request(2, cp, V21) == SET_21


def test_2x_transaction_id_to_16_must_be_numeric() -> None:
    numeric = profile(1, P.TX, [(0, 16)], kind=K.RELATIVE, tx="42")
    assert profile_to_ocpp(numeric, V16)["transactionId"] == 42
    with pytest.raises(ConversionError):
        profile_to_ocpp(profile(1, P.TX, [(0, 16)], kind=K.RELATIVE, tx="tx-abc"), V16)


def test_16_limit_rounded_to_multiple_of_tenth() -> None:
    cp = profile(1, P.TX_DEFAULT, [(0, 15.94)], kind=K.RELATIVE)
    assert profile_to_ocpp(cp, V16)["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 15.9


@pytest.mark.parametrize("version", [V16, V201])
def test_21_features_refused_for_older_versions(version: OcppVersion) -> None:
    v2x = parse_set_charging_profile(SET_21, V21).profile
    with pytest.raises(ConversionError):
        profile_to_ocpp(v2x, version)
    external = profile(-5, P.EXTERNAL_CONSTRAINTS, [(0, 16)], kind=K.RELATIVE)
    if version is V16:
        with pytest.raises(ConversionError):
            profile_to_ocpp(external, version)
    else:
        assert profile_to_ocpp(external, version)["chargingProfilePurpose"] == "ChargingStationExternalConstraints"


def test_16_rejects_several_schedules_and_unknown_purpose() -> None:
    two = profile_from_ocpp(
        {**SET_201["chargingProfile"], "chargingSchedule": SET_201["chargingProfile"]["chargingSchedule"] * 2}, V201
    )
    with pytest.raises(ConversionError):
        profile_to_ocpp(two, V16)
    with pytest.raises(ConversionError):
        profile_from_ocpp({**SET_16["csChargingProfiles"], "chargingProfilePurpose": "PriorityCharging"}, V16)


def test_missing_required_field_is_a_conversion_error() -> None:
    body = dict(SET_201["chargingProfile"])
    del body["chargingProfileKind"]
    with pytest.raises(ConversionError, match="chargingProfileKind"):
        profile_from_ocpp(body, V201)


def test_timestamps_without_offset_are_utc() -> None:
    body = {**SET_16["csChargingProfiles"], "validFrom": "2025-01-01T00:00:00"}
    assert profile_from_ocpp(body, V16).valid_from == at("2025-01-01T00:00:00")


def test_composite_response_per_version_and_back() -> None:
    installed = [on(1, profile(1, P.TX_DEFAULT, [(0, 16), (600, 10)], kind=K.RELATIVE, unit=A))]
    schedule = composite_schedule(
        installed, 1, at("2025-06-10T12:00:00"), 1200, W, StationConfig(simulate_tx_if_none=True)
    )
    v16 = composite_to_ocpp(schedule, V16)
    assert v16["connectorId"] == 1 and v16["chargingSchedule"]["chargingSchedulePeriod"][1] == {
        "startPeriod": 600,
        "limit": 6900.0,
        "numberPhases": 3,
    }
    v201 = composite_to_ocpp(schedule, V201)
    assert v201["schedule"]["scheduleStart"] == "2025-06-10T12:00:00Z"
    assert composite_from_ocpp(v16, V16) == schedule
    assert composite_from_ocpp(v201, V201) == schedule
    assert composite_from_ocpp(composite_to_ocpp(schedule, V21), V21).charging_rate_unit is ChargingRateUnit.W
