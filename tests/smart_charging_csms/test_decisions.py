"""What the loop sends: hysteresis, debounced increases, decreases first, safety over hysteresis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from chargeline.csms.smart_charging.decisions import Applied, plan_signature, select_changes
from chargeline.csms.smart_charging.rounds import Target
from chargeline.csms.smart_charging.settings import SmartChargingSettings
from tests.smart_charging_csms.helpers import NOW

CFG = SmartChargingSettings()
V3 = 690.0


def target(evse: int, amps: float, paused: bool = False, plan: tuple[tuple[object, float], ...] | None = None
           ) -> Target:
    return Target(("cp1", evse), evse, amps * V3, amps, 3, False, paused, plan)  # type: ignore[arg-type]


def applied(amps: float, ours: bool = True, paused: bool = False) -> Applied:
    return Applied(amps * V3, amps, paused, ours)


def room(budget_w: float) -> Callable[[dict[tuple[str, int], float]], bool]:
    """A fits() for a site with one node of `budget_w`."""
    return lambda loads: sum(loads.values()) <= budget_w + 1e-6


def test_small_changes_are_not_sent() -> None:
    chosen = select_changes({("cp1", 1): target(1, 10.5)}, {("cp1", 1): applied(10.0)}, {}, CFG, room(1e9))
    assert not chosen.decreases and not chosen.increases


def test_threshold_is_five_percent_of_large_limits() -> None:
    # 1.2 A is above 1 A but below 5 % of 30 A (1.5 A): not worth a message
    chosen = select_changes({("cp1", 1): target(1, 28.8)}, {("cp1", 1): applied(30.0)}, {}, CFG, room(1e9))
    assert not chosen.decreases


def test_decrease_at_once_increase_after_two_rounds() -> None:
    targets = {("cp1", 1): target(1, 8.0), ("cp1", 2): target(2, 16.0)}
    held = {("cp1", 1): applied(12.0), ("cp1", 2): applied(12.0)}
    first = select_changes(targets, held, {}, CFG, room(1e9))
    assert [c.target.key for c in first.decreases] == [("cp1", 1)]
    assert not first.increases and first.streaks == {("cp1", 2): 1}
    second = select_changes(targets, held, first.streaks, CFG, room(1e9))
    assert [c.target.key for c in second.increases] == [("cp1", 2)] and not second.streaks


def test_an_increase_that_goes_away_starts_over() -> None:
    held = {("cp1", 1): applied(12.0)}
    first = select_changes({("cp1", 1): target(1, 16.0)}, held, {}, CFG, room(1e9))
    flat = select_changes({("cp1", 1): target(1, 12.0)}, held, first.streaks, CFG, room(1e9))
    again = select_changes({("cp1", 1): target(1, 16.0)}, held, flat.streaks, CFG, room(1e9))
    assert not again.increases and again.streaks == {("cp1", 1): 1}


def test_decreases_are_kept_apart_from_increases() -> None:
    targets = {("cp1", 1): target(1, 6.0), ("cp1", 2): target(2, 20.0), ("cp1", 3): target(3, 6.0)}
    held = {k: applied(13.0) for k in targets}
    chosen = select_changes(targets, held, {("cp1", 2): 1}, CFG, room(3 * 13 * V3))
    assert {c.target.key for c in chosen.decreases} == {("cp1", 1), ("cp1", 3)}
    assert [c.target.key for c in chosen.increases] == [("cp1", 2)]
    assert all(c.decrease for c in chosen.decreases) and not chosen.increases[0].decrease


def test_a_small_decrease_is_sent_when_keeping_the_old_limit_would_overload() -> None:
    targets = {("cp1", 1): target(1, 9.6), ("cp1", 2): target(2, 20.0)}  # -0.4 A: below the hysteresis
    held = {("cp1", 1): applied(10.0), ("cp1", 2): applied(10.0)}
    budget = (9.6 + 20.0) * V3
    chosen = select_changes(targets, held, {("cp1", 2): 1}, CFG, room(budget))
    assert [c.target.key for c in chosen.decreases] == [("cp1", 1)]
    assert chosen.decreases[0].why == "decrease needed for safety"
    assert [c.target.key for c in chosen.increases] == [("cp1", 2)]


def test_increases_are_dropped_when_nothing_makes_room() -> None:
    chosen = select_changes({("cp1", 1): target(1, 20.0)}, {("cp1", 1): applied(10.0)}, {("cp1", 1): 1}, CFG,
                            room(5 * V3))
    assert not chosen.increases


def test_first_limit_of_a_session_is_sent_at_once() -> None:
    unknown = select_changes({("cp1", 1): target(1, 10.0)}, {}, {}, CFG, room(1e9))
    assert [c.why for c in unknown.decreases] == ["first limit of the session"]
    above_failsafe = select_changes({("cp1", 1): target(1, 20.0)}, {("cp1", 1): applied(7.2, ours=False)}, {}, CFG,
                                    room(1e9))
    assert [c.target.key for c in above_failsafe.increases] == [("cp1", 1)]  # no debounce for the first one


def test_pause_and_resume_are_always_sent() -> None:
    pause = select_changes({("cp1", 1): target(1, 0.0, paused=True)}, {("cp1", 1): applied(6.0)}, {}, CFG, room(1e9))
    assert [c.why for c in pause.decreases] == ["pause"]
    resume = select_changes({("cp1", 1): target(1, 6.0)}, {("cp1", 1): applied(0.0, paused=True)}, {}, CFG,
                            room(1e9))
    assert [c.why for c in resume.increases] == ["resume"]


def test_a_new_price_plan_is_sent_even_when_now_does_not_change() -> None:
    plan = ((NOW, 0.0), (NOW + timedelta(hours=1), 11_000.0))
    old = Applied(0.0, 0.0, True, True, plan_signature(target(1, 0.0, True, plan)))
    moved = ((NOW, 0.0), (NOW + timedelta(hours=2), 11_000.0))
    same = select_changes({("cp1", 1): target(1, 0.0, True, plan)}, {("cp1", 1): old}, {}, CFG, room(1e9))
    assert not same.decreases and not same.increases
    chosen = select_changes({("cp1", 1): target(1, 0.0, True, moved)}, {("cp1", 1): old}, {}, CFG, room(1e9))
    assert [c.why for c in chosen.increases] == ["new price plan"]
