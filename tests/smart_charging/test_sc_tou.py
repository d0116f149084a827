"""Time-of-use planning."""

from __future__ import annotations

from chargeline.domain.smart_charging import (
    ChargingProfilePurpose,
    EnergyRequest,
    PriceSlot,
    plan_charging,
    plan_sessions,
)
from tests.smart_charging.helpers import at

START = at("2025-06-10T18:00:00")


def hourly(*prices: float) -> list[PriceSlot]:
    return [PriceSlot(3600 * i, 3600, p) for i, p in enumerate(prices)]


def test_cheapest_slots_first_ties_to_the_earlier_slot() -> None:
    plan = plan_charging(START, hourly(0.3, 0.1, 0.2, 0.1), 15_000, 7_000)
    assert plan.periods == ((0, 0.0), (3600, 7000.0), (7200, 1000.0), (10800, 7000.0))
    assert plan.unserved_wh == 0.0 and plan.energy_wh == 15_000


def test_unserved_energy_when_the_window_is_too_short() -> None:
    plan = plan_charging(START, hourly(0.3, 0.2), 20_000, 7_000)
    assert plan.periods == ((0, 7000.0),) and plan.unserved_wh == 6_000.0


def test_departure_limits_the_usable_slots() -> None:
    plan = plan_charging(START, hourly(0.3, 0.2, 0.1), 10_000, 10_000, departure_offset_s=5400)
    # The cheapest slot starts after departure; the 0.2 slot is usable for only half an hour.
    assert plan.periods == ((0, 5000.0), (3600, 10000.0), (7200, 0.0))
    assert plan.unserved_wh == 0.0


def test_negative_prices_policy() -> None:
    slots = hourly(0.2, -0.05, 0.1)
    eager = plan_charging(START, slots, 5_000, 11_000, "max")
    assert eager.periods == ((0, 0.0), (3600, 11000.0), (7200, 0.0)) and eager.energy_wh == 11_000
    frugal = plan_charging(START, slots, 5_000, 11_000, "need")
    assert frugal.periods == ((0, 0.0), (3600, 5000.0), (7200, 0.0)) and frugal.energy_wh == 5_000


def test_site_limit_per_slot() -> None:
    slots = [PriceSlot(0, 3600, 0.1, site_limit_w=4_000), PriceSlot(3600, 3600, 0.2)]
    plan = plan_charging(START, slots, 10_000, 11_000, site_limit_w=9_000)
    assert plan.periods == ((0, 4000.0), (3600, 6000.0))


def test_gap_between_slots_is_a_zero_period() -> None:
    slots = [PriceSlot(1800, 1800, 0.1), PriceSlot(7200, 3600, 0.1)]
    plan = plan_charging(START, slots, 3_000, 4_000)
    assert plan.periods == ((0, 0.0), (1800, 4000.0), (3600, 0.0), (7200, 1000.0))  # 2 kWh + 1 kWh
    assert plan.duration_s == 10800


def test_sessions_share_the_site_budget_earliest_departure_first() -> None:
    slots = hourly(0.3, 0.1, 0.2)
    plans = plan_sessions(
        START,
        slots,
        [EnergyRequest("late", 11_000, 11_000), EnergyRequest("early", 11_000, 11_000, departure_offset_s=7200)],
        site_limit_w=11_000,
    )
    assert plans["early"].periods == ((0, 0.0), (3600, 11000.0), (7200, 0.0))
    assert plans["late"].periods == ((0, 0.0), (7200, 11000.0))
    assert plans["late"].unserved_wh == 0.0


def test_plan_as_tx_profile() -> None:
    plan = plan_charging(START, hourly(0.3, 0.1), 7_000, 7_000)
    cp = plan.to_profile(77, "tx-9")
    assert cp.purpose is ChargingProfilePurpose.TX and cp.transaction_id == "tx-9"
    assert cp.schedule.start_schedule == START and cp.schedule.duration == 7200
    assert [(p.start_period, p.limit) for p in cp.schedule.periods] == [(0, 0.0), (3600, 7000.0)]
    assert plan.to_dict()["startSchedule"] == "2025-06-10T18:00:00Z"
