"""Many stations in one process, with EVs that arrive, charge and leave.

Each EVSE gets a driver: random arrivals (exponential inter-arrival times) and/or the visits
of a scenario. A visit plugs the car in, holds a tag from the list to the reader, charges
along the car's curve until its energy need is met or it must leave, stops with the card
(or just unplugs) and goes. Scenario events cut the network, reboot, cut the power or
fault an EVSE. Everything runs on the simulation clock, so a day replays in minutes.

The stop is bounded in every phase, whatever the number of stations: drivers leave, running
sessions end (their messages queued as firmware would), the queues get a drain time, then all
sockets close at once, each handshake with its own time limit, and whatever is still running
is cancelled (again, if it swallowed the first cancellation; see `aio`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from chargeline.ocpp.versions import OcppVersion
from chargeline.station import aio
from chargeline.station.clock import SimClock
from chargeline.station.config import StationConfig
from chargeline.station.ev import Ev
from chargeline.station.handlers_v16 import reset_station
from chargeline.station.progress import Stats, observer_for
from chargeline.station.runtime import Station
from chargeline.station.scenario import Event, Visit
from chargeline.station.store import StateDb

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StopReport:
    """How the simulator's stop went (printed in the summary)."""

    seconds: float = 0.0
    drain_s: float = 0.0  # of which waiting for the queues
    close_s: float = 0.0  # of which closing the sockets and ending the stations' tasks
    sessions_stopped: int = 0
    drained: bool = True  # every connected station's queue was empty before the sockets closed
    left_queued: int = 0  # transaction messages still on disk (offline stations, or the drain time ran out)
    closed_cleanly: int = 0  # connections closed with a completed close handshake
    aborted: int = 0  # connections dropped (handshake out of time, or a hurried stop)
    stragglers: int = 0  # tasks that would not end when cancelled (a bug when not 0)
    hurried: bool = False


class Simulator:
    def __init__(self, configs: Iterable[StationConfig], *, clock: SimClock | None = None, db: StateDb | None = None,
                 tags: list[str] | None = None, arrivals_per_day: float = 0.0, visits: Iterable[Visit] = (),
                 events: Iterable[Event] = (), seed: int | None = None, ramp: float = 200.0):
        self.clock = clock or SimClock()
        self.db = db or StateDb()
        self.stats = Stats()
        observer = observer_for(self.stats)
        self.stations = [Station(cfg, self.db, self.clock, observer) for cfg in configs]
        if not self.stations:
            raise ValueError("a simulation needs at least one station")
        self.stats.expected = len(self.stations)
        self.version: OcppVersion = self.stations[0].version
        self.by_id = {st.id: st for st in self.stations}
        self.tags = tags or ["SIM-TAG-1"]
        self.arrivals_per_day = arrivals_per_day
        self.visits = list(visits)
        self.events = list(events)
        self.rng = random.Random(seed)
        self.ramp = ramp
        self._runs: list[asyncio.Task[None]] = []  # the stations' firmware loops
        self._tasks: list[asyncio.Task[None]] = []  # EV drivers and scenario events
        self._stopping = False
        self._hurried = False
        self.stop_report: StopReport | None = None
        self._busy: set[tuple[str, int]] = set()
        self.visits_done = 0
        self.started_at = self.clock.now()
        for visit in self.visits:
            if visit.station not in self.by_id:
                raise ValueError(f"EV visit for unknown station {visit.station!r}")
        for event in self.events:
            if event.station != "*" and event.station not in self.by_id:
                raise ValueError(f"event for unknown station {event.station!r}")

    async def start(self) -> None:
        """Power the stations on, `ramp` per second (a real car park does not boot at once either)."""
        loop = asyncio.get_running_loop()
        self.started_at = self.clock.now()
        batch = max(1, int(self.ramp / 10))
        for n, station in enumerate(self.stations):
            if self._stopping:
                return
            self._runs.append(loop.create_task(station.run(), name=f"station-{station.id}"))
            if (n + 1) % batch == 0:
                await asyncio.sleep(batch / self.ramp)
        if self._stopping:
            return
        if self.arrivals_per_day > 0:
            for station in self.stations:
                for evse in station.evses:
                    self._tasks.append(loop.create_task(self._arrivals(station, evse.id),
                                                        name=f"arrivals-{station.id}-{evse.id}"))
        for visit in self.visits:
            self._tasks.append(loop.create_task(self._scheduled_visit(visit), name=f"visit-{visit.station}"))
        for event in self.events:
            self._tasks.append(loop.create_task(self._event(event), name=f"event-{event.type}"))

    async def wait_connected(self, timeout: float = 60.0) -> bool:
        try:
            async with asyncio.timeout(timeout):
                while self.stats.boots < len(self.stations):
                    await asyncio.sleep(0.05)
        except TimeoutError:
            return False
        return True

    async def stop(self, drain: float = 10.0, close_timeout: float = 5.0) -> StopReport:
        """End: drivers leave, running sessions stop, queues get `drain` seconds, stations switch off.

        All sockets close concurrently, each close handshake limited to `close_timeout` seconds, and
        every wait has a limit, so the stop is bounded for any number of stations: at most about
        2 + `drain` + `close_timeout` + 5 seconds (+ 6 should sockets have to be aborted), plus CPU time.
        `hurry()` (a second Ctrl-C) skips what is left of the drain and aborts the sockets.
        """
        loop = asyncio.get_running_loop()
        began = loop.time()
        report = StopReport()
        self._stopping = True
        for station in self.stations:
            station.last_close = None
        report.stragglers += len(await aio.cancel_and_wait(self._tasks, grace=2.0, what="EV drivers"))
        self._tasks.clear()
        report.sessions_stopped = await self._end_sessions()
        drain_began = loop.time()
        report.drained = await self._drain(drain)
        close_began = loop.time()
        report.drain_s = close_began - drain_began
        for station in self.stations:
            await station.stop(0.0 if self._hurried else close_timeout)
        # Each station closes its socket and cancels its tasks on its own, all at the same time.
        runs = [t for t in self._runs if not t.done()]
        if runs:
            _, pending = await asyncio.wait(runs, timeout=(0.0 if self._hurried else close_timeout) + 5.0)
            if pending:
                for station in self.stations:
                    station.abort_connection()
                _, pending = await asyncio.wait(pending, timeout=4.0)
                report.stragglers += len(await aio.cancel_and_wait(pending, grace=2.0, what="stations"))
        self._runs.clear()
        report.close_s = loop.time() - close_began
        queued = self.db.queued_by_station()
        report.left_queued = sum(queued.get(st.id, 0) for st in self.stations)
        report.closed_cleanly = sum(1 for st in self.stations if st.last_close == "clean")
        report.aborted = sum(1 for st in self.stations if st.last_close == "aborted")
        report.hurried = self._hurried
        report.seconds = loop.time() - began
        self.stop_report = report
        return report

    def hurry(self) -> None:
        """Stop now: skip the rest of the drain and drop every socket without a close handshake."""
        self._hurried = True
        for station in self.stations:
            station.abort_connection()

    async def _end_sessions(self, batch: int = 200) -> int:
        """Stop every running session on a powered station, yielding to the loop between batches."""
        stopped = 0
        for station in self.stations:
            if not station.powered:  # a power cut: the session ends (PowerLoss) at the next power-on
                continue
            for evse in station.evses:
                if evse.tx is not None and station.transactions.stop(evse, "Local", "StopAuthorized"):
                    stopped += 1
                    if stopped % batch == 0:
                        await asyncio.sleep(0)
        return stopped

    async def _drain(self, seconds: float) -> bool:
        """Wait until no connected station has queued messages; True when they all got through in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._hurried:
            waiting = [sid for sid, n in self.db.queued_by_station().items()
                       if n and sid in self.by_id and self.by_id[sid].online]
            if not waiting:
                return True
            if loop.time() >= deadline:
                log.warning("stop: %d station(s) still had queued messages after %.0f s", len(waiting), seconds)
                return False
            await asyncio.sleep(0.1)
        return False

    # --- EV drivers ------------------------------------------------------------------------
    async def _arrivals(self, station: Station, evse_id: int) -> None:
        mean_gap = 86400.0 / self.arrivals_per_day
        await self.clock.sleep(self.rng.uniform(0, mean_gap))
        while not self._stopping:
            if (station.id, evse_id) not in self._busy:
                stay = self.rng.uniform(1.0, 9.0) * 3600.0
                ev = Ev.random(self.rng, self.rng.choice(self.tags), station.cfg.dc,
                               self.clock.now() + timedelta(seconds=stay))
                await self.visit(station, evse_id, ev, "card" if self.rng.random() < 0.7 else "unplug")
            await self.clock.sleep(self.rng.expovariate(1.0 / mean_gap))

    async def _scheduled_visit(self, visit: Visit) -> None:
        await self.clock.sleep(visit.arrive - self._elapsed())
        station = self.by_id[visit.station]
        depart = None if visit.depart is None else self.clock.now() + timedelta(seconds=visit.depart - visit.arrive)
        ev = Ev(id_token=visit.tag or self.rng.choice(self.tags), battery_wh=visit.battery_wh, soc=visit.soc,
                energy_need_wh=visit.energy_wh, max_current_a=visit.max_current_a, phases=visit.phases,
                max_dc_power_w=visit.max_dc_power_w, departure=depart)
        while (station.id, visit.evse) in self._busy:
            await self.clock.sleep(60)
        await self.visit(station, visit.evse, ev, visit.stop)

    def _elapsed(self) -> float:
        return (self.clock.now() - self.started_at).total_seconds()

    async def visit(self, station: Station, evse_id: int, ev: Ev, stop: str = "card") -> None:
        """One car: plug in, authorize, charge until satisfied or departure, stop, unplug."""
        key = (station.id, evse_id)
        evse = station.evse(evse_id)
        if evse.plugged or not station.powered or self._stopping:
            return
        self._busy.add(key)
        try:
            station.plug_in(evse_id, ev)
            await self.clock.sleep(self.rng.uniform(5.0, 40.0))
            tag = ev.id_token or self.rng.choice(self.tags)
            retries = 0
            while not self._stopping:
                leaving = ev.departure is not None and self.clock.now() >= ev.departure
                if ev.satisfied or leaving:
                    break
                if evse.tx is None and evse.authorization is None and retries < 3 and station.powered:
                    retries += 1
                    result = await station.present_token(evse_id, tag)
                    if not result.accepted and retries >= 2:
                        await self.clock.sleep(self.rng.uniform(60.0, 300.0))
                        break
                await self.clock.sleep(60.0)
            if self._stopping:
                return
            if stop == "card" and evse.tx is not None and evse.tx.token is not None:
                await station.present_token(evse_id, evse.tx.token)
                await self.clock.sleep(self.rng.uniform(10.0, 120.0))
            if evse.ev is ev:
                station.unplug(evse_id)
            self.visits_done += 1
        finally:
            self._busy.discard(key)

    # --- scenario events --------------------------------------------------------------------
    async def _event(self, event: Event) -> None:
        await self.clock.sleep(event.at - self._elapsed())
        targets = self.stations if event.station == "*" else [self.by_id[event.station]]
        await asyncio.gather(*(self._apply(event, st) for st in targets))

    async def _apply(self, event: Event, station: Station) -> None:
        log.info("scenario: %s on %s", event.type, station.id)
        if event.type == "offline":
            station.go_offline()
            await self.clock.sleep(event.duration)
            station.go_online()
        elif event.type == "reboot":
            await reset_station(station, "Reboot", "LocalReset" if station.version.is_v2 else "PowerUp")
        elif event.type == "power_loss":
            await station.power_cut(event.duration)
        elif event.type == "fault":
            station.set_fault(event.evse)
            await self.clock.sleep(event.duration or 600.0)
            station.clear_fault(event.evse)
