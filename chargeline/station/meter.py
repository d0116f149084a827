"""The simulated energy meter of one EVSE: register, power, current, voltage, SoC.

Energy is integrated from power over simulated time whenever something changes, so a
limit set in the middle of a sample interval is accounted exactly. The import register is
a lifetime total (persisted by the station) like a MID meter's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from chargeline.station import measurands as m
from chargeline.station.ev import Ev


@dataclass(slots=True)
class Sample:
    """One sampled value, version-neutral (the adapters spell it per version)."""

    measurand: str
    value: float
    unit: str
    phase: str | None = None
    context: str = "Sample.Periodic"
    location: str | None = None


@dataclass(slots=True)
class Meter:
    dc: bool
    phases: int
    voltage: float
    register_wh: float = 0.0
    power_w: float = 0.0
    currents: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    offered_a: float = 0.0
    offered_w: float = 0.0
    soc: float | None = None
    updated: datetime | None = None
    interval_start_wh: float = 0.0  # for Energy.Active.Import.Interval
    temperature: float = 25.0

    def advance(self, now: datetime) -> float:
        """Integrate energy up to `now` at the current power; returns the Wh added."""
        if self.updated is None or now <= self.updated:
            self.updated = now if self.updated is None or now > self.updated else self.updated
            return 0.0
        added = self.power_w * (now - self.updated).total_seconds() / 3600.0
        self.register_wh += added
        self.updated = now
        return added

    def apply(self, now: datetime, ev: Ev | None, limit_w: float, limit_a: float, phases: int | None) -> float:
        """Integrate to `now`, let the EV absorb it, then set the power the EV draws under the limits."""
        added = self.advance(now)
        if ev is not None and added > 0:
            ev.absorb(added)
        self.offered_a, self.offered_w = limit_a, limit_w
        if ev is None:
            self.power_w, self.currents, self.soc = 0.0, [0.0, 0.0, 0.0], None
            return added
        if self.dc:
            self.power_w = ev.dc_power(limit_w)
            amps = self.power_w / 400.0
            self.currents = [amps, 0.0, 0.0]
            self.soc = ev.soc
            return added
        n = max(1, min(self.phases, ev.phases, phases or self.phases))
        offered = min(limit_a, limit_w / (self.voltage * n))
        per_phase = ev.ac_current(offered)
        self.currents = [per_phase if i < n else 0.0 for i in range(3)]
        self.power_w = per_phase * self.voltage * n
        self.soc = None
        return added

    def samples(self, wanted: list[str], context: str) -> list[Sample]:
        out: list[Sample] = []
        for measurand in wanted:
            if measurand == m.ENERGY:
                out.append(Sample(measurand, round(self.register_wh, 1), "Wh", context=context, location="Outlet"))
            elif measurand == m.ENERGY_INTERVAL:
                out.append(Sample(measurand, round(self.register_wh - self.interval_start_wh, 1), "Wh",
                                  context=context, location="Outlet"))
            elif measurand == m.POWER:
                out.append(Sample(measurand, round(self.power_w, 1), "W", context=context, location="Outlet"))
            elif measurand == m.POWER_OFFERED:
                out.append(Sample(measurand, round(self.offered_w, 1), "W", context=context))
            elif measurand == m.CURRENT_OFFERED:
                out.append(Sample(measurand, round(self.offered_a, 1), "A", context=context))
            elif measurand == m.CURRENT:
                if self.dc:
                    out.append(Sample(measurand, round(self.currents[0], 2), "A", context=context,
                                      location="Outlet"))
                else:
                    for i in range(self.phases):
                        out.append(Sample(measurand, round(self.currents[i], 2), "A", f"L{i + 1}", context,
                                          "Outlet"))
            elif measurand == m.VOLTAGE:
                if self.dc:
                    out.append(Sample(measurand, 400.0 if self.power_w else 0.0, "V", context=context))
                else:
                    for i in range(self.phases):
                        jitter = random.uniform(-2.0, 2.0)
                        out.append(Sample(measurand, round(self.voltage + jitter, 1), "V", f"L{i + 1}-N", context))
            elif measurand == m.SOC and self.soc is not None:
                out.append(Sample(measurand, round(self.soc, 1), "Percent", context=context, location="EV"))
            elif measurand == m.TEMPERATURE:
                out.append(Sample(measurand, round(self.temperature + self.power_w / 10_000.0, 1), "Celsius",
                                  context=context, location="Body"))
        return out

    def start_interval(self) -> None:
        self.interval_start_wh = self.register_wh
