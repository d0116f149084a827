"""The station stack against `chargeline serve`, per OCPP version: sessions, offline replay, reboots."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chargeline.ocpp.versions import OcppVersion
from chargeline.station import Ev, SimClock, StateDb, Station, StationConfig
from chargeline.station.handlers_v16 import reset_station
from chargeline.store.schema import boots, transaction_events, transactions
from tests.station.conftest import VERSIONS, fast_settings, rows, until

pytestmark = pytest.mark.parametrize("version", VERSIONS)


def config(csms, version: str, station_id: str, **settings: str) -> StationConfig:
    v = OcppVersion.parse(version)
    return StationConfig(station_id, url=csms.url, version=v, settings=fast_settings(v, **settings))


async def started(station: Station) -> asyncio.Task[None]:
    task = asyncio.create_task(station.run())
    await until(lambda: station.online, what="boot accepted")
    return task


async def session(station: Station, tag: str, minutes: float) -> float:
    """Plug in, authorize, charge `minutes` of simulated time, stop with the card, unplug. Returns Wh."""
    evse = station.evse(1)
    station.plug_in(1, Ev(id_token=tag, soc=20.0, battery_wh=80_000.0))
    result = await station.present_token(1, tag)
    assert result.accepted, result
    tx = evse.tx
    assert tx is not None
    await station.clock.sleep(minutes * 60)
    await station.present_token(1, tag)
    assert evse.tx is None
    energy = evse.meter.register_wh - tx.meter_start_wh
    station.unplug(1)
    assert evse.meter.register_wh - tx.meter_start_wh == energy  # nothing flows once the session ended
    return energy


async def test_offline_sessions_replayed_once(csms, version: str, tmp_path: Path) -> None:
    """Sessions while offline are queued on disk, survive a restart of the station and are replayed in order."""
    db_path = tmp_path / "station.db"
    cfg = config(csms, version, f"OFF-{version}", **({"AllowOfflineTxForUnknownId": "true"} if version == "1.6"
                                                      else {"AuthCtrlr.OfflineTxForUnknownIdEnabled": "true"}))
    clock = SimClock(3600)
    station = Station(cfg, StateDb(db_path), clock)
    task = await started(station)
    energies = [await session(station, "TAG-A", 30)]  # online: TAG-A gets into the authorization cache
    await until(lambda: len(station.queue) == 0, what="online session delivered")

    station.go_offline()
    await until(lambda: not station.online, what="offline")
    energies.append(await session(station, "TAG-A", 45))  # cached token, offline
    energies.append(await session(station, "UNKNOWN-TAG", 20))  # unknown token allowed offline
    queued = len(station.queue)
    assert queued >= 4
    await station.stop()
    await task

    # A fresh process: the queue comes back from the SQLite file, still offline at first.
    station = Station(cfg, StateDb(db_path), clock)
    station.go_offline()
    assert len(station.queue) == queued
    task = asyncio.create_task(station.run())
    await asyncio.sleep(0.3)
    station.go_online()
    await until(lambda: station.online and len(station.queue) == 0, what="replay")
    await station.stop()
    await task

    txs = sorted(await rows(csms.database, transactions, transactions.c.station_id == cfg.station_id.casefold()),
                 key=lambda r: r["started_at"])
    assert len(txs) == 3, txs
    assert all(t["status"] == "ended" for t in txs)
    for tx, energy in zip(txs, energies, strict=True):
        assert tx["energy_wh"] == pytest.approx(energy, abs=1.5)
    assert [t["id_token"] for t in txs] == ["TAG-A", "TAG-A", "UNKNOWN-TAG"]
    if version != "1.6":
        assert [t["offline"] for t in txs] == [False, True, True]
        events = await rows(csms.database, transaction_events,
                            transaction_events.c.station_id == cfg.station_id.casefold())
        for tx in txs:
            mine = sorted((e for e in events if e["station_tx_id"] == tx["station_tx_id"]),
                          key=lambda e: e["received_at"])
            assert [e["seq_no"] for e in mine] == list(range(len(mine)))  # in order, none lost or doubled
            assert mine[0]["event_type"] == "Started" and mine[-1]["event_type"] == "Ended"


async def test_reboot_and_power_loss_end_the_session(csms, version: str, tmp_path: Path) -> None:
    cfg = config(csms, version, f"RB-{version}")
    station = Station(cfg, StateDb(tmp_path / "station.db"), SimClock(3600))
    task = await started(station)
    evse = station.evse(1)
    station.plug_in(1, Ev(id_token="TAG-B", soc=10.0, battery_wh=100_000.0))
    assert (await station.present_token(1, "TAG-B")).accepted
    await station.clock.sleep(20 * 60)
    await reset_station(station, "Reboot" if version == "1.6" else "ImmediateReset", "RemoteReset")
    await until(lambda: station.online and station.connects >= 2, what="reboot")
    assert evse.tx is None and evse.plugged  # the car is still there, its session ended

    assert (await station.present_token(1, "TAG-B")).accepted  # the driver starts again
    await station.clock.sleep(20 * 60)
    await station.power_cut(60)
    await until(lambda: station.online and station.connects >= 3, what="power back")
    await until(lambda: len(station.queue) == 0, what="queue delivered")
    await station.stop()
    await task

    station_id = cfg.station_id.casefold()
    assert len(await rows(csms.database, boots, boots.c.station_id == station_id)) == 3
    txs = sorted(await rows(csms.database, transactions, transactions.c.station_id == station_id),
                 key=lambda r: r["started_at"])
    assert [t["status"] for t in txs] == ["ended", "ended"]
    expected = ["Reboot", "PowerLoss"] if version == "1.6" else ["ImmediateReset", "PowerLoss"]
    assert [t["stop_reason"] for t in txs] == expected
    assert all(t["energy_wh"] and t["energy_wh"] > 0 for t in txs)
