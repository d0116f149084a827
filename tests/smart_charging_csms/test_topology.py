"""The site tree: validation, limits over time, EVSE slots, the failsafe share, the configuration file."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from chargeline.config import load_settings
from chargeline.csms.smart_charging import config_file
from chargeline.csms.smart_charging.failsafe import failsafe_limit
from chargeline.csms.smart_charging.topology import LimitEntry, Node, TopologyError, validate
from tests.smart_charging_csms.helpers import NOW, site, slots


@pytest.mark.parametrize(("nodes", "message"), [
    ((Node("grid", "grid"), Node("grid", "circuit", "grid")), "unique"),
    ((Node("c", "circuit"),), "exactly one grid"),
    ((Node("grid", "grid"), Node("c", "circuit", "nowhere")), "does not exist"),
    ((Node("grid", "grid"), Node("s", "station", "grid")), "names its station_id"),
    ((Node("grid", "grid"), Node("s", "station", "grid", station_id="A"), Node("t", "station", "grid",
                                                                               station_id="a")), "twice"),
    ((Node("grid", "grid"), Node("e", "evse", "grid", station_id="a", evse_id=1)), "hangs under"),
    ((Node("grid", "grid"), Node("c", "circuit", "grid", limit_a=-1)), "non-negative"),
    ((Node("grid", "grid"), Node("a", "circuit", "b"), Node("b", "circuit", "a")), "cycle"),
    ((Node("grid", "grid"), Node("c", "circuit", "grid", phases=4)), "1..3"),
])
def test_invalid_trees(nodes: tuple[Node, ...], message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        validate(replace(site(), nodes=nodes))


def test_limit_in_force_is_the_lower_of_static_and_scheduled() -> None:
    s = site(50_000, limits=[LimitEntry("grid", NOW, limit_w=30_000),
                             LimitEntry("grid", NOW + timedelta(hours=2), limit_a=50.0)])
    assert s.limit_at("grid", NOW - timedelta(seconds=1)) == (50_000, None)
    assert s.limit_at("grid", NOW) == (30_000, None)
    assert s.limit_at("grid", NOW + timedelta(hours=3)) == (50_000, 50.0)
    assert s.site_limit_w(NOW + timedelta(hours=3)) == 50.0 * 230 * 3
    assert s.lowest_limit("grid", NOW - timedelta(hours=1), timedelta(hours=24)) == (30_000, 50.0)


def test_evse_slots_from_counts_nodes_and_sessions_seen() -> None:
    s = site(stations=("cp1",), evses=2, evse_limit_a=16)
    assert [(x.evse_id, x.max_a) for x in s.evse_slots("cp1", 32, 50_000)] == [(1, 16), (2, 16)]
    assert [x.evse_id for x in s.evse_slots("cp1", 32, 50_000, seen=[4])] == [1, 2, 4]
    dc = replace(s, nodes=(*s.nodes[:1], Node("cp1", "station", "grid", station_id="cp1", dc=True)))
    assert [(x.dc, x.max_w) for x in dc.evse_slots("cp1", 32, 50_000)] == [(True, 50_000)]


def test_failsafe_is_the_tightest_share_for_the_next_day() -> None:
    circuit = Node("c1", "circuit", "grid", limit_a=32.0)
    s = site(200_000, stations=("cp1", "cp2"), evses=2, circuits=(circuit,), parent="c1")
    fs = failsafe_limit(s, "cp1", slots(s), NOW)
    assert fs is not None and fs.amps == 8.0  # 32 A per phase / 4 EVSEs under the circuit
    later_cut = replace(s, limits=(LimitEntry("grid", NOW + timedelta(hours=5), limit_w=11_040),))
    fs = failsafe_limit(later_cut, "cp1", slots(later_cut), NOW)
    assert fs is not None and fs.amps == 4.0  # 11040 W / 4 / 690: it must hold when we cannot steer


def test_configuration_file(tmp_path: Path) -> None:
    path = tmp_path / "chargeline.toml"
    path.write_text("""
[chargeline]
smart_charging_interval = 30

[[sites]]
id = "depot"
limit_w = 200000
margin = 0.02
group_priorities = { FLEET = 10 }

[[sites.circuits]]
id = "feeder-a"
limit_a = 160

[[sites.stations]]
station_id = "CP-1"
parent = "feeder-a"
evses = 2
evse_limit_a = 32

[[sites.evses]]
station_id = "CP-1"
evse_id = 2
limit_a = 16
phases = 1
first_phase = 2

[[sites.limits]]
start = 2026-06-01T17:00:00Z
limit_w = 150000

[[sites.prices]]
start = 2026-06-01T00:00:00Z
end = 2026-06-01T06:00:00Z
price_per_kwh = 0.12

[[stations]]
id = "CP-2"
site = "depot"
""")
    settings = load_settings(path, environ={})
    assert settings.config_file == str(path) and settings.smart_charging_interval == 30
    parsed = config_file.load(settings.config_file)
    (depot,) = parsed.sites
    assert depot.group_priorities == {"fleet": 10} and depot.margin == 0.02
    assert {n.id: n.kind for n in depot.nodes} == {"grid": "grid", "feeder-a": "circuit", "CP-1": "station",
                                                   "CP-1/2": "evse", "CP-2": "station"}
    assert depot.node("CP-1/2").first_phase == 2 and depot.node("CP-2").parent_id == "grid"
    assert [e.limit_w for e in parsed.limits["depot"]["grid"]] == [150_000]
    assert parsed.prices["depot"][0].price_per_kwh == 0.12


def test_configuration_file_errors() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        config_file.parse({"sites": [{"id": "x", "limitw": 5}]})
    with pytest.raises(ValueError, match="unknown sites"):
        config_file.parse({"stations": [{"id": "CP-9", "site": "nowhere"}]})
    with pytest.raises(TopologyError):
        config_file.parse({"sites": [{"id": "x", "circuits": [{"id": "c", "parent": "missing"}]}]})
