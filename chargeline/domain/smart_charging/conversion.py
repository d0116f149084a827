"""Convert the version-neutral profile model to and from OCPP 1.6 / 2.0.1 / 2.1 message dicts.

Exporting refuses (ConversionError) anything the target version cannot carry
instead of dropping it silently: a station must never receive a weaker profile
than the one the CSMS decided on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chargeline.domain.smart_charging.composite import CompositePeriod, CompositeSchedule
from chargeline.domain.smart_charging.profiles import (
    PURPOSES_BY_VERSION,
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    CurvePoint,
    InstalledProfile,
    LimitAtSoC,
    OcppVersion,
    OperationMode,
    RecurrencyKind,
)
from chargeline.domain.smart_charging.times import format_time, parse_time

V16, V201, V21 = OcppVersion.V16, OcppVersion.V201, OcppVersion.V21
_RANK = {V16: 0, V201: 1, V21: 2}
_MAX_16 = "ChargePointMaxProfile"


class ConversionError(ValueError):
    """The payload is malformed, or the profile uses a feature the target version lacks."""


# (JSON name, model attribute, first version that has it); numbers only.
_PERIOD_NUMBERS: tuple[tuple[str, str, OcppVersion], ...] = (
    ("limit", "limit", V16),
    ("limit_L2", "limit_l2", V21),
    ("limit_L3", "limit_l3", V21),
    ("numberPhases", "number_phases", V16),
    ("phaseToUse", "phase_to_use", V201),
    ("dischargeLimit", "discharge_limit", V21),
    ("dischargeLimit_L2", "discharge_limit_l2", V21),
    ("dischargeLimit_L3", "discharge_limit_l3", V21),
    ("setpoint", "setpoint", V21),
    ("setpoint_L2", "setpoint_l2", V21),
    ("setpoint_L3", "setpoint_l3", V21),
    ("setpointReactive", "setpoint_reactive", V21),
    ("setpointReactive_L2", "setpoint_reactive_l2", V21),
    ("setpointReactive_L3", "setpoint_reactive_l3", V21),
    ("v2xBaseline", "v2x_baseline", V21),
)
_INT_FIELDS = frozenset({"number_phases", "phase_to_use"})
_PERIOD_FLAGS: tuple[tuple[str, str], ...] = (
    ("preconditioningRequest", "preconditioning_request"),
    ("evseSleep", "evse_sleep"),
)
_CURVES: tuple[tuple[str, str, str], ...] = (
    ("v2xFreqWattCurve", "v2x_freq_watt_curve", "frequency"),
    ("v2xSignalWattCurve", "v2x_signal_watt_curve", "signal"),
)
# Schedule objects passed through as-is: JSON name -> first version.
_SCHEDULE_EXTRAS: Mapping[str, OcppVersion] = {
    "salesTariff": V201,
    "absolutePriceSchedule": V21,
    "priceLevelSchedule": V21,
    "powerTolerance": V21,
    "signatureId": V21,
    "digestValue": V21,
}
_PROFILE_21: tuple[tuple[str, str], ...] = (
    ("maxOfflineDuration", "max_offline_duration"),
    ("invalidAfterOfflineDuration", "invalid_after_offline_duration"),
    ("dynUpdateInterval", "dyn_update_interval"),
    ("priceScheduleSignature", "price_schedule_signature"),
)


def _require(data: Mapping[str, Any], key: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise ConversionError(f"missing field {key!r}") from None


def _enum(enum: Any, value: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ConversionError(f"invalid {enum.__name__} value {value!r}") from None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------------------------------------- import


def period_from_ocpp(data: Mapping[str, Any]) -> ChargingSchedulePeriod:
    values: dict[str, Any] = {"start_period": int(_require(data, "startPeriod"))}
    for name, attr, _ in _PERIOD_NUMBERS:
        if data.get(name) is not None:
            values[attr] = int(data[name]) if attr in _INT_FIELDS else float(data[name])
    for name, attr in _PERIOD_FLAGS:
        if data.get(name) is not None:
            values[attr] = bool(data[name])
    for name, attr, x_key in _CURVES:
        if data.get(name) is not None:
            values[attr] = tuple(CurvePoint(float(p[x_key]), float(p["power"])) for p in data[name])
    if data.get("operationMode") is not None:
        values["operation_mode"] = _enum(OperationMode, data["operationMode"])
    return ChargingSchedulePeriod(**values)


def schedule_from_ocpp(data: Mapping[str, Any]) -> ChargingSchedule:
    periods = tuple(period_from_ocpp(p) for p in _require(data, "chargingSchedulePeriod"))
    soc = data.get("limitAtSoC")
    return ChargingSchedule(
        charging_rate_unit=_enum(ChargingRateUnit, _require(data, "chargingRateUnit")),
        periods=periods,
        id=None if data.get("id") is None else int(data["id"]),
        start_schedule=None if data.get("startSchedule") is None else parse_time(data["startSchedule"]),
        duration=None if data.get("duration") is None else int(data["duration"]),
        min_charging_rate=_num(data.get("minChargingRate")),
        use_local_time=data.get("useLocalTime"),
        randomized_delay=None if data.get("randomizedDelay") is None else int(data["randomizedDelay"]),
        limit_at_soc=None if soc is None else LimitAtSoC(int(soc["soc"]), float(soc["limit"])),
        extra={k: data[k] for k in _SCHEDULE_EXTRAS if data.get(k) is not None},
    )


def profile_from_ocpp(data: Mapping[str, Any], version: OcppVersion) -> ChargingProfile:
    """Parse a 1.6 `csChargingProfiles` or a 2.x `chargingProfile` object.

    Lenient where published fixtures are: a missing stackLevel reads as 0 and the
    1.6 name ChargePointMaxProfile is understood in either shape; everything else
    the schema requires must be present.
    """
    purpose_text = _require(data, "chargingProfilePurpose")
    purpose = (
        ChargingProfilePurpose.CHARGING_STATION_MAX
        if purpose_text == _MAX_16
        else _enum(ChargingProfilePurpose, purpose_text)
    )
    if version is V16:
        schedules: tuple[ChargingSchedule, ...] = (schedule_from_ocpp(_require(data, "chargingSchedule")),)
        profile_id = int(_require(data, "chargingProfileId"))
    else:
        raw = _require(data, "chargingSchedule")
        schedules = tuple(schedule_from_ocpp(s) for s in (raw if isinstance(raw, list) else [raw]))
        profile_id = int(_require(data, "id"))
    if purpose not in PURPOSES_BY_VERSION[version]:
        raise ConversionError(f"purpose {purpose} does not exist in OCPP {version}")
    if not schedules:
        raise ConversionError("chargingSchedule is empty")
    extra: dict[str, Any] = {attr: data[name] for name, attr in _PROFILE_21 if data.get(name) is not None}
    if data.get("dynUpdateTime") is not None:
        extra["dyn_update_time"] = parse_time(data["dynUpdateTime"])
    tx = data.get("transactionId")
    return ChargingProfile(
        id=profile_id,
        stack_level=int(data.get("stackLevel", 0)),
        purpose=purpose,
        kind=_enum(ChargingProfileKind, _require(data, "chargingProfileKind")),
        schedules=schedules,
        recurrency_kind=None if data.get("recurrencyKind") is None else _enum(RecurrencyKind, data["recurrencyKind"]),
        valid_from=None if data.get("validFrom") is None else parse_time(data["validFrom"]),
        valid_to=None if data.get("validTo") is None else parse_time(data["validTo"]),
        transaction_id=None if tx is None else str(tx),
        **extra,
    )


def parse_set_charging_profile(payload: Mapping[str, Any], version: OcppVersion) -> InstalledProfile:
    """SetChargingProfile request -> (evse, profile); 1.6 connectorId is taken as the EVSE id."""
    if version is V16:
        return InstalledProfile(
            int(_require(payload, "connectorId")), profile_from_ocpp(_require(payload, "csChargingProfiles"), version)
        )
    return InstalledProfile(
        int(_require(payload, "evseId")), profile_from_ocpp(_require(payload, "chargingProfile"), version)
    )


# ---------------------------------------------------------------------------------------------- export


def _check(version: OcppVersion, since: OcppVersion, what: str) -> None:
    if _RANK[version] < _RANK[since]:
        raise ConversionError(f"{what} needs OCPP {since} (target {version})")


def period_to_ocpp(period: ChargingSchedulePeriod, version: OcppVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"startPeriod": period.start_period}
    for name, attr, since in _PERIOD_NUMBERS:
        value = getattr(period, attr)
        if value is not None:
            _check(version, since, name)
            out[name] = round(value, 1) if version is V16 and name == "limit" else value
    if version is not V21 and period.limit is None:
        raise ConversionError(f"limit is required in OCPP {version}")
    for name, attr in _PERIOD_FLAGS:
        if getattr(period, attr) is not None:
            _check(version, V21, name)
            out[name] = getattr(period, attr)
    if period.operation_mode is not None:
        _check(version, V21, "operationMode")
        out["operationMode"] = period.operation_mode.value
    for name, attr, x_key in _CURVES:
        curve = getattr(period, attr)
        if curve is not None:
            _check(version, V21, name)
            out[name] = [{x_key: p.x, "power": p.power} for p in curve]
    return out


def schedule_to_ocpp(schedule: ChargingSchedule, version: OcppVersion, default_id: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if version is not V16:
        out["id"] = default_id if schedule.id is None else schedule.id
    if schedule.start_schedule is not None:
        out["startSchedule"] = format_time(schedule.start_schedule)
    if schedule.duration is not None:
        out["duration"] = schedule.duration
    out["chargingRateUnit"] = schedule.charging_rate_unit.value
    out["chargingSchedulePeriod"] = [period_to_ocpp(p, version) for p in schedule.periods]
    if schedule.min_charging_rate is not None:
        out["minChargingRate"] = round(schedule.min_charging_rate, 1) if version is V16 else schedule.min_charging_rate
    for name, value in (("useLocalTime", schedule.use_local_time), ("randomizedDelay", schedule.randomized_delay)):
        if value is not None:
            _check(version, V21, name)
            out[name] = value
    if schedule.limit_at_soc is not None:
        _check(version, V21, "limitAtSoC")
        out["limitAtSoC"] = {"soc": schedule.limit_at_soc.soc, "limit": schedule.limit_at_soc.limit}
    for name, value in schedule.extra.items():
        _check(version, _SCHEDULE_EXTRAS[name], name)
        out[name] = value
    return out


def profile_to_ocpp(profile: ChargingProfile, version: OcppVersion) -> dict[str, Any]:
    """Model -> 1.6 `csChargingProfiles` or 2.x `chargingProfile` object."""
    if profile.purpose not in PURPOSES_BY_VERSION[version]:
        raise ConversionError(f"purpose {profile.purpose} does not exist in OCPP {version}")
    if profile.kind is ChargingProfileKind.DYNAMIC:
        _check(version, V21, "chargingProfileKind Dynamic")
    out: dict[str, Any]
    if version is V16:
        if len(profile.schedules) != 1:
            raise ConversionError("OCPP 1.6 carries exactly one chargingSchedule")
        purpose = _MAX_16 if profile.purpose is ChargingProfilePurpose.CHARGING_STATION_MAX else profile.purpose.value
        out = {"chargingProfileId": profile.id}
        if profile.transaction_id is not None:
            if not profile.transaction_id.lstrip("-").isdigit():
                raise ConversionError("OCPP 1.6 transactionId must be an integer")
            out["transactionId"] = int(profile.transaction_id)
    else:
        purpose = profile.purpose.value
        out = {"id": profile.id}
        if profile.transaction_id is not None:
            out["transactionId"] = profile.transaction_id
    out["stackLevel"] = profile.stack_level
    out["chargingProfilePurpose"] = purpose
    out["chargingProfileKind"] = profile.kind.value
    if profile.recurrency_kind is not None:
        out["recurrencyKind"] = profile.recurrency_kind.value
    if profile.valid_from is not None:
        out["validFrom"] = format_time(profile.valid_from)
    if profile.valid_to is not None:
        out["validTo"] = format_time(profile.valid_to)
    for name, attr in _PROFILE_21:
        if getattr(profile, attr) is not None:
            _check(version, V21, name)
            out[name] = getattr(profile, attr)
    if profile.dyn_update_time is not None:
        _check(version, V21, "dynUpdateTime")
        out["dynUpdateTime"] = format_time(profile.dyn_update_time)
    schedules = [schedule_to_ocpp(s, version, i + 1) for i, s in enumerate(profile.schedules)]
    out["chargingSchedule"] = schedules[0] if version is V16 else schedules
    return out


def set_charging_profile_request(evse_id: int, profile: ChargingProfile, version: OcppVersion) -> dict[str, Any]:
    """SetChargingProfile request payload for the station's version."""
    if version is V16:
        return {"connectorId": evse_id, "csChargingProfiles": profile_to_ocpp(profile, version)}
    return {"evseId": evse_id, "chargingProfile": profile_to_ocpp(profile, version)}


# ------------------------------------------------------------------------------------ composite schedule

_COMPOSITE_21 = (
    ("limit_L2", "limit_l2"),
    ("limit_L3", "limit_l3"),
    ("dischargeLimit", "discharge_limit"),
    ("dischargeLimit_L2", "discharge_limit_l2"),
    ("dischargeLimit_L3", "discharge_limit_l3"),
    ("setpoint", "setpoint"),
    ("setpoint_L2", "setpoint_l2"),
    ("setpoint_L3", "setpoint_l3"),
)


def composite_to_ocpp(schedule: CompositeSchedule, version: OcppVersion) -> dict[str, Any]:
    """Accepted GetCompositeSchedule response; 2.1-only period fields are dropped for older versions."""
    periods = []
    for period in schedule.periods:
        item: dict[str, Any] = {"startPeriod": period.start_period, "limit": period.limit}
        if period.number_phases is not None:
            item["numberPhases"] = period.number_phases
        if version is V21:
            item.update(
                {name: getattr(period, attr) for name, attr in _COMPOSITE_21 if getattr(period, attr) is not None}
            )
        periods.append(item)
    if version is V16:
        return {
            "status": "Accepted",
            "connectorId": schedule.evse_id,
            "scheduleStart": format_time(schedule.schedule_start),
            "chargingSchedule": {
                "duration": schedule.duration,
                "startSchedule": format_time(schedule.schedule_start),
                "chargingRateUnit": schedule.charging_rate_unit.value,
                "chargingSchedulePeriod": periods,
            },
        }
    return {
        "status": "Accepted",
        "schedule": {
            "evseId": schedule.evse_id,
            "duration": schedule.duration,
            "scheduleStart": format_time(schedule.schedule_start),
            "chargingRateUnit": schedule.charging_rate_unit.value,
            "chargingSchedulePeriod": periods,
        },
    }


def composite_from_ocpp(payload: Mapping[str, Any], version: OcppVersion) -> CompositeSchedule:
    """Read an Accepted GetCompositeSchedule response so the CSMS can compare it with its own prediction."""
    if version is V16:
        body = _require(payload, "chargingSchedule")
        evse_id = int(payload.get("connectorId", 0))
        start = parse_time(payload.get("scheduleStart") or _require(body, "startSchedule"))
    else:
        body = _require(payload, "schedule")
        evse_id = int(_require(body, "evseId"))
        start = parse_time(_require(body, "scheduleStart"))
    periods = tuple(
        CompositePeriod(
            start_period=int(p["startPeriod"]),
            limit=float(p["limit"]),
            number_phases=p.get("numberPhases"),
            **{attr: float(p[name]) for name, attr in _COMPOSITE_21 if p.get(name) is not None},
        )
        for p in _require(body, "chargingSchedulePeriod")
    )
    return CompositeSchedule(
        evse_id=evse_id,
        schedule_start=start,
        duration=int(body.get("duration", 0)),
        charging_rate_unit=_enum(ChargingRateUnit, _require(body, "chargingRateUnit")),
        periods=periods,
    )
