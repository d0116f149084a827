"""Price / time-of-use aware planning (brief §4.8): cheapest slots first, within power and site limits.

The plan becomes an Absolute TxProfile in W with one period per slot (equal
neighbours merged); energy that cannot be delivered before departure is
reported as unserved instead of being silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chargeline.domain.smart_charging.profiles import (
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
)
from chargeline.domain.smart_charging.times import format_time

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class PriceSlot:
    """A tariff slot, offsets in seconds from the plan start (the plug-in time)."""

    start_offset_s: int
    duration_s: int
    price_per_kwh: float
    site_limit_w: float | None = None

    @property
    def end_offset_s(self) -> int:
        return self.start_offset_s + self.duration_s


@dataclass(frozen=True, slots=True)
class EnergyRequest:
    """One session's need: energy by departure (offset from the plan start; None = end of the last slot)."""

    session_id: str
    energy_needed_wh: float
    max_power_w: float
    arrival_offset_s: int = 0
    departure_offset_s: int | None = None


@dataclass(frozen=True, slots=True)
class ChargingPlan:
    """Planned power per slot (W) and what it achieves."""

    start: datetime
    duration_s: int
    periods: tuple[tuple[int, float], ...]
    energy_wh: float
    unserved_wh: float
    slot_power_w: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The vectors' `expected_txprofile` shape."""
        return {
            "chargingProfileKind": ChargingProfileKind.ABSOLUTE.value,
            "chargingRateUnit": ChargingRateUnit.W.value,
            "startSchedule": format_time(self.start),
            "duration": self.duration_s,
            "chargingSchedulePeriod": [{"startPeriod": s, "limit": p} for s, p in self.periods],
        }

    def to_profile(self, profile_id: int, transaction_id: str, stack_level: int = 1) -> ChargingProfile:
        """The TxProfile to send (W; the station converts for AC)."""
        schedule = ChargingSchedule(
            charging_rate_unit=ChargingRateUnit.W,
            periods=tuple(ChargingSchedulePeriod(start_period=s, limit=p) for s, p in self.periods),
            id=1,
            start_schedule=self.start,
            duration=self.duration_s,
        )
        return ChargingProfile(
            id=profile_id,
            stack_level=stack_level,
            purpose=ChargingProfilePurpose.TX,
            kind=ChargingProfileKind.ABSOLUTE,
            schedules=(schedule,),
            transaction_id=transaction_id,
        )


def _usable_seconds(slot: PriceSlot, request: EnergyRequest) -> int:
    departure = slot.end_offset_s if request.departure_offset_s is None else request.departure_offset_s
    return max(0, min(slot.end_offset_s, departure) - max(slot.start_offset_s, request.arrival_offset_s))


def _plan_one(
    start: datetime,
    slots: Sequence[PriceSlot],
    request: EnergyRequest,
    budget: list[float],
    negative_price_policy: str,
) -> ChargingPlan:
    """Greedy by (price, start); `budget` (site W per slot) is consumed in place."""
    power = [0.0] * len(slots)
    remaining = request.energy_needed_wh
    usable = [_usable_seconds(s, request) for s in slots]
    order = sorted(
        (i for i in range(len(slots)) if usable[i] > 0),
        key=lambda i: (slots[i].price_per_kwh, slots[i].start_offset_s, i),
    )
    for i in order:
        hours = usable[i] / 3600
        cap = max(0.0, min(request.max_power_w, budget[i]))
        if slots[i].price_per_kwh < 0 and negative_price_policy == "max":
            chosen = cap  # paid to consume: take all of it, need or not
        elif remaining <= _EPS:
            continue
        else:
            chosen = min(cap, remaining / hours)
        power[i] = chosen
        budget[i] -= chosen
        remaining -= chosen * hours
    energy = sum(p * u / 3600 for p, u in zip(power, usable, strict=True))
    return _plan(start, slots, power, energy, max(0.0, request.energy_needed_wh - energy))


def _plan(
    start: datetime, slots: Sequence[PriceSlot], power: list[float], energy: float, unserved: float
) -> ChargingPlan:
    periods: list[tuple[int, float]] = []
    timeline = sorted(range(len(slots)), key=lambda i: slots[i].start_offset_s)
    cursor = 0
    for i in timeline:
        slot = slots[i]
        if slot.start_offset_s > cursor and (not periods or periods[-1][1] != 0.0):
            periods.append((cursor, 0.0))  # gap between slots: no plan, no charging
        value = round(power[i], 1) + 0.0
        if not periods or periods[-1][1] != value:
            periods.append((slot.start_offset_s, value))
        cursor = slot.end_offset_s
    duration = max((s.end_offset_s for s in slots), default=0)
    return ChargingPlan(start, duration, tuple(periods), round(energy, 3), round(unserved, 3), tuple(power))


def plan_charging(
    start: datetime,
    slots: Sequence[PriceSlot],
    energy_needed_wh: float,
    max_power_w: float,
    negative_price_policy: str = "max",
    departure_offset_s: int | None = None,
    site_limit_w: float | None = None,
) -> ChargingPlan:
    """Plan one session from plug-in (`start`) to departure (default: end of the last slot).

    `negative_price_policy`: "max" charges at full power whenever the price is
    negative, "need" only up to the energy need.
    """
    request = EnergyRequest("session", energy_needed_wh, max_power_w, 0, departure_offset_s)
    return _plan_one(start, slots, request, _budget(slots, site_limit_w), negative_price_policy)


def plan_sessions(
    start: datetime,
    slots: Sequence[PriceSlot],
    requests: Sequence[EnergyRequest],
    site_limit_w: float | None = None,
    negative_price_policy: str = "max",
) -> dict[str, ChargingPlan]:
    """Several sessions under one site limit: earliest departure plans first (it has the fewest options)."""
    budget = _budget(slots, site_limit_w)
    horizon = max((s.end_offset_s for s in slots), default=0)
    ordered = sorted(requests, key=lambda r: horizon if r.departure_offset_s is None else r.departure_offset_s)
    return {r.session_id: _plan_one(start, slots, r, budget, negative_price_policy) for r in ordered}


def _budget(slots: Sequence[PriceSlot], site_limit_w: float | None) -> list[float]:
    inf = float("inf")
    site = inf if site_limit_w is None else site_limit_w
    return [min(site, inf if s.site_limit_w is None else s.site_limit_w) for s in slots]
