"""The simulator against `chargeline serve`: an accelerated day of a car park, and the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chargeline.simulate_cli import build, simulate
from chargeline.station.scenario import load
from chargeline.store.schema import boots, transactions
from tests.station.conftest import VERSIONS, fast_settings, rows

DAY = """
[simulation]
ocpp = "{version}"
duration = "14h"
acceleration = 3600
seed = 11
tags = ["TAG-A", "TAG-B", "TAG-C"]
arrivals_per_day = 0

[station]
evses = 2
{settings}

[[stations]]
id = "DAY-{tag}-1"

[[stations]]
id = "DAY-{tag}-2"
current_type = "DC"
max_power_w = 50000
connector_type = "cCCS2"

[[evs]]
station = "DAY-{tag}-1"
evse = 1
arrive = "00:30"
depart = "04:00"
energy_kwh = 12
tag = "TAG-A"

[[evs]]
station = "DAY-{tag}-1"
evse = 2
arrive = "01:00"
depart = "09:00"
energy_kwh = 30
tag = "TAG-B"
stop = "unplug"

[[evs]]
station = "DAY-{tag}-1"
evse = 1
arrive = "09:30"
depart = "13:00"
energy_kwh = 20
tag = "TAG-C"

[[evs]]
station = "DAY-{tag}-2"
evse = 1
arrive = "00:45"
depart = "02:00"
energy_kwh = 25
tag = "TAG-A"

[[evs]]
station = "DAY-{tag}-2"
evse = 2
arrive = "03:00"
depart = "06:00"
energy_kwh = 40
tag = "TAG-B"

[[evs]]
station = "DAY-{tag}-2"
evse = 1
arrive = "07:50"
depart = "11:00"
energy_kwh = 40
tag = "TAG-C"

[[events]]
at = "02:30"
type = "offline"
station = "DAY-{tag}-1"
duration = "2h"

[[events]]
at = "08:00"
type = "power_loss"
station = "DAY-{tag}-2"
duration = "10m"

[[events]]
at = "10:00"
type = "reboot"
station = "DAY-{tag}-1"

[[events]]
at = "11:30"
type = "fault"
station = "DAY-{tag}-2"
evse = 2
duration = "30m"
"""


@pytest.mark.parametrize("version", VERSIONS)
async def test_accelerated_day(csms, version: str, tmp_path: Path) -> None:
    """14 simulated hours in ~14 s: every session reaches the CSMS exactly once, energy included."""
    settings = "[station.settings]\n" + "\n".join(f'"{k}" = "{v}"' for k, v in fast_settings(version).items())
    tag = version.replace(".", "")
    path = tmp_path / "day.toml"
    path.write_text(DAY.format(version=version, tag=tag, settings=settings))
    sim, real = build(load(path), url=csms.url, stations=None, ocpp=None, id_prefix=None, password=None,
                      acceleration=None, tags=None, arrivals=None, duration=None, state=tmp_path / "sim.db",
                      seed=None, ramp=50)
    assert real is not None and real == pytest.approx(14.0)
    await sim.start()
    await asyncio.sleep(real)
    await sim.stop()

    assert sim.stats.boots >= 4  # two stations, one reboot, one power loss
    assert sim.visits_done == 6
    ids = [st.id.casefold() for st in sim.stations]
    txs = [t for t in await rows(csms.database, transactions) if t["station_id"] in ids]
    assert len(txs) == sim.stats.sessions_ended >= 6
    assert all(t["status"] == "ended" for t in txs)
    assert sum(t["energy_wh"] or 0 for t in txs) == pytest.approx(sim.stats.energy_wh, rel=0.01)
    assert all(len(st.queue) == 0 for st in sim.stations)
    boot_rows = [b for b in await rows(csms.database, boots) if b["station_id"] in ids]
    assert len(boot_rows) == 4
    reasons = {t["stop_reason"] for t in txs}
    assert {"PowerLoss", "Reboot"} <= reasons
    assert len(txs) >= 8  # the drivers whose session a reboot or power cut ended started again


def test_cli_runs_and_prints_a_summary(csms) -> None:
    app = typer.Typer()
    app.command("simulate")(simulate)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, [
        "simulate", "--url", csms.url.rstrip("/"), "--stations", "3", "--ocpp", "2.0.1", "--id-prefix", "CLI-",
        "--duration", "3", "--acceleration", "600", "--tags", "TAG-A,TAG-B", "--arrivals-per-day", "24",
        "--seed", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "simulation summary (2.0.1, 3 stations" in result.output
    assert "stations that connected: 3/3" in result.output
