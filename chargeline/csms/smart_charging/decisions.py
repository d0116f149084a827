"""Which limits to send, in which order (brief §4.3.8, §4.4).

* Hysteresis: a change is sent only when it is at least max(1 A, 5 %) per phase (DC: max(700 W,
  5 %)); pausing and resuming always are. Stations are not flooded and flash is not worn out.
* Increases are debounced: one is sent only after the round wanted it `increase_rounds` times in
  a row, so a short dip elsewhere does not make limits jump up and down.
* Safety first: a decrease the hysteresis would hold back is sent anyway when keeping the old,
  higher limit would overload a node; increases are dropped when even all decreases leave no room.
* Order: all decreases go first, increases only after every decrease was accepted.

The first live limit of a session is always sent (its station applies the failsafe meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chargeline.csms.smart_charging.rounds import Target
from chargeline.csms.smart_charging.settings import SmartChargingSettings

Key = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Applied:
    """What we believe the EVSE applies now."""

    watts: float  # the EV-side estimate the allocation works in (A x V x phases in use, or DC W)
    amps: float | None  # per phase (AC)
    paused: bool = False
    ours: bool = True  # a live limit of ours is in force (False: the failsafe or nothing yet)
    plan: tuple[tuple[str, float], ...] | None = None  # signature of the price plan sent


@dataclass(frozen=True, slots=True)
class Change:
    target: Target
    decrease: bool
    why: str


@dataclass(slots=True)
class Selection:
    decreases: list[Change] = field(default_factory=list)
    increases: list[Change] = field(default_factory=list)
    streaks: dict[Key, int] = field(default_factory=dict)


def plan_signature(target: Target) -> tuple[tuple[str, float], ...] | None:
    """The plan's slots after the current one, rounded to what hysteresis cares about (1 A / 1 kW)."""
    if not target.plan:
        return None
    out = []
    for moment, watts in target.plan[1:]:
        unit = 230.0 * target.phases if not target.dc else 1000.0
        out.append((moment.isoformat(), round(watts / unit)))
    return tuple(out)


def _threshold(cfg: SmartChargingSettings, old: Applied, target: Target) -> tuple[float, float, float]:
    """(old, new, threshold) in A per phase for AC, W for DC."""
    if target.dc or old.amps is None or target.amps is None:
        return old.watts, target.watts, max(cfg.hysteresis_w, cfg.hysteresis_ratio * old.watts)
    return old.amps, target.amps, max(cfg.hysteresis_a, cfg.hysteresis_ratio * old.amps)


def _not_above(target: Target, old: Applied) -> bool:
    """Compared per phase for AC (an EV on fewer phases than the EVSE has draws fewer watts at the same A)."""
    if not target.dc and target.amps is not None and old.amps is not None:
        return target.amps <= old.amps
    return target.watts <= old.watts


def select_changes(targets: Mapping[Key, Target], applied: Mapping[Key, Applied], streaks: Mapping[Key, int],
                   cfg: SmartChargingSettings, fits: Callable[[dict[Key, float]], bool]) -> Selection:
    selection = Selection()
    suppressed: dict[Key, Change] = {}
    loads: dict[Key, float] = {}
    for key, target in targets.items():
        old = applied.get(key)
        if old is None or not old.ours:
            decrease = old is None or _not_above(target, old)
            (selection.decreases if decrease else selection.increases).append(
                Change(target, decrease, "first limit of the session"))
            loads[key] = target.watts
            continue
        if target.paused != old.paused:
            change = Change(target, target.paused, "pause" if target.paused else "resume")
            (selection.decreases if target.paused else selection.increases).append(change)
            loads[key] = target.watts
            continue
        before, after, threshold = _threshold(cfg, old, target)
        delta = after - before
        plan_changed = plan_signature(target) != old.plan
        if delta < 0 and (-delta >= threshold or (plan_changed and target.plan)):
            selection.decreases.append(Change(target, True, "decrease"))
            loads[key] = target.watts
        elif delta > 0 and delta >= threshold:
            streak = streaks.get(key, 0) + 1
            selection.streaks[key] = streak
            if streak >= cfg.increase_rounds:
                selection.increases.append(Change(target, False, "increase"))
                selection.streaks.pop(key)
                loads[key] = target.watts
            else:
                loads[key] = old.watts
        elif plan_changed and target.plan:
            selection.increases.append(Change(target, False, "new price plan"))
            loads[key] = max(old.watts, target.watts)
        else:
            loads[key] = old.watts
            if delta < 0:
                suppressed[key] = Change(target, True, "decrease needed for safety")
    if not fits(loads):
        for key, change in suppressed.items():
            selection.decreases.append(change)
            loads[key] = change.target.watts
        if not fits(loads):
            for change in selection.increases:
                old = applied.get(change.target.key)
                loads[change.target.key] = old.watts if old is not None else change.target.watts
            selection.increases = []
    return selection
