"""Compare what a station reports with what we expect (brief §4.4 "Verification").

* Profiles (2.x GetChargingProfiles -> ReportChargingProfiles): the CSO profiles reported against
  the believed ones, by id: missing, unexpected, different. Profiles of other limit sources are
  external constraints, not differences.
* Composite (GetCompositeSchedule): the station's schedule against the domain composite of the
  believed profiles computed for the same start, duration and unit. Where we predict "no limit"
  the station reports its own default, which we do not know: those instants are not compared.

Only the fields that decide a limit are compared, so a station that fills in validFrom or
renumbers schedule ids is not flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chargeline.domain.smart_charging import (
    ChargingProfile,
    ChargingProfilePurpose,
    CompositeSchedule,
    InstalledProfile,
)

NO_LIMIT_A = 1_000_000.0  # the default the prediction uses where nothing applies (never a real limit)
NO_LIMIT_W = 1_000_000_000.0
MAX_DIFFERENCES = 50


@dataclass(frozen=True, slots=True)
class ReportedProfile:
    evse_id: int
    profile: ChargingProfile
    source: str  # chargingLimitSource: CSO for profiles a CSMS set


def essence(evse_id: int, profile: ChargingProfile) -> dict[str, Any]:
    """What decides a limit."""
    return {
        "evse_id": evse_id, "purpose": profile.purpose.value, "stack_level": profile.stack_level,
        "kind": profile.kind.value,
        "recurrency_kind": profile.recurrency_kind.value if profile.recurrency_kind else None,
        "transaction_id": profile.transaction_id,
        "schedules": [{"unit": s.charging_rate_unit.value,
                       "start": s.start_schedule.isoformat() if s.start_schedule else None,
                       "duration": s.duration,
                       "periods": [(p.start_period, p.limit, p.number_phases) for p in s.periods]}
                      for s in profile.schedules],
    }


def compare_profiles(believed: Iterable[InstalledProfile], reported: Iterable[ReportedProfile]) -> list[dict[str, Any]]:
    ours = {b.profile.id: b for b in believed if b.profile.purpose is not ChargingProfilePurpose.EXTERNAL_CONSTRAINTS}
    theirs = {r.profile.id: r for r in reported if r.source == "CSO"}
    out: list[dict[str, Any]] = []
    for profile_id in sorted(set(ours) | set(theirs)):
        mine, station = ours.get(profile_id), theirs.get(profile_id)
        if station is None:
            assert mine is not None
            out.append({"profile_id": profile_id, "kind": "missing", "evse_id": mine.evse_id,
                        "expected": essence(mine.evse_id, mine.profile)})
        elif mine is None:
            out.append({"profile_id": profile_id, "kind": "unexpected", "evse_id": station.evse_id,
                        "reported": essence(station.evse_id, station.profile)})
        else:
            expected, got = essence(mine.evse_id, mine.profile), essence(station.evse_id, station.profile)
            if expected != got:
                fields = sorted(k for k in expected if expected[k] != got[k])
                out.append({"profile_id": profile_id, "kind": "different", "evse_id": mine.evse_id,
                            "fields": fields, "expected": expected, "reported": got})
    return out[:MAX_DIFFERENCES]


def _close(unit: str, a: float, b: float) -> bool:
    tolerance = 0.11 if unit == "A" else max(1.0, 0.001 * max(abs(a), abs(b)))
    return abs(a - b) <= tolerance


def compare_composite(expected: Sequence[CompositeSchedule], reported: CompositeSchedule) -> list[dict[str, Any]]:
    """Differences against the best-matching prediction (several: with and without a simulated transaction)."""
    best: list[dict[str, Any]] | None = None
    for candidate in expected:
        found = _composite_differences(candidate, reported)
        if best is None or len(found) < len(best):
            best = found
        if not found:
            break
    return best or []


def _composite_differences(expected: CompositeSchedule, reported: CompositeSchedule) -> list[dict[str, Any]]:
    unit = reported.charging_rate_unit.value
    if expected.charging_rate_unit != reported.charging_rate_unit:
        return [{"kind": "unit", "expected": expected.charging_rate_unit.value, "reported": unit}]
    no_limit = NO_LIMIT_A if unit == "A" else NO_LIMIT_W
    span = min(expected.duration, reported.duration) if reported.duration else expected.duration
    offsets = sorted({p.start_period for p in expected.periods} | {p.start_period for p in reported.periods})
    out: list[dict[str, Any]] = []
    for offset in offsets:
        if offset >= span:
            break
        mine, theirs = expected.period_at(offset).limit, reported.period_at(offset).limit
        if mine >= no_limit * 0.99:
            continue  # nothing applies by our profiles: the station shows its own default
        if not _close(unit, mine, theirs):
            out.append({"kind": "limit", "offset_s": offset, "expected": mine, "reported": theirs})
    return out[:MAX_DIFFERENCES]
