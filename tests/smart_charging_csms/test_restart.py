"""What the CSMS believes a station holds survives a restart: nothing is sent again for nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from ocpp.v16 import call as call16

from tests.api.conftest import start_api_server
from tests.smart_charging_csms.conftest import FAST, serve_with
from tests.smart_charging_csms.ocpp_station import sc_station
from tests.smart_charging_csms.test_ocpp_stations import boot, last_limit, now, profiles_sent, start_16
from tests.station.conftest import until

CONFIG = """
[chargeline]
smart_charging_interval = 1

[[sites]]
id = "yard"
limit_w = 22080

[[sites.stations]]
station_id = "RS-1"
evses = 2
evse_limit_a = 32
"""


async def test_believed_profiles_and_limits_survive_a_restart(tmp_path: Path) -> None:
    first = serve_with(tmp_path, CONFIG, stations=("RS-1",))
    try:
        async with sc_station(first.url, "RS-1", "1.6") as cp:
            await boot(cp)
            tx = await start_16(cp, 1)
            await until(lambda: last_limit(cp, "TxProfile", 1) == 32.0, 20, "the first TxProfile")
            sent = len(cp.state.sets())
    finally:
        assert first.process.stop() == 0

    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAST.items():
            patch.setenv(name, value)
        again = start_api_server(first.database, tmp_path / "server2.log", "--config", str(tmp_path / "chargeline.toml"))
    again.keys = first.keys
    try:
        async with sc_station(again.url, "RS-1", "1.6") as cp:
            await cp.call(call16.Heartbeat())  # reconnects without booting again
            async with httpx.AsyncClient(base_url=again.api + "/api/v1", headers=again.headers("viewer"),
                                         timeout=30) as api:
                async def rounds_ran() -> bool:
                    site = (await api.get("/sites/yard")).json()
                    return site["sessions"] == 1 and site["planned_w"] == 22_080.0
                await until(rounds_ran, 20, "the loop running on the restored picture")
                view = (await api.get("/stations/RS-1/charging-profiles")).json()
            assert {(p["evse_id"], p["purpose"]) for p in view["profiles"]} == {(0, "TxDefaultProfile"),
                                                                               (1, "TxProfile")}
            assert profiles_sent(cp, "TxProfile") == [] and cp.state.sets() == []  # nothing sent again
            await cp.call(call16.StopTransaction(meter_stop=2_000, timestamp=now(), transaction_id=tx))
        assert sent >= 2
    finally:
        assert again.process.stop() == 0
    assert "Traceback" not in again.logs()
