"""Composite schedule behaviour beyond the shared vectors: recurrence, anchoring, units, evse 0, 2.1 purposes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chargeline.domain.smart_charging import (
    ActiveTransaction,
    ChargingSchedulePeriod,
    CompositeSchedule,
    InstalledProfile,
    OperationMode,
    RecurrencyKind,
    StationConfig,
    composite_schedule,
)
from tests.smart_charging.helpers import A, K, P, W, at, limits, on, profile

CFG = StationConfig(n_evses=2, default_limit_a=32.0, default_limit_w=22080.0)
DAILY, WEEKLY = RecurrencyKind.DAILY, RecurrencyKind.WEEKLY


def run(
    installed: list[InstalledProfile],
    start: datetime,
    duration: int,
    unit: object = A,
    evse: int = 1,
    cfg: StationConfig = CFG,
    txs: tuple[ActiveTransaction, ...] = (),
) -> CompositeSchedule:
    return composite_schedule(installed, evse, start, duration, unit, cfg, txs)  # type: ignore[arg-type]


def tx_at(start: str, evse: int = 1, tx_id: str = "T1", priority: bool = False) -> ActiveTransaction:
    return ActiveTransaction(evse, tx_id, at(start), priority)


def test_nothing_installed_reports_the_default_once() -> None:
    result = run([], at("2025-06-10T12:00:00"), 3600)
    assert [p.to_dict() for p in result.periods] == [{"startPeriod": 0, "limit": 32.0}]
    assert run([], at("2025-06-10T12:00:00"), 60, W).periods[0].limit == 22080.0


def test_daily_recurrence_before_and_after_its_start_schedule() -> None:
    night = profile(
        1,
        P.TX_DEFAULT,
        [(0, 10), (21600, 32)],
        kind=K.RECURRING,
        recurrency=DAILY,
        start=at("2030-01-01T00:00:00"),
        duration=43200,
    )
    installed = [on(0, night)]
    # The start lies years ahead and still recurs today (modulo both ways, libocpp behaviour).
    result = run(installed, at("2025-06-10T05:00:00"), 4 * 3600, txs=(tx_at("2025-06-10T04:00:00"),))
    assert limits(result) == [(0, 10.0), (3600, 32.0)]
    # After 12:00 the 12 h schedule has ended: the EVSE is unlimited until the next midnight.
    late = run(installed, at("2025-06-10T22:00:00"), 4 * 3600, txs=(tx_at("2025-06-10T04:00:00"),))
    assert limits(late) == [(0, 32.0), (7200, 10.0)]
    assert late.periods[0].number_phases is None and late.periods[1].number_phases == 3


def test_weekly_recurrence_only_on_its_weekday() -> None:
    sunday = profile(
        2, P.TX_DEFAULT, [(0, 6)], kind=K.RECURRING, recurrency=WEEKLY, start=at("2025-01-05T00:00:00"), duration=86400
    )
    txs = (tx_at("2025-06-01T00:00:00"),)
    assert limits(run([on(1, sunday)], at("2025-06-08T10:00:00"), 3600, txs=txs)) == [(0, 6.0)]  # a Sunday
    assert limits(run([on(1, sunday)], at("2025-06-09T10:00:00"), 3600, txs=txs)) == [(0, 32.0)]  # Monday
    # Saturday 23:00 for 2 h crosses into Sunday.
    assert limits(run([on(1, sunday)], at("2025-06-07T23:00:00"), 7200, txs=txs)) == [(0, 32.0), (3600, 6.0)]


def test_lower_stack_level_shows_through_gaps_of_higher_one() -> None:
    base = profile(1, P.TX_DEFAULT, [(0, 20)], kind=K.RELATIVE)
    burst = profile(
        2, P.TX_DEFAULT, [(0, 8), (600, 12)], kind=K.ABSOLUTE, stack=3, start=at("2025-06-10T12:10:00"), duration=1200
    )
    result = run([on(0, base), on(1, burst)], at("2025-06-10T12:00:00"), 3600, txs=(tx_at("2025-06-10T11:00:00"),))
    assert limits(result) == [(0, 20.0), (600, 8.0), (1200, 12.0), (1800, 20.0)]


def test_relative_profiles_follow_the_transaction_start() -> None:
    ramp = profile(1, P.TX, [(0, 6), (600, 16)], kind=K.RELATIVE, tx="T1", duration=1800)
    installed = [on(1, ramp)]
    result = run(installed, at("2025-06-10T12:00:00"), 3600, txs=(tx_at("2025-06-10T11:55:00"),))
    assert limits(result) == [(0, 6.0), (300, 16.0), (1500, 32.0)]
    # Without a transaction (and without simulation) TxProfiles and TxDefault do not apply.
    default = profile(2, P.TX_DEFAULT, [(0, 10)], kind=K.RELATIVE)
    assert limits(run([*installed, on(0, default)], at("2025-06-10T12:00:00"), 600)) == [(0, 32.0)]
    simulated = replace(CFG, simulate_tx_if_none=True)
    assert limits(run([*installed, on(0, default)], at("2025-06-10T12:00:00"), 600, cfg=simulated)) == [(0, 10.0)]


def test_tx_profile_of_another_transaction_is_ignored() -> None:
    other = profile(1, P.TX, [(0, 6)], kind=K.RELATIVE, tx="OLD")
    assert limits(run([on(1, other)], at("2025-06-10T12:00:00"), 600, txs=(tx_at("2025-06-10T11:00:00"),))) == [
        (0, 32.0)
    ]


def test_valid_from_moves_start_and_valid_to_cuts() -> None:
    windowed = profile(
        1,
        P.TX_DEFAULT,
        [(0, 10)],
        kind=K.RELATIVE,
        valid_from=at("2025-06-10T12:10:00"),
        valid_to=at("2025-06-10T12:20:00"),
    )
    result = run([on(0, windowed)], at("2025-06-10T12:00:00"), 3600, txs=(tx_at("2025-06-10T11:00:00"),))
    assert limits(result) == [(0, 32.0), (600, 10.0), (1200, 32.0)]


def test_unit_conversion_uses_lowest_phases_and_voltage() -> None:
    power = profile(1, P.TX_DEFAULT, [(0, 11040)], kind=K.RELATIVE, unit=W)
    single_phase_cap = profile(2, P.CHARGING_STATION_MAX, [(0, 40)], start=at("2025-01-01T00:00:00"), phases=1)
    txs = (tx_at("2025-06-10T11:00:00"),)
    amps = run([on(0, power)], at("2025-06-10T12:00:00"), 60, A, txs=txs)
    assert amps.periods[0].limit == 16.0 and amps.periods[0].number_phases == 3
    mixed = run([on(0, power), on(0, single_phase_cap)], at("2025-06-10T12:00:00"), 60, A, txs=txs)
    assert mixed.periods[0].limit == 40.0 and mixed.periods[0].number_phases == 1  # 11040 W / 230 V / 1 = 48 A
    watts = run([on(0, single_phase_cap)], at("2025-06-10T12:00:00"), 60, W)
    assert watts.periods[0].limit == 9200.0
    uk = replace(CFG, supply_voltage=240.0)
    assert run([on(0, power)], at("2025-06-10T12:00:00"), 60, A, cfg=uk, txs=txs).periods[0].limit == 15.3


def test_limits_are_reported_with_one_decimal() -> None:
    power = profile(1, P.TX_DEFAULT, [(0, 10000)], kind=K.RELATIVE, unit=W)
    result = run([on(0, power)], at("2025-06-10T12:00:00"), 60, A, txs=(tx_at("2025-06-10T11:00:00"),))
    assert result.periods[0].limit == 14.5  # 10000 / 690 = 14.49


def test_dc_station_reports_no_phases() -> None:
    dc = replace(CFG, ac=False, default_limit_w=150000.0)
    power = profile(1, P.TX_DEFAULT, [(0, 50000)], kind=K.RELATIVE, unit=W)
    result = run([on(0, power)], at("2025-06-10T12:00:00"), 60, W, cfg=dc, txs=(tx_at("2025-06-10T11:00:00"),))
    assert result.periods[0].to_dict() == {"startPeriod": 0, "limit": 50000.0}


def test_evse_0_sums_evses_and_caps_with_station_max() -> None:
    per_evse = profile(1, P.TX_DEFAULT, [(0, 16)], kind=K.RELATIVE)
    station_max = profile(2, P.CHARGING_STATION_MAX, [(0, 40), (1800, 20)], start=at("2025-06-10T12:00:00"))
    cfg = replace(CFG, simulate_tx_if_none=True)
    both = run([on(1, per_evse)], at("2025-06-10T12:00:00"), 3600, evse=0, cfg=cfg)
    assert limits(both) == [(0, 48.0)]  # 16 + default 32 for the unlimited EVSE 2
    capped = run([on(0, per_evse), on(0, station_max)], at("2025-06-10T12:00:00"), 3600, evse=0, cfg=cfg)
    assert limits(capped) == [(0, 32.0), (1800, 20.0)]


def test_station_wide_external_constraint_total_or_per_evse() -> None:
    per_evse = profile(1, P.TX_DEFAULT, [(0, 16)], kind=K.RELATIVE)
    external = profile(-1, P.EXTERNAL_CONSTRAINTS, [(0, 20)], start=at("2025-06-10T00:00:00"))
    installed = [on(0, per_evse), on(0, external)]
    cfg = replace(CFG, simulate_tx_if_none=True)
    assert limits(run(installed, at("2025-06-10T12:00:00"), 60, evse=0, cfg=cfg)) == [(0, 20.0)]
    libocpp = replace(cfg, external_as_total=False)
    assert limits(run(installed, at("2025-06-10T12:00:00"), 60, evse=0, cfg=libocpp)) == [(0, 32.0)]
    assert limits(run(installed, at("2025-06-10T12:00:00"), 60, evse=1, cfg=cfg)) == [(0, 16.0)]


def test_setpoints_are_clipped_and_discharge_limits_combined() -> None:
    def period(
        start: int, limit: float | None = None, setpoint: float | None = None, discharge_limit: float | None = None
    ) -> ChargingSchedulePeriod:
        return ChargingSchedulePeriod(
            start,
            limit,
            setpoint=setpoint,
            discharge_limit=discharge_limit,
            operation_mode=OperationMode.CENTRAL_SETPOINT,
            number_phases=3,
        )

    central = profile(
        1,
        P.TX,
        [
            period(0, limit=4000, setpoint=5000, discharge_limit=-6000),
            period(600, limit=4000, setpoint=-7000, discharge_limit=-6000),
            period(1200, setpoint=3000),
        ],
        kind=K.RELATIVE,
        unit=W,
        tx="T1",
    )
    external = profile(
        -2,
        P.EXTERNAL_CONSTRAINTS,
        [ChargingSchedulePeriod(0, 9000, discharge_limit=-5000)],
        start=at("2025-06-10T00:00:00"),
        unit=W,
    )
    txs = (tx_at("2025-06-10T12:00:00"),)
    result = run([on(1, central), on(0, external)], at("2025-06-10T12:00:00"), 1800, W, txs=txs)
    rows = [p.to_dict() for p in result.periods]
    assert rows == [
        {"startPeriod": 0, "limit": 4000.0, "numberPhases": 3, "setpoint": 4000.0, "dischargeLimit": -5000.0},
        {"startPeriod": 600, "limit": 4000.0, "numberPhases": 3, "setpoint": -5000.0, "dischargeLimit": -5000.0},
        {"startPeriod": 1200, "limit": 9000.0, "numberPhases": 3, "setpoint": 3000.0, "dischargeLimit": -5000.0},
    ]


def test_per_phase_limits_are_reported_per_phase() -> None:
    per_phase = ChargingSchedulePeriod(0, 16, limit_l2=10, limit_l3=16, number_phases=3)
    tx = profile(1, P.TX, [per_phase], kind=K.RELATIVE, tx="T1")
    cap = profile(2, P.CHARGING_STATION_MAX, [(0, 6900)], start=at("2025-06-10T00:00:00"), unit=W)  # 10 A/phase
    txs = (tx_at("2025-06-10T12:00:00"),)
    amps = run([on(1, tx), on(0, cap)], at("2025-06-10T12:00:00"), 60, A, txs=txs).periods[0]
    assert (amps.limit, amps.limit_l2, amps.limit_l3) == (10.0, 10.0, 10.0)
    alone = run([on(1, tx)], at("2025-06-10T12:00:00"), 60, W, txs=txs).periods[0]
    assert (alone.limit, alone.limit_l2, alone.limit_l3) == (3680.0, 2300.0, 3680.0)  # W per phase
    one_phase = replace(per_phase, number_phases=1)
    single = profile(1, P.TX, [one_phase], kind=K.RELATIVE, tx="T1")
    lone = run([on(1, single)], at("2025-06-10T12:00:00"), 60, A, txs=txs).periods[0]
    assert (lone.limit, lone.limit_l2, lone.number_phases) == (10.0, None, 1)


def test_idle_period_means_no_energy_transfer() -> None:
    idle = profile(
        1, P.TX, [ChargingSchedulePeriod(0, None, operation_mode=OperationMode.IDLE)], kind=K.RELATIVE, tx="T1"
    )
    result = run([on(1, idle)], at("2025-06-10T12:00:00"), 60, txs=(tx_at("2025-06-10T12:00:00"),))
    assert result.periods[0].limit == 0.0


def test_local_generation_adds_on_top_only_where_something_limits() -> None:
    default = profile(1, P.TX_DEFAULT, [(0, 5000)], kind=K.RELATIVE, unit=W, duration=600)
    pv = profile(-9, P.LOCAL_GENERATION, [(0, 2000)], start=at("2025-06-10T00:00:00"), unit=W)
    result = run([on(0, default), on(0, pv)], at("2025-06-10T12:00:00"), 1200, W, txs=(tx_at("2025-06-10T12:00:00"),))
    assert limits(result) == [(0, 7000.0), (600, 22080.0)]


def test_priority_charging_replaces_the_transaction_layer_while_active() -> None:
    slow = profile(1, P.TX, [(0, 8)], kind=K.RELATIVE, tx="T1")
    boost = profile(2, P.PRIORITY_CHARGING, [(0, 32)], kind=K.RELATIVE)
    cap = profile(3, P.CHARGING_STATION_MAX, [(0, 25)], start=at("2025-06-10T00:00:00"))
    installed = [on(1, slow), on(0, boost), on(0, cap)]
    normal = run(installed, at("2025-06-10T12:00:00"), 60, txs=(tx_at("2025-06-10T11:00:00"),))
    active = run(installed, at("2025-06-10T12:00:00"), 60, txs=(tx_at("2025-06-10T11:00:00", priority=True),))
    assert limits(normal) == [(0, 8.0)] and limits(active) == [(0, 25.0)]


def test_dynamic_profile_lapses_without_updates() -> None:
    dynamic = profile(
        1, P.TX, [(0, 12)], kind=K.DYNAMIC, tx="T1", duration=300, dyn_update_time=at("2025-06-10T11:58:00")
    )
    result = run([on(1, dynamic)], at("2025-06-10T12:00:00"), 600, txs=(tx_at("2025-06-10T11:00:00"),))
    assert limits(result) == [(0, 12.0), (180, 32.0)]


def test_period_at_gives_the_live_limit() -> None:
    ramp = profile(1, P.TX_DEFAULT, [(0, 6), (600, 16)], kind=K.RELATIVE)
    result = run([on(0, ramp)], at("2025-06-10T12:00:00"), 1200, txs=(tx_at("2025-06-10T12:00:00"),))
    assert (
        result.period_at(0).limit == 6.0 and result.period_at(599).limit == 6.0 and result.period_at(900).limit == 16.0
    )


def test_window_start_is_floored_to_whole_seconds() -> None:
    result = run([], at("2025-06-10T12:00:00.750000"), 60)
    assert result.to_dict()["scheduleStart"] == "2025-06-10T12:00:00Z"
