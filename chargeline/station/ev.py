"""The electric vehicle on the other end of the cable: battery, charging curve, needs.

An AC car draws min(offered current, its on-board charger's current) on its phases and
tapers near full; below 6 A offered it pauses (IEC 61851: the EVSE cannot offer less). A DC
car follows a power curve over state of charge: near-flat to ~50 %, tapering to 80 %, then
steeply. When its energy need is met (or it is full) it stops drawing: SuspendedEV.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

MIN_AC_CURRENT_A = 6.0


@dataclass(slots=True)
class Ev:
    id_token: str | None = None
    battery_wh: float = 60_000.0
    soc: float = 30.0  # percent
    target_soc: float = 100.0
    energy_need_wh: float | None = None  # stop drawing after this much (None: until target_soc)
    max_current_a: float = 32.0  # per phase, on-board charger
    phases: int = 3
    max_dc_power_w: float = 150_000.0
    departure: datetime | None = None
    delivered_wh: float = 0.0

    @property
    def satisfied(self) -> bool:
        if self.energy_need_wh is not None and self.delivered_wh >= self.energy_need_wh:
            return True
        return self.soc >= self.target_soc - 0.05

    def ac_current(self, offered_a: float) -> float:
        """Per-phase current the car draws when `offered_a` is offered."""
        if self.satisfied or offered_a < MIN_AC_CURRENT_A:
            return 0.0
        current = min(offered_a, self.max_current_a)
        if self.soc > 90.0:  # constant-voltage phase: the current falls towards full
            current *= max(0.1, (100.0 - self.soc) / 10.0)
        return max(current, 0.0) if current >= 1.0 else 0.0

    def dc_power(self, offered_w: float) -> float:
        if self.satisfied or offered_w <= 0:
            return 0.0
        if self.soc < 50.0:
            curve = 1.0
        elif self.soc < 80.0:
            curve = 1.0 - (self.soc - 50.0) / 30.0 * 0.45
        else:
            curve = max(0.05, 0.55 - (self.soc - 80.0) / 20.0 * 0.5)
        return min(offered_w, self.max_dc_power_w * curve)

    def absorb(self, energy_wh: float) -> None:
        self.delivered_wh += energy_wh
        self.soc = min(100.0, self.soc + energy_wh / self.battery_wh * 100.0)

    @classmethod
    def random(cls, rng: random.Random, tag: str | None, dc: bool, departure: datetime | None = None) -> Ev:
        """A plausible car: battery 40-100 kWh, arriving at 10-60 %, wanting 5-40 kWh."""
        battery = rng.choice((40_000.0, 52_000.0, 64_000.0, 77_000.0, 100_000.0))
        soc = rng.uniform(10.0, 60.0)
        need = min(rng.uniform(5_000.0, 40_000.0), battery * (95.0 - soc) / 100.0)
        return cls(id_token=tag, battery_wh=battery, soc=soc, energy_need_wh=max(need, 1_000.0),
                   max_current_a=rng.choice((16.0, 32.0)), phases=rng.choice((1, 3, 3, 3)),
                   max_dc_power_w=rng.choice((50_000.0, 100_000.0, 150_000.0)) if dc else 0.0,
                   departure=departure)
