"""Turn profiles into time segments and resolve stack levels (brief §3.2, §3.3).

Times are integer seconds relative to the window start, so a whole day of
recurring profiles is cheap integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chargeline.domain.smart_charging.profiles import (
    RECURRENCE_SECONDS,
    ChargingProfile,
    ChargingProfileKind,
    ChargingRateUnit,
)
from chargeline.domain.smart_charging.quantities import Mix, mix_from_period
from chargeline.domain.smart_charging.times import epoch

#: [start, end) in seconds from the window start, and what the period says.
Segment = tuple[int, int, Mix]
Slice = tuple[int, int, Mix | None]

FOREVER = 1 << 62
_CACHE_LIMIT = 4096
_mix_cache: dict[tuple[int, bool], tuple[ChargingProfile, tuple[Mix | None, ...]]] = {}


def _period_mixes(profile: ChargingProfile, ac: bool) -> tuple[Mix | None, ...]:
    """Per-period contributions, memoised per profile object (profiles are immutable)."""
    key = (id(profile), ac)
    hit = _mix_cache.get(key)
    if hit is not None and hit[0] is profile:
        return hit[1]
    schedule = profile.schedule
    watts = schedule.charging_rate_unit is ChargingRateUnit.W
    mixes = tuple(mix_from_period(p, watts, ac) for p in schedule.periods)
    if len(_mix_cache) >= _CACHE_LIMIT:
        _mix_cache.clear()
    _mix_cache[key] = (profile, mixes)
    return mixes


def _occurrences(profile: ChargingProfile, now: int, end: int, anchor: int | None) -> tuple[list[int], int]:
    """Occurrence starts touching [now, end) and the recurrence period (FOREVER if none)."""
    schedule = profile.schedule
    start = None if schedule.start_schedule is None else epoch(schedule.start_schedule)
    kind = profile.kind
    if kind is ChargingProfileKind.ABSOLUTE:
        return ([] if start is None else [start]), FOREVER
    if kind is ChargingProfileKind.RELATIVE:
        return ([] if anchor is None else [anchor]), FOREVER
    if kind is ChargingProfileKind.RECURRING:
        if start is None or profile.recurrency_kind is None:
            return [], FOREVER
        period = RECURRENCE_SECONDS[profile.recurrency_kind]
        # Modulo in both directions: a future startSchedule still recurs today (libocpp, LIB-02).
        first = now - (now - start) % period
        return list(range(first, end, period)), period
    # Dynamic: one period, anchored at the last update (or the schedule start, or now).
    if profile.dyn_update_time is not None:
        return [epoch(profile.dyn_update_time)], FOREVER
    return [now if start is None else start], FOREVER


def expand(profile: ChargingProfile, now: int, end: int, anchor: int | None, ac: bool) -> list[Segment]:
    """Segments of one profile inside [now, end), clipped by duration, recurrence and validity."""
    valid_to = FOREVER if profile.valid_to is None else epoch(profile.valid_to)
    valid_from = -FOREVER if profile.valid_from is None else epoch(profile.valid_from)
    if valid_to <= now or valid_from >= end or valid_from >= valid_to:
        return []
    starts, recurrence = _occurrences(profile, now, end, anchor)
    schedule = profile.schedule
    periods = schedule.periods[:1] if profile.kind is ChargingProfileKind.DYNAMIC else schedule.periods
    mixes = _period_mixes(profile, ac)
    count = len(periods)
    out: list[Segment] = []
    for occurrence in starts:
        stop = occurrence + recurrence if recurrence != FOREVER else FOREVER
        if schedule.duration is not None:
            stop = min(stop, occurrence + schedule.duration)
        stop = min(stop, valid_to)
        for j in range(count):
            begin = occurrence + periods[j].start_period
            if begin >= stop or begin >= end:
                break
            finish = occurrence + periods[j + 1].start_period if j + 1 < count else stop
            finish = min(finish, stop)
            mix = mixes[j]
            if mix is None or finish <= now:
                continue
            begin = max(begin, valid_from, now)
            if finish > begin:
                out.append((begin - now, min(finish, end) - now, mix))
    out.sort(key=_start)
    return out


def _start(segment: Segment) -> int:
    return segment[0]


def stack(layers: Sequence[list[Segment]], horizon: int) -> list[Segment]:
    """Painter's algorithm: layers in priority order; a lower layer only shows through the gaps above it."""
    free = [(0, horizon)]
    out: list[Segment] = []
    for segments in layers:
        if not free:
            break
        if not segments:
            continue
        still_free: list[tuple[int, int]] = []
        j, count = 0, len(segments)
        for gap_start, gap_end in free:
            cursor = gap_start
            while j < count and segments[j][1] <= cursor:
                j += 1
            k = j
            while k < count and segments[k][0] < gap_end:
                begin, finish, mix = segments[k]
                if begin > cursor:
                    still_free.append((cursor, begin))
                    cursor = begin
                top = min(finish, gap_end)
                if top > cursor:
                    out.append((cursor, top, mix))
                    cursor = top
                if finish > gap_end:
                    break
                k += 1
            j = k
            if cursor < gap_end:
                still_free.append((cursor, gap_end))
        free = still_free
    out.sort(key=_start)
    return out


def overlay(
    tracks: Sequence[Sequence[Segment]], horizon: int, combine: Callable[[list[Mix | None]], Mix | None]
) -> list[Slice]:
    """Cut [0, horizon) at every boundary of every track and combine the tracks' values per slice.

    A sweep over start/stop events; equal combinations are combined once, so
    repeated recurrences cost a dictionary lookup.
    """
    events: list[tuple[int, int, int, Mix | None]] = []  # (time, 0 = stop / 1 = start, track, value)
    for t, track in enumerate(tracks):
        for begin, finish, mix in track:
            events.append((begin, 1, t, mix))
            events.append((finish, 0, t, None))
    events.sort(key=_event_order)
    current: list[Mix | None] = [None] * len(tracks)
    memo: dict[tuple[int, ...], Mix | None] = {}
    out: list[Slice] = []
    previous: tuple[int, ...] | None = None
    at, i, count = 0, 0, len(events)
    while at < horizon:
        while i < count and events[i][0] <= at:
            current[events[i][2]] = events[i][3]
            i += 1
        following = events[i][0] if i < count and events[i][0] < horizon else horizon
        key = tuple(map(id, current))
        if key == previous:
            out[-1] = (out[-1][0], following, out[-1][2])
        else:
            if key in memo:
                result = memo[key]
            else:
                result = memo[key] = combine(list(current))
            out.append((at, following, result))
            previous = key
        at = following
    return out


def _event_order(event: tuple[int, int, int, Mix | None]) -> tuple[int, int]:
    return event[0], event[1]
