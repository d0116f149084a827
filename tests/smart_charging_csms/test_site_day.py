"""End to end: a 200 kW site, 20 simulated stations (40 EVSEs), 30 EVs arriving through a day.

A real `chargeline serve` reads the site from its configuration file; the stations are the
Chargeline station stack in this process (half 1.6, half 2.0.1; two of them accept only W), on
a clock running 600 times faster than real time, sampling meter values every 5 simulated
minutes. While the day runs, the test reads every EVSE's actual power and offered current (the
ground truth), and afterwards the site load the CSMS measured (through the API).

Checked: the site load never exceeds 200 kW for longer than one meter interval, and every EV that
wants to charge is offered at least its minimum (6 A) whenever capacity allows (30 x 6 A fits in
200 kW, so always, once its first limit could arrive). No timed assertions: durations are read
from the simulated clock; real-time waits only bound a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pytest

from chargeline.domain.clock import utcnow
from chargeline.ocpp.versions import OcppVersion
from chargeline.station.clock import SimClock
from chargeline.station.config import StationConfig
from chargeline.station.scenario import Visit
from chargeline.station.simulator import Simulator
from tests.api.conftest import ApiServer
from tests.smart_charging_csms.conftest import serve_with
from tests.station.conftest import fast_settings, until

LIMIT_W = 200_000.0
STATIONS = [f"DAY-{n:02d}" for n in range(1, 21)]
W_ONLY = {"DAY-12", "DAY-18"}  # 2.0.1 stations (even numbers) whose SmartChargingCtrlr.RateUnit is W only
ACCELERATION = 600.0
SPAN_S = 14 * 3600.0
METER_INTERVAL_S = 300.0
MIN_A = 6.0
SETTLE_S = 2 * METER_INTERVAL_S  # a new session runs on the failsafe until its first TxProfile arrives


def _config() -> str:
    lines = ["[chargeline]", "smart_charging_interval = 1", "", "[[sites]]", 'id = "depot"', 'name = "Depot"',
             f"limit_w = {LIMIT_W:.0f}", 'group_priorities = { FLEET = 10 }', ""]
    for station in STATIONS:
        lines += ["[[sites.stations]]", f'station_id = "{station}"', "evses = 2", "evse_limit_a = 32", ""]
    return "\n".join(lines)


def _stations(url: str) -> list[StationConfig]:
    configs = []
    for n, station in enumerate(STATIONS):
        version = OcppVersion.V16 if n % 2 == 0 else OcppVersion.V201  # DAY-01 1.6, DAY-02 2.0.1, ...
        interval = "SampledDataCtrlr.TxUpdatedInterval" if version.is_v2 else "MeterValueSampleInterval"
        extra = {interval: str(int(METER_INTERVAL_S))}
        if station in W_ONLY:
            extra["SmartChargingCtrlr.RateUnit"] = "W"
        configs.append(StationConfig(station, url=url, version=version, evses=2,
                                     settings=fast_settings(version, **extra)))
    return configs


def _visits(seed: int = 20261121) -> list[Visit]:
    """30 EVs: arrivals from 06:30 to 13:00, stays of 3-7 h, large needs so the site stays busy."""
    rng = random.Random(seed)
    free = [(s, e) for s in STATIONS for e in (1, 2)]
    rng.shuffle(free)
    visits = []
    for n in range(30):
        station, evse = free[n]
        arrive = rng.uniform(0.5, 7.0) * 3600
        single = n % 7 == 3  # a few single-phase 16 A cars
        visits.append(Visit(station=station, evse=evse, arrive=arrive, depart=arrive + rng.uniform(3, 7) * 3600,
                            tag="TAG-FLEET" if n % 5 == 0 else "TAG-OK", energy_wh=rng.uniform(30_000, 70_000),
                            battery_wh=100_000, soc=10.0, max_current_a=16.0 if single else 32.0,
                            phases=1 if single else 3))
    return visits


@dataclass
class Truth:
    """What the EVSEs actually did, sampled on the simulated clock."""

    times: list[datetime] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    starved: list[tuple[datetime, str, float]] = field(default_factory=list)
    started: dict[tuple[str, int], datetime] = field(default_factory=dict)


async def _watch(sim: Simulator, truth: Truth, stop: asyncio.Event) -> None:
    while not stop.is_set():
        now = sim.clock.now()
        total = 0.0
        for station in sim.stations:
            for evse in station.evses:
                total += evse.meter.power_w
                key = (station.id, evse.id)
                if evse.tx is None or evse.ev is None or evse.ev.satisfied:
                    truth.started.pop(key, None)
                    continue
                began = truth.started.setdefault(key, now)
                if (now - began).total_seconds() > SETTLE_S and evse.limit_a < MIN_A:
                    truth.starved.append((now, f"{station.id}/{evse.id}", evse.limit_a))
        truth.times.append(now)
        truth.totals.append(total)
        await asyncio.sleep(0.02)


def _overloads(times: list[datetime], values: list[float], limit: float) -> list[float]:
    """Lengths (s) of the runs above the limit, each from its first sample above to the first one below."""
    runs = []
    began: datetime | None = None
    for moment, value in zip(times, values, strict=True):
        if value > limit + 1.0:
            began = began or moment
        elif began is not None:
            runs.append((moment - began).total_seconds())
            began = None
    if began is not None:
        runs.append((times[-1] - began).total_seconds())
    return runs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = serve_with(tmp_path_factory.mktemp("day"), _config(), allow_unknown=True)
    yield server
    assert server.process.stop() == 0
    assert "Traceback" not in server.logs()


async def test_a_day_at_a_200_kw_site(server: ApiServer) -> None:
    clock = SimClock.ending_now(ACCELERATION, SPAN_S)
    sim = Simulator(_stations(server.url), clock=clock, visits=_visits(), tags=["TAG-OK"], seed=7, ramp=50)
    truth = Truth()
    stop = asyncio.Event()
    began_real = asyncio.get_running_loop().time()
    await sim.start()
    watcher = asyncio.create_task(_watch(sim, truth, stop))
    try:
        assert await sim.wait_connected(60), "the stations did not all boot"
        online_from = utcnow()
        await asyncio.sleep(max(0.0, SPAN_S / ACCELERATION - (asyncio.get_running_loop().time() - began_real)))
    finally:
        online_until = utcnow()
        stop.set()
        await watcher
        with contextlib.suppress(Exception):
            await sim.stop(drain=3.0)

    async with httpx.AsyncClient(base_url=server.api + "/api/v1", headers=server.headers("viewer"), timeout=30) as api:
        load = (await api.get("/sites/depot/load", params={"max_points": 100_000})).json()
        commands = (await api.get("/commands", params={"operation": "set_charging_profile", "limit": 1000})).json()
        supports = {s: (await api.get(f"/stations/{s}/charging-profiles")).json()["support"] for s in W_ONLY}

    # the site was busy: most of the day at the limit, with every EV that came
    assert sim.visits_done >= 25
    busiest = max(truth.totals)
    assert busiest > 0.9 * LIMIT_W, f"the site never got busy ({busiest:.0f} W)"

    # ground truth: the site load exceeds the limit only in short transients
    overloads = _overloads(truth.times, truth.totals, LIMIT_W)
    assert max(overloads, default=0.0) <= METER_INTERVAL_S, (overloads, max(truth.totals))

    # as the CSMS measured it (latest readings; received times on the real clock, scaled to simulated time)
    measured_times = [datetime.fromisoformat(p["at"]) for p in load["measured"]]
    measured = [p["w"] for p in load["measured"]]
    seen = [run * ACCELERATION for run in _overloads(measured_times, measured, LIMIT_W)]
    assert max(seen, default=0.0) <= METER_INTERVAL_S, seen
    # what we allowed never exceeded the limit while the stations were online (offline ones count at their maximum)
    online = [p["w"] for p in load["planned"] if online_from <= datetime.fromisoformat(p["at"]) <= online_until]
    assert online and max(online) <= LIMIT_W + 1.0

    # every EV charging was offered at least 6 A, once its first limit could arrive
    assert not truth.starved, truth.starved[:10]

    # the W-only stations were steered in W after their first refusal, everything else was accepted
    assert all(s is not None and s["strategy"]["unit"] == "W" for s in supports.values()), supports
    outcomes = [c["outcome"] for c in commands["items"]]
    assert outcomes.count("Accepted") > 100
    assert outcomes.count("Rejected") <= 2 * len(W_ONLY) * 3
    print(f"\nsite day: {sim.visits_done} visits, busiest {busiest / 1000:.1f} kW, overloads (sim s) "
          f"{sorted(overloads)[-3:]}, measured overloads {sorted(seen)[-3:]}, {len(commands['items'])} profiles "
          f"sent, {len(truth.times)} truth samples, real {asyncio.get_running_loop().time() - began_real:.0f} s")
    await until(lambda: True, 1)
