"""Stations that reject profiles: what is recorded, and how the way of steering them falls back."""

from __future__ import annotations

from chargeline.csms.smart_charging.support import StationSupport
from tests.smart_charging_csms.helpers import NOW


def test_a_named_unit_refusal_switches_unit_at_once() -> None:
    support = StationSupport.new(dc=False)
    assert support.record("limit:TxProfile/A", "Rejected", "UnsupportedRateUnit", NOW)
    assert (support.strategy.purpose, support.strategy.unit) == ("TxProfile", "W")


def test_a_bare_rejection_counts_only_when_it_repeats() -> None:
    support = StationSupport.new(dc=False)
    assert not support.record("limit:TxProfile/A", "Rejected", None, NOW)
    assert support.strategy.unit == "A"
    assert support.record("limit:TxProfile/A", "Rejected", None, NOW)
    assert support.strategy.unit == "W"
    outcome = support.outcomes["limit:TxProfile/A"]
    assert (outcome.rejected, outcome.accepted, outcome.last_status) == (2, 0, "Rejected")


def test_an_acceptance_in_between_resets_the_count() -> None:
    support = StationSupport.new(dc=False)
    support.record("limit:TxProfile/A", "Rejected", None, NOW)
    support.record("limit:TxProfile/A", "Accepted", None, NOW)
    assert not support.record("limit:TxProfile/A", "Rejected", None, NOW)
    assert support.strategy.unit == "A"


def test_transaction_not_found_is_not_the_station_s_fault() -> None:
    support = StationSupport.new(dc=False)
    for _ in range(5):
        assert not support.record("limit:TxProfile/A", "Rejected", "TxNotFound", NOW)
    assert support.strategy.unit == "A" and support.outcomes["limit:TxProfile/A"].rejected == 0


def test_tx_default_when_tx_profiles_are_refused_in_both_units_then_not_controllable() -> None:
    support = StationSupport.new(dc=False, patience=1)
    ladder = []
    for _ in range(5):
        variant = support.limit_variant()
        support.record(variant, "Rejected", None, NOW)
        ladder.append(variant)
        if not support.strategy.controllable:
            break
    assert ladder == ["limit:TxProfile/A", "limit:TxProfile/W", "limit:TxDefaultProfile/A",
                      "limit:TxDefaultProfile/W"]
    assert not support.strategy.controllable


def test_not_supported_means_not_controllable() -> None:
    support = StationSupport.new(dc=False)
    assert support.record("limit:TxProfile/A", "NotSupported", "NotSupported", NOW)
    assert not support.strategy.controllable


def test_pause_falls_back_from_zero_to_a_small_limit_to_availability() -> None:
    support = StationSupport.new(dc=False, patience=1)
    assert support.pause_variant() == "pause:zero"
    support.record("pause:zero", "Rejected", None, NOW)
    assert support.strategy.pause == "small"
    support.record("pause:small", "Rejected", None, NOW)
    assert support.strategy.pause == "availability"
    support.record("pause:availability", "Rejected", None, NOW)
    assert support.strategy.pause == "none"
    assert support.strategy.unit == "A" and support.strategy.controllable  # limits are not affected


def test_no_answer_says_nothing() -> None:
    support = StationSupport.new(dc=False, patience=1)
    assert not support.record("limit:TxProfile/A", "NoAnswer", "Timeout", NOW)
    assert support.outcomes == {}


def test_failsafe_tries_the_other_unit_then_gives_up() -> None:
    support = StationSupport.new(dc=False, patience=1)
    assert support.failsafe_unit() == "A"
    assert support.record("failsafe:A", "Rejected", None, NOW)
    assert support.failsafe_unit() == "W"
    support.record("failsafe:W", "Rejected", None, NOW)
    assert support.failsafe_unit() is None and not support.strategy.failsafe


def test_dc_stations_start_in_watts() -> None:
    support = StationSupport.new(dc=True)
    assert support.limit_variant() == "limit:TxProfile/W"


def test_round_trip_through_storage() -> None:
    support = StationSupport.new(dc=False)
    support.record("limit:TxProfile/A", "Rejected", "UnsupportedRateUnit", NOW)
    again = StationSupport.load(support.strategy.to_dict(), support.outcomes_dict(), False)
    assert again.strategy == support.strategy and again.outcomes == support.outcomes
