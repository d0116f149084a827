"""The composite schedule (GetCompositeSchedule and the station's live limit), brief §3.

One function serves the station stack (enforce "what applies now": the period
at offset 0) and the CSMS (predict what a station will report).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from chargeline.domain.smart_charging.profiles import (
    ChargingProfilePurpose,
    ChargingRateUnit,
    InstalledProfile,
)
from chargeline.domain.smart_charging.quantities import (
    Mix,
    Q,
    add,
    combine,
    lowest,
    min_phases,
    setpoint_op,
    spread,
    summed,
    to_unit,
)
from chargeline.domain.smart_charging.timeline import Segment, Slice, expand, overlay, stack
from chargeline.domain.smart_charging.times import epoch, format_time, from_epoch

P = ChargingProfilePurpose


@dataclass(frozen=True, slots=True)
class StationConfig:
    """What the composite needs to know about the station (names follow the vectors' station_config).

    Defaults are libocpp's CompositeScheduleDefault* values. `external_as_total`
    applies a station-wide ExternalConstraints profile to the evse-0 total
    (recommended) instead of to each EVSE (libocpp).
    """

    n_evses: int = 1
    supply_voltage: float = 230.0
    default_limit_a: float = 48.0
    default_limit_w: float = 33120.0
    default_number_phases: int = 3
    ac: bool = True
    simulate_tx_if_none: bool = False
    external_as_total: bool = True
    rate_units: tuple[ChargingRateUnit, ...] = (ChargingRateUnit.A, ChargingRateUnit.W)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StationConfig:
        return cls(
            n_evses=int(data.get("n_evses", 1)),
            supply_voltage=float(data.get("supply_voltage", 230.0)),
            default_limit_a=float(data.get("default_limit_A", 48.0)),
            default_limit_w=float(data.get("default_limit_W", 33120.0)),
            default_number_phases=int(data.get("default_number_phases", 3)),
            ac=bool(data.get("ac", True)),
            simulate_tx_if_none=bool(data.get("simulate_tx_if_none", False)),
        )


@dataclass(frozen=True, slots=True)
class ActiveTransaction:
    """A running transaction: anchors Relative profiles and admits TxProfiles with its id."""

    evse_id: int
    transaction_id: str
    start_time: datetime
    priority_charging: bool = False


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    start_period: int
    limit: float
    number_phases: int | None = None
    limit_l2: float | None = None
    limit_l3: float | None = None
    discharge_limit: float | None = None
    discharge_limit_l2: float | None = None
    discharge_limit_l3: float | None = None
    setpoint: float | None = None
    setpoint_l2: float | None = None
    setpoint_l3: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """2.1 JSON period (absent values omitted)."""
        out: dict[str, Any] = {"startPeriod": self.start_period, "limit": self.limit}
        for name, value in (
            ("numberPhases", self.number_phases),
            ("limit_L2", self.limit_l2),
            ("limit_L3", self.limit_l3),
            ("setpoint", self.setpoint),
            ("setpoint_L2", self.setpoint_l2),
            ("setpoint_L3", self.setpoint_l3),
            ("dischargeLimit", self.discharge_limit),
            ("dischargeLimit_L2", self.discharge_limit_l2),
            ("dischargeLimit_L3", self.discharge_limit_l3),
        ):
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    evse_id: int
    schedule_start: datetime
    duration: int
    charging_rate_unit: ChargingRateUnit
    periods: tuple[CompositePeriod, ...]

    def period_at(self, offset: int) -> CompositePeriod:
        """The period in force `offset` seconds after schedule_start (offset 0 = the live limit)."""
        current = self.periods[0]
        for period in self.periods:
            if period.start_period > offset:
                break
            current = period
        return current

    def to_dict(self) -> dict[str, Any]:
        """The shape of the vectors' `expected` (= 2.x CompositeScheduleType)."""
        return {
            "evseId": self.evse_id,
            "scheduleStart": format_time(self.schedule_start),
            "duration": self.duration,
            "chargingRateUnit": self.charging_rate_unit.value,
            "chargingSchedulePeriod": [p.to_dict() for p in self.periods],
        }


def _priority(item: InstalledProfile) -> tuple[int, int, int]:
    """Highest stackLevel first; on a (misconfigured) tie the EVSE-specific profile, then the lower id."""
    return (-item.profile.stack_level, 0 if item.evse_id else 1, item.profile.id)


def composite_schedule(
    installed: Iterable[InstalledProfile],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit | None = None,
    config: StationConfig | None = None,
    transactions: Iterable[ActiveTransaction] = (),
) -> CompositeSchedule:
    """Composite schedule of `evse_id` (0 = grid connection) over [start, start + duration).

    Installed profiles are taken as valid (validate on installation); a TxProfile
    only counts while its transaction runs on that EVSE.
    """
    cfg = config or StationConfig()
    unit = unit or cfg.rate_units[0]
    now = epoch(start)
    end = now + duration
    txs = {t.evse_id: t for t in transactions}
    by_evse: dict[int, list[InstalledProfile]] = defaultdict(list)
    for item in installed:
        by_evse[item.evse_id].append(item)
    station = by_evse.get(0, [])
    phases = cfg.default_number_phases

    def layer(items: Sequence[InstalledProfile], purpose: P, anchor: int | None) -> list[Segment]:
        chosen = sorted((i for i in items if i.profile.purpose is purpose), key=_priority)
        return stack([expand(i.profile, now, end, anchor, cfg.ac) for i in chosen], duration)

    def evse_tracks(evse: int, with_station_external: bool) -> list[list[Segment]]:
        """[transaction layer candidates..., external] for one EVSE (brief §3.4 step 1-2)."""
        own = by_evse.get(evse, [])
        both = own + station
        tx = txs.get(evse)
        anchor = epoch(tx.start_time) if tx else (now if cfg.simulate_tx_if_none else None)
        external = layer(both if with_station_external else own, P.EXTERNAL_CONSTRAINTS, None)
        if anchor is None:
            return [[], [], [], external]
        running = [i for i in own if tx and i.profile.transaction_id in (None, tx.transaction_id)]
        priority = layer(both, P.PRIORITY_CHARGING, anchor) if tx and tx.priority_charging else []
        return [priority, layer(running, P.TX, anchor), layer(both, P.TX_DEFAULT, anchor), external]

    def evse_limit(values: Sequence[Mix | None]) -> Mix | None:
        priority, tx, tx_default, external = values
        tx_layer = priority or tx or tx_default
        return lowest((tx_layer, external), phases)

    max_track = layer(station, P.CHARGING_STATION_MAX, None)
    if evse_id == 0:
        evses = range(1, cfg.n_evses + 1)
        tracks = [t for e in evses for t in evse_tracks(e, not cfg.external_as_total)]
        tracks += [layer(by_evse.get(e, []), P.LOCAL_GENERATION, None) for e in evses]
        station_external = layer(station, P.EXTERNAL_CONSTRAINTS, None) if cfg.external_as_total else []
        tracks += [station_external, max_track, layer(station, P.LOCAL_GENERATION, None)]
        size = len(evses)

        def total(values: list[Mix | None]) -> Mix | None:
            parts = []
            for k in range(size):
                part = evse_limit(values[4 * k : 4 * k + 4])
                extra = values[4 * size + k]
                parts.append(_with_generation(part, extra, cfg))
            body = summed(parts, cfg.default_limit_a, cfg.default_limit_w, phases)
            return _with_generation(lowest((body, values[-3], values[-2]), phases), values[-1], cfg)

        slices = overlay(tracks, duration, total)
    else:
        generation = layer(by_evse.get(evse_id, []) + station, P.LOCAL_GENERATION, None)
        tracks = [*evse_tracks(evse_id, True), max_track, generation]

        def single(values: list[Mix | None]) -> Mix | None:
            priority, tx, tx_default, external, station_max, generation = values
            capped = lowest((priority or tx or tx_default, external, station_max), phases)
            return _with_generation(capped, generation, cfg)

        slices = overlay(tracks, duration, single)
    return CompositeSchedule(
        evse_id=evse_id,
        schedule_start=from_epoch(now),
        duration=duration,
        charging_rate_unit=unit,
        periods=_to_periods(slices, unit, cfg),
    )


def _with_generation(base: Mix | None, generation: Mix | None, cfg: StationConfig) -> Mix | None:
    """2.1 LocalGeneration adds its limit on top of an existing limit (brief §3.4 step 3; uncertain ordering)."""
    if base is None or generation is None or not base.has_limit:
        return base
    n = base.n or generation.n or cfg.default_number_phases
    watts = base.w is not None and base.a is None
    own = to_unit(base.a, base.w, watts, cfg.supply_voltage, n, min)
    extra = to_unit(generation.a, generation.w, watts, cfg.supply_voltage, n, min)
    if own is None or extra is None:
        return base
    raised = combine(own, extra, add, watts, n, n)
    return Mix(
        a=None if watts else raised,
        w=raised if watts else None,
        da=base.da,
        dw=base.dw,
        sa=base.sa,
        sw=base.sw,
        n=min_phases(base.n, generation.n),
        phased=base.phased or isinstance(raised, tuple),
    )


def _r(value: float) -> float:
    """Report with one decimal (1.6 requires multiples of 0.1; brief §0.7)."""
    return round(value + 0.0, 1) + 0.0


def _split(value: Q | None, single_phase: bool, pick: Any) -> tuple[float | None, float | None, float | None]:
    if value is None:
        return None, None, None
    if not isinstance(value, tuple):
        return _r(value), None, None
    if single_phase:
        return _r(pick(value)), None, None
    return _r(value[0]), _r(value[1]), _r(value[2])


def _closest_to_zero(values: tuple[float, ...]) -> float:
    return min(values, key=abs)


def _to_periods(slices: Sequence[Slice], unit: ChargingRateUnit, cfg: StationConfig) -> tuple[CompositePeriod, ...]:
    """Unit conversion with the slice's lowest numberPhases, setpoint clipping, rounding, merging (§3.5)."""
    watts = unit is ChargingRateUnit.W
    default = cfg.default_limit_w if watts else cfg.default_limit_a
    volts = cfg.supply_voltage
    out: list[CompositePeriod] = []
    cache: dict[int, CompositePeriod] = {}
    previous: CompositePeriod | None = None
    for begin, _, mix in slices:
        current = cache.get(id(mix))
        if current is None:
            current = cache[id(mix)] = _period(mix, watts, default, volts, cfg)
        if current != previous:  # both anchored at 0, so equal means "same limits": merge
            out.append(_at(current, begin))
            previous = current
    return tuple(out)


def _at(period: CompositePeriod, start: int) -> CompositePeriod:
    return CompositePeriod(
        start,
        period.limit,
        period.number_phases,
        period.limit_l2,
        period.limit_l3,
        period.discharge_limit,
        period.discharge_limit_l2,
        period.discharge_limit_l3,
        period.setpoint,
        period.setpoint_l2,
        period.setpoint_l3,
    )


def _period(mix: Mix | None, watts: bool, default: float, volts: float, cfg: StationConfig) -> CompositePeriod:
    if mix is None:
        return CompositePeriod(0, _r(default))
    n = mix.n or cfg.default_number_phases
    if not mix.phased and mix.da is None and mix.dw is None and mix.sa is None and mix.sw is None:
        limit_only = _plain_limit(cast(float | None, mix.a), cast(float | None, mix.w), watts, volts, n)
        return CompositePeriod(0, _r(default if limit_only is None else limit_only), mix.n if cfg.ac else None)
    limit = to_unit(mix.a, mix.w, watts, volts, n, min)
    discharge = to_unit(mix.da, mix.dw, watts, volts, n, max)
    setpoint = to_unit(mix.sa, mix.sw, watts, volts, n, setpoint_op)
    if setpoint is not None:
        setpoint = _clip(setpoint, limit, discharge, watts, n)
    single = mix.n == 1
    lim1, lim2, lim3 = _split(limit, single, min) if limit is not None else (_r(default), None, None)
    dis1, dis2, dis3 = _split(discharge, single, max)
    set1, set2, set3 = _split(setpoint, single, _closest_to_zero)
    return CompositePeriod(
        0,
        lim1 if lim1 is not None else _r(default),
        mix.n if cfg.ac else None,
        lim2,
        lim3,
        dis1,
        dis2,
        dis3,
        set1,
        set2,
        set3,
    )


def _plain_limit(amps: float | None, watts_value: float | None, watts: bool, volts: float, n: int) -> float | None:
    """Fast path of `to_unit` for the common slice: scalar limits only."""
    own, other = (watts_value, amps) if watts else (amps, watts_value)
    if other is None:
        return own
    other = other * volts * n if watts else other / (volts * n)
    return other if own is None or other < own else own


def _clip(setpoint: Q, limit: Q | None, discharge: Q | None, watts: bool, n: int) -> Q:
    """Keep a setpoint inside [dischargeLimit, limit] (brief §5.3, LIB-14), per phase when needed."""
    if not isinstance(setpoint, tuple) and not isinstance(limit, tuple) and not isinstance(discharge, tuple):
        return _clip_one(setpoint, limit, discharge)
    points = spread(setpoint, watts, n)
    tops = None if limit is None else spread(limit, watts, n)
    bottoms = None if discharge is None else spread(discharge, watts, n)
    clipped = [
        _clip_one(points[k], None if tops is None else tops[k], None if bottoms is None else bottoms[k])
        for k in range(3)
    ]
    return (clipped[0], clipped[1], clipped[2])


def _clip_one(value: float, top: float | None, bottom: float | None) -> float:
    if value >= 0 and top is not None:
        return min(value, top)
    if value < 0 and bottom is not None:
        return max(value, bottom)
    return value
