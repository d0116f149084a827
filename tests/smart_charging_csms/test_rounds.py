"""One allocation round: fair share, minimums and priorities, maximums, phases, unused power, load we
cannot steer (offline stations), external limits and price moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chargeline.csms.smart_charging.rounds import EvseInput, SessionInput, compute_round
from chargeline.csms.smart_charging.topology import LimitEntry, Node, PriceEntry
from tests.smart_charging_csms.helpers import NOW, charging, site, slots

V3 = 230.0 * 3


def test_fair_share_within_the_site_limit() -> None:
    s = site(40_000)
    result = compute_round(s, charging(s), NOW)
    amps = sorted(t.amps or 0 for t in result.targets.values())
    assert amps == [14.4] * 4  # 40 kW / 4 / 690 W per A, rounded down to 0.1 A
    assert result.planned_w <= 40_000 and result.limit_w == 40_000


def test_minimum_rate_first_then_priority_then_arrival() -> None:
    s = site(10_000)
    inputs = charging(s)
    inputs[3] = EvseInput(inputs[3].slot, SessionInput(4, priority=5))
    result = compute_round(s, inputs, NOW)
    by_tx = {t.transaction_id: t for t in result.targets.values()}
    # 6 A x 690 W = 4140 W each: two fit in 10 kW. The priority session first, then arrival order.
    assert not by_tx[4].paused and not by_tx[1].paused
    assert by_tx[2].paused and by_tx[3].paused and by_tx[2].watts == 0
    assert by_tx[1].amps is not None and by_tx[1].amps >= 6.0
    assert sum(t.watts for t in result.targets.values()) <= 10_000


def test_evse_maximum_caps_and_the_rest_stays_free() -> None:
    s = site(200_000, evse_limit_a=16.0)
    result = compute_round(s, charging(s), NOW)
    assert {t.amps for t in result.targets.values()} == {16.0}


def test_ev_maximum_from_its_charging_needs() -> None:
    s = site(200_000)
    result = compute_round(s, charging(s, max_a=10.0), NOW)
    assert {t.amps for t in result.targets.values()} == {10.0}


def test_single_phase_evs_load_one_phase_each() -> None:
    """Per-phase circuit: three 1-phase EVs on three phases all get 16 A; 3-phase EVs share each phase."""
    circuit = Node("c1", "circuit", "grid", limit_a=16.0)
    nodes = [Node("grid", "grid", limit_w=100_000), circuit, Node("cp1", "station", "c1", station_id="cp1")]
    nodes += [Node(f"cp1/{n}", "evse", "cp1", station_id="cp1", evse_id=n, limit_a=32.0, first_phase=n)
              for n in (1, 2, 3)]
    s = replace(site(), nodes=tuple(nodes))
    one_phase = compute_round(s, [EvseInput(slot, SessionInput(n, phases=1)) for n, slot in enumerate(slots(s))],
                              NOW)
    assert sorted(t.amps or 0 for t in one_phase.targets.values()) == [16.0, 16.0, 16.0]
    three_phase = compute_round(s, [EvseInput(slot, SessionInput(n)) for n, slot in enumerate(slots(s))], NOW)
    admitted = [t for t in three_phase.targets.values() if not t.paused]
    assert len(admitted) == 2 and all((t.amps or 0) >= 6.0 for t in admitted)  # 3 x 6 A would be 18 A > 16 A
    assert sum(t.amps or 0 for t in admitted) <= 16.0


def test_power_an_ev_does_not_draw_goes_to_the_others() -> None:
    s = site(40_000)
    inputs = charging(s)
    lazy = inputs[0]
    assert lazy.session is not None
    inputs[0] = EvseInput(lazy.slot, replace(lazy.session, measured_w=(2_000.0, 2_100.0), last_limit_w=9_936.0))
    result = compute_round(s, inputs, NOW)
    by_tx = {t.transaction_id: t for t in result.targets.values()}
    # never below the EV minimum (6 A x 690 W), however little it draws
    assert by_tx[1].watts == 4_140.0
    assert all(by_tx[n].amps == 17.3 for n in (2, 3, 4))  # (40 kW - 4.14 kW) / 3 / 690
    inputs[0] = EvseInput(lazy.slot, replace(lazy.session, measured_w=(5_000.0, 5_100.0), last_limit_w=9_936.0))
    by_tx = {t.transaction_id: t for t in compute_round(s, inputs, NOW).targets.values()}
    assert 5_100 <= by_tx[1].watts <= 5_100 * 1.1  # what it draws plus a 10 % buffer
    assert all(by_tx[n].amps == 16.6 for n in (2, 3, 4))
    # an EV drawing what it was given keeps its share
    inputs[0] = EvseInput(lazy.slot, replace(lazy.session, measured_w=(9_900.0, 9_930.0), last_limit_w=9_936.0))
    assert compute_round(s, inputs, NOW).targets[lazy.slot.key].amps == 14.4


def test_offline_station_counted_at_its_fallback() -> None:
    s = site(40_000)
    inputs = charging(s)
    # cp1 is offline: both its EVSEs are counted at the failsafe (7.2 A x 690 W = 4968 W), not steered
    inputs[0] = EvseInput(inputs[0].slot, None, 4_968.0)
    inputs[1] = EvseInput(inputs[1].slot, None, 4_968.0)
    result = compute_round(s, inputs, NOW)
    assert set(result.targets) == {("cp2", 1), ("cp2", 2)}
    assert result.fixed_w == 2 * 4_968.0
    assert {t.amps for t in result.targets.values()} == {21.7}  # (40000 - 9936) / 2 / 690
    assert result.planned_w <= 40_000


def test_external_limit_schedule_of_the_grid_connection() -> None:
    limits = [LimitEntry("grid", NOW - timedelta(hours=1), limit_w=20_000),
              LimitEntry("grid", NOW + timedelta(hours=1), limit_w=None)]  # released in an hour
    s = site(40_000, limits=limits)
    now = compute_round(s, charging(s), NOW)
    assert now.limit_w == 20_000 and sum(t.watts for t in now.targets.values()) <= 20_000
    later = compute_round(s, charging(s), NOW + timedelta(hours=2))
    assert later.limit_w == 40_000 and {t.amps for t in later.targets.values()} == {14.4}
    assert s.next_change(NOW) == NOW + timedelta(hours=1)


def test_external_limit_never_raises_the_static_one() -> None:
    s = site(40_000, limits=[LimitEntry("grid", NOW - timedelta(hours=1), limit_w=90_000)])
    assert compute_round(s, charging(s), NOW).limit_w == 40_000


def test_station_reported_limit_on_one_evse() -> None:
    s = site(40_000)
    inputs = charging(s)
    first = inputs[0]
    assert first.session is not None
    inputs[0] = EvseInput(first.slot, replace(first.session, external_cap_w=3_000.0))
    result = compute_round(s, inputs, NOW)
    assert result.targets[first.slot.key].watts <= 3_000
    assert all(t.amps == 17.8 for k, t in result.targets.items() if k != first.slot.key)  # (40000-3000)/3/690


def test_price_moves_energy_into_the_cheap_slot() -> None:
    prices = [PriceEntry(NOW, NOW + timedelta(hours=1), 0.40), PriceEntry(NOW + timedelta(hours=1),
                                                                         NOW + timedelta(hours=3), 0.10)]
    s = site(100_000, stations=("cp1",), evses=2, prices=prices)
    flexible = SessionInput(1, remaining_wh=10_000.0, departure=NOW + timedelta(hours=3))
    inputs = [EvseInput(slots(s)[0], flexible), EvseInput(slots(s)[1], SessionInput(2))]
    result = compute_round(s, inputs, NOW)
    waiting = result.targets[("cp1", 1)]
    assert waiting.paused and waiting.plan is not None
    cheap = [w for moment, w in waiting.plan if moment >= NOW + timedelta(hours=1)]
    assert cheap and max(cheap) * 2 >= 10_000  # the need fits into the cheap two hours
    assert result.targets[("cp1", 2)].amps == 32.0  # the inflexible session charges now, at its maximum


def test_price_plan_still_meets_the_need_when_cheap_time_is_short() -> None:
    prices = [PriceEntry(NOW, NOW + timedelta(hours=1), 0.40), PriceEntry(NOW + timedelta(hours=1),
                                                                         NOW + timedelta(hours=2), 0.10)]
    s = site(100_000, stations=("cp1",), evses=1, prices=prices)
    need = SessionInput(1, remaining_wh=30_000.0, departure=NOW + timedelta(hours=2))
    result = compute_round(s, [EvseInput(slots(s)[0], need)], NOW)
    target = result.targets[("cp1", 1)]
    assert not target.paused and target.amps is not None and target.amps > 6.0  # 22 kWh cheap is not enough
    plan = result.plans["cp1#1"]
    assert plan.unserved_wh == 0.0


def test_expensive_slots_are_not_used_when_the_site_limit_leaves_cheap_room() -> None:
    prices = [PriceEntry(NOW, NOW + timedelta(hours=1), 0.40), PriceEntry(NOW + timedelta(hours=1),
                                                                         NOW + timedelta(hours=2), 0.10)]
    s = site(20_000, stations=("cp1",), evses=2, prices=prices)
    a = SessionInput(1, remaining_wh=8_000.0, departure=NOW + timedelta(hours=2))
    b = SessionInput(2, remaining_wh=8_000.0, departure=NOW + timedelta(hours=2))
    result = compute_round(s, [EvseInput(slots(s)[0], a), EvseInput(slots(s)[1], b)], NOW)
    assert all(t.paused for t in result.targets.values())  # 16 kWh fit into the cheap hour under 20 kW
