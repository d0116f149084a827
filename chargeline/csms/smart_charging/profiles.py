"""The charging profiles the loop sends, built in the shared profile model (brief §4.2).

* failsafe: TxDefaultProfile on EVSE 0, Absolute from a fixed past date, one period;
* live limit: one TxProfile per transaction, same id for every update (a new one replaces the
  last: K01.FR.05, and no K01.FR.39 duplicate), Relative with one period and no duration, so it
  is anchored at the transaction whatever the station's clock says;
* price plan: the same TxProfile, Absolute, one period per price slot from the current slot on;
* stations that refuse TxProfiles get the same limits as a TxDefaultProfile on the EVSE, at a
  stack level above the failsafe's (K01.FR.52/53 forbid equal levels on EVSE 0 and an EVSE).

AC limits go out in A per phase with the EVSE's phase count; in W (stations that refuse A) as
A x V x phases with that phase count, so the station's conversion gives back the same current.
Limits are rounded down to 0.1 (the 1.6 schema's multipleOf), never up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from chargeline.csms.smart_charging.settings import SmartChargingSettings
from chargeline.domain.smart_charging import (
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
)

FAILSAFE_START = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit for one EVSE: per-phase A (AC) and total W, with the EVSE's phase count."""

    watts: float
    amps: float | None
    phases: int
    dc: bool

    def value(self, unit: str, voltage: float) -> float:
        if unit == "A":
            amps = self.amps if self.amps is not None else self.watts / (voltage * self.phases)
            return floor1(amps)
        if self.amps is not None and not self.dc:
            return floor1(self.amps * voltage * self.phases)
        return floor1(self.watts)


def floor1(value: float) -> float:
    """Round down to one decimal (so a sum never exceeds a budget), and never below 0."""
    return max(0.0, math.floor(value * 10 + 1e-6) / 10)


def _period(start: int, limit: Limit, unit: str, voltage: float) -> ChargingSchedulePeriod:
    return ChargingSchedulePeriod(start_period=start, limit=limit.value(unit, voltage),
                                  number_phases=None if limit.dc else limit.phases)


def failsafe_profile(cfg: SmartChargingSettings, limit: Limit, unit: str, voltage: float) -> ChargingProfile:
    schedule = ChargingSchedule(ChargingRateUnit(unit), (_period(0, limit, unit, voltage),), id=1,
                                start_schedule=FAILSAFE_START)
    return ChargingProfile(id=cfg.failsafe_id, stack_level=cfg.failsafe_stack_level,
                           purpose=ChargingProfilePurpose.TX_DEFAULT, kind=ChargingProfileKind.ABSOLUTE,
                           schedules=(schedule,))


def live_profile(cfg: SmartChargingSettings, purpose: str, unit: str, voltage: float, evse_id: int,
                 transaction_id: str | None, limit: Limit,
                 plan: Sequence[tuple[datetime, Limit]] | None = None) -> ChargingProfile:
    """The TxProfile (or EVSE TxDefaultProfile) carrying `limit` now and, with a plan, the slots after it."""
    tx = purpose == "TxProfile"
    if plan:
        start = plan[0][0].replace(microsecond=0)
        periods: list[ChargingSchedulePeriod] = []
        for moment, slot_limit in plan[: cfg.max_periods]:
            period = _period(max(0, int((moment - start).total_seconds())), slot_limit, unit, voltage)
            if not periods or periods[-1].limit != period.limit:
                periods.append(period)
        schedule = ChargingSchedule(ChargingRateUnit(unit), tuple(periods), id=1, start_schedule=start)
        kind = ChargingProfileKind.ABSOLUTE
    else:
        schedule = ChargingSchedule(ChargingRateUnit(unit), (_period(0, limit, unit, voltage),), id=1)
        kind = ChargingProfileKind.RELATIVE
    return ChargingProfile(
        id=cfg.tx_profile_id(evse_id) if tx else cfg.evse_default_id(evse_id),
        stack_level=cfg.tx_stack_level if tx else cfg.evse_default_stack_level,
        purpose=ChargingProfilePurpose.TX if tx else ChargingProfilePurpose.TX_DEFAULT,
        kind=kind, schedules=(schedule,), transaction_id=transaction_id if tx else None)


def pause_limit(cfg: SmartChargingSettings, style: str, phases: int, dc: bool, voltage: float) -> Limit:
    """What "paused" is sent as: 0, or a small limit for stations that refuse 0."""
    if style == "small":
        if dc:
            return Limit(cfg.pause_limit_w, None, phases, True)
        return Limit(cfg.pause_limit_a * voltage * phases, cfg.pause_limit_a, phases, False)
    return Limit(0.0, None if dc else 0.0, phases, dc)


def first_limit(profile: ChargingProfile, at: datetime | None = None) -> tuple[str, float, int | None]:
    """(unit, limit, numberPhases) of the period in force at `at` (the first period without a time)."""
    schedule = profile.schedule
    period = schedule.periods[0]
    if at is not None and schedule.start_schedule is not None:
        offset = (at - schedule.start_schedule).total_seconds()
        for candidate in schedule.periods:
            if candidate.start_period <= offset:
                period = candidate
    return schedule.charging_rate_unit.value, float(period.limit or 0.0), period.number_phases
