"""A station's charging profiles as the CSMS believes it holds them, checks against the station, composites.

The believed profiles are what the station accepted (from smart charging or an operator, through
the command service) minus what ended or was cleared, corrected by the station's own report when
it was last verified. Verifying asks the station (2.x GetChargingProfiles, and
GetCompositeSchedule per EVSE) and records the differences.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from chargeline.api.audit import note
from chargeline.api.auth import Ctx, Operator, Viewer
from chargeline.api.errors import ERROR_RESPONSES, ApiError
from chargeline.api.routes.stations import load_station
from chargeline.csms.smart_charging import store
from chargeline.csms.smart_charging.checks import schedule_view
from chargeline.domain.clock import utcnow
from chargeline.domain.smart_charging import ChargingRateUnit

router = APIRouter(prefix="/stations", tags=["charging profiles"], responses=ERROR_RESPONSES)


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evse_id: int = Field(ge=0, le=1000, description="0: the whole station. 1.6: the connectorId.")
    charging_profile: dict[str, Any] = Field(description="OCPP JSON profile (2.x `chargingProfile` or 1.6 "
                                                         "`csChargingProfiles` shape), converted to the station's "
                                                         "version.")


class BelievedOut(BaseModel):
    evse_id: int
    id: int
    purpose: str
    stack_level: int
    transaction_id: str | None
    source: str = Field(description="smart-charging, the operator who set it, or station-report.")
    command_id: int | None
    installed_at: Any
    charging_profile: dict[str, Any] = Field(description="In the OCPP 2.1 shape, whatever the station's version.")


class ProfilesOut(BaseModel):
    station_id: str
    connected: bool
    ocpp_version: str | None
    profiles: list[BelievedOut]
    checks: list[dict[str, Any]] = Field(description="The newest check of each kind (profiles; composite per EVSE): "
                                                     "ok, differences, expected and reported.")
    support: dict[str, Any] | None = Field(description="What the station accepted and rejected, and how it is "
                                                       "therefore steered.")
    external_limits: list[dict[str, Any]] = Field(description="Limits set by an EMS or grid operator, as reported.")


class ProfileChange(BaseModel):
    command: dict[str, Any]
    profiles: list[BelievedOut]


class CompositeOut(BaseModel):
    station_id: str
    evse_id: int
    duration: int
    unit: str
    expected: dict[str, Any] = Field(description="Our prediction from the believed profiles (limit null: nothing "
                                                 "applies, the station's own maximum).")
    reported: dict[str, Any] | None = Field(description="The station's answer (asked now with ask=true, else the "
                                                        "last one).")
    check: dict[str, Any] | None


async def _profiles(ctx: Any, row: dict[str, Any]) -> dict[str, Any]:
    service = ctx.csms.smart_charging
    key = row["id"]
    checks = await ctx.read(lambda conn: store.last_checks(conn, key))
    for check in checks:
        check.pop("id", None)
        check.pop("station_id", None)
    session = ctx.csms.connections.get(key)
    return {"station_id": row["display_id"], "connected": session is not None,
            "ocpp_version": session.version.label if session else row["ocpp_version"],
            "profiles": [b.to_dict() for b in service.belief.of(key)], "checks": checks,
            "support": service.support_view(key),
            "external_limits": [e.to_dict() for e in service.external.of_station(key)]}


@router.get("/{station_id}/charging-profiles", response_model=ProfilesOut,
            summary="Profiles the station holds, as we believe, and the last verification")
async def get_profiles(ctx: Ctx, _: Viewer, station_id: str) -> dict[str, Any]:
    return await _profiles(ctx, await load_station(ctx, station_id))


@router.post("/{station_id}/charging-profiles", response_model=ProfileChange, name="charging_profiles.set",
             summary="Install a profile (SetChargingProfile through the command service)")
async def set_profile(request: Request, ctx: Ctx, principal: Operator, station_id: str,
                      body: ProfileIn) -> dict[str, Any]:
    note(request, "charging_profiles.set", station_id, body.model_dump())
    row = await load_station(ctx, station_id)
    record = await ctx.csms.smart_charging.set_profile(row["display_id"], body.evse_id, body.charging_profile,
                                                       principal.actor)
    return {"command": record, "profiles": [b.to_dict() for b in ctx.csms.smart_charging.belief.of(row["id"])]}


@router.delete("/{station_id}/charging-profiles", response_model=ProfileChange, name="charging_profiles.clear",
               summary="Remove profiles (ClearChargingProfile through the command service)",
               description="By `profile_id`, or by any of `evse_id`, `purpose`, `stack_level`; nothing given: "
                           "every profile a CSMS set.")
async def clear_profiles(request: Request, ctx: Ctx, principal: Operator, station_id: str,
                         profile_id: Annotated[int | None, Query(ge=-(2**31), le=2**31 - 1)] = None,
                         evse_id: Annotated[int | None, Query(ge=0, le=1000)] = None,
                         purpose: Annotated[Literal["ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile",
                                                    "PriorityCharging"] | None, Query()] = None,
                         stack_level: Annotated[int | None, Query(ge=0, le=1000)] = None) -> dict[str, Any]:
    params = {k: v for k, v in (("profile_id", profile_id), ("evse_id", evse_id), ("purpose", purpose),
                                ("stack_level", stack_level)) if v is not None}
    note(request, "charging_profiles.clear", station_id, params)
    row = await load_station(ctx, station_id)
    record = await ctx.csms.smart_charging.clear_profiles(row["display_id"], params, principal.actor)
    return {"command": record, "profiles": [b.to_dict() for b in ctx.csms.smart_charging.belief.of(row["id"])]}


@router.post("/{station_id}/charging-profiles/verify", name="charging_profiles.verify",
             summary="Ask the station what it holds and applies, compare, record the differences",
             description="2.x: GetChargingProfiles (the believed store then adopts the station's report). Every "
                         "EVSE with a running session, or `evse_id`: GetCompositeSchedule compared with our "
                         "prediction. Differences are also kept for GET .../charging-profiles.")
async def verify(request: Request, ctx: Ctx, _: Operator, station_id: str,
                 evse_id: Annotated[int | None, Query(ge=0, le=1000)] = None,
                 duration: Annotated[int, Query(ge=60, le=86400)] = 3600) -> dict[str, Any]:
    note(request, "charging_profiles.verify", station_id, {"evse_id": evse_id, "duration": duration})
    row = await load_station(ctx, station_id)
    key = row["id"]
    service = ctx.csms.smart_charging
    if service.version_of(key) is None:
        raise ApiError(409, "station_offline", f"station {station_id} is not connected")
    profiles = await service.checks.verify_profiles(key)
    evses = [evse_id] if evse_id is not None else sorted({s.evse_id for s in service.sessions.of_station(key)})
    composites = [await service.checks.verify_composite(key, e, duration, None) for e in evses]
    return {"station_id": row["display_id"], "profiles": profiles, "composite": composites}


@router.get("/{station_id}/composite", response_model=CompositeOut,
            summary="Composite schedule of an EVSE: our prediction, and the station's answer")
async def composite(ctx: Ctx, principal: Viewer, station_id: str,
                    evse_id: Annotated[int, Query(ge=0, le=1000)] = 1,
                    duration: Annotated[int, Query(ge=1, le=7 * 86400)] = 3600,
                    unit: Annotated[Literal["A", "W"] | None, Query()] = None,
                    ask: Annotated[bool, Query(description="Ask the station now (needs the operator role).")] = False
                    ) -> dict[str, Any]:
    row = await load_station(ctx, station_id)
    key = row["id"]
    service = ctx.csms.smart_charging
    dc = any(s.dc for s in service.slots_of_station(key))
    rate = ChargingRateUnit(unit) if unit else (ChargingRateUnit.W if dc else ChargingRateUnit.A)
    check: dict[str, Any] | None = None
    if ask:
        if not principal.allows("operator"):
            raise ApiError(403, "forbidden", "asking the station needs the operator role")
        if service.version_of(key) is None:
            raise ApiError(409, "station_offline", f"station {station_id} is not connected")
        check = await service.checks.verify_composite(key, evse_id, duration, rate)
    else:
        checks = await ctx.read(lambda conn: store.last_checks(conn, key))
        check = next((c for c in checks if c["kind"] == "composite" and c["evse_id"] == evse_id), None)
        if check is not None:
            check.pop("id", None)
            check.pop("station_id", None)
    now = utcnow().replace(microsecond=0)
    expected = service.checks.expected_composites(key, evse_id, now, duration, rate)[0]
    return {"station_id": row["display_id"], "evse_id": evse_id, "duration": duration, "unit": rate.value,
            "expected": schedule_view(expected), "reported": check.get("reported") if check else None, "check": check}
