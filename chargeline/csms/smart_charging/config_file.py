"""Sites from the configuration file (`chargeline serve --config FILE`).

```toml
[[sites]]
id = "depot"
name = "Depot"
limit_w = 200000          # the grid connection; or limit_a (per phase)
phases = 3
voltage = 230
margin = 0.02             # fraction of every limit kept free
min_current_a = 6
group_priorities = { FLEET = 10 }   # id token group -> priority (higher first)

[[sites.circuits]]        # feeders / circuit breakers
id = "feeder-a"
parent = "grid"           # default: the grid connection
limit_a = 160

[[sites.stations]]
station_id = "CP-1"
parent = "feeder-a"       # default: the grid connection
limit_a = 63              # the station's own supply (optional)
evses = 2                 # EVSEs, each rated evse_limit_a (or evse_limit_w)
evse_limit_a = 32
phases = 3
dc = false

[[sites.evses]]           # optional, when one EVSE differs (phase rotation, rating)
station_id = "CP-1"
evse_id = 2
limit_a = 16
phases = 1
first_phase = 2

[[sites.limits]]          # an external schedule (replaces that node's schedule at start)
node = "grid"
start = 2026-06-01T17:00:00Z
limit_w = 150000

[[sites.prices]]          # replaces the site's prices at start when given
start = 2026-06-01T00:00:00Z
end = 2026-06-01T06:00:00Z
price_per_kwh = 0.12

[[stations]]              # a station may also be attached from the top level
id = "CP-2"
site = "depot"
parent = "feeder-a"
```

The file is the source of truth for the sites it names: they are written to the database at
every start (API changes to them last until the next start). Sites created through the API are
left alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chargeline.csms.smart_charging.topology import GRID, LimitEntry, Node, PriceEntry, Site, validate

_SITE_KEYS = {"id", "name", "limit_w", "limit_a", "phases", "voltage", "margin", "min_current_a", "group_priorities",
              "circuits", "stations", "evses", "limits", "prices"}
_STATION_KEYS = {"station_id", "id", "site", "parent", "name", "limit_w", "limit_a", "evses", "evse_limit_a",
                 "evse_limit_w", "phases", "dc", "first_phase", "node_id"}
_EVSE_KEYS = {"station_id", "evse_id", "id", "name", "limit_w", "limit_a", "phases", "dc", "first_phase"}
_CIRCUIT_KEYS = {"id", "parent", "name", "limit_w", "limit_a", "phases"}


@dataclass(slots=True)
class ConfiguredSites:
    sites: list[Site] = field(default_factory=list)
    # site id -> node id -> limit schedule given in the file
    limits: dict[str, dict[str, list[LimitEntry]]] = field(default_factory=dict)
    prices: dict[str, list[PriceEntry]] = field(default_factory=dict)


def load(path: str | Path) -> ConfiguredSites:
    return parse(tomllib.loads(Path(path).read_text()))


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    from chargeline.domain.clock import parse_station_time

    return parse_station_time(str(value))


def _check_keys(where: str, item: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(item) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")


def _num(item: Mapping[str, Any], key: str) -> float | None:
    value = item.get(key)
    return None if value is None else float(value)


def parse(data: Mapping[str, Any]) -> ConfiguredSites:
    out = ConfiguredSites()
    extra_stations: dict[str, list[Mapping[str, Any]]] = {}
    for item in data.get("stations", []):
        site = item.get("site")
        if site is None:
            raise ValueError("[[stations]] entries name their site (site = ...)")
        extra_stations.setdefault(str(site), []).append(item)
    for raw in data.get("sites", []):
        _check_keys("[[sites]]", raw, _SITE_KEYS)
        site_id = str(raw["id"])
        where = f"site {site_id!r}"
        nodes = [Node(GRID, "grid", None, raw.get("name"), _num(raw, "limit_w"), _num(raw, "limit_a"),
                      int(raw.get("phases", 3)))]
        for c in raw.get("circuits", []):
            _check_keys(f"{where} circuit", c, _CIRCUIT_KEYS)
            nodes.append(Node(str(c["id"]), "circuit", str(c.get("parent", GRID)), c.get("name"), _num(c, "limit_w"),
                              _num(c, "limit_a"), int(c.get("phases", 3))))
        for s in [*raw.get("stations", []), *extra_stations.pop(site_id, [])]:
            _check_keys(f"{where} station", s, _STATION_KEYS)
            station_id = str(s.get("station_id") or s["id"])
            nodes.append(Node(str(s.get("node_id", station_id)), "station", str(s.get("parent", GRID)),
                              s.get("name"), _num(s, "limit_w"), _num(s, "limit_a"), int(s.get("phases", 3)),
                              station_id, None, None if s.get("evses") is None else int(s["evses"]),
                              _num(s, "evse_limit_a"), _num(s, "evse_limit_w"), bool(s.get("dc", False)),
                              int(s.get("first_phase", 1))))
        station_nodes = {n.station_id.casefold(): n for n in nodes if n.kind == "station" and n.station_id}
        for e in raw.get("evses", []):
            _check_keys(f"{where} evse", e, _EVSE_KEYS)
            parent = station_nodes.get(str(e["station_id"]).casefold())
            if parent is None:
                raise ValueError(f"{where}: evse of station {e['station_id']!r}, which is not in the site")
            evse_id = int(e["evse_id"])
            nodes.append(Node(str(e.get("id", f"{parent.station_id}/{evse_id}")), "evse", parent.id, e.get("name"),
                              _num(e, "limit_w"), _num(e, "limit_a"), int(e.get("phases", parent.phases)),
                              parent.station_id, evse_id, dc=bool(e.get("dc", parent.dc)),
                              first_phase=int(e.get("first_phase", 1))))
        limits: dict[str, list[LimitEntry]] = {}
        for entry in raw.get("limits", []):
            node = str(entry.get("node", GRID))
            limits.setdefault(node, []).append(LimitEntry(node, _time(entry["start"]), _num(entry, "limit_w"),
                                                          _num(entry, "limit_a"), "config"))
        site = Site(site_id, str(raw.get("name", site_id)), tuple(nodes), float(raw.get("voltage", 230.0)),
                    float(raw.get("margin", 0.0)), float(raw.get("min_current_a", 6.0)),
                    {str(k).casefold(): int(v) for k, v in dict(raw.get("group_priorities", {})).items()},
                    tuple(e for entries in limits.values() for e in entries), (), "config")
        validate(site)
        out.sites.append(site)
        out.limits[site_id] = limits
        if "prices" in raw:
            out.prices[site_id] = [PriceEntry(_time(p["start"]), _time(p["end"]), float(p["price_per_kwh"]))
                                   for p in raw["prices"]]
    if extra_stations:
        raise ValueError(f"[[stations]] name unknown sites: {', '.join(sorted(extra_stations))}")
    return out
