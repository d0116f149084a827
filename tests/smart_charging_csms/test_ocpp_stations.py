"""Independent 1.6 and 2.0.1 stations (the `ocpp` package's ChargePoint) receiving and answering profiles.

One `chargeline serve` with a configuration file: one 22 kW site per station, so each test owns its
site. Every wait is bounded (no timed assertions): it only guards against a hang.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.api.conftest import ApiServer
from tests.smart_charging_csms.conftest import serve_with
from tests.smart_charging_csms.ocpp_station import Policy, sc_station
from tests.station.conftest import until

STATIONS = {"SC-16": 22_080, "SC-201": 22_080, "SC-W": 22_080, "SC-16R": 22_080, "SC-16Z": 5_000, "SC-16V": 5_000,
            "SC-OFF": 22_080, "SC-P": 22_080}


def _config() -> str:
    out = ["[chargeline]", "smart_charging_interval = 1", ""]
    for station, limit in STATIONS.items():
        out += ["[[sites]]", f'id = "site-{station.lower()}"', f"limit_w = {limit}", "",
                "[[sites.stations]]", f'station_id = "{station}"', "evses = 2", "evse_limit_a = 32", ""]
    return "\n".join(out)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = serve_with(tmp_path_factory.mktemp("ocpp"), _config(), stations=tuple(STATIONS))
    yield server
    assert server.process.stop() == 0
    assert "Traceback" not in server.logs()


@pytest.fixture
async def api(server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.api + "/api/v1", headers=server.headers("admin"), timeout=30) as c:
        yield c


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def profiles_sent(cp: Any, purpose: str, evse: int | None = None) -> list[dict[str, Any]]:
    """The SetChargingProfile requests of one purpose (on one EVSE), oldest first, as (evse, profile, schedule)."""
    v16 = cp.state.version == "1.6"
    out = []
    for request in cp.state.sets():
        profile = request["csChargingProfiles" if v16 else "chargingProfile"]
        target = request["connectorId" if v16 else "evseId"]
        if profile["chargingProfilePurpose"] == purpose and (evse is None or target == evse):
            out.append({"evse": target, "profile": profile, "schedule": cp.state.schedule(profile)})
    return out


def last_limit(cp: Any, purpose: str, evse: int) -> float | None:
    sent = profiles_sent(cp, purpose, evse)
    return sent[-1]["schedule"]["chargingSchedulePeriod"][0]["limit"] if sent else None


async def boot(cp: Any) -> None:
    if cp.state.version == "1.6":
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="AC22"))
        await cp.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
    else:
        await cp.call(call201.BootNotification(charging_station={"model": "AC22", "vendor_name": "Acme"},
                                               reason="PowerUp"))


async def start_16(cp: Any, connector: int) -> int:
    result = await cp.call(call16.StartTransaction(connector_id=connector, id_tag="TAG-OK", meter_start=0,
                                                   timestamp=now()))
    return int(result.transaction_id)


async def start_201(cp: Any, evse: int, tx: str) -> None:
    await cp.call(call201.TransactionEvent(
        event_type="Started", timestamp=now(), trigger_reason="Authorized", seq_no=0,
        transaction_info={"transaction_id": tx, "charging_state": "Charging"}, evse={"id": evse, "connector_id": 1},
        id_token={"id_token": "TAG-OK", "type": "ISO14443"}))


async def event_201(cp: Any, evse: int, tx: str, seq: int, kind: str = "Updated", watts: float = 7_000.0) -> None:
    meter = [{"timestamp": now(), "sampled_value": [{"value": watts, "measurand": "Power.Active.Import"}]}]
    await cp.call(call201.TransactionEvent(
        event_type=kind, timestamp=now(), trigger_reason="MeterValuePeriodic" if kind == "Updated" else "EVDeparted",
        seq_no=seq, transaction_info={"transaction_id": tx, **({"stopped_reason": "EVDisconnected"}
                                                               if kind == "Ended" else {})},
        evse={"id": evse, "connector_id": 1}, meter_value=meter))


async def test_v16_station_gets_the_failsafe_and_one_tx_profile_per_transaction(server: ApiServer,
                                                                                 api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-16", "1.6") as cp:
        await boot(cp)
        await until(lambda: bool(profiles_sent(cp, "TxDefaultProfile")), 20, "the failsafe")
        failsafe = profiles_sent(cp, "TxDefaultProfile")[0]
        assert failsafe["evse"] == 0 and failsafe["profile"]["chargingProfileId"] == 90_000
        assert failsafe["profile"]["stackLevel"] == 0 and failsafe["profile"]["chargingProfileKind"] == "Absolute"
        assert failsafe["schedule"]["chargingRateUnit"] == "A"
        assert failsafe["schedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 16.0,
                                                                   "numberPhases": 3}]  # 22080 W / 2 EVSEs

        tx1 = await start_16(cp, 1)
        await until(lambda: bool(profiles_sent(cp, "TxProfile", 1)), 20, "the TxProfile of the first session")
        first = profiles_sent(cp, "TxProfile", 1)[-1]
        assert first["profile"]["transactionId"] == tx1 and first["profile"]["chargingProfileId"] == 91_001
        assert first["profile"]["chargingProfileKind"] == "Relative" and first["profile"]["stackLevel"] == 1
        assert first["schedule"]["chargingSchedulePeriod"][0]["limit"] == 32.0  # alone on the site: its maximum

        tx2 = await start_16(cp, 2)
        await until(lambda: last_limit(cp, "TxProfile", 2) is not None and last_limit(cp, "TxProfile", 1) == 16.0,
                    20, "the site shared by two sessions")
        assert last_limit(cp, "TxProfile", 2) == 16.0
        assert profiles_sent(cp, "TxProfile", 2)[-1]["profile"]["transactionId"] == tx2

        view = (await api.get("/stations/SC-16/charging-profiles")).json()
        held = {(p["evse_id"], p["purpose"]) for p in view["profiles"]}
        assert held == {(0, "TxDefaultProfile"), (1, "TxProfile"), (2, "TxProfile")}
        assert view["support"]["strategy"]["unit"] == "A" and view["support"]["outcomes"]["limit:TxProfile/A"][
            "accepted"] >= 3
        checked = (await api.get("/stations/SC-16/composite", params={"evse_id": 1, "ask": "true"})).json()
        assert checked["check"]["ok"] is True, checked
        assert checked["expected"]["chargingSchedulePeriod"][0]["limit"] == 16.0

        await cp.call(call16.StopTransaction(meter_stop=5_000, timestamp=now(), transaction_id=tx2))
        await until(lambda: last_limit(cp, "TxProfile", 1) == 32.0, 20, "the freed power given back")
        view = (await api.get("/stations/SC-16/charging-profiles")).json()
        assert {(p["evse_id"], p["purpose"]) for p in view["profiles"]} == {(0, "TxDefaultProfile"), (1, "TxProfile")}
        await cp.call(call16.StopTransaction(meter_stop=9_000, timestamp=now(), transaction_id=tx1))


async def test_v201_station_decreases_before_increases_and_external_limits(server: ApiServer,
                                                                            api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-201", "2.0.1") as cp:
        await boot(cp)
        await until(lambda: bool(profiles_sent(cp, "TxDefaultProfile")), 20, "the failsafe")
        await start_201(cp, 1, "T-1")
        await start_201(cp, 2, "T-2")
        await until(lambda: last_limit(cp, "TxProfile", 1) == 16.0 and last_limit(cp, "TxProfile", 2) == 16.0, 20,
                    "two sessions sharing 22 kW")
        assert profiles_sent(cp, "TxProfile", 1)[-1]["profile"]["transactionId"] == "T-1"

        sessions = (await api.get("/sites/site-sc-201/sessions")).json()
        tx1 = next(s["transaction_id"] for s in sessions if s["evse_id"] == 1)
        sent_before = len(cp.state.sets())
        changed = await api.patch(f"/sites/site-sc-201/sessions/{tx1}", json={"max_current_a": 10})
        assert changed.status_code == 200, changed.text
        await until(lambda: last_limit(cp, "TxProfile", 2) == 22.0, 20, "the other session raised")
        after = [(r["evseId"], r["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"])
                 for r in cp.state.sets()[sent_before:]]
        assert after.index((1, 10.0)) < after.index((2, 22.0))  # the decrease went out first

        # an energy management system limits EVSE 2 to 5 kW, then lets go
        ems = {"charging_limit_source": "EMS", "is_grid_critical": False}
        schedule: list[dict[str, Any]] = [{"id": 1, "charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0,
                                                                                      "limit": 5_000}]}]
        await cp.call(call201.NotifyChargingLimit(charging_limit=ems, charging_schedule=schedule, evse_id=2))
        await until(lambda: last_limit(cp, "TxProfile", 2) == 7.2, 20, "the external limit honoured")  # 5000/690
        view = (await api.get("/stations/SC-201/charging-profiles")).json()
        assert view["external_limits"][0]["source"] == "EMS" and view["external_limits"][0]["evse_id"] == 2
        await cp.call(call201.ClearedChargingLimit(charging_limit_source="EMS", evse_id=2))
        await until(lambda: last_limit(cp, "TxProfile", 2) == 22.0, 20, "the external limit released")
        # ... and the grid operator limits the whole station (no evseId) to 8280 W: 6 A each
        schedule[0]["charging_schedule_period"][0]["limit"] = 8_280
        await cp.call(call201.NotifyChargingLimit(charging_limit={"charging_limit_source": "SO"},
                                                  charging_schedule=schedule))
        await until(lambda: last_limit(cp, "TxProfile", 1) == 6.0 and last_limit(cp, "TxProfile", 2) == 6.0, 20,
                    "a station-wide external limit shared")
        await cp.call(call201.ClearedChargingLimit(charging_limit_source="SO"))
        await until(lambda: last_limit(cp, "TxProfile", 2) == 22.0, 20, "the station-wide limit released")

        needs = await cp.call(call201.NotifyEVChargingNeeds(evse_id=1, charging_needs={
            "requested_energy_transfer": "AC_three_phase", "departure_time": "2099-01-01T00:00:00Z",
            "ac_charging_parameters": {"energy_amount": 20_000, "ev_min_current": 6, "ev_max_current": 16,
                                       "ev_max_voltage": 400}}))
        assert needs.status == "Accepted"  # smart charging sends the schedule
        sessions = (await api.get("/sites/site-sc-201/sessions")).json()
        mine = next(s for s in sessions if s["evse_id"] == 1)
        assert mine["energy_wh"] == 20_000 and mine["needs_source"] == "NotifyEVChargingNeeds"

        # verification: the station reports what it holds; a lost failsafe is seen and sent again
        verified = (await api.post("/stations/SC-201/charging-profiles/verify")).json()
        assert verified["profiles"]["ok"] is True, verified
        assert all(c["ok"] for c in verified["composite"]), verified
        lost = cp.state.held.pop(90_000)
        failsafes = len(profiles_sent(cp, "TxDefaultProfile"))
        verified = (await api.post("/stations/SC-201/charging-profiles/verify")).json()
        assert [(d["profile_id"], d["kind"]) for d in verified["profiles"]["differences"]] == [(90_000, "missing")]
        await until(lambda: len(profiles_sent(cp, "TxDefaultProfile")) > failsafes, 20, "the failsafe sent again")
        assert cp.state.held[90_000].profile == lost.profile

        cp.state.policy.composite_offset_a = 3.0  # a station applying something else than it was told
        checked = (await api.get("/stations/SC-201/composite", params={"evse_id": 2, "ask": "true"})).json()
        assert checked["check"]["ok"] is False
        difference = checked["check"]["differences"][0]
        assert difference["expected"] == last_limit(cp, "TxProfile", 2)  # 16 A: the EV asked for 16 A on EVSE 1
        assert difference["reported"] == difference["expected"] + 3.0
        view = (await api.get("/stations/SC-201/charging-profiles")).json()
        assert any(c["kind"] == "composite" and c["evse_id"] == 2 and not c["ok"] for c in view["checks"])

        await event_201(cp, 2, "T-2", 1, "Ended")
        await event_201(cp, 1, "T-1", 1, "Ended")


async def test_operator_profiles_through_the_api(server: ApiServer, api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-201", "2.0.1") as cp:
        await boot(cp)
        profile = {"id": 7, "stackLevel": 5, "chargingProfilePurpose": "TxDefaultProfile",
                   "chargingProfileKind": "Absolute",
                   "chargingSchedule": [{"id": 1, "startSchedule": "2026-01-01T00:00:00Z", "chargingRateUnit": "A",
                                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}]}
        created = await api.post("/stations/SC-201/charging-profiles", json={"evse_id": 1, "charging_profile": profile})
        assert created.status_code == 200, created.text
        assert created.json()["command"]["outcome"] == "Accepted"
        mine = [p for p in created.json()["profiles"] if p["id"] == 7]
        assert mine and mine[0]["source"].startswith("key:") and mine[0]["evse_id"] == 1
        cleared = await api.delete("/stations/SC-201/charging-profiles", params={"profile_id": 7})
        assert cleared.status_code == 200 and cleared.json()["command"]["outcome"] == "Accepted"
        assert 7 not in {p["id"] for p in cleared.json()["profiles"]} and 7 not in cp.state.held
        # the generic command route is seen too
        command = await api.post("/stations/SC-201/commands/set_charging_profile",
                                 json={"evse_id": 2, "charging_profile": {**profile, "id": 8}})
        assert command.status_code == 200
        async def believed() -> bool:
            view = (await api.get("/stations/SC-201/charging-profiles")).json()
            return 8 in {p["id"] for p in view["profiles"]}
        await until(believed, 20, "the profile set through the command route believed")


async def test_units_fall_back_when_a_station_refuses_amperes(server: ApiServer, api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-W", "2.0.1", Policy(refuse_units=frozenset({"A"}))) as cp:
        await boot(cp)
        await until(lambda: 90_000 in cp.state.held, 20, "the failsafe accepted in W")
        assert cp.state.held[90_000].profile["chargingSchedule"][0]["chargingRateUnit"] == "W"
        await start_201(cp, 1, "W-1")
        await until(lambda: any(h.profile["chargingProfilePurpose"] == "TxProfile" for h in cp.state.held.values()),
                    20, "a TxProfile accepted")
        schedule = cp.state.held[91_001].profile["chargingSchedule"][0]
        assert schedule["chargingRateUnit"] == "W"
        assert schedule["chargingSchedulePeriod"][0] == {"startPeriod": 0, "limit": 22_080.0, "numberPhases": 3}
        support = (await api.get("/stations/SC-W/charging-profiles")).json()["support"]
        assert support["strategy"]["unit"] == "W"
        assert support["outcomes"]["limit:TxProfile/A"]["last_reason"] == "UnsupportedRateUnit"
        await event_201(cp, 1, "W-1", 1, "Ended")


async def test_tx_default_when_a_station_refuses_tx_profiles(server: ApiServer, api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-16R", "1.6", Policy(refuse_tx_profiles=True)) as cp:
        await boot(cp)
        tx = await start_16(cp, 1)
        await until(lambda: 92_001 in cp.state.held, 30, "an EVSE TxDefaultProfile accepted instead")
        held = cp.state.held[92_001]
        assert held.evse_id == 1 and held.profile["stackLevel"] == 1 and "transactionId" not in held.profile
        refused = [(r["csChargingProfiles"]["chargingProfilePurpose"], r["csChargingProfiles"]["chargingSchedule"][
            "chargingRateUnit"]) for r in cp.state.sets() if r["connectorId"] == 1]
        assert refused[:4] == [("TxProfile", "A")] * 2 + [("TxProfile", "W")] * 2  # each unit twice (no reason)
        support = (await api.get("/stations/SC-16R/charging-profiles")).json()["support"]
        assert support["strategy"]["purpose"] == "TxDefaultProfile"
        await cp.call(call16.StopTransaction(meter_stop=1_000, timestamp=now(), transaction_id=tx))
        await until(lambda: 92_001 not in cp.state.held, 20, "the EVSE default cleared after the session")
        assert any(a == "ClearChargingProfile" and p.get("id") == 92_001 for a, p in cp.state.received)


async def test_small_limit_when_a_station_refuses_zero(server: ApiServer, api: httpx.AsyncClient) -> None:
    """5 kW for two 3-phase sessions: only one minimum (4140 W) fits, the other waits."""
    async with sc_station(server.url, "SC-16Z", "1.6", Policy(refuse_zero=True)) as cp:
        await boot(cp)
        first = await start_16(cp, 1)
        await until(lambda: last_limit(cp, "TxProfile", 1) == 7.2, 20, "the first session alone")  # 5000/690
        second = await start_16(cp, 2)
        await until(lambda: cp.state.held.get(91_002) is not None, 30, "the second session paused with 1 A")
        assert cp.state.schedule(cp.state.held[91_002].profile)["chargingSchedulePeriod"][0]["limit"] == 1.0
        zeros = [r for r in cp.state.sets() if r["connectorId"] == 2
                 and r["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 0]
        assert len(zeros) == 2  # refused twice before falling back
        support = (await api.get("/stations/SC-16Z/charging-profiles")).json()["support"]
        assert support["strategy"]["pause"] == "small"
        for tx in (first, second):
            await cp.call(call16.StopTransaction(meter_stop=1_000, timestamp=now(), transaction_id=tx))

    async def offline() -> bool:  # disconnected: each EVSE counted at its failsafe (3.6 A x 690 W), not 32 A
        return (await api.get("/sites/site-sc-16z")).json()["planned_w"] == 2 * 3.6 * 690
    await until(offline, 20, "the offline station counted at its fallback")


async def test_station_without_smart_charging_is_counted_at_its_maximum(server: ApiServer,
                                                                        api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-OFF", "2.0.1", Policy(no_smart_charging=True)) as cp:
        await boot(cp)

        async def gave_up() -> bool:
            view = (await api.get("/stations/SC-OFF/charging-profiles")).json()
            return view["support"] is not None and view["support"]["strategy"]["controllable"] is False
        await until(gave_up, 20, "the station marked not controllable")
        sent = len(cp.state.sets())
        await start_201(cp, 1, "OFF-1")

        async def counted() -> bool:
            site = (await api.get("/sites/site-sc-off")).json()
            return site["planned_w"] == 22_080.0
        await until(counted, 20, "its session counted at its maximum")
        assert len(cp.state.sets()) == sent  # no more profiles for it
        await event_201(cp, 1, "OFF-1", 1, "Ended")


async def test_availability_when_a_station_refuses_small_limits(server: ApiServer, api: httpx.AsyncClient) -> None:
    async with sc_station(server.url, "SC-16V", "1.6", Policy(refuse_below_a=6.0)) as cp:
        await boot(cp)
        first = await start_16(cp, 1)
        await until(lambda: last_limit(cp, "TxProfile", 1) == 7.2, 20, "the first session alone")
        second = await start_16(cp, 2)
        await until(lambda: 2 in cp.state.inoperative, 30, "EVSE 2 paused by ChangeAvailability")
        support = (await api.get("/stations/SC-16V/charging-profiles")).json()["support"]
        assert support["strategy"]["pause"] == "availability"
        assert support["outcomes"]["pause:zero"]["rejected"] == 2 and support["outcomes"]["pause:small"]["rejected"] == 2
        await cp.call(call16.StopTransaction(meter_stop=1_000, timestamp=now(), transaction_id=first))
        await until(lambda: 2 not in cp.state.inoperative and cp.state.held.get(91_002) is not None, 30,
                    "EVSE 2 back in service with a limit")
        assert last_limit(cp, "TxProfile", 2) == 7.2
        await cp.call(call16.StopTransaction(meter_stop=1_000, timestamp=now(), transaction_id=second))


async def test_price_plan_moves_a_session_into_the_cheap_hours(server: ApiServer, api: httpx.AsyncClient) -> None:
    from datetime import timedelta

    start = datetime.now(UTC).replace(microsecond=0)
    cheap_from = start + timedelta(hours=1)
    prices = [{"start": start.isoformat(), "end": cheap_from.isoformat(), "price_per_kwh": 0.45},
              {"start": cheap_from.isoformat(), "end": (start + timedelta(hours=4)).isoformat(), "price_per_kwh": 0.09}]
    assert (await api.put("/sites/site-sc-p/prices", json=prices)).status_code == 200
    async with sc_station(server.url, "SC-P", "2.0.1") as cp:
        await boot(cp)
        await start_201(cp, 1, "P-1")
        await until(lambda: last_limit(cp, "TxProfile", 1) == 32.0, 20, "charging at once without a need")
        tx = next(s["transaction_id"] for s in (await api.get("/sites/site-sc-p/sessions")).json())
        needs = {"energy_wh": 30_000, "departure_at": (start + timedelta(hours=4)).isoformat()}
        assert (await api.patch(f"/sites/site-sc-p/sessions/{tx}", json=needs)).status_code == 200

        def planned() -> dict[str, Any] | None:
            sent = profiles_sent(cp, "TxProfile", 1)
            last = sent[-1]["profile"] if sent else None
            return last if last and last["chargingProfileKind"] == "Absolute" else None
        await until(lambda: planned() is not None, 20, "an Absolute TxProfile with the price plan")
        profile = planned()
        assert profile is not None
        schedule = profile["chargingSchedule"][0]
        periods = schedule["chargingSchedulePeriod"]
        assert periods[0]["limit"] == 0.0  # expensive now: waits
        began = datetime.fromisoformat(schedule["startSchedule"].replace("Z", "+00:00"))
        cheap = [p for p in periods if began + timedelta(seconds=p["startPeriod"]) >= cheap_from]
        assert cheap and cheap[0]["limit"] > 6.0  # and charges once it is cheap
        assert (await api.put("/sites/site-sc-p/prices", json=[])).status_code == 200
        await until(lambda: last_limit(cp, "TxProfile", 1) == 32.0 and planned() is None, 20,
                    "back to charging at once without prices")
        await event_201(cp, 1, "P-1", 1, "Ended")
