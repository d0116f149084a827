"""A site as the allocation loop sees it: the load-management tree, its limits over time and its prices.

Grid connection -> circuits / feeders -> stations -> EVSEs (brief §4.1). Every node may carry a
static limit (W total and/or A per phase) and an external schedule of limits (grid operator,
energy management system); the limit in force is the lower of the two. Pure data and pure
functions: the service builds a `Site` from the database and hands it to the round.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chargeline.domain.smart_charging import SiteNode

KINDS = ("grid", "circuit", "station", "evse")
GRID = "grid"


class TopologyError(ValueError):
    """The tree is not a tree, or a node is incomplete for its kind."""


@dataclass(frozen=True, slots=True)
class Node:
    """One node. Station and EVSE nodes name their station by its casefolded key."""

    id: str
    kind: str
    parent_id: str | None = None
    name: str | None = None
    limit_w: float | None = None
    limit_a: float | None = None  # per phase
    phases: int = 3
    station_id: str | None = None
    evse_id: int | None = None
    evses: int | None = None  # station nodes without evse nodes: how many EVSEs the station has
    evse_limit_a: float | None = None  # ... and the rating of each
    evse_limit_w: float | None = None
    dc: bool = False
    first_phase: int = 1  # which site phase the EVSE's L1 is wired to (phase rotation)


@dataclass(frozen=True, slots=True)
class LimitEntry:
    """From `start` on, `node_id` may not exceed this (both values None: the external limit is released)."""

    node_id: str
    start: datetime
    limit_w: float | None = None
    limit_a: float | None = None
    source: str = "api"


@dataclass(frozen=True, slots=True)
class PriceEntry:
    start: datetime
    end: datetime
    price_per_kwh: float


@dataclass(frozen=True, slots=True)
class EvseSlot:
    """An EVSE the site can supply: where it hangs in the tree and what it can take at most."""

    station_id: str
    evse_id: int
    node_id: str  # innermost node (the EVSE's own node, else its station's)
    dc: bool
    phases: int
    first_phase: int
    max_a: float | None  # per phase (AC)
    max_w: float | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.station_id, self.evse_id)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    nodes: tuple[Node, ...]
    voltage: float = 230.0
    margin: float = 0.0
    min_current_a: float = 6.0
    group_priorities: Mapping[str, int] = field(default_factory=dict)
    limits: tuple[LimitEntry, ...] = ()
    prices: tuple[PriceEntry, ...] = ()
    source: str = "api"

    # --- structure ---------------------------------------------------------------------------
    @property
    def grid(self) -> Node:
        return next(n for n in self.nodes if n.kind == GRID)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def station_nodes(self) -> dict[str, Node]:
        return {n.station_id: n for n in self.nodes if n.kind == "station" and n.station_id}

    def ancestors(self, node_id: str) -> list[Node]:
        """The node itself, then its parents up to the grid connection."""
        by_id = {n.id: n for n in self.nodes}
        out: list[Node] = []
        current: str | None = node_id
        while current is not None:
            node = by_id[current]
            out.append(node)
            current = node.parent_id
        return out

    def evse_slots(self, station_id: str, default_max_a: float, default_max_w_dc: float,
                   seen: Iterable[int] = ()) -> list[EvseSlot]:
        """The station's EVSEs: its evse nodes, `evses` numbered from 1 (default 1 without evse nodes), and any
        seen running."""
        station = self.station_nodes().get(station_id)
        if station is None:
            return []
        own = [n for n in self.nodes if n.kind == "evse" and n.parent_id == station.id]
        slots = {n.evse_id: self._slot(station, n, default_max_a, default_max_w_dc) for n in own
                 if n.evse_id is not None}
        for evse_id in range(1, (station.evses or (0 if own else 1)) + 1):
            if evse_id not in slots:
                slots[evse_id] = self._slot(station, None, default_max_a, default_max_w_dc, evse_id)
        for evse_id in seen:
            if evse_id not in slots and evse_id > 0:
                slots[evse_id] = self._slot(station, None, default_max_a, default_max_w_dc, evse_id)
        return [slots[k] for k in sorted(slots)]

    def _slot(self, station: Node, evse: Node | None, default_max_a: float, default_max_w_dc: float,
              evse_id: int | None = None) -> EvseSlot:
        assert station.station_id is not None
        dc = station.dc or (evse.dc if evse else False)
        phases = evse.phases if evse else station.phases
        if evse is not None and (evse.limit_a is not None or evse.limit_w is not None):
            max_a, max_w = evse.limit_a, evse.limit_w
        else:
            max_a, max_w = station.evse_limit_a, station.evse_limit_w
        if max_a is None and max_w is None:
            if dc:
                max_w = default_max_w_dc
            else:
                max_a = default_max_a
        return EvseSlot(station.station_id, evse.evse_id if evse and evse.evse_id is not None else int(evse_id or 1),
                        evse.id if evse else station.id, dc, phases,
                        (evse.first_phase if evse else station.first_phase), max_a, max_w)

    # --- limits over time --------------------------------------------------------------------
    def limit_at(self, node_id: str, at: datetime) -> tuple[float | None, float | None]:
        """(W, A per phase) in force at `at`: the static limit capped by the external schedule."""
        node = self.node(node_id)
        entry = _entry_at(self.limits, node_id, at)
        w, a = node.limit_w, node.limit_a
        if entry is not None:
            w = _lower(w, entry.limit_w)
            a = _lower(a, entry.limit_a)
        return w, a

    def site_limit_w(self, at: datetime) -> float | None:
        """The grid connection's limit in W (an A limit counts as A x V x phases)."""
        w, a = self.limit_at(self.grid.id, at)
        return _lower(w, None if a is None else a * self.voltage * self.grid.phases)

    def next_change(self, after: datetime) -> datetime | None:
        """When the next scheduled limit or price slot starts or ends (the loop wakes up then)."""
        moments = [e.start for e in self.limits if e.start > after]
        moments += [p.start for p in self.prices if p.start > after] + [p.end for p in self.prices if p.end > after]
        return min(moments, default=None)

    def domain_nodes(self, at: datetime, fixed_w: Mapping[str, float] | None = None) -> list[SiteNode]:
        """The constraint nodes for `allocate`; `fixed_w` (load we cannot control, by innermost node) is charged
        to the node and every node above it."""
        carried: dict[str, float] = {}
        for node_id, watts in (fixed_w or {}).items():
            for node in self.ancestors(node_id):
                carried[node.id] = carried.get(node.id, 0.0) + watts
        out = []
        for node in self.nodes:
            w, a = self.limit_at(node.id, at)
            out.append(SiteNode(node.id, node.parent_id, w, a, carried.get(node.id, 0.0), self.margin))
        return out

    def lowest_limit(self, node_id: str, at: datetime, horizon: timedelta) -> tuple[float | None, float | None]:
        """The lowest limit in force between `at` and `at + horizon` (for the failsafe, which must hold offline)."""
        moments = [at] + [e.start for e in self.limits if e.node_id == node_id and at < e.start <= at + horizon]
        w: float | None = None
        a: float | None = None
        for moment in moments:
            mw, ma = self.limit_at(node_id, moment)
            w, a = _lower(w, mw), _lower(a, ma)
        return w, a


def _lower(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _entry_at(entries: Iterable[LimitEntry], node_id: str, at: datetime) -> LimitEntry | None:
    current: LimitEntry | None = None
    for entry in entries:
        if entry.node_id == node_id and entry.start <= at and (current is None or entry.start >= current.start):
            current = entry
    return current


def validate(site: Site) -> None:
    """Raise TopologyError unless the nodes form one tree under one grid node, each complete for its kind."""
    ids = [n.id for n in site.nodes]
    if len(set(ids)) != len(ids):
        raise TopologyError("node ids must be unique within a site")
    grids = [n for n in site.nodes if n.kind == GRID]
    if len(grids) != 1:
        raise TopologyError("a site has exactly one grid node")
    by_id = {n.id: n for n in site.nodes}
    stations: set[str] = set()
    for node in site.nodes:
        if node.kind not in KINDS:
            raise TopologyError(f"node {node.id!r}: kind must be one of {', '.join(KINDS)}")
        if node.kind == GRID:
            if node.parent_id is not None:
                raise TopologyError("the grid node has no parent")
        elif node.parent_id not in by_id:
            raise TopologyError(f"node {node.id!r}: parent {node.parent_id!r} does not exist")
        if not 1 <= node.phases <= 3 or not 1 <= node.first_phase <= 3:
            raise TopologyError(f"node {node.id!r}: phases and first_phase are 1..3")
        for name in ("limit_w", "limit_a", "evse_limit_a", "evse_limit_w"):
            value = getattr(node, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise TopologyError(f"node {node.id!r}: {name} must be a non-negative number")
        if node.kind in ("station", "evse") and not node.station_id:
            raise TopologyError(f"node {node.id!r}: a {node.kind} node names its station_id")
        if node.kind == "station":
            key = (node.station_id or "").casefold()
            if key in stations:
                raise TopologyError(f"station {node.station_id!r} appears twice")
            stations.add(key)
            if node.evses is not None and node.evses < 1:
                raise TopologyError(f"node {node.id!r}: evses must be at least 1")
        if node.kind == "evse":
            parent = by_id.get(node.parent_id or "")
            if parent is None or parent.kind != "station" or (parent.station_id or "").casefold() != (
                    node.station_id or "").casefold():
                raise TopologyError(f"node {node.id!r}: an evse node hangs under the node of its station")
            if node.evse_id is None or node.evse_id < 1:
                raise TopologyError(f"node {node.id!r}: evse_id must be 1 or more")
        if node.kind in ("grid", "circuit") and node.station_id:
            raise TopologyError(f"node {node.id!r}: only station and evse nodes name a station")
    for node in site.nodes:  # no cycles: every chain reaches the grid
        seen: set[str] = set()
        current: str | None = node.id
        while current is not None:
            if current in seen:
                raise TopologyError(f"node {node.id!r} is part of a cycle")
            seen.add(current)
            current = by_id[current].parent_id
    known = set(ids)
    for entry in site.limits:
        if entry.node_id not in known:
            raise TopologyError(f"limit for unknown node {entry.node_id!r}")
    for price in site.prices:
        if price.end <= price.start:
            raise TopologyError("a price slot ends after it starts")
    if not 0 <= site.margin < 1:
        raise TopologyError("margin is a fraction between 0 and 1")
    if site.voltage <= 0:
        raise TopologyError("voltage must be positive")


def with_limits(site: Site, node_id: str, entries: Iterable[LimitEntry]) -> Site:
    """The site with `node_id`'s external schedule replaced."""
    kept = tuple(e for e in site.limits if e.node_id != node_id)
    return replace(site, limits=kept + tuple(sorted(entries, key=lambda e: e.start)))
