"""Scenario files (TOML): stations, EVs and events of a simulated day, replayed in accelerated time.

```toml
[simulation]
ocpp = "2.0.1"            # 1.6 | 2.0.1 | 2.1
url = "ws://127.0.0.1:9000/ocpp"
stations = 4              # when no [[stations]] table lists them
id_prefix = "DAY-"
duration = "24h"          # simulated span
acceleration = 1440       # simulated seconds per real second
start = "2026-11-20T00:00:00Z"   # default: the span ends now
seed = 7
tags = ["TAG-1", "TAG-2"]
arrivals_per_day = 3      # random EV arrivals per EVSE per day (0: only the [[evs]] below)

[station]                 # template for every station (StationConfig fields)
evses = 2
[station.settings]        # 1.6 keys or 2.x "Component.Variable[.Instance]"
MeterValueSampleInterval = 300

[[stations]]              # explicit stations; `count` + `id_prefix` makes several
id = "CP-1"

[[evs]]
station = "CP-1"
evse = 1
arrive = "07:30"          # time of the simulated day, or "+2h" / seconds from the start
depart = "17:00"
energy_kwh = 20
tag = "TAG-1"
stop = "card"             # card (stop with the tag, then unplug) | unplug

[[events]]
at = "12:00"
type = "offline"          # offline | reboot | power_loss | fault
station = "CP-1"          # or "*" for all
duration = "1h"           # offline, power_loss, fault
evse = 1                  # fault
```
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chargeline.domain.clock import parse_station_time
from chargeline.ocpp.versions import OcppVersion
from chargeline.station.config import StationConfig

EVENT_TYPES = frozenset({"offline", "reboot", "power_loss", "fault"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value: Any) -> float:
    """'90', 90, '15m', '1.5h', '2d' -> seconds."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 2h)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def offset(value: Any) -> float:
    """A moment of the simulated day: 'HH:MM[:SS]', '+2h' or seconds since the start."""
    text = str(value).strip()
    if ":" in text and not text.startswith("+"):
        parts = [int(p) for p in text.split(":")]
        if len(parts) == 2:
            parts.append(0)
        hours, minutes, secs = parts
        return hours * 3600.0 + minutes * 60.0 + secs
    return seconds(text.removeprefix("+"))


@dataclass(slots=True)
class Visit:
    station: str
    evse: int
    arrive: float  # seconds after the start
    depart: float | None
    tag: str | None
    energy_wh: float | None = None
    battery_wh: float = 60_000.0
    soc: float = 30.0
    max_current_a: float = 32.0
    phases: int = 3
    max_dc_power_w: float = 150_000.0
    stop: str = "card"


@dataclass(slots=True)
class Event:
    at: float
    type: str
    station: str
    duration: float = 0.0
    evse: int = 1
    error_code: str = "GroundFailure"


@dataclass(slots=True)
class Scenario:
    version: OcppVersion | None = None
    url: str | None = None
    stations: list[StationConfig] = field(default_factory=list)
    station_count: int | None = None
    id_prefix: str | None = None
    template: dict[str, Any] = field(default_factory=dict)
    span: float | None = None  # simulated seconds
    acceleration: float | None = None
    start: datetime | None = None
    seed: int | None = None
    tags: list[str] = field(default_factory=list)
    arrivals_per_day: float | None = None
    visits: list[Visit] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def load(path: str | Path) -> Scenario:
    return parse(tomllib.loads(Path(path).read_text()))


def parse(data: dict[str, Any]) -> Scenario:
    sim = dict(data.get("simulation", {}))
    unknown = set(sim) - {"ocpp", "url", "stations", "id_prefix", "duration", "acceleration", "start", "seed", "tags",
                          "arrivals_per_day"}
    if unknown:
        raise ValueError(f"unknown [simulation] settings: {', '.join(sorted(unknown))}")
    scenario = Scenario(
        version=OcppVersion.parse(str(sim["ocpp"])) if "ocpp" in sim else None,
        url=sim.get("url"), station_count=sim.get("stations"), id_prefix=sim.get("id_prefix"),
        template=dict(data.get("station", {})),
        span=seconds(sim["duration"]) if "duration" in sim else None,
        acceleration=float(sim["acceleration"]) if "acceleration" in sim else None,
        start=parse_station_time(sim["start"]) if "start" in sim else None,
        seed=sim.get("seed"), tags=[str(t) for t in sim.get("tags", [])],
        arrivals_per_day=float(sim["arrivals_per_day"]) if "arrivals_per_day" in sim else None)
    for item in data.get("stations", []):
        count = int(item.get("count", 1))
        if count > 1 or "id" not in item:
            prefix = item.get("id_prefix", scenario.id_prefix or "SIM-")
            for n in range(1, count + 1):
                scenario.stations.append(_station({**item, "id": f"{prefix}{n}"}, scenario))
        else:
            scenario.stations.append(_station(item, scenario))
    for item in data.get("evs", []):
        scenario.visits.append(Visit(
            station=str(item["station"]), evse=int(item.get("evse", 1)), arrive=offset(item["arrive"]),
            depart=offset(item["depart"]) if "depart" in item else None, tag=item.get("tag"),
            energy_wh=float(item["energy_kwh"]) * 1000 if "energy_kwh" in item else None,
            battery_wh=float(item.get("battery_kwh", 60)) * 1000, soc=float(item.get("soc", 30)),
            max_current_a=float(item.get("max_current", 32)), phases=int(item.get("phases", 3)),
            max_dc_power_w=float(item.get("max_dc_kw", 150)) * 1000, stop=str(item.get("stop", "card"))))
        if scenario.visits[-1].stop not in ("card", "unplug"):
            raise ValueError("an EV's stop must be 'card' or 'unplug'")
    for item in data.get("events", []):
        if item["type"] not in EVENT_TYPES:
            raise ValueError(f"unknown event type {item['type']!r}; expected one of {sorted(EVENT_TYPES)}")
        scenario.events.append(Event(offset(item["at"]), item["type"], str(item.get("station", "*")),
                                     seconds(item.get("duration", 0)), int(item.get("evse", 1)),
                                     str(item.get("error_code", "GroundFailure"))))
    return scenario


def _station(item: dict[str, Any], scenario: Scenario) -> StationConfig:
    merged = {**scenario.template, **{k: v for k, v in item.items() if k not in ("count", "id_prefix")}}
    settings = {**scenario.template.get("settings", {}), **item.get("settings", {})}
    if settings:
        merged["settings"] = settings
    return StationConfig.from_dict(merged)
