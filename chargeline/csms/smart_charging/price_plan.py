"""Price-aware charging (brief §4.8): move a flexible session's energy into the cheapest slots.

A session is flexible when its energy need and departure are known (NotifyEVChargingNeeds or
the API). Its remaining energy is planned over the site's price slots up to its departure with
the shared time-of-use planner, within the site limit of each slot minus what the rest of the
site is expected to draw. The round then caps the session at the power planned for the current
slot; re-planning every round from the energy still missing keeps the plan honest. Time without
a known price is usable but planned last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chargeline.csms.smart_charging.topology import PriceEntry
from chargeline.domain.smart_charging import EnergyRequest, PriceSlot, plan_sessions


@dataclass(frozen=True, slots=True)
class FlexibleSession:
    key: str
    remaining_wh: float
    max_w: float
    min_w: float  # the EV's minimum rate in W; a planned slot power below it is raised to it
    departure: datetime


@dataclass(frozen=True, slots=True)
class SessionPlan:
    key: str
    now_w: float
    slots: tuple[tuple[datetime, float], ...]  # (slot start, W) from now on
    unserved_wh: float


def price_slots(prices: Sequence[PriceEntry], now: datetime, until: datetime) -> list[tuple[datetime, datetime, float]]:
    """Contiguous (start, end, price) from `now` to `until`; gaps get a price above every known one."""
    known = sorted((p for p in prices if p.end > now and p.start < until), key=lambda p: p.start)
    filler = max((p.price_per_kwh for p in prices), default=0.0) + 1.0
    out: list[tuple[datetime, datetime, float]] = []
    cursor = now
    for price in known:
        start, end = max(price.start, cursor), min(price.end, until)
        if start > cursor:
            out.append((cursor, start, filler))
        if end > start:
            out.append((start, end, price.price_per_kwh))
            cursor = end
    if cursor < until:
        out.append((cursor, until, filler))
    return out


def plan_prices(prices: Sequence[PriceEntry], sessions: Sequence[FlexibleSession], now: datetime,
                site_limit_w: Callable[[datetime], float | None], reserved_w: float) -> dict[str, SessionPlan]:
    """A plan per flexible session; `reserved_w` is what the rest of the site is expected to draw meanwhile."""
    live = [s for s in sessions if s.departure > now and s.remaining_wh > 0]
    if not live or not prices:
        return {}
    until = max(s.departure for s in live)
    windows = price_slots(prices, now, until)
    slots = []
    for start, end, price in windows:
        limit = site_limit_w(start)
        budget = None if limit is None else max(0.0, limit - reserved_w)
        slots.append(PriceSlot(int((start - now).total_seconds()), int((end - start).total_seconds()), price,
                               budget))
    requests = [EnergyRequest(s.key, s.remaining_wh, s.max_w, 0, int((s.departure - now).total_seconds()))
                for s in live]
    plans = plan_sessions(now, slots, requests, negative_price_policy="need")
    out: dict[str, SessionPlan] = {}
    for session in live:
        plan = plans[session.key]
        powers = []
        for (start, _, _), watts in zip(windows, plan.slot_power_w, strict=True):
            if 0 < watts < session.min_w:
                watts = min(session.min_w, session.max_w)
            if start >= session.departure:
                watts = 0.0
            powers.append((start, watts))
        out[session.key] = SessionPlan(session.key, powers[0][1] if powers else 0.0, tuple(powers),
                                       plan.unserved_wh)
    return out
