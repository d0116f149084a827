"""One allocation round of a site, as a pure function (brief §4.3): who may draw how much now.

Inputs are the site (tree, limits, prices) and, per EVSE, its running session or the load we
cannot steer: an offline station counts at its fallback (the failsafe, or the last limit it got
if higher, §4.5), a station that takes no profiles at its maximum, an EVSE whose decrease did not
go through at the limit it still has. That load is taken off every node above it; the sessions
share the rest with the domain allocator (minimums by priority, weighted water-filling, per-phase,
demand estimation). Flexible sessions are first capped by their price plan (§4.8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from chargeline.csms.smart_charging.price_plan import FlexibleSession, SessionPlan, plan_prices
from chargeline.csms.smart_charging.topology import EvseSlot, Site
from chargeline.domain.smart_charging import AllocationSettings, ChargingSession, allocate

# The allocator's own constraint arithmetic, so the safety check counts loads exactly as allocation does.
from chargeline.domain.smart_charging.allocation import _constraints, _path, session_bounds


@dataclass(frozen=True, slots=True)
class SessionInput:
    """A running session the round may steer."""

    transaction_id: int
    priority: int = 0
    phases: int | None = None  # phases the EV uses (None: the EVSE's)
    min_a: float | None = None  # EV limits (NotifyEVChargingNeeds)
    max_a: float | None = None
    max_w: float | None = None
    measured_w: tuple[float, ...] = ()  # recent readings taken under the current limit, newest last
    last_limit_w: float | None = None
    external_cap_w: float | None = None  # a limit the station reported (NotifyChargingLimit)
    remaining_wh: float | None = None
    departure: datetime | None = None


@dataclass(frozen=True, slots=True)
class EvseInput:
    slot: EvseSlot
    session: SessionInput | None = None
    fixed_w: float | None = None  # load counted as is instead of being allocated


@dataclass(frozen=True, slots=True)
class Target:
    key: tuple[str, int]
    transaction_id: int
    watts: float
    amps: float | None  # per phase (AC)
    phases: int  # the EVSE's phases (what the profile carries)
    dc: bool
    paused: bool
    plan: tuple[tuple[datetime, float], ...] | None = None  # price plan: (slot start, W) from now on


@dataclass(frozen=True, slots=True)
class RoundResult:
    targets: dict[tuple[str, int], Target]
    planned_w: float  # what we allow: the targets plus the load we cannot steer
    fixed_w: float
    limit_w: float | None
    plans: dict[str, SessionPlan] = field(default_factory=dict)


def session_key(slot: EvseSlot) -> str:
    return f"{slot.station_id}#{slot.evse_id}"


def _domain_session(site: Site, item: EvseInput, settings: AllocationSettings) -> ChargingSession:
    slot, s = item.slot, item.session
    assert s is not None
    phases = max(1, min(slot.phases, s.phases or slot.phases))
    if slot.dc:
        caps = [v for v in (slot.max_w, s.max_w) if v is not None]
        if slot.max_a is not None:
            caps.append(slot.max_a * settings.voltage * 3)
        return ChargingSession(session_key(slot), slot.node_id, dc=True, phases=3, max_w=min(caps) if caps else None,
                               min_w=0.0, priority=s.priority, measured_w=s.measured_w, last_limit_w=s.last_limit_w,
                               external_cap_w=s.external_cap_w)
    max_a = _lowest(slot.max_a, s.max_a)
    max_w = _lowest(slot.max_w, s.max_w)
    min_a = max(site.min_current_a, s.min_a or 0.0)
    return ChargingSession(session_key(slot), slot.node_id, dc=False, phases=phases, first_phase=slot.first_phase,
                           max_a=max_a, min_a=min_a, max_w=max_w,
                           priority=s.priority, measured_w=s.measured_w, last_limit_w=s.last_limit_w,
                           external_cap_w=s.external_cap_w)


def _lowest(*values: float | None) -> float | None:
    given = [v for v in values if v is not None]
    return min(given) if given else None


def compute_round(site: Site, evses: Sequence[EvseInput], now: datetime,
                  settings: AllocationSettings | None = None) -> RoundResult:
    cfg = settings or AllocationSettings(voltage=site.voltage)
    fixed: dict[str, float] = {}
    for item in evses:
        if item.fixed_w is not None and item.fixed_w > 0:
            fixed[item.slot.node_id] = fixed.get(item.slot.node_id, 0.0) + item.fixed_w
    fixed_total = sum(fixed.values())
    live = [e for e in evses if e.session is not None and e.fixed_w is None]
    sessions = [_domain_session(site, e, cfg) for e in live]
    plans = _price_plans(site, live, sessions, now, fixed_total, cfg)
    if plans:
        sessions = [_capped(s, plans.get(s.evse_id), cfg) for s in sessions]
    nodes = site.domain_nodes(now, fixed)
    targets: dict[tuple[str, int], Target] = {}
    if sessions:
        for item, session, result in zip(live, sessions, allocate(nodes, sessions, cfg), strict=True):
            assert item.session is not None
            plan = plans.get(session.evse_id)
            targets[item.slot.key] = Target(
                item.slot.key, item.session.transaction_id, result.limit_w, result.limit_a, item.slot.phases,
                item.slot.dc, result.paused or result.limit_w <= 0, _plan_from(plan, result.limit_w, now))
    planned = sum(t.watts for t in targets.values()) + fixed_total
    return RoundResult(targets, planned, fixed_total, site.site_limit_w(now), plans)


def _plan_from(plan: SessionPlan | None, now_w: float, now: datetime) -> tuple[tuple[datetime, float], ...] | None:
    if plan is None:
        return None
    slots = list(plan.slots)
    if slots:
        slots[0] = (now, now_w)  # the current slot carries what the allocation granted
    return tuple(slots)


def _price_plans(site: Site, live: Sequence[EvseInput], sessions: Sequence[ChargingSession], now: datetime,
                 fixed_total: float, cfg: AllocationSettings) -> dict[str, SessionPlan]:
    if not site.prices:
        return {}
    flexible: list[FlexibleSession] = []
    reserved = fixed_total
    for item, session in zip(live, sessions, strict=True):
        s = item.session
        assert s is not None
        floor, cap = session_bounds(session, cfg)
        if s.remaining_wh is not None and s.departure is not None and s.departure > now and s.remaining_wh > 0:
            flexible.append(FlexibleSession(session.evse_id, s.remaining_wh, cap, floor, s.departure))
        else:
            reserved += cap  # the rest of the site may take up to its caps meanwhile
    if not flexible:
        return {}
    keep = 1.0 - site.margin

    def limit(at: datetime) -> float | None:
        value = site.site_limit_w(at)
        return None if value is None else value * keep

    return plan_prices(site.prices, flexible, now, limit, reserved)


def _capped(session: ChargingSession, plan: SessionPlan | None, cfg: AllocationSettings) -> ChargingSession:
    """Cap a flexible session at the power planned for the current slot (0: it waits for a cheaper one)."""
    if plan is None:
        return session
    if plan.now_w <= 0:
        return replace(session, max_a=0.0 if not session.dc else None, max_w=0.0, min_a=None, min_w=0.0)
    return replace(session, max_w=plan.now_w if session.max_w is None else min(session.max_w, plan.now_w))


def loads_fit(site: Site, now: datetime, loads: Mapping[tuple[str, int], float], slots: Mapping[tuple[str, int],
              EvseSlot], fixed: Mapping[str, float], phases: Mapping[tuple[str, int], int] | None = None) -> bool:
    """Whether EVSE loads (W) plus the fixed load fit every constraint of the tree (the hysteresis safety check)."""
    nodes = site.domain_nodes(now, fixed)
    budgets, table = _constraints(nodes, site.voltage)
    parents = {n.id: n.parent for n in nodes}
    used = [0.0] * len(budgets)
    for key, watts in loads.items():
        slot = slots[key]
        n = (phases or {}).get(key, slot.phases)
        probe = ChargingSession(session_key(slot), slot.node_id, dc=slot.dc, phases=max(1, min(3, n)),
                                first_phase=slot.first_phase, max_w=watts)
        for constraint, coef in _path(probe, parents, table, site.voltage):
            used[constraint] += coef * watts
    return all(u <= b + 1e-6 for u, b in zip(used, budgets, strict=True))
