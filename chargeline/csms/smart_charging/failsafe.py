"""The failsafe TxDefaultProfile: what every EVSE may draw when the CSMS cannot steer it.

It applies to a transaction that starts while the station is offline, or before its TxProfile
arrives (brief §4.2.2, §4.5). It must be safe without us, so each EVSE gets its share of the
tightest node above it: limit x (1 - margin) / EVSEs beneath, using the lowest limit scheduled
for the next day. Every EVSE drawing it at once still fits the tree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chargeline.csms.smart_charging.topology import EvseSlot, Site

HORIZON = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Failsafe:
    """Per EVSE: A per phase (AC; None for DC) and W."""

    amps: float | None
    watts: float
    phases: int
    dc: bool


def failsafe_limit(site: Site, station_id: str, slots: Iterable[EvseSlot], at: datetime) -> Failsafe | None:
    """The failsafe of one station; `slots` are all EVSE slots of the site (the shares are counted on them)."""
    all_slots = list(slots)
    own = [s for s in all_slots if s.station_id == station_id]
    station = site.station_nodes().get(station_id)
    if station is None or not own:
        return None
    keep = 1.0 - site.margin
    volts = site.voltage
    dc = any(s.dc for s in own)
    phases = max(s.phases for s in own)
    watts = math.inf
    amps = math.inf
    for node in site.ancestors(station.id):
        beneath = sum(1 for s in all_slots if node.id in {n.id for n in site.ancestors(s.node_id)})
        if beneath == 0:
            continue
        w, a = site.lowest_limit(node.id, at, HORIZON)
        if w is not None:
            watts = min(watts, w * keep / beneath)
        if a is not None:
            amps = min(amps, a * keep / beneath)
    for slot in own:
        if slot.max_w is not None:
            watts = min(watts, slot.max_w)
        if slot.max_a is not None:
            amps = min(amps, slot.max_a)
    if dc:
        total = min(watts, amps * volts * 3)
        if not math.isfinite(total):
            return None
        return Failsafe(None, math.floor(total / 100.0) * 100.0, phases, True)
    per_phase = min(amps, watts / (volts * phases))
    if not math.isfinite(per_phase):
        return None
    per_phase = math.floor(per_phase * 10 + 1e-6) / 10
    return Failsafe(per_phase, round(per_phase * volts * phases, 3), phases, False)
