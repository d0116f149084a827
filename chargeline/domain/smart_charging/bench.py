"""Timings for `chargeline smart-charging bench` (figures only; tests never assert timings)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from chargeline.domain.smart_charging.allocation import AllocationSettings, ChargingSession, SiteNode, allocate
from chargeline.domain.smart_charging.composite import ActiveTransaction, StationConfig, composite_schedule
from chargeline.domain.smart_charging.profiles import (
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    InstalledProfile,
    RecurrencyKind,
)

_DAY0 = datetime(2025, 6, 10, tzinfo=UTC)
_TX = "bench-tx"


def _profile(
    pid: int,
    purpose: ChargingProfilePurpose,
    kind: ChargingProfileKind,
    stack: int,
    periods: Sequence[tuple[int, float, int | None]],
    unit: ChargingRateUnit = ChargingRateUnit.A,
    start: datetime | None = None,
    duration: int | None = None,
    recurrency: RecurrencyKind | None = None,
) -> ChargingProfile:
    schedule = ChargingSchedule(
        charging_rate_unit=unit,
        periods=tuple(ChargingSchedulePeriod(start_period=s, limit=lim, number_phases=n) for s, lim, n in periods),
        id=1,
        start_schedule=start,
        duration=duration,
    )
    return ChargingProfile(
        id=pid,
        stack_level=stack,
        purpose=purpose,
        kind=kind,
        schedules=(schedule,),
        recurrency_kind=recurrency,
        transaction_id=_TX if purpose is ChargingProfilePurpose.TX else None,
    )


def composite_scenario() -> list[InstalledProfile]:
    """20 profiles on one EVSE: hourly station max, external limit, day/night defaults, Tx overrides."""
    P, K = ChargingProfilePurpose, ChargingProfileKind
    hourly = [(h * 3600, 40.0 + (h % 5) * 4, 3) for h in range(24)]
    items = [
        InstalledProfile(
            0, _profile(1, P.CHARGING_STATION_MAX, K.RECURRING, 0, hourly, start=_DAY0, recurrency=RecurrencyKind.DAILY)
        ),
        InstalledProfile(
            0,
            _profile(
                2,
                P.EXTERNAL_CONSTRAINTS,
                K.ABSOLUTE,
                0,
                [(0, 30.0, 3), (7200, 25.0, 3), (14400, 35.0, 3)],
                start=_DAY0 + timedelta(hours=17),
                duration=6 * 3600,
            ),
        ),
        InstalledProfile(
            0,
            _profile(
                3,
                P.TX_DEFAULT,
                K.RECURRING,
                0,
                [(0, 32.0, 3), (25200, 16.0, 3), (79200, 32.0, 3)],
                start=_DAY0,
                recurrency=RecurrencyKind.DAILY,
            ),
        ),
        InstalledProfile(
            1,
            _profile(
                4,
                P.TX_DEFAULT,
                K.RELATIVE,
                1,
                [(0, 11040.0, None), (3600, 7360.0, None)],
                unit=ChargingRateUnit.W,
                duration=4 * 3600,
            ),
        ),
        InstalledProfile(
            1,
            _profile(
                5,
                P.TX_DEFAULT,
                K.RECURRING,
                2,
                [(0, 3680.0, 1), (1800, 7360.0, 1)],
                unit=ChargingRateUnit.W,
                start=_DAY0 - timedelta(days=3, hours=-20),
                duration=7200,
                recurrency=RecurrencyKind.WEEKLY,
            ),
        ),
    ]
    for k in range(15):
        start = _DAY0 + timedelta(hours=1 + k * 1.5)
        periods = [(0, 10.0 + k, 3), (900, 14.0 + k % 4, 3), (1800, 8.0 + k % 3, 1), (2700, 20.0, 3)]
        unit = ChargingRateUnit.W if k % 4 == 0 else ChargingRateUnit.A
        if unit is ChargingRateUnit.W:
            periods = [(s, lim * 690, n) for s, lim, n in periods]
        items.append(
            InstalledProfile(
                1, _profile(10 + k, P.TX, K.ABSOLUTE, 1 + k % 6, periods, unit=unit, start=start, duration=3600)
            )
        )
    return items


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    samples, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - began)
    return samples, result


def bench_composite(iterations: int = 500) -> dict[str, Any]:
    installed = composite_scenario()
    config = StationConfig(n_evses=2, default_limit_a=32.0, default_limit_w=22080.0)
    txs = [ActiveTransaction(1, _TX, _DAY0 - timedelta(minutes=30))]

    def run() -> Any:
        return composite_schedule(installed, 1, _DAY0, 86_400, ChargingRateUnit.A, config, txs)

    run()  # warm-up (period caches)
    samples, result = _timed(run, iterations)
    return {
        "profiles": len(installed),
        "window_s": 86_400,
        "periods_out": len(result.periods),
        "iterations": iterations,
        "mean_ms": round(statistics.fmean(samples) * 1e3, 4),
        "median_ms": round(statistics.median(samples) * 1e3, 4),
        "target_ms": 1.0,
    }


def allocation_scenario(evses: int = 1000) -> tuple[list[SiteNode], list[ChargingSession]]:
    """Grid connection -> 50 circuits (per-phase fuses) -> stations of 2 EVSEs; AC 3-phase, 1-phase and DC."""
    circuits = max(1, evses // 20)
    nodes = [SiteNode("grid", None, limit_w=6_000_000.0, limit_a=9_000.0)]
    nodes += [SiteNode(f"c{c}", "grid", limit_a=400.0) for c in range(circuits)]
    sessions: list[ChargingSession] = []
    for e in range(evses):
        station = f"s{e // 2}"
        if e % 2 == 0:
            nodes.append(SiteNode(station, f"c{(e // 2) % circuits}", limit_w=44_000.0))
        if e % 10 == 9:
            sessions.append(ChargingSession(f"e{e}", station, dc=True, max_w=50_000.0, min_w=5_000.0, efficiency=0.95))
        elif e % 10 == 8:
            sessions.append(ChargingSession(f"e{e}", station, phases=1, first_phase=1 + e % 3, max_a=32.0, min_a=6.0))
        else:
            measured = (4_000.0, 4_100.0) if e % 7 == 0 else ()
            sessions.append(
                ChargingSession(
                    f"e{e}", station, max_a=32.0, min_a=6.0, priority=e % 3, measured_w=measured, last_limit_w=11_000.0
                )
            )
    return nodes, sessions


def bench_allocation(evses: int = 1000, rounds: int = 20) -> dict[str, Any]:
    nodes, sessions = allocation_scenario(evses)
    settings = AllocationSettings()
    allocate(nodes, sessions, settings)
    samples, result = _timed(lambda: allocate(nodes, sessions, settings), rounds)
    return {
        "evses": len(sessions),
        "nodes": len(nodes),
        "rounds": rounds,
        "allocated_W": round(sum(r.limit_w for r in result), 1),
        "paused": sum(r.paused for r in result),
        "mean_ms": round(statistics.fmean(samples) * 1e3, 3),
        "median_ms": round(statistics.median(samples) * 1e3, 3),
        "target_ms": 50.0,
    }


def run_bench(iterations: int = 500, evses: int = 1000, rounds: int = 20) -> dict[str, Any]:
    return {"composite": bench_composite(iterations), "allocation": bench_allocation(evses, rounds)}
