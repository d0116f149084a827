"""The allocation loop of one site (brief §4.4): when to run a round, and what a round does.

A round runs when something changed (a session started or ended, a status, meter values, a
limit, a station came or went: the service pokes the loop, which waits `debounce_s` so that
events arriving together share one round), at every scheduled limit or price change, and every
`interval_s` anyway. A round: release what ended sessions left behind, compute the targets
(`rounds.py`), choose what to send (`decisions.py`), send the failsafe and every decrease, and
only when all of them went through, the increases; then record the site's load.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from chargeline.csms.smart_charging import store
from chargeline.csms.smart_charging.decisions import Applied, Change, select_changes
from chargeline.csms.smart_charging.failsafe import Failsafe, failsafe_limit
from chargeline.csms.smart_charging.profiles import first_limit
from chargeline.csms.smart_charging.rounds import EvseInput, RoundResult, SessionInput, compute_round, loads_fit
from chargeline.csms.smart_charging.topology import EvseSlot, Site
from chargeline.domain.clock import utcnow
from chargeline.domain.smart_charging import AllocationSettings

if TYPE_CHECKING:
    from chargeline.csms.smart_charging.service import SmartChargingService

log = logging.getLogger(__name__)

Key = tuple[str, int]
UNPAUSABLE = 1_000_000


def slot_max_w(slot: EvseSlot, voltage: float) -> float:
    values = [v for v in (slot.max_w, None if slot.max_a is None else slot.max_a * voltage * slot.phases)
              if v is not None]
    return min(values) if values else 0.0


class SiteLoop:
    def __init__(self, service: SmartChargingService, site_id: str):
        self.service = service
        self.site_id = site_id
        self.wake = asyncio.Event()
        self.streaks: dict[Key, int] = {}
        self.rounds = 0
        self.last: RoundResult | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_sample = -math.inf
        self._last_limit: float | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"smart-charging-{self.site_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def poke(self) -> None:
        self.wake.set()

    async def _run(self) -> None:
        cfg = self.service.cfg
        while True:
            site = self.service.sites.get(self.site_id)
            if site is None:
                return
            timeout = cfg.interval_s
            upcoming = site.next_change(utcnow())
            if upcoming is not None:
                timeout = min(timeout, max(0.05, (upcoming - utcnow()).total_seconds() + 0.01))
            try:
                await asyncio.wait_for(self.wake.wait(), timeout)
            except TimeoutError:
                pass
            if self.wake.is_set() and cfg.debounce_s > 0:
                await asyncio.sleep(cfg.debounce_s)
            self.wake.clear()
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("smart charging: round of site %s failed", self.site_id)

    # --- one round ----------------------------------------------------------------------------
    async def round(self) -> RoundResult | None:
        service = self.service
        site = service.site_view(self.site_id)
        if site is None:
            return None
        now = utcnow()
        stations = sorted(site.station_nodes())
        await service.release_ended(stations)
        slots = service.slots(site)
        inputs = [self._input(site, slot, now) for slot in slots]
        result = compute_round(site, inputs, now, AllocationSettings(voltage=site.voltage))
        by_key = {s.key: s for s in slots}
        fixed: dict[str, float] = {}
        for item in inputs:
            if item.fixed_w:
                fixed[item.slot.node_id] = fixed.get(item.slot.node_id, 0.0) + item.fixed_w
        phases = {k: self._phases_in_use(by_key[k]) for k in result.targets}
        applied = {key: a for key in result.targets if (a := self._applied(site, key, by_key[key], phases[key]))}

        def fits(loads: dict[Key, float]) -> bool:
            return loads_fit(site, now, loads, by_key, fixed, phases)

        selection = select_changes(result.targets, applied, self.streaks, service.cfg, fits)
        self.streaks = selection.streaks
        down, up = self._failsafes(site, slots, now)
        done = await self._send(site, down, selection.decreases)
        if done:
            await self._send(site, up, selection.increases)
        self.rounds += 1
        self.last = result
        self._record(site, result, now)
        return result

    def _phases_in_use(self, slot: EvseSlot) -> int:
        session = self.service.sessions.at(*slot.key)
        used = session.phases_in_use if session is not None else None
        return max(1, min(slot.phases, used or slot.phases))

    def _input(self, site: Site, slot: EvseSlot, now: datetime) -> EvseInput:
        service = self.service
        station = slot.station_id
        support = service.support_of(station)
        session = service.sessions.at(*slot.key)
        control = service.controls.get(slot.key)
        if control is not None and (session is None or control.transaction_id != session.transaction_id):
            control = None
        maximum = slot_max_w(slot, site.voltage)
        if not service.online(station):
            if not support.strategy.controllable:
                return EvseInput(slot, None, maximum)
            fallback = service.failsafe_watts(station, slot, site.voltage)
            last = control.applied.watts if control is not None else 0.0
            return EvseInput(slot, None, max(maximum if fallback is None else fallback, last))
        if not support.strategy.controllable:
            return EvseInput(slot, None, maximum if session is not None else None)
        if session is None:
            return EvseInput(slot)
        needs = session.needs
        priority = needs.priority if needs.priority is not None else site.group_priorities.get(
            (session.group_id or "").casefold(), 0)
        if support.strategy.pause == "none":
            priority += UNPAUSABLE  # a station that cannot pause its EV keeps its minimum first
        measured = session.recent_watts(control.at) if control is not None and not control.applied.paused else ()
        return EvseInput(slot, SessionInput(
            transaction_id=session.transaction_id, priority=priority, phases=session.phases_in_use,
            min_a=needs.min_current_a, max_a=needs.max_current_a, max_w=needs.max_power_w, measured_w=measured,
            last_limit_w=control.applied.watts if control is not None else None,
            external_cap_w=service.external.cap_w(station, slot.evse_id, now, site.voltage, slot.phases),
            remaining_wh=session.remaining_wh, departure=needs.departure_at))

    def _applied(self, site: Site, key: Key, slot: EvseSlot, phases: int) -> Applied | None:
        control = self.service.controls.get(key)
        session = self.service.sessions.at(*key)
        if control is not None and session is not None and control.transaction_id == session.transaction_id:
            return control.applied
        amps = self.service.failsafe_amps(key[0], slot, site.voltage)
        if amps is None:
            return None
        if slot.dc:
            return Applied(amps, None, ours=False)  # DC: the failsafe is in W
        return Applied(amps * site.voltage * phases, amps, ours=False)

    def _failsafes(self, site: Site, slots: list[EvseSlot], now: datetime) -> tuple[list[tuple[str, Failsafe]],
                                                                                     list[tuple[str, Failsafe]]]:
        """(station, failsafe) pairs to send before the decreases, and with the increases."""
        service, cfg = self.service, self.service.cfg
        down: list[tuple[str, Failsafe]] = []
        up: list[tuple[str, Failsafe]] = []
        for station in site.station_nodes():
            support = service.support_of(station)
            if not service.online(station) or not support.strategy.controllable or not support.strategy.failsafe:
                continue
            wanted = failsafe_limit(site, station, slots, now)
            if wanted is None:
                continue
            held = service.belief.get(station, cfg.failsafe_id)
            if held is None:
                down.append((station, wanted))
                continue
            unit, value, _ = first_limit(held.profile)
            new = wanted.amps if unit == "A" and wanted.amps is not None else wanted.watts
            if unit == "A" and wanted.amps is None:
                new = wanted.watts / (site.voltage * wanted.phases)
            if unit == "W" and not wanted.dc:
                new = wanted.watts
            step = cfg.hysteresis_a if unit == "A" else cfg.hysteresis_w
            if new < value - 1e-6:
                down.append((station, wanted))
            elif new - value >= max(step, cfg.hysteresis_ratio * value):
                up.append((station, wanted))
        return down, up

    async def _send(self, site: Site, failsafes: Iterable[tuple[str, Failsafe]], changes: list[Change]) -> bool:
        """Send per station in order (the command service keeps one call per station in flight), stations
        concurrently. True when every change is in force."""
        per_station: dict[str, tuple[list[Failsafe], list[Change]]] = {}
        for station, failsafe in failsafes:
            per_station.setdefault(station, ([], []))[0].append(failsafe)
        for change in changes:
            per_station.setdefault(change.target.key[0], ([], []))[1].append(change)
        if not per_station:
            return True
        sender = self.service.sender

        async def one(station: str, items: tuple[list[Failsafe], list[Change]]) -> bool:
            sender.silent.discard(station)
            ok = True
            for failsafe in items[0]:
                await sender.send_failsafe(station, failsafe, site.voltage)  # failure: offline accounting covers it
            for change in items[1]:
                if station in sender.silent:
                    return False  # a station that let a call time out is not kept waiting on again this round
                ok = await sender.send_limit(change, site.voltage) and ok
            return ok

        results = await asyncio.gather(*(one(s, i) for s, i in per_station.items()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.error("smart charging: sending failed", exc_info=result)
        return all(r is True for r in results)

    # --- load history ---------------------------------------------------------------------------
    def _record(self, site: Site, result: RoundResult, now: datetime) -> None:
        service, cfg = self.service, self.service.cfg
        stations = set(site.station_nodes())
        readings = [s.latest_watts(now, cfg.measured_stale_s) for s in service.sessions if s.station_id in stations]
        measured = float(sum(r for r in readings if r is not None))
        service.live[site.id] = {"planned_w": round(result.planned_w, 1), "measured_w": round(measured, 1),
                                 "limit_w": result.limit_w, "fixed_w": round(result.fixed_w, 1), "at": now,
                                 "sessions": len(result.targets)}
        due = time.monotonic() - self._last_sample >= cfg.load_sample_s
        if not due and result.limit_w == self._last_limit:
            return
        self._last_sample, self._last_limit = time.monotonic(), result.limit_w
        planned, limit, site_id = result.planned_w, result.limit_w, site.id
        service.csms.writer.submit(lambda conn: store.insert_load(conn, site_id, now, planned, measured, limit))
        service.csms.events.publish("site_load", None, site_id=site_id, planned_w=round(planned, 1),
                                    measured_w=round(measured, 1), limit_w=limit)
