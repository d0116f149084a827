"""Site load management: share a grid connection among charging sessions (brief §4.3).

Exact weighted progressive filling ("water-filling") over a tree of constraints
(grid connection -> circuits -> stations), each limited in W and/or in A per
phase: every admitted session gets its minimum, then all sessions grow at a
rate proportional to their weight until they reach their cap or one of the
constraints on their path is full. Event-driven with a heap, so one round for
1,000 EVSEs stays in the millisecond range.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class SiteNode:
    """A constraint: grid connection (no parent), feeder/circuit or station (`limit_a` is per phase)."""

    id: str
    parent: str | None = None
    limit_w: float | None = None
    limit_a: float | None = None
    non_ev_load_w: float = 0.0
    margin: float = 0.0


@dataclass(frozen=True, slots=True)
class ChargingSession:
    """An EVSE with an active session, attached to the innermost node it sits behind.

    AC limits are per phase in A (`max_a`/`min_a`) and/or in W; `first_phase`
    is the site phase wired to the EVSE's L1 (phase rotation). `measured_w`
    holds recent meter samples (newest last) for demand estimation;
    `efficiency` converts DC output to grid-side power.
    """

    evse_id: str
    node: str
    dc: bool = False
    phases: int = 3
    first_phase: int = 1
    max_a: float | None = None
    min_a: float | None = None
    max_w: float | None = None
    min_w: float | None = None
    priority: int = 0
    weight: float = 1.0
    measured_w: tuple[float, ...] = ()
    last_limit_w: float | None = None
    external_cap_w: float | None = None
    efficiency: float = 1.0


@dataclass(frozen=True, slots=True)
class AllocationSettings:
    """Quantisation steps and the "sticky limitation" demand estimation of Open e-Mobility."""

    voltage: float = 230.0
    ac_step_a: float = 0.1
    dc_step_w: float = 100.0
    demand_estimation: bool = True
    under_use_ratio: float = 0.9
    buffer_ac: float = 0.10
    buffer_dc: float = 0.20
    samples: int = 2


@dataclass(frozen=True, slots=True)
class EvseAllocation:
    evse_id: str
    limit_w: float
    limit_a: float | None
    number_phases: int | None
    paused: bool


def session_bounds(session: ChargingSession, settings: AllocationSettings) -> tuple[float, float]:
    """(minimum, cap) in W at the EVSE, after demand estimation."""
    volts_phases = settings.voltage * session.phases
    caps = []
    if session.max_w is not None:
        caps.append(session.max_w)
    if not session.dc and session.max_a is not None:
        caps.append(session.max_a * volts_phases)
    if session.external_cap_w is not None:
        caps.append(session.external_cap_w)
    if not caps:
        raise ValueError(f"session {session.evse_id} has no maximum")
    cap = max(0.0, min(caps))
    ac_floor = None if session.dc or session.min_a is None else session.min_a * volts_phases
    floor = ac_floor if ac_floor is not None else session.min_w or 0.0
    recent = session.measured_w[-settings.samples :]
    if settings.demand_estimation and recent:
        reference = session.last_limit_w if session.last_limit_w is not None else cap
        if all(sample < settings.under_use_ratio * reference for sample in recent):
            buffer = settings.buffer_dc if session.dc else settings.buffer_ac
            cap = min(cap, max(floor, max(recent) * (1 + buffer)))
    return min(floor, cap), cap


def _phase_set(session: ChargingSession) -> tuple[int, ...]:
    if session.dc:
        return (0, 1, 2)
    return tuple((session.first_phase - 1 + k) % 3 for k in range(max(1, min(3, session.phases))))


def allocate(
    nodes: Sequence[SiteNode], sessions: Sequence[ChargingSession], settings: AllocationSettings | None = None
) -> list[EvseAllocation]:
    """Per-EVSE limits for one allocation round (same order as `sessions`)."""
    cfg = settings or AllocationSettings()
    budgets, table = _constraints(nodes, cfg.voltage)
    parents = {node.id: node.parent for node in nodes}
    bounds = [session_bounds(s, cfg) for s in sessions]
    floors = [floor for floor, _ in bounds]
    headroom = [cap - floor for floor, cap in bounds]
    weights = [s.weight if s.weight > 0 else _EPS for s in sessions]
    paths = [_path(s, parents, table, cfg.voltage) for s in sessions]
    used = [0.0] * len(budgets)
    admitted = _admit(sessions, floors, paths, budgets, used)
    extra = _fill(admitted, headroom, weights, paths, budgets, used)
    return [
        _quantise(s, floors[i] + extra[i] if admitted[i] else 0.0, not admitted[i], cfg) for i, s in enumerate(sessions)
    ]


def _constraints(
    nodes: Sequence[SiteNode], volts: float
) -> tuple[list[float], dict[str, list[tuple[int, int | None]]]]:
    """Budgets, and per node its constraints: (index, None) for the W limit, (index, phase) per phase limit."""
    budgets: list[float] = []
    table: dict[str, list[tuple[int, int | None]]] = {}
    for node in nodes:
        entries: list[tuple[int, int | None]] = []
        keep = 1.0 - node.margin
        if node.limit_w is not None:
            entries.append((len(budgets), None))
            budgets.append(node.limit_w * keep - node.non_ev_load_w)
        if node.limit_a is not None:
            for phase in range(3):
                entries.append((len(budgets), phase))
                budgets.append(node.limit_a * keep - node.non_ev_load_w / (3 * volts))
        table[node.id] = entries
    return budgets, table


def _path(
    session: ChargingSession,
    parents: Mapping[str, str | None],
    table: Mapping[str, list[tuple[int, int | None]]],
    volts: float,
) -> list[tuple[int, float]]:
    """Constraints from the session's node up to the grid connection, with the load per W allocated."""
    grid = 1.0 / (session.efficiency or 1.0) if session.dc else 1.0
    wires = _phase_set(session)
    amps_per_watt = grid / (volts * len(wires))
    path: list[tuple[int, float]] = []
    node_id: str | None = session.node
    seen: set[str] = set()
    while node_id is not None:
        if node_id in seen or node_id not in table:
            raise ValueError(f"session {session.evse_id}: unknown or cyclic node {node_id!r}")
        seen.add(node_id)
        for constraint, wire in table[node_id]:
            if wire is None:
                path.append((constraint, grid))
            elif wire in wires:
                path.append((constraint, amps_per_watt))
        node_id = parents[node_id]
    return path


def _admit(
    sessions: Sequence[ChargingSession],
    floors: list[float],
    paths: list[list[tuple[int, float]]],
    budgets: list[float],
    used: list[float],
) -> list[bool]:
    """Minimums in priority order, then arrival (list) order; what no longer fits is paused."""
    admitted = [False] * len(sessions)
    order = sorted(range(len(sessions)), key=lambda i: (-sessions[i].priority, i))
    for i in order:
        need = floors[i]
        if all(used[c] + coef * need <= budgets[c] + _EPS for c, coef in paths[i]):
            for c, coef in paths[i]:
                used[c] += coef * need
            admitted[i] = True
    return admitted


def _fill(
    admitted: list[bool],
    headroom: list[float],
    weights: list[float],
    paths: list[list[tuple[int, float]]],
    budgets: list[float],
    used: list[float],
) -> list[float]:
    """Progressive filling: extra_i = min(headroom_i, weight_i * level), frozen at the first event on its path.

    A constraint's usage is `used[c] + slope[c] * level` (used = minimums plus
    frozen extras, slope = sum of coef * weight of its growing members), so the
    level at which it fills is known in closed form; events sit in a heap and
    stale constraint entries are skipped by version stamp.
    """
    size = len(budgets)
    slope = [0.0] * size
    growing = [0] * size
    version = [0] * size
    members: list[list[int]] = [[] for _ in range(size)]
    extra = [0.0] * len(admitted)
    active = list(admitted)
    events: list[tuple[float, int, int, int]] = []  # (level, kind 0=session 1=constraint, index, version)
    for i, ok in enumerate(admitted):
        if not ok:
            continue
        for c, coef in paths[i]:
            slope[c] += coef * weights[i]
            growing[c] += 1
            members[c].append(i)
        if math.isfinite(headroom[i]):
            events.append((max(0.0, headroom[i]) / weights[i], 0, i, 0))

    def schedule(c: int, level: float) -> None:
        version[c] += 1
        if growing[c] > 0 and slope[c] > 0:
            events.append((max(level, (budgets[c] - used[c]) / slope[c]), 1, c, version[c]))

    for c in range(size):
        schedule(c, 0.0)
    heapq.heapify(events)

    def freeze(i: int, level: float) -> None:
        active[i] = False
        extra[i] = max(0.0, min(headroom[i], weights[i] * level))
        for c, coef in paths[i]:
            used[c] += coef * extra[i]
            slope[c] -= coef * weights[i]
            growing[c] -= 1
            version[c] += 1
            if growing[c] > 0 and slope[c] > 0:
                heapq.heappush(events, (max(level, (budgets[c] - used[c]) / slope[c]), 1, c, version[c]))

    while events:
        level, kind, idx, stamp = heapq.heappop(events)
        if kind == 0:
            if active[idx]:
                freeze(idx, level)
        elif stamp == version[idx]:
            for i in members[idx]:
                if active[i]:
                    freeze(i, level)
    if any(active):
        raise ValueError("a session has neither a finite maximum nor a constraint above it")
    return extra


def _quantise(session: ChargingSession, watts: float, paused: bool, cfg: AllocationSettings) -> EvseAllocation:
    """Round down (0.1 A per phase AC, 100 W DC) so the sum never exceeds a budget."""
    if session.dc:
        step = cfg.dc_step_w
        limit = math.floor(watts / step + _EPS) * step
        return EvseAllocation(session.evse_id, round(limit, 6), None, None, paused)
    volts_phases = cfg.voltage * session.phases
    step = cfg.ac_step_a
    amps = round(math.floor(watts / volts_phases / step + 1e-6) * step, 6)
    return EvseAllocation(session.evse_id, round(amps * volts_phases, 6), amps, session.phases, paused)
