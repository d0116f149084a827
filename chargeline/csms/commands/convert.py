"""What the version translators share: the call they produce, times, and charging profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from chargeline.csms.commands.errors import InvalidRequest, NotSupported
from chargeline.domain.clock import format_utc
from chargeline.ocpp.versions import OcppVersion


@dataclass(slots=True, frozen=True)
class TranslateContext:
    version: OcppVersion
    request_id: int  # the command id: OCPP requestId / remoteStartId / default reservation id


@dataclass(slots=True, frozen=True)
class OcppCall:
    action: str
    payload: dict[str, Any]


Translator = Callable[[Any, TranslateContext], OcppCall]


def when(value: datetime | None) -> str | None:
    """RFC 3339 UTC; a time given without an offset is taken as UTC."""
    return None if value is None else format_utc(value if value.tzinfo else value.replace(tzinfo=UTC))


def compact(**fields: Any) -> dict[str, Any]:
    """A payload without the optional fields that were not given."""
    return {k: v for k, v in fields.items() if v is not None}


def refuse_fields(req: BaseModel, version: OcppVersion, action: str, *names: str) -> None:
    """A field the version cannot carry is refused rather than silently dropped."""
    for name in names:
        if getattr(req, name) is not None:
            raise NotSupported(f"`{name}` has no equivalent in OCPP {version.label} {action}")


# 1.6 spells the station-wide maximum profile differently.
_PURPOSE_16 = {"ChargingStationMaxProfile": "ChargePointMaxProfile"}
_PURPOSE_2 = {v: k for k, v in _PURPOSE_16.items()}


def purpose_for(purpose: str | None, version: OcppVersion) -> str | None:
    if purpose is None:
        return None
    return _PURPOSE_2.get(purpose, purpose) if version.is_v2 else _PURPOSE_16.get(purpose, purpose)


def charging_profile(data: dict[str, Any], version: OcppVersion, remote_start: bool = False) -> dict[str, Any]:
    """Convert an OCPP JSON profile (either shape) to `version`'s shape through the smart-charging model.

    Malformed input is InvalidRequest (422); a profile using features the station's version lacks is
    NotSupported (409): a station never receives a weaker profile than the one asked for.
    """
    try:
        from chargeline.domain.smart_charging import conversion, validation
        from chargeline.domain.smart_charging.profiles import OcppVersion as ModelVersion
    except ImportError:  # the smart-charging core is optional: the schema check after translation still runs
        return data
    source = ModelVersion.V16 if "chargingProfileId" in data else ModelVersion.V21
    try:
        model = conversion.profile_from_ocpp(data, source)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(f"charging_profile: {exc}") from None
    if remote_start:
        verdict = validation.validate_remote_start_profile(model)
        if not verdict.accepted:
            raise InvalidRequest(f"charging_profile: {verdict.info}")
    try:
        return conversion.profile_to_ocpp(model, ModelVersion(version.label))
    except ValueError as exc:
        raise NotSupported(f"charging_profile: {exc}") from None
