"""Builders shared by the smart-charging tests (plain functions, no fixtures)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chargeline.domain.smart_charging import (
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    InstalledProfile,
    RecurrencyKind,
)

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors" / "smart_charging_vectors.json"

P = ChargingProfilePurpose
K = ChargingProfileKind
A = ChargingRateUnit.A
W = ChargingRateUnit.W


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def profile(
    pid: int,
    purpose: ChargingProfilePurpose,
    periods: Sequence[tuple[int, float] | ChargingSchedulePeriod],
    *,
    kind: ChargingProfileKind = K.ABSOLUTE,
    stack: int = 0,
    unit: ChargingRateUnit = A,
    start: datetime | None = None,
    duration: int | None = None,
    recurrency: RecurrencyKind | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    tx: str | None = None,
    phases: int | None = None,
    **extra: Any,
) -> ChargingProfile:
    built = tuple(
        p if isinstance(p, ChargingSchedulePeriod) else ChargingSchedulePeriod(p[0], p[1], number_phases=phases)
        for p in periods
    )
    schedule = ChargingSchedule(unit, built, id=1, start_schedule=start, duration=duration)
    return ChargingProfile(
        id=pid,
        stack_level=stack,
        purpose=purpose,
        kind=kind,
        schedules=(schedule,),
        recurrency_kind=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
        transaction_id=tx,
        **extra,
    )


def on(evse_id: int, item: ChargingProfile) -> InstalledProfile:
    return InstalledProfile(evse_id, item)


def limits(schedule: Any) -> list[tuple[int, float]]:
    """(startPeriod, limit) pairs of a CompositeSchedule."""
    return [(p.start_period, p.limit) for p in schedule.periods]
