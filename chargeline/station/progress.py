"""Live progress of a simulation in the terminal, and the summary at the end.

On a terminal a table refreshes in place (rich); piped to a file it prints one line every
few seconds, so logs of CI runs stay readable.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.table import Table

from chargeline.station.runtime import Station, StationObserver

if TYPE_CHECKING:
    from chargeline.station.simulator import Simulator


@dataclass(slots=True)
class Stats:
    """Counters every station reports into (one shared object: cheap for thousands of stations)."""

    connected: int = 0
    ever_connected: set[str] = field(default_factory=set)
    connects: int = 0
    boots: int = 0
    sessions_started: int = 0
    sessions_ended: int = 0
    energy_wh: float = 0.0
    errors: int = 0
    last_errors: deque[str] = field(default_factory=lambda: deque(maxlen=5))
    first_connect_s: float | None = None
    all_connected_s: float | None = None
    started: float = field(default_factory=time.monotonic)
    expected: int = 0

    def connected_changed(self, station: Station, up: bool) -> None:
        self.connected += 1 if up else -1
        if up:
            self.connects += 1
            self.ever_connected.add(station.id)

    def booted(self, station: Station, status: str) -> None:
        if status == "Accepted":
            self.boots += 1
            elapsed = time.monotonic() - self.started
            if self.first_connect_s is None:
                self.first_connect_s = elapsed
            if self.all_connected_s is None and self.boots >= self.expected:
                self.all_connected_s = elapsed

    def tx_started(self, station: Station) -> None:
        self.sessions_started += 1

    def tx_ended(self, station: Station, energy_wh: float) -> None:
        self.sessions_ended += 1

    def energy(self, station: Station, wh: float) -> None:
        self.energy_wh += wh

    def error(self, station: Station, text: str) -> None:
        self.errors += 1
        self.last_errors.append(f"{station.id}: {text}"[:160])


class _Observer(StationObserver):
    """Routes the hooks into Stats; keeps the station online count honest across reconnects."""

    def __init__(self, stats: Stats):
        self.stats = stats
        self._up: set[str] = set()

    def connected(self, station: Station, up: bool) -> None:
        if up and station.id not in self._up:
            self._up.add(station.id)
            self.stats.connected_changed(station, True)
        elif not up and station.id in self._up:
            self._up.discard(station.id)
            self.stats.connected_changed(station, False)

    def booted(self, station: Station, status: str) -> None:
        self.stats.booted(station, status)

    def tx_started(self, station: Station) -> None:
        self.stats.tx_started(station)

    def tx_ended(self, station: Station, energy_wh: float) -> None:
        self.stats.tx_ended(station, energy_wh)

    def energy(self, station: Station, wh: float) -> None:
        self.stats.energy(station, wh)

    def error(self, station: Station, text: str) -> None:
        self.stats.error(station, text)


def observer_for(stats: Stats) -> StationObserver:
    return _Observer(stats)


def charging(sim: Simulator) -> int:
    return sum(1 for st in sim.stations for e in st.evses if e.tx is not None and e.meter.power_w > 0)


def snapshot(sim: Simulator) -> dict[str, str]:
    s = sim.stats
    queued = sum(sim.db.queued_by_station().get(st.id, 0) for st in sim.stations)  # one query, not one per station
    return {
        "elapsed": f"{time.monotonic() - s.started:.0f} s",
        "simulated time": sim.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
        "connected": f"{s.connected}/{len(sim.stations)}",
        "charging": str(charging(sim)),
        "sessions": f"{s.sessions_started} started, {s.sessions_ended} ended",
        "energy": f"{s.energy_wh / 1000:.1f} kWh",
        "queued messages": str(queued),
        "errors": str(s.errors),
    }


def _table(sim: Simulator) -> Table:
    table = Table(title=f"chargeline simulate ({sim.version.label})", show_header=False)
    for key, value in snapshot(sim).items():
        table.add_row(key, value)
    for line in sim.stats.last_errors:
        table.add_row("last error", line)
    return table


async def show(sim: Simulator, console: Console, every: float = 1.0) -> None:
    """Refresh the progress until cancelled."""
    if console.is_terminal:
        with Live(_table(sim), console=console, refresh_per_second=4, transient=True) as live:
            while True:
                await asyncio.sleep(every)
                live.update(_table(sim))
    while True:
        await asyncio.sleep(max(every, 5.0))
        console.print(" | ".join(f"{k} {v}" for k, v in snapshot(sim).items()), highlight=False, soft_wrap=True)


def summary(sim: Simulator) -> str:
    s = sim.stats
    lines = [f"simulation summary ({sim.version.label}, {len(sim.stations)} stations, x{sim.clock.factor:g} time)"]
    lines += [f"  {k}: {v}" for k, v in snapshot(sim).items()]
    lines.append(f"  stations that connected: {len(s.ever_connected)}/{len(sim.stations)} "
                 f"({s.connects} connections)")
    if s.all_connected_s is not None:
        lines.append(f"  all stations booted after: {s.all_connected_s:.1f} s")
    delivered = sum(st.queue.delivered for st in sim.stations)
    dropped = sum(st.queue.dropped for st in sim.stations)
    lines.append(f"  transaction messages delivered: {delivered}, dropped: {dropped}")
    stop = sim.stop_report
    if stop is not None:
        lines.append(f"  stopped in {stop.seconds:.1f} s{' (hurried)' if stop.hurried else ''} "
                     f"(drain {stop.drain_s:.1f} s, close {stop.close_s:.1f} s): "
                     f"{stop.sessions_stopped} running sessions ended, {stop.left_queued} messages left queued, "
                     f"{stop.closed_cleanly} connections closed cleanly, {stop.aborted} aborted")
        if stop.stragglers:
            lines.append(f"  warning: {stop.stragglers} task(s) did not end when cancelled")
    for line in s.last_errors:
        lines.append(f"  last error: {line}")
    return "\n".join(lines)
