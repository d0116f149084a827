"""Builders for the central smart-charging tests (plain functions, no fixtures)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from chargeline.csms.smart_charging.rounds import EvseInput, SessionInput
from chargeline.csms.smart_charging.topology import EvseSlot, LimitEntry, Node, PriceEntry, Site

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def site(limit_w: float | None = 40_000, *, stations: Sequence[str] = ("cp1", "cp2"), evses: int = 2,
         evse_limit_a: float = 32.0, circuits: Sequence[Node] = (), parent: str = "grid",
         limits: Sequence[LimitEntry] = (), prices: Sequence[PriceEntry] = (), margin: float = 0.0,
         groups: dict[str, int] | None = None, limit_a: float | None = None) -> Site:
    nodes = [Node("grid", "grid", limit_w=limit_w, limit_a=limit_a), *circuits]
    nodes += [Node(s, "station", parent, station_id=s, evses=evses, evse_limit_a=evse_limit_a) for s in stations]
    return Site("depot", "Depot", tuple(nodes), margin=margin, group_priorities=groups or {}, limits=tuple(limits),
                prices=tuple(prices))


def slots(s: Site) -> list[EvseSlot]:
    return [slot for station in sorted(s.station_nodes()) for slot in s.evse_slots(station, 32.0, 50_000.0)]


def charging(s: Site, count: int | None = None, **session: object) -> list[EvseInput]:
    """Every EVSE (or the first `count`) with a running session."""
    out = []
    for n, slot in enumerate(slots(s)):
        if count is None or n < count:
            out.append(EvseInput(slot, SessionInput(n + 1, **session)))  # type: ignore[arg-type]
        else:
            out.append(EvseInput(slot))
    return out
