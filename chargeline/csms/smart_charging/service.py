"""Central smart charging in the CSMS: sites, their allocation loops, and the station's profiles.

The service keeps the live picture in memory (sites, running sessions, what each EVSE is taken
to apply, the believed profiles, what each station accepts, limits stations report) and writes
it through to the database. It follows the CSMS events — transactions, meter values, statuses,
boots, connections, and the smart-charging notifications — and pokes the loop of the site
concerned (`site_loop.py`). Every call to a station goes through the command service.
It also serves the API: site changes, per-session needs, profile operations and checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select

from chargeline.csms.smart_charging import store
from chargeline.csms.smart_charging.belief import BeliefStore
from chargeline.csms.smart_charging.checks import Checks
from chargeline.csms.smart_charging.config_file import load as load_config_file
from chargeline.csms.smart_charging.control import ACTOR, Control, Sender
from chargeline.csms.smart_charging.decisions import Applied
from chargeline.csms.smart_charging.external import ExternalLimits
from chargeline.csms.smart_charging.profiles import first_limit
from chargeline.csms.smart_charging.sessions import LiveSession, Needs, SessionTracker
from chargeline.csms.smart_charging.settings import SmartChargingSettings
from chargeline.csms.smart_charging.site_loop import SiteLoop, slot_max_w
from chargeline.csms.smart_charging.support import StationSupport
from chargeline.csms.smart_charging.topology import EvseSlot, Site
from chargeline.domain.clock import parse_station_time, utcnow
from chargeline.domain.smart_charging import ChargingProfilePurpose as Purpose
from chargeline.domain.smart_charging import ClearCriteria, OcppVersion, profile_from_ocpp
from chargeline.gateway.identity import station_key
from chargeline.store.api_schema import commands
from chargeline.store.schema import meter_values

if TYPE_CHECKING:
    from chargeline.csms.app import Csms
    from chargeline.csms.events import Event

log = logging.getLogger(__name__)

Key = tuple[str, int]
_SC_ACTIONS = frozenset({"NotifyChargingLimit", "ClearedChargingLimit", "NotifyEVChargingNeeds",
                         "ReportChargingProfiles"})


class SmartChargingService:
    def __init__(self, csms: Csms):
        self.csms = csms
        self.cfg = SmartChargingSettings.load(csms.settings)
        self.sites: dict[str, Site] = {}
        self.station_site: dict[str, str] = {}
        self.sessions = SessionTracker()
        self.belief = BeliefStore(csms.writer.submit)
        self.external = ExternalLimits()
        self.controls: dict[Key, Control] = {}
        self.live: dict[str, dict[str, Any]] = {}  # per site: the last round's figures
        self.sender = Sender(self)
        self.checks = Checks(self)
        self.loops: dict[str, SiteLoop] = {}
        self._support: dict[str, StationSupport] = {}
        self._releases: dict[str, list[tuple[int, str]]] = {}
        self._verified: dict[str, float] = {}
        self._handled_commands: set[int] = set()
        self._stored_needs: dict[int, Needs] = {}  # needs of sessions not (yet) tracked
        self._queue: asyncio.Queue[Event] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        now = utcnow()
        if self.csms.settings.config_file:
            await self._apply_config_file(self.csms.settings.config_file, now)
        async with self.csms.engine.connect() as conn:
            believed = await conn.run_sync(store.load_believed)
            support = await conn.run_sync(store.load_support)
            needs = await conn.run_sync(store.load_needs)
        self.belief.load(believed)
        for row in support:
            self._support[row.station_id] = StationSupport.load(row.strategy, row.outcomes, False,
                                                                self.cfg.rejections_before_fallback)
        self._stored_needs = {row.transaction_id: _needs_of(row) for row in needs}
        await self.reload_sites()
        if self.cfg.enabled:  # switched off: no loops, and no event following (the API's own changes still count)
            self._queue = self.csms.events.subscribe(maxsize=20_000, wants=self._wants)
            self._consumer = asyncio.create_task(self._consume(), name="smart-charging-events")

    async def stop(self) -> None:
        if self._queue is not None:
            self.csms.events.unsubscribe(self._queue)
        tasks = [t for t in (self._consumer, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for loop in list(self.loops.values()):
            await loop.stop()
        self.loops.clear()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply_config_file(self, path: str, now: datetime) -> None:
        try:
            configured = load_config_file(path)
        except (ValueError, KeyError, TypeError, OSError) as exc:  # TopologyError and TOML errors are ValueErrors
            raise SystemExit(f"chargeline: the sites in {path} are not valid: {exc}") from None

        def unit(conn: Any) -> None:
            for site in configured.sites:
                store.save_site(conn, site, now)
                for node_id, entries in configured.limits.get(site.id, {}).items():
                    store.replace_limits(conn, site.id, node_id, entries)
                if site.id in configured.prices:
                    store.replace_prices(conn, site.id, configured.prices[site.id])

        await self.csms.writer.run(unit)
        if configured.sites:
            log.info("smart charging: %d site(s) from %s", len(configured.sites), path)

    async def reload_sites(self) -> None:
        """Re-read the sites (after a change through the API) and start or stop their loops."""
        now = utcnow()
        async with self.csms.engine.connect() as conn:
            sites = await conn.run_sync(lambda c: store.load_sites(c, now))
        self.sites = {s.id: s for s in sites}
        mapping = {station: site.id for site in sites for station in site.station_nodes()}
        new_stations = set(mapping) - set(self.station_site)
        self.station_site = mapping
        for site in sites:
            for station, node in site.station_nodes().items():
                support = self._support.get(station)
                if support is None:
                    self._support[station] = StationSupport.new(node.dc, self.cfg.rejections_before_fallback)
                else:
                    support.dc = node.dc
        for session in list(self.sessions):
            if session.station_id not in mapping:
                self.sessions.remove(session.transaction_id)
        if new_stations:
            await self._load_sessions(new_stations)
        for site_id in list(self.loops):
            if site_id not in self.sites:
                await self.loops.pop(site_id).stop()
        if self.cfg.enabled:
            for site_id in self.sites:
                if site_id not in self.loops:
                    self.loops[site_id] = SiteLoop(self, site_id)
                    self.loops[site_id].start()
                self.loops[site_id].poke()

    async def _load_sessions(self, station_ids: Iterable[str]) -> None:
        keys = list(station_ids)

        def read(conn: Any) -> list[tuple[Any, str | None]]:
            return [(row, store.token_group(conn, row.id_token)) for row in store.active_transactions(conn, keys)]

        async with self.csms.engine.connect() as conn:
            for row, group in await conn.run_sync(read):
                self._add_session(row, group)

    def _add_session(self, row: Any, group: str | None) -> LiveSession | None:
        if row.evse_id is None or row.station_id not in self.station_site:
            return None
        existing = self.sessions.by_transaction(row.id)
        if existing is not None:
            return existing
        v16 = (row.ocpp_version or "1.6") == "1.6"
        session = LiveSession(row.id, row.station_id, row.evse_id, str(row.id) if v16 else str(row.station_tx_id),
                              row.started_at, group)
        session.needs = self._stored_needs.pop(row.id, Needs())
        if row.meter_start_wh is not None:
            session.register_first_wh = session.register_last_wh = float(row.meter_start_wh)
        self.sessions.add(session)
        held = self.belief.get(row.station_id, self.cfg.tx_profile_id(row.evse_id))
        if held is not None and held.profile.transaction_id == session.ocpp_transaction_id:
            site = self.site_of(row.station_id)
            unit, value, phases = first_limit(held.profile, utcnow())
            volts = site.voltage if site else 230.0
            amps = value if unit == "A" else value / (volts * (phases or 3))
            self.controls[session.key] = Control(row.id, Applied(amps * volts * (phases or 3), amps, value <= 0),
                                                 "TxProfile", held.installed_at)
        return session

    # --- the picture the loops read --------------------------------------------------------------
    def version_of(self, station_id: str) -> OcppVersion | None:
        session = self.csms.connections.get(station_key(station_id))
        if session is None or session.peer is None or session.peer.closed:
            return None
        return OcppVersion(session.version.label)

    def online(self, station_id: str) -> bool:
        session = self.csms.connections.get(station_id)
        return (session is not None and session.peer is not None and not session.peer.closed
                and session.boot_status == "Accepted")

    def site_of(self, station_id: str) -> Site | None:
        site_id = self.station_site.get(station_id)
        return None if site_id is None else self.sites.get(site_id)

    def site_view(self, site_id: str) -> Site | None:
        """The site with station-wide limits that stations reported (NotifyChargingLimit, EVSE 0) applied."""
        site = self.sites.get(site_id)
        if site is None:
            return None
        now = utcnow()
        nodes = []
        changed = False
        for node in site.nodes:
            if node.kind == "station" and node.station_id:
                cap = self.external.cap_w(node.station_id, 0, now, site.voltage, node.phases)
                if cap is not None:
                    node = replace(node, limit_w=cap if node.limit_w is None else min(cap, node.limit_w))
                    changed = True
            nodes.append(node)
        return replace(site, nodes=tuple(nodes)) if changed else site

    def slots(self, site: Site) -> list[EvseSlot]:
        out = []
        for station in sorted(site.station_nodes()):
            seen = [s.evse_id for s in self.sessions.of_station(station)]
            out += site.evse_slots(station, self.cfg.evse_max_a, self.cfg.evse_max_w_dc, seen)
        return out

    def slots_of_station(self, station_id: str) -> list[EvseSlot]:
        site = self.site_of(station_id)
        if site is None:
            return []
        seen = [s.evse_id for s in self.sessions.of_station(station_id)]
        return site.evse_slots(station_id, self.cfg.evse_max_a, self.cfg.evse_max_w_dc, seen)

    def support_of(self, station_id: str) -> StationSupport:
        support = self._support.get(station_id)
        if support is None:
            site = self.site_of(station_id)
            dc = bool(site and site.station_nodes()[station_id].dc)
            support = self._support[station_id] = StationSupport.new(dc, self.cfg.rejections_before_fallback)
        return support

    def save_support(self, station_id: str) -> None:
        support = self.support_of(station_id)
        strategy, outcomes, now = support.strategy.to_dict(), support.outcomes_dict(), utcnow()
        self.csms.writer.submit(lambda conn: store.save_support(conn, station_id, strategy, outcomes, now))

    def believed_failsafe(self, station_id: str, slot: EvseSlot, voltage: float) -> tuple[float | None, float] | None:
        """(A per phase, W) of the failsafe the station holds, for one EVSE."""
        held = self.belief.get(station_id, self.cfg.failsafe_id)
        if held is None:
            return None
        unit, value, phases = first_limit(held.profile)
        n = phases or slot.phases
        if unit == "A":
            return value, value * voltage * n
        return (None if slot.dc else value / (voltage * n)), value

    def failsafe_watts(self, station_id: str, slot: EvseSlot, voltage: float) -> float | None:
        held = self.believed_failsafe(station_id, slot, voltage)
        return None if held is None else min(held[1], slot_max_w(slot, voltage))

    def failsafe_amps(self, station_id: str, slot: EvseSlot, voltage: float) -> float | None:
        """The failsafe per EVSE: A per phase (AC) or W (DC)."""
        held = self.believed_failsafe(station_id, slot, voltage)
        if held is None:
            return None
        return held[1] if slot.dc or held[0] is None else held[0]

    def poke_station(self, station_id: str) -> None:
        site_id = self.station_site.get(station_id)
        if site_id is not None and site_id in self.loops:
            self.loops[site_id].poke()

    def verified(self, station_id: str) -> None:
        self._verified[station_id] = time.monotonic()

    async def release_ended(self, stations: Iterable[str]) -> None:
        """Clear what ended sessions left on their EVSE (a TxDefault of ours, an Inoperative EVSE)."""
        for station in stations:
            pending = self._releases.pop(station, [])
            if pending and not self.online(station):
                self._releases[station] = pending  # later, when it is back
                continue
            for evse_id, via in pending:
                if self.sessions.at(station, evse_id) is None:
                    await self.sender.release(station, evse_id, via)

    # --- events ----------------------------------------------------------------------------------
    def _wants(self, type_: str, station_id: str | None) -> bool:
        """Command results and notifications of any station; everything else only of site members."""
        if type_ in ("command_result", "notification"):
            return True
        return station_id is not None and station_key(station_id) in self.station_site

    async def _consume(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                await self._on_event(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("smart charging: event %s of %s not handled", event.type, event.station_id)

    async def _on_event(self, event: Event) -> None:
        if event.station_id is None:
            return
        station = station_key(event.station_id)
        kind, data = event.type, event.data
        if kind == "command_result":
            self._command_result(station, data)
            return
        if kind == "notification":
            await self._notification(station, data.get("action"), data.get("payload") or {}, event.at)
            return
        if station not in self.station_site:
            return
        if kind in ("transaction_started", "transaction_updated"):
            await self._transaction(station, data, event.at, kind == "transaction_started")
        elif kind == "transaction_ended":
            self._ended(station, data.get("transaction_id"))
        elif kind == "meter_values":
            self._meter_values(station, data, event.at)
        elif kind == "boot" and data.get("status") == "Accepted":
            self._booted(station)
        elif kind == "connected":
            self._connected(station)
        elif kind not in ("status", "disconnected"):
            return
        self.poke_station(station)

    async def _transaction(self, station: str, data: dict[str, Any], at: datetime, started: bool) -> None:
        tx_id = data.get("transaction_id")
        if not isinstance(tx_id, int):
            return
        session = self.sessions.by_transaction(tx_id)
        if session is None or (data.get("evse_id") and session.evse_id != data["evse_id"]):
            async with self.csms.engine.connect() as conn:
                row = await conn.run_sync(lambda c: store.transaction_row(c, tx_id))
                if row is None or row.status != "active":
                    return
                group = await conn.run_sync(lambda c: store.token_group(c, row.id_token))
            if session is not None:
                self.sessions.remove(tx_id)
            session = self._add_session(row, group)
            if session is None:
                return
        await self._read_samples(session, at)

    async def _read_samples(self, session: LiveSession, at: datetime) -> None:
        """2.x meter values come inside TransactionEvents: read the ones stored since the last look."""
        query = (select(meter_values.c.id, meter_values.c.measurand, meter_values.c.phase, meter_values.c.value)
                 .where(and_(meter_values.c.transaction_id == session.transaction_id,
                             meter_values.c.id > session.last_sample_row,
                             meter_values.c.measurand.in_(("Power.Active.Import", "Current.Import",
                                                           "Energy.Active.Import.Register"))))
                 .order_by(meter_values.c.id))
        async with self.csms.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        if rows:
            session.last_sample_row = rows[-1].id
            site = self.site_of(session.station_id)
            session.absorb(({"measurand": r.measurand, "phase": r.phase, "value": r.value} for r in rows), at,
                           site.voltage if site else 230.0)

    def _meter_values(self, station: str, data: dict[str, Any], at: datetime) -> None:
        tx_id = data.get("transaction_id")
        session = self.sessions.by_transaction(tx_id) if isinstance(tx_id, int) else None
        if session is None and isinstance(data.get("evse_id"), int):
            session = self.sessions.at(station, data["evse_id"])
        if session is not None:
            site = self.site_of(station)
            session.absorb(data.get("samples") or [], at, site.voltage if site else 230.0)

    def _ended(self, station: str, tx_id: Any) -> None:
        if not isinstance(tx_id, int):
            return
        session = self.sessions.remove(tx_id)
        if session is None:
            return
        control = self.controls.pop(session.key, None)
        self.belief.end_transaction(station, session.evse_id, session.ocpp_transaction_id)
        if control is not None and control.via in ("TxDefaultProfile", "availability"):
            self._releases.setdefault(station, []).append((session.evse_id, control.via))

    def _booted(self, station: str) -> None:
        """A (re)booted station lost its transactions and may have lost profiles: resend the failsafe."""
        failsafe = self.cfg.failsafe_id
        self.belief.forget(station, lambda b: b.profile.purpose is not Purpose.TX and b.profile.id != failsafe)
        for key in [k for k in self.controls if k[0] == station]:
            del self.controls[key]

    def _connected(self, station: str) -> None:
        version = self.version_of(station)
        if not self.cfg.verify_on_connect or version is None or version is OcppVersion.V16:
            return
        last = self._verified.get(station)
        if last is not None and time.monotonic() - last < self.cfg.verify_min_interval_s:
            return
        self._verified[station] = time.monotonic()
        self.spawn(self.checks.verify_profiles(station))

    async def _notification(self, station: str, action: Any, payload: dict[str, Any], at: datetime) -> None:
        if action not in _SC_ACTIONS:
            return
        if action == "ReportChargingProfiles":
            self.checks.report_arrived(payload)
            return
        if action == "NotifyChargingLimit":
            limit = payload.get("chargingLimit") or {}
            if limit.get("isGridCritical"):
                log.warning("smart charging: grid-critical limit on %s from %s", station,
                            limit.get("chargingLimitSource"))
            if self.external.notified(station, payload, at):
                self.spawn(self._fetch_external(station, payload))
        elif action == "ClearedChargingLimit":
            self.external.cleared(station, payload)
        elif action == "NotifyEVChargingNeeds":
            await self._charging_needs(station, payload)
        self.poke_station(station)

    async def _fetch_external(self, station: str, payload: dict[str, Any]) -> None:
        source = (payload.get("chargingLimit") or {}).get("chargingLimitSource", "EMS")
        params: dict[str, Any] = {"limit_sources": [source]}
        if payload.get("evseId"):
            params["evse_id"] = payload["evseId"]
        status, reported, _ = await self.checks.fetch(station, params)
        if status != "Accepted":
            return
        grouped: dict[tuple[int, str], list[Any]] = {}
        for item in reported:
            grouped.setdefault((item.evse_id, item.source), []).extend(item.profile.schedules)
        now = utcnow()
        for (evse_id, src), schedules in grouped.items():
            self.external.reported(station, evse_id, src, schedules, now)
        self.poke_station(station)

    async def _charging_needs(self, station: str, payload: dict[str, Any]) -> None:
        session = self.sessions.at(station, int(payload.get("evseId", 0)))
        if session is None:
            return
        needs = payload.get("chargingNeeds") or {}
        ac = needs.get("acChargingParameters") or {}
        dc = needs.get("dcChargingParameters") or {}
        v2x = needs.get("v2xChargingParameters") or {}
        energy = ac.get("energyAmount", dc.get("energyAmount", v2x.get("evTargetEnergyRequest")))
        departure = needs.get("departureTime")
        values = {"energy_wh": energy, "departure_at": parse_station_time(departure) if departure else None,
                  "min_current_a": ac.get("evMinCurrent"), "max_current_a": ac.get("evMaxCurrent"),
                  "max_power_w": dc.get("evMaxPower", v2x.get("maxChargePower"))}
        await self.set_needs(session.transaction_id, "NotifyEVChargingNeeds",
                             {k: float(v) if isinstance(v, int | float) else v for k, v in values.items()
                              if v is not None})

    def _command_result(self, station: str, data: dict[str, Any]) -> None:
        """Profiles an operator set or cleared through the command service also change what the station holds."""
        command_id = data.get("command_id")
        if data.get("actor") == ACTOR or data.get("operation") not in ("set_charging_profile",
                                                                        "clear_charging_profile"):
            return
        if data.get("status") != "completed" or not isinstance(command_id, int):
            return
        if command_id in self._handled_commands:
            self._handled_commands.discard(command_id)
            return
        if data.get("outcome") not in ("Accepted", "Unknown"):
            return
        self.spawn(self._adopt_command(station, command_id, str(data.get("actor") or "api")))

    async def _adopt_command(self, station: str, command_id: int, actor: str) -> None:
        async with self.csms.engine.connect() as conn:
            row = (await conn.execute(select(commands).where(commands.c.id == command_id))).mappings().first()
        if row is None:
            return
        self._apply_command(station, row["operation"], row["request"] or {}, row["outcome"], OcppVersion(
            row["ocpp_version"]), actor, command_id)
        self.poke_station(station)

    def _apply_command(self, station: str, operation: str, request: dict[str, Any], outcome: str | None,
                       version: OcppVersion, actor: str, command_id: int | None) -> None:
        if operation == "set_charging_profile" and outcome == "Accepted":
            data = request.get("charging_profile") or {}
            try:
                profile = profile_from_ocpp(data, OcppVersion.V16 if "chargingProfileId" in data else OcppVersion.V21)
            except (ValueError, KeyError, TypeError):
                return
            self.belief.install(station, int(request.get("evse_id", 0)), profile, version, actor, command_id, utcnow())
        elif operation == "clear_charging_profile" and outcome in ("Accepted", "Unknown"):
            purpose = request.get("purpose")
            if purpose == "ChargePointMaxProfile":
                purpose = Purpose.CHARGING_STATION_MAX.value
            try:
                criteria = ClearCriteria(request.get("profile_id"), request.get("evse_id"),
                                         Purpose(purpose) if purpose else None, request.get("stack_level"))
            except ValueError:
                return
            self.belief.clear(station, criteria)

    # --- serving the API -------------------------------------------------------------------------
    def answer_ev_charging_needs(self, station_id: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Our answer to NotifyEVChargingNeeds when we will send a schedule (None: the default answer)."""
        if not self.cfg.enabled or station_id not in self.station_site:
            return None
        if self.sessions.at(station_id, int(payload.get("evseId", 0))) is None:
            return None
        if not self.support_of(station_id).strategy.controllable:
            return None
        return {"status": "Accepted"}

    async def set_needs(self, transaction_id: int, source: str, values: dict[str, Any]) -> Needs:
        """Energy need, departure, EV limits or priority of a session: the given values change (None clears)."""
        session = self.sessions.by_transaction(transaction_id)
        needs = session.needs if session is not None else self._stored_needs.get(transaction_id, Needs())
        for name, value in values.items():
            setattr(needs, name, value)
        needs.source = source
        if session is None:
            self._stored_needs[transaction_id] = needs
        row = {"station_id": session.station_id if session else "", "evse_id": session.evse_id if session else None,
               "energy_wh": needs.energy_wh, "departure_at": needs.departure_at,
               "min_current_a": needs.min_current_a, "max_current_a": needs.max_current_a,
               "max_power_w": needs.max_power_w, "priority": needs.priority, "source": source[:40],
               "updated_at": utcnow()}
        await self.csms.writer.run(lambda conn: store.save_needs(conn, transaction_id, row))
        if session is not None:
            self.poke_station(session.station_id)
        return needs

    async def set_profile(self, station_id: str, evse_id: int, data: dict[str, Any], actor: str) -> dict[str, Any]:
        """An operator's profile, sent through the command service; the belief follows the answer."""
        record = await self.csms.commands.execute(station_id, "set_charging_profile",
                                                  {"evse_id": evse_id, "charging_profile": data}, actor=actor)
        self._adopt_record(station_key(station_id), record, actor)
        return record

    async def clear_profiles(self, station_id: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
        record = await self.csms.commands.execute(station_id, "clear_charging_profile", params, actor=actor)
        self._adopt_record(station_key(station_id), record, actor)
        return record

    def _adopt_record(self, station: str, record: dict[str, Any], actor: str) -> None:
        if record.get("status") != "completed":
            return
        self._handled_commands.add(record["id"])
        self._apply_command(station, record["operation"], record.get("request") or {}, record.get("outcome"),
                            OcppVersion(record["ocpp_version"]), actor, record["id"])
        self.poke_station(station)

    def sessions_of_site(self, site_id: str) -> list[dict[str, Any]]:
        site = self.sites.get(site_id)
        if site is None:
            return []
        stations = set(site.station_nodes())
        now = utcnow()
        loop = self.loops.get(site_id)
        targets = loop.last.targets if loop is not None and loop.last is not None else {}
        out = []
        for session in sorted(self.sessions, key=lambda s: s.key):
            if session.station_id not in stations:
                continue
            control = self.controls.get(session.key)
            target = targets.get(session.key)
            needs = session.needs
            out.append({
                "transaction_id": session.transaction_id, "station_id": session.station_id,
                "evse_id": session.evse_id, "started_at": session.started_at, "group_id": session.group_id,
                "priority": needs.priority if needs.priority is not None else site.group_priorities.get(
                    (session.group_id or "").casefold(), 0),
                "target_w": None if target is None else target.watts,
                "target_a": None if target is None else target.amps,
                "applied_w": None if control is None else control.applied.watts,
                "applied_a": None if control is None else control.applied.amps,
                "paused": bool(control and control.applied.paused), "via": None if control is None else control.via,
                "measured_w": session.latest_watts(now, self.cfg.measured_stale_s),
                "phases_in_use": session.phases_in_use, "delivered_wh": round(session.delivered_wh, 1),
                "energy_wh": needs.energy_wh, "remaining_wh": session.remaining_wh,
                "departure_at": needs.departure_at, "needs_source": needs.source if needs.energy_wh else None,
            })
        return out

    def support_view(self, station_id: str) -> dict[str, Any] | None:
        support = self._support.get(station_id)
        if support is None:
            return None
        return {"strategy": support.strategy.to_dict(), "outcomes": support.outcomes_dict()}


def _needs_of(row: Any) -> Needs:
    return Needs(row.energy_wh, row.departure_at, row.min_current_a, row.max_current_a, row.max_power_w,
                 row.priority, row.source)
